//! The request guard: the [`guard`] middleware that every request passes (the checks of
//! `Host`, `Origin`, `Sec-Fetch-Site` and content type, then the login), which host
//! names and origins are this server's ([`OwnHosts`]), and the security headers added
//! to every answer.

use std::net::{IpAddr, Ipv6Addr};

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::compat::{self, Dialect};
use super::credentials::Busy;
use super::credentials::basic_value;
use super::rate_limit::{busy, client_key, too_many};
use super::session::session_cookie;
use super::{Auth, SecurityConfig, header_str};
use crate::error::ApiError;

/// Routes anyone may request: the health check, the login page, its script and
/// endpoint, and the web app manifest with its icons (a browser fetches those
/// without the session cookie when it installs the app).
pub const PUBLIC_PATHS: &[&str] = &[
    "/healthz",
    "/login",
    "/login.js",
    "/api/v1/login",
    "/manifest.webmanifest",
    "/icons/{*path}",
];

/// Whether `path` is one of [`PUBLIC_PATHS`] (a `{*path}` route: a file name
/// beneath it, never `..` or an escaped character).
fn is_public(path: &str) -> bool {
    PUBLIC_PATHS
        .iter()
        .any(|public| match public.strip_suffix("{*path}") {
            Some(folder) => path.strip_prefix(folder).is_some_and(|rest| {
                !rest.is_empty()
                    && !rest.contains('%')
                    && rest.split('/').all(|part| !part.is_empty() && part != "..")
            }),
            None => *public == path,
        })
}

/// Which `Host` and `Origin` values name this server.
pub(super) struct OwnHosts {
    /// Allowed host names, lower case, besides IP literals and `localhost`: the
    /// configured ones and this machine's name.
    names: Vec<String>,
    /// The configured `allowedHosts`, as given: an `Origin` may name one of them.
    configured: Vec<String>,
    /// Under TLS only `https` origins are this server's.
    tls: bool,
}

impl OwnHosts {
    pub(super) fn new(config: &SecurityConfig) -> OwnHosts {
        let mut names: Vec<String> = config
            .allowed_hosts
            .iter()
            .map(|h| normalize_host(h))
            .filter(|h| !h.is_empty())
            .collect();
        if let Ok(name) = sysinfo::System::host_name() {
            let name = normalize_host(&name);
            if !name.is_empty() {
                names.push(format!("{name}.local"));
                names.push(name);
            }
        }
        OwnHosts {
            names,
            configured: config.allowed_hosts.clone(),
            tls: config.tls,
        }
    }

