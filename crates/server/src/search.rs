//! Torrent search under `/api/v1/search`: thin handlers over
//! [`cloud_torrent_search::Searcher`]. A provider's failure is a 502 (504 for a
//! timeout) whose message names the provider and says why (see
//! [`crate::error::ApiError::status`]).

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use cloud_torrent_engine::{AddOptions, AddSource, Torrent};
use cloud_torrent_search::{
    AddRequest, ItemLinks, ProviderInfo, Resolved, SearchQuery, SearchResponse,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::added_response;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{self, Query};

/// Query of `GET /api/v1/search`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SearchParams {
    /// What to look for: 1 to 500 characters, not counting surrounding spaces.
    #[param(min_length = 1, max_length = 500, pattern = r"\S")]
    pub query: String,
    /// A provider's id; all providers when absent.
    pub provider: Option<String>,
    /// Page, from 1 (default 1).
    #[param(minimum = 1, maximum = 1000)]
    pub page: Option<u32>,
}

/// Query of `GET /api/v1/search/item`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemParams {
    /// The provider's id.
    pub provider: String,
    /// The result's `item`.
    pub item: String,
}

/// Body of `POST /api/v1/search/add`: `{provider, item}` or a whole search result
/// (its other fields are ignored), and whether to add it stopped.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SearchAddJson {
    /// The result.
    #[serde(flatten)]
    pub result: AddRequest,
    /// Add the torrent stopped.
    pub paused: Option<bool>,
}

/// Lists the search providers.
#[utoipa::path(get, path = "/api/v1/search/providers", tag = "search",
    responses((status = 200, description = "Enabled providers, in the file's order", body = [ProviderInfo])))]
pub async fn providers(State(state): State<AppState>) -> Json<Vec<ProviderInfo>> {
    Json(state.search.providers())
}

/// Searches one provider or all of them.
#[utoipa::path(get, path = "/api/v1/search", tag = "search", params(SearchParams),
    responses(
        (status = 200, description = "Merged results, most seeders first, and the providers that failed", body = SearchResponse),
        (status = 400, body = ErrorBody),
        (status = 404, description = "Unknown provider, or no providers configured", body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    Query(p): Query<SearchParams>,
) -> ApiResult<Json<SearchResponse>> {
    let q = SearchQuery {
        query: p.query,
        provider: p.provider.filter(|p| !p.is_empty()),
        page: p.page,
    };
    Ok(Json(state.search.search(&q).await?))
}

/// Runs the second phase of a provider for a result's `item`.
#[utoipa::path(get, path = "/api/v1/search/item", tag = "search", params(ItemParams),
    responses(
        (status = 200, description = "The links found on the result's page", body = ItemLinks),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider timed out", body = ErrorBody)))]
pub async fn item(
    State(state): State<AppState>,
    Query(p): Query<ItemParams>,
) -> ApiResult<Json<ItemLinks>> {
    Ok(Json(state.search.item(&p.provider, &p.item).await?))
}

/// Adds a search result: runs the second phase or fetches an indexer's .torrent
/// on the server as needed.
#[utoipa::path(post, path = "/api/v1/search/add", tag = "search",
    request_body = SearchAddJson,
    responses(
        (status = 201, description = "Added", body = Torrent),
        (status = 200, description = "It was already there", body = Torrent),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider timed out", body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    extract::Json(json): extract::Json<SearchAddJson>,
) -> ApiResult<Response> {
    let resolved = state.search.resolve(&json.result).await?;
    let source = match resolved {
        Resolved::Magnet(m) => AddSource::Magnet(m),
        Resolved::Torrent(bytes) => AddSource::TorrentFile(bytes.into()),
    };
    let options = AddOptions {
        paused: json.paused,
        ..AddOptions::default()
    };
    Ok(added_response(state.engine.add(source, options).await?))
}
