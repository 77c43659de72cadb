//! Webhooks sent to a local HTTP listener through the real outbound client.

use std::collections::{BTreeMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use cloud_torrent_hooks::{
    Event, Format, RetryPolicy, Webhook, WebhookError, WebhookStatus, Webhooks,
};
use cloud_torrent_outbound::{ClientOptions, FetchError, OutboundClient};
use serde_json::{Value, json};

/// A request the listener received.
#[derive(Debug, Clone)]
struct Received {
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.get(name).map_or("", |v| v.to_str().unwrap())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A listener on 127.0.0.1 that records requests and answers the given
/// statuses in turn, then `otherwise`.
struct Listener {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
}

#[derive(Clone)]
struct Answers {
    received: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
    otherwise: u16,
}

async fn record(State(answers): State<Answers>, request: axum::extract::Request) -> StatusCode {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap()
        .to_vec();
    answers.received.lock().unwrap().push(Received {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    });
    let status = answers
        .statuses
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(answers.otherwise);
    StatusCode::from_u16(status).unwrap()
}

impl Listener {
    async fn start(statuses: &[u16], otherwise: u16) -> Listener {
        let answers = Answers {
            received: Arc::default(),
            statuses: Arc::new(Mutex::new(statuses.iter().copied().collect())),
            otherwise,
        };
        let received = Arc::clone(&answers.received);
        let app = axum::Router::new().fallback(record).with_state(answers);
        let socket = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = socket.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(socket, app).await.unwrap() });
        Listener { addr, received }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    async fn wait_for(&self, count: usize) -> Vec<Received> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.received().len() < count {
            assert!(
                Instant::now() < deadline,
                "{} requests",
                self.received().len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.received()
    }
}

fn client(allow_private: bool) -> OutboundClient {
    OutboundClient::new(ClientOptions {
        allow_private,
        proxy: None,
    })
    .unwrap()
}

fn webhook(url: String, format: Format) -> Webhook {
    Webhook {
        url,
        events: Vec::new(),
        headers: BTreeMap::new(),
        format,
    }
}

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        first: Duration::from_millis(50),
        max: Duration::from_millis(200),
        give_up_after: Duration::from_secs(30),
    }
}

fn torrent() -> Value {
    json!({"infoHash": "0123456789abcdef0123456789abcdef01234567", "name": "Debian 13 \"trixie\" @everyone", "size": 700})
}

/// Waits until the first webhook's status satisfies `done`.
async fn status_when(webhooks: &Webhooks, done: impl Fn(&WebhookStatus) -> bool) -> WebhookStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = webhooks.status().remove(0);
        if done(&status) {
            return status;
        }
        assert!(Instant::now() < deadline, "{status:?}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn each_format_sends_its_body_and_headers() {
    let listener = Listener::start(&[], 200).await;
    let mut json_hook = webhook(listener.url("/json?token=secret"), Format::Json);
    json_hook
        .headers
        .insert("Authorization".into(), "Bearer abc".into());
    let mut ntfy = webhook(listener.url("/ntfy"), Format::Ntfy);
    ntfy.headers.insert("Priority".into(), "high".into());
    let mut ntfy_titled = webhook(listener.url("/ntfy-titled"), Format::Ntfy);
    ntfy_titled.headers.insert("Title".into(), "My box".into());
    let webhooks = Webhooks::new(
        client(true),
        vec![
            json_hook,
            webhook(listener.url("/discord"), Format::Discord),
            ntfy,
            ntfy_titled,
            webhook(listener.url("/message?token=app"), Format::Gotify),
        ],
    );
    webhooks.fire(Event::Finished, &torrent());
    let mut received = listener.wait_for(5).await;
    received.sort_by_key(|r| r.uri.path().to_owned());
    let by_path = |path: &str| received.iter().find(|r| r.uri.path() == path).unwrap();
    assert!(received.iter().all(|r| r.method == Method::POST));

    let json_request = by_path("/json");
    assert_eq!(json_request.uri.query(), Some("token=secret"));
    assert_eq!(json_request.header("content-type"), "application/json");
    assert_eq!(json_request.header("authorization"), "Bearer abc");
    assert_eq!(
        json_request.json(),
        json!({"event": "finished", "torrent": torrent()})
    );

    let discord = by_path("/discord");
    assert_eq!(discord.header("content-type"), "application/json");
    assert_eq!(
        discord.json(),
        json!({"content": "Finished: Debian 13 \"trixie\" @everyone", "allowed_mentions": {"parse": []}})
    );

    let ntfy = by_path("/ntfy");
    assert_eq!(ntfy.header("content-type"), "text/plain; charset=utf-8");
    assert_eq!(ntfy.header("title"), "cloud-torrent");
    assert_eq!(ntfy.header("priority"), "high");
    assert_eq!(ntfy.body, b"Finished: Debian 13 \"trixie\" @everyone");
    assert_eq!(by_path("/ntfy-titled").header("title"), "My box");

    let gotify = by_path("/message");
    assert_eq!(gotify.uri.query(), Some("token=app"));
    assert_eq!(
        gotify.json(),
        json!({"title": "cloud-torrent", "message": "Finished: Debian 13 \"trixie\" @everyone"})
    );

    let statuses = webhooks.status();
    assert_eq!(statuses[0].url, format!("http://{}/json?…", listener.addr));
    for status in statuses {
        assert_eq!(status.last_status, Some(200), "{status:?}");
        assert_eq!(status.last_error, None);
        assert!(status.last_attempt_at.is_some());
    }
}

