//! Opening, creating and removing paths beneath a folder without following links.
//!
//! A torrent's files live in the download folder, and so may links someone put
//! there: `dl/name → /elsewhere`. Resolving a torrent's path with the ordinary
//! path calls would write, truncate or delete through such a link, outside the
//! download folder. Here every path is walked one component at a time from an
//! open descriptor of the folder, each step with `O_NOFOLLOW`: a link anywhere on
//! the way is an error ([`BeneathError::Link`]), and the walk cannot be redirected
//! by a link swapped in between two checks. Paths must be relative and made of
//! plain names (no `..`, no root).
//!
//! Errors name the path relative to the folder, never the folder itself.

use std::ffi::OsStr;
use std::fs::File;
use std::os::fd::{AsFd, OwnedFd};
use std::path::{Component, Path};

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;

/// Why a path beneath the folder could not be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum BeneathError {
    /// A component is a symbolic link (or not a folder where one is needed).
    #[error(
        "{0}: a symbolic link (or a file where a folder belongs) is in the way; links in the download folder are never followed"
    )]
    Link(String),
    /// The path is not a plain relative path.
    #[error("{0}: not a plain path inside the download folder")]
    NotPlain(String),
    /// The path exists but is not a regular file.
    #[error("{0}: not a regular file")]
    NotAFile(String),
    /// Any other error of the system call.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

impl BeneathError {
    /// Whether the path (or a folder on its way) does not exist.
    pub(crate) fn is_not_found(&self) -> bool {
        matches!(self, BeneathError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    fn of(path: &Path, errno: Errno) -> BeneathError {
        let shown = path.display().to_string();
        match errno {
            Errno::LOOP | Errno::NOTDIR => BeneathError::Link(shown),
            other => BeneathError::Io {
                path: shown,
                source: other.into(),
            },
        }
    }
}

type Result<T> = std::result::Result<T, BeneathError>;

/// Opens `dir` (which may itself be a link: the user chose it) as the folder
/// everything else is resolved beneath.
pub(crate) fn open_root(dir: &Path) -> std::io::Result<OwnedFd> {
    Ok(rustix::fs::open(
        dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )?)
}

/// Opens the regular file `path` beneath `root` for reading and writing,
/// creating it and the folders on its way when absent. Never truncates.
pub(crate) fn open_file(root: &impl AsFd, path: &Path) -> Result<File> {
    let (parent, name) = walk_to_parent(root, path, true)?;
    let flags = OFlags::RDWR
        | OFlags::CREATE
        | OFlags::NOFOLLOW
        | OFlags::CLOEXEC
        // A FIFO where a file belongs must fail below, not block the open.
        | OFlags::NONBLOCK;
    let fd = rustix::fs::openat(&parent, name, flags, Mode::from_raw_mode(0o666))
        .map_err(|e| BeneathError::of(path, e))?;
    let stat = rustix::fs::fstat(&fd).map_err(|e| BeneathError::of(path, e))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(BeneathError::NotAFile(path.display().to_string()));
    }
    Ok(File::from(fd))
}

/// What is at `path` beneath `root`, without following a link there or on the
/// way; `None` when nothing is.
pub(crate) fn file_type(root: &impl AsFd, path: &Path) -> Result<Option<FileType>> {
    let (parent, name) = match walk_to_parent(root, path, false) {
        Ok(found) => found,
        Err(e) if e.is_not_found() => return Ok(None),
        Err(e) => return Err(e),
    };
    match rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some(FileType::from_raw_mode(stat.st_mode))),
        Err(Errno::NOENT) => Ok(None),
        Err(e) => Err(BeneathError::of(path, e)),
    }
}

/// Removes the regular file `path` beneath `root`. A link or anything else that
/// is not a regular file is left alone (and reported).
pub(crate) fn remove_file(root: &impl AsFd, path: &Path) -> Result<()> {
    let (parent, name) = walk_to_parent(root, path, false)?;
    let stat = rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| BeneathError::of(path, e))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(BeneathError::NotAFile(path.display().to_string()));
    }
    rustix::fs::unlinkat(&parent, name, AtFlags::empty()).map_err(|e| BeneathError::of(path, e))
}

