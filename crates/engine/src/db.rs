//! The state database: SQLite (built in) in WAL mode, one row per torrent and one
//! for the categories and tags, so that a change to one torrent writes that row
//! and not the state of every torrent.
//!
//! A row holds the torrent's record as JSON (the record's serde form, so that a
//! field added later reads with its default, as it did in `torrents.json`). Each
//! write is one transaction: a crash leaves the rows as they were before it or
//! after it, never half of it. [`StateDb`] remembers a fingerprint of every row it
//! wrote, so that [`StateDb::changes`] sends only the rows that differ.

use std::collections::hash_map::DefaultHasher;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::category::Category;
use crate::info_hash::InfoHash;
use crate::store::TorrentRecord;

/// The database file, in the state folder.
pub(crate) const DB_FILE: &str = "state.sqlite";

/// The schema's version, in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 1;

/// The categories and tags, kept in one row of `meta`.
#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Organisation {
    #[serde(default)]
    pub categories: BTreeMap<String, Category>,
    /// Tags known even without a torrent.
    #[serde(default)]
    pub tags: BTreeSet<String>,
}

/// What a write changes: rows to insert or replace, rows to delete, and the
/// categories and tags when they changed.
#[derive(Debug, Default)]
pub(crate) struct StateChanges {
    upserts: Vec<(InfoHash, String, u64)>,
    deletes: Vec<InfoHash>,
    organisation: Option<(String, u64)>,
}

impl StateChanges {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty() && self.organisation.is_none()
    }

    /// Rows to write, rows to delete, and whether the categories and tags changed.
    #[cfg(test)]
    pub fn rows(&self) -> (usize, usize, bool) {
        (
            self.upserts.len(),
            self.deletes.len(),
            self.organisation.is_some(),
        )
    }
}

/// Fingerprints of what the database holds, to find what changed.
#[derive(Debug, Default)]
struct Written {
    torrents: HashMap<InfoHash, u64>,
    organisation: Option<u64>,
}

/// The open database.
#[derive(Debug)]
pub(crate) struct StateDb {
    conn: Mutex<Connection>,
    written: Mutex<Written>,
}

/// Why the database cannot be used.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

fn fingerprint(text: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    text.hash(&mut hasher);
    hasher.finish()
}

