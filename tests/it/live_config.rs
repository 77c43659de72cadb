//! `GET`/`PATCH /api/v1/config` and the web UI's files, as a user meets them:
//! settings that apply at once never stop running torrents, settings fixed at start
//! are saved and reported as pending a restart, bad values are refused by name, and
//! the config file keeps its other keys.

use std::time::Duration;

use cloud_torrent_config::ConfigValues;
use cloud_torrent_server::ServerConfig;
use serde_json::{Value, json};

use crate::support::*;

/// `PATCH /api/v1/config` with `body`.
async fn patch(server: &Api, body: Value) -> (u16, Value) {
    server.patch_json("/api/v1/config", body).await
}

/// `GET /api/v1/config`.
async fn read_config(server: &Api) -> Value {
    let (status, config) = server.get_json("/api/v1/config").await;
    assert_eq!(status, 200, "{config}");
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settings_apply_live_without_stopping_torrents_and_are_saved() {
    let dirs = Dirs::new();
    let config_file = dirs.root().join("cloud-torrent.toml");
    std::fs::write(&config_file, "port = 3000\ntitle = \"Box\"\n").unwrap();
    let payload = make_payload(&dirs.data, "keep", &[("", 2 * 1024 * 1024 + 1)]).await;
    let seeder = Seeder::start(&payload, "127.0.0.2", None, &[]).await;
    let server = TestServer::start_with(ServerConfig {
        config_file: Some(config_file.clone()),
        ..server_config(ConfigValues {
            title: "Box".into(),
            ..test_settings(&dirs)
        })
    })
    .await;
    let config = read_config(&server).await;
    assert_eq!(config["seeding"], true);
    assert_eq!(config["autoStart"], true);
    assert_eq!(config["pendingRestart"], json!([]));
    assert!(config.get("auth").is_none(), "no secrets: {config}");

    let (status, t) = server.add_magnet(&seeder.magnet(&payload)).await;
    assert_eq!(status, 201, "{t}");
    server
        .wait_state(&payload.info_hash, "seeding", Duration::from_secs(60))
        .await;

    // Refused, by name, and nothing applied (all or nothing).
    let outside = dirs.state.join("inside-state");
    for (body, field) in [
        (json!({ "seeding": "yes" }), "seeding"),
        (json!({ "incomingPort": 70000 }), "incomingPort"),
        (json!({ "bogus": 1 }), "bogus"),
        (json!({ "allowPrivateUrls": true }), "allowPrivateUrls"),
        (json!({ "auth": "a:b" }), "auth"),
        (json!({ "downloadDir": "relative/dir" }), "downloadDir"),
        (
            json!({ "downloadDir": outside.display().to_string() }),
            "downloadDir",
        ),
        (json!({ "seeding": false, "title": "" }), "title"),
    ] {
        let (status, err) = patch(&server, body.clone()).await;
        assert_eq!(status, 400, "{body} -> {err}");
        let message = err["error"].as_str().unwrap();
        assert!(message.contains(field), "{body}: {message}");
        assert!(
            !message.contains(dirs.state.to_str().unwrap()),
            "no server paths in errors: {message}"
        );
    }
    let r = server
        .http
        .patch(server.url("/api/v1/config"))
        .header("content-type", "application/json")
        .body("[1]")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(read_config(&server).await["seeding"], true);

    // Seeding off applies at once: the complete torrent stops uploading.
    let (status, config) = patch(&server, json!({ "seeding": false })).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["seeding"], false);
    server
        .wait_state(&payload.info_hash, "completed", Duration::from_secs(5))
        .await;
    let saved = std::fs::read_to_string(&config_file).unwrap();
    assert!(saved.contains("seeding = false"), "{saved}");
    assert!(
        saved.contains("port = 3000"),
        "other keys are kept: {saved}"
    );
    let (status, _) = patch(&server, json!({ "seeding": true })).await;
    assert_eq!(status, 200);
    server
        .wait_state(&payload.info_hash, "seeding", Duration::from_secs(5))
        .await;

    // Settings fixed at start: saved, reported, and the torrent keeps running.
    let (status, config) = patch(
        &server,
        json!({ "incomingPort": 6881, "dht": true, "title": "My box" }),
    )
    .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["pendingRestart"], json!(["incomingPort", "dht"]));
    assert_eq!(config["incomingPort"], 6881);
    assert_eq!(config["title"], "My box");
    let saved = std::fs::read_to_string(&config_file).unwrap();
    assert!(saved.contains("incomingPort = 6881"), "{saved}");
    assert!(saved.contains("title = \"My box\""), "{saved}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(server.torrent(&payload.info_hash).await["state"], "seeding");

    // autoStart off: a new torrent waits, stopped.
    let (status, _) = patch(&server, json!({ "autoStart": false })).await;
    assert_eq!(status, 200);
    let other = make_payload(&dirs.data, "later", &[("", 100 * 1024 + 1)]).await;
    let (status, t) = server.add_torrent_file(&other.torrent, "").await;
    assert_eq!(status, 201);
    assert_eq!(t["state"], "paused");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn saved_settings_are_used_after_a_restart() {
    let dirs = Dirs::new();
    let http_port = free_port("127.0.0.1");
    let incoming = free_port("127.0.0.1");
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (status, config) = patch(
        &server,
        json!({ "autoStart": false, "title": "Saved title", "upload": false }),
    )
    .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["pendingRestart"], json!(["upload"]));
    server.terminate();

    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let config = read_config(&server).await;
    assert_eq!(config["autoStart"], false);
    assert_eq!(config["upload"], false);
    assert_eq!(config["title"], "Saved title");
    assert_eq!(config["pendingRestart"], json!([]));
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ui_is_served_with_relative_urls_and_a_strict_policy() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let r = server.http.get(server.url("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let etag = r.headers()["etag"].clone();
    let html = r.text().await.unwrap();
    assert!(
        !html.contains("src=\"/") && !html.contains("href=\"/"),
        "relative URLs only, so the UI works under a sub-path"
    );
    let r = server
        .http
        .get(server.url("/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);

    // Every file of the UI is served, with its type; no script writes HTML.
    let web = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
    for (dir, kind) in [("js", "text/javascript"), ("css", "text/css")] {
        for entry in std::fs::read_dir(web.join(dir)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let r = server
                .http
                .get(server.url(&format!("/{dir}/{name}")))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{dir}/{name}");
            let ty = r.headers()["content-type"].to_str().unwrap().to_owned();
            assert!(ty.starts_with(kind), "{dir}/{name}: {ty}");
            let text = r.text().await.unwrap();
            for sink in [
                "innerHTML",
                "outerHTML",
                "insertAdjacentHTML",
                "document.write",
            ] {
                assert!(!text.contains(sink), "{dir}/{name} uses {sink}");
            }
            for line in text
                .lines()
                .filter(|l| l.trim_start().starts_with("import "))
            {
                assert!(!line.contains("from '/"), "relative imports: {line}");
            }
        }
    }
    let (status, err) = server.get_json("/js/nope.js").await;
    assert_eq!(status, 404);
    assert!(err["error"].is_string());
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_cannot_move_downloads_outside_the_root_or_widen_the_server() {
    let dirs = Dirs::new();
    let tmp = dirs.root().canonicalize().unwrap();
    let downloads = dirs.downloads.canonicalize().unwrap();
    let outside = tmp.join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, downloads.join("link")).unwrap();
    std::os::unix::fs::symlink(tmp.join("nowhere"), downloads.join("dangling")).unwrap();
    let config_file = tmp.join("cloud-torrent.toml");
    let http_port = free_port("127.0.0.1");
    let incoming = free_port("127.0.0.1");

    // By default the root is the download folder the server started with.
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let config = read_config(&server).await;
    assert_eq!(config["downloadRoot"], downloads.display().to_string());
    let at = |p: &std::path::Path| p.display().to_string();
    for (dir, why) in [
        (format!("{}/../outside", at(&downloads)), ". or .."),
        (at(&outside), "download root"),
        (at(&tmp.join("downloads-evil")), "download root"),
        (at(&tmp), "download root"),
        (at(&downloads.join("link")), "symbolic link"),
        (at(&downloads.join("link/sub")), "symbolic link"),
        (at(&downloads.join("dangling/sub")), "download root"),
        ("/".to_owned(), "root folder"),
        ("movies".to_owned(), "absolute"),
    ] {
        let (status, err) = patch(&server, json!({ "downloadDir": dir })).await;
        assert_eq!(status, 400, "{dir}: {err}");
        let message = err["error"].as_str().unwrap();
        assert!(message.starts_with("downloadDir: "), "{dir}: {message}");
        assert!(
            message.contains(why),
            "{dir}: {message:?} should say {why:?}"
        );
        assert!(!message.contains(&at(&tmp)), "no server paths: {message}");
    }
    assert!(!outside.join("sub").exists(), "created through a symlink");
    assert!(!tmp.join("nowhere").exists(), "created through a symlink");
    assert!(!tmp.join("downloads-evil").exists());

    // What runs a program, widens what the server may fetch or read, or guards it:
    // refused by name, nothing saved.
    let saved = std::fs::read_to_string(&config_file).unwrap_or_default();
    for key in [
        "allowPrivateUrls",
        "searchConfig",
        "stateDir",
        "downloadRoot",
        "auth",
        "noAuth",
        "allowedHosts",
        "host",
        "certPath",
        "keyPath",
    ] {
        let body = json!({ key: "/", "title": "changed" });
        let (status, err) = patch(&server, body).await;
        assert_eq!(status, 400, "{key}: {err}");
        let message = err["error"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("{key}: cannot be changed over the API")),
            "{message}"
        );
    }
    let (status, err) = patch(&server, json!({ "doneCmd": "sh" })).await;
    assert_eq!(status, 400);
    assert!(
        err["error"].as_str().unwrap().contains("\"doneCmd\""),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&config_file).unwrap_or_default(),
        saved
    );
    let config = read_config(&server).await;
    assert_eq!(config["title"], "Cloud Torrent");

    // A subfolder is fine; the root is saved with it, so the next start keeps it.
    let movies = downloads.join("movies");
    let (status, config) = patch(&server, json!({ "downloadDir": at(&movies) })).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["downloadDir"], at(&movies));
    assert_eq!(config["pendingRestart"], json!(["downloadDir"]));
    assert!(movies.is_dir());
    let table: toml::Table = std::fs::read_to_string(&config_file)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(table["downloadDir"].as_str(), Some(at(&movies).as_str()));
    assert_eq!(
        table["downloadRoot"].as_str(),
        Some(at(&downloads).as_str())
    );
    server.terminate();

    // --download-root widens what the API may choose, and only that.
    let root = at(&tmp);
    let server = Binary::start(&dirs, http_port, incoming, &["--download-root", &root]).await;
    let config = read_config(&server).await;
    assert_eq!(config["downloadRoot"], root);
    let media = tmp.join("media");
    let (status, config) = patch(&server, json!({ "downloadDir": at(&media) })).await;
    assert_eq!(status, 200, "{config}");
    let (status, err) = patch(&server, json!({ "downloadDir": "/etc/x" })).await;
    assert_eq!(status, 400, "{err}");
    let (status, err) = patch(&server, json!({ "downloadDir": at(&dirs.state.join("x")) })).await;
    assert_eq!(status, 400, "{err}");
    assert!(err["error"].as_str().unwrap().contains("stateDir"), "{err}");
    server.terminate();
}

/// A setting given on the command line (or in the environment) would undo an API change
/// at the next start, so the API refuses to change it and says where it comes from.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_given_on_the_command_line_are_read_only_over_the_api() {
    let dirs = Dirs::new();
    let http_port = free_port("127.0.0.1");
    let incoming = free_port("127.0.0.1");
    let server = Binary::start(&dirs, http_port, incoming, &["--title", "From the flag"]).await;
    let (status, err) = patch(&server, json!({ "title": "From the UI" })).await;
    assert_eq!(status, 400, "{err}");
    let message = err["error"].as_str().unwrap();
    assert!(message.starts_with("title: "), "{message}");
    assert!(
        message.contains("command-line flag or environment variable"),
        "{message}"
    );
    let config = read_config(&server).await;
    assert_eq!(config["title"], "From the flag");
    let fixed = config["commandLine"].as_array().unwrap();
    assert!(fixed.contains(&json!("title")), "{fixed:?}");
    assert!(
        !fixed.contains(&json!("downloadDir")),
        "set in the file: {fixed:?}"
    );
    // Settings from the config file still change.
    let (status, config) = patch(&server, json!({ "seeding": false })).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["seeding"], false);
}
