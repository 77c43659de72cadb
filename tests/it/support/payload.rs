//! Payloads: files with deterministic bytes on disk, their torrents, and checksums.

use std::path::{Path, PathBuf};

use librqbit::CreateTorrentOptions;
use librqbit::spawn_utils::BlockingSpawner;
use sha2::{Digest, Sha256};

/// Deterministic pseudo-random bytes (xorshift), so payloads differ from run to run only by seed.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> String {
    sha256(&std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// Panics unless the files at `got` and `want` hold the same bytes.
pub fn assert_same_file(got: &Path, want: &Path) {
    assert_eq!(
        sha256_file(got),
        sha256_file(want),
        "{} differs from {}",
        got.display(),
        want.display()
    );
}

/// A payload on disk and its torrent.
pub struct Payload {
    pub torrent: Vec<u8>,
    pub info_hash: String,
    /// Root of the data (`<dir>/<name>`).
    pub root: PathBuf,
    pub dir: PathBuf,
}

/// Writes `files` (relative path, size) under `<dir>/<name>`, or the single file
/// `<dir>/<name>` when `files` is one entry with an empty path, and makes a torrent
/// with 256 KiB pieces (sizes that are not a multiple of it avoid librqbit's
/// create_torrent extra-hash bug).
pub async fn make_payload(dir: &Path, name: &str, files: &[(&str, usize)]) -> Payload {
    let root = dir.join(name);
    if files.len() == 1 && files[0].0.is_empty() {
        std::fs::write(&root, payload(files[0].1, 1)).unwrap();
    } else {
        for (i, (path, size)) in files.iter().enumerate() {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, payload(*size, i as u64 + 2)).unwrap();
        }
    }
    Payload::create(&root, name, 256 * 1024).await
}

impl Payload {
    /// The torrent of the data already at `root`, named `name` (which may differ from
    /// the folder's name, even be empty), with pieces of `piece_length` bytes.
    pub async fn create(root: &Path, name: &str, piece_length: u32) -> Payload {
        Payload::create_announced(root, name, piece_length, vec![]).await
    }

    /// [`Payload::create`] with these trackers in the torrent.
    pub async fn create_announced(
        root: &Path,
        name: &str,
        piece_length: u32,
        trackers: Vec<String>,
    ) -> Payload {
        let created = librqbit::create_torrent(
            root,
            CreateTorrentOptions {
                name: Some(name),
                trackers,
                piece_length: Some(piece_length),
            },
            &BlockingSpawner::new(4),
        )
        .await
        .expect("create torrent");
        Payload {
            torrent: created.as_bytes().unwrap().to_vec(),
            info_hash: created.info_hash().as_string(),
            root: root.to_owned(),
            dir: root.parent().unwrap().to_owned(),
        }
    }

    /// Index in the torrent of the file at `path` (relative to the torrent's root).
    /// create_torrent orders files as the file system lists them, so tests look them up.
    pub fn index_of(&self, path: &str) -> usize {
        let t = librqbit::torrent_from_bytes(&self.torrent).unwrap();
        let files = t.info.data.files.as_ref().expect("multi-file torrent");
        files
            .iter()
            .position(|f| {
                let parts: Vec<String> = f
                    .path
                    .iter()
                    .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
                    .collect();
                parts.join("/") == path
            })
            .unwrap_or_else(|| panic!("no file {path} in the torrent"))
    }
}
