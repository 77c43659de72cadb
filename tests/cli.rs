//! The binary's configuration: precedence flag > env > file > default, and invalid
//! settings that stop start-up with one clear line and a non-zero exit.

mod common;

use std::process::Command;
use std::time::Duration;

use common::*;

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_cloud-torrent"));
    for var in [
        "PORT",
        "HOST",
        "TITLE",
        "AUTH",
        "CONFIG_PATH",
        "DOWNLOAD_DIR",
        "STATE_DIR",
        "INCOMING_PORT",
        "DISABLE_DHT",
        "DOWNLOAD_ROOT",
        "CERT_PATH",
        "KEY_PATH",
        "SEARCH_CONFIG",
        "NO_AUTH",
        "ALLOWED_HOSTS",
        "INCOMING_HOST",
        "ALLOW_PRIVATE_URLS",
        "LOG",
    ] {
        c.env_remove(var);
    }
    c
}

/// Runs the binary expecting it to refuse to start; returns its stderr.
fn refuses(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(!out.status.success(), "should not start: {out:?}");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
    assert_eq!(err.lines().count(), 1, "one clear line, got: {err}");
    err
}

#[test]
fn invalid_settings_stop_start_up_with_one_clear_line() {
    let dirs = Dirs::new();
    let root = dirs.state.parent().unwrap().to_owned();
    let base = |c: &mut Command| {
        c.arg("--download-dir")
            .arg(&dirs.downloads)
            .arg("--state-dir")
            .arg(&dirs.state);
        c.arg("--config-path").arg(root.join("none.toml"));
    };

    let mut c = bin();
    base(&mut c);
    let err = refuses(c.args(["--port", "70000"]));
    assert!(err.contains("port") && err.contains("70000"), "{err}");

    let mut c = bin();
    base(&mut c);
    let err = refuses(c.env("PORT", "abc"));
    assert!(err.contains("port") || err.contains("PORT"), "{err}");

    let bad_toml = root.join("bad.toml");
    std::fs::write(&bad_toml, "port = 3000\ntitle = \n").unwrap();
    let err = refuses(
        bin()
            .arg("--config-path")
            .arg(&bad_toml)
            .arg("--download-dir")
            .arg(&dirs.downloads),
    );
    assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");

    let typo = root.join("typo.json");
    std::fs::write(&typo, r#"{"downloadDirectory": "x"}"#).unwrap();
    let err = refuses(bin().arg("--config-path").arg(&typo));
    assert!(
        err.contains("typo.json") && err.contains("downloadDirectory"),
        "{err}"
    );

    // A download folder that cannot be created (its parent is a file).
    let file = root.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let mut c = bin();
    c.arg("--config-path")
        .arg(root.join("none.toml"))
        .arg("--state-dir")
        .arg(&dirs.state);
    let err = refuses(c.arg("--download-dir").arg(file.join("downloads")));
    assert!(err.contains("downloadDir"), "{err}");

    // The state folder inside the download folder is refused.
    let mut c = bin();
    c.arg("--config-path")
        .arg(root.join("none.toml"))
        .arg("--download-dir")
        .arg(&dirs.downloads);
    let err = refuses(c.arg("--state-dir").arg(dirs.downloads.join(".state")));
    assert!(
        err.contains("stateDir") && err.contains("inside downloadDir"),
        "{err}"
    );

    let mut c = bin();
    base(&mut c);
    let err = refuses(c.args(["--auth", "nocolon"]));
    assert!(err.contains("auth"), "{err}");

    let out = bin().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

async fn answers(port: u16) -> bool {
    let http = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    http.get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
}

struct Killed(std::process::Child);
impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn flag_beats_env_beats_file_beats_default() {
    let dirs = Dirs::new();
    let root = dirs.state.parent().unwrap().to_owned();
    let (file_port, env_port, flag_port) = (
        free_port("127.0.0.1"),
        free_port("127.0.0.1"),
        free_port("127.0.0.1"),
    );
    let config = root.join("cloud-torrent.toml");
    std::fs::write(
        &config,
        format!(
            "port = {file_port}\nhost = \"127.0.0.1\"\ndownloadDir = {:?}\ndht = false\nincomingPort = {}\n",
            dirs.downloads.display().to_string(),
            free_port("127.0.0.1")
        ),
    )
    .unwrap();
    let start = |env: Option<u16>, flag: Option<u16>| {
        let mut c = bin();
        c.arg("--config-path")
            .arg(&config)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null());
        if let Some(p) = env {
            c.env("PORT", p.to_string());
        }
        if let Some(p) = flag {
            c.args(["--port", &p.to_string()]);
        }
        Killed(c.spawn().unwrap())
    };
    async fn up(port: u16) {
        wait_for(&format!("port {port}"), Duration::from_secs(20), || {
            answers(port)
        })
        .await;
    }

    let s = start(None, None);
    up(file_port).await;
    // The default state folder sits beside the config file.
    assert!(
        root.join(".cloud-torrent-state/torrents.json").exists()
            || root.join(".cloud-torrent-state").is_dir()
    );
    drop(s);
    let s = start(Some(env_port), None);
    up(env_port).await;
    assert!(!answers(file_port).await);
    drop(s);
    let s = start(Some(env_port), Some(flag_port));
    up(flag_port).await;
    assert!(!answers(env_port).await);
    drop(s);
}

#[test]
fn a_download_folder_outside_the_download_root_stops_start_up() {
    let dirs = Dirs::new();
    let root = dirs.state.parent().unwrap().join("media");
    let mut c = bin();
    c.arg("--download-dir")
        .arg(&dirs.downloads)
        .arg("--state-dir")
        .arg(&dirs.state)
        .arg("--config-path")
        .arg(dirs.state.parent().unwrap().join("none.toml"))
        .env("DOWNLOAD_ROOT", &root);
    let err = refuses(&mut c);
    assert!(
        err.contains("outside downloadRoot") && err.contains("media"),
        "{err}"
    );
}
