//! Handlers of categories and tags: `/api/v1/categories` and `/api/v1/tags`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::Category;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiResult, ErrorBody};
use crate::extract;

/// A category name as the engine accepts it (for the OpenAPI document): parts
/// separated by single `/`, none `.` or `..`, with no backslash or control
/// character and no spaces at either end; at most 200 bytes (50 characters
/// always are).
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^(?=.{1,50}$)(?!\.\.?(?:/|$))[^/\\\x00-\x1f\x7f-\x9f\s](?:[^/\\\x00-\x1f\x7f-\x9f]*[^/\\\x00-\x1f\x7f-\x9f\s])?(?:/(?!\.\.?(?:/|$))[^/\\\x00-\x1f\x7f-\x9f\s](?:[^/\\\x00-\x1f\x7f-\x9f]*[^/\\\x00-\x1f\x7f-\x9f\s])?)*$")]
#[allow(dead_code)]
pub(crate) struct CategoryNameText(String);

/// A category name, or "" for none (for the OpenAPI document).
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^(?=.{0,50}$)(?:(?!\.\.?(?:/|$))[^/\\\x00-\x1f\x7f-\x9f\s](?:[^/\\\x00-\x1f\x7f-\x9f]*[^/\\\x00-\x1f\x7f-\x9f\s])?(?:/(?!\.\.?(?:/|$))[^/\\\x00-\x1f\x7f-\x9f\s](?:[^/\\\x00-\x1f\x7f-\x9f]*[^/\\\x00-\x1f\x7f-\x9f\s])?)*)?$")]
#[allow(dead_code)]
pub(crate) struct CategoryOrNone(String);

/// A tag as the engine accepts it (for the OpenAPI document): no comma or control
/// character, no spaces at either end; at most 200 bytes.
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^(?=.{1,50}$)[^,\x00-\x1f\x7f-\x9f\s](?:[^,\x00-\x1f\x7f-\x9f]*[^,\x00-\x1f\x7f-\x9f\s])?$")]
#[allow(dead_code)]
pub(crate) struct Tag(String);

/// Comma-separated tags, in a query string or form field (for the OpenAPI document).
#[derive(ToSchema)]
#[schema(value_type = String, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
#[allow(dead_code)]
pub(crate) struct TagList(String);

/// The `{name}` of a category's routes.
#[derive(IntoParams)]
#[into_params(names("name"), parameter_in = Path)]
pub(crate) struct CategoryName(
    /// The category's name; `/` separates sub-categories (`tv/anime`, also written `tv%2Fanime`).
    #[param(value_type = CategoryNameText)]
    #[allow(dead_code)]
    String,
);

/// Body of `PUT /api/v1/categories/{name}`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CategoryJson {
    /// Where its torrents' data goes: relative to `downloadDir`, or absolute inside
    /// `downloadRoot` (default: the category's name under `downloadDir`).
    #[serde(default)]
    pub save_path: Option<String>,
    /// Share ratio limit of its torrents (-1: none; null: the global `seedRatioLimit`).
    pub seed_ratio_limit: Option<f64>,
    /// Seeding time limit of its torrents in minutes (-1: none; null: the global one).
    #[serde(default, deserialize_with = "extract::whole_i64")]
    pub seed_time_limit: Option<i64>,
    /// Idle seeding limit of its torrents in minutes (-1: none; null: the global one).
    #[serde(default, deserialize_with = "extract::whole_i64")]
    pub seed_idle_limit: Option<i64>,
}

/// Lists the categories.
#[utoipa::path(get, path = "/api/v1/categories", tag = "organise",
    responses((status = 200, description = "Every category, by name", body = [Category])))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<Category>> {
    Json(state.engine.categories())
}

/// Creates or changes a category (all of it: an absent field takes its default).
/// Torrents already in it keep their data where it is.
#[utoipa::path(put, path = "/api/v1/categories/{name}", tag = "organise",
    params(CategoryName),
    request_body = CategoryJson,
    responses((status = 201, description = "Created", body = Category),
        (status = 200, description = "Changed", body = Category),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn put(
    State(state): State<AppState>,
    Path(name): Path<String>,
    extract::Json(json): extract::Json<CategoryJson>,
) -> ApiResult<Response> {
    let (category, created) = state
        .engine
        .put_category(Category {
            name,
            save_path: json.save_path.unwrap_or_default(),
            seed_ratio_limit: json.seed_ratio_limit,
            seed_time_limit: json.seed_time_limit,
            seed_idle_limit: json.seed_idle_limit,
        })
        .await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(category)).into_response())
}

/// Removes a category: its torrents keep their data and lose the category.
#[utoipa::path(delete, path = "/api/v1/categories/{name}", tag = "organise",
    params(CategoryName),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<StatusCode> {
    state.engine.delete_category(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists the tags in use.
#[utoipa::path(get, path = "/api/v1/tags", tag = "organise",
    responses((status = 200, description = "Every tag, sorted", body = [String])))]
pub async fn tags(State(state): State<AppState>) -> Json<Vec<String>> {
    Json(state.engine.tags())
}
