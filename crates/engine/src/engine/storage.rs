//! Disk writes that are whole or fail: librqbit's file storage, with short writes completed.
//!
//! librqbit writes each received chunk with one `pwritev` call. On a nearly full
//! disk that call writes part of the chunk and returns its length, which librqbit
//! only checks with a debug assertion: in release builds the piece then fails its
//! hash check and is fetched again; in debug builds the peer task panics and the
//! torrent stalls without an error. This wrapper writes the rest, so that a full
//! disk surfaces as "No space left on device", librqbit puts the torrent in its
//! error state, and the engine restarts it once there is room (`background.rs`).

use std::any::TypeId;
use std::io::IoSlice;
use std::path::Path;

use librqbit::storage::filesystem::FilesystemStorageFactory;
use librqbit::storage::{BoxStorageFactory, StorageFactory, StorageFactoryExt, TorrentStorage};
use librqbit::{ManagedTorrentShared, TorrentMetadata};

/// Creates librqbit's file storage wrapped in [`WholeWrites`].
#[derive(Default, Clone, Copy)]
pub(super) struct WholeWritesFactory;

impl StorageFactory for WholeWritesFactory {
    type Storage = WholeWrites;

    fn create(
        &self,
        shared: &ManagedTorrentShared,
        metadata: &TorrentMetadata,
    ) -> anyhow::Result<WholeWrites> {
        let inner = FilesystemStorageFactory::default().create(shared, metadata)?;
        Ok(WholeWrites {
            inner: Box::new(inner),
        })
    }

    /// librqbit's session persistence only accepts file storage: this is file storage.
    fn is_type_id(&self, type_id: TypeId) -> bool {
        type_id == TypeId::of::<Self>() || FilesystemStorageFactory::default().is_type_id(type_id)
    }

    fn clone_box(&self) -> BoxStorageFactory {
        self.boxed()
    }
}

/// A torrent's storage whose vectored writes write everything or return the error.
pub(super) struct WholeWrites {
    inner: Box<dyn TorrentStorage>,
}

impl TorrentStorage for WholeWrites {
    fn init(
        &mut self,
        shared: &ManagedTorrentShared,
        metadata: &TorrentMetadata,
    ) -> anyhow::Result<()> {
        self.inner.init(shared, metadata)
    }

    fn pread_exact(&self, file_id: usize, offset: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        self.inner.pread_exact(file_id, offset, buf)
    }

    fn pwrite_all(&self, file_id: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
        self.inner.pwrite_all(file_id, offset, buf)
    }

    fn pwrite_all_vectored(
        &self,
        file_id: usize,
        offset: u64,
        bufs: [IoSlice<'_>; 2],
    ) -> anyhow::Result<usize> {
        let total = bufs[0].len() + bufs[1].len();
        let written = self.inner.pwrite_all_vectored(file_id, offset, bufs)?;
        if written >= total {
            return Ok(total);
        }
        // Write what the call left out; a full disk now fails with ENOSPC.
        let mut skip = written;
        let mut at = offset + written as u64;
        for buf in &bufs {
            let Some(rest) = buf.get(skip..) else {
                skip -= buf.len();
                continue;
            };
            skip = 0;
            if !rest.is_empty() {
                self.inner.pwrite_all(file_id, at, rest)?;
                at += rest.len() as u64;
            }
        }
        Ok(total)
    }

    fn remove_file(&self, file_id: usize, filename: &Path) -> anyhow::Result<()> {
        self.inner.remove_file(file_id, filename)
    }

    fn remove_directory_if_empty(&self, path: &Path) -> anyhow::Result<()> {
        self.inner.remove_directory_if_empty(path)
    }

    fn ensure_file_length(&self, file_id: usize, length: u64) -> anyhow::Result<()> {
        self.inner.ensure_file_length(file_id, length)
    }

    fn take(&self) -> anyhow::Result<Box<dyn TorrentStorage>> {
        Ok(Box::new(WholeWrites {
            inner: self.inner.take()?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A file in memory of `room` bytes whose vectored writes stop after `short`
    /// bytes, as a nearly full disk's do.
    struct ShortWrites {
        data: Arc<Mutex<Vec<u8>>>,
        short: usize,
        room: usize,
    }

    impl TorrentStorage for ShortWrites {
        fn init(&mut self, _: &ManagedTorrentShared, _: &TorrentMetadata) -> anyhow::Result<()> {
            Ok(())
        }
        fn pread_exact(&self, _: usize, _: u64, _: &mut [u8]) -> anyhow::Result<()> {
            Ok(())
        }
        fn pwrite_all(&self, _: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
            let mut data = self.data.lock().unwrap();
            let start = offset as usize;
            let end = start + buf.len();
            if end > self.room {
                return Err(std::io::Error::from_raw_os_error(28).into());
            }
            if data.len() < end {
                data.resize(end, b'.');
            }
            data[start..end].copy_from_slice(buf);
            Ok(())
        }
        fn pwrite_all_vectored(
            &self,
            file_id: usize,
            offset: u64,
            bufs: [IoSlice<'_>; 2],
        ) -> anyhow::Result<usize> {
            let all = [&bufs[0][..], &bufs[1][..]].concat();
            let n = self.short.min(all.len());
            self.pwrite_all(file_id, offset, &all[..n])?;
            Ok(n)
        }
        fn remove_file(&self, _: usize, _: &Path) -> anyhow::Result<()> {
            Ok(())
        }
        fn remove_directory_if_empty(&self, _: &Path) -> anyhow::Result<()> {
            Ok(())
        }
        fn ensure_file_length(&self, _: usize, _: u64) -> anyhow::Result<()> {
            Ok(())
        }
        fn take(&self) -> anyhow::Result<Box<dyn TorrentStorage>> {
            anyhow::bail!("not used")
        }
    }

    fn storage(short: usize, room: usize) -> (WholeWrites, Arc<Mutex<Vec<u8>>>) {
        let data = Arc::new(Mutex::new(Vec::new()));
        let inner = ShortWrites {
            data: data.clone(),
            short,
            room,
        };
        (
            WholeWrites {
                inner: Box::new(inner),
            },
            data,
        )
    }

    #[test]
    fn short_writes_are_completed() {
        for short in [0, 3, 6, 8, 11] {
            let (s, data) = storage(short, 100);
            let n = s
                .pwrite_all_vectored(0, 2, [IoSlice::new(b"hello "), IoSlice::new(b"world")])
                .unwrap();
            assert_eq!(n, 11, "short = {short}");
            assert_eq!(
                &data.lock().unwrap()[..],
                b"..hello world",
                "short = {short}"
            );
        }
    }

    #[test]
    fn a_full_disk_is_an_error_not_a_short_count() {
        let (s, _) = storage(4, 8);
        let err = s
            .pwrite_all_vectored(0, 0, [IoSlice::new(b"hello "), IoSlice::new(b"world")])
            .unwrap_err();
        assert!(
            crate::sanitize::is_disk_full(&format!("{err:#}")),
            "{err:#}"
        );
    }
}
