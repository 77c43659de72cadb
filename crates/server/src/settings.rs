//! `GET` and `PATCH /api/v1/config`: the settings a user may change from the UI.
//!
//! `title`, `seeding` and `autoStart` apply at once. `downloadDir`, `incomingPort`,
//! `dht` and `upload` are fixed when the BitTorrent session starts: a change is saved
//! to the config file and reported in `pendingRestart` until the server restarts.
//! No change stops a running torrent. Settings that guard the server or could widen
//! what it may read, write or fetch (`allowPrivateUrls`, `auth`, `host`, `port`,
//! `stateDir`, `downloadRoot`, `searchConfig`, TLS files...) are refused here: they are
//! set in the config file or on the command line only. `downloadDir` may only move
//! inside the download root (`downloadRoot`, by default the download folder the
//! server started with), checked both as written and with symlinks resolved.

use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use cloud_torrent_engine::{Engine, EngineConfig, SettingsUpdate};
use serde::{Deserialize, Serialize};
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
    /// The folder `downloadDir` must stay inside. Read-only here.
    pub download_root: String,
    /// Settings that were saved but take effect only after a restart.
    pub pending_restart: Vec<String>,
    /// Settings given by a command-line flag or environment variable: read-only here,
    /// since the next start would undo a change.
    pub command_line: Vec<String>,
}

