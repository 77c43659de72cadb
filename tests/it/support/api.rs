//! The server's HTTP API as the tests call it, whether the server runs in-process or
//! as the real binary: JSON requests, torrents and waiting for their states.

use std::time::Duration;

use serde_json::{Value, json};

use super::{http_client, wait_for};

/// How often the waits below ask for a torrent.
const POLL: Duration = Duration::from_millis(100);

/// A server's base URL and a client for it.
pub struct Api {
    pub base: String,
    pub http: reqwest::Client,
}

impl Api {
    /// The server at `base` (`http://127.0.0.1:<port>`), through a client without proxy.
    pub fn new(base: String) -> Api {
        Api::with_client(base, http_client().build().unwrap())
    }

    pub fn with_client(base: String, http: reqwest::Client) -> Api {
        Api { base, http }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The HTTP version `GET /healthz` answered 200 with, within 2 s; `None` when it did not.
    pub async fn health(&self) -> Option<reqwest::Version> {
        let r = self
            .http
            .get(self.url("/healthz"))
            .timeout(Duration::from_secs(2))
            .send()
            .await
            .ok()?;
        (r.status() == 200).then(|| r.version())
    }

    /// Whether `GET /healthz` answers 200 within 2 s.
    pub async fn healthy(&self) -> bool {
        self.health().await.is_some()
    }

    /// Waits until `GET /healthz` answers 200; panics after `timeout`.
    pub async fn wait_healthy(&self, what: &str, timeout: Duration) {
        wait_for(what, timeout, || self.healthy()).await;
    }

    /// Sends `body` with `method` to `path`; returns the status, the body as JSON
    /// (`Null` when it is not JSON) and as text.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
    ) -> (u16, Value, String) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), self.url(path))
            .body(body);
        if let Some(c) = content_type {
            req = req.header("content-type", c);
        }
        read(req).await
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let (status, json, _) = read(self.http.get(self.url(path))).await;
        (status, json)
    }

    pub async fn post_json(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, json, _) = read(self.http.post(self.url(path)).json(&body)).await;
        (status, json)
    }

    pub async fn patch_json(&self, path: &str, body: Value) -> (u16, Value) {
        let (status, json, _) = read(self.http.patch(self.url(path)).json(&body)).await;
        (status, json)
    }

    /// `POST /api/v1/torrents` with a magnet link.
    pub async fn add_magnet(&self, magnet: &str) -> (u16, Value) {
        self.post_json("/api/v1/torrents", json!({ "magnet": magnet }))
            .await
    }

    /// `POST /api/v1/torrents` with the URL of a .torrent file.
    pub async fn add_url(&self, url: &str) -> (u16, Value) {
        self.post_json("/api/v1/torrents", json!({ "url": url }))
            .await
    }

    /// `POST /api/v1/torrents{query}` with a .torrent file as the body.
    pub async fn add_torrent_file(&self, bytes: &[u8], query: &str) -> (u16, Value) {
        let (status, json, _) = self
            .send(
                "POST",
                &format!("/api/v1/torrents{query}"),
                Some("application/x-bittorrent"),
                bytes.to_vec(),
            )
            .await;
        (status, json)
    }

    /// `POST /api/v1/torrents/{hash}/start`.
    pub async fn start_torrent(&self, hash: &str) -> (u16, Value) {
        self.post_json(&format!("/api/v1/torrents/{hash}/start"), json!({}))
            .await
    }

    /// `POST /api/v1/torrents/{hash}/stop`.
    pub async fn stop_torrent(&self, hash: &str) -> (u16, Value) {
        self.post_json(&format!("/api/v1/torrents/{hash}/stop"), json!({}))
            .await
    }

    /// `DELETE /api/v1/torrents/{hash}{query}`; the status.
    pub async fn delete_torrent(&self, hash: &str, query: &str) -> u16 {
        let (status, _, _) = self
            .send(
                "DELETE",
                &format!("/api/v1/torrents/{hash}{query}"),
                None,
                vec![],
            )
            .await;
        status
    }

    pub async fn torrent(&self, hash: &str) -> Value {
        let (status, t) = self.get_json(&format!("/api/v1/torrents/{hash}")).await;
        assert_eq!(status, 200, "GET torrent {hash}: {t}");
        t
    }

    /// Waits until the torrent is in `state`; panics at once if it fails on the way,
    /// and with the last view on timeout.
    pub async fn wait_state(&self, hash: &str, state: &str, timeout: Duration) -> Value {
        self.wait_torrent(hash, &format!("{state:?}"), timeout, |t| {
            if t["state"] == "error" && state != "error" {
                panic!("torrent failed while waiting for {state:?}: {t:#}");
            }
            t["state"] == state
        })
        .await
    }

    /// Polls the torrent until `reached` holds for it (whatever states it goes through
    /// on the way); panics with the last view after `timeout`.
    pub async fn wait_torrent(
        &self,
        hash: &str,
        what: &str,
        timeout: Duration,
        reached: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let t = self.torrent(hash).await;
            if reached(&t) {
                return t;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("torrent never reached {what}; last: {t:#}");
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Sends the request; the status, the body as JSON (`Null` when it is not) and as text.
async fn read(req: reqwest::RequestBuilder) -> (u16, Value, String) {
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::Null),
        text,
    )
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
