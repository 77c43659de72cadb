//! Watch folders: `.torrent` and `.magnet` files dropped in a folder of
//! `watchFolders` are added with the folder's options, then renamed
//! `<name>.added`, or `<name>.invalid` when they cannot be (the reason goes to
//! the notices). Nothing is ever deleted.
//!
//! Changes are noticed through inotify (the `notify` crate), and every folder is
//! also scanned every [`RESCAN`], for network filesystems whose changes inotify
//! never sees. A file is taken only once it has not changed for [`SETTLED`], so
//! that one still being written is waited for; one that does not parse is tried
//! again until it has not changed for [`GRACE`] (a writer may have paused), and
//! only then renamed `.invalid`. Dotfiles are skipped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cloud_torrent_config::WatchFolder;
use cloud_torrent_engine::{AddOptions, AddSource, Engine, EngineError, MAX_TORRENT_BYTES};
use notify::Watcher;

use crate::notices::Notices;
use crate::settings::LiveConfig;

/// How often every folder is scanned, whatever inotify says.
pub const RESCAN: Duration = Duration::from_secs(5);
/// How long a file must stay unchanged before it is added.
pub const SETTLED: Duration = Duration::from_millis(1500);
/// The largest `.magnet` file read.
const MAX_MAGNET_BYTES: u64 = 64 * 1024;
/// How long a file whose add failed for a passing reason waits before the next try.
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// How long a file that does not parse may still be being written.
pub const GRACE: Duration = Duration::from_secs(30);
/// How soon a file that does not parse yet is tried again.
const RETRY_UNPARSED: Duration = Duration::from_secs(2);

/// What a file looked like when last seen.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    len: u64,
    modified: Option<SystemTime>,
}

/// The watcher's memory between scans.
#[derive(Default)]
struct Watch {
    /// Files seen but not settled yet, and when they last changed.
    pending: HashMap<PathBuf, (Seen, tokio::time::Instant)>,
    /// Files whose add failed for a passing reason, and when to try again.
    retry_at: HashMap<PathBuf, tokio::time::Instant>,
}

/// Follows `watchFolders` of `config` until the server stops.
pub(crate) fn spawn(config: &LiveConfig, engine: Engine, notices: Notices) {
    let mut changes = config.changes();
    tokio::spawn(async move {
        let (wake_tx, mut wake) = tokio::sync::mpsc::channel::<()>(1);
        let mut folders = changes.borrow_and_update().watch_folders.clone();
        let mut watcher = watch_folders(&folders, wake_tx.clone());
        let mut state = Watch::default();
        loop {
            let waiting = state.scan(&folders, &engine, &notices).await;
            // Files not settled yet are looked at again soon; else at the rescan.
            let next = if waiting { SETTLED } else { RESCAN };
            tokio::select! {
                _ = wake.recv() => tokio::time::sleep(Duration::from_millis(200)).await,
                _ = tokio::time::sleep(next) => {}
                changed = changes.changed() => {
                    // The server stopped.
                    if changed.is_err() {
                        return;
                    }
                    let wanted = changes.borrow_and_update().watch_folders.clone();
                    if wanted != folders {
                        // The old watcher is dropped (and its inotify watches with it).
                        watcher = watch_folders(&wanted, wake_tx.clone());
                        folders = wanted;
                        state = Watch::default();
                    }
                }
            }
            let _ = &watcher;
        }
    });
}

/// An inotify watch on each folder, waking the loop on any change.
fn watch_folders(
    folders: &[WatchFolder],
    wake: tokio::sync::mpsc::Sender<()>,
) -> Option<notify::RecommendedWatcher> {
    if folders.is_empty() {
        return None;
    }
    let mut watcher = match notify::recommended_watcher(move |_event| {
        let _ = wake.try_send(());
    }) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!("watch folders are scanned every {RESCAN:?} only: {e}");
            return None;
        }
    };
    for folder in folders {
        let mode = match folder.recursive {
            true => notify::RecursiveMode::Recursive,
            false => notify::RecursiveMode::NonRecursive,
        };
        if let Err(e) = watcher.watch(&folder.path, mode) {
            tracing::warn!(
                folder = %folder.path.display(),
                "the watch folder is scanned every {RESCAN:?} only: {e}"
            );
        }
    }
    Some(watcher)
}

