//! Handlers of the JSON API under `/api/v1`. Each one parses, calls the engine and
//! maps the result; errors go through [`ApiError`].

use std::any::Any;
use std::collections::BTreeSet;

use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::{
    AddOptions, AddSource, InfoHash, Peer, QueueMove, Torrent, TorrentSeedLimits, TorrentState,
    TorrentUpdate, Tracker, check_speed_limit,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::categories::{CategoryOrNone, Tag, TagList};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{self, Multipart, Query, RawBody};
use crate::openapi::{AddTorrentForm, Binary, InfoHashParam, TorrentFields};

/// Body of `POST /api/v1/torrents` as JSON: exactly one of `magnet` or `url`.
#[derive(Debug, Default, Deserialize, ToSchema)]
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
    /// This torrent's share ratio limit (-1: none; absent: the global `seedRatioLimit`).
    pub seed_ratio_limit: Option<f64>,
    /// This torrent's seeding time limit in minutes (-1: none; absent: the global one).
    #[serde(default, deserialize_with = "extract::whole_i64")]
    pub seed_time_limit: Option<i64>,
    /// This torrent's idle seeding limit in minutes (-1: none; absent: the global one).
    #[serde(default, deserialize_with = "extract::whole_i64")]
    pub seed_idle_limit: Option<i64>,
    /// Run regardless of seeding limits (and of the queue).
    pub force_start: Option<bool>,
    /// Download the pieces in order.
    pub sequential: Option<bool>,
    /// Fetch the first and last pieces of the files first (for previews).
    pub first_last_pieces_first: Option<bool>,
    /// This torrent's download limit, bytes per second (0: only the global one).
    #[schema(maximum = 4294967295_f64)]
    #[serde(default, deserialize_with = "extract::whole_u64")]
    pub download_limit: Option<u64>,
    /// This torrent's upload limit, bytes per second (0: only the global one).
    #[schema(maximum = 4294967295_f64)]
    #[serde(default, deserialize_with = "extract::whole_u64")]
    pub upload_limit: Option<u64>,
    /// Its category (created when there is none of that name; "": none).
    #[schema(value_type = Option<CategoryOrNone>)]
    pub category: Option<String>,
    /// Its tags.
    #[schema(value_type = Option<Vec<Tag>>)]
    pub tags: Option<Vec<String>>,
    /// Where its content goes: relative to the download folder, or absolute inside
    /// `downloadRoot` (default: its category's folder, else the download folder).
    pub save_path: Option<String>,
    /// The name it is shown by (default: its own); its files keep theirs.
    #[schema(max_length = 1024)]
    pub name: Option<String>,
}

impl AddTorrentJson {
    /// The magnet, the URL and the checked options.
    pub(crate) fn into_parts(self) -> ApiResult<(Option<String>, Option<String>, AddOptions)> {
        let options = add_options(
            self.files,
            TorrentOptions {
                paused: self.paused,
                seed_limits: TorrentSeedLimits {
                    ratio: self.seed_ratio_limit,
                    seeding_minutes: self.seed_time_limit,
                    idle_minutes: self.seed_idle_limit,
                },
                force_start: self.force_start,
                sequential: self.sequential,
                first_last_pieces_first: self.first_last_pieces_first,
                download_limit: self.download_limit,
                upload_limit: self.upload_limit,
                category: self.category,
                tags: self.tags,
                save_path: self.save_path,
                name: self.name,
            },
        )?;
        Ok((self.magnet, self.url, options))
    }
}

