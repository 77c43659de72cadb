//! The engine: librqbit's session behind our own types and our own state file.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use cloud_torrent_outbound::OutboundClient;
use librqbit::api::TorrentIdOrHash;
use librqbit::dht::{DhtPersistenceConfig, Id20};
use librqbit::{
    AddTorrent, AddTorrentOptions, DhtSessionConfig, ListenerMode, ListenerOptions, Session,
    SessionOptions, SessionPersistenceConfig, TorrentStats, TorrentStatsState,
};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::category::SavePaths;
use crate::config::EngineConfig;
use crate::error::{EngineError, Result};
use crate::fetch::fetch_torrent;
use crate::info_hash::InfoHash;
use crate::magnet::Magnet;
use crate::queue::QueueMove;
use crate::seeding::SeedLimitAction;
use crate::store::{Store, TorrentRecord};
use crate::types::{Torrent, TorrentFile, TorrentState};

mod add;
mod announce;
mod background;
mod cleanup;
mod completion;
mod control;
mod dormant;
mod dormant_announce;
mod dormant_listener;
mod entry;
mod interface;
mod organise;
mod rates;
mod sequential;
mod settings;
mod storage;
mod stream;
mod suspension;
mod swarm;

use add::Layout;
pub use announce::{TorrentEvent, TorrentEventKind};
pub use control::check_speed_limit;
use entry::Entry;
pub use settings::{LiveSettings, MIN_ENGINE_LIMIT, SpeedLimits};
pub use stream::{FileReader, OpenFile};
mod view;
pub use view::Listing;

type Handle = Arc<librqbit::ManagedTorrent>;

/// How a torrent is given to [`Engine::add`].
#[derive(Debug, Clone)]
pub enum AddSource {
    /// A `magnet:?` URI.
    Magnet(String),
    /// The contents of a .torrent file.
    TorrentFile(Bytes),
    /// An http(s) URL of a .torrent file.
    Url(String),
}

/// Options for [`Engine::add`].
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Add stopped (`Some(true)`), started (`Some(false)`) or as `autoStart` says (`None`).
    pub paused: Option<bool>,
    /// Indices of the files to download; `None` means all.
    pub files: Option<Vec<usize>>,
    /// The torrent's own seeding limits.
    pub seed_limits: crate::TorrentSeedLimits,
    /// Run regardless of seeding limits (and of the queue).
    pub force_start: bool,
    /// Download the pieces in order.
    pub sequential: bool,
    /// Fetch the first and last pieces of the files first.
    pub first_last_pieces_first: bool,
    /// This torrent's download limit, bytes per second (0: only the global one).
    pub download_limit: u64,
    /// This torrent's upload limit, bytes per second (0: only the global one).
    pub upload_limit: u64,
    /// Its category (created when it does not exist yet).
    pub category: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Where its content goes: relative to the download folder or absolute inside
    /// the root. `None`: its category's folder, or the download folder.
    pub save_path: Option<String>,
    /// The name it is shown by (`None` or empty: its own); its files keep theirs.
    pub name: Option<String>,
}

/// A change to one torrent's options ([`Engine::update_torrent`]); `None` keeps a
/// value as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TorrentUpdate {
    /// Share ratio limit: `Some(None)` follows the global value, -1 is none.
    pub seed_ratio_limit: Option<Option<f64>>,
    /// Seeding time limit in minutes: `Some(None)` follows the global value, -1 is none.
    pub seed_time_limit: Option<Option<i64>>,
    /// Idle seeding limit in minutes: `Some(None)` follows the global value, -1 is none.
    pub seed_idle_limit: Option<Option<i64>>,
    /// Run regardless of seeding limits (and of the queue).
    pub force_start: Option<bool>,
    /// Download the pieces in order.
    pub sequential: Option<bool>,
    /// Fetch the first and last pieces of the files first.
    pub first_last_pieces_first: Option<bool>,
    /// This torrent's download limit, bytes per second (0: only the global one).
    pub download_limit: Option<u64>,
    /// This torrent's upload limit, bytes per second (0: only the global one).
    pub upload_limit: Option<u64>,
    /// Its category: `Some(None)` removes it. Its data moves to the category's
    /// folder (or the download folder) unless `save_path` says where.
    pub category: Option<Option<String>>,
    /// Its tags (all of them).
    pub tags: Option<Vec<String>>,
    /// Where its content goes (its data moves there).
    pub save_path: Option<String>,
    /// The name it is shown by; `Some(None)` (or an empty name) shows its own
    /// again. Its files keep their names.
    pub name: Option<Option<String>>,
}

