//! Sessions: the random ids handed out at login (kept only as SHA-256 digests, each
//! valid for [`SESSION_LIFETIME`]) and the session cookie that carries one, read from
//! requests and set on answers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, HeaderValue, header};
use sha2::{Digest, Sha256};

use super::{header_str, lock};
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ct_session";
/// Name of the session cookie when the server speaks TLS itself (and so is served at
/// `/`): browsers keep a `__Host-` cookie only if it is `Secure`, for `/`, and set by
/// this host, so no other site or subdomain can plant or shadow it.
pub const TLS_SESSION_COOKIE: &str = "__Host-ct_session";

/// The session cookie's name on a server that speaks TLS itself (`tls`) or not.
pub(super) fn cookie_name(tls: bool) -> &'static str {
    if tls {
        TLS_SESSION_COOKIE
    } else {
        SESSION_COOKIE
    }
}

/// How long a session lasts after login.
pub(super) const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// Most sessions kept; the oldest is dropped beyond it.
const MAX_SESSIONS: usize = 10_000;

/// Random bytes of a session id (sent as twice as many hex digits).
const SESSION_ID_BYTES: usize = 32;

/// The live sessions: SHA-256 of each id → when it was created.
#[derive(Default)]
pub(super) struct Sessions(Mutex<HashMap<[u8; 32], Instant>>);

impl Sessions {
    /// A new session; its id (hex) is returned, only its digest is kept.
    pub(super) fn start(&self) -> Result<String, ApiError> {
        let mut id = [0u8; SESSION_ID_BYTES];
        getrandom::fill(&mut id)
            .map_err(|_| ApiError::Internal("no random numbers for a session".into()))?;
        let id = hex::encode(id);
        let now = Instant::now();
        let mut sessions = lock(&self.0);
        sessions.retain(|_, created| now.duration_since(*created) < SESSION_LIFETIME);
        while sessions.len() >= MAX_SESSIONS {
            let Some(oldest) = sessions.iter().min_by_key(|(_, c)| **c).map(|(k, _)| *k) else {
                break;
            };
            sessions.remove(&oldest);
        }
        sessions.insert(digest(&id), now);
        Ok(id)
    }

    /// Whether `id` is a live session (an expired one is forgotten).
    pub(super) fn is_valid(&self, id: &str) -> bool {
        let key = digest(id);
        let mut sessions = lock(&self.0);
        match sessions.get(&key) {
            Some(created) if created.elapsed() < SESSION_LIFETIME => true,
            Some(_) => {
                sessions.remove(&key);
                false
            }
            None => false,
        }
    }

    /// Ends session `id`, if it is one.
    pub(super) fn end(&self, id: &str) {
        lock(&self.0).remove(&digest(id));
    }
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The session id in the request's cookies (named as [`cookie_name`] says for `tls`),
/// if one has the form of an id.
pub(super) fn session_cookie(headers: &HeaderMap, tls: bool) -> Option<String> {
    id_in_cookie(headers, cookie_name(tls))
}

/// The value of cookie `name` in the request, if it has the form of a session id.
pub(super) fn id_in_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(cookie, value)| {
            *cookie == name
                && value.len() == 2 * SESSION_ID_BYTES
                && value.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(_, value)| value.to_owned())
}

/// `Set-Cookie` for session `value` lasting `max_age` seconds (`""` and 0 clear it).
/// It is `Secure` when the server speaks TLS (`tls`) or a proxy in front of it does
/// (`X-Forwarded-Proto: https` on the request `headers`).
pub(super) fn set_cookie(value: &str, max_age: u64, tls: bool, headers: &HeaderMap) -> HeaderValue {
    let forwarded_tls =
        header_str(headers, "x-forwarded-proto").is_some_and(|p| p.eq_ignore_ascii_case("https"));
    let secure = if tls || forwarded_tls { "; Secure" } else { "" };
    let name = cookie_name(tls);
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("ct_session=; Max-Age=0"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_start_check_and_end() {
        let sessions = Sessions::default();
        let id = sessions.start().unwrap();
        let other = sessions.start().unwrap();
        assert_ne!(id, other);
        assert!(sessions.is_valid(&id) && sessions.is_valid(&other));
        assert!(!sessions.is_valid(&"0".repeat(64)));
        sessions.end(&id);
        assert!(!sessions.is_valid(&id));
        assert!(sessions.is_valid(&other));
    }

    #[test]
    fn the_cookie_carries_only_well_formed_ids() {
        let id = Sessions::default().start().unwrap();
        let mut headers = HeaderMap::new();
        let cookies = format!("theme=dark; {SESSION_COOKIE}=xyz; {SESSION_COOKIE}={id}");
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookies).unwrap());
        assert_eq!(session_cookie(&headers, false), Some(id.clone()));
        assert_eq!(
            session_cookie(&headers, true),
            None,
            "TLS reads only __Host-"
        );
        let cookies = format!("{TLS_SESSION_COOKIE}={id}");
        headers.insert(header::COOKIE, HeaderValue::from_str(&cookies).unwrap());
        assert_eq!(session_cookie(&headers, true), Some(id));
        headers.insert(header::COOKIE, HeaderValue::from_static("ct_session=abc"));
        assert_eq!(session_cookie(&headers, false), None);
    }

    #[test]
    fn the_cookie_is_secure_under_tls_or_behind_a_tls_proxy() {
        let plain = HeaderMap::new();
        let mut proxied = HeaderMap::new();
        proxied.insert("x-forwarded-proto", HeaderValue::from_static("HTTPS"));
        let cookie = |tls: bool, headers: &HeaderMap| {
            set_cookie("v", 9, tls, headers)
                .to_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(
            cookie(false, &plain),
            "ct_session=v; Path=/; Max-Age=9; HttpOnly; SameSite=Strict"
        );
        assert!(cookie(true, &plain).ends_with("; Secure"));
        assert!(cookie(true, &plain).starts_with("__Host-ct_session=v; Path=/;"));
        assert!(cookie(false, &proxied).ends_with("; Secure"));
    }
}
