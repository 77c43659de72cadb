//! Configuration: flags, environment variables and the config file.
//! Precedence: flag > environment > file > default.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use clap::Parser;
use clap::builder::BoolishValueParser;
use cloud_torrent_engine::EngineConfig;
use cloud_torrent_server::{Credentials, EventsConfig, SecurityConfig, ServerConfig, TlsConfig};
use serde::Deserialize;

/// Command line of cloud-torrent. Every flag also reads an environment variable.
#[derive(Debug, Parser)]
#[command(
    name = "cloud-torrent",
    version,
    about = "A self-hosted BitTorrent client driven from a browser"
)]
pub struct Cli {
    /// HTTP port [default: 3000]
    #[arg(short = 'p', long, env = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,
    /// Address to listen on for HTTP [default: 0.0.0.0]
    #[arg(long, env = "HOST")]
    pub host: Option<IpAddr>,
    /// Title shown in the web UI [default: Cloud Torrent]
    #[arg(short = 't', long, env = "TITLE")]
    pub title: Option<String>,
    /// Credentials as user:password [default: none on loopback, else a generated password]
    #[arg(short = 'a', long, env = "AUTH")]
    pub auth: Option<String>,
    /// No login at all, even when listening beyond loopback (e.g. behind your own proxy)
    #[arg(long, env = "NO_AUTH", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub no_auth: Option<bool>,
    /// Extra host names the server may be reached by (comma-separated), e.g. a reverse proxy's
    #[arg(long, env = "ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Option<Vec<String>>,
    /// Config file; TOML, or JSON when the name ends in .json
    #[arg(
        short = 'c',
        long,
        env = "CONFIG_PATH",
        default_value = "cloud-torrent.toml"
    )]
    pub config_path: PathBuf,
    /// Where torrents' files go [default: ./downloads]
    #[arg(short = 'd', long, env = "DOWNLOAD_DIR")]
    pub download_dir: Option<PathBuf>,
    /// The folder the download folder may be moved within over the API [default: the download folder]
    #[arg(long, env = "DOWNLOAD_ROOT")]
    pub download_root: Option<PathBuf>,
    /// Where the torrent list and resume data are kept [default: .cloud-torrent-state beside the config file]
    #[arg(long, env = "STATE_DIR")]
    pub state_dir: Option<PathBuf>,
    /// Port for incoming peer connections (TCP and uTP) [default: 50007]
    #[arg(long, env = "INCOMING_PORT")]
    pub incoming_port: Option<u16>,
    /// Address for incoming peer connections [default: all]
    #[arg(long, env = "INCOMING_HOST")]
    pub incoming_host: Option<IpAddr>,
    /// Turn off the DHT and local peer discovery
    #[arg(long, env = "DISABLE_DHT", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub disable_dht: Option<bool>,
    /// Allow fetching .torrent URLs from private and loopback addresses
    #[arg(long, env = "ALLOW_PRIVATE_URLS", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub allow_private_urls: Option<bool>,
    /// Log every HTTP request
    #[arg(short = 'l', long, env = "LOG", num_args = 0..=1, default_missing_value = "true", value_parser = BoolishValueParser::new())]
    pub log: Option<bool>,
    /// Search providers file: JSON, Cloud Torrent's scraper-config.json format plus Torznab indexers
    #[arg(long, env = "SEARCH_CONFIG")]
    pub search_config: Option<PathBuf>,
    /// TLS certificate chain (PEM) to serve HTTPS, with HTTP/2; needs --key-path
    #[arg(short = 'r', long, env = "CERT_PATH")]
    pub cert_path: Option<PathBuf>,
    /// TLS private key (PEM) of --cert-path
    #[arg(short = 'k', long, env = "KEY_PATH")]
    pub key_path: Option<PathBuf>,
}

