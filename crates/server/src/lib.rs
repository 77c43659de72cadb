//! The HTTP server of cloud-torrent: the JSON API under `/api/v1`, Cloud Torrent's
//! old text endpoints, and health checks.
//!
//! [`serve`] is what `main` and the integration tests run; [`router`] lists every route.

// The JSON objects of qBittorrent's preferences hold more keys than serde_json's `json!`
// expands at the default depth.
#![recursion_limit = "256"]

mod api;
pub mod auth;
mod automation;
mod categories;
mod compat;
mod error;
mod events;
mod extract;
mod files;
mod legacy;
mod listen;
mod live;
mod notices;
mod openapi;
mod rss;
mod schedule;
mod search;
mod settings;
mod sse;
mod stats;
pub mod tls;
mod ui;
mod watch;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{MethodFilter, MethodRouter, on};
use cloud_torrent_config::ConfigValues;
use cloud_torrent_engine::{
    Engine, EngineConfig, LiveSettings, QueueLimits, SeedLimitAction, SeedLimits, SlowRule,
    SpeedLimits,
};
use cloud_torrent_outbound::{ClientOptions, OutboundClient};
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use auth::{Auth, Credentials, SecurityConfig};
pub use error::{ApiError, ErrorBody};
pub use events::EventsConfig;
pub use listen::ConnectionLimits;
pub use live::Live;
pub use openapi::ApiDoc;
pub use rss::RssTiming;
pub use tls::{TlsConfig, TlsError};

/// Largest request body: a .torrent (10 MiB) plus multipart framing.
const MAX_BODY_BYTES: usize = cloud_torrent_engine::MAX_TORRENT_BYTES + 64 * 1024;

/// What the server needs to run.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Every setting's value; folders absolute and `stateDir` set (see
    /// [`ServerConfig::engine_config`]).
    pub settings: ConfigValues,
    /// Keys of settings the API could change that were given by a flag or an
    /// environment variable. The API refuses to change them: the next start would undo it.
    pub command_line: Vec<String>,
    /// The config file that `PATCH /api/v1/config` writes (`None`: changes are not saved).
    pub config_file: Option<PathBuf>,
    /// Cadences of the live push (`GET /api/v1/events`).
    pub events: EventsConfig,
    /// Authentication, allowed host names and cross-site settings.
    pub security: SecurityConfig,
    /// Serve HTTPS (HTTP/2 and HTTP/1.1) with this certificate; `None`: plain HTTP.
    /// Under TLS the session cookie is `Secure` ([`SecurityConfig::tls`] is set).
    pub tls: Option<TlsConfig>,
    /// Connection caps and timeouts, from the settings (`maxConnections`,
    /// `maxConnectionsPerAddress`, `requestTimeout`, `idleTimeout`) and the HTTP/2
    /// keep-alive constants of [`listen`], which tests may shorten.
    pub limits: ConnectionLimits,
    /// The cadences of RSS (fetch timeout, download retries), which tests may shorten.
    pub rss: RssTiming,
    /// How long a start hands saved torrents back to the engine before the server
    /// answers (see `EngineConfig::restore_before_start`), which tests may shorten.
    pub restore_before_start: std::time::Duration,
}

impl ServerConfig {
    /// A server with these settings: changes not saved, default cadences, no login,
    /// plain HTTP, default connection limits.
    pub fn new(settings: ConfigValues) -> Self {
        ServerConfig {
            command_line: Vec::new(),
            config_file: None,
            events: EventsConfig::default(),
            security: SecurityConfig::of(&settings),
            tls: None,
            limits: ConnectionLimits::of(&settings),
            rss: RssTiming::default(),
            restore_before_start: std::time::Duration::from_secs(1),
            settings,
        }
    }

