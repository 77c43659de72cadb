//! The outbound client against real HTTP servers on 127.0.0.1: redirects, size
//! caps, headers, timeouts, proxies and which origins a call may reach. The
//! servers are on loopback, so each call allows the exact origin it talks to.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{any, get};
use cloud_torrent_outbound::{
    AllowedOrigins, ClientOptions, FetchError, OutboundClient, Request, UserAgent, is_private,
};
use url::Url;

/// Serves `app` on 127.0.0.1 and returns its base URL.
async fn serve(app: Router) -> Url {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    Url::parse(&format!("http://{addr}/")).unwrap()
}

/// A chunked body of `n` bytes, without a Content-Length.
fn streamed(n: usize) -> Body {
    let chunks = (0..n)
        .step_by(100)
        .map(move |start| Ok::<_, Infallible>(Bytes::from(vec![b'x'; (n - start).min(100)])));
    Body::from_stream(futures::stream::iter(chunks))
}

/// The test site: redirects, sized and streamed bodies, and an echo of headers.
fn site() -> Router {
    Router::new()
        .route(
            "/hop/{n}",
            get(|Path(n): Path<u32>| async move {
                if n == 0 {
                    "arrived".into_response()
                } else {
                    Redirect::to(&format!("/hop/{}", n - 1)).into_response()
                }
            }),
        )
        .route(
            "/redirect",
            any(|Query(q): Query<HashMap<String, String>>| async move {
                let status = q
                    .get("status")
                    .and_then(|s| s.parse().ok())
                    .and_then(|s| StatusCode::from_u16(s).ok())
                    .unwrap_or(StatusCode::FOUND);
                (status, [(header::LOCATION, q["to"].clone())])
            }),
        )
        .route(
            "/echo",
            any(|method: Method, headers: HeaderMap, body: Bytes| async move {
                let get = |name: header::HeaderName| {
                    headers
                        .get(name)
                        .map_or("-".to_owned(), |v| v.to_str().unwrap().to_owned())
                };
                format!(
                    "method={method}\nreferer={}\nuser-agent={}\naccept-language={}\nauthorization={}\nbody={}",
                    get(header::REFERER),
                    get(header::USER_AGENT),
                    get(header::ACCEPT_LANGUAGE),
                    get(header::AUTHORIZATION),
                    String::from_utf8_lossy(&body)
                )
            }),
        )
        .route(
            "/bytes/{n}",
            get(|Path(n): Path<usize>| async move { vec![b'x'; n] }),
        )
        .route(
            "/stream/{n}",
            get(|Path(n): Path<usize>| async move { streamed(n) }),
        )
        .route(
            "/announces-1-gib",
            // Announces 1 GiB, sends 5 bytes, then never finishes.
            get(|| async {
                let first = futures::stream::iter([Ok::<_, Infallible>(Bytes::from("hello"))]);
                let body = Body::from_stream(futures::StreamExt::chain(
                    first,
                    futures::stream::pending(),
                ));
                Response::builder()
                    .header(header::CONTENT_LENGTH, 1024 * 1024 * 1024)
                    .body(body)
                    .unwrap()
            }),
        )
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        )
}

/// A client as the server builds it by default: private addresses refused.
fn client() -> OutboundClient {
    OutboundClient::new(ClientOptions::default()).unwrap()
}

/// A GET of `path` on `base`, allowed to reach `base`'s origin.
fn get_on(base: &Url, path: &str) -> Request {
    Request::get(base.join(path).unwrap()).allow_origins(AllowedOrigins::new([base]))
}

