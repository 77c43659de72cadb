//! The queue: with `queueing` on, only a few torrents run at once, in queue order;
//! the others wait `queued`. Moves, stops, force starts and slow torrents change who
//! runs at once.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

async fn states(server: &TestServer, hashes: &[&str]) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for hash in hashes {
        let t = server.torrent(hash).await;
        out.push((
            t["state"].as_str().unwrap().to_owned(),
            t["queuePosition"].clone(),
        ));
    }
    out
}

/// Waits until the torrents are in `want` (state and queue position each).
async fn wait_states(server: &TestServer, hashes: &[&str], want: &[(&str, Value)]) {
    let want: Vec<(String, Value)> = want
        .iter()
        .map(|(s, p)| (s.to_string(), p.clone()))
        .collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let now = states(server, hashes).await;
        if now == want {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "states {now:?}, expected {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn queue_move(server: &TestServer, hash: &str, movement: &str) -> (u16, Value) {
    server
        .post_json(
            &format!("/api/v1/torrents/{hash}/queue"),
            json!({ "move": movement }),
        )
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn downloads_wait_their_turn_in_queue_order() {
    let dirs = Dirs::new();
    let mut payloads = Vec::new();
    let mut seeders = Vec::new();
    for (i, name) in ["qa.bin", "qb.bin", "qc.bin"].iter().enumerate() {
        let data = make_payload(&dirs.data, name, &[("", 3_000_017 + i)]).await;
        // Slow seeders: nothing finishes while the test looks.
        seeders
            .push(Seeder::start(&data, &format!("127.0.0.{}", 51 + i), Some(64 * 1024), &[]).await);
        payloads.push(data);
    }
    let mut settings = test_settings(&dirs);
    settings.queueing = true;
    settings.max_active_downloads = 1;
    let server = TestServer::start(settings).await;
    for (data, seeder) in payloads.iter().zip(&seeders) {
        let (status, t) = server.add_magnet(&seeder.magnet(data)).await;
        assert_eq!(status, 201, "{t}");
        // One at a time, so that the queue order is the order of the adds.
        wait_for("the metadata", TIMEOUT, || async {
            server.torrent(&data.info_hash).await["state"] != "metadata"
        })
        .await;
    }
    let [a, b, c] = [0, 1, 2].map(|i| payloads[i].info_hash.as_str());
    let all = [a, b, c];
    wait_states(
        &server,
        &all,
        &[
            ("downloading", json!(1)),
            ("queued", json!(2)),
            ("queued", json!(3)),
        ],
    )
    .await;
    // A queued torrent gets nothing.
    assert_eq!(server.torrent(b).await["downloaded"], 0);

    // The last to the top: it runs, the first waits.
    let (status, t) = queue_move(&server, c, "top").await;
    assert_eq!(status, 200, "{t}");
    wait_states(
        &server,
        &all,
        &[
            ("queued", json!(2)),
            ("queued", json!(3)),
            ("downloading", json!(1)),
        ],
    )
    .await;
    let (status, _) = queue_move(&server, b, "up").await;
    assert_eq!(status, 200);
    wait_states(
        &server,
        &all,
        &[
            ("queued", json!(3)),
            ("queued", json!(2)),
            ("downloading", json!(1)),
        ],
    )
    .await;

    // Stopping the running one gives its slot to the next; the queue never starts a
    // stopped torrent, which has no place in the queue.
    let (status, _) = server.stop_torrent(c).await;
    assert_eq!(status, 200);
    wait_states(
        &server,
        &all,
        &[
            ("queued", json!(2)),
            ("downloading", json!(1)),
            ("paused", Value::Null),
        ],
    )
    .await;
    let (status, e) = queue_move(&server, c, "top").await;
    assert_eq!(status, 409, "{e}");

    // A force start runs regardless of the limit.
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{a}"),
            json!({ "forceStart": true }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    wait_states(
        &server,
        &all,
        &[
            ("downloading", json!(2)),
            ("downloading", json!(1)),
            ("paused", Value::Null),
        ],
    )
    .await;

    // Queueing off: everything the user did not stop runs.
    let (status, _) = server
        .patch_json(
            &format!("/api/v1/torrents/{a}"),
            json!({ "forceStart": false }),
        )
        .await;
    assert_eq!(status, 200);
    let (status, config) = server
        .patch_json("/api/v1/config", json!({ "queueing": false }))
        .await;
    assert_eq!(status, 200, "{config}");
    wait_states(
        &server,
        &all,
        &[
            ("downloading", json!(2)),
            ("downloading", json!(1)),
            ("paused", Value::Null),
        ],
    )
    .await;
    for (body, field) in [(json!({ "move": "sideways" }), "move"), (json!({}), "move")] {
        let (status, e) = server
            .post_json(&format!("/api/v1/torrents/{a}/queue"), body.clone())
            .await;
        assert_eq!(status, 400, "{body}: {e}");
        assert!(e["error"].as_str().unwrap().contains(field), "{e}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seeds_have_their_own_slots_and_slow_torrents_free_theirs() {
    let dirs = Dirs::new();
    let one = make_payload(&dirs.downloads, "s1.bin", &[("", 100_003)]).await;
    let two = make_payload(&dirs.downloads, "s2.bin", &[("", 100_019)]).await;
    let mut settings = test_settings(&dirs);
    settings.queueing = true;
    settings.max_active_seeds = 1;
    settings.max_active_downloads = 1;
    let server = TestServer::start(settings).await;
    for p in [&one, &two] {
        let (status, t) = server.add_torrent_file(&p.torrent, "").await;
        assert_eq!(status, 201, "{t}");
    }
    let seeds = [one.info_hash.as_str(), two.info_hash.as_str()];
    wait_states(
        &server,
        &seeds,
        &[("seeding", Value::Null), ("queued", Value::Null)],
    )
    .await;

    // Two downloads without peers: the second waits until the first has been slow
    // for `slowTorrentTime`, then both run.
    let stalled: Vec<Value> = ["x1", "x2"].iter().map(|name| json!(name)).collect();
    let mut hashes = Vec::new();
    for name in &stalled {
        let spec = crate::hostile_torrents::Spec::single(
            name.as_str().unwrap().as_bytes().to_vec().leak(),
            300_000,
        );
        let (status, t) = server.add_torrent_file(&spec.bytes(), "").await;
        assert_eq!(status, 201, "{t}");
        hashes.push(t["infoHash"].as_str().unwrap().to_owned());
    }
    let h: Vec<&str> = hashes.iter().map(String::as_str).collect();
    wait_states(
        &server,
        &h,
        &[("downloading", json!(1)), ("queued", json!(2))],
    )
    .await;
    let (status, config) = server
        .patch_json(
            "/api/v1/config",
            json!({ "slowTorrentsExempt": true, "slowTorrentTime": 1 }),
        )
        .await;
    assert_eq!(status, 200, "{config}");
    wait_states(
        &server,
        &h,
        &[("downloading", json!(1)), ("downloading", json!(2))],
    )
    .await;
    server.stop().await;
}
