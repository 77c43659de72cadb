//! Every setting of cloud-torrent, described once.
//!
//! [`SETTINGS`] lists each setting's key, flag, environment variable, default, what the
//! API may do with it and what it means; the `settings!` list below also gives its type
//! and its check. Everything else is derived from that list: the command line (the
//! binary builds its flags from [`SETTINGS`]), the reading of the config file
//! ([`file::read`]), the API's view and changes (`crates/server/src/settings.rs`), and
//! the README's table ([`table::markdown`], which a test compares with the README).
//!
//! Adding a setting is one entry in the list plus the code that uses its value.

pub mod file;
mod registry;
pub mod schedule;
pub mod table;
mod value;
pub mod watch;

use std::net::IpAddr;
use std::path::PathBuf;

pub use registry::{Api, Flag, Setting};
pub use schedule::AltSpeedSchedule;
pub use value::{ListItem, SettingValue};
pub use watch::WatchFolder;

use registry::{Input, settings};

/// A value refused for a setting, or an unknown key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {why}")]
pub struct SettingError {
    /// The setting's key.
    pub key: String,
    /// Why the value was refused.
    pub why: String,
}

impl SettingError {
    fn new(key: &str, why: impl Into<String>) -> Self {
        SettingError {
            key: key.to_owned(),
            why: why.into(),
        }
    }

    fn unknown(key: &str) -> Self {
        SettingError::new(key, "no such setting")
    }
}

/// The setting whose key is `key`.
pub fn setting(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| s.key == key)
}

fn any<T>(value: T) -> Result<T, String> {
    Ok(value)
}

fn port(port: u16) -> Result<u16, String> {
    if port == 0 {
        return Err("port 0: choose a port from 1 to 65535".into());
    }
    Ok(port)
}

fn title(title: String) -> Result<String, String> {
    let title = title.trim().to_owned();
    if title.is_empty() || title.chars().count() > 100 {
        return Err("must be 1 to 100 characters".into());
    }
    if title.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(title)
}

fn user_and_password(auth: Option<String>) -> Result<Option<String>, String> {
    match auth {
        Some(auth) if !auth.contains(':') => Err("expected user:password".into()),
        other => Ok(other),
    }
}

fn host_names(hosts: Vec<String>) -> Result<Vec<String>, String> {
    for host in &hosts {
        if host != "*"
            && !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
        {
            return Err(format!(
                "{host:?}: expected a host name without scheme or port"
            ));
        }
    }
    Ok(hosts)
}

fn ratio_limit(ratio: Option<f64>) -> Result<Option<f64>, String> {
    match ratio {
        Some(r) if !(r.is_finite() && r >= 0.0) => {
            Err(format!("{r}: use a ratio of 0 or more, or null for none"))
        }
        other => Ok(other),
    }
}

fn seed_limit_action(action: String) -> Result<String, String> {
    match action.as_str() {
        "stop" | "remove" | "removeWithData" => Ok(action),
        other => Err(format!(
            "{other:?}: use \"stop\", \"remove\" or \"removeWithData\""
        )),
    }
}

fn count_or_unlimited(n: i64) -> Result<i64, String> {
    if n < -1 {
        return Err(format!("{n}: use 0 or more, or -1 for unlimited"));
    }
    Ok(n)
}

fn at_least_one(n: u64) -> Result<u64, String> {
    if n == 0 {
        return Err("must be at least 1".into());
    }
    Ok(n)
}

fn timeout(seconds: f64) -> Result<f64, String> {
    if !(1.0..=86_400.0).contains(&seconds) {
        return Err(format!("{seconds}: choose from 1 to 86400 seconds"));
    }
    Ok(seconds)
}

fn interval(seconds: f64) -> Result<f64, String> {
    if !(0.05..=3600.0).contains(&seconds) {
        return Err(format!("{seconds}: choose from 0.05 to 3600 seconds"));
    }
    Ok(seconds)
}

