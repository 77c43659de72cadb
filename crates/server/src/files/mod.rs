//! Getting the files out: the download folder as a tree, file downloads with
//! ranges and validators, folders as zip, deletion, and streaming of files
//! that are still downloading.

mod chunks;
pub(crate) mod http;
mod paths;
mod range;
mod tree;
mod zip;

use std::path::PathBuf;

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::{InfoHash, Torrent, TorrentState};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::Query;
use http::{Plan, Representation};
pub use tree::Listing;

use chunks::CHUNK;

fn download_root(state: &AppState) -> ApiResult<PathBuf> {
    state
        .engine
        .config()
        .download_dir
        .canonicalize()
        .map_err(|_| ApiError::Internal("the download folder is missing".into()))
}

/// The folder (or file) at the top of each torrent, relative to the download folder.
fn torrent_root(t: &Torrent) -> Option<&str> {
    let first = t.files.first()?;
    Some(first.path.split('/').next().unwrap_or(&first.path))
}

fn torrent_paths(torrents: &[Torrent]) -> tree::TorrentPaths {
    let mut paths = tree::TorrentPaths::default();
    for t in torrents {
        // A torrent whose data is checked is still downloading unless it was whole.
        let incomplete = match t.state {
            TorrentState::Downloading | TorrentState::Metadata => true,
            TorrentState::Checking => t.completed < t.size,
            _ => false,
        };
        if incomplete && let Some(root) = torrent_root(t) {
            paths.downloading.push(root.to_owned());
        }
        paths.unselected.extend(
            t.files
                .iter()
                .filter(|f| !f.selected && f.completed < f.size)
                .map(|f| f.path.clone()),
        );
    }
    paths
}

/// Query of `GET /api/v1/downloads`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Folder to list, relative to the download folder (default: the whole folder).
    pub path: Option<String>,
    /// Most entries to return (default 10,000, at most 100,000).
    pub limit: Option<usize>,
}