/// The result of [`Engine::add`].
#[derive(Debug, Clone)]
pub struct Added {
    /// The torrent as it is now.
    pub torrent: Torrent,
    /// False when the torrent was already there (adding is idempotent).
    pub created: bool,
}

/// Engine-wide totals.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineTotals {
    /// Bytes per second, all torrents.
    pub download_rate: u64,
    /// Bytes per second, all torrents.
    pub upload_rate: u64,
    /// Bytes received this run.
    pub downloaded: u64,
    /// Bytes sent this run.
    pub uploaded: u64,
}

struct Inner {
    config: EngineConfig,
    /// The options that can change at run time (see `settings.rs`).
    live: std::sync::RwLock<LiveSettings>,
    session: Arc<Session>,
    store: Store,
    /// The process's client for .torrent URLs.
    outbound: OutboundClient,
    /// Every torrent. Boxed: an entry is most of a kilobyte, and a B-tree node
    /// keeps room for eleven of them however few it holds (4 MiB more with 10,000).
    torrents: Mutex<BTreeMap<InfoHash, Box<Entry>>>,
    /// Serializes writes of the state file so that a stale snapshot never overwrites a newer one.
    save_lock: tokio::sync::Mutex<()>,
    /// Changes asked to be saved so far (each `persist` call counts one).
    changes: AtomicU64,
    /// The number of changes the last successful write of the state file covered.
    saved: AtomicU64,
    shutdown: CancellationToken,
    /// Limits open file streams (see `stream::MAX_STREAMS`).
    streams: Arc<tokio::sync::Semaphore>,
    /// The next librqbit torrent id (see `add_to_session`).
    next_id: AtomicUsize,
    /// Set when a view changed a record (a completion seen first by a reader).
    needs_save: AtomicBool,
    /// Ticks of the ticker so far (quiet torrents take turns by it).
    ticks: AtomicU64,
    /// Wakes the ticker before its next second (a download finished; see
    /// `completion.rs`).
    tick_now: Arc<tokio::sync::Notify>,
    /// Each torrent's folder, for its storage (see `storage.rs`).
    folders: storage::TorrentFolders,
    /// Held from the overlap check of an add until librqbit has the torrent, so
    /// that two adds cannot both pass the check with the same files.
    adding: tokio::sync::Mutex<()>,
    /// The most files one torrent may hold: the configured cap lowered to what the
    /// open file limit allows, read once at start (after raising that limit).
    max_files: usize,
    /// The storage root and the folders save paths are read against.
    paths: SavePaths,
    /// Categories and tags (see `organise.rs`).
    organisation: Mutex<organise::Organisation>,
    /// What happens to torrents (see `announce.rs`).
    events: tokio::sync::broadcast::Sender<TorrentEvent>,
    /// Peer samples and tracker scrapes of the torrents looked at (see `swarm.rs`).
    swarm: swarm::SwarmLooks,
    /// Dormant torrents' announces and doze queue, when `dormant_after` is set
    /// (see `dormant.rs`).
    dormancy: Option<dormant::Dormancy>,
    /// Held while a torrent is handed to librqbit after the start or from
    /// dormancy, or taken out of it into dormancy: one at a time, so that a
    /// torrent is never handed over twice.
    handing: tokio::sync::Mutex<()>,
}

/// The torrent engine. Cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn id20(hash: &InfoHash) -> Id20 {
    Id20::new(hash.0)
}

/// librqbit reports MiB/s.
fn bytes_per_second(mib_per_second: f64) -> u64 {
    (mib_per_second * 1024.0 * 1024.0).round().max(0.0) as u64
}

