//! Seeding rules: when a complete torrent has shared enough.
//!
//! Global limits ([`SeedLimits`], from the settings) and each torrent's own
//! ([`TorrentSeedLimits`]: `None` follows the global value, `-1` means no limit for
//! this torrent). Whichever limit is reached first acts ([`SeedLimitAction`]).
//! [`limit_reached`] is a pure function of the counters and the time, so the rules
//! are tested without waiting.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::counters::Counters;

/// What happens to a torrent that reaches a seeding limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum SeedLimitAction {
    /// Stop it (state `completed`, `seedLimitReached`): what download managers such
    /// as Sonarr wait for before removing it themselves.
    #[default]
    Stop,
    /// Remove it, keeping its files.
    Remove,
    /// Remove it and its files.
    RemoveWithData,
}

impl SeedLimitAction {
    /// The action named `name` (`stop`, `remove`, `removeWithData`).
    pub fn parse(name: &str) -> Option<SeedLimitAction> {
        match name {
            "stop" => Some(SeedLimitAction::Stop),
            "remove" => Some(SeedLimitAction::Remove),
            "removeWithData" => Some(SeedLimitAction::RemoveWithData),
            _ => None,
        }
    }
}

/// The global seeding limits (`None`: no limit).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct SeedLimits {
    /// Share ratio (see [`Counters::ratio`]).
    pub ratio: Option<f64>,
    /// Time spent seeding.
    pub seeding_time: Option<Duration>,
    /// Time since payload was last sent or received.
    pub idle_time: Option<Duration>,
    /// What to do when one is reached.
    pub action: SeedLimitAction,
}

/// One torrent's seeding limits: `None` follows the global value, `-1` is no limit
/// for this torrent; times in minutes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TorrentSeedLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seeding_minutes: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_minutes: Option<i64>,
}

impl TorrentSeedLimits {
    /// Whether these are all "follow the global value".
    pub fn is_default(&self) -> bool {
        *self == TorrentSeedLimits::default()
    }

    /// These limits with every negative value (no limit) written as -1.
    pub fn normalized(self) -> TorrentSeedLimits {
        let minutes = |m: Option<i64>| m.map(|m| m.max(-1));
        TorrentSeedLimits {
            ratio: self.ratio.map(|r| if r < 0.0 { -1.0 } else { r }),
            seeding_minutes: minutes(self.seeding_minutes),
            idle_minutes: minutes(self.idle_minutes),
        }
    }

    /// Checks the values: a finite ratio (JSON has no other, but a query string may).
    pub fn check(&self) -> Result<(), String> {
        match self.ratio {
            Some(r) if !r.is_finite() => Err(format!(
                "seedRatioLimit {r}: use a ratio of 0 or more, -1 for no limit, or null for the global limit"
            )),
            _ => Ok(()),
        }
    }

    /// The limits that apply: these over `global`.
    pub fn over(&self, global: &SeedLimits) -> SeedLimits {
        let minutes = |own: Option<i64>, global: Option<Duration>| match own {
            None => global,
            Some(m) if m < 0 => None,
            Some(m) => Some(Duration::from_secs(m.unsigned_abs().saturating_mul(60))),
        };
        SeedLimits {
            ratio: match self.ratio {
                None => global.ratio,
                Some(r) if r < 0.0 => None,
                Some(r) => Some(r),
            },
            seeding_time: minutes(self.seeding_minutes, global.seeding_time),
            idle_time: minutes(self.idle_minutes, global.idle_time),
            action: global.action,
        }
    }
}

