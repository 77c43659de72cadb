//! The announces of dormant torrents (see `dormant.rs`): to each of the torrent's
//! trackers, under our own peer id and with the dormant torrents' port, at the
//! interval the tracker asks for; and to the DHT when it is on. The peers they
//! answer with are not dialed: a peer that wants the torrent learns our dormant
//! port from them and comes (waking a torrent for every leecher a tracker lists
//! would wake it for stale ones too, and announce it again each time it dozed).
//! One task runs them all, sleeping until the next is due.

use futures::StreamExt;
use tokio::time::Instant;

use super::*;
use crate::tracker_announce::{Announce, AnnounceEvent, announce};

/// The shortest and longest wait between two announces to a tracker.
const MIN_INTERVAL: Duration = Duration::from_secs(60);
const MAX_INTERVAL: Duration = Duration::from_secs(2 * 3600);
/// Between two DHT announces of a torrent with no tracker (librqbit's DHT keeps
/// an announce for 30 minutes).
const DHT_INTERVAL: Duration = Duration::from_secs(15 * 60);
/// How long a DHT announce may take.
const DHT_WINDOW: Duration = Duration::from_secs(30);
/// The wait after an announce no tracker answered; doubled at each failure.
const RETRY_FIRST: Duration = Duration::from_secs(60);
const RETRY_MAX: Duration = Duration::from_secs(30 * 60);
/// Torrents announced at once.
const AT_ONCE: usize = 16;

