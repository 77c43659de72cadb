//! The server's state database read and edited from outside, as an older version
//! or a user with `sqlite3` would: one row per torrent, its record as JSON.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

fn open(state_dir: &Path) -> Connection {
    Connection::open(state_dir.join("state.sqlite")).expect("open the state database")
}

/// A torrent's saved record; `None` when the database holds none.
pub fn saved_record(state_dir: &Path, info_hash: &str) -> Option<Value> {
    let text: Option<String> = open(state_dir)
        .query_row(
            "SELECT record FROM torrents WHERE info_hash = ?1",
            params![info_hash],
            |r| r.get(0),
        )
        .optional()
        .unwrap();
    text.map(|t| serde_json::from_str(&t).unwrap())
}

/// Replaces a torrent's saved record (the server must be stopped).
pub fn replace_record(state_dir: &Path, info_hash: &str, record: &Value) {
    let changed = open(state_dir)
        .execute(
            "UPDATE torrents SET record = ?2 WHERE info_hash = ?1",
            params![info_hash, record.to_string()],
        )
        .unwrap();
    assert_eq!(changed, 1, "no saved record of {info_hash}");
}
