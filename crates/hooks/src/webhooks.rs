//! Webhooks: [`Webhook`] (a URL to tell of events, as configured), [`Webhooks`]
//! (sends them through the process's [`OutboundClient`], retrying what may work
//! later) and [`WebhookStatus`] (how each one is doing).
//!
//! A 2xx answer is a delivery. A refused URL (a private address while
//! `allowPrivateUrls` is off, a refused redirect), a 4xx other than 408 and 429,
//! and any other answer that is neither a success nor worth repeating, fail for
//! good at once. 5xx, 408, 429, timeouts and connection failures are retried
//! by the [`RetryPolicy`] (5 s, doubling, at most 10 min apart, for an hour),
//! then dropped. The bodies of each format are described in `payload.rs`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use cloud_torrent_outbound::{FetchError, OutboundClient, Request};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use tokio::time::Instant;
use url::Url;
use utoipa::ToSchema;

use crate::error::{ConfigError, WebhookError};
use crate::event::Event;
pub use crate::payload::Format;
use crate::payload::{Payload, payload};

/// The total time of one request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read; webhooks answer little or nothing.
const ANSWER_LIMIT: usize = 1024 * 1024;

/// A URL to tell of torrent events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Webhook {
    /// Where requests are POSTed: an http or https URL.
    pub url: String,
    /// The events sent; empty for all of them.
    #[serde(default)]
    pub events: Vec<Event>,
    /// Headers added to each request (an `Authorization`, ntfy's `Priority`...);
    /// they replace the format's own headers of the same name.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// What the requests look like.
    #[serde(default)]
    pub format: Format,
}

impl Webhook {
    /// Refuses what cannot be sent: a URL that is not http(s) with a host, a
    /// header name or value HTTP does not allow.
    pub fn check(&self) -> Result<(), ConfigError> {
        self.parsed_url()?;
        self.header_map()?;
        Ok(())
    }

    /// `webhook to https://host/path?…`, for messages: the URL without its
    /// userinfo and query (they often hold a token).
    pub fn describe(&self) -> String {
        format!("webhook to {}", redact(&self.url))
    }

    /// True when the webhook is sent on `event`.
    pub fn wants(&self, event: Event) -> bool {
        self.events.is_empty() || self.events.contains(&event)
    }

    fn parsed_url(&self) -> Result<Url, ConfigError> {
        let bad = |problem: String| ConfigError::BadUrl {
            entry: self.describe(),
            problem,
        };
        let url = Url::parse(&self.url).map_err(|e| bad(format!("the URL is not valid ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!(
                "the URL's scheme is {:?}; only http and https are sent",
                url.scheme()
            )));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("the URL has no host".into()));
        }
        Ok(url)
    }

    fn header_map(&self) -> Result<Vec<(HeaderName, HeaderValue)>, ConfigError> {
        self.headers
            .iter()
            .map(|(name, value)| {
                let header_name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                    ConfigError::BadHeaderName {
                        entry: self.describe(),
                        name: name.clone(),
                    }
                })?;
                let header_value =
                    HeaderValue::from_str(value).map_err(|_| ConfigError::BadHeaderValue {
                        entry: self.describe(),
                        name: name.clone(),
                    })?;
                Ok((header_name, header_value))
            })
            .collect()
    }
}

/// `url` without its userinfo, query and fragment; a query is shown as `?…`.
fn redact(url: &str) -> String {
    let Ok(mut parsed) = Url::parse(url) else {
        return "(an invalid URL)".into();
    };
    let had_query = parsed.query().is_some();
    // Fails only for URLs that cannot have userinfo, which then have none.
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    parsed.set_query(None);
    parsed.set_fragment(None);
    let mut shown = parsed.to_string();
    if had_query {
        shown.push_str("?…");
    }
    shown
}

/// When failed deliveries are tried again: after `first`, then twice as long
/// each time up to `max` apart, as long as the next try starts within
/// `give_up_after` of the first one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The wait before the first retry.
    pub first: Duration,
    /// The longest wait between two tries.
    pub max: Duration,
    /// How long after the first try a delivery is dropped.
    pub give_up_after: Duration,
}

