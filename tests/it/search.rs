//! Search through the HTTP API, as the web UI uses it: a fake torrent site, movie
//! API and Jackett-style indexer on 127.0.0.1 (crates/search/tests/fixture), a
//! result added in one call and downloaded from a loopback seeder.

#[path = "../../crates/search/tests/fixture/mod.rs"]
mod fixture;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use fixture::{APIKEY, Fixtures};
use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(90);

/// A server with a providers file for `site`, whose peer port is known.
async fn start(dirs: &Dirs, providers: Option<&Value>) -> (TestServer, SocketAddr) {
    let mut settings = test_settings(dirs);
    let addr = fixed_incoming_port(&mut settings);
    // Search must not need this: providers' hosts are allowed on their own.
    settings.allow_private_urls = false;
    settings.search_config = providers.map(|p| {
        let file: PathBuf = dirs.data.join("search-providers.json");
        std::fs::write(&file, serde_json::to_vec_pretty(p).unwrap()).unwrap();
        file
    });
    let server = TestServer::start(settings).await;
    (server, addr)
}

fn result<'a>(answer: &'a Value, name: &str) -> &'a Value {
    answer["results"]
        .as_array()
        .unwrap_or_else(|| panic!("no results in {answer:#}"))
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result {name:?} in {answer:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_site_result_is_found_and_added_in_one_call_then_downloads() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "Big Buck Bunny.bin", &[("", 1_500_000)]).await;
    let seeder = Seeder::start(&data, "127.0.0.21", None, &[]).await;
    let site = fixture::start(Fixtures {
        bunny: data.info_hash.clone(),
        peer: Some(seeder.addr),
        ..Fixtures::fake()
    })
    .await;
    let (server, _) = start(&dirs, Some(&fixture::providers(&site.base))).await;

    let (status, providers) = server.get_json("/api/v1/search/providers").await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = providers
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 3, "{providers}");
    assert!(ids.contains(&"site") && ids.contains(&"jackett") && ids.contains(&"api"));
    let jackett = providers
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "jackett")
        .unwrap();
    assert_eq!(jackett["type"], "torznab");
    assert_eq!(jackett["name"], "Jackett");

    let (status, answer) = server
        .get_json("/api/v1/search?query=big%20buck%20bunny")
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["errors"], json!([]));
    let bunny = result(&answer, "Big Buck Bunny 1080p").clone();
    assert_eq!(bunny["seeders"], 1204);
    assert_eq!(bunny["size"], 1_503_238_554u64);
    assert_eq!(bunny["item"], "/torrent/4242/Big-Buck-Bunny-1080p/");

    // The second phase on its own, as a UI would show the magnet.
    let (status, links) = server
        .get_json("/api/v1/search/item?provider=site&item=/torrent/4242/Big-Buck-Bunny-1080p/")
        .await;
    assert_eq!(status, 200, "{links}");
    assert_eq!(links["infohash"], data.info_hash);
    assert!(
        links["magnet"].as_str().unwrap().contains(&data.info_hash),
        "{links}"
    );

    // The add button posts the whole result.
    let (status, t) = server.post_json("/api/v1/search/add", bunny).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["infoHash"], data.info_hash);
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("Big Buck Bunny.bin"), &data.root);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_indexer_result_is_fetched_by_the_server_and_the_apikey_never_shows() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "Tears of Steel.mkv", &[("", 2_000_000)]).await;
    let site = fixture::start(Fixtures {
        tears: data.info_hash.clone(),
        tears_torrent: data.torrent.clone(),
        tears_size: 2_000_000,
        ..Fixtures::fake()
    })
    .await;
    let (server, incoming) = start(&dirs, Some(&fixture::providers(&site.base))).await;

    let r = server
        .http
        .get(server.url("/api/v1/search?provider=jackett&query=tears%20of%20steel"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        !text.contains(APIKEY),
        "the apikey reached the browser: {text}"
    );
    let answer: Value = serde_json::from_str(&text).unwrap();
    let tears = result(&answer, "Tears of Steel 2012 1080p BluRay x264");
    assert_eq!(tears["size"], 2_000_000);
    assert_eq!(tears["infohash"], data.info_hash);
    assert!(tears.get("torrent").is_none());

    let (status, t) = server
        .post_json(
            "/api/v1/search/add",
            json!({ "provider": "jackett", "item": tears["item"] }),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["infoHash"], data.info_hash);
    assert_eq!(t["name"], "Tears of Steel.mkv");
    assert_eq!(
        site.seen("download"),
        [format!("download opentracker key={APIKEY}")]
    );
    // A .torrent link the client sends is not the indexer's: with
    // allowPrivateUrls off it is refused before any request, even on the
    // indexer's own host and port.
    let downloads = site.seen("download").len();
    let (status, e) = server
        .post_json(
            "/api/v1/search/add",
            json!({ "provider": "jackett", "torrent": format!("{}/dl/t/", site.base) }),
        )
        .await;
    assert_eq!(status, 502, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("private or loopback"),
        "{e}"
    );
    assert_eq!(
        site.seen("download").len(),
        downloads,
        "the link was fetched"
    );
    let _seeder = Seeder::start(&data, "127.0.0.22", None, &[incoming]).await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("Tears of Steel.mkv"), &data.root);

    // Asking for the indexer's second phase says to use add instead.
    let (status, e) = server
        .get_json("/api/v1/search/item?provider=jackett&item=x")
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("POST api/v1/search/add"),
        "{e}"
    );
    server.stop().await;
}

