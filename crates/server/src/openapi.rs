//! The OpenAPI document of the server's API, generated from the handlers' annotations
//! (and, for handlers that take raw requests, from the operations in [`doc`]), plus the
//! answers of the guard in front of every route ([`GuardResponses`]). A test checks
//! that it lists every route of [`crate::route_table`] but the web UI's files;
//! `scripts/api-check.sh` checks the running server against it.

use axum::Json;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{ContentBuilder, Ref, RefOr};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::api;
use crate::error::ErrorBody;
use crate::search;
use crate::{automation, categories, files, notices, rss, settings, sse, stats};

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cloud-torrent API",
        description = "Drive cloud-torrent over HTTP. Errors are `{\"error\": \"...\"}` with a 4xx/5xx status \
            (the old text endpoints under `/api/` answer `400 <message>` as plain text). When a login is \
            configured every route but `/healthz` and `/api/v1/login` needs HTTP Basic or the session cookie."
    ),
    modifiers(&Security, &GuardResponses),
    security(("basic" = []), ("session" = [])),
    paths(
        doc::healthz,
        doc::login,
        doc::logout,
        api::list_torrents,
        api::add_torrent,
        api::get_torrent,
        api::start_torrent,
        api::stop_torrent,
        api::recheck_torrent,
        api::reannounce_torrent,
        api::peers,
        api::trackers,
        api::select_files,
        api::set_trackers,
        api::update_torrent,
        api::move_in_queue,
        api::pieces,
        api::torrent_file,
        api::delete_torrent,
        categories::list,
        categories::put,
        categories::delete,
        categories::tags,
        notices::list,
        automation::runs,
        automation::webhooks,
        automation::test_webhook,
        rss::feeds,
        rss::add_feed,
        rss::update_feed,
        rss::delete_feed,
        rss::refresh_feed,
        rss::articles,
        rss::download_article,
        rss::rules,
        rss::rule,
        rss::put_rule,
        rss::delete_rule,
        rss::apply_rule,
        rss::preview,
        files::list_downloads,
        doc::download,
        files::delete,
        files::stream,
        files::playlist,
        sse::events,
        stats::get_stats,
        settings::get_config,
        settings::patch_config,
        search::providers,
        search::search,
        search::item,
        search::add,
        doc::openapi_json,
        doc::legacy_magnet,
        doc::legacy_url,
        doc::legacy_torrent_file,
        doc::legacy_torrent,
        doc::legacy_file,
    ),
    components(schemas(
        cloud_torrent_engine::Torrent,
        TorrentFields,
        cloud_torrent_engine::TorrentFile,
        cloud_torrent_engine::TorrentState,
        cloud_torrent_engine::Peer,
        cloud_torrent_engine::Tracker,
        cloud_torrent_engine::TrackerStatus,
        api::AddTorrentJson,
        api::SelectFilesJson,
        api::TrackersJson,
        api::TorrentPatchJson,
        api::QueueMoveJson,
        api::PiecesView,
        categories::CategoryJson,
        categories::Tag,
        categories::TagList,
        categories::CategoryOrNone,
        categories::CategoryNameText,
        cloud_torrent_engine::Category,
        notices::Notice,
        automation::WebhookTestView,
        cloud_torrent_hooks::ProgramRun,
        cloud_torrent_hooks::WebhookStatus,
        cloud_torrent_hooks::Event,
        cloud_torrent_engine::QueueMove,
        cloud_torrent_engine::SeedLimitAction,
        stats::StatsView,
        settings::ConfigView,
        search::SearchAddJson,
        cloud_torrent_search::ProviderInfo,
        cloud_torrent_search::ProviderKind,
        cloud_torrent_search::ProviderProblem,
        cloud_torrent_search::SearchResponse,
        cloud_torrent_search::SearchResult,
        cloud_torrent_search::ItemLinks,
        crate::auth::LoginJson,
        settings::ConfigPatch,
        AddTorrentForm,
        ErrorBody
    ))
)]
pub struct ApiDoc;

