//! The login and logout calls (`POST /api/v1/login`, `POST /api/v1/logout`): the login
//! checks the credentials and sets a new session cookie, the logout ends the session.
//! The login page itself is a file of `web/` (served by `crate::ui`).

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::credentials::Busy;
use super::rate_limit::{busy, client_key, too_many};
use super::session::{SESSION_LIFETIME, session_cookie, set_cookie};
use crate::AppState;
use crate::error::ApiError;
use crate::extract::Json;

/// Largest login body read.
const MAX_LOGIN_BODY: usize = 16 * 1024;

/// Body of `POST /api/v1/login`.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginJson {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// `POST /api/v1/login`: checks the credentials and sets a new session cookie.
/// 204 on success (also when authentication is off, without a cookie, once the body
/// is a well-formed login), 400 a malformed body, 401 wrong credentials, 429 too many
/// failures from this address.
pub async fn login(State(state): State<AppState>, req: Request) -> Response {
    let auth = &state.auth.0;
    let credentials = auth.config.credentials.clone();
    let ip = client_key(&req);
    if credentials.is_some()
        && let Err(retry) = auth.failures.check(ip)
    {
        return too_many(retry);
    }
    let headers = req.headers().clone();
    let json = match Json::<LoginJson>::read_at_most(req, MAX_LOGIN_BODY).await {
        Ok(Json(json)) => json,
        Err(e) => return e.into_response(),
    };
    let Some(credentials) = credentials else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let attempt = match auth.failures.begin(ip) {
        Ok(attempt) => attempt,
        Err(retry) => return too_many(retry),
    };
    match auth
        .checks
        .verify(&credentials, json.username, json.password)
        .await
    {
        Ok(true) => attempt.succeeded(),
        Ok(false) => {
            attempt.failed();
            return ApiError::Unauthorized("wrong user name or password".into()).into_response();
        }
        Err(Busy) => return busy(),
    }
    // A new id at every login: an id planted before login is worthless.
    if let Some(old) = session_cookie(&headers, auth.config.tls) {
        auth.sessions.end(&old);
    }
    let id = match auth.sessions.start() {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie(&id, SESSION_LIFETIME.as_secs(), auth.config.tls, &headers),
    );
    response
}

/// `POST /api/v1/logout`: ends the session on the server and clears the cookie. 204.
pub async fn logout(State(state): State<AppState>, req: Request) -> Response {
    let auth = &state.auth.0;
    if let Some(id) = session_cookie(req.headers(), auth.config.tls) {
        auth.sessions.end(&id);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        set_cookie("", 0, auth.config.tls, req.headers()),
    );
    response
}
