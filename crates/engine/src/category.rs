//! Categories and tags: how torrents are grouped, and where a group's data goes.
//!
//! A category has a name (`tv`, or `tv/anime` for a sub-category), a save path
//! and seeding limits that apply to its torrents unless a torrent sets its own
//! (torrent > category > global). Tags are free labels, many per torrent.
//!
//! Save paths are kept relative to the storage root (`downloadRoot`), the folder
//! every torrent's data stays beneath; [`SavePaths`] turns what a user wrote (an
//! absolute path inside the root, or a path relative to the download folder) into
//! that form and back, and refuses anything that would leave the root or reach the
//! state folder. The functions here are pure, so the rules are tested without a
//! server.

use std::path::{Component, Path, PathBuf};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::seeding::TorrentSeedLimits;

/// The longest category or tag name, in bytes.
pub const MAX_NAME_BYTES: usize = 200;

/// A category as kept in the state file and shown by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Category {
    /// Its name; `/` separates sub-categories (`tv/anime`).
    pub name: String,
    /// Where its torrents' data goes: relative to `downloadDir`, or absolute inside
    /// `downloadRoot`. The default is the category's name under `downloadDir`.
    pub save_path: String,
    /// Share ratio limit of its torrents: null follows the global `seedRatioLimit`, -1 is none.
    #[serde(default)]
    pub seed_ratio_limit: Option<f64>,
    /// Seeding time limit of its torrents in minutes: null follows the global value, -1 is none.
    #[serde(default)]
    pub seed_time_limit: Option<i64>,
    /// Idle seeding limit of its torrents in minutes: null follows the global value, -1 is none.
    #[serde(default)]
    pub seed_idle_limit: Option<i64>,
}

impl Category {
    /// Its seeding limits, in the form a torrent's own are kept.
    pub fn seed_limits(&self) -> TorrentSeedLimits {
        TorrentSeedLimits {
            ratio: self.seed_ratio_limit,
            seeding_minutes: self.seed_time_limit,
            idle_minutes: self.seed_idle_limit,
        }
    }
}

/// Checks a category name: non-empty, at most [`MAX_NAME_BYTES`], no control
/// characters or backslashes, and `/`-separated parts that are neither empty nor
/// `.` or `..` (so no leading, trailing or double `/`).
pub fn check_category_name(name: &str) -> Result<(), String> {
    check_label("category", name)?;
    if name.contains('\\') {
        return Err(format!(
            "category {name:?}: use / (not \\) between sub-categories"
        ));
    }
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == ".." || part.trim() != part)
    {
        return Err(format!(
            "category {name:?}: each part between / must be a name (no empty part, no . or .., \
             no spaces around it)"
        ));
    }
    Ok(())
}

/// Checks a tag: non-empty, at most [`MAX_NAME_BYTES`], no control characters, no
/// comma (lists of tags are comma-separated in query strings and scripts), and no
/// spaces around it.
pub fn check_tag(tag: &str) -> Result<(), String> {
    check_label("tag", tag)?;
    if tag.contains(',') {
        return Err(format!("tag {tag:?}: a tag cannot hold a comma"));
    }
    if tag.trim() != tag {
        return Err(format!("tag {tag:?}: no spaces at either end"));
    }
    Ok(())
}

fn check_label(what: &str, name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err(format!("the {what} name is empty"));
    }
    if name.len() > MAX_NAME_BYTES {
        return Err(format!(
            "the {what} name is longer than {MAX_NAME_BYTES} bytes"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(format!(
            "{what} {name:?}: control characters are not allowed"
        ));
    }
    Ok(())
}

/// Tags as kept: checked, sorted, each once.
pub fn normalize_tags(tags: impl IntoIterator<Item = String>) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = tags.into_iter().collect();
    for tag in &tags {
        check_tag(tag)?;
    }
    tags.sort();
    tags.dedup();
    Ok(tags)
}

/// The folders save paths are read against.
#[derive(Debug, Clone)]
pub struct SavePaths {
    /// Everything stays beneath this folder (`downloadRoot`), absolute.
    pub root: PathBuf,
    /// The download folder, relative to `root` ("" when it is the root).
    pub download_dir: PathBuf,
    /// The state folder relative to `root`, when it is inside it: no data goes there.
    pub state_dir: Option<PathBuf>,
}

impl SavePaths {
    /// The folders for a root, a download folder inside it and a state folder
    /// (all absolute). A download folder outside the root makes it its own root.
    pub fn new(root: &Path, download_dir: &Path, state_dir: &Path) -> SavePaths {
        let (root, download_dir) = match download_dir.strip_prefix(root) {
            Ok(rel) => (root.to_path_buf(), rel.to_path_buf()),
            Err(_) => (download_dir.to_path_buf(), PathBuf::new()),
        };
        let state_dir = state_dir.strip_prefix(&root).ok().map(Path::to_path_buf);
        SavePaths {
            root,
            download_dir,
            state_dir,
        }
    }

    /// Reads a save path as a user writes it: absolute (inside the root) or
    /// relative to the download folder. Returns it relative to the root. Errors
    /// never show the root.
    pub fn parse(&self, raw: &str) -> Result<PathBuf, String> {
        if raw.chars().any(char::is_control) {
            return Err(format!(
                "save path {raw:?}: control characters are not allowed"
            ));
        }
        let path = Path::new(raw);
        let relative = if path.is_absolute() {
            plain(path.strip_prefix(&self.root).map_err(|_| {
                format!(
                    "save path {raw:?} is outside the download root (downloadRoot): give a path \
                     relative to the download folder, or an absolute one inside the root"
                )
            })?)
            .ok_or_else(|| format!("save path {raw:?}: no . or .. parts"))?
        } else {
            let rel = plain(path).ok_or_else(|| {
                format!("save path {raw:?}: a relative path cannot hold . or .. parts")
            })?;
            self.download_dir.join(rel)
        };
        if let Some(state) = &self.state_dir
            && relative.starts_with(state)
        {
            return Err(format!(
                "save path {raw:?} is inside the server's state folder"
            ));
        }
        Ok(relative)
    }

