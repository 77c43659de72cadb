//! The public view of torrents: what the API returns.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a torrent is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum TorrentState {
    /// A magnet whose metadata (file list) is being fetched from peers.
    Metadata,
    /// Checking existing data or downloading.
    Downloading,
    /// All selected files are complete and the torrent uploads to peers.
    Seeding,
    /// Stopped by the user.
    Paused,
    /// All selected files are complete and seeding is off.
    Completed,
    /// Something went wrong; see `error`.
    Error,
    /// Waiting for a download or seeding slot of the queue.
    Queued,
    /// Its data is moving to another folder (after a change of category or save path).
    Moving,
    /// Its data is read and checked against the pieces' hashes (a recheck, files
    /// already in place when it is added, or a start without fast-resume data);
    /// `checkProgress` says how far the check is.
    Checking,
}

/// The pieces a torrent holds ([`crate::Engine::pieces`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pieces {
    /// Bytes per piece (the last one may be shorter).
    pub piece_length: u32,
    /// Pieces in the torrent.
    pub count: u32,
    /// One bit per piece, set when verified; the high bit of the first byte is piece 0.
    pub have: Vec<u8>,
}

/// One file of a torrent.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TorrentFile {
    /// Index of the file in the torrent, as used by file selection.
    pub index: usize,
    /// Path relative to the download folder, with `/` separators (absolute when
    /// its save path is outside the download folder).
    pub path: String,
    /// Size in bytes.
    pub size: u64,
    /// Verified bytes held.
    pub completed: u64,
    /// Whether the file is chosen for download.
    pub selected: bool,
}

/// A torrent as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Torrent {
    /// A number of its own, given in the order torrents were added (Transmission
    /// scripts know torrents by such a number).
    pub id: u64,
    /// 40 lowercase hexadecimal characters.
    #[schema(value_type = String, example = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a")]
    pub info_hash: String,
    /// The torrent's name (the magnet's `dn` or the info hash until metadata is known).
    pub name: String,
    /// Current state.
    pub state: TorrentState,
    /// From 0 to 1, over the selected files.
    pub progress: f64,
    /// Bytes of the selected files (0 until metadata is known).
    pub size: u64,
    /// Verified bytes of the selected files held on disk.
    pub completed: u64,
    /// Payload bytes received from peers over the torrent's lifetime.
    pub downloaded: u64,
    /// Payload bytes sent to peers over the torrent's lifetime.
    pub uploaded: u64,
    /// `uploaded / downloaded`, or `uploaded` / the verified bytes when less than 1 %
    /// of them was downloaded (data that was already on disk); 0 when nothing is known.
    pub ratio: f64,
    /// Seconds spent running with every selected file complete.
    pub seeding_time: u64,
    /// Seconds spent running (downloading or seeding), not stopped.
    pub active_time: u64,
    /// Since when it seeds without a break, RFC 3339; null when it does not seed now.
    pub seeding_since: Option<String>,
    /// Since when it runs without a break, RFC 3339; null when it does not run now.
    pub active_since: Option<String>,
    /// `seedingTime` and `activeTime` as they were at `seedingSince` and
    /// `activeSince` (the live push sends these, so that time passing alone is no
    /// change to push).
    #[serde(skip)]
    pub times_before_since: (u64, u64),
    /// When payload was last sent or received, RFC 3339; null if never.
    pub last_activity: Option<String>,
    /// This torrent's share ratio limit: null follows the global `seedRatioLimit`, -1 is none.
    pub seed_ratio_limit: Option<f64>,
    /// This torrent's seeding time limit in minutes: null follows the global `seedTimeLimit`, -1 is none.
    pub seed_time_limit: Option<i64>,
    /// This torrent's idle seeding limit in minutes: null follows the global `seedIdleLimit`, -1 is none.
    pub seed_idle_limit: Option<i64>,
    /// Stopped because it reached a seeding limit.
    pub seed_limit_reached: bool,
    /// Runs regardless of seeding limits (and of the queue).
    pub force_start: bool,
    /// 1-based place among the queued or running incomplete torrents; null for others.
    pub queue_position: Option<u32>,
    /// Downloads its pieces in order.
    pub sequential: bool,
    /// Fetches the first and last pieces of its files first (for previews).
    pub first_last_pieces_first: bool,
    /// Its own download limit, bytes per second (0: only the global limit applies).
    pub download_limit: u64,
    /// Its own upload limit, bytes per second (0: only the global limit applies).
    pub upload_limit: u64,
    /// Download rate in bytes per second.
    pub download_rate: u64,
    /// Upload rate in bytes per second.
    pub upload_rate: u64,
    /// Connected peers.
    pub peers: u32,
    /// Estimated seconds until complete, or null when unknown.
    pub eta: Option<u64>,
    /// While `checking`, the part of its data checked so far (0 to 1); null otherwise.
    pub check_progress: Option<f64>,
    /// When the torrent was added, RFC 3339.
    pub added_at: String,
    /// When the selected files were first complete, RFC 3339.
    pub completed_at: Option<String>,
    /// What went wrong, when `state` is `error`.
    pub error: Option<String>,
    /// Why the last move of its data failed (its data stayed where it was); null
    /// otherwise.
    pub move_error: Option<String>,
    /// Its category, or null.
    pub category: Option<String>,
    /// Its tags, sorted.
    pub tags: Vec<String>,
    /// The folder its content is in: relative to the download folder ("" for the
    /// folder itself) when inside it, else absolute.
    pub save_path: String,
    /// Its content: the file of a single-file torrent, the torrent's folder
    /// otherwise; shown like `savePath`.
    pub content_path: String,
    /// Magnet link of the torrent.
    pub magnet: String,
    /// The comment of its .torrent file, if any.
    pub comment: Option<String>,
    /// The program that made its .torrent file, if it says.
    pub created_by: Option<String>,
    /// When its .torrent file was made (RFC 3339), if it says.
    pub created_at: Option<String>,
    /// A private torrent: peers only from its trackers (no DHT, no peer exchange).
    pub private: bool,
    /// The hosts of its trackers, each once, in the order of its tracker list.
    #[schema(example = json!(["tracker.example.org"]))]
    pub tracker_hosts: Vec<String>,
    /// Seeding with no peer, it waits outside the BitTorrent engine and costs
    /// nothing until a peer comes, when it is handed back at once (`dormantAfter`).
    pub dormant: bool,
    /// The files (empty until metadata is known).
    pub files: Vec<TorrentFile>,
}