/// Removes the folder `path` beneath `root` if it is an empty folder (not a link
/// to one). `Ok(false)`: it was not empty, and stays.
pub(crate) fn remove_empty_dir(root: &impl AsFd, path: &Path) -> Result<bool> {
    let (parent, name) = walk_to_parent(root, path, false)?;
    let stat = rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| BeneathError::of(path, e))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::Directory {
        return Err(BeneathError::Link(path.display().to_string()));
    }
    match rustix::fs::unlinkat(&parent, name, AtFlags::REMOVEDIR) {
        Ok(()) => Ok(true),
        Err(Errno::NOTEMPTY | Errno::EXIST) => Ok(false),
        Err(e) => Err(BeneathError::of(path, e)),
    }
}

/// How [`move_file`] moved a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Moved {
    /// Renamed in place (same filesystem).
    Renamed,
    /// Copied to the other filesystem, synced, checked and the original removed.
    Copied,
}

/// Moves the regular file `from` to `to`, both beneath `root`, creating the
/// folders on the way to `to`. Never replaces anything at `to` (an error says what
/// is there), never follows a link. Across filesystems the file is copied, synced
/// and its size checked before the original is removed; a failure removes the
/// partial copy and leaves the original as it was.
pub(crate) fn move_file(root: &impl AsFd, from: &Path, to: &Path) -> Result<Moved> {
    move_file_with(root, from, to, true)
}

/// [`move_file`], copying at once when `rename` is false (to test the copy).
fn move_file_with(root: &impl AsFd, from: &Path, to: &Path, rename: bool) -> Result<Moved> {
    let (from_dir, from_name) = walk_to_parent(root, from, false)?;
    let stat = rustix::fs::statat(&from_dir, from_name, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| BeneathError::of(from, e))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(BeneathError::NotAFile(from.display().to_string()));
    }
    let (to_dir, to_name) = walk_to_parent(root, to, true)?;
    let taken = || BeneathError::Io {
        path: to.display().to_string(),
        source: std::io::Error::new(
            std::io::ErrorKind::AlreadyExists,
            "something is already there, and is never replaced",
        ),
    };
    let renamed = match rename {
        true => rustix::fs::renameat_with(
            &from_dir,
            from_name,
            &to_dir,
            to_name,
            rustix::fs::RenameFlags::NOREPLACE,
        ),
        false => Err(Errno::XDEV),
    };
    match renamed {
        Ok(()) => return Ok(Moved::Renamed),
        Err(Errno::EXIST) => return Err(taken()),
        Err(Errno::XDEV) => {}
        Err(e) => return Err(BeneathError::of(to, e)),
    }
    let source = rustix::fs::openat(
        &from_dir,
        from_name,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )
    .map_err(|e| BeneathError::of(from, e))?;
    let target = match rustix::fs::openat(
        &to_dir,
        to_name,
        OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::from_raw_mode(stat.st_mode & 0o777),
    ) {
        Ok(fd) => fd,
        Err(Errno::EXIST) => return Err(taken()),
        Err(e) => return Err(BeneathError::of(to, e)),
    };
    let copied = (|| -> std::io::Result<()> {
        let mut source = File::from(source);
        let mut target = File::from(target);
        let n = std::io::copy(&mut source, &mut target)?;
        target.sync_all()?;
        let expected = u64::try_from(stat.st_size).unwrap_or(0);
        if n != expected || target.metadata()?.len() != expected {
            return Err(std::io::Error::other(format!(
                "the copy holds {n} bytes, the original {expected}"
            )));
        }
        Ok(())
    })();
    if let Err(source) = copied {
        let _ = rustix::fs::unlinkat(&to_dir, to_name, AtFlags::empty());
        return Err(BeneathError::Io {
            path: to.display().to_string(),
            source,
        });
    }
    rustix::fs::unlinkat(&from_dir, from_name, AtFlags::empty())
        .map_err(|e| BeneathError::of(from, e))?;
    Ok(Moved::Copied)
}

