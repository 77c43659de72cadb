//! Undoing what a failed add wrote: the files and folders of a torrent that did
//! not exist before librqbit was handed the torrent.
//!
//! librqbit creates every file of a torrent (and the folders holding them) while
//! adding it. When the add fails after that, the empty files would stay behind in
//! the download folder. [`NewPaths::before`] records which of the torrent's paths
//! are absent before the add; [`NewPaths::remove`] removes those that appeared,
//! and nothing else: a file that existed before (another torrent's data, a user's
//! file) is never touched.

use std::collections::HashSet;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use rustix::fs::FileType;

use crate::beneath;

/// The paths of a torrent that did not exist when it was recorded.
#[derive(Debug, Default)]
pub(super) struct NewPaths {
    /// The download folder, opened; `None` if it could not be (nothing is removed).
    root: Option<OwnedFd>,
    files: Vec<PathBuf>,
    /// Folders, deepest first.
    dirs: Vec<PathBuf>,
}

impl NewPaths {
    /// Records which of `files` (relative to `root`) and of the folders between
    /// `root` and them do not exist yet. Paths are looked at without following
    /// links: a path behind a link is never recorded, so never removed.
    pub(super) fn before(root: &Path, files: &[PathBuf]) -> NewPaths {
        let Ok(root) = beneath::open_root(root) else {
            return NewPaths::default();
        };
        let is_absent = |path: &Path| matches!(beneath::file_type(&root, path), Ok(None));
        let mut new = NewPaths::default();
        let mut seen_dirs = HashSet::new();
        for file in files {
            if is_absent(file) {
                new.files.push(file.clone());
            }
            for dir in file.ancestors().skip(1) {
                if dir.as_os_str().is_empty() || !seen_dirs.insert(dir.to_path_buf()) {
                    continue;
                }
                if is_absent(dir) {
                    new.dirs.push(dir.to_path_buf());
                }
            }
        }
        new.dirs
            .sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        new.root = Some(root);
        new
    }

    /// Removes the recorded files that are now regular files, then the recorded
    /// folders that are now empty, never through a link. Errors are ignored:
    /// whatever cannot be removed stays, as it would have without this.
    pub(super) fn remove(&self) {
        let Some(root) = &self.root else { return };
        for file in &self.files {
            if matches!(
                beneath::file_type(root, file),
                Ok(Some(FileType::RegularFile))
            ) {
                let _ = beneath::remove_file(root, file);
            }
        }
        for dir in &self.dirs {
            // Keeps the folder unless it is empty.
            let _ = beneath::remove_empty_dir(root, dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removes_only_what_appeared_after_the_record() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        // Before the add: a user's file inside the torrent's folder, and one of the
        // torrent's files already there (another torrent's data, say).
        std::fs::create_dir_all(root.join("Album/cd1")).unwrap();
        std::fs::write(root.join("Album/cd1/01.flac"), b"kept").unwrap();
        std::fs::write(root.join("Album/notes.txt"), b"mine").unwrap();
        let files: Vec<PathBuf> = ["Album/cd1/01.flac", "Album/cd2/01.flac", "Album/cover.jpg"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let new = NewPaths::before(root, &files);
        // What a failed add leaves behind.
        std::fs::create_dir_all(root.join("Album/cd2")).unwrap();
        std::fs::write(root.join("Album/cd2/01.flac"), b"").unwrap();
        std::fs::write(root.join("Album/cover.jpg"), b"").unwrap();
        new.remove();
        assert_eq!(
            std::fs::read(root.join("Album/cd1/01.flac")).unwrap(),
            b"kept"
        );
        assert_eq!(
            std::fs::read(root.join("Album/notes.txt")).unwrap(),
            b"mine"
        );
        assert!(!root.join("Album/cd2").exists());
        assert!(!root.join("Album/cover.jpg").exists());
    }

    #[test]
    fn removes_a_new_torrent_folder_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let files: Vec<PathBuf> = ["T/a/b/1", "T/a/2", "T/3"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let new = NewPaths::before(root, &files);
        for file in &files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, b"").unwrap();
        }
        new.remove();
        assert_eq!(std::fs::read_dir(root).unwrap().count(), 0);
    }

    #[test]
    fn keeps_a_new_folder_someone_else_wrote_into() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let new = NewPaths::before(root, &[PathBuf::from("T/1")]);
        std::fs::create_dir_all(root.join("T")).unwrap();
        std::fs::write(root.join("T/1"), b"").unwrap();
        std::fs::write(root.join("T/other"), b"x").unwrap();
        new.remove();
        assert!(!root.join("T/1").exists());
        assert_eq!(std::fs::read(root.join("T/other")).unwrap(), b"x");
    }
}
