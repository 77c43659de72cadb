//! Our own state: every torrent's record keyed by info hash, the categories and
//! tags, in the state database (`db.rs`), and each torrent's .torrent file.
//!
//! librqbit keeps its own `session.json`, but it forgets the peers a torrent was
//! added with, the time it was added and what it uploaded. Our state is the
//! source of truth; librqbit's folder only lends us its fast-resume bitfields.
//! A `torrents.json` of an earlier version is moved into the database at the
//! first start (and kept as `torrents.json.migrated`).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::category::Category;
use crate::counters::Counters;
use crate::db::{DB_FILE, Organisation, StateChanges, StateDb};
use crate::info_hash::InfoHash;
use crate::seeding::TorrentSeedLimits;

/// What we remember of one torrent.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TorrentRecord {
    /// A number of its own, given in the order torrents were added (Transmission
    /// scripts and clients know torrents by such a number). 0 in records from
    /// before it was kept; the engine numbers those at start.
    #[serde(default)]
    pub id: u64,
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
    /// `trackers` is its whole tracker list (it was edited): the ones inside its
    /// .torrent file are not used.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub own_trackers: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub added_at: OffsetDateTime,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// Lifetime bytes, times and last activity.
    #[serde(flatten)]
    pub counters: Counters,
    /// This torrent's seeding limits (each may follow the global one).
    #[serde(default, skip_serializing_if = "TorrentSeedLimits::is_default")]
    pub seed_limits: TorrentSeedLimits,
    /// Stopped because it reached a seeding limit.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub seed_limit_reached: bool,
    /// Runs regardless of seeding limits (and of the queue).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub force_start: bool,
    /// Its place in the queue: smaller runs first.
    #[serde(default)]
    pub queue_order: u64,
    /// Download the pieces in order.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub sequential: bool,
    /// Fetch the first and last pieces of the files first.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub first_last_pieces_first: bool,
    /// This torrent's own download limit, bytes per second (0: only the global one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub download_limit: u64,
    /// This torrent's own upload limit, bytes per second (0: only the global one).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub upload_limit: u64,
    /// The torrent's folder relative to the storage root (see `category.rs`; the
    /// download folder in files of version 1). `None` until the metadata is known,
    /// and in records written before it was kept (those keep the folder they had,
    /// see `Layout::Legacy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<PathBuf>,
    /// The folder its content goes in (`folder` is this, or a folder of the
    /// torrent's name in it), relative to the storage root. `None` only in files of
    /// version 1, where it was the download folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_path: Option<PathBuf>,
    /// Where its data moves when complete, relative to the storage root, while it
    /// downloads in the incomplete folder (`incompleteDir`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_save_path: Option<PathBuf>,
    /// The `finished` event was announced (it is announced once per torrent).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub finished_announced: bool,
    /// Seeding with no peer, it was handed out of librqbit to cost nothing until
    /// a peer comes (see `engine/dormant.rs`); it stays so across a restart.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dormant: bool,
    /// Its category's name, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Its tags, sorted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The name the user gave it, shown instead of its own (its files keep theirs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `torrents.json` of earlier versions: format 1 kept folders relative to the
/// download folder, 2 relative to the storage root, with save paths, categories
/// and tags. Read once, to move it into the database.
#[derive(Debug, Default, Deserialize)]
struct StateFile {
    version: u32,
    torrents: BTreeMap<InfoHash, TorrentRecord>,
    #[serde(default)]
    categories: BTreeMap<String, Category>,
    #[serde(default)]
    tags: BTreeSet<String>,
}

/// What the state file holds.
#[derive(Debug, Default)]
pub(crate) struct Saved {
    pub torrents: BTreeMap<InfoHash, TorrentRecord>,
    pub categories: BTreeMap<String, Category>,
    /// Tags known even without a torrent (a torrent's own tags are known too).
    pub tags: BTreeSet<String>,
    /// The last moment the engine that saved them noted that it ran.
    pub heartbeat: Option<OffsetDateTime>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// The state folder and its database.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    dir: PathBuf,
    db: Arc<StateDb>,
}

