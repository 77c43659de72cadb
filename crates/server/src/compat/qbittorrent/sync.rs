//! `sync/maindata`: what changed since the answer a client names by its `rid`. Every
//! answer gets a `rid` of its own (one counter for all clients, so clients that share a
//! key, such as every client of a server without a login, never mistake another's answer
//! for theirs); each client key keeps its last few answers. A `rid` among them gets only
//! the torrents, fields, categories, tags and server values that changed since (and what
//! was removed), any other `rid` a full update.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{Map, Value, json};

/// Answers kept per client key (clients without a session share one key).
const KEPT: usize = 8;
/// Clients kept; the one unseen longest is forgotten beyond.
const CLIENTS: usize = 64;

/// What one answer described.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Torrents by hash, as `torrents/info` shows them (without `hash`).
    pub torrents: HashMap<String, Map<String, Value>>,
    /// Categories by name.
    pub categories: Map<String, Value>,
    /// Tags.
    pub tags: Vec<String>,
    /// The transfer figures.
    pub server_state: Map<String, Value>,
}

#[derive(Default)]
struct Client {
    answers: VecDeque<(u64, Snapshot)>,
    seen: Option<Instant>,
}

/// The clients' last answers.
#[derive(Default)]
pub struct Sync {
    clients: Mutex<HashMap<String, Client>>,
    /// The `rid` of the last answer, whoever got it.
    last_rid: Mutex<u64>,
}

impl Sync {
    /// The answer for client `client` that asked with `rid`, now that the state is `now`.
    pub fn maindata(&self, client: &str, rid: u64, now: Snapshot) -> Value {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        if !clients.contains_key(client) && clients.len() >= CLIENTS {
            let oldest = clients
                .iter()
                .min_by_key(|(_, c)| c.seen)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                clients.remove(&oldest);
            }
        }
        let new_rid = {
            let mut last = self.last_rid.lock().unwrap_or_else(|p| p.into_inner());
            *last = *last % 1_000_000 + 1;
            *last
        };
        let state = clients.entry(client.to_owned()).or_default();
        state.seen = Some(Instant::now());
        let base = (rid != 0)
            .then(|| state.answers.iter().find(|(r, _)| *r == rid))
            .flatten()
            .map(|(_, s)| s);
        let mut out = match base {
            Some(old) => delta(old, &now),
            None => full(&now),
        };
        out.insert("rid".into(), json!(new_rid));
        state.answers.push_back((new_rid, now));
        while state.answers.len() > KEPT {
            state.answers.pop_front();
        }
        Value::Object(out)
    }
}

fn full(now: &Snapshot) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("full_update".into(), Value::Bool(true));
    out.insert(
        "torrents".into(),
        Value::Object(
            now.torrents
                .iter()
                .map(|(h, t)| (h.clone(), Value::Object(t.clone())))
                .collect(),
        ),
    );
    out.insert("categories".into(), Value::Object(now.categories.clone()));
    out.insert("tags".into(), json!(now.tags));
    out.insert("trackers".into(), json!({}));
    out.insert(
        "server_state".into(),
        Value::Object(now.server_state.clone()),
    );
    out
}

/// The fields of `new` that differ from `old`.
fn changed(old: &Map<String, Value>, new: &Map<String, Value>) -> Map<String, Value> {
    new.iter()
        .filter(|(k, v)| old.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn delta(old: &Snapshot, now: &Snapshot) -> Map<String, Value> {
    let mut out = Map::new();
    let torrents: Map<String, Value> = now
        .torrents
        .iter()
        .filter_map(|(hash, t)| {
            let fields = match old.torrents.get(hash) {
                Some(before) => changed(before, t),
                None => t.clone(),
            };
            (!fields.is_empty()).then(|| (hash.clone(), Value::Object(fields)))
        })
        .collect();
    if !torrents.is_empty() {
        out.insert("torrents".into(), Value::Object(torrents));
    }
    let removed: Vec<&String> = old
        .torrents
        .keys()
        .filter(|h| !now.torrents.contains_key(*h))
        .collect();
    if !removed.is_empty() {
        out.insert("torrents_removed".into(), json!(removed));
    }
    let categories: Map<String, Value> = now
        .categories
        .iter()
        .filter(|(k, v)| old.categories.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !categories.is_empty() {
        out.insert("categories".into(), Value::Object(categories));
    }
    let categories_removed: Vec<&String> = old
        .categories
        .keys()
        .filter(|k| !now.categories.contains_key(*k))
        .collect();
    if !categories_removed.is_empty() {
        out.insert("categories_removed".into(), json!(categories_removed));
    }
    let tags: Vec<&String> = now.tags.iter().filter(|t| !old.tags.contains(t)).collect();
    if !tags.is_empty() {
        out.insert("tags".into(), json!(tags));
    }
    let tags_removed: Vec<&String> = old.tags.iter().filter(|t| !now.tags.contains(t)).collect();
    if !tags_removed.is_empty() {
        out.insert("tags_removed".into(), json!(tags_removed));
    }
    let server_state = changed(&old.server_state, &now.server_state);
    if !server_state.is_empty() {
        out.insert("server_state".into(), Value::Object(server_state));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(torrents: &[(&str, Value)], tags: &[&str]) -> Snapshot {
        Snapshot {
            torrents: torrents
                .iter()
                .map(|(h, v)| ((*h).to_owned(), v.as_object().unwrap().clone()))
                .collect(),
            categories: Map::new(),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
            server_state: json!({"dl_info_speed": 0}).as_object().unwrap().clone(),
        }
    }

    #[test]
    fn a_known_rid_gets_only_what_changed() {
        let sync = Sync::default();
        let first = sync.maindata(
            "a",
            0,
            snapshot(&[("h1", json!({"progress": 0.1, "name": "x"}))], &["t"]),
        );
        assert_eq!(first["full_update"], true);
        let rid = first["rid"].as_u64().unwrap();
        let second = sync.maindata(
            "a",
            rid,
            snapshot(
                &[
                    ("h1", json!({"progress": 0.5, "name": "x"})),
                    ("h2", json!({"progress": 0.0, "name": "y"})),
                ],
                &["t", "u"],
            ),
        );
        assert!(second.get("full_update").is_none(), "{second}");
        assert_eq!(second["torrents"]["h1"], json!({"progress": 0.5}));
        assert_eq!(second["torrents"]["h2"]["name"], "y");
        assert_eq!(second["tags"], json!(["u"]));
        assert!(second.get("server_state").is_none());
        let third = sync.maindata(
            "a",
            second["rid"].as_u64().unwrap(),
            snapshot(&[("h2", json!({"progress": 0.0, "name": "y"}))], &["u"]),
        );
        assert_eq!(third["torrents_removed"], json!(["h1"]));
        assert_eq!(third["tags_removed"], json!(["t"]));
        assert!(third.get("torrents").is_none(), "{third}");
        // Another client, or an unknown rid, gets everything.
        assert_eq!(
            sync.maindata("b", rid, Snapshot::default())["full_update"],
            true
        );
        assert_eq!(
            sync.maindata("a", 999, Snapshot::default())["full_update"],
            true
        );
    }
}
