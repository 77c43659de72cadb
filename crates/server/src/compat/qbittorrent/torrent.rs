//! Our torrents as qBittorrent 5.1 shows them: the one mapping of state, paths, limits
//! and times used by `torrents/info`, `torrents/properties` and `sync/maindata`.

use cloud_torrent_engine::{Peer, SavePaths, Torrent, TorrentState, Tracker, TrackerStatus};
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// qBittorrent's "infinite" ETA (100 days).
pub const ETA_INFINITE: u64 = 8_640_000;

/// Whether every selected file is complete.
fn complete(t: &Torrent) -> bool {
    t.size > 0 && t.completed >= t.size
}

/// qBittorrent's state name of a torrent (5.x names).
pub fn state(t: &Torrent) -> &'static str {
    let complete = complete(t);
    match t.state {
        TorrentState::Moving => "moving",
        TorrentState::Checking if complete => "checkingUP",
        TorrentState::Checking => "checkingDL",
        TorrentState::Error => "error",
        TorrentState::Metadata if t.force_start => "forcedMetaDL",
        TorrentState::Metadata => "metaDL",
        TorrentState::Paused | TorrentState::Completed if complete => "stoppedUP",
        TorrentState::Paused | TorrentState::Completed => "stoppedDL",
        TorrentState::Queued if complete => "queuedUP",
        TorrentState::Queued => "queuedDL",
        TorrentState::Seeding if t.force_start => "forcedUP",
        TorrentState::Seeding if t.upload_rate > 0 => "uploading",
        TorrentState::Seeding => "stalledUP",
        TorrentState::Downloading if t.force_start => "forcedDL",
        TorrentState::Downloading if t.download_rate > 0 => "downloading",
        TorrentState::Downloading => "stalledDL",
    }
}

/// One peer of `sync/torrentPeers`, by its `ip:port`. librqbit does not say how much
/// of the torrent a peer has, nor who chokes whom: `progress` is 0, and the flags
/// say who sends to whom by the rates, incoming connections and µTP.
pub fn peer(p: &Peer) -> (String, Map<String, Value>) {
    let address: Option<std::net::SocketAddr> = p.address.parse().ok();
    let flags: Vec<(&str, &str)> = [
        (p.download_rate > 0, ("D", "downloading from the peer")),
        (p.upload_rate > 0, ("U", "uploading to the peer")),
        (p.incoming, ("I", "incoming connection")),
        (p.utp, ("P", "µTP")),
    ]
    .into_iter()
    .filter_map(|(on, flag)| on.then_some(flag))
    .collect();
    let value = json!({
        "ip": address.map_or_else(|| p.address.clone(), |a| a.ip().to_string()),
        "port": address.map_or(0, |a| a.port()),
        "client": p.client.clone().unwrap_or_default(),
        "peer_id_client": "",
        "connection": if p.utp { "μTP" } else { "BT" },
        "flags": flags.iter().map(|(f, _)| *f).collect::<Vec<_>>().join(" "),
        "flags_desc": flags
            .iter()
            .map(|(f, what)| format!("{f} = {what}"))
            .collect::<Vec<_>>()
            .join("\n"),
        "dl_speed": p.download_rate,
        "up_speed": p.upload_rate,
        "downloaded": p.downloaded,
        "uploaded": p.uploaded,
        "progress": 0.0,
        "relevance": 0.0,
        "files": "",
    });
    (
        p.address.clone(),
        value.as_object().cloned().unwrap_or_default(),
    )
}

/// One row of `torrents/trackers`: status 2 (working) when the tracker answered
/// its last scrape, 4 (not working) when it did not, 1 (not contacted) when it
/// was not asked; counts are -1 when unknown, as qBittorrent writes them.
pub fn tracker(row: &Tracker) -> Value {
    let count = |n: Option<u64>| n.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    json!({
        "url": row.url,
        "status": match row.status {
            TrackerStatus::Working => 2,
            TrackerStatus::NotWorking => 4,
            TrackerStatus::Unknown => 1,
        },
        "tier": row.tier,
        "num_peers": count(row.seeders.zip(row.leechers).map(|(s, l)| s + l)),
        "num_seeds": count(row.seeders),
        "num_leeches": count(row.leechers),
        "num_downloaded": count(row.downloaded),
        "msg": row.message.clone().unwrap_or_default(),
    })
}

/// Seconds since the epoch of an RFC 3339 time; -1 when there is none.
pub fn epoch(at: Option<&str>) -> i64 {
    at.and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
        .map_or(-1, OffsetDateTime::unix_timestamp)
}

