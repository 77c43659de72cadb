//! Who may use the server and from where (issue 6).
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
//!    proof of the same origin;
//! 5. adds `X-Content-Type-Options`, `Referrer-Policy` and, on HTML without its own
//!    policy, a sandboxing `Content-Security-Policy`.
//!
//! The password is kept only as an argon2 hash; session ids are kept only as SHA-256
//! digests; comparisons are constant-time. Failed logins (form or Basic) are counted
//! per client IP (IPv6 per /64) in a sliding window: past the limit the answer is 429
//! with `Retry-After` until the oldest failure leaves the window.

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "ct_session";

/// Paths anyone may request: the health check and the login page, its script and endpoint.
pub const PUBLIC_PATHS: &[&str] = &["/healthz", "/login", "/login.js", "/api/v1/login"];

/// Name of the file in the state folder that keeps a generated login.
pub const GENERATED_AUTH_FILE: &str = "auth.json";

/// How long a session lasts after login.
const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// Most sessions kept; the oldest is dropped beyond it.
const MAX_SESSIONS: usize = 10_000;
/// Most client addresses whose failures are remembered.
const MAX_TRACKED_CLIENTS: usize = 100_000;
/// Largest login body read.
const MAX_LOGIN_BODY: usize = 16 * 1024;

/// A user name and the argon2 hash (PHC string) of its password.
#[derive(Clone)]
pub struct Credentials {
    username: String,
    password_hash: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

impl Credentials {
    /// Hashes `password` with argon2 (a fresh random salt); the password itself is not kept.
    pub fn new(username: &str, password: &str) -> anyhow::Result<Credentials> {
        if username.is_empty() || password.is_empty() {
            anyhow::bail!("auth: the user name and the password must not be empty");
        }
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
        let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| anyhow::anyhow!("cannot hash the password: {e}"))?;
        Ok(Credentials {
            username: username.to_owned(),
            password_hash: hash.to_string(),
        })
    }

    /// Credentials from a stored argon2 PHC string (checked to be one).
    pub fn from_hash(username: &str, password_hash: &str) -> anyhow::Result<Credentials> {
        PasswordHash::new(password_hash)
            .map_err(|e| anyhow::anyhow!("not an argon2 password hash: {e}"))?;
        Ok(Credentials {
            username: username.to_owned(),
            password_hash: password_hash.to_owned(),
        })
    }

    /// The user name.
    pub fn username(&self) -> &str {
        &self.username
    }

    /// The argon2 hash of the password (PHC string).
    pub fn password_hash(&self) -> &str {
        &self.password_hash
    }

    /// Whether `username` and `password` match; constant-time, and slow on purpose (argon2).
    pub fn verify(&self, username: &str, password: &str) -> bool {
        // Hash both names so that the comparison does not depend on their lengths.
        let user_ok: bool = Sha256::digest(username.as_bytes())
            .ct_eq(&Sha256::digest(self.username.as_bytes()))
            .into();
        let password_ok = PasswordHash::new(&self.password_hash).is_ok_and(|hash| {
            Argon2::default()
                .verify_password(password.as_bytes(), &hash)
                .is_ok()
        });
        user_ok & password_ok
    }
}

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
}

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            credentials: None,
            allowed_hosts: Vec::new(),
            tls: false,
            login_failures: 5,
            login_window: Duration::from_secs(60),
        }
    }
}

/// What the state folder keeps of a generated login.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredLogin {
    username: String,
    password_hash: String,
}

/// The login kept in `<state_dir>/auth.json`, or a new one: user `admin` and a random
/// password, whose hash is written there. The password is returned only when it was
/// just generated (to be shown once); it is never stored.
pub fn load_or_generate(state_dir: &Path) -> anyhow::Result<(Credentials, Option<String>)> {
    let path = state_dir.join(GENERATED_AUTH_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => {
            let stored: StoredLogin = serde_json::from_slice(&bytes).map_err(|e| {
                anyhow::anyhow!("{GENERATED_AUTH_FILE} in the state folder is invalid ({e}); delete it to generate a new password")
            })?;
            Ok((
                Credentials::from_hash(&stored.username, &stored.password_hash)?,
                None,
            ))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let password = random_password(20)?;
            let credentials = Credentials::new("admin", &password)?;
            let stored = StoredLogin {
                username: credentials.username.clone(),
                password_hash: credentials.password_hash.clone(),
            };
            let tmp = state_dir.join(format!("{GENERATED_AUTH_FILE}.tmp"));
            std::fs::write(&tmp, serde_json::to_vec_pretty(&stored)?)?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o600))?;
            }
            std::fs::rename(&tmp, &path)?;
            Ok((credentials, Some(password)))
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot read {GENERATED_AUTH_FILE} in the state folder: {e}"
        )),
    }
}

