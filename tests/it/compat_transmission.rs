//! Transmission's RPC (`/transmission/rpc`) against the real server with a login: the
//! handshake as Sonarr and transmission-remote make it, the envelope, the session
//! methods, and torrents added by magnet (downloaded from a loopback seeder) and by
//! metainfo, listed, limited, stopped, started and removed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use cloud_torrent_config::ConfigValues;
use cloud_torrent_server::{Credentials, SecurityConfig, ServerConfig};
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::support::*;

const USER: &str = "sonarr";
const PASSWORD: &str = "tr4nsmission";
const TIMEOUT: Duration = Duration::from_secs(60);
const SESSION_HEADER: &str = "x-transmission-session-id";

async fn start(settings: ConfigValues) -> TestServer {
    TestServer::start_with(ServerConfig {
        security: SecurityConfig {
            credentials: Some(Credentials::new(USER, PASSWORD).unwrap()),
            ..SecurityConfig::default()
        },
        ..server_config(ConfigValues {
            title: "transmission".into(),
            ..settings
        })
    })
    .await
}

/// A Transmission client: Basic auth, and the session id replayed after a 409.
struct Rpc {
    http: reqwest::Client,
    url: String,
    session_id: Mutex<Option<String>>,
}

impl Rpc {
    fn new(server: &TestServer) -> Rpc {
        Rpc {
            http: http_client().build().unwrap(),
            url: format!("http://{}/transmission/rpc", server.addr),
            session_id: Mutex::new(None),
        }
    }

