//! The listener of dormant torrents' peers (see `dormant.rs`), on the port their
//! announces name. A peer's handshake names the torrent it wants: a dormant one is
//! handed back to librqbit, and the connection is relayed to librqbit's own
//! listener, handshake included, for as long as it lasts. librqbit cannot be
//! handed an accepted connection, hence the relay; it carries only connections
//! made to the dormant port, while every other peer reaches librqbit directly
//! (a torrent awake is announced with librqbit's port again).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::*;

/// How long a peer has to send the start of its handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Peers in their handshake at once (librqbit's own listener allows as many).
const MAX_PENDING_HANDSHAKES: usize = 256;
/// BEP 3: the protocol name's length, the name, 8 reserved bytes and the info hash.
const PROTOCOL: &[u8; 20] = b"\x13BitTorrent protocol";
const HANDSHAKE_HEAD: usize = 20 + 8 + 20;

impl Engine {
    /// Listens on the dormant torrents' port (its address is `incomingHost`'s).
    pub(super) fn start_dormant_listener(&self) -> Result<()> {
        let Some(dormancy) = &self.inner.dormancy else {
            return Ok(());
        };
        let ip = self
            .inner
            .config
            .listen_ip
            .unwrap_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED));
        let listener = std::net::TcpListener::bind((ip, dormancy.port))
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .and_then(TcpListener::from_std)
            .map_err(|e| {
                EngineError::internal(
                    "cannot listen on the dormant torrents' port",
                    format!("port {}: {e}", dormancy.port),
                )
            })?;
        info!(
            port = dormancy.port,
            "listening for peers of dormant torrents"
        );
        let weak = Arc::downgrade(&self.inner);
        let token = self.inner.shutdown.clone();
        let pending = Arc::new(tokio::sync::Semaphore::new(MAX_PENDING_HANDSHAKES));
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = token.cancelled() => return,
                    accepted = listener.accept() => accepted,
                };
                let (peer, from) = match accepted {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        debug!("dormant listener: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = pending.clone().try_acquire_owned() else {
                    continue;
                };
                let weak = weak.clone();
                let token = token.clone();
                tokio::spawn(async move {
                    let relay = tokio::select! {
                        _ = token.cancelled() => return,
                        relay = Engine::reach_librqbit(weak, peer) => relay,
                    };
                    drop(permit);
                    match relay {
                        Ok(Some((mut peer, mut librqbit))) => {
                            tokio::select! {
                                _ = token.cancelled() => {}
                                _ = tokio::io::copy_bidirectional(&mut peer, &mut librqbit) => {}
                            }
                        }
                        Ok(None) => {}
                        Err(e) => debug!(%from, "peer of a dormant torrent: {e}"),
                    }
                });
            }
        });
        Ok(())
    }

    /// Reads the start of a peer's handshake, wakes the torrent it names, and opens
    /// a connection to librqbit's listener that has already sent that start.
    /// `None` for a torrent the engine does not have.
    async fn reach_librqbit(
        weak: std::sync::Weak<Inner>,
        mut peer: TcpStream,
    ) -> std::io::Result<Option<(TcpStream, TcpStream)>> {
        let mut head = [0u8; HANDSHAKE_HEAD];
        tokio::time::timeout(HANDSHAKE_TIMEOUT, peer.read_exact(&mut head))
            .await
            .map_err(|_| std::io::Error::other("no handshake in time"))??;
        if &head[..20] != PROTOCOL {
            return Err(std::io::Error::other("not a BitTorrent handshake"));
        }
        let mut hash = [0u8; 20];
        hash.copy_from_slice(&head[28..48]);
        let hash = InfoHash(hash);
        let Some(engine) = weak.upgrade().map(|inner| Engine { inner }) else {
            return Ok(None);
        };
        match engine.is_dormant(&hash) {
            None => return Ok(None),
            Some(true) => {
                debug!(%hash, "a peer came for the dormant torrent");
                if let Err(e) = engine.wake(&hash).await {
                    return Err(std::io::Error::other(e.to_string()));
                }
            }
            Some(false) => {}
        }
        let Some(mut target) = engine.inner.session.listen_addr() else {
            return Ok(None);
        };
        drop(engine);
        if target.ip().is_unspecified() {
            target.set_ip(match target.ip() {
                IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        let mut librqbit = TcpStream::connect(target).await?;
        librqbit.set_nodelay(true)?;
        peer.set_nodelay(true)?;
        librqbit.write_all(&head).await?;
        Ok(Some((peer, librqbit)))
    }
}
