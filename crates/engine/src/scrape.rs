//! Tracker scrapes: how many seeders, leechers and finished downloads a tracker
//! counts for one torrent, over HTTP(S) (the `scrape` convention of BEP 48) or UDP
//! (BEP 15), and whether the tracker answers at all. Its UDP exchanges serve the
//! announces of dormant torrents too (`tracker_announce.rs`).
//!
//! librqbit announces to trackers itself but keeps what they answer to itself, so
//! a torrent's tracker list is read from its metainfo and each tracker is asked
//! here, on demand, with a short timeout. HTTP goes through the process's one
//! outbound client, with the tracker's own origin allowed (the torrent names it,
//! and librqbit contacts it anyway, private address or not).

use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use cloud_torrent_outbound::{AllowedOrigins, OutboundClient, Request, UserAgent};
use tokio::net::UdpSocket;
use url::Url;

use crate::bencode;
use crate::info_hash::InfoHash;

/// How long one tracker may take to answer a scrape.
pub const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);
/// The largest scrape answer read over HTTP (one torrent's counts are ~100 bytes).
const MAX_ANSWER_BYTES: usize = 64 * 1024;
/// BEP 15's magic number, sent with every connect request.
const UDP_PROTOCOL_ID: u64 = 0x0417_2710_1980;
const UDP_CONNECT: u32 = 0;
const UDP_SCRAPE: u32 = 2;
const UDP_ERROR: u32 = 3;

/// What a tracker counts for a torrent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrapeCounts {
    /// Peers that have the whole torrent.
    pub seeders: u64,
    /// Peers still downloading it.
    pub leechers: u64,
    /// Downloads the tracker saw finish.
    pub downloaded: u64,
}

/// Why a scrape gave no counts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScrapeError {
    /// The tracker's URL has no scrape form (an HTTP announce URL whose last
    /// path segment does not start with `announce`, or an unknown scheme).
    #[error("this tracker offers no scrape")]
    Unsupported,
    /// The tracker did not answer, or answered something else than counts.
    #[error("{0}")]
    Failed(String),
}

/// The scrape URL of an HTTP(S) announce URL: the last path segment's
/// `announce` prefix replaced by `scrape`, the query (a passkey, say) kept.
pub fn http_scrape_url(announce: &Url) -> Option<Url> {
    if !matches!(announce.scheme(), "http" | "https") {
        return None;
    }
    let path = announce.path();
    let (dir, last) = path.rsplit_once('/')?;
    let rest = last.strip_prefix("announce")?;
    let mut scrape = announce.clone();
    scrape.set_path(&format!("{dir}/scrape{rest}"));
    Some(scrape)
}

/// Asks `tracker` what it counts for `hash`.
pub async fn scrape(
    client: &OutboundClient,
    tracker: &Url,
    hash: &InfoHash,
) -> Result<ScrapeCounts, ScrapeError> {
    match tracker.scheme() {
        "http" | "https" => scrape_http(client, tracker, hash).await,
        "udp" => tokio::time::timeout(SCRAPE_TIMEOUT, scrape_udp(tracker, hash))
            .await
            .unwrap_or_else(|_| Err(failed("the tracker did not answer in time"))),
        _ => Err(ScrapeError::Unsupported),
    }
}

pub(crate) fn failed(message: impl Into<String>) -> ScrapeError {
    ScrapeError::Failed(message.into())
}

async fn scrape_http(
    client: &OutboundClient,
    tracker: &Url,
    hash: &InfoHash,
) -> Result<ScrapeCounts, ScrapeError> {
    let mut url = http_scrape_url(tracker).ok_or(ScrapeError::Unsupported)?;
    // Every byte percent-encoded: trackers decode `%XX` alike, not all decode `+`.
    let encoded: String = hash.0.iter().map(|b| format!("%{b:02X}")).collect();
    let query = match url.query() {
        Some(q) if !q.is_empty() => format!("{q}&info_hash={encoded}"),
        _ => format!("info_hash={encoded}"),
    };
    url.set_query(Some(&query));
    let request = Request::get(url)
        .user_agent(UserAgent::CloudTorrent)
        .allow_origins(AllowedOrigins::new([tracker]))
        .max_bytes(MAX_ANSWER_BYTES)
        .timeout(SCRAPE_TIMEOUT);
    let answer = client
        .send(request)
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !answer.status.is_success() {
        return Err(failed(format!("the tracker answered {}", answer.status)));
    }
    read_http_answer(&answer.body, hash)
}

