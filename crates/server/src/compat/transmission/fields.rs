//! The one mapping of our torrents to Transmission's: the `status` number and every
//! field of `torrent-get` (rpc-version 17, legacy camelCase names). Unknown field names
//! are skipped, as Transmission does.
//!
//! Sizes are bytes, rates bytes per second, speed limits kB/s (1000 bytes), dates
//! seconds since the epoch (0: never), durations seconds (`eta` -1: not available,
//! -2: unknown), ratios and fractions doubles (`uploadRatio` -1: nothing downloaded).

use std::cell::OnceCell;
use std::time::Duration;

use base64::Engine as _;
use cloud_torrent_engine::{
    Engine, InfoHash, Magnet, Peer, Pieces, SavePaths, SeedLimits, Torrent, TorrentState, Tracker,
    TrackerStatus,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Every field `torrent-get` knows, in Transmission's order.
pub(super) const FIELDS: &[&str] = &[
    "activityDate",
    "addedDate",
    "availability",
    "bandwidthPriority",
    "comment",
    "corruptEver",
    "creator",
    "dateCreated",
    "desiredAvailable",
    "doneDate",
    "downloadDir",
    "downloadedEver",
    "downloadLimit",
    "downloadLimited",
    "editDate",
    "error",
    "errorString",
    "eta",
    "etaIdle",
    "file-count",
    // Transmission 3's name of `file-count`, which its clients ask for.
    "fileCount",
    "files",
    "fileStats",
    "group",
    "hashString",
    "haveUnchecked",
    "haveValid",
    "honorsSessionLimits",
    "id",
    "isFinished",
    "isPrivate",
    "isStalled",
    "labels",
    "leftUntilDone",
    "magnetLink",
    "manualAnnounceTime",
    "maxConnectedPeers",
    "metadataPercentComplete",
    "name",
    "peer-limit",
    "peers",
    "peersConnected",
    "peersFrom",
    "peersGettingFromUs",
    "peersSendingToUs",
    "percentComplete",
    "percentDone",
    "pieces",
    "pieceCount",
    "pieceSize",
    "priorities",
    "primary-mime-type",
    "queuePosition",
    "rateDownload",
    "rateUpload",
    "recheckProgress",
    "secondsDownloading",
    "secondsSeeding",
    "seedIdleLimit",
    "seedIdleMode",
    "seedRatioLimit",
    "seedRatioMode",
    "sizeWhenDone",
    "startDate",
    "status",
    "totalSize",
    "torrentFile",
    "trackerList",
    "trackers",
    "trackerStats",
    "uploadedEver",
    "uploadLimit",
    "uploadRatio",
    "wanted",
    "webseeds",
    "webseedsSendingToUs",
];

/// Transmission's default seed ratio, shown while none is set.
pub(super) const DEFAULT_RATIO: f64 = 2.0;
/// Transmission's default idle seeding limit in minutes, shown while none is set.
pub(super) const DEFAULT_IDLE_MINUTES: u64 = 30;

/// Peers a torrent may connect to, as reported (librqbit has no such setting).
pub(super) const PEER_LIMIT: u64 = 50;

/// Transmission's `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Status {
    Stopped = 0,
    // Never reported: a check starts at once, without a queue of its own.
    #[allow(dead_code)]
    CheckWait = 1,
    Check = 2,
    DownloadWait = 3,
    Download = 4,
    SeedWait = 5,
    Seed = 6,
}

impl Status {
    /// The status of `t`. A magnet fetching its metadata downloads; one stopped,
    /// complete without seeding, or in error is stopped; one waiting in the queue or
    /// for its data to move waits to download or to seed; one whose data is checked
    /// checks (a check never waits, so 1 is never reported).
    pub(super) fn of(t: &Torrent) -> Status {
        match t.state {
            TorrentState::Checking => Status::Check,
            TorrentState::Metadata | TorrentState::Downloading => Status::Download,
            TorrentState::Seeding => Status::Seed,
            TorrentState::Paused | TorrentState::Completed | TorrentState::Error => Status::Stopped,
            TorrentState::Queued | TorrentState::Moving if is_complete(t) => Status::SeedWait,
            TorrentState::Queued | TorrentState::Moving => Status::DownloadWait,
        }
    }

