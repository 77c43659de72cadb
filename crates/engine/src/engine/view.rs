//! The public view of torrents: state, progress, rates and files.

use std::path::PathBuf;

use super::*;
use crate::Pieces;

/// What a torrent held, shown while librqbit does not know it (its data moves)
/// or checks it again after being handed the torrent anew.
#[derive(Debug, Clone)]
pub(super) struct Held {
    size: u64,
    completed: u64,
    progress: f64,
    files: Vec<TorrentFile>,
    /// Whether its verified pieces were kept as fast-resume data, so that
    /// librqbit's check finds what it shows (not so for a check asked for).
    kept: bool,
}

impl Held {
    /// What `torrent` shows now; `kept` when its pieces are kept for librqbit.
    pub(super) fn of(torrent: &Torrent, kept: bool) -> Held {
        Held {
            size: torrent.size,
            completed: torrent.completed,
            progress: torrent.progress,
            files: torrent.files.clone(),
            kept,
        }
    }

    /// What librqbit will find when handed the torrent back: with its pieces kept,
    /// whether every selected file is whole; `None` when it reads all its data again.
    fn resumes_complete(&self) -> Option<bool> {
        self.kept.then_some(self.progress >= 1.0)
    }

    /// Its files as they are after a move of its data to the folder `to`
    /// (relative to the root); `moved` are their paths relative to the torrent's
    /// folder, in the order of its files (padding files left out, as here).
    pub(super) fn moved(
        &mut self,
        paths: &crate::category::SavePaths,
        to: &Path,
        moved: &[PathBuf],
    ) {
        if moved.len() == self.files.len() {
            for (file, relative) in self.files.iter_mut().zip(moved) {
                file.path = paths.show(&to.join(relative));
            }
        }
    }

    /// What a complete torrent holds by its .torrent file: every selected file
    /// whole (a dormant torrent after a restart, see `dormant.rs`). `folder` is the
    /// torrent's folder, relative to the storage root.
    pub(super) fn from_torrent_file(
        bytes: &[u8],
        paths: &crate::category::SavePaths,
        folder: &Path,
        selected: Option<&[usize]>,
    ) -> Option<Held> {
        let files: Vec<TorrentFile> = saved_files(bytes)?
            .into_iter()
            .map(|(index, path, size)| {
                let chosen = selected.is_none_or(|s| s.contains(&index));
                TorrentFile {
                    index,
                    path: paths.show(&folder.join(path)),
                    size,
                    completed: if chosen { size } else { 0 },
                    selected: chosen,
                }
            })
            .collect();
        let size = files.iter().filter(|f| f.selected).map(|f| f.size).sum();
        Some(Held {
            size,
            completed: size,
            progress: 1.0,
            files,
            kept: true,
        })
    }

    /// Its verified bytes.
    pub(super) fn completed(&self) -> u64 {
        self.completed
    }

    fn show(&self, torrent: &mut Torrent) {
        torrent.size = self.size;
        torrent.completed = self.completed;
        torrent.progress = self.progress;
        torrent.files = self.files.clone();
    }
}

/// The files of a .torrent file as librqbit names them (index among all its
/// files, path relative to the torrent's folder, size), padding files left out.
pub(super) fn saved_files(bytes: &[u8]) -> Option<Vec<(usize, PathBuf, u64)>> {
    let checked = crate::torrent_guard::check(bytes).ok()?;
    let parsed = librqbit::torrent_from_bytes(bytes).ok()?;
    let encoding = parsed.info.data.detect_encoding();
    Some(
        checked
            .files
            .iter()
            .enumerate()
            .filter(|(_, file)| !file.padding)
            .map(|(index, file)| {
                let path: PathBuf = file
                    .components
                    .iter()
                    .map(|c| encoding.decode(c).0.into_owned())
                    .collect();
                (index, path, file.length)
            })
            .collect(),
    )
}

/// What [`Engine::list_since`] gives.
#[derive(Debug, Default)]
pub struct Listing {
    /// The engine's tick when it was made.
    pub tick: u64,
    /// The torrents that may have changed, in no particular order.
    pub changed: Vec<Torrent>,
    /// The info hashes of the others.
    pub unchanged: Vec<String>,
}

impl Engine {
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

