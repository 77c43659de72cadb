//! Adding torrents: magnets (metadata in the background), .torrent bytes and URLs.

use super::*;

impl Engine {
    pub(super) fn new_record(&self, magnet: &Magnet, options: &AddOptions) -> TorrentRecord {
        TorrentRecord {
            magnet: magnet.to_uri(),
            name: magnet.name.clone(),
            paused: options.paused.unwrap_or(!self.settings().auto_start),
            selected: options.files.clone().map(normalize_selection),
            peers: magnet.peers.clone(),
            trackers: magnet.trackers.clone(),
            added_at: now(),
            completed_at: None,
            uploaded_before: 0,
        }
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
    pub(super) fn spawn_resolver(&self, hash: InfoHash) {
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
            let result = engine.add_to_session(&hash, add, &record).await;
            engine.finish_resolve(hash, result).await;
        });
        if let Some(entry) = self.lock().get_mut(&hash) {
            entry.resolver = Some(task.abort_handle());
        }
    }

    pub(super) async fn finish_resolve(&self, hash: InfoHash, result: Result<Handle>) {
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
            && let Err(e) = validate_torrent(bytes)
        {
            // librqbit already refused `..` and separators in the metadata from peers;
            // what it lets through (a file inside another file, a NUL byte, a nameless
            // torrent, a piece count that does not match...) stops here.
            let _ = self
                .inner
                .session
                .delete(TorrentIdOrHash::Hash(id20(&hash)), false)
                .await;
            let why = match e {
                EngineError::InvalidTorrent(why) => why,
                other => other.to_string(),
            };
            self.set_error(&hash, format!("the metadata from peers was refused: {why}"));
            return;
        }
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
        let parsed = validate_torrent(&bytes)?;
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
        if let Some(entry) = self.lock().get_mut(&hash)
            && entry.handle.is_some()
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
        match self
            .add_to_session(&hash, AddTorrent::from_bytes(bytes), &record)
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
}

/// Checks .torrent bytes before librqbit uses them (see [`crate::torrent_guard`]) and
/// parses them. File names are compared as librqbit will write them, decoded with
/// the encoding it detects.
fn validate_torrent(bytes: &[u8]) -> Result<librqbit::TorrentMetaV1Borrowed<'_>> {
    let invalid =
        |e: crate::torrent_guard::TorrentError| EngineError::InvalidTorrent(e.to_string());
    let checked = crate::torrent_guard::check(bytes).map_err(invalid)?;
    let parsed = librqbit::torrent_from_bytes(bytes)
        .map_err(|e| EngineError::InvalidTorrent(crate::sanitize::strip_paths(&e.to_string())))?;
    let encoding = parsed.info.data.detect_encoding();
    checked
        .check_collisions(|c| encoding.decode(c).0.into_owned().into_bytes())
        .map_err(invalid)?;
    Ok(parsed)
}
