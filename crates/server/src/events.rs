//! The live state and its versions: what `GET /api/v1/events` pushes.
//!
//! The state is one JSON object: `title`, `version`, `torrents` (keyed by info hash, so
//! patches stay small), `stats`, `config`, `notices` and `downloads.version` (bumped when the
//! download folder changed). A producer task snapshots it every `min_interval` while
//! clients are connected, at once after a change made through the API, and refreshes
//! the stats every `stats_interval`. Each snapshot that differs from the previous one
//! becomes a new version with the RFC 6902 patch from the previous one; the last
//! versions' patches are kept so that a client can resume with `Last-Event-ID`.
//! A torrent's `seedingTime` and `activeTime` are counted up to its `seedingSince`
//! and `activeSince` here, so that an idle seeding torrent is no change to push.
//!
//! Versions start at the server's start time in milliseconds, so the versions of a
//! restarted server never collide with those a client saw before the restart.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use cloud_torrent_engine::{Engine, Torrent};
use serde_json::{Value, json};
use tokio::sync::{Notify, watch};

use crate::notices::Notices;
use crate::settings::LiveConfig;
use crate::stats::Stats;

/// Cadences of the live push.
#[derive(Debug, Clone)]
pub struct EventsConfig {
    /// At most one event per client per this interval, except right after a change
    /// made through the API; also how often torrents are snapshotted.
    pub min_interval: Duration,
    /// How often system statistics and the download folder are re-read.
    pub stats_interval: Duration,
    /// An SSE comment is sent after this long without events.
    pub keep_alive: Duration,
    /// How many versions' patches are kept for clients that resume.
    pub history: usize,
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            min_interval: Duration::from_secs(1),
            stats_interval: Duration::from_secs(5),
            keep_alive: Duration::from_secs(25),
            history: 256,
        }
    }
}

/// Most bytes of patches kept for resuming clients.
const HISTORY_BYTES: usize = 8 * 1024 * 1024;
/// Patches up to this size are sent even when the whole state is smaller.
const PATCH_ALWAYS_BYTES: usize = 64 * 1024;
/// Most entries of the download folder walked to notice changes.
const WALK_LIMIT: usize = 20_000;

/// A version's patch from the version before it.
struct Step {
    version: u64,
    /// The patch operations, serialized, without the enclosing `[` `]`.
    ops: Arc<str>,
    /// Made right after a change through the API: clients get it at once.
    urgent: bool,
}

struct Current {
    version: u64,
    /// The state but its torrents.
    head: Value,
    /// The torrents of the state by info hash: the [`view_fingerprint`] of the engine's
    /// view they were made from, and the JSON the state holds (a tenth of the
    /// memory of a `Value`; the few that change are parsed again to be compared).
    torrents: BTreeMap<String, (u64, Box<str>)>,
    /// The engine's tick at the last snapshot (see `Engine::list_since`).
    listed_tick: Option<u64>,
    /// The state serialized, for the current version.
    full: Option<Arc<str>>,
    history: VecDeque<Step>,
    history_bytes: usize,
    stats: Value,
    downloads_version: u64,
    downloads_fingerprint: Option<u64>,
}

/// What a client is sent.
pub enum Message {
    /// The whole state.
    Full {
        /// Its version.
        version: u64,
        /// The state as JSON.
        json: Arc<str>,
    },
    /// A JSON Patch from the client's version.
    Patch {
        /// The version it leads to.
        version: u64,
        /// The patch as a JSON array.
        json: String,
    },
}

struct Inner {
    engine: Engine,
    settings: LiveConfig,
    stats: Stats,
    notices: Notices,
    config: EventsConfig,
    current: Mutex<Current>,
    /// Held while a snapshot is taken, so snapshots are applied in order.
    snapshotting: Mutex<()>,
    version_tx: watch::Sender<u64>,
    closed_tx: watch::Sender<bool>,
    nudge: Notify,
}

