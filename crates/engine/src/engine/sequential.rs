//! Sequential download: the pieces of a torrent in order.
//!
//! librqbit's own order takes each file's first piece, then its last, then the rest
//! in order; before that, it takes the pieces in a window after the position of each
//! open stream. A sequential torrent gets a stream of its own (an "order stream"),
//! kept by the ticker at the first missing piece of its first incomplete selected
//! file, so the pieces come in order from there. The stream is never read; it holds
//! one of the [`MAX_STREAMS`](super::stream::MAX_STREAMS) permits while the torrent
//! downloads.

use std::io::SeekFrom;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncSeek, AsyncSeekExt};

use super::*;

/// A sequential torrent's order stream.
pub(super) struct OrderStream {
    /// The file it is on.
    file: usize,
    /// Where it is, in the file.
    position: u64,
    stream: Pin<Box<dyn AsyncSeek + Send>>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Where a sequential torrent's order stream belongs: `(file, position)`.
type Target = (usize, u64);

/// A file as [`first_missing`] sees it: its offset in the torrent and its pieces.
struct FileSpan {
    offset: u64,
    pieces: std::ops::Range<u32>,
}

/// The first missing piece of the first incomplete selected file (`files` by
/// index, `None` for padding), as a file and a position in it; `None` when every
/// selected file is complete.
fn first_missing(
    files: &[Option<FileSpan>],
    selected: Option<&[usize]>,
    have: impl Fn(u32) -> bool,
    piece_length: u64,
) -> Option<Target> {
    files
        .iter()
        .enumerate()
        .filter(|(i, _)| selected.is_none_or(|s| s.contains(i)))
        .filter_map(|(i, f)| Some((i, f.as_ref()?)))
        .find_map(|(i, f)| {
            let piece = f.pieces.clone().find(|p| !have(*p))?;
            let start = u64::from(piece) * piece_length;
            Some((i, start.saturating_sub(f.offset)))
        })
}

impl Engine {
    /// Moves each sequential torrent's order stream to where its next missing piece
    /// is, opening it if needed; closes those no longer needed. Called every tick,
    /// before the queue and the policy start anything.
    pub(super) async fn steer_sequential(&self) {
        let api = librqbit::Api::new(self.inner.session.clone(), None);
        let mut work = Vec::new();
        {
            let mut map = self.lock();
            for (hash, entry) in map.iter_mut() {
                let Some(handle) = &entry.handle else {
                    entry.order_stream = None;
                    continue;
                };
                let stats = handle.stats();
                // Also while paused, so that the stream is there before the first piece
                // is asked for (librqbit would take the first and the last).
                let to_download = matches!(
                    stats.state,
                    TorrentStatsState::Live | TorrentStatsState::Paused
                ) && !stats.finished
                    && !entry.record.paused
                    && !entry.queued;
                if !entry.record.sequential || !to_download {
                    entry.order_stream = None;
                    continue;
                }
                let Ok((have, _)) = api.api_dump_haves(TorrentIdOrHash::Hash(id20(hash))) else {
                    continue;
                };
                let target = handle
                    .with_metadata(|m| {
                        let piece_length = u64::from(m.info.lengths().default_piece_length());
                        let files: Vec<Option<FileSpan>> = m
                            .file_infos
                            .iter()
                            .map(|f| {
                                (!f.attrs.padding).then(|| FileSpan {
                                    offset: f.offset_in_torrent,
                                    pieces: f.piece_range.clone(),
                                })
                            })
                            .collect();
                        first_missing(
                            &files,
                            entry.record.selected.as_deref(),
                            |p| have.get(p as usize).is_some_and(|b| *b),
                            piece_length,
                        )
                    })
                    .ok()
                    .flatten();
                let Some(target) = target else {
                    entry.order_stream = None;
                    continue;
                };
                let current = entry.order_stream.as_ref().map(|s| (s.file, s.position));
                if current != Some(target) {
                    work.push((*hash, handle.clone(), target, entry.order_stream.take()));
                }
            }
        }
        for (hash, handle, (file, position), old) in work {
            let stream = match old.filter(|s| s.file == file) {
                Some(stream) => Some(stream),
                None => self.open_order_stream(&handle, file).await,
            };
            let Some(mut stream) = stream else { continue };
            if stream.stream.seek(SeekFrom::Start(position)).await.is_err() {
                continue;
            }
            stream.position = position;
            if let Some(entry) = self.lock().get_mut(&hash) {
                entry.order_stream = Some(stream);
            }
        }
    }

    async fn open_order_stream(&self, handle: &Handle, file: usize) -> Option<OrderStream> {
        // Never the last permits: a user's stream matters more.
        let permit = Arc::clone(&self.inner.streams).try_acquire_owned().ok()?;
        let stream = handle.clone().stream(file).await.ok()?;
        Some(OrderStream {
            file,
            position: 0,
            stream: Box::pin(stream),
            _permit: permit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_target_is_the_first_missing_piece_of_the_first_incomplete_selected_file() {
        // Pieces of 100 bytes; a = 0..350 (pieces 0-3), padding, b = 400..800 (4-7).
        let files = [
            Some(FileSpan {
                offset: 0,
                pieces: 0..4,
            }),
            None,
            Some(FileSpan {
                offset: 400,
                pieces: 4..8,
            }),
        ];
        let held = |list: &'static [u32]| move |p: u32| list.contains(&p);
        assert_eq!(first_missing(&files, None, held(&[]), 100), Some((0, 0)));
        assert_eq!(
            first_missing(&files, None, held(&[0, 1, 3]), 100),
            Some((0, 200))
        );
        assert_eq!(
            first_missing(&files, None, held(&[0, 1, 2, 3, 4]), 100),
            Some((2, 100))
        );
        // Only b is selected.
        assert_eq!(
            first_missing(&files, Some(&[2]), held(&[4, 5]), 100),
            Some((2, 200))
        );
        // A first piece shared with the file before starts the stream at 0.
        let shared = [Some(FileSpan {
            offset: 350,
            pieces: 3..8,
        })];
        assert_eq!(first_missing(&shared, None, held(&[]), 100), Some((0, 0)));
        assert_eq!(
            first_missing(&files, None, held(&[0, 1, 2, 3, 4, 5, 6, 7]), 100),
            None
        );
    }
}
