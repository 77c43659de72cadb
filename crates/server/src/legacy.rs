//! Cloud Torrent's old text endpoints, kept so that users' scripts keep working.
//!
//! The raw body is the argument whatever its content type (`curl -d` sends
//! form-urlencoded). Success is `200 OK`, failure `400 <message>`, as before.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use cloud_torrent_engine::{AddOptions, AddSource, InfoHash};

use crate::AppState;
use crate::error::ApiError;

type TextResult = Result<&'static str, (StatusCode, String)>;

fn fail(err: impl Into<ApiError>) -> (StatusCode, String) {
    let err = err.into();
    let status = if err.status().is_server_error() {
        err.status()
    } else {
        StatusCode::BAD_REQUEST
    };
    (
        status,
        cloud_torrent_engine::sanitize::strip_paths(&err.to_string()),
    )
}

fn text(body: &Bytes) -> Result<String, (StatusCode, String)> {
    let s = std::str::from_utf8(body)
        .map_err(|_| fail(ApiError::BadRequest("the body is not UTF-8 text".into())))?;
    let s = s.trim();
    if s.is_empty() {
        return Err(fail(ApiError::BadRequest("the body is empty".into())));
    }
    Ok(s.to_owned())
}

async fn add(state: &AppState, source: AddSource) -> TextResult {
    state
        .engine
        .add(source, AddOptions::default())
        .await
        .map_err(fail)?;
    Ok("OK")
}

/// `POST /api/magnet` with a magnet URI as the body.
pub async fn magnet(State(state): State<AppState>, body: Bytes) -> TextResult {
    let magnet = text(&body)?;
    add(&state, AddSource::Magnet(magnet)).await
}

/// `POST /api/url` with a .torrent URL as the body.
pub async fn url(State(state): State<AppState>, body: Bytes) -> TextResult {
    let url = text(&body)?;
    add(&state, AddSource::Url(url)).await
}

/// `POST /api/torrentfile` with the .torrent bytes as the body.
pub async fn torrent_file(State(state): State<AppState>, body: Bytes) -> TextResult {
    if body.is_empty() {
        return Err(fail(ApiError::BadRequest("the body is empty".into())));
    }
    add(&state, AddSource::TorrentFile(body)).await
}

/// `POST /api/torrent` with `start:<hash>`, `stop:<hash>` or `delete:<hash>`.
/// As in Cloud Torrent, `delete` keeps the downloaded data.
pub async fn torrent_action(State(state): State<AppState>, body: Bytes) -> TextResult {
    let body = text(&body)?;
    let (action, hash) = body
        .split_once(':')
        .ok_or_else(|| fail(ApiError::BadRequest("expected <action>:<infohash>".into())))?;
    let hash: InfoHash = hash.trim().parse().map_err(fail)?;
    match action {
        "start" => state.engine.start_torrent(&hash).await.map(drop),
        "stop" => state.engine.stop_torrent(&hash).await.map(drop),
        "delete" => state.engine.delete(&hash, false).await,
        other => {
            return Err(fail(ApiError::BadRequest(format!(
                "unknown action {other:?}; expected start, stop or delete"
            ))));
        }
    }
    .map_err(fail)?;
    Ok("OK")
}

/// `POST /api/file` with `start:<hash>:<path>` or `stop:<hash>:<path>`: selects or
/// deselects one file. Stopping the last selected file stops the torrent.
pub async fn file_action(State(state): State<AppState>, body: Bytes) -> TextResult {
    let body = text(&body)?;
    let mut parts = body.splitn(3, ':');
    let (Some(action), Some(hash), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(fail(ApiError::BadRequest(
            "expected <action>:<infohash>:<file path>".into(),
        )));
    };
    let hash: InfoHash = hash.trim().parse().map_err(fail)?;
    let index = state.engine.file_index(&hash, path).map_err(fail)?;
    let torrent = state.engine.get(&hash).map_err(fail)?;
    let mut selected: Vec<usize> = torrent
        .files
        .iter()
        .filter(|f| f.selected)
        .map(|f| f.index)
        .collect();
    match action {
        "start" => {
            selected.push(index);
            state
                .engine
                .select_files(&hash, selected)
                .await
                .map_err(fail)?;
        }
        "stop" => {
            selected.retain(|&i| i != index);
            if selected.is_empty() {
                state.engine.stop_torrent(&hash).await.map_err(fail)?;
            } else {
                state
                    .engine
                    .select_files(&hash, selected)
                    .await
                    .map_err(fail)?;
            }
        }
        other => {
            return Err(fail(ApiError::BadRequest(format!(
                "unknown action {other:?}; expected start or stop"
            ))));
        }
    }
    Ok("OK")
}