/// Whether a complete torrent with `counters` (and `verified` bytes) has reached
/// one of `limits` at `now`. Idle time counts from the last transfer, or from
/// `since` (when it completed) if it never transferred anything.
pub fn limit_reached(
    limits: &SeedLimits,
    counters: &Counters,
    verified: u64,
    since: OffsetDateTime,
    now: OffsetDateTime,
) -> bool {
    if limits.ratio.is_some_and(|r| counters.ratio(verified) >= r) {
        return true;
    }
    if limits
        .seeding_time
        .is_some_and(|t| Duration::from_millis(counters.seeding_ms_at(now)) >= t)
    {
        return true;
    }
    if let Some(idle) = limits.idle_time {
        let last = counters.last_activity.unwrap_or(since).max(since);
        let quiet = now - last;
        if quiet >= time::Duration::try_from(idle).unwrap_or(time::Duration::MAX) {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn at(seconds: i64) -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH + time::Duration::seconds(seconds)
    }

    fn counters(downloaded: u64, uploaded: u64, seeding_secs: u64, last: Option<i64>) -> Counters {
        Counters {
            downloaded,
            uploaded,
            seeding_ms: seeding_secs * 1000,
            active_ms: seeding_secs * 1000,
            last_activity: last.map(at),
            ..Counters::default()
        }
    }

    #[test]
    fn no_limits_never_act() {
        let c = counters(MIB, 100 * MIB, 1_000_000, Some(0));
        assert!(!limit_reached(
            &SeedLimits::default(),
            &c,
            MIB,
            at(0),
            at(1_000_000)
        ));
    }

    #[test]
    fn each_limit_acts_alone_when_reached() {
        let ratio = SeedLimits {
            ratio: Some(2.0),
            ..SeedLimits::default()
        };
        assert!(!limit_reached(
            &ratio,
            &counters(MIB, 2 * MIB - 1, 0, None),
            MIB,
            at(0),
            at(0)
        ));
        assert!(limit_reached(
            &ratio,
            &counters(MIB, 2 * MIB, 0, None),
            MIB,
            at(0),
            at(0)
        ));

        let time = SeedLimits {
            seeding_time: Some(Duration::from_secs(600)),
            ..SeedLimits::default()
        };
        assert!(!limit_reached(
            &time,
            &counters(MIB, 0, 599, None),
            MIB,
            at(0),
            at(0)
        ));
        assert!(limit_reached(
            &time,
            &counters(MIB, 0, 600, None),
            MIB,
            at(0),
            at(0)
        ));

        let idle = SeedLimits {
            idle_time: Some(Duration::from_secs(300)),
            ..SeedLimits::default()
        };
        // Last transfer at 1000 s: idle from then.
        let c = counters(MIB, 0, 0, Some(1000));
        assert!(!limit_reached(&idle, &c, MIB, at(500), at(1299)));
        assert!(limit_reached(&idle, &c, MIB, at(500), at(1300)));
        // Never transferred: idle since it completed.
        let c = counters(0, 0, 0, None);
        assert!(!limit_reached(&idle, &c, MIB, at(2000), at(2299)));
        assert!(limit_reached(&idle, &c, MIB, at(2000), at(2300)));
        // The download's last bytes came before it completed: idle from completion.
        let c = counters(MIB, 0, 0, Some(1000));
        assert!(!limit_reached(&idle, &c, MIB, at(2000), at(2299)));
    }

    #[test]
    fn torrent_values_override_or_follow_the_global_ones() {
        let global = SeedLimits {
            ratio: Some(1.0),
            seeding_time: Some(Duration::from_secs(3600)),
            idle_time: None,
            action: SeedLimitAction::Remove,
        };
        let follow = TorrentSeedLimits::default().over(&global);
        assert_eq!(follow, global);
        let own = TorrentSeedLimits {
            ratio: Some(-1.0),
            seeding_minutes: Some(5),
            idle_minutes: Some(-1),
        }
        .over(&global);
        assert_eq!(own.ratio, None);
        assert_eq!(own.seeding_time, Some(Duration::from_secs(300)));
        assert_eq!(own.idle_time, None);
        assert_eq!(own.action, SeedLimitAction::Remove);
        let zero = TorrentSeedLimits {
            ratio: Some(0.0),
            ..TorrentSeedLimits::default()
        }
        .over(&SeedLimits::default());
        assert!(limit_reached(
            &zero,
            &counters(0, 0, 0, None),
            0,
            at(0),
            at(0)
        ));
    }

    #[test]
    fn any_negative_value_is_no_limit_and_a_ratio_must_be_finite() {
        let n = TorrentSeedLimits {
            ratio: Some(-0.5),
            seeding_minutes: Some(-431),
            idle_minutes: Some(i64::MIN),
        }
        .normalized();
        assert_eq!(
            n,
            TorrentSeedLimits {
                ratio: Some(-1.0),
                seeding_minutes: Some(-1),
                idle_minutes: Some(-1),
            }
        );
        let err = TorrentSeedLimits {
            ratio: Some(f64::NAN),
            ..Default::default()
        }
        .check()
        .unwrap_err();
        assert!(err.starts_with("seedRatioLimit"), "{err}");
        // A huge number of minutes does not overflow.
        let huge = TorrentSeedLimits {
            seeding_minutes: Some(i64::MAX),
            ..Default::default()
        }
        .over(&SeedLimits::default());
        assert!(huge.seeding_time.is_some());
    }
}