    /// The engine's options, from the settings.
    pub fn engine_config(&self) -> EngineConfig {
        let v = &self.settings;
        let state_dir = v
            .state_dir
            .clone()
            .unwrap_or_else(|| v.download_dir.with_file_name(".cloud-torrent-state"));
        let mut engine = EngineConfig::new(v.download_dir.clone(), state_dir);
        engine.download_root = v.download_root.clone();
        engine.incoming_port = v.incoming_port;
        engine.listen_ip = v.incoming_host;
        engine.dht = v.dht;
        engine.lsd = v.dht;
        engine.live = live_settings(v);
        engine.upload = v.upload;
        engine.max_files_per_torrent =
            usize::try_from(v.max_files_per_torrent).unwrap_or(usize::MAX);
        engine.restore_before_start = self.restore_before_start;
        engine.dormant_after =
            (v.dormant_after > 0).then(|| std::time::Duration::from_secs(v.dormant_after));
        engine.dormant_port = v.dormant_port;
        engine
    }
}

/// The engine's live options the settings ask for (applied at start and by
/// `PATCH /api/v1/config`).
pub fn live_settings(v: &ConfigValues) -> LiveSettings {
    let minutes = |m: Option<u64>| m.map(|m| std::time::Duration::from_secs(m.saturating_mul(60)));
    let speed = if v.alt_speed {
        SpeedLimits {
            download: v.alt_download_limit,
            upload: v.alt_upload_limit,
            alt: true,
        }
    } else {
        SpeedLimits {
            download: v.download_limit,
            upload: v.upload_limit,
            alt: false,
        }
    };
    let limit = |n: i64| usize::try_from(n).ok();
    let queue = QueueLimits {
        enabled: v.queueing,
        max_downloads: limit(v.max_active_downloads),
        max_seeds: limit(v.max_active_seeds),
        max_total: limit(v.max_active_torrents),
        slow: v.slow_torrents_exempt.then(|| SlowRule {
            download_rate: v.slow_download_rate,
            upload_rate: v.slow_upload_rate,
            after: std::time::Duration::from_secs(v.slow_torrent_time),
        }),
    };
    LiveSettings {
        queue,
        speed,
        incomplete_dir: v.incomplete_dir.clone().filter(|d| !d.trim().is_empty()),
        seeding: v.seeding,
        auto_start: v.auto_start,
        seed_limits: SeedLimits {
            ratio: v.seed_ratio_limit,
            seeding_time: minutes(v.seed_time_limit),
            idle_time: minutes(v.seed_idle_limit),
            // The setting's check accepts only the names `parse` knows.
            action: SeedLimitAction::parse(&v.seed_limit_action).unwrap_or_default(),
        },
    }
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
    /// Sessions and failed-login counters.
    pub auth: Auth,
    /// RSS feeds, rules and their downloads.
    pub rss: rss::Rss,
    /// What `sync/maindata` of qBittorrent's API last sent each client.
    pub qbittorrent: Arc<compat::qbittorrent::Sync>,
    /// What Transmission's RPC keeps between calls (its session id, recent removals).
    pub transmission: Arc<compat::transmission::registry::Registry>,
}

/// Declares every route once: [`route_table`] lists them and [`router`] registers them.
macro_rules! routes {
    ($($method:ident $path:literal => $handler:expr,)*) => {
        /// Every route of the server as (method, path), exactly as [`router`] registers them.
        /// Tests iterate over it (e.g. to prove that each one requires a login).
        pub fn route_table() -> &'static [(&'static str, &'static str)] {
            &[$((stringify!($method), $path)),*]
        }

        fn method_routers() -> Vec<(&'static str, MethodRouter<AppState>)> {
            vec![$(($path, on(MethodFilter::$method, $handler))),*]
        }
    };
}