/// The two ways to authenticate: HTTP Basic (scripts) and the login's session cookie.
struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Basic).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "Set by `POST /api/v1/login` (named `__Host-ct_session` when the server speaks TLS); the old text endpoints accept it only from this server's own pages",
            ))),
        );
    }
}

/// The `{infoHash}` of a torrent's routes.
#[derive(IntoParams)]
#[into_params(names("infoHash"), parameter_in = Path)]
pub(crate) struct InfoHashParam(
    /// The torrent's info hash: 40 hexadecimal characters.
    #[param(pattern = "^[0-9a-fA-F]{40}$")]
    #[allow(dead_code)]
    String,
);

/// Raw bytes: a .torrent file sent as the body, or a file sent back.
pub(crate) struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl ToSchema for Binary {}

/// A torrent as `GET /api/v1/torrents` lists it: every field of [`Torrent`], or
/// the ones its `fields` names and `infoHash`.
///
/// [`Torrent`]: cloud_torrent_engine::Torrent
pub(crate) struct TorrentFields;

impl utoipa::PartialSchema for TorrentFields {
    fn schema() -> RefOr<Schema> {
        let mut schema = <cloud_torrent_engine::Torrent as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(object)) = &mut schema {
            object.required = vec!["infoHash".to_owned()];
            object.description = Some(
                "A torrent: every field, or those the list's `fields` names and `infoHash`".into(),
            );
        }
        schema
    }
}

impl ToSchema for TorrentFields {}

/// The `multipart/form-data` form of `POST /api/v1/torrents`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub(crate) struct AddTorrentForm {
    /// The .torrent file.
    #[schema(value_type = String, format = Binary)]
    torrent: Vec<u8>,
    /// `true` or `false` (also `1`/`0`, `on`/`off`): add the torrent stopped.
    paused: Option<String>,
    /// Comma-separated indices of the files to download (default: all).
    files: Option<String>,
    /// This torrent's share ratio limit (-1: none; absent: the global `seedRatioLimit`).
    #[schema(rename = "seedRatioLimit")]
    seed_ratio_limit: Option<f64>,
    /// This torrent's seeding time limit in minutes (-1: none; absent: the global one).
    #[schema(rename = "seedTimeLimit")]
    seed_time_limit: Option<i64>,
    /// This torrent's idle seeding limit in minutes (-1: none; absent: the global one).
    #[schema(rename = "seedIdleLimit")]
    seed_idle_limit: Option<i64>,
    /// `true` or `false` (also `1`/`0`, `on`/`off`): run regardless of seeding limits.
    #[schema(rename = "forceStart")]
    force_start: Option<String>,
    /// `true` or `false`: download the pieces in order.
    sequential: Option<String>,
    /// `true` or `false`: fetch the first and last pieces of the files first.
    #[schema(rename = "firstLastPiecesFirst")]
    first_last_pieces_first: Option<String>,
    /// This torrent's download limit, bytes per second (0: only the global one).
    #[schema(rename = "downloadLimit")]
    download_limit: Option<u64>,
    /// This torrent's upload limit, bytes per second (0: only the global one).
    #[schema(rename = "uploadLimit")]
    upload_limit: Option<u64>,
    /// Its category (created when there is none of that name; "": none).
    #[schema(value_type = Option<crate::categories::CategoryOrNone>)]
    category: Option<String>,
    /// Comma-separated tags.
    #[schema(value_type = Option<crate::categories::TagList>)]
    tags: Option<String>,
    /// Where its content goes: relative to the download folder, or absolute inside `downloadRoot`.
    #[schema(rename = "savePath")]
    save_path: Option<String>,
    /// The name it is shown by (default: its own); its files keep theirs.
    #[schema(max_length = 1024)]
    name: Option<String>,
}

/// Adds the answers of [`crate::auth::guard`], which runs before every route, to each
/// operation it can answer for: 403 (a `Host` that is not allowed, or a change from
/// another site) everywhere; 401 (no valid login), 429 (too many failed logins from
/// this address, even with the right credentials) and 503 (too many password checks at
/// once) where a login is needed; 415 for a
/// change under `/api/v1/` sent as a form or text. The handlers' annotations list only
/// their own answers.
struct GuardResponses;

impl GuardResponses {
    fn error(description: &str) -> Response {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build()
    }