fn text(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

#[tokio::test]
async fn at_most_five_redirects_are_followed() {
    let base = serve(site()).await;
    let answer = client().send(get_on(&base, "hop/5")).await.unwrap();
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(text(&answer.body), "arrived");
    assert_eq!(answer.url.path(), "/hop/0");

    let err = client().send(get_on(&base, "hop/6")).await.unwrap_err();
    assert!(matches!(err, FetchError::TooManyRedirects), "{err}");
    assert_eq!(
        err.to_string(),
        "a redirect was refused: more than 5 redirects"
    );
}

#[tokio::test]
async fn answers_over_the_size_cap_are_refused() {
    let base = serve(site()).await;
    let client = client();
    let fetch = |path: &str| client.send(get_on(&base, path).max_bytes(1000));

    // By Content-Length.
    assert_eq!(fetch("bytes/1000").await.unwrap().body.len(), 1000);
    let err = fetch("bytes/1001").await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { limit: 1000 }), "{err}");

    // While streaming, without a Content-Length.
    assert_eq!(fetch("stream/1000").await.unwrap().body.len(), 1000);
    let err = fetch("stream/1001").await.unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { limit: 1000 }), "{err}");
    assert_eq!(err.to_string(), "the answer is larger than 1000 bytes");

    // An announced size over the cap is refused before reading (this body never ends).
    let started = Instant::now();
    let err = client
        .send(
            get_on(&base, "announces-1-gib")
                .max_bytes(10 * 1024 * 1024)
                .timeout(Duration::from_secs(20)),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::TooLarge { .. }), "{err}");
    assert_eq!(err.to_string(), "the answer is larger than 10 MiB");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_redirect_does_not_send_the_previous_url_as_referer() {
    let base = serve(site()).await;
    let answer = client()
        .send(get_on(&base, "redirect?apikey=SECRET&to=/echo"))
        .await
        .unwrap();
    let echo = text(&answer.body);
    assert_eq!(answer.url.path(), "/echo");
    assert!(echo.contains("referer=-\n"), "{echo}");
    assert!(!echo.contains("SECRET"), "{echo}");
}

#[tokio::test]
async fn the_user_agent_is_chosen_per_call() {
    let base = serve(site()).await;
    let client = client();
    let echo = |request: Request| {
        let client = client.clone();
        async move { text(&client.send(request).await.unwrap().body) }
    };

    let own = echo(get_on(&base, "echo")).await;
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        own.contains(&format!("user-agent=cloud-torrent/{version}\n")),
        "{own}"
    );
    assert!(own.contains("accept-language=-\n"), "{own}");

    let browser = echo(get_on(&base, "echo").user_agent(UserAgent::Browser)).await;
    assert!(browser.contains("user-agent=Mozilla/5.0 ("), "{browser}");
    assert!(browser.contains("accept-language=en-US"), "{browser}");

    // A caller's own User-Agent header wins.
    let custom = echo(
        get_on(&base, "echo")
            .user_agent(UserAgent::Browser)
            .headers([(
                header::USER_AGENT,
                header::HeaderValue::from_static("site-specific/1"),
            )]),
    )
    .await;
    assert!(custom.contains("user-agent=site-specific/1\n"), "{custom}");
}

#[tokio::test]
async fn redirects_change_the_method_and_keep_credentials_on_their_origin() {
    let a = serve(site()).await;
    let b = serve(site()).await;
    let both = AllowedOrigins::new([&a, &b]);
    let post = |to: &str, status: u16| {
        Request::new(
            Method::POST,
            a.join(&format!("redirect?status={status}&to={to}"))
                .unwrap(),
        )
        .body("form=1")
        .headers([(
            header::AUTHORIZATION,
            header::HeaderValue::from_static("Bearer token"),
        )])
        .allow_origins(both.clone())
    };
    let client = client();
    let echo = |request: Request| {
        let client = client.clone();
        async move { text(&client.send(request).await.unwrap().body) }
    };

    let same_site = echo(post("/echo", 303)).await;
    assert!(same_site.starts_with("method=GET\n"), "{same_site}");
    assert!(same_site.ends_with("body="), "{same_site}");
    assert!(
        same_site.contains("authorization=Bearer token"),
        "{same_site}"
    );

    let kept = echo(post("/echo", 307)).await;
    assert!(kept.starts_with("method=POST\n"), "{kept}");
    assert!(kept.ends_with("body=form=1"), "{kept}");

    let elsewhere = echo(post(b.join("echo").unwrap().as_str(), 307)).await;
    assert!(elsewhere.starts_with("method=POST\n"), "{elsewhere}");
    assert!(elsewhere.contains("authorization=-\n"), "{elsewhere}");
}

