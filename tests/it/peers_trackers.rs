//! A torrent's swarm as the user inspects it: `GET /api/v1/torrents/{hash}/peers`
//! during a real download from a loopback seeder (addresses, bytes, rates),
//! `GET .../trackers` scraping a loopback HTTP tracker (counts and status, a dead
//! UDP tracker and one without a scrape URL beside it), `POST .../reannounce`
//! reaching the tracker again, and the same data through qBittorrent's
//! `torrents/trackers` and Transmission's `trackerStats` and `peers`.
//! UDP scrapes against Debian's opentracker are in `interop.rs`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::routing::get;
use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn peers_of_a_download_are_listed_with_their_bytes_and_rates() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "slow.bin", &[("", 6 * 1024 * 1024 + 123)]).await;
    // Throttled so that the download lasts a few seconds.
    let seeder = Seeder::start(&data, "127.0.0.2", Some(1024 * 1024), &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201, "{t}");
    let path = format!("/api/v1/torrents/{}/peers", data.info_hash);

    wait_for("bytes from the seeder", TIMEOUT, || async {
        server.get_json(&path).await.1[0]["downloaded"].as_u64() > Some(0)
    })
    .await;
    let peers = server.get_json(&path).await.1;
    let list = peers.as_array().unwrap();
    assert_eq!(list.len(), 1, "{peers}");
    assert_eq!(list[0]["address"], seeder.addr.to_string());
    assert_eq!(list[0]["incoming"], false, "we dialed the seeder");
    assert_eq!(list[0]["utp"], false);
    // The second look measures a rate over the time since the first.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let (status, peers) = server.get_json(&path).await;
    assert_eq!(status, 200);
    let rate = peers[0]["downloadRate"].as_u64().unwrap();
    assert!(
        rate > 100 * 1024 && rate < 3 * 1024 * 1024,
        "a seeder throttled to 1 MiB/s: {peers}"
    );

    // A reannounce restarts the connections: the download and its rate go on.
    let (status, _) = server
        .post_json(
            &format!("/api/v1/torrents/{}/reannounce", data.info_hash),
            json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let completed = server.torrent(&data.info_hash).await["completed"]
        .as_u64()
        .unwrap();
    wait_for("the rate after a reannounce", TIMEOUT, || async {
        let t = server.torrent(&data.info_hash).await;
        t["downloadRate"].as_u64() > Some(0) && t["completed"].as_u64() > Some(completed)
    })
    .await;

    // qBittorrent's `sync/torrentPeers`: everything first, then what changed.
    let qbt_peers = |rid: u64| {
        let server = &server;
        let hash = data.info_hash.clone();
        async move {
            let (status, body) = server
                .get_json(&format!("/api/v2/sync/torrentPeers?hash={hash}&rid={rid}"))
                .await;
            assert_eq!(status, 200, "{body}");
            body
        }
    };
    let first = qbt_peers(0).await;
    assert_eq!(first["full_update"], true, "{first}");
    let key = seeder.addr.to_string();
    let shown = &first["peers"][&key];
    assert_eq!(shown["ip"], seeder.addr.ip().to_string(), "{first}");
    assert_eq!(shown["port"], seeder.addr.port(), "{first}");
    assert_eq!(shown["connection"], "BT", "{first}");
    assert!(shown["downloaded"].as_u64() > Some(0), "{first}");
    let rid = first["rid"].as_u64().unwrap();
    let later = qbt_peers(rid).await;
    assert!(later.get("full_update").is_none(), "{later}");
    assert!(later["rid"].as_u64() > Some(rid), "{later}");
    // The bytes from the seeder grow: they are among what changed. Each look asks
    // from the answer before it, so each is a delta (an unknown rid would get all).
    let last_rid = std::sync::Mutex::new(later["rid"].as_u64().unwrap());
    wait_for("more bytes in a delta", TIMEOUT, || async {
        let since = *last_rid.lock().unwrap();
        let delta = qbt_peers(since).await;
        assert!(delta.get("full_update").is_none(), "{delta}");
        *last_rid.lock().unwrap() = delta["rid"].as_u64().unwrap();
        delta["peers"][&key]["downloaded"].as_u64() > shown["downloaded"].as_u64()
    })
    .await;
    let before_stop = qbt_peers(0).await["rid"].as_u64().unwrap();

    server.stop_torrent(&data.info_hash).await;
    assert_eq!(server.get_json(&path).await, (200, json!([])));
    let gone = qbt_peers(before_stop).await;
    assert_eq!(gone["peers_removed"], json!([key]), "{gone}");
    let qbt_unknown = format!("/api/v2/sync/torrentPeers?hash={}", "ab".repeat(20));
    assert_eq!(server.get_json(&qbt_unknown).await.0, 404);
    // Without a hash too, as qBittorrent answers.
    assert_eq!(server.get_json("/api/v2/sync/torrentPeers").await.0, 404);
    let unknown = format!("/api/v1/torrents/{}/peers", "ab".repeat(20));
    assert_eq!(server.get_json(&unknown).await.0, 404);
    assert_eq!(
        server.get_json("/api/v1/torrents/nothex/peers").await.0,
        400
    );
}

