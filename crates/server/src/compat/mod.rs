//! The APIs of other clients, over the same engine, so that programs written for them
//! drive cloud-torrent unchanged: qBittorrent's Web API v2 (`qbittorrent`) and
//! Transmission's RPC (`transmission`). Their logins are the server's own (see
//! `crate::auth`); each can be turned off (`compatQbittorrent`, `compatTransmission`).

pub mod qbittorrent;
pub mod transmission;

use std::net::{IpAddr, SocketAddr};

use axum::Router;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

use crate::ServerConfig;
use crate::auth::{QBITTORRENT_PREFIX, TRANSMISSION_PREFIX};

/// A listener of its own for one compatible API, on the port its clients expect.
pub struct ExtraListener {
    /// Bound on the main listener's address.
    pub listener: TcpListener,
    /// The paths it answers (the others are 404s).
    pub prefix: &'static str,
}

/// Binds the extra ports the settings ask for (`compatQbittorrentPort`,
/// `compatTransmissionPort`) on `ip`, for the APIs that are on.
pub async fn extra_listeners(
    config: &ServerConfig,
    ip: IpAddr,
) -> std::io::Result<Vec<ExtraListener>> {
    let v = &config.settings;
    let wanted = [
        (
            v.compat_qbittorrent && v.compat_qbittorrent_port != 0,
            v.compat_qbittorrent_port,
            QBITTORRENT_PREFIX,
        ),
        (
            v.compat_transmission && v.compat_transmission_port != 0,
            v.compat_transmission_port,
            TRANSMISSION_PREFIX,
        ),
    ];
    let mut out = Vec::new();
    for (on, port, prefix) in wanted {
        if on {
            let listener = TcpListener::bind(SocketAddr::new(ip, port))
                .await
                .map_err(|e| {
                    std::io::Error::new(
                        e.kind(),
                        format!("cannot listen on port {port} for {prefix}: {e}"),
                    )
                })?;
            out.push(ExtraListener { listener, prefix });
        }
    }
    Ok(out)
}

/// `app` answering only the paths under `prefix` (404 for the others).
pub fn only(app: Router, prefix: &'static str) -> Router {
    app.layer(axum::middleware::from_fn(
        move |req: Request, next: Next| async move {
            if req.uri().path().starts_with(prefix) {
                next.run(req).await
            } else {
                not_here()
            }
        },
    ))
}

fn not_here() -> Response {
    StatusCode::NOT_FOUND.into_response()
}

/// A torrent of 1000 bytes in one file, half or wholly complete, for the mappings' tests.
#[cfg(test)]
pub(crate) fn sample_torrent(
    state: cloud_torrent_engine::TorrentState,
    complete: bool,
) -> cloud_torrent_engine::Torrent {
    let size = 1000;
    let completed = if complete { size } else { size / 2 };
    cloud_torrent_engine::Torrent {
        id: 1,
        info_hash: "c12fe1c06bba254a9dc9f519b335aa7c1367a88a".into(),
        name: "x".into(),
        state,
        progress: if complete { 1.0 } else { 0.5 },
        size,
        completed,
        downloaded: 0,
        uploaded: 0,
        ratio: 0.0,
        seeding_time: 0,
        active_time: 0,
        seeding_since: None,
        active_since: None,
        times_before_since: (0, 0),
        last_activity: None,
        seed_ratio_limit: None,
        seed_time_limit: None,
        seed_idle_limit: None,
        seed_limit_reached: false,
        force_start: false,
        queue_position: None,
        sequential: false,
        first_last_pieces_first: false,
        download_limit: 0,
        upload_limit: 0,
        download_rate: 0,
        upload_rate: 0,
        peers: 0,
        eta: None,
        check_progress: None,
        added_at: "2026-01-01T00:00:00Z".into(),
        completed_at: None,
        error: None,
        move_error: None,
        category: None,
        tags: vec![],
        save_path: String::new(),
        content_path: "x".into(),
        magnet: String::new(),
        tracker_hosts: Vec::new(),
        comment: None,
        created_by: None,
        created_at: None,
        private: false,
        dormant: false,
        files: vec![cloud_torrent_engine::TorrentFile {
            index: 0,
            path: "x".into(),
            size,
            completed,
            selected: true,
        }],
    }
}
