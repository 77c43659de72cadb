//! [`Searcher`]: the providers file (reloaded when it changes), searching one or
//! all providers, the second phase, and resolving a result for the engine.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cloud_torrent_outbound::{AllowedOrigins, OutboundClient};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{self, Kind, Provider, ProviderSet};
use crate::error::{ProviderError, SearchError};
use crate::http::Http;
use crate::result::{ItemLinks, SearchResult, merge};
use crate::{scrape, torznab};

const MAX_QUERY: usize = 500;
const MAX_PAGE: u32 = 1000;

/// What a provider is, for the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    /// A site read with CSS selectors (or JSON paths).
    Scraper,
    /// A Torznab indexer.
    Torznab,
}

/// A provider as `GET /api/v1/search/providers` lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderInfo {
    /// The id to pass as `provider`.
    pub id: String,
    /// Its display name.
    pub name: String,
    /// `scraper` or `torznab`.
    #[serde(rename = "type")]
    pub kind: ProviderKind,
}

/// A provider that failed during a search, or a problem with the providers file.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProviderProblem {
    /// The provider's id (the file's name for a problem with the file).
    pub provider: String,
    /// The provider's display name.
    pub name: String,
    /// What went wrong, for a person.
    pub error: String,
}

/// The answer of a search.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SearchResponse {
    /// Merged results, most seeders first.
    pub results: Vec<SearchResult>,
    /// Providers that failed; the others' results are still there.
    pub errors: Vec<ProviderProblem>,
}

/// A search request.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    /// What to look for.
    pub query: String,
    /// One provider's id, or all providers.
    pub provider: Option<String>,
    /// Page number, from 1 (default 1).
    pub page: Option<u32>,
}

type Stamp = (Option<SystemTime>, u64);

struct State {
    stamp: Option<Stamp>,
    set: Arc<ProviderSet>,
    /// Why the last reload failed (the previous providers are kept).
    problem: Option<String>,
}

struct Inner {
    file: Option<PathBuf>,
    /// The process's outbound client.
    client: OutboundClient,
    state: Mutex<State>,
}

/// Searches the configured providers. Cheap to clone.
#[derive(Clone)]
pub struct Searcher {
    inner: Arc<Inner>,
}

fn stamp(path: &Path) -> Result<Stamp, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    Ok((meta.modified().ok(), meta.len()))
}

/// The file's name only: messages never show absolute server paths.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "providers file".into())
}

impl Searcher {
    /// A searcher over the providers of `file` (none without a file), fetching
    /// through `client`, the process's outbound client. Fails when the file
    /// cannot be read or is invalid. The providers' origins may be on private
    /// addresses; other links reach those only if `client` allows private URLs.
    pub fn new(file: Option<PathBuf>, client: OutboundClient) -> Result<Searcher, SearchError> {
        let mut state = State {
            stamp: None,
            set: Arc::default(),
            problem: None,
        };
        if let Some(path) = &file {
            let fail = |e: String| SearchError::Config(format!("{}: {e}", file_name(path)));
            state.stamp = Some(stamp(path).map_err(fail)?);
            let set = config::load(path).map_err(fail)?;
            state.set = Arc::new(set);
        }
        Ok(Searcher {
            inner: Arc::new(Inner {
                file,
                client,
                state: Mutex::new(state),
            }),
        })
    }

    /// The providers, reloading the file first if it changed. A file that became
    /// invalid keeps the previous providers and reports why.
    fn current(&self) -> (Arc<ProviderSet>, Option<ProviderProblem>) {
        let Ok(mut state) = self.inner.state.lock() else {
            return (Arc::default(), None);
        };
        let Some(path) = &self.inner.file else {
            return (state.set.clone(), None);
        };
        let now = stamp(path);
        if now.as_ref().ok() != state.stamp.as_ref() {
            state.stamp = now.as_ref().ok().cloned();
            match now.and_then(|_| config::load(path)) {
                Ok(set) => {
                    tracing::info!(
                        "search providers reloaded: {} provider(s)",
                        set.providers.len()
                    );
                    state.set = Arc::new(set);
                    state.problem = None;
                }
                Err(e) => {
                    let msg = format!("{e}; still using the providers loaded before");
                    tracing::warn!("search providers file {}: {msg}", file_name(path));
                    state.problem = Some(msg);
                }
            }
        }
        let problem = state.problem.clone().map(|error| ProviderProblem {
            provider: file_name(path),
            name: "search providers file".into(),
            error,
        });
        (state.set.clone(), problem)
    }