impl Store {
    /// Opens the state folder's database, creating it if need be. One that cannot
    /// be opened (not a database, from a newer version) is moved aside to
    /// `state.sqlite.corrupt-<unix time>.bak`, logged, and replaced by an empty one,
    /// so that the server still starts.
    pub fn open(dir: PathBuf) -> std::io::Result<Store> {
        let path = dir.join(DB_FILE);
        let db = match StateDb::open(&path).and_then(|db| db.is_initialised().map(|_| db)) {
            Ok(db) => db,
            Err(e) => {
                let backup = keep_aside(&path)?;
                tracing::error!(
                    "the state database cannot be read ({e}); it was moved to {} and the \
                     server starts with no torrents",
                    backup.file_name().unwrap_or_default().to_string_lossy()
                );
                StateDb::open(&path).map_err(std::io::Error::other)?
            }
        };
        Ok(Store {
            dir,
            db: Arc::new(db),
        })
    }

    fn state_file(&self) -> PathBuf {
        self.dir.join("torrents.json")
    }

    fn torrent_file(&self, hash: &InfoHash) -> PathBuf {
        self.dir.join("torrents").join(format!("{hash}.torrent"))
    }

    /// librqbit's persistence folder (fast-resume bitfields).
    /// Where librqbit's fast resume reads a torrent's verified pieces.
    pub fn resume_file(&self, hash: &InfoHash) -> PathBuf {
        self.librqbit_dir().join(format!("{hash}.bitv"))
    }

    pub fn librqbit_dir(&self) -> PathBuf {
        self.dir.join("librqbit")
    }

    /// Reads all records, categories and tags. At the first start of this
    /// version, a `torrents.json` of an earlier one is read (records of its older
    /// format brought to the current one; `download_dir` is the download folder
    /// relative to the storage root), written to the database in one transaction,
    /// and renamed `torrents.json.migrated`. A corrupt or empty `torrents.json` is
    /// moved aside to `torrents.json.corrupt-<unix time>.bak`, logged, and read as
    /// an empty state.
    pub fn load(&self, download_dir: &Path) -> std::io::Result<Saved> {
        let db_error = |e: crate::db::DbError| std::io::Error::other(e.to_string());
        if !self.db.is_initialised().map_err(db_error)? {
            let saved = self.read_state_file(download_dir)?;
            let organisation = Organisation {
                categories: saved.categories,
                tags: saved.tags,
            };
            let changes = self.db.changes(
                saved.torrents.iter(),
                |h| saved.torrents.contains_key(h),
                saved.torrents.len(),
                &organisation,
            );
            self.db.write(changes).map_err(db_error)?;
            if self.state_file().exists() {
                std::fs::rename(self.state_file(), self.dir.join("torrents.json.migrated"))?;
                tracing::info!(
                    torrents = saved.torrents.len(),
                    "torrents.json was moved into the state database"
                );
            }
        }
        let (torrents, organisation) = self.db.load().map_err(db_error)?;
        Ok(Saved {
            torrents,
            categories: organisation.categories,
            tags: organisation.tags,
            heartbeat: self.db.heartbeat().map_err(db_error)?,
        })
    }

