//! Test harness: a real cloud-torrent server on 127.0.0.1:0, a second librqbit
//! session as a seeder on loopback, payloads with known bytes. No DHT, no LSD,
//! no public trackers, nothing leaves loopback.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use cloud_torrent_engine::EngineConfig;
use cloud_torrent_server::ServerConfig;
use librqbit::spawn_utils::BlockingSpawner;
use librqbit::{
    AddTorrent, AddTorrentOptions, CreateTorrentOptions, ListenerOptions, Session, SessionOptions,
};
use serde_json::Value;
use sha2::{Digest, Sha256};

/// Deterministic pseudo-random bytes (xorshift), so payloads differ from run to run only by seed.
pub fn payload(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn sha256_file(path: &Path) -> String {
    sha256(&std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display())))
}

/// A payload on disk and its torrent.
pub struct Payload {
    pub torrent: Vec<u8>,
    pub info_hash: String,
    /// Root of the data (`<dir>/<name>`).
    pub root: PathBuf,
    pub dir: PathBuf,
}

/// Writes `files` (relative path, size) under `<dir>/<name>`, or the single file
/// `<dir>/<name>` when `files` is one entry with an empty path, and makes a torrent
/// with 256 KiB pieces (sizes that are not a multiple of it avoid librqbit's
/// create_torrent extra-hash bug).
pub async fn make_payload(dir: &Path, name: &str, files: &[(&str, usize)]) -> Payload {
    let root = dir.join(name);
    if files.len() == 1 && files[0].0.is_empty() {
        std::fs::write(&root, payload(files[0].1, 1)).unwrap();
    } else {
        for (i, (path, size)) in files.iter().enumerate() {
            let p = root.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, payload(*size, i as u64 + 2)).unwrap();
        }
    }
    let created = librqbit::create_torrent(
        &root,
        CreateTorrentOptions {
            name: Some(name),
            trackers: vec![],
            piece_length: Some(256 * 1024),
        },
        &BlockingSpawner::new(4),
    )
    .await
    .expect("create torrent");
    Payload {
        torrent: created.as_bytes().unwrap().to_vec(),
        info_hash: created.info_hash().as_string(),
        root,
        dir: dir.to_owned(),
    }
}

/// A librqbit session seeding one payload on a loopback address.
pub struct Seeder {
    pub session: Arc<Session>,
    pub addr: SocketAddr,
}

impl Payload {
    /// Index in the torrent of the file at `path` (relative to the torrent's root).
    /// create_torrent orders files as the file system lists them, so tests look them up.
    pub fn index_of(&self, path: &str) -> usize {
        let t = librqbit::torrent_from_bytes(&self.torrent).unwrap();
        let files = t.info.data.files.as_ref().expect("multi-file torrent");
        files
            .iter()
            .position(|f| {
                let parts: Vec<String> = f
                    .path
                    .iter()
                    .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned())
                    .collect();
                parts.join("/") == path
            })
            .unwrap_or_else(|| panic!("no file {path} in the torrent"))
    }
}

/// The entry of `files` in a torrent's JSON whose path is `path`.
pub fn file<'a>(torrent: &'a Value, path: &str) -> &'a Value {
    torrent["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no file {path} in {torrent:#}"))
}

impl Seeder {
    /// Seeds `payload` from `ip`, optionally throttled, dialing `dial` peers itself.
    pub async fn start(
        payload: &Payload,
        ip: &str,
        upload_bps: Option<u32>,
        dial: &[SocketAddr],
    ) -> Seeder {
        let session = Session::new_with_opts(
            payload.dir.clone(),
            SessionOptions {
                dht: None,
                disable_trackers: true,
                disable_local_service_discovery: true,
                listen: Some(ListenerOptions {
                    listen_addr: format!("{ip}:0").parse().unwrap(),
                    ..Default::default()
                }),
                ratelimits: librqbit::limits::LimitsConfig {
                    upload_bps: upload_bps.and_then(std::num::NonZeroU32::new),
                    download_bps: None,
                },
                runtime_worker_threads: Some(16),
                ..Default::default()
            },
        )
        .await
        .expect("seeder session");
        let handle = session
            .add_torrent(
                AddTorrent::from_bytes(payload.torrent.clone()),
                Some(AddTorrentOptions {
                    overwrite: true,
                    initial_peers: (!dial.is_empty()).then(|| dial.to_vec()),
                    ..Default::default()
                }),
            )
            .await
            .expect("seed")
            .into_handle()
            .unwrap();
        handle.wait_until_initialized().await.unwrap();
        assert!(handle.stats().finished, "the seeder must have all the data");
        let addr = session.listen_addr().unwrap();
        Seeder { session, addr }
    }

    pub fn magnet(&self, payload: &Payload) -> String {
        format!(
            "magnet:?xt=urn:btih:{}&x.pe={}",
            payload.info_hash, self.addr
        )
    }

    pub fn uploaded(&self) -> u64 {
        self.session.stats_snapshot().counters.uploaded_bytes
    }
}

/// A TCP port that was free a moment ago.
pub fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Folders of one server instance, kept across restarts.
pub struct Dirs {
    _tmp: tempfile::TempDir,
    pub downloads: PathBuf,
    pub state: PathBuf,
    pub data: PathBuf,
}

impl Dirs {
    pub fn new() -> Dirs {
        let tmp = tempfile::tempdir().unwrap();
        let downloads = tmp.path().join("downloads");
        let state = tmp.path().join("state");
        let data = tmp.path().join("seed");
        for d in [&downloads, &state, &data] {
            std::fs::create_dir_all(d).unwrap();
        }
        Dirs {
            _tmp: tmp,
            downloads,
            state,
            data,
        }
    }
}

