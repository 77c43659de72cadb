//! Background work: the state file, upload accounting, resume data and the ticker.

use super::view::unseen_upload;
use super::*;

impl Engine {
    /// Writes the state file (atomically). Failures are logged: the in-memory state
    /// stays right and the next save retries.
    pub(super) async fn persist(&self) {
        let _guard = self.inner.save_lock.lock().await;
        let bytes = {
            let map = self.lock();
            let records: BTreeMap<InfoHash, TorrentRecord> =
                map.iter().map(|(h, e)| (*h, e.record.clone())).collect();
            Store::serialize(&records)
        };
        let store = self.inner.store.clone();
        match tokio::task::spawn_blocking(move || store.write_state(&bytes)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => warn!("cannot save the torrents' state: {e}"),
            Err(e) => warn!("cannot save the torrents' state: {e}"),
        }
    }

    /// Moves librqbit's per-run upload counters into our records.
    pub(super) fn account_uploads(&self) -> bool {
        let mut changed = false;
        for entry in self.lock().values_mut() {
            if let Some(handle) = &entry.handle {
                let now = handle.stats().uploaded_bytes;
                let delta = unseen_upload(entry.uploaded_seen, now);
                if delta > 0 {
                    entry.record.uploaded_before += delta;
                    changed = true;
                }
                entry.uploaded_seen = now;
            }
        }
        changed
    }

    /// Writes each torrent's verified-pieces bitfield where librqbit's fast resume
    /// reads it (`<state>/librqbit/<info hash>.bitv`).
    ///
    /// librqbit itself writes it only every 16 MiB of verified data and when the
    /// torrent completes, not when it is paused or the session stops, so a restart
    /// would forget (and download again) up to 16 MiB per torrent. The file is
    /// rewritten in place because librqbit keeps it open for its own writes; both
    /// write whole snapshots, and a stale one only costs a re-download, since
    /// librqbit re-verifies a sample of pieces at start-up.
    pub(super) async fn save_resume_data(&self, only_changed: bool) {
        let api = librqbit::Api::new(self.inner.session.clone(), None);
        let mut snapshots = Vec::new();
        {
            let mut map = self.lock();
            for (hash, entry) in map.iter_mut() {
                let Some(handle) = &entry.handle else {
                    continue;
                };
                let verified = handle.stats().progress_bytes;
                if only_changed && verified == entry.resume_saved {
                    continue;
                }
                if let Ok((haves, _)) = api.api_dump_haves(TorrentIdOrHash::Hash(id20(hash))) {
                    entry.resume_saved = verified;
                    snapshots.push((*hash, haves.as_raw_slice().to_vec()));
                }
            }
        }
        if snapshots.is_empty() {
            return;
        }
        let dir = self.inner.store.librqbit_dir();
        let result = tokio::task::spawn_blocking(move || {
            for (hash, bytes) in snapshots {
                let path = dir.join(format!("{hash}.bitv"));
                if let Err(e) = write_in_place(&path, &bytes) {
                    warn!(%hash, "cannot save resume data: {e}");
                }
            }
        })
        .await;
        if let Err(e) = result {
            warn!("cannot save resume data: {e}");
        }
    }

    /// Once a second: notes completions, applies the seeding policy and keeps
    /// each torrent running or stopped as its record says.
    pub(super) fn spawn_ticker(&self) {
        let weak = Arc::downgrade(&self.inner);
        let token = self.inner.shutdown.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = interval.tick() => {}
                }
                let Some(inner) = weak.upgrade() else { return };
                let engine = Engine { inner };
                ticks += 1;
                let mut dirty = engine.tick().await;
                dirty |= engine.inner.needs_save.swap(false, Ordering::Relaxed);
                if ticks.is_multiple_of(30) {
                    dirty |= engine.account_uploads();
                }
                if ticks.is_multiple_of(2) {
                    engine.save_resume_data(true).await;
                }
                if dirty {
                    engine.persist().await;
                }
            }
        });
    }

    pub(super) async fn tick(&self) -> bool {
        let mut dirty = false;
        let mut to_pause = Vec::new();
        let mut to_resume = Vec::new();
        let mut to_select = Vec::new();
        let seeding = self.settings().seeding;
        {
            let mut map = self.lock();
            for (hash, entry) in map.iter_mut() {
                let Some(handle) = &entry.handle else {
                    continue;
                };
                if entry.selection_pending {
                    to_select.push((*hash, handle.clone()));
                }
                let stats = handle.stats();
                if stats.finished && entry.record.completed_at.is_none() {
                    entry.record.completed_at = Some(now());
                    dirty = true;
                }
                let want_running = {
                    let done = stats.finished && !seeding;
                    !entry.record.paused && !done
                };
                match stats.state {
                    TorrentStatsState::Live if !want_running => to_pause.push(handle.clone()),
                    TorrentStatsState::Paused if want_running => to_resume.push(handle.clone()),
                    _ => {}
                }
            }
        }
        for handle in to_pause {
            if let Err(e) = self.inner.session.pause(&handle).await {
                debug!("pause after completion: {e:#}");
            }
        }
        for handle in to_resume {
            if let Err(e) = self.inner.session.unpause(&handle).await {
                debug!("resume: {e:#}");
            }
        }
        for (hash, handle) in to_select {
            if let Err(e) = self.apply_selection(&hash, &handle).await {
                warn!(%hash, "{e}");
            }
        }
        dirty
    }
}

/// Overwrites `path` with `bytes` without replacing the file (see `save_resume_data`).
fn write_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    if file.metadata()?.len() > bytes.len() as u64 {
        file.set_len(bytes.len() as u64)?;
    }
    file.write_all(bytes)?;
    file.sync_data()
}
