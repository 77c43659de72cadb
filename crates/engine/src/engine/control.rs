//! Start, stop, file selection, delete and shutdown.

use super::*;

impl Engine {
    pub(super) fn entry_handle(&self, hash: &InfoHash) -> Result<Option<Handle>> {
        let map = self.lock();
        let entry = map
            .get(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        Ok(entry.handle.clone())
    }

    /// Starts (resumes) a torrent. Starting a running torrent changes nothing.
    pub async fn start_torrent(&self, hash: &InfoHash) -> Result<Torrent> {
        let (handle, needs_resolver) = {
            let mut map = self.lock();
            let entry = map
                .get_mut(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            entry.record_mut().paused = false;
            // A moving torrent goes back to librqbit, running, when its move ends.
            let needs_resolver = entry.handle.is_none()
                && entry.resolver.is_none()
                && !entry.moving
                && !entry.restoring
                && !entry.record().dormant;
            if needs_resolver {
                entry.error = None;
            }
            // Starting a failed torrent retries it now; a new failure backs off anew.
            entry.retry = None;
            (entry.handle.clone(), needs_resolver)
        };
        if needs_resolver && let Some(record) = self.record(hash) {
            // Its .torrent if it is saved (an add that failed, at start-up say),
            // else its magnet's metadata.
            self.restore(*hash, record).await;
        }
        // The queue may hold it back: then it is `queued`, and runs when a slot frees.
        self.apply_queue(&self.settings(), tokio::time::Instant::now());
        // A sequential torrent's order stream is in place before it asks for pieces.
        self.steer_sequential().await;
        let queued = self.lock().get(hash).is_some_and(|e| e.queued);
        if let Some(handle) = handle.filter(|_| !queued) {
            let finished_and_done = handle.stats().finished && !self.settings().seeding;
            let failed = matches!(handle.stats().state, TorrentStatsState::Error);
            if (handle.is_paused() || failed)
                && !finished_and_done
                && let Err(e) = self.inner.session.unpause(&handle).await
            {
                // A stop during the initial check can race with it going live:
                // a torrent that is running now is what the user asked for.
                let running = matches!(
                    handle.stats().state,
                    TorrentStatsState::Live | TorrentStatsState::Initializing { .. }
                );
                if !running {
                    return Err(EngineError::internal(
                        "cannot start the torrent",
                        format!("{e:#}"),
                    ));
                }
            }
        }
        self.persist().await;
        self.get(hash)
    }

    /// Stops (pauses) a torrent, keeping all verified data.
    pub async fn stop_torrent(&self, hash: &InfoHash) -> Result<Torrent> {
        // librqbit's counters of this run end with it: count them first.
        self.account_transfers();
        let handle = {
            let mut map = self.lock();
            let entry = map
                .get_mut(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            entry.record_mut().paused = true;
            // A stopped torrent is not announced.
            entry.record_mut().dormant = false;
            if let Some(task) = entry.resolver.take() {
                task.abort();
            }
            if entry.handle.is_none() {
                // The metadata lookup has stopped, and its failure with it; a start retries.
                entry.error = None;
            }
            entry.handle.clone()
        };
        self.stop_announcing(hash);
        if let Some(handle) = handle
            && !handle.is_paused()
            && let Err(e) = self.inner.session.pause(&handle).await
        {
            debug!(%hash, "pause: {e:#}");
        }
        // Its running and seeding spans end now, not at the next tick.
        self.account_transfers();
        // Its slot in the queue goes to the next torrent now.
        self.tick().await;
        self.persist().await;
        self.get(hash)
    }

    /// Moves a torrent among the queued or running incomplete torrents.
    pub async fn move_in_queue(&self, hash: &InfoHash, movement: QueueMove) -> Result<Torrent> {
        {
            let mut map = self.lock();
            let mut listed: Vec<(u32, InfoHash)> = map
                .iter()
                .filter_map(|(h, e)| e.queue_position.map(|p| (p, *h)))
                .collect();
            listed.sort_unstable();
            let Some(index) = listed.iter().position(|(_, h)| h == hash) else {
                return Err(match map.contains_key(hash) {
                    true => EngineError::Conflict(
                        "only a queued or running incomplete torrent has a place in the queue"
                            .into(),
                    ),
                    false => EngineError::NotFound(hash.to_hex()),
                });
            };
            let orders: Vec<u64> = listed
                .iter()
                .map(|(_, h)| map.get(h).map_or(0, |e| e.record().queue_order))
                .collect();
            let moved = crate::queue::reorder(&orders, index, movement);
            for ((_, h), order) in listed.iter().zip(moved) {
                if let Some(entry) = map.get_mut(h) {
                    entry.record_mut().queue_order = order;
                }
            }
        }
        self.tick().await;
        self.persist().await;
        self.get(hash)
    }

    /// Chooses the files to download. Before the metadata is known the choice is
    /// kept and applied when it arrives.
    pub async fn select_files(&self, hash: &InfoHash, selected: Vec<usize>) -> Result<Torrent> {
        self.wake(hash).await?;
        let selected = normalize_selection(selected);
        let Some(handle) = self.entry_handle(hash)? else {
            if let Some(entry) = self.lock().get_mut(hash) {
                entry.record_mut().selected = Some(selected);
            }
            self.persist().await;
            return self.get(hash);
        };
        let count = handle
            .with_metadata(|m| m.file_infos.len())
            .map_err(|_| EngineError::MetadataPending)?;
        check_selection(&selected, count)?;
        if let Some(entry) = self.lock().get_mut(hash) {
            entry.record_mut().selected = if selected.len() == count {
                None
            } else {
                Some(selected.clone())
            };
            entry.selection_pending = true;
        }
        self.apply_selection(hash, &handle).await?;
        self.persist().await;
        self.get(hash)
    }

    /// Hands the recorded file selection to librqbit. It refuses while the torrent
    /// checks its data; the ticker then retries until it is accepted.
    pub(super) async fn apply_selection(&self, hash: &InfoHash, handle: &Handle) -> Result<()> {
        if matches!(handle.stats().state, TorrentStatsState::Initializing { .. }) {
            return Ok(());
        }
        let Some(selected) = self.lock().get(hash).map(|e| e.record().selected.clone()) else {
            return Ok(());
        };
        let count = handle
            .with_metadata(|m| m.file_infos.len())
            .map_err(|_| EngineError::MetadataPending)?;
        let set: HashSet<usize> = selected
            .unwrap_or_else(|| (0..count).collect())
            .into_iter()
            .collect();
        self.inner
            .session
            .update_only_files(handle, &set)
            .await
            .map_err(|e| {
                EngineError::internal("cannot change the file selection", format!("{e:#}"))
            })?;
        if let Some(entry) = self.lock().get_mut(hash) {
            entry.selection_pending = false;
            // More files to fetch: the torrent is no longer complete.
            if !handle.stats().finished {
                entry.record_mut().completed_at = None;
            }
        }
        Ok(())
    }

    /// Changes a torrent's own options (seeding limits, force start). A force start
    /// starts it and keeps it running past its seeding limits.
    pub async fn update_torrent(&self, hash: &InfoHash, update: TorrentUpdate) -> Result<Torrent> {
        self.wake(hash).await?;
        for (key, limit) in [
            ("downloadLimit", update.download_limit),
            ("uploadLimit", update.upload_limit),
        ] {
            check_speed_limit(key, limit)?;
        }
        if let Some(ratio) = update.seed_ratio_limit {
            crate::TorrentSeedLimits {
                ratio,
                ..Default::default()
            }
            .check()
            .map_err(EngineError::InvalidValue)?;
        }
        let display_name = update.name.clone().map(check_display_name).transpose()?;
        // Category, tags and save path next: a refused move changes nothing else.
        if update.category.is_some() || update.tags.is_some() || update.save_path.is_some() {
            self.organise(hash, &update).await?;
        }
        let mut readd = false;
        {
            let mut map = self.lock();
            let entry = map
                .get_mut(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            let mut limits = entry.record().seed_limits;
            if let Some(ratio) = update.seed_ratio_limit {
                limits.ratio = ratio;
            }
            if let Some(minutes) = update.seed_time_limit {
                limits.seeding_minutes = minutes;
            }
            if let Some(minutes) = update.seed_idle_limit {
                limits.idle_minutes = minutes;
            }
            let record = entry.record_mut();
            record.seed_limits = limits.normalized();
            if let Some(name) = display_name {
                record.display_name = name;
            }
            match update.force_start {
                Some(true) => {
                    record.force_start = true;
                    record.paused = false;
                    record.seed_limit_reached = false;
                }
                Some(false) => record.force_start = false,
                None => {}
            }
            if let Some(sequential) = update.sequential {
                record.sequential = sequential;
            }
            if let Some(edges) = update.first_last_pieces_first {
                record.first_last_pieces_first = edges;
            }
            let limits = (
                update.download_limit.unwrap_or(record.download_limit),
                update.upload_limit.unwrap_or(record.upload_limit),
            );
            if limits != (record.download_limit, record.upload_limit) {
                (record.download_limit, record.upload_limit) = limits;
                readd = entry.handle.is_some();
            }
        }
        // A moving torrent is handed back to librqbit with its new limits.
        if readd && !self.lock().get(hash).is_some_and(|e| e.moving) {
            self.readd(hash).await?;
        }
        if update.force_start == Some(true) {
            // Starting also retries a failed torrent or a magnet's metadata.
            return self.start_torrent(hash).await;
        }
        self.steer_sequential().await;
        self.tick().await;
        self.persist().await;
        self.get(hash)
    }

    /// Hands a torrent to librqbit again with the options of its record (librqbit
    /// fixes a torrent's speed limits when it is added). What it holds is kept: its
    /// verified pieces are written where librqbit's fast resume reads them, so it
    /// checks a sample, not everything, and downloads nothing again.
    pub(super) async fn readd(&self, hash: &InfoHash) -> Result<()> {
        self.take_from_session(hash, true).await?;
        self.give_to_session(hash).await;
        Ok(())
    }

    /// Checks all of a torrent's data again, as after an outside change to its files:
    /// its verified pieces are forgotten, librqbit reads every piece when it takes the
    /// torrent back, and what is missing or damaged is downloaded again. A conflict
    /// while its data moves; its metadata must be known.
    pub async fn recheck(&self, hash: &InfoHash) -> Result<Torrent> {
        self.wake(hash).await?;
        {
            let map = self.lock();
            let entry = map
                .get(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            if entry.moving {
                return Err(EngineError::Conflict(
                    "its data is moving; check it when the move has ended".into(),
                ));
            }
        }
        if self.inner.store.read_torrent(hash).is_none() {
            return Err(EngineError::MetadataPending);
        }
        self.take_from_session(hash, false).await?;
        match std::fs::remove_file(self.inner.store.resume_file(hash)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => warn!(%hash, "cannot forget the resume data: {}", e.kind()),
        }
        self.give_to_session(hash).await;
        self.persist().await;
        self.get(hash)
    }

    /// Takes a torrent from librqbit (the first half of [`Engine::readd`]; a move of
    /// its data goes between), keeping its verified pieces as fast-resume data when
    /// `keep_pieces`.
    pub(super) async fn take_from_session(&self, hash: &InfoHash, keep_pieces: bool) -> Result<()> {
        // librqbit's counters of this run end with it.
        self.account_transfers_of(|h, _| h == hash);
        let haves = self.verified_pieces(hash).filter(|_| keep_pieces);
        let held = self.get(hash).ok().map(|t| view::Held::of(&t, keep_pieces));
        if let Some(entry) = self.lock().get_mut(hash) {
            entry.held = held;
            entry.quiet = false;
            entry.handle = None;
            entry.order_streams.clear();
            entry.seen = Default::default();
        }
        self.inner
            .session
            .delete(TorrentIdOrHash::Hash(id20(hash)), false)
            .await
            .map_err(|e| EngineError::internal("cannot change the torrent", format!("{e:#}")))?;
        if let Some((bits, _)) = haves
            && !self.write_resume_data(vec![(*hash, bits)]).await
        {
            warn!(%hash, "cannot keep the resume data: the torrent checks its data again");
        }
        Ok(())
    }

    /// Hands a torrent taken by [`Engine::take_from_session`] back to librqbit,
    /// with its record as it is now. A failure is the torrent's error.
    pub(super) async fn give_to_session(&self, hash: &InfoHash) {
        let (Some(bytes), Some(record)) = (self.inner.store.read_torrent(hash), self.record(hash))
        else {
            self.set_error(hash, "the torrent's .torrent is missing".into());
            return;
        };
        let result = self
            .add_to_session(hash, AddTorrent::from_bytes(Bytes::from(bytes)), &record)
            .await;
        let mut map = self.lock();
        if let Some(entry) = map.get_mut(hash) {
            match result {
                Ok(handle) => {
                    entry.handle = Some(handle);
                    entry.resume_saved = 0;
                }
                Err(e) => entry.error = Some(e.to_string()),
            }
        }
    }

    /// Removes a torrent, and its files when `delete_files`.
    pub async fn delete(&self, hash: &InfoHash, delete_files: bool) -> Result<()> {
        self.remove(hash, delete_files).await?;
        // Its slot in the queue goes to the next torrent now.
        self.tick().await;
        Ok(())
    }

    /// [`Engine::delete`] without the queue's turn (the ticker itself removes
    /// torrents at their seeding limit).
    pub(super) async fn remove(&self, hash: &InfoHash, delete_files: bool) -> Result<()> {
        // librqbit deletes the files; a dormant torrent kept as data needs nothing of it.
        if delete_files || self.is_dormant(hash) != Some(true) {
            self.wake(hash).await?;
        }
        if self.lock().get(hash).is_some_and(|e| e.moving) {
            return Err(EngineError::Conflict(
                "its data is moving; remove it when the move has ended".into(),
            ));
        }
        let view = self.get(hash)?;
        self.stop_announcing(hash);
        let entry = self
            .lock()
            .remove(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        if let Some(task) = &entry.resolver {
            task.abort();
        }
        self.inner.store.remove_torrent(hash);
        self.persist().await;
        self.announce_view(TorrentEventKind::Removed, view);
        if entry.handle.is_some() {
            self.inner
                .session
                .delete(TorrentIdOrHash::Hash(id20(hash)), delete_files)
                .await
                .map_err(|e| {
                    EngineError::internal(
                        "the torrent was removed but its files were not",
                        format!("{e:#}"),
                    )
                })?;
            self.inner.folders.remove(id20(hash));
        } else if entry.record().dormant {
            // librqbit removes the resume data of the torrents it holds only.
            let _ = std::fs::remove_file(self.inner.store.resume_file(hash));
        }
        Ok(())
    }

    /// Totals of all torrents.
    pub fn totals(&self) -> EngineTotals {
        let s = self.inner.session.stats_snapshot();
        EngineTotals {
            download_rate: bytes_per_second(s.download_speed.mbps),
            upload_rate: bytes_per_second(s.upload_speed.mbps),
            downloaded: s.counters.fetched_bytes,
            uploaded: s.counters.uploaded_bytes,
        }
    }

    /// Saves the state and stops every torrent's network activity.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        self.account_transfers();
        self.persist().await;
        self.write_heartbeat().await;
        self.inner.session.stop().await;
        self.save_resume_data(false).await;
        info!("engine stopped");
    }
}

/// The longest name a torrent may be given, in bytes.
const NAME_MAX: usize = 1024;

/// The name a torrent is given to be shown by, checked: trimmed, `None` (its own
/// name) when empty, refused when longer than [`NAME_MAX`] or holding a control
/// character (it reaches event programs' arguments and logs).
pub(super) fn check_display_name(name: Option<String>) -> Result<Option<String>> {
    let Some(name) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()) else {
        return Ok(None);
    };
    if name.len() > NAME_MAX {
        return Err(EngineError::InvalidValue(format!(
            "name: {} bytes, more than {NAME_MAX}",
            name.len()
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(EngineError::InvalidValue(
            "name: a control character (a line break, a tab...) cannot be part of it".into(),
        ));
    }
    Ok(Some(name))
}

/// A torrent's speed limit fits librqbit's limiter (32 bits of bytes per second).
pub fn check_speed_limit(key: &str, limit: Option<u64>) -> Result<()> {
    match limit {
        Some(n) if n > u64::from(u32::MAX) => Err(EngineError::InvalidValue(format!(
            "{key} {n}: use bytes per second up to {}, or 0 for none",
            u32::MAX
        ))),
        _ => Ok(()),
    }
}