    /// The torrents that may have changed since the engine's tick `since` (all of
    /// them when `None`), and the info hashes of the others: quiet torrents
    /// (stopped, or seeding with no peer; see `Entry::quiet`) that have not changed
    /// since. A quiet torrent changes through its record (which ends its quiet) or
    /// under librqbit, which the ticker notices in its turn; so a caller that keeps
    /// what it was given before sees each change at the latest when the ticker
    /// does, and an idle collection costs no view. A torrent the caller does not
    /// `know` is always listed.
    pub fn list_since(&self, since: Option<u64>, known: impl Fn(&str) -> bool) -> Listing {
        let mut listing = Listing {
            tick: self.inner.ticks.load(Ordering::Relaxed),
            ..Default::default()
        };
        for (hash, entry) in self.lock().iter_mut() {
            // Still at that tick too: the caller may have listed it just before.
            let still = entry.quiet && since.is_some_and(|s| entry.still_since < s);
            let hex = hash.to_hex();
            if still && known(&hex) {
                listing.unchanged.push(hex);
            } else {
                listing.changed.push(self.view(hash, entry));
            }
        }
        listing
    }

    /// How many torrents there are.
    pub fn count(&self) -> usize {
        self.lock().len()
    }

    /// The torrents with files on disk that are not complete yet (librqbit has
    /// their metadata and has not finished them), without building a view of the
    /// others.
    pub fn unfinished(&self) -> Vec<Torrent> {
        let mut map = self.lock();
        map.iter_mut()
            .filter(|(_, e)| e.handle.as_ref().is_some_and(|h| !h.stats().finished))
            .map(|(h, e)| self.view(h, e))
            .collect()
    }

    /// One torrent.
    pub fn get(&self, hash: &InfoHash) -> Result<Torrent> {
        let mut map = self.lock();
        let entry = map
            .get_mut(hash)
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        Ok(self.view(hash, entry))
    }

    /// Which pieces the torrent holds, verified: a bitfield in BitTorrent's order
    /// (the high bit of the first byte is piece 0).
    pub fn pieces(&self, hash: &InfoHash) -> Result<Pieces> {
        let Some(handle) = self.entry_handle(hash)? else {
            return match self.is_dormant(hash) {
                Some(true) => self.dormant_pieces(hash),
                _ => Err(EngineError::MetadataPending),
            };
        };
        let piece_length = handle
            .with_metadata(|m| m.info.lengths().default_piece_length())
            .map_err(|_| EngineError::MetadataPending)?;
        let (have, count) = self.verified_pieces(hash).ok_or_else(|| {
            EngineError::Conflict("the torrent is still checking its data; try again".into())
        })?;
        Ok(Pieces {
            piece_length,
            count,
            have,
        })
    }

