//! The HTTP client of search: http and https only, a desktop browser's
//! User-Agent, at most 5 redirects, answers capped in size, a timeout per request.
//!
//! The hosts of configured providers are always allowed, even on private or
//! loopback addresses (an indexer usually runs on the LAN). Any other host (a
//! .torrent link on another site, a redirect elsewhere) must resolve to public
//! addresses unless `allowPrivateUrls` is on. The check runs in the DNS resolver,
//! so redirects and DNS rebinding are covered, and on IP-literal hosts.

use std::collections::HashSet;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use futures::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::error::SearchError;

/// What browsers send; some sites refuse unknown clients.
pub(crate) const USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const MAX_REDIRECTS: usize = 5;

type Hosts = Arc<RwLock<HashSet<String>>>;

pub(crate) use cloud_torrent_netpolicy::is_private;

fn allowed(hosts: &Hosts, host: &str) -> bool {
    hosts
        .read()
        .map(|h| h.contains(&host.to_ascii_lowercase()))
        .unwrap_or(false)
}

struct Resolver {
    hosts: Hosts,
    allow_private: bool,
}

impl Resolve for Resolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let open = self.allow_private || allowed(&self.hosts, &host);
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| open || !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(format!(
                    "{host} resolves only to private or loopback addresses (allowPrivateUrls is off)"
                )
                .into());
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

/// Checks the scheme and, for an IP-literal host that is not a provider's, the address.
pub(crate) fn check_url(url: &Url, hosts: &Hosts, allow_private: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "the scheme {:?} is not allowed; only http and https",
            url.scheme()
        ));
    }
    let host = url.host_str().ok_or("the URL has no host")?;
    let ip = match url.host() {
        Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        Some(url::Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::V4([127, 0, 0, 1].into()))
        }
        _ => None,
    };
    if !allow_private && ip.is_some_and(is_private) && !allowed(hosts, host) {
        return Err(format!(
            "{host} is a private or loopback address and not a configured provider (allowPrivateUrls is off)"
        ));
    }
    Ok(())
}

/// A request to send.
pub(crate) struct Request {
    pub method: Method,
    pub url: Url,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<String>,
    pub timeout: Duration,
    pub max_bytes: usize,
}

/// An answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The URL after redirects.
    pub url: Url,
    pub status: StatusCode,
    pub content_type: String,
    /// The `Location` of a redirect that was not followed (to a magnet link).
    pub location: Option<String>,
    pub body: Vec<u8>,
}

/// The shared HTTP client.
#[derive(Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    hosts: Hosts,
    allow_private: bool,
}

impl Http {
    pub(crate) fn new(allow_private: bool) -> Result<Http, SearchError> {
        let hosts: Hosts = Arc::default();
        let policy_hosts = hosts.clone();
        let policy = reqwest::redirect::Policy::custom(move |attempt| {
            if attempt.previous().len() >= MAX_REDIRECTS {
                return attempt.error("more than 5 redirects");
            }
            if !matches!(attempt.url().scheme(), "http" | "https") {
                return attempt.stop();
            }
            match check_url(attempt.url(), &policy_hosts, allow_private) {
                Ok(()) => attempt.follow(),
                Err(e) => attempt.error(e),
            }
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("en-US,en;q=0.9"),
        );
        let client = reqwest::Client::builder()
            .user_agent(USER_AGENT)
            .default_headers(headers)
            .connect_timeout(Duration::from_secs(10))
            .redirect(policy)
            .dns_resolver(Arc::new(Resolver {
                hosts: hosts.clone(),
                allow_private,
            }))
            .build()
            .map_err(|e| SearchError::Internal(format!("cannot build the HTTP client: {e}")))?;
        Ok(Http {
            client,
            hosts,
            allow_private,
        })
    }

    /// Replaces the hosts that are always allowed.
    pub(crate) fn set_hosts(&self, hosts: HashSet<String>) {
        if let Ok(mut h) = self.hosts.write() {
            *h = hosts;
        }
    }

    /// Sends `req` and reads the answer, whatever its status.
    pub(crate) async fn send(&self, req: Request) -> Result<Answer, String> {
        check_url(&req.url, &self.hosts, self.allow_private)?;
        let mut builder = self
            .client
            .request(req.method, req.url)
            .timeout(req.timeout);
        for (k, v) in req.headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let response = builder.send().await.map_err(|e| describe(&e))?;
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let content_type = header(reqwest::header::CONTENT_TYPE).unwrap_or_default();
        let location = header(reqwest::header::LOCATION);
        let url = response.url().clone();
        let status = response.status();
        let too_large = || format!("the answer is larger than {} KiB", req.max_bytes / 1024);
        if response
            .content_length()
            .is_some_and(|n| n > req.max_bytes as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| describe(&e))?;
            if body.len() + chunk.len() > req.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            url,
            status,
            content_type,
            location,
            body,
        })
    }
}

/// Describes a reqwest error with its causes (reqwest's own text is terse).
fn describe(err: &reqwest::Error) -> String {
    let mut msg = if err.is_timeout() {
        "the request timed out".to_owned()
    } else if err.is_redirect() {
        "a redirect was refused".to_owned()
    } else if err.is_connect() {
        "could not connect".to_owned()
    } else {
        "the request failed".to_owned()
    };
    let mut source = std::error::Error::source(err);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_hosts_may_be_private_others_may_not() {
        let hosts: Hosts = Arc::default();
        hosts.write().unwrap().insert("127.0.0.1".into());
        let check = |u: &str, open| check_url(&Url::parse(u).unwrap(), &hosts, open);
        assert!(check("http://127.0.0.1:9117/api", false).is_ok());
        assert!(check("http://127.0.0.2/x.torrent", false).is_err());
        assert!(check("http://localhost/x", false).is_err());
        assert!(check("http://[::1]/x", false).is_err());
        assert!(check("http://127.0.0.2/x.torrent", true).is_ok());
        assert!(check("https://example.org/x", false).is_ok());
        assert!(check("file:///etc/passwd", true).is_err());
        assert!(check("ftp://example.org/x", true).is_err());
        for ip in [
            "10.0.0.1",
            "192.168.1.1",
            "169.254.0.1",
            "fd00::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(is_private(ip.parse().unwrap()), "{ip}");
        }
        assert!(!is_private("93.184.216.34".parse().unwrap()));
    }
}