/// The download folder as a tree.
#[utoipa::path(get, path = "/api/v1/downloads", tag = "files", params(ListQuery),
    responses((status = 200, body = Listing), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_downloads(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<Listing>> {
    let root = download_root(&state)?;
    let inside = paths::resolve(&root, query.path.as_deref().unwrap_or(""))?;
    if !inside.absolute.is_dir() {
        return Err(ApiError::BadRequest(format!(
            "{:?} is a file, not a folder",
            inside.relative
        )));
    }
    let limit = query.limit.unwrap_or(10_000).clamp(1, 100_000);
    let torrents = torrent_paths(&state.engine.list());
    let listing = tokio::task::spawn_blocking(move || {
        tree::list(&inside.absolute, &inside.relative, limit, &torrents)
    })
    .await
    .map_err(|_| ApiError::Internal("listing failed".into()))?;
    Ok(axum::Json(listing))
}

/// Query of `/download/...`.
#[derive(Debug, Default, Deserialize)]
pub struct DownloadQuery {
    /// Present: `Content-Disposition: attachment`. (`?zip` is accepted and
    /// ignored: a folder is always sent as a zip.)
    pub download: Option<String>,
}

/// `GET`/`HEAD /download/<path>`: a file, or a folder as zip.
pub async fn download(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    Query(query): Query<DownloadQuery>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let root = download_root(&state)?;
    let inside = paths::resolve(&root, &raw)?;
    let meta = tokio::fs::metadata(&inside.absolute).await.map_err(|_| {
        ApiError::NotFound(format!(
            "no file or folder {:?} in the downloads",
            inside.relative
        ))
    })?;
    refuse_unfinished(&state.engine.unfinished(), &inside.relative, meta.is_dir())?;
    if meta.is_dir() {
        return download_folder(inside, &headers).await;
    }
    let name = inside
        .absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let modified = meta.modified().ok();
    let rep = Representation {
        size: meta.len(),
        etag: http::etag_for(meta.len(), modified),
        last_modified: modified,
        content_type: http::content_type(&name),
        file_name: name,
        attachment: query.download.is_some(),
    };
    let (status, start, end) = match http::plan(&headers, &rep) {
        Plan::Done(resp) => return Ok(resp),
        Plan::Send { status, start, end } => (status, start, end),
    };
    let file = tokio::fs::File::open(&inside.absolute)
        .await
        .map_err(|_| ApiError::NotFound(format!("cannot open {:?}", inside.relative)))?
        .into_std()
        .await;
    let body = Body::from_stream(chunks::ChunkReader::new(file, start, end).into_stream());
    Ok(http::respond(&rep, status, start, end, body))
}

/// A file a torrent has not finished is mostly zeros on disk: refuse it (and a
/// folder holding one) rather than send a silently corrupt copy, and point to the
/// stream, which sends only verified bytes and waits for the others.
fn refuse_unfinished(torrents: &[Torrent], relative: &str, is_dir: bool) -> ApiResult<()> {
    let inside_folder = |path: &str| {
        relative.is_empty()
            || path
                .strip_prefix(relative)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    for t in torrents {
        for f in t.files.iter().filter(|f| f.completed < f.size) {
            if !is_dir && f.path == relative {
                let percent = f.completed * 100 / f.size.max(1);
                return Err(ApiError::Conflict(format!(
                    "{relative:?} is still downloading ({percent} % of it is here); stream it \
                     instead: api/v1/torrents/{}/files/{}/stream waits for the missing pieces",
                    t.info_hash, f.index
                )));
            }
            if is_dir && f.selected && inside_folder(&f.path) {
                return Err(ApiError::Conflict(format!(
                    "{:?} holds files still downloading ({:?} among them); download it when \
                     they are complete, or stream them one by one",
                    if relative.is_empty() {
                        "the download folder"
                    } else {
                        relative
                    },
                    f.path
                )));
            }
        }
    }
    Ok(())
}

async fn download_folder(inside: paths::Inside, headers: &HeaderMap) -> ApiResult<Response> {
    let top = inside
        .absolute
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "downloads".into());
    let folder = inside.absolute.clone();
    let name = top.clone();
    let archive = tokio::task::spawn_blocking(move || zip::Archive::plan(&folder, &name))
        .await
        .map_err(|_| ApiError::BadRequest("cannot list the folder".into()))?
        .map_err(|e| ApiError::BadRequest(format!("cannot zip {:?}: {e}", inside.relative)))?;
    let rep = Representation {
        size: archive.len(),
        etag: format!("\"zip-{:x}\"", archive.fingerprint()),
        last_modified: None,
        content_type: "application/zip".into(),
        file_name: format!("{top}.zip"),
        attachment: true,
    };
    let (status, start, end) = match http::plan(headers, &rep) {
        Plan::Done(resp) => return Ok(resp),
        Plan::Send { status, start, end } => (status, start, end),
    };
    let body = Body::from_stream(archive.stream(start, end));
    Ok(http::respond(&rep, status, start, end, body))
}

/// Query of `DELETE /download/<path>`: none.
#[utoipa::path(delete, path = "/download/{path}", tag = "files",
    params(("path" = String, Path, description = "File or folder, relative to the download folder")),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "Part of a torrent's data", body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    let root = download_root(&state)?;
    if let Some(link) = paths::link_itself(&root, &raw)? {
        // A link is removed itself; what it points to stays.
        return tokio::task::spawn_blocking(move || std::fs::remove_file(&link))
            .await
            .map_err(|_| ApiError::Internal("delete failed".into()))?
            .map(|()| StatusCode::NO_CONTENT)
            .map_err(|e| ApiError::Internal(format!("cannot delete the link: {}", e.kind())));
    }
    let inside = paths::resolve(&root, &raw)?;
    if inside.relative.is_empty() {
        return Err(ApiError::Forbidden(
            "the download folder itself cannot be deleted".into(),
        ));
    }
    // A torrent whose data lies inside what is deleted goes with it; deleting
    // part of a torrent would leave it believing it has pieces it has not.
    let rel = inside.relative.as_str();
    let mut whole = Vec::new();
    for t in state.engine.list() {
        let Some(top) = torrent_root(&t) else {
            continue;
        };
        if top == rel
            || top
                .strip_prefix(rel)
                .is_some_and(|rest| rest.starts_with('/'))
        {
            whole.push(t.info_hash.clone());
        } else if rel
            .strip_prefix(top)
            .is_some_and(|rest| rest.starts_with('/'))
        {
            return Err(ApiError::Conflict(format!(
                "{rel:?} is part of the torrent {:?}; remove the torrent with its data, or delete its whole folder",
                t.name
            )));
        }
    }
    for hash in whole {
        if let Ok(hash) = hash.parse::<InfoHash>() {
            state.engine.delete(&hash, true).await?;
        }
    }
    let path = inside.absolute.clone();
    let result = tokio::task::spawn_blocking(move || match path.symlink_metadata() {
        Ok(m) if m.is_dir() => std::fs::remove_dir_all(&path),
        Ok(_) => std::fs::remove_file(&path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    })
    .await;
    match result {
        Ok(Ok(())) => Ok(StatusCode::NO_CONTENT),
        Ok(Err(e)) => Err(ApiError::Internal(format!(
            "cannot delete {rel:?}: {}",
            e.kind()
        ))),
        Err(_) => Err(ApiError::Internal("delete failed".into())),
    }
}

/// `GET`/`HEAD /api/v1/torrents/{infoHash}/files/{index}/stream`: a file of a
/// torrent while it downloads. Seeking makes the engine fetch that part first;
/// only verified bytes are sent.
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}/files/{index}/stream", tag = "files",
    params(crate::openapi::InfoHashParam, ("index" = u64, Path, description = "The file's index in the torrent")),
    responses((status = 200, description = "The file", body = inline(crate::openapi::Binary), content_type = "*/*"),
        (status = 206, description = "A range of it", body = inline(crate::openapi::Binary), content_type = "*/*"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 416, description = "Range not satisfiable")))]