/// The config file. Keys are camelCase; unknown keys are an error so typos are caught.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FileConfig {
    pub port: Option<u16>,
    pub host: Option<IpAddr>,
    pub title: Option<String>,
    pub auth: Option<String>,
    /// No login even beyond loopback.
    pub no_auth: Option<bool>,
    /// Extra host names the `Host` header may carry (reverse proxies).
    pub allowed_hosts: Option<Vec<String>>,
    pub download_dir: Option<PathBuf>,
    /// The folder `PATCH /api/v1/config` may move `downloadDir` within.
    pub download_root: Option<PathBuf>,
    pub state_dir: Option<PathBuf>,
    pub incoming_port: Option<u16>,
    pub incoming_host: Option<IpAddr>,
    pub dht: Option<bool>,
    pub seeding: Option<bool>,
    pub upload: Option<bool>,
    pub auto_start: Option<bool>,
    pub allow_private_urls: Option<bool>,
    pub log: Option<bool>,
    /// Seconds between two live-update events to one UI client (default 1).
    pub event_interval: Option<f64>,
    /// Seconds between two refreshes of the system statistics (default 5).
    pub stats_interval: Option<f64>,
    /// The search providers file (see search-providers.example.json).
    pub search_config: Option<PathBuf>,
    /// TLS certificate chain (PEM): serve HTTPS. Needs `keyPath`.
    pub cert_path: Option<PathBuf>,
    /// TLS private key (PEM) of `certPath`.
    pub key_path: Option<PathBuf>,
}

/// The resolved configuration.
#[derive(Debug)]
pub struct Settings {
    pub host: IpAddr,
    pub port: u16,
    pub log: bool,
    pub auth: Option<String>,
    pub no_auth: bool,
    pub server: ServerConfig,
}

/// A configuration error: one line naming the setting and why.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

fn read_file(path: &Path) -> Result<FileConfig, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(FileConfig::default()),
        Err(e) => return Err(ConfigError(format!("config file {}: {e}", path.display()))),
    };
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let parsed = if is_json {
        serde_json::from_str(&text).map_err(|e| e.to_string())
    } else {
        toml::from_str(&text).map_err(|e| e.message().to_owned() + &locate(&text, e.span()))
    };
    parsed.map_err(|e| ConfigError(format!("config file {}: {e}", path.display())))
}

fn locate(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        format!(
            " (line {})",
            text[..s.start.min(text.len())].lines().count().max(1)
        )
    })
    .unwrap_or_default()
}

