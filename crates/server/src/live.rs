//! What the web UI needs besides the torrent API: live settings, statistics and the
//! event hub, created together when the server starts.

use cloud_torrent_engine::Engine;
use cloud_torrent_hooks::{Hooks, Programs, Webhooks};
use cloud_torrent_outbound::OutboundClient;

use crate::ServerConfig;
use crate::events::Hub;
use crate::notices::Notices;
use crate::settings::LiveConfig;
use crate::stats::Stats;

/// Live settings, statistics and the event hub. Cheap to clone.
#[derive(Clone)]
pub struct Live {
    /// `GET`/`PATCH /api/v1/config`.
    pub settings: LiveConfig,
    /// `GET /api/v1/stats`.
    pub stats: Stats,
    /// `GET /api/v1/events`.
    pub hub: Hub,
    /// `GET /api/v1/notices`.
    pub notices: Notices,
    /// Event programs and webhooks (`GET /api/v1/event-runs`, `/api/v1/webhooks`).
    pub hooks: Hooks,
}

impl Live {
    /// Creates them and starts the hub's producer task, the watch folders and the
    /// hooks (needs a Tokio runtime). Webhooks are sent with `outbound`.
    pub fn start(engine: Engine, config: &ServerConfig, outbound: OutboundClient) -> Live {
        let settings = LiveConfig::new(
            engine.clone(),
            config.settings.clone(),
            config.config_file.clone(),
            config.command_line.clone(),
        );
        let stats = Stats::new(engine.clone());
        let notices = Notices::default();
        let hub = Hub::new(
            engine.clone(),
            settings.clone(),
            stats.clone(),
            notices.clone(),
            config.events.clone(),
        );
        hub.spawn();
        crate::schedule::spawn(&settings);
        crate::watch::spawn(&settings, engine.clone(), notices.clone());
        let hooks = Hooks {
            programs: Programs::new(
                config.settings.event_programs.clone(),
                crate::automation::PROGRAMS_AT_ONCE,
            ),
            webhooks: Webhooks::new(outbound, config.settings.webhooks.clone()),
        };
        crate::automation::spawn(&engine, hooks.clone(), &settings, notices.clone());
        Live {
            settings,
            stats,
            hub,
            notices,
            hooks,
        }
    }
}
