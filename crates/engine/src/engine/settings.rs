//! Options that can change while the engine runs, without touching running torrents.
//!
//! The rest of [`EngineConfig`] (folders, incoming port, DHT, upload) is fixed when
//! librqbit's session starts; changing those needs a restart.

use std::num::NonZeroU32;

use super::*;
use crate::SeedLimits;

/// The options of the engine that apply at once when changed.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveSettings {
    /// Keep uploading after the selected files are complete.
    pub seeding: bool,
    /// Start new torrents at once (else they are added stopped).
    pub auto_start: bool,
    /// When complete torrents stop seeding (each torrent may override them).
    pub seed_limits: SeedLimits,
    /// The global speed limits in force.
    pub speed: SpeedLimits,
    /// How many torrents may run at once.
    pub queue: crate::QueueLimits,
    /// Where torrents download before they move to their final folder, as the
    /// user wrote it (see [`crate::SavePaths::parse`]); `None`: in place.
    pub incomplete_dir: Option<String>,
}

/// The global speed limits in force, in bytes per second (0: unlimited).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SpeedLimits {
    pub download: u64,
    pub upload: u64,
    /// These are the alternative ("turtle") limits.
    pub alt: bool,
}

/// The smallest limit librqbit's limiter can take: it takes each 16 KiB block
/// whole from a bucket that holds one second of the limit, and fails the
/// transfer when a block cannot fit.
pub const MIN_ENGINE_LIMIT: u64 = 16 * 1024;

/// A limit as librqbit's limiter takes it: `None` for unlimited, at least
/// [`MIN_ENGINE_LIMIT`].
pub(super) fn engine_limit(bytes_per_second: u64) -> Option<NonZeroU32> {
    if bytes_per_second == 0 {
        return None;
    }
    let clamped = bytes_per_second.clamp(MIN_ENGINE_LIMIT, u64::from(u32::MAX));
    NonZeroU32::new(u32::try_from(clamped).unwrap_or(u32::MAX))
}

impl Default for LiveSettings {
    /// Seeding and starting new torrents at once, with no limits.
    fn default() -> Self {
        LiveSettings {
            seeding: true,
            auto_start: true,
            seed_limits: SeedLimits::default(),
            speed: SpeedLimits::default(),
            queue: crate::QueueLimits::default(),
            incomplete_dir: None,
        }
    }
}

impl Engine {
    /// The live options as they are now.
    pub fn settings(&self) -> LiveSettings {
        self.inner
            .live
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Sets librqbit's session-wide limiters to `speed` (they change at once, for
    /// running torrents too).
    pub(super) fn apply_speed(&self, speed: SpeedLimits) {
        let limits = &self.inner.session.ratelimits;
        limits.set_download_bps(engine_limit(speed.download));
        limits.set_upload_bps(engine_limit(speed.upload));
    }

    /// Replaces the live options. Running torrents keep running; the seeding policy
    /// and limits are applied at once (turning seeding off stops complete torrents,
    /// turning it on resumes them unless the user stopped them).
    pub async fn update_settings(&self, settings: LiveSettings) -> LiveSettings {
        self.apply_speed(settings.speed);
        *self.inner.live.write().unwrap_or_else(|p| p.into_inner()) = settings.clone();
        // The new settings may have something for every torrent to do.
        for entry in self.lock().values_mut() {
            entry.quiet = false;
        }
        if self.tick().await {
            self.persist().await;
        }
        settings
    }
}