/// Options of `POST /api/v1/torrents` given in the query string (for raw .torrent
/// bodies; JSON carries its own) or as form fields (multipart).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AddTorrentQuery {
    /// Add the torrent stopped.
    pub paused: Option<bool>,
    /// Comma-separated indices of the files to download.
    pub files: Option<String>,
    /// This torrent's share ratio limit (-1: none; absent: the global `seedRatioLimit`).
    pub seed_ratio_limit: Option<f64>,
    /// This torrent's seeding time limit in minutes (-1: none; absent: the global one).
    #[serde(default, deserialize_with = "extract::whole_i64")]
    pub seed_time_limit: Option<i64>,
    /// This torrent's idle seeding limit in minutes (-1: none; absent: the global one).
    #[serde(default, deserialize_with = "extract::whole_i64")]
    pub seed_idle_limit: Option<i64>,
    /// Run regardless of seeding limits (and of the queue).
    pub force_start: Option<bool>,
    /// Download the pieces in order.
    pub sequential: Option<bool>,
    /// Fetch the first and last pieces of the files first (for previews).
    pub first_last_pieces_first: Option<bool>,
    /// This torrent's download limit, bytes per second (0: only the global one).
    #[param(maximum = 4294967295_f64)]
    #[serde(default, deserialize_with = "extract::whole_u64")]
    pub download_limit: Option<u64>,
    /// This torrent's upload limit, bytes per second (0: only the global one).
    #[param(maximum = 4294967295_f64)]
    #[serde(default, deserialize_with = "extract::whole_u64")]
    pub upload_limit: Option<u64>,
    /// Its category (created when there is none of that name; "": none).
    #[param(value_type = Option<CategoryOrNone>)]
    pub category: Option<String>,
    /// Comma-separated tags.
    #[param(value_type = Option<TagList>)]
    pub tags: Option<String>,
    /// Where its content goes: relative to the download folder, or absolute inside
    /// `downloadRoot` (default: its category's folder, else the download folder).
    pub save_path: Option<String>,
    /// The name it is shown by (default: its own); its files keep theirs.
    #[param(max_length = 1024)]
    pub name: Option<String>,
}

impl AddTorrentQuery {
    fn options(self) -> ApiResult<AddOptions> {
        let files = self.files.as_deref().map(parse_file_list).transpose()?;
        add_options(
            files,
            TorrentOptions {
                paused: self.paused,
                seed_limits: TorrentSeedLimits {
                    ratio: self.seed_ratio_limit,
                    seeding_minutes: self.seed_time_limit,
                    idle_minutes: self.seed_idle_limit,
                },
                force_start: self.force_start,
                sequential: self.sequential,
                first_last_pieces_first: self.first_last_pieces_first,
                download_limit: self.download_limit,
                upload_limit: self.upload_limit,
                category: self.category,
                tags: self.tags.as_deref().map(parse_tag_list),
                save_path: self.save_path,
                name: self.name,
            },
        )
    }
}

/// Parses `"a,b"` into tags (spaces around each are dropped).
pub(crate) fn parse_tag_list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The options of an add besides its files, as any form of the request gives them.
struct TorrentOptions {
    paused: Option<bool>,
    seed_limits: TorrentSeedLimits,
    force_start: Option<bool>,
    sequential: Option<bool>,
    first_last_pieces_first: Option<bool>,
    download_limit: Option<u64>,
    upload_limit: Option<u64>,
    category: Option<String>,
    tags: Option<Vec<String>>,
    save_path: Option<String>,
    name: Option<String>,
}

/// The options of an add, checked.
fn add_options(files: Option<Vec<usize>>, o: TorrentOptions) -> ApiResult<AddOptions> {
    o.seed_limits.check().map_err(ApiError::BadRequest)?;
    check_speed_limit("downloadLimit", o.download_limit)?;
    check_speed_limit("uploadLimit", o.upload_limit)?;
    Ok(AddOptions {
        paused: o.paused,
        files,
        seed_limits: o.seed_limits,
        force_start: o.force_start.unwrap_or(false),
        sequential: o.sequential.unwrap_or(false),
        first_last_pieces_first: o.first_last_pieces_first.unwrap_or(false),
        download_limit: o.download_limit.unwrap_or(0),
        upload_limit: o.upload_limit.unwrap_or(0),
        category: o.category,
        tags: o.tags.unwrap_or_default(),
        save_path: o.save_path,
        name: o.name,
    })
}

