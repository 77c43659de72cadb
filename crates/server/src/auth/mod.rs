//! Who may use the server and from where.
//!
//! One middleware, [`guard`], wraps every route (`router()` applies it to the whole
//! router, so a new route is protected without anyone remembering to): it
//!
//! 1. refuses a `Host` that is not this server's (DNS rebinding): IP literals,
//!    `localhost`, this machine's name and the configured `allowedHosts` pass;
//! 2. refuses mutating requests (POST, PUT, PATCH, DELETE) that a browser marks as
//!    cross-site (`Sec-Fetch-Site`) or that carry a foreign `Origin`;
//! 3. refuses the content types an HTML form can send (`text/plain`, form-urlencoded,
//!    multipart except on `POST /api/v1/torrents`) on the JSON API's mutations;
//! 4. when credentials are configured, lets a request through only with valid HTTP
//!    Basic credentials or a session cookie (from `POST /api/v1/login`), except the
//!    public paths [`PUBLIC_PATHS`]; the old text endpoints accept a cookie only with
//!    proof of the same origin; qBittorrent's API (`/api/v2/`) takes its own `SID`
//!    cookie or Basic and answers 403 `Forbidden` without them, Transmission's RPC
//!    takes Basic and answers 401 with its own realm (see `compat`);
//! 5. adds `X-Content-Type-Options`, `Referrer-Policy` and, on HTML without its own
//!    policy, a sandboxing `Content-Security-Policy`.
//!
//! The password is kept only as an argon2 hash; session ids are kept only as SHA-256
//! digests; comparisons are constant-time. Failed logins (form or Basic) are counted
//! per client IP (IPv6 per /64) in a sliding window: past the limit the answer is 429
//! with `Retry-After` until the oldest failure leaves the window.
//!
//! This file holds the settings ([`SecurityConfig`]) and the state shared by the parts
//! ([`Auth`]); `credentials` checks who the user is, `session` keeps the sessions and
//! their cookie, `login` answers the login and logout calls, `guard` is the middleware
//! and `rate_limit` counts failed logins.

mod compat;
mod credentials;
mod guard;
mod login;
mod rate_limit;
mod session;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;

pub use compat::{QBITTORRENT_LOGIN, QBITTORRENT_PREFIX, TRANSMISSION_PREFIX};
pub(crate) use compat::{client_ip, qbittorrent_client};
pub use credentials::{Credentials, GENERATED_AUTH_FILE, load_or_generate};
pub use guard::{PUBLIC_PATHS, guard};
pub use login::{LoginJson, login, logout};
pub use session::SESSION_COOKIE;

/// Authentication and cross-site settings of the server.
#[derive(Debug, Clone)]
pub struct SecurityConfig {
    /// The login; `None` turns authentication off (loopback only, or `--no-auth`).
    pub credentials: Option<Credentials>,
    /// Host names (besides IP addresses, `localhost` and this machine's name) that the
    /// `Host` header may carry, e.g. the name a reverse proxy serves; `*` allows any.
    pub allowed_hosts: Vec<String>,
    /// The server is reached over TLS ([`crate::serve`] sets it when
    /// [`crate::ServerConfig::tls`] is given): the session cookie is `Secure` and only
    /// `https` origins are this server's own.
    pub tls: bool,
    /// Failed logins allowed per client address within `login_window`.
    pub login_failures: usize,
    /// The sliding window of `login_failures`.
    pub login_window: Duration,
    /// Password checks run at once (4 times as many may wait).
    pub password_checks: usize,
}

impl SecurityConfig {
    /// What the settings ask for (`allowedHosts`, `loginFailures`, `passwordChecks`);
    /// no login, plain HTTP.
    pub fn of(settings: &cloud_torrent_config::ConfigValues) -> SecurityConfig {
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        SecurityConfig {
            credentials: None,
            allowed_hosts: settings.allowed_hosts.clone(),
            tls: false,
            login_failures: count(settings.login_failures),
            login_window: Duration::from_secs(60),
            password_checks: count(settings.password_checks),
        }
    }
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig::of(&cloud_torrent_config::ConfigValues::default())
    }
}

/// The authentication state of a running server: its settings, sessions and counters.
#[derive(Clone)]
pub struct Auth(Arc<Inner>);

struct Inner {
    config: SecurityConfig,
    /// The host names and origins that are this server's.
    hosts: guard::OwnHosts,
    /// The live sessions.
    sessions: session::Sessions,
    /// Recent failed logins per client address.
    failures: rate_limit::LoginLimiter,
    /// Basic `Authorization` values already verified.
    basic: credentials::VerifiedBasic,
    /// Where passwords are checked, a few at a time.
    checks: credentials::PasswordChecks,
}

impl Auth {
    /// The state for `config`.
    pub fn new(config: SecurityConfig) -> Auth {
        Auth(Arc::new(Inner {
            hosts: guard::OwnHosts::new(&config),
            sessions: session::Sessions::default(),
            failures: rate_limit::LoginLimiter::new(config.login_failures, config.login_window),
            basic: credentials::VerifiedBasic::new(),
            checks: credentials::PasswordChecks::new(config.password_checks),
            config,
        }))
    }

    /// Whether a login is required.
    pub fn enabled(&self) -> bool {
        self.0.config.credentials.is_some()
    }
}

/// Locks `m`, also after a panic elsewhere: every value behind these locks stays valid.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The value of header `name`, trimmed, if it is text.
fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}