impl StateDb {
    /// Opens (creating it owner-only if need be) the database at `path`.
    pub fn open(path: &Path) -> Result<StateDb, DbError> {
        if !path.exists() {
            crate::store::create_private_file(path)?;
        }
        let conn = Connection::open(path)?;
        // WAL: a commit appends to the log (one fsync with `synchronous=FULL`)
        // rather than rewriting pages in place, and readers never block it.
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SCHEMA_VERSION {
            return Err(DbError::Sqlite(rusqlite::Error::InvalidParameterName(
                format!(
                    "the state database is of a newer version ({version}) than this program knows \
                 ({SCHEMA_VERSION})"
                ),
            )));
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS torrents (
                 info_hash TEXT PRIMARY KEY NOT NULL,
                 record TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE TABLE IF NOT EXISTS meta (
                 key TEXT PRIMARY KEY NOT NULL,
                 value TEXT NOT NULL
             ) WITHOUT ROWID;",
        )?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        Ok(StateDb {
            conn: Mutex::new(conn),
            written: Mutex::new(Written::default()),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn written(&self) -> std::sync::MutexGuard<'_, Written> {
        self.written.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether the database was ever written (a state moved from `torrents.json`,
    /// or any save of this program).
    pub fn is_initialised(&self) -> Result<bool, DbError> {
        let found: Option<String> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'created'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(found.is_some())
    }

    /// The last moment the engine noted that it ran ([`StateDb::write_heartbeat`]).
    pub fn heartbeat(&self) -> Result<Option<OffsetDateTime>, DbError> {
        let text: Option<String> = self
            .conn()
            .query_row("SELECT value FROM meta WHERE key = 'heartbeat'", [], |r| {
                r.get(0)
            })
            .optional()?;
        Ok(text.and_then(|t| OffsetDateTime::parse(&t, &Rfc3339).ok()))
    }

    /// Notes that the engine runs at `at` (one row, rewritten in place).
    pub fn write_heartbeat(&self, at: OffsetDateTime) -> Result<(), DbError> {
        let text = at
            .format(&Rfc3339)
            .map_err(|e| DbError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
        self.conn().execute(
            "INSERT INTO meta (key, value) VALUES ('heartbeat', ?1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![text],
        )?;
        Ok(())
    }

    /// Every torrent's record and the categories and tags. A row that does not
    /// read (edited by hand, say) is skipped and logged, not fatal.
    pub fn load(&self) -> Result<(BTreeMap<InfoHash, TorrentRecord>, Organisation), DbError> {
        let conn = self.conn();
        let mut written = Written::default();
        let mut torrents = BTreeMap::new();
        let mut statement = conn.prepare("SELECT info_hash, record FROM torrents")?;
        let mut rows = statement.query([])?;
        while let Some(row) = rows.next()? {
            let hash: String = row.get(0)?;
            let text: String = row.get(1)?;
            let parsed = hash
                .parse::<InfoHash>()
                .ok()
                .zip(serde_json::from_str::<TorrentRecord>(&text).ok());
            match parsed {
                Some((hash, record)) => {
                    written.torrents.insert(hash, fingerprint(&text));
                    torrents.insert(hash, record);
                }
                None => {
                    tracing::error!(%hash, "a torrent's row in the state database does not read; it is skipped")
                }
            }
        }
        drop(rows);
        drop(statement);
        let organisation: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'organisation'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let organisation = match organisation {
            Some(text) => {
                written.organisation = Some(fingerprint(&text));
                serde_json::from_str(&text).unwrap_or_else(|e| {
                    tracing::error!("the categories and tags in the state database do not read ({e}); starting with none");
                    Organisation::default()
                })
            }
            None => Organisation::default(),
        };
        drop(conn);
        *self.written() = written;
        Ok((torrents, organisation))
    }

    /// What differs from what the database holds: `changed` are the records that
    /// may have changed (each is compared with what was written), `holds` tells
    /// whether a torrent is still there and `count` how many there are (a torrent
    /// written but no longer there is deleted), with the categories and tags.
    pub fn changes<'a>(
        &self,
        changed: impl Iterator<Item = (&'a InfoHash, &'a TorrentRecord)>,
        holds: impl Fn(&InfoHash) -> bool,
        count: usize,
        organisation: &Organisation,
    ) -> StateChanges {
        let written = self.written();
        let mut changes = StateChanges::default();
        let mut new_rows = 0;
        for (hash, record) in changed {
            let Ok(text) = serde_json::to_string(record) else {
                continue;
            };
            let print = fingerprint(&text);
            match written.torrents.get(hash) {
                Some(old) if *old == print => {}
                old => {
                    new_rows += usize::from(old.is_none());
                    changes.upserts.push((*hash, text, print));
                }
            }
        }
        // Rows of torrents no longer there: only looked for when there are some.
        if written.torrents.len() + new_rows > count {
            changes.deletes = written
                .torrents
                .keys()
                .filter(|h| !holds(h))
                .copied()
                .collect();
        }
        if let Ok(text) = serde_json::to_string(organisation) {
            let print = fingerprint(&text);
            if written.organisation != Some(print) {
                changes.organisation = Some((text, print));
            }
        }
        changes
    }

    /// Writes `changes` in one transaction; afterwards [`StateDb::changes`] counts
    /// them as written.
    pub fn write(&self, changes: StateChanges) -> Result<(), DbError> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        {
            let mut upsert = tx.prepare_cached(
                "INSERT INTO torrents (info_hash, record) VALUES (?1, ?2)
                 ON CONFLICT (info_hash) DO UPDATE SET record = excluded.record",
            )?;
            for (hash, text, _) in &changes.upserts {
                upsert.execute(params![hash.to_hex(), text])?;
            }
            let mut delete = tx.prepare_cached("DELETE FROM torrents WHERE info_hash = ?1")?;
            for hash in &changes.deletes {
                delete.execute(params![hash.to_hex()])?;
            }
            let mut meta = tx.prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?;
            if let Some((text, _)) = &changes.organisation {
                meta.execute(params!["organisation", text])?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO meta (key, value) VALUES ('created', ?1)",
                params![env!("CARGO_PKG_VERSION")],
            )?;
        }
        tx.commit()?;
        drop(conn);
        let mut written = self.written();
        for (hash, _, print) in changes.upserts {
            written.torrents.insert(hash, print);
        }
        for hash in changes.deletes {
            written.torrents.remove(&hash);
        }
        if let Some((_, print)) = changes.organisation {
            written.organisation = Some(print);
        }
        Ok(())
    }
}