/// Body of `PATCH /api/v1/torrents/{infoHash}`: the options to change. A limit set
/// to null follows the global one again.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TorrentPatchJson {
    /// Share ratio limit (-1: none; null: the global `seedRatioLimit`).
    #[serde(default, deserialize_with = "extract::present")]
    #[schema(value_type = Option<f64>)]
    pub seed_ratio_limit: Option<Option<f64>>,
    /// Seeding time limit in minutes (-1: none; null: the global `seedTimeLimit`).
    #[serde(default, deserialize_with = "extract::present_whole_i64")]
    #[schema(value_type = Option<i64>)]
    pub seed_time_limit: Option<Option<i64>>,
    /// Idle seeding limit in minutes (-1: none; null: the global `seedIdleLimit`).
    #[serde(default, deserialize_with = "extract::present_whole_i64")]
    #[schema(value_type = Option<i64>)]
    pub seed_idle_limit: Option<Option<i64>>,
    /// Run regardless of seeding limits (and of the queue); true also starts it.
    pub force_start: Option<bool>,
    /// Download the pieces in order.
    pub sequential: Option<bool>,
    /// Fetch the first and last pieces of the files first (for previews).
    pub first_last_pieces_first: Option<bool>,
    /// This torrent's download limit, bytes per second (0: only the global one).
    #[schema(maximum = 4294967295_f64)]
    #[serde(default, deserialize_with = "extract::whole_u64")]
    pub download_limit: Option<u64>,
    /// This torrent's upload limit, bytes per second (0: only the global one).
    #[schema(maximum = 4294967295_f64)]
    #[serde(default, deserialize_with = "extract::whole_u64")]
    pub upload_limit: Option<u64>,
    /// Its category (null or "": none). Its data moves to the category's folder
    /// (none: the download folder) unless `savePath` is given too.
    #[serde(default, deserialize_with = "extract::present")]
    #[schema(value_type = Option<CategoryOrNone>)]
    pub category: Option<Option<String>>,
    /// Its tags (all of them: the list replaces the current one).
    #[schema(value_type = Option<Vec<Tag>>)]
    pub tags: Option<Vec<String>>,
    /// Where its content goes; its data moves there (state `moving`).
    pub save_path: Option<String>,
    /// The name it is shown by (null or "": its own again); its files keep theirs.
    #[serde(default, deserialize_with = "extract::present")]
    #[schema(value_type = Option<String>, max_length = 1024)]
    pub name: Option<Option<String>>,
}

/// Body of `PUT /api/v1/torrents/{infoHash}/files`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SelectFilesJson {
    /// Indices of the files to download.
    pub selected: Vec<usize>,
}

/// Body of `PUT /api/v1/torrents/{infoHash}/trackers`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrackersJson {
    /// Announce URLs (http, https or udp), in the order they are tried; a repeat
    /// is dropped.
    #[schema(example = json!(["udp://tracker.example.org:6969/announce"]))]
    pub urls: Vec<String>,
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

/// Query of `GET /api/v1/torrents`: each given filter must match.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TorrentFilter {
    /// Only torrents of this category ("": only those without one).
    pub category: Option<String>,
    /// Only torrents with this tag.
    pub tag: Option<String>,
    /// Only torrents in this state.
    pub state: Option<TorrentState>,
    /// Only torrents with a tracker on this host.
    pub tracker: Option<String>,
    /// Only these fields of each torrent, comma-separated (`name,state,progress`);
    /// `infoHash` is always given.
    pub fields: Option<String>,
}

impl TorrentFilter {
    fn matches(&self, torrent: &Torrent) -> bool {
        let category = match self.category.as_deref() {
            None => true,
            Some("") => torrent.category.is_none(),
            Some(name) => torrent.category.as_deref() == Some(name),
        };
        category
            && self
                .tag
                .as_ref()
                .is_none_or(|tag| torrent.tags.contains(tag))
            && self.state.is_none_or(|state| torrent.state == state)
            && self.tracker.as_ref().is_none_or(|host| {
                torrent
                    .tracker_hosts
                    .iter()
                    .any(|h| h.eq_ignore_ascii_case(host))
            })
    }

    /// The field names `fields` lists, each one a field of a torrent.
    fn fields(&self) -> ApiResult<Option<BTreeSet<String>>> {
        let Some(list) = &self.fields else {
            return Ok(None);
        };
        let known = torrent_field_names();
        let mut chosen = BTreeSet::from(["infoHash".to_owned()]);
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if !known.contains(name) {
                return Err(ApiError::BadRequest(format!(
                    "fields: a torrent has no field {name:?} (it has {})",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                )));
            }
            chosen.insert(name.to_owned());
        }
        Ok(Some(chosen))
    }
}

/// The names of a torrent's fields in JSON, from its schema.
fn torrent_field_names() -> &'static BTreeSet<String> {
    static NAMES: std::sync::OnceLock<BTreeSet<String>> = std::sync::OnceLock::new();
    NAMES.get_or_init(|| match <Torrent as utoipa::PartialSchema>::schema() {
        utoipa::openapi::RefOr::T(utoipa::openapi::Schema::Object(object)) => {
            object.properties.keys().cloned().collect()
        }
        _ => BTreeSet::new(),
    })
}

/// Lists the torrents, all or those matching the filters, with all their fields
/// or those `fields` names.
#[utoipa::path(get, path = "/api/v1/torrents", tag = "torrents",
    params(TorrentFilter),
    responses((status = 200, description = "The torrents, oldest first", body = [TorrentFields]),
        (status = 400, body = ErrorBody)))]
