//! The start-up configuration: flags and environment variables (built from
//! [`cloud_torrent_config::SETTINGS`]) over the config file over the defaults, then the
//! checks that need the file system or several settings at once.

use std::path::{Path, PathBuf};

use clap::builder::BoolishValueParser;
use clap::parser::ValueSource;
use clap::{Arg, ArgMatches, Command};
use cloud_torrent_config::{ConfigValues, SETTINGS, SettingValue};
use cloud_torrent_server::{Credentials, EventsConfig, ServerConfig, TlsConfig};

/// The configuration the server starts with.
#[derive(Debug)]
pub struct Startup {
    /// Log every HTTP request.
    pub log: bool,
    /// Things the user should know, to log once logging is set up.
    pub warnings: Vec<String>,
    /// What `serve` runs with; `settings` holds every value as resolved.
    pub server: ServerConfig,
}

/// A configuration error: one line naming the setting and why.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

impl From<cloud_torrent_config::SettingError> for ConfigError {
    fn from(e: cloud_torrent_config::SettingError) -> Self {
        ConfigError(e.to_string())
    }
}

/// The command line: one flag per setting that has one, each also read from its
/// environment variable.
pub fn command() -> Command {
    let mut command = Command::new("cloud-torrent")
        .version(env!("CARGO_PKG_VERSION"))
        .about("A self-hosted BitTorrent client driven from a browser");
    for setting in SETTINGS {
        let Some(flag) = setting.flag else { continue };
        let mut arg = Arg::new(setting.key)
            .long(flag.long)
            .env(flag.env)
            .help(format!(
                "{} [default: {}]",
                setting.about,
                setting.default.replace('`', "")
            ));
        if let Some(short) = flag.short {
            arg = arg.short(short);
        }
        if is_bool(setting.key) {
            // `--flag` alone means true; `--flag=false` and `FLAG=0` are accepted too.
            arg = arg
                .num_args(0..=1)
                .default_missing_value("true")
                .value_parser(BoolishValueParser::new())
                .help(setting.about);
        }
        command = command.arg(arg.value_name(flag.env));
    }
    command
}

fn is_bool(key: &str) -> bool {
    ConfigValues::json_type(key) == Some(bool::JSON_TYPE)
}

