//! Fetching a .torrent file from an http(s) URL, safely.
//!
//! The size is capped, the whole request has a timeout, only http and https are
//! allowed, and unless `allow_private` is set no connection is made to a private,
//! loopback or link-local address: the check runs in the DNS resolver (so
//! redirects and DNS rebinding are covered too) and on IP-literal hosts.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::Url;

use crate::error::EngineError;

/// Largest .torrent we accept.
pub const MAX_TORRENT_BYTES: usize = 10 * 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(30);
const MAX_REDIRECTS: usize = 5;

pub use cloud_torrent_netpolicy::is_private;

struct PublicOnlyResolver;

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(
                    format!("{host} resolves only to private or loopback addresses").into(),
                );
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Checks scheme and, unless private addresses are allowed, an IP-literal host.
fn check_url(url: &Url, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "scheme {:?} is not allowed; use http or https",
            url.scheme()
        ));
    }
    let ip = match url.host() {
        None => return Err("the URL has no host".into()),
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4([127, 0, 0, 1].into()))
        }
        Some(url::Host::Domain(_)) => None,
    };
    if !allow_private && ip.is_some_and(is_private) {
        return Err(
            "fetching from private or loopback addresses is disabled (allowPrivateUrls)".into(),
        );
    }
    Ok(())
}

/// An HTTP client for .torrent URLs.
#[derive(Clone)]
pub struct TorrentFetcher {
    client: reqwest::Client,
    allow_private: bool,
}

impl TorrentFetcher {
    /// A client that refuses private addresses unless `allow_private`.
    pub fn new(allow_private: bool) -> Result<Self, EngineError> {
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("too many redirects");
            }
            match check_url(attempt.url(), allow_private) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let mut builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .redirect(policy)
            .user_agent(concat!("cloud-torrent/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder
            .build()
            .map_err(|e| EngineError::internal("HTTP client", e))?;
        Ok(TorrentFetcher {
            client,
            allow_private,
        })
    }

    /// Downloads the body of `url`, at most [`MAX_TORRENT_BYTES`].
    pub async fn fetch(&self, url: &str) -> Result<Vec<u8>, EngineError> {
        let parsed = Url::parse(url.trim()).map_err(|e| EngineError::InvalidUrl(format!("{e}")))?;
        check_url(&parsed, self.allow_private).map_err(EngineError::InvalidUrl)?;
        let response = self.client.get(parsed).send().await.map_err(describe)?;
        let status = response.status();
        if !status.is_success() {
            return Err(EngineError::Fetch(format!("the server answered {status}")));
        }
        if response
            .content_length()
            .is_some_and(|n| n > MAX_TORRENT_BYTES as u64)
        {
            return Err(EngineError::Fetch("the file is larger than 10 MiB".into()));
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(describe)?;
            if body.len() + chunk.len() > MAX_TORRENT_BYTES {
                return Err(EngineError::Fetch("the file is larger than 10 MiB".into()));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }
}

/// Describes a reqwest error with its cause chain (reqwest's own text is terse).
fn describe(err: reqwest::Error) -> EngineError {
    let mut msg = if err.is_timeout() {
        "the request timed out".to_owned()
    } else if err.is_redirect() {
        "redirect refused".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    EngineError::Fetch(crate::sanitize::strip_paths(&msg))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_checked() {
        let check = |u: &str, allow| check_url(&Url::parse(u).unwrap(), allow);
        assert!(check("ftp://example.com/x.torrent", true).is_err());
        assert!(check("file:///etc/passwd", true).is_err());
        assert!(check("http://127.0.0.1/x.torrent", false).is_err());
        assert!(check("http://localhost:80/x.torrent", false).is_err());
        assert!(check("http://[::1]/x.torrent", false).is_err());
        assert!(check("http://127.0.0.1/x.torrent", true).is_ok());
        assert!(check("https://example.com/x.torrent", false).is_ok());
    }
}
