//! `GET` and `PATCH /api/v1/config`: the settings a user may change from the UI.
//!
//! `title`, `seeding` and `autoStart` apply at once. `downloadDir`, `incomingPort`,
//! `dht` and `upload` are fixed when the BitTorrent session starts: a change is saved
//! to the config file and reported in `pendingRestart` until the server restarts.
//! No change stops a running torrent. Settings that guard the server
//! (`allowPrivateUrls`, `auth`, `host`, `port`, `stateDir`) are refused here: they are
//! set in the config file or on the command line only.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use cloud_torrent_engine::{Engine, EngineConfig, SettingsUpdate};
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};

/// The configuration as the UI shows it. Never contains secrets.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConfigView {
    /// Title of the UI. Live.
    pub title: String,
    /// Where torrents' files go. Applies after a restart.
    pub download_dir: String,
    /// Port for incoming peers (0 = any free port). Applies after a restart.
    pub incoming_port: u16,
    /// DHT and local peer discovery. Applies after a restart.
    pub dht: bool,
    /// Upload at all. Applies after a restart.
    pub upload: bool,
    /// Keep uploading after completion. Live.
    pub seeding: bool,
    /// Start new torrents at once. Live.
    pub auto_start: bool,
    /// Fetch .torrent URLs from private addresses. Read-only here.
    pub allow_private_urls: bool,
    /// Settings that were saved but take effect only after a restart.
    pub pending_restart: Vec<String>,
}

/// The settings fixed at session start.
#[derive(Debug, Clone, PartialEq)]
struct RestartOnly {
    download_dir: PathBuf,
    incoming_port: u16,
    dht: bool,
    upload: bool,
}

impl RestartOnly {
    fn of(config: &EngineConfig) -> Self {
        RestartOnly {
            download_dir: config.download_dir.clone(),
            incoming_port: config.incoming_port,
            dht: config.dht,
            upload: config.upload,
        }
    }
}

struct Saved {
    title: String,
    restart: RestartOnly,
}

struct Inner {
    engine: Engine,
    file: Option<PathBuf>,
    running: RestartOnly,
    saved: Mutex<Saved>,
    /// Serializes PATCHes so two writers never interleave file writes.
    writing: tokio::sync::Mutex<()>,
}

/// The live configuration. Cheap to clone.
#[derive(Clone)]
pub struct Settings {
    inner: Arc<Inner>,
}

