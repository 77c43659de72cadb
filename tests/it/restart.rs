//! Restarts: the real binary is stopped mid-download (SIGTERM, then SIGKILL) and
//! started again on the same state. Every torrent comes back in its state, the
//! stopped one stays stopped with its file selection, and the download continues
//! without fetching again what was already verified.

use std::time::Duration;

use cloud_torrent_server::ServerConfig;
use serde_json::json;

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn torrents_survive_graceful_and_crash_restarts() {
    let dirs = Dirs::new();
    let size: u64 = 16 * 1024 * 1024 + 17;
    let big = make_payload(&dirs.data, "big.bin", &[("", size as usize)]).await;
    let other = make_payload(
        &dirs.data,
        "other",
        &[("keep.bin", 3_000_001), ("skip.bin", 1_000_001)],
    )
    .await;
    // Throttled seeders so that the restarts happen mid-download.
    let big_seed = Seeder::start(&big, "127.0.0.21", Some(1024 * 1024), &[]).await;
    let other_seed = Seeder::start(&other, "127.0.0.22", Some(512 * 1024), &[]).await;

    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (status, t) = server.add_magnet(&big_seed.magnet(&big)).await;
    assert_eq!(status, 201, "{t}");
    let keep = other.index_of("keep.bin");
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({ "magnet": other_seed.magnet(&other), "files": [keep] }),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let added_at = t["addedAt"].clone();

    // Stop "other" once it has started, let "big" get some way.
    wait_for("other to start", TIMEOUT, || async {
        server.torrent(&other.info_hash).await["completed"].as_u64() > Some(0)
    })
    .await;
    let (status, _) = server.stop_torrent(&other.info_hash).await;
    assert_eq!(status, 200);
    wait_for("big to reach 3 MiB", TIMEOUT, || async {
        server.torrent(&big.info_hash).await["completed"]
            .as_u64()
            .unwrap()
            > 3 * 1024 * 1024
    })
    .await;

    // 1. Graceful: SIGTERM.
    let before = server.torrent(&big.info_hash).await["completed"]
        .as_u64()
        .unwrap();
    let other_before = server.torrent(&other.info_hash).await;
    server.terminate();

    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let o = server.torrent(&other.info_hash).await;
    assert_eq!(
        o["state"], "paused",
        "a stopped torrent stays stopped: {o:#}"
    );
    assert_eq!(o["addedAt"], added_at);
    assert_eq!(file(&o, "other/keep.bin")["selected"], true);
    assert_eq!(
        file(&o, "other/skip.bin")["selected"],
        false,
        "the file selection survives"
    );
    let restored = first_progress(&server, &big.info_hash).await;
    assert!(
        restored >= before,
        "after a graceful restart {restored} bytes are back of {before}"
    );
    let b = server.torrent(&big.info_hash).await;
    assert!(
        ["checking", "downloading", "seeding"].contains(&b["state"].as_str().unwrap_or_default()),
        "{b:#}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let o2 = server.torrent(&other.info_hash).await;
    assert_eq!(o2["state"], "paused");
    assert!(
        o2["completed"].as_u64() >= other_before["completed"].as_u64(),
        "the stopped torrent keeps its data: {o2:#} before: {other_before:#}"
    );

    // 2. Crash: SIGKILL mid-download.
    wait_for("big to progress", TIMEOUT, || async {
        server.torrent(&big.info_hash).await["completed"]
            .as_u64()
            .unwrap()
            > before + 2 * 1024 * 1024
    })
    .await;
    let before_kill = server.torrent(&big.info_hash).await["completed"]
        .as_u64()
        .unwrap();
    server.kill();

    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    assert_eq!(server.torrent(&other.info_hash).await["state"], "paused");
    // Resume data is written every 2 s: pieces verified in the last seconds before
    // the kill may be fetched again (the seeder sends 1 MiB/s).
    let restored = first_progress(&server, &big.info_hash).await;
    assert!(
        restored + 3 * 1024 * 1024 >= before_kill,
        "after a crash only {restored} bytes are back of {before_kill}"
    );

    // It completes, with the right bytes, and the seeder did not send it all again.
    server.wait_state(&big.info_hash, "seeding", TIMEOUT).await;
    assert_same_file(&dirs.downloads.join("big.bin"), &big.root);
    assert!(
        big_seed.uploaded() < size + size / 4,
        "the seeder sent {} bytes for a {size} byte file: the restarts re-downloaded data",
        big_seed.uploaded()
    );

    // And the stopped one, started at last, completes its selected file.
    let (status, _) = server.start_torrent(&other.info_hash).await;
    assert_eq!(status, 200);
    server
        .wait_state(&other.info_hash, "seeding", TIMEOUT)
        .await;
    assert_same_file(
        &dirs.downloads.join("other/keep.bin"),
        &other.root.join("keep.bin"),
    );
    server.terminate();
}

/// The first non-zero `completed` after a restart: what fast resume restored
/// (plus at most what arrived in the 50 ms between two polls).
async fn first_progress(server: &Api, hash: &str) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let n = server.torrent(hash).await["completed"].as_u64().unwrap();
        if n > 0 {
            return n;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no progress restored"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The state a previous version kept in `torrents.json` is moved into the state
/// database at the first start: the torrents, their options, categories and tags
/// are all there, and the file is kept aside as `torrents.json.migrated`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_state_file_of_the_previous_version_is_moved_into_the_database() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "old", &[("a.bin", 300_001), ("b.bin", 200_003)]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": format!("magnet:?xt=urn:btih:{}&x.pe=127.0.0.1:9", data.info_hash),
                   "paused": true, "tags": ["kept"]}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let id = t["id"].clone();
    server.stop().await;

    // What the previous version wrote: the same record, in torrents.json, and no database.
    let record = saved_record(&dirs.state, &data.info_hash).unwrap();
    for file in ["state.sqlite", "state.sqlite-wal", "state.sqlite-shm"] {
        let _ = std::fs::remove_file(dirs.state.join(file));
    }
    let old = json!({
        "version": 2,
        "torrents": { &data.info_hash: record },
        "categories": {"tv": {"name": "tv", "savePath": "tv"}},
        "tags": ["spare"],
    });
    std::fs::write(dirs.state.join("torrents.json"), old.to_string()).unwrap();

    let server = TestServer::start(test_settings(&dirs)).await;
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(t["state"], "paused", "{t}");
    assert_eq!(t["id"], id);
    assert_eq!(t["tags"], json!(["kept"]));
    assert_eq!(
        server.get_json("/api/v1/categories").await.1[0]["name"],
        "tv"
    );
    let (_, tags) = server.get_json("/api/v1/tags").await;
    assert!(tags.to_string().contains("spare"), "{tags}");
    assert!(!dirs.state.join("torrents.json").exists());
    assert!(dirs.state.join("torrents.json.migrated").exists());
    assert!(saved_record(&dirs.state, &data.info_hash).is_some());
    server.stop().await;
}

