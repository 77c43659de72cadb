//! Restarts: the real binary is stopped mid-download (SIGTERM, then SIGKILL) and
//! started again on the same state. Every torrent comes back in its state, the
//! stopped one stays stopped with its file selection, and the download continues
//! without fetching again what was already verified.

use std::time::Duration;

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
        b["state"] == "downloading" || b["state"] == "seeding",
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
