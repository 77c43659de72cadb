//! Messages for the user about what no request asked for: a watch folder's file
//! that could not be added, an event program that failed, a webhook that gave up.
//! The last [`KEPT`] are listed by `GET /api/v1/notices` and pushed to the web UI.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::AppState;

/// How many notices are kept.
pub const KEPT: usize = 100;

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Notice {
    /// Increases with each notice.
    pub id: u64,
    /// When, RFC 3339.
    pub at: String,
    /// What it is about: `watchFolder`, `eventProgram` or `webhook`.
    pub source: String,
    /// `info` or `warning`.
    pub level: String,
    /// What happened, for a person.
    pub message: String,
}

/// The recent notices. Cheap to clone.
#[derive(Clone, Default)]
pub struct Notices {
    list: Arc<Mutex<VecDeque<Notice>>>,
    next: Arc<AtomicU64>,
}

impl Notices {
    /// Keeps a notice (and logs it).
    pub fn push(&self, source: &str, warning: bool, message: String) {
        if warning {
            tracing::warn!(source, "{message}");
        } else {
            tracing::info!(source, "{message}");
        }
        let notice = Notice {
            id: self.next.fetch_add(1, Ordering::Relaxed) + 1,
            at: OffsetDateTime::now_utc()
                .format(&Rfc3339)
                .unwrap_or_default(),
            source: source.to_owned(),
            level: if warning { "warning" } else { "info" }.to_owned(),
            message,
        };
        let mut list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        list.push_front(notice);
        list.truncate(KEPT);
    }

    /// The notices, newest first.
    pub fn list(&self) -> Vec<Notice> {
        let list = self.list.lock().unwrap_or_else(|p| p.into_inner());
        list.iter().cloned().collect()
    }
}

/// Lists the recent notices.
#[utoipa::path(get, path = "/api/v1/notices", tag = "organise",
    responses((status = 200, description = "The last 100 notices, newest first", body = [Notice])))]
pub async fn list(State(state): State<AppState>) -> Json<Vec<Notice>> {
    Json(state.live.notices.list())
}
