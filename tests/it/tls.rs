//! HTTPS: `--cert-path`/`--key-path` serve TLS with HTTP/2 and HTTP/1.1, the session
//! cookie is `Secure`, plain HTTP to the TLS port is not served, a client that never
//! finishes its handshake does not hold up others, and bad TLS settings stop start-up
//! with one clear line. Certificates are generated here for 127.0.0.1 and localhost;
//! nothing leaves loopback.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud_torrent_server::{
    ConnectionLimits, Credentials, SecurityConfig, ServerConfig, TlsConfig,
};
use reqwest::header::{ORIGIN, SET_COOKIE};
use reqwest::{StatusCode, Version};
use tokio::io::AsyncWriteExt;

use crate::support::*;

/// A self-signed certificate for 127.0.0.1 and localhost, written as PEM files.
struct Cert {
    pem: String,
    cert_path: PathBuf,
    key_path: PathBuf,
}

fn make_cert(dir: &Path) -> Cert {
    let generated =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
            .unwrap();
    let pem = generated.cert.pem();
    let cert_path = dir.join("cert.pem");
    let key_path = dir.join("key.pem");
    std::fs::write(&cert_path, &pem).unwrap();
    std::fs::write(&key_path, generated.signing_key.serialize_pem()).unwrap();
    Cert {
        pem,
        cert_path,
        key_path,
    }
}

/// A client that trusts only `cert`.
fn client(cert: &Cert) -> reqwest::ClientBuilder {
    http_client()
        .timeout(Duration::from_secs(10))
        .tls_certs_only([reqwest::Certificate::from_pem(cert.pem.as_bytes()).unwrap()])
}

/// A server run in-process with TLS and a login (`user`/`pass`).
async fn start_tls_server(dirs: &Dirs, cert: &Cert) -> TestServer {
    let config = ServerConfig {
        security: SecurityConfig {
            credentials: Some(Credentials::new("user", "pass").unwrap()),
            ..SecurityConfig::default()
        },
        tls: Some(TlsConfig::from_pem_files(&cert.cert_path, &cert.key_path).unwrap()),
        ..server_config(test_settings(dirs))
    };
    TestServer::start_with_client(config, client(cert).build().unwrap()).await
}

#[tokio::test]
async fn https_with_http2_secure_cookie_and_origin_checks() {
    let dirs = Dirs::new();
    let cert = make_cert(dirs.root());
    let server = start_tls_server(&dirs, &cert).await;
    let port = server.addr.port();
    let url = |path: &str| server.url(path);

    // HTTP/2 is negotiated by ALPN; HTTP/1.1 still works.
    let h2 = client(&cert).build().unwrap();
    let r = h2.get(url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), Version::HTTP_2);
    assert_eq!(r.text().await.unwrap(), "ok");
    let h1 = client(&cert).http1_only().build().unwrap();
    let r = h1.get(url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.version(), Version::HTTP_11);
    // by name too (the certificate covers localhost)
    let r = h2
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // A client that does not trust this certificate refuses the server.
    let stranger = http_client().tls_certs_only([]).build().unwrap();
    assert!(stranger.get(url("/healthz")).send().await.is_err());

    // Logging in over TLS sets a Secure session cookie, over HTTP/2 and HTTP/1.1.
    for http in [&h2, &h1] {
        let r = http
            .post(url("/api/v1/login"))
            .json(&serde_json::json!({"username": "user", "password": "pass"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
        let cookie = r
            .headers()
            .get(SET_COOKIE)
            .expect("a session cookie")
            .to_str()
            .unwrap()
            .to_owned();
        assert!(cookie.starts_with("__Host-ct_session="), "{cookie}");
        assert!(cookie.contains("; Path=/;"), "{cookie}");
        let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
        assert!(attributes.contains(&"Secure"), "{cookie}");
        assert!(attributes.contains(&"HttpOnly"), "{cookie}");
        let session = cookie.split(';').next().unwrap().to_owned();

        // The cookie opens the API; a same-origin browser request (https Origin) passes.
        let r = http
            .get(url("/api/v1/torrents"))
            .header("cookie", &session)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let own = format!("https://127.0.0.1:{port}");
        let r = http
            .post(url("/api/magnet"))
            .header("cookie", &session)
            .header(ORIGIN, &own)
            .body("not a magnet")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "past the origin check, refused as input");
        // The same host over plain http is another origin.
        let r = http
            .post(url("/api/magnet"))
            .header("cookie", &session)
            .header(ORIGIN, format!("http://127.0.0.1:{port}"))
            .body("not a magnet")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403);
        let r = http
            .post(url("/api/v1/logout"))
            .header("cookie", &session)
            .header(ORIGIN, &own)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NO_CONTENT);
    }

    // Plain HTTP to the TLS port is not served: a 400 saying to use https.
    let plain = http_client()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let r = plain
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("https://"));

    server.stop_within(Duration::from_secs(20)).await;
}