    fn add(operation: &mut Operation, status: &str, description: &str) {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| Self::error(description).into());
    }
}

impl Modify for GuardResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let public = SecurityRequirement::default();
        for (path, item) in openapi.paths.paths.iter_mut() {
            let PathItem {
                get,
                put,
                post,
                delete,
                options,
                head,
                patch,
                trace,
                ..
            } = item;
            let operations = [
                (false, get),
                (true, put),
                (true, post),
                (true, delete),
                (false, options),
                (false, head),
                (true, patch),
                (false, trace),
            ];
            for (changes, operation) in operations {
                let Some(operation) = operation.as_mut() else {
                    continue;
                };
                let needs_login = operation
                    .security
                    .as_ref()
                    .is_none_or(|requirements| !requirements.contains(&public));
                Self::add(
                    operation,
                    "403",
                    "The `Host` is not an allowed name, or a change comes from another site",
                );
                if needs_login {
                    Self::add(operation, "401", "No valid login");
                }
                if needs_login || path == "/api/v1/login" {
                    Self::add(
                        operation,
                        "429",
                        "Too many failed logins from this address; see `Retry-After`",
                    );
                    Self::add(
                        operation,
                        "503",
                        "Too many passwords are being checked right now; see `Retry-After`",
                    );
                }
                if changes && path.starts_with("/api/v1/") {
                    Self::add(
                        operation,
                        "415",
                        "Sent as a form or text: changes take JSON (or a .torrent)",
                    );
                }
            }
        }
    }
}

/// Operations of routes whose handlers take raw requests or bodies: documentation only.
#[allow(dead_code)]
mod doc {
    use super::Binary;
    use crate::auth::LoginJson;
    use crate::error::ErrorBody;

