//! Dormant torrents: a seeding torrent that has had no peer for `dormantAfter`
//! is handed out of librqbit, whose timers cost every torrent it holds CPU and
//! memory whether it has peers or not (about ten wake-ups a second each). While
//! dormant, a torrent stays `seeding` in every view; the engine announces it to its
//! trackers and the DHT itself, with the port of its own listener (see
//! `dormant_listener.rs`), and hands it back to librqbit the moment a peer connects
//! there or a change needs librqbit (a file selection, a check, a stream). Its verified pieces stay on disk as fast-resume data, so it
//! is back in milliseconds, without reading its data again. It stays dormant across
//! a restart (its record says so), so a restart hands librqbit only the torrents
//! that have something to do.

use std::collections::{BTreeSet, HashMap};

use tokio::time::Instant;

use super::*;

/// What the engine keeps for dormant torrents (present when `dormantAfter` is set).
pub(super) struct Dormancy {
    /// How long a seeding torrent has no peer before it is handed out.
    pub(super) after: Duration,
    /// Where peers of dormant torrents connect (the port announced for them).
    pub(super) port: u16,
    /// The peer id of our announces (librqbit keeps its own to itself).
    pub(super) peer_id: [u8; 20],
    /// BEP 7's key, the same for all our announces.
    pub(super) key: u32,
    /// The announces to make, by time.
    pub(super) schedule: std::sync::Mutex<Schedule>,
    /// Wakes the announcer when the schedule gains an earlier announce.
    pub(super) rescheduled: tokio::sync::Notify,
    /// Torrents the ticker found idle long enough, for the doze worker.
    pub(super) to_doze: tokio::sync::mpsc::UnboundedSender<InfoHash>,
}

/// Each dormant torrent's next announce.
#[derive(Default)]
pub(super) struct Schedule {
    pub(super) by_time: BTreeSet<(Instant, InfoHash)>,
    pub(super) of: HashMap<InfoHash, Announcing>,
}

/// Where a dormant torrent's announces stand.
#[derive(Debug, Clone, Copy)]
pub(super) struct Announcing {
    pub(super) next: Instant,
    /// A tracker was told `started` under our peer id (so it is told `stopped`
    /// when the torrent wakes).
    pub(super) started: bool,
    /// Announces in a row that no tracker answered.
    pub(super) failures: u32,
}

impl Schedule {
    /// Announces `hash` at `at` (keeping whether it was started).
    pub(super) fn set(&mut self, hash: InfoHash, at: Instant) {
        let announcing = self.of.entry(hash).or_insert(Announcing {
            next: at,
            started: false,
            failures: 0,
        });
        self.by_time.remove(&(announcing.next, hash));
        announcing.next = at;
        self.by_time.insert((at, hash));
    }

    /// Forgets `hash`; returns where its announces stood.
    pub(super) fn remove(&mut self, hash: &InfoHash) -> Option<Announcing> {
        let announcing = self.of.remove(hash)?;
        self.by_time.remove(&(announcing.next, *hash));
        Some(announcing)
    }

    /// Takes up to `most` torrents due by `now`.
    pub(super) fn take_due(&mut self, now: Instant, most: usize) -> Vec<InfoHash> {
        let mut due = Vec::new();
        while due.len() < most
            && let Some(&(at, hash)) = self.by_time.first()
            && at <= now
        {
            self.by_time.pop_first();
            due.push(hash);
        }
        due
    }

    /// When the next announce is due.
    pub(super) fn next(&self) -> Option<Instant> {
        self.by_time.first().map(|(at, _)| *at)
    }
}

impl Dormancy {
    pub(super) fn new(
        after: Duration,
        port: u16,
        to_doze: tokio::sync::mpsc::UnboundedSender<InfoHash>,
    ) -> Dormancy {
        let random = random_bytes();
        let mut peer_id = *b"-CT0100-000000000000";
        for (byte, r) in peer_id[8..].iter_mut().zip(random) {
            *byte = b"0123456789abcdefghijklmnopqrstuvwxyz"[usize::from(r) % 36];
        }
        Dormancy {
            after,
            port,
            peer_id,
            key: u32::from_be_bytes([random[12], random[13], random[14], random[15]]),
            schedule: Default::default(),
            rescheduled: tokio::sync::Notify::new(),
            to_doze,
        }
    }