#[tokio::test]
async fn silent_clients_do_not_block_others_and_shutdown_is_graceful() {
    let dirs = Dirs::new();
    let cert = make_cert(dirs.root());
    let server = start_tls_server(&dirs, &cert).await;

    // Clients that connect and say nothing, or stop in the middle of a TLS record.
    let mut silent = Vec::new();
    for _ in 0..5 {
        silent.push(tokio::net::TcpStream::connect(server.addr).await.unwrap());
    }
    let mut partial = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    partial.write_all(&[0x16, 0x03, 0x01]).await.unwrap();
    silent.push(partial);

    // Others are served at once (the handshake timeout is 10 s).
    let http = client(&cert).build().unwrap();
    for _ in 0..3 {
        let started = Instant::now();
        let r = http.get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(3));
        // A new connection each time, not one kept alive from before the silent ones.
        let fresh = client(&cert).http1_only().build().unwrap();
        let r = fresh.get(server.url("/healthz")).send().await.unwrap();
        assert_eq!(r.status(), 200);
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    // An open event stream (HTTP/2) and the silent clients do not keep the server from
    // stopping.
    let mut events = http
        .get(server.url("/api/v1/events"))
        .basic_auth("user", Some("pass"))
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200);
    assert_eq!(events.version(), Version::HTTP_2);
    assert!(events.chunk().await.unwrap().is_some(), "the first event");
    let started = Instant::now();
    server.stop_within(Duration::from_secs(15)).await;
    assert!(started.elapsed() < Duration::from_secs(15));
    drop(silent);
}

