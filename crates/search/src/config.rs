//! The providers file: a JSON object of provider id → entry, read in file order.
//!
//! Scraper entries use Cloud Torrent's `scraper-config.json` format unchanged
//! (`name`, `url`, `list`, `result`, `method`, `body`, `headers`); we add
//! `timeout` (seconds, default 10) and `enabled` (default true). Torznab entries
//! are `{"type": "torznab", "name", "url", "apikey", "categories"}`. Unknown keys
//! are ignored with a warning, so files written for Cloud Torrent's forks load.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use cloud_torrent_outbound::AllowedOrigins;
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::Deserialize;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::Value;
use url::Url;

use crate::extract::{Extractor, parse_chain};
use crate::template::Template;

/// Default time a provider has to answer.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
const MAX_PROVIDERS: usize = 200;
const MAX_FIELDS: usize = 50;
const MAX_EXTRACTORS: usize = 20;
/// Largest providers file.
const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// A scraper request and how to read its answer.
#[derive(Debug)]
pub(crate) struct Endpoint {
    pub url: Template,
    pub method: Method,
    pub body: Option<Template>,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// The `list` selector or JSON path, if any.
    pub list: Option<Extractor>,
    /// Field name → extractors.
    pub fields: Vec<(String, Vec<Extractor>)>,
}

/// A Torznab indexer.
#[derive(Debug)]
pub(crate) struct Torznab {
    /// The `.../api` URL.
    pub api: Url,
    pub apikey: String,
    pub categories: Vec<u32>,
}

/// What a provider is.
#[derive(Debug)]
pub(crate) enum Kind {
    Scraper {
        list: Endpoint,
        /// The `<id>/item` entry, if any.
        item: Option<Box<Endpoint>>,
    },
    Torznab(Torznab),
}

/// One enabled provider.
#[derive(Debug)]
pub(crate) struct Provider {
    pub id: String,
    pub name: String,
    pub timeout: Duration,
    pub kind: Kind,
    /// The origins (scheme, host and port) of this provider's own requests: the
    /// only ones its requests may reach on private addresses.
    pub origins: AllowedOrigins,
}

/// The enabled providers of a file, in file order.
#[derive(Debug, Default)]
pub(crate) struct ProviderSet {
    pub providers: Vec<Arc<Provider>>,
}

impl ProviderSet {
    pub(crate) fn get(&self, id: &str) -> Option<&Arc<Provider>> {
        self.providers.iter().find(|p| p.id == id)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Categories {
    List(Vec<u32>),
    Text(String),
}

#[derive(Deserialize)]
struct RawEntry {
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
    url: Option<String>,
    method: Option<String>,
    body: Option<String>,
    headers: Option<BTreeMap<String, String>>,
    list: Option<String>,
    result: Option<BTreeMap<String, OneOrMany>>,
    apikey: Option<String>,
    categories: Option<Categories>,
    timeout: Option<f64>,
    enabled: Option<bool>,
    #[serde(flatten)]
    other: BTreeMap<String, Value>,
}

/// The top-level object, keeping the file's order.
struct Entries(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of provider id to provider")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    if out.len() >= MAX_PROVIDERS {
                        return Err(serde::de::Error::custom("more than 200 providers"));
                    }
                    out.push(entry);
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// Reads and checks a providers file; returns how many providers it enables.
/// Used at start-up so that a bad file stops the server with a clear message.
pub fn check_file(path: &Path) -> Result<usize, String> {
    load(path).map(|set| set.providers.len())
}

/// Reads a providers file.
pub(crate) fn load(path: &Path) -> Result<ProviderSet, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("cannot read it: {e}"))?;
    if meta.len() > MAX_FILE_BYTES {
        return Err("it is larger than 4 MiB".into());
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read it: {e}"))?;
    parse(&text)
}

/// Parses the text of a providers file.
pub(crate) fn parse(text: &str) -> Result<ProviderSet, String> {
    let entries: Entries = serde_json::from_str(text).map_err(|e| format!("not valid: {e}"))?;
    let mut ids = HashSet::new();
    let mut raws = Vec::new();
    for (id, value) in entries.0 {
        if id.trim().is_empty() || id.len() > 100 || id.chars().any(char::is_control) {
            return Err(format!(
                "provider id {id:?} must be 1 to 100 printable characters"
            ));
        }
        if !ids.insert(id.clone()) {
            return Err(format!("provider {id:?} appears twice"));
        }
        let raw: RawEntry =
            serde_json::from_value(value).map_err(|e| format!("provider {id:?}: {e}"))?;
        if !raw.other.is_empty() {
            let keys: Vec<&str> = raw.other.keys().map(String::as_str).collect();
            tracing::warn!(
                "search providers file: provider {id:?}: ignoring unknown key(s) {}",
                keys.join(", ")
            );
        }
        raws.push((id, raw));
    }
    let mut items: BTreeMap<String, RawEntry> = BTreeMap::new();
    let mut bases = Vec::new();
    for (id, raw) in raws {
        match id.strip_suffix("/item") {
            Some(base) => {
                items.insert(base.to_owned(), raw);
            }
            None => bases.push((id, raw)),
        }
    }
    let mut set = ProviderSet::default();
    for (id, raw) in bases {
        let item = items.remove(&id);
        if !raw.enabled.unwrap_or(true) {
            continue;
        }
        let mut provider = build(&id, raw, item).map_err(|e| format!("provider {id:?}: {e}"))?;
        let mut urls = Vec::new();
        request_urls(&provider, &mut urls);
        provider.origins = AllowedOrigins::new(urls);
        set.providers.push(Arc::new(provider));
    }
    if let Some(orphan) = items.keys().next() {
        return Err(format!(
            "provider \"{orphan}/item\" is the second phase of {orphan:?}, which is not in the file"
        ));
    }
    Ok(set)
}

fn build(id: &str, raw: RawEntry, item: Option<RawEntry>) -> Result<Provider, String> {
    let timeout = timeout(raw.timeout)?;
    let name = raw
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| id.to_owned());
    let kind = match raw.kind.as_deref().unwrap_or("scraper") {
        "scraper" => {
            let list = endpoint(raw, false)?;
            let item = item
                .map(|i| {
                    endpoint(i, true)
                        .map(Box::new)
                        .map_err(|e| format!("its /item entry: {e}"))
                })
                .transpose()?;
            Kind::Scraper { list, item }
        }
        "torznab" => {
            if item.is_some() {
                return Err("a Torznab indexer has no /item entry".into());
            }
            Kind::Torznab(torznab(raw)?)
        }
        other => {
            return Err(format!(
                "type {other:?} is not known; use \"scraper\" (the default) or \"torznab\""
            ));
        }
    };
    Ok(Provider {
        id: id.to_owned(),
        name,
        timeout,
        kind,
        origins: AllowedOrigins::none(),
    })
}