impl Watch {
    /// Adds the settled files of every folder. Returns whether some file is still
    /// settling.
    async fn scan(&mut self, folders: &[WatchFolder], engine: &Engine, notices: &Notices) -> bool {
        let now = tokio::time::Instant::now();
        let mut waiting = false;
        for folder in folders {
            let root = folder.path.clone();
            let recursive = folder.recursive;
            let files = tokio::task::spawn_blocking(move || candidates(&root, recursive))
                .await
                .unwrap_or_default();
            for (path, seen) in files {
                if self.retry_at.get(&path).is_some_and(|at| *at > now) {
                    continue;
                }
                let settled = match self.pending.get(&path) {
                    Some((before, since)) if *before == seen => {
                        now.duration_since(*since) >= SETTLED
                    }
                    _ => {
                        self.pending.insert(path.clone(), (seen, now));
                        false
                    }
                };
                if !settled {
                    waiting = true;
                    continue;
                }
                self.pending.remove(&path);
                if let Some(again) = take(folder, &path, seen, engine, notices).await {
                    self.retry_at.insert(path, now + again);
                } else {
                    self.retry_at.remove(&path);
                }
            }
        }
        waiting
    }
}

/// The `.torrent` and `.magnet` files of a folder (and its sub-folders when
/// `recursive`), skipping dotfiles and links.
fn candidates(root: &Path, recursive: bool) -> Vec<(PathBuf, Seen)> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_path_buf()];
    while let Some(dir) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            // Not following links: a link's own type.
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() && recursive {
                folders.push(entry.path());
            } else if kind.is_file()
                && source_kind(name).is_some()
                && let Ok(meta) = entry.metadata()
            {
                found.push((
                    entry.path(),
                    Seen {
                        len: meta.len(),
                        modified: meta.modified().ok(),
                    },
                ));
            }
        }
    }
    found
}

/// What a file holds, by its name.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Torrent,
    Magnet,
}

fn source_kind(name: &str) -> Option<Kind> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".torrent") {
        Some(Kind::Torrent)
    } else if lower.ends_with(".magnet") {
        Some(Kind::Magnet)
    } else {
        None
    }
}

/// Adds one settled file and renames it. Returns when to try again if the add
/// failed for a passing reason.
async fn take(
    folder: &WatchFolder,
    path: &Path,
    seen: Seen,
    engine: &Engine,
    notices: &Notices,
) -> Option<Duration> {
    let shown = path
        .strip_prefix(&folder.path)
        .unwrap_or(path)
        .display()
        .to_string();
    // A file that does not parse may be half-written by a writer that paused.
    let unchanged_for = seen
        .modified
        .and_then(|m| SystemTime::now().duration_since(m).ok())
        .unwrap_or(GRACE);
    let source = match read_source(path).await {
        Ok(source) => source,
        Err(_) if unchanged_for < GRACE => return Some(RETRY_UNPARSED),
        Err(why) => {
            invalid(folder, path, &shown, &why, notices).await;
            return None;
        }
    };
    let options = AddOptions {
        paused: folder.paused.then_some(true),
        category: folder.category.clone(),
        tags: folder.tags.clone(),
        save_path: folder.save_path.clone(),
        ..AddOptions::default()
    };
    match engine.add(source, options).await {
        Ok(added) => {
            let renamed = rename_aside(path, "added").await;
            let what = match added.created {
                true => "added",
                false => "was already there",
            };
            notices.push(
                "watchFolder",
                false,
                format!(
                    "{shown} in watch folder {}: \"{}\" {what}{}",
                    folder.path.display(),
                    added.torrent.name,
                    renamed
                        .err()
                        .map(|e| format!(" (cannot rename it: {e})"))
                        .unwrap_or_default()
                ),
            );
            None
        }
        Err(EngineError::Busy(_) | EngineError::Internal(_)) => Some(RETRY_AFTER),
        Err(EngineError::InvalidTorrent(_) | EngineError::InvalidMagnet(_))
            if unchanged_for < GRACE =>
        {
            Some(RETRY_UNPARSED)
        }
        Err(e) => {
            invalid(folder, path, &shown, &e.to_string(), notices).await;
            None
        }
    }
}