fn random_password(len: usize) -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(len);
    while out.len() < len {
        let mut buf = [0u8; 32];
        getrandom::fill(&mut buf).map_err(|e| anyhow::anyhow!("no random numbers: {e}"))?;
        for b in buf {
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - 256 % ALPHABET.len();
            if (b as usize) < limit && out.len() < len {
                out.push(ALPHABET[b as usize % ALPHABET.len()] as char);
            }
        }
    }
    Ok(out)
}

/// The authentication state of a running server: its settings, sessions and counters.
#[derive(Clone)]
pub struct Auth(Arc<Inner>);

struct Inner {
    config: SecurityConfig,
    /// Allowed host names, lower case, besides IP literals and `localhost`.
    host_names: Vec<String>,
    /// SHA-256 of each live session id → when it was created.
    sessions: Mutex<HashMap<[u8; 32], Instant>>,
    /// Recent failed logins per client address.
    failures: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
    /// Keyed digests of Basic `Authorization` values already verified, so that scripts
    /// do not pay argon2 on every request.
    basic_ok: Mutex<VecDeque<[u8; 32]>>,
    /// Random key of those digests.
    cache_key: [u8; 32],
}

impl Auth {
    /// The state for `config`.
    pub fn new(config: SecurityConfig) -> Auth {
        let mut host_names: Vec<String> = config
            .allowed_hosts
            .iter()
            .map(|h| normalize_host(h))
            .filter(|h| !h.is_empty())
            .collect();
        if let Ok(name) = sysinfo::System::host_name() {
            let name = normalize_host(&name);
            if !name.is_empty() {
                host_names.push(format!("{name}.local"));
                host_names.push(name);
            }
        }
        let mut cache_key = [0u8; 32];
        if getrandom::fill(&mut cache_key).is_err() {
            // Without randomness the cache is keyed by the time: still never stored anywhere.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos();
            cache_key = Sha256::digest(t.to_le_bytes()).into();
        }
        Auth(Arc::new(Inner {
            config,
            host_names,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(HashMap::new()),
            basic_ok: Mutex::new(VecDeque::new()),
            cache_key,
        }))
    }

    /// Whether a login is required.
    pub fn enabled(&self) -> bool {
        self.0.config.credentials.is_some()
    }

    fn host_allowed(&self, host: &str) -> bool {
        let name = strip_port(host);
        let name = normalize_host(name);
        if name.is_empty() {
            return false;
        }
        if name.parse::<IpAddr>().is_ok()
            || (name.starts_with('[') && name.ends_with(']'))
                && name[1..name.len() - 1].parse::<Ipv6Addr>().is_ok()
        {
            return true;
        }
        name == "localhost"
            || name.ends_with(".localhost")
            || self.0.host_names.iter().any(|h| h == "*" || *h == name)
    }

