//! What a webhook sends for an event, in each [`Format`]: the body, its
//! Content-Type and the headers the format needs.
//!
//! * `json`: `{"event": "finished", "torrent": <the torrent's API JSON>}`.
//! * `discord`: `{"content": "Finished: <name>", "allowed_mentions": {"parse": []}}`
//!   (Discord's execute-webhook body; `content` is cut to Discord's 2,000
//!   characters, and mentions are turned off so that a torrent named
//!   `@everyone` pings nobody).
//! * `ntfy`: the line `Finished: <name>` as a plain-text body and the title in a
//!   `Title` header (ntfy's publish by POST to `https://host/<topic>`; other ntfy
//!   headers such as `Priority` or `Tags` can be set in the webhook's headers).
//! * `gotify`: `{"title": "cloud-torrent", "message": "Finished: <name>"}`, the
//!   JSON body of Gotify's `POST /message?token=<application token>`.

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;

use crate::event::Event;

/// The title of ntfy and Gotify notifications.
const TITLE: &str = "cloud-torrent";
/// Discord refuses a `content` longer than this many characters.
const DISCORD_CONTENT_LIMIT: usize = 2000;

/// What a webhook's requests look like.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Format {
    /// `{"event", "torrent"}` as JSON.
    #[default]
    Json,
    /// A Discord webhook (`{"content"}`).
    Discord,
    /// An ntfy topic URL (text body, `Title` header).
    Ntfy,
    /// Gotify's `/message?token=...` (`{"title", "message"}`).
    Gotify,
}

/// A request body and the headers that go with it.
#[derive(Debug, Clone)]
pub(crate) struct Payload {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Bytes,
}

/// What a webhook in `format` sends for `event` on the torrent `torrent` (its API JSON).
pub(crate) fn payload(format: Format, event: Event, torrent: &Value) -> Payload {
    let json_type = || (CONTENT_TYPE, HeaderValue::from_static("application/json"));
    let to_bytes = |value: Value| Bytes::from(value.to_string());
    match format {
        Format::Json => Payload {
            headers: vec![json_type()],
            body: to_bytes(json!({"event": event, "torrent": torrent})),
        },
        Format::Discord => {
            let content: String = line(event, torrent)
                .chars()
                .take(DISCORD_CONTENT_LIMIT)
                .collect();
            Payload {
                headers: vec![json_type()],
                body: to_bytes(json!({"content": content, "allowed_mentions": {"parse": []}})),
            }
        }
        Format::Ntfy => Payload {
            headers: vec![
                (
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                ),
                (
                    HeaderName::from_static("title"),
                    HeaderValue::from_static(TITLE),
                ),
            ],
            body: Bytes::from(line(event, torrent)),
        },
        Format::Gotify => Payload {
            headers: vec![json_type()],
            body: to_bytes(json!({"title": TITLE, "message": line(event, torrent)})),
        },
    }
}

/// The notification's one line: `Finished: <name>`, and for an error the
/// torrent's error after the name.
pub(crate) fn line(event: Event, torrent: &Value) -> String {
    let text = |key: &str| {
        torrent
            .get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    let name = text("name")
        .or_else(|| text("infoHash"))
        .unwrap_or("a torrent without a name");
    match (event, text("error")) {
        (Event::Error, Some(error)) => format!("{}: {name} ({error})", event.label()),
        _ => format!("{}: {name}", event.label()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(format: Format, event: Event, torrent: &Value) -> String {
        String::from_utf8(payload(format, event, torrent).body.to_vec()).unwrap()
    }

    #[test]
    fn lines_name_the_event_and_the_torrent() {
        let torrent = json!({"name": "Ubuntu", "infoHash": "ab", "error": "disk full"});
        assert_eq!(line(Event::Finished, &torrent), "Finished: Ubuntu");
        assert_eq!(line(Event::SeedingDone, &torrent), "Seeding done: Ubuntu");
        assert_eq!(line(Event::Error, &torrent), "Error: Ubuntu (disk full)");
        assert_eq!(
            line(Event::Added, &json!({"name": "", "infoHash": "ab"})),
            "Added: ab"
        );
        assert_eq!(
            line(Event::Added, &json!({})),
            "Added: a torrent without a name"
        );
    }

    #[test]
    fn discord_content_is_cut_to_its_limit_and_mentions_nobody() {
        let torrent = json!({"name": "@everyone ".repeat(500)});
        let sent: Value =
            serde_json::from_str(&body(Format::Discord, Event::Added, &torrent)).unwrap();
        assert_eq!(sent["content"].as_str().unwrap().chars().count(), 2000);
        assert_eq!(sent["allowed_mentions"], json!({"parse": []}));
    }

    #[test]
    fn formats_read_as_lowercase_names() {
        for (text, format) in [
            ("\"json\"", Format::Json),
            ("\"discord\"", Format::Discord),
            ("\"ntfy\"", Format::Ntfy),
            ("\"gotify\"", Format::Gotify),
        ] {
            assert_eq!(serde_json::from_str::<Format>(text).unwrap(), format);
        }
    }
}