/// Reads a bencoded scrape answer: `files` → the 20 bytes of `hash` → `complete`,
/// `incomplete`, `downloaded`; or a `failure reason`.
fn read_http_answer(body: &[u8], hash: &InfoHash) -> Result<ScrapeCounts, ScrapeError> {
    let not_counts = || failed("the tracker's answer is not a scrape");
    let root = bencode::parse(body)
        .ok()
        .and_then(|v| v.as_dict())
        .ok_or_else(not_counts)?;
    if let Ok(Some(reason)) = root.get(b"failure reason") {
        let reason = reason.as_bytes().map(String::from_utf8_lossy);
        return Err(failed(format!(
            "the tracker refused: {}",
            reason.as_deref().unwrap_or("no reason given")
        )));
    }
    let files = root
        .get(b"files")
        .ok()
        .flatten()
        .and_then(|v| v.as_dict())
        .ok_or_else(not_counts)?;
    let Some(counts) = files.get(&hash.0).ok().flatten().and_then(|v| v.as_dict()) else {
        // A tracker that has never seen the torrent lists nothing for it.
        return Ok(ScrapeCounts {
            seeders: 0,
            leechers: 0,
            downloaded: 0,
        });
    };
    let count = |key: &[u8]| {
        counts
            .get(key)
            .ok()
            .flatten()
            .and_then(|v| v.as_int())
            .and_then(|n| u64::try_from(n).ok())
            .unwrap_or(0)
    };
    Ok(ScrapeCounts {
        seeders: count(b"complete"),
        leechers: count(b"incomplete"),
        downloaded: count(b"downloaded"),
    })
}

async fn scrape_udp(tracker: &Url, hash: &InfoHash) -> Result<ScrapeCounts, ScrapeError> {
    let socket = udp_socket(tracker).await?;
    let transaction = transaction_id();
    let connection = udp_connect(&socket, transaction).await?;

    let transaction = transaction.wrapping_add(1);
    let mut request = Vec::with_capacity(36);
    request.extend_from_slice(&connection);
    request.extend_from_slice(&UDP_SCRAPE.to_be_bytes());
    request.extend_from_slice(&transaction.to_be_bytes());
    request.extend_from_slice(&hash.0);
    let answer = exchange(&socket, &request, transaction).await?;
    let counts = read_udp(&answer, UDP_SCRAPE, 12)?;
    let word = |i: usize| u64::from(u32::from_be_bytes([0, 1, 2, 3].map(|j| counts[i * 4 + j])));
    Ok(ScrapeCounts {
        seeders: word(0),
        downloaded: word(1),
        leechers: word(2),
    })
}

/// A UDP socket connected to the tracker of a `udp://host:port` URL.
pub(crate) async fn udp_socket(tracker: &Url) -> Result<UdpSocket, ScrapeError> {
    let host = tracker
        .host_str()
        .ok_or_else(|| failed("the tracker's URL has no host"))?;
    let port = tracker
        .port()
        .ok_or_else(|| failed("the tracker's URL has no port"))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let address = tokio::net::lookup_host((host, port))
        .await
        .ok()
        .and_then(|mut found| found.next())
        .ok_or_else(|| failed("the tracker's host name does not resolve"))?;
    let local = match address {
        std::net::SocketAddr::V4(_) => "0.0.0.0:0",
        std::net::SocketAddr::V6(_) => "[::]:0",
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| failed(format!("cannot open a UDP socket: {}", e.kind())))?;
    socket
        .connect(address)
        .await
        .map_err(|e| failed(format!("cannot reach the tracker: {}", e.kind())))?;
    Ok(socket)
}

/// BEP 15's connect exchange: the connection id later requests carry.
pub(crate) async fn udp_connect(
    socket: &UdpSocket,
    transaction: u32,
) -> Result<[u8; 8], ScrapeError> {
    let mut connect = Vec::with_capacity(16);
    connect.extend_from_slice(&UDP_PROTOCOL_ID.to_be_bytes());
    connect.extend_from_slice(&UDP_CONNECT.to_be_bytes());
    connect.extend_from_slice(&transaction.to_be_bytes());
    let answer = exchange(socket, &connect, transaction).await?;
    read_udp(&answer, UDP_CONNECT, 8)?
        .try_into()
        .map_err(|_| failed("the tracker's answer is too short"))
}

