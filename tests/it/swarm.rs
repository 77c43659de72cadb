//! Downloads over a loopback swarm: a second librqbit session seeds, the API adds
//! the torrent by .torrent (raw and multipart), by magnet (metadata fetched from
//! the seeder) and by URL; the files complete and their sha256 match.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::json;

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(90);

/// A server whose incoming peer port is known, so a seeder can dial it.
async fn server_with_port(dirs: &Dirs) -> (TestServer, SocketAddr) {
    let mut cfg = test_settings(dirs);
    let addr = fixed_incoming_port(&mut cfg);
    (TestServer::start(cfg).await, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn torrent_file_upload_downloads_from_a_seeder_that_dials_in() {
    let dirs = Dirs::new();
    let size = 3 * 1024 * 1024 + 4321;
    let data = make_payload(&dirs.data, "single.bin", &[("", size)]).await;
    let (server, incoming) = server_with_port(&dirs).await;

    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["infoHash"], data.info_hash);
    assert_eq!(t["name"], "single.bin");
    assert_eq!(t["size"], size);
    assert_eq!(t["files"][0]["path"], "single.bin");
    assert!(t["magnet"].as_str().unwrap().contains(&data.info_hash));

    // The seeder connects to our incoming port: this also proves we listen.
    let _seeder = Seeder::start(&data, "127.0.0.11", None, &[incoming]).await;
    let done = server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["completed"], size);
    assert!(done["completedAt"].is_string(), "{done}");
    assert_same_file(&dirs.downloads.join("single.bin"), &data.root);

    // Adding it again is idempotent: 200 and the same torrent.
    let (status, again) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 200);
    assert_eq!(again["infoHash"], data.info_hash);
    let (_, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn multipart_upload_with_options() {
    let dirs = Dirs::new();
    let data = make_payload(
        &dirs.data,
        "multi",
        &[("a.bin", 100_001), ("b.bin", 200_002)],
    )
    .await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let form = reqwest::multipart::Form::new()
        .part(
            "torrent",
            reqwest::multipart::Part::bytes(data.torrent.clone()).file_name("multi.torrent"),
        )
        .text("paused", "true")
        .text("files", data.index_of("b.bin").to_string());
    let r = server
        .http
        .post(server.url("/api/v1/torrents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let t: serde_json::Value = r.json().await.unwrap();
    assert_eq!(t["state"], "paused");
    assert_eq!(file(&t, "multi/a.bin")["selected"], false);
    assert_eq!(file(&t, "multi/b.bin")["selected"], true);
    assert_eq!(t["size"], 200_002, "size counts the selected files");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn magnet_with_peer_hint_fetches_metadata_and_completes() {
    let dirs = Dirs::new();
    let data = make_payload(
        &dirs.data,
        "album",
        &[("one.flac", 1_500_007), ("sub/two.flac", 2_000_003)],
    )
    .await;
    let seeder = Seeder::start(&data, "127.0.0.12", None, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;

    let (status, t) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["infoHash"], data.info_hash);
    assert!(
        t["state"] == "metadata" || t["state"] == "downloading" || t["state"] == "seeding",
        "adding a magnet returns at once: {t}"
    );

    let done = server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_eq!(done["name"], "album");
    let paths: Vec<&str> = done["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["album/one.flac", "album/sub/two.flac"]);
    for f in ["one.flac", "sub/two.flac"] {
        assert_same_file(&dirs.downloads.join("album").join(f), &data.root.join(f));
    }
    // The same magnet again: 200, nothing new.
    let (status, _) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn url_of_a_torrent_on_a_loopback_http_server() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "from-url.bin", &[("", 1_234_567)]).await;
    let (server, incoming) = server_with_port(&dirs).await;

    // A plain HTTP server on loopback serving the .torrent (and a 404 elsewhere).
    let torrent = data.torrent.clone();
    let app = axum::Router::new().route(
        "/x.torrent",
        axum::routing::get(move || {
            let t = torrent.clone();
            async move { t }
        }),
    );
    let web = serve_web(app).await;

    let (status, t) = server.add_url(&format!("http://{web}/x.torrent")).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["infoHash"], data.info_hash);
    let _seeder = Seeder::start(&data, "127.0.0.13", None, &[incoming]).await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("from-url.bin"), &data.root);

    let (status, e) = server
        .add_url(&format!("http://{web}/missing.torrent"))
        .await;
    assert_eq!(status, 422, "{e}");
    assert!(e["error"].as_str().unwrap().contains("404"), "{e}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn only_selected_files_are_downloaded() {
    let dirs = Dirs::new();
    let sizes = [("a.bin", 700_001), ("b.bin", 900_001), ("c.bin", 600_001)];
    let data = make_payload(&dirs.data, "pick", &sizes).await;
    let seeder = Seeder::start(&data, "127.0.0.14", None, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;

    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({ "magnet": seeder.magnet(&data), "files": [data.index_of("b.bin")] }),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let done = server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_eq!(done["size"], 900_001);
    assert_eq!(file(&done, "pick/b.bin")["completed"], 900_001);
    assert_eq!(file(&done, "pick/b.bin")["selected"], true);
    assert_eq!(file(&done, "pick/a.bin")["selected"], false);
    assert_same_file(&dirs.downloads.join("pick/b.bin"), &data.root.join("b.bin"));
    // Files outside the selection are not complete (pieces shared at a file
    // boundary may bring a few bytes of a neighbour).
    for (i, name) in [(0, "a.bin"), (2, "c.bin")] {
        let got = file(&done, &format!("pick/{name}"))["completed"]
            .as_u64()
            .unwrap();
        assert!(
            got < sizes[i].1 as u64 / 2,
            "{name}: {got} bytes downloaded though not selected"
        );
        let on_disk = std::fs::read(dirs.downloads.join("pick").join(name)).unwrap_or_default();
        assert_ne!(
            sha256(&on_disk),
            sha256_file(&data.root.join(name)),
            "{name} should not be complete"
        );
    }

    // Choosing more files later fetches them too.
    let r = server
        .http
        .put(server.url(&format!("/api/v1/torrents/{}/files", data.info_hash)))
        .json(&json!({ "selected": [0, 1, 2] }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    wait_for("all files", TIMEOUT, || async {
        let t = server.torrent(&data.info_hash).await;
        t["state"] == "seeding" && t["size"] == 2_200_003
    })
    .await;
    for (name, _) in sizes {
        assert_same_file(
            &dirs.downloads.join("pick").join(name),
            &data.root.join(name),
        );
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stop_keeps_data_start_resumes_and_delete_removes_files() {
    let dirs = Dirs::new();
    let size = 8 * 1024 * 1024 + 11;
    let data = make_payload(&dirs.data, "slow.bin", &[("", size)]).await;
    // 2 MiB/s: slow enough to stop midway.
    let seeder = Seeder::start(&data, "127.0.0.15", Some(2 * 1024 * 1024), &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, _) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201);
    let hash = data.info_hash.clone();
    wait_for("some progress", TIMEOUT, || async {
        server.torrent(&hash).await["completed"].as_u64().unwrap() > 0
    })
    .await;

    let (status, t) = server.stop_torrent(&hash).await;
    assert_eq!(status, 200);
    assert_eq!(t["state"], "paused");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let frozen = server.torrent(&hash).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = server.torrent(&hash).await;
    assert_eq!(later["state"], "paused");
    assert_eq!(
        frozen["completed"], later["completed"],
        "a stopped torrent does not download"
    );
    assert!(later["completed"].as_u64().unwrap() < size as u64);
    // Stopping twice is fine.
    let (status, _) = server.stop_torrent(&hash).await;
    assert_eq!(status, 200);

    let (status, t) = server.start_torrent(&hash).await;
    assert_eq!(status, 200, "{t}");
    assert!(
        t["completed"].as_u64().unwrap() >= later["completed"].as_u64().unwrap(),
        "start continues where it stopped"
    );
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("slow.bin"), &data.root);
    assert!(
        seeder.uploaded() < size as u64 * 3 / 2,
        "the seeder sent {} bytes for a {size} byte file: data was fetched again",
        seeder.uploaded()
    );

    assert_eq!(server.delete_torrent(&hash, "?deleteFiles=true").await, 204);
    assert!(
        !dirs.downloads.join("slow.bin").exists(),
        "deleteFiles=true removes the data"
    );
    let (status, e) = server.get_json(&format!("/api/v1/torrents/{hash}")).await;
    assert_eq!(status, 404);
    assert!(e["error"].as_str().unwrap().contains(&hash));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn delete_without_files_keeps_the_data() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "keep", &[("x.bin", 300_001), ("y.bin", 10)]).await;
    let seeder = Seeder::start(&data, "127.0.0.16", None, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    server.add_magnet(&seeder.magnet(&data)).await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_eq!(
        server
            .delete_torrent(&data.info_hash, "?deleteFiles=false")
            .await,
        204
    );
    assert_same_file(&dirs.downloads.join("keep/x.bin"), &data.root.join("x.bin"));
    let (_, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(list, json!([]));
    server.stop().await;
}

/// A new leecher that knows our address (`ours`) gets nothing of `data` from us in 3 s.
async fn assert_uploads_nothing(server: &TestServer, data: &Payload, ours: SocketAddr, why: &str) {
    let leecher = Leecher::start(data, ours).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(leecher.stats().progress_bytes, 0, "{why}");
    assert_eq!(server.torrent(&data.info_hash).await["uploaded"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_seeding_off_a_finished_torrent_is_completed_and_uploads_nothing() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "done.bin", &[("", 2_000_003)]).await;
    let seeder = Seeder::start(&data, "127.0.0.17", None, &[]).await;
    let mut cfg = test_settings(&dirs);
    cfg.seeding = false;
    let ours = fixed_incoming_port(&mut cfg);
    let server = TestServer::start(cfg).await;
    server.add_magnet(&seeder.magnet(&data)).await;
    let done = server
        .wait_state(&data.info_hash, "completed", TIMEOUT)
        .await;
    assert_eq!(done["progress"], 1.0);
    assert!(done["completedAt"].is_string());
    assert_same_file(&dirs.downloads.join("done.bin"), &data.root);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(server.torrent(&data.info_hash).await["state"], "completed");

    assert_uploads_nothing(&server, &data, ours, "a completed torrent must not upload").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_auto_start_off_new_torrents_wait_for_start() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "later.bin", &[("", 1_000_003)]).await;
    let seeder = Seeder::start(&data, "127.0.0.18", None, &[]).await;
    let mut cfg = test_settings(&dirs);
    cfg.auto_start = false;
    let server = TestServer::start(cfg).await;
    let (status, t) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201);
    assert_eq!(t["state"], "paused");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(t["state"], "paused");
    assert_eq!(t["completed"], 0);
    // `paused: false` in the request overrides autoStart; start works too.
    let (status, _) = server.start_torrent(&data.info_hash).await;
    assert_eq!(status, 200);
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("later.bin"), &data.root);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seeding_torrent_serves_new_leechers_and_counts_its_uploads() {
    let dirs = Dirs::new();
    let size = 1_500_007u64;
    let data = make_payload(&dirs.data, "share.bin", &[("", size as usize)]).await;
    let seeder = Seeder::start(&data, "127.0.0.19", None, &[]).await;
    let (server, ours) = server_with_port(&dirs).await;
    server.add_magnet(&seeder.magnet(&data)).await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    drop(seeder);

    let leecher = Leecher::start(&data, ours).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("leecher finished")
        .unwrap();
    assert_same_file(&leecher.dirs.downloads.join("share.bin"), &data.root);
    let t = server.torrent(&data.info_hash).await;
    assert!(
        t["uploaded"].as_u64().unwrap() >= size,
        "uploaded should count what the leecher got: {t:#}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_upload_off_nothing_is_uploaded() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "private.bin", &[("", 1_000_003)]).await;
    let seeder = Seeder::start(&data, "127.0.0.20", None, &[]).await;
    let mut cfg = test_settings(&dirs);
    cfg.upload = false;
    let ours = fixed_incoming_port(&mut cfg);
    let server = TestServer::start(cfg).await;
    server.add_magnet(&seeder.magnet(&data)).await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("private.bin"), &data.root);
    assert_uploads_nothing(&server, &data, ours, "upload is off").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_magnet_waiting_for_metadata_can_be_stopped_restarted_and_deleted() {
    let dirs = Dirs::new();
    // Nobody listens at the peer hint: the metadata never arrives.
    let dead = free_port("127.0.0.1");
    let hash = "0123456789abcdef0123456789abcdef01234567";
    let magnet = format!("magnet:?xt=urn:btih:{hash}&dn=Never+Arrives&x.pe=127.0.0.1:{dead}");
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server.add_magnet(&magnet).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["state"], "metadata");
    assert_eq!(t["name"], "Never Arrives");
    assert_eq!(t["files"], json!([]));
    assert_eq!(t["eta"], serde_json::Value::Null);
    let (_, t) = server.stop_torrent(hash).await;
    assert_eq!(t["state"], "paused");
    let (_, t) = server.start_torrent(hash).await;
    assert_eq!(t["state"], "metadata");

    // It survives a restart, still waiting.
    server.stop().await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let t = server.torrent(hash).await;
    assert_eq!(t["state"], "metadata");
    assert!(
        t["magnet"]
            .as_str()
            .unwrap()
            .contains(&format!("127.0.0.1%3A{dead}")),
        "{t}"
    );

    assert_eq!(server.delete_torrent(hash, "?deleteFiles=true").await, 204);
    let (status, _) = server.get_json(&format!("/api/v1/torrents/{hash}")).await;
    assert_eq!(status, 404);
    server.stop().await;
    assert_eq!(
        saved_record(&dirs.state, hash),
        None,
        "a deleted torrent is gone from the state database"
    );
}

/// librqbit gives two magnets that resolve at the same moment the same id, and
/// then answers the second add with the first torrent; the engine must not mix them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn magnets_resolving_at_the_same_time_stay_apart() {
    let dirs = Dirs::new();
    let mut payloads = Vec::new();
    let mut seeders = Vec::new();
    for i in 0..4 {
        let data = make_payload(
            &dirs.data,
            &format!("twin-{i}"),
            &[("f.bin", 300_001 + i), ("g.bin", 7)],
        )
        .await;
        seeders.push(Seeder::start(&data, &format!("127.0.0.{}", 40 + i), None, &[]).await);
        payloads.push(data);
    }
    let server = TestServer::start(test_settings(&dirs)).await;
    let api: &Api = &server;
    let adds = payloads.iter().zip(&seeders).map(|(data, seeder)| {
        let magnet = seeder.magnet(data);
        async move { api.add_magnet(&magnet).await }
    });
    for (status, t) in futures::future::join_all(adds).await {
        assert_eq!(status, 201, "{t}");
    }
    for (i, data) in payloads.iter().enumerate() {
        let t = server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
        assert_eq!(t["name"], format!("twin-{i}"), "{t:#}");
        file(&t, &format!("twin-{i}/f.bin"));
        let name = format!("twin-{i}/f.bin");
        assert_same_file(&dirs.downloads.join(&name), &dirs.data.join(&name));
    }
    server.stop().await;
}