#[tokio::test]
async fn failures_are_json_and_say_which_provider_failed_and_why() {
    let dirs = Dirs::new();
    let site = fixture::start(Fixtures::fake()).await;
    let file = fixture::merged(fixture::providers(&site.base), fixture::failing(&site.base));
    let (server, _) = start(&dirs, Some(&file)).await;

    let (status, answer) = server.get_json("/api/v1/search?query=bunny").await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["results"].as_array().unwrap().len(), 5, "{answer:#}");
    let error = |id: &str| {
        answer["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["provider"] == id)
            .unwrap_or_else(|| panic!("no error for {id}: {answer:#}"))["error"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        error("slow"),
        "no answer within 1 s (the provider's timeout)"
    );
    assert_eq!(
        error("broken"),
        "the site answered 500 Internal Server Error"
    );
    assert!(error("changed").contains("matched nothing: the site may have changed"));

    let cases = [
        (
            "/api/v1/search?query=x&provider=nope",
            404,
            "no search provider \"nope\"",
        ),
        ("/api/v1/search", 400, "query"),
        ("/api/v1/search?query=x&page=0", 400, "page"),
        ("/api/v1/search?query=x&bogus=1", 400, "bogus"),
        ("/api/v1/search?query=x&provider=broken", 200, ""),
        (
            "/api/v1/search/item?provider=site&item=/torrent/9999/gone/",
            502,
            "404 Not Found",
        ),
        (
            "/api/v1/search/item?provider=site&item=//127.0.0.2/x",
            400,
            "not a URL",
        ),
        (
            "/api/v1/search/item?provider=api&item=/x",
            400,
            "no second phase",
        ),
    ];
    for (path, want, text) in cases {
        let (status, body) = server.get_json(path).await;
        assert_eq!(status, want, "{path}: {body}");
        if want != 200 {
            let msg = body["error"]
                .as_str()
                .unwrap_or_else(|| panic!("{path}: {body}"));
            assert!(msg.contains(text), "{path}: {msg}");
        }
    }
    let (status, body) = server
        .get_json("/api/v1/search/item?provider=slow&item=/x")
        .await;
    assert_eq!(status, 400, "slow has no item phase: {body}");

    for (body, want, text) in [
        (json!({}), 400, "provider"),
        (
            json!({"provider": "site"}),
            400,
            "no magnet, infohash, torrent or item",
        ),
        (
            json!({"provider": "site", "item": "/torrent/9999/gone/"}),
            502,
            "search provider \"site\" failed",
        ),
        (
            json!({"provider": "site", "torrent": "file:///etc/passwd"}),
            400,
            "http or https",
        ),
        (
            json!({"provider": "site", "infohash": "xyz"}),
            400,
            "infohash",
        ),
    ] {
        let (status, answer) = server.post_json("/api/v1/search/add", body.clone()).await;
        assert_eq!(status, want, "{body}: {answer}");
        let msg = answer["error"].as_str().unwrap();
        assert!(msg.contains(text), "{body}: {msg}");
        assert!(!msg.contains("/etc/"), "no server paths: {msg}");
    }
    server.stop().await;

    // Without a providers file, search says how to set one up.
    let dirs = Dirs::new();
    let (server, _) = start(&dirs, None).await;
    let (status, providers) = server.get_json("/api/v1/search/providers").await;
    assert_eq!((status, providers), (200, json!([])));
    let (status, e) = server.get_json("/api/v1/search?query=x").await;
    assert_eq!(status, 404);
    assert!(
        e["error"].as_str().unwrap().contains("--search-config"),
        "{e}"
    );
    let (_, doc) = server.get_json("/api/v1/openapi.json").await;
    for path in [
        "/api/v1/search",
        "/api/v1/search/providers",
        "/api/v1/search/item",
        "/api/v1/search/add",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is not documented");
    }
    server.stop().await;
}

#[test]
fn an_invalid_providers_file_stops_start_up_with_one_line() {
    let dirs = Dirs::new();
    let file = dirs.data.join("providers.json");
    std::fs::write(
        &file,
        r#"{"site": {"url": "ftp://x.example/{{query}}", "result": {"name": "a"}}}"#,
    )
    .unwrap();
    let err = refuses(command_in(&dirs).arg("--search-config").arg(&file));
    assert!(
        err.contains("searchConfig")
            && err.contains("provider \"site\": url")
            && err.contains("http or https"),
        "{err}"
    );
}
