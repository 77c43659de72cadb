//! `sync/maindata` and `sync/torrentPeers`: what changed since the answer a client names
//! by its `rid`. Every answer gets a `rid` of its own (one counter for all clients, so
//! clients that share a key, such as every client of a server without a login, never
//! mistake another's answer for theirs); each client key keeps its last few answers of
//! each kind. A `rid` among them gets only the torrents (or peers), fields, categories,
//! tags and server values that changed since (and what was removed), any other `rid` a
//! full update.

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

/// The peers of one torrent, as one `sync/torrentPeers` answer described them.
#[derive(Debug, Clone, Default)]
pub struct Peers {
    /// The torrent's info hash.
    pub hash: String,
    /// Its peers by `ip:port`.
    pub peers: HashMap<String, Map<String, Value>>,
}

#[derive(Default)]
struct Client {
    answers: VecDeque<(u64, Snapshot)>,
    peer_answers: VecDeque<(u64, Peers)>,
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
    /// The `sync/maindata` answer for client `client` that asked with `rid`, now that
    /// the state is `now`.
    pub fn maindata(&self, client: &str, rid: u64, now: Snapshot) -> Value {
        self.answer(client, |state, new_rid| {
            let base = state
                .answers
                .iter()
                .find(|(r, _)| rid != 0 && *r == rid)
                .map(|(_, s)| s);
            let out = match base {
                Some(old) => delta(old, &now),
                None => full(&now),
            };
            keep(&mut state.answers, new_rid, now);
            out
        })
    }

    /// The `sync/torrentPeers` answer for client `client` that asked with `rid`
    /// about the torrent of `now.hash`, whose peers are `now.peers`.
    pub fn torrent_peers(&self, client: &str, rid: u64, now: Peers) -> Value {
        self.answer(client, |state, new_rid| {
            let base = state
                .peer_answers
                .iter()
                .find(|(r, p)| rid != 0 && *r == rid && p.hash == now.hash)
                .map(|(_, p)| p);
            let mut out = Map::new();
            match base {
                Some(old) => {
                    let (changed, removed) = entries_changed(&old.peers, &now.peers);
                    if !changed.is_empty() {
                        out.insert("peers".into(), Value::Object(changed));
                    }
                    if !removed.is_empty() {
                        out.insert("peers_removed".into(), json!(removed));
                    }
                }
                None => {
                    out.insert("full_update".into(), Value::Bool(true));
                    out.insert("peers".into(), entries(&now.peers));
                    // No country flags: peers' countries are not looked up.
                    out.insert("show_flags".into(), Value::Bool(false));
                }
            }
            keep(&mut state.peer_answers, new_rid, now);
            out
        })
    }

    /// An answer for client `client`: `make` builds it from that client's past
    /// answers and the new `rid`, which is added to it.
    fn answer(
        &self,
        client: &str,
        make: impl FnOnce(&mut Client, u64) -> Map<String, Value>,
    ) -> Value {
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
        let mut out = make(state, new_rid);
        out.insert("rid".into(), json!(new_rid));
        Value::Object(out)
    }
}

/// Keeps `answer` as the one numbered `rid`, forgetting the oldest beyond [`KEPT`].
fn keep<T>(answers: &mut VecDeque<(u64, T)>, rid: u64, answer: T) {
    answers.push_back((rid, answer));
    while answers.len() > KEPT {
        answers.pop_front();
    }
}

/// Entries (torrents, peers) by key, as JSON.
fn entries(now: &HashMap<String, Map<String, Value>>) -> Value {
    Value::Object(
        now.iter()
            .map(|(k, v)| (k.clone(), Value::Object(v.clone())))
            .collect(),
    )
}

/// The entries of `now` new or changed since `old` (with their changed fields
/// only), and the keys of those gone.
fn entries_changed(
    old: &HashMap<String, Map<String, Value>>,
    now: &HashMap<String, Map<String, Value>>,
) -> (Map<String, Value>, Vec<String>) {
    let changed = now
        .iter()
        .filter_map(|(key, entry)| {
            let fields = match old.get(key) {
                Some(before) => changed(before, entry),
                None => entry.clone(),
            };
            (!fields.is_empty()).then(|| (key.clone(), Value::Object(fields)))
        })
        .collect();
    let removed = old
        .keys()
        .filter(|k| !now.contains_key(*k))
        .cloned()
        .collect();
    (changed, removed)
}

fn full(now: &Snapshot) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("full_update".into(), Value::Bool(true));
    out.insert("torrents".into(), entries(&now.torrents));
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
    let (torrents, removed) = entries_changed(&old.torrents, &now.torrents);
    if !torrents.is_empty() {
        out.insert("torrents".into(), Value::Object(torrents));
    }
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

    fn peers(hash: &str, peers: &[(&str, Value)]) -> Peers {
        Peers {
            hash: hash.to_owned(),
            peers: peers
                .iter()
                .map(|(a, v)| ((*a).to_owned(), v.as_object().unwrap().clone()))
                .collect(),
        }
    }

    #[test]
    fn a_torrents_peers_follow_the_same_rids() {
        let sync = Sync::default();
        let a = "127.0.0.2:6881";
        let first = sync.torrent_peers("c", 0, peers("h1", &[(a, json!({"dl_speed": 0}))]));
        assert_eq!(first["full_update"], true);
        assert_eq!(first["show_flags"], false);
        assert_eq!(first["peers"][a], json!({"dl_speed": 0}));
        let rid = first["rid"].as_u64().unwrap();
        // maindata answers in between do not disturb it.
        sync.maindata("c", 0, Snapshot::default());
        let b = "127.0.0.3:51413";
        let second = sync.torrent_peers(
            "c",
            rid,
            peers(
                "h1",
                &[(a, json!({"dl_speed": 5})), (b, json!({"dl_speed": 1}))],
            ),
        );
        assert!(second.get("full_update").is_none(), "{second}");
        assert!(second.get("show_flags").is_none(), "{second}");
        assert_eq!(second["peers"][a], json!({"dl_speed": 5}));
        assert_eq!(second["peers"][b], json!({"dl_speed": 1}));
        let third = sync.torrent_peers(
            "c",
            second["rid"].as_u64().unwrap(),
            peers("h1", &[(b, json!({"dl_speed": 1}))]),
        );
        assert_eq!(third["peers_removed"], json!([a]));
        assert!(third.get("peers").is_none(), "{third}");
        // A rid of another torrent's peers, or of maindata, gets everything.
        let other = sync.torrent_peers("c", third["rid"].as_u64().unwrap(), peers("h2", &[]));
        assert_eq!(other["full_update"], true);
        let main = sync.maindata("c", 0, Snapshot::default())["rid"]
            .as_u64()
            .unwrap();
        assert_eq!(
            sync.torrent_peers("c", main, peers("h2", &[]))["full_update"],
            true
        );
    }
}
