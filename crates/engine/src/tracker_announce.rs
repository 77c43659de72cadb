//! Announces of our own to trackers, for the torrents librqbit does not hold while
//! they are dormant (see `engine/dormant.rs`): HTTP(S) through the process's one
//! outbound client with the tracker's own origin allowed (as for scrapes), UDP
//! (BEP 15) with the exchanges of `scrape.rs`.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use cloud_torrent_outbound::{AllowedOrigins, OutboundClient, Request, UserAgent};
use url::Url;

use crate::bencode;
use crate::info_hash::InfoHash;
use crate::scrape::{exchange, read_udp, transaction_id, udp_connect, udp_socket};

/// How long one tracker may take to answer an announce.
const ANNOUNCE_TIMEOUT: Duration = Duration::from_secs(15);
/// The largest announce answer read over HTTP (50 peers take ~300 bytes).
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// How many peers an announce asks for.
const NUM_WANT: u32 = 50;
const UDP_ANNOUNCE: u32 = 1;

/// Why this announce is made (BEP 3's `event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AnnounceEvent {
    /// The first announce of a torrent under this peer id.
    Started,
    /// A regular one, at the tracker's interval.
    Regular,
    /// The torrent is no longer announced under this peer id.
    Stopped,
}

/// What an announce says of us.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Announce {
    pub hash: InfoHash,
    pub peer_id: [u8; 20],
    /// The port peers connect to.
    pub port: u16,
    pub uploaded: u64,
    pub downloaded: u64,
    /// Bytes still missing (0: a seed).
    pub left: u64,
    pub event: AnnounceEvent,
    /// Lets the tracker know us again when our address changes (BEP 7).
    pub key: u32,
}

/// What a tracker answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Announced {
    /// When to announce again.
    pub interval: Duration,
    pub seeders: u64,
    pub leechers: u64,
    pub peers: Vec<SocketAddr>,
}

/// Announces to `tracker` (http, https or udp).
pub(crate) async fn announce(
    client: &OutboundClient,
    tracker: &Url,
    what: &Announce,
) -> Result<Announced, String> {
    match tracker.scheme() {
        "http" | "https" => announce_http(client, tracker, what).await,
        "udp" => tokio::time::timeout(ANNOUNCE_TIMEOUT, announce_udp(tracker, what))
            .await
            .unwrap_or_else(|_| Err("the tracker did not answer in time".into())),
        other => Err(format!("{other}:// trackers are not supported")),
    }
}

/// Every byte percent-encoded: trackers decode `%XX` alike, not all decode `+`.
fn percent_encoded(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("%{b:02X}")).collect()
}

/// The announce URL: the tracker's own query (a passkey, say) kept first.
fn http_url(tracker: &Url, what: &Announce) -> Url {
    let mut query = match tracker.query() {
        Some(q) if !q.is_empty() => format!("{q}&"),
        _ => String::new(),
    };
    query.push_str(&format!(
        "info_hash={}&peer_id={}&port={}&uploaded={}&downloaded={}&left={}&compact=1&numwant={NUM_WANT}&key={:08x}",
        percent_encoded(&what.hash.0),
        percent_encoded(&what.peer_id),
        what.port,
        what.uploaded,
        what.downloaded,
        what.left,
        what.key,
    ));
    match what.event {
        AnnounceEvent::Started => query.push_str("&event=started"),
        AnnounceEvent::Stopped => query.push_str("&event=stopped"),
        AnnounceEvent::Regular => {}
    }
    let mut url = tracker.clone();
    url.set_query(Some(&query));
    url
}

async fn announce_http(
    client: &OutboundClient,
    tracker: &Url,
    what: &Announce,
) -> Result<Announced, String> {
    let request = Request::get(http_url(tracker, what))
        .user_agent(UserAgent::CloudTorrent)
        .allow_origins(AllowedOrigins::new([tracker]))
        .max_bytes(MAX_ANSWER_BYTES)
        .timeout(ANNOUNCE_TIMEOUT);
    let answer = client.send(request).await.map_err(|e| e.to_string())?;
    if !answer.status.is_success() {
        return Err(format!("the tracker answered {}", answer.status));
    }
    read_http_answer(&answer.body)
}