/// Reads the flags and environment variables in `matches` over the config file they
/// name, over the defaults. Returns the values and the keys the API could change
/// that were given by a flag or environment variable.
fn read_values(matches: &ArgMatches) -> Result<(ConfigValues, Vec<String>), ConfigError> {
    let mut values = ConfigValues::default();
    let given = |key: &str| {
        matches!(
            matches.value_source(key),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
    };
    // The config file's own path comes first: it says where the rest is.
    if given("configPath")
        && let Some(path) = matches.get_one::<String>("configPath")
    {
        values.set_text("configPath", path)?;
    }
    cloud_torrent_config::file::read(&values.config_path.clone(), &mut values)
        .map_err(|e| ConfigError(e.to_string()))?;
    let mut command_line = Vec::new();
    for setting in SETTINGS {
        let Some(flag) = setting.flag else { continue };
        if !given(setting.key) {
            continue;
        }
        if is_bool(setting.key) {
            if let Some(on) = matches.get_one::<bool>(setting.key) {
                values.set_json(setting.key, &(*on != flag.inverted).into())?;
            }
        } else if let Some(text) = matches.get_one::<String>(setting.key) {
            values.set_text(setting.key, text)?;
        }
        if setting.writable() {
            command_line.push(setting.key.to_owned());
        }
    }
    Ok((values, command_line))
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
fn resolve_tls(values: &ConfigValues) -> Result<Option<TlsConfig>, ConfigError> {
    match (&values.cert_path, &values.key_path) {
        (None, None) => Ok(None),
        (Some(cert), Some(key)) => TlsConfig::from_pem_files(cert, key)
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

/// Makes the folders absolute and usable and checks how they sit with each other.
fn resolve_folders(values: &mut ConfigValues) -> Result<(), ConfigError> {
    values.download_dir = usable_dir("downloadDir", &values.download_dir)?;
    let root = match &values.download_root {
        Some(root) => usable_dir("downloadRoot", root)?,
        None => values.download_dir.clone(),
    };
    if !values.download_dir.starts_with(&root) {
        return Err(ConfigError(format!(
            "downloadDir {:?} is outside downloadRoot {:?}: choose a downloadRoot that contains it",
            values.download_dir.display().to_string(),
            root.display().to_string()
        )));
    }
    values.download_root = Some(root);
    let state_dir = match &values.state_dir {
        Some(dir) => dir.clone(),
        None => values
            .config_path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(".cloud-torrent-state"),
    };
    let state_dir = usable_dir("stateDir", &state_dir)?;
    if state_dir.starts_with(&values.download_dir) {
        return Err(ConfigError(format!(
            "stateDir {:?} is inside downloadDir; keep them apart so torrents cannot overwrite the state",
            state_dir.display().to_string()
        )));
    }
    values.state_dir = Some(state_dir);
    Ok(())
}

impl Startup {
    /// Resolves the command line (already parsed into `matches`) over the config file
    /// and the defaults.
    pub fn resolve(matches: &ArgMatches) -> Result<Startup, ConfigError> {
        let (mut values, command_line) = read_values(matches)?;
        let mut warnings = Vec::new();
        if matches.value_source("auth") == Some(ValueSource::CommandLine) {
            warnings.push(
                "--auth on the command line can be read by every user of this machine (ps); \
                 prefer AUTH, --auth-file or the config file"
                    .to_owned(),
            );
        }
        if let Some(path) = values.auth_file.clone() {
            if values.auth.is_some() {
                return Err(ConfigError(
                    "auth and authFile are both set: choose one".into(),
                ));
            }
            let text = std::fs::read_to_string(&path).map_err(|e| {
                ConfigError(format!(
                    "authFile {:?}: cannot read it ({})",
                    path.display().to_string(),
                    e.kind()
                ))
            })?;
            let line = text.lines().next().unwrap_or("").trim_end();
            values.set_text("auth", line).map_err(|e| {
                ConfigError(format!(
                    "authFile {:?}: {}",
                    path.display().to_string(),
                    e.why
                ))
            })?;
        }
        resolve_folders(&mut values)?;
        if let Some(path) = &values.search_config {
            cloud_torrent_search::check_file(path).map_err(|e| {
                ConfigError(format!(
                    "searchConfig {:?}: {e}",
                    path.display().to_string()
                ))
            })?;
        }
        if values.auth.is_some() && values.no_auth {
            return Err(ConfigError(
                "auth and noAuth are both set: choose one".into(),
            ));
        }
        let tls = resolve_tls(&values)?;
        let events = EventsConfig {
            min_interval: std::time::Duration::from_secs_f64(values.event_interval),
            stats_interval: std::time::Duration::from_secs_f64(values.stats_interval),
            ..EventsConfig::default()
        };
        Ok(Startup {
            log: values.log,
            warnings,
            server: ServerConfig {
                config_file: Some(values.config_path.clone()),
                command_line,
                events,
                tls,
                ..ServerConfig::new(values)
            },
        })
    }

    /// Sets the server's login: `auth` when given; none with `noAuth` or on a loopback
    /// address; otherwise the login kept in the state folder, generated at the first start.
    /// Returns a newly generated password, to be shown once.
    pub fn resolve_auth(&mut self) -> Result<Option<String>, ConfigError> {
        let values = &self.server.settings;
        let security = &mut self.server.security;
        if let Some(auth) = &values.auth {
            let (user, password) = auth
                .split_once(':')
                .ok_or_else(|| ConfigError("auth: expected user:password".into()))?;
            let credentials =
                Credentials::new(user, password).map_err(|e| ConfigError(format!("auth: {e}")))?;
            security.credentials = Some(credentials);
            return Ok(None);
        }
        if values.no_auth || values.host.is_loopback() {
            return Ok(None);
        }
        let state_dir = values.state_dir.clone().unwrap_or_default();
        let (credentials, generated) = cloud_torrent_server::auth::load_or_generate(&state_dir)
            .map_err(|e| ConfigError(format!("auth: {e}")))?;
        security.credentials = Some(credentials);
        Ok(generated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn startup(args: &[&str], file: &str) -> Result<Startup, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("c.toml");
        std::fs::write(&config, file).unwrap();
        let mut argv = vec!["cloud-torrent", "--config-path", config.to_str().unwrap()];
        argv.extend_from_slice(args);
        let dl = dir.path().join("dl");
        let state = dir.path().join("state");
        argv.extend(["--download-dir", dl.to_str().unwrap()]);
        argv.extend(["--state-dir", state.to_str().unwrap()]);
        let matches = command().try_get_matches_from(argv).unwrap();
        Startup::resolve(&matches)
    }

    #[test]
    fn flags_win_over_the_file_and_writable_ones_are_listed() {
        let s = startup(
            &["--title", "Flag", "--disable-dht", "--port", "8081"],
            "title = \"File\"\nport = 8080\nseeding = false\ndht = true\n",
        )
        .unwrap();
        let v = &s.server.settings;
        assert_eq!(
            (v.title.as_str(), v.port, v.dht, v.seeding),
            ("Flag", 8081, false, false)
        );
        assert_eq!(s.server.command_line, ["title", "downloadDir", "dht"]);
        assert!(v.download_dir.is_absolute());
    }

    #[test]
    fn bad_values_name_the_setting() {
        let err = startup(&["--port", "70000"], "").unwrap_err().to_string();
        assert!(err.contains("port") && err.contains("70000"), "{err}");
        let err = command()
            .try_get_matches_from(["cloud-torrent", "--disable-dht=maybe"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("maybe"), "{err}");
        let err = startup(&[], "eventInterval = 0.001\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("eventInterval"), "{err}");
    }

    #[test]
    fn every_setting_with_a_flag_is_on_the_command_line() {
        let command = command();
        for setting in SETTINGS {
            let found = command.get_arguments().any(|a| a.get_id() == setting.key);
            assert_eq!(found, setting.flag.is_some(), "{}", setting.key);
        }
    }
}
