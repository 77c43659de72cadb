//! The torrent engine of cloud-torrent.
//!
//! It wraps [librqbit](https://crates.io/crates/librqbit) behind our own types, so
//! the rest of the program never sees librqbit and it can be upgraded in one place.
//! It adds what librqbit leaves to its users: adding a magnet returns at once,
//! `x.pe` peer hints are honoured, .torrent URLs are fetched safely, and every
//! torrent (with its state, file selection and peers) survives a restart.

pub mod bencode;
mod beneath;
mod category;
mod config;
mod counters;
mod db;
mod engine;
mod error;
mod fetch;
#[cfg(test)]
mod fuzz;
mod info_hash;
mod magnet;
mod queue;
pub mod sanitize;
pub mod scrape;
mod seeding;
mod store;
pub mod torrent_guard;
mod tracker_announce;
mod types;

pub use category::{Category, SavePaths, check_category_name, check_tag};
pub use config::EngineConfig;
pub use engine::{
    AddOptions, AddSource, Added, Engine, EngineTotals, FileReader, Listing, LiveSettings,
    MIN_ENGINE_LIMIT, OpenFile, SpeedLimits, TorrentEvent, TorrentEventKind, TorrentUpdate,
    check_speed_limit,
};
pub use error::{EngineError, Result};
pub use fetch::MAX_TORRENT_BYTES;
pub use info_hash::InfoHash;
pub use magnet::Magnet;
pub use queue::{QueueLimits, QueueMove, SlowRule};
pub use seeding::{SeedLimitAction, SeedLimits, TorrentSeedLimits};
pub use store::{remove_stale_temp_files, write_atomically};
pub use types::{Peer, Pieces, Torrent, TorrentFile, TorrentState, Tracker, TrackerStatus};
