//! qBittorrent's Web API as Sonarr and phone apps call it: the exact sequences of a
//! connection test, a grab (a .torrent upload and a magnet, urlencoded and multipart,
//! `True`/`False` booleans), the poll until the download completes from loopback seeders
//! and stops at its share limit, the import paths, the category change and the removal;
//! and `sync/maindata` sending only what changed.

use std::time::Duration;

use cloud_torrent_server::{Credentials, SecurityConfig, ServerConfig};
use reqwest::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);
const USER: &str = "sonarr";
const PASSWORD: &str = "correct horse";

/// A client of `/api/v2/` that keeps the `SID` cookie, as Sonarr does.
struct Qbt {
    http: reqwest::Client,
    base: String,
    cookie: Option<String>,
}

impl Qbt {
    fn new(server: &TestServer) -> Qbt {
        Qbt {
            http: http_client().build().unwrap(),
            base: server.url("/api/v2"),
            cookie: None,
        }
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let mut r = self.http.request(method, format!("{}/{path}", self.base));
        if let Some(cookie) = &self.cookie {
            r = r.header(COOKIE, cookie);
        }
        r
    }

    async fn answer(r: reqwest::RequestBuilder) -> (u16, String) {
        let r = r.send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, String) {
        Qbt::answer(self.request(reqwest::Method::GET, path)).await
    }

    async fn get_json(&self, path: &str) -> Value {
        let (status, body) = self.get(path).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// A urlencoded POST, as Sonarr sends small calls.
    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        Qbt::answer(self.request(reqwest::Method::POST, path).form(form)).await
    }

    async fn login(&mut self, user: &str, password: &str) -> (u16, String) {
        let r = self
            .request(reqwest::Method::POST, "auth/login")
            .form(&[("username", user), ("password", password)])
            .send()
            .await
            .unwrap();
        if let Some(cookie) = r.headers().get(SET_COOKIE) {
            let cookie = cookie.to_str().unwrap();
            assert!(cookie.contains("Path=/"), "{cookie}");
            assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
            self.cookie = Some(cookie.split(';').next().unwrap().to_owned());
        }
        (r.status().as_u16(), r.text().await.unwrap())
    }

    async fn info(&self, query: &str) -> Vec<Value> {
        self.get_json(&format!("torrents/info{query}"))
            .await
            .as_array()
            .unwrap()
            .clone()
    }