    fn running(self) -> bool {
        self != Status::Stopped
    }
}

/// Every selected file is complete (metadata known).
fn is_complete(t: &Torrent) -> bool {
    !t.files.is_empty() && t.completed >= t.size
}

/// RFC 3339 as seconds since the epoch.
pub(super) fn epoch_seconds(rfc3339: &str) -> Option<i64> {
    OffsetDateTime::parse(rfc3339, &Rfc3339)
        .ok()
        .map(OffsetDateTime::unix_timestamp)
}

/// A folder as our API shows it, absolute and without a trailing `/` (clients join
/// `downloadDir` and `name` with one).
pub(super) fn absolute_dir(paths: &SavePaths, shown: &str) -> String {
    let dir = paths.absolute_shown(shown);
    let dir = dir.to_string_lossy();
    match dir.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

fn kilobytes(bytes_per_second: u64) -> u64 {
    bytes_per_second / 1000
}

/// What the fields of every torrent need besides the torrent.
pub(super) struct Context<'a> {
    /// Where pieces are read from (`None` in unit tests: no pieces).
    pub engine: Option<&'a Engine>,
    /// To show save paths absolute.
    pub paths: SavePaths,
    /// The global seeding limits.
    pub global: SeedLimits,
    pub now: OffsetDateTime,
    /// How many torrents have a place in the queue (the others are numbered after).
    pub queued: u64,
}

impl<'a> Context<'a> {
    pub(super) fn new(engine: &'a Engine, all: &[Torrent]) -> Context<'a> {
        Context {
            engine: Some(engine),
            paths: engine.save_paths().clone(),
            global: engine.settings().seed_limits,
            now: OffsetDateTime::now_utc(),
            queued: all.iter().filter(|t| t.queue_position.is_some()).count() as u64,
        }
    }

    /// The `fields` of `t` that are known, by name.
    pub(super) fn object(&self, t: &Torrent, fields: &[&str]) -> serde_json::Map<String, Value> {
        let row = Row::new(self, t);
        fields
            .iter()
            .filter_map(|&name| Some((name.to_owned(), row.field(name)?)))
            .collect()
    }

    /// The `fields` of `t` as one row of the `table` format (each field known).
    pub(super) fn row(&self, t: &Torrent, fields: &[&str]) -> Vec<Value> {
        let row = Row::new(self, t);
        fields
            .iter()
            .map(|&name| row.field(name).unwrap_or(Value::Null))
            .collect()
    }
}

/// One torrent being mapped.
struct Row<'c, 't> {
    cx: &'c Context<'c>,
    t: &'t Torrent,
    status: Status,
    pieces: OnceCell<Option<Pieces>>,
}

impl<'c, 't> Row<'c, 't> {
    fn new(cx: &'c Context<'c>, t: &'t Torrent) -> Self {
        Row {
            cx,
            t,
            status: Status::of(t),
            pieces: OnceCell::new(),
        }
    }

    fn pieces(&self) -> Option<&Pieces> {
        self.pieces
            .get_or_init(|| {
                let hash: InfoHash = self.t.info_hash.parse().ok()?;
                self.cx.engine?.pieces(&hash).ok()
            })
            .as_ref()
    }

    fn hash(&self) -> Option<InfoHash> {
        self.t.info_hash.parse().ok()
    }

    fn peers(&self) -> Vec<Peer> {
        let (Some(engine), Some(hash)) = (self.cx.engine, self.hash()) else {
            return vec![];
        };
        engine.peers(&hash).unwrap_or_default()
    }

    /// Each tracker as last scraped; Transmission's announce fields stay at
    /// "never" (librqbit keeps its announces to itself).
    fn tracker_stats(&self) -> Vec<Value> {
        let (Some(engine), Some(hash)) = (self.cx.engine, self.hash()) else {
            return vec![];
        };
        let rows = engine.known_trackers(&hash).unwrap_or_default();
        rows.iter().map(tracker_stats).collect()
    }

