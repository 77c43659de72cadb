//! Proxy variables in the server's environment are ignored: a request the
//! server makes on a user's behalf must not be handed to whatever proxy the
//! environment names. The test runs itself again in a child process whose
//! environment names a proxy (the parent's environment is left alone).

use std::io::ErrorKind;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use cloud_torrent_outbound::{AllowedOrigins, ClientOptions, OutboundClient, Request};
use url::Url;

/// Set in the child process.
const CHILD: &str = "OUTBOUND_TEST_PROXY_CHILD";

#[test]
fn proxy_variables_of_the_environment_are_ignored() {
    if std::env::var_os(CHILD).is_some() {
        fetch_directly();
        return;
    }
    // Something that would receive the requests if the environment's proxy were used.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap());
    child
        .args(["--exact", "proxy_variables_of_the_environment_are_ignored"])
        .env(CHILD, "1")
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        child.env(name, &proxy_url);
    }
    let out = child.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("1 passed"),
        "the child ran the test"
    );
    match proxy.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the environment's proxy was contacted: {other:?}"),
    }
}

/// In the child: a site is reached directly, and an unknown name fails instead of
/// being sent to the proxy.
fn fetch_directly() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let site = Url::parse(&format!("http://{}/", listener.local_addr().unwrap())).unwrap();
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "direct" }));
        tokio::spawn(async move { axum::serve(listener, app).await });

        let client = OutboundClient::new(ClientOptions::default()).unwrap();
        let answer = client
            .send(
                Request::get(site.clone())
                    .allow_origins(AllowedOrigins::new([&site]))
                    .timeout(Duration::from_secs(5)),
            )
            .await
            .unwrap();
        assert_eq!(answer.body, b"direct");
        // A name that does not exist fails here instead of being sent to the proxy.
        let unknown = Url::parse("http://tracker.invalid/x.torrent").unwrap();
        let request = Request::get(unknown).timeout(Duration::from_secs(5));
        assert!(client.send(request).await.is_err());
    });
}
