//! Options that can change while the engine runs, without touching running torrents.
//!
//! The rest of [`EngineConfig`] (folders, incoming port, DHT, upload) is fixed when
//! librqbit's session starts; changing those needs a restart.

use super::*;
use crate::SeedLimits;

/// The options of the engine that apply at once when changed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiveSettings {
    /// Keep uploading after the selected files are complete.
    pub seeding: bool,
    /// Start new torrents at once (else they are added stopped).
    pub auto_start: bool,
    /// When complete torrents stop seeding (each torrent may override them).
    pub seed_limits: SeedLimits,
}

impl LiveSettings {
    /// The live part of a configuration.
    pub fn of(config: &EngineConfig) -> Self {
        LiveSettings {
            seeding: config.seeding,
            auto_start: config.auto_start,
            seed_limits: config.seed_limits,
        }
    }
}

impl Engine {
    /// The live options as they are now.
    pub fn settings(&self) -> LiveSettings {
        *self.inner.live.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the live options. Running torrents keep running; the seeding policy
    /// and limits are applied at once (turning seeding off stops complete torrents,
    /// turning it on resumes them unless the user stopped them).
    pub async fn update_settings(&self, settings: LiveSettings) -> LiveSettings {
        *self.inner.live.write().unwrap_or_else(|p| p.into_inner()) = settings;
        if self.tick().await {
            self.persist().await;
        }
        settings
    }
}