impl Engine {
    /// Starts the engine: opens the state folder, starts listening for peers and
    /// re-adds every torrent of the previous run in the state it was left in.
    /// .torrent URLs are fetched with `outbound`, the process's outbound client.
    pub async fn start(config: EngineConfig, outbound: OutboundClient) -> Result<Engine> {
        std::fs::create_dir_all(&config.download_dir)
            .map_err(|e| EngineError::internal("cannot create the download folder", e))?;
        crate::store::create_private_dir(&config.state_dir)
            .map_err(|e| EngineError::internal("cannot create the state folder", e))?;
        let store = Store::open(config.state_dir.clone())
            .map_err(|e| EngineError::internal("cannot open the state database", e))?;
        std::fs::create_dir_all(store.librqbit_dir())
            .map_err(|e| EngineError::internal("cannot create the state folder", e))?;
        // Every torrent's data stays beneath the root (`downloadRoot`, which holds
        // the download folder); records keep their folders relative to it.
        let root = config
            .download_root
            .clone()
            .unwrap_or_else(|| config.download_dir.clone());
        let paths = SavePaths::new(&root, &config.download_dir, &config.state_dir);
        let saved = store
            .load(&paths.download_dir)
            .map_err(|e| EngineError::internal("cannot read the saved torrents", e))?;
        let mut records = saved.torrents;
        // The times of the last run end when it last noted that it ran.
        for record in records.values_mut() {
            record.counters.end_spans(saved.heartbeat);
        }
        store.remove_stale_temp_files();
        store
            .reset_librqbit_session()
            .map_err(|e| EngineError::internal("cannot reset the engine session", e))?;
        if let Err(e) = librqbit::try_increase_nofile_limit() {
            debug!("could not raise the open file limit: {e:#}");
        }
        let max_files = config
            .max_files_per_torrent
            .min(crate::torrent_guard::open_file_cap());

        let port = match config.incoming_port {
            0 => free_port(config.listen_ip)?,
            p => p,
        };
        let listen_ip = config
            .listen_ip
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        // Every peer socket stays on the interface of `incomingHost` (see `interface.rs`).
        let bind_device_name = match config.listen_ip {
            Some(ip) => interface::interface_of(ip)?,
            None => None,
        };
        let shutdown = CancellationToken::new();
        let folders = storage::TorrentFolders::default();
        let (to_doze, doze_queue) = tokio::sync::mpsc::unbounded_channel();
        let dormancy = match config.dormant_after {
            Some(after) => {
                let dormant_port = match config.dormant_port {
                    0 if config.incoming_port == 0 => free_port(config.listen_ip)?,
                    0 => port.checked_add(1).ok_or_else(|| {
                        EngineError::internal(
                            "cannot pick the dormant torrents' port",
                            "incomingPort is the last port: set dormantPort",
                        )
                    })?,
                    p => p,
                };
                Some(dormant::Dormancy::new(after, dormant_port, to_doze))
            }
            None => None,
        };
        let options = SessionOptions {
            dht: config.dht.then(|| DhtSessionConfig {
                bootstrap_addrs: None,
                port: None,
                persistence: Some(DhtPersistenceConfig {
                    dump_interval: None,
                    config_filename: Some(config.state_dir.join("dht.json")),
                }),
            }),
            bind_device_name,
            ipv4_only: listen_ip.is_ipv4(),
            disable_trackers: !config.trackers,
            disable_local_service_discovery: !config.lsd,
            fastresume: true,
            persistence: Some(SessionPersistenceConfig::Json {
                folder: Some(store.librqbit_dir()),
            }),
            listen: Some(ListenerOptions {
                mode: ListenerMode::TcpAndUtp,
                listen_addr: SocketAddr::new(listen_ip, port),
                announce_port: Some(port),
                ipv4_only: listen_ip.is_ipv4(),
                ..Default::default()
            }),
            // Every open file stream holds one of these permits for its whole life,
            // and disk writes need them too: 64 leaves room for both (see `MAX_STREAMS`).
            runtime_worker_threads: Some(64),
            disable_upload: !config.upload,
            ratelimits: librqbit::limits::LimitsConfig {
                download_bps: settings::engine_limit(config.live.speed.download),
                upload_bps: settings::engine_limit(config.live.speed.upload),
            },
            cancellation_token: Some(shutdown.child_token()),
            // Files beneath the download folder only, written whole (see `storage.rs`).
            default_storage_factory: Some(librqbit::storage::StorageFactoryExt::boxed(
                storage::TorrentFilesFactory::new(paths.root.clone(), folders.clone()),
            )),
            ..Default::default()
        };
        let session = Session::new_with_opts(config.download_dir.clone(), options)
            .await
            .map_err(|e| {
                EngineError::internal("cannot start the BitTorrent session", format!("{e:#}"))
            })?;

        let engine = Engine {
            inner: Arc::new(Inner {
                live: std::sync::RwLock::new(config.live.clone()),
                config,
                session,
                store,
                outbound,
                torrents: Mutex::new(BTreeMap::new()),
                save_lock: tokio::sync::Mutex::new(()),
                changes: AtomicU64::new(0),
                saved: AtomicU64::new(0),
                shutdown,
                needs_save: AtomicBool::new(false),
                ticks: AtomicU64::new(0),
                tick_now: Arc::new(tokio::sync::Notify::new()),
                next_id: AtomicUsize::new(0),
                max_files,
                folders,
                adding: tokio::sync::Mutex::new(()),
                organisation: Mutex::new(organise::Organisation {
                    categories: saved.categories,
                    tags: saved.tags,
                }),
                paths,
                events: tokio::sync::broadcast::channel(announce::EVENT_BACKLOG).0,
                swarm: Default::default(),
                streams: Arc::new(tokio::sync::Semaphore::new(stream::MAX_STREAMS)),
                dormancy,
                handing: tokio::sync::Mutex::new(()),
            }),
        };
        // Every record is in the map before any torrent is handed to librqbit: a
        // magnet that resolves during the restore saves the state file, and that
        // save must not leave out the torrents not yet restored.
        // Queue places from 1 in their saved order (records from before the queue
        // have none: they go by age).
        let mut ordered: Vec<(&InfoHash, &TorrentRecord)> = records.iter().collect();
        ordered.sort_by_key(|(hash, r)| (r.queue_order, r.added_at, **hash));
        let places: HashMap<InfoHash, u64> = ordered
            .iter()
            .enumerate()
            .map(|(i, (hash, _))| (**hash, i as u64 + 1))
            .collect();
        // Records from before ids were kept are numbered after the others, by age.
        let mut next_id = records.values().map(|r| r.id).max().unwrap_or(0);
        let mut ids: HashMap<InfoHash, u64> = HashMap::new();
        let mut by_age: Vec<(&InfoHash, &TorrentRecord)> = records.iter().collect();
        by_age.sort_by_key(|(hash, r)| (r.added_at, **hash));
        for (hash, record) in by_age {
            if record.id == 0 {
                next_id += 1;
                ids.insert(*hash, next_id);
                engine.inner.needs_save.store(true, Ordering::Relaxed);
            }
        }
        let mut kept_dormant = HashSet::new();
        engine.lock().extend(records.iter().map(|(hash, record)| {
            let mut record = record.clone();
            record.queue_order = places[hash];
            if let Some(id) = ids.get(hash) {
                record.id = *id;
            }
            let mut entry = Entry::new(record);
            if entry.record().dormant
                && !entry.record().paused
                && engine.keep_dormant(hash, &mut entry)
            {
                // Seeding without librqbit until a peer comes (see `dormant.rs`).
                kept_dormant.insert(*hash);
            } else {
                if entry.record().dormant {
                    entry.record_mut().dormant = false;
                    engine.inner.needs_save.store(true, Ordering::Relaxed);
                }
                // Until it is handed back to librqbit (below).
                entry.restoring = true;
            }
            (*hash, Box::new(entry))
        }));
        if !kept_dormant.is_empty() {
            info!(
                torrents = kept_dormant.len(),
                "dormant torrents stay out of librqbit until a peer comes"
            );
        }
        // librqbit rewrites its whole session file on every add, so handing it
        // 10,000 torrents back takes minutes: what is left after
        // `restore_before_start` goes on in the background, and the API answers
        // meanwhile (those torrents show as queued until then).
        // In their queue order: the first to run are handed back first.
        let mut pending: Vec<InfoHash> = ordered
            .iter()
            .rev()
            .map(|(hash, _)| **hash)
            .filter(|hash| !kept_dormant.contains(hash))
            .collect();
        let budget = std::time::Instant::now() + engine.inner.config.restore_before_start;
        while std::time::Instant::now() < budget
            && let Some(hash) = pending.pop()
        {
            engine.restore_saved(hash).await;
        }
        if !pending.is_empty() {
            info!(
                left = pending.len(),
                "handing the other torrents back to librqbit in the background"
            );
            let engine = engine.clone();
            tokio::spawn(async move {
                while let Some(hash) = pending.pop() {
                    if engine.inner.shutdown.is_cancelled() {
                        return;
                    }
                    engine.restore_saved(hash).await;
                }
                info!("every torrent is back");
            });
        }
        engine.spawn_ticker();
        if engine.inner.dormancy.is_some() {
            engine.start_dormant_listener()?;
            engine.spawn_doze_worker(doze_queue);
            engine.spawn_announcer();
        }
        info!(
            torrents = engine.lock().len(),
            port, max_files, "engine started"
        );
        Ok(engine)
    }