/// A tracker on loopback that counts announces and answers scrapes of `hash`
/// with 7 seeders, 3 leechers and 9 downloads.
struct FakeTracker {
    announces: Arc<AtomicUsize>,
    scrapes: Arc<std::sync::Mutex<Vec<String>>>,
    url: String,
}

async fn fake_tracker(hash: &str) -> FakeTracker {
    let announces = Arc::new(AtomicUsize::new(0));
    let scrapes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let raw_hash = hex::decode(hash).unwrap();
    let mut scrape_answer = b"d5:filesd20:".to_vec();
    scrape_answer.extend_from_slice(&raw_hash);
    scrape_answer.extend_from_slice(b"d8:completei7e10:downloadedi9e10:incompletei3eeee");
    let app = axum::Router::new()
        .route(
            "/tr/announce",
            get({
                let announces = announces.clone();
                move || async move {
                    announces.fetch_add(1, Ordering::SeqCst);
                    b"d8:intervali1800e5:peers0:e".to_vec()
                }
            }),
        )
        .route(
            "/tr/scrape",
            get({
                let scrapes = scrapes.clone();
                move |uri: axum::http::Uri| async move {
                    scrapes
                        .lock()
                        .unwrap()
                        .push(uri.query().unwrap_or_default().to_owned());
                    scrape_answer
                }
            }),
        );
    let addr = serve_web(app).await;
    FakeTracker {
        announces,
        scrapes,
        url: format!("http://{addr}/tr/announce"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn trackers_are_scraped_and_a_reannounce_reaches_them() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "tracked.bin", &[("", 512 * 1024 + 77)]).await;
    let seeder = Seeder::start(&data, "127.0.0.2", None, &[]).await;
    let tracker = fake_tracker(&data.info_hash).await;
    // Nothing listens there: the kernel refuses the datagram at once.
    let dead_udp = format!("udp://127.0.0.1:{}/announce", free_port("127.0.0.1"));
    let no_scrape = tracker.url.replace("/tr/announce", "/status");
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    let magnet = format!(
        "{}&tr={}&tr={}&tr={}",
        seeder.magnet(&data),
        enc(&tracker.url),
        enc(&dead_udp),
        enc(&no_scrape)
    );
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server.add_magnet(&magnet).await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    wait_for("librqbit's first announce", TIMEOUT, || async {
        tracker.announces.load(Ordering::SeqCst) >= 1
    })
    .await;

    let (status, trackers) = server
        .get_json(&format!("/api/v1/torrents/{}/trackers", data.info_hash))
        .await;
    assert_eq!(status, 200, "{trackers}");
    let rows = trackers.as_array().unwrap();
    assert_eq!(rows.len(), 3, "{trackers}");
    assert_eq!(rows[0]["url"], tracker.url);
    assert_eq!(rows[0]["status"], "working", "{trackers}");
    assert_eq!(
        (
            &rows[0]["seeders"],
            &rows[0]["leechers"],
            &rows[0]["downloaded"]
        ),
        (&json!(7), &json!(3), &json!(9))
    );
    assert!(rows[0]["scrapedAt"].is_string());
    let expected_hash: String = hex::decode(&data.info_hash)
        .unwrap()
        .iter()
        .map(|b| format!("%{b:02X}"))
        .collect();
    assert_eq!(
        tracker.scrapes.lock().unwrap().as_slice(),
        [format!("info_hash={expected_hash}")]
    );
    assert_eq!(rows[1]["url"], dead_udp);
    assert_eq!(rows[1]["status"], "notWorking", "{trackers}");
    assert!(
        rows[1]["message"]
            .as_str()
            .unwrap()
            .contains("cannot reach"),
        "{trackers}"
    );
    assert_eq!(rows[1]["seeders"], Value::Null);
    assert_eq!(rows[2]["status"], "unknown");
    assert_eq!(rows[2]["message"], "this tracker offers no scrape");

    // A second look within the minute asks nobody again.
    server
        .get_json(&format!("/api/v1/torrents/{}/trackers", data.info_hash))
        .await;
    assert_eq!(tracker.scrapes.lock().unwrap().len(), 1);

    // The same rows through qBittorrent's API, after its three pseudo-rows.
    let (status, qbt) = server
        .get_json(&format!(
            "/api/v2/torrents/trackers?hash={}",
            data.info_hash
        ))
        .await;
    assert_eq!(status, 200, "{qbt}");
    assert_eq!(qbt.as_array().unwrap().len(), 6, "{qbt}");
    assert_eq!(qbt[3]["url"], tracker.url);
    assert_eq!(
        (&qbt[3]["status"], &qbt[3]["num_seeds"]),
        (&json!(2), &json!(7))
    );
    assert_eq!(
        (&qbt[4]["status"], &qbt[4]["num_seeds"]),
        (&json!(4), &json!(-1))
    );
    assert_eq!(qbt[5]["status"], 1);

    // And through Transmission's, with the peers.
    let transmission = transmission_call(
        &server,
        json!({"method": "torrent-get", "arguments": {
            "ids": [data.info_hash], "fields": ["trackerStats", "peers"]}}),
    )
    .await;
    let t = &transmission["arguments"]["torrents"][0];
    assert_eq!(t["trackerStats"][0]["seederCount"], 7, "{transmission}");
    assert_eq!(t["trackerStats"][0]["lastScrapeSucceeded"], true);
    assert_eq!(t["trackerStats"][1]["lastScrapeSucceeded"], false);
    assert_eq!(t["trackerStats"][1]["seederCount"], -1);
    assert!(t["peers"].is_array(), "{transmission}");

    // A reannounce announces again at once (librqbit's own interval is 30 minutes here).
    let before = tracker.announces.load(Ordering::SeqCst);
    let (status, t) = server
        .post_json(
            &format!("/api/v1/torrents/{}/reannounce", data.info_hash),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["state"], "seeding");
    wait_for("an announce after the reannounce", TIMEOUT, || async {
        tracker.announces.load(Ordering::SeqCst) > before
    })
    .await;
    // qBittorrent's reannounce does the same.
    let before = tracker.announces.load(Ordering::SeqCst);
    let answer = http_client()
        .build()
        .unwrap()
        .post(server.url("/api/v2/torrents/reannounce"))
        .form(&[("hashes", data.info_hash.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    wait_for(
        "an announce after qBittorrent's reannounce",
        TIMEOUT,
        || async { tracker.announces.load(Ordering::SeqCst) > before },
    )
    .await;
    assert_eq!(
        server
            .post_json(
                &format!("/api/v1/torrents/{}/reannounce", "cd".repeat(20)),
                json!({})
            )
            .await
            .0,
        404
    );
}

/// One Transmission RPC call, after the session-id handshake.
async fn transmission_call(server: &TestServer, body: Value) -> Value {
    let http = http_client().build().unwrap();
    let url = server.url("/transmission/rpc");
    let first = http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(first.status(), 409);
    let id = first.headers()["x-transmission-session-id"].clone();
    let answer = http
        .post(&url)
        .header("x-transmission-session-id", id)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    answer.json().await.unwrap()
}

/// `bytes` (a .torrent) announcing to `url`: the key goes first, where a sorted
/// dictionary has it.
fn with_announce(bytes: &[u8], url: &str) -> Vec<u8> {
    let mut out = format!("d8:announce{}:{url}7:comment11:from a test", url.len()).into_bytes();
    out.extend_from_slice(&bytes[1..]);
    out
}

async fn put_trackers(server: &TestServer, hash: &str, urls: Value) -> (u16, Value) {
    let (status, json, _) = server
        .send(
            "PUT",
            &format!("/api/v1/torrents/{hash}/trackers"),
            Some("application/json"),
            serde_json::to_vec(&urls).unwrap(),
        )
        .await;
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_torrents_tracker_list_is_replaced_kept_and_edited_through_both_apis() {
    let dirs = Dirs::new();
    // Its data is there already: it seeds once checked.
    let data = make_payload(&dirs.downloads, "edited.bin", &[("", 300 * 1024 + 5)]).await;
    let old = fake_tracker(&data.info_hash).await;
    let new = fake_tracker(&data.info_hash).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server
        .add_torrent_file(&with_announce(&data.torrent, &old.url), "")
        .await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    wait_for("an announce to the .torrent's tracker", TIMEOUT, || async {
        old.announces.load(Ordering::SeqCst) >= 1
    })
    .await;
    assert_eq!(t["trackerHosts"], json!(["127.0.0.1"]), "{t}");
    // What the .torrent file says of itself.
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(
        (&t["comment"], &t["private"]),
        (&json!("from a test"), &json!(false)),
        "{t}"
    );

    // The .torrent's tracker is replaced: the new one hears of the torrent at once,
    // the old one no more, and the data is not fetched again.
    let (status, rows) = put_trackers(&server, &data.info_hash, json!({"urls": [new.url]})).await;
    assert_eq!(status, 200, "{rows}");
    assert_eq!(rows.as_array().unwrap().len(), 1, "{rows}");
    assert_eq!(rows[0]["url"], new.url);
    let old_count = old.announces.load(Ordering::SeqCst);
    wait_for("an announce to the new tracker", TIMEOUT, || async {
        new.announces.load(Ordering::SeqCst) >= 1
    })
    .await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(t["progress"], 1.0, "{t}");

    // Kept across a restart: only the new tracker is announced to.
    server.stop().await;
    let new_count = new.announces.load(Ordering::SeqCst);
    let server = TestServer::start(test_settings(&dirs)).await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    wait_for(
        "an announce to the new tracker after a restart",
        TIMEOUT,
        || async { new.announces.load(Ordering::SeqCst) > new_count },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        old.announces.load(Ordering::SeqCst),
        old_count,
        "the old tracker is not used"
    );
    let (_, rows) = server
        .get_json(&format!("/api/v1/torrents/{}/trackers", data.info_hash))
        .await;
    let urls: Vec<&Value> = rows.as_array().unwrap().iter().map(|r| &r["url"]).collect();
    assert_eq!(urls, [&json!(new.url)]);

    // Bad lists are refused, naming what is wrong; the list stays.
    let hash = data.info_hash.as_str();
    for (body, says) in [
        (
            json!({"urls": ["ftp://example.org/announce"]}),
            "ftp://example.org/announce",
        ),
        (
            json!({"urls": ["udp://example.org/announce"]}),
            "needs a port",
        ),
        (json!({"urls": ["not a url"]}), "not a URL"),
        (json!({"urls": "http://example.org/a"}), "urls"),
        (json!({"urls": [], "other": 1}), "other"),
    ] {
        let (status, answer) = put_trackers(&server, hash, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(says),
            "{body}: {answer}"
        );
    }
    let unknown = "ab".repeat(20);
    assert_eq!(
        put_trackers(&server, &unknown, json!({"urls": []})).await.0,
        404
    );
    assert_eq!(
        server.torrent(hash).await["trackerHosts"],
        json!(["127.0.0.1"])
    );

    // qBittorrent's calls: add (one per line; a repeat is dropped), edit, remove.
    let extra = "udp://127.0.0.1:1/announce".to_owned();
    let edited = "http://127.0.0.2:9/announce".to_owned();
    let form = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        let mut form = vec![("hash".to_owned(), hash.to_owned())];
        form.extend(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        form
    };
    let added = format!("{extra}\n{}", new.url);
    let status = qbt_call(&server, "addTrackers", form(&[("urls", &added)])).await;
    assert_eq!(status, 200);
    assert_eq!(
        tracker_list(&server, hash).await,
        [new.url.as_str(), &extra]
    );
    let edit = form(&[("origUrl", &extra), ("newUrl", &edited)]);
    assert_eq!(qbt_call(&server, "editTracker", edit.clone()).await, 200);
    assert_eq!(
        tracker_list(&server, hash).await,
        [new.url.as_str(), &edited]
    );
    assert_eq!(
        qbt_call(&server, "editTracker", edit).await,
        409,
        "no such tracker any more"
    );
    let status = qbt_call(&server, "removeTrackers", form(&[("urls", &edited)])).await;
    assert_eq!(status, 200);
    assert_eq!(tracker_list(&server, hash).await, [new.url.as_str()]);

    // Transmission's: add, replace by id, remove by id, and a whole list.
    let answer = transmission_set(&server, hash, json!({"trackerAdd": [extra]})).await;
    assert_eq!(answer["result"], "success", "{answer}");
    assert_eq!(
        tracker_list(&server, hash).await,
        [new.url.as_str(), &extra]
    );
    transmission_set(&server, hash, json!({"trackerReplace": [1, edited]})).await;
    assert_eq!(
        tracker_list(&server, hash).await,
        [new.url.as_str(), &edited]
    );
    transmission_set(&server, hash, json!({"trackerRemove": [0]})).await;
    assert_eq!(tracker_list(&server, hash).await, [edited.as_str()]);
    assert_eq!(
        server.torrent(hash).await["trackerHosts"],
        json!(["127.0.0.2"])
    );
    let answer = transmission_set(&server, hash, json!({"trackerRemove": [5]})).await;
    assert_ne!(answer["result"], "success", "{answer}");
    let whole = format!("{}\n\n{extra}\n", new.url);
    transmission_set(&server, hash, json!({"trackerList": whole})).await;
    assert_eq!(
        tracker_list(&server, hash).await,
        [new.url.as_str(), &extra]
    );
    server.wait_state(hash, "seeding", TIMEOUT).await;
}

/// The URLs of a torrent's trackers, in their order.
async fn tracker_list(server: &TestServer, hash: &str) -> Vec<String> {
    let (_, rows) = server
        .get_json(&format!("/api/v1/torrents/{hash}/trackers"))
        .await;
    let rows = rows.as_array().unwrap();
    rows.iter()
        .map(|r| r["url"].as_str().unwrap().to_owned())
        .collect()
}

/// A form posted to qBittorrent's `torrents/{call}`; its status.
async fn qbt_call(server: &TestServer, call: &str, form: Vec<(String, String)>) -> u16 {
    let http = http_client().build().unwrap();
    let url = server.url(&format!("/api/v2/torrents/{call}"));
    http.post(url)
        .form(&form)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Transmission's `torrent-set` of `args` on the torrent `hash`.
async fn transmission_set(server: &TestServer, hash: &str, mut args: Value) -> Value {
    args["ids"] = json!([hash]);
    transmission_call(server, json!({"method": "torrent-set", "arguments": args})).await
}

/// GET `path`: the status, the headers and the body's bytes.
async fn get_bytes(server: &TestServer, path: &str) -> (u16, reqwest::header::HeaderMap, Vec<u8>) {
    let r = http_client()
        .build()
        .unwrap()
        .get(server.url(path))
        .send()
        .await
        .unwrap();
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    (status, headers, r.bytes().await.unwrap().to_vec())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_torrents_file_is_exported_with_its_trackers_as_they_are_now() {
    let dirs = Dirs::new();
    let data = make_payload(
        &dirs.downloads,
        "Shared",
        &[("a.bin", 200_003), ("b.bin", 5)],
    )
    .await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let hash = data.info_hash.clone();
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    let urls = ["http://127.0.0.1:9/announce", "udp://127.0.0.1:9"];
    let (status, body) = put_trackers(&server, &hash, json!({ "urls": urls })).await;
    assert_eq!(status, 200, "{body}");
    let (status, _) = server
        .patch_json(
            &format!("/api/v1/torrents/{hash}"),
            json!({"name": "Shared files"}),
        )
        .await;
    assert_eq!(status, 200);

    let path = format!("/api/v1/torrents/{hash}/torrent");
    let (status, headers, exported) = get_bytes(&server, &path).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/x-bittorrent");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"Shared files.torrent\""),
        "{disposition}"
    );
    // qBittorrent's export is the same file.
    let (status, _, theirs) =
        get_bytes(&server, &format!("/api/v2/torrents/export?hash={hash}")).await;
    assert_eq!(status, 200);
    assert_eq!(theirs, exported);

    // Added to another server, it is the same torrent, announcing to the same trackers.
    let other_dirs = Dirs::new();
    let other = TestServer::start(test_settings(&other_dirs)).await;
    let (status, t) = other.add_torrent_file(&exported, "?paused=true").await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["infoHash"], hash);
    assert_eq!(t["name"], "Shared");
    assert_eq!(tracker_list(&other, &hash).await, urls);
    other.stop().await;

    // Before the metadata there is no file; an unknown torrent is not found.
    let pending = "9e".repeat(20);
    let (status, _) = server
        .add_magnet(&format!("magnet:?xt=urn:btih:{pending}&x.pe=127.0.0.1:9"))
        .await;
    assert_eq!(status, 201);
    let (status, _, body) =
        get_bytes(&server, &format!("/api/v1/torrents/{pending}/torrent")).await;
    assert_eq!(status, 409, "{}", String::from_utf8_lossy(&body));
    let (status, _, _) =
        get_bytes(&server, &format!("/api/v2/torrents/export?hash={pending}")).await;
    assert_eq!(status, 409);
    let (status, _, _) = get_bytes(
        &server,
        &format!("/api/v1/torrents/{}/torrent", "ab".repeat(20)),
    )
    .await;
    assert_eq!(status, 404);
    server.stop().await;
}