/// Reads a bencoded announce answer: `interval`, `complete`, `incomplete` and the
/// peers (compact `peers` and `peers6`, or a list of `ip`/`port` dictionaries), or
/// a `failure reason`.
fn read_http_answer(body: &[u8]) -> Result<Announced, String> {
    let not_announce = || "the tracker's answer is not an announce answer".to_string();
    let root = bencode::parse(body)
        .ok()
        .and_then(|v| v.as_dict())
        .ok_or_else(not_announce)?;
    let get = |key: &[u8]| root.get(key).ok().flatten();
    if let Some(reason) = get(b"failure reason") {
        let reason = reason.as_bytes().map(String::from_utf8_lossy);
        return Err(format!(
            "the tracker refused: {}",
            reason.as_deref().unwrap_or("no reason given")
        ));
    }
    let count = |key: &[u8]| {
        get(key)
            .and_then(|v| v.as_int())
            .and_then(|n| u64::try_from(n).ok())
    };
    let interval = count(b"interval").ok_or_else(not_announce)?;
    let mut peers = Vec::new();
    match get(b"peers") {
        Some(v) if v.as_bytes().is_some() => {
            peers.extend(compact_peers(v.as_bytes().unwrap_or_default(), false));
        }
        Some(v) => {
            for peer in v.as_list().iter().flat_map(|l| l.iter()) {
                let Some(peer) = peer.as_dict() else { continue };
                let ip = peer
                    .get(b"ip")
                    .ok()
                    .flatten()
                    .and_then(|v| v.as_bytes())
                    .and_then(|b| std::str::from_utf8(b).ok())
                    .and_then(|s| s.parse().ok());
                let port = peer
                    .get(b"port")
                    .ok()
                    .flatten()
                    .and_then(|v| v.as_int())
                    .and_then(|n| u16::try_from(n).ok());
                if let (Some(ip), Some(port)) = (ip, port) {
                    peers.push(SocketAddr::new(ip, port));
                }
            }
        }
        None => {}
    }
    if let Some(bytes) = get(b"peers6").and_then(|v| v.as_bytes()) {
        peers.extend(compact_peers(bytes, true));
    }
    Ok(Announced {
        interval: Duration::from_secs(interval),
        seeders: count(b"complete").unwrap_or(0),
        leechers: count(b"incomplete").unwrap_or(0),
        peers,
    })
}

/// Peers in compact form: 4 (or 16) address bytes and 2 port bytes each.
fn compact_peers(bytes: &[u8], v6: bool) -> impl Iterator<Item = SocketAddr> + '_ {
    let size = if v6 { 18 } else { 6 };
    bytes.chunks_exact(size).map(move |chunk| {
        let (ip, port) = chunk.split_at(size - 2);
        let port = u16::from_be_bytes([port[0], port[1]]);
        let ip: std::net::IpAddr = match <[u8; 16]>::try_from(ip) {
            Ok(v6) => Ipv6Addr::from(v6).into(),
            Err(_) => Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).into(),
        };
        SocketAddr::new(ip, port)
    })
}

async fn announce_udp(tracker: &Url, what: &Announce) -> Result<Announced, String> {
    let socket = udp_socket(tracker).await.map_err(|e| e.to_string())?;
    let v6 = socket.peer_addr().is_ok_and(|a| a.is_ipv6());
    let transaction = transaction_id();
    let connection = udp_connect(&socket, transaction)
        .await
        .map_err(|e| e.to_string())?;
    let transaction = transaction.wrapping_add(1);
    let request = udp_request(&connection, transaction, what);
    let answer = exchange(&socket, &request, transaction)
        .await
        .map_err(|e| e.to_string())?;
    read_udp_answer(&answer, v6)
}

/// BEP 15's announce request (98 bytes).
fn udp_request(connection: &[u8; 8], transaction: u32, what: &Announce) -> Vec<u8> {
    let event: u32 = match what.event {
        AnnounceEvent::Regular => 0,
        AnnounceEvent::Started => 2,
        AnnounceEvent::Stopped => 3,
    };
    let mut request = Vec::with_capacity(98);
    request.extend_from_slice(connection);
    request.extend_from_slice(&UDP_ANNOUNCE.to_be_bytes());
    request.extend_from_slice(&transaction.to_be_bytes());
    request.extend_from_slice(&what.hash.0);
    request.extend_from_slice(&what.peer_id);
    request.extend_from_slice(&what.downloaded.to_be_bytes());
    request.extend_from_slice(&what.left.to_be_bytes());
    request.extend_from_slice(&what.uploaded.to_be_bytes());
    request.extend_from_slice(&event.to_be_bytes());
    // Our address as the tracker sees it.
    request.extend_from_slice(&0u32.to_be_bytes());
    request.extend_from_slice(&what.key.to_be_bytes());
    request.extend_from_slice(&NUM_WANT.to_be_bytes());
    request.extend_from_slice(&what.port.to_be_bytes());
    request
}

