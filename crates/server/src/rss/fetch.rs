//! RSS's fetches through the process's outbound client: a feed (conditional on its last
//! `ETag` and `Last-Modified`, at most [`MAX_FEED_BYTES`]) and an article's .torrent. A
//! feed's own origin may be private (the user configured it, as a search provider's); a
//! .torrent elsewhere follows the usual private-address rule.

use std::time::Duration;

use cloud_torrent_outbound::header::{
    ETAG, HeaderValue, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use cloud_torrent_outbound::{AllowedOrigins, OutboundClient, Request};
use cloud_torrent_rss::Feed;
use url::Url;

/// The largest feed read.
pub const MAX_FEED_BYTES: usize = 5 * 1024 * 1024;

/// What a feed fetch found.
pub enum Fetched {
    /// The feed did not change since the last fetch (304).
    NotModified,
    /// The feed, with the validators to send next time.
    Feed {
        /// The parsed feed.
        feed: Feed,
        /// Its `ETag`.
        etag: Option<String>,
        /// Its `Last-Modified`.
        last_modified: Option<String>,
    },
}

/// The validators of the last fetch.
pub struct Validators {
    /// The last `ETag`.
    pub etag: Option<String>,
    /// The last `Last-Modified`.
    pub last_modified: Option<String>,
}

fn origin_of(feed_url: &str) -> AllowedOrigins {
    AllowedOrigins::new(Url::parse(feed_url).ok())
}

/// Fetches and parses a feed; the error is a sentence for the feed's status.
pub async fn feed(
    client: &OutboundClient,
    url: &str,
    validators: Validators,
    timeout: Duration,
) -> Result<Fetched, String> {
    let parsed = Url::parse(url).map_err(|e| format!("invalid URL: {e}"))?;
    let mut headers = Vec::new();
    let value = |text: &str| HeaderValue::from_str(text).ok();
    if let Some(etag) = validators.etag.as_deref().and_then(value) {
        headers.push((IF_NONE_MATCH, etag));
    }
    if let Some(date) = validators.last_modified.as_deref().and_then(value) {
        headers.push((IF_MODIFIED_SINCE, date));
    }
    let request = Request::get(parsed)
        .headers(headers)
        .timeout(timeout)
        .max_bytes(MAX_FEED_BYTES)
        .allow_origins(origin_of(url));
    let answer = client.send(request).await.map_err(|e| e.to_string())?;
    if answer.status.as_u16() == 304 {
        return Ok(Fetched::NotModified);
    }
    if !answer.status.is_success() {
        return Err(format!("the server answered {}", answer.status));
    }
    let header = |name| {
        answer
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header(ETAG);
    let last_modified = header(LAST_MODIFIED);
    let feed = cloud_torrent_rss::parse_feed(&answer.body)
        .map_err(|e| format!("the feed cannot be read: {e}"))?;
    Ok(Fetched::Feed {
        feed,
        etag,
        last_modified,
    })
}

/// Fetches an article's .torrent (at most the engine's limit). The error says why, and
/// whether trying again may help (not for a URL that is refused before any request).
pub async fn torrent(
    client: &OutboundClient,
    url: &str,
    feed_url: &str,
    timeout: Duration,
) -> Result<Vec<u8>, (bool, String)> {
    let parsed = Url::parse(url).map_err(|e| (false, format!("invalid URL: {e}")))?;
    let request = Request::get(parsed)
        .timeout(timeout)
        .max_bytes(cloud_torrent_engine::MAX_TORRENT_BYTES)
        .allow_origins(origin_of(feed_url));
    let answer = client
        .send(request)
        .await
        .map_err(|e| (!e.is_refused_url(), e.to_string()))?;
    if !answer.status.is_success() {
        return Err((true, format!("the server answered {}", answer.status)));
    }
    Ok(answer.body)
}
