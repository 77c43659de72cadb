//! One torrent as the engine holds it: its saved record and what it knows of it
//! at run time. The record changes only through [`Entry::record_mut`], which marks
//! it as changed, so that a save writes the records that changed and no other.

use std::ffi::OsStr;
use std::path::PathBuf;

use super::*;

pub(super) struct Entry {
    /// What is saved of it; changed only through [`Entry::record_mut`], which marks
    /// it to be saved.
    record: TorrentRecord,
    /// Its record changed since it was last saved.
    dirty: bool,
    /// The hosts of its trackers, worked out from its record when that changes
    /// (every view of the torrent shows them).
    tracker_hosts: Vec<String>,
    /// librqbit's torrent, once the metadata is known.
    pub(super) handle: Option<Handle>,
    /// The background task that resolves a magnet's metadata.
    pub(super) resolver: Option<tokio::task::AbortHandle>,
    /// Why the torrent failed before librqbit had it (metadata or add errors).
    pub(super) error: Option<String>,
    /// librqbit's per-run counters at the last accounting.
    pub(super) seen: crate::counters::Seen,
    /// Verified bytes when the resume bitfield was last written.
    pub(super) resume_saved: u64,
    /// The recorded file selection has not reached librqbit yet.
    pub(super) selection_pending: bool,
    /// Verified bytes at the last tick the torrent was not in error.
    pub(super) progress_seen: u64,
    /// Automatic restarts after librqbit stopped the torrent with an error.
    pub(super) retry: Option<background::Retry>,
    /// Held back by the queue (see `queue.rs`).
    pub(super) queued: bool,
    /// Its 1-based place among the queued or running incomplete torrents.
    pub(super) queue_position: Option<u32>,
    /// Since when it has run below the queue's slow rates.
    pub(super) slow_since: Option<tokio::time::Instant>,
    /// The streams that steer its piece order (see `sequential.rs`).
    pub(super) order_streams: Vec<sequential::OrderStream>,
    /// Its data is being moved to another folder (see `organise.rs`).
    pub(super) moving: bool,
    /// Why its last move failed (cleared by the next move).
    pub(super) move_error: Option<String>,
    /// Its failure was announced (see `announce.rs`).
    pub(super) error_announced: bool,
    /// What it held when it was taken from librqbit to be handed back (a move, a
    /// new limit): shown until librqbit has checked its data again.
    pub(super) held: Option<view::Held>,
    /// At its last look it had nothing to do: stopped by the user, or seeding with
    /// no peer. The ticker then looks at it only every few seconds (see
    /// `background::QUIET_EVERY`); a change of its record ends it.
    pub(super) quiet: bool,
    /// The engine's tick when it became quiet, or, quiet, last changed (its
    /// counters, when the ticker looked): views of it made since are still right.
    pub(super) still_since: u64,
    /// Saved before the server started and not handed back to librqbit yet (see
    /// `Engine::restore_saved`).
    pub(super) restoring: bool,
    /// Waits for its current run to finish (see `completion.rs`).
    pub(super) completion: Option<completion::CompletionWatch>,
    /// What its .torrent file says of itself, once librqbit has it.
    pub(super) about: Option<Arc<crate::bencode::About>>,
    /// Its byte counters over the last seconds, for its rates.
    pub(super) rates: rates::RateWindow,
    /// Since when the ticker has seen it seeding with no peer (see `dormant.rs`).
    pub(super) idle_since: Option<tokio::time::Instant>,
    /// One more count per open stream of its files (a torrent being read is not
    /// made dormant).
    pub(super) readers: Arc<()>,
    /// Its top (see [`Entry::top`]).
    top: Option<Top>,
}

impl Entry {
    /// A torrent the engine did not hold; its record is to be saved.
    pub(super) fn new(record: TorrentRecord) -> Self {
        Entry {
            tracker_hosts: tracker_hosts(&record.magnet),
            record,
            dirty: true,
            handle: None,
            resolver: None,
            error: None,
            seen: Default::default(),
            resume_saved: 0,
            selection_pending: false,
            progress_seen: 0,
            retry: None,
            queued: false,
            queue_position: None,
            slow_since: None,
            order_streams: Vec::new(),
            moving: false,
            move_error: None,
            error_announced: false,
            held: None,
            quiet: false,
            still_since: 0,
            restoring: false,
            completion: None,
            about: None,
            rates: Default::default(),
            idle_since: None,
            readers: Arc::new(()),
            top: None,
        }
    }
}

impl Entry {
    /// Its record as saved (or about to be).
    pub(super) fn record(&self) -> &TorrentRecord {
        &self.record
    }

    /// Its record, to change: it is saved by the next [`Engine::persist`].
    pub(super) fn record_mut(&mut self) -> &mut TorrentRecord {
        self.dirty = true;
        self.quiet = false;
        &mut self.record
    }

    /// The hosts of its trackers, each once, in the order of its tracker list.
    pub(super) fn tracker_hosts(&self) -> &[String] {
        &self.tracker_hosts
    }

