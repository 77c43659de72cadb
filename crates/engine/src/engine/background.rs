//! Background work: the state file, upload accounting, resume data and the ticker.

use super::*;

/// The wait before the first automatic restart of a failed torrent; doubled at each failure.
const RETRY_FIRST: Duration = Duration::from_secs(2);
/// The longest wait between two automatic restarts.
const RETRY_MAX: Duration = Duration::from_secs(300);
/// Ticks (seconds) between two saves of changed lifetime counters.
const COUNTERS_SAVE_TICKS: u64 = 5;
/// A quiet torrent (see `Entry::quiet`) is looked at every this many ticks.
const QUIET_EVERY: u64 = 10;
/// A full disk is retried early once this much room (or what the torrent still
/// lacks, if less) has been freed in the download folder.
const RETRY_ROOM: u64 = 16 * 1024 * 1024;

/// Automatic restarts of a torrent that librqbit stopped with an error (a full
/// disk, a folder that went away) while the user wants it running.
///
/// A restart re-checks the torrent's data, so restarts are spaced out: 2 s after
/// the failure, then twice as long each time, at most 5 minutes apart. A full disk
/// is retried as soon as the download folder has room again. Once the torrent holds
/// more verified data than when it failed, the backoff starts over.
#[derive(Debug)]
pub(super) struct Retry {
    /// Restarts so far.
    restarts: u32,
    next_at: tokio::time::Instant,
    /// Verified bytes when it failed.
    progress: u64,
    /// For a full disk: the least free space seen in the download folder since it failed.
    free_low: Option<u64>,
}

impl Retry {
    fn new(progress: u64, now: tokio::time::Instant) -> Self {
        Retry {
            restarts: 0,
            next_at: now + RETRY_FIRST,
            progress,
            free_low: None,
        }
    }

    /// Whether to restart now. `free` is the download folder's free space when the
    /// torrent failed for lack of it; `room` is how much freed space is worth a try.
    fn due(&mut self, now: tokio::time::Instant, free: Option<u64>, room: u64) -> bool {
        if now >= self.next_at {
            return true;
        }
        let Some(free) = free else { return false };
        match self.free_low {
            Some(low) if free >= low.saturating_add(room) => true,
            Some(low) if free >= low => false,
            _ => {
                self.free_low = Some(free);
                false
            }
        }
    }

    fn restarted(&mut self, now: tokio::time::Instant) {
        self.restarts = self.restarts.saturating_add(1);
        let wait = RETRY_FIRST.saturating_mul(1 << self.restarts.min(16));
        self.next_at = now + wait.min(RETRY_MAX);
        self.free_low = None;
    }
}

/// Free bytes for unprivileged users in the file system holding `dir`.
#[cfg(unix)]
fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

impl Engine {
    /// Writes the state file (atomically). Failures are logged: the in-memory state
    /// stays right and the next save retries.
    ///
    /// Callers change the map first, then call this. Concurrent callers share writes
    /// (group commit): a write that starts after a change was made covers it, so each
    /// caller still returns only once its change is on disk.
    pub(super) async fn persist(&self) {
        let mine = self.inner.changes.fetch_add(1, Ordering::SeqCst) + 1;
        let _guard = self.inner.save_lock.lock().await;
        if self.inner.saved.load(Ordering::SeqCst) >= mine {
            return;
        }
        // Every change counted up to here was made before this snapshot is taken.
        let covers = self.inner.changes.load(Ordering::SeqCst);
        let (changes, taken) = {
            let mut map = self.lock();
            // The records changed since the last save (a flag each: no record is
            // serialized here unless it changed).
            let taken: Vec<InfoHash> = map
                .iter_mut()
                .filter_map(|(h, e)| e.take_dirty().then_some(*h))
                .collect();
            let (categories, tags) = self.organisation_snapshot();
            let changes = self.inner.store.changes(
                taken
                    .iter()
                    .filter_map(|h| map.get_key_value(h).map(|(h, e)| (h, e.record()))),
                |h| map.contains_key(h),
                map.len(),
                categories,
                tags,
            );
            (changes, taken)
        };
        if changes.is_empty() {
            self.inner.saved.fetch_max(covers, Ordering::SeqCst);
            return;
        }
        let store = self.inner.store.clone();
        let written = tokio::task::spawn_blocking(move || store.write(changes)).await;
        match written {
            Ok(Ok(())) => {
                self.inner.saved.fetch_max(covers, Ordering::SeqCst);
                return;
            }
            Ok(Err(e)) => warn!("cannot save the torrents' state: {e}"),
            Err(e) => warn!("cannot save the torrents' state: {e}"),
        }
        // Not saved: the next save tries these records again.
        let mut map = self.lock();
        for hash in taken {
            if let Some(entry) = map.get_mut(&hash) {
                entry.mark_dirty();
            }
        }
    }

