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
    assert!(root.join(".cloud-torrent-state/state.sqlite").exists());
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

/// The login can come from a file (kept out of `ps` and the environment); `--auth`
/// on the command line works but warns that other users can read it.
#[tokio::test]
async fn the_login_from_a_file_and_a_warning_for_auth_on_the_command_line() {
    let dirs = Dirs::new();
    let secret = dirs.root().join("login.txt");
    std::fs::write(&secret, "alice:from-a-file\nignored second line\n").unwrap();
    let port = free_port("127.0.0.1");
    let arg = secret.display().to_string();
    let server = Binary::start(&dirs, port, free_port("127.0.0.1"), &["--auth-file", &arg]).await;
    let http = reqwest::Client::new();
    let url = format!("http://127.0.0.1:{port}/api/v1/torrents");
    let status = |r: reqwest::Response| r.status().as_u16();
    assert_eq!(status(http.get(&url).send().await.unwrap()), 401);
    let right = http.get(&url).basic_auth("alice", Some("from-a-file"));
    assert_eq!(status(right.send().await.unwrap()), 200);
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(
        !log.contains("--auth on the command line"),
        "no warning without --auth: {log}"
    );
    server.terminate();

    let dirs = Dirs::new();
    let port = free_port("127.0.0.1");
    let server = Binary::start(&dirs, port, free_port("127.0.0.1"), &["--auth", "bob:pw"]).await;
    let log = std::fs::read_to_string(&server.log).unwrap();
    assert!(log.contains("--auth on the command line"), "{log}");
    server.terminate();

    let mut both = command_in(&dirs);
    both.args(["--auth", "a:b", "--auth-file", &arg]);
    assert!(refuses(&mut both).contains("authFile"));
    std::fs::write(&secret, "no-colon\n").unwrap();
    let mut bad = command_in(&dirs);
    bad.args(["--auth-file", &arg]);
    let err = refuses(&mut bad);
    assert!(
        err.contains("authFile") && err.contains("user:password") && !err.contains("no-colon"),
        "{err}"
    );
}

/// The local addresses of the TCP and UDP sockets of process `pid`, as `ss`
/// shows them (`127.0.0.1:80`, `0.0.0.0%lo:6881`, `[::]:53`…).
fn sockets_of(pid: u32) -> Vec<String> {
    let out = std::process::Command::new("ss")
        .args(["-H", "-t", "-u", "-a", "-n", "-p"])
        .output()
        .expect("run ss (iproute2)");
    assert!(out.status.success(), "ss failed: {out:?}");
    let mark = format!("pid={pid},");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|line| line.contains(&mark))
        .map(|line| {
            // Netid, State, Recv-Q, Send-Q, Local, Peer, Process.
            line.split_whitespace()
                .nth(4)
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_incoming_host_no_socket_listens_on_another_interface() {
    let dirs = Dirs::new();
    let port = free_port("127.0.0.1");
    let incoming = free_port("127.0.0.1");
    let server = Binary::start(&dirs, port, incoming, &[]).await;
    // A torrent with a UDP and an HTTP tracker makes the engine use its tracker clients.
    let (status, body) = server
        .add_magnet(&format!(
            "magnet:?xt=urn:btih:{}&tr=udp%3A%2F%2F127.0.0.1%3A1%2Fannounce&tr=http%3A%2F%2F127.0.0.1%3A1%2Fannounce",
            "ab".repeat(20)
        ))
        .await;
    assert_eq!(status, 201, "{body}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sockets = sockets_of(server.pid());
    assert!(
        sockets
            .iter()
            .any(|s| s.starts_with("127.0.0.1") && s.ends_with(&format!(":{incoming}"))),
        "no peer listener on 127.0.0.1:{incoming}: {sockets:?}"
    );
    // Every socket is on the loopback address, or tied to the loopback interface.
    let elsewhere: Vec<&String> = sockets
        .iter()
        .filter(|local| !local.starts_with("127.0.0.1:") && !local.contains("%lo:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "sockets open beyond 127.0.0.1: {elsewhere:?} (all: {sockets:?})"
    );
    server.terminate();
}