/// Sends `request` and waits for the answer that carries `transaction`.
pub(crate) async fn exchange(
    socket: &UdpSocket,
    request: &[u8],
    transaction: u32,
) -> Result<Vec<u8>, ScrapeError> {
    socket
        .send(request)
        .await
        .map_err(|e| failed(format!("cannot reach the tracker: {}", e.kind())))?;
    let mut buffer = vec![0u8; 2048];
    loop {
        let n = socket
            .recv(&mut buffer)
            .await
            .map_err(|e| failed(format!("cannot reach the tracker: {}", e.kind())))?;
        let answer = &buffer[..n];
        if answer.len() >= 8 && answer[4..8] == transaction.to_be_bytes() {
            return Ok(answer.to_vec());
        }
        // A late answer to an earlier request: keep waiting for ours.
    }
}

/// The `len` bytes after the 8-byte header of a UDP answer to `action`, or the
/// tracker's error message.
pub(crate) fn read_udp(answer: &[u8], action: u32, len: usize) -> Result<&[u8], ScrapeError> {
    if answer.len() < 8 {
        return Err(failed("the tracker's answer is too short"));
    }
    let got = u32::from_be_bytes([answer[0], answer[1], answer[2], answer[3]]);
    if got == UDP_ERROR {
        return Err(failed(format!(
            "the tracker refused: {}",
            String::from_utf8_lossy(&answer[8..])
        )));
    }
    if got != action || answer.len() < 8 + len {
        return Err(failed("the tracker's answer is not the one asked for"));
    }
    Ok(&answer[8..8 + len])
}

/// A transaction id nobody can guess in advance (BEP 15 matches answers by it).
pub(crate) fn transaction_id() -> u32 {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.finish() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn scrape_urls_follow_the_announce_convention() {
        let cases = [
            ("http://t.example/announce", Some("http://t.example/scrape")),
            (
                "https://t.example/x/announce.php?passkey=abc",
                Some("https://t.example/x/scrape.php?passkey=abc"),
            ),
            (
                "http://t.example:6969/announce",
                Some("http://t.example:6969/scrape"),
            ),
            ("http://t.example/a", None),
            ("http://t.example/announce/x", None),
            ("udp://t.example:6969/announce", None),
        ];
        for (announce, scrape) in cases {
            assert_eq!(
                http_scrape_url(&url(announce)).map(|u| u.to_string()),
                scrape.map(str::to_owned),
                "{announce}"
            );
        }
    }

    fn hash() -> InfoHash {
        InfoHash([0xab; 20])
    }

    fn answer_for(hash: &InfoHash, counts: &str) -> Vec<u8> {
        let mut body = b"d5:filesd20:".to_vec();
        body.extend_from_slice(&hash.0);
        body.extend_from_slice(counts.as_bytes());
        body.extend_from_slice(b"ee");
        body
    }

    #[test]
    fn http_answers_are_read_for_the_torrent_asked() {
        let body = answer_for(&hash(), "d8:completei5e10:downloadedi50e10:incompletei3ee");
        assert_eq!(
            read_http_answer(&body, &hash()),
            Ok(ScrapeCounts {
                seeders: 5,
                leechers: 3,
                downloaded: 50
            })
        );
        // Counts for another torrent only: this one is unknown to the tracker.
        let other = answer_for(&InfoHash([1; 20]), "d8:completei5ee");
        assert_eq!(read_http_answer(&other, &hash()).map(|c| c.seeders), Ok(0));
    }

    #[test]
    fn http_failures_say_why() {
        let refused = read_http_answer(b"d14:failure reason12:unregisterede", &hash());
        assert_eq!(refused, Err(failed("the tracker refused: unregistered")));
        let page = read_http_answer(b"<html>not found</html>", &hash());
        assert_eq!(page, Err(failed("the tracker's answer is not a scrape")));
    }

    #[test]
    fn udp_answers_are_checked_for_their_action() {
        let mut scrape = UDP_SCRAPE.to_be_bytes().to_vec();
        scrape.extend_from_slice(&7u32.to_be_bytes());
        scrape.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 9, 0, 0, 0, 1]);
        assert_eq!(read_udp(&scrape, UDP_SCRAPE, 12).unwrap().len(), 12);
        assert!(read_udp(&scrape, UDP_CONNECT, 8).is_err());
        let mut error = UDP_ERROR.to_be_bytes().to_vec();
        error.extend_from_slice(&7u32.to_be_bytes());
        error.extend_from_slice(b"torrent not registered");
        assert_eq!(
            read_udp(&error, UDP_SCRAPE, 12),
            Err(failed("the tracker refused: torrent not registered"))
        );
    }
}