#[tokio::test]
async fn an_allowed_origin_on_loopback_works_and_another_port_of_the_same_host_does_not() {
    let a = serve(site()).await;
    let b = serve(site()).await;
    let only_a = AllowedOrigins::new([&a]);

    // Without an allowance, loopback is refused before any connection.
    let err = client()
        .send(Request::get(a.join("echo").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::PrivateAddress { .. }), "{err}");
    assert!(err.is_refused_url());
    assert!(err.to_string().contains("allowPrivateUrls"), "{err}");

    // The allowed origin works; the same host on another port does not.
    let answer = client()
        .send(Request::get(a.join("hop/1").unwrap()).allow_origins(only_a.clone()))
        .await
        .unwrap();
    assert_eq!(text(&answer.body), "arrived");
    let err = client()
        .send(Request::get(b.join("hop/0").unwrap()).allow_origins(only_a.clone()))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::PrivateAddress { .. }), "{err}");

    // Nor can the allowed origin redirect there.
    let to_b = format!("redirect?to={}", b.join("hop/0").unwrap());
    let err = client()
        .send(Request::get(a.join(&to_b).unwrap()).allow_origins(only_a.clone()))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, FetchError::Redirect(e) if matches!(**e, FetchError::PrivateAddress { .. })),
        "{err}"
    );
    assert!(!err.is_refused_url());

    // With allowPrivateUrls, every address is reachable.
    let open = OutboundClient::new(ClientOptions {
        allow_private: true,
        proxy: None,
    })
    .unwrap();
    let answer = open
        .send(Request::get(a.join(&to_b).unwrap()))
        .await
        .unwrap();
    assert_eq!(text(&answer.body), "arrived");
}

/// The machine's host name when it resolves to private addresses only.
async fn private_host_name() -> Option<String> {
    let name = std::fs::read_to_string("/proc/sys/kernel/hostname").ok()?;
    let name = name.trim().to_owned();
    let addrs: Vec<IpAddr> = tokio::net::lookup_host((name.as_str(), 80))
        .await
        .ok()?
        .map(|a| a.ip())
        .collect();
    (!addrs.is_empty() && addrs.iter().all(|ip| is_private(*ip))).then_some(name)
}

#[tokio::test]
async fn a_host_name_that_resolves_to_private_addresses_is_refused_even_after_a_redirect() {
    let Some(name) = private_host_name().await else {
        eprintln!("skipped: this machine's host name does not resolve to private addresses only");
        return;
    };
    let base = serve(site()).await;
    let by_name = Url::parse(&format!("http://{name}:{}/echo", base.port().unwrap())).unwrap();

    let err = client()
        .send(Request::get(by_name.clone()))
        .await
        .unwrap_err();
    // A refused URL (not a connection failure that a caller might retry).
    assert!(matches!(err, FetchError::PrivateAddress { .. }), "{err}");
    assert!(err.is_refused_url());
    assert!(
        err.to_string().contains("private or loopback address"),
        "{err}"
    );

    // An allowed origin cannot redirect to it either: the name is checked where it is resolved.
    let redirect = format!("redirect?to={by_name}");
    let err = client().send(get_on(&base, &redirect)).await.unwrap_err();
    assert!(
        err.to_string().contains("private or loopback address"),
        "{err}"
    );
}

#[tokio::test]
async fn a_call_ends_at_its_timeout() {
    let base = serve(site()).await;
    let started = Instant::now();
    let err = client()
        .send(get_on(&base, "slow").timeout(Duration::from_millis(300)))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Timeout), "{err}");
    assert_eq!(err.to_string(), "the request timed out");
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_redirect_to_another_scheme_is_the_answer_and_other_schemes_are_refused() {
    let base = serve(site()).await;
    let answer = client()
        .send(get_on(&base, "redirect?to=magnet:?xt=urn:btih:abc"))
        .await
        .unwrap();
    assert_eq!(answer.status, StatusCode::FOUND);
    assert_eq!(answer.location.as_deref(), Some("magnet:?xt=urn:btih:abc"));

    let err = client()
        .send(Request::get(Url::parse("file:///etc/passwd").unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::BadUrl(_)), "{err}");
    assert!(err.is_refused_url());
}

#[tokio::test]
async fn nothing_listening_is_a_connection_error() {
    let err = client()
        .send(
            Request::get(Url::parse("http://127.0.0.1:1/x.torrent").unwrap()).allow_origins(
                AllowedOrigins::new([Url::parse("http://127.0.0.1:1").unwrap()]),
            ),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, FetchError::Connect(_)), "{err}");
    assert!(err.to_string().starts_with("could not connect: "), "{err}");
}

#[tokio::test]
async fn a_configured_proxy_carries_every_request() {
    // A proxy that answers every request itself.
    let proxy = serve(
        Router::new().fallback(|uri: axum::http::Uri| async move { format!("via proxy: {uri}") }),
    )
    .await;
    let client = OutboundClient::new(ClientOptions {
        allow_private: false,
        proxy: Some(proxy),
    })
    .unwrap();
    // The name does not exist: only the proxy can answer.
    let answer = client
        .send(Request::get(
            Url::parse("http://tracker.invalid/x.torrent").unwrap(),
        ))
        .await
        .unwrap();
    assert_eq!(
        text(&answer.body),
        "via proxy: http://tracker.invalid/x.torrent"
    );
}