pub async fn list_torrents(
    State(state): State<AppState>,
    Query(filter): Query<TorrentFilter>,
) -> ApiResult<Response> {
    let fields = filter.fields()?;
    let mut torrents = state.engine.list();
    torrents.retain(|t| filter.matches(t));
    let Some(fields) = fields else {
        return Ok(Json(torrents).into_response());
    };
    let trimmed: Vec<serde_json::Map<String, serde_json::Value>> = torrents
        .iter()
        .filter_map(|t| match serde_json::to_value(t) {
            Ok(serde_json::Value::Object(mut object)) => {
                object.retain(|key, _| fields.contains(key));
                Some(object)
            }
            _ => None,
        })
        .collect();
    Ok(Json(trimmed).into_response())
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
            let (magnet, url, options) = json.into_parts()?;
            let source = match (magnet, url) {
                (Some(m), None) => AddSource::Magnet(m),
                (None, Some(u)) => AddSource::Url(u),
                _ => {
                    return Err(ApiError::BadRequest(
                        "give exactly one of \"magnet\" or \"url\"".into(),
                    ));
                }
            };
            (source, options)
        }
        "application/x-bittorrent" => {
            let RawBody(body) = RawBody::from_request(req, &state).await?;
            (AddSource::TorrentFile(body), query.options()?)
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

/// Reads a form: the `torrent` file field and, as text fields, the options a raw
/// .torrent takes in its query string.
async fn read_multipart(mut multipart: Multipart) -> ApiResult<(AddSource, AddOptions)> {
    let bad = extract::multipart_error;
    let mut torrent = None;
    let mut fields = Vec::new();
    while let Some(field) = multipart.next_field().await? {
        match field.name().unwrap_or("").to_owned() {
            name if name == "torrent" => torrent = Some(field.bytes().await.map_err(bad)?),
            name => {
                let text = field.text().await.map_err(bad)?;
                let text = match (name.as_str(), text.trim()) {
                    // A checkbox: on/off, or a value left empty.
                    (
                        "paused" | "forceStart" | "sequential" | "firstLastPiecesFirst",
                        "on" | "1",
                    ) => "true",
                    (
                        "paused" | "forceStart" | "sequential" | "firstLastPiecesFirst",
                        "off" | "0" | "",
                    ) => "false",
                    (_, text) => text,
                };
                fields.push((name, text.to_owned()));
            }
        }
    }
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    let options = extract::from_urlencoded::<AddTorrentQuery>(&encoded, "form field")?.options()?;
    let torrent = torrent
        .ok_or_else(|| ApiError::BadRequest("the form has no \"torrent\" file field".into()))?;
    Ok((AddSource::TorrentFile(torrent), options))
}

/// Changes a torrent's options: seeding and speed limits, force start, piece
/// order, category, tags and save path (the last two move its data), and the
/// name it is shown by.
#[utoipa::path(patch, path = "/api/v1/torrents/{infoHash}", tag = "torrents",
    params(InfoHashParam),
    request_body = TorrentPatchJson,
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn update_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
    extract::Json(json): extract::Json<TorrentPatchJson>,
) -> ApiResult<Json<Torrent>> {
    let hash = parse_hash(&info_hash)?;
    let update = TorrentUpdate {
        seed_ratio_limit: json.seed_ratio_limit,
        seed_time_limit: json.seed_time_limit,
        seed_idle_limit: json.seed_idle_limit,
        force_start: json.force_start,
        sequential: json.sequential,
        first_last_pieces_first: json.first_last_pieces_first,
        download_limit: json.download_limit,
        upload_limit: json.upload_limit,
        category: json.category,
        tags: json.tags,
        save_path: json.save_path,
        name: json.name,
    };
    Ok(Json(state.engine.update_torrent(&hash, update).await?))
}

/// Answer of `GET /api/v1/torrents/{infoHash}/pieces`.
#[derive(Debug, serde::Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PiecesView {
    /// Bytes per piece (the last one may be shorter).
    pub piece_length: u32,
    /// Pieces in the torrent.
    pub count: u32,
    /// Base64 of a bitfield with one bit per piece, set when verified; the high bit of
    /// the first byte is piece 0 (BitTorrent's order).
    pub have: String,
}