    /// The address peers connect to.
    pub fn listen_addr(&self) -> Option<SocketAddr> {
        self.inner.session.listen_addr()
    }

    /// The engine's configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<InfoHash, Box<Entry>>> {
        // A panic while holding the lock cannot leave the map inconsistent in a way
        // worse than stopping the whole server would, so recover from poisoning.
        self.inner
            .torrents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Hands a torrent saved before the start back to librqbit, with its record as
    /// it is now (it may have been started or stopped meanwhile; the ticker makes
    /// librqbit follow a change made while it was being handed over). A torrent
    /// removed meanwhile is not kept by librqbit.
    async fn restore_saved(&self, hash: InfoHash) {
        let _handing = self.inner.handing.lock().await;
        let record = match self.lock().get(&hash) {
            Some(entry) if entry.restoring => entry.record().clone(),
            _ => return,
        };
        self.restore(hash, record).await;
        let gone = match self.lock().get_mut(&hash) {
            Some(entry) => {
                entry.restoring = false;
                false
            }
            None => true,
        };
        if gone
            && self
                .inner
                .session
                .delete(TorrentIdOrHash::Hash(id20(&hash)), false)
                .await
                .is_ok()
        {
            self.inner.folders.remove(id20(&hash));
        }
    }

    async fn restore(&self, hash: InfoHash, mut record: TorrentRecord) {
        let bytes = self.inner.store.read_torrent(&hash);
        match bytes {
            Some(bytes) => {
                if record.folder.is_none() {
                    // Recorded before folders were: keep the folder it was written to.
                    match add::torrent_folder(&bytes, Layout::Legacy) {
                        Ok(folder) => {
                            let folder = self.save_path_of(&record).join(folder);
                            record.folder = Some(folder.clone());
                            if let Some(entry) = self.lock().get_mut(&hash) {
                                entry.record_mut().folder = Some(folder);
                            }
                            self.inner.needs_save.store(true, Ordering::Relaxed);
                        }
                        Err(e) => warn!(%hash, "cannot tell the torrent's folder: {e}"),
                    }
                }
                let result = self
                    .add_to_session(&hash, AddTorrent::from_bytes(bytes), &record)
                    .await;
                let mut map = self.lock();
                if let Some(entry) = map.get_mut(&hash) {
                    match result {
                        Ok(handle) => entry.handle = Some(handle),
                        Err(e) => entry.error = Some(e.to_string()),
                    }
                }
            }
            None if !record.paused => self.spawn_resolver(hash),
            None => {}
        }
    }