    /// Health check; never needs a login.
    #[utoipa::path(get, path = "/healthz", tag = "server", security(()),
        responses((status = 200, description = "`ok`", body = String, content_type = "text/plain")))]
    pub fn healthz() {}

    /// Logs in: checks the credentials and sets a new session cookie
    /// (`HttpOnly; SameSite=Strict`, `Secure` under TLS), valid 30 days.
    #[utoipa::path(post, path = "/api/v1/login", tag = "auth", security(()),
        request_body = LoginJson,
        responses(
            (status = 204, description = "Logged in; `Set-Cookie` carries the session (no cookie when authentication is off)"),
            (status = 400, body = ErrorBody),
            (status = 401, description = "Wrong user name or password", body = ErrorBody),
            (status = 429, description = "Too many failed logins from this address; see `Retry-After`", body = ErrorBody)))]
    pub fn login() {}

    /// Logs out: ends the session on the server and clears the cookie.
    #[utoipa::path(post, path = "/api/v1/logout", tag = "auth",
        responses((status = 204, description = "The session ended"), (status = 401, body = ErrorBody)))]
    pub fn logout() {}

    /// A file of the download folder, or a folder as a zip (store, zip64 when needed).
    /// `Range`, `If-Range`, `If-None-Match` and `If-Modified-Since` are honoured.
    #[utoipa::path(get, path = "/download/{path}", tag = "files",
        params(
            ("path" = String, Path, description = "File or folder, relative to the download folder"),
            ("download" = Option<String>, Query, description = "Present: `Content-Disposition: attachment`")),
        responses(
            (status = 200, description = "The file (its media type from its name), or the folder as a zip", body = inline(Binary), content_type = "*/*"),
            (status = 206, description = "A range of it", body = inline(Binary), content_type = "*/*"),
            (status = 304, description = "Not modified"),
            (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
            (status = 409, description = "A file a torrent is still downloading (or a folder holding one): \
                its stream URL sends the verified bytes and waits for the rest", body = ErrorBody),
            (status = 416, description = "Range not satisfiable")))]
    pub fn download() {}

    /// This document.
    #[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server",
        responses((status = 200, description = "OpenAPI 3.1", body = Object, content_type = "application/json")))]
    pub fn openapi_json() {}

    /// Cloud Torrent's old endpoint: adds a magnet link.
    #[utoipa::path(post, path = "/api/magnet", tag = "legacy",
        request_body(content = String, description = "A magnet URI", content_type = "text/plain"),
        responses(
            (status = 200, description = "`OK`", body = String, content_type = "text/plain"),
            (status = 400, description = "What was wrong", body = String, content_type = "text/plain"),
            (status = 413, description = "The body is larger than 10 MiB", body = String, content_type = "text/plain")))]
    pub fn legacy_magnet() {}

    /// Cloud Torrent's old endpoint: adds the .torrent at a URL.
    #[utoipa::path(post, path = "/api/url", tag = "legacy",
        request_body(content = String, description = "An http(s) URL of a .torrent", content_type = "text/plain"),
        responses(
            (status = 200, description = "`OK`", body = String, content_type = "text/plain"),
            (status = 400, description = "What was wrong", body = String, content_type = "text/plain"),
            (status = 413, description = "The body is larger than 10 MiB", body = String, content_type = "text/plain")))]
    pub fn legacy_url() {}

    /// Cloud Torrent's old endpoint: adds a .torrent file.
    #[utoipa::path(post, path = "/api/torrentfile", tag = "legacy",
        request_body(content = inline(Binary), description = "The .torrent's bytes", content_type = "application/x-bittorrent"),
        responses(
            (status = 200, description = "`OK`", body = String, content_type = "text/plain"),
            (status = 400, description = "What was wrong", body = String, content_type = "text/plain"),
            (status = 413, description = "The body is larger than 10 MiB", body = String, content_type = "text/plain")))]
    pub fn legacy_torrent_file() {}

    /// Cloud Torrent's old endpoint: `start:<infoHash>`, `stop:<infoHash>` or
    /// `delete:<infoHash>` (keeps the data).
    #[utoipa::path(post, path = "/api/torrent", tag = "legacy",
        request_body(content = String, description = "`start:`, `stop:` or `delete:` and an info hash", content_type = "text/plain"),
        responses(
            (status = 200, description = "`OK`", body = String, content_type = "text/plain"),
            (status = 400, description = "What was wrong", body = String, content_type = "text/plain"),
            (status = 413, description = "The body is larger than 10 MiB", body = String, content_type = "text/plain")))]
    pub fn legacy_torrent() {}

    /// Cloud Torrent's old endpoint: `start:<infoHash>:<path>` or `stop:<infoHash>:<path>`
    /// selects or deselects a file (stopping the last one stops the torrent).
    #[utoipa::path(post, path = "/api/file", tag = "legacy",
        request_body(content = String, description = "`start:` or `stop:`, an info hash and a file's path", content_type = "text/plain"),
        responses(
            (status = 200, description = "`OK`", body = String, content_type = "text/plain"),
            (status = 400, description = "What was wrong", body = String, content_type = "text/plain"),
            (status = 413, description = "The body is larger than 10 MiB", body = String, content_type = "text/plain")))]
    pub fn legacy_file() {}
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Routes of the web UI's pages and files, which are not API.
    const UI_ROUTES: &[&str] = &[
        "/",
        "/index.html",
        "/favicon.svg",
        "/manifest.webmanifest",
        "/icons/{*path}",
        "/css/{*path}",
        "/js/{*path}",
        "/login",
        "/login.js",
    ];

    /// A path with its parameters' names blanked: `/a/{info_hash}` and `/a/{infoHash}`
    /// (and axum's `{*path}`) are the same route.
    fn shape(path: &str) -> String {
        let mut out = String::new();
        let mut in_param = false;
        for c in path.chars() {
            match c {
                '{' => {
                    in_param = true;
                    out.push_str("{}");
                }
                '}' => in_param = false,
                _ if !in_param => out.push(c),
                _ => {}
            }
        }
        out
    }

    fn documented() -> BTreeSet<(String, String)> {
        let doc = ApiDoc::openapi();
        let mut out = BTreeSet::new();
        for (path, item) in &doc.paths.paths {
            let operations = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("OPTIONS", &item.options),
                ("HEAD", &item.head),
                ("PATCH", &item.patch),
                ("TRACE", &item.trace),
            ];
            for (method, operation) in operations {
                if operation.is_some() {
                    out.insert((method.to_owned(), shape(path)));
                }
            }
        }
        out
    }

    #[test]
    fn every_api_route_is_documented_and_nothing_else() {
        let routes: BTreeSet<(String, String)> = crate::route_table()
            .iter()
            .filter(|(_, path)| !UI_ROUTES.contains(path))
            // Other clients' APIs, documented by their own projects (README: Use with...).
            .filter(|(_, path)| {
                !path.starts_with(crate::auth::QBITTORRENT_PREFIX)
                    && !path.starts_with(crate::auth::TRANSMISSION_PREFIX)
            })
            .map(|(method, path)| ((*method).to_owned(), shape(path)))
            .collect();
        let documented = documented();
        let missing: Vec<_> = routes.difference(&documented).collect();
        assert!(
            missing.is_empty(),
            "routes missing from the OpenAPI document: {missing:?}"
        );
        let unknown: Vec<_> = documented.difference(&routes).collect();
        assert!(unknown.is_empty(), "documented but not routed: {unknown:?}");
        assert!(routes.contains(&("POST".to_owned(), "/api/v1/login".to_owned())));
        assert!(routes.contains(&("POST".to_owned(), "/api/v1/logout".to_owned())));
    }

    /// Every error answer is documented with the one error body (the old text endpoints'
    /// own 400s are text), and the guard's answers are listed where it can give them.
    #[test]
    fn error_answers_are_uniform_and_the_guards_are_listed() {
        let json = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
        let paths = json["paths"].as_object().expect("paths");
        for (path, item) in paths {
            let legacy = path.starts_with("/api/") && !path.starts_with("/api/v1/");
            for (method, operation) in item.as_object().expect("a path item") {
                let name = format!("{method} {path}");
                let responses = operation["responses"].as_object().expect("responses");
                let public = operation["security"] == serde_json::json!([{}]);
                assert!(responses.contains_key("403"), "{name}: 403");
                assert_eq!(
                    responses.contains_key("401"),
                    !public || path == "/api/v1/login",
                    "{name}: 401"
                );
                assert_eq!(
                    responses.contains_key("429"),
                    !public || path == "/api/v1/login",
                    "{name}: 429"
                );
                if !public || path == "/api/v1/login" {
                    assert!(responses.contains_key("503"), "{name}: 503");
                }
                let changes = ["put", "post", "delete", "patch"].contains(&method.as_str());
                assert_eq!(
                    responses.contains_key("415"),
                    changes && path.starts_with("/api/v1/"),
                    "{name}: 415"
                );
                for (status, response) in responses {
                    if !status.starts_with(['4', '5']) {
                        continue;
                    }
                    let Some(content) = response.get("content").and_then(|c| c.as_object()) else {
                        assert_eq!(status, "416", "{name}: {status} has no body");
                        continue;
                    };
                    for (media, body) in content {
                        if media == "application/json" {
                            assert_eq!(
                                body["schema"]["$ref"], "#/components/schemas/ErrorBody",
                                "{name}: {status}"
                            );
                        } else {
                            assert!(
                                legacy
                                    && media == "text/plain"
                                    && ["400", "413"].contains(&status.as_str()),
                                "{name}: {status} {media}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_document_serializes_with_its_schemas_and_security() {
        let json = serde_json::to_value(ApiDoc::openapi()).expect("serializes");
        let schemas = &json["components"]["schemas"];
        for name in [
            "Torrent",
            "LoginJson",
            "Listing",
            "SearchResult",
            "ErrorBody",
        ] {
            assert!(schemas[name].is_object(), "schema {name} is missing");
        }
        assert_eq!(
            json["components"]["securitySchemes"]["session"]["name"],
            crate::auth::SESSION_COOKIE
        );
        // The login itself and the health check need no credentials.
        assert_eq!(
            json["paths"]["/api/v1/login"]["post"]["security"],
            serde_json::json!([{}])
        );
        assert_eq!(
            json["paths"]["/healthz"]["get"]["security"],
            serde_json::json!([{}])
        );
        assert!(json["paths"]["/api/v1/login"]["post"]["requestBody"].is_object());
    }
}
