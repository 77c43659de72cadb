//! Proxy variables in the server's environment are ignored: a request the
//! server makes on a user's behalf must not be handed to whatever proxy the
//! environment names. (A test binary of its own: it changes the environment.)

use std::io::ErrorKind;
use std::net::TcpListener;
use std::time::Duration;

use cloud_torrent_outbound::{AllowedOrigins, ClientOptions, OutboundClient, Request};
use url::Url;

#[test]
fn proxy_variables_of_the_environment_are_ignored() {
    // Something that would receive the requests if the environment's proxy were used.
    let proxy = TcpListener::bind("127.0.0.1:0").unwrap();
    proxy.set_nonblocking(true).unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        // SAFETY: this is the only test of its binary and no other thread of the
        // process reads the environment while it is changed.
        unsafe { std::env::set_var(name, &proxy_url) };
    }
    for name in ["NO_PROXY", "no_proxy"] {
        // SAFETY: as above.
        unsafe { std::env::remove_var(name) };
    }

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

    match proxy.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("the environment's proxy was contacted: {other:?}"),
    }
}
