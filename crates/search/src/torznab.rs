//! Torznab indexers (Jackett, Prowlarr): `t=search` queries, answers read with
//! quick-xml, and download links that never show the apikey to the browser.
//!
//! A result's download link becomes its opaque `item`, with the apikey replaced
//! by `{apikey}`; the server puts it back only for links to the indexer's own
//! address when it fetches the .torrent.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use cloud_torrent_outbound::Request;
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};
use url::Url;

use crate::config::{Provider, Torznab};
use crate::http::Http;
use crate::result::{SearchResult, clean, magnet_infohash, normalize_infohash, parse_size};

/// Results asked for per page.
const PAGE_SIZE: u32 = 100;
const MAX_ITEMS: usize = 1000;
const MAX_ANSWER_BYTES: usize = 8 * 1024 * 1024;
/// What stands for the apikey in an item.
const KEY_MARK: &str = "{apikey}";

/// One `<item>` of a feed.
#[derive(Debug, Default)]
pub(crate) struct Item {
    title: String,
    guid: String,
    link: String,
    comments: String,
    size: String,
    enclosure_url: String,
    enclosure_length: String,
    attrs: HashMap<String, String>,
}

/// Searches an indexer.
pub(crate) async fn search(
    http: &Http,
    p: &Arc<Provider>,
    t: &Torznab,
    query: &str,
    page: u32,
) -> Result<Vec<SearchResult>, String> {
    let mut url = t.api.clone();
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("t", "search").append_pair("q", query);
        if !t.apikey.is_empty() {
            q.append_pair("apikey", &t.apikey);
        }
        if !t.categories.is_empty() {
            let cats: Vec<String> = t.categories.iter().map(u32::to_string).collect();
            q.append_pair("cat", &cats.join(","));
        }
        let offset = page.saturating_sub(1).saturating_mul(PAGE_SIZE);
        q.append_pair("extended", "1")
            .append_pair("offset", &offset.to_string())
            .append_pair("limit", &PAGE_SIZE.to_string());
    }
    let hide = |msg: String| hide_key(&msg, &t.apikey);
    let request = Request::get(url)
        .timeout(p.timeout + Duration::from_millis(500))
        .max_bytes(MAX_ANSWER_BYTES);
    let answer = http.send(request).await.map_err(hide)?;
    let text = String::from_utf8_lossy(&answer.body);
    let parsed = parse(&text);
    if !answer.status.is_success() {
        return Err(hide(match parsed {
            Err(e) if e.starts_with("the indexer answered error") => e,
            _ => format!("the indexer answered {}", answer.status),
        }));
    }
    let items = parsed.map_err(hide)?;
    Ok(items
        .into_iter()
        .filter_map(|it| to_result(&p.id, it, &t.apikey))
        .collect())
}

fn hide_key(msg: &str, key: &str) -> String {
    if key.is_empty() {
        msg.to_owned()
    } else {
        msg.replace(key, "<apikey>")
    }
}

fn local(e: &BytesStart) -> String {
    String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase()
}

fn attrs(e: &BytesStart) -> HashMap<String, String> {
    e.attributes()
        .flatten()
        .filter_map(|a| {
            let key = String::from_utf8_lossy(a.key.local_name().as_ref()).to_ascii_lowercase();
            a.normalized_value(XmlVersion::Explicit1_0)
                .ok()
                .map(|v| (key, v.into_owned()))
        })
        .collect()
}

