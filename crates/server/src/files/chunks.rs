//! Reading a byte range of a file as a stream of chunks for a response body.
//!
//! Each chunk is read on the blocking pool straight into the buffer that is
//! sent (one copy from the page cache, where `tokio::fs::File` plus a
//! `ReaderStream` make two), and the next chunk is read while the current one
//! is being sent.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};

use bytes::Bytes;
use futures::Stream;
use tokio::task::JoinHandle;

/// Size of each chunk read from disk.
pub const CHUNK: usize = 1024 * 1024;

type Pending = JoinHandle<(File, io::Result<Bytes>)>;

/// Reads `start..end` of a file, one chunk ahead of the consumer.
pub struct ChunkReader {
    file: Option<File>,
    ahead: Option<Pending>,
    /// Next offset to read (the offset after the chunk in `ahead`, if any).
    pos: u64,
    end: u64,
}

impl ChunkReader {
    /// A reader of bytes `start..end` of `file`.
    pub fn new(file: File, start: u64, end: u64) -> Self {
        ChunkReader {
            file: Some(file),
            ahead: None,
            pos: start,
            end,
        }
    }

    /// Starts reading the next chunk, if any is left and no read is running.
    fn read_ahead(&mut self) {
        if self.ahead.is_some() || self.pos >= self.end {
            return;
        }
        let Some(mut file) = self.file.take() else {
            return;
        };
        let offset = self.pos;
        let want = (self.end - offset).min(CHUNK as u64);
        self.pos += want;
        self.ahead = Some(tokio::task::spawn_blocking(move || {
            let mut buf = Vec::with_capacity(want as usize);
            let read = file
                .seek(SeekFrom::Start(offset))
                .and_then(|_| file.by_ref().take(want).read_to_end(&mut buf));
            let result = match read {
                Ok(n) if (n as u64) < want => Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the file shrank while being sent",
                )),
                Ok(_) => Ok(Bytes::from(buf)),
                Err(e) => Err(e),
            };
            (file, result)
        }));
    }

    /// The next chunk; `None` once `end` is reached.
    pub async fn next_chunk(&mut self) -> Option<io::Result<Bytes>> {
        self.read_ahead();
        let pending = self.ahead.take()?;
        let (file, result) = match pending.await {
            Ok(done) => done,
            Err(_) => return Some(Err(io::Error::other("a file read was cancelled"))),
        };
        if result.is_err() {
            return Some(result);
        }
        self.file = Some(file);
        self.read_ahead();
        Some(result)
    }

    /// The chunks as a stream, for `Body::from_stream`.
    pub fn into_stream(self) -> impl Stream<Item = io::Result<Bytes>> + Send {
        futures::stream::unfold(self, |mut reader| async move {
            let chunk = reader.next_chunk().await?;
            // After an error the reader holds no file: the stream ends.
            Some((chunk, reader))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::StreamExt;
    use std::io::Write;

    async fn collect(file: File, start: u64, end: u64) -> io::Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut stream = std::pin::pin!(ChunkReader::new(file, start, end).into_stream());
        while let Some(chunk) = stream.next().await {
            out.extend_from_slice(&chunk?);
        }
        Ok(out)
    }

    #[tokio::test]
    async fn reads_exactly_the_range_across_chunks() {
        let data: Vec<u8> = (0..CHUNK * 2 + 12345).map(|i| (i % 251) as u8).collect();
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&data).unwrap();
        for (start, end) in [
            (0, data.len()),
            (1, CHUNK + 1),
            (CHUNK - 1, CHUNK * 2 + 5),
            (7, 7),
        ] {
            let got = collect(tmp.try_clone().unwrap(), start as u64, end as u64)
                .await
                .unwrap();
            assert_eq!(got, data[start..end], "range {start}..{end}");
        }
    }

    #[tokio::test]
    async fn a_file_shorter_than_announced_is_an_error_not_a_short_body() {
        let mut tmp = tempfile::tempfile().unwrap();
        tmp.write_all(&[1u8; 1000]).unwrap();
        let err = collect(tmp, 0, 5000).await.unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}
