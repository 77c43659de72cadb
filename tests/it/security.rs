//! Authentication, cross-site protection, DNS rebinding and security headers,
//! against a real server on 127.0.0.1:0.

use std::time::{Duration, Instant};

use cloud_torrent_config::ConfigValues;
use cloud_torrent_server::{
    ConnectionLimits, Credentials, SecurityConfig, ServerConfig, route_table,
};
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::*;

const USER: &str = "alice";
const PASSWORD: &str = "correct horse";
const HASH: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

async fn start(dirs: &Dirs, security: SecurityConfig) -> TestServer {
    TestServer::start_with(ServerConfig {
        security,
        ..server_config(ConfigValues {
            title: "security".into(),
            ..test_settings(dirs)
        })
    })
    .await
}

fn with_login() -> SecurityConfig {
    SecurityConfig {
        credentials: Some(Credentials::new(USER, PASSWORD).unwrap()),
        ..SecurityConfig::default()
    }
}

fn client() -> reqwest::Client {
    http_client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A client whose connections come from `ip` (any 127.x address is loopback on Linux).
fn client_from(ip: &str) -> reqwest::Client {
    http_client()
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// A concrete path for a route pattern.
fn concrete(path: &str) -> String {
    path.replace("{info_hash}", HASH)
        .replace("{index}", "0")
        .replace("{*path}", "x/y.txt")
}

async fn login(
    http: &reqwest::Client,
    server: &TestServer,
    user: &str,
    pw: &str,
) -> reqwest::Response {
    http.post(server.url("/api/v1/login"))
        .json(&json!({"username": user, "password": pw}))
        .send()
        .await
        .unwrap()
}

/// The `ct_session=<id>` pair of a Set-Cookie header.
fn session_pair(response: &reqwest::Response) -> (String, String) {
    let set = response
        .headers()
        .get("set-cookie")
        .expect("a Set-Cookie header")
        .to_str()
        .unwrap()
        .to_owned();
    let pair = set.split(';').next().unwrap().trim().to_owned();
    (pair, set)
}

async fn torrent_count(server: &TestServer, http: &reqwest::Client, cookie: Option<&str>) -> usize {
    let mut req = http.get(server.url("/api/v1/torrents"));
    req = match cookie {
        Some(c) => req.header("cookie", c),
        None => req.basic_auth(USER, Some(PASSWORD)),
    };
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json::<Vec<Value>>().await.unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_requires_a_login_except_health_and_login() {
    let dirs = Dirs::new();
    let server = start(&dirs, with_login()).await;
    let http = client();
    let public = cloud_torrent_server::auth::PUBLIC_PATHS;
    assert!(route_table().len() > 30, "the table lists every route");
    for (method, path) in route_table() {
        let url = server.url(&concrete(path));
        let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let r = http
            .request(m.clone(), &url)
            .header("content-type", "application/json")
            .body(format!("{{\"magnet\":\"magnet:?xt=urn:btih:{HASH}\"}}"))
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        if public.contains(path) {
            assert_ne!(status, 401, "{method} {path} must be public");
            continue;
        }
        // The compatible APIs answer as their clients expect.
        if path.starts_with("/api/v2/") {
            assert_eq!(
                status, 403,
                "{method} {path}: qBittorrent's clients log in on 403"
            );
            assert_eq!(r.text().await.unwrap(), "Forbidden");
            continue;
        }
        if path.starts_with("/transmission/") {
            if *method == "OPTIONS" {
                assert_ne!(status, 401, "a CORS preflight needs no login");
                continue;
            }
            assert_eq!(status, 401, "{method} {path}");
            assert_eq!(
                r.headers()["www-authenticate"],
                "Basic realm=\"Transmission\""
            );
            continue;
        }
        if *method == "GET" && (*path == "/" || *path == "/index.html") {
            assert_eq!(
                status, 303,
                "{method} {path} sends people to the login page"
            );
            assert_eq!(r.headers()["location"], "login");
            continue;
        }
        assert_eq!(status, 401, "{method} {path} without a login");
        assert!(
            r.headers().contains_key("www-authenticate"),
            "{method} {path}: scripts are told to use Basic"
        );
        let body: Value = r.json().await.unwrap();
        assert!(body["error"].is_string(), "{method} {path}: {body}");
    }
    // The login page comes back to the page's query (a magnet link opened with it).
    let r = http
        .get(server.url("/?magnet=magnet%3A%3Fxt%3Durn%3Abtih%3Aab"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        r.headers()["location"],
        "login?then=magnet%3Dmagnet%253A%253Fxt%253Durn%253Abtih%253Aab"
    );
    // Paths that match no route are refused too (no information leak, nothing escapes).
    for path in ["/nothing", "/api/v1/nothing", "/api/v1/torrents/x/y/z"] {
        let r = http.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), 401, "{path}");
    }
    // Browsers get no Basic dialog.
    let r = http
        .get(server.url("/api/v1/torrents"))
        .header("sec-fetch-mode", "cors")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(!r.headers().contains_key("www-authenticate"));
    // Nothing the refused requests asked for happened.
    assert_eq!(torrent_count(&server, &http, None).await, 0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_auth_works_for_scripts() {
    let dirs = Dirs::new();
    let server = start(&dirs, with_login()).await;
    let http = client();
    for _ in 0..3 {
        // The second and third use the cache of verified credentials.
        let r = http
            .get(server.url("/api/v1/torrents"))
            .basic_auth(USER, Some(PASSWORD))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let r = http
        .post(server.url("/api/v1/torrents"))
        .basic_auth(USER, Some(PASSWORD))
        .json(&json!({"magnet": format!("magnet:?xt=urn:btih:{HASH}"), "paused": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    for (user, pw) in [(USER, "wrong"), ("bob", PASSWORD), (USER, "")] {
        let r = http
            .get(server.url("/api/v1/torrents"))
            .basic_auth(user, Some(pw))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{user}:{pw}");
    }
    let r = http
        .get(server.url("/api/v1/torrents"))
        .header("authorization", "Basic !!!not-base64")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_page_session_cookie_rotation_and_logout() {
    let dirs = Dirs::new();
    let server = start(&dirs, with_login()).await;
    let http = client();

    let page = http.get(server.url("/login")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    let html = page.text().await.unwrap();
    assert!(html.contains("<form") && html.contains("login.js"));
    assert!(!html.contains("<script>"), "no inline script");
    let js = http.get(server.url("/login.js")).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );

    let wrong = login(&http, &server, USER, "nope").await;
    assert_eq!(wrong.status(), 401);
    assert!(!wrong.headers().contains_key("set-cookie"));

    let ok = login(&http, &server, USER, PASSWORD).await;
    assert_eq!(ok.status(), 204);
    let (first, attributes) = session_pair(&ok);
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(attr), "{attributes}");
    }
    assert!(!attributes.contains("Secure"), "plain HTTP: {attributes}");
    assert_eq!(torrent_count(&server, &http, Some(&first)).await, 0);
    let r = http
        .get(server.url("/"))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the UI opens with the session");

    // Logging in again with the old cookie gives a new id and ends the old one.
    let again = http
        .post(server.url("/api/v1/login"))
        .header("cookie", &first)
        .json(&json!({"username": USER, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
    let (second, _) = session_pair(&again);
    assert_ne!(first, second, "a new session id at each login");
    let r = http
        .get(server.url("/api/v1/torrents"))
        .header("cookie", &first)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "the old id is dead");

    // Behind a TLS proxy the cookie is Secure.
    let tls = http
        .post(server.url("/api/v1/login"))
        .header("x-forwarded-proto", "https")
        .json(&json!({"username": USER, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(session_pair(&tls).1.contains("; Secure"));

    // Logout ends the session on the server, not only in the browser.
    let out = http
        .post(server.url("/api/v1/logout"))
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    assert!(session_pair(&out).1.contains("Max-Age=0"));
    let r = http
        .get(server.url("/api/v1/torrents"))
        .header("cookie", &second)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a replayed cookie is refused after logout");

    // Bad bodies are 400/415, not a login.
    let r = http
        .post(server.url("/api/v1/login"))
        .header("content-type", "application/json")
        .body("{\"username\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .post(server.url("/api/v1/login"))
        .header("content-type", "text/plain")
        .body(format!(
            "{{\"username\":\"{USER}\",\"password\":\"{PASSWORD}\"}}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_login_configured_the_login_still_checks_its_body() {
    let dirs = Dirs::new();
    let server = start(&dirs, SecurityConfig::default()).await;
    let http = client();
    let ok = login(&http, &server, "anyone", "anything").await;
    assert_eq!(ok.status(), 204);
    assert!(!ok.headers().contains_key("set-cookie"));
    for body in ["", "{}", "not json", r#"{"username": "a"}"#] {
        let r = http
            .post(server.url("/api/v1/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "body {body:?}");
        let error: Value = r.json().await.unwrap();
        assert!(error["error"].is_string(), "{error}");
    }
}

/// Wrong passwords sent all at once from one address are evaluated no more than the
/// limit allows: an attempt counts from the moment it starts, not when argon2 is done.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_wrong_logins_are_limited_before_they_are_evaluated() {
    let dirs = Dirs::new();
    // 200 requests at once open 200 connections: above the per-address connection cap,
    // which has its own test; here every request must reach the login checks.
    let server = TestServer::start_with(ServerConfig {
        security: with_login(),
        limits: ConnectionLimits {
            max_per_address: 256,
            ..ConnectionLimits::default()
        },
        ..server_config(test_settings(&dirs))
    })
    .await;
    let attacker = client_from("127.0.0.1");
    let guesses: Vec<String> = (0..100).map(|i| format!("guess{i}")).collect();
    let forms = guesses.iter().map(|g| login(&attacker, &server, USER, g));
    let basics = guesses.iter().map(|g| {
        attacker
            .get(server.url("/api/v1/torrents"))
            .basic_auth(USER, Some(g))
            .send()
    });
    let (forms, basics) = tokio::join!(
        futures::future::join_all(forms),
        futures::future::join_all(basics)
    );
    let statuses: Vec<u16> = forms
        .into_iter()
        .chain(basics.into_iter().map(|r| r.unwrap()))
        .map(|r| r.status().as_u16())
        .collect();
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    assert!(
        evaluated <= 5,
        "{evaluated} wrong passwords were evaluated: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| [401, 429, 503].contains(s)),
        "{statuses:?}"
    );
    // The address is locked out now, even with the right password.
    assert_eq!(
        login(&attacker, &server, USER, PASSWORD).await.status(),
        429
    );
    // Another address logs in at once.
    let other = client_from("127.0.0.2");
    assert_eq!(login(&other, &server, USER, PASSWORD).await.status(), 204);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_are_limited_per_address_and_decay() {
    let dirs = Dirs::new();
    let server = start(
        &dirs,
        SecurityConfig {
            login_window: Duration::from_secs(3),
            ..with_login()
        },
    )
    .await;
    let attacker = client_from("127.0.0.1");
    for i in 0..5 {
        let r = login(&attacker, &server, USER, &format!("guess{i}")).await;
        assert_eq!(r.status(), 401, "failure {i}");
    }
    let r = login(&attacker, &server, USER, "guess5").await;
    assert_eq!(r.status(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3).contains(&retry), "Retry-After {retry}");
    // Even the right password waits, and Basic is limited the same way.
    assert_eq!(
        login(&attacker, &server, USER, PASSWORD).await.status(),
        429
    );
    let r = attacker
        .get(server.url("/api/v1/torrents"))
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);

    // Another address is not affected.
    let other = client_from("127.0.0.2");
    assert_eq!(login(&other, &server, USER, PASSWORD).await.status(), 204);

    // Nobody is locked out once the window has passed.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        login(&attacker, &server, USER, PASSWORD).await.status(),
        204
    );

    // Failed Basic attempts count as failures too.
    for _ in 0..5 {
        let r = other
            .get(server.url("/api/v1/stats"))
            .basic_auth(USER, Some("wrong"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    assert_eq!(login(&other, &server, USER, PASSWORD).await.status(), 429);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cross_site_requests_are_refused_and_change_nothing() {
    let dirs = Dirs::new();
    // Authentication off (loopback): the cross-site checks hold anyway.
    let server = start(&dirs, SecurityConfig::default()).await;
    let http = client();
    let magnet = json!({"magnet": format!("magnet:?xt=urn:btih:{HASH}"), "paused": true});
    let own_origin = server.base.clone();

    let mut foreign = HeaderMap::new();
    foreign.insert("origin", HeaderValue::from_static("http://evil.example"));
    let mut cross = HeaderMap::new();
    cross.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
    let mut null_origin = HeaderMap::new();
    null_origin.insert("origin", HeaderValue::from_static("null"));
    for headers in [foreign, cross, null_origin] {
        let r = http
            .post(server.url("/api/v1/torrents"))
            .headers(headers.clone())
            .json(&magnet)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{headers:?}");
        let r = http
            .post(server.url("/api/magnet"))
            .headers(headers.clone())
            .body(format!("magnet:?xt=urn:btih:{HASH}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "legacy {headers:?}");
        let r = http
            .patch(server.url("/api/v1/config"))
            .headers(headers.clone())
            .json(&json!({"title": "pwned"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "config {headers:?}");
    }
    assert_eq!(server.get_json("/api/v1/torrents").await.1, json!([]));
    assert_eq!(
        server.get_json("/api/v1/config").await.1["title"],
        "security"
    );

    // An HTML form can only send text/plain, form-urlencoded or multipart: all refused
    // by the JSON endpoints (the simple-request hole).
    for (method, path) in [
        ("PATCH", "/api/v1/config"),
        ("PUT", "/api/v1/torrents/{info_hash}/files"),
        ("POST", "/api/v1/search/add"),
        ("POST", "/api/v1/torrents/{info_hash}/stop"),
        ("POST", "/api/v1/torrents"),
    ] {
        for ctype in ["text/plain", "application/x-www-form-urlencoded"] {
            let r = http
                .request(
                    reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
                    server.url(&concrete(path)),
                )
                .header("content-type", ctype)
                .body("{\"title\":\"pwned\",\"selected\":[0]}")
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 415, "{method} {path} as {ctype}");
        }
    }
    assert_eq!(
        server.get_json("/api/v1/config").await.1["title"],
        "security"
    );

    // The same requests from our own pages work.
    let r = http
        .post(server.url("/api/v1/torrents"))
        .header("origin", &own_origin)
        .header("sec-fetch-site", "same-origin")
        .json(&magnet)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // No CORS: a foreign origin is never echoed, a preflight gets no allow headers.
    let r = http
        .request(reqwest::Method::OPTIONS, server.url("/api/v1/torrents"))
        .header("origin", "http://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error(), "{}", r.status());
    assert!(
        !r.headers()
            .keys()
            .any(|k| k.as_str().starts_with("access-control-")),
        "{:?}",
        r.headers()
    );
    let r = http
        .get(server.url("/api/v1/torrents"))
        .header("origin", "http://evil.example")
        .send()
        .await
        .unwrap();
    assert!(!r.headers().contains_key("access-control-allow-origin"));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_text_endpoints_take_a_cookie_only_from_the_same_origin() {
    let dirs = Dirs::new();
    let server = start(&dirs, with_login()).await;
    let http = client();
    let (cookie, _) = session_pair(&login(&http, &server, USER, PASSWORD).await);
    let body = format!("magnet:?xt=urn:btih:{HASH}");

    let r = http
        .post(server.url("/api/magnet"))
        .header("cookie", &cookie)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a cookie without proof of origin");
    assert_eq!(torrent_count(&server, &http, Some(&cookie)).await, 0);

    let r = http
        .post(server.url("/api/magnet"))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let r = http
        .post(server.url("/api/torrent"))
        .basic_auth(USER, Some(PASSWORD))
        .body(format!("stop:{HASH}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "Basic scripts are fine");
    assert_eq!(torrent_count(&server, &http, Some(&cookie)).await, 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn host_header_allow_list_blocks_dns_rebinding() {
    let dirs = Dirs::new();
    let server = start(
        &dirs,
        SecurityConfig {
            allowed_hosts: vec!["torrent.example.org".into()],
            ..SecurityConfig::default()
        },
    )
    .await;
    let http = client();
    let port = server.addr.port();
    for (host, status) in [
        (format!("127.0.0.1:{port}"), 200),
        (format!("localhost:{port}"), 200),
        (format!("[::1]:{port}"), 200),
        ("torrent.example.org".to_owned(), 200),
        (format!("evil.example:{port}"), 403),
        ("attacker.torrent.example.org.evil".to_owned(), 403),
    ] {
        let r = http
            .get(server.url("/api/v1/torrents"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "Host: {host}");
    }
    let r = http
        .post(server.url("/api/v1/torrents"))
        .header("host", format!("evil.example:{port}"))
        .json(&json!({"magnet": format!("magnet:?xt=urn:btih:{HASH}")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(server.get_json("/api/v1/torrents").await.1, json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_and_api_carry_security_headers() {
    let dirs = Dirs::new();
    let server = start(&dirs, SecurityConfig::default()).await;
    let http = client();
    let r = http.get(server.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src") || d.starts_with("default-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert!(
        !csp.contains("unsafe-inline") || !csp.contains("script-src 'unsafe"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert_eq!(h["referrer-policy"], "no-referrer");
    let r = http
        .get(server.url("/api/v1/torrents"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["referrer-policy"], "no-referrer");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupt_or_empty_state_file_does_not_stop_the_server() {
    for bad in [&b"{\"version\": 1, \"torrents\": {"[..], b""] {
        let dirs = Dirs::new();
        std::fs::write(dirs.state.join("torrents.json"), bad).unwrap();
        let server = start(&dirs, SecurityConfig::default()).await;
        assert_eq!(server.get_json("/api/v1/torrents").await, (200, json!([])));
        let backups: Vec<_> = std::fs::read_dir(&dirs.state)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("torrents.json.corrupt-"))
            .collect();
        assert_eq!(backups.len(), 1, "{backups:?}");
        assert_eq!(std::fs::read(dirs.state.join(&backups[0])).unwrap(), bad);
        // The server works and saves a good state again.
        let (status, _) = server
            .post_json(
                "/api/v1/torrents",
                json!({ "magnet": format!("magnet:?xt=urn:btih:{HASH}"), "paused": true }),
            )
            .await;
        assert_eq!(status, 201);
        server.stop().await;
        let server = start(&dirs, SecurityConfig::default()).await;
        assert_eq!(server.torrent(HASH).await["infoHash"], HASH);
        server.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_enforces_auth_from_the_command_line() {
    let dirs = Dirs::new();
    let port = free_port("127.0.0.1");
    let incoming = free_port("127.0.0.1");
    let auth = format!("{USER}:{PASSWORD}");
    let bin = Binary::start(&dirs, port, incoming, &["--auth", &auth]).await;
    let url = bin.url("/api/v1/torrents");
    let r = bin.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = bin
        .http
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let log = std::fs::read_to_string(&bin.log).unwrap_or_default();
    assert!(!log.contains(PASSWORD), "the password is never logged");
    bin.terminate();
}

/// A server with these connection limits; its own requests (the health check at start)
/// come from 127.0.0.2, so that 127.0.0.1 holds only what a test opens from there.
async fn start_with_limits(dirs: &Dirs, limits: ConnectionLimits) -> TestServer {
    let config = ServerConfig {
        limits,
        ..server_config(test_settings(dirs))
    };
    TestServer::start_with_client(config, client_from("127.0.0.2")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_are_capped_per_address_without_blocking_others() {
    let dirs = Dirs::new();
    let limits = ConnectionLimits::default();
    let server = start_with_limits(&dirs, limits).await;

    // 100 connections from 127.0.0.1 that say nothing: those beyond the per-address
    // cap are closed at once; the others stay open (the header timeout is 15 s).
    let mut silent = Vec::new();
    for _ in 0..100 {
        silent.push(connect_from("127.0.0.1", server.addr).await);
    }
    let closed = futures::future::join_all(
        silent
            .iter_mut()
            .map(|stream| closed_within(stream, Duration::from_secs(1))),
    )
    .await;
    let closed_count = closed.iter().filter(|closed| **closed).count();
    assert_eq!(closed_count, 100 - limits.max_per_address, "{closed:?}");
    assert!(
        closed[..limits.max_per_address]
            .iter()
            .all(|closed| !closed),
        "the first connections are served: {closed:?}"
    );

    // Other addresses are served at once, on new connections.
    for ip in ["127.0.0.2", "127.0.0.3"] {
        let started = Instant::now();
        let r = client_from(ip)
            .get(server.url("/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(1), "{ip}");
    }

    // Once the silent clients leave, their address is served again.
    drop(silent);
    let again = client_from("127.0.0.1");
    wait_for(
        "127.0.0.1 to be served again",
        Duration::from_secs(5),
        || {
            let request = again.get(server.url("/healthz")).send();
            async move { request.await.is_ok_and(|r| r.status() == 200) }
        },
    )
    .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_connection_idle_after_its_requests_is_closed_but_not_one_streaming() {
    use http_body_util::BodyExt as _;

    let dirs = Dirs::new();
    let idle_timeout = Duration::from_secs(1);
    let server = start_with_limits(
        &dirs,
        ConnectionLimits {
            idle_timeout,
            h2_keep_alive_interval: Duration::from_millis(200),
            ..ConnectionLimits::default()
        },
    )
    .await;
    // A client that answers the server's pings (hyper does, while `connection` runs).
    let stream = connect_from("127.0.0.1", server.addr).await;
    let (mut sender, connection) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    let mut ended = tokio::spawn(connection);
    let get = |path: &str| {
        hyper::Request::get(format!("http://{}{path}", server.addr))
            .body(http_body_util::Empty::<bytes::Bytes>::new())
            .unwrap()
    };

    // The live event stream is a request in progress for as long as it is read.
    let events = sender.send_request(get("/api/v1/events")).await.unwrap();
    assert_eq!(events.status(), 200);
    let health = sender.send_request(get("/healthz")).await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(
        &health.into_body().collect().await.unwrap().to_bytes()[..],
        b"ok"
    );
    assert!(
        tokio::time::timeout(idle_timeout * 3, &mut ended)
            .await
            .is_err(),
        "closed while a response was streaming"
    );

    // Once nothing is in progress, the connection is closed after the idle timeout.
    drop(events);
    let started = Instant::now();
    tokio::time::timeout(idle_timeout * 5, &mut ended)
        .await
        .expect("an idle HTTP/2 connection stayed open")
        .unwrap()
        .ok();
    assert!(
        started.elapsed() >= idle_timeout / 2,
        "closed before it was idle: {:?}",
        started.elapsed()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_without_a_request_are_closed_after_the_header_timeout() {
    let dirs = Dirs::new();
    let server = start_with_limits(
        &dirs,
        ConnectionLimits {
            header_read_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
    )
    .await;
    let in_time = Duration::from_secs(4);

    // Silent from the start, or stopped in the middle of a request head.
    let mut silent = connect_from("127.0.0.1", server.addr).await;
    let mut partial = connect_from("127.0.0.1", server.addr).await;
    partial
        .write_all(b"GET /healthz HTTP/1.1\r\n")
        .await
        .unwrap();
    // HTTP/2: the preface and an empty SETTINGS frame, then no request.
    let mut h2 = connect_from("127.0.0.1", server.addr).await;
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .await
        .unwrap();
    // HTTP/1.1 kept alive after one answered request.
    let mut idle = connect_from("127.0.0.1", server.addr).await;
    let host = server.addr;
    idle.write_all(format!("GET /healthz HTTP/1.1\r\nhost: {host}\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = [0u8; 1024];
    let n = idle.read(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer[..n]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.ends_with("ok"), "{answer}");

    let started = Instant::now();
    for (what, stream) in [
        ("silent", &mut silent),
        ("partial head", &mut partial),
        ("HTTP/2 preface only", &mut h2),
        ("idle keep-alive", &mut idle),
    ] {
        assert!(closed_within(stream, in_time).await, "{what}");
    }
    assert!(started.elapsed() < in_time);
    server.stop().await;
}
