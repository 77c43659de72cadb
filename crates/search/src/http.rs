//! How search sends its requests: through the process's outbound client, as a
//! desktop browser, with the provider's own origins (scheme, host and port)
//! allowed even on private or loopback addresses, since an indexer usually runs
//! on the LAN. Any other origin (a .torrent link on another site, a redirect
//! elsewhere, another provider's host, a link a client sent) must be public
//! unless `allowPrivateUrls` is on.

use cloud_torrent_outbound::{
    AllowedOrigins, FetchError, OutboundClient, Request, Response, UserAgent,
};

/// The outbound client with search's options.
pub(crate) struct Http {
    client: OutboundClient,
    providers: AllowedOrigins,
}

impl Http {
    /// Requests through `client` that may reach `providers` (the origins of the
    /// provider at work) on private addresses.
    pub(crate) fn new(client: OutboundClient, providers: AllowedOrigins) -> Http {
        Http { client, providers }
    }

    /// Sends `request` and reads the answer, whatever its status.
    pub(crate) async fn send(&self, request: Request) -> Result<Response, String> {
        let request = request
            .user_agent(UserAgent::Browser)
            .allow_origins(self.providers.clone());
        self.client.send(request).await.map_err(|e| describe(&e))
    }
}

/// A failure as search reports it: a refused private address is one that is
/// not the working provider's own.
fn describe(err: &FetchError) -> String {
    match err {
        FetchError::PrivateAddress { host } => format!(
            "{host} is a private or loopback address, reachable only by a provider's own requests (allowPrivateUrls is off)"
        ),
        FetchError::Redirect(refused) => {
            format!("a redirect was refused: {}", describe(refused))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_private_address_says_it_is_not_a_provider() {
        let refused = FetchError::PrivateAddress {
            host: "127.0.0.2".into(),
        };
        let text = describe(&refused);
        assert!(text.contains("only by a provider's own requests"), "{text}");
        let text = describe(&FetchError::Redirect(Box::new(refused)));
        assert!(
            text.starts_with("a redirect was refused: 127.0.0.2")
                && text.contains("only by a provider's own requests"),
            "{text}"
        );
        assert_eq!(describe(&FetchError::Timeout), "the request timed out");
    }
}