/// A limit as qBittorrent writes it: -2 follows the global one, -1 is none.
fn limit_f64(limit: Option<f64>) -> f64 {
    limit.unwrap_or(-2.0)
}

fn limit_i64(limit: Option<i64>) -> i64 {
    limit.unwrap_or(-2)
}

/// A speed limit: 0 (ours) is none, which qBittorrent writes 0 too in `torrents/info`.
fn speed_limit(limit: u64) -> i64 {
    i64::try_from(limit).unwrap_or(i64::MAX)
}

/// An absolute path as qBittorrent writes it: `/` separators, no trailing slash.
fn path_text(path: &std::path::Path) -> String {
    let text = path.to_string_lossy().replace('\\', "/");
    match text.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// The folder a torrent's content is in, absolute.
pub fn save_path(t: &Torrent, paths: &SavePaths) -> String {
    path_text(&paths.absolute_shown(&t.save_path))
}

/// A torrent's content (its file, or its folder), absolute; `""` before its metadata.
pub fn content_path(t: &Torrent, paths: &SavePaths) -> String {
    if t.files.is_empty() {
        return String::new();
    }
    path_text(&paths.absolute_shown(&t.content_path))
}

/// The object `torrents/info` lists for a torrent.
pub fn info(t: &Torrent, paths: &SavePaths) -> Map<String, Value> {
    let complete = complete(t);
    let ratio = if t.ratio.is_finite() { t.ratio } else { -1.0 };
    let seconds = |s: u64| i64::try_from(s).unwrap_or(i64::MAX);
    let total_size: u64 = t.files.iter().map(|f| f.size).sum();
    let eta = if complete {
        0
    } else {
        t.eta.unwrap_or(ETA_INFINITE).min(ETA_INFINITE)
    };
    let value = json!({
        "hash": t.info_hash,
        "infohash_v1": t.info_hash,
        "infohash_v2": "",
        "name": t.name,
        "size": t.size,
        "total_size": if total_size > 0 { total_size } else { t.size },
        "progress": t.progress,
        "eta": eta,
        "state": state(t),
        "category": t.category.clone().unwrap_or_default(),
        "tags": t.tags.join(", "),
        "save_path": save_path(t, paths),
        "content_path": content_path(t, paths),
        "root_path": if t.files.len() > 1 { content_path(t, paths) } else { String::new() },
        "download_path": "",
        "ratio": ratio,
        "ratio_limit": limit_f64(t.seed_ratio_limit),
        "max_ratio": t.seed_ratio_limit.unwrap_or(-1.0),
        "seeding_time_limit": limit_i64(t.seed_time_limit),
        "max_seeding_time": t.seed_time_limit.unwrap_or(-1),
        "inactive_seeding_time_limit": limit_i64(t.seed_idle_limit),
        "max_inactive_seeding_time": t.seed_idle_limit.unwrap_or(-1),
    });
    let times = json!({
        "seeding_time": seconds(t.seeding_time),
        "time_active": seconds(t.active_time),
        "last_activity": epoch(t.last_activity.as_deref()).max(0),
        "added_on": epoch(Some(&t.added_at)),
        "completion_on": epoch(t.completed_at.as_deref()),
        "seen_complete": epoch(t.completed_at.as_deref()),
        "reannounce": 0,
    });
    let transfer = json!({
        "dlspeed": t.download_rate,
        "upspeed": t.upload_rate,
        "dl_limit": speed_limit(t.download_limit),
        "up_limit": speed_limit(t.upload_limit),
        "downloaded": t.downloaded,
        "uploaded": t.uploaded,
        "downloaded_session": t.downloaded,
        "uploaded_session": t.uploaded,
        "amount_left": t.size.saturating_sub(t.completed),
        "completed": t.completed,
        "num_seeds": if complete { 0 } else { t.peers },
        "num_leechs": if complete { t.peers } else { 0 },
        "num_complete": 0,
        "num_incomplete": 0,
        "priority": t.queue_position.unwrap_or(0),
        "seq_dl": t.sequential,
        "f_l_piece_prio": t.first_last_pieces_first,
        "force_start": t.force_start,
        "super_seeding": false,
        "auto_tmm": false,
        "magnet_uri": t.magnet,
        "tracker": "",
        "trackers_count": 0,
        "comment": "",
        "availability": -1,
        "popularity": 0,
        "private": if t.files.is_empty() { Value::Null } else { Value::Bool(false) },
        "has_metadata": !t.files.is_empty(),
    });
    [value, times, transfer]
        .into_iter()
        .filter_map(|part| match part {
            Value::Object(map) => Some(map),
            _ => None,
        })
        .flatten()
        .collect()
}

/// The object `torrents/properties` answers for a torrent.
pub fn properties(t: &Torrent, paths: &SavePaths) -> Value {
    let info = info(t, paths);
    let pick = |key: &str| info.get(key).cloned().unwrap_or(Value::Null);
    let first = json!({
        "save_path": pick("save_path"),
        "download_path": "",
        "seeding_time": pick("seeding_time"),
        "time_elapsed": pick("time_active"),
        "eta": pick("eta"),
        "nb_connections": t.peers,
        "nb_connections_limit": -1,
        "total_downloaded": t.downloaded,
        "total_downloaded_session": t.downloaded,
        "total_uploaded": t.uploaded,
        "total_uploaded_session": t.uploaded,
        "dl_speed": t.download_rate,
        "dl_speed_avg": t.download_rate,
        "up_speed": t.upload_rate,
        "up_speed_avg": t.upload_rate,
        "dl_limit": if t.download_limit == 0 { -1 } else { speed_limit(t.download_limit) },
        "up_limit": if t.upload_limit == 0 { -1 } else { speed_limit(t.upload_limit) },
    });
    let second = json!({
        "total_wasted": 0,
        "seeds": pick("num_seeds"),
        "seeds_total": 0,
        "peers": pick("num_leechs"),
        "peers_total": 0,
        "share_ratio": pick("ratio"),
        "popularity": 0,
        "reannounce": 0,
        "total_size": pick("total_size"),
        "pieces_num": -1,
        "piece_size": -1,
        "pieces_have": -1,
        "created_by": "",
        "is_private": false,
        "private": pick("private"),
        "addition_date": pick("added_on"),
        "last_seen": pick("seen_complete"),
        "completion_date": pick("completion_on"),
        "creation_date": -1,
        "comment": "",
        "has_metadata": pick("has_metadata"),
        "progress": t.progress,
        "hash": t.info_hash,
        "infohash_v1": t.info_hash,
        "infohash_v2": "",
        "name": t.name,
    });
    let mut map = first.as_object().cloned().unwrap_or_default();
    map.extend(second.as_object().cloned().unwrap_or_default());
    Value::Object(map)
}

/// The list `torrents/files` answers: paths relative to the save path, with the
/// torrent's folder for a multi-file torrent.
pub fn files(t: &Torrent) -> Value {
    let base = t.save_path.trim_end_matches('/');
    Value::Array(
        t.files
            .iter()
            .map(|f| {
                let name = f
                    .path
                    .strip_prefix(base)
                    .map(|p| p.trim_start_matches('/'))
                    .unwrap_or(&f.path);
                let progress = if f.size == 0 {
                    1.0
                } else {
                    f.completed as f64 / f.size as f64
                };
                json!({
                    "index": f.index,
                    "name": name,
                    "size": f.size,
                    "progress": progress,
                    "priority": if f.selected { 1 } else { 0 },
                    "is_seed": complete(t),
                    "piece_range": [0, 0],
                    "availability": -1,
                })
            })
            .collect(),
    )
}

/// Whether a torrent passes `torrents/info`'s `filter` (4.x names too).
pub fn passes(t: &Torrent, filter: &str) -> bool {
    let state = state(t);
    let stopped = state.starts_with("stopped");
    let active = t.download_rate > 0 || t.upload_rate > 0;
    match filter {
        "all" | "" => true,
        "downloading" => {
            matches!(
                state,
                "downloading"
                    | "stalledDL"
                    | "metaDL"
                    | "forcedMetaDL"
                    | "forcedDL"
                    | "queuedDL"
                    | "checkingDL"
            ) || state == "stoppedDL"
        }
        "seeding" => matches!(
            state,
            "uploading" | "stalledUP" | "forcedUP" | "queuedUP" | "checkingUP"
        ),
        "completed" => complete(t),
        "stopped" | "paused" => stopped,
        "running" | "resumed" => !stopped,
        "active" => active,
        "inactive" => !active,
        "stalled" => matches!(state, "stalledUP" | "stalledDL"),
        "stalled_uploading" => state == "stalledUP",
        "stalled_downloading" => state == "stalledDL",
        "checking" => state.starts_with("checking"),
        "moving" => state == "moving",
        "errored" => state == "error",
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn torrent(state: TorrentState, complete: bool) -> Torrent {
        let mut t = crate::compat::sample_torrent(state, complete);
        t.added_at = "2026-11-30T10:00:00Z".into();
        t
    }

    #[test]
    fn a_peer_is_shown_by_its_address_with_flags_for_what_is_known() {
        let (key, p) = peer(&Peer {
            address: "127.0.0.2:51413".into(),
            client: Some("Transmission 4.0.6".into()),
            incoming: true,
            utp: true,
            downloaded: 10,
            uploaded: 20,
            download_rate: 0,
            upload_rate: 300,
        });
        assert_eq!(key, "127.0.0.2:51413");
        assert_eq!(p["ip"], "127.0.0.2");
        assert_eq!(p["port"], 51413);
        assert_eq!(p["client"], "Transmission 4.0.6");
        assert_eq!(p["connection"], "μTP");
        assert_eq!(p["flags"], "U I P");
        assert_eq!(
            p["flags_desc"],
            "U = uploading to the peer\nI = incoming connection\nP = µTP"
        );
        assert_eq!((&p["up_speed"], &p["uploaded"]), (&json!(300), &json!(20)));
        let (key, p) = peer(&Peer {
            address: "[::1]:6881".into(),
            client: None,
            incoming: false,
            utp: false,
            downloaded: 0,
            uploaded: 0,
            download_rate: 0,
            upload_rate: 0,
        });
        assert_eq!(key, "[::1]:6881");
        assert_eq!((&p["ip"], &p["port"]), (&json!("::1"), &json!(6881)));
        assert_eq!((&p["connection"], &p["flags"]), (&json!("BT"), &json!("")));
    }

    #[test]
    fn every_state_has_its_qbittorrent_name() {
        use TorrentState::*;
        let cases = [
            (Metadata, false, false, 0, 0, "metaDL"),
            (Metadata, false, true, 0, 0, "forcedMetaDL"),
            (Downloading, false, false, 10, 0, "downloading"),
            (Downloading, false, false, 0, 0, "stalledDL"),
            (Downloading, false, true, 0, 0, "forcedDL"),
            (Seeding, true, false, 0, 10, "uploading"),
            (Seeding, true, false, 0, 0, "stalledUP"),
            (Seeding, true, true, 0, 0, "forcedUP"),
            (Paused, false, false, 0, 0, "stoppedDL"),
            (Paused, true, false, 0, 0, "stoppedUP"),
            (Completed, true, false, 0, 0, "stoppedUP"),
            (Queued, false, false, 0, 0, "queuedDL"),
            (Queued, true, false, 0, 0, "queuedUP"),
            (Moving, true, false, 0, 0, "moving"),
            (Checking, false, false, 0, 0, "checkingDL"),
            (Checking, true, false, 0, 0, "checkingUP"),
            (Error, false, false, 0, 0, "error"),
        ];
        for (our, complete, forced, down, up, want) in cases {
            let mut t = torrent(our, complete);
            t.force_start = forced;
            t.download_rate = down;
            t.upload_rate = up;
            assert_eq!(
                state(&t),
                want,
                "{our:?} complete={complete} forced={forced}"
            );
        }
    }

    #[test]
    fn limits_times_and_eta_are_written_as_qbittorrent_does() {
        let paths = SavePaths::new(
            std::path::Path::new("/data"),
            std::path::Path::new("/data/downloads"),
            std::path::Path::new("/state"),
        );
        let mut t = torrent(TorrentState::Seeding, true);
        t.seed_ratio_limit = Some(-1.0);
        t.tags = vec!["a".into(), "b".into()];
        t.category = Some("tv".into());
        t.save_path = "tv".into();
        t.content_path = "tv/Show".into();
        t.files[0].path = "tv/Show/e1.mkv".into();
        let info = info(&t, &paths);
        assert_eq!(info["ratio_limit"], -1.0);
        assert_eq!(info["seeding_time_limit"], -2);
        assert_eq!(info["tags"], "a, b");
        assert_eq!(info["eta"], 0);
        assert_eq!(info["added_on"], 1796032800);
        assert_eq!(info["completion_on"], -1);
        assert_eq!(info["save_path"], "/data/downloads/tv");
        assert_eq!(info["content_path"], "/data/downloads/tv/Show");
        assert_ne!(info["content_path"], info["save_path"]);
        assert_eq!(files(&t)[0]["name"], "Show/e1.mkv");
        let mut downloading = torrent(TorrentState::Downloading, false);
        downloading.eta = None;
        assert_eq!(super::info(&downloading, &paths)["eta"], ETA_INFINITE);
        assert!(passes(&downloading, "downloading") && passes(&downloading, "resumed"));
        assert!(!passes(&downloading, "paused") && !passes(&downloading, "completed"));
    }
}