    pub(crate) fn provider(&self, id: &str) -> Result<Arc<Provider>, SearchError> {
        let (set, _) = self.current();
        if set.providers.is_empty() {
            return Err(SearchError::NotConfigured);
        }
        set.get(id)
            .cloned()
            .ok_or_else(|| SearchError::UnknownProvider(id.to_owned()))
    }

    /// The HTTP client of search, allowing `origins` on private addresses.
    pub(crate) fn http(&self, origins: AllowedOrigins) -> Http {
        Http::new(self.inner.client.clone(), origins)
    }

    /// The enabled providers, in file order.
    pub fn providers(&self) -> Vec<ProviderInfo> {
        let (set, _) = self.current();
        set.providers
            .iter()
            .map(|p| ProviderInfo {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: match p.kind {
                    Kind::Scraper { .. } => ProviderKind::Scraper,
                    Kind::Torznab(_) => ProviderKind::Torznab,
                },
            })
            .collect()
    }

    /// Searches one provider or all of them in parallel, each within its timeout.
    pub async fn search(&self, q: &SearchQuery) -> Result<SearchResponse, SearchError> {
        let query = q.query.trim();
        if query.is_empty() || query.chars().count() > MAX_QUERY {
            return Err(SearchError::BadRequest(
                "query must be from 1 to 500 characters".into(),
            ));
        }
        let page = q.page.unwrap_or(1);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(SearchError::BadRequest(
                "page must be from 1 to 1000".into(),
            ));
        }
        let (set, problem) = self.current();
        let chosen: Vec<Arc<Provider>> = match &q.provider {
            Some(id) => vec![self.provider(id)?],
            None if set.providers.is_empty() => return Err(SearchError::NotConfigured),
            None => set.providers.clone(),
        };
        let runs = chosen.iter().map(|p| self.run(p, query, page));
        let mut results = Vec::new();
        let mut errors: Vec<ProviderProblem> = problem.into_iter().collect();
        for (p, outcome) in chosen.iter().zip(futures::future::join_all(runs).await) {
            match outcome {
                Ok(r) => results.extend(r),
                Err(e) => errors.push(ProviderProblem {
                    provider: p.id.clone(),
                    name: p.name.clone(),
                    error: e.reason,
                }),
            }
        }
        Ok(SearchResponse {
            results: merge(results),
            errors,
        })
    }

    async fn run(
        &self,
        p: &Arc<Provider>,
        query: &str,
        page: u32,
    ) -> Result<Vec<SearchResult>, ProviderError> {
        let http = self.http(p.origins.clone());
        let work = async {
            match &p.kind {
                Kind::Scraper { .. } => scrape::search(&http, p, query, page).await,
                Kind::Torznab(t) => torznab::search(&http, p, t, query, page).await,
            }
        };
        within(p, work).await
    }

    /// Runs the second phase of a scraper provider for a result's `item`.
    pub async fn item(&self, provider: &str, item: &str) -> Result<ItemLinks, SearchError> {
        let p = self.provider(provider)?;
        match &p.kind {
            Kind::Torznab(_) => Err(SearchError::BadRequest(format!(
                "{provider:?} is a Torznab indexer: add its results with POST api/v1/search/add, \
                 which fetches the .torrent on the server (its link carries the apikey)"
            ))),
            Kind::Scraper { item: None, .. } => Err(SearchError::BadRequest(format!(
                "provider {provider:?} has no second phase (no \"{provider}/item\" entry in the providers file)"
            ))),
            Kind::Scraper { .. } => {
                let item = item.trim();
                if item.is_empty() || item.len() > 2048 {
                    return Err(SearchError::BadRequest(
                        "item must be from 1 to 2048 bytes".into(),
                    ));
                }
                scrape::check_item(&p, item).map_err(SearchError::BadRequest)?;
                let http = self.http(p.origins.clone());
                Ok(within(&p, scrape::item(&http, &p, item)).await?)
            }
        }
    }
}

/// Runs a provider's work within its timeout.
async fn within<T>(
    p: &Provider,
    work: impl std::future::Future<Output = Result<T, String>>,
) -> Result<T, ProviderError> {
    match tokio::time::timeout(p.timeout, work).await {
        Err(_) => Err(ProviderError::timeout(&p.id, p.timeout.as_secs_f64())),
        Ok(Err(e)) => Err(ProviderError::new(&p.id, e)),
        Ok(Ok(v)) => Ok(v),
    }
}
