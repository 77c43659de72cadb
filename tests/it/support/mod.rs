//! What the integration tests share: payloads with known bytes and their torrents,
//! librqbit peers on loopback, the server in-process and its HTTP API, and the real
//! binary started with a clean environment. No DHT, no LSD, no public trackers:
//! nothing leaves loopback.

mod api;
mod connections;
mod payload;
mod peers;
mod process;
mod server;
mod state;
mod tools;

use std::net::SocketAddr;
use std::time::Duration;

pub use api::{Api, file};
pub use connections::{closed_within, connect_from};
pub use payload::{Payload, assert_same_file, make_payload, payload, sha256, sha256_file};
pub use peers::{Leecher, Seeder};
pub use process::{Binary, ChildGuard, command, command_in, command_with_config, refuses};
pub use server::{Dirs, TestServer, fixed_incoming_port, server_config, test_settings};
pub use state::{replace_record, saved_record};
pub use tools::{require, start_opentracker, url_escape, url_escape_bytes};

/// A TCP port that was free a moment ago.
pub fn free_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// An HTTP client that never goes through a proxy (the tests talk to loopback only).
pub fn http_client() -> reqwest::ClientBuilder {
    reqwest::Client::builder().no_proxy()
}

/// Serves `app` on 127.0.0.1 (any port) while the test runs; returns its address.
pub async fn serve_web(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
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
