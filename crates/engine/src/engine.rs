//! The engine: librqbit's session behind our own types and our own state file.

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
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

use crate::config::EngineConfig;
use crate::error::{EngineError, Result};
use crate::fetch::TorrentFetcher;
use crate::info_hash::InfoHash;
use crate::magnet::Magnet;
use crate::store::{Store, TorrentRecord};
use crate::types::{Torrent, TorrentFile, TorrentState};

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

struct Entry {
    record: TorrentRecord,
    /// librqbit's torrent, once the metadata is known.
    handle: Option<Handle>,
    /// The background task that resolves a magnet's metadata.
    resolver: Option<tokio::task::AbortHandle>,
    /// Why the torrent failed before librqbit had it (metadata or add errors).
    error: Option<String>,
    /// `uploaded_bytes` librqbit reported at the last tick.
    uploaded_seen: u64,
    /// Verified bytes when the resume bitfield was last written.
    resume_saved: u64,
}

impl Entry {
    fn new(record: TorrentRecord) -> Self {
        Entry {
            record,
            handle: None,
            resolver: None,
            error: None,
            uploaded_seen: 0,
            resume_saved: 0,
        }
    }
}

struct Inner {
    config: EngineConfig,
    session: Arc<Session>,
    store: Store,
    fetcher: TorrentFetcher,
    torrents: Mutex<BTreeMap<InfoHash, Entry>>,
    /// Serializes writes of the state file so that a stale snapshot never overwrites a newer one.
    save_lock: tokio::sync::Mutex<()>,
    shutdown: CancellationToken,
    /// Set when a view changed a record (a completion seen first by a reader).
    needs_save: AtomicBool,
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
    pub async fn start(config: EngineConfig) -> Result<Engine> {
        let store = Store::new(config.state_dir.clone());
        std::fs::create_dir_all(&config.download_dir)
            .map_err(|e| EngineError::internal("cannot create the download folder", e))?;
        std::fs::create_dir_all(store.librqbit_dir())
            .map_err(|e| EngineError::internal("cannot create the state folder", e))?;
        let records = store
            .load()
            .map_err(|e| EngineError::internal("cannot read the saved torrents", e))?;
        store
            .reset_librqbit_session()
            .map_err(|e| EngineError::internal("cannot reset the engine session", e))?;
        if let Err(e) = librqbit::try_increase_nofile_limit() {
            debug!("could not raise the open file limit: {e:#}");
        }

        let port = match config.incoming_port {
            0 => free_port(config.listen_ip)?,
            p => p,
        };
        let listen_ip = config
            .listen_ip
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let shutdown = CancellationToken::new();
        let options = SessionOptions {
            dht: config.dht.then(|| DhtSessionConfig {
                bootstrap_addrs: None,
                port: None,
                persistence: Some(DhtPersistenceConfig {
                    dump_interval: None,
                    config_filename: Some(config.state_dir.join("dht.json")),
                }),
            }),
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
            // and disk writes need them too (librqbit pitfall 2).
            runtime_worker_threads: Some(64),
            disable_upload: !config.upload,
            cancellation_token: Some(shutdown.child_token()),
            ..Default::default()
        };
        let session = Session::new_with_opts(config.download_dir.clone(), options)
            .await
            .map_err(|e| {
                EngineError::internal("cannot start the BitTorrent session", format!("{e:#}"))
            })?;
        let fetcher = TorrentFetcher::new(config.allow_private_urls)?;

        let engine = Engine {
            inner: Arc::new(Inner {
                config,
                session,
                store,
                fetcher,
                torrents: Mutex::new(BTreeMap::new()),
                save_lock: tokio::sync::Mutex::new(()),
                shutdown,
                needs_save: AtomicBool::new(false),
            }),
        };
        for (hash, record) in records {
            engine.restore(hash, record).await;
        }
        engine.spawn_ticker();
        info!(torrents = engine.lock().len(), port, "engine started");
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

    fn lock(&self) -> MutexGuard<'_, BTreeMap<InfoHash, Entry>> {
        // A panic while holding the lock cannot leave the map inconsistent in a way
        // worse than stopping the whole server would, so recover from poisoning.
        self.inner
            .torrents
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    async fn restore(&self, hash: InfoHash, record: TorrentRecord) {
        let bytes = self.inner.store.read_torrent(&hash);
        self.lock().insert(hash, Entry::new(record.clone()));
        match bytes {
            Some(bytes) => {
                let result = self
                    .add_to_session(AddTorrent::from_bytes(bytes), &record)
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

    /// Hands a torrent to librqbit with the options of its record.
    async fn add_to_session(
        &self,
        add: AddTorrent<'static>,
        record: &TorrentRecord,
    ) -> Result<Handle> {
        let options = AddTorrentOptions {
            paused: record.paused,
            only_files: record.selected.clone(),
            // Needed to resume or seed data already on disk.
            overwrite: true,
            initial_peers: (!record.peers.is_empty()).then(|| record.peers.clone()),
            trackers: (!record.trackers.is_empty()).then(|| record.trackers.clone()),
            ..Default::default()
        };
        let response = self
            .inner
            .session
            .add_torrent(add, Some(options))
            .await
            .map_err(|e| {
                EngineError::InvalidTorrent(crate::sanitize::strip_paths(&format!("{e:#}")))
            })?;
        response
            .into_handle()
            .ok_or_else(|| EngineError::Internal("the engine did not keep the torrent".into()))
    }

    /// Adds a torrent. Returns at once; a magnet's metadata is fetched in the background.
    pub async fn add(&self, source: AddSource, options: AddOptions) -> Result<Added> {
        match source {
            AddSource::Magnet(uri) => self.add_magnet(&uri, options).await,
            AddSource::TorrentFile(bytes) => self.add_torrent_file(bytes, options).await,
            AddSource::Url(url) => {
                let bytes = self.inner.fetcher.fetch(&url).await?;
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

    fn new_record(&self, magnet: &Magnet, options: &AddOptions) -> TorrentRecord {
        TorrentRecord {
            magnet: magnet.to_uri(),
            name: magnet.name.clone(),
            paused: options.paused.unwrap_or(!self.inner.config.auto_start),
            selected: options.files.clone().map(normalize_selection),
            peers: magnet.peers.clone(),
            trackers: magnet.trackers.clone(),
            added_at: now(),
            completed_at: None,
            uploaded_before: 0,
        }
    }

    async fn add_magnet(&self, uri: &str, options: AddOptions) -> Result<Added> {
        let mut magnet = Magnet::parse(uri)?;
        for host in std::mem::take(&mut magnet.peer_hosts) {
            match tokio::net::lookup_host(host.as_str()).await {
                Ok(addrs) => magnet.peers.extend(addrs.take(4)),
                Err(e) => warn!(%host, "ignoring peer hint that does not resolve: {e}"),
            }
        }
        let hash = magnet.info_hash;
        let record = self.new_record(&magnet, &options);
        let paused = record.paused;
        {
            let mut map = self.lock();
            if let Some(entry) = map.get_mut(&hash) {
                return Ok(Added {
                    torrent: self.view(&hash, entry),
                    created: false,
                });
            }
            map.insert(hash, Entry::new(record));
        }
        if !paused {
            self.spawn_resolver(hash);
        }
        self.persist().await;
        Ok(Added {
            torrent: self.get(&hash)?,
            created: true,
        })
    }

    /// Fetches a magnet's metadata in the background (librqbit's add blocks until then).
    fn spawn_resolver(&self, hash: InfoHash) {
        let engine = self.clone();
        let task = tokio::spawn(async move {
            let record = match engine.lock().get(&hash) {
                Some(entry) => entry.record.clone(),
                None => return,
            };
            let add = match Magnet::parse(&record.magnet) {
                Ok(m) => AddTorrent::from_url(m.engine_uri()),
                Err(e) => {
                    engine.set_error(&hash, e.to_string());
                    return;
                }
            };
            let result = engine.add_to_session(add, &record).await;
            engine.finish_resolve(hash, result).await;
        });
        if let Some(entry) = self.lock().get_mut(&hash) {
            entry.resolver = Some(task.abort_handle());
        }
    }

    async fn finish_resolve(&self, hash: InfoHash, result: Result<Handle>) {
        let handle = match result {
            Ok(handle) => handle,
            Err(e) => {
                let why = match e {
                    EngineError::InvalidTorrent(why) => {
                        format!("could not get the metadata: {why}")
                    }
                    other => other.to_string(),
                };
                self.set_error(&hash, why);
                return;
            }
        };
        let bytes = handle.with_metadata(|m| m.torrent_bytes.clone()).ok();
        if let Some(bytes) = &bytes
            && let Err(e) = self.inner.store.save_torrent(&hash, bytes)
        {
            warn!(%hash, "cannot save the torrent's metadata: {e}");
        }
        let orphan = {
            let mut map = self.lock();
            match map.get_mut(&hash) {
                Some(entry) => {
                    entry.record.name = handle.name().or(entry.record.name.take());
                    entry.handle = Some(handle.clone());
                    entry.resolver = None;
                    entry.error = None;
                    false
                }
                None => true,
            }
        };
        if orphan {
            // Deleted while its metadata was being fetched.
            let _ = self
                .inner
                .session
                .delete(TorrentIdOrHash::Hash(id20(&hash)), false)
                .await;
            self.inner.store.remove_torrent(&hash);
        }
        self.persist().await;
    }

    fn set_error(&self, hash: &InfoHash, why: String) {
        if let Some(entry) = self.lock().get_mut(hash) {
            warn!(%hash, "{why}");
            entry.error = Some(why);
            entry.resolver = None;
        }
    }

    async fn add_torrent_file(&self, bytes: Bytes, options: AddOptions) -> Result<Added> {
        let parsed = librqbit::torrent_from_bytes(&bytes).map_err(|e| {
            EngineError::InvalidTorrent(crate::sanitize::strip_paths(&e.to_string()))
        })?;
        let hash = InfoHash(parsed.info_hash.0);
        let file_count = parsed.info.data.files.as_ref().map_or(1, |f| f.len());
        if let Some(files) = &options.files {
            check_selection(files, file_count)?;
        }
        let name = parsed
            .info
            .data
            .name
            .as_ref()
            .map(|n| String::from_utf8_lossy(n.as_ref()).into_owned());
        let trackers: Vec<String> = parsed
            .iter_announce()
            .filter_map(|t| std::str::from_utf8(t.as_ref()).ok().map(str::to_owned))
            .collect();
        let magnet = Magnet {
            info_hash: hash,
            name,
            trackers: trackers.clone(),
            peers: vec![],
            peer_hosts: vec![],
        };
        let mut record = self.new_record(&magnet, &options);
        // trackers inside the .torrent are librqbit's to use; no need to repeat them.
        record.trackers.clear();
        {
            let mut map = self.lock();
            match map.get_mut(&hash) {
                Some(entry) if entry.handle.is_some() => {
                    return Ok(Added {
                        torrent: self.view(&hash, entry),
                        created: false,
                    });
                }
                Some(entry) => {
                    // A magnet still waiting for metadata: the file gives it at once.
                    if let Some(task) = entry.resolver.take() {
                        task.abort();
                    }
                    entry.error = None;
                    record = entry.record.clone();
                    if options.files.is_some() {
                        record.selected = options.files.clone().map(normalize_selection);
                    }
                    record.name = magnet.name.clone();
                }
                None => {
                    map.insert(hash, Entry::new(record.clone()));
                }
            }
        }
        self.inner
            .store
            .save_torrent(&hash, &bytes)
            .map_err(|e| EngineError::internal("cannot save the .torrent", e))?;
        match self
            .add_to_session(AddTorrent::from_bytes(bytes), &record)
            .await
        {
            Ok(handle) => {
                if let Some(entry) = self.lock().get_mut(&hash) {
                    entry.handle = Some(handle);
                    entry.record = record;
                }
                self.persist().await;
                Ok(Added {
                    torrent: self.get(&hash)?,
                    created: true,
                })
            }
            Err(e) => {
                self.lock().remove(&hash);
                self.inner.store.remove_torrent(&hash);
                Err(e)
            }
        }
    }

    /// All torrents, oldest first.
    pub fn list(&self) -> Vec<Torrent> {
        let mut map = self.lock();
        let mut list: Vec<Torrent> = map.iter_mut().map(|(h, e)| self.view(h, e)).collect();
        list.sort_by(|a, b| {
            a.added_at
                .cmp(&b.added_at)
                .then_with(|| a.info_hash.cmp(&b.info_hash))
        });
        list
    }

    /// One torrent.
    pub fn get(&self, hash: &InfoHash) -> Result<Torrent> {
        let mut map = self.lock();
        let entry = map
            .get_mut(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        Ok(self.view(hash, entry))
    }

    /// Finds a torrent by its info hash and one of its file paths (relative to the download folder).
    pub fn file_index(&self, hash: &InfoHash, path: &str) -> Result<usize> {
        let torrent = self.get(hash)?;
        let wanted = path.trim_start_matches('/');
        torrent
            .files
            .iter()
            .find(|f| {
                f.path == wanted
                    || f.path
                        .split_once('/')
                        .is_some_and(|(_, rest)| rest == wanted)
            })
            .map(|f| f.index)
            .ok_or_else(|| {
                EngineError::InvalidFileSelection(format!("the torrent has no file {wanted:?}"))
            })
    }

    fn view(&self, hash: &InfoHash, entry: &mut Entry) -> Torrent {
        if let Some(handle) = &entry.handle
            && entry.record.completed_at.is_none()
            && handle.stats().finished
        {
            entry.record.completed_at = Some(now());
            self.inner.needs_save.store(true, Ordering::Relaxed);
        }
        let record = &entry.record;
        let mut torrent = Torrent {
            info_hash: hash.to_hex(),
            name: record.name.clone().unwrap_or_else(|| hash.to_hex()),
            state: TorrentState::Metadata,
            progress: 0.0,
            size: 0,
            downloaded: 0,
            uploaded: record.uploaded_before,
            download_rate: 0,
            upload_rate: 0,
            peers: 0,
            eta: None,
            added_at: rfc3339(record.added_at),
            completed_at: record.completed_at.map(rfc3339),
            error: entry.error.clone(),
            magnet: record.magnet.clone(),
            files: Vec::new(),
        };
        let Some(handle) = &entry.handle else {
            torrent.state = if entry.error.is_some() {
                TorrentState::Error
            } else if record.paused {
                TorrentState::Paused
            } else {
                TorrentState::Metadata
            };
            return torrent;
        };
        let stats = handle.stats();
        torrent.name = handle.name().unwrap_or(torrent.name);
        torrent.files = self.files_of(handle, &stats);
        // librqbit counts whole pieces; a user counts the bytes of the chosen files.
        let chosen = torrent.files.iter().filter(|f| f.selected);
        torrent.size = chosen.clone().map(|f| f.size).sum();
        torrent.downloaded = chosen.map(|f| f.downloaded.min(f.size)).sum();
        torrent.progress = if torrent.size == 0 {
            if stats.finished { 1.0 } else { 0.0 }
        } else if stats.finished {
            1.0
        } else {
            (torrent.downloaded as f64 / torrent.size as f64).min(0.999_999)
        };
        torrent.uploaded =
            record.uploaded_before + unseen_upload(entry.uploaded_seen, stats.uploaded_bytes);
        torrent.state = self.state_of(record, &stats);
        if torrent.state == TorrentState::Error {
            torrent.error = stats
                .error
                .as_deref()
                .map(crate::sanitize::strip_paths)
                .or(torrent.error);
        }
        if let Some(live) = &stats.live {
            torrent.download_rate = bytes_per_second(live.download_speed.mbps);
            torrent.upload_rate = bytes_per_second(live.upload_speed.mbps);
            torrent.peers = live.snapshot.peer_stats.live;
            if torrent.state == TorrentState::Downloading && torrent.download_rate > 0 {
                torrent.eta = Some(
                    torrent
                        .size
                        .saturating_sub(torrent.downloaded)
                        .div_ceil(torrent.download_rate),
                );
            }
        }
        if torrent.state == TorrentState::Seeding || torrent.state == TorrentState::Completed {
            torrent.eta = Some(0);
        }
        torrent
    }

    fn state_of(&self, record: &TorrentRecord, stats: &TorrentStats) -> TorrentState {
        let done = stats.finished && !self.inner.config.seeding;
        match stats.state {
            TorrentStatsState::Error => TorrentState::Error,
            _ if done => TorrentState::Completed,
            // Stopping: librqbit may still be finishing its initial check; the
            // ticker pauses it as soon as it can.
            _ if record.paused => TorrentState::Paused,
            TorrentStatsState::Initializing { .. } => TorrentState::Downloading,
            // Paused by librqbit but not by the user: the ticker resumes it.
            _ if stats.finished => TorrentState::Seeding,
            _ => TorrentState::Downloading,
        }
    }

    fn files_of(&self, handle: &Handle, stats: &TorrentStats) -> Vec<TorrentFile> {
        let folder = relative_to(handle.output_folder(), &self.inner.config.download_dir);
        let only = handle.only_files();
        handle
            .with_metadata(|m| {
                m.file_infos
                    .iter()
                    .enumerate()
                    .filter(|(_, fi)| !fi.attrs.padding)
                    .map(|(index, fi)| {
                        let mut path = folder.clone();
                        for part in fi.relative_filename.iter() {
                            if !path.is_empty() {
                                path.push('/');
                            }
                            path.push_str(&part.to_string_lossy());
                        }
                        TorrentFile {
                            index,
                            path,
                            size: fi.len,
                            downloaded: stats.file_progress.get(index).copied().unwrap_or(0),
                            selected: only.as_ref().is_none_or(|o| o.contains(&index)),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    fn entry_handle(&self, hash: &InfoHash) -> Result<Option<Handle>> {
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
            entry.record.paused = false;
            let needs_resolver = entry.handle.is_none() && entry.resolver.is_none();
            if needs_resolver {
                entry.error = None;
            }
            (entry.handle.clone(), needs_resolver)
        };
        if needs_resolver {
            self.spawn_resolver(*hash);
        }
        if let Some(handle) = handle {
            let finished_and_done = handle.stats().finished && !self.inner.config.seeding;
            if handle.is_paused() && !finished_and_done {
                self.inner.session.unpause(&handle).await.map_err(|e| {
                    EngineError::internal("cannot start the torrent", format!("{e:#}"))
                })?;
            }
        }
        self.persist().await;
        self.get(hash)
    }

    /// Stops (pauses) a torrent, keeping all verified data.
    pub async fn stop_torrent(&self, hash: &InfoHash) -> Result<Torrent> {
        let handle = {
            let mut map = self.lock();
            let entry = map
                .get_mut(hash)
                .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
            entry.record.paused = true;
            if let Some(task) = entry.resolver.take() {
                task.abort();
            }
            entry.handle.clone()
        };
        if let Some(handle) = handle
            && !handle.is_paused()
            && let Err(e) = self.inner.session.pause(&handle).await
        {
            debug!(%hash, "pause: {e:#}");
        }
        self.persist().await;
        self.get(hash)
    }

    /// Chooses the files to download. Before the metadata is known the choice is
    /// kept and applied when it arrives.
    pub async fn select_files(&self, hash: &InfoHash, selected: Vec<usize>) -> Result<Torrent> {
        let selected = normalize_selection(selected);
        let Some(handle) = self.entry_handle(hash)? else {
            if let Some(entry) = self.lock().get_mut(hash) {
                entry.record.selected = Some(selected);
            }
            self.persist().await;
            return self.get(hash);
        };
        let count = handle
            .with_metadata(|m| m.file_infos.len())
            .map_err(|_| EngineError::MetadataPending)?;
        check_selection(&selected, count)?;
        let set: HashSet<usize> = selected.iter().copied().collect();
        self.inner
            .session
            .update_only_files(&handle, &set)
            .await
            .map_err(|e| {
                EngineError::internal("cannot change the file selection", format!("{e:#}"))
            })?;
        if let Some(entry) = self.lock().get_mut(hash) {
            entry.record.selected = if selected.len() == count {
                None
            } else {
                Some(selected)
            };
            // More files to fetch: the torrent is no longer complete.
            if !handle.stats().finished {
                entry.record.completed_at = None;
            }
        }
        self.persist().await;
        self.get(hash)
    }

    /// Removes a torrent, and its files when `delete_files`.
    pub async fn delete(&self, hash: &InfoHash, delete_files: bool) -> Result<()> {
        let entry = self
            .lock()
            .remove(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        if let Some(task) = entry.resolver {
            task.abort();
        }
        self.inner.store.remove_torrent(hash);
        self.persist().await;
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
        self.account_uploads();
        self.persist().await;
        self.inner.session.stop().await;
        self.save_resume_data(false).await;
        info!("engine stopped");
    }

    /// Writes the state file (atomically). Failures are logged: the in-memory state
    /// stays right and the next save retries.
    async fn persist(&self) {
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
    fn account_uploads(&self) -> bool {
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
    async fn save_resume_data(&self, only_changed: bool) {
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
    fn spawn_ticker(&self) {
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

    async fn tick(&self) -> bool {
        let mut dirty = false;
        let mut to_pause = Vec::new();
        let mut to_resume = Vec::new();
        {
            let mut map = self.lock();
            for entry in map.values_mut() {
                let Some(handle) = &entry.handle else {
                    continue;
                };
                let stats = handle.stats();
                if stats.finished && entry.record.completed_at.is_none() {
                    entry.record.completed_at = Some(now());
                    dirty = true;
                }
                let want_running = {
                    let done = stats.finished && !self.inner.config.seeding;
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
        dirty
    }
}

fn unseen_upload(seen: u64, now: u64) -> u64 {
    // librqbit's counter restarts when a torrent restarts.
    if now >= seen { now - seen } else { now }
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

/// `path` relative to `base` with `/` separators; empty when it is `base`.
fn relative_to(path: &Path, base: &Path) -> String {
    let rel = path.strip_prefix(base).unwrap_or(Path::new(""));
    rel.iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
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
