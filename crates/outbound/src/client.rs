//! [`OutboundClient`]: the process's one HTTP client for server-side fetches,
//! and [`Request`]: what differs from one call to the next (method, headers,
//! body, User-Agent, size cap, total time, origins allowed on private addresses).
//!
//! Redirects are followed here, not by reqwest, so that each one is checked
//! against the call's own options: at most [`MAX_REDIRECTS`], each target an
//! http(s) URL that passes the same address check as the first.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use reqwest::header::{
    ACCEPT_LANGUAGE, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_TYPE, COOKIE,
    HeaderMap, HeaderName, HeaderValue, LOCATION, PROXY_AUTHORIZATION, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use url::Url;

use crate::check::{Reach, check_url};
use crate::error::FetchError;
use crate::origins::AllowedOrigins;
use crate::resolver::PublicOnlyResolver;

/// Redirects followed at most, each one checked like the first URL.
pub const MAX_REDIRECTS: usize = 5;
/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A call's total time unless [`Request::timeout`] says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// A call's size cap unless [`Request::max_bytes`] says otherwise.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;

const OWN_USER_AGENT: &str = concat!("cloud-torrent/", env!("CARGO_PKG_VERSION"));
const BROWSER_USER_AGENT: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";
const BROWSER_ACCEPT_LANGUAGE: &str = "en-US,en;q=0.9";

/// Who a request says it comes from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum UserAgent {
    /// `cloud-torrent/<version>`.
    #[default]
    CloudTorrent,
    /// A desktop browser's User-Agent and Accept-Language: some sites refuse
    /// unknown clients.
    Browser,
}

impl UserAgent {
    fn headers(self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        match self {
            UserAgent::CloudTorrent => {
                headers.insert(USER_AGENT, HeaderValue::from_static(OWN_USER_AGENT));
            }
            UserAgent::Browser => {
                headers.insert(USER_AGENT, HeaderValue::from_static(BROWSER_USER_AGENT));
                headers.insert(
                    ACCEPT_LANGUAGE,
                    HeaderValue::from_static(BROWSER_ACCEPT_LANGUAGE),
                );
            }
        }
        headers
    }
}

/// How the process's outbound client is set up.
#[derive(Debug, Clone, Default)]
pub struct ClientOptions {
    /// Reach private, loopback and link-local addresses from every call (the
    /// `allowPrivateUrls` setting).
    pub allow_private: bool,
    /// Send every request through this proxy. Without one no proxy is used,
    /// whatever `HTTP_PROXY` and the like say. Through a proxy, host names are
    /// resolved by the proxy, so only IP-literal hosts are checked here.
    pub proxy: Option<Url>,
}

/// One call: a method and URL, and the options that differ between callers.
#[derive(Debug)]
pub struct Request {
    method: Method,
    url: Url,
    headers: HeaderMap,
    body: Option<Bytes>,
    timeout: Duration,
    max_bytes: usize,
    user_agent: UserAgent,
    allowed: AllowedOrigins,
}

impl Request {
    /// A `method` request of `url`, with [`DEFAULT_TIMEOUT`], [`DEFAULT_MAX_BYTES`],
    /// cloud-torrent's own User-Agent and no origin allowed on private addresses.
    pub fn new(method: Method, url: Url) -> Request {
        Request {
            method,
            url,
            headers: HeaderMap::new(),
            body: None,
            timeout: DEFAULT_TIMEOUT,
            max_bytes: DEFAULT_MAX_BYTES,
            user_agent: UserAgent::default(),
            allowed: AllowedOrigins::none(),
        }
    }

    /// A GET request of `url` (see [`Request::new`]).
    pub fn get(url: Url) -> Request {
        Request::new(Method::GET, url)
    }

    /// Adds headers; each replaces a header of the same name, the User-Agent included.
    pub fn headers(mut self, headers: impl IntoIterator<Item = (HeaderName, HeaderValue)>) -> Self {
        for (name, value) in headers {
            self.headers.insert(name, value);
        }
        self
    }

