//! RSS for cloud-torrent, the parts that need no network and no engine: reading a feed's bytes
//! into articles ([`parse_feed`]) and deciding whether a download rule takes an article
//! ([`Rule::decide`]), with qBittorrent's rule semantics.

mod date;
mod feed;
mod links;

pub use feed::{Article, Feed, FeedError, MAX_DEPTH, parse_feed};