    /// Announces `hash` at `at`.
    pub(super) fn schedule(&self, hash: InfoHash, at: Instant) {
        let earlier = {
            let mut schedule = self.schedule.lock().unwrap_or_else(|p| p.into_inner());
            let before = schedule.next();
            schedule.set(hash, at);
            before.is_none_or(|b| at < b)
        };
        if earlier {
            self.rescheduled.notify_one();
        }
    }
}

/// 16 bytes nobody can guess in advance (for our peer id and key).
fn random_bytes() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    for chunk in bytes.chunks_mut(4) {
        chunk.copy_from_slice(&crate::scrape::transaction_id().to_be_bytes());
    }
    bytes
}

/// Complete and running in librqbit with no peer connected. Peers it is still
/// dialing do not count: a leecher that announced a port it does not listen on
/// would keep it awake for good.
pub(super) fn seeding_with_no_peer(stats: &TorrentStats) -> bool {
    stats.finished
        && matches!(stats.state, TorrentStatsState::Live)
        && stats
            .live
            .as_ref()
            .is_some_and(|l| l.snapshot.peer_stats.live == 0)
}

impl Engine {
    /// Whether a torrent the ticker just found to be an idle seed (seeding with no
    /// peer connected) has been one long enough to be handed out of librqbit.
    /// Notes since when it is idle.
    pub(super) fn idle_long_enough(&self, entry: &mut Entry, idle_seed: bool) -> bool {
        let Some(dormancy) = &self.inner.dormancy else {
            return false;
        };
        if !idle_seed {
            entry.idle_since = None;
            return false;
        }
        let since = *entry.idle_since.get_or_insert_with(Instant::now);
        since.elapsed() >= dormancy.after && !entry.moving && Arc::strong_count(&entry.readers) == 1
    }

    /// Hands the torrents the ticker found idle long enough to the doze worker
    /// (taking a torrent out of librqbit rewrites librqbit's session file, which
    /// the ticker must not wait for).
    pub(super) fn doze_later(&self, hashes: Vec<InfoHash>) {
        if let Some(dormancy) = &self.inner.dormancy {
            for hash in hashes {
                let _ = dormancy.to_doze.send(hash);
            }
        }
    }