impl Default for RetryPolicy {
    /// 5 s, 10 s, 20 s... at most 10 min apart, for an hour.
    fn default() -> Self {
        RetryPolicy {
            first: Duration::from_secs(5),
            max: Duration::from_secs(600),
            give_up_after: Duration::from_secs(3600),
        }
    }
}

/// How a webhook is doing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookStatus {
    /// The URL without its userinfo and query (`?…` when it has one).
    pub url: String,
    /// When a request was last sent (RFC 3339); null before the first.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_attempt_at: Option<OffsetDateTime>,
    /// The status of the last answer; null when the last request got none.
    pub last_status: Option<u16>,
    /// Why the last request failed; null when it succeeded.
    pub last_error: Option<String>,
    /// Deliveries waiting to be tried again.
    pub pending_retries: usize,
}

/// Sends the configured webhooks of each fired event. Cheap to clone; clones
/// share the webhooks and their status.
#[derive(Clone)]
pub struct Webhooks {
    shared: Arc<Shared>,
}

struct Shared {
    client: OutboundClient,
    policy: RetryPolicy,
    entries: Mutex<Vec<Entry>>,
    next_key: AtomicU64,
}

/// A configured webhook and its status. `key` tells deliveries whether their
/// webhook is still configured after [`Webhooks::set`].
struct Entry {
    key: u64,
    hook: Arc<Webhook>,
    status: WebhookStatus,
}

impl Webhooks {
    /// Sends `hooks` through `client` with the default [`RetryPolicy`].
    pub fn new(client: OutboundClient, hooks: Vec<Webhook>) -> Webhooks {
        Webhooks::with_retry_policy(client, hooks, RetryPolicy::default())
    }

    /// Sends `hooks` through `client`, retrying by `policy`.
    pub fn with_retry_policy(
        client: OutboundClient,
        hooks: Vec<Webhook>,
        policy: RetryPolicy,
    ) -> Webhooks {
        let webhooks = Webhooks {
            shared: Arc::new(Shared {
                client,
                policy,
                entries: Mutex::new(Vec::new()),
                next_key: AtomicU64::new(1),
            }),
        };
        webhooks.set(hooks);
        webhooks
    }

    /// Replaces the webhooks. One equal to a webhook already configured keeps its
    /// status and its pending retries; the retries of a removed one are dropped.
    pub fn set(&self, hooks: Vec<Webhook>) {
        let mut entries = self.shared.lock_entries();
        let mut old: Vec<Option<Entry>> = entries.drain(..).map(Some).collect();
        for hook in hooks {
            let kept = old
                .iter_mut()
                .find(|e| e.as_ref().is_some_and(|e| *e.hook == hook))
                .and_then(Option::take);
            let entry = kept.unwrap_or_else(|| Entry {
                key: self.shared.next_key.fetch_add(1, Ordering::Relaxed),
                status: WebhookStatus {
                    url: redact(&hook.url),
                    last_attempt_at: None,
                    last_status: None,
                    last_error: None,
                    pending_retries: 0,
                },
                hook: Arc::new(hook),
            });
            entries.push(entry);
        }
    }

    /// The webhooks in use.
    pub fn webhooks(&self) -> Vec<Webhook> {
        self.shared
            .lock_entries()
            .iter()
            .map(|e| Webhook::clone(&e.hook))
            .collect()
    }

    /// Sends `event` on the torrent `torrent` (its API JSON) to every webhook
    /// that wants it. Returns at once; delivery and retries go on in the
    /// background. Must be called within a Tokio runtime.
    pub fn fire(&self, event: Event, torrent: &Value) {
        let wanted: Vec<(u64, Arc<Webhook>)> = self
            .shared
            .lock_entries()
            .iter()
            .filter(|e| e.hook.wants(event))
            .map(|e| (e.key, Arc::clone(&e.hook)))
            .collect();
        for (key, hook) in wanted {
            let payload = payload(hook.format, event, torrent);
            let shared = Arc::clone(&self.shared);
            tokio::spawn(async move { shared.deliver(key, hook, payload).await });
        }
    }