    /// The limits that apply to this torrent.
    fn limits(&self) -> SeedLimits {
        cloud_torrent_engine::TorrentSeedLimits {
            ratio: self.t.seed_ratio_limit,
            seeding_minutes: self.t.seed_time_limit,
            idle_minutes: self.t.seed_idle_limit,
        }
        .over(&self.cx.global)
    }

    fn total_size(&self) -> u64 {
        self.t.files.iter().map(|f| f.size).sum()
    }

    fn have(&self) -> u64 {
        self.t.files.iter().map(|f| f.completed).sum()
    }

    fn left_until_done(&self) -> u64 {
        self.t.size.saturating_sub(self.t.completed)
    }

    fn seconds_since(&self, rfc3339: Option<&str>) -> Option<i64> {
        rfc3339
            .and_then(epoch_seconds)
            .map(|at| (self.cx.now.unix_timestamp() - at).max(0))
    }

    /// The file's path relative to `downloadDir` (ours is relative to the download
    /// folder, or absolute when outside it).
    fn file_name(&self, path: &str) -> String {
        let save = self.t.save_path.trim_end_matches('/');
        match save {
            "" => path.to_owned(),
            save => path
                .strip_prefix(save)
                .and_then(|rest| rest.strip_prefix('/'))
                .unwrap_or(path)
                .to_owned(),
        }
    }

    fn error_string(&self) -> String {
        match (&self.t.error, &self.t.move_error) {
            (Some(e), _) if self.t.state == TorrentState::Error => e.clone(),
            (_, Some(e)) => e.clone(),
            _ => String::new(),
        }
    }

    fn upload_ratio(&self) -> f64 {
        if self.t.downloaded == 0 && self.t.completed == 0 {
            -1.0
        } else {
            self.t.ratio
        }
    }

    /// Seconds until done downloading, or while seeding until the ratio goal.
    fn eta(&self) -> i64 {
        match self.status {
            Status::Download => self
                .t
                .eta
                .map_or(-2, |s| i64::try_from(s).unwrap_or(i64::MAX)),
            Status::Seed => match self.limits().ratio {
                Some(goal) if self.t.upload_rate > 0 => {
                    let base = self.t.downloaded.max(self.t.completed) as f64;
                    let missing = (goal * base - self.t.uploaded as f64).max(0.0);
                    (missing / self.t.upload_rate as f64) as i64
                }
                Some(_) => -2,
                None => -1,
            },
            _ => -1,
        }
    }

    /// Seconds until the idle seeding limit stops it.
    fn eta_idle(&self) -> i64 {
        match (self.status, self.limits().idle_time) {
            (Status::Seed, Some(limit)) if self.t.upload_rate == 0 => {
                let idle = self
                    .seconds_since(self.t.last_activity.as_deref())
                    .or_else(|| self.seconds_since(self.t.completed_at.as_deref()))
                    .unwrap_or(0);
                (limit.as_secs() as i64 - idle).max(0)
            }
            _ => -1,
        }
    }

    fn trackers(&self) -> Vec<String> {
        Magnet::parse(&self.t.magnet)
            .map(|m| m.trackers)
            .unwrap_or_default()
    }

    fn primary_mime_type(&self) -> String {
        self.t
            .files
            .iter()
            .max_by_key(|f| f.size)
            .and_then(|f| mime_guess::from_path(&f.path).first())
            .map_or_else(
                || "application/octet-stream".to_owned(),
                |m| m.essence_str().to_owned(),
            )
    }

