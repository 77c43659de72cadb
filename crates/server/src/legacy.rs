//! Cloud Torrent's old text endpoints, kept so that users' scripts keep working.
//!
//! The raw body is the argument whatever its content type (`curl -d` sends
//! form-urlencoded). Success is `200 OK`; failure is `400 <message>` as before (a body
//! over the limit 413, a server fault its 5xx), see [`TextError`].

use axum::extract::State;
use cloud_torrent_engine::{AddOptions, AddSource, InfoHash};

use crate::AppState;
use crate::error::{ApiError, TextError};
use crate::extract::RawBody;

type TextResult = Result<&'static str, TextError>;

/// The body whatever its content type; `Err` (413 or 400) when it cannot be read.
type Body = Result<RawBody, ApiError>;

/// The body as trimmed, non-empty UTF-8 text.
fn text(body: Body) -> Result<String, TextError> {
    let RawBody(body) = body?;
    let s = std::str::from_utf8(&body)
        .map_err(|_| ApiError::BadRequest("the body is not UTF-8 text".into()))?;
    let s = s.trim();
    if s.is_empty() {
        return Err(ApiError::BadRequest("the body is empty".into()).into());
    }
    Ok(s.to_owned())
}

async fn add(state: &AppState, source: AddSource) -> TextResult {
    state.engine.add(source, AddOptions::default()).await?;
    Ok("OK")
}

/// `POST /api/magnet` with a magnet URI as the body.
pub async fn magnet(State(state): State<AppState>, body: Body) -> TextResult {
    let magnet = text(body)?;
    add(&state, AddSource::Magnet(magnet)).await
}

/// `POST /api/url` with a .torrent URL as the body.
pub async fn url(State(state): State<AppState>, body: Body) -> TextResult {
    let url = text(body)?;
    add(&state, AddSource::Url(url)).await
}

/// `POST /api/torrentfile` with the .torrent bytes as the body.
pub async fn torrent_file(State(state): State<AppState>, body: Body) -> TextResult {
    let RawBody(body) = body?;
    if body.is_empty() {
        return Err(ApiError::BadRequest("the body is empty".into()).into());
    }
    add(&state, AddSource::TorrentFile(body)).await
}

/// `POST /api/torrent` with `start:<hash>`, `stop:<hash>` or `delete:<hash>`.
/// As in Cloud Torrent, `delete` keeps the downloaded data.
pub async fn torrent_action(State(state): State<AppState>, body: Body) -> TextResult {
    let body = text(body)?;
    let (action, hash) = body
        .split_once(':')
        .ok_or_else(|| ApiError::BadRequest("expected <action>:<infohash>".into()))?;
    let hash: InfoHash = hash.trim().parse()?;
    match action {
        "start" => {
            state.engine.start_torrent(&hash).await?;
        }
        "stop" => {
            state.engine.stop_torrent(&hash).await?;
        }
        "delete" => state.engine.delete(&hash, false).await?,
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown action {other:?}; expected start, stop or delete"
            ))
            .into());
        }
    }
    Ok("OK")
}

/// `POST /api/file` with `start:<hash>:<path>` or `stop:<hash>:<path>`: selects or
/// deselects one file. Stopping the last selected file stops the torrent.
pub async fn file_action(State(state): State<AppState>, body: Body) -> TextResult {
    let body = text(body)?;
    let mut parts = body.splitn(3, ':');
    let (Some(action), Some(hash), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(ApiError::BadRequest("expected <action>:<infohash>:<file path>".into()).into());
    };
    let hash: InfoHash = hash.trim().parse()?;
    let index = state.engine.file_index(&hash, path)?;
    let torrent = state.engine.get(&hash)?;
    let mut selected: Vec<usize> = torrent
        .files
        .iter()
        .filter(|f| f.selected)
        .map(|f| f.index)
        .collect();
    match action {
        "start" => {
            selected.push(index);
            state.engine.select_files(&hash, selected).await?;
        }
        "stop" => {
            selected.retain(|&i| i != index);
            if selected.is_empty() {
                state.engine.stop_torrent(&hash).await?;
            } else {
                state.engine.select_files(&hash, selected).await?;
            }
        }
        other => {
            return Err(ApiError::BadRequest(format!(
                "unknown action {other:?}; expected start or stop"
            ))
            .into());
        }
    }
    Ok("OK")
}
