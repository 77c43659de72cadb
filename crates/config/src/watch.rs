//! The `watchFolders` setting: folders whose .torrent and .magnet files are added.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::value::ListItem;

/// One watch folder.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WatchFolder {
    /// The folder, absolute.
    pub path: PathBuf,
    /// The category its torrents get.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Where its torrents' content goes (as `savePath` when adding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_path: Option<String>,
    /// The tags its torrents get.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Add its torrents stopped.
    #[serde(default)]
    pub paused: bool,
    /// Also look in its sub-folders.
    #[serde(default)]
    pub recursive: bool,
}

impl ListItem for WatchFolder {
    const SHAPE: &'static str =
        "{\"path\", \"category\"?, \"savePath\"?, \"tags\"?, \"paused\"?, \"recursive\"?}";

    fn check(&self) -> Result<(), String> {
        if !self.path.is_absolute() {
            return Err(format!(
                "path {:?} must be absolute",
                self.path.display().to_string()
            ));
        }
        if self.path.to_string_lossy().contains('\0') {
            return Err("path must not contain a NUL byte".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::SettingValue;

    #[test]
    fn watch_folders_read_from_json_with_defaults_and_checks() {
        let folders =
            Vec::<WatchFolder>::from_json(&json!([{"path": "/w", "category": "tv"}])).unwrap();
        assert_eq!(folders[0].category.as_deref(), Some("tv"));
        assert!(!folders[0].paused && !folders[0].recursive);
        assert_eq!(
            folders.to_json(),
            json!([{"path": "/w", "category": "tv", "paused": false, "recursive": false}])
        );
        let err = Vec::<WatchFolder>::from_json(&json!([{"path": "w"}])).unwrap_err();
        assert!(err.contains("entry 1") && err.contains("absolute"), "{err}");
        let err = Vec::<WatchFolder>::from_json(&json!([{"path": "/w", "colour": 1}])).unwrap_err();
        assert!(err.contains("colour"), "{err}");
        assert!(Vec::<WatchFolder>::from_json(&json!({"path": "/w"})).is_err());
    }
}