    /// Hands a torrent to librqbit with the options of its record, which knows
    /// the torrent's folder.
    async fn add_to_session(
        &self,
        hash: &InfoHash,
        add: AddTorrent<'static>,
        record: &TorrentRecord,
    ) -> Result<Handle> {
        let folder = record
            .folder
            .as_ref()
            .ok_or_else(|| EngineError::Internal("the torrent's folder is not known".into()))?;
        // Our storage writes beneath this folder (see `storage.rs`).
        self.inner.folders.set(id20(hash), folder.clone());
        if let AddTorrent::TorrentFileBytes(bytes) = &add {
            let about = Arc::new(crate::bencode::about(bytes));
            if let Some(entry) = self.lock().get_mut(hash) {
                entry.about = Some(about);
            }
        }
        // An edited tracker list replaces the one inside the .torrent file (librqbit
        // would use both); the info dictionary, and so the info hash, is untouched.
        let add = match add {
            AddTorrent::TorrentFileBytes(bytes) if record.own_trackers => {
                let without =
                    crate::bencode::dict_without(&bytes, &[b"announce", b"announce-list"])
                        .ok_or_else(|| {
                            EngineError::Internal("the saved .torrent is damaged".into())
                        })?;
                AddTorrent::from_bytes(without)
            }
            add => add,
        };
        let options = AddTorrentOptions {
            // librqbit would only keep the folder to write it into its session
            // file, which it rewrites whole on every add and removal: none makes
            // that file shorter (our storage knows the folder).
            output_folder: Some(String::new()),
            // librqbit picks ids from its state file, so two magnets resolving at
            // the same moment get the same id and the second add returns the
            // *first* torrent. We hand out unique ids instead.
            preferred_id: Some(self.inner.next_id.fetch_add(1, Ordering::Relaxed)),
            // With the queue on, the ticker decides whether it may run; a torrent
            // with a piece order gets its order streams before it fetches anything.
            paused: record.paused
                || self.settings().queue.enabled
                || record.sequential
                || record.first_last_pieces_first,
            only_files: record.selected.clone(),
            // Needed to resume or seed data already on disk.
            overwrite: true,
            initial_peers: (!record.peers.is_empty()).then(|| record.peers.clone()),
            trackers: (!record.trackers.is_empty()).then(|| record.trackers.clone()),
            // librqbit fixes a torrent's limits when it is added (see `readd`).
            ratelimits: librqbit::limits::LimitsConfig {
                download_bps: settings::engine_limit(record.download_limit),
                upload_bps: settings::engine_limit(record.upload_limit),
            },
            ..Default::default()
        };
        let response = self
            .inner
            .session
            .add_torrent(add, Some(options))
            .await
            .map_err(|e| {
                self.inner.folders.remove(id20(hash));
                // A link (or a folder) where a file of the torrent belongs is the
                // download folder's state, not the torrent's fault.
                match e
                    .chain()
                    .find_map(|c| c.downcast_ref::<crate::beneath::BeneathError>())
                {
                    Some(why) => {
                        EngineError::Conflict(format!("cannot write the torrent's files: {why}"))
                    }
                    None => {
                        EngineError::InvalidTorrent(crate::sanitize::strip_paths(&format!("{e:#}")))
                    }
                }
            })?;
        let handle = response
            .into_handle()
            .ok_or_else(|| EngineError::Internal("the engine did not keep the torrent".into()))?;
        if handle.info_hash() != id20(hash) {
            return Err(EngineError::Internal(format!(
                "the engine answered with another torrent ({}) for {hash}",
                handle.info_hash().as_string()
            )));
        }
        Ok(handle)
    }