    /// Whether `host` (a `Host` header) names this server.
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
            || self.names.iter().any(|h| h == "*" || *h == name)
    }

    /// Whether `origin` (an `Origin` header) is this server as reached by this request:
    /// the same host and port as the request's (the `Host` header, or the authority of an
    /// HTTP/2 request), or as `forwarded_host` (`X-Forwarded-Host`, from a reverse proxy
    /// that rewrites `Host`) when that names an `allowedHosts` entry. Under TLS only an
    /// `https` origin is; otherwise `http` or `https` (a proxy may terminate TLS).
    fn origin_is_own(
        &self,
        origin: &str,
        request_host: &str,
        forwarded_host: Option<&str>,
    ) -> bool {
        let Ok(url) = url::Url::parse(origin) else {
            return false;
        };
        let scheme_ok = match url.scheme() {
            "https" => true,
            "http" => !self.tls,
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
            || forwarded_host
                .and_then(|f| f.split(',').next())
                .map(str::trim)
                .is_some_and(|forwarded| {
                    authority.eq_ignore_ascii_case(forwarded)
                        && self
                            .configured
                            .iter()
                            .any(|h| normalize_host(h) == normalize_host(host) && h != "*")
                })
    }

    /// Proof that a browser sent this request from our own pages.
    fn same_origin_proven(&self, headers: &HeaderMap, request_host: &str) -> bool {
        let site = header_str(headers, "sec-fetch-site");
        if site.is_some_and(|s| s.eq_ignore_ascii_case("same-origin")) {
            return true;
        }
        header_str(headers, header::ORIGIN.as_str()).is_some_and(|origin| {
            self.origin_is_own(
                origin,
                request_host,
                header_str(headers, "x-forwarded-host"),
            )
        })
    }
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

fn is_mutating(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// The answer to a request without a login: people opening the UI are sent to the
/// login page, scripts get 401 (with a Basic challenge unless a browser asked).
fn unauthorized(req: &Request) -> Response {
    let path = req.uri().path();
    let navigation = header_str(req.headers(), "sec-fetch-mode") == Some("navigate");
    if (req.method() == Method::GET || req.method() == Method::HEAD)
        && (path == "/" || path == "/index.html" || navigation && !path.starts_with("/api/"))
    {
        // A person opening the UI: send them to the login page (relative, for sub-paths),
        // which comes back with the page's query (a magnet link to add, say) after it.
        let target = if path == "/" || path == "/index.html" {
            match req.uri().query().filter(|q| !q.is_empty()) {
                Some(query) => format!(
                    "login?then={}",
                    url::form_urlencoded::byte_serialize(query.as_bytes()).collect::<String>()
                ),
                None => "login".to_owned(),
            }
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

/// The middleware described in the documentation of [`crate::auth`].
pub async fn guard(State(auth): State<Auth>, req: Request, next: Next) -> Response {
    let hosts = &auth.0.hosts;
    let headers = req.headers();
    let path = req.uri().path().to_owned();
    // HTTP/2 carries the host in the `:authority` pseudo-header, i.e. in the URI.
    let host = header_str(headers, header::HOST.as_str())
        .map(str::to_owned)
        .or_else(|| req.uri().authority().map(|a| a.as_str().to_owned()));
    let request_host = host.clone().unwrap_or_default();
    if let Some(host) = &host
        && !hosts.host_allowed(host)
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
            && !hosts.origin_is_own(
                origin,
                &request_host,
                header_str(headers, "x-forwarded-host"),
            )
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
    let dialect = compat::dialect(&path);
    // Transmission answers a CORS preflight before it looks at credentials.
    let public = is_public(&path)
        || path == compat::QBITTORRENT_LOGIN
        || dialect == Some(Dialect::Transmission) && req.method() == Method::OPTIONS;
    let credentials = match &auth.0.config.credentials {
        Some(credentials) if !public => credentials,
        _ => return with_security_headers(next.run(req).await),
    };
    if let Some(value) = basic_value(req.headers()) {
        let ip = client_key(&req);
        let too_many_now = |retry| match dialect {
            Some(Dialect::Qbittorrent) => compat::banned(),
            _ => too_many(retry),
        };
        if let Err(retry) = auth.0.failures.check(ip) {
            return too_many_now(retry);
        }
        let value = value.to_vec();
        if auth.0.basic.is_known(&value) {
            return with_security_headers(next.run(req).await);
        }
        let attempt = match auth.0.failures.begin(ip) {
            Ok(attempt) => attempt,
            Err(retry) => return too_many_now(retry),
        };
        match auth
            .0
            .basic
            .verify(&auth.0.checks, credentials, &value)
            .await
        {
            Ok(true) => {
                attempt.succeeded();
                return with_security_headers(next.run(req).await);
            }
            Ok(false) => {
                attempt.failed();
                match dialect {
                    // Radarr sends Basic on every request, even with no credentials set:
                    // a wrong one is ignored and the session cookie decides.
                    Some(Dialect::Qbittorrent) => {}
                    Some(Dialect::Transmission) => return compat::refused(Dialect::Transmission),
                    None => {
                        return ApiError::Unauthorized("wrong user name or password".into())
                            .into_response();
                    }
                }
            }
            Err(Busy) => return busy(),
        }
    }
    match dialect {
        Some(Dialect::Qbittorrent) => {
            return match compat::qbittorrent_session(req.headers()) {
                Some(id) if auth.0.sessions.is_valid(&id) => {
                    with_security_headers(next.run(req).await)
                }
                _ => compat::refused(Dialect::Qbittorrent),
            };
        }
        Some(Dialect::Transmission) => return compat::refused(Dialect::Transmission),
        None => {}
    }
    if let Some(id) = session_cookie(req.headers(), auth.0.config.tls)
        && auth.0.sessions.is_valid(&id)
    {
        let legacy = path.starts_with("/api/") && !path.starts_with("/api/v1/");
        if legacy && mutating && !hosts.same_origin_proven(req.headers(), &request_host) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_paths_are_the_listed_ones_and_files_beneath_the_icons() {
        for path in [
            "/healthz",
            "/login",
            "/manifest.webmanifest",
            "/icons/icon.svg",
            "/icons/a/b.png",
        ] {
            assert!(is_public(path), "{path}");
        }
        for path in [
            "/",
            "/index.html",
            "/icons/",
            "/icons",
            "/icons/../index.html",
            "/icons/%2e%2e/x",
            "/icons//x",
            "/api/v1/torrents",
            "/login/x",
        ] {
            assert!(!is_public(path), "{path}");
        }
    }

    #[test]
    fn hosts() {
        let hosts = OwnHosts::new(&SecurityConfig {
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
            assert!(hosts.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:3000",
            "torrent.example.org.evil",
            "",
        ] {
            assert!(!hosts.host_allowed(bad), "{bad}");
        }
    }

    #[test]
    fn origins_must_match_host_and_scheme() {
        let plain = OwnHosts::new(&SecurityConfig::default());
        let tls = OwnHosts::new(&SecurityConfig {
            tls: true,
            ..SecurityConfig::default()
        });
        // Without TLS of its own the server may sit behind a TLS-terminating proxy.
        assert!(plain.origin_is_own("http://127.0.0.1:3000", "127.0.0.1:3000", None));
        assert!(plain.origin_is_own("https://127.0.0.1:3000", "127.0.0.1:3000", None));
        assert!(tls.origin_is_own("https://127.0.0.1:3000", "127.0.0.1:3000", None));
        assert!(tls.origin_is_own("https://localhost", "localhost", None));
        assert!(!tls.origin_is_own("http://127.0.0.1:3000", "127.0.0.1:3000", None));
        assert!(!tls.origin_is_own("https://127.0.0.1:3001", "127.0.0.1:3000", None));
        assert!(!plain.origin_is_own("ftp://127.0.0.1:3000", "127.0.0.1:3000", None));
        assert!(!plain.origin_is_own("null", "127.0.0.1:3000", None));
        assert!(!tls.origin_is_own("https://127.0.0.1:3000", "", None));

        // An allowedHosts name counts only with the scheme's port the proxy forwards:
        // another service on that name (another port) is another origin.
        let proxied = OwnHosts::new(&SecurityConfig {
            allowed_hosts: vec!["torrent.example.org".into()],
            ..SecurityConfig::default()
        });
        let behind = "127.0.0.1:3000";
        let public = Some("torrent.example.org");
        assert!(proxied.origin_is_own("https://torrent.example.org", behind, public));
        assert!(proxied.origin_is_own("https://torrent.example.org", "torrent.example.org", None));
        assert!(!proxied.origin_is_own("https://torrent.example.org", behind, None));
        assert!(!proxied.origin_is_own("http://torrent.example.org:8080", behind, public));
        assert!(!proxied.origin_is_own("https://torrent.example.org:8443", behind, public));
        assert!(!proxied.origin_is_own("https://evil.example", behind, Some("evil.example")));
    }
}
