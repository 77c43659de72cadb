//! Categories, tags and save paths: a category's folder receives its torrents'
//! data, filters find torrents by category, tag and state, a change of category
//! moves a seeding torrent's data without downloading anything again (and never
//! over anything), and category seeding limits sit between the torrent's own and
//! the global ones.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

async fn put_category(server: &Api, name: &str, body: Value) -> (u16, Value) {
    let (status, json, _) = server
        .send(
            "PUT",
            &format!("/api/v1/categories/{name}"),
            Some("application/json"),
            body.to_string().into_bytes(),
        )
        .await;
    (status, json)
}

async fn delete_category(server: &Api, name: &str) -> (u16, Value) {
    let (status, json, _) = server
        .send(
            "DELETE",
            &format!("/api/v1/categories/{name}"),
            None,
            vec![],
        )
        .await;
    (status, json)
}

fn hashes(list: &Value) -> Vec<String> {
    let mut v: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["infoHash"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn categories_are_checked_listed_removed_and_survive_a_restart() {
    let dirs = Dirs::new();
    let mut settings = test_settings(&dirs);
    // The root holds the download folder and the state folder.
    settings.download_root = Some(dirs.root().to_owned());
    let server = TestServer::start(settings.clone()).await;

    let (status, c) = put_category(&server, "tv", json!({})).await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(
        c,
        json!({"name": "tv", "savePath": "", "seedRatioLimit": null,
        "seedTimeLimit": null, "seedIdleLimit": null})
    );
    let (status, c) = put_category(
        &server,
        "tv/anime",
        json!({"savePath": "anime", "seedRatioLimit": 2.0, "seedTimeLimit": -5}),
    )
    .await;
    assert_eq!(status, 201, "{c}");
    assert_eq!(c["seedTimeLimit"], -1, "negative means none: {c}");
    // The same name again changes it.
    let (status, c) = put_category(&server, "tv", json!({"savePath": "shows"})).await;
    assert_eq!(status, 200, "{c}");
    // Absolute inside the root, but outside the download folder.
    let media = dirs.root().join("media");
    let (status, c) = put_category(
        &server,
        "films",
        json!({"savePath": media.to_str().unwrap()}),
    )
    .await;
    assert_eq!(status, 201, "{c}");

    let refusals = [
        ("a%2F%2Fb", json!({}), "no empty part"),
        ("tv%2F..", json!({}), "no . or .."),
        (
            "x",
            json!({"savePath": "/etc"}),
            "outside the download root",
        ),
        ("x", json!({"savePath": "../x"}), "cannot hold . or .."),
        (
            "x",
            json!({"savePath": dirs.state.join("x").to_str().unwrap()}),
            "state folder",
        ),
        ("x", json!({"seedRatioLimit": "high"}), "seedRatioLimit"),
        ("x", json!({"colour": "red"}), "colour"),
    ];
    for (name, body, why) in refusals {
        let (status, e) = put_category(&server, name, body.clone()).await;
        assert_eq!(status, 400, "{name} {body}: {e}");
        let error = e["error"].as_str().unwrap();
        assert!(error.contains(why), "{name} {body}: {error}");
        // The root shows only where the request itself named it.
        let root = dirs.root().to_str().unwrap();
        assert!(
            !error.contains(root) || body.to_string().contains(root),
            "{error}"
        );
    }

    let (status, list) = server.get_json("/api/v1/categories").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["films", "tv", "tv/anime"]);
    assert_eq!(list[1]["savePath"], "shows");

    let (status, _) = delete_category(&server, "films").await;
    assert_eq!(status, 204);
    let (status, e) = delete_category(&server, "films").await;
    assert_eq!(status, 404, "{e}");

    server.stop().await;
    let server = TestServer::start(settings).await;
    let (_, list) = server.get_json("/api/v1/categories").await;
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["savePath"], "shows");
    assert_eq!(list[1]["seedRatioLimit"], 2.0);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_category_folder_receives_the_data_and_filters_find_torrents() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let single = make_payload(&dirs.data, "episode.mkv", &[("", 700_001)]).await;
    let multi = make_payload(
        &dirs.data,
        "Season 1",
        &[("e1.mkv", 300_001), ("extras/e2.mkv", 200_003)],
    )
    .await;
    let seeder = Seeder::start(&single, "127.0.0.61", None, &[]).await;
    seeder.seed(&multi, &[]).await;

    let (status, c) = put_category(&server, "tv", json!({"savePath": "shows"})).await;
    assert_eq!(status, 201, "{c}");
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": seeder.magnet(&single), "category": "tv", "tags": ["hd", "new"]}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["category"], "tv");
    assert_eq!(t["tags"], json!(["hd", "new"]));
    assert_eq!(t["savePath"], "shows");
    // A category that does not exist yet is created, with its name as its folder.
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": seeder.magnet(&multi), "category": "tv/box sets", "tags": ["hd"]}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["savePath"], "tv/box sets");

    let one = server
        .wait_state(&single.info_hash, "seeding", TIMEOUT)
        .await;
    let two = server
        .wait_state(&multi.info_hash, "seeding", TIMEOUT)
        .await;
    assert_eq!(one["contentPath"], "shows/episode.mkv", "{one:#}");
    assert_eq!(one["files"][0]["path"], "shows/episode.mkv");
    assert_eq!(two["contentPath"], "tv/box sets/Season 1", "{two:#}");
    assert_same_file(&dirs.downloads.join("shows/episode.mkv"), &single.root);
    assert_same_file(
        &dirs.downloads.join("tv/box sets/Season 1/extras/e2.mkv"),
        &multi.root.join("extras/e2.mkv"),
    );
    assert!(!dirs.downloads.join("episode.mkv").exists());

    let (_, categories) = server.get_json("/api/v1/categories").await;
    assert_eq!(categories[1]["name"], "tv/box sets", "{categories}");
    let (_, tags) = server.get_json("/api/v1/tags").await;
    assert_eq!(tags, json!(["hd", "new"]));

    // Filters.
    let both = {
        let mut v = vec![single.info_hash.clone(), multi.info_hash.clone()];
        v.sort();
        v
    };
    for (query, want) in [
        ("", both.clone()),
        ("?category=tv", vec![single.info_hash.clone()]),
        ("?category=tv%2Fbox%20sets", vec![multi.info_hash.clone()]),
        ("?category=", vec![]),
        ("?tag=hd", both.clone()),
        ("?tag=new", vec![single.info_hash.clone()]),
        ("?tag=hd&category=tv", vec![single.info_hash.clone()]),
        ("?state=seeding", both.clone()),
        ("?state=paused", vec![]),
    ] {
        let (status, list) = server.get_json(&format!("/api/v1/torrents{query}")).await;
        assert_eq!(status, 200, "{query}: {list}");
        assert_eq!(hashes(&list), want, "{query}");
    }
    let (status, e) = server.get_json("/api/v1/torrents?state=sleeping").await;
    assert_eq!(status, 400, "{e}");

    // Only the fields asked for, and the info hash; with the filters.
    let (status, list) = server
        .get_json("/api/v1/torrents?fields=name,%20state&category=tv")
        .await;
    assert_eq!(status, 200, "{list}");
    assert_eq!(
        list,
        json!([{"infoHash": single.info_hash, "name": "episode.mkv", "state": "seeding"}])
    );
    let (status, e) = server.get_json("/api/v1/torrents?fields=name,size2").await;
    assert_eq!(status, 400, "{e}");
    assert!(e["error"].as_str().unwrap().contains("\"size2\""), "{e}");

    // Tags change by PATCH (the list replaces the old one); removing the category
    // keeps the torrent, which loses it.
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", single.info_hash),
            json!({"tags": ["archive"]}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["tags"], json!(["archive"]));
    let (status, e) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", single.info_hash),
            json!({"tags": ["a,b"]}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    let (status, _) = delete_category(&server, "tv").await;
    assert_eq!(status, 204);
    let t = server.torrent(&single.info_hash).await;
    assert!(t["category"].is_null(), "{t}");
    assert_eq!(t["state"], "seeding");
    assert_same_file(&dirs.downloads.join("shows/episode.mkv"), &single.root);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seeding_torrent_moves_to_its_new_category_and_keeps_seeding() {
    let dirs = Dirs::new();
    let mut settings = test_settings(&dirs);
    let incoming = fixed_incoming_port(&mut settings);
    let server = TestServer::start(settings.clone()).await;
    let size = 1_300_003usize + 900_001;
    let data = make_payload(
        &dirs.data,
        "Film",
        &[("film.mkv", 1_300_003), ("subs/film.srt", 900_001)],
    )
    .await;
    let hash = data.info_hash.clone();
    let seeder = Seeder::start(&data, "127.0.0.62", None, &[]).await;
    let (status, t) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    let sent_before = seeder.uploaded();
    assert!(dirs.downloads.join("Film/film.mkv").is_file());

    let (status, _) = put_category(&server, "films", json!({"savePath": "library/films"})).await;
    assert_eq!(status, 201);
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{hash}"),
            json!({"category": "films"}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["category"], "films");
    let t = watch_move(&server, &hash, "library/films").await;
    assert_eq!(t["contentPath"], "library/films/Film", "{t:#}");
    assert!(t["moveError"].is_null(), "{t:#}");
    assert_same_file(
        &dirs.downloads.join("library/films/Film/film.mkv"),
        &data.root.join("film.mkv"),
    );
    assert_same_file(
        &dirs.downloads.join("library/films/Film/subs/film.srt"),
        &data.root.join("subs/film.srt"),
    );
    // The old folder is gone, and nothing was fetched again.
    assert!(!dirs.downloads.join("Film").exists());
    assert_eq!(t["completed"], size as u64);
    assert!(
        seeder.uploaded() - sent_before < (size / 4) as u64,
        "the move downloaded again: {} bytes",
        seeder.uploaded() - sent_before
    );
    drop(seeder);

    // It seeds from the new place.
    let leecher = Leecher::start(&data, SocketAddr::from(([127, 0, 0, 1], incoming.port()))).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("the leecher finished")
        .unwrap();
    assert_same_file(
        &leecher.dirs.downloads.join("Film/subs/film.srt"),
        &data.root.join("subs/film.srt"),
    );
    drop(leecher);

    // A save path of its own, given directly; then back without a category.
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{hash}"),
            json!({"savePath": "elsewhere"}),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    let t = watch_move(&server, &hash, "elsewhere").await;
    assert_eq!(t["category"], "films", "{t:#}");
    let (status, _) = server
        .patch_json(
            &format!("/api/v1/torrents/{hash}"),
            json!({"category": null}),
        )
        .await;
    assert_eq!(status, 200);
    watch_move(&server, &hash, "").await;
    assert_same_file(
        &dirs.downloads.join("Film/film.mkv"),
        &data.root.join("film.mkv"),
    );
    assert!(!dirs.downloads.join("elsewhere/Film").exists());

    // The place survives a restart.
    let (status, _) = server
        .patch_json(
            &format!("/api/v1/torrents/{hash}"),
            json!({"savePath": "kept"}),
        )
        .await;
    assert_eq!(status, 200);
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    server.stop().await;
    let server = TestServer::start(settings).await;
    let t = server.wait_state(&hash, "seeding", TIMEOUT).await;
    assert_eq!(t["savePath"], "kept", "{t:#}");
    assert_eq!(t["completed"], size as u64, "{t:#}");
    server.stop().await;
}

/// Watches a complete torrent's move to the save path `to` closely (librqbit
/// checks it again once handed it back): it is `moving` and then `seeding`,
/// never seeming to download, and its files are where it says its content is.
async fn watch_move(server: &Api, hash: &str, to: &str) -> Value {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let t = server.torrent(hash).await;
        let state = t["state"].as_str().unwrap_or_default();
        assert!(state == "moving" || state == "seeding", "{t:#}");
        assert_eq!(t["progress"], 1.0, "{t:#}");
        if state == "seeding" && t["savePath"] == to {
            let content = format!("{}/", t["contentPath"].as_str().unwrap_or_default());
            for file in t["files"].as_array().unwrap() {
                let path = file["path"].as_str().unwrap_or_default();
                assert!(path.starts_with(&content), "{t:#}");
            }
            // Whether librqbit has checked it yet or not.
            for _ in 0..20 {
                let t = server.torrent(hash).await;
                assert_eq!(t["state"], "seeding", "{t:#}");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            return t;
        }
        assert!(tokio::time::Instant::now() < deadline, "{t:#}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_move_never_replaces_what_is_already_there() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let data = make_payload(
        &dirs.data,
        "Album",
        &[("a.flac", 400_001), ("b.flac", 300_007)],
    )
    .await;
    let hash = data.info_hash.clone();
    // The data is already on disk: the torrent checks it and seeds.
    std::fs::create_dir_all(dirs.downloads.join("Album")).unwrap();
    for f in ["a.flac", "b.flac"] {
        std::fs::copy(data.root.join(f), dirs.downloads.join("Album").join(f)).unwrap();
    }
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&hash, "seeding", TIMEOUT).await;

    // Someone else's file where one of ours would go.
    std::fs::create_dir_all(dirs.downloads.join("music/Album")).unwrap();
    std::fs::write(dirs.downloads.join("music/Album/b.flac"), b"not yours").unwrap();
    let (status, e) = server
        .patch_json(
            &format!("/api/v1/torrents/{hash}"),
            json!({"savePath": "music"}),
        )
        .await;
    assert_eq!(status, 409, "{e}");
    let error = e["error"].as_str().unwrap();
    assert!(error.contains("music/Album/b.flac"), "{error}");
    assert!(!error.contains(dirs.downloads.to_str().unwrap()), "{error}");
    assert_eq!(
        std::fs::read(dirs.downloads.join("music/Album/b.flac")).unwrap(),
        b"not yours"
    );
    let t = server.torrent(&hash).await;
    assert_eq!(t["state"], "seeding", "{t:#}");
    assert_eq!(t["savePath"], "");
    assert_same_file(
        &dirs.downloads.join("Album/a.flac"),
        &data.root.join("a.flac"),
    );

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn category_seeding_limits_sit_between_the_torrent_and_the_global_ones() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let a = make_payload(&dirs.data, "a.bin", &[("", 300_001)]).await;
    let b = make_payload(&dirs.data, "b.bin", &[("", 300_007)]).await;
    let seeder = Seeder::start(&a, "127.0.0.63", None, &[]).await;
    seeder.seed(&b, &[]).await;
    // The category stops its torrents at once (ratio 0); b sets its own "none".
    let (status, _) = put_category(&server, "strict", json!({"seedRatioLimit": 0})).await;
    assert_eq!(status, 201);
    let (status, _) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": seeder.magnet(&a), "category": "strict"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": seeder.magnet(&b), "category": "strict", "seedRatioLimit": -1}),
        )
        .await;
    assert_eq!(status, 201);
    let t = server
        .wait_torrent(&a.info_hash, "stopped at its limit", TIMEOUT, |t| {
            t["seedLimitReached"] == true
        })
        .await;
    assert_eq!(t["state"], "completed", "{t:#}");
    let t = server.wait_state(&b.info_hash, "seeding", TIMEOUT).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t2 = server.torrent(&b.info_hash).await;
    assert_eq!(t2["state"], "seeding", "{t:#}");
    assert_eq!(t2["seedLimitReached"], false);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_an_incomplete_folder_files_reach_their_folder_only_when_complete() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, e) = server
        .patch_json("/api/v1/config", json!({"incompleteDir": "/etc/partial"}))
        .await;
    assert_eq!(status, 400, "{e}");
    let (status, c) = server
        .patch_json("/api/v1/config", json!({"incompleteDir": ".partial"}))
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["incompleteDir"], ".partial");

    let size = 1_500_007usize;
    let data = make_payload(
        &dirs.data,
        "show",
        &[("s01e01.mkv", size), ("sample.txt", 10_007)],
    )
    .await;
    let hash = data.info_hash.clone();
    // Slow enough to look at it half-way.
    let seeder = Seeder::start(&data, "127.0.0.64", Some(400 * 1024), &[]).await;
    let (status, _) = put_category(&server, "tv", json!({})).await;
    assert_eq!(status, 201);
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": seeder.magnet(&data), "category": "tv"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    let partial = dirs.downloads.join(".partial/show/s01e01.mkv");
    let last = dirs.downloads.join("tv/show/s01e01.mkv");
    let seen_partial = std::cell::Cell::new(false);
    let t = server
        .wait_torrent(&hash, "seeding", TIMEOUT, |t| {
            if t["state"] == "downloading" && t["completed"].as_u64().unwrap_or(0) > 0 {
                seen_partial.set(seen_partial.get() | partial.is_file());
            }
            // Complete, it moves (state `moving`) and then seeds from there.
            assert!(
                t["state"] != "downloading" || !last.exists(),
                "a file still downloading is in the final folder: {t:#}"
            );
            t["state"] == "seeding" && t["savePath"] == "tv"
        })
        .await;
    assert!(
        seen_partial.get(),
        "the download never showed in the incomplete folder"
    );
    assert_eq!(t["contentPath"], "tv/show", "{t:#}");
    assert_same_file(&last, &data.root.join("s01e01.mkv"));
    assert!(!dirs.downloads.join(".partial/show").exists());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_torrent_is_shown_by_the_name_it_is_given_and_its_files_keep_theirs() {
    let dirs = Dirs::new();
    let settings = test_settings(&dirs);
    let server = TestServer::start(settings.clone()).await;
    // Its data already in the download folder: it is checked, then seeds.
    let data = make_payload(
        &dirs.downloads,
        "Album",
        &[("01.flac", 300_007), ("02.flac", 200_003)],
    )
    .await;
    let hash = data.info_hash.clone();
    // A name given with the add.
    let (status, t) = server
        .add_torrent_file(&data.torrent, "?name=First%20name")
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["name"], "First name");
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    let path = format!("/api/v1/torrents/{hash}");

    let (status, t) = server
        .patch_json(&path, json!({"name": "  An album (2026) "}))
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["name"], "An album (2026)");
    assert_eq!(t["contentPath"], "Album", "{t:#}");
    let files: Vec<&str> = t["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert_eq!(files, ["Album/01.flac", "Album/02.flac"]);
    assert!(dirs.downloads.join("Album/01.flac").is_file());
    let listed = server.get_json("/api/v1/torrents").await.1;
    assert_eq!(listed[0]["name"], "An album (2026)", "{listed}");
    // qBittorrent's API shows and changes the same name.
    let info = server
        .get_json(&format!("/api/v2/torrents/info?hashes={hash}"))
        .await
        .1;
    assert_eq!(info[0]["name"], "An album (2026)", "{info}");

    // Refused with a reason, and nothing changes.
    for (bad, why) in [
        (json!("two\nlines"), "control character"),
        (json!("x".repeat(1025)), "more than 1024"),
        (json!(7), "name"),
    ] {
        let (status, e) = server.patch_json(&path, json!({ "name": bad })).await;
        assert_eq!(status, 400, "{e}");
        assert!(e["error"].as_str().unwrap_or_default().contains(why), "{e}");
    }
    assert_eq!(server.torrent(&hash).await["name"], "An album (2026)");

    // It survives a restart.
    server.stop().await;
    let server = TestServer::start(settings).await;
    let t = server.wait_state(&hash, "seeding", TIMEOUT).await;
    assert_eq!(t["name"], "An album (2026)", "{t:#}");
    // null, or an empty name, shows its own again.
    let (status, t) = server.patch_json(&path, json!({"name": null})).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["name"], "Album");
    let (_, t) = server.patch_json(&path, json!({"name": "Other"})).await;
    assert_eq!(t["name"], "Other");
    let (_, t) = server.patch_json(&path, json!({"name": " "})).await;
    assert_eq!(t["name"], "Album");

    // A magnet, before its metadata, with a name; a name refused refuses the add.
    let pending = "9d".repeat(20);
    let magnet = format!("magnet:?xt=urn:btih:{pending}&dn=own&x.pe=127.0.0.1:9");
    let (status, e) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": magnet, "name": "a\tb"}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert_eq!(
        server
            .get_json(&format!("/api/v1/torrents/{pending}"))
            .await
            .0,
        404
    );
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({"magnet": magnet, "name": "Given"}),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["name"], "Given");
    server.stop().await;
}