fn timeout(seconds: Option<f64>) -> Result<Duration, String> {
    match seconds {
        None => Ok(DEFAULT_TIMEOUT),
        Some(s) if (0.1..=300.0).contains(&s) => Ok(Duration::from_secs_f64(s)),
        Some(s) => Err(format!("timeout {s} must be from 0.1 to 300 seconds")),
    }
}

/// Renders a URL template with sample values, to check it and learn its host.
pub(crate) fn sample_url(t: &Template) -> Result<Url, String> {
    let rendered = t.render_url(&|name| match name {
        "query" => Some("test".into()),
        "page" => Some("1".into()),
        "item" => Some("/item".into()),
        _ => None,
    })?;
    let url = Url::parse(&rendered).map_err(|e| format!("{rendered:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("{rendered:?} must be an http or https URL"));
    }
    Ok(url)
}

fn endpoint(raw: RawEntry, is_item: bool) -> Result<Endpoint, String> {
    let url_text = raw.url.ok_or("\"url\" is missing")?;
    let url = Template::parse(&url_text);
    sample_url(&url).map_err(|e| format!("url: {e}"))?;
    if is_item && !url.uses("item") {
        return Err("url must contain {{item}}".into());
    }
    let method = match raw
        .method
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        None | Some("GET") => Method::GET,
        Some("POST") => Method::POST,
        Some("PUT") => Method::PUT,
        Some("DELETE") => Method::DELETE,
        Some(other) => return Err(format!("method {other:?}: use GET, POST, PUT or DELETE")),
    };
    let mut headers = Vec::new();
    for (k, v) in raw.headers.unwrap_or_default() {
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("header name {k:?} is not valid"))?;
        let value =
            HeaderValue::from_str(&v).map_err(|_| format!("header {k:?}: value is not valid"))?;
        headers.push((name, value));
    }
    let list = match raw.list.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(l) => match Extractor::parse(l).map_err(|e| format!("list: {e}"))? {
            e @ Extractor::Select { .. } => Some(e),
            _ => return Err("list must be a CSS selector (or, for JSON, a path)".into()),
        },
    };
    let result = raw.result.ok_or("\"result\" is missing")?;
    if result.is_empty() || result.len() > MAX_FIELDS {
        return Err("\"result\" must have from 1 to 50 fields".into());
    }
    let mut fields = Vec::new();
    for (field, chain) in result {
        let chain = match chain {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        };
        if chain.len() > MAX_EXTRACTORS {
            return Err(format!("result.{field}: more than 20 extractors"));
        }
        fields.push((
            field.clone(),
            parse_chain(&chain).map_err(|e| format!("result.{field}: {e}"))?,
        ));
    }
    Ok(Endpoint {
        url,
        method,
        body: raw.body.as_deref().map(Template::parse),
        headers,
        list,
        fields,
    })
}