    /// Whether `origin` (an `Origin` header) is this server as reached by this request,
    /// whose host (the `Host` header, or the authority of an HTTP/2 request) is
    /// `request_host`. Under TLS only an `https` origin is; otherwise `http` or `https`
    /// (a proxy may terminate TLS).
    fn origin_is_own(&self, origin: &str, request_host: &str) -> bool {
        let Ok(url) = url::Url::parse(origin) else {
            return false;
        };
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => !self.0.config.tls,
            _ => false,
        };
        if !scheme_ok {
            return false;
        }
        let Some(host) = url.host_str() else {
            return false;
        };
        let authority = match url.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        authority.eq_ignore_ascii_case(request_host)
            || strip_port(request_host).eq_ignore_ascii_case(host)
                && url.port().is_none()
                && !request_host.contains(':')
            || self
                .0
                .config
                .allowed_hosts
                .iter()
                .any(|h| normalize_host(h) == normalize_host(host) && h != "*")
    }

    /// Proof that a browser sent this request from our own pages.
    fn same_origin_proven(&self, headers: &HeaderMap, request_host: &str) -> bool {
        let site = header_str(headers, "sec-fetch-site");
        if site.is_some_and(|s| s.eq_ignore_ascii_case("same-origin")) {
            return true;
        }
        header_str(headers, header::ORIGIN.as_str())
            .is_some_and(|origin| self.origin_is_own(origin, request_host))
    }

    /// `Err(retry after)` when `ip` has used up its failed logins.
    fn check_rate(&self, ip: IpAddr) -> Result<(), Duration> {
        let window = self.0.config.login_window;
        let now = Instant::now();
        let mut failures = lock(&self.0.failures);
        let Some(list) = failures.get_mut(&ip) else {
            return Ok(());
        };
        while list
            .front()
            .is_some_and(|t| now.duration_since(*t) >= window)
        {
            list.pop_front();
        }
        if list.len() >= self.0.config.login_failures.max(1) {
            let oldest = list.front().copied().unwrap_or(now);
            let wait = window.saturating_sub(now.duration_since(oldest));
            return Err(wait.max(Duration::from_secs(1)));
        }
        Ok(())
    }

    fn record_failure(&self, ip: IpAddr) {
        let window = self.0.config.login_window;
        let now = Instant::now();
        let mut failures = lock(&self.0.failures);
        if failures.len() >= MAX_TRACKED_CLIENTS {
            failures.retain(|_, list| list.back().is_some_and(|t| now.duration_since(*t) < window));
            if failures.len() >= MAX_TRACKED_CLIENTS {
                failures.clear();
            }
        }
        failures.entry(ip).or_default().push_back(now);
        tracing::warn!("failed login from {ip}");
    }

    fn new_session(&self) -> Result<String, ApiError> {
        let mut id = [0u8; 32];
        getrandom::fill(&mut id)
            .map_err(|_| ApiError::Internal("no random numbers for a session".into()))?;
        let id = hex(&id);
        let now = Instant::now();
        let mut sessions = lock(&self.0.sessions);
        sessions.retain(|_, created| now.duration_since(*created) < SESSION_LIFETIME);
        while sessions.len() >= MAX_SESSIONS {
            let Some(oldest) = sessions.iter().min_by_key(|(_, c)| **c).map(|(k, _)| *k) else {
                break;
            };
            sessions.remove(&oldest);
        }
        sessions.insert(Sha256::digest(id.as_bytes()).into(), now);
        Ok(id)
    }

    fn session_valid(&self, id: &str) -> bool {
        let key: [u8; 32] = Sha256::digest(id.as_bytes()).into();
        let mut sessions = lock(&self.0.sessions);
        match sessions.get(&key) {
            Some(created) if created.elapsed() < SESSION_LIFETIME => true,
            Some(_) => {
                sessions.remove(&key);
                false
            }
            None => false,
        }
    }

    fn end_session(&self, id: &str) {
        let key: [u8; 32] = Sha256::digest(id.as_bytes()).into();
        lock(&self.0.sessions).remove(&key);
    }

    /// Number of live sessions (for tests and diagnostics).
    pub fn session_count(&self) -> usize {
        lock(&self.0.sessions).len()
    }

    fn basic_digest(&self, value: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.0.cache_key);
        h.update(value);
        h.finalize().into()
    }

    /// Checks a Basic `Authorization` value; argon2 runs off the async threads.
    async fn verify_basic(&self, value: &[u8]) -> bool {
        let Some(credentials) = self.0.config.credentials.clone() else {
            return true;
        };
        let digest = self.basic_digest(value);
        let cached = lock(&self.0.basic_ok)
            .iter()
            .fold(false, |found, d| found | bool::from(d.ct_eq(&digest)));
        if cached {
            return true;
        }
        let Some((user, password)) = decode_basic(value) else {
            return false;
        };
        let ok = tokio::task::spawn_blocking(move || credentials.verify(&user, &password))
            .await
            .unwrap_or(false);
        if ok {
            let mut cache = lock(&self.0.basic_ok);
            if cache.len() >= 16 {
                cache.pop_front();
            }
            cache.push_back(digest);
        }
        ok
    }

    fn cookie(&self, value: &str, max_age: u64, headers: &HeaderMap) -> HeaderValue {
        let forwarded_tls = header_str(headers, "x-forwarded-proto")
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        let secure = if self.0.config.tls || forwarded_tls {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{SESSION_COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("ct_session=; Max-Age=0"))
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
}

/// `host:port` → `host`; `[::1]:80` → `[::1]`.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return host.find(']').map_or(host, |end| &host[..=end]);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

fn normalize_host(host: &str) -> String {
    host.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// The address failures are counted for: IPv4 as is, IPv6 by its /64.
fn client_key(req: &Request) -> IpAddr {
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4([0, 0, 0, 0].into()));
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut s = v6.segments();
                s[4..].fill(0);
                IpAddr::V6(Ipv6Addr::from(s))
            }
        },
        v4 => v4,
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| {
            *name == SESSION_COOKIE
                && value.len() == 64
                && value.bytes().all(|b| b.is_ascii_hexdigit())
        })
        .map(|(_, value)| value.to_owned())
}