    /// Posts `body` as transmission-remote does (form content type), redoing the
    /// handshake on a 409; the whole answer.
    async fn post(&self, body: &Value) -> (u16, HeaderMap, Value) {
        for _ in 0..2 {
            let id = self.session_id.lock().unwrap().clone();
            let mut req = self
                .http
                .post(&self.url)
                .basic_auth(USER, Some(PASSWORD))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.to_string());
            if let Some(id) = id {
                req = req.header(SESSION_HEADER, id);
            }
            let r = req.send().await.unwrap();
            let (status, headers) = (r.status().as_u16(), r.headers().clone());
            if status == 409 {
                let id = headers[SESSION_HEADER].to_str().unwrap().to_owned();
                *self.session_id.lock().unwrap() = Some(id);
                continue;
            }
            assert!(
                !headers.contains_key("x-transmission-rpc-version"),
                "{headers:?}"
            );
            let text = r.text().await.unwrap();
            return (
                status,
                headers,
                serde_json::from_str(&text).unwrap_or(Value::Null),
            );
        }
        panic!("409 twice in a row");
    }

    /// One call that must succeed; its `arguments`.
    async fn call(&self, method: &str, arguments: Value) -> Value {
        let (status, _, answer) = self
            .post(&json!({"method": method, "arguments": arguments, "tag": 7}))
            .await;
        assert_eq!(status, 200, "{method}: {answer}");
        assert_eq!(
            answer["result"], "success",
            "{method} {arguments}: {answer}"
        );
        assert_eq!(answer["tag"], 7);
        answer["arguments"].clone()
    }

    /// One call that must fail; its `result`.
    async fn fails(&self, method: &str, arguments: Value) -> String {
        let (status, _, answer) = self
            .post(&json!({"method": method, "arguments": arguments}))
            .await;
        assert_eq!(status, 200, "{method}: {answer}");
        assert!(answer["arguments"].is_object(), "{answer}");
        assert_ne!(
            answer["result"], "success",
            "{method} {arguments}: {answer}"
        );
        answer["result"].as_str().unwrap().to_owned()
    }

    /// `torrent-get` of `fields` for `ids` (all when null).
    async fn torrents(&self, ids: Value, fields: &[&str]) -> Vec<Value> {
        let mut arguments = json!({ "fields": fields });
        if !ids.is_null() {
            arguments["ids"] = ids;
        }
        let answer = self.call("torrent-get", arguments).await;
        answer["torrents"].as_array().unwrap().clone()
    }

    /// The one torrent `id` names.
    async fn torrent(&self, id: &Value, fields: &[&str]) -> Value {
        let mut list = self.torrents(json!([id]), fields).await;
        assert_eq!(list.len(), 1, "{id}: {list:?}");
        list.remove(0)
    }

    /// Polls the torrent until `reached` holds; panics with the last view after `timeout`.
    async fn wait(&self, id: &Value, what: &str, reached: impl Fn(&Value) -> bool) -> Value {
        let fields = [
            "id",
            "status",
            "percentDone",
            "leftUntilDone",
            "isFinished",
            "errorString",
            "uploadRatio",
            "totalSize",
        ];
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            let t = self.torrent(id, &fields).await;
            if reached(&t) {
                return t;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "never {what}; last: {t:#}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

fn canonical(path: &str) -> PathBuf {
    Path::new(path).canonicalize().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn handshake_login_envelope_and_session() {
    let dirs = Dirs::new();
    let server = start(test_settings(&dirs)).await;
    let url = format!("http://{}/transmission/rpc", server.addr);
    let http = http_client().build().unwrap();

    // No login, or a wrong one: 401 with Transmission's challenge.
    for auth in [None, Some("wrong")] {
        let mut req = http.get(&url);
        if let Some(password) = auth {
            req = req.basic_auth(USER, Some(password));
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 401, "{auth:?}");
        assert_eq!(
            r.headers()["www-authenticate"],
            "Basic realm=\"Transmission\""
        );
    }

    // Sonarr's first request: a GET with the login and no session id, which must be a
    // 409 carrying the id.
    let r = http
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);
    let id = r.headers()[SESSION_HEADER].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 48, "{id}");
    assert_eq!(r.headers()["server"], "Transmission");
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(
        r.headers()["access-control-expose-headers"],
        "X-Transmission-Session-Id"
    );
    // A wrong id is a 409 too, a POST as well; the id is the same each time.
    for method in [reqwest::Method::GET, reqwest::Method::POST] {
        let r = http
            .request(method, &url)
            .basic_auth(USER, Some(PASSWORD))
            .header(SESSION_HEADER, "stale")
            .body("{}")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 409);
        assert_eq!(r.headers()[SESSION_HEADER], id.as_str());
    }
    // A GET with the id: 405.
    let r = http
        .get(&url)
        .basic_auth(USER, Some(PASSWORD))
        .header(SESSION_HEADER, &id)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    // A CORS preflight needs neither.
    let r = http
        .request(reqwest::Method::OPTIONS, &url)
        .header(
            "access-control-request-headers",
            "authorization, x-transmission-session-id",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["access-control-allow-headers"],
        "authorization, x-transmission-session-id"
    );
    assert_eq!(
        r.headers()["access-control-allow-methods"],
        "GET, POST, OPTIONS"
    );

    // The envelope: tag 0 echoed, arguments always there, JSON whatever the type.
    let rpc = Rpc::new(&server);
    let (status, headers, answer) = rpc.post(&json!({"method": "session-get", "tag": 0})).await;
    assert_eq!(status, 200);
    assert_eq!(headers["content-type"], "application/json; charset=UTF-8");
    assert_eq!(headers["server"], "Transmission");
    assert_eq!(
        (&answer["result"], &answer["tag"]),
        (&json!("success"), &json!(0))
    );
    let session = &answer["arguments"];
    assert!(
        session["version"].as_str().unwrap().starts_with("4.0.6 ("),
        "{session}"
    );
    assert_eq!(session["rpc-version"], 17);
    assert_eq!(session["rpc-version-minimum"], 14);
    assert_eq!(session["rpc-version-semver"], "5.3.0");
    assert_eq!(
        session["session-id"],
        rpc.session_id.lock().unwrap().clone().unwrap()
    );
    assert_eq!(
        canonical(session["download-dir"].as_str().unwrap()),
        dirs.downloads.canonicalize().unwrap()
    );
    for (key, kind) in [
        ("speed-limit-down", "u64"),
        ("speed-limit-down-enabled", "bool"),
        ("alt-speed-down", "u64"),
        ("alt-speed-enabled", "bool"),
        ("seedRatioLimit", "f64"),
        ("seedRatioLimited", "bool"),
        ("idle-seeding-limit", "u64"),
        ("idle-seeding-limit-enabled", "bool"),
        ("download-queue-size", "u64"),
        ("download-queue-enabled", "bool"),
        ("units", "object"),
    ] {
        let v = &session[key];
        let ok = match kind {
            "u64" => v.is_u64(),
            "bool" => v.is_boolean(),
            "f64" => v.is_f64(),
            _ => v.is_object(),
        };
        assert!(ok, "{key} should be {kind}: {session}");
    }
    // Tremotesf asks for three keys.
    let some = rpc
        .call(
            "session-get",
            json!({"fields": ["rpc-version", "rpc-version-minimum", "version"]}),
        )
        .await;
    assert_eq!(some.as_object().unwrap().len(), 3, "{some}");

    // Errors are still 200, with arguments.
    assert_eq!(
        rpc.fails("no-such-method", json!({})).await,
        "method name not recognized"
    );
    let (status, _, answer) = rpc.post(&json!("not an envelope")).await;
    assert_eq!((status, &answer["result"]), (200, &json!("no method name")));
    assert_eq!(
        rpc.fails("torrent-get", json!({})).await,
        "no fields specified"
    );
    assert_eq!(
        rpc.fails("torrent-add", json!({})).await,
        "no filename or metainfo specified"
    );

    // session-set changes our settings; unknown keys are ignored.
    rpc.call(
        "session-set",
        json!({
            "speed-limit-down": 300, "speed-limit-down-enabled": true,
            "alt-speed-up": 50,
            "seedRatioLimit": 1.5, "seedRatioLimited": true,
            "idle-seeding-limit": 45, "idle-seeding-limit-enabled": true,
            "download-queue-enabled": true, "download-queue-size": 2,
            "alt-speed-time-begin": 60, "alt-speed-time-end": 120, "alt-speed-time-day": 2,
            "no-such-key": 1,
        }),
    )
    .await;
    let session = rpc.call("session-get", json!({})).await;
    assert_eq!(session["speed-limit-down"], 300);
    assert_eq!(session["speed-limit-down-enabled"], true);
    assert_eq!(session["alt-speed-up"], 50);
    assert_eq!(session["seedRatioLimit"], 1.5);
    assert_eq!(session["seedRatioLimited"], true);
    assert_eq!(session["idle-seeding-limit"], 45);
    assert_eq!(session["download-queue-enabled"], true);
    assert_eq!(session["download-queue-size"], 2);
    assert_eq!(
        (
            &session["alt-speed-time-begin"],
            &session["alt-speed-time-end"],
            &session["alt-speed-time-day"]
        ),
        (&json!(60), &json!(120), &json!(2))
    );
    // Sending back what session-get gave changes nothing and is no error.
    let mut echo = session.clone();
    echo.as_object_mut()
        .unwrap()
        .remove("download-dir-free-space");
    rpc.call("session-set", echo).await;
    rpc.call(
        "session-set",
        json!({"speed-limit-down-enabled": false, "seedRatioLimited": false}),
    )
    .await;
    let session = rpc.call("session-get", json!({})).await;
    assert_eq!(session["speed-limit-down-enabled"], false);
    assert_eq!(session["seedRatioLimited"], false);

    let stats = rpc.call("session-stats", json!({})).await;
    for key in ["activeTorrentCount", "pausedTorrentCount", "torrentCount"] {
        assert_eq!(stats[key], 0, "{stats}");
    }
    for key in ["cumulative-stats", "current-stats"] {
        assert!(stats[key]["uploadedBytes"].is_u64(), "{stats}");
    }
    let downloads = dirs.downloads.to_string_lossy().into_owned();
    let space = rpc.call("free-space", json!({"path": downloads})).await;
    assert_eq!(space["path"], downloads.as_str());
    assert!(space["size-bytes"].as_u64().unwrap() > 0, "{space}");
    let port = rpc.call("port-test", json!({})).await;
    assert!(port["port-is-open"].is_boolean(), "{port}");
    assert_eq!(
        rpc.call("blocklist-update", json!({})).await["blocklist-size"],
        0
    );
    server.stop().await;

    // Turned off: 404.
    let server = TestServer::start(ConfigValues {
        compat_transmission: false,
        ..test_settings(&dirs)
    })
    .await;
    let r = http
        .get(format!("http://{}/transmission/rpc", server.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    server.stop().await;
}

const LIST_FIELDS: [&str; 14] = [
    "error",
    "errorString",
    "eta",
    "id",
    "isFinished",
    "leftUntilDone",
    "name",
    "peersGettingFromUs",
    "peersSendingToUs",
    "rateDownload",
    "rateUpload",
    "sizeWhenDone",
    "status",
    "uploadRatio",
];

const SONARR_FIELDS: [&str; 21] = [
    "id",
    "hashString",
    "name",
    "downloadDir",
    "totalSize",
    "leftUntilDone",
    "isFinished",
    "eta",
    "status",
    "secondsDownloading",
    "secondsSeeding",
    "errorString",
    "uploadedEver",
    "downloadedEver",
    "seedRatioLimit",
    "seedRatioMode",
    "seedIdleLimit",
    "seedIdleMode",
    "fileCount",
    "file-count",
    "labels",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_magnet_downloads_into_its_label_folder_and_is_listed_stopped_started_and_removed() {
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "episode.mkv", &[("", 2_000_003)]).await;
    let seeder = Seeder::start(&data, "127.0.0.61", None, &[]).await;
    let server = start(test_settings(&dirs)).await;
    let rpc = Rpc::new(&server);
    let folder = dirs.downloads.join("tv-sonarr");
    let add = json!({
        "filename": seeder.magnet(&data),
        "download-dir": folder.to_string_lossy(),
        "paused": false,
        "labels": ["tv-sonarr"],
    });
    let added = rpc.call("torrent-add", add.clone()).await;
    let added = &added["torrent-added"];
    assert_eq!(added["hashString"], data.info_hash.as_str(), "{added}");
    let id = added["id"].clone();
    assert!(id.as_u64().unwrap() >= 1, "{added}");
    assert!(added["name"].is_string());
    // Again: a duplicate, with the same id.
    let again = rpc.call("torrent-add", add).await;
    assert_eq!(again["torrent-duplicate"]["id"], id, "{again}");
    assert!(again.get("torrent-added").is_none());
    // A label with a comma is refused.
    assert_eq!(
        rpc.fails(
            "torrent-add",
            json!({"filename": seeder.magnet(&data), "labels": ["a,b"]})
        )
        .await,
        "labels cannot contain comma (,) character"
    );

    // Downloaded, then seeding; the content is at downloadDir/name.
    let done = rpc
        .wait(&id, "complete", |t| {
            t["leftUntilDone"] == 0 && t["percentDone"] == 1.0 && t["totalSize"] != 0
        })
        .await;
    assert_eq!(done["errorString"], "", "{done}");
    let t = rpc
        .torrent(&json!(data.info_hash.to_ascii_uppercase()), &SONARR_FIELDS)
        .await;
    assert_eq!(t["id"], id);
    assert_eq!(t["labels"], json!(["tv-sonarr"]), "{t}");
    assert_eq!(t["totalSize"], 2_000_003);
    assert_eq!(t["file-count"], 1);
    // Transmission 3's name of it, which 3.x-era clients ask for.
    assert_eq!(t["fileCount"], 1, "{t}");
    assert_eq!(t["seedRatioMode"], 0);
    assert_eq!(t["isFinished"], false);
    assert!(t["eta"].is_i64(), "{t}");
    let dir = canonical(t["downloadDir"].as_str().unwrap());
    assert_eq!(dir, folder.canonicalize().unwrap());
    assert_same_file(&dir.join(t["name"].as_str().unwrap()), &data.root);
    assert_eq!(
        sha256_file(&dir.join("episode.mkv")),
        sha256_file(&data.root)
    );
    rpc.wait(&id, "seeding", |t| t["status"] == 6).await;

    // transmission-remote -l: every listed field, numbers where it wants them.
    let list = rpc.torrents(Value::Null, &LIST_FIELDS).await;
    assert_eq!(list.len(), 1);
    for key in [
        "eta",
        "id",
        "leftUntilDone",
        "rateDownload",
        "rateUpload",
        "sizeWhenDone",
        "status",
    ] {
        assert!(list[0][key].is_i64(), "{key}: {}", list[0]);
    }
    assert!(list[0]["uploadRatio"].is_number(), "{}", list[0]);
    // By number, by hash, mixed, unknown ids skipped; the table format.
    assert_eq!(rpc.torrents(id.clone(), &["id"]).await.len(), 1);
    assert_eq!(rpc.torrents(json!(data.info_hash), &["id"]).await.len(), 1);
    assert_eq!(
        rpc.torrents(json!([id, data.info_hash, 999]), &["id"])
            .await
            .len(),
        1
    );
    let table = rpc
        .call(
            "torrent-get",
            json!({"fields": ["id", "name", "nonsense"], "format": "table"}),
        )
        .await;
    assert_eq!(
        table["torrents"],
        json!([["id", "name"], [id, "episode.mkv"]]),
        "{table}"
    );
    let recent = rpc
        .call(
            "torrent-get",
            json!({"fields": ["id"], "ids": "recently-active"}),
        )
        .await;
    assert_eq!(recent["torrents"], json!([{"id": id}]), "{recent}");
    assert_eq!(recent["removed"], json!([]));
    let files = rpc
        .torrent(&id, &["files", "fileStats", "wanted", "priorities"])
        .await;
    assert_eq!(
        files["files"],
        json!([{"name": "episode.mkv", "length": 2_000_003, "bytesCompleted": 2_000_003}])
    );
    assert_eq!(files["wanted"], json!([1]));
    assert_eq!(files["fileStats"][0]["wanted"], 1);

    // Every field at once (what transmission-rpc asks for).
    let every = rpc
        .call("torrent-get", json!({"fields": ALL_FIELDS.as_slice()}))
        .await;
    let every = &every["torrents"][0];
    for field in ALL_FIELDS {
        assert!(every.get(field).is_some(), "{field} missing: {every:#}");
    }

    // Stop and start.
    rpc.call("torrent-stop", json!({"ids": [id]})).await;
    let t = rpc.wait(&id, "stopped", |t| t["status"] == 0).await;
    assert_eq!(t["isFinished"], false, "a manual stop is not finished");
    rpc.call("torrent-start", json!({"ids": [id]})).await;
    rpc.wait(&id, "seeding again", |t| t["status"] == 6).await;

    // Sonarr's label swap after an import.
    rpc.call(
        "torrent-set",
        json!({"ids": [data.info_hash], "labels": ["tv-sonarr", "imported"]}),
    )
    .await;
    let t = rpc.torrent(&id, &["labels"]).await;
    let mut labels: Vec<String> = serde_json::from_value(t["labels"].clone()).unwrap();
    labels.sort();
    assert_eq!(labels, ["imported", "tv-sonarr"]);

    // Removed, keeping the data; reported as removed to "recently-active".
    rpc.call(
        "torrent-remove",
        json!({"ids": [data.info_hash], "delete-local-data": false}),
    )
    .await;
    assert!(rpc.torrents(Value::Null, &["id"]).await.is_empty());
    let recent = rpc
        .call(
            "torrent-get",
            json!({"fields": ["id"], "ids": "recently-active"}),
        )
        .await;
    assert_eq!(recent["removed"], json!([id]), "{recent}");
    assert_eq!(
        sha256_file(&folder.join("episode.mkv")),
        sha256_file(&data.root)
    );
    drop(seeder);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metainfo_into_a_download_dir_seeds_until_its_ratio_then_is_removed_with_its_data() {
    let dirs = Dirs::new();
    // The data is already where the torrent goes: it seeds at once.
    let folder = dirs.downloads.join("movies");
    std::fs::create_dir_all(&folder).unwrap();
    let data = make_payload(&folder, "film", &[("a.bin", 300_001), ("b/c.bin", 70_001)]).await;
    let paused = make_payload(&folder, "paused.bin", &[("", 100_003)]).await;
    let server = start(test_settings(&dirs)).await;
    let rpc = Rpc::new(&server);
    let metainfo = base64::engine::general_purpose::STANDARD.encode(&data.torrent);
    let added = rpc
        .call(
            "torrent-add",
            json!({
                "metainfo": metainfo,
                "download-dir": format!("{}/", folder.display()),
                "labels": ["radarr"],
            }),
        )
        .await;
    let added = &added["torrent-added"];
    assert_eq!(added["name"], "film", "{added}");
    assert_eq!(added["hashString"], data.info_hash.as_str());
    let id = added["id"].clone();
    // Without padding, stopped.
    let unpadded = base64::engine::general_purpose::STANDARD_NO_PAD.encode(&paused.torrent);
    let stopped = rpc
        .call(
            "torrent-add",
            json!({"metainfo": unpadded, "download-dir": folder.to_string_lossy(), "paused": true}),
        )
        .await;
    let stopped_id = stopped["torrent-added"]["id"].clone();
    assert_ne!(stopped_id, id);
    assert_eq!(rpc.torrent(&stopped_id, &["status"]).await["status"], 0);
    assert_eq!(
        rpc.fails("torrent-add", json!({"metainfo": "bm90IGEgdG9ycmVudA=="}))
            .await,
        "invalid or corrupt torrent file"
    );
    assert_eq!(
        rpc.fails(
            "torrent-add",
            json!({"metainfo": metainfo, "download-dir": "relative/dir"})
        )
        .await,
        "download directory path is not absolute"
    );

    let t = rpc.wait(&id, "seeding", |t| t["status"] == 6).await;
    assert_eq!(t["leftUntilDone"], 0);
    let t = rpc
        .torrent(&id, &["downloadDir", "name", "files", "labels"])
        .await;
    assert_eq!(
        canonical(t["downloadDir"].as_str().unwrap()),
        folder.canonicalize().unwrap()
    );
    assert_eq!(t["labels"], json!(["radarr"]));
    let mut names: Vec<&str> = t["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["film/a.bin", "film/b/c.bin"], "{t}");

    // Sonarr's seed goals after an add: a ratio of 0 of its own stops it at once.
    rpc.call(
        "torrent-set",
        json!({"ids": [data.info_hash], "seedRatioLimit": 0, "seedRatioMode": 1,
               "seedIdleLimit": 60, "seedIdleMode": 1}),
    )
    .await;
    let t = rpc
        .wait(&id, "stopped at its ratio", |t| {
            t["status"] == 0 && t["isFinished"] == true
        })
        .await;
    assert_eq!(t["leftUntilDone"], 0);
    let t = rpc
        .torrent(
            &id,
            &[
                "seedRatioLimit",
                "seedRatioMode",
                "seedIdleLimit",
                "seedIdleMode",
            ],
        )
        .await;
    assert_eq!(
        t,
        json!({"seedRatioLimit": 0.0, "seedRatioMode": 1, "seedIdleLimit": 60, "seedIdleMode": 1})
    );
    // Unlimited again: it seeds once started.
    rpc.call("torrent-set", json!({"ids": id, "seedRatioMode": 2}))
        .await;
    rpc.call("torrent-start", json!({"ids": id})).await;
    let t = rpc.wait(&id, "seeding again", |t| t["status"] == 6).await;
    assert_eq!(t["isFinished"], false);

    // Speed limits of its own, in kB/s.
    rpc.call(
        "torrent-set",
        json!({"ids": [id], "downloadLimit": 200, "downloadLimited": true}),
    )
    .await;
    let t = rpc
        .torrent(&id, &["downloadLimit", "downloadLimited"])
        .await;
    assert_eq!(t, json!({"downloadLimit": 200, "downloadLimited": true}));

    // The queue moves and verify answer success even with nothing to do.
    for method in [
        "queue-move-top",
        "queue-move-up",
        "queue-move-down",
        "queue-move-bottom",
        "torrent-verify",
    ] {
        rpc.call(method, json!({"ids": [id]})).await;
    }

    // After a restart: the same ids, a session id to learn again.
    server.stop().await;
    let server = start(test_settings(&dirs)).await;
    let rpc = Rpc::new(&server);
    let t = rpc.torrent(&id, &["hashString", "labels"]).await;
    assert_eq!(
        t,
        json!({"hashString": data.info_hash, "labels": ["radarr"]})
    );
    let t = rpc.torrent(&stopped_id, &["hashString"]).await;
    assert_eq!(t["hashString"], paused.info_hash.as_str());

    // Removed with its data; the other torrent stays.
    rpc.call(
        "torrent-remove",
        json!({"ids": [id], "delete-local-data": true}),
    )
    .await;
    wait_for("the data to go", TIMEOUT, || async { !data.root.exists() }).await;
    assert!(paused.root.exists());
    let left = rpc.torrents(Value::Null, &["id"]).await;
    assert_eq!(left, vec![json!({"id": stopped_id})]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_queue_is_reported_and_moved() {
    let dirs = Dirs::new();
    let server = start(ConfigValues {
        queueing: true,
        max_active_downloads: 1,
        ..test_settings(&dirs)
    })
    .await;
    let rpc = Rpc::new(&server);
    let session = rpc
        .call(
            "session-get",
            json!({"fields": ["download-queue-enabled", "download-queue-size"]}),
        )
        .await;
    assert_eq!(
        session,
        json!({"download-queue-enabled": true, "download-queue-size": 1})
    );
    // Three torrents nobody seeds: they stay incomplete, one running, two waiting.
    let mut ids = Vec::new();
    for (i, name) in ["one.bin", "two.bin", "three.bin"].iter().enumerate() {
        let data = make_payload(&dirs.data, name, &[("", 100_003 + i)]).await;
        let metainfo = base64::engine::general_purpose::STANDARD.encode(&data.torrent);
        let added = rpc.call("torrent-add", json!({"metainfo": metainfo})).await;
        ids.push(added["torrent-added"]["id"].clone());
    }
    let places = || async {
        rpc.torrents(json!(ids), &["queuePosition", "status"])
            .await
            .iter()
            .map(|t| {
                (
                    t["queuePosition"].as_u64().unwrap(),
                    t["status"].as_u64().unwrap(),
                )
            })
            .collect::<Vec<_>>()
    };
    wait_for("one running, two waiting", TIMEOUT, || async {
        places().await == [(0, 4), (1, 3), (2, 3)]
    })
    .await;
    rpc.call("queue-move-top", json!({"ids": [ids[2]]})).await;
    wait_for("the third first", TIMEOUT, || async {
        places().await == [(1, 3), (2, 3), (0, 4)]
    })
    .await;
    rpc.call("queue-move-down", json!({"ids": ids[1]})).await;
    assert_eq!(
        places().await.iter().map(|p| p.0).collect::<Vec<_>>(),
        [1, 2, 0]
    );
    rpc.call("torrent-set", json!({"ids": [ids[2]], "queuePosition": 2}))
        .await;
    assert_eq!(
        places().await.iter().map(|p| p.0).collect::<Vec<_>>(),
        [0, 1, 2]
    );
    server.stop().await;
}

/// Every field of rpc-version 17.
const ALL_FIELDS: [&str; 75] = [
    "activityDate",
    "addedDate",
    "availability",
    "bandwidthPriority",
    "comment",
    "corruptEver",
    "creator",
    "dateCreated",
    "desiredAvailable",
    "doneDate",
    "downloadDir",
    "downloadedEver",
    "downloadLimit",
    "downloadLimited",
    "editDate",
    "error",
    "errorString",
    "eta",
    "etaIdle",
    "file-count",
    "files",
    "fileStats",
    "group",
    "hashString",
    "haveUnchecked",
    "haveValid",
    "honorsSessionLimits",
    "id",
    "isFinished",
    "isPrivate",
    "isStalled",
    "labels",
    "leftUntilDone",
    "magnetLink",
    "manualAnnounceTime",
    "maxConnectedPeers",
    "metadataPercentComplete",
    "name",
    "peer-limit",
    "peers",
    "peersConnected",
    "peersFrom",
    "peersGettingFromUs",
    "peersSendingToUs",
    "percentComplete",
    "percentDone",
    "pieces",
    "pieceCount",
    "pieceSize",
    "priorities",
    "primary-mime-type",
    "queuePosition",
    "rateDownload",
    "rateUpload",
    "recheckProgress",
    "secondsDownloading",
    "secondsSeeding",
    "seedIdleLimit",
    "seedIdleMode",
    "seedRatioLimit",
    "seedRatioMode",
    "sizeWhenDone",
    "startDate",
    "status",
    "totalSize",
    "torrentFile",
    "trackerList",
    "trackers",
    "trackerStats",
    "uploadedEver",
    "uploadLimit",
    "uploadRatio",
    "wanted",
    "webseeds",
    "webseedsSendingToUs",
];
