//! The links a feed article may carry, checked: http(s) URLs, `magnet:` URIs and info hashes.
//! Anything else (`javascript:`, `file:`, a relative path, a hash of the wrong length) is refused.

use url::Url;

/// An absolute `http` or `https` URL with a host, in its normalized form.
pub(crate) fn http_url(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    (matches!(url.scheme(), "http" | "https") && url.host().is_some()).then_some(url)
}

/// Whether an http(s) URL names a `.torrent` file (its path, not its query, ends so).
pub(crate) fn names_torrent_file(url: &Url) -> bool {
    url.path().to_ascii_lowercase().ends_with(".torrent")
}

/// A `magnet:` URI that names a BitTorrent content (`xt=urn:btih:` or `urn:btmh:`), as written.
pub(crate) fn magnet(text: &str) -> Option<String> {
    let text = text.trim();
    let url = Url::parse(text).ok()?;
    if url.scheme() != "magnet" {
        return None;
    }
    let names_content = url.query_pairs().any(|(key, value)| {
        let value = value.to_ascii_lowercase();
        key == "xt" && (value.starts_with("urn:btih:") || value.starts_with("urn:btmh:"))
    });
    names_content.then(|| text.to_owned())
}

/// The v1 info hash of a magnet (its `xt=urn:btih:`), as 40 lowercase hex characters.
pub(crate) fn magnet_info_hash(magnet: &str) -> Option<String> {
    let url = Url::parse(magnet).ok()?;
    url.query_pairs()
        .filter(|(key, _)| key == "xt")
        .find_map(|(_, value)| {
            let is_btih = value
                .get(..9)
                .is_some_and(|scheme| scheme.eq_ignore_ascii_case("urn:btih:"));
            if is_btih {
                info_hash(&value[9..])
            } else {
                None
            }
        })
}

/// The content length a magnet announces (`xl`), if any.
pub(crate) fn magnet_length(magnet: &str) -> Option<u64> {
    let url = Url::parse(magnet).ok()?;
    url.query_pairs()
        .find(|(key, _)| key == "xl")
        .and_then(|(_, value)| value.trim().parse().ok())
}

/// A magnet for a torrent known only by its info hash, named after the article.
pub(crate) fn magnet_for(info_hash: &str, title: &str) -> String {
    let mut magnet = format!("magnet:?xt=urn:btih:{info_hash}");
    if !title.is_empty() {
        magnet.push_str("&dn=");
        magnet.extend(url::form_urlencoded::byte_serialize(title.as_bytes()));
    }
    magnet
}

/// A v1 info hash written as 40 hex characters or 32 base32 characters, as 40 lowercase hex.
pub(crate) fn info_hash(text: &str) -> Option<String> {
    let text = text.trim();
    match text.len() {
        40 if text.bytes().all(|b| b.is_ascii_hexdigit()) => Some(text.to_ascii_lowercase()),
        32 => data_encoding::BASE32
            .decode(text.to_ascii_uppercase().as_bytes())
            .ok()
            .map(hex::encode),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "0123456789abcdef0123456789abcdef01234567";
    // The same 20 bytes in base32.
    const BASE32: &str = "AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH";

    #[test]
    fn keeps_only_http_urls() {
        assert_eq!(
            http_url(" https://example.org/a b.torrent ").map(String::from),
            Some("https://example.org/a%20b.torrent".to_owned())
        );
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.org/x.torrent",
            "/relative/x.torrent",
            "http://",
            "magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567",
        ] {
            assert_eq!(http_url(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_torrent_file_is_named_by_its_path() {
        let named = |s: &str| names_torrent_file(&http_url(s).expect("an http URL"));
        assert!(named("https://example.org/dl/Show.S01E02.TORRENT"));
        assert!(!named("https://example.org/details?file=x.torrent"));
        assert!(!named("https://example.org/view/123"));
    }

    #[test]
    fn magnets_need_a_bittorrent_exact_topic() {
        let m = format!("magnet:?xt=urn:btih:{HEX}&dn=Show");
        assert_eq!(magnet(&format!(" {m}\n")), Some(m.clone()));
        assert_eq!(magnet_info_hash(&m), Some(HEX.to_owned()));
        assert_eq!(
            magnet_info_hash(&format!("magnet:?dn=x&xt=URN:BTIH:{BASE32}")),
            Some(HEX.to_owned())
        );
        assert_eq!(magnet("magnet:?dn=nothing"), None);
        assert_eq!(magnet("magnet:?xt=urn:sha1:abc"), None);
        assert_eq!(magnet("https://example.org/?xt=urn:btih:abc"), None);
        assert_eq!(magnet_length(&format!("{m}&xl=1234")), Some(1234));
    }

    #[test]
    fn info_hashes_are_hex_or_base32() {
        assert_eq!(info_hash(&HEX.to_uppercase()), Some(HEX.to_owned()));
        assert_eq!(info_hash(&BASE32.to_lowercase()), Some(HEX.to_owned()));
        assert_eq!(info_hash(&HEX[..39]), None);
        assert_eq!(info_hash(&"g".repeat(40)), None);
        assert_eq!(info_hash(&"1".repeat(32)), None);
    }

    #[test]
    fn a_magnet_from_a_hash_carries_the_title() {
        assert_eq!(
            magnet_for(HEX, "Show S01E02 & more"),
            format!("magnet:?xt=urn:btih:{HEX}&dn=Show+S01E02+%26+more")
        );
    }
}
