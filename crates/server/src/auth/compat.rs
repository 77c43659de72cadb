//! Logins of the compatible APIs, as their clients expect them: qBittorrent's session in
//! an `SID` cookie (`POST /api/v2/auth/login` answers `Ok.` or `Fails.`; no session is a
//! 403 `Forbidden`, never a 401) and Transmission's HTTP Basic (no login is a 401 with
//! its `Basic realm="Transmission"` challenge). Both use the server's one login, its
//! session store and its failed-login counter.

use std::net::IpAddr;

use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::credentials::Busy;
use super::rate_limit::{busy, client_key};
use super::session::id_in_cookie;
use super::{Auth, header_str};

/// qBittorrent's session cookie.
pub const QBITTORRENT_COOKIE: &str = "SID";
/// Where qBittorrent's Web API lives.
pub const QBITTORRENT_PREFIX: &str = "/api/v2/";
/// qBittorrent's login, the one path of its API that needs no session.
pub const QBITTORRENT_LOGIN: &str = "/api/v2/auth/login";
/// Where Transmission's RPC lives.
pub const TRANSMISSION_PREFIX: &str = "/transmission/";

/// Which compatible API a path belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dialect {
    /// `/api/v2/...`
    Qbittorrent,
    /// `/transmission/...`
    Transmission,
}

pub(super) fn dialect(path: &str) -> Option<Dialect> {
    if path.starts_with(QBITTORRENT_PREFIX) {
        Some(Dialect::Qbittorrent)
    } else if path.starts_with(TRANSMISSION_PREFIX) || path == "/transmission" {
        Some(Dialect::Transmission)
    } else {
        None
    }
}

fn text(status: StatusCode, body: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=UTF-8")],
        body,
    )
        .into_response()
}

/// The answer to a request of `dialect` without a login.
pub(super) fn refused(dialect: Dialect) -> Response {
    match dialect {
        Dialect::Qbittorrent => text(StatusCode::FORBIDDEN, "Forbidden"),
        Dialect::Transmission => {
            let mut response = text(StatusCode::UNAUTHORIZED, "Unauthorized");
            let headers = response.headers_mut();
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"Transmission\""),
            );
            headers.insert(header::SERVER, HeaderValue::from_static("Transmission"));
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
            response
        }
    }
}

/// qBittorrent's answer when an address failed too often.
pub(super) fn banned() -> Response {
    text(
        StatusCode::FORBIDDEN,
        "Your IP address has been banned after too many failed authentication attempts.",
    )
}

/// The qBittorrent session id in the request's `SID` cookie, if one has the form of an id.
pub(super) fn qbittorrent_session(headers: &HeaderMap) -> Option<String> {
    id_in_cookie(headers, QBITTORRENT_COOKIE)
}

/// The address a request's failed logins count against.
pub(crate) fn client_ip(req: &Request) -> IpAddr {
    client_key(req)
}

impl Auth {
    /// `POST /api/v2/auth/login`: `Ok.` with a new `SID` cookie, or `Fails.` (200 both,
    /// as qBittorrent 5.1 answers); 403 once the address failed too often. Without a
    /// configured login every call is `Ok.`.
    pub(crate) async fn qbittorrent_login(
        &self,
        ip: IpAddr,
        headers: &HeaderMap,
        username: &str,
        password: &str,
    ) -> Response {
        let auth = &self.0;
        let Some(credentials) = auth.config.credentials.clone() else {
            return text(StatusCode::OK, "Ok.");
        };
        if auth.failures.check(ip).is_err() {
            return banned();
        }
        let attempt = match auth.failures.begin(ip) {
            Ok(attempt) => attempt,
            Err(_) => return banned(),
        };
        match auth
            .checks
            .verify(&credentials, username.to_owned(), password.to_owned())
            .await
        {
            Ok(true) => attempt.succeeded(),
            Ok(false) => {
                attempt.failed();
                return text(StatusCode::OK, "Fails.");
            }
            Err(Busy) => return busy(),
        }
        if let Some(old) = qbittorrent_session(headers) {
            auth.sessions.end(&old);
        }
        let id = match auth.sessions.start() {
            Ok(id) => id,
            Err(e) => return e.into_response(),
        };
        let forwarded_tls = header_str(headers, "x-forwarded-proto")
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let secure = if auth.config.tls || forwarded_tls {
            "; Secure"
        } else {
            ""
        };
        let mut response = text(StatusCode::OK, "Ok.");
        if let Ok(cookie) = HeaderValue::from_str(&format!(
            "{QBITTORRENT_COOKIE}={id}; HttpOnly; Path=/; SameSite=Strict{secure}"
        )) {
            response.headers_mut().insert(header::SET_COOKIE, cookie);
        }
        response
    }

    /// `POST /api/v2/auth/logout`: ends the session and clears the cookie; 200, empty.
    pub(crate) fn qbittorrent_logout(&self, headers: &HeaderMap) -> Response {
        if let Some(id) = qbittorrent_session(headers) {
            self.0.sessions.end(&id);
        }
        let mut response = StatusCode::OK.into_response();
        response.headers_mut().insert(
            header::SET_COOKIE,
            HeaderValue::from_static(
                "SID=; HttpOnly; Path=/; SameSite=Strict; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
            ),
        );
        response
    }
}

/// Who is calling qBittorrent's API, for per-client state (`sync/maindata`): a digest of
/// the session cookie (the id itself is never kept), or `""` without one.
pub(crate) fn qbittorrent_client(headers: &HeaderMap) -> String {
    use sha2::Digest;
    qbittorrent_session(headers)
        .map(|id| hex::encode(sha2::Sha256::digest(id.as_bytes())))
        .unwrap_or_default()
}