    /// What the `changed` records (those that may have changed), the torrents still
    /// there (`holds`, `count`), `categories` and `tags` change in the database.
    pub fn changes<'a>(
        &self,
        changed: impl Iterator<Item = (&'a InfoHash, &'a TorrentRecord)>,
        holds: impl Fn(&InfoHash) -> bool,
        count: usize,
        categories: BTreeMap<String, Category>,
        tags: BTreeSet<String>,
    ) -> StateChanges {
        self.db
            .changes(changed, holds, count, &Organisation { categories, tags })
    }

    /// Writes what [`Store::changes`] found, in one transaction.
    /// Notes that the engine runs at `at`: after a crash, its torrents' running
    /// and seeding times end there.
    pub fn write_heartbeat(&self, at: OffsetDateTime) -> std::io::Result<()> {
        self.db
            .write_heartbeat(at)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }

    pub fn write(&self, changes: StateChanges) -> std::io::Result<()> {
        self.db
            .write(changes)
            .map_err(|e| std::io::Error::other(e.to_string()))
    }

    /// The records of a `torrents.json` of an earlier version; an empty state when
    /// there is none.
    fn read_state_file(&self, download_dir: &Path) -> std::io::Result<Saved> {
        match std::fs::read(self.state_file()) {
            Ok(bytes) => match serde_json::from_slice::<StateFile>(&bytes) {
                Ok(mut file) => {
                    if file.version < 2 {
                        for record in file.torrents.values_mut() {
                            record.folder = record.folder.take().map(|f| download_dir.join(f));
                            record.save_path = Some(download_dir.to_path_buf());
                            // Complete before events existed: not announced again.
                            record.finished_announced = record.completed_at.is_some();
                        }
                    }
                    Ok(Saved {
                        torrents: file.torrents,
                        categories: file.categories,
                        tags: file.tags,
                        heartbeat: None,
                    })
                }
                Err(e) => {
                    let backup = keep_aside(&self.state_file())?;
                    tracing::error!(
                        "torrents.json in the state folder is corrupt ({e}); it was moved to {} \
                         and the server starts with no torrents",
                        backup.file_name().unwrap_or_default().to_string_lossy()
                    );
                    Ok(Saved::default())
                }
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Saved::default()),
            Err(e) => Err(e),
        }
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

    /// Removes temporary files left by a process killed while writing: ours (see
    /// [`write_atomically`]) and librqbit's (`<name>.tmp`, in its own folder, which
    /// no one writes before the session starts).
    pub fn remove_stale_temp_files(&self) {
        let mut removed = remove_stale_temp_files(&self.dir, None)
            + remove_stale_temp_files(&self.dir.join("torrents"), None)
            + remove_stale_temp_files(&self.librqbit_dir(), None);
        if let Ok(entries) = std::fs::read_dir(self.librqbit_dir()) {
            for entry in entries.flatten() {
                let is_tmp = entry
                    .file_name()
                    .to_str()
                    .is_some_and(|n| n.ends_with(".tmp"));
                if is_tmp && std::fs::remove_file(entry.path()).is_ok() {
                    removed += 1;
                }
            }
        }
        if removed > 0 {
            tracing::info!(removed, "removed temporary files of an interrupted run");
        }
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
///
/// The temporary file is `.<name>.<pid>-<n>.tmp`, unique to the call, so that two
/// writers never share one. A process killed mid-write leaves it behind; the next
/// start removes it with [`remove_stale_temp_files`]. It is created with the mode of
/// the file it replaces, or owner-only (0600) for a new file, so that nothing it holds
/// is ever readable by others, even between its creation and the rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or("state");
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let tmp = dir.join(format!(".{file_name}.{}-{n}.tmp", std::process::id()));
    let written = (|| {
        let mut f = create_private(&tmp, mode_for(path))?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// The mode a new version of `path` gets: the current file's, or owner-only for a
/// new file (state and config files may hold secrets).
#[cfg(unix)]
fn mode_for(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).map_or(0o600, |m| m.permissions().mode() & 0o777)
}

#[cfg(not(unix))]
fn mode_for(_: &Path) -> u32 {
    0o600
}

/// Creates `path` (which must not exist) with `mode` from the start, so that its bytes
/// are never readable by others, even for a moment.
fn create_private(path: &Path, mode: u32) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    let _ = mode;
    options.open(path)
}

/// Creates an empty file readable by its owner only (the state database: SQLite
/// gives its log files the database file's mode).
pub(crate) fn create_private_file(path: &Path) -> std::io::Result<()> {
    create_private(path, 0o600).map(|_| ())
}

/// Moves an unreadable state file aside to `<name>.corrupt-<unix time>.bak`, never
/// over an earlier copy, with a database's log beside it; returns where it went.
fn keep_aside(path: &Path) -> std::io::Result<PathBuf> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let backup = (0u32..)
        .map(|n| match n {
            0 => path.with_file_name(format!("{name}.corrupt-{secs}.bak")),
            _ => path.with_file_name(format!("{name}.corrupt-{secs}-{n}.bak")),
        })
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| path.with_file_name(format!("{name}.corrupt.bak")));
    std::fs::rename(path, &backup)?;
    // A database's log goes with it (a JSON file has none); SQLite's shared-memory
    // index is rebuilt from the log.
    let with_suffix = |p: &Path, suffix: &str| {
        let mut name = p.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    };
    let _ = std::fs::rename(with_suffix(path, "-wal"), with_suffix(&backup, "-wal"));
    let _ = std::fs::remove_file(with_suffix(path, "-shm"));
    Ok(backup)
}

