//! Handlers of the JSON API under `/api/v1`. Each one parses, calls the engine and
//! maps the result; errors go through [`ApiError`].

use std::any::Any;

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::{AddOptions, AddSource, InfoHash, Torrent};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{self, Multipart, Query, RawBody};
use crate::openapi::{AddTorrentForm, Binary, InfoHashParam};

/// Body of `POST /api/v1/torrents` as JSON: exactly one of `magnet` or `url`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddTorrentJson {
    /// A `magnet:?xt=urn:btih:...` link.
    pub magnet: Option<String>,
    /// An http(s) URL of a .torrent file.
    pub url: Option<String>,
    /// Add the torrent stopped.
    pub paused: Option<bool>,
    /// Indices of the files to download (default: all).
    pub files: Option<Vec<usize>>,
}

/// Options of `POST /api/v1/torrents` given in the query string (for raw .torrent bodies).
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AddTorrentQuery {
    /// Add the torrent stopped (a raw .torrent body only: JSON and forms carry their own).
    pub paused: Option<bool>,
    /// Comma-separated indices of the files to download (a raw .torrent body only).
    pub files: Option<String>,
}

/// Body of `PUT /api/v1/torrents/{infoHash}/files`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectFilesJson {
    /// Indices of the files to download.
    pub selected: Vec<usize>,
}

/// Query of `DELETE /api/v1/torrents/{infoHash}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DeleteQuery {
    /// Also delete the downloaded files (default false).
    pub delete_files: Option<bool>,
}

fn parse_hash(raw: &str) -> ApiResult<InfoHash> {
    Ok(raw.parse::<InfoHash>()?)
}

/// Parses `"0,2,5"` or `"[0,2,5]"` into file indices.
pub(crate) fn parse_file_list(raw: &str) -> ApiResult<Vec<usize>> {
    let inner = raw.trim().trim_start_matches('[').trim_end_matches(']');
    inner
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<usize>().map_err(|_| {
                ApiError::BadRequest(format!("file index {s:?} is not a non-negative integer"))
            })
        })
        .collect()
}

/// Answers 201 for a new torrent and 200 for one that was already there.
pub(crate) fn added_response(added: cloud_torrent_engine::Added) -> Response {
    let status = if added.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    (status, Json(added.torrent)).into_response()
}

/// Lists every torrent.
#[utoipa::path(get, path = "/api/v1/torrents", tag = "torrents",
    responses((status = 200, description = "All torrents, oldest first", body = [Torrent])))]
pub async fn list_torrents(State(state): State<AppState>) -> Json<Vec<Torrent>> {
    Json(state.engine.list())
}

/// One torrent.
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Torrent>> {
    Ok(Json(state.engine.get(&parse_hash(&info_hash)?)?))
}

/// Adds a torrent from a magnet, a URL, raw .torrent bytes or a multipart upload.
#[utoipa::path(post, path = "/api/v1/torrents", tag = "torrents",
    params(AddTorrentQuery),
    request_body(description = "JSON `{magnet|url, paused?, files?}`, raw `application/x-bittorrent`, or `multipart/form-data` with a `torrent` file field (and optional `paused`, `files` fields)",
        content(
            (AddTorrentJson = "application/json"),
            (Binary = "application/x-bittorrent"),
            (AddTorrentForm = "multipart/form-data"))),
    responses(
        (status = 201, description = "Added", body = Torrent),
        (status = 200, description = "It was already there", body = Torrent),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, description = "The URL could not be fetched", body = ErrorBody)))]
