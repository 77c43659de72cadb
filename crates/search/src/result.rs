//! Search results: what the API returns, how a scraped row becomes one, and how
//! the results of several providers are merged.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use url::Url;
use utoipa::ToSchema;

/// One search result. Fields a provider did not give are left out.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResult {
    /// The torrent's name.
    pub name: String,
    /// Id of the provider that found it.
    pub provider: String,
    /// Size in bytes, when the site's text could be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The size as the site wrote it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_text: Option<String>,
    /// Seeders.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seeders: Option<u64>,
    /// Leechers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leechers: Option<u64>,
    /// A magnet link.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magnet: Option<String>,
    /// The info hash, 40 lowercase hexadecimal characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infohash: Option<String>,
    /// An http(s) link of the .torrent file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torrent: Option<String>,
    /// The result's page on the provider's site.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Opaque: pass it back to `/search/item` or `/search/add` to get the torrent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<String>,
}

/// What the second phase of a provider found on a result's page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ItemLinks {
    /// A magnet link (built from the info hash and trackers when the page gave only those).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub magnet: Option<String>,
    /// The info hash, 40 lowercase hexadecimal characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub infohash: Option<String>,
    /// An http(s) link of the .torrent file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub torrent: Option<String>,
}

/// Parses a size such as `1.4 GiB`, `700 MB`, `1,234 KB` or `123456` into bytes.
/// KB, MB, GB and TB are taken as binary units, as torrent sites mean them.
pub fn parse_size(text: &str) -> Option<u64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '\u{a0}')
        .collect();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let number: f64 = t[..split].parse().ok()?;
    let unit = t[split..].trim().to_ascii_lowercase();
    let power = match unit.trim_end_matches("bytes").trim_end_matches('b') {
        "" => 0,
        "k" | "ki" => 1,
        "m" | "mi" => 2,
        "g" | "gi" => 3,
        "t" | "ti" => 4,
        "p" | "pi" => 5,
        _ => return None,
    };
    let bytes = number * 1024f64.powi(power);
    (bytes.is_finite() && bytes < 1e19).then_some(bytes.round() as u64)
}

/// Parses a count such as `1,234`, `12` or `1.2k`.
fn parse_count(text: &str) -> Option<u64> {
    let t: String = text
        .trim()
        .chars()
        .filter(|c| !matches!(c, ',' | ' ' | '\u{a0}'))
        .collect();
    if let Ok(n) = t.parse::<u64>() {
        return Some(n);
    }
    let lower = t.to_ascii_lowercase();
    let (num, mul) = match lower.strip_suffix('k') {
        Some(n) => (n, 1e3),
        None => (lower.strip_suffix('m')?, 1e6),
    };
    let v = num.parse::<f64>().ok()? * mul;
    (0.0..1e18).contains(&v).then_some(v.round() as u64)
}

/// Decodes RFC 4648 base32 (as in old magnet links).
fn base32(s: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut n = 0;
    let mut out = Vec::new();
    for c in s.bytes() {
        let v = match c.to_ascii_uppercase() {
            c @ b'A'..=b'Z' => c - b'A',
            c @ b'2'..=b'7' => c - b'2' + 26,
            _ => return None,
        };
        bits = (bits << 5) | u64::from(v);
        n += 5;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    Some(out)
}

/// An info hash as 40 lowercase hex characters, from hex or base32.
pub(crate) fn normalize_infohash(text: &str) -> Option<String> {
    let t = text.trim();
    if t.len() == 40 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Some(t.to_ascii_lowercase());
    }
    if t.len() == 32 {
        let bytes = base32(t)?;
        return Some(bytes.iter().map(|b| format!("{b:02x}")).collect());
    }
    None
}

/// The info hash of a magnet link's `xt=urn:btih:` parameter.
pub(crate) fn magnet_infohash(magnet: &str) -> Option<String> {
    let url = Url::parse(magnet).ok()?;
    url.query_pairs().find_map(|(k, v)| {
        (k == "xt")
            .then(|| v.strip_prefix("urn:btih:").and_then(normalize_infohash))
            .flatten()
    })
}