/// The engine options every test uses: loopback only, no DHT/LSD.
pub fn test_engine_config(dirs: &Dirs) -> EngineConfig {
    let mut cfg = EngineConfig::new(dirs.downloads.clone(), dirs.state.clone());
    cfg.listen_ip = Some("127.0.0.1".parse().unwrap());
    cfg.incoming_port = 0;
    cfg.dht = false;
    cfg.lsd = false;
    cfg.allow_private_urls = true;
    cfg
}

/// A server started in-process with [`cloud_torrent_server::serve`].
pub struct TestServer {
    pub base: String,
    pub http: reqwest::Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    pub async fn start(engine: EngineConfig) -> TestServer {
        TestServer::start_with(ServerConfig {
            title: "test".into(),
            engine,
            config_file: None,
            events: Default::default(),
            search_config: None,
            security: Default::default(),
            tls: None,
            command_line_settings: Vec::new(),
        })
        .await
    }

    /// Starts a server with a whole configuration.
    pub async fn start_with(config: ServerConfig) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(cloud_torrent_server::serve(config, listener, async {
            let _ = rx.await;
        }));
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let server = TestServer {
            base,
            http,
            stop: Some(tx),
            task,
        };
        wait_for(
            "the server to answer /healthz",
            Duration::from_secs(20),
            || async {
                server
                    .http
                    .get(server.url("/healthz"))
                    .send()
                    .await
                    .is_ok_and(|r| r.status() == 200)
            },
        )
        .await;
        server
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap().unwrap();
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let r = self.http.get(self.url(path)).send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn add_torrent_file(&self, bytes: &[u8], query: &str) -> (u16, Value) {
        let r = self
            .http
            .post(self.url(&format!("/api/v1/torrents{query}")))
            .header("content-type", "application/x-bittorrent")
            .body(bytes.to_vec())
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn torrent(&self, hash: &str) -> Value {
        let (status, t) = self.get_json(&format!("/api/v1/torrents/{hash}")).await;
        assert_eq!(status, 200, "GET torrent {hash}: {t}");
        t
    }

    /// Waits until the torrent is in `state`; panics with the last view on timeout.
    pub async fn wait_state(&self, hash: &str, state: &str, timeout: Duration) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let t = self.torrent(hash).await;
            if t["state"] == state {
                return t;
            }
            if t["state"] == "error" {
                panic!("torrent failed while waiting for {state:?}: {t:#}");
            }
            if tokio::time::Instant::now() > deadline {
                panic!("torrent never reached {state:?}; last: {t:#}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Polls `check` every 100 ms until it is true; panics after `timeout`.
pub async fn wait_for<F, Fut>(what: &str, timeout: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    while !check().await {
        if tokio::time::Instant::now() > deadline {
            panic!("timed out waiting for {what}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The real `cloud-torrent` binary, started as a user would.
pub struct Binary {
    pub child: std::process::Child,
    pub base: String,
    pub http: reqwest::Client,
    pub log: PathBuf,
}

impl Binary {
    /// Starts the binary on loopback with DHT off and waits for /healthz.
    pub async fn start(dirs: &Dirs, http_port: u16, incoming_port: u16, extra: &[&str]) -> Binary {
        // Logs outlive the test's temporary folder, for post-mortems.
        let log_dir = std::env::temp_dir().join("cloud-torrent-test-logs");
        std::fs::create_dir_all(&log_dir).unwrap();
        let log = log_dir.join(format!("server-{http_port}.log"));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        // The download folder and DHT go in the config file, not on the command line,
        // which would make them read-only over the API.
        let config_file = dirs.state.parent().unwrap().join("cloud-torrent.toml");
        let mut config = std::fs::read_to_string(&config_file).unwrap_or_default();
        if !config.contains("downloadDir") {
            config.push_str(&format!(
                "\ndownloadDir = {:?}\n",
                dirs.downloads.display().to_string()
            ));
        }
        if !config.contains("dht") {
            config.push_str("dht = false\n");
        }
        std::fs::write(&config_file, config).unwrap();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_cloud-torrent"))
            .args(["--host", "127.0.0.1", "--port", &http_port.to_string()])
            .args([
                "--incoming-host",
                "127.0.0.1",
                "--incoming-port",
                &incoming_port.to_string(),
            ])
            .arg("--state-dir")
            .arg(&dirs.state)
            .arg("--config-path")
            .arg(&config_file)
            .arg("--allow-private-urls")
            .args(extra)
            .env_remove("PORT")
            .env_remove("DOWNLOAD_DIR")
            .env_remove("DISABLE_DHT")
            .env_remove("TITLE")
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start cloud-torrent");
        let base = format!("http://127.0.0.1:{http_port}");
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let url = format!("{base}/healthz");
        let client = http.clone();
        wait_for(
            "the binary to answer /healthz",
            Duration::from_secs(30),
            || {
                let (client, url) = (client.clone(), url.clone());
                async move {
                    client
                        .get(&url)
                        .send()
                        .await
                        .is_ok_and(|r| r.status() == 200)
                }
            },
        )
        .await;
        Binary {
            child,
            base,
            http,
            log,
        }
    }

    pub async fn torrent(&self, hash: &str) -> Value {
        let r = self
            .http
            .get(format!("{}/api/v1/torrents/{hash}", self.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        assert!(
            status.success(),
            "graceful shutdown should exit 0, got {status}; log: {}",
            self.log.display()
        );
    }

    /// SIGKILL: a crash.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Binary {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