    /// Polls `torrents/info?hashes=` until `reached` holds for the torrent.
    async fn wait(&self, hash: &str, what: &str, reached: impl Fn(&Value) -> bool) -> Value {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let list = self.info(&format!("?hashes={hash}")).await;
            if let Some(t) = list.first()
                && reached(t)
            {
                return t.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!("{hash} never reached {what}: {list:#?}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sonarrs_test_grab_poll_import_and_removal_work() {
    let dirs = Dirs::new();
    let mut settings = test_settings(&dirs);
    let incoming = fixed_incoming_port(&mut settings);
    let server = TestServer::start_with(ServerConfig {
        security: SecurityConfig {
            credentials: Some(Credentials::new(USER, PASSWORD).unwrap()),
            ..SecurityConfig::default()
        },
        ..server_config(settings)
    })
    .await;
    let mut qbt = Qbt::new(&server);

    // The connection test: without a session, 403 (never 401) tells Sonarr API v2 is here.
    let (status, body) = qbt.get("app/webapiVersion").await;
    assert_eq!((status, body.as_str()), (403, "Forbidden"));
    assert_eq!(qbt.login(USER, "wrong").await, (200, "Fails.".to_owned()));
    assert!(qbt.cookie.is_none());
    assert_eq!(qbt.login(USER, PASSWORD).await, (200, "Ok.".to_owned()));
    assert_eq!(
        qbt.get("app/webapiVersion").await,
        (200, "2.11.4".to_owned())
    );
    assert_eq!(qbt.get("app/version").await, (200, "v5.1.4".to_owned()));
    // Radarr sends Basic on every call, with wrong or empty credentials too: the cookie decides.
    let (status, _) = Qbt::answer(
        qbt.request(reqwest::Method::GET, "app/version")
            .header(AUTHORIZATION, "Basic Og=="),
    )
    .await;
    assert_eq!(status, 200);
    let prefs = qbt.get_json("app/preferences").await;
    assert_eq!(prefs["queueing_enabled"], false);
    assert_eq!(prefs["max_ratio_enabled"], false);
    assert_eq!(prefs["max_ratio_act"], 0);
    assert_eq!(prefs["dht"], false);
    assert_eq!(
        prefs["save_path"],
        dirs.downloads.canonicalize().unwrap().to_str().unwrap()
    );
    assert_eq!(qbt.get_json("torrents/categories").await, json!({}));
    assert_eq!(
        qbt.post("torrents/createCategory", &[("category", "tv-sonarr")])
            .await
            .0,
        200
    );
    let categories = qbt.get_json("torrents/categories").await;
    let tv_folder = dirs.downloads.canonicalize().unwrap().join("tv-sonarr");
    assert_eq!(
        categories["tv-sonarr"],
        json!({"name": "tv-sonarr", "savePath": tv_folder.to_str().unwrap(), "download_path": null})
    );
    assert_eq!(
        qbt.post("torrents/createCategory", &[("category", "tv-sonarr")])
            .await
            .0,
        409
    );
    assert_eq!(qbt.info("?category=tv-sonarr").await, Vec::<Value>::new());

    // The grab: a .torrent uploaded as multipart (field "torrents"), with .NET booleans...
    let show = make_payload(
        &dirs.data,
        "Show.S01E01",
        &[("e01.mkv", 700_001), ("e01.nfo", 1_003)],
    )
    .await;
    let form = Form::new()
        .part(
            "torrents",
            Part::bytes(show.torrent.clone()).file_name("Show.S01E01.torrent"),
        )
        .text("category", "tv-sonarr")
        .text("stopped", "False")
        .text("sequentialDownload", "True")
        .text("ratioLimit", "0")
        .text("seedingTimeLimit", "-2");
    let (status, body) = Qbt::answer(
        qbt.request(reqwest::Method::POST, "torrents/add")
            .multipart(form),
    )
    .await;
    assert_eq!((status, body.as_str()), (200, "Ok."));
    // ...visible at once (Sonarr polls properties right after the add).
    let props = qbt
        .get_json(&format!("torrents/properties?hash={}", show.info_hash))
        .await;
    assert_eq!(props["hash"], show.info_hash.as_str());
    assert_eq!(props["save_path"], tv_folder.to_str().unwrap());
    // ...and a magnet in `urls` (urlencoded), from a seeder named in the magnet.
    let single = make_payload(&dirs.data, "Show.S01E02.mkv", &[("", 400_009)]).await;
    let seeder = Seeder::start(&single, "127.0.0.91", None, &[]).await;
    let (status, body) = qbt
        .post(
            "torrents/add",
            &[
                ("urls", seeder.magnet(&single).as_str()),
                ("category", "tv-sonarr"),
                ("paused", "False"),
                ("tags", "sonarr,tv"),
            ],
        )
        .await;
    assert_eq!((status, body.as_str()), (200, "Ok."));
    // Follow-up calls: share limits with two of the three values, queue (off: 409), tags.
    assert_eq!(
        qbt.post(
            "torrents/setShareLimits",
            &[
                ("hashes", single.info_hash.as_str()),
                ("ratioLimit", "-1"),
                ("seedingTimeLimit", "-2")
            ]
        )
        .await
        .0,
        200
    );
    assert_eq!(
        qbt.post("torrents/topPrio", &[("hashes", show.info_hash.as_str())])
            .await
            .0,
        409
    );
    let both = format!("{}|{}", show.info_hash, single.info_hash);
    assert_eq!(
        qbt.post("torrents/addTags", &[("hashes", &both), ("tags", "sonarr")])
            .await
            .0,
        200
    );
    let listed = qbt.info("?category=tv-sonarr").await;
    assert_eq!(listed.len(), 2, "{listed:#?}");

    // The .torrent has no peers: a seeder dials the server.
    let _dialer = Seeder::start(&show, "127.0.0.92", None, &[incoming]).await;
    // The poll: complete, and the one with ratio limit 0 stopped at it (stoppedUP, which
    // is when Sonarr removes a torrent after import).
    let done = qbt
        .wait(&show.info_hash, "stoppedUP", |t| t["state"] == "stoppedUP")
        .await;
    assert_eq!(done["progress"], 1.0);
    assert_eq!(done["ratio_limit"], 0.0);
    assert_eq!(done["eta"], 0);
    assert_eq!(done["tags"], "sonarr");
    assert_eq!(done["category"], "tv-sonarr");
    assert_eq!(done["save_path"], tv_folder.to_str().unwrap());
    let content = tv_folder.join("Show.S01E01");
    assert_eq!(done["content_path"], content.to_str().unwrap());
    assert_same_file(&content.join("e01.mkv"), &show.root.join("e01.mkv"));
    let files = qbt
        .get_json(&format!("torrents/files?hash={}", show.info_hash))
        .await;
    let mut names: Vec<&str> = files
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["Show.S01E01/e01.mkv", "Show.S01E01/e01.nfo"]);
    // A file left out (priority 0), then taken again.
    let nfo = show.index_of("e01.nfo").to_string();
    let (status, _) = qbt
        .post(
            "torrents/filePrio",
            &[
                ("hash", show.info_hash.as_str()),
                ("id", &nfo),
                ("priority", "0"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    let files = qbt
        .get_json(&format!("torrents/files?hash={}", show.info_hash))
        .await;
    let priority_of = |files: &Value, index: &str| {
        files
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["index"].as_u64() == index.parse().ok())
            .unwrap()["priority"]
            .clone()
    };
    assert_eq!(priority_of(&files, &nfo), 0);
    qbt.post(
        "torrents/filePrio",
        &[
            ("hash", show.info_hash.as_str()),
            ("id", &nfo),
            ("priority", "1"),
        ],
    )
    .await;
    let files = qbt
        .get_json(&format!("torrents/files?hash={}", show.info_hash))
        .await;
    assert_eq!(priority_of(&files, &nfo), 1);
    assert_eq!(
        qbt.post(
            "torrents/filePrio",
            &[
                ("hash", show.info_hash.as_str()),
                ("id", "99"),
                ("priority", "1")
            ]
        )
        .await
        .0,
        409
    );
    let seeding = qbt
        .wait(&single.info_hash, "complete", |t| t["progress"] == 1.0)
        .await;
    assert!(
        ["uploading", "stalledUP"].contains(&seeding["state"].as_str().unwrap()),
        "{seeding}"
    );
    assert_eq!(seeding["ratio_limit"], -1.0);
    assert_eq!(seeding["tags"], "sonarr, tv");
    assert_eq!(
        seeding["content_path"],
        tv_folder.join("Show.S01E02.mkv").to_str().unwrap()
    );
    assert_eq!(qbt.info("?filter=completed").await.len(), 2);
    assert_eq!(qbt.info("?filter=stopped").await.len(), 1);
    assert_eq!(qbt.info("?filter=paused").await.len(), 1, "the 4.x name");
    assert_eq!(qbt.info("?category=").await.len(), 0, "uncategorized only");

    // Unknown hashes: 404 from properties; skipped silently by mutators.
    let unknown = "0".repeat(40);
    assert_eq!(
        qbt.get(&format!("torrents/properties?hash={unknown}"))
            .await
            .0,
        404
    );
    assert_eq!(
        qbt.post("torrents/stop", &[("hashes", &unknown)]).await.0,
        200
    );
    // Import: the post-import category must exist (409), then works.
    assert_eq!(
        qbt.post(
            "torrents/setCategory",
            &[("hashes", single.info_hash.as_str()), ("category", "nope")]
        )
        .await,
        (409, "Incorrect category name".to_owned())
    );
    // Removal: without deleteFiles the data stays; with it, it goes.
    assert_eq!(
        qbt.post("torrents/delete", &[("hashes", single.info_hash.as_str())])
            .await
            .0,
        200
    );
    assert!(tv_folder.join("Show.S01E02.mkv").exists());
    assert_eq!(
        qbt.post(
            "torrents/delete",
            &[("hashes", show.info_hash.as_str()), ("deleteFiles", "True")]
        )
        .await
        .0,
        200
    );
    assert!(!content.exists());
    assert_eq!(qbt.info("").await, Vec::<Value>::new());
    // Logged out, the session is gone.
    assert_eq!(qbt.post("auth/logout", &[]).await.0, 200);
    assert_eq!(qbt.get("app/version").await.0, 403);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_maindata_sends_only_what_changed_and_no_login_means_open() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let qbt = Qbt::new(&server);
    // No login configured: every endpoint answers without one.
    assert_eq!(
        qbt.get("app/webapiVersion").await,
        (200, "2.11.4".to_owned())
    );
    let hash = "ab".repeat(20);
    let (status, body) = qbt
        .post(
            "torrents/add",
            &[("urls", hash.as_str()), ("stopped", "true")],
        )
        .await;
    assert_eq!((status, body.as_str()), (200, "Ok."));
    let full = qbt.get_json("sync/maindata?rid=0").await;
    assert_eq!(full["full_update"], true);
    assert_eq!(full["torrents"][&hash]["state"], "stoppedDL");
    assert!(full["torrents"][&hash].get("hash").is_none());
    assert!(full["server_state"]["global_ratio"].is_string());
    let rid = full["rid"].as_u64().unwrap();
    // Nothing changed: nothing about torrents.
    let same = qbt.get_json(&format!("sync/maindata?rid={rid}")).await;
    assert!(same.get("full_update").is_none(), "{same}");
    assert!(same.get("torrents").is_none(), "{same}");
    // A tag: only that field, and the new tag.
    let (status, _) = qbt
        .post("torrents/addTags", &[("hashes", &hash), ("tags", "x")])
        .await;
    assert_eq!(status, 200);
    let rid = same["rid"].as_u64().unwrap();
    let delta = qbt.get_json(&format!("sync/maindata?rid={rid}")).await;
    assert_eq!(
        delta["torrents"],
        json!({ hash.clone(): {"tags": "x"} }),
        "{delta}"
    );
    assert_eq!(delta["tags"], json!(["x"]));
    // Removed.
    let (status, _) = qbt.post("torrents/delete", &[("hashes", "all")]).await;
    assert_eq!(status, 200);
    let rid = delta["rid"].as_u64().unwrap();
    let gone = qbt.get_json(&format!("sync/maindata?rid={rid}")).await;
    assert_eq!(gone["torrents_removed"], json!([hash]));
    // An unknown rid gets everything again.
    assert_eq!(
        qbt.get_json("sync/maindata?rid=424242").await["full_update"],
        true
    );
    // Unknown endpoints are 404; the 4.x spellings work.
    assert_eq!(qbt.get("torrents/nothing").await.0, 404);
    assert_eq!(
        qbt.post("torrents/pause", &[("hashes", "all")]).await.0,
        200
    );

    // Preferences a phone app changes land in our settings.
    let (status, _) = qbt
        .post(
            "app/setPreferences",
            &[(
                "json",
                r#"{"max_ratio_enabled": true, "max_ratio": 1.5, "dl_limit": 2048000, "queueing_enabled": true, "max_active_downloads": 2, "unknown_key": 1}"#,
            )],
        )
        .await;
    assert_eq!(status, 200);
    let (_, config) = server.get_json("/api/v1/config").await;
    assert_eq!(config["seedRatioLimit"], 1.5, "{config}");
    assert_eq!(config["downloadLimit"], 2_048_000);
    assert_eq!(config["queueing"], true);
    assert_eq!(config["maxActiveDownloads"], 2);
    let prefs = qbt.get_json("app/preferences").await;
    assert_eq!(prefs["max_ratio"], 1.5);
    assert_eq!(prefs["max_ratio_enabled"], true);
    assert_eq!(
        qbt.get_json("transfer/info").await["dl_rate_limit"],
        2_048_000
    );
    // Categories: edit, remove; a torrent's options and location.
    for (path, form) in [
        ("torrents/createCategory", vec![("category", "films")]),
        (
            "torrents/editCategory",
            vec![("category", "films"), ("savePath", "movies")],
        ),
    ] {
        assert_eq!(qbt.post(path, &form).await.0, 200, "{path}");
    }
    let films = &qbt.get_json("torrents/categories").await["films"];
    assert!(
        films["savePath"].as_str().unwrap().ends_with("/movies"),
        "{films}"
    );
    assert_eq!(
        qbt.post("torrents/editCategory", &[("category", "nope")])
            .await
            .0,
        409
    );
    let hash = "ef".repeat(20);
    qbt.post(
        "torrents/add",
        &[("urls", hash.as_str()), ("stopped", "true")],
    )
    .await;
    assert_eq!(qbt.get("torrents/count").await, (200, "1".to_owned()));
    for (path, form) in [
        (
            "torrents/toggleSequentialDownload",
            vec![("hashes", hash.as_str())],
        ),
        (
            "torrents/setDownloadLimit",
            vec![("hashes", hash.as_str()), ("limit", "65536")],
        ),
        (
            "torrents/setForceStart",
            vec![("hashes", hash.as_str()), ("value", "true")],
        ),
        (
            "torrents/setCategory",
            vec![("hashes", hash.as_str()), ("category", "films")],
        ),
    ] {
        assert_eq!(qbt.post(path, &form).await.0, 200, "{path}");
    }
    let t = &qbt.info("").await[0];
    assert_eq!(t["seq_dl"], true, "{t}");
    assert_eq!(t["dl_limit"], 65536);
    assert_eq!(t["force_start"], true);
    assert_eq!(t["category"], "films");
    assert!(t["save_path"].as_str().unwrap().ends_with("/movies"), "{t}");
    assert_eq!(
        qbt.post(
            "torrents/removeCategories",
            &[("categories", "films\nnope")]
        )
        .await
        .0,
        200
    );
    assert_eq!(qbt.get_json("torrents/categories").await, json!({}));
    // A browser page of another site cannot drive it.
    let (status, _) = Qbt::answer(
        qbt.request(reqwest::Method::POST, "torrents/delete")
            .header("origin", "https://evil.example")
            .form(&[("hashes", "all"), ("deleteFiles", "true")]),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(qbt.info("").await.len(), 1);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_extra_ports_answer_their_api_and_nothing_else() {
    let dirs = Dirs::new();
    let mut settings = test_settings(&dirs);
    settings.compat_qbittorrent_port = free_port("127.0.0.1");
    settings.compat_transmission_port = free_port("127.0.0.1");
    let (qbt_port, tr_port) = (
        settings.compat_qbittorrent_port,
        settings.compat_transmission_port,
    );
    let server = TestServer::start(settings).await;
    let http = http_client().build().unwrap();
    let get = |port: u16, path: &str| {
        let r = http.get(format!("http://127.0.0.1:{port}{path}"));
        async move { r.send().await.unwrap().status().as_u16() }
    };
    let r = http
        .get(format!("http://127.0.0.1:{qbt_port}/api/v2/app/version"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "v5.1.4");
    // Sonarr's Transmission handshake is a GET: 409 with the session id.
    let r = http
        .get(format!("http://127.0.0.1:{tr_port}/transmission/rpc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    assert!(r.headers().contains_key("x-transmission-session-id"));
    // Each extra port answers its own API only.
    assert_eq!(get(qbt_port, "/api/v1/torrents").await, 404);
    assert_eq!(get(qbt_port, "/transmission/rpc").await, 404);
    assert_eq!(get(tr_port, "/api/v2/app/version").await, 404);
    assert_eq!(get(tr_port, "/").await, 404);
    // The main port still has everything.
    assert_eq!(server.get_json("/api/v1/torrents").await.0, 200);
    server.stop().await;
    // Stopping the server closes the extra ports too.
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", qbt_port)).is_err(),
        "the qBittorrent port is closed"
    );
}

/// What a torrent looked like, polled every few milliseconds until `done` holds:
/// each state seen (in our API and in qBittorrent's) and each check progress.
async fn watch_check(
    server: &TestServer,
    qbt: &Qbt,
    hash: &str,
    done: impl Fn(&Value) -> bool,
) -> (Vec<String>, Vec<String>, Vec<f64>) {
    let (mut ours, mut theirs, mut checked) = (Vec::new(), Vec::new(), Vec::new());
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let t = server.torrent(hash).await;
        let state = t["state"].as_str().unwrap_or_default().to_owned();
        if state == "checking" {
            checked.push(t["checkProgress"].as_f64().expect("a check's progress"));
        } else {
            assert!(t["checkProgress"].is_null(), "{t:#}");
        }
        if ours.last() != Some(&state) {
            ours.push(state);
        }
        let info = qbt.get_json(&format!("torrents/info?hashes={hash}")).await;
        let state = info[0]["state"].as_str().unwrap_or_default().to_owned();
        if theirs.last() != Some(&state) {
            theirs.push(state);
        }
        if done(&t) {
            return (ours, theirs, checked);
        }
        assert!(tokio::time::Instant::now() < deadline, "{ours:?} {t:#}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_torrent_whose_data_is_read_again_shows_as_checking() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let qbt = Qbt::new(&server);
    // Its data already in the download folder, large enough to take a moment to read.
    let data = make_payload(&dirs.downloads, "whole.bin", &[("", 192 * 1024 * 1024 + 7)]).await;
    let hash = data.info_hash.as_str();
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    let (ours, theirs, checked) =
        watch_check(&server, &qbt, hash, |t| t["state"] == "seeding").await;
    // Read and found whole: checking, then seeding, never downloading.
    assert!(ours.contains(&"checking".to_owned()), "{ours:?}");
    assert!(!ours.contains(&"downloading".to_owned()), "{ours:?}");
    assert!(theirs.contains(&"checkingDL".to_owned()), "{theirs:?}");
    assert!(
        checked.iter().all(|p| (0.0..=1.0).contains(p)),
        "{checked:?}"
    );
    assert!(checked.windows(2).all(|w| w[0] <= w[1]), "{checked:?}");
    let t = server.torrent(hash).await;
    assert_eq!(t["progress"], 1.0, "{t:#}");

    // A recheck asked for reads it all again: checking, shown complete as it was
    // meanwhile (qBittorrent's checkingUP), and seeding again.
    let (status, _) = qbt.post("torrents/recheck", &[("hashes", hash)]).await;
    assert_eq!(status, 200);
    let (ours, theirs, _) = watch_check(&server, &qbt, hash, |t| {
        t["state"] == "seeding" && t["dormant"] == false
    })
    .await;
    assert!(ours.contains(&"checking".to_owned()), "{ours:?}");
    assert!(!ours.contains(&"downloading".to_owned()), "{ours:?}");
    assert!(!ours.contains(&"metadata".to_owned()), "{ours:?}");
    assert!(theirs.contains(&"checkingUP".to_owned()), "{theirs:?}");
    assert_same_file(&dirs.downloads.join("whole.bin"), &data.root);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_recheck_finds_damaged_data_and_downloads_it_again() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    let qbt = Qbt::new(&server);
    let data = make_payload(&dirs.data, "damaged.bin", &[("", 1_200_007)]).await;
    let seeder = Seeder::start(&data, "127.0.0.93", None, &[]).await;
    let (status, body) = qbt
        .post("torrents/add", &[("urls", seeder.magnet(&data).as_str())])
        .await;
    assert_eq!((status, body.as_str()), (200, "Ok."));
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    let file = dirs.downloads.join("damaged.bin");
    assert_same_file(&file, &data.root);
    // Damage a piece behind the engine's back: it still counts it as verified...
    let mut bytes = std::fs::read(&file).unwrap();
    for b in &mut bytes[300_000..300_100] {
        *b ^= 0xff;
    }
    std::fs::write(&file, &bytes).unwrap();
    assert_eq!(server.torrent(&data.info_hash).await["progress"], 1.0);
    // ...until a recheck reads every piece and downloads the damaged one again.
    let (status, _) = qbt
        .post("torrents/recheck", &[("hashes", data.info_hash.as_str())])
        .await;
    assert_eq!(status, 200);
    wait_for("the file to be whole again", TIMEOUT, || async {
        sha256_file(&file) == sha256(&std::fs::read(&data.root).unwrap())
    })
    .await;
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    // A magnet without metadata cannot be checked.
    let pending = "9f".repeat(20);
    let (status, _) = server
        .add_magnet(&format!("magnet:?xt=urn:btih:{pending}&x.pe=127.0.0.1:9"))
        .await;
    assert_eq!(status, 201);
    let (status, e) = server
        .post_json(&format!("/api/v1/torrents/{pending}/recheck"), json!({}))
        .await;
    assert_eq!(status, 409, "{e}");
    server.stop().await;
}
