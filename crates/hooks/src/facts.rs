//! [`TorrentFacts`]: what the caller tells the hooks about the torrent an event
//! is about. The crate knows nothing of the engine; these facts are all it gets.

use std::path::PathBuf;

/// The torrent an event is about, as the caller knows it when the event happens.
#[derive(Debug, Clone, PartialEq)]
pub struct TorrentFacts {
    /// The info hash, 40 lowercase hex digits.
    pub info_hash: String,
    /// The engine's numeric id of the torrent (`TR_TORRENT_ID`).
    pub id: u64,
    /// The torrent's name.
    pub name: String,
    /// The absolute path of the torrent's content: its file for a single-file
    /// torrent, its folder otherwise.
    pub content_path: PathBuf,
    /// The absolute path of the folder the content is saved in.
    pub save_path: PathBuf,
    /// The torrent's category, if it has one.
    pub category: Option<String>,
    /// The torrent's tags.
    pub tags: Vec<String>,
    /// The size of the torrent's selected files, in bytes.
    pub size: u64,
    /// The torrent as the JSON API shows it: written to event programs' stdin and
    /// sent as the `torrent` of `json` webhooks.
    pub json: serde_json::Value,
}
