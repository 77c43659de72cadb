//! The APIs of other clients, over the same engine, so that programs written for them
//! drive cloud-torrent unchanged: qBittorrent's Web API v2 (`qbittorrent`) and
//! Transmission's RPC (`transmission`). Their logins are the server's own (see
//! `crate::auth`); each can be turned off (`compatQbittorrent`, `compatTransmission`).

pub mod qbittorrent;
pub mod transmission;
