//! The DNS resolver of requests that must stay on public addresses: it drops
//! every private address a name resolves to, so redirects and DNS rebinding
//! cannot lead a request to one.

use std::net::SocketAddr;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::address::is_private;

/// A name that resolves only to addresses the request may not reach.
#[derive(Debug, thiserror::Error)]
#[error("{host} resolves only to private or loopback addresses (allowPrivateUrls is off)")]
pub(crate) struct PrivateName {
    pub(crate) host: String,
}

/// Resolves names to their public addresses only.
pub(crate) struct PublicOnlyResolver {
    /// The configured proxy's host name, which may be private (a proxy on the LAN).
    pub(crate) proxy_host: Option<String>,
}

impl Resolve for PublicOnlyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        let is_proxy = self
            .proxy_host
            .as_deref()
            .is_some_and(|p| p.eq_ignore_ascii_case(&host));
        Box::pin(async move {
            let addrs: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_proxy || !is_private(a.ip()))
                .collect();
            if addrs.is_empty() {
                return Err(Box::new(PrivateName { host }) as _);
            }
            let addrs: Addrs = Box::new(addrs.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn resolve(resolver: &PublicOnlyResolver, name: &str) -> Result<Vec<SocketAddr>, String> {
        match resolver.resolve(name.parse().unwrap()).await {
            Ok(addrs) => Ok(addrs.collect()),
            Err(e) => Err(e.to_string()),
        }
    }

    #[tokio::test]
    async fn names_of_private_addresses_resolve_to_nothing() {
        let resolver = PublicOnlyResolver { proxy_host: None };
        let err = resolve(&resolver, "localhost").await.unwrap_err();
        assert_eq!(
            err,
            "localhost resolves only to private or loopback addresses (allowPrivateUrls is off)"
        );
    }

    #[tokio::test]
    async fn the_configured_proxy_may_be_private() {
        let resolver = PublicOnlyResolver {
            proxy_host: Some("LOCALHOST".into()),
        };
        let addrs = resolve(&resolver, "localhost").await.unwrap();
        assert!(!addrs.is_empty() && addrs.iter().all(|a| a.ip().is_loopback()));
    }
}
