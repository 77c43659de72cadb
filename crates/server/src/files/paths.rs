//! Turning a path from a URL into a path inside the download folder, safely.

use std::path::{Component, Path, PathBuf};

use crate::error::ApiError;

/// A path inside the download folder.
#[derive(Debug, Clone)]
pub struct Inside {
    /// Absolute, canonical (symlinks resolved) path on disk.
    pub absolute: PathBuf,
    /// The same path relative to the download folder, with `/` separators
    /// (empty for the folder itself).
    pub relative: String,
}

/// `raw` joined to `root` as written (symlinks not resolved), after refusing `..`
/// components, backslashes, NUL bytes and absolute paths (400).
pub fn join(root: &Path, raw: &str) -> Result<PathBuf, ApiError> {
    if raw.contains('\0') {
        return Err(ApiError::BadRequest("the path contains a NUL byte".into()));
    }
    if raw.contains('\\') {
        return Err(ApiError::BadRequest(
            "the path contains a backslash; use / between folders".into(),
        ));
    }
    let mut joined = root.to_path_buf();
    for part in raw.split('/') {
        match part {
            "" | "." => continue,
            ".." => {
                return Err(ApiError::BadRequest(
                    "the path contains \"..\"; paths stay inside the download folder".into(),
                ));
            }
            part => {
                // A component like "C:" would be a prefix on some systems.
                if !matches!(
                    Path::new(part).components().next(),
                    Some(Component::Normal(_))
                ) {
                    return Err(ApiError::BadRequest(format!(
                        "invalid path component {part:?}"
                    )));
                }
                joined.push(part);
            }
        }
    }
    Ok(joined)
}

/// Resolves `raw` (already percent-decoded once by the router) inside `root`,
/// which must be canonical.
///
/// Refused: `..` components, backslashes, NUL bytes and absolute paths (400);
/// anything that resolves outside `root`, for example through a symlink (403);
/// a path that does not exist (404). Messages name the path as the user gave
/// it, never the server's absolute path.
pub fn resolve(root: &Path, raw: &str) -> Result<Inside, ApiError> {
    let joined = join(root, raw)?;
    let shown = raw.trim_matches('/');
    let absolute = joined
        .canonicalize()
        .map_err(|_| ApiError::NotFound(format!("no file or folder {shown:?} in the downloads")))?;
    let relative = absolute
        .strip_prefix(root)
        .map_err(|_| ApiError::Forbidden(format!("{shown:?} leads outside the download folder")))?;
    let relative = relative
        .iter()
        .map(|c| c.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Inside { absolute, relative })
}

/// The symbolic link `raw` names itself (not what it points to), when its folder is
/// inside `root`: deleting a link must remove the link, never its target.
pub fn link_itself(root: &Path, raw: &str) -> Result<Option<PathBuf>, ApiError> {
    let joined = join(root, raw)?;
    let is_link = joined
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink());
    let (Some(parent), Some(_)) = (joined.parent(), joined.file_name()) else {
        return Ok(None);
    };
    if !is_link {
        return Ok(None);
    }
    let shown = raw.trim_matches('/');
    let parent = parent
        .canonicalize()
        .map_err(|_| ApiError::NotFound(format!("no file or folder {shown:?} in the downloads")))?;
    if !parent.starts_with(root) {
        return Err(ApiError::Forbidden(format!(
            "{shown:?} leads outside the download folder"
        )));
    }
    Ok(Some(joined))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Request paths as an attacker writes them: traversal, encodings of it
    /// (single and double), separators, NUL, drive prefixes, symlinks.
    fn request_path() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                Just("..".to_owned()),
                Just(".".to_owned()),
                Just("/".to_owned()),
                Just("\\".to_owned()),
                Just("%2e%2e".to_owned()),
                Just("%2E%2e%2F".to_owned()),
                Just("%252e%252e%252f".to_owned()),
                Just("..%5c".to_owned()),
                Just("%00".to_owned()),
                Just("%c0%ae%c0%ae".to_owned()),
                Just("%2f".to_owned()),
                Just("C:".to_owned()),
                Just("a".to_owned()),
                Just("b".to_owned()),
                Just("f.txt".to_owned()),
                Just("link".to_owned()),
                Just("inner".to_owned()),
                Just("downloads-other".to_owned()),
                "\\PC{0,6}",
            ],
            0..8,
        )
        .prop_map(|parts| parts.concat())
    }

    #[test]
    fn no_request_path_leaves_the_download_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().canonicalize().unwrap();
        let root = base.join("downloads");
        let other = base.join("downloads-other");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        std::fs::write(root.join("a/b/f.txt"), "x").unwrap();
        std::fs::write(other.join("f.txt"), "secret").unwrap();
        std::os::unix::fs::symlink(&other, root.join("link")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("inner")).unwrap();
        let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
            cases: 1000,
            ..ProptestConfig::default()
        });
        runner
            .run(&request_path(), |raw| {
                // Once decoded, as the router does, and as it arrives.
                let decoded = percent_encoding::percent_decode_str(&raw)
                    .decode_utf8_lossy()
                    .into_owned();
                for input in [&decoded, &raw] {
                    match resolve(&root, input) {
                        Ok(inside) => {
                            prop_assert!(inside.absolute.starts_with(&root), "{:?}", input);
                            prop_assert!(!inside.relative.split('/').any(|c| c == ".."));
                            prop_assert_eq!(root.join(&inside.relative), inside.absolute.clone());
                        }
                        Err(e) => {
                            let text = e.to_string();
                            prop_assert!(!text.contains(base.to_str().unwrap()), "{}", text);
                        }
                    }
                }
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn traversal_is_refused_and_symlinks_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("downloads");
        let sibling = tmp.path().join("downloads-other");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::create_dir_all(&sibling).unwrap();
        std::fs::write(root.join("a/b/f.txt"), "x").unwrap();
        std::fs::write(sibling.join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(&sibling, root.join("link")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("inner-link")).unwrap();
        let root = root.canonicalize().unwrap();

        let ok = resolve(&root, "a/b/f.txt").unwrap();
        assert_eq!(ok.relative, "a/b/f.txt");
        assert_eq!(resolve(&root, "/a//./b/").unwrap().relative, "a/b");
        assert_eq!(resolve(&root, "").unwrap().relative, "");
        assert_eq!(
            resolve(&root, "inner-link/b/f.txt").unwrap().relative,
            "a/b/f.txt"
        );

        for bad in [
            "../downloads-other/secret",
            "a/../../x",
            "a\\..\\x",
            "a/\0",
            "..",
        ] {
            assert!(
                matches!(resolve(&root, bad), Err(ApiError::BadRequest(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            resolve(&root, "link/secret"),
            Err(ApiError::Forbidden(_))
        ));
        assert!(matches!(
            resolve(&root, "missing"),
            Err(ApiError::NotFound(_))
        ));
        let err = resolve(&root, "link/secret").unwrap_err().to_string();
        assert!(!err.contains(tmp.path().to_str().unwrap()), "{err}");
    }
}
