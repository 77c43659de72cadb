//! Malformed input gets a 4xx with a JSON error that says what was wrong, never a
//! panic or an absolute server path, and the server keeps serving afterwards.

use crate::support::*;
use serde_json::{Value, json};

const HASH: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

fn assert_no_paths(text: &str, dirs: &Dirs) {
    for dir in [&dirs.downloads, &dirs.state] {
        let abs = dir.to_string_lossy();
        assert!(
            !text.contains(abs.as_ref()),
            "message leaks a server path: {text}"
        );
    }
    assert!(
        !text.contains("/tmp/"),
        "message leaks a server path: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_request_gets_a_clear_json_error() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let data = make_payload(&dirs.data, "t.bin", &[("", 600_000)]).await;
    let truncated = data.torrent[..data.torrent.len() / 2].to_vec();

    // (method, path, content type, body, expected status, words the error must contain)
    type Case<'a> = (&'a str, String, Option<&'a str>, Vec<u8>, u16, &'a str);
    let cases: Vec<Case> = vec![
        ("POST", "/api/v1/torrents".into(), Some("application/json"), b"{not json".to_vec(), 400, "invalid JSON"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), b"".to_vec(), 400, "empty"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), b"[1,2]".to_vec(), 400, "invalid JSON"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"magnet":"hello"}"#.to_vec(), 400, "invalid magnet"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"magnet":"magnet:?xt=urn:btih:123"}"#.to_vec(), 400, "40 hex"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"magnet":"magnet:?dn=x"}"#.to_vec(), 400, "no xt"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"magent":"x"}"#.to_vec(), 400, "unknown field"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{}"#.to_vec(), 400, "exactly one"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"magnet":"magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a","url":"http://x"}"#.to_vec(), 400, "exactly one"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"url":"ftp://127.0.0.1/x.torrent"}"#.to_vec(), 400, "scheme"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"url":"not a url"}"#.to_vec(), 400, "invalid URL"),
        ("POST", "/api/v1/torrents".into(), Some("application/json"), br#"{"magnet":"magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a","paused":"yes"}"#.to_vec(), 400, "invalid JSON"),
        ("POST", "/api/v1/torrents".into(), Some("application/x-bittorrent"), truncated.clone(), 400, "invalid .torrent"),
        ("POST", "/api/v1/torrents".into(), Some("application/x-bittorrent"), b"garbage".to_vec(), 400, "invalid .torrent"),
        ("POST", "/api/v1/torrents".into(), Some("application/x-bittorrent"), vec![], 400, "invalid .torrent"),
        ("POST", "/api/v1/torrents?files=0,9".into(), Some("application/x-bittorrent"), data.torrent.clone(), 400, "index 9"),
        ("POST", "/api/v1/torrents?files=x".into(), Some("application/x-bittorrent"), data.torrent.clone(), 400, "file index"),
        ("POST", "/api/v1/torrents?bogus=1".into(), Some("application/x-bittorrent"), data.torrent.clone(), 400, "query"),
        ("POST", "/api/v1/torrents".into(), Some("text/plain"), b"magnet:?xt=urn:btih:abc".to_vec(), 415, "Content-Type"),
        ("POST", "/api/v1/torrents".into(), None, b"x".to_vec(), 415, "Content-Type"),
        ("POST", "/api/v1/torrents".into(), Some("multipart/form-data; boundary=XX"), b"--XX\r\nbroken".to_vec(), 400, "multipart"),
        ("POST", "/api/v1/torrents".into(), Some("multipart/form-data"), b"x".to_vec(), 400, "multipart"),
        ("GET", format!("/api/v1/torrents/{HASH}"), None, vec![], 404, HASH),
        ("GET", "/api/v1/torrents/xyz".into(), None, vec![], 400, "40 hexadecimal"),
        ("GET", "/api/v1/torrents/..%2f..%2fetc%2fpasswd".into(), None, vec![], 400, "40 hexadecimal"),
        ("POST", format!("/api/v1/torrents/{HASH}/start"), None, vec![], 404, HASH),
        ("POST", format!("/api/v1/torrents/{HASH}/stop"), None, vec![], 404, HASH),
        ("PUT", format!("/api/v1/torrents/{HASH}/files"), Some("application/json"), br#"{"selected":[0]}"#.to_vec(), 404, HASH),
        ("PUT", format!("/api/v1/torrents/{HASH}/files"), Some("application/json"), br#"{"selected":"all"}"#.to_vec(), 400, "invalid JSON"),
        ("PUT", format!("/api/v1/torrents/{HASH}/files"), Some("application/json"), br#"{"selected":[-1]}"#.to_vec(), 400, "invalid JSON"),
        ("DELETE", format!("/api/v1/torrents/{HASH}"), None, vec![], 404, HASH),
        ("PUT", format!("/api/v1/torrents/{HASH}/files"), None, br#"{"selected":[0]}"#.to_vec(), 415, "missing Content-Type"),
        ("PUT", format!("/api/v1/torrents/{HASH}/files"), Some("application/xml"), b"<selected/>".to_vec(), 415, "application/json"),
        ("PUT", format!("/api/v1/torrents/{HASH}/files"), Some("application/json"), b" ".to_vec(), 400, "empty"),
        ("PATCH", "/api/v1/config".into(), Some("application/json"), b"{\"title\":".to_vec(), 400, "invalid JSON"),
        ("POST", "/api/v1/search/add".into(), None, br#"{"provider":"x"}"#.to_vec(), 415, "Content-Type"),
        ("DELETE", format!("/api/v1/torrents/{HASH}?deleteFiles=maybe"), None, vec![], 400, "query"),
        ("GET", "/api/v1/downloads?limit=many".into(), None, vec![], 400, "invalid query string"),
        ("GET", "/download/x?download=1&download=2".into(), None, vec![], 400, "invalid query string"),
        ("GET", "/api/v1/nothing".into(), None, vec![], 404, "no route"),
        ("PATCH", "/api/v1/torrents".into(), None, vec![], 405, "method"),
    ];
    for (method, path, ctype, body, status, needle) in cases {
        let (got, json, text) = server.send(method, &path, ctype, body).await;
        assert_eq!(got, status, "{method} {path}: {text}");
        let msg = json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path}: not a JSON error: {text}"));
        assert!(
            msg.to_lowercase().contains(&needle.to_lowercase()),
            "{method} {path}: {msg:?} should mention {needle:?}"
        );
        assert_no_paths(&text, &dirs);
    }

    // 200 KB of nested lists would overflow librqbit's recursive decoder and abort
    // the process; it must be refused with a 400 instead.
    let mut deep = vec![b'l'; 100_000];
    deep.extend(vec![b'e'; 100_000]);
    for path in ["/api/v1/torrents", "/api/torrentfile"] {
        let (status, _, text) = server
            .send("POST", path, Some("application/x-bittorrent"), deep.clone())
            .await;
        assert_eq!(status, 400, "{path}: {text}");
        assert!(text.contains("nested more than"), "{path}: {text}");
    }

    // A body over 10 MiB is refused with 413, not buffered without bound: as JSON by
    // the API (whatever the body's type), as text by the old endpoints. The server
    // answers without reading the rest, so each goes on a connection of its own, and
    // the rest is kept small enough for the sockets' buffers to take it.
    let huge = vec![b'd'; 10 * 1024 * 1024 + 100 * 1024];
    let mut form =
        b"--XX\r\nContent-Disposition: form-data; name=\"torrent\"; filename=\"t.torrent\"\r\n\r\n"
            .to_vec();
    form.extend_from_slice(&huge);
    form.extend_from_slice(b"\r\n--XX--\r\n");
    let cases = [
        (
            "POST",
            "/api/v1/torrents",
            "application/x-bittorrent",
            &huge,
        ),
        ("POST", "/api/v1/torrents", "application/json", &huge),
        (
            "POST",
            "/api/v1/torrents",
            "multipart/form-data; boundary=XX",
            &form,
        ),
        ("PATCH", "/api/v1/config", "application/json", &huge),
        (
            "POST",
            "/api/torrentfile",
            "application/x-bittorrent",
            &huge,
        ),
    ];
    for (method, path, ctype, body) in cases {
        let r = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
            .request(method.parse().unwrap(), server.url(path))
            .header("content-type", ctype)
            .body(body.clone())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        let message = if path.starts_with("/api/v1/") {
            serde_json::from_str::<Value>(&text).unwrap()["error"].clone()
        } else {
            Value::String(text.clone())
        };
        assert_eq!(status, 413, "{path} as {ctype}: {text}");
        assert_eq!(
            message, "the request body is larger than 10 MiB",
            "{path} as {ctype}"
        );
    }

    // Still serving, nothing was added by all that.
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    assert_eq!(list, json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urls_are_fetched_safely() {
    let dirs = Dirs::new();
    let mut cfg = test_settings(&dirs);
    cfg.allow_private_urls = false;
    let server = TestServer::start(cfg).await;

    // A loopback web server that answers 404, a huge body and a non-torrent.
    let app = axum::Router::new()
        .route(
            "/big",
            axum::routing::get(|| async { vec![b'x'; 11 * 1024 * 1024] }),
        )
        .route(
            "/html",
            axum::routing::get(|| async { "<html>not a torrent</html>" }),
        );
    let web = serve_web(app).await;

    // Private addresses are refused by default.
    let (status, e) = server.add_url(&format!("http://{web}/html")).await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("allowPrivateUrls"),
        "{e}"
    );
    let (status, e) = server.add_url("http://localhost:1/x.torrent").await;
    assert_eq!(status, 400, "{e}");
    server.stop().await;

    // With allowPrivateUrls: 404, too large and not-a-torrent each get a clear 422.
    let server = TestServer::start(test_settings(&dirs)).await;
    for (path, needle) in [
        ("/missing", "404"),
        ("/big", "10 MiB"),
        ("/html", "valid .torrent"),
    ] {
        let (status, e) = server.add_url(&format!("http://{web}{path}")).await;
        assert_eq!(status, 422, "{path}: {e}");
        assert!(e["error"].as_str().unwrap().contains(needle), "{path}: {e}");
    }
    // Nothing listens on port 1: a connection error, not a hang.
    let (status, e) = server.add_url("http://127.0.0.1:1/x.torrent").await;
    assert_eq!(status, 422, "{e}");
    assert!(e["error"].as_str().unwrap().contains("connect"), "{e}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_endpoints_answer_text() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let data = make_payload(&dirs.data, "legacy", &[("a.txt", 1000), ("b.txt", 2000)]).await;
    let form = "application/x-www-form-urlencoded";

    let (status, _, text) = server
        .send("POST", "/api/magnet", Some(form), b"not a magnet".to_vec())
        .await;
    assert_eq!(
        (status, text.contains("invalid magnet")),
        (400, true),
        "{text}"
    );
    let (status, _, text) = server.send("POST", "/api/magnet", Some(form), vec![]).await;
    assert_eq!((status, text.contains("empty")), (400, true), "{text}");
    let (status, _, text) = server
        .send("POST", "/api/torrentfile", None, b"junk".to_vec())
        .await;
    assert_eq!(
        (status, text.contains("invalid .torrent")),
        (400, true),
        "{text}"
    );
    let (status, _, text) = server
        .send("POST", "/api/url", Some(form), b"gopher://x".to_vec())
        .await;
    assert_eq!(status, 400, "{text}");

    // The raw .torrent as body (curl --data-binary sends form-urlencoded).
    let (status, _, text) = server
        .send("POST", "/api/torrentfile", Some(form), data.torrent.clone())
        .await;
    assert_eq!((status, text.as_str()), (200, "OK"));
    let hash = &data.info_hash;
    let (status, _, text) = server
        .send(
            "POST",
            "/api/torrent",
            Some(form),
            format!("stop:{hash}").into_bytes(),
        )
        .await;
    assert_eq!((status, text.as_str()), (200, "OK"));
    assert_eq!(server.torrent(hash).await["state"], "paused");
    let (status, _, text) = server
        .send(
            "POST",
            "/api/torrent",
            Some(form),
            format!("start:{hash}").into_bytes(),
        )
        .await;
    assert_eq!((status, text.as_str()), (200, "OK"));
    assert_ne!(server.torrent(hash).await["state"], "paused");

    // Per-file start/stop by path.
    let (status, _, text) = server
        .send(
            "POST",
            "/api/file",
            Some(form),
            format!("stop:{hash}:legacy/a.txt").into_bytes(),
        )
        .await;
    assert_eq!((status, text.as_str()), (200, "OK"));
    let t = server.torrent(hash).await;
    assert_eq!(file(&t, "legacy/a.txt")["selected"], false, "{t:#}");
    assert_eq!(file(&t, "legacy/b.txt")["selected"], true, "{t:#}");
    let (status, _, text) = server
        .send(
            "POST",
            "/api/file",
            Some(form),
            format!("start:{hash}:a.txt").into_bytes(),
        )
        .await;
    assert_eq!(
        (status, text.as_str()),
        (200, "OK"),
        "a path without the torrent folder also works"
    );
    assert_eq!(
        file(&server.torrent(hash).await, "legacy/a.txt")["selected"],
        true
    );
    let (status, _, text) = server
        .send(
            "POST",
            "/api/file",
            Some(form),
            format!("stop:{hash}:nope.txt").into_bytes(),
        )
        .await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("no file"), "{text}");

    for (body, needle) in [
        ("jump:".to_owned() + hash, "unknown action"),
        ("start".to_owned(), "expected"),
        ("start:zz".to_owned(), "40 hexadecimal"),
        (format!("start:{}", "ab".repeat(20)), "no torrent"),
    ] {
        let (status, _, text) = server
            .send(
                "POST",
                "/api/torrent",
                Some(form),
                body.clone().into_bytes(),
            )
            .await;
        assert_eq!(status, 400, "{body}: {text}");
        assert!(text.contains(needle), "{body}: {text}");
    }

    let (status, _, text) = server
        .send(
            "POST",
            "/api/torrent",
            Some(form),
            format!("delete:{hash}").into_bytes(),
        )
        .await;
    assert_eq!((status, text.as_str()), (200, "OK"));
    let (status, _) = server.get_json(&format!("/api/v1/torrents/{hash}")).await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn openapi_document_lists_the_v1_routes() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, doc) = server.get_json("/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/api/v1/torrents",
        "/api/v1/torrents/{infoHash}",
        "/api/v1/torrents/{infoHash}/start",
        "/api/v1/torrents/{infoHash}/stop",
        "/api/v1/torrents/{infoHash}/files",
    ] {
        assert!(paths.contains_key(p), "missing {p}");
    }
    assert!(doc["components"]["schemas"]["Torrent"]["properties"]["infoHash"].is_object());
    server.stop().await;
}