/// An element with attributes: an error, an enclosure or a `torznab:attr`.
fn element(name: &str, e: &BytesStart, item: Option<&mut Item>) -> Result<(), String> {
    match (name, item) {
        ("error", _) => {
            let a = attrs(e);
            Err(format!(
                "the indexer answered error {}: {}",
                a.get("code").map_or("?", String::as_str),
                a.get("description")
                    .map_or("(no description)", String::as_str)
            ))
        }
        ("enclosure", Some(item)) => {
            let mut a = attrs(e);
            item.enclosure_url = a.remove("url").unwrap_or_default();
            item.enclosure_length = a.remove("length").unwrap_or_default();
            Ok(())
        }
        ("attr", Some(item)) => {
            let mut a = attrs(e);
            if let (Some(n), Some(v)) = (a.remove("name"), a.remove("value")) {
                item.attrs.insert(n.to_ascii_lowercase(), v);
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn store(item: &mut Item, field: &str, text: String) {
    let slot = match field {
        "title" => &mut item.title,
        "guid" => &mut item.guid,
        "link" => &mut item.link,
        "comments" => &mut item.comments,
        "size" => &mut item.size,
        _ => return,
    };
    *slot = text.trim().to_owned();
}

/// Reads a Torznab answer: the items of an RSS feed, or the indexer's `<error>`.
pub(crate) fn parse(xml: &str) -> Result<Vec<Item>, String> {
    let bad = |e: quick_xml::Error| format!("the indexer's answer is not valid XML: {e}");
    let mut reader = Reader::from_str(xml);
    let mut items = Vec::new();
    let mut cur: Option<Item> = None;
    let mut field: Option<String> = None;
    let mut text = String::new();
    let mut is_feed = false;
    loop {
        match reader.read_event().map_err(bad)? {
            Event::Start(e) => {
                let name = local(&e);
                match name.as_str() {
                    "rss" | "channel" => is_feed = true,
                    "item" => cur = Some(Item::default()),
                    _ => {
                        element(&name, &e, cur.as_mut())?;
                        text.clear();
                        field = cur.is_some().then_some(name);
                    }
                }
            }
            Event::Empty(e) => element(&local(&e), &e, cur.as_mut())?,
            Event::Text(t) if field.is_some() => {
                text.push_str(&t.xml10_content().map_err(|e| bad(e.into()))?)
            }
            Event::CData(t) if field.is_some() => {
                text.push_str(&t.decode().map_err(|e| bad(e.into()))?)
            }
            Event::GeneralRef(r) if field.is_some() => {
                let name = r.decode().map_err(|e| bad(e.into()))?;
                match r.resolve_char_ref().map_err(bad)? {
                    Some(c) => text.push(c),
                    None => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => text.push_str(s),
                        None => text.push_str(&format!("&{name};")),
                    },
                }
            }
            Event::End(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
                if name == "item" {
                    items.extend(cur.take());
                    if items.len() >= MAX_ITEMS {
                        break;
                    }
                } else if field.as_deref() == Some(name.as_str()) {
                    if let Some(item) = cur.as_mut() {
                        store(item, &name, std::mem::take(&mut text));
                    }
                    field = None;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !is_feed {
        return Err("the indexer's answer is not a Torznab feed (no <rss> element)".into());
    }
    Ok(items)
}

fn http_link(s: &str) -> Option<String> {
    let u = Url::parse(s.trim()).ok()?;
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

fn to_result(provider: &str, it: Item, apikey: &str) -> Option<SearchResult> {
    let name = clean(&it.title);
    if name.is_empty() {
        return None;
    }
    let attr = |k: &str| it.attrs.get(k).map(String::as_str);
    let count = |k: &str| attr(k).and_then(|v| v.trim().parse::<u64>().ok());
    let size_text = [
        it.size.as_str(),
        attr("size").unwrap_or(""),
        &it.enclosure_length,
    ]
    .into_iter()
    .find(|s| !s.trim().is_empty())
    .map(str::to_owned);
    let seeders = count("seeders");
    let leechers = count("leechers")
        .or_else(|| count("peers").map(|peers| peers.saturating_sub(seeders.unwrap_or(0))));
    let download = [it.enclosure_url.as_str(), it.link.as_str()]
        .into_iter()
        .find(|s| !s.trim().is_empty())
        .map(|s| s.trim().to_owned());
    let mut magnet = attr("magneturl")
        .filter(|m| m.starts_with("magnet:"))
        .map(str::to_owned);
    let mut item = None;
    match download {
        Some(d) if d.starts_with("magnet:") => magnet = magnet.or(Some(d)),
        Some(d) if magnet.is_none() && http_link(&d).is_some() => {
            item = Some(if apikey.is_empty() {
                d
            } else {
                d.replace(apikey, KEY_MARK)
            })
        }
        _ => {}
    }
    let infohash = attr("infohash")
        .and_then(normalize_infohash)
        .or_else(|| magnet.as_deref().and_then(magnet_infohash));
    let secret = |s: &String| !apikey.is_empty() && s.contains(apikey);
    let url = [it.comments.as_str(), it.guid.as_str()]
        .into_iter()
        .filter_map(http_link)
        .find(|u| !secret(u));
    Some(SearchResult {
        name,
        provider: provider.to_owned(),
        size: size_text.as_deref().and_then(parse_size),
        size_text,
        seeders,
        leechers,
        magnet: magnet.filter(|m| !secret(m)),
        infohash,
        torrent: None,
        url,
        item,
    })
}

/// The real download URL of an item: the apikey is put back only for links to
/// the indexer's own address.
pub(crate) fn item_url(t: &Torznab, item: &str) -> Result<Url, String> {
    let not_ours = || "the item is not a download link of this indexer".to_owned();
    let url = Url::parse(item.trim()).map_err(|_| not_ours())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(not_ours());
    }
    if !item.contains(KEY_MARK) {
        return Ok(url);
    }
    if url.origin() != t.api.origin() {
        return Err(not_ours());
    }
    Url::parse(&item.trim().replace(KEY_MARK, &t.apikey)).map_err(|_| not_ours())
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:torznab="http://torznab.com/schemas/2015/feed">
  <channel><title>Jackett</title>
    <item>
      <title>Big &amp; Buck Bunny &#x2013; 1080p</title>
      <guid>https://tracker.example/details/1</guid>
      <link>http://127.0.0.1:9117/dl/t/?jackett_apikey=SECRET&amp;path=abc&amp;file=Big</link>
      <comments>https://tracker.example/details/1</comments>
      <size>1073741824</size>
      <enclosure url="http://127.0.0.1:9117/dl/t/?jackett_apikey=SECRET&amp;path=abc&amp;file=Big" length="1073741824" type="application/x-bittorrent" />
      <torznab:attr name="seeders" value="40" />
      <torznab:attr name="peers" value="45" />
      <torznab:attr name="infohash" value="C12FE1C06BBA254A9DC9F519B335AA7C1367A88A" />
    </item>
    <item>
      <title><![CDATA[Sintel <4K>]]></title>
      <guid>http://127.0.0.1:9117/dl/t/?jackett_apikey=SECRET&amp;path=def</guid>
      <link>magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&amp;dn=Sintel</link>
      <torznab:attr name="seeders" value="2"/><torznab:attr name="leechers" value="1"/>
    </item>
  </channel>
</rss>"#;

    #[test]
    fn feeds_are_read_and_the_apikey_is_hidden() {
        let items = parse(FEED).unwrap();
        assert_eq!(items.len(), 2);
        let a = to_result("jk", parse(FEED).unwrap().remove(0), "SECRET").unwrap();
        assert_eq!(a.name, "Big & Buck Bunny \u{2013} 1080p");
        assert_eq!(
            (a.size, a.seeders, a.leechers),
            (Some(1 << 30), Some(40), Some(5))
        );
        assert_eq!(a.url.as_deref(), Some("https://tracker.example/details/1"));
        assert_eq!(
            a.item.as_deref(),
            Some("http://127.0.0.1:9117/dl/t/?jackett_apikey={apikey}&path=abc&file=Big")
        );
        assert_eq!(a.magnet, None);
        assert_eq!(
            a.infohash.as_deref(),
            Some("c12fe1c06bba254a9dc9f519b335aa7c1367a88a")
        );
        let b = to_result("jk", parse(FEED).unwrap().remove(1), "SECRET").unwrap();
        assert_eq!(b.name, "Sintel <4K>");
        assert!(b.magnet.unwrap().starts_with("magnet:?xt=urn:btih:0123"));
        assert_eq!((b.url, b.item, b.leechers), (None, None, Some(1)));
    }

    #[test]
    fn errors_and_non_feeds_are_explained() {
        let e = parse(r#"<?xml version="1.0"?><error code="100" description="Invalid API Key"/>"#)
            .unwrap_err();
        assert_eq!(e, "the indexer answered error 100: Invalid API Key");
        assert!(
            parse("<html><body>login</body></html>")
                .unwrap_err()
                .contains("not a Torznab feed")
        );
        assert!(parse("<rss><channel><item><title>x</title></chanel>").is_err());
    }

    #[test]
    fn the_apikey_goes_back_only_to_the_indexer() {
        let t = Torznab {
            api: Url::parse("http://127.0.0.1:9117/api/v2.0/indexers/all/results/torznab/api")
                .unwrap(),
            apikey: "SECRET".into(),
            categories: vec![],
        };
        assert_eq!(
            item_url(
                &t,
                "http://127.0.0.1:9117/dl/t/?jackett_apikey={apikey}&path=abc"
            )
            .unwrap()
            .as_str(),
            "http://127.0.0.1:9117/dl/t/?jackett_apikey=SECRET&path=abc"
        );
        assert!(item_url(&t, "http://evil.example/?k={apikey}").is_err());
        assert!(item_url(&t, "http://127.0.0.1:9118/?k={apikey}").is_err());
        assert!(item_url(&t, "file:///etc/passwd").is_err());
        assert!(item_url(&t, "https://cdn.example/x.torrent").is_ok());
    }
}
