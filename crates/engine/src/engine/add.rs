//! Adding torrents: magnets (metadata in the background), .torrent bytes and URLs.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use librqbit::AddTorrentResponse;

use super::*;

impl Engine {
    /// A new torrent's record. Creates its category when it does not exist yet.
    pub(super) fn new_record(
        &self,
        magnet: &Magnet,
        options: &AddOptions,
    ) -> Result<TorrentRecord> {
        let placement = self.placement(options)?;
        Ok(TorrentRecord {
            id: 0,
            magnet: magnet.to_uri(),
            name: magnet.name.clone(),
            paused: options.paused.unwrap_or(!self.settings().auto_start),
            selected: options.files.clone().map(normalize_selection),
            peers: magnet.peers.clone(),
            trackers: magnet.trackers.clone(),
            own_trackers: false,
            added_at: now(),
            completed_at: None,
            counters: Default::default(),
            seed_limits: options.seed_limits.normalized(),
            seed_limit_reached: false,
            force_start: options.force_start,
            queue_order: 0,
            sequential: options.sequential,
            first_last_pieces_first: options.first_last_pieces_first,
            download_limit: options.download_limit,
            upload_limit: options.upload_limit,
            folder: None,
            save_path: Some(placement.save_path),
            final_save_path: placement.final_save_path,
            finished_announced: false,
            dormant: false,
            category: placement.category,
            tags: placement.tags,
            display_name: control::check_display_name(options.name.clone())?,
        })
    }