/// The live state, its versions and its producer. Cheap to clone.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl Hub {
    /// A hub over the engine; call [`Hub::spawn`] to start its producer.
    pub fn new(
        engine: Engine,
        settings: LiveConfig,
        stats: Stats,
        notices: Notices,
        config: EventsConfig,
    ) -> Hub {
        let start = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(1);
        let hub = Hub {
            inner: Arc::new(Inner {
                current: Mutex::new(Current {
                    version: start,
                    head: Value::Null,
                    torrents: BTreeMap::new(),
                    listed_tick: None,
                    full: None,
                    history: VecDeque::new(),
                    history_bytes: 0,
                    stats: serde_json::to_value(stats.view()).unwrap_or(Value::Null),
                    downloads_version: 1,
                    downloads_fingerprint: None,
                }),
                version_tx: watch::channel(start).0,
                closed_tx: watch::channel(false).0,
                snapshotting: Mutex::new(()),
                nudge: Notify::new(),
                engine,
                settings,
                stats,
                notices,
                config,
            }),
        };
        hub.snapshot(false);
        hub
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.inner.current.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cadences.
    pub fn config(&self) -> &EventsConfig {
        &self.inner.config
    }

    /// The statistics collector.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// Notified with each new version.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.version_tx.subscribe()
    }

    /// Becomes true when the server shuts down.
    pub fn closed(&self) -> watch::Receiver<bool> {
        self.inner.closed_tx.subscribe()
    }

    /// Ends the producer and every event stream (at shutdown).
    pub fn close(&self) {
        self.inner.closed_tx.send_replace(true);
    }

    /// Asks for a snapshot now, pushed to clients without waiting (after a change).
    pub fn nudge(&self) {
        self.inner.nudge.notify_one();
    }

    /// The current version.
    pub fn version(&self) -> u64 {
        self.current().version
    }

    /// Takes a snapshot; a new version when anything changed. Only the torrents
    /// that differ from the last snapshot are turned into JSON and compared, so an
    /// unchanged collection costs its listing and no more.
    pub fn snapshot(&self, urgent: bool) {
        let _order = self
            .inner
            .snapshotting
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        // Quiet torrents (stopped, or seeding with no peer) that have not changed
        // since the last snapshot are not viewed again (see `Engine::list_since`).
        let since = self.current().listed_tick;
        let listing = self
            .inner
            .engine
            .list_since(since, |hash| self.current().torrents.contains_key(hash));
        let config = serde_json::to_value(self.inner.settings.view()).unwrap_or(Value::Null);
        let title = self.inner.settings.title();
        let notices = serde_json::to_value(self.inner.notices.list()).unwrap_or(Value::Null);
        let mut guard = self.current();
        let cur = &mut *guard;
        let head = json!({
            "title": title,
            "version": env!("CARGO_PKG_VERSION"),
            "stats": cur.stats,
            "config": config,
            "notices": notices,
            "downloads": { "version": cur.downloads_version },
        });
        let mut ops: Vec<Value> = Vec::new();
        if cur.head != head {
            ops.extend(patch_ops(&cur.head, &head));
            cur.head = head;
        }
        cur.listed_tick = Some(listing.tick);
        let listed = listing.changed.len() + listing.unchanged.len();
        let mut changed: Vec<String> = Vec::new();
        for mut torrent in listing.changed {
            // Time passing alone is no change (see `live_value`).
            (torrent.seeding_time, torrent.active_time) = torrent.times_before_since;
            let hash = torrent.info_hash.clone();
            changed.push(hash.clone());
            let old = cur.torrents.get(&hash);
            let seen = view_fingerprint(&torrent);
            if old.is_some_and(|(known, _)| *known == seen) {
                continue;
            }
            let value = live_value(&torrent);
            let before = old
                .and_then(|(_, text)| serde_json::from_str::<Value>(text).ok())
                .map_or_else(|| json!({}), |v| json!({ &hash: v }));
            ops.extend(patch_ops(
                &json!({ "torrents": before }),
                &json!({ "torrents": { &hash: &value } }),
            ));
            let text = serde_json::to_string(&value).unwrap_or_else(|_| "null".into());
            cur.torrents.insert(hash, (seen, text.into()));
        }
        // Every torrent listed is in the state now (those unchanged were known),
        // so the state holds more only when some were removed: only then look.
        if cur.torrents.len() > listed {
            let present: HashSet<&str> = listing
                .unchanged
                .iter()
                .chain(&changed)
                .map(String::as_str)
                .collect();
            let gone: Vec<String> = cur
                .torrents
                .keys()
                .filter(|hash| !present.contains(hash.as_str()))
                .cloned()
                .collect();
            for hash in gone {
                cur.torrents.remove(&hash);
                ops.push(json!({ "op": "remove", "path": format!("/torrents/{hash}") }));
            }
        }
        if ops.is_empty() {
            if urgent
                && let Some(last) = cur.history.back_mut()
                && !last.urgent
            {
                // A regular snapshot taken meanwhile already caught the change:
                // push that version now instead of at the client's next interval.
                last.urgent = true;
                let version = cur.version;
                drop(guard);
                self.inner.version_tx.send_replace(version);
            }
            return;
        }
        let text = serde_json::to_string(&ops).unwrap_or_else(|_| "[]".into());
        let ops: Arc<str> = text
            .strip_prefix('[')
            .and_then(|t| t.strip_suffix(']'))
            .unwrap_or("")
            .into();
        cur.version += 1;
        let version = cur.version;
        cur.history_bytes += ops.len();
        cur.history.push_back(Step {
            version,
            ops,
            urgent,
        });
        while cur.history.len() > self.inner.config.history || cur.history_bytes > HISTORY_BYTES {
            match cur.history.pop_front() {
                Some(old) => cur.history_bytes -= old.ops.len(),
                None => break,
            }
        }
        cur.full = None;
        drop(guard);
        self.inner.version_tx.send_replace(version);
    }

    /// True when a version after `version` was made right after an API change.
    pub fn urgent_since(&self, version: u64) -> bool {
        self.current()
            .history
            .iter()
            .rev()
            .take_while(|s| s.version > version)
            .any(|s| s.urgent)
    }

    /// What brings a client at `from` (none: a new client) to the current version;
    /// `None` when it is already there. A patch when the versions after `from` are
    /// still known (and their patches, joined, are not larger than both the state and
    /// 64 KiB), else the state.
    pub fn message_since(&self, from: Option<u64>) -> Option<Message> {
        let mut cur = self.current();
        if from == Some(cur.version) {
            return None;
        }
        let version = cur.version;
        let known = from.filter(|&v| {
            v < version
                && cur
                    .history
                    .front()
                    .is_some_and(|first| first.version <= v + 1)
        });
        if let Some(from) = known {
            let steps: Vec<Arc<str>> = cur
                .history
                .iter()
                .filter(|s| s.version > from && !s.ops.is_empty())
                .map(|s| s.ops.clone())
                .collect();
            let size: usize = steps.iter().map(|s| s.len() + 1).sum::<usize>() + 2;
            // A patch unless a long backlog has grown larger than the state itself
            // (the state is measured only then).
            if steps.len() <= 1 || size <= PATCH_ALWAYS_BYTES || size <= full_state(&mut cur).len()
            {
                let mut json = String::with_capacity(size);
                json.push('[');
                for (i, ops) in steps.iter().enumerate() {
                    if i > 0 {
                        json.push(',');
                    }
                    json.push_str(ops);
                }
                json.push(']');
                return Some(Message::Patch { version, json });
            }
        }
        Some(Message::Full {
            version,
            json: full_state(&mut cur),
        })
    }

    /// Re-reads the system statistics and the download folder's fingerprint.
    pub(crate) async fn refresh_slow(&self) {
        let hub = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            hub.inner.stats.refresh();
            fingerprint(&hub.inner.engine.config().download_dir)
        })
        .await;
        let stats = serde_json::to_value(self.inner.stats.view()).unwrap_or(Value::Null);
        let mut cur = self.current();
        cur.stats = stats;
        if let Ok(print) = result {
            self.note_downloads(&mut cur, print);
        }
    }

    /// Looks at the download folder again; true when it changed.
    async fn refresh_downloads(&self) -> bool {
        let dir = self.inner.engine.config().download_dir.clone();
        match tokio::task::spawn_blocking(move || fingerprint(&dir)).await {
            Ok(print) => {
                let mut cur = self.current();
                self.note_downloads(&mut cur, print)
            }
            Err(_) => false,
        }
    }

    /// Bumps `downloads.version` when the folder changed since it was last looked
    /// at; true then.
    fn note_downloads(&self, cur: &mut Current, print: u64) -> bool {
        let changed = cur.downloads_fingerprint.is_some_and(|old| old != print);
        if changed {
            cur.downloads_version += 1;
        }
        cur.downloads_fingerprint = Some(print);
        changed
    }

    /// Starts the producer task; it ends when the hub is closed.
    pub fn spawn(&self) {
        let hub = self.clone();
        tokio::spawn(async move {
            let mut closed = hub.closed();
            let mut tick = tokio::time::interval(hub.inner.config.min_interval);
            let mut slow = tokio::time::interval(hub.inner.config.stats_interval);
            for t in [&mut tick, &mut slow] {
                t.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            }
            // The folder as it is at start: a change made before the first page
            // watches bumps the version when that page's first look sees it.
            hub.refresh_downloads().await;
            loop {
                tokio::select! {
                    _ = wait_closed(&mut closed) => return,
                    _ = tick.tick() => {
                        if hub.inner.stats.clients() > 0 {
                            hub.snapshot(false);
                        }
                    }
                    // Nobody watching: nothing to push. A client that comes takes a
                    // snapshot of its own (and one resuming gets every change since).
                    _ = hub.inner.nudge.notified() => {
                        if hub.inner.stats.clients() > 0 {
                            hub.snapshot(true);
                            // The change may have added or removed files: the
                            // Downloads view follows at once too.
                            if hub.refresh_downloads().await {
                                hub.snapshot(true);
                            }
                        }
                    }
                    // Nobody watching: no statistics and no walks of the download folder.
                    _ = slow.tick() => {
                        if hub.inner.stats.clients() > 0 {
                            hub.refresh_slow().await;
                            hub.snapshot(false);
                        }
                    }
                }
            }
        });
    }
}

