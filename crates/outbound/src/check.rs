//! The check every URL passes before a request is sent to it, the first one and
//! each redirect's: http or https with a host, and no private or loopback
//! IP-literal host unless private addresses are allowed for it. Host names are
//! checked where they are resolved (see `resolver.rs`).

use std::net::{IpAddr, Ipv4Addr};

use url::{Host, Url};

use crate::address::is_private;
use crate::error::FetchError;
use crate::origins::AllowedOrigins;

/// Where private addresses stand for one URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reach {
    /// Only public addresses: names are resolved by the filtering resolver.
    PublicOnly,
    /// Any address: `allowPrivateUrls` is on, or the URL's origin is allowed.
    Any,
}

/// Checks `url` and says which addresses a request to it may reach.
pub(crate) fn check_url(
    url: &Url,
    allow_private: bool,
    allowed: &AllowedOrigins,
) -> Result<Reach, FetchError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(FetchError::BadUrl(format!(
            "the scheme {:?} is not allowed; only http and https",
            url.scheme()
        )));
    }
    let host = url
        .host()
        .ok_or_else(|| FetchError::BadUrl("the URL has no host".into()))?;
    if allow_private || allowed.contains(url) {
        return Ok(Reach::Any);
    }
    let literal = match &host {
        Host::Ipv4(ip) => Some(IpAddr::V4(*ip)),
        Host::Ipv6(ip) => Some(IpAddr::V6(*ip)),
        Host::Domain(name) if is_localhost(name) => Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        Host::Domain(_) => None,
    };
    if literal.is_some_and(is_private) {
        return Err(FetchError::PrivateAddress {
            host: host.to_string(),
        });
    }
    Ok(Reach::PublicOnly)
}

/// `localhost` and its subdomains, which always name the local machine.
fn is_localhost(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost" || name.ends_with(".localhost")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(u: &str, allow_private: bool, allowed: &[&str]) -> Result<Reach, FetchError> {
        let allowed = AllowedOrigins::new(allowed.iter().map(|a| Url::parse(a).unwrap()));
        check_url(&Url::parse(u).unwrap(), allow_private, &allowed)
    }

    #[test]
    fn only_http_and_https_urls_with_a_host_are_fetched() {
        for bad in [
            "ftp://example.com/x.torrent",
            "file:///etc/passwd",
            "data:,x",
        ] {
            let err = check(bad, true, &[]).unwrap_err();
            assert!(matches!(err, FetchError::BadUrl(_)), "{bad}: {err}");
            assert!(err.to_string().contains("only http and https"), "{err}");
        }
        assert_eq!(
            check("https://example.com/x.torrent", false, &[]).unwrap(),
            Reach::PublicOnly
        );
        assert_eq!(check("http://example.com/", true, &[]).unwrap(), Reach::Any);
    }

    #[test]
    fn private_ip_literals_and_localhost_are_refused_unless_allowed() {
        for bad in [
            "http://127.0.0.1/x.torrent",
            "http://localhost:80/x.torrent",
            "http://LOCALHOST./x",
            "http://api.localhost/x",
            "http://[::1]/x.torrent",
            "http://[::ffff:127.0.0.1]/x",
            "http://[64:ff9b::10.0.0.1]/x",
            "http://10.0.0.1/x",
            "http://169.254.169.254/latest/meta-data/",
            "http://0x7f.1/x",
        ] {
            let err = check(bad, false, &[]).unwrap_err();
            assert!(
                matches!(err, FetchError::PrivateAddress { .. }),
                "{bad}: {err}"
            );
            assert!(err.to_string().contains("allowPrivateUrls"), "{err}");
            assert_eq!(check(bad, true, &[]).unwrap(), Reach::Any, "{bad}");
        }
    }

    #[test]
    fn an_allowed_origin_is_pinned_to_its_scheme_host_and_port() {
        let allowed = ["http://127.0.0.1:9117/api/"];
        assert_eq!(
            check("http://127.0.0.1:9117/dl/x.torrent", false, &allowed).unwrap(),
            Reach::Any
        );
        for other in [
            "http://127.0.0.1:9118/api/",
            "http://127.0.0.1/api/",
            "https://127.0.0.1:9117/api/",
            "http://127.0.0.2:9117/api/",
            "http://localhost:9117/api/",
        ] {
            let err = check(other, false, &allowed).unwrap_err();
            assert!(
                matches!(err, FetchError::PrivateAddress { .. }),
                "{other}: {err}"
            );
        }
        // A name's origin is allowed as written; its addresses are not checked.
        assert_eq!(
            check("http://localhost:8080/x", false, &["http://localhost:8080"]).unwrap(),
            Reach::Any
        );
        // A public origin needs no allowance, and an allowance opens nothing else.
        assert_eq!(
            check("https://example.org/x", false, &allowed).unwrap(),
            Reach::PublicOnly
        );
    }
}
