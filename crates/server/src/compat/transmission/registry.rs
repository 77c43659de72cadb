//! What the RPC keeps between calls, one per server (in [`crate::AppState`]): the
//! session id of the CSRF handshake, and the ids of torrents removed lately, which
//! `torrent-get` with `ids: "recently-active"` reports as `removed`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::http::HeaderMap;
use cloud_torrent_engine::{Engine, TorrentEventKind};
use subtle::ConstantTimeEq;

use super::SESSION_ID_HEADER;
use super::ids::RECENT;

/// One server's RPC state.
pub struct Registry {
    session_id: String,
    /// When each torrent id was removed, oldest first, at most [`RECENT`] old.
    removed: Mutex<VecDeque<(Instant, u64)>>,
}

impl Registry {
    /// A new state with a fresh session id; notes the engine's removals from now on
    /// (needs a Tokio runtime).
    pub fn start(engine: &Engine) -> Arc<Registry> {
        let registry = Arc::new(Registry {
            session_id: new_session_id(),
            removed: Mutex::default(),
        });
        registry.clone().note_removals(engine);
        registry
    }

    /// The current session id.
    pub(super) fn session_id(&self) -> &str {
        &self.session_id
    }

    /// Whether the request carries the current session id.
    pub(super) fn session_id_matches(&self, headers: &HeaderMap) -> bool {
        headers
            .get(SESSION_ID_HEADER)
            .is_some_and(|v| bool::from(v.as_bytes().ct_eq(self.session_id.as_bytes())))
    }

    /// Notes the ids of torrents the engine removes, until the engine stops.
    fn note_removals(self: Arc<Self>, engine: &Engine) {
        let mut events = engine.subscribe();
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::RecvError;
            loop {
                match events.recv().await {
                    Ok(event) if event.kind == TorrentEventKind::Removed => {
                        self.note_removed(event.torrent.id);
                    }
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    /// Notes that the torrent `id` was removed now.
    pub(super) fn note_removed(&self, id: u64) {
        let mut removed = self.removed.lock().unwrap_or_else(|p| p.into_inner());
        if !removed.iter().any(|(_, r)| *r == id) {
            removed.push_back((Instant::now(), id));
        }
    }

    /// The ids of torrents removed within [`RECENT`].
    pub(super) fn recently_removed(&self) -> Vec<u64> {
        let mut removed = self.removed.lock().unwrap_or_else(|p| p.into_inner());
        while removed.front().is_some_and(|(at, _)| at.elapsed() > RECENT) {
            removed.pop_front();
        }
        removed.iter().map(|(_, id)| *id).collect()
    }
}

/// 48 random characters, as Transmission's session ids are.
fn new_session_id() -> String {
    let mut bytes = [0u8; 24];
    // Without the system's randomness, a predictable id only weakens the CSRF check,
    // which the login and the Origin check already cover.
    if getrandom::fill(&mut bytes).is_err() {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes[..16].copy_from_slice(&nanos.to_le_bytes());
    }
    hex::encode(bytes)
}
