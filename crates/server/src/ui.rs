//! The web UI and the login page: the files of `web/` embedded in the binary (read
//! from disk in debug builds, so editing them needs only a reload), each page under its
//! own Content-Security-Policy. Every URL inside the UI is relative, so it also works
//! behind a reverse proxy under a sub-path.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;

use crate::error::ApiError;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Assets;

/// Scripts, styles and connections only from this origin; no inline script, no framing.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    media-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

/// Policy of the login page: its script and the login call, nothing else.
const LOGIN_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// Serves `/` (the page) and its assets under `/css/`, `/js/` and `/favicon.svg`.
pub async fn asset(req: Request) -> Response {
    let path = req.uri().path().trim_start_matches('/');
    let path = if path.is_empty() { "index.html" } else { path };
    serve(&req, path, CSP)
}

/// `GET /login`: the login form (`web/login.html`, no inline script).
pub async fn login_page(req: Request) -> Response {
    serve(&req, "login.html", LOGIN_CSP)
}

/// `GET /login.js`: the login form's script (`web/js/login.js`).
pub async fn login_script(req: Request) -> Response {
    serve(&req, "js/login.js", LOGIN_CSP)
}

/// The file `path` of `web/` under the policy `csp`, validated by its ETag.
fn serve(req: &Request, path: &str, csp: &str) -> Response {
    let Some(file) = Assets::get(path) else {
        return ApiError::NotFound(format!("no route for GET /{path}")).into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    );
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Body::from(file.data.into_owned()).into_response()
    };
    let mime = if path.ends_with(".js") {
        "text/javascript; charset=utf-8".to_owned()
    } else if path.ends_with(".html") || path.ends_with(".css") {
        format!("{}; charset=utf-8", file.metadata.mimetype())
    } else {
        file.metadata.mimetype().to_owned()
    };
    let headers = response.headers_mut();
    let pairs = [
        (header::CONTENT_TYPE, mime),
        (header::ETAG, etag),
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::CONTENT_SECURITY_POLICY, csp.to_owned()),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        (header::REFERRER_POLICY, "no-referrer".to_owned()),
        (header::X_FRAME_OPTIONS, "DENY".to_owned()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    response
}