    /// A category's save path: its own, or its name under the download folder.
    pub fn of_category(&self, category: &Category) -> Result<PathBuf, String> {
        match category.save_path.as_str() {
            "" => self.parse(&category.name),
            raw => self.parse(raw),
        }
    }

    /// A path relative to the root as the API shows it: relative to the download
    /// folder (with `/`, "" for the folder itself) when inside it, else absolute.
    pub fn show(&self, relative: &Path) -> String {
        match relative.strip_prefix(&self.download_dir) {
            Ok(inside) => slashed(inside),
            Err(_) => self.root.join(relative).to_string_lossy().into_owned(),
        }
    }

    /// The absolute form of a path as [`SavePaths::show`] shows it.
    pub fn absolute_shown(&self, shown: &str) -> PathBuf {
        let path = Path::new(shown);
        match path.is_absolute() {
            true => path.to_path_buf(),
            false => self.root.join(&self.download_dir).join(path),
        }
    }

    /// The absolute form of a path relative to the root.
    pub fn absolute(&self, relative: &Path) -> PathBuf {
        self.root.join(relative)
    }
}

/// `path` with only plain names (no root, `.` or `..`), or `None`.
fn plain(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(name) => out.push(name),
            Component::CurDir if out.as_os_str().is_empty() && path.as_os_str() == "." => {}
            _ => return None,
        }
    }
    Some(out)
}

/// A relative path with `/` separators.
pub(crate) fn slashed(path: &Path) -> String {
    path.iter()
        .map(|p| p.to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths() -> SavePaths {
        SavePaths::new(
            Path::new("/data"),
            Path::new("/data/downloads"),
            Path::new("/data/.state"),
        )
    }

    #[test]
    fn category_names_allow_sub_categories_and_refuse_paths_tricks() {
        for ok in ["tv", "tv/anime", "Films (4K)", "a/b/c", "séries"] {
            assert_eq!(check_category_name(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "/tv",
            "tv/",
            "tv//anime",
            "..",
            "tv/..",
            "./tv",
            "a\\b",
            "tab\there",
            " tv",
            "tv / anime",
        ] {
            assert!(check_category_name(bad).is_err(), "{bad:?} accepted");
        }
        assert!(check_category_name(&"x".repeat(MAX_NAME_BYTES + 1)).is_err());
    }

    #[test]
    fn tags_are_sorted_once_and_hold_no_comma() {
        assert_eq!(
            normalize_tags(["b".into(), "a".into(), "b".into()]),
            Ok(vec!["a".to_string(), "b".to_string()])
        );
        assert!(normalize_tags(["a,b".into()]).is_err());
        assert!(normalize_tags(["".into()]).is_err());
        assert!(normalize_tags([" a".into()]).is_err());
    }

    #[test]
    fn save_paths_are_read_against_the_download_folder_or_inside_the_root() {
        let p = paths();
        assert_eq!(p.parse("tv"), Ok(PathBuf::from("downloads/tv")));
        assert_eq!(p.parse("tv/anime"), Ok(PathBuf::from("downloads/tv/anime")));
        assert_eq!(p.parse("/data/media/tv"), Ok(PathBuf::from("media/tv")));
        assert_eq!(p.parse("/data"), Ok(PathBuf::new()));
        assert_eq!(
            p.parse("/data/downloads/x/"),
            Ok(PathBuf::from("downloads/x"))
        );
        for bad in [
            "/etc",
            "../x",
            "/data/../etc",
            "tv/../../x",
            "/data/.state",
            "/data/.state/x",
        ] {
            let err = p.parse(bad).expect_err(bad);
            assert!(!err.contains("/data\""), "{err}");
        }
        // Errors do not show the root.
        assert!(!p.parse("/etc").unwrap_err().contains("/data"));
    }

    #[test]
    fn a_category_saves_under_its_name_by_default() {
        let p = paths();
        let mut category = Category {
            name: "tv/anime".into(),
            save_path: String::new(),
            seed_ratio_limit: None,
            seed_time_limit: None,
            seed_idle_limit: None,
        };
        assert_eq!(
            p.of_category(&category),
            Ok(PathBuf::from("downloads/tv/anime"))
        );
        category.save_path = "/data/media/anime".into();
        assert_eq!(p.of_category(&category), Ok(PathBuf::from("media/anime")));
    }

    #[test]
    fn paths_are_shown_relative_to_the_download_folder_when_inside_it() {
        let p = paths();
        assert_eq!(p.show(Path::new("downloads")), "");
        assert_eq!(p.show(Path::new("downloads/tv/x")), "tv/x");
        assert_eq!(p.show(Path::new("media/tv")), "/data/media/tv");
    }

    #[test]
    fn a_download_folder_outside_the_root_is_its_own_root() {
        let p = SavePaths::new(Path::new("/a"), Path::new("/b/dl"), Path::new("/b/state"));
        assert_eq!(p.root, PathBuf::from("/b/dl"));
        assert_eq!(p.parse("x"), Ok(PathBuf::from("x")));
        assert!(p.parse("/b/state").is_err());
    }
}
