//! `GET` and `PATCH /api/v1/config`: the settings a user may change from the UI.
//!
//! Which settings the API shows and may change, and when a change applies, comes from
//! [`cloud_torrent_config::SETTINGS`]: `Live` ones apply at once, `Restart` ones are saved
//! to the config file and reported in `pendingRestart` until the server restarts,
//! `ReadOnly` ones are shown only, and the rest (secrets, listeners, files the server
//! reads) are neither. No change stops a running torrent. `downloadDir` may only move
//! inside the download root (`downloadRoot`, by default the download folder the server
//! started with), checked both as written and with symlinks resolved.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use cloud_torrent_config::{Api, ConfigValues, SETTINGS, Setting, setting};
use cloud_torrent_engine::Engine;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract;

/// The configuration as the UI shows it: every setting that is not `Hidden`, by key,
/// plus `pendingRestart` (settings saved but applied only after a restart) and
/// `commandLine` (settings given by a flag or environment variable, read-only here since
/// the next start would undo a change). Never contains secrets.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub struct ConfigView(Map<String, Value>);

/// The schema of one setting's value, described for the API.
fn setting_schema(s: &Setting) -> ObjectBuilder {
    let kind = match ConfigValues::json_type(s.key) {
        Some("boolean") => Type::Boolean,
        Some("integer") => Type::Integer,
        Some("number") => Type::Number,
        Some("array") => Type::Array,
        Some("object") => Type::Object,
        _ => Type::String,
    };
    let when = match s.api {
        Api::Live => "Applies at once.",
        Api::Restart => "Applies after a restart.",
        _ => "Read-only here.",
    };
    let kind = match ConfigValues::nullable(s.key) {
        true => SchemaType::from_iter([kind, Type::Null]),
        false => SchemaType::Type(kind),
    };
    ObjectBuilder::new()
        .schema_type(kind)
        .description(Some(format!("{}. {when}", s.about)))
}

fn string_list(description: &str) -> ArrayBuilder {
    ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .description(Some(description))
}

impl utoipa::PartialSchema for ConfigView {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new();
        for s in SETTINGS.iter().filter(|s| s.api != Api::Hidden) {
            object = object.property(s.key, setting_schema(s)).required(s.key);
        }
        object
            .property(
                "pendingRestart",
                string_list("Settings that were saved but take effect only after a restart."),
            )
            .required("pendingRestart")
            .property(
                "commandLine",
                string_list(
                    "Settings given by a command-line flag or environment variable: read-only here.",
                ),
            )
            .required("commandLine")
            .into()
    }
}

impl utoipa::ToSchema for ConfigView {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ConfigView")
    }
}

/// The body of `PATCH /api/v1/config`: some of the settings the API may change. The
/// keys `pendingRestart` and `commandLine` are ignored, so that a client may send back
/// what `GET` gave it.
pub struct ConfigPatch;

impl utoipa::PartialSchema for ConfigPatch {
    fn schema() -> RefOr<Schema> {
        let mut object = ObjectBuilder::new();
        for s in SETTINGS.iter().filter(|s| s.writable()) {
            object = object.property(s.key, setting_schema(s));
        }
        object
            .property("pendingRestart", string_list("Ignored."))
            .property("commandLine", string_list("Ignored."))
            .into()
    }
}

impl utoipa::ToSchema for ConfigPatch {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ConfigPatch")
    }
}

struct Inner {
    engine: Engine,
    /// Canonical folder that `downloadDir` must stay inside.
    root: PathBuf,
    file: Option<PathBuf>,
    /// Keys given by a flag or environment variable (see [`ConfigView`]).
    command_line: Vec<String>,
    /// The values the server started with.
    running: ConfigValues,
    /// The values as saved: `Live` ones are also in effect.
    saved: Mutex<ConfigValues>,
    /// Serializes PATCHes so two writers never interleave file writes.
    writing: tokio::sync::Mutex<()>,
    /// The saved values after each change, for the tasks that follow them.
    changes: tokio::sync::watch::Sender<ConfigValues>,
}

/// The live configuration. Cheap to clone.
#[derive(Clone)]
pub struct LiveConfig {
    inner: Arc<Inner>,
}

/// A [`LiveConfig`] that does not keep it alive.
pub(crate) struct WeakLiveConfig(std::sync::Weak<Inner>);

impl WeakLiveConfig {
    /// The configuration, while the server lives.
    pub(crate) fn upgrade(&self) -> Option<LiveConfig> {
        self.0.upgrade().map(|inner| LiveConfig { inner })
    }
}

