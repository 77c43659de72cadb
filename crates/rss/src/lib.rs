//! RSS for cloud-torrent, the parts that need no network and no engine: reading a feed's bytes
//! into articles ([`parse_feed`]) and deciding whether a download rule takes an article
//! ([`Rule::decide`]), with qBittorrent's rule semantics.

#![warn(missing_docs)]

mod date;
mod episode;
mod episode_filter;
mod feed;
mod links;
mod rule;
mod words;

pub use episode::{Episode, EpisodeId, is_repack};
pub use feed::{Article, Feed, FeedError, MAX_DEPTH, parse_feed};
pub use rule::{
    CompiledRule, Decision, History, MAX_IGNORE_DAYS, Rule, RuleError, RuleField, SkipReason,
};
