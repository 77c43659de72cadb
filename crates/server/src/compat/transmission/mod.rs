//! Transmission's RPC at `/transmission/rpc`, answered as Transmission 4.0.6 answers
//! its legacy protocol (rpc-version 17), so that Sonarr, Radarr, Prowlarr,
//! `transmission-remote`, `transmission-rpc` and phone apps drive the engine unchanged.
//!
//! The login (HTTP Basic, 401 with `Basic realm="Transmission"`) and the Host/Origin
//! checks happen before, in [`crate::auth::guard`]. Here, in Transmission's order:
//! `Server: Transmission` and `Access-Control-Allow-Origin: *` on every answer; a CORS
//! preflight (`OPTIONS`) answered at once; then the CSRF handshake: any request
//! (a `GET` too, which is how Sonarr connects) without the current
//! `X-Transmission-Session-Id` gets a 409 carrying it; a `POST` with it runs one RPC
//! call and a `GET` with it is a 405. The body is JSON whatever its content type (curl
//! in `transmission-remote` sends it as a form). Errors of a call are HTTP 200 with
//! `result` naming them; `arguments` is always present and `tag` is echoed.
//! `X-Transmission-Rpc-Version` is never sent: it would switch
//! `transmission-remote` 4.1 to the JSON-RPC 2.0 form, which is not spoken here.
//!
//! Submodules: [`args`] reads arguments leniently, [`ids`] selects torrents by `ids`,
//! [`fields`] is the one mapping of a torrent to Transmission's status and fields,
//! [`torrents`] runs the torrent methods, [`session`] the session ones, and
//! [`registry`] keeps what each server needs between calls (the session id, the ids
//! of recently removed torrents).

mod args;
mod fields;
mod ids;
pub mod registry;
mod session;
mod torrents;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::QueueMove;
use serde_json::{Map, Value};

use crate::AppState;
use crate::error::ApiError;
use registry::Registry;

/// The header of the CSRF handshake.
pub const SESSION_ID_HEADER: &str = "x-transmission-session-id";

/// The largest request body read: a base64 .torrent of the largest size accepted.
const MAX_REQUEST_BYTES: usize = cloud_torrent_engine::MAX_TORRENT_BYTES / 3 * 4 + 64 * 1024;

/// What one call answers: its `arguments`, or the text of its `result` when it failed.
type CallResult = Result<Map<String, Value>, String>;

/// `GET`, `POST` and `OPTIONS /transmission/rpc`.
pub async fn rpc(State(state): State<AppState>, req: Request) -> Response {
    if !state.config.settings.compat_transmission {
        return ApiError::NotFound(
            "Transmission's RPC is turned off (compatTransmission)".to_owned(),
        )
        .into_response();
    }
    let registry = state.transmission.clone();
    let mut response = if req.method() == Method::OPTIONS {
        preflight(req.headers())
    } else if !registry.session_id_matches(req.headers()) {
        session_conflict(registry.session_id())
    } else if req.method() == Method::POST {
        match axum::body::to_bytes(req.into_body(), MAX_REQUEST_BYTES).await {
            Ok(body) => run(&state, &registry, &body).await,
            Err(_) => StatusCode::PAYLOAD_TOO_LARGE.into_response(),
        }
    } else {
        StatusCode::METHOD_NOT_ALLOWED.into_response()
    };
    let headers = response.headers_mut();
    headers.insert(header::SERVER, HeaderValue::from_static("Transmission"));
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// The answer to a CORS preflight: the methods, and the headers it asked for.
fn preflight(request: &HeaderMap) -> Response {
    let mut response = StatusCode::OK.into_response();
    let headers = response.headers_mut();
    if let Some(asked) = request.get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    response
}

/// 409 with the current session id, which the client is to send from now on.
fn session_conflict(session_id: &str) -> Response {
    let body = format!(
        "<h1>409: Conflict</h1><p>This request did not carry the current session id.</p>\
         <p>Read the <code>X-Transmission-Session-Id</code> header of this answer, send it \
         with each request, and when an answer is a 409 again, repeat the request with the \
         id that answer carries. This protects against cross-site request forgery.</p>\
         <p><code>X-Transmission-Session-Id: {session_id}</code></p>"
    );
    let mut response = (
        StatusCode::CONFLICT,
        [(header::CONTENT_TYPE, "text/html; charset=ISO-8859-1")],
        body,
    )
        .into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(session_id) {
        headers.insert(SESSION_ID_HEADER, value);
    }
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("X-Transmission-Session-Id"),
    );
    response
}

/// Runs the call in `body` and answers its envelope.
async fn run(state: &AppState, registry: &Registry, body: &Bytes) -> Response {
    let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let tag = request.get("tag").filter(|t| t.is_number()).cloned();
    let empty = Map::new();
    let arguments = request
        .get("arguments")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let outcome = match request.get("method").and_then(Value::as_str) {
        None => Err("no method name".to_owned()),
        Some(method) => call(state, registry, method, arguments).await,
    };
    let (result, arguments) = match outcome {
        Ok(arguments) => ("success".to_owned(), arguments),
        Err(why) => (why, Map::new()),
    };
    let mut envelope = Map::new();
    envelope.insert("arguments".into(), Value::Object(arguments));
    envelope.insert("result".into(), Value::String(result));
    if let Some(tag) = tag {
        envelope.insert("tag".into(), tag);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json; charset=UTF-8")],
        Value::Object(envelope).to_string(),
    )
        .into_response()
}

/// One method with its arguments.
async fn call(
    state: &AppState,
    registry: &Registry,
    method: &str,
    arguments: &Map<String, Value>,
) -> CallResult {
    match method {
        "session-get" => Ok(session::get(state, registry, arguments)),
        "session-set" => session::set(state, arguments).await,
        "session-stats" => Ok(session::stats(state)),
        "session-close" => Ok(Map::new()),
        "free-space" => session::free_space(arguments),
        "port-test" => Ok(session::port_test(state)),
        "blocklist-update" => Ok(session::blocklist_update()),
        "torrent-get" => torrents::get(state, registry, arguments).await,
        "torrent-add" => torrents::add(state, arguments).await,
        "torrent-remove" => torrents::remove(state, registry, arguments).await,
        "torrent-start" => torrents::start(state, arguments, false).await,
        "torrent-start-now" => torrents::start(state, arguments, true).await,
        "torrent-stop" => torrents::stop(state, arguments).await,
        "torrent-verify" => torrents::verify(state, arguments).await,
        "torrent-reannounce" => torrents::reannounce(state, arguments).await,
        "torrent-set" => torrents::set(state, arguments).await,
        "torrent-set-location" => torrents::set_location(state, arguments).await,
        "queue-move-top" => torrents::queue_move(state, arguments, QueueMove::Top).await,
        "queue-move-up" => torrents::queue_move(state, arguments, QueueMove::Up).await,
        "queue-move-down" => torrents::queue_move(state, arguments, QueueMove::Down).await,
        "queue-move-bottom" => torrents::queue_move(state, arguments, QueueMove::Bottom).await,
        _ => Err("method name not recognized".to_owned()),
    }
}
