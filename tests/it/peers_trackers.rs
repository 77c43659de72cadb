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

    server.stop_torrent(&data.info_hash).await;
    assert_eq!(server.get_json(&path).await, (200, json!([])));
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
