//! Dormant torrents (`dormantAfter`): a seeding torrent with no peer leaves
//! librqbit, stays `seeding` with `dormant: true`, is announced by the server
//! itself on the dormant port (to a real opentracker here), and a peer that comes
//! there gets the data, the upload counted, as from any seeding torrent. It stays
//! dormant across a restart; stop, start and remove work on it.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use librqbit::{AddTorrent, AddTorrentOptions, Session, SessionOptions};
use serde_json::Value;

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

/// Settings that make a torrent dormant after a second with no peer (the ticker
/// looks at quiet torrents every 10 s), with a known dormant port.
fn dormant_settings(dirs: &Dirs) -> (cloud_torrent_config::ConfigValues, SocketAddr) {
    let mut settings = test_settings(dirs);
    settings.dormant_after = 1;
    settings.dormant_port = free_port("127.0.0.1");
    let dormant = SocketAddr::from(([127, 0, 0, 1], settings.dormant_port));
    (settings, dormant)
}

async fn wait_dormant(server: &Api, hash: &str, dormant: bool) -> Value {
    server
        .wait_torrent(hash, &format!("dormant {dormant}, seeding"), TIMEOUT, |t| {
            t["dormant"] == dormant && t["state"] == "seeding"
        })
        .await
}

/// A librqbit session that finds peers through trackers only, downloading into
/// folders of its own.
async fn tracker_leecher(payload: &Payload) -> (Dirs, Arc<Session>, Arc<librqbit::ManagedTorrent>) {
    let dirs = Dirs::new();
    let session = Session::new_with_opts(
        dirs.downloads.clone(),
        SessionOptions {
            dht: None,
            disable_local_service_discovery: true,
            listen: None,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let handle = session
        .add_torrent(
            AddTorrent::from_bytes(payload.torrent.clone()),
            Some(AddTorrentOptions::default()),
        )
        .await
        .unwrap()
        .into_handle()
        .unwrap();
    (dirs, session, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dormant_torrent_is_announced_and_wakes_for_a_peer_from_the_tracker() {
    require("opentracker");
    let dirs = Dirs::new();
    let tracker_port = free_port("127.0.0.1");
    let size = 3 * 1024 * 1024 + 17;
    std::fs::write(dirs.downloads.join("asleep.bin"), payload(size, 9)).unwrap();
    let data = Payload::create_announced(
        &dirs.downloads.join("asleep.bin"),
        "asleep.bin",
        256 * 1024,
        vec![format!("http://127.0.0.1:{tracker_port}/announce")],
    )
    .await;
    let hash = data.info_hash.clone();
    let _tracker = start_opentracker(dirs.root(), tracker_port, &hash);
    let (settings, _) = dormant_settings(&dirs);
    let server = TestServer::start(settings).await;
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&hash, "seeding", TIMEOUT).await;

    // Dormant: still seeding, all of it, files listed.
    let t = wait_dormant(&server, &hash, true).await;
    assert_eq!(t["progress"], 1.0, "{t:#}");
    assert_eq!(t["size"], size as u64, "{t:#}");
    assert_eq!(t["completed"], size as u64, "{t:#}");
    assert_eq!(t["files"][0]["path"], "asleep.bin", "{t:#}");
    assert_eq!(t["peers"], 0, "{t:#}");

    // The server announced it under its own peer id, with the dormant port.
    let http = http_client().build().unwrap();
    let scrape = format!(
        "http://127.0.0.1:{tracker_port}/scrape?info_hash={}",
        url_escape_bytes(&hex::decode(&hash).unwrap())
    );
    wait_for("the dormant torrent's announce", TIMEOUT, || async {
        let Ok(answer) = http.get(&scrape).send().await else {
            return false;
        };
        let body = answer.bytes().await.unwrap_or_default();
        // Two seeders: librqbit's announce before, ours (on the dormant port) now.
        String::from_utf8_lossy(&body).contains("8:completei2e")
    })
    .await;

    // A peer that knows it only through the tracker gets it all.
    let (leecher_dirs, _session, leecher) = tracker_leecher(&data).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("the leecher got the data from the dormant torrent")
        .unwrap();
    assert_same_file(
        &leecher_dirs.downloads.join("asleep.bin"),
        &dirs.downloads.join("asleep.bin"),
    );
    let t = server
        .wait_torrent(&hash, "its upload counted", TIMEOUT, |t| {
            t["uploaded"].as_u64().unwrap_or(0) >= size as u64
        })
        .await;
    assert_eq!(t["dormant"], false, "woken by the peer: {t:#}");
    assert_eq!(t["state"], "seeding", "{t:#}");
    drop(leecher);
    drop(_session);

    // With the peer gone it goes back to sleep, its upload kept.
    let t = wait_dormant(&server, &hash, true).await;
    assert!(t["uploaded"].as_u64() >= Some(size as u64), "{t:#}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_dormant_torrent_answers_at_its_port_keeps_seeding_time_and_stays_dormant_after_a_restart()
 {
    let dirs = Dirs::new();
    let size = 1_200_003usize;
    let data = make_payload(&dirs.downloads, "quiet.bin", &[("", size)]).await;
    let hash = data.info_hash.clone();
    let (settings, dormant) = dormant_settings(&dirs);
    let server = TestServer::start(settings.clone()).await;
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    let before = wait_dormant(&server, &hash, true).await;
    // Its pieces, from its fast-resume data: all 5 of 256 KiB.
    let (status, pieces) = server
        .get_json(&format!("/api/v1/torrents/{hash}/pieces"))
        .await;
    assert_eq!(status, 200, "{pieces}");
    assert_eq!(
        (&pieces["count"], &pieces["have"]),
        (&serde_json::json!(5), &serde_json::json!("+A==")),
        "{pieces}"
    );

    // Its files are still its own: another torrent may not write there.
    let other_dir = Dirs::new();
    let other = make_payload(&other_dir.data, "quiet.bin", &[("", 5_000)]).await;
    let (status, t) = server.add_torrent_file(&other.torrent, "").await;
    assert_eq!(status, 409, "{t}");
    assert!(t["error"].as_str().unwrap_or("").contains("overlap"), "{t}");

    // Added again (as Sonarr does), it is already there and stays dormant.
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["dormant"], true, "{t:#}");

    // Its seeding time goes on while it sleeps.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = server.torrent(&hash).await;
    assert_eq!(later["dormant"], true, "{later:#}");
    assert!(
        later["seedingTime"].as_u64() >= before["seedingTime"].as_u64().map(|s| s + 2),
        "seeding time {} then {}",
        before["seedingTime"],
        later["seedingTime"]
    );

    // A peer dialing the dormant port directly gets the data.
    let leecher = Leecher::start(&data, dormant).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("the leecher got the data")
        .unwrap();
    assert_same_file(&leecher.dirs.downloads.join("quiet.bin"), &data.root);
    drop(leecher);
    wait_dormant(&server, &hash, true).await;
    let uploaded = server.torrent(&hash).await["uploaded"].as_u64().unwrap();
    assert!(uploaded >= size as u64, "uploaded {uploaded}");
    server.stop().await;

    // After a restart it is dormant from the first answer, its files and counters
    // as they were, and a peer still gets the data.
    let server = TestServer::start(settings.clone()).await;
    let t = server.torrent(&hash).await;
    assert_eq!(t["dormant"], true, "{t:#}");
    assert_eq!(t["state"], "seeding", "{t:#}");
    assert_eq!(t["completed"], size as u64, "{t:#}");
    assert_eq!(t["files"][0]["path"], "quiet.bin", "{t:#}");
    assert_eq!(t["uploaded"], uploaded, "{t:#}");
    let leecher = Leecher::start(&data, dormant).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("the leecher got the data after the restart")
        .unwrap();
    drop(leecher);

    // A seeding limit applies while it sleeps: stopped there, done.
    wait_dormant(&server, &hash, true).await;
    let (status, body) = server
        .patch_json("/api/v1/config", serde_json::json!({"seedRatioLimit": 1.0}))
        .await;
    assert_eq!(status, 200, "{body}");
    let t = server
        .wait_torrent(&hash, "completed at its ratio limit", TIMEOUT, |t| {
            t["state"] == "completed"
        })
        .await;
    assert_eq!(t["seedLimitReached"], true, "{t:#}");
    assert_eq!(t["dormant"], false, "{t:#}");
    let (status, body) = server
        .patch_json(
            "/api/v1/config",
            serde_json::json!({"seedRatioLimit": null}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (status, t) = server.start_torrent(&hash).await;
    assert_eq!(status, 200, "{t}");

    // Stopped, it is no longer dormant; started, it seeds (and sleeps again).
    wait_dormant(&server, &hash, true).await;
    let (status, t) = server.stop_torrent(&hash).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (t["state"].as_str(), t["dormant"].as_bool()),
        (Some("paused"), Some(false)),
        "{t:#}"
    );
    let (status, t) = server.start_torrent(&hash).await;
    assert_eq!(status, 200, "{t}");
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    wait_dormant(&server, &hash, true).await;

    // A change that needs the engine wakes it (a recheck reads all its data).
    let (status, t) = server
        .post_json(
            &format!("/api/v1/torrents/{hash}/recheck"),
            serde_json::json!({}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["dormant"], false, "{t:#}");
    let t = wait_dormant(&server, &hash, true).await;
    assert_eq!(t["completed"], size as u64, "{t:#}");

    // Removed while dormant, its data stays and nothing answers for it.
    assert_eq!(server.delete_torrent(&hash, "").await, 204);
    assert!(data.root.exists());
    let (status, _) = server.get_json(&format!("/api/v1/torrents/{hash}")).await;
    assert_eq!(status, 404);
    server.stop().await;
    let server = TestServer::start(settings).await;
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(0), "{list:#}");
    server.stop().await;
}