#[tokio::test]
async fn a_webhook_gets_only_the_events_it_wants() {
    let listener = Listener::start(&[], 204).await;
    let mut hook = webhook(listener.url("/"), Format::Json);
    hook.events = vec![Event::Finished, Event::Error];
    let webhooks = Webhooks::new(client(true), vec![hook]);
    webhooks.fire(Event::Added, &torrent());
    webhooks.fire(Event::Error, &torrent());
    let received = listener.wait_for(1).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(listener.received().len(), 1);
    assert_eq!(received[0].json()["event"], "error");
    assert_eq!(webhooks.status()[0].last_status, Some(204));
}

#[tokio::test]
async fn server_errors_are_retried_until_delivered() {
    let listener = Listener::start(&[500, 500], 200).await;
    let policy = RetryPolicy {
        first: Duration::from_millis(300),
        ..fast_retries()
    };
    let webhooks = Webhooks::with_retry_policy(
        client(true),
        vec![webhook(listener.url("/"), Format::Json)],
        policy,
    );
    webhooks.fire(Event::Finished, &torrent());
    let waiting = status_when(&webhooks, |s| s.pending_retries == 1).await;
    assert_eq!(waiting.last_status, Some(500));
    assert_eq!(
        waiting.last_error.as_deref(),
        Some("the server answered 500")
    );
    let delivered = status_when(&webhooks, |s| s.last_status == Some(200)).await;
    assert_eq!(delivered.last_error, None);
    assert_eq!(delivered.pending_retries, 0);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let received = listener.received();
    assert_eq!(received.len(), 3);
    // Each try sends the same event.
    assert!(received.iter().all(|r| r.body == received[0].body));
}

#[tokio::test]
async fn a_404_is_not_retried() {
    let listener = Listener::start(&[], 404).await;
    let webhooks = Webhooks::with_retry_policy(
        client(true),
        vec![webhook(listener.url("/gone"), Format::Json)],
        fast_retries(),
    );
    webhooks.fire(Event::Finished, &torrent());
    let status = status_when(&webhooks, |s| s.last_status.is_some()).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(listener.received().len(), 1);
    assert_eq!(status.last_status, Some(404));
    assert_eq!(
        status.last_error.as_deref(),
        Some("the server answered 404")
    );
    assert_eq!(webhooks.status()[0].pending_retries, 0);
}

#[tokio::test]
async fn a_private_address_is_refused_for_good_without_a_request() {
    let listener = Listener::start(&[], 200).await;
    let webhooks = Webhooks::with_retry_policy(
        client(false),
        vec![webhook(listener.url("/"), Format::Ntfy)],
        fast_retries(),
    );
    webhooks.fire(Event::Finished, &torrent());
    let status = status_when(&webhooks, |s| s.last_error.is_some()).await;
    let expected = "127.0.0.1 is a private or loopback address (allowPrivateUrls is off)";
    assert_eq!(status.last_error.as_deref(), Some(expected));
    assert_eq!(status.last_status, None);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(webhooks.status()[0].pending_retries, 0);
    let err = webhooks.test(0).await.unwrap_err();
    assert!(
        matches!(err, WebhookError::Fetch(FetchError::PrivateAddress { .. })),
        "{err:?}"
    );
    assert_eq!(err.to_string(), expected);
    assert!(listener.received().is_empty());
}

