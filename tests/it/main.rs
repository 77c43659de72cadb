//! The integration tests, as one test binary: each module covers one area against the
//! real server (in-process on 127.0.0.1:0) or the real binary, with the helpers they
//! share in `support`. One binary links librqbit and the server once for all of them.
//!
//! Tests run in parallel threads of this one process, so none changes process-wide
//! state (environment variables, current folder, limits): settings for the binary go
//! to its command only.
//!
//! `cargo test --test it` runs them all; `cargo test --test it swarm::` one area.

mod support;

mod automation;
mod bad_input;
mod cli;
mod compat_qbittorrent;
mod compat_transmission;
mod crash_loop;
mod dormant;
mod events;
mod events_bench;
mod files;
mod full_disk;
mod hostile_torrents;
mod interop;
mod layout;
mod live_config;
mod organise;
mod peers_trackers;
mod queue;
mod restart;
mod rss;
mod scale;
mod search;
mod security;
mod swarm;
mod tls;
mod transfer;
mod watch;
