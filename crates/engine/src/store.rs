//! Our own state file: every torrent keyed by info hash, written atomically.
//!
//! librqbit keeps its own `session.json`, but it forgets the peers a torrent was
//! added with, the time it was added and what it uploaded. This file is the
//! source of truth; librqbit's folder only lends us its fast-resume bitfields.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::info_hash::InfoHash;

/// What we remember of one torrent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TorrentRecord {
    /// Magnet link (with name, trackers and peer hints).
    pub magnet: String,
    /// Name, once known.
    pub name: Option<String>,
    /// Stopped by the user (or completed with seeding off).
    pub paused: bool,
    /// Selected file indices; `None` means all.
    pub selected: Option<Vec<usize>>,
    /// Peers to dial, from `x.pe` or the add request.
    #[serde(default)]
    pub peers: Vec<SocketAddr>,
    /// Extra trackers from the magnet or the .torrent.
    #[serde(default)]
    pub trackers: Vec<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// Bytes uploaded in earlier runs.
    #[serde(default)]
    pub uploaded_before: u64,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct StateFile {
    version: u32,
    torrents: BTreeMap<InfoHash, TorrentRecord>,
}

/// The state folder's layout.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    dir: PathBuf,
}

impl Store {
    pub fn new(dir: PathBuf) -> Self {
        Store { dir }
    }

    fn state_file(&self) -> PathBuf {
        self.dir.join("torrents.json")
    }

    fn torrent_file(&self, hash: &InfoHash) -> PathBuf {
        self.dir.join("torrents").join(format!("{hash}.torrent"))
    }

    /// librqbit's persistence folder (fast-resume bitfields).
    pub fn librqbit_dir(&self) -> PathBuf {
        self.dir.join("librqbit")
    }

    /// Reads all records; a missing file is an empty state. A corrupt or empty file is
    /// moved aside to `torrents.json.corrupt-<unix time>.bak`, logged, and read as an
    /// empty state, so that the server still starts (issue 6).
    pub fn load(&self) -> std::io::Result<BTreeMap<InfoHash, TorrentRecord>> {
        match std::fs::read(self.state_file()) {
            Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
                Ok(file) => Ok(file.torrents),
                Err(e) => {
                    let backup = self.keep_corrupt_state()?;
                    tracing::error!(
                        "torrents.json in the state folder is corrupt ({e}); it was moved to {} \
                         and the server starts with no torrents",
                        backup.file_name().unwrap_or_default().to_string_lossy()
                    );
                    Ok(BTreeMap::new())
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(e),
        }
    }

    /// Moves the unreadable state file aside (never over an earlier backup); returns its new path.
    fn keep_corrupt_state(&self) -> std::io::Result<PathBuf> {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut n = 0u32;
        loop {
            let name = match n {
                0 => format!("torrents.json.corrupt-{secs}.bak"),
                _ => format!("torrents.json.corrupt-{secs}-{n}.bak"),
            };
            let backup = self.dir.join(name);
            if !backup.exists() {
                std::fs::rename(self.state_file(), &backup)?;
                return Ok(backup);
            }
            n += 1;
        }
    }

    /// Serializes the records (call with the lock held), to be written by [`Store::write`].
    pub fn serialize(records: &BTreeMap<InfoHash, TorrentRecord>) -> Vec<u8> {
        #[derive(Serialize)]
        struct Borrowed<'a> {
            version: u32,
            torrents: &'a BTreeMap<InfoHash, TorrentRecord>,
        }
        serde_json::to_vec_pretty(&Borrowed {
            version: 1,
            torrents: records,
        })
        .unwrap_or_default()
    }

    pub fn write_state(&self, bytes: &[u8]) -> std::io::Result<()> {
        write_atomically(&self.state_file(), bytes)
    }

    pub fn save_torrent(&self, hash: &InfoHash, bytes: &[u8]) -> std::io::Result<()> {
        write_atomically(&self.torrent_file(hash), bytes)
    }

    pub fn read_torrent(&self, hash: &InfoHash) -> Option<Vec<u8>> {
        std::fs::read(self.torrent_file(hash)).ok()
    }

    pub fn remove_torrent(&self, hash: &InfoHash) {
        let _ = std::fs::remove_file(self.torrent_file(hash));
    }

    /// Makes librqbit forget its own list, so that we re-add every torrent ourselves
    /// (with peers and options librqbit does not persist). Its bitfields stay.
    pub fn reset_librqbit_session(&self) -> std::io::Result<()> {
        match std::fs::remove_file(self.librqbit_dir().join("session.json")) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }
}

/// Writes `bytes` to `path` so that a crash leaves either the old or the new file:
/// write a temporary file in the same folder, fsync it, rename it over, fsync the folder.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::new(dir.path().to_owned());
        assert!(store.load().unwrap().is_empty());
        let hash: InfoHash = "aa".repeat(20).parse().unwrap();
        let mut records = BTreeMap::new();
        records.insert(
            hash,
            TorrentRecord {
                magnet: "magnet:?xt=urn:btih:aa".into(),
                name: Some("x".into()),
                paused: true,
                selected: Some(vec![1]),
                peers: vec!["127.0.0.1:1".parse().unwrap()],
                trackers: vec![],
                added_at: OffsetDateTime::UNIX_EPOCH,
                completed_at: None,
                uploaded_before: 7,
            },
        );
        store.write_state(&Store::serialize(&records)).unwrap();
        let back = store.load().unwrap();
        assert_eq!(back[&hash].selected, Some(vec![1]));
        assert_eq!(back[&hash].uploaded_before, 7);
        assert!(back[&hash].paused);
        // no temporary file is left behind
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("torrents.json")]);
    }

    #[test]
    fn a_corrupt_or_empty_state_file_is_kept_aside_and_read_as_empty() {
        for (i, bad) in [&b"{not json"[..], b"", b"\0\0\0"].into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("torrents.json"), bad).unwrap();
            let records = Store::new(dir.path().to_owned()).load().unwrap();
            assert!(records.is_empty(), "case {i}");
            assert!(!dir.path().join("torrents.json").exists());
            let backups: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("torrents.json.corrupt-") && n.ends_with(".bak"))
                .collect();
            assert_eq!(backups.len(), 1, "case {i}: {backups:?}");
            assert_eq!(std::fs::read(dir.path().join(&backups[0])).unwrap(), bad);
        }
    }
}