    /// [`Engine::pieces`] of a dormant torrent: its fast-resume data, which holds
    /// what librqbit had verified when it let the torrent go.
    fn dormant_pieces(&self, hash: &InfoHash) -> Result<Pieces> {
        let unreadable = |e: String| EngineError::internal("cannot read the torrent's pieces", e);
        let bytes = self
            .inner
            .store
            .read_torrent(hash)
            .ok_or_else(|| unreadable("its .torrent file is missing".into()))?;
        let checked = crate::torrent_guard::check(&bytes).map_err(|e| unreadable(e.to_string()))?;
        let count = u32::try_from(checked.total_length.div_ceil(checked.piece_length.max(1)))
            .map_err(|e| unreadable(e.to_string()))?;
        let mut have = std::fs::read(self.inner.store.resume_file(hash))
            .map_err(|e| unreadable(e.kind().to_string()))?;
        have.resize((count as usize).div_ceil(8), 0);
        Ok(Pieces {
            piece_length: u32::try_from(checked.piece_length)
                .map_err(|e| unreadable(e.to_string()))?,
            count,
            have,
        })
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

    /// What the API shows of a torrent: as the engine sees it, under the name the
    /// user gave it if any.
    pub(super) fn view(&self, hash: &InfoHash, entry: &mut Entry) -> Torrent {
        let mut torrent = self.engine_view(hash, entry);
        if let Some(name) = &entry.record().display_name {
            torrent.name.clone_from(name);
        }
        torrent
    }

    /// A torrent under its own name (which its content path may be guessed from).
    fn engine_view(&self, hash: &InfoHash, entry: &mut Entry) -> Torrent {
        if let Some(handle) = &entry.handle
            && entry.record().completed_at.is_none()
            && handle.stats().finished
        {
            entry.record_mut().completed_at = Some(now());
            self.inner.needs_save.store(true, Ordering::Relaxed);
        }
        let record = entry.record();
        let at = now();
        let mut torrent = Torrent {
            id: record.id,
            info_hash: hash.to_hex(),
            name: record.name.clone().unwrap_or_else(|| hash.to_hex()),
            state: TorrentState::Metadata,
            progress: 0.0,
            size: 0,
            completed: 0,
            downloaded: record.counters.downloaded,
            uploaded: record.counters.uploaded,
            ratio: record.counters.ratio(0),
            seeding_time: record.counters.seeding_ms_at(at) / 1000,
            active_time: record.counters.active_ms_at(at) / 1000,
            seeding_since: record.counters.seeding_since.map(rfc3339),
            active_since: record.counters.active_since.map(rfc3339),
            times_before_since: (
                record.counters.seeding_ms / 1000,
                record.counters.active_ms / 1000,
            ),
            last_activity: record.counters.last_activity.map(rfc3339),
            seed_ratio_limit: record.seed_limits.ratio,
            seed_time_limit: record.seed_limits.seeding_minutes,
            seed_idle_limit: record.seed_limits.idle_minutes,
            seed_limit_reached: record.seed_limit_reached,
            force_start: record.force_start,
            queue_position: None,
            sequential: record.sequential,
            first_last_pieces_first: record.first_last_pieces_first,
            download_limit: record.download_limit,
            upload_limit: record.upload_limit,
            download_rate: 0,
            upload_rate: 0,
            peers: 0,
            eta: None,
            check_progress: None,
            added_at: rfc3339(record.added_at),
            completed_at: record.completed_at.map(rfc3339),
            error: entry.error.clone(),
            move_error: entry.move_error.clone(),
            category: record.category.clone(),
            tags: record.tags.clone(),
            save_path: String::new(),
            content_path: String::new(),
            magnet: record.magnet.clone(),
            tracker_hosts: entry.tracker_hosts().to_vec(),
            comment: entry.about.as_ref().and_then(|a| a.comment.clone()),
            created_by: entry.about.as_ref().and_then(|a| a.created_by.clone()),
            created_at: entry
                .about
                .as_ref()
                .and_then(|a| OffsetDateTime::from_unix_timestamp(a.created_at?).ok())
                .map(rfc3339),
            private: entry.about.as_ref().is_some_and(|a| a.private),
            dormant: false,
            files: Vec::new(),
        };
        let save_path = self.save_path_of(record);
        torrent.save_path = self.inner.paths.show(&save_path);
        // The folder of its own when it has one; before the metadata, a guess by name.
        torrent.content_path = self.inner.paths.show(&match &record.folder {
            Some(folder) if *folder != save_path => folder.clone(),
            _ => save_path.join(&torrent.name),
        });
        let Some(handle) = &entry.handle else {
            if let Some(held) = &entry.held {
                held.show(&mut torrent);
            }
            let seeding = self.settings().seeding;
            torrent.state = if entry.moving {
                TorrentState::Moving
            } else if entry.error.is_some() {
                TorrentState::Error
            } else if record.paused && record.seed_limit_reached && record.completed_at.is_some() {
                // Stopped at a seeding limit while dormant: finished with it.
                TorrentState::Completed
            } else if record.paused {
                TorrentState::Paused
            } else if record.dormant {
                // Seeding, out of librqbit until a peer comes (see `dormant.rs`);
                // with seeding off, done (and not announced).
                torrent.dormant = true;
                torrent.eta = Some(0);
                torrent.ratio = record
                    .counters
                    .ratio(entry.held.as_ref().map_or(0, Held::completed));
                if seeding {
                    TorrentState::Seeding
                } else {
                    TorrentState::Completed
                }
            } else if let Some(held) = &entry.held {
                // Taken from librqbit to be handed back at once (see `readd`): as
                // it was, or checking when it is to read all its data again.
                match held.resumes_complete() {
                    Some(true) if seeding => TorrentState::Seeding,
                    Some(true) => TorrentState::Completed,
                    Some(false) => TorrentState::Downloading,
                    None => TorrentState::Checking,
                }
            } else if entry.restoring {
                TorrentState::Queued
            } else {
                TorrentState::Metadata
            };
            return torrent;
        };
        let stats = handle.stats();
        torrent.name = handle.name().unwrap_or(torrent.name);
        torrent.files = self.files_of(handle, &stats, record.selected.as_deref());
        if record.folder.as_ref() == Some(&save_path)
            && let [file] = torrent.files.as_slice()
        {
            torrent.content_path = file.path.clone();
        }
        // librqbit counts whole pieces; a user counts the bytes of the chosen files.
        let chosen = torrent.files.iter().filter(|f| f.selected);
        torrent.size = chosen.clone().map(|f| f.size).sum();
        torrent.completed = chosen.map(|f| f.completed.min(f.size)).sum();
        torrent.progress = if torrent.size == 0 {
            if stats.finished { 1.0 } else { 0.0 }
        } else if stats.finished {
            1.0
        } else {
            (torrent.completed as f64 / torrent.size as f64).min(0.999_999)
        };
        // Handed to librqbit anew, it checks its data before it knows what it holds;
        // a torrent whose pieces were kept goes on as it was meanwhile (after a move,
        // a change of limits, on waking) rather than seem to download or check again.
        let mut resumes_complete = None;
        match (&entry.held, &stats.state) {
            (Some(held), TorrentStatsState::Initializing { .. }) => {
                held.show(&mut torrent);
                resumes_complete = held.resumes_complete();
            }
            (Some(_), _) => entry.held = None,
            _ => {}
        }
        let record = entry.record();
        let counters = record.counters.with_unseen(&entry.seen, &stats);
        torrent.downloaded = counters.downloaded;
        torrent.uploaded = counters.uploaded;
        torrent.ratio = counters.ratio(stats.progress_bytes);
        torrent.state = self.state_of(record, &stats, entry.queued, resumes_complete);
        // A move is under way from the moment it is decided, before librqbit lets the
        // torrent go and until it has it back.
        if entry.moving {
            torrent.state = TorrentState::Moving;
        }
        if torrent.state == TorrentState::Checking {
            torrent.check_progress = Some(if stats.total_bytes == 0 {
                0.0
            } else {
                (stats.progress_bytes as f64 / stats.total_bytes as f64).min(1.0)
            });
        }
        torrent.queue_position = entry.queue_position;
        if torrent.state == TorrentState::Error {
            torrent.error = stats
                .error
                .as_deref()
                .map(crate::sanitize::describe_torrent_error)
                .or(torrent.error);
        }
        if let Some(live) = &stats.live {
            // Over the last seconds (none without a peer); librqbit's estimate until
            // there is a second to measure over.
            (torrent.download_rate, torrent.upload_rate) = if live.snapshot.peer_stats.live == 0 {
                (0, 0)
            } else {
                entry.rates.rates().unwrap_or((
                    bytes_per_second(live.download_speed.mbps),
                    bytes_per_second(live.upload_speed.mbps),
                ))
            };
            torrent.peers = live.snapshot.peer_stats.live;
            if torrent.state == TorrentState::Downloading && torrent.download_rate > 0 {
                torrent.eta = Some(
                    torrent
                        .size
                        .saturating_sub(torrent.completed)
                        .div_ceil(torrent.download_rate),
                );
            }
        }
        if torrent.state == TorrentState::Seeding || torrent.state == TorrentState::Completed {
            torrent.eta = Some(0);
        }
        torrent
    }

    pub(super) fn state_of(
        &self,
        record: &TorrentRecord,
        stats: &TorrentStats,
        queued: bool,
        resumes_complete: Option<bool>,
    ) -> TorrentState {
        let finished = stats.finished || resumes_complete == Some(true);
        let done = finished && !self.settings().seeding;
        match stats.state {
            // Stopped by the user: paused, even after a failure (starting retries it).
            TorrentStatsState::Error if record.paused => TorrentState::Paused,
            TorrentStatsState::Error => TorrentState::Error,
            _ if done => TorrentState::Completed,
            // Stopped at a seeding limit: finished with it.
            _ if record.paused && record.seed_limit_reached && finished => TorrentState::Completed,
            // Stopping: librqbit may still be finishing its initial check; the
            // ticker pauses it as soon as it can.
            _ if record.paused => TorrentState::Paused,
            _ if queued => TorrentState::Queued,
            // librqbit reads and hashes the data it has, unless handed back with its
            // pieces kept (`resumes_complete`: then it is as it was).
            TorrentStatsState::Initializing { .. } => match resumes_complete {
                None => TorrentState::Checking,
                Some(_) if finished => TorrentState::Seeding,
                Some(_) => TorrentState::Downloading,
            },
            // Paused by librqbit but not by the user: the ticker resumes it.
            _ if finished => TorrentState::Seeding,
            _ => TorrentState::Downloading,
        }
    }

    pub(super) fn files_of(
        &self,
        handle: &Handle,
        stats: &TorrentStats,
        selected: Option<&[usize]>,
    ) -> Vec<TorrentFile> {
        let folder = entry::relative_folder(handle, &self.inner.folders);
        handle
            .with_metadata(|m| {
                m.file_infos
                    .iter()
                    .enumerate()
                    .filter(|(_, fi)| !fi.attrs.padding)
                    .map(|(index, fi)| TorrentFile {
                        index,
                        path: self.inner.paths.show(&folder.join(&fi.relative_filename)),
                        size: fi.len,
                        completed: stats.file_progress.get(index).copied().unwrap_or(0),
                        selected: selected.is_none_or(|o| o.contains(&index)),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}
