//! Options that can change while the engine runs, without touching running torrents.
//!
//! The rest of [`EngineConfig`] (folders, incoming port, DHT, upload) is fixed when
//! librqbit's session starts; changing those needs a restart.

use super::*;

/// The options of the engine that apply at once when changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveSettings {
    /// Keep uploading after the selected files are complete.
    pub seeding: bool,
    /// Start new torrents at once (else they are added stopped).
    pub auto_start: bool,
}

impl LiveSettings {
    /// The live part of a configuration.
    pub fn of(config: &EngineConfig) -> Self {
        LiveSettings {
            seeding: config.seeding,
            auto_start: config.auto_start,
        }
    }
}

/// A change to [`LiveSettings`]; `None` keeps a value as it is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SettingsUpdate {
    /// New value of [`LiveSettings::seeding`].
    pub seeding: Option<bool>,
    /// New value of [`LiveSettings::auto_start`].
    pub auto_start: Option<bool>,
}

impl Engine {
    /// The live options as they are now.
    pub fn settings(&self) -> LiveSettings {
        *self.inner.live.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes live options. Running torrents keep running; the seeding policy is
    /// applied at once (turning seeding off stops complete torrents, turning it on
    /// resumes them unless the user stopped them).
    pub async fn update_settings(&self, update: SettingsUpdate) -> LiveSettings {
        let now = {
            let mut live = self.inner.live.write().unwrap_or_else(|p| p.into_inner());
            if let Some(seeding) = update.seeding {
                live.seeding = seeding;
            }
            if let Some(auto_start) = update.auto_start {
                live.auto_start = auto_start;
            }
            *live
        };
        if self.tick().await {
            self.persist().await;
        }
        now
    }
}