/// Opens the folder holding `path`'s last component, one component at a time,
/// refusing links; creates missing folders when `create_dirs`. Returns it with
/// the last component's name.
fn walk_to_parent<'p>(
    root: &impl AsFd,
    path: &'p Path,
    create_dirs: bool,
) -> Result<(OwnedFd, &'p OsStr)> {
    let not_plain = || BeneathError::NotPlain(path.display().to_string());
    let mut names = Vec::new();
    for component in path.components() {
        match component {
            Component::Normal(name) => names.push(name),
            Component::CurDir => {}
            _ => return Err(not_plain()),
        }
    }
    let Some((last, folders)) = names.split_last() else {
        return Err(not_plain());
    };
    let dir_flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = rustix::fs::openat(root, ".", dir_flags, Mode::empty())
        .map_err(|e| BeneathError::of(Path::new("."), e))?;
    let mut walked = std::path::PathBuf::new();
    for name in folders {
        walked.push(name);
        if create_dirs {
            match rustix::fs::mkdirat(&dir, *name, Mode::from_raw_mode(0o777)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => return Err(BeneathError::of(&walked, e)),
            }
        }
        dir = rustix::fs::openat(&dir, *name, dir_flags, Mode::empty())
            .map_err(|e| BeneathError::of(&walked, e))?;
    }
    Ok((dir, last))
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn setup() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("dl");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
        (tmp, root, outside)
    }

    #[test]
    fn creates_files_and_folders_beneath_the_root() {
        let (_tmp, root, _) = setup();
        let fd = open_root(&root).unwrap();
        let file = open_file(&fd, Path::new("T/a/b.bin")).unwrap();
        file.set_len(3).unwrap();
        assert_eq!(std::fs::metadata(root.join("T/a/b.bin")).unwrap().len(), 3);
        drop(open_file(&fd, Path::new("T/a/b.bin")).unwrap());
        assert_eq!(std::fs::metadata(root.join("T/a/b.bin")).unwrap().len(), 3);
        remove_file(&fd, Path::new("T/a/b.bin")).unwrap();
        assert!(remove_empty_dir(&fd, Path::new("T/a")).unwrap());
        assert!(remove_empty_dir(&fd, Path::new("T")).unwrap());
        assert_eq!(std::fs::read_dir(&root).unwrap().count(), 0);
    }

    #[test]
    fn never_opens_or_creates_through_a_link() {
        let (_tmp, root, outside) = setup();
        symlink(outside.join("secret.txt"), root.join("filelink")).unwrap();
        symlink(&outside, root.join("dirlink")).unwrap();
        let fd = open_root(&root).unwrap();
        let err = open_file(&fd, Path::new("filelink")).unwrap_err();
        assert!(matches!(err, BeneathError::Link(_)), "{err}");
        let err = open_file(&fd, Path::new("dirlink/new.bin")).unwrap_err();
        assert!(matches!(err, BeneathError::Link(_)), "{err}");
        assert!(!err.to_string().contains(root.to_str().unwrap()), "{err}");
        assert_eq!(
            std::fs::read(outside.join("secret.txt")).unwrap(),
            b"secret"
        );
        assert!(!outside.join("new.bin").exists());
    }

    #[test]
    fn never_removes_through_a_link() {
        let (_tmp, root, outside) = setup();
        symlink(outside.join("secret.txt"), root.join("filelink")).unwrap();
        symlink(&outside, root.join("dirlink")).unwrap();
        std::fs::create_dir(outside.join("empty")).unwrap();
        let fd = open_root(&root).unwrap();
        assert!(remove_file(&fd, Path::new("dirlink/secret.txt")).is_err());
        assert!(remove_file(&fd, Path::new("filelink")).is_err());
        assert!(remove_empty_dir(&fd, Path::new("dirlink/empty")).is_err());
        assert!(remove_empty_dir(&fd, Path::new("dirlink")).is_err());
        assert_eq!(
            std::fs::read(outside.join("secret.txt")).unwrap(),
            b"secret"
        );
        assert!(outside.join("empty").is_dir());
        assert!(root.join("filelink").symlink_metadata().is_ok());
    }

    #[test]
    fn refuses_paths_that_are_not_plain() {
        let (_tmp, root, _) = setup();
        let fd = open_root(&root).unwrap();
        for bad in ["../x", "/etc/passwd", "", "a/../../x"] {
            assert!(
                matches!(
                    open_file(&fd, Path::new(bad)),
                    Err(BeneathError::NotPlain(_))
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let (_tmp, root, _) = setup();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("pipe"),
            FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let fd = open_root(&root).unwrap();
        assert!(matches!(
            open_file(&fd, Path::new("pipe")),
            Err(BeneathError::NotAFile(_))
        ));
    }

    #[test]
    fn file_type_does_not_follow_links() {
        let (_tmp, root, outside) = setup();
        symlink(&outside, root.join("dirlink")).unwrap();
        let fd = open_root(&root).unwrap();
        assert_eq!(
            file_type(&fd, Path::new("dirlink")).unwrap(),
            Some(FileType::Symlink)
        );
        assert!(file_type(&fd, Path::new("dirlink/secret.txt")).is_err());
        assert_eq!(file_type(&fd, Path::new("nothing/here")).unwrap(), None);
    }

    #[test]
    fn moves_files_without_replacing_or_following_links() {
        let (_tmp, root, outside) = setup();
        let fd = open_root(&root).unwrap();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/f.bin"), b"data").unwrap();
        assert_eq!(
            move_file(&fd, Path::new("a/f.bin"), Path::new("b/c/f.bin")).unwrap(),
            Moved::Renamed
        );
        assert_eq!(std::fs::read(root.join("b/c/f.bin")).unwrap(), b"data");
        assert!(!root.join("a/f.bin").exists());
        // Something at the destination stays, and so does the source.
        std::fs::write(root.join("a/g.bin"), b"new").unwrap();
        std::fs::write(root.join("b/c/g.bin"), b"theirs").unwrap();
        let err = move_file(&fd, Path::new("a/g.bin"), Path::new("b/c/g.bin")).unwrap_err();
        assert!(err.to_string().contains("b/c/g.bin"), "{err}");
        assert_eq!(std::fs::read(root.join("b/c/g.bin")).unwrap(), b"theirs");
        assert_eq!(std::fs::read(root.join("a/g.bin")).unwrap(), b"new");
        // A link on the way to the destination is refused.
        symlink(&outside, root.join("out")).unwrap();
        let err = move_file(&fd, Path::new("a/g.bin"), Path::new("out/g.bin")).unwrap_err();
        assert!(matches!(err, BeneathError::Link(_)), "{err}");
        assert!(!outside.join("g.bin").exists());
        // A link as the source is not moved.
        symlink(outside.join("secret.txt"), root.join("a/s.txt")).unwrap();
        assert!(move_file(&fd, Path::new("a/s.txt"), Path::new("b/s.txt")).is_err());
        assert!(outside.join("secret.txt").exists());
    }

    #[test]
    fn a_move_across_filesystems_copies_then_removes() {
        let (_tmp, root, _) = setup();
        let fd = open_root(&root).unwrap();
        let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(root.join("f.bin"), &data).unwrap();
        assert_eq!(
            move_file_with(&fd, Path::new("f.bin"), Path::new("x/f.bin"), false).unwrap(),
            Moved::Copied
        );
        assert_eq!(std::fs::read(root.join("x/f.bin")).unwrap(), data);
        assert!(!root.join("f.bin").exists());
        std::fs::write(root.join("g.bin"), b"g").unwrap();
        std::fs::write(root.join("x/g.bin"), b"theirs").unwrap();
        assert!(move_file_with(&fd, Path::new("g.bin"), Path::new("x/g.bin"), false).is_err());
        assert_eq!(std::fs::read(root.join("x/g.bin")).unwrap(), b"theirs");
        assert_eq!(std::fs::read(root.join("g.bin")).unwrap(), b"g");
    }
}