/// A peer a torrent is connected to ([`crate::Engine::peers`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Peer {
    /// Its IP address and port.
    #[schema(example = "203.0.113.7:51413")]
    pub address: String,
    /// The client it names in its handshake, when it names one.
    #[schema(example = "Transmission 4.0.6")]
    pub client: Option<String>,
    /// It connected to us (rather than we to it).
    pub incoming: bool,
    /// Over uTP (else TCP).
    pub utp: bool,
    /// Bytes received from it over this connection.
    pub downloaded: u64,
    /// Bytes sent to it over this connection.
    pub uploaded: u64,
    /// Bytes per second received from it, measured since the previous look at
    /// this torrent's peers (0 on the first look).
    pub download_rate: u64,
    /// Bytes per second sent to it, measured the same way.
    pub upload_rate: u64,
}

/// What the last scrape of a tracker said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum TrackerStatus {
    /// It answered with its counts.
    Working,
    /// It did not answer, or refused (`message` says which).
    NotWorking,
    /// Not asked: it offers no scrape, or trackers are turned off.
    Unknown,
}

/// One of a torrent's trackers and what it counts ([`crate::Engine::trackers`]).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Tracker {
    /// Its announce URL.
    #[schema(example = "udp://tracker.example.org:6969/announce")]
    pub url: String,
    /// Its place in the torrent's list of trackers, from 0.
    pub tier: u32,
    pub status: TrackerStatus,
    /// Why it is not working, or why it was not asked.
    pub message: Option<String>,
    /// Peers with the whole torrent, as the tracker counts them.
    pub seeders: Option<u64>,
    /// Peers still downloading.
    pub leechers: Option<u64>,
    /// Downloads the tracker saw finish.
    pub downloaded: Option<u64>,
    /// When it was last asked (RFC 3339).
    pub scraped_at: Option<String>,
}