impl LiveConfig {
    /// The configuration of a server started with `values`, whose config file is `file`
    /// (`None`: changes are not saved). `command_line` lists the keys given by a flag or
    /// environment variable, which cannot be changed here.
    pub fn new(
        engine: Engine,
        values: ConfigValues,
        file: Option<PathBuf>,
        command_line: Vec<String>,
    ) -> Self {
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
        let mut running = values;
        running.download_root = Some(root.clone());
        LiveConfig {
            inner: Arc::new(Inner {
                root,
                file,
                command_line,
                saved: Mutex::new(running.clone()),
                changes: tokio::sync::watch::channel(running.clone()).0,
                running,
                engine,
                writing: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// The values as saved, now and after each change.
    pub(crate) fn changes(&self) -> tokio::sync::watch::Receiver<ConfigValues> {
        self.inner.changes.subscribe()
    }

    /// A handle that does not keep the configuration alive (for background tasks).
    pub(crate) fn downgrade(&self) -> WeakLiveConfig {
        WeakLiveConfig(Arc::downgrade(&self.inner))
    }

    /// The values as saved (the `Live` ones are in effect).
    pub fn values(&self) -> ConfigValues {
        self.saved().clone()
    }

    fn saved(&self) -> std::sync::MutexGuard<'_, ConfigValues> {
        self.inner.saved.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The title of the UI.
    pub fn title(&self) -> String {
        self.saved().title.clone()
    }

    /// The configuration as it is now.
    pub fn view(&self) -> ConfigView {
        let saved = self.saved();
        let running = &self.inner.running;
        let mut view = Map::new();
        let mut pending = Vec::new();
        for s in SETTINGS.iter().filter(|s| s.api != Api::Hidden) {
            let value = saved.get_json(s.key).unwrap_or(Value::Null);
            if s.api == Api::Restart && running.get_json(s.key).as_ref() != Some(&value) {
                pending.push(Value::from(s.key));
            }
            view.insert(s.key.to_owned(), value);
        }
        view.insert("pendingRestart".into(), Value::Array(pending));
        view.insert(
            "commandLine".into(),
            self.inner
                .command_line
                .iter()
                .map(|k| Value::from(k.as_str()))
                .collect(),
        );
        ConfigView(view)
    }

    /// Checks every key of a PATCH; returns the new values and the entries to write to
    /// the config file.
    fn parse(
        &self,
        body: &Map<String, Value>,
    ) -> ApiResult<(ConfigValues, Vec<(&'static str, Value)>)> {
        let mut values = self.saved().clone();
        let mut entries = Vec::new();
        for (key, value) in body {
            if key == "pendingRestart" || key == "commandLine" {
                continue;
            }
            let Some(s) = setting(key) else {
                let writable: Vec<&str> = SETTINGS
                    .iter()
                    .filter(|s| s.writable())
                    .map(|s| s.key)
                    .collect();
                return Err(ApiError::BadRequest(format!(
                    "unknown setting {key:?}; settings are {}",
                    writable.join(", ")
                )));
            };
            if !s.writable() {
                return Err(bad(
                    key,
                    "cannot be changed over the API; set it in the config file or on the command line",
                ));
            }
            if self.inner.command_line.iter().any(|k| k == key) {
                return Err(bad(
                    key,
                    "is set by a command-line flag or environment variable, which would undo a change at the next start; change it there",
                ));
            }
            values
                .set_json(key, value)
                .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            if s.key == "incompleteDir"
                && let Some(raw) = values.incomplete_dir.as_deref().filter(|d| !d.is_empty())
            {
                self.inner
                    .engine
                    .save_paths()
                    .parse(raw)
                    .map_err(|why| bad(key, &why))?;
            }
            if s.key == "downloadDir" {
                let state = &self.inner.engine.config().state_dir;
                let raw = values.download_dir.to_string_lossy().into_owned();
                values.download_dir = download_dir_inside(&self.inner.root, state, &raw)?;
                // Keep the root where it is at the next start, when the moved folder
                // would otherwise become the default root.
                entries.push((
                    "downloadRoot",
                    Value::String(self.inner.root.display().to_string()),
                ));
            }
            entries.push((s.key, values.get_json(s.key).unwrap_or(Value::Null)));
        }
        Ok((values, entries))
    }

    /// Validates and applies a PATCH: saved to the config file first, then applied.
    pub async fn patch(&self, body: &Map<String, Value>) -> ApiResult<ConfigView> {
        let _writing = self.inner.writing.lock().await;
        let (values, entries) = self.parse(body)?;
        if let Some(file) = &self.inner.file
            && !entries.is_empty()
        {
            let file = file.clone();
            tokio::task::spawn_blocking(move || write_config_file(&file, &entries))
                .await
                .map_err(|e| ApiError::Internal(format!("cannot save the settings: {e}")))?
                .map_err(ApiError::Internal)?;
        }
        let before = std::mem::replace(&mut *self.saved(), values.clone());
        // Only a change of the engine's live options touches the engine (a title change
        // need not re-run its policy and save its state).
        let live = crate::live_settings(&values);
        if live != crate::live_settings(&before) {
            self.inner.engine.update_settings(live).await;
        }
        self.inner.changes.send_replace(values);
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

fn bad(key: &str, why: &str) -> ApiError {
    ApiError::BadRequest(format!("{key}: {why}"))
}

/// Sets `entries` in the config file, keeping the rest of it (see
/// [`cloud_torrent_config::file::edit`]), and replaces the file atomically.
fn write_config_file(path: &Path, entries: &[(&'static str, Value)]) -> Result<(), String> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read the config file: {}", e.kind())),
    };
    let text = cloud_torrent_config::file::edit(path, &existing, entries).ok_or_else(|| {
        "the config file no longer parses; fix it by hand before changing settings".to_owned()
    })?;
    // The new file keeps the old one's mode (owner-only when new) from its first byte.
    cloud_torrent_engine::write_atomically(path, text.as_bytes())
        .map_err(|e| format!("cannot write the config file: {}", e.kind()))
}

/// The settings that can be changed from the UI.
#[utoipa::path(get, path = "/api/v1/config", tag = "config",
    responses((status = 200, body = ConfigView)))]
pub async fn get_config(State(state): State<AppState>) -> Json<ConfigView> {
    Json(state.live.settings.view())
}

/// Changes settings: a JSON object with some of the settings the API may change
/// (`GET` shows them; `downloadDir` must be absolute and inside `downloadRoot`). All or
/// nothing; saved to the config file. Other settings are refused by name.
#[utoipa::path(patch, path = "/api/v1/config", tag = "config",
    request_body(content = ConfigPatch, description = "The settings to change"),
    responses((status = 200, body = ConfigView), (status = 400, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 500, body = ErrorBody)))]
pub async fn patch_config(
    State(state): State<AppState>,
    extract::Json(value): extract::Json<Value>,
) -> ApiResult<Json<ConfigView>> {
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
}