/// Which pieces the torrent holds (for a pieces bar).
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}/pieces", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = PiecesView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The metadata is not known yet, or the data is being checked", body = ErrorBody)))]
pub async fn pieces(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<PiecesView>> {
    use base64::Engine as _;
    let p = state.engine.pieces(&parse_hash(&info_hash)?)?;
    Ok(Json(PiecesView {
        piece_length: p.piece_length,
        count: p.count,
        have: base64::engine::general_purpose::STANDARD.encode(&p.have),
    }))
}

/// The torrent's .torrent file, announcing to its trackers as they are now, to
/// share it or add it elsewhere (`<name>.torrent`).
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}/torrent", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, description = "The .torrent file", body = inline(Binary), content_type = "application/x-bittorrent"),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The metadata is not known yet", body = ErrorBody)))]
pub async fn torrent_file(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Response> {
    let hash = parse_hash(&info_hash)?;
    let name = state.engine.get(&hash)?.name;
    let bytes = state.engine.torrent_file(&hash)?;
    let file_name = format!("{}.torrent", name.replace('/', "_"));
    Ok((
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/x-bittorrent".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                crate::files::http::content_disposition(&file_name, true),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// Body of `POST /api/v1/torrents/{infoHash}/queue`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueueMoveJson {
    /// Where to move it among the queued or running incomplete torrents.
    #[serde(rename = "move")]
    pub movement: QueueMove,
}

/// Moves a torrent in the queue: to the top or bottom, or one place up or down.
#[utoipa::path(post, path = "/api/v1/torrents/{infoHash}/queue", tag = "torrents",
    params(InfoHashParam),
    request_body = QueueMoveJson,
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The torrent is stopped or complete: it has no place in the queue", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn move_in_queue(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
    extract::Json(json): extract::Json<QueueMoveJson>,
) -> ApiResult<Json<Torrent>> {
    let hash = parse_hash(&info_hash)?;
    Ok(Json(
        state.engine.move_in_queue(&hash, json.movement).await?,
    ))
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

/// Checks all of a torrent's data again (after its files were changed outside): every
/// piece is read, and what is missing or damaged is downloaded again.
#[utoipa::path(post, path = "/api/v1/torrents/{infoHash}/recheck", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Its metadata is not known yet, or its data is moving", body = ErrorBody)))]
pub async fn recheck_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Torrent>> {
    Ok(Json(state.engine.recheck(&parse_hash(&info_hash)?).await?))
}

/// Tells a running torrent's trackers about it again now, and asks them for peers
/// (its connections are restarted to do so). A stopped or queued torrent is left
/// as it is: it announces when it starts.
#[utoipa::path(post, path = "/api/v1/torrents/{infoHash}/reannounce", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Torrent), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reannounce_torrent(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Torrent>> {
    Ok(Json(
        state.engine.reannounce(&parse_hash(&info_hash)?).await?,
    ))
}

/// The peers a torrent is connected to now (none when it is not running). Rates
/// are measured between two calls: the first call shows 0.
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}/peers", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Vec<Peer>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn peers(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Vec<Peer>>> {
    Ok(Json(state.engine.peers(&parse_hash(&info_hash)?)?))
}

/// A torrent's trackers, with the seeders, leechers and finished downloads each
/// counts. Trackers not asked within the last minute are asked now (each for at
/// most 5 seconds), so this may take that long.
#[utoipa::path(get, path = "/api/v1/torrents/{infoHash}/trackers", tag = "torrents",
    params(InfoHashParam),
    responses((status = 200, body = Vec<Tracker>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn trackers(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
) -> ApiResult<Json<Vec<Tracker>>> {
    Ok(Json(state.engine.trackers(&parse_hash(&info_hash)?).await?))
}

/// Replaces a torrent's tracker list (the one of its magnet or .torrent file is
/// no longer used); answers with the new list. A running torrent goes on with its
/// verified data and announces to the new trackers.
#[utoipa::path(put, path = "/api/v1/torrents/{infoHash}/trackers", tag = "torrents",
    params(InfoHashParam),
    request_body = TrackersJson,
    responses((status = 200, body = Vec<Tracker>), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "Its data is moving", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn set_trackers(
    State(state): State<AppState>,
    Path(info_hash): Path<String>,
    extract::Json(json): extract::Json<TrackersJson>,
) -> ApiResult<Json<Vec<Tracker>>> {
    let hash = parse_hash(&info_hash)?;
    Ok(Json(state.engine.set_trackers(&hash, json.urls).await?))
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
