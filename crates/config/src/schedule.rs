//! The alternative speed schedule (setting `altSpeedSchedule`): on which days and
//! between which times of the server's local day the alternative limits apply.
//!
//! `{"enabled": true, "from": "08:00", "to": "20:00", "days": ["mon", …, "sun"]}`.
//! A period whose `from` is after its `to` wraps over midnight and belongs to the
//! day it starts on; `from` equal to `to` is the whole day. [`AltSpeedSchedule::active`]
//! is a pure function of the local weekday and time, so it is tested without waiting.

use serde_json::{Value, json};

use crate::SettingValue;

/// Day names in the order of [`AltSpeedSchedule::active`]'s `weekday` (Monday = 0).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// When the alternative speed limits apply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AltSpeedSchedule {
    /// Whether the schedule switches the alternative mode at all.
    pub enabled: bool,
    /// Start, in minutes after local midnight.
    pub from: u16,
    /// End, in minutes after local midnight.
    pub to: u16,
    /// The days a period may start on, Monday = bit 0.
    pub days: u8,
}

impl Default for AltSpeedSchedule {
    /// Off; when turned on, 08:00 to 20:00 every day.
    fn default() -> Self {
        AltSpeedSchedule {
            enabled: false,
            from: 8 * 60,
            to: 20 * 60,
            days: 0b111_1111,
        }
    }
}

impl AltSpeedSchedule {
    /// Whether a scheduled period covers `weekday` (Monday = 0) at `minute` after
    /// local midnight; `false` when the schedule is off.
    pub fn active(&self, weekday: u8, minute: u16) -> bool {
        if !self.enabled {
            return false;
        }
        let on = |day: u8| self.days & (1 << (day % 7)) != 0;
        let yesterday = (weekday + 6) % 7;
        match self.from.cmp(&self.to) {
            std::cmp::Ordering::Equal => on(weekday),
            std::cmp::Ordering::Less => on(weekday) && (self.from..self.to).contains(&minute),
            // Wraps over midnight: the evening of a listed day, or the morning after one.
            std::cmp::Ordering::Greater => {
                (on(weekday) && minute >= self.from) || (on(yesterday) && minute < self.to)
            }
        }
    }
}

fn parse_time(text: &str) -> Option<u16> {
    let (h, m) = text.trim().split_once(':')?;
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.trim().len() == 5).then_some(h * 60 + m)
}

