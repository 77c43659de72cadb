//! Watch folders: .torrent and .magnet files dropped in are added with the
//! folder's options and renamed `.added`; a half-written file is waited for; a
//! file that is not a torrent is renamed `.invalid` with a notice; nothing is
//! deleted; the setting survives a restart.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(30);

async fn torrents(server: &Api) -> Vec<Value> {
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    list.as_array().unwrap().clone()
}

async fn wait_file(path: &Path) {
    wait_for(&format!("{}", path.display()), TIMEOUT, || async {
        path.exists()
    })
    .await;
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dropped_torrent_and_magnet_files_are_added_and_renamed() {
    let dirs = Dirs::new();
    let watch = dirs.root().join("blackhole");
    std::fs::create_dir_all(watch.join("sub")).unwrap();
    // The binary, so that the setting goes through its config file.
    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (status, e) = server
        .patch_json(
            "/api/v1/config",
            json!({"watchFolders": [{"path": "relative/x"}]}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("absolute"), "{e}");
    let (status, c) = server
        .patch_json(
            "/api/v1/config",
            json!({"watchFolders": [{"path": watch.to_str().unwrap(), "category": "tv",
                "tags": ["blackhole"], "paused": true}]}),
        )
        .await;
    assert_eq!(status, 200, "{c}");

    let one = make_payload(&dirs.data, "one.bin", &[("", 200_003)]).await;
    let two = make_payload(&dirs.data, "two.bin", &[("", 100_003)]).await;
    std::fs::write(watch.join("one.torrent"), &one.torrent).unwrap();
    std::fs::write(
        watch.join("two.magnet"),
        format!(
            "# from an indexer\nmagnet:?xt=urn:btih:{}&dn=two.bin\n",
            two.info_hash
        ),
    )
    .unwrap();
    // Not recursive: a file in a sub-folder stays.
    std::fs::write(watch.join("sub/three.torrent"), &one.torrent).unwrap();
    // Not a candidate: left alone.
    std::fs::write(watch.join("notes.txt"), b"hello").unwrap();

    wait_file(&watch.join("one.torrent.added")).await;
    wait_file(&watch.join("two.magnet.added")).await;
    let list = torrents(&server).await;
    assert_eq!(list.len(), 2, "{list:#?}");
    for t in &list {
        assert_eq!(t["category"], "tv", "{t:#}");
        assert_eq!(t["tags"], json!(["blackhole"]), "{t:#}");
        assert_eq!(t["state"], "paused", "{t:#}");
    }
    assert_eq!(
        names(&watch),
        ["notes.txt", "one.torrent.added", "sub", "two.magnet.added"]
    );
    assert!(watch.join("sub/three.torrent").exists());

    // The same torrent again is not added twice, and still renamed (never over
    // the first one's `.added`).
    std::fs::write(watch.join("one.torrent"), &one.torrent).unwrap();
    wait_file(&watch.join("one.torrent.added.1")).await;
    assert_eq!(torrents(&server).await.len(), 2);

    // The settings of this area survive a restart (through the config file).
    let webhooks = json!([{"url": "https://example.invalid/hook", "events": ["finished"],
        "headers": {"Priority": "high"}, "format": "ntfy"}]);
    let (status, c) = server
        .patch_json(
            "/api/v1/config",
            json!({"incompleteDir": ".partial", "webhooks": webhooks}),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    server.terminate();
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (_, c) = server.get_json("/api/v1/config").await;
    assert_eq!(c["watchFolders"][0]["category"], "tv", "{c}");
    assert_eq!(c["watchFolders"][0]["tags"], json!(["blackhole"]), "{c}");
    assert_eq!(c["incompleteDir"], ".partial", "{c}");
    assert_eq!(c["webhooks"], webhooks, "{c}");
    std::fs::write(watch.join("again.torrent"), &two.torrent).unwrap();
    wait_file(&watch.join("again.torrent.added")).await;
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_half_written_file_is_waited_for_and_garbage_is_set_aside() {
    let dirs = Dirs::new();
    let watch = dirs.root().join("watch");
    std::fs::create_dir_all(watch.join("deep/er")).unwrap();
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, c) = server
        .patch_json(
            "/api/v1/config",
            json!({"watchFolders": [{"path": watch.to_str().unwrap(), "recursive": true}]}),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    let data = make_payload(&dirs.data, "slow.bin", &[("", 300_007)]).await;

    // Half of it, then a pause far longer than a file needs to settle.
    let path = watch.join("deep/er/slow.torrent");
    let mut file = std::fs::File::create(&path).unwrap();
    let half = data.torrent.len() / 2;
    file.write_all(&data.torrent[..half]).unwrap();
    file.flush().unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert!(path.exists(), "the half-written file was taken");
    assert!(torrents(&server).await.is_empty());
    file.write_all(&data.torrent[half..]).unwrap();
    drop(file);
    wait_file(&watch.join("deep/er/slow.torrent.added")).await;
    let list = torrents(&server).await;
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["infoHash"], data.info_hash.as_str());

    // Garbage that has not changed for a while is set aside, with a notice.
    let junk = watch.join("junk.torrent");
    std::fs::write(&junk, b"<html>not a torrent</html>").unwrap();
    let old = std::time::SystemTime::now() - Duration::from_secs(120);
    std::fs::File::options()
        .write(true)
        .open(&junk)
        .unwrap()
        .set_modified(old)
        .unwrap();
    wait_file(&watch.join("junk.torrent.invalid")).await;
    assert_eq!(
        std::fs::read(watch.join("junk.torrent.invalid")).unwrap(),
        b"<html>not a torrent</html>"
    );
    let (status, notices) = server.get_json("/api/v1/notices").await;
    assert_eq!(status, 200);
    let notice = notices
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["message"].as_str().unwrap().contains("junk.torrent"))
        .unwrap_or_else(|| panic!("no notice of junk.torrent: {notices:#}"));
    assert_eq!(notice["level"], "warning");
    assert_eq!(notice["source"], "watchFolder");
    assert_eq!(torrents(&server).await.len(), 1);
    server.stop().await;
}
