//! `GET /api/v1/events`: the live state as Server-Sent Events.
//!
//! The first event (`event: state`) is the whole state; later ones (`event: patch`)
//! are RFC 6902 JSON Patches from the client's previous version. The SSE `id` is the
//! version. A client that reconnects with `Last-Event-ID` (or `?lastEventId=`) gets a
//! patch when its version is still known, else the whole state, and nothing at all
//! when it is up to date. Each client gets at most one event per `min_interval`,
//! except right after a change made through the API. The stream is pulled: an event
//! is built only when the connection can take it, so a client that does not read
//! costs one pending write and later gets one event covering everything it missed.

use std::convert::Infallible;
use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

use crate::AppState;
use crate::events::{Hub, Message, wait_closed};
use crate::stats::ClientGuard;

struct Client {
    hub: Hub,
    versions: watch::Receiver<u64>,
    closed: watch::Receiver<bool>,
    /// The version the client has; `None` before its first event.
    has: Option<u64>,
    /// The version it said it had when it connected.
    resume: Option<u64>,
    last_sent: Option<Instant>,
    _guard: ClientGuard,
}

impl Client {
    fn send(&mut self, message: Message) -> Event {
        self.last_sent = Some(Instant::now());
        match message {
            Message::Full { version, json } => {
                self.has = Some(version);
                Event::default()
                    .event("state")
                    .id(version.to_string())
                    .data(&*json)
            }
            Message::Patch { version, json } => {
                self.has = Some(version);
                Event::default()
                    .event("patch")
                    .id(version.to_string())
                    .data(json)
            }
        }
    }

    /// Waits until the client should get its next event; `None` at shutdown.
    async fn next(&mut self) -> Option<Event> {
        let mut has = match self.has {
            Some(has) => has,
            None => match self.hub.message_since(self.resume) {
                Some(message) => return Some(self.send(message)),
                // Resumed at the current version: nothing to send yet.
                None => {
                    let has = self.resume.unwrap_or_default();
                    self.has = Some(has);
                    has
                }
            },
        };
        loop {
            if *self.closed.borrow() {
                return None;
            }
            if *self.versions.borrow_and_update() <= has {
                tokio::select! {
                    changed = self.versions.changed() => changed.ok()?,
                    _ = wait_closed(&mut self.closed) => return None,
                }
                continue;
            }
            if let Some(last) = self.last_sent
                && !self.hub.urgent_since(has)
            {
                let due = last + self.hub.config().min_interval;
                if Instant::now() < due {
                    // Wait out the interval, unless an urgent version comes meanwhile.
                    tokio::select! {
                        _ = tokio::time::sleep_until(due.into()) => {}
                        changed = self.versions.changed() => {
                            changed.ok()?;
                            continue;
                        }
                        _ = wait_closed(&mut self.closed) => return None,
                    }
                }
            }
            match self.hub.message_since(Some(has)) {
                Some(message) => return Some(self.send(message)),
                None => {
                    has = self.hub.version();
                    self.has = Some(has);
                }
            }
        }
    }
}

fn last_event_id(headers: &HeaderMap, query: Option<&str>) -> Option<u64> {
    let from_query = query.and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "lastEventId")
            .map(|(_, v)| v.to_owned())
    });
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(from_query)
        .and_then(|v| v.trim().parse().ok())
}

/// The live state: the whole state first, then JSON Patches.
#[utoipa::path(get, path = "/api/v1/events", tag = "events",
    params(
        ("Last-Event-ID" = Option<String>, Header, description = "The last version the client has"),
        ("lastEventId" = Option<String>, Query, description = "Same, for clients that cannot set headers")),
    responses((status = 200, description = "`text/event-stream`: `event: state` with the whole state, then `event: patch` with RFC 6902 patches; `id` is the version", content_type = "text/event-stream")))]
pub async fn events(State(state): State<AppState>, req: Request) -> Response {
    let hub = state.live.hub.clone();
    let resume = last_event_id(req.headers(), req.uri().query());
    // A fresh snapshot, so a new client does not start from a second-old state (nor
    // from statistics left from when nobody was watching).
    if hub.stats().is_stale(hub.config().stats_interval) {
        hub.refresh_slow().await;
    }
    hub.snapshot(false);
    let client = Client {
        versions: hub.subscribe(),
        closed: hub.closed(),
        _guard: hub.stats().client(),
        hub: hub.clone(),
        has: None,
        resume,
        last_sent: None,
    };
    let stream = futures::stream::unfold(client, |mut client| async move {
        let event = client.next().await?;
        Some((Ok::<_, Infallible>(event), client))
    });
    let keep_alive = KeepAlive::new().interval(hub.config().keep_alive);
    let mut response = Sse::new(stream).keep_alive(keep_alive).into_response();
    // Reverse proxies (nginx) must not buffer the stream.
    response
        .headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    response
}

/// Middleware: a successful request that may have changed something (anything but
/// GET, HEAD and OPTIONS) makes the hub push at once.
pub async fn push_after_change(State(hub): State<Hub>, req: Request, next: Next) -> Response {
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let response = next.run(req).await;
    if changes && response.status().is_success() {
        hub.nudge();
    }
    response
}
