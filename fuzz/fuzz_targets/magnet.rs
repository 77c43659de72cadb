//! Magnet links: parsing never panics, and what is accepted survives a round trip.
#![no_main]

use cloud_torrent_engine::Magnet;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(magnet) = Magnet::parse(text) {
        assert!(magnet.trackers.len() <= 100);
        assert!(magnet.peers.len() + magnet.peer_hosts.len() <= 100);
        let again = Magnet::parse(&magnet.to_uri()).expect("our own URI parses");
        assert_eq!(again, magnet);
    }
});
