//! The OpenAPI document of `/api/v1`, generated from the handlers' annotations.

use axum::Json;
use utoipa::OpenApi;

use crate::api;
use crate::error::ErrorBody;
use crate::search;
use crate::{settings, sse, stats};

/// The OpenAPI description of the v1 API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cloud-torrent API",
        description = "Drive cloud-torrent over HTTP. Errors are `{\"error\": \"...\"}` with a 4xx/5xx status."
    ),
    paths(
        api::list_torrents,
        api::add_torrent,
        api::get_torrent,
        api::start_torrent,
        api::stop_torrent,
        api::select_files,
        api::delete_torrent,
        sse::events,
        stats::get_stats,
        settings::get_config,
        settings::patch_config,
        search::providers,
        search::search,
        search::item,
        search::add,
    ),
    components(schemas(
        cloud_torrent_engine::Torrent,
        cloud_torrent_engine::TorrentFile,
        cloud_torrent_engine::TorrentState,
        api::AddTorrentJson,
        api::SelectFilesJson,
        stats::StatsView,
        settings::ConfigView,
        search::SearchAddJson,
        cloud_torrent_search::ProviderInfo,
        cloud_torrent_search::ProviderKind,
        cloud_torrent_search::ProviderProblem,
        cloud_torrent_search::SearchResponse,
        cloud_torrent_search::SearchResult,
        cloud_torrent_search::ItemLinks,
        ErrorBody
    ))
)]
pub struct ApiDoc;

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
