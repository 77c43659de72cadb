//! Magnet URI parsing, including the `x.pe` peer hints librqbit ignores.

use std::net::SocketAddr;

use url::Url;

use crate::error::EngineError;
use crate::info_hash::InfoHash;

/// Longest magnet link accepted.
const MAX_MAGNET_LEN: usize = 64 * 1024;
/// Most `tr=` and `x.pe=` parameters accepted, each.
const MAX_TRACKERS: usize = 100;
const MAX_PEER_HINTS: usize = 100;

/// What a magnet link tells us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Magnet {
    /// The torrent's info hash (`xt=urn:btih:`).
    pub info_hash: InfoHash,
    /// The display name (`dn=`), if any.
    pub name: Option<String>,
    /// Tracker URLs (`tr=`), http(s) or udp only.
    pub trackers: Vec<String>,
    /// Peer hints (`x.pe=host:port`) given as IP addresses.
    pub peers: Vec<SocketAddr>,
    /// Peer hints given as host names, resolved when the torrent is added.
    pub peer_hosts: Vec<String>,
}

impl Magnet {
    /// Parses a magnet URI. Unknown parameters are ignored; a missing or malformed
    /// `xt` is an error, as is a tracker or peer hint that cannot be understood.
    pub fn parse(input: &str) -> Result<Self, EngineError> {
        let input = input.trim();
        let bad = |why: &str| EngineError::InvalidMagnet(why.to_owned());
        if input.len() > MAX_MAGNET_LEN {
            return Err(bad("it is longer than 64 KiB"));
        }
        let url =
            Url::parse(input).map_err(|_| bad("not a URI; expected magnet:?xt=urn:btih:..."))?;
        if url.scheme() != "magnet" {
            return Err(bad("the link must start with magnet:?"));
        }
        let mut info_hash = None;
        let mut name = None;
        let mut trackers = Vec::new();
        let mut peers = Vec::new();
        let mut peer_hosts = Vec::new();
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "xt" => {
                    let Some(rest) = value.strip_prefix("urn:btih:") else {
                        // btmh (v2) and other namespaces: keep looking for a btih.
                        continue;
                    };
                    let hash = match rest.len() {
                        40 => rest.parse::<InfoHash>().ok(),
                        32 => InfoHash::from_base32(rest),
                        _ => None,
                    };
                    info_hash = Some(hash.ok_or_else(|| {
                        bad("the btih info hash must be 40 hex or 32 base32 characters")
                    })?);
                }
                "dn" => name = Some(value.into_owned()).filter(|n| !n.trim().is_empty()),
                "tr" => {
                    let tracker = Url::parse(&value).map_err(|_| {
                        EngineError::InvalidMagnet(format!("tracker {value:?} is not a URL"))
                    })?;
                    if !matches!(tracker.scheme(), "http" | "https" | "udp") {
                        return Err(EngineError::InvalidMagnet(format!(
                            "tracker {value:?} must use http, https or udp"
                        )));
                    }
                    if trackers.len() >= MAX_TRACKERS {
                        return Err(bad("it has more than 100 trackers"));
                    }
                    if !trackers.contains(&tracker.to_string()) {
                        trackers.push(tracker.to_string());
                    }
                }
                "x.pe" if peers.len() + peer_hosts.len() >= MAX_PEER_HINTS => {
                    return Err(bad("it has more than 100 peer hints"));
                }
                "x.pe" => match value.parse::<SocketAddr>() {
                    Ok(addr) => {
                        if !peers.contains(&addr) {
                            peers.push(addr)
                        }
                    }
                    Err(_) => {
                        let valid = value
                            .rsplit_once(':')
                            .is_some_and(|(h, p)| !h.is_empty() && p.parse::<u16>().is_ok());
                        if !valid {
                            return Err(EngineError::InvalidMagnet(format!(
                                "peer hint x.pe={value:?} must be host:port"
                            )));
                        }
                        peer_hosts.push(value.into_owned());
                    }
                },
                _ => {}
            }
        }
        let info_hash = info_hash.ok_or_else(|| bad("it has no xt=urn:btih: info hash"))?;
        Ok(Magnet {
            info_hash,
            name,
            trackers,
            peers,
            peer_hosts,
        })
    }

    /// Builds a magnet URI with the info hash, name, trackers and peer hints.
    pub fn to_uri(&self) -> String {
        let mut url = Url::parse("magnet:").expect("static URL");
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("xt", &format!("urn:btih:{}", self.info_hash));
            if let Some(name) = &self.name {
                q.append_pair("dn", name);
            }
            for tr in &self.trackers {
                q.append_pair("tr", tr);
            }
            for pe in &self.peers {
                q.append_pair("x.pe", &pe.to_string());
            }
            for pe in &self.peer_hosts {
                q.append_pair("x.pe", pe);
            }
        }
        // `xt=urn:btih:` reads better unescaped, as every client writes it.
        url.to_string().replace("urn%3Abtih%3A", "urn:btih:")
    }

    /// The URI given to librqbit: info hash, name and trackers, no peer hints.
    pub(crate) fn engine_uri(&self) -> String {
        Magnet {
            peers: vec![],
            peer_hosts: vec![],
            ..self.clone()
        }
        .to_uri()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";

    #[test]
    fn parses_hash_name_trackers_and_peers() {
        let m = Magnet::parse(&format!(
            "magnet:?xt=urn:btih:{HASH}&dn=Some+Name&tr=http%3A%2F%2F127.0.0.1%3A6969%2Fannounce&x.pe=127.0.0.2:5000&x.pe=[::1]:7000&x.pe=peer.example:80"
        ))
        .unwrap();
        assert_eq!(m.info_hash.to_hex(), HASH);
        assert_eq!(m.name.as_deref(), Some("Some Name"));
        assert_eq!(m.trackers, vec!["http://127.0.0.1:6969/announce"]);
        assert_eq!(
            m.peers,
            vec![
                "127.0.0.2:5000".parse().unwrap(),
                "[::1]:7000".parse().unwrap()
            ]
        );
        assert_eq!(m.peer_hosts, vec!["peer.example:80"]);
        let again = Magnet::parse(&m.to_uri()).unwrap();
        assert_eq!(again, m);
        assert!(!m.engine_uri().contains("x.pe"));
    }

    #[test]
    fn rejects_bad_magnets_with_reasons() {
        for (input, reason) in [
            ("hello", "not a URI"),
            ("http://x/?xt=urn:btih:aa", "must start with magnet"),
            ("magnet:?dn=x", "no xt"),
            ("magnet:?xt=urn:btih:1234", "40 hex"),
            (
                &format!("magnet:?xt=urn:btih:{HASH}&x.pe=nonsense"),
                "host:port",
            ),
            (
                &format!("magnet:?xt=urn:btih:{HASH}&tr=file:///etc/passwd"),
                "http, https or udp",
            ),
            (
                &format!(
                    "magnet:?xt=urn:btih:{HASH}{}",
                    (1..=101)
                        .map(|p| format!("&x.pe=127.0.0.1:{p}"))
                        .collect::<String>()
                ),
                "more than 100 peer",
            ),
            (
                &format!("magnet:?xt=urn:btih:{HASH}&dn={}", "a".repeat(70_000)),
                "longer than 64 KiB",
            ),
        ] {
            let err = Magnet::parse(input).unwrap_err().to_string();
            assert!(err.contains(reason), "{input}: {err}");
        }
    }
}