/// Creates the state folder (and its parents) readable by its owner only.
pub(crate) fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// The target's name and the process id in the name of a temporary file of
/// [`write_atomically`] (`.<name>.<pid>-<n>.tmp`, or `.<name>.<pid>.tmp` of earlier versions).
fn parse_temp_name(name: &str) -> Option<(&str, u32)> {
    let stem = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (target, tag) = stem.rsplit_once('.')?;
    let pid = match tag.split_once('-') {
        Some((pid, n)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => pid,
        Some(_) => return None,
        None => tag,
    };
    if target.is_empty() || pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((target, pid.parse().ok()?))
}

/// Removes the temporary files [`write_atomically`] left in `dir` when a process was
/// killed mid-write: those of other process ids, and only those for the file named
/// `target` when it is given (a config file's folder holds other files).
/// Returns how many were removed.
pub fn remove_stale_temp_files(dir: &Path, target: Option<&str>) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let me = std::process::id();
    let mut removed = 0;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some((of, pid)) = name.to_str().and_then(parse_temp_name) else {
            continue;
        };
        let wanted = target.is_none_or(|t| t == of);
        if pid != me && wanted && std::fs::remove_file(entry.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn new_files_are_owner_only_and_replaced_ones_keep_their_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let new = dir.path().join("secret.toml");
        write_atomically(&new, b"auth = \"a:b\"").unwrap();
        assert_eq!(mode(&new), 0o600);
        let shared = dir.path().join("shared.json");
        std::fs::write(&shared, b"{}").unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o640)).unwrap();
        write_atomically(&shared, b"[]").unwrap();
        assert_eq!(mode(&shared), 0o640);
        assert_eq!(std::fs::read(&shared).unwrap(), b"[]");
        let state = dir.path().join("state/inner");
        create_private_dir(&state).unwrap();
        assert_eq!(mode(&state), 0o700);
    }

    #[test]
    fn records_round_trip_and_writes_are_atomic() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path().to_owned()).unwrap();
        assert!(store.load(Path::new("")).unwrap().torrents.is_empty());
        let hash: InfoHash = "aa".repeat(20).parse().unwrap();
        let mut records = BTreeMap::new();
        records.insert(
            hash,
            TorrentRecord {
                id: 1,
                magnet: "magnet:?xt=urn:btih:aa".into(),
                name: Some("x".into()),
                paused: true,
                selected: Some(vec![1]),
                peers: vec!["127.0.0.1:1".parse().unwrap()],
                trackers: vec![],
                own_trackers: true,
                added_at: OffsetDateTime::UNIX_EPOCH,
                completed_at: None,
                counters: Counters {
                    uploaded: 7,
                    seeding_ms: 1500,
                    ..Counters::default()
                },
                seed_limits: TorrentSeedLimits {
                    ratio: Some(2.5),
                    ..TorrentSeedLimits::default()
                },
                seed_limit_reached: true,
                force_start: false,
                queue_order: 3,
                sequential: true,
                first_last_pieces_first: false,
                download_limit: 0,
                upload_limit: 65536,
                folder: Some("tv/x".into()),
                save_path: Some("tv".into()),
                final_save_path: None,
                finished_announced: true,
                dormant: true,
                category: Some("tv".into()),
                tags: vec!["a".into()],
                display_name: Some("Shown".into()),
            },
        );
        let category = Category {
            name: "tv".into(),
            save_path: String::new(),
            seed_ratio_limit: Some(1.5),
            seed_time_limit: None,
            seed_idle_limit: Some(-1),
        };
        let categories = BTreeMap::from([("tv".to_string(), category.clone())]);
        let tags = BTreeSet::from(["spare".to_string()]);
        store
            .write(store.changes(
                records.iter(),
                |h| records.contains_key(h),
                records.len(),
                categories.clone(),
                tags.clone(),
            ))
            .unwrap();
        // A second process reads what the first wrote.
        let store = Store::open(dir.path().to_owned()).unwrap();
        let saved = store.load(Path::new("dl")).unwrap();
        assert_eq!(saved.categories["tv"], category);
        assert_eq!(saved.tags, tags);
        let back = saved.torrents;
        assert_eq!(back[&hash].selected, Some(vec![1]));
        assert_eq!(back[&hash].counters.uploaded, 7);
        assert_eq!(back[&hash].counters.seeding_ms, 1500);
        assert_eq!(back[&hash].seed_limits.ratio, Some(2.5));
        assert!(back[&hash].seed_limit_reached);
        assert_eq!(back[&hash].folder, Some("tv/x".into()));
        assert_eq!(back[&hash].save_path, Some("tv".into()));
        assert_eq!(back[&hash].category.as_deref(), Some("tv"));
        assert_eq!(back[&hash].tags, vec!["a".to_string()]);
        assert!(back[&hash].paused);

        // Only what changed is written again: nothing, then the one record changed,
        // then its deletion.
        assert!(
            store
                .changes(
                    back.iter(),
                    |h| back.contains_key(h),
                    back.len(),
                    categories.clone(),
                    tags.clone(),
                )
                .is_empty()
        );
        let mut records = back;
        let other: InfoHash = "dd".repeat(20).parse().unwrap();
        let mut second = records[&hash].clone();
        second.id = 2;
        records.insert(other, second);
        records.get_mut(&hash).unwrap().counters.uploaded = 8;
        let changes = store.changes(
            records.iter(),
            |h| records.contains_key(h),
            records.len(),
            categories.clone(),
            tags.clone(),
        );
        assert_eq!(changes.rows(), (2, 0, false));
        store.write(changes).unwrap();
        records.remove(&other);
        // A removal is found without any record being passed as changed.
        let changes = store.changes(
            std::iter::empty(),
            |h| records.contains_key(h),
            records.len(),
            categories.clone(),
            BTreeSet::new(),
        );
        assert_eq!(changes.rows(), (0, 1, true));
        store.write(changes).unwrap();
        let saved = Store::open(dir.path().to_owned())
            .unwrap()
            .load(Path::new("dl"))
            .unwrap();
        assert_eq!(saved.torrents.len(), 1);
        assert_eq!(saved.torrents[&hash].counters.uploaded, 8);
        assert!(saved.tags.is_empty());
        // The database is the only state file, owner-only.
        assert!(!dir.path().join("torrents.json").exists());
        use std::os::unix::fs::PermissionsExt;
        let db = std::fs::metadata(dir.path().join(crate::db::DB_FILE)).unwrap();
        assert_eq!(db.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn version_1_folders_are_read_as_inside_the_download_folder() {
        let dir = tempfile::tempdir().unwrap();
        let hash = "bb".repeat(20);
        let v1 = format!(
            r#"{{"version": 1, "torrents": {{"{hash}": {{"magnet": "magnet:?xt=urn:btih:{hash}",
            "paused": false, "addedAt": "2026-01-01T00:00:00Z", "folder": "name"}},
            "{other}": {{"magnet": "magnet:?xt=urn:btih:{other}", "paused": true,
            "addedAt": "2026-01-01T00:00:00Z"}}}}}}"#,
            other = "cc".repeat(20)
        );
        std::fs::write(dir.path().join("torrents.json"), v1).unwrap();
        let saved = Store::open(dir.path().to_owned())
            .unwrap()
            .load(Path::new("downloads"))
            .unwrap();
        // Moved into the database, kept aside, and read from the database next time.
        assert!(!dir.path().join("torrents.json").exists());
        assert!(dir.path().join("torrents.json.migrated").exists());
        let again = Store::open(dir.path().to_owned())
            .unwrap()
            .load(Path::new("elsewhere"))
            .unwrap();
        assert_eq!(again.torrents.len(), 2);
        assert_eq!(
            again.torrents[&hash.parse().unwrap()].folder,
            Some("downloads/name".into())
        );
        let record = &saved.torrents[&hash.parse().unwrap()];
        assert_eq!(record.folder, Some("downloads/name".into()));
        assert_eq!(record.save_path, Some("downloads".into()));
        let other = &saved.torrents[&"cc".repeat(20).parse().unwrap()];
        assert_eq!(other.folder, None);
        assert_eq!(other.save_path, Some("downloads".into()));
        assert!(saved.categories.is_empty());
    }

    #[test]
    fn temporary_files_of_killed_processes_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let me = std::process::id();
        let other = me.wrapping_add(1);
        let names = [
            format!(".torrents.json.{other}-3.tmp"),
            format!(".torrents.json.{other}.tmp"),
            format!(".cloud-torrent.toml.{other}-0.tmp"),
            format!(".torrents.json.{me}-7.tmp"),
            "notes.tmp".to_owned(),
            ".x.abc.tmp".to_owned(),
            "torrents.json".to_owned(),
        ];
        for n in &names {
            std::fs::write(dir.path().join(n), b"x").unwrap();
        }
        let left = |dir: &Path| {
            let mut v: Vec<String> = std::fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        };
        // Only the config file's: the others stay.
        assert_eq!(
            remove_stale_temp_files(dir.path(), Some("cloud-torrent.toml")),
            1
        );
        assert_eq!(left(dir.path()).len(), names.len() - 1);
        assert_eq!(remove_stale_temp_files(dir.path(), None), 2);
        let mut expected = vec![
            format!(".torrents.json.{me}-7.tmp"),
            ".x.abc.tmp".to_owned(),
            "notes.tmp".to_owned(),
            "torrents.json".to_owned(),
        ];
        expected.sort();
        assert_eq!(left(dir.path()), expected);
    }

    #[test]
    fn a_corrupt_or_empty_state_file_is_kept_aside_and_read_as_empty() {
        for (i, bad) in [&b"{not json"[..], b"", b"\0\0\0"].into_iter().enumerate() {
            let dir = tempfile::tempdir().unwrap();
            std::fs::write(dir.path().join("torrents.json"), bad).unwrap();
            let records = Store::open(dir.path().to_owned())
                .unwrap()
                .load(Path::new(""))
                .unwrap();
            assert!(records.torrents.is_empty(), "case {i}");
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

    #[test]
    fn a_database_that_cannot_be_read_is_kept_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::db::DB_FILE);
        let garbage =
            b"this is not a database, and it is long enough to be read as one page".repeat(100);
        std::fs::write(&path, &garbage).unwrap();
        let store = Store::open(dir.path().to_owned()).unwrap();
        assert!(store.load(Path::new("")).unwrap().torrents.is_empty());
        let backups: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("state.sqlite.corrupt-") && n.ends_with(".bak"))
            .collect();
        assert_eq!(backups.len(), 1, "{backups:?}");
        assert_eq!(
            std::fs::read(dir.path().join(&backups[0])).unwrap(),
            garbage
        );
    }
}
