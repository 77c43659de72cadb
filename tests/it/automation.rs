//! Automation on torrent events, end to end: event programs from the config file
//! get the exact argv, environment and stdin (a hostile torrent name stays one
//! argument; `finished` sees the final folder after the incomplete folder), a
//! hanging program is killed at its timeout while torrents go on, and webhooks
//! reach a local listener, are retried, can be tested, and are refused on a
//! private address without `allowPrivateUrls`.

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

/// A script that writes its arguments (NUL-separated), its environment and its
/// stdin to `<first argument>/<event>.*`.
fn recorder(dir: &Path) -> PathBuf {
    let script = dir.join("record.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nout=\"$1\"; shift\nprintf '%s\\0' \"$@\" > \"$out/$CT_EVENT.args\"\nenv -0 > \"$out/$CT_EVENT.env\"\ncat > \"$out/$CT_EVENT.stdin\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn args_of(path: &Path) -> Vec<String> {
    let bytes = std::fs::read(path).unwrap();
    let mut args: Vec<String> = bytes
        .split(|b| *b == 0)
        .map(|a| String::from_utf8(a.to_vec()).unwrap())
        .collect();
    args.pop(); // after the last NUL
    args
}

fn env_of(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap()
        .split('\0')
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn event_programs_get_exact_arguments_and_finished_sees_the_final_folder() {
    let dirs = Dirs::new();
    let out = dirs.root().join("out");
    std::fs::create_dir_all(&out).unwrap();
    let script = recorder(dirs.root());
    let argv = |event: &str| {
        json!({"event": event, "argv": [script.to_str().unwrap(), out.to_str().unwrap(),
            "{name}", "--save={savePath}", "{contentPath}", "{category}", "{tags}", "{size}", "{infoHash}"]})
    };
    let programs = json!([argv("added"), argv("finished"), argv("removed")]);
    // Only the config file can set them.
    std::fs::write(
        dirs.root().join("cloud-torrent.toml"),
        format!(
            "incompleteDir = \"partial\"\neventPrograms = {}\n",
            toml_array(&programs)
        ),
    )
    .unwrap();
    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (status, e) = server
        .patch_json("/api/v1/config", json!({"eventPrograms": []}))
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"]
            .as_str()
            .unwrap()
            .contains("cannot be changed over the API"),
        "{e}"
    );

    let hostile = "x\"; touch pwned; echo \"$(id)\n";
    let data = make_payload(&dirs.data, hostile, &[("", 300_007)]).await;
    let hash = data.info_hash.clone();
    // From the .torrent, so that `added` knows the name; the seeder dials us.
    let (status, t) = server
        .add_torrent_file(&data.torrent, "?category=tv&tags=b,a")
        .await;
    assert_eq!(status, 201, "{t}");
    let _seeder = Seeder::start(
        &data,
        "127.0.0.71",
        None,
        &[std::net::SocketAddr::from(([127, 0, 0, 1], incoming))],
    )
    .await;
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    wait_for("the finished program", TIMEOUT, || async {
        out.join("finished.stdin").exists()
    })
    .await;

    let final_file = dirs.downloads.join("tv").join(hostile);
    assert_same_file(&final_file, &data.root);
    let args = args_of(&out.join("finished.args"));
    assert_eq!(
        args,
        [
            hostile.to_owned(),
            format!("--save={}", dirs.downloads.join("tv").display()),
            final_file.display().to_string(),
            "tv".into(),
            "a,b".into(),
            "300007".into(),
            hash.clone(),
        ]
    );
    // `added` ran before the download: its content was to go in the incomplete folder.
    let added = args_of(&out.join("added.args"));
    assert_eq!(added[0], hostile);
    assert_eq!(
        added[1],
        format!("--save={}", dirs.downloads.join("partial").display())
    );
    let env = env_of(&out.join("finished.env"));
    assert_eq!(env["CT_EVENT"], "finished");
    assert_eq!(env["CT_INFO_HASH"], hash);
    assert_eq!(env["CT_CONTENT_PATH"], final_file.display().to_string());
    assert_eq!(env["TR_TORRENT_HASH"], hash);
    assert_eq!(
        env["TR_TORRENT_DIR"],
        dirs.downloads.join("tv").display().to_string()
    );
    assert_eq!(env["TR_TORRENT_LABELS"], "a,b");
    assert_eq!(env["CT_CATEGORY"], "tv");
    // The server's own environment (cargo's variables, inherited from this test) stays out.
    assert!(std::env::vars().any(|(k, _)| k.starts_with("CARGO")));
    let leaked: Vec<&String> = env.keys().filter(|k| k.starts_with("CARGO")).collect();
    assert!(
        leaked.is_empty(),
        "the server's environment leaked: {leaked:?}"
    );
    let stdin: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("finished.stdin")).unwrap())
            .unwrap();
    assert_eq!(stdin["infoHash"], hash.as_str());
    assert_eq!(stdin["state"], "seeding");
    // The name was never run as a command.
    for dir in [dirs.root(), dirs.downloads.as_path(), Path::new("/")] {
        assert!(!dir.join("pwned").exists(), "pwned in {}", dir.display());
    }

    // The run list.
    let (status, runs) = server.get_json("/api/v1/event-runs").await;
    assert_eq!(status, 200);
    let runs = runs.as_array().unwrap();
    let finished = runs.iter().find(|r| r["event"] == "finished").unwrap();
    assert_eq!(finished["exitCode"], 0, "{finished:#}");
    assert_eq!(finished["infoHash"], hash.as_str());

    // `finished` fires once: not again after a restart.
    std::fs::remove_file(out.join("finished.args")).unwrap();
    server.terminate();
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        !out.join("finished.args").exists(),
        "finished ran again after a restart"
    );
    assert_eq!(server.delete_torrent(&hash, "").await, 204);
    // Its stdin is written last: its arguments are whole by then.
    wait_for("the removed program", TIMEOUT, || async {
        out.join("removed.stdin").exists()
    })
    .await;
    assert_eq!(args_of(&out.join("removed.args"))[0], hostile);
    server.terminate();
}

