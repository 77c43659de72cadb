//! The session methods: `session-get` (our settings under Transmission's names),
//! `session-set` (those names written back through [`crate::settings::LiveConfig`]),
//! `session-stats`, `free-space`, `port-test` and `blocklist-update`.
//!
//! Speeds are kB/s (1000 bytes); our limits are bytes per second with 0 for none, so
//! a limit Transmission keeps while it is off cannot be kept here: turning one off
//! sets ours to 0, and a new value while it is off is ignored.

use std::path::Path;

use cloud_torrent_config::ConfigValues;
use cloud_torrent_config::schedule::DAYS;
use serde_json::{Map, Value, json};

use super::CallResult;
use super::args::{self, Args};
use super::fields::{DEFAULT_IDLE_MINUTES, DEFAULT_RATIO, PEER_LIMIT, Status, absolute_dir};
use super::registry::Registry;
use crate::AppState;

/// Transmission's version as clients parse it (Sonarr wants ≥ 2.40, labels from 4.0).
pub(super) const VERSION: &str = "4.0.6 (cloudtorrent)";
pub(super) const RPC_VERSION: u32 = 17;
pub(super) const RPC_VERSION_MINIMUM: u32 = 14;
pub(super) const RPC_VERSION_SEMVER: &str = "5.3.0";

/// `session-get`: every key, or only those of `fields` when given.
pub(super) fn get(state: &AppState, registry: &Registry, args: &Args) -> Map<String, Value> {
    let all = session(state, registry);
    match args::strings(args, "fields") {
        Some(fields) if !fields.is_empty() => all
            .into_iter()
            .filter(|(key, _)| fields.iter().any(|f| f == key))
            .collect(),
        _ => all,
    }
}

