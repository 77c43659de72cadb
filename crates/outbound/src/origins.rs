//! [`AllowedOrigins`]: the origins one call may reach even on private addresses
//! (configured search providers, RSS feeds), each pinned to its scheme, host and port.

use std::borrow::Borrow;
use std::sync::Arc;

use url::{Origin, Url};

/// Origins (scheme, host and port) that a call may reach even when they are on
/// private or loopback addresses. Only the exact origin is allowed: the same host
/// on another port or with another scheme is not. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AllowedOrigins(Arc<[Origin]>);

impl AllowedOrigins {
    /// No origin: every private address is refused (unless `allowPrivateUrls`).
    pub fn none() -> Self {
        AllowedOrigins::default()
    }

    /// The origins of `urls` (their scheme, host and port, the scheme's default
    /// port when none is written). URLs that are not http or https are skipped.
    pub fn new<U: Borrow<Url>>(urls: impl IntoIterator<Item = U>) -> Self {
        let mut origins: Vec<Origin> = Vec::new();
        for url in urls {
            let url = url.borrow();
            if matches!(url.scheme(), "http" | "https") && url.host().is_some() {
                let origin = url.origin();
                if !origins.contains(&origin) {
                    origins.push(origin);
                }
            }
        }
        AllowedOrigins(origins.into())
    }

    /// True when `url`'s origin is one of these.
    pub fn contains(&self, url: &Url) -> bool {
        let origin = url.origin();
        origin.is_tuple() && self.0.contains(&origin)
    }

    /// True when no origin is allowed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(u: &str) -> Url {
        Url::parse(u).unwrap()
    }

    #[test]
    fn an_origin_pins_scheme_host_and_port() {
        let allowed = AllowedOrigins::new([url("http://127.0.0.1:9117/api/v2.0/torznab/")]);
        assert!(allowed.contains(&url("http://127.0.0.1:9117/other?x=1")));
        assert!(!allowed.contains(&url("http://127.0.0.1:9118/api")));
        assert!(!allowed.contains(&url("http://127.0.0.1/api")));
        assert!(!allowed.contains(&url("https://127.0.0.1:9117/api")));
        assert!(!allowed.contains(&url("http://127.0.0.2:9117/api")));
    }

    #[test]
    fn a_default_port_matches_whether_written_or_not() {
        let allowed = AllowedOrigins::new([url("https://Indexer.LAN/api")]);
        assert!(allowed.contains(&url("https://indexer.lan:443/x")));
        assert!(!allowed.contains(&url("http://indexer.lan/x")));
        assert!(!allowed.contains(&url("https://indexer.lan:8443/x")));
    }

    #[test]
    fn other_schemes_are_never_allowed() {
        let allowed = AllowedOrigins::new([url("file:///etc/passwd"), url("ftp://h/x")]);
        assert!(allowed.is_empty());
        assert!(!allowed.contains(&url("file:///etc/passwd")));
        assert!(!AllowedOrigins::none().contains(&url("http://127.0.0.1/")));
    }
}
