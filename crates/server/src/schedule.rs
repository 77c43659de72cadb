//! Follows the alternative speed schedule (`altSpeedSchedule`): at each edge of a
//! scheduled period it turns `altSpeed` on or off as `PATCH /api/v1/config` would
//! (saved, applied at once), so a change made by hand lasts until the next edge, as
//! in qBittorrent and Transmission. The schedule is read in the server's local time.

use std::time::Duration;

use chrono::{Datelike, Timelike};
use cloud_torrent_config::AltSpeedSchedule;
use serde_json::{Map, Value};

use crate::settings::LiveConfig;

/// How often the schedule is looked at.
const CHECK_EVERY: Duration = Duration::from_secs(5);

/// Remembers where the schedule was at the last look, to act only at its edges.
#[derive(Debug, Default)]
struct Follower {
    /// The schedule and whether it was in a period, at the last look.
    last: Option<(AltSpeedSchedule, bool)>,
}

impl Follower {
    /// What `altSpeed` becomes at `weekday` (Monday = 0) and `minute` after local
    /// midnight: `Some` at an edge, on the first look, and when the schedule itself
    /// changed; `None` otherwise and while the schedule is off.
    fn step(&mut self, schedule: &AltSpeedSchedule, weekday: u8, minute: u16) -> Option<bool> {
        if !schedule.enabled {
            self.last = None;
            return None;
        }
        let now = schedule.active(weekday, minute);
        let edge = self.last.as_ref() != Some(&(schedule.clone(), now));
        self.last = Some((schedule.clone(), now));
        edge.then_some(now)
    }
}

/// Follows the schedule of `config` until the server stops.
pub(crate) fn spawn(config: &LiveConfig) {
    let weak = config.downgrade();
    tokio::spawn(async move {
        let mut follower = Follower::default();
        let mut interval = tokio::time::interval(CHECK_EVERY);
        loop {
            interval.tick().await;
            let Some(config) = weak.upgrade() else {
                return;
            };
            let values = config.values();
            let now = chrono::Local::now();
            let weekday = u8::try_from(now.weekday().num_days_from_monday()).unwrap_or(0);
            let minute = u16::try_from(now.hour() * 60 + now.minute()).unwrap_or(0);
            let Some(alt) = follower.step(&values.alt_speed_schedule, weekday, minute) else {
                continue;
            };
            if alt == values.alt_speed {
                continue;
            }
            tracing::info!(alt, "the speed schedule switches the alternative limits");
            let change = Map::from_iter([("altSpeed".to_owned(), Value::Bool(alt))]);
            if let Err(e) = config.patch(&change).await {
                tracing::warn!("the speed schedule cannot switch the alternative limits: {e}");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use cloud_torrent_config::SettingValue;

    fn schedule(enabled: bool) -> AltSpeedSchedule {
        AltSpeedSchedule::from_json(&json!({
            "enabled": enabled, "from": "08:00", "to": "20:00", "days": ["mon"]
        }))
        .unwrap()
    }

    #[test]
    fn acts_on_the_first_look_and_at_edges_only() {
        let mut f = Follower::default();
        let s = schedule(true);
        assert_eq!(f.step(&s, 0, 7 * 60), Some(false));
        // Nothing between edges, so a change by hand stays.
        assert_eq!(f.step(&s, 0, 7 * 60 + 30), None);
        assert_eq!(f.step(&s, 0, 8 * 60), Some(true));
        assert_eq!(f.step(&s, 0, 12 * 60), None);
        assert_eq!(f.step(&s, 0, 20 * 60), Some(false));
        assert_eq!(f.step(&s, 1, 9 * 60), None);
    }

    #[test]
    fn a_changed_schedule_acts_at_once_and_an_off_one_never() {
        let mut f = Follower::default();
        assert_eq!(f.step(&schedule(true), 0, 9 * 60), Some(true));
        let mut later = schedule(true);
        later.from = 10 * 60;
        assert_eq!(f.step(&later, 0, 9 * 60), Some(false));
        assert_eq!(f.step(&schedule(false), 0, 9 * 60), None);
        assert_eq!(f.step(&schedule(false), 0, 12 * 60), None);
        // Turned on again: acts at once.
        assert_eq!(f.step(&schedule(true), 0, 12 * 60), Some(true));
    }
}