routes! {
    GET "/healthz" => || async { "ok" },
    GET "/login" => ui::login_page,
    GET "/login.js" => ui::login_script,
    POST "/api/v1/login" => auth::login,
    POST "/api/v1/logout" => auth::logout,
    GET "/" => ui::asset,
    GET "/index.html" => ui::asset,
    GET "/favicon.svg" => ui::asset,
    GET "/manifest.webmanifest" => ui::asset,
    GET "/icons/{*path}" => ui::asset,
    GET "/css/{*path}" => ui::asset,
    GET "/js/{*path}" => ui::asset,
    GET "/download/{*path}" => files::download,
    DELETE "/download/{*path}" => files::delete,
    GET "/api/v1/torrents" => api::list_torrents,
    POST "/api/v1/torrents" => api::add_torrent,
    GET "/api/v1/torrents/{info_hash}" => api::get_torrent,
    PATCH "/api/v1/torrents/{info_hash}" => api::update_torrent,
    DELETE "/api/v1/torrents/{info_hash}" => api::delete_torrent,
    POST "/api/v1/torrents/{info_hash}/start" => api::start_torrent,
    POST "/api/v1/torrents/{info_hash}/stop" => api::stop_torrent,
    POST "/api/v1/torrents/{info_hash}/recheck" => api::recheck_torrent,
    POST "/api/v1/torrents/{info_hash}/reannounce" => api::reannounce_torrent,
    GET "/api/v1/torrents/{info_hash}/peers" => api::peers,
    GET "/api/v1/torrents/{info_hash}/trackers" => api::trackers,
    PUT "/api/v1/torrents/{info_hash}/trackers" => api::set_trackers,
    POST "/api/v1/torrents/{info_hash}/queue" => api::move_in_queue,
    GET "/api/v1/torrents/{info_hash}/pieces" => api::pieces,
    GET "/api/v1/torrents/{info_hash}/torrent" => api::torrent_file,
    PUT "/api/v1/torrents/{info_hash}/files" => api::select_files,
    GET "/api/v1/torrents/{info_hash}/files/{index}/stream" => files::stream,
    GET "/api/v1/torrents/{info_hash}/playlist.m3u" => files::playlist,
    GET "/api/v1/categories" => categories::list,
    PUT "/api/v1/categories/{*name}" => categories::put,
    DELETE "/api/v1/categories/{*name}" => categories::delete,
    GET "/api/v1/tags" => categories::tags,
    GET "/api/v1/notices" => notices::list,
    GET "/api/v1/event-runs" => automation::runs,
    GET "/api/v1/webhooks" => automation::webhooks,
    POST "/api/v1/webhooks/{index}/test" => automation::test_webhook,
    GET "/api/v1/rss/feeds" => rss::feeds,
    POST "/api/v1/rss/feeds" => rss::add_feed,
    PATCH "/api/v1/rss/feeds/{id}" => rss::update_feed,
    DELETE "/api/v1/rss/feeds/{id}" => rss::delete_feed,
    POST "/api/v1/rss/feeds/{id}/refresh" => rss::refresh_feed,
    GET "/api/v1/rss/feeds/{id}/articles" => rss::articles,
    POST "/api/v1/rss/feeds/{id}/articles/{article}/download" => rss::download_article,
    GET "/api/v1/rss/rules" => rss::rules,
    GET "/api/v1/rss/rules/{name}" => rss::rule,
    PUT "/api/v1/rss/rules/{name}" => rss::put_rule,
    DELETE "/api/v1/rss/rules/{name}" => rss::delete_rule,
    POST "/api/v1/rss/rules/{name}/apply" => rss::apply_rule,
    POST "/api/v1/rss/preview" => rss::preview,
    GET "/api/v1/downloads" => files::list_downloads,
    GET "/api/v1/events" => sse::events,
    GET "/api/v1/stats" => stats::get_stats,
    GET "/api/v1/config" => settings::get_config,
    PATCH "/api/v1/config" => settings::patch_config,
    GET "/api/v1/search" => search::search,
    GET "/api/v1/search/providers" => search::providers,
    GET "/api/v1/search/item" => search::item,
    POST "/api/v1/search/add" => search::add,
    GET "/api/v1/openapi.json" => openapi::openapi_json,
    GET "/api/v2/{scope}/{action}" => compat::qbittorrent::dispatch,
    POST "/api/v2/{scope}/{action}" => compat::qbittorrent::dispatch,
    GET "/transmission/rpc" => compat::transmission::rpc,
    POST "/transmission/rpc" => compat::transmission::rpc,
    OPTIONS "/transmission/rpc" => compat::transmission::rpc,
    GET "/transmission/rpc/" => compat::transmission::rpc,
    POST "/transmission/rpc/" => compat::transmission::rpc,
    OPTIONS "/transmission/rpc/" => compat::transmission::rpc,
    POST "/api/magnet" => legacy::magnet,
    POST "/api/url" => legacy::url,
    POST "/api/torrentfile" => legacy::torrent_file,
    POST "/api/torrent" => legacy::torrent_action,
    POST "/api/file" => legacy::file_action,
}

