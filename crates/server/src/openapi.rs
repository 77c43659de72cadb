//! The OpenAPI document of the server's API, generated from the handlers' annotations
//! (and, for handlers that take raw requests, from the operations in [`doc`]). A test
//! checks that it lists every route of [`crate::route_table`] but the web UI's files.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::error::ErrorBody;
use crate::search;
use crate::{files, settings, sse, stats};

/// The OpenAPI description of the API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "cloud-torrent API",
        description = "Drive cloud-torrent over HTTP. Errors are `{\"error\": \"...\"}` with a 4xx/5xx status \
            (the old text endpoints under `/api/` answer `400 <message>` as plain text). When a login is \
            configured every route but `/healthz` and `/api/v1/login` needs HTTP Basic or the session cookie."
    ),
    modifiers(&Security),
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
        api::select_files,
        api::delete_torrent,
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
        cloud_torrent_engine::TorrentFile,
        cloud_torrent_engine::TorrentState,
        api::AddTorrentJson,
        api::SelectFilesJson,
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
                "Set by `POST /api/v1/login`; the old text endpoints accept it only from this server's own pages",
            ))),
        );
    }
}

/// Operations of routes whose handlers take raw requests or bodies: documentation only.
#[allow(dead_code)]
mod doc {
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
            (status = 200, description = "The file, or the folder as a zip"),
            (status = 206, description = "A range of it"),
            (status = 304, description = "Not modified"),
            (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
            (status = 416, description = "Range not satisfiable")))]
    pub fn download() {}

    /// This document.
    #[utoipa::path(get, path = "/api/v1/openapi.json", tag = "server",
        responses((status = 200, description = "OpenAPI 3.1", content_type = "application/json")))]
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
        request_body(content = Vec<u8>, description = "The .torrent's bytes", content_type = "application/x-bittorrent"),
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