impl Engine {
    /// Runs the dormant torrents' announces until shutdown.
    pub(super) fn spawn_announcer(&self) {
        let weak = Arc::downgrade(&self.inner);
        let token = self.inner.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let (next, inner) = {
                    let Some(inner) = weak.upgrade() else { return };
                    let Some(dormancy) = &inner.dormancy else {
                        return;
                    };
                    let next = dormancy
                        .schedule
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .next();
                    (next, inner.clone())
                };
                let sleep = match next {
                    Some(at) => tokio::time::sleep_until(at),
                    None => tokio::time::sleep(Duration::from_secs(3600)),
                };
                let Some(dormancy) = &inner.dormancy else {
                    return;
                };
                tokio::select! {
                    _ = token.cancelled() => return,
                    _ = sleep => {}
                    _ = dormancy.rescheduled.notified() => {}
                }
                let due = dormancy
                    .schedule
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .take_due(Instant::now(), 256);
                let engine = Engine { inner };
                futures::stream::iter(due)
                    .for_each_concurrent(AT_ONCE, |hash| {
                        let engine = engine.clone();
                        async move { engine.announce_dormant(hash).await }
                    })
                    .await;
            }
        });
    }

    /// What our announces say of a dormant torrent, to `event`.
    fn announce_of(&self, hash: InfoHash, entry: &Entry, event: AnnounceEvent) -> Option<Announce> {
        let dormancy = self.inner.dormancy.as_ref()?;
        let counters = &entry.record().counters;
        Some(Announce {
            hash,
            peer_id: dormancy.peer_id,
            port: dormancy.port,
            uploaded: counters.uploaded,
            downloaded: counters.downloaded,
            left: 0,
            event,
            key: dormancy.key,
        })
    }

    /// The trackers librqbit would announce a torrent to (none when trackers are off).
    fn trackers_of(&self, entry: &Entry) -> Vec<url::Url> {
        if !self.inner.config.trackers {
            return Vec::new();
        }
        Magnet::parse(&entry.record().magnet)
            .map(|m| m.trackers)
            .unwrap_or_default()
            .iter()
            .filter_map(|t| url::Url::parse(t).ok())
            .collect()
    }

    /// Announces one dormant torrent to its trackers and the DHT, then schedules
    /// its next announce.
    async fn announce_dormant(&self, hash: InfoHash) {
        let Some(dormancy) = &self.inner.dormancy else {
            return;
        };
        if !self.settings().seeding {
            // Complete torrents do not seed: asked again later, in case that changes.
            dormancy.schedule(hash, Instant::now() + MIN_INTERVAL);
            return;
        }
        let started = {
            let mut schedule = dormancy.schedule.lock().unwrap_or_else(|p| p.into_inner());
            match schedule.of.get_mut(&hash) {
                // From now on a wake tells the trackers we stopped.
                Some(a) => std::mem::replace(&mut a.started, true),
                None => return,
            }
        };
        let event = if started {
            AnnounceEvent::Regular
        } else {
            AnnounceEvent::Started
        };
        let (trackers, what, private) = {
            let map = self.lock();
            let Some(entry) = map.get(&hash).filter(|e| e.record().dormant) else {
                drop(map);
                self.stop_announcing(&hash);
                return;
            };
            let Some(what) = self.announce_of(hash, entry, event) else {
                return;
            };
            let private = entry.about.as_ref().is_some_and(|a| a.private);
            (self.trackers_of(entry), what, private)
        };
        // A private torrent's peers come from its trackers only (BEP 27).
        let dht = match private {
            true => None,
            false => self.inner.session.get_dht().cloned(),
        };
        if let Some(dht) = dht.clone() {
            // Announced as librqbit announces: a peer lookup that ends with an
            // announce to the closest nodes (what it finds is not needed).
            let port = dormancy.port;
            tokio::spawn(async move {
                let mut peers = dht.get_peers(id20(&hash), Some(port));
                let _ = tokio::time::timeout(DHT_WINDOW, async {
                    while peers.next().await.is_some() {}
                })
                .await;
            });
        }
        let mut interval: Option<Duration> = None;
        for tracker in &trackers {
            match announce(&self.inner.outbound, tracker, &what).await {
                Ok(answer) => {
                    let asked = answer.interval.clamp(MIN_INTERVAL, MAX_INTERVAL);
                    interval = Some(interval.map_or(asked, |i| i.min(asked)));
                }
                Err(e) => {
                    debug!(%hash, tracker = %tracker.host_str().unwrap_or(""), "announce: {e}")
                }
            }
        }
        let next = {
            let mut schedule = dormancy.schedule.lock().unwrap_or_else(|p| p.into_inner());
            let Some(announcing) = schedule.of.get_mut(&hash) else {
                return;
            };
            let wait = match interval {
                Some(interval) => {
                    announcing.failures = 0;
                    interval
                }
                None if !trackers.is_empty() => {
                    announcing.failures = announcing.failures.saturating_add(1);
                    RETRY_FIRST
                        .saturating_mul(1 << (announcing.failures - 1).min(16))
                        .min(RETRY_MAX)
                }
                None if dht.is_some() => DHT_INTERVAL,
                // Nobody to announce it to: peers that know its address still
                // reach it through the listener.
                None => {
                    schedule.remove(&hash);
                    return;
                }
            };
            Instant::now() + wait
        };
        dormancy.schedule(hash, next);
    }

    /// Ends a torrent's dormant announces: the trackers told `started` under our
    /// peer id are told `stopped` (in the background).
    pub(super) fn stop_announcing(&self, hash: &InfoHash) {
        let Some(dormancy) = &self.inner.dormancy else {
            return;
        };
        let announcing = dormancy
            .schedule
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(hash);
        if !announcing.is_some_and(|a| a.started) {
            return;
        }
        let (trackers, what) = {
            let map = self.lock();
            let Some(entry) = map.get(hash) else { return };
            let Some(what) = self.announce_of(*hash, entry, AnnounceEvent::Stopped) else {
                return;
            };
            (self.trackers_of(entry), what)
        };
        let outbound = self.inner.outbound.clone();
        tokio::spawn(async move {
            for tracker in trackers {
                if let Err(e) = announce(&outbound, &tracker, &what).await {
                    debug!(tracker = %tracker.host_str().unwrap_or(""), "stopped announce: {e}");
                }
            }
        });
    }
}
