//! Child processes: the real `cloud-torrent` binary, started as a user would but with
//! none of the environment variables it reads inherited from the test's environment,
//! and a guard that kills whatever a test started when the test ends.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use super::{Api, Dirs};

/// Every environment variable the binary reads: those of its settings' flags and the
/// log filter's `RUST_LOG`.
fn variables_the_binary_reads() -> Vec<&'static str> {
    cloud_torrent_config::SETTINGS
        .iter()
        .filter_map(|s| s.flag.map(|f| f.env))
        .chain(["RUST_LOG"])
        .collect()
}

/// The binary, with none of the variables it reads set: only what a test passes counts.
/// Tests give variables to this command (`.env(...)`), never to their own process,
/// which every test shares.
pub fn command() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cloud-torrent"));
    for var in variables_the_binary_reads() {
        c.env_remove(var);
    }
    c
}

/// The binary with its folders inside `dirs` and no config file.
pub fn command_in(dirs: &Dirs) -> Command {
    command_with_config(dirs, &dirs.root().join("none.toml"))
}

/// The binary with its folders inside `dirs` and the config file `config`.
pub fn command_with_config(dirs: &Dirs, config: &Path) -> Command {
    let mut c = command();
    c.arg("--config-path")
        .arg(config)
        .arg("--download-dir")
        .arg(&dirs.downloads)
        .arg("--state-dir")
        .arg(&dirs.state);
    c
}

/// Runs the binary expecting it to refuse to start: exit code 2 and one clear line,
/// no panic. Returns that line.
pub fn refuses(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "should not start: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(err.lines().count(), 1, "one clear line, got: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    err
}

/// Kills the child process when the test ends, however it ends.
pub struct ChildGuard(pub Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real binary, on loopback with DHT off; it derefs to its [`Api`].
pub struct Binary {
    api: Api,
    process: ChildGuard,
    /// Its standard output and error.
    pub log: PathBuf,
}

impl Binary {
    /// Starts the binary with its folders in `dirs` (the config file
    /// `<root>/cloud-torrent.toml`, kept across restarts) and waits for /healthz.
    pub async fn start(dirs: &Dirs, http_port: u16, incoming_port: u16, extra: &[&str]) -> Binary {
        // Logs outlive the test's temporary folder, for post-mortems.
        let log_dir = std::env::temp_dir().join("cloud-torrent-test-logs");
        std::fs::create_dir_all(&log_dir).unwrap();
        // One file per test's folders: the restarts of one test append to it, and a
        // log of an earlier run that used the same port is never read as this one's.
        let run = dirs
            .root()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let log = log_dir.join(format!("server-{run}-{http_port}.log"));
        let log_file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        // The download folder and DHT go in the config file, not on the command line,
        // which would make them read-only over the API.
        let config_file = dirs.root().join("cloud-torrent.toml");
        let mut config = std::fs::read_to_string(&config_file).unwrap_or_default();
        if !config.contains("downloadDir") {
            config.push_str(&format!(
                "\ndownloadDir = {:?}\n",
                dirs.downloads.display().to_string()
            ));
        }
        if !config.contains("dht") {
            config.push_str("dht = false\n");
        }
        std::fs::write(&config_file, config).unwrap();
        let child = command()
            .args(["--host", "127.0.0.1", "--port", &http_port.to_string()])
            .args([
                "--incoming-host",
                "127.0.0.1",
                "--incoming-port",
                &incoming_port.to_string(),
            ])
            .arg("--state-dir")
            .arg(&dirs.state)
            .arg("--config-path")
            .arg(&config_file)
            .arg("--allow-private-urls")
            .args(extra)
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("start cloud-torrent");
        let binary = Binary {
            api: Api::new(format!("http://127.0.0.1:{http_port}")),
            process: ChildGuard(child),
            log,
        };
        binary
            .wait_healthy("the binary to answer /healthz", Duration::from_secs(30))
            .await;
        binary
    }

    pub fn pid(&self) -> u32 {
        self.process.0.id()
    }

    /// SIGTERM, then waits for a clean exit.
    pub fn terminate(mut self) {
        let pid = self.pid().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.process.0.wait().unwrap();
        assert!(
            status.success(),
            "graceful shutdown should exit 0, got {status}; log: {}",
            self.log.display()
        );
    }

    /// SIGKILL: a crash.
    pub fn kill(mut self) {
        self.process.0.kill().unwrap();
        self.process.0.wait().unwrap();
    }
}

impl std::ops::Deref for Binary {
    type Target = Api;
    fn deref(&self) -> &Api {
        &self.api
    }
}

/// The list above is the one the binary documents: `--help` shows `[env: NAME=...]` for
/// each flag read from the environment.
#[test]
fn the_clean_environment_removes_every_variable_the_binary_reads() {
    let out = command().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let mut documented: Vec<&str> = help
        .split("[env: ")
        .skip(1)
        .map(|rest| rest.split(['=', ']']).next().unwrap())
        .collect();
    documented.push("RUST_LOG");
    documented.sort_unstable();
    let mut cleared = variables_the_binary_reads();
    cleared.sort_unstable();
    assert_eq!(cleared, documented);
}