pub async fn stream(
    State(state): State<AppState>,
    Path((info_hash, index)): Path<(String, String)>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let hash: InfoHash = info_hash.parse()?;
    let index: usize = index.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "file index {index:?} is not a non-negative integer"
        ))
    })?;
    let mut open = state.engine.open_file(&hash, index).await?;
    let name = open
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&open.path)
        .to_owned();
    let rep = Representation {
        size: open.size,
        etag: format!("\"{hash}-{index}-{:x}\"", open.size),
        last_modified: None,
        content_type: http::content_type(&name),
        file_name: name,
        attachment: false,
    };
    let (status, start, end) = match http::plan(&headers, &rep) {
        Plan::Done(resp) => return Ok(resp),
        Plan::Send { status, start, end } => (status, start, end),
    };
    if start > 0 {
        open.reader
            .seek(std::io::SeekFrom::Start(start))
            .await
            .map_err(|e| ApiError::Internal(format!("seek failed: {}", e.kind())))?;
    }
    let body = Body::from_stream(ReaderStream::with_capacity(
        open.reader.take(end - start),
        CHUNK,
    ));
    Ok(http::respond(&rep, status, start, end, body))
}

/// The URL a playlist's entries start with: `base` if given and not empty (an
/// http(s) URL, its trailing `/` dropped), else the scheme and host this request
/// came to.
fn playlist_base(
    base: Option<&str>,
    uri: &axum::http::Uri,
    headers: &HeaderMap,
    tls: bool,
) -> ApiResult<String> {
    if let Some(base) = base.filter(|b| !b.is_empty()) {
        let parsed =
            url::Url::parse(base).map_err(|e| ApiError::BadRequest(format!("base: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https")
            || parsed.query().is_some()
            || parsed.fragment().is_some()
            || !parsed.username().is_empty()
        {
            return Err(ApiError::BadRequest(
                "base: give an http(s) URL without credentials, query or fragment".into(),
            ));
        }
        return Ok(parsed.as_str().trim_end_matches('/').to_owned());
    }
    let host = uri
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .filter(|h| url::Url::parse(&format!("http://{h}/")).is_ok())
        .ok_or_else(|| {
            ApiError::BadRequest("cannot tell this server's address; give ?base=".into())
        })?;
    Ok(format!("{}://{host}", if tls { "https" } else { "http" }))
}

/// Query of `GET /api/v1/torrents/{infoHash}/playlist.m3u`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlaylistQuery {
    /// Where players reach this server, e.g. `https://box.example/torrents` behind a
    /// proxy's sub-path; default: the scheme and host the request was sent to.
    pub base: Option<String>,
}

/// `GET /api/v1/torrents/{infoHash}/playlist.m3u`: the torrent's audio and video
/// files as a playlist of absolute stream URLs (players cannot resolve relative ones).
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}/playlist.m3u", tag = "files",
    params(crate::openapi::InfoHashParam, PlaylistQuery),
    responses((status = 200, description = "An M3U playlist", body = String, content_type = "audio/x-mpegurl"),
        (status = 400, body = ErrorBody),
        (status = 404, description = "No such torrent, or it has no audio or video file", body = ErrorBody)))]
pub async fn playlist(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
    Query(query): Query<PlaylistQuery>,
    uri: axum::http::Uri,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let hash: InfoHash = info_hash.parse()?;
    let torrent = state.engine.get(&hash)?;
    let base = playlist_base(
        query.base.as_deref(),
        &uri,
        &headers,
        state.config.tls.is_some(),
    )?;
    let is_media = |p: &str| {
        let t = mime_guess::from_path(p).first_or_octet_stream();
        t.type_() == "audio" || t.type_() == "video"
    };
    let files: Vec<_> = torrent
        .files
        .iter()
        .filter(|f| f.selected && is_media(&f.path))
        .collect();
    if files.is_empty() {
        return Err(ApiError::NotFound(format!(
            "{:?} has no audio or video file to play",
            torrent.name
        )));
    }
    let mut body = String::from("#EXTM3U\n");
    for f in files {
        let title: String = f
            .path
            .rsplit('/')
            .next()
            .unwrap_or(&f.path)
            .chars()
            .filter(|c| !c.is_control())
            .collect();
        body.push_str(&format!(
            "#EXTINF:-1,{title}\n{base}/api/v1/torrents/{}/files/{}/stream\n",
            torrent.info_hash, f.index
        ));
    }
    let file_name = format!("{}.m3u", torrent.name.replace('/', "_"));
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "audio/x-mpegurl; charset=utf-8".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                http::content_disposition(&file_name, false),
            ),
        ],
        body,
    )
        .into_response())
}