async fn invalid(folder: &WatchFolder, path: &Path, shown: &str, why: &str, notices: &Notices) {
    let renamed = rename_aside(path, "invalid").await;
    notices.push(
        "watchFolder",
        true,
        format!(
            "{shown} in watch folder {} was not added: {why}{}",
            folder.path.display(),
            renamed
                .err()
                .map(|e| format!(" (cannot rename it: {e})"))
                .unwrap_or_default()
        ),
    );
}

/// Reads a .torrent (raw bytes) or a .magnet (its first line that is a magnet link).
async fn read_source(path: &Path) -> Result<AddSource, String> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let kind = source_kind(name).ok_or("not a .torrent or .magnet file")?;
    let limit = match kind {
        Kind::Torrent => MAX_TORRENT_BYTES as u64,
        Kind::Magnet => MAX_MAGNET_BYTES,
    };
    let path = path.to_path_buf();
    let bytes = tokio::task::spawn_blocking(move || -> std::io::Result<Vec<u8>> {
        use std::io::Read;
        let mut bytes = Vec::new();
        std::fs::File::open(&path)?
            .take(limit + 1)
            .read_to_end(&mut bytes)?;
        Ok(bytes)
    })
    .await
    .map_err(|e| e.to_string())?
    .map_err(|e| format!("cannot read it: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!("larger than {limit} bytes"));
    }
    match kind {
        Kind::Torrent => Ok(AddSource::TorrentFile(Bytes::from(bytes))),
        Kind::Magnet => String::from_utf8_lossy(&bytes)
            .lines()
            .map(str::trim)
            .find(|line| line.starts_with("magnet:"))
            .map(|line| AddSource::Magnet(line.to_owned()))
            .ok_or_else(|| "it holds no magnet link".into()),
    }
}

/// Renames `path` to `<path>.<suffix>`, or `<path>.<suffix>.<n>` when that is
/// taken: nothing is replaced.
async fn rename_aside(path: &Path, suffix: &str) -> std::io::Result<PathBuf> {
    let path = path.to_path_buf();
    let suffix = suffix.to_owned();
    tokio::task::spawn_blocking(move || {
        let base = format!("{}.{suffix}", path.display());
        for n in 0..1000 {
            let target = match n {
                0 => PathBuf::from(&base),
                n => PathBuf::from(format!("{base}.{n}")),
            };
            // A hard link fails when the target exists, so nothing is replaced.
            match std::fs::hard_link(&path, &target) {
                Ok(()) => {
                    std::fs::remove_file(&path)?;
                    return Ok(target);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                // A filesystem without hard links: rename to a name seen free.
                Err(_) if !target.exists() => {
                    std::fs::rename(&path, &target)?;
                    return Ok(target);
                }
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("too many files of that name"))
    })
    .await
    .map_err(std::io::Error::other)?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_torrent_and_magnet_files_count() {
        assert_eq!(source_kind("a.torrent"), Some(Kind::Torrent));
        assert_eq!(source_kind("A.TORRENT"), Some(Kind::Torrent));
        assert_eq!(source_kind("b.magnet"), Some(Kind::Magnet));
        assert_eq!(source_kind("a.torrent.added"), None);
        assert_eq!(source_kind("a.torrent.invalid"), None);
        assert_eq!(source_kind("a.txt"), None);
    }

    #[tokio::test]
    async fn renaming_aside_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("x.torrent");
        std::fs::write(&a, b"1").unwrap();
        std::fs::write(dir.path().join("x.torrent.added"), b"old").unwrap();
        let to = rename_aside(&a, "added").await.unwrap();
        assert_eq!(to, dir.path().join("x.torrent.added.1"));
        assert_eq!(
            std::fs::read(dir.path().join("x.torrent.added")).unwrap(),
            b"old"
        );
        assert_eq!(std::fs::read(&to).unwrap(), b"1");
        assert!(!a.exists());
    }
}
