//! Torrent search under `/api/v1/search`: thin handlers over
//! [`cloud_torrent_search::Searcher`]. A provider's failure is a 502 (504 for a
//! timeout) whose message names the provider and says why.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::{AddOptions, AddSource, EngineError, Torrent};
use cloud_torrent_search::{
    AddRequest, FailureKind, ItemLinks, ProviderInfo, Resolved, SearchError, SearchQuery,
    SearchResponse,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ErrorBody};

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
/// (its other fields are ignored).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchAddJson {
    /// The provider's id.
    pub provider: String,
    /// The result's opaque `item`.
    pub item: Option<String>,
    /// The result's magnet link.
    pub magnet: Option<String>,
    /// The result's info hash.
    pub infohash: Option<String>,
    /// The result's .torrent link.
    pub torrent: Option<String>,
    /// The result's name.
    pub name: Option<String>,
    /// Add the torrent stopped.
    pub paused: Option<bool>,
}

/// What search handlers fail with.
pub enum Failure {
    /// An error of search.
    Search(SearchError),
    /// Any other API error.
    Api(ApiError),
}

impl From<SearchError> for Failure {
    fn from(e: SearchError) -> Self {
        Failure::Search(e)
    }
}

impl From<ApiError> for Failure {
    fn from(e: ApiError) -> Self {
        Failure::Api(e)
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        Failure::Api(ApiError::Engine(e))
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let e = match self {
            Failure::Api(e) => return e.into_response(),
            Failure::Search(e) => e,
        };
        let status = match &e {
            SearchError::NotConfigured | SearchError::UnknownProvider(_) => StatusCode::NOT_FOUND,
            SearchError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SearchError::Provider(p) if p.kind == FailureKind::Timeout => {
                StatusCode::GATEWAY_TIMEOUT
            }
            SearchError::Provider(_) => StatusCode::BAD_GATEWAY,
            SearchError::Config(_) | SearchError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status.is_server_error() {
            tracing::warn!("{e}");
        }
        let error = cloud_torrent_engine::sanitize::strip_paths(&e.to_string());
        (status, Json(ErrorBody { error })).into_response()
    }
}

fn query<T: serde::de::DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    Query::<T>::try_from_uri(req.uri())
        .map(|q| q.0)
        .map_err(|e| ApiError::BadRequest(format!("invalid query string: {}", e.body_text())))
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
    req: Request,
) -> Result<Json<SearchResponse>, Failure> {
    let p: SearchParams = query(&req)?;
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
pub async fn item(State(state): State<AppState>, req: Request) -> Result<Json<ItemLinks>, Failure> {
    let p: ItemParams = query(&req)?;
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
        (status = 502, description = "The provider failed", body = ErrorBody),
        (status = 504, description = "The provider timed out", body = ErrorBody)))]
pub async fn add(State(state): State<AppState>, body: Bytes) -> Result<Response, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; expected a JSON object with \"provider\" and \"item\""
                .into(),
        )
        .into());
    }
    let json: SearchAddJson = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?;
    let resolved = state
        .search
        .resolve(&AddRequest {
            provider: json.provider,
            item: json.item,
            magnet: json.magnet,
            infohash: json.infohash,
            torrent: json.torrent,
            name: json.name,
        })
        .await?;
    let source = match resolved {
        Resolved::Magnet(m) => AddSource::Magnet(m),
        Resolved::Torrent(bytes) => AddSource::TorrentFile(bytes.into()),
    };
    let options = AddOptions {
        paused: json.paused,
        ..AddOptions::default()
    };
    let added = state.engine.add(source, options).await?;
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(added.torrent)).into_response())
}