    /// Sends a sample `finished` event to webhook number `index` (from 0) now,
    /// once, and says the status of the answer. The outcome shows in
    /// [`Webhooks::status`] like any delivery's.
    pub async fn test(&self, index: usize) -> Result<u16, WebhookError> {
        let (key, hook) = {
            let entries = self.shared.lock_entries();
            let entry = entries.get(index).ok_or(WebhookError::NoSuchWebhook {
                index,
                count: entries.len(),
            })?;
            (entry.key, Arc::clone(&entry.hook))
        };
        let payload = payload(hook.format, Event::Finished, &sample_torrent());
        let result = self.shared.send(&hook, &payload).await;
        self.shared.record(key, &result);
        result
    }

    /// How each webhook is doing, in the order they are configured.
    pub fn status(&self) -> Vec<WebhookStatus> {
        self.shared
            .lock_entries()
            .iter()
            .map(|e| e.status.clone())
            .collect()
    }
}

/// The torrent of [`Webhooks::test`]'s sample event.
fn sample_torrent() -> Value {
    json!({
        "infoHash": "0000000000000000000000000000000000000000",
        "name": "Test notification from cloud-torrent",
        "size": 0,
    })
}

impl Shared {
    fn lock_entries(&self) -> std::sync::MutexGuard<'_, Vec<Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs `f` on the status of the webhook `key`; false when it is no longer
    /// configured.
    fn with_status(&self, key: u64, f: impl FnOnce(&mut WebhookStatus)) -> bool {
        let mut entries = self.lock_entries();
        match entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => {
                f(&mut entry.status);
                true
            }
            None => false,
        }
    }

    /// Notes the outcome of a try in the webhook's status; false when the
    /// webhook is no longer configured.
    fn record(&self, key: u64, result: &Result<u16, WebhookError>) -> bool {
        self.with_status(key, |status| {
            status.last_attempt_at = Some(OffsetDateTime::now_utc());
            match result {
                Ok(code) => {
                    status.last_status = Some(*code);
                    status.last_error = None;
                }
                Err(err) => {
                    status.last_status = match err {
                        WebhookError::Rejected { status } => Some(*status),
                        _ => None,
                    };
                    status.last_error = Some(err.to_string());
                }
            }
        })
    }

    /// One request; `Ok` with the status of a 2xx answer.
    async fn send(&self, hook: &Webhook, payload: &Payload) -> Result<u16, WebhookError> {
        let url = hook.parsed_url()?;
        let own_headers = hook.header_map()?;
        let request = Request::new(Method::POST, url)
            .headers(payload.headers.iter().cloned())
            .headers(own_headers)
            .body(payload.body.clone())
            .timeout(REQUEST_TIMEOUT)
            .max_bytes(ANSWER_LIMIT);
        let answer = self.client.send(request).await?;
        let status = answer.status.as_u16();
        if answer.status.is_success() {
            Ok(status)
        } else {
            Err(WebhookError::Rejected { status })
        }
    }

    /// Delivers `payload` to the webhook `key`, retrying by the policy while the
    /// webhook stays configured.
    async fn deliver(&self, key: u64, hook: Arc<Webhook>, payload: Payload) {
        let first_try = Instant::now();
        let mut wait = self.policy.first;
        let mut tries = 1u32;
        loop {
            let result = self.send(&hook, &payload).await;
            if !self.record(key, &result) {
                return; // Removed while the request was out.
            }
            let err = match result {
                Ok(_) => {
                    tracing::debug!("{}: delivered", hook.describe());
                    return;
                }
                Err(err) if !worth_retrying(&err) => {
                    tracing::warn!("{}: not delivered: {err}", hook.describe());
                    return;
                }
                Err(err) => err,
            };
            if first_try.elapsed() + wait > self.policy.give_up_after {
                let given_up = format!(
                    "gave up after {tries} {} in {} s: {err}",
                    if tries == 1 { "try" } else { "tries" },
                    first_try.elapsed().as_secs()
                );
                tracing::warn!("{}: {given_up}", hook.describe());
                self.with_status(key, |status| status.last_error = Some(given_up));
                return;
            }
            tracing::debug!("{}: {err}; trying again in {wait:?}", hook.describe());
            self.with_status(key, |status| status.pending_retries += 1);
            tokio::time::sleep(wait).await;
            let still_configured = self.with_status(key, |status| {
                status.pending_retries = status.pending_retries.saturating_sub(1);
            });
            if !still_configured {
                return;
            }
            wait = (wait * 2).min(self.policy.max);
            tries += 1;
        }
    }
}