/// A folder that exists (created if needed) and is writable; returned absolute.
fn usable_dir(setting: &str, dir: &Path) -> Result<PathBuf, ConfigError> {
    let fail =
        |why: String| ConfigError(format!("{setting} {:?}: {why}", dir.display().to_string()));
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create it ({e})")))?;
    let abs = dir
        .canonicalize()
        .map_err(|e| fail(format!("cannot open it ({e})")))?;
    if !abs.is_dir() {
        return Err(fail("not a folder".into()));
    }
    let probe = abs.join(format!(".cloud-torrent-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"").map_err(|e| fail(format!("not writable ({e})")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(abs)
}

/// HTTPS when both `certPath` and `keyPath` are set (loaded and checked now), plain HTTP
/// when neither is.
fn resolve_tls(
    cert_path: Option<PathBuf>,
    key_path: Option<PathBuf>,
) -> Result<Option<TlsConfig>, ConfigError> {
    let set = |p: Option<PathBuf>| p.filter(|p| !p.as_os_str().is_empty());
    match (set(cert_path), set(key_path)) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => TlsConfig::from_pem_files(&cert, &key)
            .map(Some)
            .map_err(|e| ConfigError(e.to_string())),
        (Some(_), None) => Err(ConfigError(
            "certPath is set but keyPath is not: give both (--cert-path and --key-path) or neither"
                .into(),
        )),
        (None, Some(_)) => Err(ConfigError(
            "keyPath is set but certPath is not: give both (--cert-path and --key-path) or neither"
                .into(),
        )),
    }
}

impl Settings {
    /// Resolves flags and environment (already in `cli`) over the config file and defaults.
    pub fn resolve(cli: Cli) -> Result<Settings, ConfigError> {
        let file = read_file(&cli.config_path)?;
        // UI settings the command line fixes: the API must not pretend to change them.
        let command_line_settings = [
            ("title", cli.title.is_some()),
            ("downloadDir", cli.download_dir.is_some()),
            ("incomingPort", cli.incoming_port.is_some()),
            ("dht", cli.disable_dht.is_some()),
        ]
        .into_iter()
        .filter(|(_, given)| *given)
        .map(|(key, _)| key.to_owned())
        .collect::<Vec<_>>();
        let port = cli.port.or(file.port).unwrap_or(3000);
        if port == 0 {
            return Err(ConfigError("port 0: choose a port from 1 to 65535".into()));
        }
        let download_dir = cli
            .download_dir
            .or(file.download_dir)
            .unwrap_or_else(|| PathBuf::from("downloads"));
        let download_dir = usable_dir("downloadDir", &download_dir)?;
        let download_root = cli
            .download_root
            .or(file.download_root)
            .filter(|p| !p.as_os_str().is_empty())
            .map(|root| usable_dir("downloadRoot", &root))
            .transpose()?;
        if let Some(root) = &download_root
            && !download_dir.starts_with(root)
        {
            return Err(ConfigError(format!(
                "downloadDir {:?} is outside downloadRoot {:?}: choose a downloadRoot that contains it",
                download_dir.display().to_string(),
                root.display().to_string()
            )));
        }
        let config_folder = cli
            .config_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let state_dir = cli
            .state_dir
            .or(file.state_dir)
            .unwrap_or_else(|| config_folder.join(".cloud-torrent-state"));
        let state_dir = usable_dir("stateDir", &state_dir)?;
        if state_dir.starts_with(&download_dir) {
            return Err(ConfigError(format!(
                "stateDir {:?} is inside downloadDir; keep them apart so torrents cannot overwrite the state",
                state_dir.display().to_string()
            )));
        }
        let mut engine = EngineConfig::new(download_dir, state_dir);
        engine.download_root = download_root;
        engine.incoming_port = cli.incoming_port.or(file.incoming_port).unwrap_or(50007);
        engine.listen_ip = cli.incoming_host.or(file.incoming_host);
        let dht = match cli.disable_dht {
            Some(disable) => !disable,
            None => file.dht.unwrap_or(true),
        };
        engine.dht = dht;
        engine.lsd = dht;
        engine.seeding = file.seeding.unwrap_or(true);
        engine.upload = file.upload.unwrap_or(true);
        engine.auto_start = file.auto_start.unwrap_or(true);
        engine.allow_private_urls = cli
            .allow_private_urls
            .or(file.allow_private_urls)
            .unwrap_or(false);
        let mut events = EventsConfig::default();
        for (key, value, slot) in [
            (
                "eventInterval",
                file.event_interval,
                &mut events.min_interval,
            ),
            (
                "statsInterval",
                file.stats_interval,
                &mut events.stats_interval,
            ),
        ] {
            if let Some(seconds) = value {
                if !(0.05..=3600.0).contains(&seconds) {
                    return Err(ConfigError(format!(
                        "{key} {seconds}: choose from 0.05 to 3600 seconds"
                    )));
                }
                *slot = std::time::Duration::from_secs_f64(seconds);
            }
        }
        let search_config = cli
            .search_config
            .or(file.search_config)
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(path) = &search_config {
            cloud_torrent_search::check_file(path).map_err(|e| {
                ConfigError(format!(
                    "searchConfig {:?}: {e}",
                    path.display().to_string()
                ))
            })?;
        }
        let auth = cli.auth.or(file.auth).filter(|a| !a.is_empty());
        let no_auth = cli.no_auth.or(file.no_auth).unwrap_or(false);
        if auth.is_some() && no_auth {
            return Err(ConfigError(
                "auth and noAuth are both set: choose one".into(),
            ));
        }
        let mut allowed_hosts = Vec::new();
        for host in cli.allowed_hosts.or(file.allowed_hosts).unwrap_or_default() {
            let host = host.trim().to_owned();
            if host.is_empty() {
                continue;
            }
            if host != "*"
                && !host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
            {
                return Err(ConfigError(format!(
                    "allowedHosts {host:?}: expected a host name without scheme or port"
                )));
            }
            allowed_hosts.push(host);
        }
        if let Some(auth) = &auth
            && !auth.contains(':')
        {
            return Err(ConfigError("auth: expected user:password".into()));
        }
        let tls = resolve_tls(
            cli.cert_path.or(file.cert_path),
            cli.key_path.or(file.key_path),
        )?;
        Ok(Settings {
            host: cli
                .host
                .or(file.host)
                .unwrap_or(IpAddr::V4([0, 0, 0, 0].into())),
            port,
            log: cli.log.or(file.log).unwrap_or(false),
            auth,
            no_auth,
            server: ServerConfig {
                title: cli
                    .title
                    .or(file.title)
                    .unwrap_or_else(|| "Cloud Torrent".into()),
                engine,
                config_file: Some(cli.config_path.clone()),
                events,
                search_config,
                security: SecurityConfig {
                    allowed_hosts,
                    ..SecurityConfig::default()
                },
                tls,
                command_line_settings,
            },
        })
    }

    /// Sets the server's login: `auth` when given; none with `noAuth` or on a loopback
    /// address; otherwise the login kept in the state folder, generated at the first start.
    /// Returns a newly generated password, to be shown once.
    pub fn resolve_auth(&mut self) -> Result<Option<String>, ConfigError> {
        let security = &mut self.server.security;
        if let Some(auth) = &self.auth {
            let (user, password) = auth
                .split_once(':')
                .ok_or_else(|| ConfigError("auth: expected user:password".into()))?;
            let credentials =
                Credentials::new(user, password).map_err(|e| ConfigError(format!("auth: {e}")))?;
            security.credentials = Some(credentials);
            return Ok(None);
        }
        if self.no_auth || self.host.is_loopback() {
            return Ok(None);
        }
        let (credentials, generated) =
            cloud_torrent_server::auth::load_or_generate(&self.server.engine.state_dir)
                .map_err(|e| ConfigError(format!("auth: {e}")))?;
        security.credentials = Some(credentials);
        Ok(generated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Config-file text: real keys with values of every type, TOML and JSON syntax,
    /// and junk.
    fn config_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(vec![
                    "port",
                    "host",
                    "title",
                    "auth",
                    "downloadDir",
                    "downloadRoot",
                    "stateDir",
                    "incomingPort",
                    "dht",
                    "eventInterval",
                    "allowedHosts",
                    "searchConfig",
                    "bogus",
                    "[section]",
                    "\"quoted key\"",
                ])
                .prop_map(str::to_owned),
                prop::sample::select(vec![
                    " = ",
                    "=",
                    "\n",
                    ": ",
                    ", ",
                    "{",
                    "}",
                    "[",
                    "]",
                    "\"",
                    "'",
                    "#",
                    "\\",
                    "true",
                    "1e999",
                    "-1",
                    "99999999999999999999",
                    "0.0",
                    "nan",
                    "inf",
                    "\"127.0.0.1\"",
                    "\"/\"",
                    "\"../x\"",
                    "'''",
                    "\"\"\"",
                    "\u{0}",
                    "\u{feff}",
                ])
                .prop_map(str::to_owned),
                "\\PC{0,10}",
            ],
            0..30,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Arbitrary TOML or JSON text never panics: it is a config or one error
        /// naming the file.
        #[test]
        fn config_files_never_panic(text in config_text(), json in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(if json { "c.json" } else { "c.toml" });
            std::fs::write(&path, &text).unwrap();
            if let Err(e) = read_file(&path) {
                prop_assert!(e.to_string().starts_with("invalid configuration: config file"), "{}", e);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let dir = tempfile::tempdir().unwrap();
            for name in ["c.toml", "c.json"] {
                let path = dir.path().join(name);
                std::fs::write(&path, &bytes).unwrap();
                let _ = read_file(&path);
            }
        }
    }
}
