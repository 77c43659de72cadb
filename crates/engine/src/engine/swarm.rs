//! A torrent's swarm as the user inspects it: the peers it is connected to (from
//! librqbit, with rates measured between two looks), its trackers with what each
//! counts (scraped here, see `crate::scrape`), a reannounce, and its .torrent file
//! to share, announcing to its trackers as they are now.
//!
//! Nothing here runs in the background: peers are sampled and trackers scraped
//! when someone asks, and the answers are kept briefly for the next look.

use std::time::Instant;

use url::Url;

use crate::scrape::{self, ScrapeCounts, ScrapeError};
use crate::types::{Peer, Tracker, TrackerStatus};

use super::*;

/// How long a scrape's answer is shown before the tracker is asked again.
const SCRAPE_FRESH_FOR: Duration = Duration::from_secs(60);
/// Scrapes older than this are forgotten (torrents nobody looks at any more).
const SCRAPE_KEPT_FOR: Duration = Duration::from_secs(600);
/// Rates need at least this long between two looks at a torrent's peers; a
/// quicker look shows the rates of the previous one.
const MIN_RATE_INTERVAL: Duration = Duration::from_millis(500);
/// Peer samples of torrents not looked at for this long are forgotten.
const PEER_SAMPLE_KEPT_FOR: Duration = Duration::from_secs(60);

/// A torrent's peers' byte counters at one look, and the rates measured then.
pub(super) struct PeerSample {
    at: Instant,
    /// Address → (bytes received, bytes sent).
    bytes: HashMap<String, (u64, u64)>,
    /// Address → (receive rate, send rate), bytes per second.
    rates: HashMap<String, (u64, u64)>,
}

/// One tracker's last scrape.
#[derive(Clone)]
pub(super) struct Scraped {
    at: Instant,
    shown_at: OffsetDateTime,
    outcome: std::result::Result<ScrapeCounts, ScrapeError>,
}

/// The per-look state of this module, kept in the engine.
#[derive(Default)]
pub(super) struct SwarmLooks {
    peers: Mutex<HashMap<InfoHash, PeerSample>>,
    scrapes: Mutex<HashMap<(InfoHash, String), Scraped>>,
}

impl Engine {
    /// The peers a torrent is connected to now; empty when it is not running.
    pub fn peers(&self, hash: &InfoHash) -> Result<Vec<Peer>> {
        let Some(live) = self.entry_handle(hash)?.and_then(|h| h.live()) else {
            self.inner
                .swarm
                .peers
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(hash);
            return Ok(vec![]);
        };
        let snapshot = live.per_peer_stats_snapshot(Default::default());
        let now = Instant::now();
        let mut samples = self
            .inner
            .swarm
            .peers
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        samples.retain(|_, s| now.duration_since(s.at) < PEER_SAMPLE_KEPT_FOR);
        let bytes: HashMap<String, (u64, u64)> = snapshot
            .peers
            .iter()
            .map(|(address, stats)| {
                let counters = &stats.counters;
                (
                    address.clone(),
                    (counters.fetched_bytes, counters.uploaded_bytes),
                )
            })
            .collect();
        let rates = match samples.get(hash) {
            Some(previous) if now.duration_since(previous.at) < MIN_RATE_INTERVAL => {
                previous.rates.clone()
            }
            previous => {
                let rates = previous
                    .map(|p| measure_rates(p, &bytes, now))
                    .unwrap_or_default();
                samples.insert(
                    *hash,
                    PeerSample {
                        at: now,
                        bytes: bytes.clone(),
                        rates: rates.clone(),
                    },
                );
                rates
            }
        };
        drop(samples);
        let mut peers: Vec<Peer> = snapshot
            .peers
            .into_iter()
            .map(|(address, stats)| {
                let (download_rate, upload_rate) = rates.get(&address).copied().unwrap_or((0, 0));
                let utp = serde_json::to_value(stats.conn_kind).ok()
                    == Some(serde_json::Value::from("utp"));
                Peer {
                    client: stats.client_name,
                    incoming: stats.counters.incoming_connections > 0,
                    utp,
                    downloaded: stats.counters.fetched_bytes,
                    uploaded: stats.counters.uploaded_bytes,
                    download_rate,
                    upload_rate,
                    address,
                }
            })
            .collect();
        peers.sort_by(|a, b| a.address.cmp(&b.address));
        Ok(peers)
    }