/// Body of `PATCH /api/v1/config`: the settings to change, each optional. A setting
/// given by a command-line flag or environment variable (see `commandLine`) is refused.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[allow(dead_code)]
pub struct ConfigPatchJson {
    /// Title of the UI: 1 to 100 characters, no control characters. Live.
    #[schema(nullable = false, min_length = 1, max_length = 100)]
    title: Option<String>,
    /// An absolute path inside `downloadRoot`, away from the state folder; created if
    /// missing. Applies after a restart.
    #[schema(nullable = false)]
    download_dir: Option<String>,
    /// Port for incoming peers. Applies after a restart.
    #[schema(nullable = false, minimum = 1, maximum = 65535)]
    incoming_port: Option<u16>,
    /// DHT and local peer discovery. Applies after a restart.
    #[schema(nullable = false)]
    dht: Option<bool>,
    /// Upload at all. Applies after a restart.
    #[schema(nullable = false)]
    upload: Option<bool>,
    /// Keep uploading after completion. Live.
    #[schema(nullable = false)]
    seeding: Option<bool>,
    /// Start new torrents at once. Live.
    #[schema(nullable = false)]
    auto_start: Option<bool>,
    /// Ignored, so that a client may send back what `GET` gave it.
    pending_restart: Option<Value>,
    /// Ignored, as `pendingRestart`.
    command_line: Option<Value>,
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
    /// Canonical folder that `downloadDir` must stay inside.
    root: PathBuf,
    file: Option<PathBuf>,
    /// Keys given by a flag or environment variable (see [`ConfigView::command_line`]).
    command_line: Vec<String>,
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
    /// `command_line` lists the keys given by a flag or environment variable, which
    /// cannot be changed here.
    pub fn new(
        engine: Engine,
        title: String,
        file: Option<PathBuf>,
        command_line: Vec<String>,
    ) -> Self {
        let running = RestartOnly::of(engine.config());
        if let Some(path) = &file
            && let (Some(dir), Some(name)) = (path.parent(), path.file_name())
        {
            // A server killed while saving settings leaves its temporary file behind.
            let dir = if dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                dir
            };
            cloud_torrent_engine::remove_stale_temp_files(dir, name.to_str());
        }
        let config = engine.config();
        let root = config
            .download_root
            .clone()
            .unwrap_or_else(|| config.download_dir.clone());
        // Compare canonical paths, so a symlink cannot smuggle a folder in.
        let root = root.canonicalize().unwrap_or(root);
        Settings {
            inner: Arc::new(Inner {
                root,
                file,
                command_line,
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
            download_root: self.inner.root.display().to_string(),
            pending_restart: pending,
            command_line: self.inner.command_line.clone(),
        }
    }

    fn parse(&self, body: &Map<String, Value>) -> ApiResult<Change> {
        let mut change = Change::default();
        for (key, value) in body {
            if self.inner.command_line.iter().any(|k| k == key) {
                return Err(bad(
                    key,
                    "is set by a command-line flag or environment variable, which would undo a change at the next start; change it there",
                ));
            }
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
                key if FILE_ONLY_KEYS.contains(&key) => {
                    return Err(bad(
                        key,
                        "cannot be changed over the API; set it in the config file or on the command line",
                    ));
                }
                "pendingRestart" | "commandLine" => continue,
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
        if change.download_dir.is_some() {
            // Keep the root where it is at the next start, when the moved folder
            // would otherwise become the default root.
            change.file_entries.push((
                "downloadRoot",
                Value::String(self.inner.root.display().to_string()),
            ));
        }
        Ok(change)
    }

    fn check_download_dir(&self, raw: &str) -> ApiResult<PathBuf> {
        download_dir_inside(&self.inner.root, &self.inner.engine.config().state_dir, raw)
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

/// Checks a `downloadDir` asked for over the API: an absolute path without `.` or
/// `..`, inside `root` (canonical) both as written and with the symlinks of its
/// existing part resolved, away from `state`; then creates it and checks that it is a
/// writable folder. Returns it canonical. Messages never contain server paths.
fn download_dir_inside(root: &Path, state: &Path, raw: &str) -> ApiResult<PathBuf> {
    let key = "downloadDir";
    let path = Path::new(raw.trim());
    if raw.contains('\0') {
        return Err(bad(key, "must not contain a NUL byte"));
    }
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
    let outside = || {
        bad(
            key,
            "must be inside the download root (downloadRoot, by default the download \
             folder the server started with); only the config file or the command line \
             can change the root",
        )
    };
    // As written...
    if !path.starts_with(root) {
        return Err(outside());
    }
    // ...and with symlinks resolved in the part that already exists.
    let existing = path
        .ancestors()
        .find(|p| p.symlink_metadata().is_ok())
        .unwrap_or(root);
    let resolved = existing.canonicalize().map_err(|_| outside())?;
    if !resolved.starts_with(root) {
        return Err(bad(
            key,
            "leads outside the download root through a symbolic link",
        ));
    }
    if state.starts_with(path) || path.starts_with(state) {
        return Err(bad(
            key,
            "must not contain or be inside the state folder (stateDir)",
        ));
    }
    std::fs::create_dir_all(path).map_err(|e| bad(key, &format!("cannot create it: {e}")))?;
    let path = path.canonicalize().map_err(|_| outside())?;
    if !path.starts_with(root) {
        return Err(bad(
            key,
            "leads outside the download root through a symbolic link",
        ));
    }
    if !path.is_dir() {
        return Err(bad(key, "is not a folder"));
    }
    let probe = path.join(format!(".cloud-torrent-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| bad(key, &format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(path)
}

/// Keys of the config file that the API refuses by name: they guard the server, or
/// could make it read, write, run or fetch something new.
const FILE_ONLY_KEYS: [&str; 16] = [
    "allowPrivateUrls",
    "auth",
    "noAuth",
    "allowedHosts",
    "host",
    "port",
    "stateDir",
    "downloadRoot",
    "searchConfig",
    "configPath",
    "incomingHost",
    "log",
    "eventInterval",
    "statsInterval",
    "certPath",
    "keyPath",
];

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
        // toml_edit keeps the user's comments, blank lines and key order.
        let mut doc: toml_edit::DocumentMut =
            existing.parse().map_err(|_| unparsable.to_owned())?;
        for (key, value) in entries {
            let mut new = match value {
                Value::Bool(b) => toml_edit::Value::from(*b),
                Value::Number(n) => toml_edit::Value::from(n.as_i64().unwrap_or_default()),
                Value::String(s) => toml_edit::Value::from(s.as_str()),
                _ => continue,
            };
            match doc.get_mut(key).and_then(|item| item.as_value_mut()) {
                Some(old) => {
                    // A comment after the old value stays after the new one.
                    *new.decor_mut() = old.decor().clone();
                    *old = new;
                }
                None => {
                    doc.insert(key, toml_edit::Item::Value(new));
                }
            }
        }
        doc.to_string()
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

/// Changes settings: a JSON object with some of `title`, `downloadDir` (absolute, inside
/// `downloadRoot`), `incomingPort`, `dht`, `upload`, `seeding`, `autoStart`. All or
/// nothing; saved to the config file. Other config-file keys are refused by name.
#[utoipa::path(patch, path = "/api/v1/config", tag = "config",
    request_body(content = ConfigPatchJson, description = "The settings to change"),
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
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Whatever path the API is given, an accepted download folder is a folder
        /// inside the root, away from the state folder, and nothing is created
        /// outside the root (symlinks to the outside and dangling ones included).
        #[test]
        fn download_dir_never_leaves_the_root(
            start in prop::sample::select(vec!["root", "tmp", "/", "", "state", "root-evil"]),
            parts in prop::collection::vec(
                prop::sample::select(vec![
                    "..", ".", "", "sub", "new", "link", "dangling", "state", "%2e%2e",
                    "file", "x\\..", " ", "root",
                ]),
                0..5,
            ),
        ) {
            let tmp = tempfile::tempdir().unwrap();
            let base = tmp.path().canonicalize().unwrap();
            let root = base.join("root");
            let state = base.join("state");
            let outside = base.join("outside");
            for d in [root.join("sub"), state.clone(), outside.clone()] {
                std::fs::create_dir_all(d).unwrap();
            }
            std::fs::write(root.join("file"), b"x").unwrap();
            std::os::unix::fs::symlink(&outside, root.join("link")).unwrap();
            std::os::unix::fs::symlink(base.join("nowhere"), root.join("dangling")).unwrap();
            std::os::unix::fs::symlink(&state, root.join("state")).unwrap();
            let prefix = match start {
                "root" => root.display().to_string(),
                "tmp" => base.display().to_string(),
                "state" => state.display().to_string(),
                "root-evil" => format!("{}-evil", root.display()),
                other => other.to_owned(),
            };
            let raw = std::iter::once(prefix.as_str())
                .chain(parts.iter().copied())
                .collect::<Vec<_>>()
                .join("/");
            match download_dir_inside(&root, &state, &raw) {
                Ok(dir) => {
                    prop_assert!(dir.starts_with(&root), "{} -> {}", raw, dir.display());
                    prop_assert!(dir.is_dir());
                    prop_assert!(!dir.starts_with(&state));
                }
                Err(e) => {
                    let text = e.to_string();
                    prop_assert!(text.starts_with("downloadDir: "), "{}", text);
                    prop_assert!(!text.contains(base.to_str().unwrap()), "{}", text);
                }
            }
            let leaked: Vec<_> = std::fs::read_dir(&outside).unwrap().collect();
            prop_assert!(leaked.is_empty(), "{} created something outside", raw);
            prop_assert!(!base.join("nowhere").exists(), "{}", raw);
            prop_assert!(!base.join("root-evil").exists(), "{}", raw);
            let in_state: Vec<_> = std::fs::read_dir(&state).unwrap().collect();
            prop_assert!(in_state.is_empty(), "{} created something in the state folder", raw);
        }
    }

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
    fn toml_file_keeps_comments_and_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        let before = "# my server\nport = 8080 # behind nginx\n\n# off while the disk is small\nseeding = true  # for now\ntitle = \"Home\"\n";
        std::fs::write(&path, before).unwrap();
        write_config_file(
            &path,
            &[
                ("seeding", Value::Bool(false)),
                ("autoStart", Value::Bool(true)),
            ],
        )
        .unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert_eq!(
            after,
            "# my server\nport = 8080 # behind nginx\n\n# off while the disk is small\nseeding = false  # for now\ntitle = \"Home\"\nautoStart = true\n"
        );
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