    /// One field, or `None` for a name Transmission does not have.
    fn field(&self, name: &str) -> Option<Value> {
        let t = self.t;
        let wanted = || {
            t.files
                .iter()
                .map(|f| u8::from(f.selected))
                .collect::<Vec<_>>()
        };
        let date = |when: Option<&str>| when.and_then(epoch_seconds).unwrap_or(0);
        let added = date(Some(&t.added_at));
        Some(match name {
            "activityDate" => json!(date(t.last_activity.as_deref())),
            "addedDate" => json!(added),
            "availability" => match self.pieces() {
                Some(p) => json!(
                    (0..p.count)
                        .map(|i| if have_piece(p, i) {
                            -1
                        } else {
                            i64::from(t.peers)
                        })
                        .collect::<Vec<_>>()
                ),
                None => json!([]),
            },
            "bandwidthPriority" => json!(0),
            "comment" | "creator" | "group" | "torrentFile" => json!(""),
            "corruptEver"
            | "haveUnchecked"
            | "dateCreated"
            | "editDate"
            | "manualAnnounceTime"
            | "webseedsSendingToUs" => json!(0),
            "desiredAvailable" => json!(if t.peers > 0 {
                self.left_until_done()
            } else {
                0
            }),
            "doneDate" => json!(date(t.completed_at.as_deref())),
            "downloadDir" => json!(absolute_dir(&self.cx.paths, &t.save_path)),
            "downloadedEver" => json!(t.downloaded),
            "downloadLimit" => json!(kilobytes(t.download_limit)),
            "downloadLimited" => json!(t.download_limit > 0),
            "error" => json!(if self.error_string().is_empty() { 0 } else { 3 }),
            "errorString" => json!(self.error_string()),
            "eta" => json!(self.eta()),
            "etaIdle" => json!(self.eta_idle()),
            "file-count" | "fileCount" => json!(t.files.len()),
            "files" => json!(
                t.files
                    .iter()
                    .map(|f| json!({
                        "name": self.file_name(&f.path),
                        "length": f.size,
                        "bytesCompleted": f.completed,
                    }))
                    .collect::<Vec<_>>()
            ),
            "fileStats" => json!(
                t.files
                    .iter()
                    .map(|f| json!({
                        "bytesCompleted": f.completed,
                        "wanted": u8::from(f.selected),
                        "priority": 0,
                    }))
                    .collect::<Vec<_>>()
            ),
            "hashString" => json!(t.info_hash),
            "haveValid" => json!(self.have()),
            "honorsSessionLimits" => json!(true),
            "id" => json!(t.id),
            "isFinished" => json!(t.seed_limit_reached && !self.status.running()),
            "isPrivate" => json!(false),
            "isStalled" => {
                json!(self.status == Status::Download && t.download_rate == 0 && t.peers == 0)
            }
            "labels" => json!(t.tags),
            "leftUntilDone" => json!(self.left_until_done()),
            "magnetLink" => json!(t.magnet),
            "maxConnectedPeers" | "peer-limit" => json!(PEER_LIMIT),
            "metadataPercentComplete" => {
                json!(if t.state == TorrentState::Metadata {
                    0.0
                } else {
                    1.0
                })
            }
            "name" => json!(t.name),
            "peers" => json!(self.peers().iter().map(peer).collect::<Vec<_>>()),
            "trackerStats" => json!(self.tracker_stats()),
            "webseeds" => json!([]),
            "peersConnected" => json!(t.peers),
            "peersFrom" => json!({
                "fromCache": 0, "fromDht": 0, "fromIncoming": 0, "fromLpd": 0,
                "fromLtep": 0, "fromPex": 0, "fromTracker": 0,
            }),
            "peersGettingFromUs" => json!(if t.upload_rate > 0 { t.peers } else { 0 }),
            "peersSendingToUs" => json!(if t.download_rate > 0 { t.peers } else { 0 }),
            "percentComplete" => json!(match self.total_size() {
                0 => 0.0,
                total => self.have() as f64 / total as f64,
            }),
            "percentDone" => json!(t.progress),
            "pieces" => json!(self.pieces().map_or_else(String::new, |p| {
                base64::engine::general_purpose::STANDARD.encode(&p.have)
            })),
            "pieceCount" => json!(self.pieces().map_or(0, |p| p.count)),
            "pieceSize" => json!(self.pieces().map_or(0, |p| p.piece_length)),
            "priorities" => json!(vec![0; t.files.len()]),
            "primary-mime-type" => json!(self.primary_mime_type()),
            "queuePosition" => json!(match t.queue_position {
                Some(p) => u64::from(p.saturating_sub(1)),
                None => self.cx.queued + t.id,
            }),
            "rateDownload" => json!(t.download_rate),
            "rateUpload" => json!(t.upload_rate),
            "recheckProgress" => json!(t.check_progress.unwrap_or(0.0)),
            "secondsDownloading" => json!(t.active_time.saturating_sub(t.seeding_time)),
            "secondsSeeding" => json!(t.seeding_time),
            "seedIdleLimit" => json!(match t.seed_idle_limit {
                Some(m) if m >= 0 => m,
                _ => minutes(self.cx.global.idle_time),
            }),
            "seedIdleMode" => json!(mode(t.seed_idle_limit.map(|m| m >= 0))),
            "seedRatioLimit" => json!(match t.seed_ratio_limit {
                Some(r) if r >= 0.0 => r,
                _ => self.cx.global.ratio.unwrap_or(DEFAULT_RATIO),
            }),
            "seedRatioMode" => json!(mode(t.seed_ratio_limit.map(|r| r >= 0.0))),
            "sizeWhenDone" => json!(t.size),
            "startDate" => json!(if self.status.running() { added } else { 0 }),
            "status" => json!(self.status as u8),
            "totalSize" => json!(self.total_size()),
            "trackerList" => json!(self.trackers().join("\n\n")),
            "trackers" => json!(
                self.trackers()
                    .iter()
                    .enumerate()
                    .map(|(i, announce)| json!({
                        "announce": announce,
                        "id": i,
                        "scrape": "",
                        "sitename": url::Url::parse(announce)
                            .ok()
                            .and_then(|u| u.host_str().map(str::to_owned))
                            .unwrap_or_default(),
                        "tier": i,
                    }))
                    .collect::<Vec<_>>()
            ),
            "uploadedEver" => json!(t.uploaded),
            "uploadLimit" => json!(kilobytes(t.upload_limit)),
            "uploadRatio" => json!(self.upload_ratio()),
            "wanted" => json!(wanted()),
            _ => return None,
        })
    }
}

/// Transmission's seed-limit mode: 0 follows the session, 1 this torrent's limit,
/// 2 unlimited (`own`: `None` follows, `Some(true)` a limit, `Some(false)` none).
fn mode(own: Option<bool>) -> u8 {
    match own {
        None => 0,
        Some(true) => 1,
        Some(false) => 2,
    }
}

fn minutes(duration: Option<Duration>) -> i64 {
    duration.map_or(DEFAULT_IDLE_MINUTES as i64, |d| (d.as_secs() / 60) as i64)
}

fn have_piece(pieces: &Pieces, index: u32) -> bool {
    let byte = pieces.have.get((index / 8) as usize).copied().unwrap_or(0);
    byte & (0x80 >> (index % 8)) != 0
}

/// A peer as `torrent-get`'s `peers` lists it. librqbit does not say how much of
/// the torrent a peer has, nor who chokes whom: `progress` is 0 and the choke
/// and interest flags false.
fn peer(p: &Peer) -> Value {
    let address: Option<std::net::SocketAddr> = p.address.parse().ok();
    let mut flags = String::new();
    if p.download_rate > 0 {
        flags.push('D');
    }
    if p.upload_rate > 0 {
        flags.push('U');
    }
    if p.incoming {
        flags.push('I');
    }
    if p.utp {
        flags.push('T');
    }
    json!({
        "address": address.map_or_else(|| p.address.clone(), |a| a.ip().to_string()),
        "clientName": p.client.clone().unwrap_or_default(),
        "clientIsChoked": false,
        "clientIsInterested": false,
        "flagStr": flags,
        "isDownloadingFrom": p.download_rate > 0,
        "isEncrypted": false,
        "isIncoming": p.incoming,
        "isUploadingTo": p.upload_rate > 0,
        "isUTP": p.utp,
        "peerIsChoked": false,
        "peerIsInterested": false,
        "port": address.map_or(0, |a| a.port()),
        "progress": 0.0,
        "rateToClient": p.download_rate,
        "rateToPeer": p.upload_rate,
    })
}

/// A tracker as `torrent-get`'s `trackerStats` lists it; counts are -1 when unknown.
fn tracker_stats(row: &Tracker) -> Value {
    let url = url::Url::parse(&row.url).ok();
    let host = url.as_ref().and_then(|u| u.host_str()).unwrap_or_default();
    let count = |n: Option<u64>| n.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
    let scraped = row
        .scraped_at
        .as_deref()
        .and_then(|at| OffsetDateTime::parse(at, &Rfc3339).ok())
        .map_or(0, OffsetDateTime::unix_timestamp);
    let scrape_url = url
        .as_ref()
        .and_then(cloud_torrent_engine::scrape::http_scrape_url)
        .map_or_else(
            || {
                if row.url.starts_with("udp:") {
                    row.url.clone()
                } else {
                    String::new()
                }
            },
            |u| u.to_string(),
        );
    json!({
        "announce": row.url,
        "announceState": 0,
        "downloadCount": count(row.downloaded),
        "hasAnnounced": false,
        "hasScraped": row.scraped_at.is_some(),
        "host": url.as_ref().map_or_else(String::new, |u| {
            format!("{}:{}", host, u.port_or_known_default().unwrap_or(0))
        }),
        "id": row.tier,
        "isBackup": false,
        "lastAnnouncePeerCount": 0,
        "lastAnnounceResult": "",
        "lastAnnounceStartTime": 0,
        "lastAnnounceSucceeded": false,
        "lastAnnounceTime": 0,
        "lastAnnounceTimedOut": false,
        "lastScrapeResult": row.message.clone().unwrap_or_default(),
        "lastScrapeStartTime": scraped,
        "lastScrapeSucceeded": row.status == TrackerStatus::Working,
        "lastScrapeTime": scraped,
        "lastScrapeTimedOut": false,
        "leecherCount": count(row.leechers),
        "nextAnnounceTime": 0,
        "nextScrapeTime": 0,
        "scrape": scrape_url,
        "scrapeState": 0,
        "seederCount": count(row.seeders),
        "sitename": host,
        "tier": row.tier,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn torrent(state: TorrentState, complete: bool) -> Torrent {
        crate::compat::sample_torrent(state, complete)
    }

    #[test]
    fn each_state_has_its_status() {
        use TorrentState::*;
        let cases = [
            (Metadata, false, Status::Download),
            (Downloading, false, Status::Download),
            (Seeding, true, Status::Seed),
            (Paused, false, Status::Stopped),
            (Paused, true, Status::Stopped),
            (Completed, true, Status::Stopped),
            (Error, false, Status::Stopped),
            (Queued, false, Status::DownloadWait),
            (Queued, true, Status::SeedWait),
            (Moving, false, Status::DownloadWait),
            (Moving, true, Status::SeedWait),
            (Checking, false, Status::Check),
            (Checking, true, Status::Check),
        ];
        for (state, complete, want) in cases {
            assert_eq!(
                Status::of(&torrent(state, complete)),
                want,
                "{state:?} {complete}"
            );
        }
        let mut magnet = torrent(Queued, false);
        magnet.files.clear();
        magnet.size = 0;
        magnet.completed = 0;
        assert_eq!(Status::of(&magnet), Status::DownloadWait);
    }

    fn context() -> Context<'static> {
        Context {
            engine: None,
            paths: SavePaths::new(
                std::path::Path::new("/data"),
                std::path::Path::new("/data/downloads"),
                std::path::Path::new("/state"),
            ),
            global: SeedLimits::default(),
            now: OffsetDateTime::now_utc(),
            queued: 0,
        }
    }

    fn fields(t: &Torrent, names: &[&str]) -> Value {
        Value::Object(context().object(t, names))
    }

    #[test]
    fn folders_are_absolute_and_file_names_relative_to_them() {
        let mut t = torrent(TorrentState::Seeding, true);
        t.save_path = "tv".into();
        t.files[0].path = "tv/Show/a.mkv".into();
        let got = fields(&t, &["downloadDir", "files", "nonsense"]);
        assert_eq!(
            got,
            json!({
                "downloadDir": "/data/downloads/tv",
                "files": [{"name": "Show/a.mkv", "length": 1000, "bytesCompleted": 1000}],
            })
        );
        t.save_path = String::new();
        t.files[0].path = "a.mkv".into();
        assert_eq!(
            fields(&t, &["downloadDir", "files"])["files"][0]["name"],
            "a.mkv"
        );
        assert_eq!(
            fields(&t, &["downloadDir"])["downloadDir"],
            "/data/downloads"
        );
    }

    #[test]
    fn eta_uses_minus_one_and_minus_two() {
        let mut t = torrent(TorrentState::Downloading, false);
        assert_eq!(fields(&t, &["eta"])["eta"], -2);
        t.eta = Some(5);
        assert_eq!(fields(&t, &["eta"])["eta"], 5);
        let t = torrent(TorrentState::Paused, false);
        assert_eq!(fields(&t, &["eta"])["eta"], -1);
        let t = torrent(TorrentState::Seeding, true);
        assert_eq!(
            fields(&t, &["eta", "etaIdle"]),
            json!({"eta": -1, "etaIdle": -1})
        );
    }

    #[test]
    fn finished_only_once_a_seed_limit_stopped_it() {
        let mut t = torrent(TorrentState::Completed, true);
        t.seed_limit_reached = true;
        assert_eq!(fields(&t, &["isFinished"])["isFinished"], true);
        let t = torrent(TorrentState::Paused, true);
        assert_eq!(fields(&t, &["isFinished"])["isFinished"], false);
        let t = torrent(TorrentState::Seeding, true);
        assert_eq!(fields(&t, &["isFinished"])["isFinished"], false);
    }

    #[test]
    fn seed_limits_show_their_modes() {
        let names = [
            "seedRatioLimit",
            "seedRatioMode",
            "seedIdleLimit",
            "seedIdleMode",
        ];
        let mut t = torrent(TorrentState::Seeding, true);
        assert_eq!(
            fields(&t, &names),
            json!({"seedRatioLimit": 2.0, "seedRatioMode": 0, "seedIdleLimit": 30, "seedIdleMode": 0})
        );
        t.seed_ratio_limit = Some(1.5);
        t.seed_idle_limit = Some(-1);
        assert_eq!(
            fields(&t, &names),
            json!({"seedRatioLimit": 1.5, "seedRatioMode": 1, "seedIdleLimit": 30, "seedIdleMode": 2})
        );
    }

    #[test]
    fn errors_ratios_and_magnets() {
        let mut t = torrent(TorrentState::Error, false);
        t.error = Some("disk full".into());
        assert_eq!(
            fields(&t, &["error", "errorString", "status"]),
            json!({"error": 3, "errorString": "disk full", "status": 0})
        );
        let t = torrent(TorrentState::Downloading, false);
        assert_eq!(
            fields(&t, &["error", "errorString", "uploadRatio"]),
            json!({"error": 0, "errorString": "", "uploadRatio": 0.0})
        );
        let mut magnet = torrent(TorrentState::Metadata, false);
        magnet.files.clear();
        magnet.size = 0;
        magnet.completed = 0;
        assert_eq!(
            fields(
                &magnet,
                &[
                    "totalSize",
                    "metadataPercentComplete",
                    "uploadRatio",
                    "status"
                ]
            ),
            json!({"totalSize": 0, "metadataPercentComplete": 0.0, "uploadRatio": -1.0, "status": 4})
        );
    }

    #[test]
    fn the_table_format_keeps_the_order_of_the_fields() {
        let t = torrent(TorrentState::Seeding, true);
        assert_eq!(
            context().row(&t, &["id", "name", "status"]),
            vec![json!(1), json!("x"), json!(6)]
        );
    }

    #[test]
    fn status_numbers_are_transmissions() {
        let numbers = [
            Status::Stopped,
            Status::CheckWait,
            Status::Check,
            Status::DownloadWait,
            Status::Download,
            Status::SeedWait,
            Status::Seed,
        ]
        .map(|s| s as u8);
        assert_eq!(numbers, [0, 1, 2, 3, 4, 5, 6]);
    }

    #[test]
    fn modes_follow_the_own_limits() {
        assert_eq!(mode(None), 0);
        assert_eq!(mode(Some(true)), 1);
        assert_eq!(mode(Some(false)), 2);
    }

    #[test]
    fn piece_bits_are_read_high_bit_first() {
        let pieces = Pieces {
            piece_length: 16384,
            count: 10,
            have: vec![0b1000_0001, 0b0100_0000],
        };
        let held: Vec<u32> = (0..10).filter(|&i| have_piece(&pieces, i)).collect();
        assert_eq!(held, [0, 7, 9]);
    }
}