    /// Gives it another tracker list (announce URLs, one tier each).
    pub(super) fn set_trackers(&mut self, urls: Vec<String>) {
        let mut magnet = Magnet::parse(&self.record.magnet).ok();
        if let Some(magnet) = &mut magnet {
            magnet.trackers = urls.clone();
        }
        let record = self.record_mut();
        if let Some(magnet) = magnet {
            record.magnet = magnet.to_uri();
        }
        record.trackers = urls;
        record.own_trackers = true;
        self.tracker_hosts = tracker_hosts(&self.record.magnet);
    }

    /// Where all its files lie, relative to the storage root: its folder joined
    /// with the first part of its file names (the torrent's own folder, or its one
    /// file), and that path's first part. `None` before librqbit has its metadata.
    /// Worked out once per librqbit torrent (a move hands it to librqbit anew, in
    /// another folder); a dormant torrent keeps the one of its last run, or the one
    /// its .torrent file gave at start ([`Entry::set_top`]).
    pub(super) fn top(&mut self, folders: &storage::TorrentFolders) -> Option<(&Path, &OsStr)> {
        if let Some(handle) = &self.handle {
            let key = Arc::as_ptr(handle) as usize;
            if self.top.as_ref().is_none_or(|top| top.key != key) {
                let folder = relative_folder(handle, folders);
                let top = handle
                    .with_metadata(|m| {
                        let first = m.file_infos.iter().find(|i| !i.attrs.padding)?;
                        Some(folder.join(first.relative_filename.components().next()?))
                    })
                    .ok()
                    .flatten()?;
                self.top = Top::new(key, top);
            }
        }
        self.top
            .as_ref()
            .map(|top| (top.path.as_path(), top.first.as_os_str()))
    }

    /// Its top, known from its .torrent file (see [`Entry::top`]).
    pub(super) fn set_top(&mut self, top: PathBuf) {
        self.top = Top::new(0, top);
    }

    /// Whether its record changed since the last save; clears the mark.
    pub(super) fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// Moves what librqbit counted since the last call into its lifetime counters
    /// and begins or ends its running and seeding spans (see `counters.rs`): with no
    /// `stats` (librqbit does not have it) it runs nowhere. Returns whether they
    /// changed (then it is to be saved).
    pub(super) fn account(&mut self, stats: Option<&TorrentStats>, now: OffsetDateTime) -> bool {
        let changed = match stats {
            Some(stats) => {
                if let Some(live) = &stats.live {
                    let received = live.snapshot.fetched_bytes;
                    self.rates
                        .note(std::time::Instant::now(), received, stats.uploaded_bytes);
                }
                self.record.counters.account(&mut self.seen, stats, now)
            }
            // Dormant, it seeds all the same (see `dormant.rs`).
            None if self.record.dormant => false,
            None => {
                let open = self.record.counters.active_since.is_some()
                    || self.record.counters.seeding_since.is_some();
                if open {
                    self.record.counters.end_spans(Some(now));
                }
                open
            }
        };
        self.dirty |= changed;
        changed
    }

    /// Begins its running and seeding spans at `now` (a dormant torrent at start).
    pub(super) fn reopen_seeding(&mut self, now: OffsetDateTime) {
        self.dirty |= self.record.counters.begin_seeding(now);
    }

    /// Leaves the time from `from` to `to` (the process was suspended) out of its
    /// running and seeding times.
    pub(super) fn skip_time(&mut self, from: OffsetDateTime, to: OffsetDateTime) {
        self.dirty |= self.record.counters.skip(from, to);
    }

    /// Marks its record as changed again (its save failed).
    pub(super) fn mark_dirty(&mut self) {
        self.dirty = true;
    }
}

/// The hosts of the trackers a magnet link names, each once, in their order.
fn tracker_hosts(magnet: &str) -> Vec<String> {
    let mut hosts: Vec<String> = Vec::new();
    for url in Magnet::parse(magnet)
        .map(|m| m.trackers)
        .unwrap_or_default()
    {
        if let Some(host) = url::Url::parse(&url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            && !hosts.contains(&host)
        {
            hosts.push(host);
        }
    }
    hosts
}

/// The folder a torrent's storage writes its files in, relative to the storage
/// root (librqbit is given no folder: see `Engine::add_to_session`).
pub(super) fn relative_folder(handle: &Handle, folders: &storage::TorrentFolders) -> PathBuf {
    folders.get(handle.info_hash()).unwrap_or_default()
}

/// A torrent's top (see [`Entry::top`]): the path, its first part, and the
/// librqbit torrent it was worked out for (0: from the .torrent file).
struct Top {
    key: usize,
    path: PathBuf,
    first: std::ffi::OsString,
}

impl Top {
    fn new(key: usize, path: PathBuf) -> Option<Top> {
        let first = path.components().next()?.as_os_str().to_owned();
        Some(Top { key, path, first })
    }
}