/// A magnet link for an info hash, with a name and trackers.
pub(crate) fn build_magnet(infohash: &str, name: Option<&str>, trackers: &[String]) -> String {
    let mut m = format!("magnet:?xt=urn:btih:{infohash}");
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    if let Some(n) = name.filter(|n| !n.is_empty()) {
        m.push_str("&dn=");
        m.push_str(&enc(n));
    }
    for t in trackers.iter().take(20) {
        m.push_str("&tr=");
        m.push_str(&enc(t));
    }
    m
}

/// Trackers from a comma- or space-separated text; only http(s), udp and wss ones.
pub(crate) fn trackers(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|t| {
            ["http://", "https://", "udp://", "wss://"]
                .iter()
                .any(|p| t.to_ascii_lowercase().starts_with(p))
        })
        .map(str::to_owned)
        .collect()
}

/// An absolute http(s) link from a possibly relative one.
pub(crate) fn absolute(base: &Url, link: &str) -> Option<String> {
    let u = base.join(link.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

fn is_magnet(s: &str) -> bool {
    s.trim()
        .get(..7)
        .is_some_and(|p| p.eq_ignore_ascii_case("magnet:"))
}

/// Magnet, info hash and torrent link from a row's fields.
pub(crate) fn links(row: &BTreeMap<String, String>, page: &Url) -> ItemLinks {
    let name = row.get("name").map(|n| clean(n));
    let mut magnet = row
        .get("magnet")
        .filter(|m| is_magnet(m))
        .map(|m| m.trim().to_owned());
    let mut torrent = None;
    if let Some(t) = row.get("torrent") {
        if is_magnet(t) {
            magnet = magnet.or_else(|| Some(t.trim().to_owned()));
        } else {
            torrent = absolute(page, t);
        }
    }
    let infohash = row
        .get("infohash")
        .and_then(|h| normalize_infohash(h))
        .or_else(|| magnet.as_deref().and_then(magnet_infohash));
    if magnet.is_none()
        && let Some(h) = &infohash
    {
        let tr = row.get("tracker").or(row.get("trackers"));
        magnet = Some(build_magnet(
            h,
            name.as_deref(),
            &trackers(tr.map_or("", |t| t)),
        ));
    }
    ItemLinks {
        magnet,
        infohash,
        torrent,
    }
}

/// Collapses runs of whitespace.
pub(crate) fn clean(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Turns a scraped row into a result. `item` is given when the provider has a second phase.
pub(crate) fn from_row(
    provider: &str,
    row: &BTreeMap<String, String>,
    page: &Url,
    has_item_phase: bool,
) -> SearchResult {
    let links = links(row, page);
    let url = row.get("url").and_then(|u| absolute(page, u));
    let size_text = row.get("size").map(|s| clean(s));
    let count = |a: &str, b: &str| row.get(a).or(row.get(b)).and_then(|v| parse_count(v));
    let item = if has_item_phase && links.magnet.is_none() && links.torrent.is_none() {
        item_of(row, page)
    } else {
        None
    };
    let name = row
        .get("name")
        .map(|n| clean(n))
        .filter(|n| !n.is_empty())
        .or_else(|| links.infohash.clone())
        .unwrap_or_else(|| "(no name)".into());
    SearchResult {
        name,
        provider: provider.to_owned(),
        size: size_text.as_deref().and_then(parse_size),
        size_text,
        seeders: count("seeds", "seeders"),
        leechers: count("peers", "leechers"),
        magnet: links.magnet,
        infohash: links.infohash,
        torrent: links.torrent,
        url,
        item,
    }
}

/// The item key: the `path` field, else the `url` field when it is on the provider's site.
fn item_of(row: &BTreeMap<String, String>, page: &Url) -> Option<String> {
    if let Some(p) = row.get("path").map(|p| p.trim()).filter(|p| !p.is_empty()) {
        return Some(p.to_owned());
    }
    let u = row.get("url")?.trim();
    if u.starts_with('/') && !u.starts_with("//") {
        return Some(u.to_owned());
    }
    let abs = page.join(u).ok()?;
    if abs.origin() != page.origin() {
        return None;
    }
    let mut item = abs.path().to_owned();
    if let Some(q) = abs.query() {
        item.push('?');
        item.push_str(q);
    }
    Some(item)
}

/// Folds results with the same info hash (keeping the most seeders and every
/// link any of them had) and sorts by seeders, most first.
pub(crate) fn merge(results: Vec<SearchResult>) -> Vec<SearchResult> {
    let mut out: Vec<SearchResult> = Vec::with_capacity(results.len());
    let mut by_hash: HashMap<String, usize> = HashMap::new();
    for r in results {
        let Some(h) = r.infohash.clone() else {
            out.push(r);
            continue;
        };
        match by_hash.get(&h) {
            None => {
                by_hash.insert(h, out.len());
                out.push(r);
            }
            Some(&i) => {
                let kept = &mut out[i];
                if r.seeders > kept.seeders {
                    let old = std::mem::replace(kept, r);
                    fill(kept, old);
                } else {
                    fill(kept, r);
                }
            }
        }
    }
    out.sort_by_key(|r| std::cmp::Reverse(r.seeders));
    out
}

fn fill(kept: &mut SearchResult, other: SearchResult) {
    kept.size = kept.size.or(other.size);
    kept.size_text = kept.size_text.take().or(other.size_text);
    kept.leechers = kept.leechers.or(other.leechers);
    kept.magnet = kept.magnet.take().or(other.magnet);
    kept.torrent = kept.torrent.take().or(other.torrent);
    kept.url = kept.url.take().or(other.url);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_as_sites_write_them() {
        assert_eq!(parse_size("1.5 GiB"), Some(1_610_612_736));
        assert_eq!(parse_size("700 MB"), Some(734_003_200));
        assert_eq!(parse_size("1,234 KB"), Some(1_263_616));
        assert_eq!(parse_size("123456"), Some(123_456));
        assert_eq!(parse_size("12 bytes"), Some(12));
        assert_eq!(parse_size("3.2\u{a0}TB"), Some(3_518_437_208_883));
        assert_eq!(parse_size("N/A"), None);
        assert_eq!(parse_size("1e308 GB"), None);
        assert_eq!(parse_size("9 parsecs"), None);
    }

    #[test]
    fn counts_and_hashes() {
        assert_eq!(parse_count(" 1,234 "), Some(1234));
        assert_eq!(parse_count("1.2k"), Some(1200));
        assert_eq!(parse_count("-"), None);
        let hex = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
        assert_eq!(
            normalize_infohash(&hex.to_uppercase()).as_deref(),
            Some(hex)
        );
        assert_eq!(
            normalize_infohash("YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK").as_deref(),
            Some(hex)
        );
        assert_eq!(
            magnet_infohash(&format!("magnet:?dn=x&xt=urn:btih:{hex}")).as_deref(),
            Some(hex)
        );
        assert_eq!(normalize_infohash("xyz"), None);
    }

    #[test]
    fn infohash_rows_get_a_magnet_with_their_trackers() {
        let page = Url::parse("https://s.example/search?q=x").unwrap();
        let row: BTreeMap<String, String> = [
            ("name", "A  B"),
            ("infohash", "C12FE1C06BBA254A9DC9F519B335AA7C1367A88A"),
            ("tracker", "udp://t.example:80/announce, javascript:x"),
            ("url", "/t/1"),
            ("size", "2 KiB"),
            ("seeds", "7"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let r = from_row("p", &row, &page, true);
        assert_eq!(r.name, "A B");
        assert_eq!(
            r.magnet.as_deref(),
            Some(
                "magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=A+B&tr=udp%3A%2F%2Ft.example%3A80%2Fannounce"
            )
        );
        assert_eq!(r.url.as_deref(), Some("https://s.example/t/1"));
        assert_eq!((r.size, r.seeders, r.item), (Some(2048), Some(7), None));
    }

    #[test]
    fn merging_folds_duplicates_and_sorts_by_seeders() {
        let r = |p: &str, h: Option<&str>, s: Option<u64>, url: Option<&str>| SearchResult {
            name: p.into(),
            provider: p.into(),
            infohash: h.map(Into::into),
            seeders: s,
            url: url.map(Into::into),
            ..Default::default()
        };
        let merged = merge(vec![
            r("a", Some("h1"), Some(3), Some("https://a/1")),
            r("b", None, None, None),
            r("c", Some("h1"), Some(9), None),
            r("d", Some("h2"), Some(5), None),
        ]);
        let order: Vec<&str> = merged.iter().map(|m| m.provider.as_str()).collect();
        assert_eq!(order, ["c", "d", "b"]);
        assert_eq!(merged[0].url.as_deref(), Some("https://a/1"));
    }
}
