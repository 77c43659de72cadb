//! What happens to torrents, told to whoever automates on it (event programs and
//! webhooks, in the server): added, finished (after any move to its final
//! folder), a seeding limit acted, removed, failed.
//!
//! Each event goes out once: `finished` is remembered in the torrent's record, so
//! a restart does not announce it again; `error` is announced when a torrent
//! enters its error state, and again only after it left it.

use std::path::PathBuf;

pub use cloud_torrent_hooks::Event as TorrentEventKind;

use super::*;

/// Something that happened to a torrent.
#[derive(Debug, Clone)]
pub struct TorrentEvent {
    pub kind: TorrentEventKind,
    /// The torrent as it was then.
    pub torrent: Torrent,
    /// The folder its content is in, absolute.
    pub save_path: PathBuf,
    /// Its content (the file of a single-file torrent, else its folder), absolute.
    pub content_path: PathBuf,
}

/// How many events may wait for a slow listener before the oldest are dropped.
pub(super) const EVENT_BACKLOG: usize = 1024;

impl Engine {
    /// Events from now on. A listener that falls more than a thousand events
    /// behind loses the oldest.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<TorrentEvent> {
        self.inner.events.subscribe()
    }

    /// Announces `kind` for a torrent as it is now.
    pub(super) fn announce(&self, kind: TorrentEventKind, hash: &InfoHash) {
        if let Ok(torrent) = self.get(hash) {
            self.announce_view(kind, torrent);
        }
    }

    /// Announces `kind` for a torrent as `torrent` shows it.
    pub(super) fn announce_view(&self, kind: TorrentEventKind, torrent: Torrent) {
        let paths = &self.inner.paths;
        let event = TorrentEvent {
            kind,
            save_path: paths.absolute_shown(&torrent.save_path),
            content_path: paths.absolute_shown(&torrent.content_path),
            torrent,
        };
        debug!(hash = %event.torrent.info_hash, event = %kind, "torrent event");
        // No listener is not an error.
        let _ = self.inner.events.send(event);
    }

    /// Notes whether `entry` is to be announced as finished or failed now, given
    /// librqbit's `stats` of it (`None` before librqbit has it); called by the
    /// ticker for each torrent, with the stats it reads anyway. Returns whether its
    /// record changed.
    pub(super) fn note_changes(
        hash: &InfoHash,
        entry: &mut Entry,
        stats: Option<&TorrentStats>,
        due: &mut Announcements,
    ) -> bool {
        let complete = stats.is_some_and(|s| s.finished);
        // After its move to the final folder, if it has one to make.
        let finished = complete
            && !entry.record().finished_announced
            && entry.record().final_save_path.is_none()
            && !entry.moving;
        if finished {
            entry.record_mut().finished_announced = true;
            due.finished.push(*hash);
        }
        let in_error = !entry.record().paused
            && (entry.error.is_some()
                || stats.is_some_and(|s| matches!(s.state, TorrentStatsState::Error)));
        if in_error && !entry.error_announced {
            due.failed.push(*hash);
        }
        entry.error_announced = in_error;
        finished
    }

    /// Announces what [`Engine::note_changes`] found.
    pub(super) fn announce_due(&self, due: Announcements) {
        for hash in &due.finished {
            self.announce(TorrentEventKind::Finished, hash);
        }
        for hash in &due.failed {
            self.announce(TorrentEventKind::Error, hash);
        }
    }
}

/// The torrents a tick found to announce.
#[derive(Default)]
pub(super) struct Announcements {
    finished: Vec<InfoHash>,
    failed: Vec<InfoHash>,
}