/// The value after `Basic ` in an `Authorization` header.
fn basic_value(headers: &HeaderMap) -> Option<&[u8]> {
    let value = headers.get(header::AUTHORIZATION)?.as_bytes();
    let (scheme, rest) = value.split_at_checked(6)?;
    scheme
        .eq_ignore_ascii_case(b"basic ")
        .then(|| rest.trim_ascii())
}

/// `base64(user:password)` → (user, password).
fn decode_basic(value: &[u8]) -> Option<(String, String)> {
    let decoded = base64_decode(value)?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

fn base64_decode(input: &[u8]) -> Option<Vec<u8>> {
    fn value(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let input = input
        .strip_suffix(b"==")
        .or_else(|| input.strip_suffix(b"="))
        .unwrap_or(input);
    if input.len() % 4 == 1 || input.len() > 8192 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    for chunk in input.chunks(4) {
        let mut acc = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            acc |= value(c)? << (18 - 6 * i);
        }
        let bytes = acc.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

fn is_mutating(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

fn too_many(retry: Duration) -> Response {
    let secs = retry.as_secs_f64().ceil() as u64;
    ApiError::TooManyRequests {
        message: format!("too many failed logins; try again in {secs} s"),
        retry_after_secs: secs,
    }
    .into_response()
}

fn unauthorized(req: &Request) -> Response {
    let path = req.uri().path();
    let navigation = header_str(req.headers(), "sec-fetch-mode") == Some("navigate");
    if (req.method() == Method::GET || req.method() == Method::HEAD)
        && (path == "/" || path == "/index.html" || navigation && !path.starts_with("/api/"))
    {
        // A person opening the UI: send them to the login page (relative, for sub-paths).
        let target = if path == "/" || path == "/index.html" {
            "login".to_owned()
        } else {
            "/login".to_owned()
        };
        let mut response = StatusCode::SEE_OTHER.into_response();
        if let Ok(v) = HeaderValue::from_str(&target) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        return response;
    }
    let mut response =
        ApiError::Unauthorized("log in first (POST /api/v1/login) or use HTTP Basic".into())
            .into_response();
    // Browsers (which send Sec-Fetch-*) use the login page, not the Basic dialog.
    if !req.headers().contains_key("sec-fetch-mode") {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"cloud-torrent\", charset=\"UTF-8\""),
        );
    }
    response
}

/// The middleware described in the module documentation.
pub async fn guard(State(auth): State<Auth>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let path = req.uri().path().to_owned();
    // HTTP/2 carries the host in the `:authority` pseudo-header, i.e. in the URI.
    let host = header_str(headers, header::HOST.as_str())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
    let request_host = host.clone().unwrap_or_default();
    if let Some(host) = &host
        && !auth.host_allowed(host)
    {
        let name = strip_port(host).chars().take(100).collect::<String>();
        return ApiError::Forbidden(format!(
            "host {name:?} is not allowed; add it to allowedHosts if this server is reached by that name"
        ))
        .into_response();
    }
    let mutating = is_mutating(req.method());
    if mutating {
        if let Some(site) = header_str(headers, "sec-fetch-site")
            && (site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site"))
        {
            return ApiError::Forbidden("cross-site requests are refused".into()).into_response();
        }
        if let Some(origin) = header_str(headers, header::ORIGIN.as_str())
            && !auth.origin_is_own(origin, &request_host)
        {
            return ApiError::Forbidden(
                "requests from another origin are refused (Origin does not match Host)".into(),
            )
            .into_response();
        }
        if path.starts_with("/api/v1/")
            && let Some(ctype) = header_str(headers, header::CONTENT_TYPE.as_str())
        {
            let essence = ctype
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            let form_type = matches!(
                essence.as_str(),
                "text/plain" | "application/x-www-form-urlencoded"
            ) || essence == "multipart/form-data" && path != "/api/v1/torrents";
            if form_type {
                return ApiError::UnsupportedMediaType(format!(
                    "Content-Type {essence} is not accepted here; send application/json"
                ))
                .into_response();
            }
        }
    }
    let public = PUBLIC_PATHS.contains(&path.as_str());
    if public || !auth.enabled() {
        return with_security_headers(next.run(req).await);
    }
    if let Some(value) = basic_value(req.headers()) {
        let ip = client_key(&req);
        if let Err(retry) = auth.check_rate(ip) {
            return too_many(retry);
        }
        let value = value.to_vec();
        if auth.verify_basic(&value).await {
            return with_security_headers(next.run(req).await);
        }
        auth.record_failure(ip);
        return ApiError::Unauthorized("wrong user name or password".into()).into_response();
    }
    if let Some(id) = session_cookie(req.headers())
        && auth.session_valid(&id)
    {
        let legacy = path.starts_with("/api/") && !path.starts_with("/api/v1/");
        if legacy && mutating && !auth.same_origin_proven(req.headers(), &request_host) {
            return ApiError::Forbidden(
                "the old text endpoints accept a session cookie only from this server's own pages; scripts should use HTTP Basic".into(),
            )
            .into_response();
        }
        return with_security_headers(next.run(req).await);
    }
    unauthorized(&req)
}

/// Adds the headers every answer should carry, unless the handler chose its own.
fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers
        .entry(header::X_CONTENT_TYPE_OPTIONS)
        .or_insert(HeaderValue::from_static("nosniff"));
    headers
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("text/html"));
    if html && !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        // HTML we did not write (e.g. a downloaded file): no script, no framing.
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'; sandbox"),
        );
    }
    response
}

