//! Event programs and webhooks on the engine's torrent events (see the hooks
//! crate), and their routes: the last program runs, each webhook's status and a
//! test send. A program that fails or times out also leaves a notice.

use axum::Json;
use axum::extract::{Path, State};
use cloud_torrent_engine::{Engine, TorrentEvent};
use cloud_torrent_hooks::{Hooks, ProgramRun, TorrentFacts, WebhookError, WebhookStatus};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;
use utoipa::ToSchema;

use crate::AppState;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::notices::Notices;
use crate::settings::LiveConfig;

/// How many event programs run at once; the others wait their turn.
pub const PROGRAMS_AT_ONCE: usize = 2;

/// The facts the hooks need of a torrent event.
fn facts(event: TorrentEvent) -> TorrentFacts {
    let torrent = event.torrent;
    TorrentFacts {
        info_hash: torrent.info_hash.clone(),
        id: torrent.id,
        name: torrent.name.clone(),
        content_path: event.content_path,
        save_path: event.save_path,
        category: torrent.category.clone(),
        tags: torrent.tags.clone(),
        size: torrent.size,
        json: serde_json::to_value(&torrent).unwrap_or_default(),
    }
}

/// Fires the hooks on every torrent event, follows the `webhooks` setting, and
/// turns failed program runs into notices, until the server stops.
pub(crate) fn spawn(engine: &Engine, hooks: Hooks, config: &LiveConfig, notices: Notices) {
    let mut events = engine.subscribe();
    let fire = hooks.clone();
    tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => fire.fire(event.kind, facts(event)),
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!("{n} torrent events were too many to run hooks on")
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    let mut changes = config.changes();
    let webhooks = hooks.webhooks.clone();
    tokio::spawn(async move {
        while changes.changed().await.is_ok() {
            let wanted = changes.borrow_and_update().webhooks.clone();
            if wanted != webhooks.webhooks() {
                webhooks.set(wanted);
            }
        }
    });
    let mut runs = hooks.programs.subscribe();
    tokio::spawn(async move {
        loop {
            match runs.recv().await {
                Ok(run) if run.is_finished() => {
                    if let Some(why) = failure(&run) {
                        notices.push(
                            "eventProgram",
                            true,
                            format!(
                                "the {} program {} for \"{}\" {why}",
                                run.event,
                                run.argv.first().map(String::as_str).unwrap_or_default(),
                                run.name
                            ),
                        );
                    }
                }
                Ok(_) | Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Why a finished run failed, if it did.
fn failure(run: &ProgramRun) -> Option<String> {
    if let Some(error) = &run.error {
        return Some(format!("could not run: {error}"));
    }
    if run.timed_out {
        return Some("was stopped at its time limit".into());
    }
    match (run.exit_code, run.signal) {
        (Some(0), _) => None,
        (Some(code), _) => Some(format!("exited with status {code}")),
        (None, Some(signal)) => Some(format!("was ended by signal {signal}")),
        (None, None) => None,
    }
}

/// Lists the last event program runs.
#[utoipa::path(get, path = "/api/v1/event-runs", tag = "organise",
    responses((status = 200, description = "The last 100 runs, newest first", body = [ProgramRun])))]
pub async fn runs(State(state): State<AppState>) -> Json<Vec<ProgramRun>> {
    Json(state.live.hooks.programs.runs())
}

/// Each webhook's last result.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "organise",
    responses((status = 200, description = "One entry per configured webhook, in order", body = [WebhookStatus])))]
pub async fn webhooks(State(state): State<AppState>) -> Json<Vec<WebhookStatus>> {
    Json(state.live.hooks.webhooks.status())
}

/// Answer of a webhook test.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookTestView {
    /// The HTTP status the webhook answered.
    pub status: u16,
}

/// Sends a sample event to the webhook at `index` (from 0) now.
#[utoipa::path(post, path = "/api/v1/webhooks/{index}/test", tag = "organise",
    params(("index" = u32, Path, minimum = 0, description = "The webhook's place in `webhooks`, from 0")),
    responses((status = 200, description = "It answered 2xx", body = WebhookTestView),
        (status = 400, description = "The index is not a whole number", body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 502, description = "It could not be reached or answered otherwise", body = ErrorBody)))]
pub async fn test_webhook(
    State(state): State<AppState>,
    Path(index): Path<String>,
) -> ApiResult<Json<WebhookTestView>> {
    let index: usize = index.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "webhook index {index:?} is not a whole number from 0"
        ))
    })?;
    match state.live.hooks.webhooks.test(index).await {
        Ok(status) => Ok(Json(WebhookTestView { status })),
        Err(e @ WebhookError::NoSuchWebhook { .. }) => Err(ApiError::NotFound(e.to_string())),
        Err(e) => Err(ApiError::BadGateway(e.to_string())),
    }
}