/// True when a failed try may work later: a 5xx, 408 or 429 answer, a timeout,
/// a failed connection. A refused URL or redirect and other answers fail for good.
fn worth_retrying(err: &WebhookError) -> bool {
    match err {
        WebhookError::Rejected { status } => matches!(status, 408 | 429 | 500..=599),
        WebhookError::Fetch(err) => matches!(
            err,
            FetchError::Timeout | FetchError::Connect(_) | FetchError::Failed(_)
        ),
        WebhookError::Config(_) | WebhookError::NoSuchWebhook { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook(url: &str) -> Webhook {
        Webhook {
            url: url.into(),
            events: Vec::new(),
            headers: BTreeMap::new(),
            format: Format::Json,
        }
    }

    #[test]
    fn secrets_in_the_url_are_not_shown() {
        assert_eq!(
            redact("https://user:pw@gotify.example/message?token=abc#x"),
            "https://gotify.example/message?…"
        );
        assert_eq!(
            redact("http://ntfy.example:8080/t"),
            "http://ntfy.example:8080/t"
        );
        assert_eq!(redact("not a url"), "(an invalid URL)");
    }

    #[test]
    fn settings_that_cannot_be_sent_are_refused_with_a_sentence() {
        assert_eq!(
            hook("ftp://example.com/x").check().unwrap_err().to_string(),
            "webhook to ftp://example.com/x: the URL's scheme is \"ftp\"; only http and https are sent"
        );
        assert_eq!(
            hook("example.com/x").check().unwrap_err().to_string(),
            "webhook to (an invalid URL): the URL is not valid (relative URL without a base)"
        );
        let mut bad_name = hook("https://example.com/x?token=secret");
        bad_name.headers.insert("Bad Name".into(), "v".into());
        assert_eq!(
            bad_name.check().unwrap_err().to_string(),
            "webhook to https://example.com/x?…: \"Bad Name\" is not a valid HTTP header name"
        );
        let mut bad_value = hook("https://example.com/x");
        bad_value
            .headers
            .insert("X-A".into(), "a\r\nInjected: 1".into());
        assert_eq!(
            bad_value.check().unwrap_err().to_string(),
            "webhook to https://example.com/x: the value of the header \"X-A\" holds a line break or control character"
        );
        assert!(hook("https://example.com/x").check().is_ok());
    }

    #[test]
    fn settings_read_as_camel_case_with_defaults() {
        let parsed: Webhook = serde_json::from_str(r#"{"url": "https://example.com/"}"#).unwrap();
        assert_eq!(parsed, hook("https://example.com/"));
        assert!(parsed.wants(Event::Removed));
        let parsed: Webhook = serde_json::from_str(
            r#"{"url": "https://ntfy.sh/t", "events": ["finished"], "format": "ntfy", "headers": {"Priority": "high"}}"#,
        )
        .unwrap();
        assert_eq!(parsed.format, Format::Ntfy);
        assert!(parsed.wants(Event::Finished) && !parsed.wants(Event::Added));
        assert!(
            serde_json::from_str::<Webhook>(r#"{"url": "https://e/", "method": "GET"}"#).is_err()
        );
    }

    #[test]
    fn only_what_may_work_later_is_retried() {
        let rejected = |status| worth_retrying(&WebhookError::Rejected { status });
        for status in [408, 429, 500, 502, 503] {
            assert!(rejected(status), "{status}");
        }
        for status in [304, 400, 401, 403, 404, 410, 413] {
            assert!(!rejected(status), "{status}");
        }
        let fetch = |err| worth_retrying(&WebhookError::Fetch(err));
        assert!(fetch(FetchError::Timeout));
        assert!(fetch(FetchError::Connect("refused".into())));
        assert!(!fetch(FetchError::PrivateAddress {
            host: "10.0.0.1".into()
        }));
        assert!(!fetch(FetchError::Redirect(Box::new(
            FetchError::PrivateAddress {
                host: "10.0.0.1".into()
            }
        ))));
        assert!(!fetch(FetchError::TooManyRedirects));
    }
}