/// BEP 15's announce answer: interval, leechers, seeders, then compact peers of
/// the socket's address family.
fn read_udp_answer(answer: &[u8], v6: bool) -> Result<Announced, String> {
    let head = read_udp(answer, UDP_ANNOUNCE, 12).map_err(|e| e.to_string())?;
    let word = |i: usize| u32::from_be_bytes([0, 1, 2, 3].map(|j| head[i * 4 + j]));
    Ok(Announced {
        interval: Duration::from_secs(u64::from(word(0))),
        leechers: u64::from(word(1)),
        seeders: u64::from(word(2)),
        peers: compact_peers(&answer[20..], v6).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn what(event: AnnounceEvent) -> Announce {
        Announce {
            hash: InfoHash([0xab; 20]),
            peer_id: *b"-CT0100-abcdefghijkl",
            port: 6881,
            uploaded: 10,
            downloaded: 20,
            left: 0,
            event,
            key: 0x1234,
        }
    }

    #[test]
    fn http_announces_keep_the_trackers_query_and_encode_every_byte() {
        let tracker = Url::parse("http://t.example/announce?passkey=abc").unwrap();
        let url = http_url(&tracker, &what(AnnounceEvent::Started));
        let query = url.query().unwrap();
        assert!(query.starts_with("passkey=abc&info_hash=%AB%AB"), "{query}");
        assert!(query.contains("&port=6881&uploaded=10&downloaded=20&left=0&compact=1"));
        assert!(query.ends_with("&event=started"));
        let url = http_url(&tracker, &what(AnnounceEvent::Regular));
        assert!(!url.query().unwrap().contains("event="));
    }

    #[test]
    fn http_answers_give_interval_counts_and_peers_in_either_form() {
        let compact =
            b"d8:completei3e10:incompletei2e8:intervali1800e5:peers6:\x7f\x00\x00\x01\x1a\xe1e";
        let got = read_http_answer(compact).unwrap();
        assert_eq!(got.interval, Duration::from_secs(1800));
        assert_eq!((got.seeders, got.leechers), (3, 2));
        assert_eq!(got.peers, vec!["127.0.0.1:6881".parse().unwrap()]);
        let listed = b"d8:intervali60e5:peersld2:ip9:127.0.0.24:porti51413eeee";
        let got = read_http_answer(listed).unwrap();
        assert_eq!(got.peers, vec!["127.0.0.2:51413".parse().unwrap()]);
        assert_eq!(got.leechers, 0);
        assert_eq!(
            read_http_answer(b"d14:failure reason12:unregisterede"),
            Err("the tracker refused: unregistered".into())
        );
        assert!(read_http_answer(b"<html></html>").is_err());
    }

    #[test]
    fn udp_requests_and_answers_follow_bep_15() {
        let request = udp_request(&[7; 8], 9, &what(AnnounceEvent::Stopped));
        assert_eq!(request.len(), 98);
        assert_eq!(&request[8..12], &UDP_ANNOUNCE.to_be_bytes());
        assert_eq!(&request[80..84], &3u32.to_be_bytes());
        assert_eq!(&request[96..98], &6881u16.to_be_bytes());
        let mut answer = UDP_ANNOUNCE.to_be_bytes().to_vec();
        answer.extend_from_slice(&9u32.to_be_bytes());
        answer.extend_from_slice(&[0, 0, 7, 8, 0, 0, 0, 1, 0, 0, 0, 4]);
        answer.extend_from_slice(&[10, 0, 0, 1, 0x1a, 0xe1]);
        let got = read_udp_answer(&answer, false).unwrap();
        assert_eq!(got.interval, Duration::from_secs(1800));
        assert_eq!((got.leechers, got.seeders), (1, 4));
        assert_eq!(got.peers, vec!["10.0.0.1:6881".parse().unwrap()]);
    }
}
