//! The HTTP server of cloud-torrent: the JSON API under `/api/v1`, Cloud Torrent's
//! old text endpoints, and health checks.
//!
//! [`serve`] is what `main` and the integration tests run; [`router`] lists every route.

mod api;
mod error;
mod events;
mod files;
mod legacy;
mod live;
mod openapi;
mod search;
mod settings;
mod sse;
mod stats;
mod ui;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post, put};
use cloud_torrent_engine::{Engine, EngineConfig};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use error::{ApiError, ErrorBody};
pub use events::EventsConfig;
pub use live::Live;
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
    /// The config file that `PATCH /api/v1/config` writes (`None`: changes are not saved).
    pub config_file: Option<PathBuf>,
    /// Cadences of the live push (`GET /api/v1/events`).
    pub events: EventsConfig,
    /// The search providers file (`None`: search has no providers).
    pub search_config: Option<PathBuf>,
}

/// Shared by all handlers.
#[derive(Clone)]
pub struct AppState {
    /// The torrent engine.
    pub engine: Engine,
    /// The server's configuration.
    pub config: Arc<ServerConfig>,
    /// Live settings, statistics and the event hub of the web UI.
    pub live: Live,
    /// Torrent search over the configured providers.
    pub search: cloud_torrent_search::Searcher,
}

/// Every route of the server, with its layers.
pub fn router(state: AppState) -> Router {
    let hub = state.live.hub.clone();
    let v1 = Router::new()
        .route("/torrents", get(api::list_torrents).post(api::add_torrent))
        .route(
            "/torrents/{info_hash}",
            get(api::get_torrent).delete(api::delete_torrent),
        )
        .route("/torrents/{info_hash}/start", post(api::start_torrent))
        .route("/torrents/{info_hash}/stop", post(api::stop_torrent))
        .route("/torrents/{info_hash}/files", put(api::select_files))
        .route(
            "/torrents/{info_hash}/files/{index}/stream",
            get(files::stream),
        )
        .route("/torrents/{info_hash}/playlist.m3u", get(files::playlist))
        .route("/downloads", get(files::list_downloads))
        .route("/events", get(sse::events))
        .route("/stats", get(stats::get_stats))
        .route(
            "/config",
            get(settings::get_config).patch(settings::patch_config),
        )
        .route("/search", get(search::search))
        .route("/search/providers", get(search::providers))
        .route("/search/item", get(search::item))
        .route("/search/add", post(search::add))
        .route("/openapi.json", get(openapi::openapi_json));
    let legacy = Router::new()
        .route("/magnet", post(legacy::magnet))
        .route("/url", post(legacy::url))
        .route("/torrentfile", post(legacy::torrent_file))
        .route("/torrent", post(legacy::torrent_action))
        .route("/file", post(legacy::file_action));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(ui::asset))
        .route("/index.html", get(ui::asset))
        .route("/favicon.svg", get(ui::asset))
        .route("/css/{*path}", get(ui::asset))
        .route("/js/{*path}", get(ui::asset))
        .route(
            "/download/{*path}",
            get(files::download).delete(files::delete),
        )
        .nest("/api/v1", v1)
        .nest("/api", legacy)
        .fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            hub,
            sse::push_after_change,
        ))
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
    let search = cloud_torrent_search::Searcher::new(
        config.search_config.clone(),
        config.engine.allow_private_urls,
    )?;
    let engine = Engine::start(config.engine.clone()).await?;
    let live = Live::start(
        engine.clone(),
        config.title.clone(),
        config.config_file.clone(),
        config.events.clone(),
    );
    let state = AppState {
        engine: engine.clone(),
        config: Arc::new(config),
        live: live.clone(),
        search,
    };
    let app = router(state);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!("listening on http://{addr}");
    }
    // Event streams never end by themselves: end them when shutting down.
    let shutdown = async move {
        shutdown.await;
        live.hub.close();
    };
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    engine.shutdown().await;
    result?;
    Ok(())
}
