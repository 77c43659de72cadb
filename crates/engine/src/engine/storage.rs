//! Where a torrent's data is read and written: its files, opened beneath the
//! download folder without following links, with whole writes.
//!
//! [`ConfinedFiles`] opens each file of a torrent through [`crate::beneath`]: a
//! link in the download folder (`dl/name → /elsewhere`) makes the add fail
//! instead of writing, truncating or deleting outside the folder, at add, at
//! start-up and at delete alike.
//!
//! librqbit writes each received chunk with one `pwritev` call. On a nearly full
//! disk that call writes part of the chunk and returns its length, which librqbit
//! only checks with a debug assertion: in release builds the piece then fails its
//! hash check and is fetched again; in debug builds the peer task panics and the
//! torrent stalls without an error. [`WholeWrites`] writes the rest, so that a full
//! disk surfaces as "No space left on device", librqbit puts the torrent in its
//! error state, and the engine restarts it once there is room (`background.rs`).

use std::any::TypeId;
use std::collections::HashMap;
use std::fs::File;
use std::io::IoSlice;
use std::os::fd::OwnedFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Context;
use librqbit::dht::Id20;
use librqbit::storage::filesystem::FilesystemStorageFactory;
use librqbit::storage::{BoxStorageFactory, StorageFactory, StorageFactoryExt, TorrentStorage};
use librqbit::{ManagedTorrentShared, TorrentMetadata};

use crate::beneath;

/// Each torrent's folder, relative to the storage root ("" for the folder
/// itself), by info hash. The engine records it before handing a torrent to
/// librqbit, which does not show the folder it was given to storage.
#[derive(Clone, Default)]
pub(super) struct TorrentFolders(Arc<RwLock<HashMap<Id20, PathBuf>>>);

impl TorrentFolders {
    pub(super) fn set(&self, hash: Id20, folder: PathBuf) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(hash, folder);
    }

    pub(super) fn remove(&self, hash: Id20) {
        self.0
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&hash);
    }

    pub(super) fn get(&self, hash: Id20) -> Option<PathBuf> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(&hash)
            .cloned()
    }
}

/// Creates a torrent's storage: [`ConfinedFiles`] wrapped in [`WholeWrites`].
#[derive(Clone)]
pub(super) struct TorrentFilesFactory {
    /// The storage root (`downloadRoot`): no torrent file is ever opened outside it.
    pub(super) root: PathBuf,
    pub(super) folders: TorrentFolders,
    /// The root, opened once for every torrent (a descriptor each would cost
    /// thousands); opened again when the folder at `root` is another one.
    pub(super) root_fd: Arc<std::sync::Mutex<Option<Arc<OwnedFd>>>>,
    /// The data files open at once, for every torrent.
    pub(super) open_files: Arc<OpenFiles>,
}

impl TorrentFilesFactory {
    pub(super) fn new(root: PathBuf, folders: TorrentFolders) -> Self {
        TorrentFilesFactory {
            root,
            folders,
            root_fd: Arc::default(),
            open_files: Arc::new(OpenFiles::new(open_files_capacity())),
        }
    }

    /// The root's descriptor: the one opened before while it is still the folder
    /// at `root`, else a new one.
    fn open_root(&self) -> std::io::Result<Arc<OwnedFd>> {
        let mut cached = self.root_fd.lock().unwrap_or_else(|e| e.into_inner());
        let now = rustix::fs::stat(&self.root)?;
        if let Some(fd) = cached.as_ref() {
            let open = rustix::fs::fstat(&**fd)?;
            if (open.st_dev, open.st_ino) == (now.st_dev, now.st_ino) {
                return Ok(fd.clone());
            }
        }
        let fd = Arc::new(beneath::open_root(&self.root)?);
        *cached = Some(fd.clone());
        Ok(fd)
    }
}

impl StorageFactory for TorrentFilesFactory {
    type Storage = WholeWrites;

