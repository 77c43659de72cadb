//! The HTTP server of cloud-torrent: the JSON API under `/api/v1`, Cloud Torrent's
//! old text endpoints, and health checks.
//!
//! [`serve`] is what `main` and the integration tests run; [`router`] lists every route.

mod api;
mod error;
mod legacy;
mod openapi;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use cloud_torrent_engine::{Engine, EngineConfig};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ErrorBody};
pub use openapi::ApiDoc;

/// Largest request body: a .torrent (10 MiB) plus multipart framing.
const MAX_BODY_BYTES: usize = cloud_torrent_engine::MAX_TORRENT_BYTES + 64 * 1024;

/// What the server needs to run.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Shown in the UI.
    pub title: String,
    /// The engine's options.
    pub engine: EngineConfig,
}

/// Shared by all handlers.
#[derive(Clone)]
pub struct AppState {
    /// The torrent engine.
    pub engine: Engine,
    /// The server's configuration.
    pub config: Arc<ServerConfig>,
}

/// Every route of the server, with its layers.
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/torrents", get(api::list_torrents).post(api::add_torrent))
        .route(
            "/torrents/{info_hash}",
            get(api::get_torrent).delete(api::delete_torrent),
        )
        .route("/torrents/{info_hash}/start", post(api::start_torrent))
        .route("/torrents/{info_hash}/stop", post(api::stop_torrent))
        .route("/torrents/{info_hash}/files", put(api::select_files))
        .route("/openapi.json", get(openapi::openapi_json));
    let legacy = Router::new()
        .route("/magnet", post(legacy::magnet))
        .route("/url", post(legacy::url))
        .route("/torrentfile", post(legacy::torrent_file))
        .route("/torrent", post(legacy::torrent_action))
        .route("/file", post(legacy::file_action));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .nest("/api/v1", v1)
        .nest("/api", legacy)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(api::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Starts the engine, serves HTTP on `listener` until `shutdown` resolves, then
/// saves the state and stops the engine.
pub async fn serve(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let engine = Engine::start(config.engine.clone()).await?;
    let state = AppState {
        engine: engine.clone(),
        config: Arc::new(config),
    };
    let app = router(state);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("listening on http://{addr}");
    }
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    engine.shutdown().await;
    result?;
    Ok(())
}