    /// The request's body (dropped when a redirect turns the request into a GET).
    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = Some(body.into());
        self
    }

    /// The call's total time: connecting, redirects and reading the answer.
    pub fn timeout(mut self, total: Duration) -> Self {
        self.timeout = total;
        self
    }

    /// The largest answer read; a larger one fails with [`FetchError::TooLarge`].
    pub fn max_bytes(mut self, max_bytes: usize) -> Self {
        self.max_bytes = max_bytes;
        self
    }

    /// Who the request says it comes from.
    pub fn user_agent(mut self, user_agent: UserAgent) -> Self {
        self.user_agent = user_agent;
        self
    }

    /// Origins this call may reach even on private addresses (each pinned to its
    /// scheme, host and port), for the first URL and for redirects alike.
    pub fn allow_origins(mut self, origins: AllowedOrigins) -> Self {
        self.allowed = origins;
        self
    }
}

/// An answer, read whole, whatever its status.
#[derive(Debug)]
pub struct Response {
    /// The URL after redirects.
    pub url: Url,
    /// The status of the last answer.
    pub status: StatusCode,
    /// Its `Content-Type`, empty when there is none.
    pub content_type: String,
    /// The `Location` of a redirect that was not followed (to a magnet link, say).
    pub location: Option<String>,
    /// Every header of the last answer.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

/// The process's HTTP client for every server-side fetch. Cheap to clone.
#[derive(Clone)]
pub struct OutboundClient {
    inner: Arc<Clients>,
}

/// reqwest clients sharing one set-up but for the resolver: requests that must
/// stay on public addresses resolve names through [`PublicOnlyResolver`].
struct Clients {
    public_only: reqwest::Client,
    any_address: reqwest::Client,
    allow_private: bool,
}

fn build(
    options: &ClientOptions,
    resolver: Option<PublicOnlyResolver>,
) -> Result<reqwest::Client, FetchError> {
    let setup = |e: reqwest::Error| FetchError::setup(&e);
    let mut builder = reqwest::Client::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        // A redirect must not tell its target where it came from (the previous
        // URL can hold an indexer's apikey).
        .referer(false);
    builder = match &options.proxy {
        Some(proxy) => builder.proxy(reqwest::Proxy::all(proxy.as_str()).map_err(setup)?),
        None => builder.no_proxy(),
    };
    if let Some(resolver) = resolver {
        builder = builder.dns_resolver(Arc::new(resolver));
    }
    builder.build().map_err(setup)
}

impl OutboundClient {
    /// The client of the process, set up by `options`.
    pub fn new(options: ClientOptions) -> Result<OutboundClient, FetchError> {
        let any_address = build(&options, None)?;
        let public_only = if options.allow_private {
            any_address.clone()
        } else {
            let proxy_host = options
                .proxy
                .as_ref()
                .and_then(|p| p.host_str())
                .map(str::to_owned);
            build(&options, Some(PublicOnlyResolver { proxy_host }))?
        };
        Ok(OutboundClient {
            inner: Arc::new(Clients {
                public_only,
                any_address,
                allow_private: options.allow_private,
            }),
        })
    }

    /// True when every call may reach private addresses (`allowPrivateUrls`).
    pub fn allows_private(&self) -> bool {
        self.inner.allow_private
    }

    /// Sends `request`, follows its redirects and reads the answer, whatever its
    /// status, within the request's total time.
    pub async fn send(&self, request: Request) -> Result<Response, FetchError> {
        let total = request.timeout;
        tokio::time::timeout(total, self.follow(request))
            .await
            .unwrap_or(Err(FetchError::Timeout))
    }

    fn client(&self, reach: Reach) -> &reqwest::Client {
        match reach {
            Reach::PublicOnly => &self.inner.public_only,
            Reach::Any => &self.inner.any_address,
        }
    }