settings! {
    port: u16 = 3000,
        Setting::new("port", Api::Hidden, "3000", "HTTP port")
            .flag(Flag::new("port", "PORT").short('p')),
        check port;
    host: IpAddr = IpAddr::from([0, 0, 0, 0]),
        Setting::new("host", Api::Hidden, "0.0.0.0", "HTTP address")
            .flag(Flag::new("host", "HOST")),
        check any;
    title: String = "Cloud Torrent".into(),
        Setting::new("title", Api::Live, "Cloud Torrent", "title for the UI")
            .flag(Flag::new("title", "TITLE").short('t')),
        check title;
    auth: Option<String> = None,
        Setting::new("auth", Api::Hidden, "none",
            "`user:password`: the login ([Security](#security)); kept in memory only as an argon2 hash")
            .flag(Flag::new("auth", "AUTH").short('a')),
        check user_and_password;
    auth_file: Option<PathBuf> = None,
        Setting::new("authFile", Api::Hidden, "none",
            "a file whose first line is `user:password`: the login, kept out of the command line and the environment")
            .flag(Flag::new("auth-file", "AUTH_FILE")),
        check any;
    no_auth: bool = false,
        Setting::new("noAuth", Api::Hidden, "false",
            "no login even beyond loopback (behind your own authenticating proxy)")
            .flag(Flag::new("no-auth", "NO_AUTH")),
        check any;
    allowed_hosts: Vec<String> = Vec::new(),
        Setting::new("allowedHosts", Api::Hidden, "none",
            "comma-separated host names (array in the file) the server may be reached by besides IP addresses, `localhost` and this machine's name, e.g. a reverse proxy's public name; `*` allows any")
            .flag(Flag::new("allowed-hosts", "ALLOWED_HOSTS")),
        check host_names;
    config_path: PathBuf = PathBuf::from("cloud-torrent.toml"),
        Setting::new("configPath", Api::Hidden, "`cloud-torrent.toml`",
            "config file, TOML or JSON when its name ends in .json (missing = defaults)")
            .flag(Flag::new("config-path", "CONFIG_PATH").short('c'))
            .command_line_only(),
        check any;
    download_dir: PathBuf = PathBuf::from("downloads"),
        Setting::new("downloadDir", Api::Restart, "`./downloads`",
            "where files go: `<dir>/<torrent name>`")
            .flag(Flag::new("download-dir", "DOWNLOAD_DIR").short('d')),
        check any;
    incomplete_dir: Option<String> = None,
        Setting::new("incompleteDir", Api::Live, "none",
            "where torrents download before they move to their final folder (their category's, or `downloadDir`) when complete: relative to `downloadDir`, or absolute inside `downloadRoot`; unset or empty = download in place"),
        check any;
    event_programs: Vec<cloud_torrent_hooks::EventProgram> = Vec::new(),
        Setting::new("eventPrograms", Api::ReadOnly, "none",
            "programs run on torrent events, never through a shell: `[{\"event\": \"added\" | \"finished\" | \"seedingDone\" | \"removed\" | \"error\", \"argv\": [\"/abs/prog\", \"{name}\", ...], \"timeoutSeconds\"?: 600}]` (see Scripts); only in the config file or by flag, since whoever sets it runs code on the host")
            .flag(Flag::new("event-programs", "EVENT_PROGRAMS")),
        check any;
    webhooks: Vec<cloud_torrent_hooks::Webhook> = Vec::new(),
        Setting::new("webhooks", Api::Live, "none",
            "POSTs on torrent events: `[{\"url\", \"events\"?: [...], \"headers\"?: {...}, \"format\"?: \"json\" | \"discord\" | \"ntfy\" | \"gotify\"}]` (see Notifications); private addresses only with `allowPrivateUrls`"),
        check any;
    watch_folders: Vec<WatchFolder> = Vec::new(),
        Setting::new("watchFolders", Api::Live, "none",
            "folders whose `.torrent` and `.magnet` files are added (then renamed `.added`, or `.invalid`): `[{\"path\", \"category\"?, \"savePath\"?, \"tags\"?, \"paused\"?, \"recursive\"?}]`; `path` absolute"),
        check any;
    compat_qbittorrent: bool = true,
        Setting::new("compatQbittorrent", Api::Restart, "true",
            "answer qBittorrent's Web API under `/api/v2/` (for Sonarr, Radarr, Prowlarr, phone apps; see Use with Sonarr, Radarr, Prowlarr and phone apps), behind the same login"),
        check any;
    compat_transmission: bool = true,
        Setting::new("compatTransmission", Api::Restart, "true",
            "answer Transmission's RPC at `/transmission/rpc` (for Sonarr, Radarr, transmission-remote, phone apps), behind the same login"),
        check any;
    compat_qbittorrent_port: u16 = 0,
        Setting::new("compatQbittorrentPort", Api::Restart, "0 (off)",
            "also answer qBittorrent's Web API, and only it, on this port (e.g. 8080, its default) for clients that cannot be given a path"),
        check any;
    compat_transmission_port: u16 = 0,
        Setting::new("compatTransmissionPort", Api::Restart, "0 (off)",
            "also answer Transmission's RPC, and only it, on this port (e.g. 9091, its default)"),
        check any;
    rss_max_articles: u64 = 200,
        Setting::new("rssMaxArticles", Api::Live, "200",
            "articles kept per RSS feed (the newest); what a rule downloaded is remembered beyond them"),
        check at_least_one;
    download_root: Option<PathBuf> = None,
        Setting::new("downloadRoot", Api::ReadOnly, "the download folder",
            "the folder `PATCH /api/v1/config` may move `downloadDir` within (so by default only to a subfolder); must contain `downloadDir`; never settable over the API")
            .flag(Flag::new("download-root", "DOWNLOAD_ROOT")),
        check any;
    state_dir: Option<PathBuf> = None,
        Setting::new("stateDir", Api::Hidden, "`.cloud-torrent-state` beside the config file",
            "torrent list and resume data; never inside the download folder")
            .flag(Flag::new("state-dir", "STATE_DIR")),
        check any;
    incoming_port: u16 = 50007,
        Setting::new("incomingPort", Api::Restart, "50007",
            "TCP and uTP port for incoming peers, announced to trackers (0 picks a free port)")
            .flag(Flag::new("incoming-port", "INCOMING_PORT")),
        check any;
    dormant_after: u64 = 0,
        Setting::new("dormantAfter", Api::Restart, "0 (never)",
            "seconds a seeding torrent with no peer waits before it leaves the BitTorrent engine to cost nothing: it stays `seeding` (with `dormant: true`), the server announces it to its trackers and the DHT with `dormantPort`, and hands it back to the engine the moment a peer connects there (see Thousands of torrents); 0 = never"),
        check any;
    dormant_port: u16 = 0,
        Setting::new("dormantPort", Api::Restart, "0 (`incomingPort` + 1)",
            "TCP port peers of dormant torrents connect to; behind a router, forward it like `incomingPort`"),
        check any;
    incoming_host: Option<IpAddr> = None,
        Setting::new("incomingHost", Api::Hidden, "all", "address of the BitTorrent traffic: peer listeners bind to it, every other peer socket keeps to its network interface")
            .flag(Flag::new("incoming-host", "INCOMING_HOST")),
        check any;
    dht: bool = true,
        Setting::new("dht", Api::Restart, "true",
            "find peers with the DHT and local peer discovery (`--disable-dht` turns both off)")
            .flag(Flag::new("disable-dht", "DISABLE_DHT").inverted()),
        check any;
    upload: bool = true,
        Setting::new("upload", Api::Restart, "true", "upload at all"),
        check any;
    seeding: bool = true,
        Setting::new("seeding", Api::Live, "true",
            "keep uploading after completion; when off a finished torrent is `completed` and stops"),
        check any;
    auto_start: bool = true,
        Setting::new("autoStart", Api::Live, "true", "start new torrents at once"),
        check any;
    download_limit: u64 = 0,
        Setting::new("downloadLimit", Api::Live, "0 (unlimited)",
            "bytes per second for all downloads together; 0 = unlimited"),
        check any;
    upload_limit: u64 = 0,
        Setting::new("uploadLimit", Api::Live, "0 (unlimited)",
            "bytes per second for all uploads together; 0 = unlimited"),
        check any;
    alt_download_limit: u64 = 100 * 1024,
        Setting::new("altDownloadLimit", Api::Live, "102400 (100 KiB/s)",
            "the download limit in the alternative mode; 0 = unlimited"),
        check any;
    alt_upload_limit: u64 = 100 * 1024,
        Setting::new("altUploadLimit", Api::Live, "102400 (100 KiB/s)",
            "the upload limit in the alternative mode; 0 = unlimited"),
        check any;
    alt_speed: bool = false,
        Setting::new("altSpeed", Api::Live, "false",
            "the alternative (\"turtle\") limits are on; the schedule sets it at each of its edges, a change lasts until the next"),
        check any;
    alt_speed_schedule: AltSpeedSchedule = AltSpeedSchedule::default(),
        Setting::new("altSpeedSchedule", Api::Live, "off; 08:00 to 20:00 every day",
            "`{\"enabled\", \"from\": \"HH:MM\", \"to\": \"HH:MM\", \"days\": [\"mon\", …, \"sun\"]}` in the server's local time: when the alternative limits switch on and off (`from` after `to` wraps over midnight)"),
        check any;
    queueing: bool = false,
        Setting::new("queueing", Api::Live, "false",
            "run only a few torrents at once (the limits below); the others wait `queued`, in queue order"),
        check any;
    max_active_downloads: i64 = 3,
        Setting::new("maxActiveDownloads", Api::Live, "3",
            "with `queueing`: incomplete torrents running at once; -1 = unlimited"),
        check count_or_unlimited;
    max_active_seeds: i64 = 5,
        Setting::new("maxActiveSeeds", Api::Live, "5",
            "with `queueing`: complete torrents seeding at once; -1 = unlimited"),
        check count_or_unlimited;
    max_active_torrents: i64 = 8,
        Setting::new("maxActiveTorrents", Api::Live, "8",
            "with `queueing`: torrents running at once in all; -1 = unlimited"),
        check count_or_unlimited;
    slow_torrents_exempt: bool = false,
        Setting::new("slowTorrentsExempt", Api::Live, "false",
            "with `queueing`: a torrent below both slow rates for `slowTorrentTime` keeps running but frees its slot"),
        check any;
    slow_download_rate: u64 = 2048,
        Setting::new("slowDownloadRate", Api::Live, "2048",
            "bytes per second received below which a torrent is slow"),
        check any;
    slow_upload_rate: u64 = 2048,
        Setting::new("slowUploadRate", Api::Live, "2048",
            "bytes per second sent below which a torrent is slow"),
        check any;
    slow_torrent_time: u64 = 60,
        Setting::new("slowTorrentTime", Api::Live, "60",
            "seconds a torrent must stay slow before it frees its slot"),
        check any;
    seed_ratio_limit: Option<f64> = None,
        Setting::new("seedRatioLimit", Api::Live, "none",
            "stop seeding at this share ratio (uploaded / downloaded); each torrent may set its own"),
        check ratio_limit;
    seed_time_limit: Option<u64> = None,
        Setting::new("seedTimeLimit", Api::Live, "none",
            "minutes: stop seeding after seeding this long; each torrent may set its own"),
        check any;
    seed_idle_limit: Option<u64> = None,
        Setting::new("seedIdleLimit", Api::Live, "none",
            "minutes: stop seeding after this long without sending or receiving anything; each torrent may set its own"),
        check any;
    seed_limit_action: String = "stop".into(),
        Setting::new("seedLimitAction", Api::Live, "`stop`",
            "what a torrent reaching a seeding limit does: `stop` (it stays, `completed`), `remove`, or `removeWithData`"),
        check seed_limit_action;
    allow_private_urls: bool = false,
        Setting::new("allowPrivateUrls", Api::ReadOnly, "false",
            "fetch .torrent URLs from private/loopback addresses")
            .flag(Flag::new("allow-private-urls", "ALLOW_PRIVATE_URLS")),
        check any;
    log: bool = false,
        Setting::new("log", Api::Hidden, "false", "log every HTTP request (`RUST_LOG` overrides)")
            .flag(Flag::new("log", "LOG").short('l')),
        check any;
    search_config: Option<PathBuf> = None,
        Setting::new("searchConfig", Api::Hidden, "none (no search)",
            "search providers file, see [Search](#search); checked at start-up, reloaded when it changes")
            .flag(Flag::new("search-config", "SEARCH_CONFIG")),
        check any;
    cert_path: Option<PathBuf> = None,
        Setting::new("certPath", Api::Hidden, "none (plain HTTP)",
            "TLS certificate chain (PEM, leaf first): serve HTTPS, with HTTP/2 and HTTP/1.1, on `port`; needs `keyPath`")
            .flag(Flag::new("cert-path", "CERT_PATH").short('r')),
        check any;
    key_path: Option<PathBuf> = None,
        Setting::new("keyPath", Api::Hidden, "none",
            "TLS private key (PEM: PKCS#8, PKCS#1 or SEC1) of `certPath`; both or neither, checked at start-up")
            .flag(Flag::new("key-path", "KEY_PATH").short('k')),
        check any;
    event_interval: f64 = 1.0,
        Setting::new("eventInterval", Api::Hidden, "1",
            "seconds: at most one live-update event per UI client per interval"),
        check interval;
    stats_interval: f64 = 5.0,
        Setting::new("statsInterval", Api::Hidden, "5",
            "seconds between refreshes of the system stats"),
        check interval;
    max_connections: u64 = 1024,
        Setting::new("maxConnections", Api::Hidden, "1024",
            "HTTP connections open at once from all clients; one more is closed at once, unread"),
        check at_least_one;
    max_connections_per_address: u64 = 64,
        Setting::new("maxConnectionsPerAddress", Api::Hidden, "64",
            "HTTP connections open at once from one client address"),
        check at_least_one;
    request_timeout: f64 = 15.0,
        Setting::new("requestTimeout", Api::Hidden, "15",
            "seconds a connection has to send its first request head (after the TLS handshake), and on HTTP/1.1 each next one"),
        check timeout;
    idle_timeout: f64 = 60.0,
        Setting::new("idleTimeout", Api::Hidden, "60",
            "seconds a connection may stay open with no request in progress once it has made one"),
        check timeout;
    login_failures: u64 = 5,
        Setting::new("loginFailures", Api::Hidden, "5",
            "failed logins allowed per client address (IPv6: per /64) within a minute; then 429 until the oldest is a minute old"),
        check at_least_one;
    password_checks: u64 = 2,
        Setting::new("passwordChecks", Api::Hidden, "2",
            "password checks (argon2, about 19 MiB each) run at once; 4 times as many may wait, beyond that 503"),
        check at_least_one;
    max_files_per_torrent: u64 = 10_000,
        Setting::new("maxFilesPerTorrent", Api::Hidden, "10000",
            "files one torrent may hold (each holds a file descriptor); lowered to what the open-file limit allows"),
        check at_least_one;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn keys_flags_and_variables_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for s in SETTINGS {
            assert!(seen.insert(s.key.to_owned()), "key {}", s.key);
            if let Some(flag) = s.flag {
                assert!(seen.insert(format!("--{}", flag.long)), "{}", flag.long);
                assert!(seen.insert(format!("${}", flag.env)), "{}", flag.env);
                if let Some(c) = flag.short {
                    assert!(seen.insert(format!("-{c}")), "-{c}");
                }
            }
            assert!(ConfigValues::json_type(s.key).is_some());
            assert!(ConfigValues::default().get_json(s.key).is_some());
        }
    }

    #[test]
    fn every_default_reads_back_through_its_own_check() {
        let defaults = ConfigValues::default();
        for s in SETTINGS {
            let mut values = ConfigValues::default();
            let value = defaults.get_json(s.key).unwrap();
            values.set_json(s.key, &value).unwrap();
            assert_eq!(values.get_json(s.key), Some(value), "{}", s.key);
        }
    }

    #[test]
    fn checks_refuse_with_the_key_named() {
        let mut v = ConfigValues::default();
        let err = v.set_json("title", &json!("  ")).unwrap_err();
        assert_eq!(err.to_string(), "title: must be 1 to 100 characters");
        v.set_json("title", &json!("  Home ")).unwrap();
        assert_eq!(v.title, "Home");
        assert!(v.set_text("port", "0").is_err());
        assert!(
            v.set_text("port", "70000")
                .unwrap_err()
                .to_string()
                .contains("70000")
        );
        assert!(v.set_json("eventInterval", &json!(0.01)).is_err());
        assert!(v.set_json("allowedHosts", &json!(["http://x"])).is_err());
        assert!(v.set_text("auth", "nopassword").is_err());
        assert_eq!(
            v.set_json("bogus", &json!(1)).unwrap_err().to_string(),
            "bogus: no such setting"
        );
    }
}
