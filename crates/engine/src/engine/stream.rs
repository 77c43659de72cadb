//! Reading a torrent's file while it downloads.

use std::pin::Pin;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncSeek};

use super::*;

/// Concurrent open streams. librqbit gives each open stream one of its 64
/// blocking permits for the stream's whole life; disk writes need the same
/// permits, so streams must never take them all.
pub(super) const MAX_STREAMS: usize = 32;

/// A readable, seekable view of one file of a torrent. Reads wait for the pieces
/// they need (which the engine then fetches first) and never return bytes that
/// have not been verified.
pub struct FileReader {
    inner: Pin<Box<dyn ReadSeek>>,
    _permit: tokio::sync::OwnedSemaphorePermit,
    /// Counts this stream among the torrent's readers (see `Entry::readers`).
    _reading: Arc<()>,
}

trait ReadSeek: AsyncRead + AsyncSeek + Send {}
impl<T: AsyncRead + AsyncSeek + Send> ReadSeek for T {}

impl AsyncRead for FileReader {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.inner.as_mut().poll_read(cx, buf)
    }
}

impl AsyncSeek for FileReader {
    fn start_seek(mut self: Pin<&mut Self>, position: std::io::SeekFrom) -> std::io::Result<()> {
        self.inner.as_mut().start_seek(position)
    }
    fn poll_complete(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<u64>> {
        self.inner.as_mut().poll_complete(cx)
    }
}

/// An open file of a torrent, with what an HTTP answer needs to describe it.
pub struct OpenFile {
    /// The bytes.
    pub reader: FileReader,
    /// The file's size.
    pub size: u64,
    /// Path relative to the download folder.
    pub path: String,
    /// Whether every byte is already verified.
    pub complete: bool,
}

impl Engine {
    /// Opens file `index` of a torrent for reading while it downloads.
    pub async fn open_file(&self, hash: &InfoHash, index: usize) -> Result<OpenFile> {
        // librqbit reads the file: a dormant torrent goes back to it.
        self.wake(hash).await?;
        let reading = self
            .lock()
            .get(hash)
            .map(|e| e.readers.clone())
            .ok_or_else(|| EngineError::NotFound(hash.to_hex()))?;
        let torrent = self.get(hash)?;
        let Some(handle) = self.entry_handle(hash)? else {
            return Err(EngineError::MetadataPending);
        };
        let file = torrent
            .files
            .iter()
            .find(|f| f.index == index)
            .ok_or_else(|| {
                EngineError::InvalidFileSelection(format!(
                    "file index {index} does not exist; the torrent has {} file(s)",
                    torrent.files.len()
                ))
            })?
            .clone();
        let complete = file.completed >= file.size;
        if !complete && torrent.state == TorrentState::Paused {
            return Err(EngineError::Conflict(
                "the torrent is stopped and this file is not complete; start the torrent to stream it".into(),
            ));
        }
        let permit = Arc::clone(&self.inner.streams)
            .try_acquire_owned()
            .map_err(|_| {
                EngineError::Busy(format!(
                    "{MAX_STREAMS} streams are already open; try again later"
                ))
            })?;
        let stream = handle
            .stream(index)
            .await
            .map_err(|e| EngineError::internal("cannot open the file", format!("{e:#}")))?;
        Ok(OpenFile {
            reader: FileReader {
                inner: Box::pin(stream),
                _permit: permit,
                _reading: reading,
            },
            size: file.size,
            path: file.path,
            complete,
        })
    }
}