/// `value` (a JSON array of objects) as a TOML array of inline tables.
fn toml_array(value: &Value) -> String {
    let items: Vec<String> = value
        .as_array()
        .unwrap()
        .iter()
        .map(|item| {
            let fields: Vec<String> = item
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| format!("{k} = {v}"))
                .collect();
            format!("{{ {} }}", fields.join(", "))
        })
        .collect();
    format!("[{}]", items.join(", "))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hanging_program_is_killed_and_failing_ones_do_not_stop_torrents() {
    let dirs = Dirs::new();
    let pid_file = dirs.root().join("sleeper.pid");
    let programs = json!([
        {"event": "added", "argv": ["/bin/sh", "-c", format!("echo $$ > {}; exec sleep 1000", pid_file.display())], "timeoutSeconds": 1},
        {"event": "added", "argv": ["/nonexistent/program"]},
        {"event": "added", "argv": ["/bin/sh", "-c", "echo failing; exit 3"]}
    ]);
    std::fs::write(
        dirs.root().join("cloud-torrent.toml"),
        format!("eventPrograms = {}\n", toml_array(&programs)),
    )
    .unwrap();
    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let data = make_payload(&dirs.data, "ok.bin", &[("", 200_003)]).await;
    let seeder = Seeder::start(&data, "127.0.0.72", None, &[]).await;
    let (status, _) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201);
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;

    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let runs = loop {
        let (_, runs) = server.get_json("/api/v1/event-runs").await;
        let runs = runs.as_array().unwrap().clone();
        if runs.len() == 3 && runs.iter().all(|r| !r["finishedAt"].is_null()) {
            break runs;
        }
        assert!(tokio::time::Instant::now() < deadline, "runs: {runs:#?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let by_program = |needle: &str| {
        runs.iter()
            .find(|r| r["argv"].to_string().contains(needle))
            .unwrap_or_else(|| panic!("no run of {needle}: {runs:#?}"))
            .clone()
    };
    let sleeper = by_program("sleep 1000");
    assert_eq!(sleeper["timedOut"], true, "{sleeper:#}");
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists(),
        "the timed-out program still runs"
    );
    let missing = by_program("/nonexistent/program");
    assert!(missing["error"].is_string(), "{missing:#}");
    let failing = by_program("exit 3");
    assert_eq!(failing["exitCode"], 3, "{failing:#}");
    assert!(
        failing["output"].as_str().unwrap().contains("failing"),
        "{failing:#}"
    );
    let (_, notices) = server.get_json("/api/v1/notices").await;
    let warnings = notices
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["source"] == "eventProgram")
        .count();
    assert_eq!(warnings, 3, "{notices:#}");
    assert_eq!(server.torrent(&data.info_hash).await["state"], "seeding");
    server.terminate();
}

/// A webhook receiver on loopback that answers the statuses of `answers` in
/// turn (then 200), keeping what it received.
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<(HeaderMap, Value)>>>,
    answers: Arc<Mutex<Vec<u16>>>,
}