pub async fn add_torrent(State(state): State<AppState>, req: Request) -> ApiResult<Response> {
    // Only a raw .torrent body takes its options from the query, but a malformed query
    // is refused whatever the body.
    let Query(query) = Query::<AddTorrentQuery>::from_uri(req.uri())?;
    let (source, options) = match extract::content_type(req.headers()).as_str() {
        "application/json" => {
            let extract::Json(json) =
                extract::Json::<AddTorrentJson>::from_request(req, &state).await?;
            let source = match (json.magnet, json.url) {
                (Some(m), None) => AddSource::Magnet(m),
                (None, Some(u)) => AddSource::Url(u),
                _ => {
                    return Err(ApiError::BadRequest(
                        "give exactly one of \"magnet\" or \"url\"".into(),
                    ));
                }
            };
            (
                source,
                AddOptions {
                    paused: json.paused,
                    files: json.files,
                },
            )
        }
        "application/x-bittorrent" => {
            let RawBody(body) = RawBody::from_request(req, &state).await?;
            let files = query.files.as_deref().map(parse_file_list).transpose()?;
            (
                AddSource::TorrentFile(body),
                AddOptions {
                    paused: query.paused,
                    files,
                },
            )
        }
        "multipart/form-data" => {
            read_multipart(Multipart::from_request(req, &state).await?).await?
        }
        "" => {
            return Err(ApiError::UnsupportedMediaType(
                "missing Content-Type; use application/json, application/x-bittorrent or multipart/form-data".into(),
            ));
        }
        other => {
            return Err(ApiError::UnsupportedMediaType(format!(
                "unsupported Content-Type {other:?}; use application/json, application/x-bittorrent or multipart/form-data"
            )));
        }
    };
    Ok(added_response(state.engine.add(source, options).await?))
}

async fn read_multipart(mut multipart: Multipart) -> ApiResult<(AddSource, AddOptions)> {
    let bad = extract::multipart_error;
    let mut torrent = None;
    let mut options = AddOptions::default();
    while let Some(field) = multipart.next_field().await? {
        match field.name().unwrap_or("") {
            "torrent" => torrent = Some(field.bytes().await.map_err(bad)?),
            "paused" => {
                let text = field.text().await.map_err(bad)?;
                options.paused = Some(match text.trim() {
                    "true" | "1" | "on" => true,
                    "false" | "0" | "off" | "" => false,
                    other => {
                        return Err(ApiError::BadRequest(format!(
                            "field \"paused\" must be true or false, not {other:?}"
                        )));
                    }
                });
            }
            "files" => options.files = Some(parse_file_list(&field.text().await.map_err(bad)?)?),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown form field {other:?}; expected torrent, paused or files"
                )));
            }
        }
    }
    let torrent = torrent
        .ok_or_else(|| ApiError::BadRequest("the form has no \"torrent\" file field".into()))?;
    Ok((AddSource::TorrentFile(torrent), options))
}

/// Starts (resumes) a torrent.
#[utoipa::path(post, path = "/api/v1/torrents/{infoHash}/start", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn start_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Torrent>> {
    Ok(Json(
        state.engine.start_torrent(&parse_hash(&info_hash)?).await?,
    ))
}

/// Stops (pauses) a torrent; its verified data is kept.
#[utoipa::path(post, path = "/api/v1/torrents/{infoHash}/stop", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stop_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Torrent>> {
    Ok(Json(
        state.engine.stop_torrent(&parse_hash(&info_hash)?).await?,
    ))
}

/// Chooses which files to download.
#[utoipa::path(put, path = "/api/v1/torrents/{infoHash}/files", tag = "torrents",
    params(InfoHashParam),
    request_body = SelectFilesJson,
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The metadata is not known yet", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn select_files(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
    extract::Json(json): extract::Json<SelectFilesJson>,
) -> ApiResult<Json<Torrent>> {
    let hash = parse_hash(&info_hash)?;
    Ok(Json(state.engine.select_files(&hash, json.selected).await?))
}

/// Removes a torrent, and its files with `deleteFiles=true`.
#[utoipa::path(delete, path = "/api/v1/torrents/{infoHash}", tag = "torrents",
    params(InfoHashParam, DeleteQuery),
    responses((status = 204, description = "Removed"), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
    Query(query): Query<DeleteQuery>,
) -> ApiResult<StatusCode> {
    let hash = parse_hash(&info_hash)?;
    state
        .engine
        .delete(&hash, query.delete_files.unwrap_or(false))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unknown routes.
pub async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.uri().path()
    ))
}

/// Known routes with the wrong method.
pub async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}

/// A panic in a handler becomes a 500 with a JSON body; the server keeps serving.
pub fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(ErrorBody {
            error: "internal error".into(),
        }),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::parse_file_list;

    #[test]
    fn file_lists() {
        assert_eq!(parse_file_list("0,2, 5").unwrap(), vec![0, 2, 5]);
        assert_eq!(parse_file_list("[1]").unwrap(), vec![1]);
        assert!(parse_file_list("a").is_err());
        assert!(parse_file_list("-1").is_err());
    }
}
