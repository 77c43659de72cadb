//! Interop with real clients from Debian on loopback: aria2c seeds, opentracker is
//! the tracker, mktorrent makes the torrent. cloud-torrent finds aria2 through the
//! tracker (no peer hints, no DHT) and completes, by .torrent and by magnet.
//! The test command (scripts/test.sh) installs the three tools.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(120);

fn start_aria2_seeder(data_dir: &Path, torrent: &Path, port: u16) -> ChildGuard {
    let child = Command::new("aria2c")
        .args([
            "--no-conf",
            "--enable-dht=false",
            "--enable-dht6=false",
            "--bt-enable-lpd=false",
            "--enable-peer-exchange=false",
            "--disable-ipv6=true",
            "--check-integrity=true",
            "--seed-ratio=0.0",
            "--bt-tracker-interval=1",
            "--console-log-level=warn",
            "--summary-interval=0",
            &format!("--listen-port={port}"),
            "--interface=127.0.0.2",
        ])
        .arg(format!("--dir={}", data_dir.display()))
        .arg(torrent)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start aria2c");
    ChildGuard(child)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn aria2_seeds_to_us_through_opentracker() {
    for tool in ["aria2c", "opentracker", "mktorrent"] {
        require(tool);
    }
    let dirs = Dirs::new();
    let size = 5 * 1024 * 1024 + 333;
    std::fs::write(dirs.data.join("interop.bin"), payload(size, 42)).unwrap();
    let tracker_port = free_port("127.0.0.1");
    let announce = format!("http://127.0.0.1:{tracker_port}/announce");
    // The same tracker over UDP, second in the list: scraped over both protocols.
    let announce_udp = format!("udp://127.0.0.1:{tracker_port}/announce");
    let torrent_path = dirs.root().join("interop.torrent");
    let status = Command::new("mktorrent")
        .args(["-l", "18", "-a", &announce, "-a", &announce_udp, "-o"])
        .arg(&torrent_path)
        .arg(dirs.data.join("interop.bin"))
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "mktorrent failed");
    let torrent = std::fs::read(&torrent_path).unwrap();
    let info_hash = librqbit::torrent_from_bytes(&torrent)
        .unwrap()
        .info_hash
        .as_string();

    let _tracker = start_opentracker(dirs.root(), tracker_port, &info_hash);
    let _aria2 = start_aria2_seeder(&dirs.data, &torrent_path, free_port("127.0.0.2"));
    // The tracker tells a peer to come back in half an hour: aria2 must be known
    // to it before we announce.
    let http = http_client().build().unwrap();
    let scrape = format!(
        "http://127.0.0.1:{tracker_port}/scrape?info_hash={}",
        url_escape_bytes(&hex::decode(&info_hash).unwrap())
    );
    wait_for(
        "aria2 to announce itself as a seeder",
        Duration::from_secs(30),
        || async {
            let body = match http.get(&scrape).send().await {
                Ok(r) => r.bytes().await.unwrap_or_default(),
                Err(_) => return false,
            };
            // bencoded: ...8:completei<N>e...
            let text = String::from_utf8_lossy(&body);
            text.split("8:completei")
                .nth(1)
                .and_then(|r| r.split('e').next())
                .and_then(|n| n.parse::<u32>().ok())
                >= Some(1)
        },
    )
    .await;

    // Our server on its own loopback address; trackers on (the torrent's only peer source).
    let mut cfg = test_settings(&dirs);
    cfg.incoming_host = Some("127.0.0.3".parse().unwrap());
    fixed_incoming_port(&mut cfg);
    let server = TestServer::start(cfg).await;

    let (status, t) = server.add_torrent_file(&torrent, "").await;
    assert_eq!(status, 201, "{t}");
    let done = server.wait_state(&info_hash, "seeding", TIMEOUT).await;
    assert_eq!(done["size"], size);
    assert_same_file(
        &dirs.downloads.join("interop.bin"),
        &dirs.data.join("interop.bin"),
    );

    // opentracker counts aria2 as a seeder, over HTTP and over UDP alike.
    let (status, trackers) = server
        .get_json(&format!("/api/v1/torrents/{info_hash}/trackers"))
        .await;
    assert_eq!(status, 200, "{trackers}");
    for (row, url) in trackers
        .as_array()
        .unwrap()
        .iter()
        .zip([&announce, &announce_udp])
    {
        assert_eq!(&row["url"], url.as_str(), "{trackers}");
        assert_eq!(row["status"], "working", "{trackers}");
        assert!(row["seeders"].as_u64() >= Some(1), "{trackers}");
    }
    assert_eq!(trackers.as_array().unwrap().len(), 2, "{trackers}");

    // Again by magnet with only tr=: metadata comes from aria2, found through the tracker.
    assert_eq!(
        server.delete_torrent(&info_hash, "?deleteFiles=true").await,
        204
    );
    assert!(!dirs.downloads.join("interop.bin").exists());
    let magnet = format!(
        "magnet:?xt=urn:btih:{info_hash}&tr={}",
        url_escape(&announce)
    );
    let (status, t) = server.add_magnet(&magnet).await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&info_hash, "seeding", TIMEOUT).await;
    assert_same_file(
        &dirs.downloads.join("interop.bin"),
        &dirs.data.join("interop.bin"),
    );
    server.stop().await;
}
