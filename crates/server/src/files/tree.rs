//! The download folder as a bounded tree.

use std::collections::HashSet;
use std::path::Path;
use std::time::SystemTime;

use serde::Serialize;
use utoipa::ToSchema;

/// One file or folder.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Node {
    /// File or folder name.
    pub name: String,
    /// Path relative to the download folder, `/` separated.
    pub path: String,
    /// Whether this is a folder.
    pub is_dir: bool,
    /// Bytes (for a folder, the sum of what was listed below it).
    pub size: u64,
    /// Last modification, RFC 3339.
    pub modified: Option<String>,
    /// Belongs to a torrent that is still downloading.
    pub downloading: bool,
    /// A folder's entries, by name; null when the listing stopped before it.
    #[schema(no_recursion)]
    pub children: Option<Vec<Node>>,
}

/// The answer of `GET /api/v1/downloads`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Listing {
    /// The folder listed, relative to the download folder.
    pub path: String,
    /// Its entries.
    pub entries: Vec<Node>,
    /// Entries listed in all.
    pub count: usize,
    /// The listing stopped at `limit` entries: some folders have `children: null`.
    pub truncated: bool,
    /// The entry limit used.
    pub limit: usize,
}

/// Which paths belong to torrents, for marking and hiding entries.
#[derive(Debug, Default)]
pub struct TorrentPaths {
    /// Top-level paths of torrents that are still downloading.
    pub downloading: Vec<String>,
    /// Files of torrents that are not selected and not complete: placeholders
    /// the engine created, which the user did not ask for.
    pub unselected: HashSet<String>,
}

impl TorrentPaths {
    fn is_downloading(&self, path: &str) -> bool {
        self.downloading.iter().any(|root| {
            path == root
                || path
                    .strip_prefix(root.as_str())
                    .is_some_and(|rest| rest.starts_with('/'))
        })
    }
}

/// Deepest folder level listed.
const MAX_DEPTH: usize = 64;

/// Lists `folder` (whose path relative to the download folder is `relative`)
/// until `limit` entries, each folder's entries before its subfolders'.
/// Symlinks are not followed.
pub fn list(folder: &Path, relative: &str, limit: usize, torrents: &TorrentPaths) -> Listing {
    let mut budget = limit;
    let mut count = 0;
    let mut truncated = false;
    let entries = read_level(
        folder,
        relative,
        torrents,
        &mut budget,
        &mut count,
        &mut truncated,
        0,
    );
    Listing {
        path: relative.to_owned(),
        entries,
        count,
        truncated,
        limit,
    }
}

fn rfc3339(t: SystemTime) -> Option<String> {
    time::OffsetDateTime::from(t)
        .format(&time::format_description::well_known::Rfc3339)
        .ok()
}

fn read_level(
    dir: &Path,
    relative: &str,
    torrents: &TorrentPaths,
    budget: &mut usize,
    count: &mut usize,
    truncated: &mut bool,
    depth: usize,
) -> Vec<Node> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut items: Vec<_> = read.filter_map(|e| e.ok()).collect();
    items.sort_by_key(|e| e.file_name());
    let mut nodes = Vec::new();
    let mut subdirs = Vec::new();
    for item in items {
        if *budget == 0 {
            *truncated = true;
            break;
        }
        let Ok(meta) = item.path().symlink_metadata() else {
            continue;
        };
        if !meta.is_dir() && !meta.is_file() {
            continue; // symlinks, sockets, ...
        }
        let name = item.file_name().to_string_lossy().into_owned();
        let path = if relative.is_empty() {
            name.clone()
        } else {
            format!("{relative}/{name}")
        };
        if meta.is_file() && torrents.unselected.contains(&path) {
            continue;
        }
        *budget -= 1;
        *count += 1;
        if meta.is_dir() {
            subdirs.push(nodes.len());
        }
        nodes.push(Node {
            downloading: torrents.is_downloading(&path),
            name,
            path,
            is_dir: meta.is_dir(),
            size: if meta.is_dir() { 0 } else { meta.len() },
            modified: meta.modified().ok().and_then(rfc3339),
            children: None,
        });
    }
    // A folder's own entries are counted before any of its subfolders' entries.
    for i in subdirs {
        if *budget == 0 || depth >= MAX_DEPTH {
            *truncated = true;
            break;
        }
        let path = nodes[i].path.clone();
        let children = read_level(
            &dir.join(&nodes[i].name),
            &path,
            torrents,
            budget,
            count,
            truncated,
            depth + 1,
        );
        nodes[i].size = children.iter().map(|c| c.size).sum();
        nodes[i].children = Some(children);
    }
    nodes
}