#[tokio::test]
async fn retries_stop_after_the_give_up_time() {
    let listener = Listener::start(&[], 503).await;
    let policy = RetryPolicy {
        first: Duration::from_millis(20),
        max: Duration::from_millis(40),
        give_up_after: Duration::from_millis(300),
    };
    let webhooks = Webhooks::with_retry_policy(
        client(true),
        vec![webhook(listener.url("/"), Format::Json)],
        policy,
    );
    webhooks.fire(Event::Finished, &torrent());
    let status = status_when(&webhooks, |s| {
        s.last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("gave up"))
    })
    .await;
    assert!(
        status
            .last_error
            .as_deref()
            .unwrap()
            .ends_with(": the server answered 503"),
        "{status:?}"
    );
    assert_eq!(status.pending_retries, 0);
    let tries = listener.received().len();
    assert!((4..=20).contains(&tries), "{tries} tries");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(listener.received().len(), tries);
}

#[tokio::test]
async fn a_refused_connection_is_retried() {
    let unused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", unused.local_addr().unwrap());
    drop(unused);
    let policy = RetryPolicy {
        first: Duration::from_secs(60),
        max: Duration::from_secs(60),
        give_up_after: Duration::from_secs(3600),
    };
    let webhooks =
        Webhooks::with_retry_policy(client(true), vec![webhook(url, Format::Json)], policy);
    webhooks.fire(Event::Finished, &torrent());
    let status = status_when(&webhooks, |s| s.pending_retries == 1).await;
    let error = status.last_error.unwrap();
    assert!(error.starts_with("could not connect"), "{error}");
}

#[tokio::test]
async fn test_sends_a_sample_event_once() {
    let listener = Listener::start(&[], 200).await;
    let rejecting = Listener::start(&[], 403).await;
    let webhooks = Webhooks::with_retry_policy(
        client(true),
        vec![
            webhook(listener.url("/"), Format::Discord),
            webhook(rejecting.url("/"), Format::Json),
        ],
        fast_retries(),
    );
    assert_eq!(webhooks.test(0).await.unwrap(), 200);
    let received = listener.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].json()["content"],
        "Finished: Test notification from cloud-torrent"
    );
    let err = webhooks.test(1).await.unwrap_err();
    assert!(
        matches!(err, WebhookError::Rejected { status: 403 }),
        "{err:?}"
    );
    assert_eq!(
        webhooks.status()[1].last_error.as_deref(),
        Some("the server answered 403")
    );
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(rejecting.received().len(), 1, "a test is never retried");
    assert_eq!(
        webhooks.test(2).await.unwrap_err().to_string(),
        "there is no webhook number 2 (there are 2)"
    );
}

#[tokio::test]
async fn set_replaces_the_webhooks_and_drops_the_retries_of_removed_ones() {
    let failing = Listener::start(&[], 503).await;
    let working = Listener::start(&[], 200).await;
    let policy = RetryPolicy {
        first: Duration::from_millis(300),
        ..fast_retries()
    };
    let kept = webhook(working.url("/kept"), Format::Json);
    let webhooks = Webhooks::with_retry_policy(
        client(true),
        vec![webhook(failing.url("/"), Format::Json), kept.clone()],
        policy,
    );
    webhooks.fire(Event::Finished, &torrent());
    status_when(&webhooks, |s| s.pending_retries == 1).await;
    working.wait_for(1).await;

    webhooks.set(vec![
        kept.clone(),
        webhook(working.url("/new"), Format::Ntfy),
    ]);
    let statuses = webhooks.status();
    assert_eq!(statuses.len(), 2);
    assert_eq!(
        statuses[0].last_status,
        Some(200),
        "an unchanged webhook keeps its status"
    );
    assert_eq!(statuses[1].last_attempt_at, None);
    assert_eq!(webhooks.webhooks()[1].format, Format::Ntfy);
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        failing.received().len(),
        1,
        "the removed webhook was retried"
    );
}