    fn create(
        &self,
        shared: &ManagedTorrentShared,
        _metadata: &TorrentMetadata,
    ) -> anyhow::Result<WholeWrites> {
        let folder = self
            .folders
            .get(shared.info_hash)
            .context("the torrent's folder is not known")?;
        let root = self
            .open_root()
            .map_err(|e| anyhow::anyhow!("cannot open the download folder: {e}"))?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Ok(WholeWrites {
            inner: Box::new(ConfinedFiles {
                root,
                folder,
                id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
                files: Arc::new(Vec::new()),
                open_files: self.open_files.clone(),
            }),
        })
    }

    /// librqbit's session persistence only accepts file storage: this is file
    /// storage, with the same layout on disk.
    fn is_type_id(&self, type_id: TypeId) -> bool {
        type_id == TypeId::of::<Self>() || FilesystemStorageFactory::default().is_type_id(type_id)
    }

    fn clone_box(&self) -> BoxStorageFactory {
        self.clone().boxed()
    }
}

/// The most data files open at once: a quarter of the open file limit, between
/// 64 and 4096 (libtorrent's file pool keeps 512 by default).
fn open_files_capacity() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    usize::try_from(limit.unwrap_or(u64::MAX) / 4)
        .unwrap_or(usize::MAX)
        .clamp(64, 4096)
}

/// The data files open at once, for all torrents; the one used least recently
/// is closed when another is needed. A seedbox's torrents would otherwise hold a
/// descriptor per file for good, and run out of them by the thousands.
pub(super) struct OpenFiles {
    capacity: usize,
    state: std::sync::Mutex<OpenFilesState>,
}

#[derive(Default)]
struct OpenFilesState {
    /// Counts uses: the smallest mark is the file used least recently.
    clock: u64,
    /// (storage id, file index) → the file and its last use.
    open: HashMap<(u64, usize), (Arc<File>, u64)>,
}

impl OpenFiles {
    fn new(capacity: usize) -> Self {
        OpenFiles {
            capacity: capacity.max(1),
            state: Default::default(),
        }
    }

    /// The file `key`, opened with `open` when it is not open.
    fn get(
        &self,
        key: (u64, usize),
        open: impl FnOnce() -> Result<File, beneath::BeneathError>,
    ) -> anyhow::Result<Arc<File>> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.clock += 1;
        let now = state.clock;
        if let Some((file, used)) = state.open.get_mut(&key) {
            *used = now;
            return Ok(file.clone());
        }
        let file = Arc::new(open()?);
        if state.open.len() >= self.capacity {
            let oldest = state
                .open
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(key, _)| *key);
            if let Some(oldest) = oldest {
                // Closed once the reads and writes using it now are done.
                state.open.remove(&oldest);
            }
        }
        state.open.insert(key, (file.clone(), now));
        Ok(file)
    }

    /// Closes the file `key` (it is about to be removed).
    fn forget(&self, key: (u64, usize)) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.open.remove(&key);
    }

    #[cfg(test)]
    fn open_count(&self) -> usize {
        self.state.lock().unwrap().open.len()
    }
}

/// A torrent's files, each opened beneath the download folder without following
/// links (see [`crate::beneath`]) when read or written, through [`OpenFiles`].
pub(super) struct ConfinedFiles {
    /// The storage root (`downloadRoot`).
    root: Arc<OwnedFd>,
    /// The torrent's folder, relative to the storage root ("" for the folder itself).
    folder: PathBuf,
    /// This storage's key in [`OpenFiles`].
    id: u64,
    /// Each file's path beneath the root, `None` for padding files.
    files: Arc<Vec<Option<PathBuf>>>,
    open_files: Arc<OpenFiles>,
}

impl ConfinedFiles {
    fn file(&self, file_id: usize) -> anyhow::Result<Arc<File>> {
        let path = self
            .files
            .get(file_id)
            .and_then(Option::as_ref)
            .context("no such file")?;
        self.open_files
            .get((self.id, file_id), || beneath::open_file(&*self.root, path))
    }
}

