//! Resolving a search result into something the engine can add: its magnet, a
//! magnet built from its info hash, or a .torrent fetched by the server (after
//! the second phase, or from an indexer's download link with its apikey).

use std::time::Duration;

use cloud_torrent_outbound::{AllowedOrigins, Request};
use url::Url;

use crate::config::{Kind, Provider};
use crate::error::{ProviderError, SearchError};
use crate::result::{build_magnet, normalize_infohash};
use crate::searcher::Searcher;
use crate::torznab;

/// Largest .torrent fetched.
const MAX_TORRENT_BYTES: usize = 10 * 1024 * 1024;
const TORRENT_TIMEOUT: Duration = Duration::from_secs(30);

/// A result to add: its provider and whatever of its links the client has (a whole
/// search result will do; its other fields are ignored).
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct AddRequest {
    /// The provider's id.
    pub provider: String,
    /// The result's opaque `item`.
    pub item: Option<String>,
    /// The result's magnet link.
    pub magnet: Option<String>,
    /// The result's info hash (hex or base32).
    pub infohash: Option<String>,
    /// The result's http(s) link of a .torrent.
    pub torrent: Option<String>,
    /// The result's name, used as the magnet's `dn`.
    pub name: Option<String>,
}

/// Something the engine can add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// A magnet link.
    Magnet(String),
    /// The bytes of a .torrent file (fetched by the server).
    Torrent(Vec<u8>),
}

/// A non-empty, trimmed field of a request.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

impl Searcher {
    /// Turns a result into something to add: its magnet, a magnet built from its
    /// info hash, or a .torrent fetched by the server (running the second phase
    /// or the indexer's download link as needed).
    pub async fn resolve(&self, req: &AddRequest) -> Result<Resolved, SearchError> {
        let p = self.provider(&req.provider)?;
        if let Some(m) = given(&req.magnet) {
            if !m.starts_with("magnet:") {
                return Err(SearchError::BadRequest(
                    "magnet must start with magnet:".into(),
                ));
            }
            return Ok(Resolved::Magnet(m.to_owned()));
        }
        if let Some(h) = given(&req.infohash) {
            let hash = normalize_infohash(h).ok_or_else(|| {
                SearchError::BadRequest(format!(
                    "infohash {h:?} is not 40 hexadecimal or 32 base32 characters"
                ))
            })?;
            return Ok(Resolved::Magnet(build_magnet(&hash, given(&req.name), &[])));
        }
        if let Some(t) = given(&req.torrent) {
            let url = Url::parse(t)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https"))
                .ok_or_else(|| {
                    SearchError::BadRequest("the torrent link must be an http or https URL".into())
                })?;
            // The client's link: no provider vouches for it, so it gets what a
            // .torrent URL given to `POST /api/v1/torrents` gets.
            return self
                .fetch_torrent(&p, url, "", AllowedOrigins::none())
                .await;
        }
        let Some(item) = given(&req.item) else {
            return Err(SearchError::BadRequest(
                "the result has no magnet, infohash, torrent or item to add".into(),
            ));
        };
        match &p.kind {
            Kind::Torznab(t) => {
                let url = torznab::item_url(t, item).map_err(SearchError::BadRequest)?;
                // On the indexer's own origin only (an item that is a URL elsewhere
                // must be public).
                self.fetch_torrent(&p, url, &t.apikey, p.origins.clone())
                    .await
            }
            Kind::Scraper { .. } => {
                let links = self.item(&req.provider, item).await?;
                match (links.magnet, links.torrent) {
                    (Some(m), _) => Ok(Resolved::Magnet(m)),
                    (None, Some(t)) => {
                        let url =
                            Url::parse(&t).map_err(|e| SearchError::Internal(e.to_string()))?;
                        self.fetch_torrent(&p, url, "", p.origins.clone()).await
                    }
                    (None, None) => {
                        Err(ProviderError::new(&p.id, "no magnet or torrent link").into())
                    }
                }
            }
        }
    }

    /// Downloads a .torrent (or follows a redirect to a magnet link), reaching
    /// private addresses only at `origins` (or when `allowPrivateUrls` is on).
    async fn fetch_torrent(
        &self,
        p: &Provider,
        url: Url,
        secret: &str,
        origins: AllowedOrigins,
    ) -> Result<Resolved, SearchError> {
        let hide = |msg: String| {
            let msg = if secret.is_empty() {
                msg
            } else {
                msg.replace(secret, "<apikey>")
            };
            SearchError::from(ProviderError::new(
                &p.id,
                format!("the download link: {msg}"),
            ))
        };
        let request = Request::get(url)
            .timeout(TORRENT_TIMEOUT)
            .max_bytes(MAX_TORRENT_BYTES);
        let answer = self.http(origins).send(request).await.map_err(hide)?;
        if let Some(loc) = answer
            .location
            .as_deref()
            .filter(|l| l.starts_with("magnet:"))
        {
            return Ok(Resolved::Magnet(loc.to_owned()));
        }
        if !answer.status.is_success() {
            return Err(hide(format!("the server answered {}", answer.status)));
        }
        let body = answer.body;
        let text_start = String::from_utf8_lossy(&body[..body.len().min(7)]).into_owned();
        if text_start == "magnet:" {
            let text = String::from_utf8_lossy(&body).trim().to_owned();
            return Ok(Resolved::Magnet(text));
        }
        if body.first() != Some(&b'd') {
            return Err(hide(format!(
                "it did not return a .torrent file (it sent {})",
                if answer.content_type.is_empty() {
                    "no content type"
                } else {
                    &answer.content_type
                }
            )));
        }
        Ok(Resolved::Torrent(body))
    }
}