    /// A torrent's trackers, in the order its metainfo lists them, each with what
    /// it answered when last asked; trackers not asked for a minute are asked now
    /// (all at once, each for at most `scrape::SCRAPE_TIMEOUT`).
    pub async fn trackers(&self, hash: &InfoHash) -> Result<Vec<Tracker>> {
        let urls = self.tracker_urls(hash)?;
        let looked = Instant::now();
        let stale: Vec<String> = {
            let mut scrapes = self.scrapes();
            scrapes.retain(|_, s| looked.duration_since(s.at) < SCRAPE_KEPT_FOR);
            urls.iter()
                .filter(|url| {
                    scrapes
                        .get(&(*hash, (*url).clone()))
                        .is_none_or(|s| looked.duration_since(s.at) >= SCRAPE_FRESH_FOR)
                })
                .cloned()
                .collect()
        };
        if self.inner.config.trackers && !stale.is_empty() {
            let mut asks = tokio::task::JoinSet::new();
            for url in stale {
                let client = self.inner.outbound.clone();
                let hash = *hash;
                asks.spawn(async move {
                    let outcome = match Url::parse(&url) {
                        Ok(parsed) => scrape::scrape(&client, &parsed, &hash).await,
                        Err(_) => Err(ScrapeError::Unsupported),
                    };
                    (url, outcome)
                });
            }
            while let Some(Ok((url, outcome))) = asks.join_next().await {
                let scraped = Scraped {
                    at: Instant::now(),
                    shown_at: now(),
                    outcome,
                };
                self.scrapes().insert((*hash, url), scraped);
            }
        }
        self.known_trackers(hash)
    }

    /// A torrent's trackers with what each answered when last asked, asking none.
    pub fn known_trackers(&self, hash: &InfoHash) -> Result<Vec<Tracker>> {
        let urls = self.tracker_urls(hash)?;
        let scrapes = self.scrapes();
        Ok(urls
            .into_iter()
            .enumerate()
            .map(|(tier, url)| {
                let scraped = scrapes.get(&(*hash, url.clone())).cloned();
                tracker_row(url, tier, scraped, self.inner.config.trackers)
            })
            .collect())
    }