/// A validated PATCH: every field given, already checked.
#[derive(Default)]
struct Change {
    title: Option<String>,
    download_dir: Option<PathBuf>,
    incoming_port: Option<u16>,
    dht: Option<bool>,
    upload: Option<bool>,
    seeding: Option<bool>,
    auto_start: Option<bool>,
    /// `(key, value)` pairs to write to the config file.
    file_entries: Vec<(&'static str, Value)>,
}

impl Settings {
    /// Settings of a server whose config file is `file` (`None`: changes are not saved).
    pub fn new(engine: Engine, title: String, file: Option<PathBuf>) -> Self {
        let running = RestartOnly::of(engine.config());
        Settings {
            inner: Arc::new(Inner {
                file,
                saved: Mutex::new(Saved {
                    title,
                    restart: running.clone(),
                }),
                running,
                engine,
                writing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    fn saved(&self) -> std::sync::MutexGuard<'_, Saved> {
        self.inner.saved.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The title of the UI.
    pub fn title(&self) -> String {
        self.saved().title.clone()
    }

    /// The configuration as it is now.
    pub fn view(&self) -> ConfigView {
        let live = self.inner.engine.settings();
        let saved = self.saved();
        let running = &self.inner.running;
        let restart = &saved.restart;
        let mut pending = Vec::new();
        if restart.download_dir != running.download_dir {
            pending.push("downloadDir".to_owned());
        }
        if restart.incoming_port != running.incoming_port {
            pending.push("incomingPort".to_owned());
        }
        if restart.dht != running.dht {
            pending.push("dht".to_owned());
        }
        if restart.upload != running.upload {
            pending.push("upload".to_owned());
        }
        ConfigView {
            title: saved.title.clone(),
            download_dir: restart.download_dir.display().to_string(),
            incoming_port: restart.incoming_port,
            dht: restart.dht,
            upload: restart.upload,
            seeding: live.seeding,
            auto_start: live.auto_start,
            allow_private_urls: self.inner.engine.config().allow_private_urls,
            pending_restart: pending,
        }
    }

    fn parse(&self, body: &Map<String, Value>) -> ApiResult<Change> {
        let mut change = Change::default();
        for (key, value) in body {
            let entry = match key.as_str() {
                "title" => {
                    let title = string(key, value)?.trim().to_owned();
                    if title.is_empty() || title.chars().count() > 100 {
                        return Err(bad(key, "must be 1 to 100 characters"));
                    }
                    if title.chars().any(char::is_control) {
                        return Err(bad(key, "must not contain control characters"));
                    }
                    change.title = Some(title.clone());
                    Value::String(title)
                }
                "downloadDir" => {
                    let dir = self.check_download_dir(string(key, value)?)?;
                    let text = dir.display().to_string();
                    change.download_dir = Some(dir);
                    Value::String(text)
                }
                "incomingPort" => {
                    let port = value
                        .as_u64()
                        .filter(|p| (1..=65535).contains(p))
                        .ok_or_else(|| bad(key, "must be a whole number from 1 to 65535"))?;
                    change.incoming_port = Some(port as u16);
                    Value::from(port)
                }
                "dht" => flag(key, value, &mut change.dht)?,
                "upload" => flag(key, value, &mut change.upload)?,
                "seeding" => flag(key, value, &mut change.seeding)?,
                "autoStart" => flag(key, value, &mut change.auto_start)?,
                "allowPrivateUrls" | "auth" | "host" | "port" | "stateDir" | "log" => {
                    return Err(bad(
                        key,
                        "cannot be changed over the API; set it in the config file or on the command line",
                    ));
                }
                "pendingRestart" => continue,
                _ => {
                    return Err(ApiError::BadRequest(format!(
                        "unknown setting {key:?}; settings are title, downloadDir, incomingPort, dht, upload, seeding, autoStart"
                    )));
                }
            };
            let key = FILE_KEYS
                .iter()
                .find(|k| **k == key.as_str())
                .copied()
                .unwrap_or("title");
            change.file_entries.push((key, entry));
        }
        Ok(change)
    }

    fn check_download_dir(&self, raw: &str) -> ApiResult<PathBuf> {
        let key = "downloadDir";
        let path = Path::new(raw.trim());
        if !path.is_absolute() {
            return Err(bad(key, "must be an absolute path"));
        }
        if path
            .components()
            .any(|c| matches!(c, Component::ParentDir | Component::CurDir))
        {
            return Err(bad(key, "must not contain . or .. components"));
        }
        if path.parent().is_none() {
            return Err(bad(key, "must not be the root folder"));
        }
        let state = &self.inner.engine.config().state_dir;
        if state.starts_with(path) || path.starts_with(state) {
            return Err(bad(
                key,
                "must not contain or be inside the state folder (stateDir)",
            ));
        }
        std::fs::create_dir_all(path).map_err(|e| bad(key, &format!("cannot create it: {e}")))?;
        let probe = path.join(format!(".cloud-torrent-write-test-{}", std::process::id()));
        std::fs::write(&probe, b"").map_err(|e| bad(key, &format!("not writable: {e}")))?;
        let _ = std::fs::remove_file(&probe);
        Ok(path.to_owned())
    }

    /// Validates and applies a PATCH: saved to the config file first, then applied.
    pub async fn patch(&self, body: &Map<String, Value>) -> ApiResult<ConfigView> {
        let _writing = self.inner.writing.lock().await;
        let change = self.parse(body)?;
        if let Some(file) = &self.inner.file
            && !change.file_entries.is_empty()
        {
            let file = file.clone();
            let entries = change.file_entries.clone();
            tokio::task::spawn_blocking(move || write_config_file(&file, &entries))
                .await
                .map_err(|e| ApiError::Internal(format!("cannot save the settings: {e}")))?
                .map_err(ApiError::Internal)?;
        }
        {
            let mut saved = self.saved();
            if let Some(title) = change.title {
                saved.title = title;
            }
            let restart = &mut saved.restart;
            if let Some(dir) = change.download_dir {
                restart.download_dir = dir;
            }
            if let Some(port) = change.incoming_port {
                restart.incoming_port = port;
            }
            if let Some(dht) = change.dht {
                restart.dht = dht;
            }
            if let Some(upload) = change.upload {
                restart.upload = upload;
            }
        }
        self.inner
            .engine
            .update_settings(SettingsUpdate {
                seeding: change.seeding,
                auto_start: change.auto_start,
            })
            .await;
        Ok(self.view())
    }
}

/// Keys as written to the config file (the same names as in the API).
const FILE_KEYS: [&str; 7] = [
    "title",
    "downloadDir",
    "incomingPort",
    "dht",
    "upload",
    "seeding",
    "autoStart",
];

fn bad(key: &str, why: &str) -> ApiError {
    ApiError::BadRequest(format!("{key}: {why}"))
}

fn string<'a>(key: &str, value: &'a Value) -> ApiResult<&'a str> {
    value.as_str().ok_or_else(|| bad(key, "must be a string"))
}

fn flag(key: &str, value: &Value, slot: &mut Option<bool>) -> ApiResult<Value> {
    let b = value
        .as_bool()
        .ok_or_else(|| bad(key, "must be true or false"))?;
    *slot = Some(b);
    Ok(Value::Bool(b))
}

/// Sets `entries` in the config file (TOML, or JSON when it ends in `.json`), keeping
/// its other keys, and replaces the file atomically. Comments in a TOML file are not kept.
fn write_config_file(path: &Path, entries: &[(&'static str, Value)]) -> Result<(), String> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read the config file: {}", e.kind())),
    };
    let unparsable = "the config file no longer parses; fix it by hand before changing settings";
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let text = if is_json {
        let mut map: Map<String, Value> = if existing.trim().is_empty() {
            Map::new()
        } else {
            serde_json::from_str(&existing).map_err(|_| unparsable.to_owned())?
        };
        for (key, value) in entries {
            map.insert((*key).to_owned(), value.clone());
        }
        serde_json::to_string_pretty(&map).map_err(|e| e.to_string())? + "\n"
    } else {
        let mut table: toml::Table = existing.parse().map_err(|_| unparsable.to_owned())?;
        for (key, value) in entries {
            let value = match value {
                Value::Bool(b) => toml::Value::Boolean(*b),
                Value::Number(n) => toml::Value::Integer(n.as_i64().unwrap_or_default()),
                Value::String(s) => toml::Value::String(s.clone()),
                _ => continue,
            };
            table.insert((*key).to_owned(), value);
        }
        toml::to_string(&table).map_err(|e| e.to_string())?
    };
    let mode = std::fs::metadata(path).ok().map(|m| m.permissions());
    cloud_torrent_engine::write_atomically(path, text.as_bytes())
        .map_err(|e| format!("cannot write the config file: {}", e.kind()))?;
    if let Some(mode) = mode {
        // Keep a config file that holds credentials as private as it was.
        let _ = std::fs::set_permissions(path, mode);
    }
    Ok(())
}

/// The settings that can be changed from the UI.
#[utoipa::path(get, path = "/api/v1/config", tag = "config",
    responses((status = 200, body = ConfigView)))]
pub async fn get_config(State(state): State<AppState>) -> Json<ConfigView> {
    Json(state.live.settings.view())
}

/// Changes settings: a JSON object with some of `title`, `downloadDir`, `incomingPort`,
/// `dht`, `upload`, `seeding`, `autoStart`. All or nothing; saved to the config file.
#[utoipa::path(patch, path = "/api/v1/config", tag = "config",
    request_body(content = Object, description = "The settings to change"),
    responses((status = 200, body = ConfigView), (status = 400, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn patch_config(
    State(state): State<AppState>,
    body: Bytes,
) -> ApiResult<Json<ConfigView>> {
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?;
    let Value::Object(map) = value else {
        return Err(ApiError::BadRequest(
            "the body must be a JSON object of settings".into(),
        ));
    };
    let view = state.live.settings.patch(&map).await?;
    state.live.hub.nudge();
    Ok(Json(view))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_file_keeps_other_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "port = 8080\nauth = \"a:b\"\nseeding = true\n").unwrap();
        write_config_file(
            &path,
            &[
                ("seeding", Value::Bool(false)),
                ("incomingPort", 6000.into()),
            ],
        )
        .unwrap();
        let table: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        assert_eq!(table["port"].as_integer(), Some(8080));
        assert_eq!(table["auth"].as_str(), Some("a:b"));
        assert_eq!(table["seeding"].as_bool(), Some(false));
        assert_eq!(table["incomingPort"].as_integer(), Some(6000));
    }

    #[test]
    fn json_file_and_unparsable_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.json");
        write_config_file(&path, &[("autoStart", Value::Bool(false))]).unwrap();
        let v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(v["autoStart"], false);
        std::fs::write(&path, "{nope").unwrap();
        let err = write_config_file(&path, &[("dht", Value::Bool(false))]).unwrap_err();
        assert!(!err.contains(dir.path().to_str().unwrap()), "{err}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{nope");
    }
}
