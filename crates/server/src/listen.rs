//! Accepting and serving connections: the one accept loop for plain HTTP and HTTPS.
//!
//! It owns what a client may hold: at most [`MAX_CONNECTIONS`] connections in total and
//! [`MAX_CONNECTIONS_PER_ADDRESS`] per client address (a connection beyond either is
//! closed at once, unread), and how long a connection may stay without a request
//! ([`HEADER_READ_TIMEOUT`]). Each connection runs in its own task: the TLS handshake
//! when serving HTTPS (see [`crate::tls`]), then hyper's HTTP/1.1 or HTTP/2, chosen by
//! what the client sends. Handlers get the client's [`ConnectInfo<SocketAddr>`].

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use cloud_torrent_config::ConfigValues;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::service::{Service as _, service_fn};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_rustls::TlsAcceptor;

/// How often an HTTP/2 connection is pinged to check that the client is still there.
pub const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);

/// How long an HTTP/2 client may take to answer a ping before its connection is closed.
pub const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Connection caps and timeouts; [`Default`] gives the default settings' values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Setting `requestTimeout`: longest a connection may wait for its first request
    /// head (counted after the TLS handshake; the first request of any kind for
    /// HTTP/2), and on HTTP/1.1 for each next one.
    pub header_read_timeout: Duration,
    /// Setting `idleTimeout`: longest a connection may stay open with no request in
    /// progress once it has made one. A response still streaming (a file, the live
    /// event stream) counts as in progress.
    pub idle_timeout: Duration,
    /// See [`H2_KEEP_ALIVE_INTERVAL`].
    pub h2_keep_alive_interval: Duration,
    /// See [`H2_KEEP_ALIVE_TIMEOUT`].
    pub h2_keep_alive_timeout: Duration,
    /// Setting `maxConnections`: most connections open at once, from all clients.
    pub max_connections: usize,
    /// Setting `maxConnectionsPerAddress`: most connections open at once from one
    /// client address.
    pub max_per_address: usize,
}

impl ConnectionLimits {
    /// The limits the settings ask for.
    pub fn of(settings: &ConfigValues) -> ConnectionLimits {
        let count = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        ConnectionLimits {
            header_read_timeout: Duration::from_secs_f64(settings.request_timeout),
            idle_timeout: Duration::from_secs_f64(settings.idle_timeout),
            h2_keep_alive_interval: H2_KEEP_ALIVE_INTERVAL,
            h2_keep_alive_timeout: H2_KEEP_ALIVE_TIMEOUT,
            max_connections: count(settings.max_connections),
            max_per_address: count(settings.max_connections_per_address),
        }
    }
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits::of(&ConfigValues::default())
    }
}

/// Serves `app` on `listener` (HTTPS through `tls` when given) until `shutdown`
/// resolves, then stops accepting, asks every connection to finish its requests and
/// waits for them.
pub(crate) async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let http = Arc::new(http_builder(&limits));
    let slots = Slots::new(limits);
    // `true` once shutting down; every connection task holds a receiver, so the
    // sender's `closed()` tells when the last one has ended.
    let (stopping_tx, stopping_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    accept_error(e).await;
                    continue;
                }
            },
        };
        let Some(slot) = slots.take(peer.ip()) else {
            tracing::debug!("connection from {peer} refused: too many connections");
            continue;
        };
        let connection = Connection {
            peer,
            http: http.clone(),
            app: app.clone(),
            first_request_timeout: limits.header_read_timeout,
            idle_timeout: limits.idle_timeout,
            stopping: stopping_rx.clone(),
            _slot: slot,
        };
        let tls = tls.clone();
        tokio::spawn(connection.run(stream, tls));
    }
    drop(listener);
    stopping_tx.send_replace(true);
    drop(stopping_rx);
    stopping_tx.closed().await;
}

/// HTTP/1.1 and HTTP/2 with the timeouts of `limits`.
fn http_builder(limits: &ConnectionLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.h2_keep_alive_interval)
        .keep_alive_timeout(limits.h2_keep_alive_timeout);
    builder
}