impl TorrentStorage for ConfinedFiles {
    /// Creates every file but padding where absent (each opened then closed, so
    /// that a path that cannot be used fails the torrent now). Existing files are
    /// kept: that is how data already on disk is resumed or seeded.
    fn init(&mut self, _: &ManagedTorrentShared, metadata: &TorrentMetadata) -> anyhow::Result<()> {
        let files = metadata
            .file_infos
            .iter()
            .map(|info| {
                if info.attrs.padding {
                    return Ok(None);
                }
                let path = self.folder.join(&info.relative_filename);
                drop(beneath::open_file(&*self.root, &path)?);
                Ok(Some(path))
            })
            .collect::<Result<Vec<_>, beneath::BeneathError>>()?;
        self.files = Arc::new(files);
        Ok(())
    }

    fn pread_exact(&self, file_id: usize, offset: u64, buf: &mut [u8]) -> anyhow::Result<()> {
        Ok(self.file(file_id)?.read_exact_at(buf, offset)?)
    }

    fn pwrite_all(&self, file_id: usize, offset: u64, buf: &[u8]) -> anyhow::Result<()> {
        Ok(self.file(file_id)?.write_all_at(buf, offset)?)
    }

    /// One `pwritev`; [`WholeWrites`] completes a short one.
    fn pwrite_all_vectored(
        &self,
        file_id: usize,
        offset: u64,
        bufs: [IoSlice<'_>; 2],
    ) -> anyhow::Result<usize> {
        Ok(rustix::io::pwritev(&*self.file(file_id)?, &bufs, offset)?)
    }

    fn remove_file(&self, file_id: usize, filename: &Path) -> anyhow::Result<()> {
        self.open_files.forget((self.id, file_id));
        Ok(beneath::remove_file(
            &*self.root,
            &self.folder.join(filename),
        )?)
    }

    /// `path` is relative to the torrent's folder; "" is the folder itself (never
    /// the download folder).
    fn remove_directory_if_empty(&self, path: &Path) -> anyhow::Result<()> {
        let path = self.folder.join(path);
        if path.as_os_str().is_empty() {
            return Ok(());
        }
        beneath::remove_empty_dir(&*self.root, &path)?;
        Ok(())
    }

    fn ensure_file_length(&self, file_id: usize, length: u64) -> anyhow::Result<()> {
        Ok(self.file(file_id)?.set_len(length)?)
    }

    fn take(&self) -> anyhow::Result<Box<dyn TorrentStorage>> {
        Ok(Box::new(ConfinedFiles {
            root: self.root.clone(),
            folder: self.folder.clone(),
            id: self.id,
            files: self.files.clone(),
            open_files: self.open_files.clone(),
        }))
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

    #[test]
    fn open_files_keep_the_most_recently_used_and_forget_removed_ones() {
        let dir = tempfile::tempdir().unwrap();
        let root = beneath::open_root(dir.path()).unwrap();
        let pool = OpenFiles::new(2);
        let mut opened = 0;
        let get = |pool: &OpenFiles, index: usize, opened: &mut usize| {
            pool.get((1, index), || {
                *opened += 1;
                beneath::open_file(&root, Path::new(&format!("f{index}")))
            })
            .unwrap()
        };
        get(&pool, 0, &mut opened);
        get(&pool, 1, &mut opened);
        get(&pool, 0, &mut opened);
        assert_eq!(opened, 2, "an open file is used again");
        // A third closes the one used least recently (1), not 0.
        get(&pool, 2, &mut opened);
        assert_eq!(pool.open_count(), 2);
        get(&pool, 0, &mut opened);
        assert_eq!(opened, 3);
        get(&pool, 1, &mut opened);
        assert_eq!(opened, 4);
        pool.forget((1, 1));
        assert_eq!(pool.open_count(), 1);
    }

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
