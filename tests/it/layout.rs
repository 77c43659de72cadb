//! Where a torrent's files land: a torrent with a `files` list always gets its own
//! folder (even with one entry), two torrents never share a file, torrents added
//! before folders were recorded keep theirs, and links in the download folder are
//! never followed: not when adding, not at start-up, not when deleting files.

use std::os::unix::fs::symlink;
use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::hostile_torrents::Spec;
use crate::support::*;

fn error_of(body: &Value) -> String {
    body["error"].as_str().unwrap_or_default().to_owned()
}

fn paths_of(torrent: &Value) -> Vec<String> {
    torrent["torrent"]["files"]
        .as_array()
        .or_else(|| torrent["files"].as_array())
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_files_list_gets_its_own_folder_and_overlapping_torrents_are_refused() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    // Two torrents whose `files` list holds one entry of the same name.
    let a = make_payload(&dirs.data, "A", &[("payload.bin", 300_000)]).await;
    let b = make_payload(&dirs.data, "B", &[("payload.bin", 200_000)]).await;
    for (p, name) in [(&a, "A"), (&b, "B")] {
        let (status, t) = server.add_torrent_file(&p.torrent, "?paused=true").await;
        assert_eq!(status, 201, "{t}");
        assert_eq!(paths_of(&t), [format!("{name}/payload.bin")], "{t}");
        assert!(dirs.downloads.join(name).join("payload.bin").is_file());
    }
    assert!(!dirs.downloads.join("payload.bin").exists());

    // Torrents whose files would be A's file, A's folder, or inside A's file.
    let refused = [
        ("a file where A's folder is", Spec::single(b"A", 10)),
        (
            "A's file, from another torrent",
            Spec::multi(b"A", vec![(vec![b"payload.bin"], 10)]),
        ),
        (
            "a file inside A's file",
            Spec::multi(b"A", vec![(vec![b"payload.bin", b"x"], 10)]),
        ),
    ];
    for (what, spec) in refused {
        let (status, body) = server.add_torrent_file(&spec.bytes(), "?paused=true").await;
        assert_eq!(status, 409, "{what}: {body}");
        let error = error_of(&body);
        assert!(
            error.contains(&a.info_hash) && error.contains("\"A\""),
            "{what}: the error names the other torrent: {error}"
        );
    }
    // Nothing of A's changed, and no torrent was added.
    assert_eq!(
        std::fs::metadata(dirs.downloads.join("A/payload.bin"))
            .unwrap()
            .len(),
        300_000
    );
    let (_, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");

    // Another file in the same folder is not an overlap; the same torrent again is
    // the same torrent.
    let neighbour = Spec::multi(b"A", vec![(vec![b"other.bin"], 10)]);
    let (status, body) = server
        .add_torrent_file(&neighbour.bytes(), "?paused=true")
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, body) = server.add_torrent_file(&a.torrent, "?paused=true").await;
    assert_eq!(status, 200, "{body}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn torrents_recorded_before_the_upgrade_keep_their_folder() {
    let dirs = Dirs::new();
    let a = make_payload(&dirs.data, "A", &[("payload.bin", 300_000)]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server.add_torrent_file(&a.torrent, "?paused=true").await;
    assert_eq!(status, 201, "{t}");
    server.stop().await;

    // The state an older version left: no folder in the record, and the single
    // entry of the `files` list written straight into the download folder.
    let mut saved = saved_record(&dirs.state, &a.info_hash).unwrap();
    let record = saved.as_object_mut().unwrap();
    assert!(record.remove("folder").is_some(), "{record:?}");
    record.insert("paused".into(), Value::Bool(false));
    replace_record(&dirs.state, &a.info_hash, &saved);
    std::fs::remove_dir_all(dirs.downloads.join("A")).unwrap();
    // Resume data of the empty file at the new place would skip the check.
    std::fs::remove_dir_all(dirs.state.join("librqbit")).unwrap();
    std::fs::copy(
        a.root.join("payload.bin"),
        dirs.downloads.join("payload.bin"),
    )
    .unwrap();

    let server = TestServer::start(test_settings(&dirs)).await;
    let t = server
        .wait_state(&a.info_hash, "seeding", Duration::from_secs(30))
        .await;
    assert_eq!(paths_of(&t), ["payload.bin"], "{t}");
    assert!(!dirs.downloads.join("A").exists());
    server.stop().await;
    // The folder is recorded now.
    let saved = saved_record(&dirs.state, &a.info_hash).unwrap();
    assert_eq!(saved["folder"], "", "{saved}");
}

/// `outside` with a secret file and a folder holding a file, and links to both
/// in the download folder.
fn plant_links(dirs: &Dirs) -> std::path::PathBuf {
    let outside = dirs.root().join("outside");
    std::fs::create_dir_all(outside.join("dir")).unwrap();
    std::fs::write(outside.join("secret.txt"), b"secret").unwrap();
    std::fs::write(outside.join("dir/keep.txt"), b"keep").unwrap();
    symlink(outside.join("secret.txt"), dirs.downloads.join("filelink")).unwrap();
    symlink(outside.join("dir"), dirs.downloads.join("dirlink")).unwrap();
    outside
}

fn assert_untouched(outside: &Path) {
    assert_eq!(
        std::fs::read(outside.join("secret.txt")).unwrap(),
        b"secret"
    );
    let in_dir: Vec<_> = std::fs::read_dir(outside.join("dir"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(in_dir, ["keep.txt"]);
    assert_eq!(
        std::fs::read(outside.join("dir/keep.txt")).unwrap(),
        b"keep"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_in_the_download_folder_are_never_followed_when_adding() {
    let dirs = Dirs::new();
    let outside = plant_links(&dirs);
    let server = TestServer::start(test_settings(&dirs)).await;
    let cases = [
        (
            "a file named like a link to a file",
            Spec::single(b"filelink", 100),
        ),
        (
            "a torrent named like a link to a folder",
            Spec::multi(
                b"dirlink",
                vec![(vec![b"new.bin"], 10), (vec![b"keep.txt"], 100)],
            ),
        ),
    ];
    for (what, spec) in cases {
        for query in ["?paused=true", ""] {
            let (status, body) = server.add_torrent_file(&spec.bytes(), query).await;
            assert_eq!(status, 409, "{what} {query}: {body}");
            let error = error_of(&body);
            assert!(error.contains("symbolic link"), "{what}: {error}");
            assert!(
                !error.contains(dirs.root().to_str().unwrap()),
                "{what}: a server path in {error}"
            );
            assert_untouched(&outside);
        }
    }
    // The links are still there, as the user left them.
    assert!(dirs.downloads.join("filelink").is_symlink());
    assert!(dirs.downloads.join("dirlink").is_symlink());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn links_swapped_in_later_are_never_followed_at_start_up_or_delete() {
    let dirs = Dirs::new();
    let outside = plant_links(&dirs);
    let server = TestServer::start(test_settings(&dirs)).await;
    // Two torrents whose folders are replaced by links to `outside/dir`: one while
    // the server runs (then deleted with its files), one while it is stopped.
    let spec = |name: &'static [u8]| Spec::multi(name, vec![(vec![b"keep.txt"], 100)]);
    let mut hashes = Vec::new();
    for name in [b"T" as &[u8], b"U"] {
        let (status, body) = server
            .add_torrent_file(&spec(name).bytes(), "?paused=true")
            .await;
        assert_eq!(status, 201, "{body}");
        hashes.push(body["infoHash"].as_str().unwrap().to_owned());
    }
    let swap = |name: &str| {
        std::fs::remove_dir_all(dirs.downloads.join(name)).unwrap();
        symlink(outside.join("dir"), dirs.downloads.join(name)).unwrap();
    };

    swap("T");
    assert_eq!(
        server.delete_torrent(&hashes[0], "?deleteFiles=true").await,
        204
    );
    assert_untouched(&outside);
    assert!(dirs.downloads.join("T").is_symlink());
    server.stop().await;

    swap("U");
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, body) = server.start_torrent(&hashes[1]).await;
    assert!(status < 500, "{body}");
    let mut t = server.torrent(&hashes[1]).await;
    for _ in 0..50 {
        if t["state"] == "error" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        t = server.torrent(&hashes[1]).await;
    }
    assert_eq!(t["state"], "error", "{t}");
    assert!(
        t["error"]
            .as_str()
            .unwrap_or_default()
            .contains("symbolic link"),
        "{t}"
    );
    assert_untouched(&outside);
    assert_eq!(
        server.delete_torrent(&hashes[1], "?deleteFiles=true").await,
        204
    );
    assert_untouched(&outside);
    server.stop().await;
}