/// Every route of the server (see [`route_table`]), with its layers. [`auth::guard`]
/// wraps the whole router, so a route is protected even if added some other way.
pub fn router(state: AppState) -> Router {
    let hub = state.live.hub.clone();
    let auth = state.auth.clone();
    let mut app = Router::new();
    for (path, route) in method_routers() {
        app = app.route(path, route);
    }
    app.fallback(api::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            hub,
            sse::push_after_change,
        ))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(auth, auth::guard))
        .layer(CatchPanicLayer::custom(api::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Starts the engine, serves HTTP on `listener` (HTTPS when [`ServerConfig::tls`] is
/// set) through [`listen::serve`] until `shutdown` resolves, then saves the state and
/// stops the engine.
pub async fn serve(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The one client of every server-side fetch (.torrent URLs, search providers).
    let outbound = OutboundClient::new(ClientOptions {
        allow_private: config.settings.allow_private_urls,
        proxy: None,
    })?;
    let search = cloud_torrent_search::Searcher::new(
        config.settings.search_config.clone(),
        outbound.clone(),
    )?;
    let engine = Engine::start(config.engine_config(), outbound.clone()).await?;
    let live = Live::start(engine.clone(), &config, outbound.clone());
    let rss = rss::Rss::start(
        &config.engine_config().state_dir,
        engine.clone(),
        outbound,
        live.settings.clone(),
        config.rss.clone(),
    );
    let mut config_security = config.security.clone();
    config_security.tls |= config.tls.is_some();
    let tls = config.tls.as_ref().map(TlsConfig::acceptor);
    let limits = config.limits;
    let ip = listener.local_addr()?.ip();
    let extras = compat::extra_listeners(&config, ip).await?;
    if config_security.credentials.is_none() {
        tracing::info!("authentication is off");
    }
    let state = AppState {
        engine: engine.clone(),
        config: Arc::new(config),
        live: live.clone(),
        search,
        auth: Auth::new(config_security),
        rss,
        qbittorrent: Arc::default(),
        transmission: compat::transmission::registry::Registry::start(&engine),
    };
    if let Ok(addr) = listener.local_addr() {
        let scheme = if tls.is_some() { "https" } else { "http" };
        tracing::info!("listening on {scheme}://{addr}");
    }
    let app = router(state);
    // Event streams never end by themselves: end them when shutting down, and stop
    // the extra listeners with the main one.
    let stopping = tokio_util::sync::CancellationToken::new();
    let mut extra = Vec::new();
    for compat::ExtraListener { listener, prefix } in extras {
        if let Ok(addr) = listener.local_addr() {
            tracing::info!("listening on {addr} for {prefix} only");
        }
        extra.push(tokio::spawn(listen::serve(
            listener,
            tls.clone(),
            compat::only(app.clone(), prefix),
            limits,
            stopping.clone().cancelled_owned(),
        )));
    }
    let shutdown = {
        let stopping = stopping.clone();
        async move {
            shutdown.await;
            stopping.cancel();
            live.hub.close();
        }
    };
    listen::serve(listener, tls, app, limits, shutdown).await;
    for task in extra {
        let _ = task.await;
    }
    engine.shutdown().await;
    Ok(())
}