/// Policy of the login page: its script and the login call, nothing else.
const LOGIN_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
    form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const LOGIN_HTML: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in · cloud-torrent</title>
<script type="module" src="login.js"></script>
</head>
<body>
<main>
<h1>cloud-torrent</h1>
<form id="login" method="post" action="api/v1/login">
<p><label>User name <input name="username" autocomplete="username" required autofocus></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Log in</button></p>
<p id="error" role="alert"></p>
</form>
</main>
</body>
</html>
"#;

const LOGIN_JS: &str = r#"// Sends the login form as JSON, then opens the UI.
const form = document.getElementById('login');
const error = document.getElementById('error');
form.addEventListener('submit', async (event) => {
  event.preventDefault();
  error.textContent = '';
  const data = new FormData(form);
  try {
    const res = await fetch('api/v1/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: data.get('username'), password: data.get('password') }),
    });
    if (res.ok) {
      window.location.href = './';
      return;
    }
    let message = `${res.status} ${res.statusText}`;
    try {
      const json = await res.json();
      if (json && typeof json.error === 'string') message = json.error;
    } catch { /* not JSON */ }
    error.textContent = message;
  } catch {
    error.textContent = 'The server cannot be reached.';
  }
});
"#;

fn static_page(body: &'static str, content_type: &'static str) -> Response {
    let mut response = Body::from(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(LOGIN_CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// `GET /login`: the login form (no inline script).
pub async fn login_page() -> Response {
    static_page(LOGIN_HTML, "text/html; charset=utf-8")
}

/// `GET /login.js`: the login form's script.
pub async fn login_js() -> Response {
    static_page(LOGIN_JS, "text/javascript; charset=utf-8")
}

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
    let auth = state.auth.clone();
    let credentials = auth.0.config.credentials.clone();
    let ip = client_key(&req);
    if credentials.is_some()
        && let Err(retry) = auth.check_rate(ip)
    {
        return too_many(retry);
    }
    let headers = req.headers().clone();
    let body = match axum::body::to_bytes(req.into_body(), MAX_LOGIN_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::BadRequest("the login body is too large or unreadable".into())
                .into_response();
        }
    };
    let json: LoginJson = match serde_json::from_slice(&body) {
        Ok(j) => j,
        Err(_) => {
            return ApiError::BadRequest(
                "expected a JSON object {\"username\": ..., \"password\": ...}".into(),
            )
            .into_response();
        }
    };
    let Some(credentials) = credentials else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let ok =
        tokio::task::spawn_blocking(move || credentials.verify(&json.username, &json.password))
            .await
            .unwrap_or(false);
    if !ok {
        auth.record_failure(ip);
        return ApiError::Unauthorized("wrong user name or password".into()).into_response();
    }
    // A new id at every login: an id planted before login is worthless.
    if let Some(old) = session_cookie(&headers) {
        auth.end_session(&old);
    }
    let id = match auth.new_session() {
        Ok(id) => id,
        Err(e) => return e.into_response(),
    };
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        auth.cookie(&id, SESSION_LIFETIME.as_secs(), &headers),
    );
    response
}