fn show_time(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl SettingValue for AltSpeedSchedule {
    const JSON_TYPE: &'static str = "object";

    /// The JSON object as text (for an environment variable).
    fn from_text(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|e| format!("not a JSON object: {e}"))?;
        Self::from_json(&value)
    }

    fn from_json(value: &Value) -> Result<Self, String> {
        let object = value
            .as_object()
            .ok_or("must be an object {\"enabled\", \"from\", \"to\", \"days\"}")?;
        if let Some(other) = object
            .keys()
            .find(|k| !["enabled", "from", "to", "days"].contains(&k.as_str()))
        {
            return Err(format!(
                "unknown field {other:?}; expected enabled, from, to and days"
            ));
        }
        let mut schedule = AltSpeedSchedule::default();
        if let Some(enabled) = object.get("enabled") {
            schedule.enabled = enabled.as_bool().ok_or("enabled must be true or false")?;
        }
        for (key, slot) in [("from", &mut schedule.from), ("to", &mut schedule.to)] {
            if let Some(time) = object.get(key) {
                *slot = time
                    .as_str()
                    .and_then(parse_time)
                    .ok_or_else(|| format!("{key} must be a time \"HH:MM\" from 00:00 to 23:59"))?;
            }
        }
        if let Some(days) = object.get("days") {
            let names = days
                .as_array()
                .ok_or("days must be an array of mon, tue, wed, thu, fri, sat, sun")?;
            schedule.days = 0;
            for name in names {
                let day = name
                    .as_str()
                    .and_then(|n| DAYS.iter().position(|d| d.eq_ignore_ascii_case(n.trim())))
                    .ok_or_else(|| {
                        format!("days: {name} is not one of mon, tue, wed, thu, fri, sat, sun")
                    })?;
                schedule.days |= 1 << day;
            }
        }
        Ok(schedule)
    }

    fn to_json(&self) -> Value {
        let days: Vec<&str> = DAYS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.days & (1 << i) != 0)
            .map(|(_, d)| *d)
            .collect();
        json!({
            "enabled": self.enabled,
            "from": show_time(self.from),
            "to": show_time(self.to),
            "days": days,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schedule(from: &str, to: &str, days: &[&str]) -> AltSpeedSchedule {
        AltSpeedSchedule::from_json(&json!({"enabled": true, "from": from, "to": to, "days": days}))
            .unwrap()
    }

    const MON: u8 = 0;
    const FRI: u8 = 4;
    const SAT: u8 = 5;
    const SUN: u8 = 6;

    fn at(h: u16, m: u16) -> u16 {
        h * 60 + m
    }

    #[test]
    fn a_day_period_covers_its_hours_on_its_days() {
        let s = schedule("08:00", "20:00", &["mon", "fri"]);
        assert!(!s.active(MON, at(7, 59)));
        assert!(s.active(MON, at(8, 0)));
        assert!(s.active(MON, at(19, 59)));
        assert!(!s.active(MON, at(20, 0)));
        assert!(s.active(FRI, at(12, 0)));
        assert!(!s.active(SAT, at(12, 0)));
    }

    #[test]
    fn a_night_period_wraps_over_midnight_from_the_day_it_starts() {
        let s = schedule("22:30", "06:15", &["fri"]);
        assert!(!s.active(FRI, at(22, 29)));
        assert!(s.active(FRI, at(22, 30)));
        assert!(s.active(FRI, at(23, 59)));
        assert!(s.active(SAT, at(0, 0)));
        assert!(s.active(SAT, at(6, 14)));
        assert!(!s.active(SAT, at(6, 15)));
        // Friday morning belongs to Thursday's night, which is not listed.
        assert!(!s.active(FRI, at(3, 0)));
        // Sunday night wraps into Monday.
        let s = schedule("23:00", "01:00", &["sun"]);
        assert!(s.active(MON, at(0, 30)) && s.active(SUN, at(23, 30)));
        assert!(!s.active(MON, at(23, 30)));
    }

    #[test]
    fn equal_times_are_the_whole_day_and_off_is_never() {
        let s = schedule("00:00", "00:00", &["sun"]);
        assert!(s.active(SUN, 0) && s.active(SUN, at(23, 59)) && !s.active(MON, 0));
        let off = AltSpeedSchedule {
            enabled: false,
            ..schedule("00:00", "00:00", &["sun"])
        };
        assert!(!off.active(SUN, 0));
    }

    #[test]
    fn json_round_trips_and_bad_values_say_what_is_wrong() {
        let s = schedule("22:30", "06:15", &["sat", "SUN"]);
        assert_eq!(
            s.to_json(),
            json!({"enabled": true, "from": "22:30", "to": "06:15", "days": ["sat", "sun"]})
        );
        assert_eq!(AltSpeedSchedule::from_json(&s.to_json()).unwrap(), s);
        for (bad, says) in [
            (json!({"from": "24:00"}), "from must be"),
            (json!({"to": "7:00"}), "to must be"),
            (json!({"days": ["moon"]}), "days: \"moon\""),
            (json!({"enabled": "yes"}), "enabled must be"),
            (json!({"every": 1}), "unknown field \"every\""),
            (json!([1]), "must be an object"),
        ] {
            let err = AltSpeedSchedule::from_json(&bad).unwrap_err();
            assert!(err.contains(says), "{bad}: {err}");
        }
    }
}