/// Resolves when the hub is closed.
pub async fn wait_closed(closed: &mut watch::Receiver<bool>) {
    // The `Ref` wait_for returns is not `Send`: drop it here.
    let _ = closed.wait_for(|c| *c).await.map(|_| ());
}

/// A torrent as the live state holds it: its `seedingTime` and `activeTime` are
/// counted up to `seedingSince` and `activeSince` (the page adds the time since),
/// so that time passing alone is no change.
fn live_value(torrent: &Torrent) -> Value {
    let (seeding, active) = torrent.times_before_since;
    let mut value = serde_json::to_value(torrent).unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.insert("seedingTime".into(), seeding.into());
        object.insert("activeTime".into(), active.into());
    }
    value
}

/// A hash of everything the state shows of `torrent` (its JSON, hashed as it is
/// written): equal fingerprints mean nothing to send. Keeping this instead of the
/// view itself saves about a kilobyte per torrent.
fn view_fingerprint(torrent: &Torrent) -> u64 {
    struct Hashing(DefaultHasher);
    impl std::io::Write for Hashing {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut hashing = Hashing(DefaultHasher::new());
    // Writing to a hasher cannot fail, nor can serializing a `Torrent`.
    let _ = serde_json::to_writer(&mut hashing, torrent);
    hashing.0.finish()
}

/// The RFC 6902 operations from `from` to `to`, as JSON.
fn patch_ops(from: &Value, to: &Value) -> Vec<Value> {
    match serde_json::to_value(json_patch::diff(from, to)) {
        Ok(Value::Array(ops)) => ops,
        _ => Vec::new(),
    }
}

/// The whole state, serialized once per version: its head with the torrents, whose
/// JSON is kept serialized and only joined here.
fn full_state(cur: &mut Current) -> Arc<str> {
    if let Some(full) = &cur.full {
        return full.clone();
    }
    let head = serde_json::to_string(&cur.head).unwrap_or_else(|_| "{}".into());
    let head = head
        .strip_suffix('}')
        .filter(|h| h.len() > 1)
        .map_or("{".to_owned(), |h| format!("{h},"));
    let size = head.len()
        + cur
            .torrents
            .iter()
            .map(|(hash, (_, json))| hash.len() + json.len() + 4)
            .sum::<usize>()
        + 16;
    let mut text = String::with_capacity(size);
    text.push_str(&head);
    text.push_str("\"torrents\":{");
    for (i, (hash, (_, json))) in cur.torrents.iter().enumerate() {
        if i > 0 {
            text.push(',');
        }
        // An info hash is hex: nothing to escape, but serialized all the same.
        text.push_str(&serde_json::to_string(hash).unwrap_or_else(|_| "\"\"".into()));
        text.push(':');
        text.push_str(json);
    }
    text.push_str("}}");
    let full: Arc<str> = text.into();
    cur.full = Some(full.clone());
    full
}

/// A hash of the names, sizes and times of the download folder's entries (capped).
fn fingerprint(dir: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    let mut stack = vec![dir.to_owned()];
    let mut seen = 0usize;
    while let Some(folder) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            seen += 1;
            if seen > WALK_LIMIT {
                return hasher.finish();
            }
            entry.path().hash(&mut hasher);
            if let Ok(meta) = entry.metadata() {
                meta.len().hash(&mut hasher);
                meta.modified().ok().hash(&mut hasher);
                if meta.is_dir() {
                    stack.push(entry.path());
                }
            }
        }
    }
    hasher.finish()
}