/// A TLS client that trusts only `cert` (no HTTP on top).
fn tls_connector(cert: &Cert) -> tokio_rustls::TlsConnector {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(cert.pem.as_bytes()).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn a_client_silent_after_its_handshake_is_closed_after_the_header_timeout() {
    let dirs = Dirs::new();
    let cert = make_cert(dirs.root());
    let config = ServerConfig {
        tls: Some(TlsConfig::from_pem_files(&cert.cert_path, &cert.key_path).unwrap()),
        limits: ConnectionLimits {
            header_read_timeout: Duration::from_secs(1),
            ..ConnectionLimits::default()
        },
        ..server_config(test_settings(&dirs))
    };
    let server = TestServer::start_with_client(config, client(&cert).build().unwrap()).await;

    let tcp = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let name = "localhost".try_into().unwrap();
    let mut tls = tls_connector(&cert).connect(name, tcp).await.unwrap();
    let started = Instant::now();
    assert!(closed_within(&mut tls, Duration::from_secs(4)).await);
    assert!(started.elapsed() >= Duration::from_millis(900));

    server.stop_within(Duration::from_secs(20)).await;
}

/// The binary with its folders inside `dirs` and the config file `config`, on
/// loopback without DHT.
fn bin_with_config(dirs: &Dirs, config: &Path) -> Command {
    let mut c = command_with_config(dirs, config);
    c.args(["--host", "127.0.0.1", "--disable-dht"])
        .args(["--incoming-port", &free_port("127.0.0.1").to_string()]);
    c
}

/// The binary with its folders inside `dirs`, on loopback, without a config file.
fn bin_in(dirs: &Dirs) -> Command {
    bin_with_config(dirs, &dirs.root().join("none.toml"))
}

/// The error of a start with the certificate `cert` and the key `key`.
fn refuses_pair(dirs: &Dirs, cert: &Path, key: &Path) -> String {
    refuses(
        bin_in(dirs)
            .arg("--cert-path")
            .arg(cert)
            .arg("--key-path")
            .arg(key),
    )
}

#[test]
fn bad_tls_settings_stop_start_up_with_one_clear_line() {
    let dirs = Dirs::new();
    let root = dirs.root();
    let cert = make_cert(root);

    let err = refuses(bin_in(&dirs).arg("--cert-path").arg(&cert.cert_path));
    assert!(err.contains("keyPath") && err.contains("both"), "{err}");
    let err = refuses(bin_in(&dirs).env("KEY_PATH", &cert.key_path));
    assert!(err.contains("certPath") && err.contains("both"), "{err}");

    let missing = root.join("missing-key.pem");
    let err = refuses(
        bin_in(&dirs)
            .arg("-r")
            .arg(&cert.cert_path)
            .arg("-k")
            .arg(&missing),
    );
    assert!(
        err.contains("keyPath") && err.contains("missing-key.pem") && err.contains("cannot read"),
        "{err}"
    );

    let garbage = root.join("garbage.pem");
    std::fs::write(&garbage, "this is not a certificate\n").unwrap();
    let err = refuses_pair(&dirs, &garbage, &cert.key_path);
    assert!(
        err.contains("certPath") && err.contains("garbage.pem"),
        "{err}"
    );

    let damaged = root.join("damaged.pem");
    std::fs::write(
        &damaged,
        "-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = refuses_pair(&dirs, &damaged, &cert.key_path);
    assert!(
        err.contains("certPath") && err.contains("damaged.pem"),
        "{err}"
    );

    // A key file that holds a certificate, not a key.
    let err = refuses_pair(&dirs, &cert.cert_path, &cert.cert_path);
    assert!(
        err.contains("keyPath") && err.contains("private key"),
        "{err}"
    );

    // A key that belongs to another certificate.
    let other_dir = root.join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = make_cert(&other_dir);
    let err = refuses_pair(&dirs, &cert.cert_path, &other.key_path);
    assert!(err.contains("certPath") && err.contains("keyPath"), "{err}");
}

/// Starts `command` and waits for HTTPS with HTTP/2 on `port` with `cert`.
async fn serves_https(mut command: Command, cert: &Cert, port: u16, what: &str) {
    command.stdout(Stdio::null()).stderr(Stdio::null());
    let _child = ChildGuard(command.spawn().unwrap());
    let api = Api::with_client(
        format!("https://127.0.0.1:{port}"),
        client(cert).build().unwrap(),
    );
    wait_for(what, Duration::from_secs(20), || async {
        api.health().await == Some(Version::HTTP_2)
    })
    .await;
}

#[tokio::test]
async fn the_binary_serves_https_from_flags_env_or_config_file() {
    let dirs = Dirs::new();
    let root = dirs.root();
    let cert = make_cert(root);

    let port = free_port("127.0.0.1");
    let mut c = bin_in(&dirs);
    c.args(["--port", &port.to_string()])
        .arg("--cert-path")
        .arg(&cert.cert_path)
        .arg("--key-path")
        .arg(&cert.key_path);
    serves_https(c, &cert, port, "https from flags").await;

    let port = free_port("127.0.0.1");
    let mut c = bin_in(&dirs);
    c.args(["--port", &port.to_string()])
        .env("CERT_PATH", &cert.cert_path)
        .env("KEY_PATH", &cert.key_path);
    serves_https(c, &cert, port, "https from the environment").await;

    let port = free_port("127.0.0.1");
    let config = root.join("tls.toml");
    std::fs::write(
        &config,
        format!(
            "port = {port}\ncertPath = {:?}\nkeyPath = {:?}\n",
            cert.cert_path.display().to_string(),
            cert.key_path.display().to_string()
        ),
    )
    .unwrap();
    serves_https(
        bin_with_config(&dirs, &config),
        &cert,
        port,
        "https from the config file",
    )
    .await;
}