/// Our values under Transmission's keys.
fn session(state: &AppState, registry: &Registry) -> Map<String, Value> {
    let v = state.live.settings.values();
    let paths = state.engine.save_paths();
    let download_dir = absolute_dir(paths, "");
    let incomplete_dir = v
        .incomplete_dir
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .and_then(|d| paths.parse(d).ok())
        .map(|relative| paths.absolute(&relative));
    let kb = |bytes: u64| bytes / 1000;
    let schedule = &v.alt_speed_schedule;
    let peer_port = state
        .engine
        .listen_addr()
        .map_or(v.incoming_port, |a| a.port());
    let json = json!({
        "alt-speed-down": kb(v.alt_download_limit),
        "alt-speed-up": kb(v.alt_upload_limit),
        "alt-speed-enabled": v.alt_speed,
        "alt-speed-time-enabled": schedule.enabled,
        "alt-speed-time-begin": schedule.from,
        "alt-speed-time-end": schedule.to,
        "alt-speed-time-day": transmission_days(schedule.days),
        "blocklist-enabled": false,
        "blocklist-size": 0,
        "blocklist-url": "",
        "cache-size-mb": 4,
        "config-dir": "",
        "default-trackers": "",
        "dht-enabled": v.dht,
        "download-dir": download_dir,
        "download-dir-free-space": crate::stats::disk_of(Path::new(&download_dir)).0,
        "download-queue-enabled": v.queueing && v.max_active_downloads >= 0,
        "download-queue-size": v.max_active_downloads.max(0),
        "encryption": "preferred",
        "idle-seeding-limit-enabled": v.seed_idle_limit.is_some(),
        "idle-seeding-limit": v.seed_idle_limit.unwrap_or(DEFAULT_IDLE_MINUTES),
        "incomplete-dir-enabled": incomplete_dir.is_some(),
        "incomplete-dir": incomplete_dir
            .map_or_else(|| download_dir.clone(), |d| d.to_string_lossy().into_owned()),
        "lpd-enabled": v.dht,
        "peer-limit-global": 200,
        "peer-limit-per-torrent": PEER_LIMIT,
        "peer-port": peer_port,
        "peer-port-random-on-start": false,
        "pex-enabled": true,
        "port-forwarding-enabled": false,
        "queue-stalled-enabled": v.slow_torrents_exempt,
        "queue-stalled-minutes": v.slow_torrent_time.div_ceil(60),
        "rename-partial-files": false,
        "rpc-version": RPC_VERSION,
        "rpc-version-minimum": RPC_VERSION_MINIMUM,
        "rpc-version-semver": RPC_VERSION_SEMVER,
        "script-torrent-added-enabled": false,
        "script-torrent-added-filename": "",
        "script-torrent-done-enabled": false,
        "script-torrent-done-filename": "",
        "script-torrent-done-seeding-enabled": false,
        "script-torrent-done-seeding-filename": "",
        "seed-queue-enabled": v.queueing && v.max_active_seeds >= 0,
        "seed-queue-size": v.max_active_seeds.max(0),
        "seedRatioLimit": v.seed_ratio_limit.unwrap_or(DEFAULT_RATIO),
        "seedRatioLimited": v.seed_ratio_limit.is_some(),
        "session-id": registry.session_id(),
        "speed-limit-down-enabled": v.download_limit > 0,
        "speed-limit-down": kb(v.download_limit),
        "speed-limit-up-enabled": v.upload_limit > 0,
        "speed-limit-up": kb(v.upload_limit),
        "start-added-torrents": v.auto_start,
        "trash-original-torrent-files": false,
        "units": {
            "speed-units": ["kB/s", "MB/s", "GB/s", "TB/s"],
            "speed-bytes": 1000,
            "size-units": ["kB", "MB", "GB", "TB"],
            "size-bytes": 1000,
            "memory-units": ["KiB", "MiB", "GiB", "TiB"],
            "memory-bytes": 1024,
        },
        "utp-enabled": true,
        "version": VERSION,
    });
    match json {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// Our weekdays (bit 0 Monday … bit 6 Sunday) as Transmission's (1 Sunday, 2 Monday
/// … 64 Saturday).
fn transmission_days(ours: u8) -> u8 {
    (0..7)
        .filter(|day| ours & (1 << day) != 0)
        .map(|day| 1 << ((day + 1) % 7))
        .fold(0, |all, bit| all | bit)
}

/// Transmission's weekdays as our day names.
fn our_days(transmission: u8) -> Vec<&'static str> {
    (0..7)
        .filter(|day| transmission & (1 << ((day + 1) % 7)) != 0)
        .map(|day| DAYS[day])
        .collect()
}

/// A limit with its on/off switch, in bytes per second (0: none), or `None` to keep
/// `current`.
pub(super) fn switched_limit(
    enabled: Option<bool>,
    value: Option<u64>,
    current: u64,
) -> Option<u64> {
    match (enabled, value) {
        (Some(false), _) => Some(0),
        (Some(true), Some(v)) => Some(v),
        (None, Some(v)) if current > 0 => Some(v),
        _ => None,
    }
}

/// An optional limit with its switch (`None` in ours is off), or `None` to keep
/// `current`; switched on without a value, it takes the value `session-get` shows.
fn switched_option<T: Copy>(
    enabled: Option<bool>,
    value: Option<T>,
    current: Option<T>,
    shown: T,
) -> Option<Value>
where
    Value: From<T>,
{
    match (enabled, value) {
        (Some(false), _) => Some(Value::Null),
        (Some(true), Some(v)) => Some(Value::from(v)),
        (Some(true), None) if current.is_none() => Some(Value::from(shown)),
        (None, Some(v)) if current.is_some() => Some(Value::from(v)),
        _ => None,
    }
}

/// `session-set`: the keys we have, as a patch of our settings (only the values that
/// change, so sending back what `session-get` gave changes nothing); the others are
/// ignored.
pub(super) async fn set(state: &AppState, args: &Args) -> CallResult {
    let patch = settings_patch(state, &state.live.settings.values(), args)?;
    if !patch.is_empty() {
        state
            .live
            .settings
            .patch(&patch)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(Map::new())
}

fn settings_patch(
    state: &AppState,
    v: &ConfigValues,
    args: &Args,
) -> Result<Map<String, Value>, String> {
    let mut patch = Map::new();
    let mut put = |key: &str, value: Value, current: Value| {
        if value != current {
            patch.insert(key.to_owned(), value);
        }
    };
    let limit = |enabled: &str, value: &str, current: u64| {
        switched_limit(
            args::boolean(args, enabled),
            args::kilobytes_per_second(args, value),
            current,
        )
    };
    if let Some(n) = limit(
        "speed-limit-down-enabled",
        "speed-limit-down",
        v.download_limit,
    ) {
        put("downloadLimit", json!(n), json!(v.download_limit));
    }
    if let Some(n) = limit("speed-limit-up-enabled", "speed-limit-up", v.upload_limit) {
        put("uploadLimit", json!(n), json!(v.upload_limit));
    }
    if let Some(n) = args::kilobytes_per_second(args, "alt-speed-down") {
        put("altDownloadLimit", json!(n), json!(v.alt_download_limit));
    }
    if let Some(n) = args::kilobytes_per_second(args, "alt-speed-up") {
        put("altUploadLimit", json!(n), json!(v.alt_upload_limit));
    }
    if let Some(on) = args::boolean(args, "alt-speed-enabled") {
        put("altSpeed", json!(on), json!(v.alt_speed));
    }
    let schedule = &v.alt_speed_schedule;
    let begin = args::integer(args, "alt-speed-time-begin").map(clock_time);
    let end = args::integer(args, "alt-speed-time-end").map(clock_time);
    let days = args::integer(args, "alt-speed-time-day").map(|d| our_days((d & 0x7f) as u8));
    let schedule_enabled = args::boolean(args, "alt-speed-time-enabled");
    if begin.is_some() || end.is_some() || days.is_some() || schedule_enabled.is_some() {
        put(
            "altSpeedSchedule",
            json!({
                "enabled": schedule_enabled.unwrap_or(schedule.enabled),
                "from": begin.unwrap_or_else(|| clock_time(i64::from(schedule.from))),
                "to": end.unwrap_or_else(|| clock_time(i64::from(schedule.to))),
                "days": days.unwrap_or_else(|| our_days(transmission_days(schedule.days))),
            }),
            Value::Null,
        );
    }
    if let Some(ratio) = switched_option(
        args::boolean(args, "seedRatioLimited"),
        args::number(args, "seedRatioLimit").map(|r| r.max(0.0)),
        v.seed_ratio_limit,
        DEFAULT_RATIO,
    ) {
        put("seedRatioLimit", ratio, json!(v.seed_ratio_limit));
    }
    if let Some(idle) = switched_option(
        args::boolean(args, "idle-seeding-limit-enabled"),
        args::integer(args, "idle-seeding-limit").map(|m| m.max(0).unsigned_abs()),
        v.seed_idle_limit,
        DEFAULT_IDLE_MINUTES,
    ) {
        put("seedIdleLimit", idle, json!(v.seed_idle_limit));
    }
    let download_queue = args::boolean(args, "download-queue-enabled");
    let seed_queue = args::boolean(args, "seed-queue-enabled");
    if download_queue.is_some() || seed_queue.is_some() {
        let on = download_queue.unwrap_or(v.queueing) || seed_queue.unwrap_or(v.queueing);
        put("queueing", json!(on), json!(v.queueing));
    }
    if let Some(n) = args::integer(args, "download-queue-size") {
        put(
            "maxActiveDownloads",
            json!(n.max(0)),
            json!(v.max_active_downloads),
        );
    }
    if let Some(n) = args::integer(args, "seed-queue-size") {
        put("maxActiveSeeds", json!(n.max(0)), json!(v.max_active_seeds));
    }
    if let Some(on) = args::boolean(args, "queue-stalled-enabled") {
        put(
            "slowTorrentsExempt",
            json!(on),
            json!(v.slow_torrents_exempt),
        );
    }
    if let Some(m) = args::integer(args, "queue-stalled-minutes") {
        put(
            "slowTorrentTime",
            json!(m.max(1) * 60),
            json!(v.slow_torrent_time),
        );
    }
    if let Some(on) = args::boolean(args, "start-added-torrents") {
        put("autoStart", json!(on), json!(v.auto_start));
    }
    if let Some(on) = args::boolean(args, "dht-enabled") {
        put("dht", json!(on), json!(v.dht));
    }
    if let Some(port) = args::integer(args, "peer-port") {
        let port = u16::try_from(port).map_err(|_| format!("peer-port {port} is not a port"))?;
        put("incomingPort", json!(port), json!(v.incoming_port));
    }
    let paths = state.engine.save_paths();
    if let Some(dir) = args::string(args, "download-dir") {
        if !Path::new(dir).is_absolute() {
            return Err("download directory path is not absolute".to_owned());
        }
        if Path::new(dir) != paths.absolute_shown("") {
            put("downloadDir", json!(dir), Value::Null);
        }
    }
    match (
        args::boolean(args, "incomplete-dir-enabled"),
        args::string(args, "incomplete-dir"),
    ) {
        (Some(false), _) => put("incompleteDir", Value::Null, json!(v.incomplete_dir)),
        (Some(true), Some(dir)) => put("incompleteDir", json!(dir), json!(v.incomplete_dir)),
        (None, Some(dir)) if v.incomplete_dir.is_some() => {
            put("incompleteDir", json!(dir), json!(v.incomplete_dir));
        }
        _ => {}
    }
    Ok(patch)
}

/// Minutes after midnight as `HH:MM`.
fn clock_time(minutes: i64) -> String {
    let minutes = minutes.clamp(0, 24 * 60 - 1);
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// `session-stats`: counts, rates, and bytes of this run (`current-stats`) and of
/// the torrents' lifetimes (`cumulative-stats`).
pub(super) fn stats(state: &AppState) -> Map<String, Value> {
    let torrents = state.engine.list();
    let totals = state.engine.totals();
    let uptime = state.live.stats.view().uptime;
    let paused = torrents
        .iter()
        .filter(|t| Status::of(t) == Status::Stopped)
        .count();
    let lifetime_up: u64 = torrents.iter().map(|t| t.uploaded).sum();
    let lifetime_down: u64 = torrents.iter().map(|t| t.downloaded).sum();
    let json = json!({
        "activeTorrentCount": torrents.len() - paused,
        "pausedTorrentCount": paused,
        "torrentCount": torrents.len(),
        "downloadSpeed": totals.download_rate,
        "uploadSpeed": totals.upload_rate,
        "cumulative-stats": {
            "uploadedBytes": lifetime_up,
            "downloadedBytes": lifetime_down,
            "filesAdded": torrents.len(),
            "sessionCount": 1,
            "secondsActive": uptime,
        },
        "current-stats": {
            "uploadedBytes": totals.uploaded,
            "downloadedBytes": totals.downloaded,
            "filesAdded": torrents.len(),
            "sessionCount": 1,
            "secondsActive": uptime,
        },
    });
    match json {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

/// `free-space`: the free bytes of the disk an absolute path is on.
pub(super) fn free_space(args: &Args) -> CallResult {
    let path = args::string(args, "path").unwrap_or_default();
    if !Path::new(path).is_absolute() {
        return Err("directory path is not absolute".to_owned());
    }
    let (free, total) = crate::stats::disk_of(Path::new(path));
    let mut answer = Map::new();
    answer.insert("path".into(), json!(path));
    answer.insert("size-bytes".into(), json!(free));
    answer.insert("total_size".into(), json!(total));
    Ok(answer)
}

/// `port-test`: whether the engine listens for peers. Nothing outside is asked, so
/// this cannot tell whether the port is reachable from the Internet.
pub(super) fn port_test(state: &AppState) -> Map<String, Value> {
    let mut answer = Map::new();
    answer.insert(
        "port-is-open".into(),
        json!(state.engine.listen_addr().is_some()),
    );
    answer
}

/// `blocklist-update`: there is no blocklist.
pub(super) fn blocklist_update() -> Map<String, Value> {
    let mut answer = Map::new();
    answer.insert("blocklist-size".into(), json!(0));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_convert_both_ways() {
        // Monday only: our bit 0, Transmission's 2.
        assert_eq!(transmission_days(0b000_0001), 2);
        // Sunday only: our bit 6, Transmission's 1.
        assert_eq!(transmission_days(0b100_0000), 1);
        assert_eq!(transmission_days(0b111_1111), 127);
        assert_eq!(our_days(1), ["sun"]);
        assert_eq!(our_days(2 | 64), ["mon", "sat"]);
        assert_eq!(our_days(127).len(), 7);
    }

    #[test]
    fn switched_limits() {
        assert_eq!(switched_limit(Some(false), Some(5000), 100), Some(0));
        assert_eq!(switched_limit(Some(true), Some(5000), 0), Some(5000));
        assert_eq!(switched_limit(None, Some(5000), 100), Some(5000));
        assert_eq!(switched_limit(None, Some(5000), 0), None);
        assert_eq!(switched_limit(Some(true), None, 0), None);
        let ratio = |enabled, value, current| switched_option(enabled, value, current, 2.0);
        assert_eq!(ratio(Some(false), Some(1.5), Some(2.0)), Some(Value::Null));
        assert_eq!(ratio(Some(true), Some(1.5), None), Some(json!(1.5)));
        assert_eq!(ratio(Some(true), None, None), Some(json!(2.0)));
        assert_eq!(ratio(Some(true), None, Some(3.0)), None);
        assert_eq!(ratio(None, Some(1.5), None), None);
        assert_eq!(ratio(None, Some(1.5), Some(2.0)), Some(json!(1.5)));
    }

    #[test]
    fn clock_times() {
        assert_eq!(clock_time(0), "00:00");
        assert_eq!(clock_time(8 * 60 + 5), "08:05");
        assert_eq!(clock_time(99_999), "23:59");
    }
}
