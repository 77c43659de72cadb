//! [`Event`]: the moments of a torrent's life that hooks run on.

use std::fmt;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A moment of a torrent's life that event programs and webhooks run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum Event {
    /// The torrent was added.
    Added,
    /// Every selected file was downloaded and verified.
    Finished,
    /// Seeding stopped because a seeding limit (ratio, time, idle) was reached.
    SeedingDone,
    /// The torrent was removed.
    Removed,
    /// The torrent stopped on an error.
    Error,
}

impl Event {
    /// Every event, in the order of a torrent's life.
    pub const ALL: [Event; 5] = [
        Event::Added,
        Event::Finished,
        Event::SeedingDone,
        Event::Removed,
        Event::Error,
    ];

    /// The event's name in settings, JSON and `CT_EVENT`: `"seedingDone"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Event::Added => "added",
            Event::Finished => "finished",
            Event::SeedingDone => "seedingDone",
            Event::Removed => "removed",
            Event::Error => "error",
        }
    }

    /// The event for people, at the start of a notification: `"Seeding done"`.
    pub fn label(self) -> &'static str {
        match self {
            Event::Added => "Added",
            Event::Finished => "Finished",
            Event::SeedingDone => "Seeding done",
            Event::Removed => "Removed",
            Event::Error => "Error",
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_same_in_json_and_text() {
        for event in Event::ALL {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(json, format!("\"{}\"", event.as_str()));
            assert_eq!(event.to_string(), event.as_str());
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), event);
        }
        assert_eq!(Event::SeedingDone.as_str(), "seedingDone");
        assert!(serde_json::from_str::<Event>("\"seeding_done\"").is_err());
    }
}