    /// Notes in the state database that the engine runs now: after a crash, the
    /// running and seeding times end there.
    pub(super) async fn write_heartbeat(&self) {
        let store = self.inner.store.clone();
        let written = tokio::task::spawn_blocking(move || store.write_heartbeat(now())).await;
        if let Ok(Err(e)) = written {
            warn!("cannot note the time in the state database: {e}");
        }
    }

    /// Moves what librqbit counted since the last call into each torrent's
    /// lifetime counters, and begins or ends their running and seeding spans (see
    /// `counters.rs`). Returns whether any counter changed.
    pub(super) fn account_transfers(&self) -> bool {
        self.account_transfers_of(|_, _| true)
    }

    /// [`Engine::account_transfers`] of the torrents `due` names.
    pub(super) fn account_transfers_of(&self, due: impl Fn(&InfoHash, &Entry) -> bool) -> bool {
        let now = now();
        let ticks = self.inner.ticks.load(Ordering::Relaxed);
        let mut changed = false;
        for (hash, entry) in self.lock().iter_mut() {
            if !due(hash, entry) {
                continue;
            }
            let stats = entry.handle.as_ref().map(|h| h.stats());
            if entry.account(stats.as_ref(), now) {
                changed = true;
                entry.still_since = ticks;
            }
        }
        changed
    }