    /// Adds a torrent. Returns at once; a magnet's metadata is fetched in the background.
    pub async fn add(&self, source: AddSource, options: AddOptions) -> Result<Added> {
        let added = self.add_from(source, options).await?;
        if added.created {
            self.announce_view(TorrentEventKind::Added, added.torrent.clone());
        }
        Ok(added)
    }

    async fn add_from(&self, source: AddSource, options: AddOptions) -> Result<Added> {
        match source {
            AddSource::Magnet(uri) => self.add_magnet(&uri, options).await,
            AddSource::TorrentFile(bytes) => self.add_torrent_file(bytes, options).await,
            AddSource::Url(url) => {
                let bytes = fetch_torrent(&self.inner.outbound, &url).await?;
                self.add_torrent_file(Bytes::from(bytes), options)
                    .await
                    .map_err(|e| match e {
                        EngineError::InvalidTorrent(why) => EngineError::Fetch(format!(
                            "the URL did not return a valid .torrent file: {why}"
                        )),
                        other => other,
                    })
            }
        }
    }
}

fn normalize_selection(mut files: Vec<usize>) -> Vec<usize> {
    files.sort_unstable();
    files.dedup();
    files
}

fn check_selection(files: &[usize], count: usize) -> Result<()> {
    if files.is_empty() {
        return Err(EngineError::InvalidFileSelection(
            "select at least one file (stop the torrent to download nothing)".into(),
        ));
    }
    if let Some(bad) = files.iter().find(|&&i| i >= count) {
        return Err(EngineError::InvalidFileSelection(format!(
            "file index {bad} does not exist; the torrent has {count} file(s), numbered from 0"
        )));
    }
    Ok(())
}

/// Picks a free TCP port (for `incoming_port = 0`), so that the port we announce is known.
fn free_port(ip: Option<IpAddr>) -> Result<u16> {
    let ip = ip.unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
    let listener = std::net::TcpListener::bind((ip, 0))
        .map_err(|e| EngineError::internal("cannot find a free port", e))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| EngineError::internal("cannot find a free port", e))
}