    /// Takes the torrents `to_doze` names out of librqbit, one after the other,
    /// saving the state once per batch.
    pub(super) fn spawn_doze_worker(
        &self,
        mut to_doze: tokio::sync::mpsc::UnboundedReceiver<InfoHash>,
    ) {
        let weak = Arc::downgrade(&self.inner);
        let token = self.inner.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let hash = tokio::select! {
                    _ = token.cancelled() => return,
                    hash = to_doze.recv() => match hash {
                        Some(hash) => hash,
                        None => return,
                    },
                };
                let Some(inner) = weak.upgrade() else { return };
                let engine = Engine { inner };
                engine.doze(hash).await;
                while let Ok(hash) = to_doze.try_recv() {
                    if token.is_cancelled() {
                        return;
                    }
                    engine.doze(hash).await;
                }
                engine.persist().await;
            }
        });
    }

    /// Takes one torrent out of librqbit if it is still an idle seed: its counters
    /// are taken in, its verified pieces kept as fast-resume data, and its view
    /// kept to be shown while it is dormant.
    async fn doze(&self, hash: InfoHash) {
        let Some(dormancy) = &self.inner.dormancy else {
            return;
        };
        let _handing = self.inner.handing.lock().await;
        let still_idle = {
            let mut map = self.lock();
            let Some(entry) = map.get_mut(&hash) else {
                return;
            };
            let idle = entry
                .handle
                .as_ref()
                .is_some_and(|handle| seeding_with_no_peer(&handle.stats()));
            let idle = idle
                && !entry.record().paused
                && !entry.moving
                // Not being handed to librqbit anew (a new limit, a move).
                && entry.held.is_none()
                && entry.order_streams.is_empty()
                && Arc::strong_count(&entry.readers) == 1;
            if idle {
                // From now on it shows as dormant (see `view`).
                entry.record_mut().dormant = true;
                // Where its files lie, known while librqbit has it: adds check it.
                entry.top(&self.inner.folders);
            }
            idle
        };
        if !still_idle {
            return;
        }
        if let Err(e) = self.take_from_session(&hash, true).await {
            warn!(%hash, "cannot make the torrent dormant: {e}");
            // It stays in librqbit, or is handed back if librqbit let it go.
            self.wake_dormant(hash).await;
            return;
        }
        let ticks = self.inner.ticks.load(Ordering::Relaxed);
        if let Some(entry) = self.lock().get_mut(&hash) {
            entry.quiet = true;
            entry.still_since = ticks;
            entry.idle_since = None;
        }
        debug!(%hash, "dormant");
        dormancy.schedule(hash, Instant::now());
    }

    /// Hands a torrent back to librqbit now if it is dormant or still being handed
    /// back after the start; a change that needs librqbit to hold the torrent
    /// calls this first.
    pub(super) async fn wake(&self, hash: &InfoHash) -> Result<()> {
        let (dormant, restoring) = {
            let map = self.lock();
            let entry = map
                .get(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            (entry.record().dormant, entry.restoring)
        };
        if restoring {
            self.restore_saved(*hash).await;
        }
        if dormant {
            let _handing = self.inner.handing.lock().await;
            self.wake_dormant(*hash).await;
        }
        Ok(())
    }

    /// [`Engine::wake`] of a dormant torrent, the caller holding `handing`.
    async fn wake_dormant(&self, hash: InfoHash) {
        let still = self
            .lock()
            .get(&hash)
            .is_some_and(|e| e.record().dormant && e.handle.is_none());
        if still {
            self.give_to_session(&hash).await;
        }
        let handle = {
            let mut map = self.lock();
            let Some(entry) = map.get_mut(&hash) else {
                return;
            };
            if !entry.record().dormant {
                return;
            }
            entry.record_mut().dormant = false;
            entry.handle.clone()
        };
        debug!(%hash, "awake");
        self.stop_announcing(&hash);
        // With the queue on librqbit gets it paused: it runs now if the queue lets
        // it, so that the peer that woke it finds it live.
        if let Some(handle) = handle
            && handle.is_paused()
        {
            self.apply_queue(&self.settings(), Instant::now());
            let queued = self.lock().get(&hash).is_none_or(|e| e.queued);
            if !queued && let Err(e) = self.inner.session.unpause(&handle).await {
                debug!(%hash, "resume after waking: {e:#}");
            }
        }
        self.persist().await;
    }

    /// Whether the torrent is dormant (for the listener: a peer naming it wakes it).
    pub(super) fn is_dormant(&self, hash: &InfoHash) -> Option<bool> {
        self.lock().get(hash).map(|e| e.record().dormant)
    }

    /// At start: a torrent saved dormant stays out of librqbit and is shown with
    /// what its .torrent file says (all its selected files complete).
    pub(super) fn keep_dormant(&self, hash: &InfoHash, entry: &mut Entry) -> bool {
        let Some(dormancy) = &self.inner.dormancy else {
            return false;
        };
        let (Some(bytes), Some(folder)) = (
            self.inner.store.read_torrent(hash),
            entry.record().folder.clone(),
        ) else {
            return false;
        };
        let Some(held) = view::Held::from_torrent_file(
            &bytes,
            &self.inner.paths,
            &folder,
            entry.record().selected.as_deref(),
        ) else {
            return false;
        };
        if let Some((_, first, _)) = view::saved_files(&bytes).and_then(|f| f.into_iter().next())
            && let Some(part) = first.components().next()
        {
            entry.set_top(folder.join(part));
        }
        entry.about = Some(Arc::new(crate::bencode::about(&bytes)));
        entry.held = Some(held);
        entry.quiet = true;
        // It seeds from now on (the last run's span ended at its last heartbeat).
        entry.reopen_seeding(now());
        // The first announces of a start are spread over a minute.
        let jitter = Duration::from_millis(u64::from(hash.0[1]) * 60_000 / 256);
        dormancy.schedule(*hash, Instant::now() + jitter);
        true
    }
}