fn torznab(raw: RawEntry) -> Result<Torznab, String> {
    let text = raw.url.ok_or("\"url\" is missing")?;
    let mut api = Url::parse(text.trim()).map_err(|e| format!("url {text:?}: {e}"))?;
    if !matches!(api.scheme(), "http" | "https") || api.host_str().is_none() {
        return Err(format!("url {text:?} must be an http or https URL"));
    }
    api.set_query(None);
    api.set_fragment(None);
    if !api.path().trim_end_matches('/').ends_with("/api") {
        let path = format!("{}/api", api.path().trim_end_matches('/'));
        api.set_path(&path);
    }
    let categories = match raw.categories {
        None => Vec::new(),
        Some(Categories::List(v)) => v,
        Some(Categories::Text(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(|c| {
                c.parse()
                    .map_err(|_| format!("category {c:?} is not a number"))
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Torznab {
        api,
        apikey: raw.apikey.unwrap_or_default(),
        categories,
    })
}

/// A sample of each URL a provider's requests go to (their origins matter).
fn request_urls(p: &Provider, urls: &mut Vec<Url>) {
    match &p.kind {
        Kind::Scraper { list, item } => {
            for e in std::iter::once(list).chain(item.as_deref()) {
                urls.extend(sample_url(&e.url));
            }
        }
        Kind::Torznab(t) => urls.push(t.api.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cloud_torrent_entries_load_in_file_order() {
        let set = parse(
            r#"{
              "zz": {"name": "Z", "url": "https://z.example/s/{{query}}/{{page:1}}", "list": "tr",
                     "result": {"name": "td a", "magnet": ["a[href^='magnet:']", "@href"]}},
              "aa": {"name": "A", "url": "https://a.example/?q={{query}}", "list": "div.row",
                     "result": {"name": "a", "url": ["a", "@href"]}, "mode": "html"},
              "aa/item": {"url": "https://a.example{{item}}", "result": {"magnet": ["a", "@href"]}},
              "idx": {"type": "torznab", "url": "http://127.0.0.1:9117/api/v2.0/indexers/all/results/torznab/",
                      "apikey": "k", "categories": "2000, 5000"},
              "off": {"url": "https://off.example/{{query}}", "result": {"name": "a"}, "enabled": false}
            }"#,
        )
        .unwrap();
        let ids: Vec<&str> = set.providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids, ["zz", "aa", "idx"]);
        assert!(matches!(
            &set.get("aa").unwrap().kind,
            Kind::Scraper { item: Some(_), .. }
        ));
        let Kind::Torznab(t) = &set.get("idx").unwrap().kind else {
            panic!("not torznab")
        };
        assert_eq!(
            t.api.as_str(),
            "http://127.0.0.1:9117/api/v2.0/indexers/all/results/torznab/api"
        );
        assert_eq!(t.categories, [2000, 5000]);
        // Each provider's own exact origin is allowed, not its host on another port or
        // scheme, nor another provider's origin.
        let allowed = |id: &str, u: &str| {
            set.get(id)
                .unwrap()
                .origins
                .contains(&Url::parse(u).unwrap())
        };
        assert!(allowed("idx", "http://127.0.0.1:9117/dl/x.torrent"));
        assert!(allowed("aa", "https://a.example/x"));
        assert!(!allowed("aa", "http://127.0.0.1:9117/dl/x.torrent"));
        assert!(!allowed("idx", "https://a.example/x"));
        assert!(!allowed("idx", "http://127.0.0.1/dl/x.torrent"));
        assert!(!allowed("idx", "http://127.0.0.1:9118/"));
        assert!(!allowed("aa", "http://a.example/x") && !allowed("aa", "https://a.example:8443/x"));
        assert!(!allowed("aa", "https://off.example/x"));
    }

    #[test]
    fn the_example_file_enables_nothing_and_every_entry_is_valid() {
        let text = include_str!("../../../search-providers.example.json");
        assert!(parse(text).unwrap().providers.is_empty());
        let set = parse(&text.replace("\"enabled\": false", "\"enabled\": true")).unwrap();
        let ids: Vec<&str> = set.providers.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "jackett",
                "prowlarr",
                "example-site",
                "example-form",
                "example-api"
            ]
        );
        assert!(matches!(
            &set.get("example-site").unwrap().kind,
            Kind::Scraper { item: Some(_), .. }
        ));
    }

    #[test]
    fn mistakes_are_named() {
        let err = |text: &str| parse(text).unwrap_err();
        assert!(err("[]").contains("not valid"));
        assert!(
            err(r#"{"x": {"url": "ftp://x.example/{{query}}", "result": {"name": "a"}}}"#)
                .contains("provider \"x\": url")
        );
        assert!(err(r#"{"x": {"url": "https://x.example/{{query}}"}}"#).contains("result"));
        assert!(
            err(r#"{"x": {"url": "https://x.example/{{query}}", "result": {"n": "/(/"}}}"#)
                .contains("result.n: invalid regex")
        );
        assert!(
            err(r#"{"x/item": {"url": "https://x.example{{item}}", "result": {"magnet": "a"}}}"#)
                .contains("not in the file")
        );
        assert!(
            err(r#"{"x": {"url": "https://x.example/{{cat}}", "result": {"name": "a"}}}"#)
                .contains("{{cat}} has no value")
        );
        assert!(
            err(r#"{"x": {"type": "rss", "url": "https://x.example/"}}"#)
                .contains("\"rss\" is not known")
        );
    }
}
