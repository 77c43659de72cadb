//! Other BitTorrent peers on loopback: librqbit sessions that seed payloads to the
//! server or download from it.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use librqbit::{
    AddTorrent, AddTorrentOptions, ListenerOptions, ManagedTorrent, Session, SessionOptions,
};

use super::{Dirs, Payload};

/// A librqbit session with no DHT, trackers or LSD, keeping its data in `dir`, listening
/// on `listen_ip` (any port) when given, its upload capped at `upload_bps` when given.
async fn session(dir: &Path, listen_ip: Option<&str>, upload_bps: Option<u32>) -> Arc<Session> {
    Session::new_with_opts(
        dir.to_owned(),
        SessionOptions {
            dht: None,
            disable_trackers: true,
            disable_local_service_discovery: true,
            listen: listen_ip.map(|ip| ListenerOptions {
                listen_addr: format!("{ip}:0").parse().unwrap(),
                ..Default::default()
            }),
            ratelimits: librqbit::limits::LimitsConfig {
                upload_bps: upload_bps.and_then(std::num::NonZeroU32::new),
                download_bps: None,
            },
            runtime_worker_threads: Some(16),
            ..Default::default()
        },
    )
    .await
    .expect("librqbit session")
}

/// A librqbit session seeding payloads on a loopback address.
pub struct Seeder {
    pub session: Arc<Session>,
    pub addr: SocketAddr,
}

impl Seeder {
    /// Seeds `payload` from `ip`, optionally throttled, dialing `dial` peers itself.
    pub async fn start(
        payload: &Payload,
        ip: &str,
        upload_bps: Option<u32>,
        dial: &[SocketAddr],
    ) -> Seeder {
        let seeder = Seeder::empty(&payload.dir, ip, upload_bps).await;
        seeder.seed(payload, dial).await;
        seeder
    }

    /// A seeder with nothing to seed yet, for payloads under `dir`.
    pub async fn empty(dir: &Path, ip: &str, upload_bps: Option<u32>) -> Seeder {
        let session = session(dir, Some(ip), upload_bps).await;
        let addr = session.listen_addr().unwrap();
        Seeder { session, addr }
    }

    /// Seeds one more payload (under the seeder's folder), dialing `dial` peers itself.
    pub async fn seed(&self, payload: &Payload, dial: &[SocketAddr]) {
        let handle = self
            .session
            .add_torrent(
                AddTorrent::from_bytes(payload.torrent.clone()),
                Some(AddTorrentOptions {
                    overwrite: true,
                    initial_peers: (!dial.is_empty()).then(|| dial.to_vec()),
                    ..Default::default()
                }),
            )
            .await
            .expect("seed")
            .into_handle()
            .unwrap();
        handle.wait_until_initialized().await.unwrap();
        assert!(
            handle.stats().finished,
            "the seeder must have all of {}",
            payload.info_hash
        );
    }

    pub fn magnet(&self, payload: &Payload) -> String {
        format!(
            "magnet:?xt=urn:btih:{}&x.pe={}",
            payload.info_hash, self.addr
        )
    }

    pub fn uploaded(&self) -> u64 {
        self.session.stats_snapshot().counters.uploaded_bytes
    }
}

/// A librqbit session downloading one payload from one peer, into folders of its own.
/// It derefs to the torrent; the session lives as long as it (dropping it stops everything).
pub struct Leecher {
    pub dirs: Dirs,
    _session: Arc<Session>,
    handle: Arc<ManagedTorrent>,
}

impl Leecher {
    /// Starts downloading `payload` from `peer` only.
    pub async fn start(payload: &Payload, peer: SocketAddr) -> Leecher {
        let dirs = Dirs::new();
        let session = session(&dirs.downloads, None, None).await;
        let handle = session
            .add_torrent(
                AddTorrent::from_bytes(payload.torrent.clone()),
                Some(AddTorrentOptions {
                    initial_peers: Some(vec![peer]),
                    ..Default::default()
                }),
            )
            .await
            .unwrap()
            .into_handle()
            .unwrap();
        Leecher {
            dirs,
            _session: session,
            handle,
        }
    }
}

impl std::ops::Deref for Leecher {
    type Target = ManagedTorrent;
    fn deref(&self) -> &Self::Target {
        &self.handle
    }
}
