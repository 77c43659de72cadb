//! The binary's configuration: precedence flag > env > file > default, and invalid
//! settings that stop start-up with one clear line and a non-zero exit.

use std::time::Duration;

use crate::support::*;

/// How long the binary may take to answer.
const TIMEOUT: Duration = Duration::from_secs(20);

#[test]
fn invalid_settings_stop_start_up_with_one_clear_line() {
    let dirs = Dirs::new();
    let root = dirs.root();

    let err = refuses(command_in(&dirs).args(["--port", "70000"]));
    assert!(err.contains("port") && err.contains("70000"), "{err}");

    let err = refuses(command_in(&dirs).env("PORT", "abc"));
    assert!(err.contains("port") || err.contains("PORT"), "{err}");

    let bad_toml = root.join("bad.toml");
    std::fs::write(&bad_toml, "port = 3000\ntitle = \n").unwrap();
    let err = refuses(
        command()
            .arg("--config-path")
            .arg(&bad_toml)
            .arg("--download-dir")
            .arg(&dirs.downloads),
    );
    assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");

    let typo = root.join("typo.json");
    std::fs::write(&typo, r#"{"downloadDirectory": "x"}"#).unwrap();
    let err = refuses(command().arg("--config-path").arg(&typo));
    assert!(
        err.contains("typo.json") && err.contains("downloadDirectory"),
        "{err}"
    );

    // A download folder that cannot be created (its parent is a file).
    let file = root.join("a-file");
    std::fs::write(&file, "x").unwrap();
    let err = refuses(
        command()
            .arg("--config-path")
            .arg(root.join("none.toml"))
            .arg("--state-dir")
            .arg(&dirs.state)
            .arg("--download-dir")
            .arg(file.join("downloads")),
    );
    assert!(err.contains("downloadDir"), "{err}");

    // The state folder inside the download folder is refused.
    let err = refuses(
        command()
            .arg("--config-path")
            .arg(root.join("none.toml"))
            .arg("--download-dir")
            .arg(&dirs.downloads)
            .arg("--state-dir")
            .arg(dirs.downloads.join(".state")),
    );
    assert!(
        err.contains("stateDir") && err.contains("inside downloadDir"),
        "{err}"
    );

    let err = refuses(command_in(&dirs).args(["--auth", "nocolon"]));
    assert!(err.contains("auth"), "{err}");

    let out = command().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(env!("CARGO_PKG_VERSION")));
}

/// The API of a server on `port` of 127.0.0.1 (whether one runs there or not).
fn on_port(port: u16) -> Api {
    Api::new(format!("http://127.0.0.1:{port}"))
}

#[tokio::test]
async fn flag_beats_env_beats_file_beats_default() {
    let dirs = Dirs::new();
    let root = dirs.root();
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
        let mut c = command();
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
        ChildGuard(c.spawn().unwrap())
    };
    let s = start(None, None);
    on_port(file_port)
        .wait_healthy("the port from the file", TIMEOUT)
        .await;
    // The default state folder sits beside the config file.
    assert!(
        root.join(".cloud-torrent-state/torrents.json").exists()
            || root.join(".cloud-torrent-state").is_dir()
    );
    drop(s);
    let s = start(Some(env_port), None);
    on_port(env_port)
        .wait_healthy("the port from the environment", TIMEOUT)
        .await;
    assert!(!on_port(file_port).healthy().await);
    drop(s);
    let s = start(Some(env_port), Some(flag_port));
    on_port(flag_port)
        .wait_healthy("the port from the flag", TIMEOUT)
        .await;
    assert!(!on_port(env_port).healthy().await);
    drop(s);
}

#[test]
fn a_download_folder_outside_the_download_root_stops_start_up() {
    let dirs = Dirs::new();
    let root = dirs.root().join("media");
    let err = refuses(command_in(&dirs).env("DOWNLOAD_ROOT", &root));
    assert!(
        err.contains("outside downloadRoot") && err.contains("media"),
        "{err}"
    );
}
