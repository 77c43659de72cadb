//! Many torrents: 1,000 small seeding torrents come back after a restart of the
//! binary, each in the state it was left in (seeding, or stopped), with the same
//! id and tags, read from the state database.

use std::collections::BTreeMap;
use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

use crate::support::*;

const COUNT: usize = 1000;
const TIMEOUT: Duration = Duration::from_secs(300);

/// `(seeding, stopped)` counts and each torrent's `(id, state, tags)`.
async fn census(api: &Api) -> (usize, usize, BTreeMap<String, (Value, Value, Value)>) {
    let (status, list) = api.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    let list = list.as_array().cloned().unwrap_or_default();
    let count = |state: &str| list.iter().filter(|t| t["state"] == state).count();
    let torrents = list
        .iter()
        .map(|t| {
            (
                t["infoHash"].as_str().unwrap().to_owned(),
                (t["id"].clone(), t["state"].clone(), t["tags"].clone()),
            )
        })
        .collect();
    (count("seeding"), count("paused"), torrents)
}

/// Waits until nine torrents in ten seed and the others are stopped; returns them.
async fn settled(api: &Api, what: &str) -> BTreeMap<String, (Value, Value, Value)> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let (seeding, stopped, torrents) = census(api).await;
        if seeding == COUNT - COUNT / 10 && stopped == COUNT / 10 {
            return torrents;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}: {seeding} seeding, {stopped} stopped"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_torrents_come_back_after_a_restart() {
    let dirs = Dirs::new();
    // One small file each, already in the download folder: each seeds after its check.
    let mut payloads = Vec::with_capacity(COUNT);
    for i in 0..COUNT {
        payloads.push(
            make_payload(
                &dirs.downloads,
                &format!("t{i:04}.bin"),
                &[("", 16 * 1024 + i)],
            )
            .await,
        );
    }
    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    // Every tenth added stopped; every torrent tagged with its hundred.
    let statuses: Vec<u16> = futures::stream::iter(payloads.iter().enumerate())
        .map(|(i, p)| {
            let server = &server;
            async move {
                let query = format!("?paused={}&tags=batch{}", i % 10 == 0, i / 100);
                server.add_torrent_file(&p.torrent, &query).await.0
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let before = settled(&server, "every torrent seeding or stopped").await;
    server.terminate();

    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let after = settled(&server, "every torrent back as it was").await;
    assert_eq!(after.len(), COUNT);
    assert_eq!(after, before, "ids, states and tags as they were");
    server.terminate();
}