impl Receiver {
    async fn start(answers: &[u16]) -> (Receiver, String) {
        let receiver = Receiver {
            answers: Arc::new(Mutex::new(answers.iter().rev().copied().collect())),
            ..Receiver::default()
        };
        async fn take(
            State(r): State<Receiver>,
            headers: HeaderMap,
            body: axum::body::Bytes,
        ) -> StatusCode {
            let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
            r.got.lock().unwrap().push((headers, json));
            let status = r.answers.lock().unwrap().pop().unwrap_or(200);
            StatusCode::from_u16(status).unwrap()
        }
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(take))
            .with_state(receiver.clone());
        let addr = serve_web(app).await;
        (receiver, format!("http://{addr}/hook"))
    }

    fn bodies(&self) -> Vec<Value> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(_, b)| b.clone())
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn webhooks_reach_a_listener_are_retried_and_tested() {
    let dirs = Dirs::new();
    let (json_hook, json_url) = Receiver::start(&[500]).await;
    let (discord, discord_url) = Receiver::start(&[]).await;
    let mut settings = test_settings(&dirs);
    settings.webhooks = serde_json::from_value(json!([
        {"url": json_url, "events": ["added"], "headers": {"Authorization": "Bearer t0k"}},
        {"url": discord_url, "format": "discord", "events": ["removed"]}
    ]))
    .unwrap();
    let server = TestServer::start(settings).await;
    let data = make_payload(&dirs.data, "hooked.bin", &[("", 100_003)]).await;
    let (status, _) = server.add_torrent_file(&data.torrent, "?paused=true").await;
    assert_eq!(status, 201);

    // The first try gets a 500; the retry (after the first backoff) a 200.
    wait_for("the retried webhook", TIMEOUT, || async {
        json_hook.bodies().len() >= 2
    })
    .await;
    let got = json_hook.got.lock().unwrap().clone();
    assert_eq!(got[1].0["authorization"], "Bearer t0k");
    assert_eq!(got[1].1["event"], "added");
    assert_eq!(got[1].1["torrent"]["infoHash"], data.info_hash.as_str());
    assert_eq!(got[1].1["torrent"]["name"], "hooked.bin");
    let (_, status) = server.get_json("/api/v1/webhooks").await;
    assert_eq!(status[0]["lastStatus"], 200, "{status:#}");

    assert_eq!(server.delete_torrent(&data.info_hash, "").await, 204);
    wait_for("the discord webhook", TIMEOUT, || async {
        !discord.bodies().is_empty()
    })
    .await;
    let content = discord.bodies()[0]["content"].as_str().unwrap().to_owned();
    assert!(content.contains("hooked.bin"), "{content}");
    assert_eq!(
        json_hook.bodies().len(),
        2,
        "removed is not one of its events"
    );

    // The test button sends a sample event now.
    let (status, answer) = server.post_json("/api/v1/webhooks/1/test", json!({})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["status"], 200);
    assert_eq!(discord.bodies().len(), 2);
    let (status, e) = server.post_json("/api/v1/webhooks/7/test", json!({})).await;
    assert_eq!(status, 404, "{e}");

    // Webhooks change live.
    let (status, c) = server
        .patch_json(
            "/api/v1/config",
            json!({"webhooks": [{"url": discord_url}]}),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    let (status, _) = server.add_torrent_file(&data.torrent, "?paused=true").await;
    assert_eq!(status, 201);
    wait_for("the changed webhook", TIMEOUT, || async {
        discord.bodies().len() == 3
    })
    .await;
    let (status, e) = server
        .patch_json("/api/v1/config", json!({"webhooks": [{"url": "ftp://x/"}]}))
        .await;
    assert_eq!(status, 400, "{e}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_to_a_private_address_is_refused_without_allow_private_urls() {
    let dirs = Dirs::new();
    let (hook, url) = Receiver::start(&[]).await;
    let mut settings = test_settings(&dirs);
    settings.allow_private_urls = false;
    settings.webhooks = serde_json::from_value(json!([{"url": url}])).unwrap();
    let server = TestServer::start(settings).await;
    let (status, e) = server.post_json("/api/v1/webhooks/0/test", json!({})).await;
    assert_eq!(status, 502, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("allowPrivateUrls"),
        "{e}"
    );
    let data = make_payload(&dirs.data, "quiet.bin", &[("", 100_003)]).await;
    let (status, _) = server.add_torrent_file(&data.torrent, "?paused=true").await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(hook.bodies().is_empty(), "a private address was reached");
    let (_, status) = server.get_json("/api/v1/webhooks").await;
    assert!(
        status[0]["lastError"]
            .as_str()
            .unwrap()
            .contains("allowPrivateUrls"),
        "{status:#}"
    );
    server.stop().await;
}
