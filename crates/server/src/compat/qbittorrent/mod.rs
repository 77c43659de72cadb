//! qBittorrent's Web API v2 under `/api/v2/`, as qBittorrent 5.1.4 (WebAPI 2.11.4)
//! answers it, so that Sonarr, Radarr, Prowlarr, phone apps and `qbittorrent-api`
//! scripts drive cloud-torrent unchanged. The 4.x spellings (`pause`, `resume`, the add
//! field `paused`, the filters `paused`/`resumed`) are accepted too.
//!
//! One handler, [`dispatch`], takes every `/api/v2/{scope}/{action}` call, reads its
//! parameters from the query and the body alike (`params`) and answers as qBittorrent
//! does: text (`Ok.`, `Fails.`, versions), JSON, or 200 with an empty body; errors are
//! text with qBittorrent's status codes ([`Failure`]). Torrents are shown through one
//! mapping (`torrent`); `sync/maindata` sends what changed (`sync`). The login is in
//! `crate::auth` (the `SID` cookie; 403 without it).

mod params;
mod sync;
mod torrent;

use axum::extract::{Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::{
    AddOptions, AddSource, Category, EngineError, InfoHash, QueueMove, Torrent, TorrentSeedLimits,
    TorrentUpdate,
};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::error::ApiError;
use params::{Hashes, Params};
pub use sync::Sync;

/// The qBittorrent version we present.
const VERSION: &str = "v5.1.4";
/// Its Web API version.
const WEBAPI_VERSION: &str = "2.11.4";

/// A call that cannot be answered, as qBittorrent says so: text with its status.
#[derive(Debug)]
pub enum Failure {
    /// 400: a parameter is missing or wrong.
    BadParams(String),
    /// 404: no such torrent or endpoint.
    NotFound,
    /// 409: the call conflicts (an unknown category, queueing off...).
    Conflict(String),
    /// 415: an uploaded file is not a torrent.
    BadData(String),
    /// 500: the server failed.
    Internal(String),
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Self {
        match ApiError::from(e) {
            ApiError::NotFound(_) => Failure::NotFound,
            ApiError::Conflict(m) => Failure::Conflict(m),
            // Such as a call that needs the metadata before it is known.
            e if e.status() == StatusCode::CONFLICT => Failure::Conflict(e.to_string()),
            e if e.status().is_client_error() => Failure::BadParams(e.to_string()),
            e => Failure::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        let (status, text) = match self {
            Failure::BadParams(m) => (StatusCode::BAD_REQUEST, m),
            Failure::NotFound => (StatusCode::NOT_FOUND, "Not Found".to_owned()),
            Failure::Conflict(m) => (StatusCode::CONFLICT, m),
            Failure::BadData(m) => (StatusCode::UNSUPPORTED_MEDIA_TYPE, m),
            Failure::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        text_response(status, text)
    }
}

type Answer = Result<Response, Failure>;

fn text_response(status: StatusCode, text: impl Into<String>) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        text.into(),
    )
        .into_response()
}

fn text(body: impl Into<String>) -> Answer {
    Ok(text_response(StatusCode::OK, body))
}

fn json(value: Value) -> Answer {
    Ok(axum::Json(value).into_response())
}

fn empty() -> Answer {
    Ok(StatusCode::OK.into_response())
}

/// `GET`/`POST /api/v2/{scope}/{action}`.
pub async fn dispatch(
    State(state): State<AppState>,
    Path((scope, action)): Path<(String, String)>,
    req: Request,
) -> Response {
    if !state.config.settings.compat_qbittorrent {
        return Failure::NotFound.into_response();
    }
    let ip = crate::auth::client_ip(&req);
    let headers = req.headers().clone();
    let params = match Params::read(req).await {
        Ok(params) => params,
        Err(failure) => return failure.into_response(),
    };
    let call = Call {
        state: &state,
        params: &params,
    };
    let answer = match (scope.as_str(), action.as_str()) {
        ("auth", "login") => {
            let user = params.get("username").unwrap_or_default();
            let password = params.get("password").unwrap_or_default();
            return state
                .auth
                .qbittorrent_login(ip, &headers, user, password)
                .await;
        }
        ("auth", "logout") => return state.auth.qbittorrent_logout(&headers),
        ("app", "version") => text(VERSION),
        ("app", "webapiVersion") => text(WEBAPI_VERSION),
        ("app", "buildInfo") => json(json!({
            "qt": "6.7.3", "libtorrent": "librqbit", "boost": "", "openssl": "rustls",
            "zlib": "", "bitness": 64, "platform": "linux",
        })),
        ("app", "preferences") => json(call.preferences()),
        ("app", "setPreferences") => call.set_preferences().await,
        ("app", "defaultSavePath") => text(call.default_save_path()),
        ("torrents", "info") => call.info(),
        ("torrents", "count") => text(state.engine.count().to_string()),
        ("torrents", "properties") => call.properties(),
        ("torrents", "files") => call.files(),
        ("torrents", "trackers") => call.trackers().await,
        ("torrents", "addTrackers") => call.add_trackers().await,
        ("torrents", "editTracker") => call.edit_tracker().await,
        ("torrents", "removeTrackers") => call.remove_trackers().await,
        ("torrents", "pieceStates") => call.piece_states(),
        ("torrents", "filePrio") => call.file_priority().await,
        ("torrents", "add") => call.add().await,
        ("torrents", "delete") => call.delete().await,
        ("torrents", "stop" | "pause") => call.stop().await,
        ("torrents", "start" | "resume") => call.start().await,
        ("torrents", "recheck") => call.recheck().await,
        ("torrents", "reannounce") => call.reannounce().await,
        ("torrents", "categories") => json(call.categories()),
        ("torrents", "createCategory") => call.create_category(false).await,
        ("torrents", "editCategory") => call.create_category(true).await,
        ("torrents", "removeCategories") => call.remove_categories().await,
        ("torrents", "setCategory") => call.set_category().await,
        ("torrents", "tags") => json(json!(state.engine.tags())),
        ("torrents", "createTags") => empty(),
        ("torrents", "addTags") => call.change_tags(TagChange::Add).await,
        ("torrents", "removeTags") => call.change_tags(TagChange::Remove).await,
        ("torrents", "setTags") => call.change_tags(TagChange::Set).await,
        ("torrents", "deleteTags") => call.delete_tags().await,
        ("torrents", "setShareLimits") => call.set_share_limits().await,
        ("torrents", "topPrio") => call.queue(QueueMove::Top).await,
        ("torrents", "bottomPrio") => call.queue(QueueMove::Bottom).await,
        ("torrents", "increasePrio") => call.queue(QueueMove::Up).await,
        ("torrents", "decreasePrio") => call.queue(QueueMove::Down).await,
        ("torrents", "setForceStart") => call.set_force_start().await,
        ("torrents", "setUploadLimit") => call.set_speed_limit(false).await,
        ("torrents", "setDownloadLimit") => call.set_speed_limit(true).await,
        ("torrents", "uploadLimit") => call.speed_limits(false),
        ("torrents", "downloadLimit") => call.speed_limits(true),
        ("torrents", "toggleSequentialDownload") => call.toggle(false).await,
        ("torrents", "toggleFirstLastPiecePrio") => call.toggle(true).await,
        ("torrents", "setLocation" | "setSavePath") => call.set_location().await,
        ("torrents", "rename") => call.rename().await,
        ("torrents", "export") => call.export(),
        ("transfer", "info") => json(Value::Object(call.transfer_info())),
        ("transfer", "speedLimitsMode") => text(if state.engine.settings().speed.alt {
            "1"
        } else {
            "0"
        }),
        ("transfer", "toggleSpeedLimitsMode") => call.toggle_alt_speed().await,
        ("transfer", "downloadLimit") => text(state.engine.settings().speed.download.to_string()),
        ("transfer", "uploadLimit") => text(state.engine.settings().speed.upload.to_string()),
        ("transfer", "setDownloadLimit") => call.set_global_speed_limit(true).await,
        ("transfer", "setUploadLimit") => call.set_global_speed_limit(false).await,
        ("sync", "maindata") => {
            let client = crate::auth::qbittorrent_client(&headers);
            let rid = params.number::<u64>("rid").ok().flatten().unwrap_or(0);
            json(state.qbittorrent.maindata(&client, rid, call.snapshot()))
        }
        ("sync", "torrentPeers") => call.torrent_peers(&crate::auth::qbittorrent_client(&headers)),
        _ => Err(Failure::NotFound),
    };
    answer.unwrap_or_else(IntoResponse::into_response)
}

enum TagChange {
    Add,
    Remove,
    Set,
}

/// One call: the server's state and the call's parameters.
struct Call<'a> {
    state: &'a AppState,
    params: &'a Params,
}