    pub(super) async fn add_magnet(&self, uri: &str, options: AddOptions) -> Result<Added> {
        let mut magnet = Magnet::parse(uri)?;
        for host in std::mem::take(&mut magnet.peer_hosts) {
            match tokio::net::lookup_host(host.as_str()).await {
                Ok(addrs) => magnet.peers.extend(addrs.take(4)),
                Err(e) => warn!(%host, "ignoring peer hint that does not resolve: {e}"),
            }
        }
        let hash = magnet.info_hash;
        let record = self.new_record(&magnet, &options)?;
        let paused = record.paused;
        {
            let mut map = self.lock();
            if let Some(entry) = map.get_mut(&hash) {
                return Ok(Added {
                    torrent: self.view(&hash, entry),
                    created: false,
                });
            }
            let record = queued_last(&map, record);
            map.insert(hash, Box::new(Entry::new(record)));
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

    /// Fetches a magnet's metadata in the background, checks it, then hands the
    /// torrent to librqbit (its add would block until the metadata is there).
    pub(super) fn spawn_resolver(&self, hash: InfoHash) {
        let engine = self.clone();
        let task = tokio::spawn(async move {
            let result = engine.resolve(&hash).await;
            engine.finish_resolve(hash, result).await;
        });
        if let Some(entry) = self.lock().get_mut(&hash) {
            entry.resolver = Some(task.abort_handle());
        }
    }

    /// Gets a magnet's metadata from peers without creating anything on disk
    /// (librqbit's `list_only`), checks it like a .torrent file, then adds the
    /// torrent with it. `Ok(None)`: the torrent was deleted meanwhile. The error is
    /// the message the torrent shows.
    async fn resolve(&self, hash: &InfoHash) -> std::result::Result<Option<Resolved>, String> {
        let Some(record) = self.record(hash) else {
            return Ok(None);
        };
        let magnet = Magnet::parse(&record.magnet).map_err(|e| e.to_string())?;
        let options = AddTorrentOptions {
            list_only: true,
            initial_peers: (!record.peers.is_empty()).then(|| record.peers.clone()),
            trackers: (!record.trackers.is_empty()).then(|| record.trackers.clone()),
            ..Default::default()
        };
        let response = self
            .inner
            .session
            .add_torrent(AddTorrent::from_url(magnet.engine_uri()), Some(options))
            .await
            .map_err(|e| {
                format!(
                    "could not get the metadata: {}",
                    crate::sanitize::strip_paths(&format!("{e:#}"))
                )
            })?;
        let AddTorrentResponse::ListOnly(metadata) = response else {
            return Err("could not get the metadata: the engine answered without it".into());
        };
        // librqbit already refused `..` and separators in the metadata from peers;
        // what it lets through (a file inside another file, a NUL byte, a nameless
        // torrent, a piece count that does not match, too many files...) stops here,
        // before any file is created.
        let (folder, files) = match validate_torrent(&metadata.torrent_bytes, self.inner.max_files)
        {
            Ok(valid) => (valid.folder, valid.files),
            Err(e) => {
                let why = match e {
                    EngineError::InvalidTorrent(why) => why,
                    other => other.to_string(),
                };
                return Err(format!("the metadata from peers was refused: {why}"));
            }
        };
        // The record as it is now: it may have changed while peers were asked.
        let Some(mut record) = self.record(hash) else {
            return Ok(None);
        };
        let save_path = self.save_path_of(&record);
        let folder = save_path.join(folder);
        let files: Vec<PathBuf> = files.iter().map(|f| save_path.join(f)).collect();
        record.folder = Some(folder.clone());
        // The peers that gave the metadata are the first to ask for the data.
        record.peers.extend(
            metadata
                .seen_peers
                .iter()
                .filter(|p| !record.peers.contains(p))
                .copied()
                .collect::<Vec<_>>(),
        );
        let bytes = metadata.torrent_bytes;
        let handle = self
            .add_checked(hash, bytes.clone(), &files, &record)
            .await
            .map_err(|e| match e {
                EngineError::InvalidTorrent(why) => format!("could not get the metadata: {why}"),
                other => other.to_string(),
            })?;
        Ok(Some(Resolved {
            handle,
            bytes,
            folder,
        }))
    }

    pub(super) fn record(&self, hash: &InfoHash) -> Option<TorrentRecord> {
        self.lock().get(hash).map(|entry| entry.record().clone())
    }

    /// Hands checked .torrent bytes to librqbit, unless its `files` (relative to
    /// the storage root) overlap another torrent's. When the add fails, removes
    /// the files and folders of `files` that it created.
    async fn add_checked(
        &self,
        hash: &InfoHash,
        bytes: Bytes,
        files: &[PathBuf],
        record: &TorrentRecord,
    ) -> Result<Handle> {
        let _adding = self.inner.adding.lock().await;
        self.check_overlap(hash, files)?;
        let created = cleanup::NewPaths::before(&self.inner.paths.root, files);
        let result = self
            .add_to_session(hash, AddTorrent::from_bytes(bytes), record)
            .await;
        if result.is_err() {
            created.remove();
        }
        result
    }

    /// Refuses `files` (relative to the storage root) when one of them is a
    /// file of another torrent, or a folder holding one, or inside one: two
    /// torrents writing the same path would corrupt each other's data. Nothing
    /// goes into the state folder either.
    pub(super) fn check_overlap(&self, hash: &InfoHash, files: &[PathBuf]) -> Result<()> {
        if let Some(state) = &self.inner.paths.state_dir
            && let Some(file) = files.iter().find(|f| f.starts_with(state))
        {
            return Err(EngineError::Conflict(format!(
                "its file {} would be inside the server's state folder",
                self.inner.paths.show(file)
            )));
        }
        // Mine: my files, and every folder on their way. Another torrent's files all
        // lie beneath its top (its folder and the first part of its file names), so
        // a torrent whose top is neither one of those nor beneath a file of mine
        // cannot clash, and its files are not looked at.
        let my_files: HashSet<&Path> = files.iter().map(PathBuf::as_path).collect();
        let mine: HashSet<&Path> = files
            .iter()
            .flat_map(|f| f.ancestors())
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        // A path that clashes with mine begins as one of mine does: a cheap first
        // look at every other torrent (a `Path` hashes component by component,
        // slowly; my files begin with one or a few names, compared byte by byte).
        let mut my_firsts: Vec<&std::ffi::OsStr> = files
            .iter()
            .filter_map(|f| f.components().next().map(|c| c.as_os_str()))
            .collect();
        my_firsts.sort_unstable();
        my_firsts.dedup();
        let begins_as_mine = |first: &std::ffi::OsStr| my_firsts.contains(&first);
        // The same file, a folder of mine, or inside a file of mine.
        let clashes_beyond_first = |path: &Path| {
            mine.contains(path) || path.ancestors().skip(1).any(|dir| my_files.contains(dir))
        };
        let clashes = |path: &Path| {
            path.components()
                .next()
                .is_some_and(|c| begins_as_mine(c.as_os_str()))
                && clashes_beyond_first(path)
        };
        let folders = &self.inner.folders;
        let clash = {
            let mut map = self.lock();
            map.iter_mut()
                .filter(|(other, _)| *other != hash)
                .find_map(|(other, entry)| {
                    let (top, first) = entry.top(folders)?;
                    if !begins_as_mine(first) || !clashes_beyond_first(top) {
                        return None;
                    }
                    let theirs = match &entry.handle {
                        Some(handle) => {
                            let folder = entry::relative_folder(handle, folders);
                            handle
                                .with_metadata(|m| {
                                    m.file_infos
                                        .iter()
                                        .filter(|i| !i.attrs.padding)
                                        .map(|i| folder.join(&i.relative_filename))
                                        .find(|path| clashes(path))
                                })
                                .ok()
                                .flatten()
                        }
                        // Dormant: its files as its .torrent file names them.
                        None => {
                            let folder = entry.record().folder.clone()?;
                            let bytes = self.inner.store.read_torrent(other)?;
                            view::saved_files(&bytes)?
                                .into_iter()
                                .map(|(_, path, _)| folder.join(path))
                                .find(|path| clashes(path))
                        }
                    }?;
                    let name = entry.record().name.clone().unwrap_or_default();
                    Some((*other, name, theirs))
                })
        };
        if let Some((other, name, theirs)) = clash {
            // Named by the file of mine it concerns.
            let file = files
                .iter()
                .find(|f| {
                    f.as_path() == theirs
                        || f.starts_with(&theirs)
                        || theirs.starts_with(f.as_path())
                })
                .unwrap_or(&theirs);
            return Err(EngineError::Conflict(format!(
                "its file {} would overlap the files of the torrent \"{name}\" ({other})",
                self.inner.paths.show(file)
            )));
        }
        Ok(())
    }

    async fn finish_resolve(
        &self,
        hash: InfoHash,
        result: std::result::Result<Option<Resolved>, String>,
    ) {
        let Resolved {
            handle,
            bytes,
            folder,
        } = match result {
            Ok(Some(resolved)) => resolved,
            Ok(None) => return,
            Err(why) => {
                self.set_error(&hash, why);
                return;
            }
        };
        if let Err(e) = self.inner.store.save_torrent(&hash, &bytes) {
            warn!(%hash, "cannot save the torrent's metadata: {e}");
        }
        let orphan = {
            let mut map = self.lock();
            match map.get_mut(&hash) {
                Some(entry) => {
                    let record = entry.record_mut();
                    record.name = handle.name().or(record.name.take());
                    record.folder = Some(folder);
                    entry.handle = Some(handle.clone());
                    entry.resolver = None;
                    entry.error = None;
                    false
                }
                None => true,
            }
        };
        if !orphan {
            self.steer_sequential().await;
            self.tick().await;
        }
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

    pub(super) fn set_error(&self, hash: &InfoHash, why: String) {
        if let Some(entry) = self.lock().get_mut(hash) {
            warn!(%hash, "{why}");
            entry.error = Some(why);
            entry.resolver = None;
        }
    }

    pub(super) async fn add_torrent_file(
        &self,
        bytes: Bytes,
        options: AddOptions,
    ) -> Result<Added> {
        let Valid {
            parsed,
            folder,
            files,
        } = validate_torrent(&bytes, self.inner.max_files)?;
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
        let mut record = self.new_record(&magnet, &options)?;
        // trackers inside the .torrent are librqbit's to use; no need to repeat them.
        record.trackers.clear();
        // Already there (librqbit has it, or it is dormant): nothing to do.
        if let Some(entry) = self.lock().get_mut(&hash)
            && (entry.handle.is_some() || entry.record().dormant)
        {
            return Ok(Added {
                torrent: self.view(&hash, entry),
                created: false,
            });
        }
        // The .torrent is on disk before the record can be: a crash in between must not
        // leave a record that restarts as a magnet with no way to get its metadata.
        self.inner
            .store
            .save_torrent(&hash, &bytes)
            .map_err(|e| EngineError::internal("cannot save the .torrent", e))?;
        {
            let mut map = self.lock();
            match map.get_mut(&hash) {
                Some(entry) if entry.handle.is_some() || entry.record().dormant => {
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
                    record = entry.record().clone();
                    if options.files.is_some() {
                        record.selected = options.files.clone().map(normalize_selection);
                    }
                    record.name = magnet.name.clone();
                }
                None => {
                    record = queued_last(&map, record);
                    map.insert(hash, Box::new(Entry::new(record.clone())));
                }
            }
        }
        // Its folder and files beneath the storage root, in its save path.
        let save_path = self.save_path_of(&record);
        record.folder = Some(save_path.join(&folder));
        let files: Vec<PathBuf> = files.iter().map(|f| save_path.join(f)).collect();
        // Handed to librqbit stopped for the ticker to start (see `add_to_session`).
        let added_held_back =
            self.settings().queue.enabled || record.sequential || record.first_last_pieces_first;
        match self.add_checked(&hash, bytes, &files, &record).await {
            Ok(handle) => {
                if let Some(entry) = self.lock().get_mut(&hash) {
                    entry.handle = Some(handle);
                    *entry.record_mut() = record;
                }
                // The queue decides at once whether it runs, and a piece order is in
                // place before it fetches (librqbit has it stopped until then);
                // otherwise it runs already and the ticker looks at it in a second.
                if added_held_back {
                    self.steer_sequential().await;
                    self.tick().await;
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
}

/// `record` placed after every torrent of `map` in the queue, with the next id.
fn queued_last(map: &BTreeMap<InfoHash, Box<Entry>>, mut record: TorrentRecord) -> TorrentRecord {
    record.queue_order = map
        .values()
        .map(|e| e.record().queue_order)
        .max()
        .unwrap_or(0)
        + 1;
    record.id = map.values().map(|e| e.record().id).max().unwrap_or(0) + 1;
    record
}

/// A magnet's metadata, checked and handed to librqbit.
struct Resolved {
    handle: Handle,
    /// The .torrent built from the metadata, kept for the next start.
    bytes: Bytes,
    /// The torrent's folder, relative to the storage root.
    folder: PathBuf,
}

/// Where a torrent's files go in the download folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Layout {
    /// The torrent's own layout (qBittorrent's "Original"): a torrent with a
    /// `files` list in `<name>/…`, a single-file torrent as `<name>`.
    Original,
    /// Where torrents added before folders were recorded went (librqbit's
    /// default): a folder only for two files or more.
    Legacy,
}

/// The folder of the torrent in `bytes` under `layout`, relative to its save
/// path ("" for the save path itself).
pub(super) fn torrent_folder(bytes: &[u8], layout: Layout) -> Result<PathBuf> {
    let checked = crate::torrent_guard::check(bytes)
        .map_err(|e| EngineError::InvalidTorrent(e.to_string()))?;
    let parsed = librqbit::torrent_from_bytes(bytes)
        .map_err(|e| EngineError::InvalidTorrent(crate::sanitize::strip_paths(&e.to_string())))?;
    let encoding = parsed.info.data.detect_encoding();
    Ok(folder_of(&checked, layout, |c| {
        encoding.decode(c).0.into_owned()
    }))
}

fn folder_of(
    checked: &crate::torrent_guard::Checked,
    layout: Layout,
    decode: impl Fn(&[u8]) -> String,
) -> PathBuf {
    let own_folder = match layout {
        Layout::Original => checked.multi_file,
        // Padding files count: librqbit counted them.
        Layout::Legacy => checked.files.len() >= 2,
    };
    if own_folder {
        PathBuf::from(decode(&checked.name))
    } else {
        PathBuf::new()
    }
}

/// .torrent bytes that passed [`validate_torrent`].
struct Valid<'a> {
    parsed: librqbit::TorrentMetaV1Borrowed<'a>,
    /// The torrent's folder ([`Layout::Original`]), relative to its save path.
    folder: PathBuf,
    /// Where each file but padding goes, relative to its save path.
    files: Vec<PathBuf>,
}

/// Checks .torrent bytes before librqbit uses them (see [`crate::torrent_guard`]),
/// with at most `max_files` files, and parses them. File names are compared as
/// librqbit will write them, decoded with the encoding it detects.
fn validate_torrent(bytes: &[u8], max_files: usize) -> Result<Valid<'_>> {
    let invalid =
        |e: crate::torrent_guard::TorrentError| EngineError::InvalidTorrent(e.to_string());
    let checked = crate::torrent_guard::check(bytes).map_err(invalid)?;
    checked.check_file_count(max_files).map_err(invalid)?;
    let parsed = librqbit::torrent_from_bytes(bytes)
        .map_err(|e| EngineError::InvalidTorrent(crate::sanitize::strip_paths(&e.to_string())))?;
    let encoding = parsed.info.data.detect_encoding();
    let decode = |c: &[u8]| encoding.decode(c).0.into_owned();
    checked
        .check_collisions(|c| decode(c).into_bytes())
        .map_err(invalid)?;
    let folder = folder_of(&checked, Layout::Original, decode);
    let files = checked
        .files
        .iter()
        .filter(|file| !file.padding)
        .map(|file| {
            let mut path = folder.clone();
            path.extend(file.components.iter().map(|c| decode(c)));
            path
        })
        .collect();
    Ok(Valid {
        parsed,
        folder,
        files,
    })
}