    /// The announce URLs of a torrent's metainfo (or magnet), or of the list it
    /// was given instead, in their order.
    pub fn tracker_urls(&self, hash: &InfoHash) -> Result<Vec<String>> {
        let record = self
            .record(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        Ok(self.tracker_urls_of(&record))
    }

    /// The torrent's .torrent file, announcing to its trackers as they are now (a
    /// magnet's metadata gains them; a list changed since the add replaces the
    /// file's). A conflict before the metadata is known.
    pub fn torrent_file(&self, hash: &InfoHash) -> Result<Vec<u8>> {
        let urls = self.tracker_urls(hash)?;
        let bytes = self
            .inner
            .store
            .read_torrent(hash)
            .ok_or(EngineError::MetadataPending)?;
        crate::bencode::with_trackers(&bytes, &urls).ok_or_else(|| {
            EngineError::internal("cannot read the saved .torrent", "not a dictionary")
        })
    }

    fn tracker_urls_of(&self, record: &TorrentRecord) -> Vec<String> {
        Magnet::parse(&record.magnet)
            .map(|m| m.trackers)
            .unwrap_or_default()
    }

    /// Tells a running torrent's trackers about it again now (and asks them for
    /// peers). librqbit has no call for that alone, so the torrent's connections
    /// are stopped and started again, which announces to every tracker; a stopped
    /// or queued torrent announces when it starts, so it is left as it is.
    pub async fn reannounce(&self, hash: &InfoHash) -> Result<Torrent> {
        self.wake(hash).await?;
        let handle = self.entry_handle(hash)?;
        self.scrapes().retain(|(h, _), _| h != hash);
        if let Some(handle) = handle
            && !handle.is_paused()
            && matches!(handle.stats().state, TorrentStatsState::Live)
        {
            // librqbit's counters of this run end with the pause: count them first.
            self.account_transfers();
            if let Err(e) = self.inner.session.pause(&handle).await {
                debug!(%hash, "reannounce pause: {e:#}");
            }
            self.steer_sequential().await;
            self.inner.session.unpause(&handle).await.map_err(|e| {
                EngineError::internal("cannot announce the torrent again", format!("{e:#}"))
            })?;
        }
        self.get(hash)
    }

    /// Gives a torrent the tracker list `urls` (announce URLs, each its own tier,
    /// in order), in place of the one of its magnet or .torrent file; an empty list
    /// leaves it to peers it is told of. A running torrent is handed to librqbit
    /// again with its verified pieces (librqbit fixes a torrent's trackers when it
    /// is added), a magnet still looking for its metadata looks again with them.
    pub async fn set_trackers(&self, hash: &InfoHash, urls: Vec<String>) -> Result<Vec<Tracker>> {
        self.wake(hash).await?;
        let urls = checked_tracker_urls(urls)?;
        let (readd, resolver) = {
            let mut map = self.lock();
            let entry = map
                .get_mut(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            if entry.moving {
                return Err(EngineError::Conflict(
                    "its data is moving; change its trackers when the move has ended".into(),
                ));
            }
            if self.tracker_urls_of(entry.record()) == urls {
                drop(map);
                return self.known_trackers(hash);
            }
            entry.set_trackers(urls);
            (entry.handle.is_some(), entry.resolver.take())
        };
        self.scrapes().retain(|(h, _), _| h != hash);
        if readd {
            self.readd(hash).await?;
        } else if let Some(resolver) = resolver {
            resolver.abort();
            self.spawn_resolver(*hash);
        }
        self.persist().await;
        self.known_trackers(hash)
    }

    fn scrapes(&self) -> MutexGuard<'_, HashMap<(InfoHash, String), Scraped>> {
        self.inner
            .swarm
            .scrapes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }
}

/// Most trackers one torrent may have.
const MAX_TRACKERS: usize = 200;

/// `urls` as a tracker list: each an http, https or udp URL with a host, given
/// once (a repeat is dropped), at most [`MAX_TRACKERS`]; the error names the URL.
fn checked_tracker_urls(urls: Vec<String>) -> Result<Vec<String>> {
    let mut list: Vec<String> = Vec::with_capacity(urls.len());
    for url in urls {
        let url = url.trim().to_owned();
        let parsed = Url::parse(&url)
            .map_err(|e| EngineError::InvalidValue(format!("tracker {url:?} is not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https" | "udp") {
            return Err(EngineError::InvalidValue(format!(
                "tracker {url:?}: only http, https and udp trackers are supported"
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(EngineError::InvalidValue(format!(
                "tracker {url:?} has no host"
            )));
        }
        if parsed.scheme() == "udp" && parsed.port().is_none() {
            return Err(EngineError::InvalidValue(format!(
                "tracker {url:?}: a udp tracker needs a port"
            )));
        }
        if !list.contains(&url) {
            list.push(url);
        }
    }
    if list.len() > MAX_TRACKERS {
        return Err(EngineError::InvalidValue(format!(
            "{} trackers: a torrent may have at most {MAX_TRACKERS}",
            list.len()
        )));
    }
    Ok(list)
}

/// Rates from the bytes counted since `previous`; a peer new since then has none yet.
fn measure_rates(
    previous: &PeerSample,
    bytes: &HashMap<String, (u64, u64)>,
    now: Instant,
) -> HashMap<String, (u64, u64)> {
    let seconds = now.duration_since(previous.at).as_secs_f64();
    bytes
        .iter()
        .filter_map(|(address, &(down, up))| {
            let &(down_before, up_before) = previous.bytes.get(address)?;
            let rate = |now: u64, before: u64| (now.saturating_sub(before) as f64 / seconds) as u64;
            Some((
                address.clone(),
                (rate(down, down_before), rate(up, up_before)),
            ))
        })
        .collect()
}

fn tracker_row(url: String, tier: usize, scraped: Option<Scraped>, enabled: bool) -> Tracker {
    let mut row = Tracker {
        url,
        tier: u32::try_from(tier).unwrap_or(u32::MAX),
        status: TrackerStatus::Unknown,
        message: None,
        seeders: None,
        leechers: None,
        downloaded: None,
        scraped_at: None,
    };
    if !enabled {
        row.message = Some("trackers are turned off".into());
        return row;
    }
    let Some(scraped) = scraped else {
        return row;
    };
    row.scraped_at = scraped.shown_at.format(&Rfc3339).ok();
    match scraped.outcome {
        Ok(counts) => {
            row.status = TrackerStatus::Working;
            row.seeders = Some(counts.seeders);
            row.leechers = Some(counts.leechers);
            row.downloaded = Some(counts.downloaded);
        }
        Err(ScrapeError::Unsupported) => {
            row.message = Some(ScrapeError::Unsupported.to_string());
        }
        Err(ScrapeError::Failed(message)) => {
            row.status = TrackerStatus::NotWorking;
            row.message = Some(message);
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_count_the_bytes_since_the_previous_look() {
        let start = Instant::now();
        let previous = PeerSample {
            at: start,
            bytes: HashMap::from([("a".to_owned(), (1000, 0))]),
            rates: HashMap::new(),
        };
        let bytes = HashMap::from([
            ("a".to_owned(), (3000, 500)),
            ("b".to_owned(), (9000, 9000)),
        ]);
        let rates = measure_rates(&previous, &bytes, start + Duration::from_secs(2));
        assert_eq!(rates.get("a"), Some(&(1000, 250)));
        // New since the previous look: no rate yet rather than all its bytes at once.
        assert_eq!(rates.get("b"), None);
    }

    #[test]
    fn tracker_rows_say_what_the_scrape_said() {
        let scraped = |outcome| Scraped {
            at: Instant::now(),
            shown_at: now(),
            outcome,
        };
        let url = || "udp://t.example:1/announce".to_owned();
        let working = tracker_row(
            url(),
            0,
            Some(scraped(Ok(ScrapeCounts {
                seeders: 2,
                leechers: 1,
                downloaded: 7,
            }))),
            true,
        );
        assert_eq!(working.status, TrackerStatus::Working);
        assert_eq!(working.seeders, Some(2));
        let failing = tracker_row(
            url(),
            1,
            Some(scraped(Err(ScrapeError::Failed("timed out".into())))),
            true,
        );
        assert_eq!(failing.status, TrackerStatus::NotWorking);
        assert_eq!(failing.message.as_deref(), Some("timed out"));
        assert_eq!(failing.seeders, None);
        let off = tracker_row(url(), 0, None, false);
        assert_eq!(off.status, TrackerStatus::Unknown);
        assert_eq!(off.message.as_deref(), Some("trackers are turned off"));
    }
}
