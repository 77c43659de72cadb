//! Raw TCP connections to the server, for the tests of its connection limits and
//! timeouts.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::{TcpSocket, TcpStream};

/// A TCP connection to `server` from the loopback address `from` (any 127.x address is
/// loopback on Linux), which sends nothing.
pub async fn connect_from(from: &str, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse().unwrap(), 0))
        .unwrap();
    socket.connect(server).await.unwrap()
}

/// Whether the server closes `stream` within `timeout`; what it sends before is read
/// and dropped.
pub async fn closed_within(stream: &mut (impl AsyncRead + Unpin), timeout: Duration) -> bool {
    let mut sink = [0u8; 4096];
    let closed = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(timeout, closed).await.is_ok()
}