    async fn follow(&self, request: Request) -> Result<Response, FetchError> {
        let Request {
            mut method,
            mut url,
            headers: own_headers,
            mut body,
            max_bytes,
            user_agent,
            allowed,
            ..
        } = request;
        let mut headers = user_agent.headers();
        headers.extend(own_headers);
        let mut reach = check_url(&url, self.inner.allow_private, &allowed)?;
        let mut redirects = 0;
        loop {
            let mut builder = self
                .client(reach)
                .request(method.clone(), url.clone())
                .headers(headers.clone());
            if let Some(body) = &body {
                builder = builder.body(body.clone());
            }
            let response = builder
                .send()
                .await
                .map_err(|e| FetchError::from_reqwest(&e))?;
            let Some(next) = redirect_target(&response, &url) else {
                return read(response, max_bytes).await;
            };
            if redirects == MAX_REDIRECTS {
                return Err(FetchError::TooManyRedirects);
            }
            redirects += 1;
            reach = check_url(&next, self.inner.allow_private, &allowed)
                .map_err(|e| FetchError::Redirect(Box::new(e)))?;
            if turns_into_get(response.status(), &method) {
                method = Method::GET;
                body = None;
                for name in [CONTENT_TYPE, CONTENT_LENGTH, CONTENT_ENCODING] {
                    headers.remove(name);
                }
            }
            if next.origin() != url.origin() {
                for name in [AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION] {
                    headers.remove(name);
                }
                headers.remove("cookie2");
            }
            url = next;
        }
    }
}

/// Where a redirect leads, when it is one to follow: a 301, 302, 303, 307 or 308
/// with a `Location` that is an http(s) URL. Any other answer (a redirect to a
/// magnet link, say) is the call's answer.
fn redirect_target(response: &reqwest::Response, url: &Url) -> Option<Url> {
    if !matches!(response.status().as_u16(), 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get(LOCATION)?.to_str().ok()?;
    let next = url.join(location).ok()?;
    matches!(next.scheme(), "http" | "https").then_some(next)
}

/// What browsers do: a 303 turns any request but HEAD into a GET, and a 301 or
/// 302 turns a POST into one; 307 and 308 repeat the request as it was.
fn turns_into_get(status: StatusCode, method: &Method) -> bool {
    match status {
        StatusCode::SEE_OTHER => method != Method::HEAD && method != Method::GET,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => method == Method::POST,
        _ => false,
    }
}

/// Reads an answer, refusing one larger than `max_bytes` by its `Content-Length`
/// or, when it has none or lies, as soon as the bytes read pass the cap.
async fn read(response: reqwest::Response, max_bytes: usize) -> Result<Response, FetchError> {
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let content_type = header(CONTENT_TYPE).unwrap_or_default();
    let location = header(LOCATION);
    let headers = response.headers().clone();
    let url = response.url().clone();
    let status = response.status();
    let too_large = || FetchError::TooLarge { limit: max_bytes };
    let announced = response.content_length();
    if announced.is_some_and(|n| n > max_bytes as u64) {
        return Err(too_large());
    }
    let mut body = Vec::with_capacity(announced.map_or(0, |n| n as usize));
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| FetchError::from_reqwest(&e))?;
        if body.len() + chunk.len() > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response {
        url,
        status,
        content_type,
        location,
        headers,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirects_change_the_method_as_browsers_do() {
        assert!(turns_into_get(StatusCode::SEE_OTHER, &Method::POST));
        assert!(turns_into_get(StatusCode::SEE_OTHER, &Method::PUT));
        assert!(!turns_into_get(StatusCode::SEE_OTHER, &Method::HEAD));
        assert!(turns_into_get(StatusCode::FOUND, &Method::POST));
        assert!(turns_into_get(StatusCode::MOVED_PERMANENTLY, &Method::POST));
        assert!(!turns_into_get(StatusCode::FOUND, &Method::PUT));
        assert!(!turns_into_get(
            StatusCode::TEMPORARY_REDIRECT,
            &Method::POST
        ));
        assert!(!turns_into_get(
            StatusCode::PERMANENT_REDIRECT,
            &Method::POST
        ));
    }
}