/// One accepted connection and what serving it needs.
struct Connection {
    peer: SocketAddr,
    http: Arc<auto::Builder<TokioExecutor>>,
    app: Router,
    first_request_timeout: Duration,
    idle_timeout: Duration,
    stopping: watch::Receiver<bool>,
    /// Counts this connection against the caps until it is dropped.
    _slot: Slot,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, tls: Option<TlsAcceptor>) {
        match tls {
            None => self.serve(stream).await,
            Some(acceptor) => {
                let handshake = tokio::select! {
                    // Shutting down: give up on a client still shaking hands.
                    _ = self.stopping.wait_for(|stopping| *stopping) => return,
                    handshake = crate::tls::handshake(&acceptor, stream, self.peer) => handshake,
                };
                if let Some(stream) = handshake {
                    self.serve(stream).await;
                }
            }
        }
    }

    /// Serves HTTP on `io` until the client or the server closes it. A connection that
    /// has not started a request within `first_request_timeout`, or that has had no
    /// request in progress for `idle_timeout` since, is closed.
    async fn serve<I>(mut self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let activity = Arc::new(Activity::default());
        let service = {
            let app = TowerToHyperService::new(self.app.clone());
            let activity = activity.clone();
            service_fn(move |mut request: hyper::Request<Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                let busy = Activity::begin(&activity);
                let response = app.call(request);
                async move {
                    // In progress until the response body is sent or dropped.
                    let response = response.await?;
                    Ok::<_, std::convert::Infallible>(response.map(|body| {
                        axum::body::Body::new(body.map_frame(move |frame| {
                            let _busy = &busy;
                            frame
                        }))
                    }))
                }
            })
        };
        let connection = self.http.serve_connection(TokioIo::new(io), service);
        tokio::pin!(connection);
        let idle = tokio::time::sleep(self.first_request_timeout);
        tokio::pin!(idle);
        let mut stopping = false;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!("connection with {peer} ended: {e}");
                    }
                    return;
                }
                () = activity.changed.notified() => {
                    if activity.in_progress() == 0 {
                        idle.as_mut().reset(tokio::time::Instant::now() + self.idle_timeout);
                    }
                }
                () = &mut idle, if activity.in_progress() == 0 => {
                    tracing::debug!("{peer} has made no request in time: closing its connection");
                    return;
                }
                _ = self.stopping.wait_for(|stopping| *stopping), if !stopping => {
                    stopping = true;
                    connection.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

/// The requests in progress on one connection.
#[derive(Default)]
struct Activity {
    in_progress: AtomicUsize,
    /// Told when a request starts or ends.
    changed: Notify,
}

impl Activity {
    /// Counts a request as in progress until the returned guard is dropped.
    fn begin(activity: &Arc<Activity>) -> Busy {
        activity.in_progress.fetch_add(1, Ordering::SeqCst);
        activity.changed.notify_one();
        Busy(activity.clone())
    }

    fn in_progress(&self) -> usize {
        self.in_progress.load(Ordering::SeqCst)
    }
}

/// A request in progress (see [`Activity::begin`]).
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.in_progress.fetch_sub(1, Ordering::SeqCst);
        self.0.changed.notify_one();
    }
}

/// Open connections, in total and per client address.
#[derive(Clone)]
struct Slots {
    limits: ConnectionLimits,
    open: Arc<Mutex<OpenConnections>>,
}

#[derive(Default)]
struct OpenConnections {
    total: usize,
    per_address: HashMap<IpAddr, usize>,
}

/// One open connection, counted until dropped.
struct Slot {
    slots: Slots,
    address: IpAddr,
}

impl Slots {
    fn new(limits: ConnectionLimits) -> Slots {
        Slots {
            limits,
            open: Arc::default(),
        }
    }

    /// Counts a new connection from `address`, or `None` if a cap is reached.
    fn take(&self, address: IpAddr) -> Option<Slot> {
        // An IPv4 client reaching an IPv6 socket counts as its IPv4 address.
        let address = address.to_canonical();
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.total >= self.limits.max_connections {
            return None;
        }
        let from_address = open.per_address.entry(address).or_default();
        if *from_address >= self.limits.max_per_address {
            return None;
        }
        *from_address += 1;
        open.total += 1;
        Some(Slot {
            slots: self.clone(),
            address,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        open.total -= 1;
        if let Some(from_address) = open.per_address.get_mut(&self.address) {
            *from_address -= 1;
            if *from_address == 0 {
                open.per_address.remove(&self.address);
            }
        }
    }
}

/// As axum does: per-connection errors are ignored; others (e.g. out of file
/// descriptors) are logged and accepting pauses for a second.
async fn accept_error(e: io::Error) {
    if matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!("accept error: {e}");
    tokio::time::sleep(Duration::from_secs(1)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_come_from_the_settings() {
        let settings = ConfigValues {
            max_connections: 10,
            max_connections_per_address: 2,
            request_timeout: 3.0,
            idle_timeout: 7.5,
            ..ConfigValues::default()
        };
        let limits = ConnectionLimits::of(&settings);
        assert_eq!(limits.max_connections, 10);
        assert_eq!(limits.max_per_address, 2);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(3));
        assert_eq!(limits.idle_timeout, Duration::from_millis(7500));
        let default = ConnectionLimits::default();
        assert_eq!(
            (default.max_connections, default.max_per_address),
            (1024, 64)
        );
        assert_eq!(default.header_read_timeout, Duration::from_secs(15));
        assert_eq!(default.idle_timeout, Duration::from_secs(60));
    }
}