    /// Leaves the time from `from` to `to`, when the process was suspended, out of
    /// every torrent's running and seeding times.
    fn skip_time(&self, from: OffsetDateTime, to: OffsetDateTime) {
        let ticks = self.inner.ticks.load(Ordering::Relaxed);
        for entry in self.lock().values_mut() {
            entry.skip_time(from, to);
            entry.still_since = ticks;
        }
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
                if let Some((bits, _)) = self.verified_pieces(hash) {
                    entry.resume_saved = verified;
                    snapshots.push((*hash, bits));
                }
            }
        }
        self.write_resume_data(snapshots).await;
    }

    /// Writes verified-pieces bitfields where librqbit's fast resume reads them.
    /// Returns whether every one was written.
    pub(super) async fn write_resume_data(&self, snapshots: Vec<(InfoHash, Vec<u8>)>) -> bool {
        if snapshots.is_empty() {
            return true;
        }
        let store = self.inner.store.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut all = true;
            for (hash, bytes) in snapshots {
                if let Err(e) = write_in_place(&store.resume_file(&hash), &bytes) {
                    warn!(%hash, "cannot save resume data: {e}");
                    all = false;
                }
            }
            all
        })
        .await;
        result.unwrap_or_else(|e| {
            warn!("cannot save resume data: {e}");
            false
        })
    }

    /// The torrent's verified pieces as librqbit holds them (one bit per piece,
    /// BitTorrent's order, see [`has_piece`]) and the piece count; `None` while it
    /// has no metadata or checks its data.
    pub(super) fn verified_pieces(&self, hash: &InfoHash) -> Option<(Vec<u8>, u32)> {
        librqbit::Api::new(self.inner.session.clone(), None)
            .api_dump_haves(TorrentIdOrHash::Hash(id20(hash)))
            .ok()
            .map(|(bits, count)| (bits.as_raw_slice().to_vec(), count))
    }

    /// Once a second: notes completions, applies the seeding policy and keeps
    /// each torrent running or stopped as its record says.
    pub(super) fn spawn_ticker(&self) {
        let weak = Arc::downgrade(&self.inner);
        let token = self.inner.shutdown.clone();
        let tick_now = self.inner.tick_now.clone();
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(Duration::from_secs(1));
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut ticks: u64 = 0;
            let suspensions = suspension::SuspensionWatch::start();
            let mut counters_changed = false;
            loop {
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = interval.tick() => {}
                    // A download finished: its turn now.
                    _ = tick_now.notified() => {}
                }
                let Some(inner) = weak.upgrade() else { return };
                let engine = Engine { inner };
                ticks += 1;
                // A process stopped for a while (suspended, debugged) was not seeding.
                for (from, to) in suspensions.take() {
                    engine.skip_time(from, to);
                }
                engine.inner.ticks.store(ticks, Ordering::Relaxed);
                counters_changed |=
                    engine.account_transfers_of(|hash, entry| due(hash, entry, ticks));
                engine.steer_sequential().await;
                let mut dirty = engine.tick().await;
                dirty |= engine.inner.needs_save.swap(false, Ordering::Relaxed);
                // Counters reach the disk every few seconds: a crash loses no more.
                if ticks.is_multiple_of(COUNTERS_SAVE_TICKS) {
                    dirty |= std::mem::take(&mut counters_changed);
                    engine.write_heartbeat().await;
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

    /// Decides which torrents the queue holds back (`Entry::queued`) and their
    /// queue positions; the rest of the tick pauses and resumes them accordingly.
    pub(super) fn apply_queue(&self, live: &LiveSettings, now: tokio::time::Instant) {
        let limits = &live.queue;
        let mut map = self.lock();
        let mut hashes = Vec::new();
        let mut candidates = Vec::new();
        for (hash, entry) in map.iter_mut() {
            entry.queue_position = None;
            let Some(handle) = &entry.handle else {
                entry.queued = false;
                continue;
            };
            // Without the queue, a quiet torrent (complete or stopped) has no place
            // and is held back by nothing: no need to ask librqbit.
            if !limits.enabled && entry.quiet {
                entry.queued = false;
                continue;
            }
            let stats = handle.stats();
            let slow_now = matches!(stats.state, TorrentStatsState::Live)
                && limits.slow.is_some_and(|rule| {
                    let (down, up) = stats.live.as_ref().map_or((0, 0), |l| {
                        (
                            bytes_per_second(l.download_speed.mbps),
                            bytes_per_second(l.upload_speed.mbps),
                        )
                    });
                    down < rule.download_rate && up < rule.upload_rate
                });
            entry.slow_since = slow_now.then(|| entry.slow_since.unwrap_or(now));
            let done = stats.finished && !live.seeding;
            let wants_to_run =
                !entry.record().paused && !done && !matches!(stats.state, TorrentStatsState::Error);
            if !wants_to_run {
                entry.queued = false;
                continue;
            }
            let slow = match (limits.slow, entry.slow_since) {
                (Some(rule), Some(since)) => now.duration_since(since) >= rule.after,
                _ => false,
            };
            hashes.push(*hash);
            candidates.push(crate::queue::Candidate {
                order: entry.record().queue_order,
                complete: stats.finished,
                forced: entry.record().force_start,
                slow,
            });
        }
        let admitted = crate::queue::admit(limits, &candidates);
        let mut incomplete: Vec<(u64, InfoHash)> = Vec::new();
        for ((hash, candidate), admitted) in hashes.iter().zip(&candidates).zip(admitted) {
            if let Some(entry) = map.get_mut(hash) {
                entry.queued = !admitted;
            }
            if !candidate.complete {
                incomplete.push((candidate.order, *hash));
            }
        }
        incomplete.sort_unstable();
        for (place, (_, hash)) in incomplete.iter().enumerate() {
            if let Some(entry) = map.get_mut(hash) {
                entry.queue_position = u32::try_from(place + 1).ok();
            }
        }
    }

    /// Quiet torrents are looked at in their turn only (see `Entry::quiet`).
    pub(super) async fn tick(&self) -> bool {
        let ticks = self.inner.ticks.load(Ordering::Relaxed);
        let mut dirty = false;
        let mut to_pause = Vec::new();
        let mut to_resume = Vec::new();
        let mut to_select = Vec::new();
        let mut to_restart = Vec::new();
        let mut reached = SeedLimitsReached::default();
        let mut to_doze = Vec::new();
        let mut due = announce::Announcements::default();
        let live = self.settings();
        let seeding = live.seeding;
        let wall_clock = now();
        let instant = tokio::time::Instant::now();
        self.apply_queue(&live, instant);
        self.finish_downloads();
        // The download folder's free space, read once a tick and only for a full disk.
        let mut free: Option<Option<u64>> = None;
        let category_limits = self.category_seed_limits();
        {
            let mut map = self.lock();
            for (hash, entry) in map.iter_mut() {
                if !self::due(hash, entry, ticks) {
                    continue;
                }
                let Some(handle) = entry.handle.clone() else {
                    dirty |= Engine::note_changes(hash, entry, None, &mut due);
                    // A dormant torrent seeds: its limits apply as to any other.
                    if entry.record().dormant && seeding && !entry.record().force_start {
                        let counters = entry.record().counters.clone();
                        let verified = entry.held.as_ref().map_or(0, view::Held::completed);
                        dirty |= apply_seed_limits(
                            (hash, entry),
                            (&counters, verified),
                            (&live, &category_limits),
                            wall_clock,
                            &mut reached,
                        );
                    }
                    continue;
                };
                if entry.selection_pending {
                    to_select.push((*hash, handle.clone()));
                }
                let stats = handle.stats();
                Engine::watch_completion(entry, &handle, stats.finished, &self.inner.tick_now);
                dirty |= Engine::note_changes(hash, entry, Some(&stats), &mut due);
                if stats.finished && entry.record().completed_at.is_none() {
                    entry.record_mut().completed_at = Some(now());
                    dirty = true;
                }
                if stats.finished
                    && !entry.record().paused
                    && !entry.record().force_start
                    && matches!(stats.state, TorrentStatsState::Live)
                {
                    let counters = entry.record().counters.with_unseen(&entry.seen, &stats);
                    dirty |= apply_seed_limits(
                        (hash, entry),
                        (&counters, stats.progress_bytes),
                        (&live, &category_limits),
                        wall_clock,
                        &mut reached,
                    );
                }
                let want_running = {
                    let done = stats.finished && !seeding;
                    !entry.record().paused && !done && !entry.queued
                };
                match stats.state {
                    TorrentStatsState::Live if !want_running => to_pause.push(handle.clone()),
                    TorrentStatsState::Paused if want_running => to_resume.push(handle.clone()),
                    TorrentStatsState::Error if want_running => {
                        let disk_full = stats
                            .error
                            .as_deref()
                            .is_some_and(crate::sanitize::is_disk_full);
                        let free = match disk_full {
                            true => *free
                                .get_or_insert_with(|| free_bytes(&self.inner.config.download_dir)),
                            false => None,
                        };
                        let room = stats
                            .total_bytes
                            .saturating_sub(entry.progress_seen)
                            .clamp(256 * 1024, RETRY_ROOM);
                        let progress = entry.progress_seen;
                        let retry = entry
                            .retry
                            .get_or_insert_with(|| Retry::new(progress, instant));
                        if retry.due(instant, free, room) {
                            retry.restarted(instant);
                            to_restart.push((*hash, handle.clone()));
                        }
                    }
                    _ => {}
                }
                if matches!(
                    stats.state,
                    TorrentStatsState::Live | TorrentStatsState::Paused
                ) {
                    entry.progress_seen = stats.progress_bytes;
                }
                if matches!(stats.state, TorrentStatsState::Live)
                    && entry
                        .retry
                        .as_ref()
                        .is_some_and(|r| stats.progress_bytes > r.progress)
                {
                    // The restart worked: a later failure starts a new backoff.
                    entry.retry = None;
                }
                let quiet = is_quiet(entry, &stats, want_running);
                if quiet && !entry.quiet {
                    entry.still_since = ticks;
                }
                entry.quiet = quiet;
                // Seeding with no peer for long enough: out of librqbit (see `dormant.rs`).
                let idle_seed = want_running && dormant::seeding_with_no_peer(&stats);
                if self.idle_long_enough(entry, idle_seed) {
                    to_doze.push(*hash);
                }
            }
        }
        // Announced as they are now: stopped, or about to be removed.
        for hash in &reached.done {
            self.announce(crate::TorrentEventKind::SeedingDone, hash);
        }
        for hash in &reached.stopped_dormant {
            self.stop_announcing(hash);
        }
        self.doze_later(to_doze);
        for (hash, with_files) in reached.remove {
            if let Err(e) = self.remove(&hash, with_files).await {
                warn!(%hash, "cannot remove the torrent at its seeding limit: {e}");
            }
        }
        for (hash, handle) in to_restart {
            info!(%hash, "restarting the torrent after an error");
            if let Err(e) = self.inner.session.unpause(&handle).await {
                warn!(%hash, "cannot restart the torrent: {}", crate::sanitize::strip_paths(&format!("{e:#}")));
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
        self.announce_due(due);
        dirty
    }
}

/// The torrents a tick found at a seeding limit (see [`apply_seed_limits`]).
#[derive(Default)]
struct SeedLimitsReached {
    /// All of them, to announce.
    done: Vec<InfoHash>,
    /// Those to remove, with their data or not.
    remove: Vec<(InfoHash, bool)>,
    /// Dormant ones stopped, whose announces end.
    stopped_dormant: Vec<InfoHash>,
}

/// Checks a seeding torrent's limits (its own, over its category's, over the
/// global ones) with its counters and verified bytes. A limit that stops it marks
/// its record (stopped, limit reached); one raised since a stop clears the mark.
/// What is reached is noted in `reached`; returns whether the record changed.
fn apply_seed_limits(
    (hash, entry): (&InfoHash, &mut Entry),
    (counters, verified): (&crate::counters::Counters, u64),
    (live, category_limits): (&LiveSettings, &HashMap<String, crate::TorrentSeedLimits>),
    now: OffsetDateTime,
    reached: &mut SeedLimitsReached,
) -> bool {
    let record = entry.record();
    let limits = record.seed_limits.over(
        &record
            .category
            .as_ref()
            .and_then(|c| category_limits.get(c))
            .map_or(live.seed_limits, |c| c.over(&live.seed_limits)),
    );
    let since = record.completed_at.unwrap_or(record.added_at);
    if crate::seeding::limit_reached(&limits, counters, verified, since, now) {
        info!(%hash, action = ?limits.action, "the torrent reached a seeding limit");
        reached.done.push(*hash);
        return match limits.action {
            SeedLimitAction::Stop => {
                if record.dormant {
                    reached.stopped_dormant.push(*hash);
                }
                let record = entry.record_mut();
                record.paused = true;
                record.seed_limit_reached = true;
                record.dormant = false;
                true
            }
            SeedLimitAction::Remove => {
                reached.remove.push((*hash, false));
                false
            }
            SeedLimitAction::RemoveWithData => {
                reached.remove.push((*hash, true));
                false
            }
        };
    }
    let changed = entry.record().seed_limit_reached;
    if changed {
        // Started again with a limit raised since.
        entry.record_mut().seed_limit_reached = false;
    }
    changed
}

/// Whether the ticker looks at a torrent at tick `ticks`: always unless it is quiet,
/// then every [`QUIET_EVERY`] ticks (torrents take turns by info hash).
fn due(hash: &InfoHash, entry: &Entry, ticks: u64) -> bool {
    !entry.quiet || (ticks + u64::from(hash.0[0])).is_multiple_of(QUIET_EVERY)
}

/// Whether a torrent the ticker just looked at has nothing to do until something
/// changes: stopped by the user, or seeding with no peer, with nothing pending.
fn is_quiet(entry: &Entry, stats: &TorrentStats, want_running: bool) -> bool {
    let pending = entry.selection_pending
        || !entry.order_streams.is_empty()
        || entry.retry.is_some()
        || entry.queued
        || entry.held.is_some();
    // Its running and seeding spans are ended first (by the next accounting).
    let counters = &entry.record().counters;
    let stopped = !want_running
        && entry.record().paused
        && matches!(stats.state, TorrentStatsState::Paused)
        && counters.active_since.is_none()
        && counters.seeding_since.is_none();
    let idle_seed = want_running
        && stats.finished
        && matches!(stats.state, TorrentStatsState::Live)
        && counters.seeding_since.is_some()
        && stats.live.as_ref().is_some_and(|l| {
            let peers = &l.snapshot.peer_stats;
            peers.live == 0 && peers.connecting == 0
        });
    !pending && (stopped || idle_seed)
}

/// Whether piece `index` is set in a bitfield of [`Engine::verified_pieces`].
pub(super) fn has_piece(bits: &[u8], index: u32) -> bool {
    bits.get(index as usize / 8)
        .is_some_and(|byte| byte & (0x80 >> (index % 8)) != 0)
}

/// Overwrites `path` with `bytes` without replacing the file (see `save_resume_data`).
fn write_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::{Read, Write};
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    // Already there (the file a restart started from, or librqbit's own write):
    // no write and no sync, which cost 10,000 syncs after each start and at each
    // stop with 10,000 torrents.
    let len = file.metadata()?.len();
    if len == bytes.len() as u64 {
        let mut old = Vec::with_capacity(bytes.len());
        file.read_to_end(&mut old)?;
        if old == bytes {
            return Ok(());
        }
        std::io::Seek::rewind(&mut file)?;
    }
    if len > bytes.len() as u64 {
        file.set_len(bytes.len() as u64)?;
    }
    file.write_all(bytes)?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::{has_piece, write_in_place};

    #[test]
    fn a_bitfield_file_holds_the_last_snapshot_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bitv");
        for bytes in [&[1u8, 2, 3][..], &[4, 5, 6, 7], &[4, 5, 6, 7], &[8], &[9]] {
            write_in_place(&path, bytes).unwrap();
            assert_eq!(std::fs::read(&path).unwrap(), bytes);
        }
    }

    #[test]
    fn piece_bits_are_read_high_bit_first() {
        let bits = [0b1000_0001, 0b0100_0000];
        let set: Vec<u32> = (0..20).filter(|&i| has_piece(&bits, i)).collect();
        assert_eq!(set, [0, 7, 9]);
    }
}