/// `-2` (global), `-1` (none) or a value, as qBittorrent writes share limits, read
/// into ours (`None` follows the global value).
fn share_limit<T: PartialOrd + From<i8>>(value: Option<T>) -> Option<T> {
    value.filter(|v| *v != T::from(-2))
}

impl Call<'_> {
    fn torrents(&self, hashes: &Hashes) -> Vec<Torrent> {
        let all = self.state.engine.list();
        match hashes {
            Hashes::All => all,
            Hashes::Some(wanted) => all
                .into_iter()
                .filter(|t| wanted.iter().any(|h| h.to_string() == t.info_hash))
                .collect(),
        }
    }

    /// The torrents `hashes` names (all for `all`; unknown ones skipped).
    fn hashes(&self) -> Result<Vec<InfoHash>, Failure> {
        let hashes = self.params.hashes()?;
        Ok(self
            .torrents(&hashes)
            .iter()
            .filter_map(|t| t.info_hash.parse().ok())
            .collect())
    }

    /// The one torrent `hash` names, with its info hash; 404 when there is none.
    fn one(&self) -> Result<(InfoHash, Torrent), Failure> {
        let hash: InfoHash = self
            .params
            .require("hash")?
            .trim()
            .to_ascii_lowercase()
            .parse()
            .map_err(|_| Failure::NotFound)?;
        let torrent = self
            .state
            .engine
            .get(&hash)
            .map_err(|_| Failure::NotFound)?;
        Ok((hash, torrent))
    }

    fn preferences(&self) -> Value {
        let v = self.state.live.settings.values();
        let minutes = |m: Option<u64>| m.map_or(-1, |m| i64::try_from(m).unwrap_or(i64::MAX));
        let incomplete = v.incomplete_dir.clone().filter(|d| !d.trim().is_empty());
        let action = match v.seed_limit_action.as_str() {
            "remove" => 1,
            "removeWithData" => 3,
            _ => 0,
        };
        json!({
            "save_path": self.default_save_path(),
            "temp_path_enabled": incomplete.is_some(),
            "temp_path": incomplete
                .map(|d| self.state.engine.save_paths().absolute_shown(&d).to_string_lossy().into_owned())
                .unwrap_or_default(),
            "max_ratio_enabled": v.seed_ratio_limit.is_some(),
            "max_ratio": v.seed_ratio_limit.unwrap_or(-1.0),
            "max_seeding_time_enabled": v.seed_time_limit.is_some(),
            "max_seeding_time": minutes(v.seed_time_limit),
            "max_inactive_seeding_time_enabled": v.seed_idle_limit.is_some(),
            "max_inactive_seeding_time": minutes(v.seed_idle_limit),
            "max_ratio_act": action,
            "queueing_enabled": v.queueing,
            "max_active_downloads": v.max_active_downloads,
            "max_active_uploads": v.max_active_seeds,
            "max_active_torrents": v.max_active_torrents,
            "dont_count_slow_torrents": v.slow_torrents_exempt,
            "dht": v.dht,
            "pex": true,
            "lsd": v.dht,
            "upnp": false,
            "listen_port": v.incoming_port,
            "random_port": v.incoming_port == 0,
            "dl_limit": v.download_limit,
            "up_limit": v.upload_limit,
            "alt_dl_limit": v.alt_download_limit,
            "alt_up_limit": v.alt_upload_limit,
            "scheduler_enabled": false,
            "add_stopped_enabled": !v.auto_start,
            "start_paused_enabled": !v.auto_start,
            "torrent_content_layout": "Original",
            "auto_tmm_enabled": false,
            "use_category_paths_in_manual_mode": true,
            "encryption": 0,
            "anonymous_mode": false,
            "max_connec": -1,
            "max_connec_per_torrent": -1,
            "max_uploads": -1,
            "max_uploads_per_torrent": -1,
            "preallocate_all": false,
            "incomplete_files_ext": false,
            "web_ui_port": v.port,
            "web_ui_username": self.state.config.security.credentials.as_ref().map(|c| c.username().to_owned()).unwrap_or_default(),
            "bypass_local_auth": self.state.config.security.credentials.is_none(),
            "bypass_auth_subnet_whitelist_enabled": false,
            "bypass_auth_subnet_whitelist": "",
            "web_ui_csrf_protection_enabled": true,
            "web_ui_host_header_validation_enabled": true,
            "web_ui_session_timeout": 3600,
            "locale": "en",
            "refresh_interval": 1500,
        })
    }

    /// `app/setPreferences`: the keys that map onto our settings change them (through
    /// the same checks as `PATCH /api/v1/config`); the others are ignored.
    async fn set_preferences(&self) -> Answer {
        let raw = self.params.require("json")?;
        let given: Map<String, Value> =
            serde_json::from_str(raw).map_err(|e| Failure::BadParams(format!("json: {e}")))?;
        let mut ours = Map::new();
        let number = |key: &str| given.get(key).and_then(Value::as_f64);
        let enabled = |key: &str| given.get(key).and_then(Value::as_bool);
        let minutes = |on: Option<bool>, value: Option<f64>| match (on, value) {
            (Some(false), _) => Some(Value::Null),
            (_, Some(v)) if v < 0.0 => Some(Value::Null),
            (_, Some(v)) => Some(json!(v.round() as u64)),
            _ => None,
        };
        for (theirs, key) in [
            ("dl_limit", "downloadLimit"),
            ("up_limit", "uploadLimit"),
            ("alt_dl_limit", "altDownloadLimit"),
            ("alt_up_limit", "altUploadLimit"),
            ("max_active_downloads", "maxActiveDownloads"),
            ("max_active_uploads", "maxActiveSeeds"),
            ("max_active_torrents", "maxActiveTorrents"),
        ] {
            if let Some(v) = number(theirs) {
                ours.insert(key.into(), json!(v.max(-1.0).round() as i64).clone());
            }
        }
        for key in [
            "downloadLimit",
            "uploadLimit",
            "altDownloadLimit",
            "altUploadLimit",
        ] {
            if let Some(v) = ours.get_mut(key) {
                *v = json!(v.as_i64().unwrap_or(0).max(0));
            }
        }
        if let Some(on) = enabled("queueing_enabled") {
            ours.insert("queueing".into(), json!(on));
        }
        if let Some(on) = enabled("add_stopped_enabled").or(enabled("start_paused_enabled")) {
            ours.insert("autoStart".into(), json!(!on));
        }
        match (enabled("max_ratio_enabled"), number("max_ratio")) {
            (Some(false), _) => {
                ours.insert("seedRatioLimit".into(), Value::Null);
            }
            (_, Some(r)) if r < 0.0 => {
                ours.insert("seedRatioLimit".into(), Value::Null);
            }
            (_, Some(r)) => {
                ours.insert("seedRatioLimit".into(), json!(r));
            }
            _ => {}
        }
        if let Some(v) = minutes(
            enabled("max_seeding_time_enabled"),
            number("max_seeding_time"),
        ) {
            ours.insert("seedTimeLimit".into(), v);
        }
        if let Some(v) = minutes(
            enabled("max_inactive_seeding_time_enabled"),
            number("max_inactive_seeding_time"),
        ) {
            ours.insert("seedIdleLimit".into(), v);
        }
        if let Some(act) = given.get("max_ratio_act").and_then(Value::as_i64) {
            let name = match act {
                1 => "remove",
                3 => "removeWithData",
                _ => "stop",
            };
            ours.insert("seedLimitAction".into(), json!(name));
        }
        if ours.is_empty() {
            return empty();
        }
        self.patch_settings(ours).await
    }

    /// Changes our settings as `PATCH /api/v1/config` would (the same checks; a
    /// refused value is a 400 saying why).
    async fn patch_settings(&self, change: Map<String, Value>) -> Answer {
        self.state
            .live
            .settings
            .patch(&change)
            .await
            .map_err(|e| Failure::BadParams(e.to_string()))?;
        empty()
    }

    fn default_save_path(&self) -> String {
        self.state
            .engine
            .save_paths()
            .absolute_shown("")
            .to_string_lossy()
            .trim_end_matches('/')
            .to_owned()
    }

    fn info(&self) -> Answer {
        let p = self.params;
        let paths = self.state.engine.save_paths();
        let filter = p.get("filter").unwrap_or("all");
        let wanted = p.get("hashes").map(params::parse_hashes);
        let mut list: Vec<Map<String, Value>> = self
            .state
            .engine
            .list()
            .iter()
            .filter(|t| torrent::passes(t, filter))
            .filter(|t| match p.get("category") {
                None => true,
                Some(c) => t.category.as_deref().unwrap_or("") == c,
            })
            .filter(|t| match p.get("tag") {
                None => true,
                Some("") => t.tags.is_empty(),
                Some(tag) => t.tags.iter().any(|x| x == tag),
            })
            .filter(|t| match &wanted {
                None | Some(Hashes::All) => true,
                Some(Hashes::Some(h)) => h.iter().any(|h| h.to_string() == t.info_hash),
            })
            .map(|t| torrent::info(t, paths))
            .collect();
        if let Some(key) = p.get("sort").filter(|k| !k.is_empty()) {
            if list.first().is_some_and(|t| !t.contains_key(key)) {
                return Err(Failure::BadParams(format!("sort: unknown field {key}")));
            }
            list.sort_by(|a, b| compare(&a[key], &b[key]));
            if p.bool("reverse") == Some(true) {
                list.reverse();
            }
        }
        let len = list.len() as i64;
        let offset = p.number::<i64>("offset")?.unwrap_or(0);
        let start = if offset < 0 {
            (len + offset).max(0)
        } else {
            offset.min(len)
        } as usize;
        let limit = p.number::<i64>("limit")?.filter(|l| *l > 0);
        let end = limit.map_or(list.len(), |l| (start + l as usize).min(list.len()));
        json(Value::Array(
            list.drain(start..end).map(Value::Object).collect(),
        ))
    }

    fn properties(&self) -> Answer {
        let (_, t) = self.one()?;
        json(torrent::properties(&t, self.state.engine.save_paths()))
    }

    fn files(&self) -> Answer {
        let (_, t) = self.one()?;
        json(torrent::files(&t))
    }

    /// `torrents/trackers`: qBittorrent's three pseudo-rows (DHT, PeX, LSD; their
    /// status is not known here), then the torrent's trackers as last scraped.
    async fn trackers(&self) -> Answer {
        let (hash, _) = self.one()?;
        let pseudo = |url: &str| {
            json!({"url": url, "status": 0, "tier": -1, "num_peers": 0, "num_seeds": 0,
                   "num_leeches": 0, "num_downloaded": 0, "msg": ""})
        };
        let mut rows = vec![
            pseudo("** [DHT] **"),
            pseudo("** [PeX] **"),
            pseudo("** [LSD] **"),
        ];
        rows.extend(
            self.state
                .engine
                .trackers(&hash)
                .await?
                .iter()
                .map(torrent::tracker),
        );
        json(Value::Array(rows))
    }

    /// The torrent of `hash` and its tracker URLs.
    fn tracker_list(&self) -> Result<(InfoHash, Vec<String>), Failure> {
        let (hash, _) = self.one()?;
        Ok((hash, self.state.engine.tracker_urls(&hash)?))
    }

    /// `torrents/addTrackers`: `urls`, one per line, after the torrent's own.
    async fn add_trackers(&self) -> Answer {
        let (hash, mut list) = self.tracker_list()?;
        let urls = self.params.require("urls")?;
        list.extend(
            urls.lines()
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .map(str::to_owned),
        );
        self.state.engine.set_trackers(&hash, list).await?;
        empty()
    }

    /// `torrents/editTracker`: `origUrl` becomes `newUrl`, in its place; 409 when
    /// the torrent has no `origUrl` or has `newUrl` already.
    async fn edit_tracker(&self) -> Answer {
        let (hash, mut list) = self.tracker_list()?;
        let from = self.params.require("origUrl")?.trim();
        let to = self.params.require("newUrl")?.trim();
        let Some(at) = list.iter().position(|u| u == from) else {
            return Err(Failure::Conflict(format!(
                "the torrent has no tracker {from}"
            )));
        };
        if list.iter().any(|u| u == to) {
            return Err(Failure::Conflict(format!(
                "the torrent has the tracker {to} already"
            )));
        }
        list[at] = to.to_owned();
        self.state.engine.set_trackers(&hash, list).await?;
        empty()
    }

    /// `torrents/removeTrackers`: the `urls` (`|`-separated) the torrent has; 409
    /// when it has none of them.
    async fn remove_trackers(&self) -> Answer {
        let (hash, list) = self.tracker_list()?;
        let gone: Vec<&str> = self
            .params
            .require("urls")?
            .split('|')
            .map(str::trim)
            .collect();
        let kept: Vec<String> = list
            .iter()
            .filter(|u| !gone.contains(&u.as_str()))
            .cloned()
            .collect();
        if kept.len() == list.len() {
            return Err(Failure::Conflict(
                "the torrent has none of these trackers".into(),
            ));
        }
        self.state.engine.set_trackers(&hash, kept).await?;
        empty()
    }

    fn piece_states(&self) -> Answer {
        let (hash, _) = self.one()?;
        let Ok(pieces) = self.state.engine.pieces(&hash) else {
            return json(json!([]));
        };
        let states: Vec<u8> = (0..pieces.count as usize)
            .map(|i| u8::from(pieces.have[i / 8] & (0x80 >> (i % 8)) != 0) * 2)
            .collect();
        json(json!(states))
    }

    /// `torrents/filePrio`: priority 0 leaves the files `id` (`|`-separated) out of the
    /// download, any other takes them (there are no priorities between files here).
    async fn file_priority(&self) -> Answer {
        let (hash, t) = self.one()?;
        let priority: i64 = self
            .params
            .number("priority")?
            .ok_or_else(|| Failure::BadParams("Missing required parameter: priority".into()))?;
        if ![0, 1, 6, 7].contains(&priority) {
            return Err(Failure::BadParams(format!(
                "priority: {priority} is not 0, 1, 6 or 7"
            )));
        }
        let mut ids = Vec::new();
        for id in self.params.require("id")?.split('|') {
            let id: usize = id
                .trim()
                .parse()
                .map_err(|_| Failure::BadParams(format!("id: {id:?} is not a file index")))?;
            if id >= t.files.len() {
                return Err(Failure::Conflict(format!(
                    "file index {id} is out of range"
                )));
            }
            ids.push(id);
        }
        let selected: Vec<usize> = t
            .files
            .iter()
            .filter(|f| {
                if ids.contains(&f.index) {
                    priority != 0
                } else {
                    f.selected
                }
            })
            .map(|f| f.index)
            .collect();
        self.state.engine.select_files(&hash, selected).await?;
        empty()
    }

    /// `torrents/recheck`: every piece is read again (torrents without metadata are
    /// skipped, as qBittorrent skips them).
    async fn recheck(&self) -> Answer {
        for hash in self.hashes()? {
            match self.state.engine.recheck(&hash).await {
                Ok(_) | Err(EngineError::NotFound(_) | EngineError::MetadataPending) => {}
                Err(e) => return Err(e.into()),
            }
        }
        empty()
    }

    async fn reannounce(&self) -> Answer {
        for hash in self.hashes()? {
            match self.state.engine.reannounce(&hash).await {
                Ok(_) | Err(EngineError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        empty()
    }

    /// `torrents/add`: every URL (one per line: magnet, http(s) .torrent, or a bare info
    /// hash) and every uploaded file. `Ok.` when at least one was added or was there
    /// already; `Fails.` when none was; 415 when an upload is not a torrent.
    async fn add(&self) -> Answer {
        let p = self.params;
        let stopped = p.bool("stopped").or(p.bool("paused"));
        let options = AddOptions {
            paused: stopped,
            files: None,
            seed_limits: TorrentSeedLimits {
                ratio: share_limit(p.number::<f64>("ratioLimit")?),
                seeding_minutes: share_limit(p.number::<i64>("seedingTimeLimit")?),
                idle_minutes: share_limit(p.number::<i64>("inactiveSeedingTimeLimit")?),
            },
            force_start: p.bool("forced").unwrap_or(false),
            sequential: p.bool("sequentialDownload").unwrap_or(false),
            first_last_pieces_first: p.bool("firstLastPiecePrio").unwrap_or(false),
            download_limit: p.number::<i64>("dlLimit")?.unwrap_or(0).max(0) as u64,
            upload_limit: p.number::<i64>("upLimit")?.unwrap_or(0).max(0) as u64,
            category: p
                .get("category")
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
            tags: p.list("tags"),
            save_path: p
                .get("savepath")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
            name: p.get("rename").map(str::to_owned),
        };
        let mut sources: Vec<(String, AddSource)> = Vec::new();
        for line in p.get("urls").unwrap_or_default().lines() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let source = if line.len() == 40 && line.bytes().all(|b| b.is_ascii_hexdigit()) {
                AddSource::Magnet(format!("magnet:?xt=urn:btih:{line}"))
            } else if line.to_ascii_lowercase().starts_with("magnet:") {
                AddSource::Magnet(line.to_owned())
            } else {
                AddSource::Url(line.to_owned())
            };
            sources.push((line.to_owned(), source));
        }
        for (name, bytes) in &p.files {
            sources.push((name.clone(), AddSource::TorrentFile(bytes.clone())));
        }
        if sources.is_empty() {
            return Err(Failure::BadParams("give urls or a torrent file".into()));
        }
        let mut accepted = 0;
        for (name, source) in sources {
            let file = matches!(source, AddSource::TorrentFile(_));
            match self.state.engine.add(source, options.clone()).await {
                Ok(_) => accepted += 1,
                Err(EngineError::InvalidTorrent(_)) if file => {
                    return Err(Failure::BadData(format!(
                        "Error: '{name}' is not a valid torrent file."
                    )));
                }
                Err(e) => tracing::info!("qBittorrent API: cannot add {name:?}: {e}"),
            }
        }
        text(if accepted > 0 { "Ok." } else { "Fails." })
    }

    async fn delete(&self) -> Answer {
        let delete_files = self.params.bool("deleteFiles").unwrap_or(false);
        for hash in self.hashes()? {
            match self.state.engine.delete(&hash, delete_files).await {
                Ok(()) | Err(EngineError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        empty()
    }

    async fn stop(&self) -> Answer {
        for hash in self.hashes()? {
            self.state.engine.stop_torrent(&hash).await?;
        }
        empty()
    }

    async fn start(&self) -> Answer {
        for hash in self.hashes()? {
            self.state.engine.start_torrent(&hash).await?;
        }
        empty()
    }

    fn categories(&self) -> Value {
        let paths = self.state.engine.save_paths();
        Value::Object(
            self.state
                .engine
                .categories()
                .into_iter()
                .map(|c| {
                    let save_path = paths
                        .of_category(&c)
                        .map(|relative| paths.absolute(&relative))
                        .unwrap_or_else(|_| paths.absolute_shown(&c.save_path));
                    let value = json!({
                        "name": c.name,
                        "savePath": save_path.to_string_lossy().trim_end_matches('/'),
                        "download_path": Value::Null,
                    });
                    (c.name, value)
                })
                .collect(),
        )
    }

    /// `createCategory` (`edit` false: 409 when it exists) and `editCategory` (`edit`
    /// true: 409 when it does not).
    async fn create_category(&self, edit: bool) -> Answer {
        let name = self.params.require("category")?.trim().to_owned();
        if name.is_empty() {
            return Err(Failure::BadParams("Category name cannot be empty".into()));
        }
        let existing = self
            .state
            .engine
            .categories()
            .into_iter()
            .find(|c| c.name == name);
        match (&existing, edit) {
            (Some(_), false) => return Err(Failure::Conflict("Category already exists".into())),
            (None, true) => return Err(Failure::Conflict("Category does not exist".into())),
            _ => {}
        }
        let mut category = existing.unwrap_or(Category {
            name,
            save_path: String::new(),
            seed_ratio_limit: None,
            seed_time_limit: None,
            seed_idle_limit: None,
        });
        if let Some(path) = self.params.get("savePath") {
            category.save_path = path.trim().to_owned();
        }
        self.state
            .engine
            .put_category(category)
            .await
            .map_err(|e| Failure::Conflict(e.to_string()))?;
        empty()
    }

    async fn remove_categories(&self) -> Answer {
        let names = self.params.require("categories")?;
        for name in names.lines().map(str::trim).filter(|n| !n.is_empty()) {
            match self.state.engine.delete_category(name).await {
                Ok(()) | Err(EngineError::UnknownCategory(_) | EngineError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        empty()
    }

    async fn set_category(&self) -> Answer {
        let name = self.params.require("category")?.trim().to_owned();
        if !name.is_empty()
            && !self
                .state
                .engine
                .categories()
                .iter()
                .any(|c| c.name == name)
        {
            return Err(Failure::Conflict("Incorrect category name".into()));
        }
        let category = (!name.is_empty()).then_some(name);
        self.update_each(self.torrents(&self.params.hashes()?), |_| TorrentUpdate {
            category: Some(category.clone()),
            ..TorrentUpdate::default()
        })
        .await
    }

    async fn change_tags(&self, change: TagChange) -> Answer {
        let given = self.params.list("tags");
        self.update_each(self.torrents(&self.params.hashes()?), |t| {
            let tags = match change {
                TagChange::Add => t.tags.iter().chain(&given).cloned().collect(),
                TagChange::Remove => without(&t.tags, &given),
                TagChange::Set => given.clone(),
            };
            TorrentUpdate {
                tags: Some(tags),
                ..TorrentUpdate::default()
            }
        })
        .await
    }

    async fn delete_tags(&self) -> Answer {
        let given = self.params.list("tags");
        let tagged = self
            .state
            .engine
            .list()
            .into_iter()
            .filter(|t| t.tags.iter().any(|x| given.contains(x)))
            .collect();
        self.update_each(tagged, |t| TorrentUpdate {
            tags: Some(without(&t.tags, &given)),
            ..TorrentUpdate::default()
        })
        .await
    }

    /// Applies to each torrent the change `change` makes for it (one that is gone by
    /// then is skipped, as qBittorrent skips unknown hashes); 200, empty.
    async fn update_each(
        &self,
        torrents: Vec<Torrent>,
        change: impl Fn(&Torrent) -> TorrentUpdate,
    ) -> Answer {
        for t in &torrents {
            let hash: InfoHash = t.info_hash.parse().map_err(|_| Failure::NotFound)?;
            match self.state.engine.update_torrent(&hash, change(t)).await {
                Ok(_) | Err(EngineError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        empty()
    }

    async fn set_share_limits(&self) -> Answer {
        let p = self.params;
        let ratio = p.number::<f64>("ratioLimit")?.unwrap_or(-2.0);
        let seeding = p.number::<i64>("seedingTimeLimit")?.unwrap_or(-2);
        let idle = p.number::<i64>("inactiveSeedingTimeLimit")?.unwrap_or(-2);
        let update = TorrentUpdate {
            seed_ratio_limit: Some(share_limit(Some(ratio))),
            seed_time_limit: Some(share_limit(Some(seeding))),
            seed_idle_limit: Some(share_limit(Some(idle))),
            ..TorrentUpdate::default()
        };
        self.update_each(self.torrents(&p.hashes()?), |_| update.clone())
            .await
    }

    async fn queue(&self, movement: QueueMove) -> Answer {
        if !self.state.engine.settings().queue.enabled {
            return Err(Failure::Conflict("Torrent queueing must be enabled".into()));
        }
        for hash in self.hashes()? {
            match self.state.engine.move_in_queue(&hash, movement).await {
                Ok(_) | Err(EngineError::NotFound(_) | EngineError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        empty()
    }

    async fn set_force_start(&self) -> Answer {
        let value = self.params.bool("value").unwrap_or(false);
        self.update_each(self.torrents(&self.params.hashes()?), |_| TorrentUpdate {
            force_start: Some(value),
            ..TorrentUpdate::default()
        })
        .await
    }

    async fn set_speed_limit(&self, download: bool) -> Answer {
        let limit = self.params.number::<i64>("limit")?.unwrap_or(0).max(0) as u64;
        let (download_limit, upload_limit) = if download {
            (Some(limit), None)
        } else {
            (None, Some(limit))
        };
        self.update_each(self.torrents(&self.params.hashes()?), |_| TorrentUpdate {
            download_limit,
            upload_limit,
            ..TorrentUpdate::default()
        })
        .await
    }

    /// `torrents/downloadLimit` and `uploadLimit`: each torrent's own limit, by hash
    /// (bytes per second, 0 for none).
    fn speed_limits(&self, download: bool) -> Answer {
        let limits: Map<String, Value> = self
            .torrents(&self.params.hashes()?)
            .into_iter()
            .map(|t| {
                let limit = if download {
                    t.download_limit
                } else {
                    t.upload_limit
                };
                (t.info_hash, json!(limit))
            })
            .collect();
        json(Value::Object(limits))
    }

    /// `transfer/setDownloadLimit` and `setUploadLimit`: the global limit in effect
    /// (the alternative one while it is on, as qBittorrent does); 0 or less is none.
    async fn set_global_speed_limit(&self, download: bool) -> Answer {
        let limit = self.params.number::<i64>("limit")?.unwrap_or(0).max(0);
        let alt = self.state.engine.settings().speed.alt;
        let key = match (download, alt) {
            (true, false) => "downloadLimit",
            (false, false) => "uploadLimit",
            (true, true) => "altDownloadLimit",
            (false, true) => "altUploadLimit",
        };
        let mut change = Map::new();
        change.insert(key.into(), json!(limit));
        self.patch_settings(change).await
    }

    async fn toggle(&self, first_last: bool) -> Answer {
        self.update_each(self.torrents(&self.params.hashes()?), |t| {
            if first_last {
                TorrentUpdate {
                    first_last_pieces_first: Some(!t.first_last_pieces_first),
                    ..TorrentUpdate::default()
                }
            } else {
                TorrentUpdate {
                    sequential: Some(!t.sequential),
                    ..TorrentUpdate::default()
                }
            }
        })
        .await
    }

    async fn set_location(&self) -> Answer {
        let location = self
            .params
            .get("location")
            .or(self.params.get("path"))
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .ok_or_else(|| Failure::BadParams("Save path cannot be empty".into()))?
            .to_owned();
        // A save path the engine refuses is qBittorrent's 409, not a 400.
        self.update_each(self.torrents(&self.params.hashes()?), |_| TorrentUpdate {
            save_path: Some(location.clone()),
            ..TorrentUpdate::default()
        })
        .await
        .map_err(|f| match f {
            Failure::BadParams(m) => Failure::Conflict(m),
            other => other,
        })
    }

    async fn toggle_alt_speed(&self) -> Answer {
        let alt = self.state.engine.settings().speed.alt;
        let mut change = Map::new();
        change.insert("altSpeed".into(), json!(!alt));
        self.patch_settings(change).await
    }

    fn transfer_info(&self) -> Map<String, Value> {
        let totals = self.state.engine.totals();
        let speed = self.state.engine.settings().speed;
        let value = json!({
            "dl_info_speed": totals.download_rate,
            "dl_info_data": totals.downloaded,
            "up_info_speed": totals.upload_rate,
            "up_info_data": totals.uploaded,
            "dl_rate_limit": speed.download,
            "up_rate_limit": speed.upload,
            "dht_nodes": 0,
            "connection_status": "connected",
            "last_external_address_v4": "",
            "last_external_address_v6": "",
        });
        value.as_object().cloned().unwrap_or_default()
    }

    /// `torrents/rename`: the name the torrent `hash` is shown by (its files keep
    /// theirs); an empty one is refused with 409, as qBittorrent does.
    async fn rename(&self) -> Answer {
        let (hash, _) = self.one()?;
        let name = self.params.require("name")?.trim();
        if name.is_empty() {
            return Err(Failure::Conflict("Incorrect torrent name".into()));
        }
        let update = TorrentUpdate {
            name: Some(Some(name.to_owned())),
            ..Default::default()
        };
        self.state.engine.update_torrent(&hash, update).await?;
        empty()
    }

    /// `torrents/export`: the torrent's .torrent file; 409 before its metadata is
    /// known, as qBittorrent answers.
    fn export(&self) -> Answer {
        let (hash, _) = self.one()?;
        let bytes = self.state.engine.torrent_file(&hash)?;
        Ok(([(header::CONTENT_TYPE, "application/x-bittorrent")], bytes).into_response())
    }

    /// `sync/torrentPeers`: the peers of the torrent `hash`, or what changed in them
    /// since the answer `rid`.
    fn torrent_peers(&self, client: &str) -> Answer {
        // Without a hash, as with an unknown one, qBittorrent finds no torrent.
        if self.params.get("hash").is_none() {
            return Err(Failure::NotFound);
        }
        let (hash, t) = self.one()?;
        let peers = self.state.engine.peers(&hash)?;
        let rid = self.params.number::<u64>("rid").ok().flatten().unwrap_or(0);
        let now = sync::Peers {
            hash: t.info_hash,
            peers: peers.iter().map(torrent::peer).collect(),
        };
        json(self.state.qbittorrent.torrent_peers(client, rid, now))
    }

    /// Everything `sync/maindata` describes, now.
    fn snapshot(&self) -> sync::Snapshot {
        let paths = self.state.engine.save_paths();
        let list = self.state.engine.list();
        let (downloaded, uploaded) = list
            .iter()
            .fold((0u64, 0u64), |(d, u), t| (d + t.downloaded, u + t.uploaded));
        let mut server_state = self.transfer_info();
        let settings = self.state.engine.settings();
        for (key, value) in [
            ("alltime_dl", json!(downloaded)),
            ("alltime_ul", json!(uploaded)),
            (
                "global_ratio",
                json!(if downloaded == 0 {
                    "-".to_owned()
                } else {
                    format!("{:.2}", uploaded as f64 / downloaded as f64)
                }),
            ),
            (
                "total_peer_connections",
                json!(list.iter().map(|t| t.peers).sum::<u32>()),
            ),
            ("total_wasted_session", json!(0)),
            ("free_space_on_disk", json!(0)),
            ("queueing", json!(settings.queue.enabled)),
            ("use_alt_speed_limits", json!(settings.speed.alt)),
            ("refresh_interval", json!(1500)),
            ("use_subcategories", json!(true)),
            ("read_cache_hits", json!("0")),
            ("read_cache_overload", json!("0")),
            ("write_cache_overload", json!("0")),
            ("queued_io_jobs", json!(0)),
            ("average_time_queue", json!(0)),
            ("total_queued_size", json!(0)),
            ("total_buffers_size", json!(0)),
        ] {
            server_state.insert(key.into(), value);
        }
        let categories = match self.categories() {
            Value::Object(map) => map,
            _ => Map::new(),
        };
        sync::Snapshot {
            torrents: list
                .iter()
                .map(|t| {
                    let mut info = torrent::info(t, paths);
                    info.remove("hash");
                    (t.info_hash.clone(), info)
                })
                .collect(),
            categories,
            tags: self.state.engine.tags(),
            server_state,
        }
    }
}

/// `tags` without those in `removed`.
fn without(tags: &[String], removed: &[String]) -> Vec<String> {
    tags.iter()
        .filter(|t| !removed.contains(t))
        .cloned()
        .collect()
}

/// Orders JSON values for `sort`: numbers by value, text by text, others equal.
fn compare(a: &Value, b: &Value) -> std::cmp::Ordering {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x
            .as_f64()
            .partial_cmp(&y.as_f64())
            .unwrap_or(std::cmp::Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.cmp(y),
        (Value::Bool(x), Value::Bool(y)) => x.cmp(y),
        _ => std::cmp::Ordering::Equal,
    }
}
