//! Options of the engine.

use std::net::IpAddr;
use std::path::PathBuf;

/// How the engine runs. Paths should be absolute.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Where torrents' files go: `<download_dir>/<torrent name>`.
    pub download_dir: PathBuf,
    /// Where the engine keeps its state; never inside `download_dir`.
    pub state_dir: PathBuf,
    /// Address to accept peers on (default: all interfaces).
    pub listen_ip: Option<IpAddr>,
    /// TCP/uTP port for incoming peers; 0 picks a free port.
    pub incoming_port: u16,
    /// Use the DHT to find peers.
    pub dht: bool,
    /// Use local service discovery (multicast on the LAN).
    pub lsd: bool,
    /// Talk to trackers.
    pub trackers: bool,
    /// Upload at all.
    pub upload: bool,
    /// The options that can change later ([`crate::Engine::update_settings`]), as
    /// the engine starts with them.
    pub live: crate::LiveSettings,
    /// The folder that `PATCH /api/v1/config` may move `download_dir` within
    /// (canonical). `None`: `download_dir` itself, so the API may pick a subfolder.
    /// Never settable over the API.
    pub download_root: Option<PathBuf>,
    /// The most files one torrent may hold. The engine lowers it at start to what
    /// the process's open file limit allows (see [`crate::torrent_guard::open_file_cap`]).
    pub max_files_per_torrent: usize,
    /// How long a seeding torrent with no peer waits before it is handed out of
    /// librqbit (see `engine/dormant.rs`); `None`: never.
    pub dormant_after: Option<std::time::Duration>,
    /// The TCP port peers of dormant torrents connect to; 0: `incoming_port` + 1.
    pub dormant_port: u16,
    /// How long a start hands saved torrents back to librqbit before it returns;
    /// the others follow in the background (librqbit rewrites its session file on
    /// every add, so 10,000 take minutes), shown as queued until then.
    pub restore_before_start: std::time::Duration,
}

impl EngineConfig {
    /// Defaults for a download folder and state folder.
    pub fn new(download_dir: PathBuf, state_dir: PathBuf) -> Self {
        EngineConfig {
            download_dir,
            state_dir,
            listen_ip: None,
            incoming_port: 50007,
            dht: true,
            lsd: true,
            trackers: true,
            upload: true,
            live: crate::LiveSettings::default(),
            download_root: None,
            max_files_per_torrent: crate::torrent_guard::MAX_FILES_PER_TORRENT,
            restore_before_start: std::time::Duration::from_secs(1),
            dormant_after: None,
            dormant_port: 0,
        }
    }
}