/// The state of every torrent by info hash, with its id and name.
async fn listing(server: &Api) -> std::collections::BTreeMap<String, (u64, String, String)> {
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    list.as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["infoHash"].as_str().unwrap().to_owned(),
                (
                    t["id"].as_u64().unwrap(),
                    t["name"].as_str().unwrap().to_owned(),
                    t["state"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect()
}

/// Waits until every torrent but `removed` seeds again, `stopped` stays stopped.
async fn back_as_before(server: &Api, payloads: &[Payload], stopped: &str, removed: &str) {
    for p in payloads.iter().filter(|p| p.info_hash != removed) {
        let want = if p.info_hash == stopped {
            "paused"
        } else {
            "seeding"
        };
        server.wait_state(&p.info_hash, want, TIMEOUT).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_api_answers_while_saved_torrents_are_handed_back_after_a_start() {
    let dirs = Dirs::new();
    let mut payloads = Vec::new();
    for i in 0..40 {
        payloads.push(
            make_payload(
                &dirs.downloads,
                &format!("r{i:02}.bin"),
                &[("", 20_011 + i)],
            )
            .await,
        );
    }
    let server = TestServer::start(test_settings(&dirs)).await;
    for p in &payloads {
        assert_eq!(server.add_torrent_file(&p.torrent, "").await.0, 201);
    }
    for p in &payloads {
        server.wait_state(&p.info_hash, "seeding", TIMEOUT).await;
    }
    let stopped = &payloads[3].info_hash;
    assert_eq!(server.stop_torrent(stopped).await.0, 200);
    let before = listing(&server).await;
    server.stop().await;

    // Nothing handed back before the server answers: all of it in the background.
    let server = TestServer::start_with(ServerConfig {
        restore_before_start: Duration::ZERO,
        ..server_config(test_settings(&dirs))
    })
    .await;
    let first = listing(&server).await;
    assert_eq!(first.len(), before.len(), "every torrent is listed at once");
    for (hash, (id, name, state)) in &first {
        let (id_before, name_before, state_before) = &before[hash];
        assert_eq!((id, name), (id_before, name_before));
        let allowed: &[&str] = match state_before.as_str() {
            "paused" => &["paused"],
            _ => &["queued", "checking", "seeding", "downloading"],
        };
        assert!(allowed.contains(&state.as_str()), "{name}: {state}");
    }
    // The last in the queue, handed back last: removing it while it is on its way
    // back hands it back at once, then removes it.
    let removed = &payloads[39].info_hash;
    assert_eq!(server.delete_torrent(removed, "").await, 204);
    back_as_before(&server, &payloads, stopped, removed).await;
    server.stop().await;

    // Gone for good, its file kept; the others as they were.
    let server = TestServer::start(test_settings(&dirs)).await;
    let mut expected = before.clone();
    expected.remove(removed);
    back_as_before(&server, &payloads, stopped, removed).await;
    assert_eq!(listing(&server).await, expected);
    assert!(dirs.downloads.join("r39.bin").exists());
    server.stop().await;
}