/// `POST /api/v1/logout`: ends the session on the server and clears the cookie. 204.
pub async fn logout(State(state): State<AppState>, req: Request) -> Response {
    if let Some(id) = session_cookie(req.headers()) {
        state.auth.end_session(&id);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, state.auth.cookie("", 0, req.headers()));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        assert_eq!(base64_decode(b"dXNlcjpwYXNz").unwrap(), b"user:pass");
        assert_eq!(base64_decode(b"YTpi").unwrap(), b"a:b");
        assert_eq!(base64_decode(b"YTpiYw==").unwrap(), b"a:bc");
        assert_eq!(base64_decode(b"YTpiY2Q=").unwrap(), b"a:bcd");
        assert!(base64_decode(b"!!!!").is_none());
        assert!(base64_decode(b"Y").is_none());
        assert_eq!(
            decode_basic(b"dXNlcjpwYTpzcw==").unwrap(),
            ("user".into(), "pa:ss".into())
        );
    }

    #[test]
    fn credentials_verify_only_the_right_pair() {
        let c = Credentials::new("alice", "s3cret").unwrap();
        assert!(c.password_hash().starts_with("$argon2"));
        assert!(!c.password_hash().contains("s3cret"));
        assert!(c.verify("alice", "s3cret"));
        assert!(!c.verify("alice", "s3cret "));
        assert!(!c.verify("bob", "s3cret"));
        assert!(!c.verify("", ""));
        let again = Credentials::from_hash("alice", c.password_hash()).unwrap();
        assert!(again.verify("alice", "s3cret"));
        assert!(Credentials::from_hash("alice", "plain").is_err());
        assert!(!format!("{c:?}").contains("argon2"));
    }

    #[test]
    fn hosts() {
        let auth = Auth::new(SecurityConfig {
            allowed_hosts: vec!["Torrent.Example.org".into()],
            ..SecurityConfig::default()
        });
        for ok in [
            "127.0.0.1:3000",
            "localhost",
            "LOCALHOST:80",
            "app.localhost:1",
            "[::1]:3000",
            "192.168.1.5",
            "torrent.example.org",
            "torrent.example.org.:443",
        ] {
            assert!(auth.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "torrent.example.org.evil",
            "",
        ] {
            assert!(!auth.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn origins_must_match_host_and_scheme() {
        let plain = Auth::new(SecurityConfig::default());
        let tls = Auth::new(SecurityConfig {
            tls: true,
            ..SecurityConfig::default()
        });
        // Without TLS of its own the server may sit behind a TLS-terminating proxy.
        assert!(plain.origin_is_own("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(plain.origin_is_own("https://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(tls.origin_is_own("https://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(tls.origin_is_own("https://localhost", "localhost"));
        assert!(!tls.origin_is_own("http://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(!tls.origin_is_own("https://127.0.0.1:3001", "127.0.0.1:3000"));
        assert!(!plain.origin_is_own("ftp://127.0.0.1:3000", "127.0.0.1:3000"));
        assert!(!plain.origin_is_own("null", "127.0.0.1:3000"));
        assert!(!tls.origin_is_own("https://127.0.0.1:3000", ""));
    }

    #[test]
    fn failures_decay() {
        let auth = Auth::new(SecurityConfig {
            login_failures: 2,
            login_window: Duration::from_millis(200),
            ..SecurityConfig::default()
        });
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        auth.record_failure(a);
        assert!(auth.check_rate(a).is_ok());
        auth.record_failure(a);
        assert!(auth.check_rate(a).is_err());
        assert!(auth.check_rate(b).is_ok());
        std::thread::sleep(Duration::from_millis(250));
        assert!(auth.check_rate(a).is_ok());
    }

    #[test]
    fn generated_login_is_stored_hashed_and_reused() {
        let dir = std::env::temp_dir().join(format!("ct-auth-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::fs::remove_file(dir.join(GENERATED_AUTH_FILE));
        let (first, password) = load_or_generate(&dir).unwrap();
        let password = password.expect("a new password");
        assert!(password.len() >= 20);
        let stored = std::fs::read_to_string(dir.join(GENERATED_AUTH_FILE)).unwrap();
        assert!(!stored.contains(&password));
        let (second, again) = load_or_generate(&dir).unwrap();
        assert!(again.is_none(), "printed only once");
        assert!(second.verify("admin", &password));
        assert_eq!(first.password_hash(), second.password_hash());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
