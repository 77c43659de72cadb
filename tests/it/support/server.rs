//! The server run in-process with [`cloud_torrent_server::serve`] on 127.0.0.1:0, and
//! the folders and settings the tests give it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cloud_torrent_config::ConfigValues;
use cloud_torrent_server::ServerConfig;

use super::{Api, free_port, http_client};

/// How long a server may take to stop, unless a test says otherwise.
const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// Folders of one server instance, kept across restarts, in a temporary folder
/// removed when this is dropped.
pub struct Dirs {
    tmp: tempfile::TempDir,
    pub downloads: PathBuf,
    pub state: PathBuf,
    /// Payloads that seeders share.
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
            tmp,
            downloads,
            state,
            data,
        }
    }

    /// The temporary folder that holds the others (config files go here).
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }
}

/// The settings every test uses: loopback only, no DHT/LSD, private URLs allowed (the
/// test sites are on loopback), titled "test".
pub fn test_settings(dirs: &Dirs) -> ConfigValues {
    ConfigValues {
        title: "test".into(),
        download_dir: dirs.downloads.clone(),
        state_dir: Some(dirs.state.clone()),
        incoming_host: Some("127.0.0.1".parse().unwrap()),
        incoming_port: 0,
        dht: false,
        allow_private_urls: true,
        ..ConfigValues::default()
    }
}

/// A server configuration with `settings`, with every other part at its default: no
/// config file, no login, no TLS.
pub fn server_config(settings: ConfigValues) -> ServerConfig {
    ServerConfig::new(settings)
}

/// A server started in-process; it derefs to its [`Api`].
pub struct TestServer {
    api: Api,
    /// Where it listens.
    pub addr: SocketAddr,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
}

impl TestServer {
    pub async fn start(settings: ConfigValues) -> TestServer {
        TestServer::start_with(server_config(settings)).await
    }

    /// Starts a server with a whole configuration.
    pub async fn start_with(config: ServerConfig) -> TestServer {
        TestServer::start_with_client(config, http_client().build().unwrap()).await
    }

    /// Starts a server with a whole configuration, called through `http` (which must
    /// trust the server's certificate when `config` has TLS).
    pub async fn start_with_client(config: ServerConfig, http: reqwest::Client) -> TestServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let scheme = if config.tls.is_some() {
            "https"
        } else {
            "http"
        };
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(cloud_torrent_server::serve(config, listener, async {
            let _ = stopped.await;
        }));
        let server = TestServer {
            api: Api::with_client(format!("{scheme}://{addr}"), http),
            addr,
            stop,
            task,
        };
        server
            .wait_healthy("the server to answer /healthz", Duration::from_secs(20))
            .await;
        server
    }

    /// Stops the server and waits for it to finish cleanly.
    pub async fn stop(self) {
        self.stop_within(STOP_TIMEOUT).await;
    }

    /// Stops the server; panics unless it finishes cleanly within `timeout`.
    pub async fn stop_within(self, timeout: Duration) {
        let _ = self.stop.send(());
        tokio::time::timeout(timeout, self.task)
            .await
            .unwrap_or_else(|_| panic!("the server did not stop within {timeout:?}"))
            .unwrap()
            .unwrap();
    }
}

impl std::ops::Deref for TestServer {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

/// Gives the engine an incoming peer port that is free now, so that peers can dial it
/// from the start; returns that address.
pub fn fixed_incoming_port(settings: &mut ConfigValues) -> SocketAddr {
    let ip = settings.incoming_host.expect("a listening address");
    settings.incoming_port = free_port(&ip.to_string());
    SocketAddr::new(ip, settings.incoming_port)
}
