//! The `ids` argument: which torrents a call is about. Absent means all of them (for
//! `torrent-stop` and `torrent-remove` too: that is the protocol); otherwise a number
//! (the torrent's `id`), an info-hash string (any case), `"recently-active"`, or an
//! array mixing numbers and hashes. Unknown ids are skipped.

use std::time::Duration;

use cloud_torrent_engine::Torrent;
use serde_json::Value;
use time::OffsetDateTime;

use super::args::Args;
use super::fields::epoch_seconds;

/// How long a torrent stays "recently active" after it last did something.
pub(super) const RECENT: Duration = Duration::from_secs(60);

/// One element of `ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Id {
    Number(u64),
    /// Lowercase.
    Hash(String),
}

/// The torrents `ids` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Ids {
    All,
    RecentlyActive,
    Some(Vec<Id>),
}

impl Ids {
    /// Reads the `ids` of `args`.
    pub(super) fn of(args: &Args) -> Ids {
        match args.get("ids") {
            None | Some(Value::Null) => Ids::All,
            Some(Value::String(s)) if s == "recently-active" => Ids::RecentlyActive,
            Some(Value::Array(items)) => Ids::Some(items.iter().filter_map(id).collect()),
            Some(single) => Ids::Some(id(single).into_iter().collect()),
        }
    }

    /// Whether the call asked for the recently active torrents.
    pub(super) fn recently_active(&self) -> bool {
        *self == Ids::RecentlyActive
    }

    /// The torrents of `all` that these ids name: in the order of `all` for all or
    /// the recently active ones, else in the order given (each once).
    pub(super) fn select(&self, all: &[Torrent], now: OffsetDateTime) -> Vec<Torrent> {
        match self {
            Ids::All => all.to_vec(),
            Ids::RecentlyActive => all
                .iter()
                .filter(|t| recently_active(t, now))
                .cloned()
                .collect(),
            Ids::Some(ids) => {
                let mut chosen: Vec<Torrent> = Vec::new();
                for id in ids {
                    let found = all.iter().find(|t| match id {
                        Id::Number(n) => t.id == *n,
                        Id::Hash(h) => t.info_hash == *h,
                    });
                    if let Some(t) = found
                        && !chosen.iter().any(|c| c.id == t.id)
                    {
                        chosen.push(t.clone());
                    }
                }
                chosen
            }
        }
    }
}

/// One element: a number, a hash, or a number written as text.
fn id(value: &Value) -> Option<Id> {
    match value {
        Value::Number(n) => n.as_u64().map(Id::Number),
        Value::String(s) if s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(Id::Hash(s.to_ascii_lowercase()))
        }
        Value::String(s) => s.trim().parse().ok().map(Id::Number),
        _ => None,
    }
}

/// Transferring now, or changed (added, transferred, completed) within [`RECENT`].
fn recently_active(t: &Torrent, now: OffsetDateTime) -> bool {
    let recent = |when: Option<&str>| {
        when.and_then(epoch_seconds)
            .is_some_and(|at| now.unix_timestamp() - at <= RECENT.as_secs() as i64)
    };
    t.download_rate > 0
        || t.upload_rate > 0
        || recent(Some(&t.added_at))
        || recent(t.last_activity.as_deref())
        || recent(t.completed_at.as_deref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(value: Value) -> Ids {
        Ids::of(json!({ "ids": value }).as_object().unwrap())
    }

    #[test]
    fn every_form_of_ids_is_read() {
        let hash = "C12FE1C06BBA254A9DC9F519B335AA7C1367A88A";
        assert_eq!(Ids::of(&Args::new()), Ids::All);
        assert_eq!(ids(json!("recently-active")), Ids::RecentlyActive);
        assert_eq!(ids(json!(3)), Ids::Some(vec![Id::Number(3)]));
        assert_eq!(
            ids(json!(hash)),
            Ids::Some(vec![Id::Hash(hash.to_ascii_lowercase())])
        );
        assert_eq!(
            ids(json!([1, hash, "2", {"x": 1}, "nonsense"])),
            Ids::Some(vec![
                Id::Number(1),
                Id::Hash(hash.to_ascii_lowercase()),
                Id::Number(2)
            ])
        );
    }
}
