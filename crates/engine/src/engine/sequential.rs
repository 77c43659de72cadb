//! Piece order: sequential download, and first and last pieces first.
//!
//! librqbit's own order takes each file's first piece, then its last, then the rest
//! in order, file after file; before that, it takes the pieces in a window after the
//! position of each open stream, the streams' windows in turn. So the engine steers
//! the order with streams of its own ("order streams"), never read, each holding
//! one of the [`MAX_STREAMS`](super::stream::MAX_STREAMS) permits:
//!
//! * a sequential torrent has one at the first missing piece of its first
//!   incomplete selected file, so pieces come in order from there;
//! * with first and last pieces first, the first [`EDGE_FILES`] incomplete selected
//!   files each have one at their first and one at their last missing edge piece,
//!   until those pieces are held (a preview can then start and seek to the end).
//!
//! The ticker moves them every second, before anything is started, so that they are
//! in place before the first piece is asked for.

use std::io::SeekFrom;
use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncSeek, AsyncSeekExt};

use super::*;

/// Files whose first and last pieces are fetched first at once. librqbit takes the
/// streams' windows in turn (one piece of each, then the next of each): with every
/// edge stream open together, all these edges come before the rest of any file.
const EDGE_FILES: usize = 4;

/// Order streams are opened only while more stream permits than this are free,
/// so that a user's streams are never refused because of them.
const PERMITS_KEPT_FOR_USERS: usize = 8;

/// An order stream.
pub(super) struct OrderStream {
    /// The file it is on.
    file: usize,
    /// Where it is, in the file.
    position: u64,
    stream: Pin<Box<dyn AsyncSeek + Send>>,
    _permit: tokio::sync::OwnedSemaphorePermit,
}

/// Where an order stream belongs: `(file, position)`.
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

/// The first and the last piece of the first [`EDGE_FILES`] selected files that
/// miss either, as stream positions.
fn missing_edges(
    files: &[Option<FileSpan>],
    selected: Option<&[usize]>,
    have: impl Fn(u32) -> bool,
    piece_length: u64,
) -> Vec<Target> {
    let position =
        |f: &FileSpan, piece: u32| (u64::from(piece) * piece_length).saturating_sub(f.offset);
    files
        .iter()
        .enumerate()
        .filter(|(i, _)| selected.is_none_or(|s| s.contains(i)))
        .filter_map(|(i, f)| Some((i, f.as_ref()?)))
        .filter(|(_, f)| !f.pieces.is_empty())
        .filter_map(|(i, f)| {
            let (first, last) = (f.pieces.start, f.pieces.end - 1);
            let mut edges = Vec::new();
            if !have(first) {
                edges.push((i, position(f, first)));
            }
            if last != first && !have(last) {
                edges.push((i, position(f, last)));
            }
            (!edges.is_empty()).then_some(edges)
        })
        .take(EDGE_FILES)
        .flatten()
        .collect()
}

impl Engine {
    /// Puts each torrent's order streams where its piece order needs them,
    /// opening and closing streams as needed. Called every tick, before the queue
    /// and the policy start anything.
    pub(super) async fn steer_sequential(&self) {
        let mut work = Vec::new();
        {
            let mut map = self.lock();
            for (hash, entry) in map.iter_mut() {
                let record = entry.record();
                let Some(handle) = entry
                    .handle
                    .as_ref()
                    .filter(|_| record.sequential || record.first_last_pieces_first)
                else {
                    entry.order_streams.clear();
                    continue;
                };
                let stats = handle.stats();
                // Also while paused, so that the streams are there before the first
                // piece is asked for.
                let to_download = matches!(
                    stats.state,
                    TorrentStatsState::Live | TorrentStatsState::Paused
                ) && !stats.finished
                    && !record.paused
                    && !entry.queued;
                if !to_download {
                    entry.order_streams.clear();
                    continue;
                }
                let Some((have, _)) = self.verified_pieces(hash) else {
                    continue;
                };
                let targets = handle
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
                        let held = |p: u32| background::has_piece(&have, p);
                        let selected = record.selected.as_deref();
                        let mut targets = Vec::new();
                        if record.first_last_pieces_first {
                            targets.extend(missing_edges(&files, selected, held, piece_length));
                        }
                        if record.sequential {
                            targets.extend(first_missing(&files, selected, held, piece_length));
                        }
                        targets
                    })
                    .unwrap_or_default();
                let current: Vec<Target> = entry
                    .order_streams
                    .iter()
                    .map(|s| (s.file, s.position))
                    .collect();
                if current != targets {
                    work.push((
                        *hash,
                        handle.clone(),
                        targets,
                        std::mem::take(&mut entry.order_streams),
                    ));
                }
            }
        }
        for (hash, handle, targets, mut old) in work {
            let mut streams = Vec::new();
            for (file, position) in targets {
                // A stream already on the file moves; otherwise a new one opens.
                let on_file = old.iter().position(|s| s.file == file);
                let stream = match on_file {
                    Some(i) => Some(old.swap_remove(i)),
                    None => self.open_order_stream(&handle, file).await,
                };
                let Some(mut stream) = stream else { continue };
                if stream.stream.seek(SeekFrom::Start(position)).await.is_err() {
                    continue;
                }
                stream.position = position;
                streams.push(stream);
            }
            if let Some(entry) = self.lock().get_mut(&hash) {
                entry.order_streams = streams;
            }
        }
    }

    async fn open_order_stream(&self, handle: &Handle, file: usize) -> Option<OrderStream> {
        if self.inner.streams.available_permits() <= PERMITS_KEPT_FOR_USERS {
            return None;
        }
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

    #[test]
    fn edges_are_the_missing_first_and_last_pieces_of_the_first_files() {
        let span = |offset, pieces| Some(FileSpan { offset, pieces });
        // Pieces of 100 bytes: a 0..400 (0-3), b 400..800 (4-7), c 800..1200 (8-11).
        let files = [span(0, 0..4), span(400, 4..8), span(800, 8..12)];
        let held = |list: &'static [u32]| move |p: u32| list.contains(&p);
        assert_eq!(
            missing_edges(&files, None, held(&[]), 100),
            [(0, 0), (0, 300), (1, 0), (1, 300), (2, 0), (2, 300)]
        );
        // a's edges are held, and b's last: the rest.
        assert_eq!(
            missing_edges(&files, None, held(&[0, 3, 7]), 100),
            [(1, 0), (2, 0), (2, 300)]
        );
        assert_eq!(
            missing_edges(&files, Some(&[2]), held(&[]), 100),
            [(2, 0), (2, 300)]
        );
        assert!(missing_edges(&files, None, held(&[0, 3, 4, 7, 8, 11]), 100).is_empty());
    }
}
