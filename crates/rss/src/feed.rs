//! Feed parsing: the bytes of an RSS 2.0 (or 1.0), Atom or Torznab/Newznab feed read into a
//! [`Feed`] of [`Article`]s, each with what a download needs (a `.torrent` URL, a magnet, the info
//! hash) and what a list shows (size, seeders, peers, date).
//!
//! Extensions are recognised by their namespace URI whatever their prefix: the ezRSS `torrent:`
//! namespace, Torznab's and Newznab's `attr`, Nyaa's and Dublin Core's `date`; an undeclared prefix
//! falls back to its usual name (`torrent:`, `torznab:`…), as sloppy feeds use them without
//! `xmlns`. Malformed XML is a [`FeedError`] that names the line and column. The parser keeps no
//! recursion and collects only the text of the fields it reads, each capped, so deep nesting and
//! huge descriptions cost no more than reading past them; the size of the whole feed is capped by
//! whoever fetches it.

use std::collections::{HashMap, HashSet};

use quick_xml::XmlVersion;
use quick_xml::events::{BytesRef, BytesStart, Event};
use quick_xml::name::{Namespace, ResolveResult};
use quick_xml::reader::NsReader;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::date::parse_date;
use crate::links;

/// A parsed feed: its title and its articles in the feed's order, without duplicate guids.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Feed {
    /// The channel's (RSS) or feed's (Atom) title.
    pub title: Option<String>,
    /// The items (RSS) or entries (Atom).
    pub articles: Vec<Article>,
}

/// One item of a feed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Article {
    /// The article's identity inside its feed: the `<guid>` (RSS) or `<id>` (Atom), else the
    /// link, the torrent URL or the magnet, else `sha256:` and a digest of title and date.
    pub guid: String,
    /// The title, whitespace collapsed; empty when the feed gives none.
    pub title: String,
    /// The article's web page (http or https), when it has one.
    pub link: Option<String>,
    /// An http(s) URL of the `.torrent` to fetch.
    pub torrent_url: Option<String>,
    /// A `magnet:` URI; made from the info hash when the feed gives only that.
    pub magnet: Option<String>,
    /// The v1 info hash as 40 lowercase hex characters.
    pub info_hash: Option<String>,
    /// The size of the content in bytes.
    pub size: Option<u64>,
    /// Seeders, as the feed counts them.
    pub seeders: Option<u32>,
    /// Peers, as the feed counts them (Torznab: seeders and leechers together).
    pub peers: Option<u32>,
    /// When the article was published (or, in Atom without `<published>`, last updated).
    #[serde(default, with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub published: Option<OffsetDateTime>,
}

/// Why a feed could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// No element at all (an empty answer, whitespace, only a declaration).
    #[error("the feed is empty")]
    Empty,
    /// Text where the document should start (a plain-text or JSON error answer, say).
    #[error("the answer is not XML: it begins with {start:?}")]
    NotXml {
        /// Its first characters.
        start: String,
    },
    /// Well-formed so far, but not a feed (often an HTML page: a login or an error).
    #[error("the document is not an RSS or Atom feed: its root element is <{root}>")]
    NotAFeed {
        /// The root element's name.
        root: String,
    },
    /// Not well-formed XML.
    #[error("the feed is not valid XML at line {line}, column {column}: {message}")]
    Malformed {
        /// 1-based line of the fault.
        line: usize,
        /// 1-based column (in characters) of the fault.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// Elements nested deeper than any feed needs.
    #[error("the feed nests elements more than {limit} deep (line {line}, column {column})")]
    TooDeep {
        /// 1-based line of the element past the limit.
        line: usize,
        /// 1-based column of that element.
        column: usize,
        /// [`MAX_DEPTH`].
        limit: usize,
    },
    /// The document stops before its root element closes (a cut-off download).
    #[error("the feed ends at line {line}, column {column} before </{root}>")]
    Truncated {
        /// 1-based line of the end.
        line: usize,
        /// 1-based column of the end.
        column: usize,
        /// The root element's name.
        root: String,
    },
}

/// Reads a feed. Bytes that are not UTF-8 are read as Latin-1, the other encoding feeds use.
pub fn parse_feed(bytes: &[u8]) -> Result<Feed, FeedError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        Err(_) => std::borrow::Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect()),
    };
    FeedReader::default().read(&text)
}

/// The most text kept from one field; the rest is dropped (a title is cut, a URL refused).
const MAX_FIELD_BYTES: usize = 64 * 1024;

/// The deepest nesting read. Feeds need about ten levels and XHTML content a few dozen more; the
/// limit also keeps quick-xml's namespace scopes (counted in a `u16`) far from overflowing.
pub const MAX_DEPTH: usize = 512;

/// The vocabularies the parser understands; `Core` is RSS and Atom, unprefixed or `atom:`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Vocabulary {
    Core,
    Torrent,
    Torznab,
    Nyaa,
    DublinCore,
    Other,
}

impl Vocabulary {
    /// The vocabulary of a prefixed element: by its namespace URI, or by the prefix itself when
    /// the feed never declared it.
    fn of_prefixed(resolved: &ResolveResult, prefix: &[u8]) -> Self {
        match resolved {
            ResolveResult::Bound(Namespace(uri)) => Self::by_uri(&String::from_utf8_lossy(uri)),
            _ => match prefix.to_ascii_lowercase().as_slice() {
                b"atom" => Self::Core,
                b"torrent" => Self::Torrent,
                b"torznab" | b"newznab" => Self::Torznab,
                b"nyaa" => Self::Nyaa,
                b"dc" => Self::DublinCore,
                _ => Self::Other,
            },
        }
    }

    fn by_uri(uri: &str) -> Self {
        let uri = uri.trim().trim_end_matches('/').to_ascii_lowercase();
        let uri = uri
            .strip_prefix("http://")
            .or_else(|| uri.strip_prefix("https://"))
            .unwrap_or(&uri);
        match uri {
            "www.w3.org/2005/atom" => Self::Core,
            "xmlns.ezrss.it/0.1" => Self::Torrent,
            "torznab.com/schemas/2015/feed" | "www.newznab.com/dtd/2010/feeds/attributes" => {
                Self::Torznab
            }
            "nyaa.si/xmlns/nyaa" => Self::Nyaa,
            "purl.org/dc/elements/1.1" => Self::DublinCore,
            _ => Self::Other,
        }
    }
}

/// A field whose text the parser collects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum TextField {
    FeedTitle,
    Title,
    Link,
    Guid,
    PubDate,
    Published,
    Updated,
    DcDate,
    Size,
    Comments,
    TorrentMagnet,
    TorrentInfoHash,
    TorrentLength,
    TorrentSeeds,
    TorrentPeers,
    NyaaInfoHash,
    NyaaSeeders,
    NyaaLeechers,
    NyaaSize,
}

impl TextField {
    /// The field an item's child element holds, by vocabulary and lowercase local name.
    fn of_item_child(vocabulary: Vocabulary, name: &str) -> Option<Self> {
        Some(match (vocabulary, name) {
            (Vocabulary::Core, "title") => Self::Title,
            (Vocabulary::Core, "link") => Self::Link,
            (Vocabulary::Core, "guid" | "id") => Self::Guid,
            (Vocabulary::Core, "pubdate") => Self::PubDate,
            (Vocabulary::Core, "published") => Self::Published,
            (Vocabulary::Core, "updated") => Self::Updated,
            (Vocabulary::Core, "size") => Self::Size,
            (Vocabulary::Core, "comments") => Self::Comments,
            (Vocabulary::DublinCore, "date") => Self::DcDate,
            (Vocabulary::Torrent, "magneturi") => Self::TorrentMagnet,
            (Vocabulary::Torrent, "infohash") => Self::TorrentInfoHash,
            (Vocabulary::Torrent, "contentlength") => Self::TorrentLength,
            (Vocabulary::Torrent, "seeds") => Self::TorrentSeeds,
            (Vocabulary::Torrent, "peers") => Self::TorrentPeers,
            (Vocabulary::Nyaa, "infohash") => Self::NyaaInfoHash,
            (Vocabulary::Nyaa, "seeders") => Self::NyaaSeeders,
            (Vocabulary::Nyaa, "leechers") => Self::NyaaLeechers,
            (Vocabulary::Nyaa, "size") => Self::NyaaSize,
            _ => return None,
        })
    }
}

/// Text being collected for a field, at most [`MAX_FIELD_BYTES`].
#[derive(Debug)]
struct OpenField {
    field: TextField,
    depth: usize,
    text: String,
    cut: bool,
}

impl OpenField {
    fn push(&mut self, text: &str) {
        let room = MAX_FIELD_BYTES - self.text.len();
        if text.len() <= room {
            self.text.push_str(text);
        } else {
            let mut end = room;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(&text[..end]);
            self.cut = true;
        }
    }
}

/// An `<enclosure>` or an Atom `<link rel="enclosure">`.
#[derive(Debug)]
struct Enclosure {
    url: String,
    mime: Option<String>,
}

/// What the parser gathered from one item before it is judged.
#[derive(Debug, Default)]
struct RawItem {
    /// The first text of each field (a field given twice keeps its first value).
    texts: HashMap<TextField, String>,
    /// RSS `<link>` texts and Atom `rel="alternate"` hrefs, in order.
    links: Vec<String>,
    enclosures: Vec<Enclosure>,
    /// Torznab/Newznab `attr` values by lowercase name (the first of each name).
    attrs: HashMap<String, String>,
    /// Whether the `<guid>` says `isPermaLink="false"` (it is no address of the item's page).
    guid_is_no_page: bool,
}

#[derive(Debug, Default)]
struct FeedReader {
    depth: usize,
    root: Option<String>,
    /// Depth of `<channel>` (RSS) or `<feed>` (Atom), whose `<title>` is the feed's.
    channel_depth: Option<usize>,
    feed_title: Option<String>,
    item: Option<(usize, RawItem)>,
    /// Depth of an ezRSS `<torrent>` element inside the item, whose children describe the item.
    torrent_wrapper_depth: Option<usize>,
    field: Option<OpenField>,
    articles: Vec<Article>,
    guids: HashSet<String>,
}

impl FeedReader {
    fn read(mut self, text: &str) -> Result<Feed, FeedError> {
        let mut reader = NsReader::from_str(text);
        // A bare `&` (as in "Tom & Jerry") is common in feeds; it is read as itself.
        reader.config_mut().allow_dangling_amp = true;
        loop {
            let malformed = |reader: &NsReader<&[u8]>, e: quick_xml::Error| {
                let (line, column) = line_and_column(text, reader.error_position());
                FeedError::Malformed {
                    line,
                    column,
                    message: e.to_string(),
                }
            };
            let (resolved, event) = match reader.read_resolved_event() {
                Ok((resolved, event)) => (vocabulary_of(&resolved, &event), event),
                Err(e) => return Err(malformed(&reader, e)),
            };
            match event {
                Event::Start(e) => {
                    self.depth += 1;
                    if self.depth > MAX_DEPTH {
                        let (line, column) = line_and_column(
                            text,
                            reader.buffer_position().saturating_sub(e.len() as u64 + 2),
                        );
                        return Err(FeedError::TooDeep {
                            line,
                            column,
                            limit: MAX_DEPTH,
                        });
                    }
                    self.start(resolved, &e)?;
                }
                Event::Empty(e) => {
                    self.depth += 1;
                    self.start(resolved, &e)?;
                    self.end();
                }
                Event::End(_) => self.end(),
                Event::Text(t) if self.field.is_some() => {
                    let t = t
                        .xml10_content()
                        .map_err(|e| malformed(&reader, e.into()))?;
                    self.push_text(&t);
                }
                Event::CData(t) if self.field.is_some() => {
                    let t = t.decode().map_err(|e| malformed(&reader, e.into()))?;
                    self.push_text(&t);
                }
                Event::GeneralRef(r) if self.field.is_some() => self.push_reference(&r),
                Event::Text(t) if self.root.is_none() => {
                    let t = String::from_utf8_lossy(&t);
                    if !t.trim().is_empty() {
                        let start = t.trim_start().chars().take(40).collect();
                        return Err(FeedError::NotXml { start });
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        match self.root {
            None => Err(FeedError::Empty),
            Some(root) if self.depth > 0 => {
                let (line, column) = line_and_column(text, text.len() as u64);
                Err(FeedError::Truncated { line, column, root })
            }
            Some(_) => Ok(Feed {
                title: self.feed_title,
                articles: self.articles,
            }),
        }
    }

    fn start(&mut self, vocabulary: Vocabulary, e: &BytesStart) -> Result<(), FeedError> {
        let name = String::from_utf8_lossy(e.local_name().as_ref()).to_ascii_lowercase();
        if self.root.is_none() {
            if !matches!(name.as_str(), "rss" | "feed" | "rdf") {
                return Err(FeedError::NotAFeed {
                    root: String::from_utf8_lossy(e.name().as_ref()).into_owned(),
                });
            }
            if name == "feed" {
                self.channel_depth = Some(self.depth);
            }
            self.root = Some(String::from_utf8_lossy(e.name().as_ref()).into_owned());
            return Ok(());
        }
        // Markup inside a field (Atom's `type="xhtml"`) only adds its text to the field.
        if self.field.is_some() {
            return Ok(());
        }
        let depth = self.depth;
        let Some((item_depth, item)) = self.item.as_mut() else {
            match (vocabulary, name.as_str()) {
                (Vocabulary::Core, "item" | "entry") => {
                    self.item = Some((depth, RawItem::default()));
                }
                (Vocabulary::Core, "channel") if self.channel_depth.is_none() => {
                    self.channel_depth = Some(depth);
                }
                (Vocabulary::Core, "title") if self.channel_depth == Some(depth - 1) => {
                    self.open(TextField::FeedTitle);
                }
                _ => {}
            }
            return Ok(());
        };
        // Only the item's own children describe it (not, say, an Atom `<source>`'s), and the
        // children of an ezRSS `<torrent>` wrapper.
        if depth != *item_depth + 1 && self.torrent_wrapper_depth != Some(depth - 1) {
            return Ok(());
        }
        match (vocabulary, name.as_str()) {
            (Vocabulary::Torrent, "torrent") if depth == *item_depth + 1 => {
                self.torrent_wrapper_depth = Some(depth);
            }
            (Vocabulary::Core, "link") if attribute(e, "href").is_some() => {
                let href = attribute(e, "href").unwrap_or_default();
                let rel = attribute(e, "rel").unwrap_or_else(|| "alternate".into());
                match rel.trim().to_ascii_lowercase().as_str() {
                    "enclosure" => item.enclosures.push(Enclosure {
                        url: href,
                        mime: attribute(e, "type"),
                    }),
                    "alternate" => item.links.push(href),
                    _ => {}
                }
            }
            (Vocabulary::Core, "enclosure") => {
                if let Some(url) = attribute(e, "url") {
                    item.enclosures.push(Enclosure {
                        url,
                        mime: attribute(e, "type"),
                    });
                }
            }
            (Vocabulary::Torznab, "attr") => {
                if let (Some(key), Some(value)) = (attribute(e, "name"), attribute(e, "value")) {
                    item.attrs.entry(key.to_ascii_lowercase()).or_insert(value);
                }
            }
            _ => {
                if let Some(field) = TextField::of_item_child(vocabulary, &name) {
                    if field == TextField::Guid && name == "guid" {
                        item.guid_is_no_page |= attribute(e, "isPermaLink")
                            .is_some_and(|v| v.trim().eq_ignore_ascii_case("false"));
                    }
                    self.open(field);
                }
            }
        }
        Ok(())
    }

    fn open(&mut self, field: TextField) {
        self.field = Some(OpenField {
            field,
            depth: self.depth,
            text: String::new(),
            cut: false,
        });
    }

    fn end(&mut self) {
        let depth = self.depth;
        self.depth = depth.saturating_sub(1);
        if let Some(open) = self.field.take_if(|open| open.depth == depth) {
            self.close(open);
        } else if self.torrent_wrapper_depth == Some(depth) {
            self.torrent_wrapper_depth = None;
        } else if let Some((_, item)) = self.item.take_if(|(item_depth, _)| *item_depth == depth)
            && let Some(article) = item.into_article()
            && self.guids.insert(article.guid.clone())
        {
            self.articles.push(article);
        }
    }

    fn close(&mut self, open: OpenField) {
        match (open.field, self.item.as_mut()) {
            (TextField::FeedTitle, _) => {
                if self.feed_title.is_none() {
                    self.feed_title =
                        Some(collapse_whitespace(&open.text)).filter(|t| !t.is_empty());
                }
            }
            // A cut title is still a title; any other cut field (a URL, a hash) is refused.
            (TextField::Title, Some((_, item))) => {
                item.texts.entry(TextField::Title).or_insert(open.text);
            }
            (_, _) if open.cut => {}
            (TextField::Link, Some((_, item))) => item.links.push(open.text),
            (field, Some((_, item))) => {
                item.texts.entry(field).or_insert(open.text);
            }
            (_, None) => {}
        }
    }

    fn push_text(&mut self, text: &str) {
        if let Some(open) = self.field.as_mut() {
            open.push(text);
        }
    }

    /// An entity or character reference: the five XML entities and numeric references are
    /// resolved; `&nbsp;` (HTML, frequent in titles) is a space; anything else stays as written.
    fn push_reference(&mut self, reference: &BytesRef) {
        let Ok(name) = reference.decode() else {
            return;
        };
        let resolved = match reference.resolve_char_ref() {
            Ok(Some(c)) => c.to_string(),
            _ => match quick_xml::escape::resolve_predefined_entity(&name) {
                Some(text) => text.to_owned(),
                None if name == "nbsp" => " ".to_owned(),
                None => format!("&{name};"),
            },
        };
        self.push_text(&resolved);
    }
}

/// The vocabulary of an element event. An unprefixed element is RSS or Atom unless its default
/// namespace is an extension's (ezRSS writes `<torrent xmlns="http://xmlns.ezrss.it/0.1/">`).
fn vocabulary_of(resolved: &ResolveResult, event: &Event) -> Vocabulary {
    let name = match event {
        Event::Start(e) | Event::Empty(e) => e.name(),
        _ => return Vocabulary::Other,
    };
    match (name.prefix(), resolved) {
        (Some(prefix), _) => Vocabulary::of_prefixed(resolved, prefix.as_ref()),
        (None, ResolveResult::Bound(Namespace(uri))) => {
            match Vocabulary::by_uri(&String::from_utf8_lossy(uri)) {
                Vocabulary::Other => Vocabulary::Core,
                extension => extension,
            }
        }
        (None, _) => Vocabulary::Core,
    }
}

/// An attribute's value by local name, entities resolved; a value with a stray `&` is taken as
/// written (with the five XML entities still resolved).
fn attribute(e: &BytesStart, name: &str) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        if !a
            .key
            .local_name()
            .as_ref()
            .eq_ignore_ascii_case(name.as_bytes())
        {
            return None;
        }
        Some(match a.normalized_value(XmlVersion::Implicit1_0) {
            Ok(value) => value.into_owned(),
            Err(_) => {
                let raw = String::from_utf8_lossy(&a.value);
                [
                    ("&lt;", "<"),
                    ("&gt;", ">"),
                    ("&quot;", "\""),
                    ("&apos;", "'"),
                ]
                .into_iter()
                .fold(raw.into_owned(), |text, (entity, c)| {
                    text.replace(entity, c)
                })
                .replace("&amp;", "&")
            }
        })
    })
}

impl RawItem {
    /// The article, or `None` for an item with nothing to show or fetch.
    fn into_article(self) -> Option<Article> {
        let text = |field| self.texts.get(&field).map(String::as_str);
        let attr = |name: &str| self.attrs.get(name).map(String::as_str);
        let number = |value: Option<&str>| value.and_then(|v| v.trim().parse::<u64>().ok());
        let count = |value: Option<&str>| value.and_then(|v| v.trim().parse::<u32>().ok());

        let title = collapse_whitespace(text(TextField::Title).unwrap_or_default());
        let guid_text = text(TextField::Guid)
            .map(str::trim)
            .filter(|g| !g.is_empty());

        let magnet = [text(TextField::TorrentMagnet), attr("magneturl")]
            .into_iter()
            .flatten()
            .chain(self.enclosures.iter().map(|e| e.url.as_str()))
            .chain(self.links.iter().map(String::as_str))
            .chain(guid_text)
            .find_map(links::magnet);

        let enclosure_urls = |pick: fn(&Enclosure, &url::Url) -> bool| {
            self.enclosures.iter().find_map(|e| {
                let url = links::http_url(&e.url)?;
                pick(e, &url).then_some(url)
            })
        };
        let torrent_url = enclosure_urls(|e, _| {
            e.mime
                .as_deref()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/x-bittorrent"))
        })
        .or_else(|| enclosure_urls(|_, url| links::names_torrent_file(url)))
        .or_else(|| {
            self.links
                .iter()
                .map(String::as_str)
                .chain(guid_text)
                .filter_map(links::http_url)
                .find(links::names_torrent_file)
        })
        // An enclosure without a type is taken as the torrent: only podcasts type theirs.
        .or_else(|| enclosure_urls(|e, _| e.mime.as_deref().is_none_or(|m| m.trim().is_empty())))
        .map(String::from);

        // The page to show: a link that is not the torrent itself (Torznab's and Nyaa's `<link>`
        // is the download), else the guid when it is a permalink (RSS guids are unless they say
        // otherwise), else the `<comments>` page.
        let permalink = guid_text.filter(|_| !self.guid_is_no_page);
        let link = self
            .links
            .iter()
            .map(String::as_str)
            .chain(permalink)
            .chain(text(TextField::Comments))
            .filter_map(links::http_url)
            .map(String::from)
            .find(|link| Some(link) != torrent_url.as_ref());

        let info_hash = [
            text(TextField::TorrentInfoHash),
            attr("infohash"),
            text(TextField::NyaaInfoHash),
        ]
        .into_iter()
        .flatten()
        .find_map(links::info_hash)
        .or_else(|| magnet.as_deref().and_then(links::magnet_info_hash));

        // An enclosure's length is left out: ezRSS gives the .torrent's size there, Torznab the
        // content's, and a feed does not say which.
        let size = number(attr("size"))
            .or_else(|| number(text(TextField::TorrentLength)))
            .or_else(|| text(TextField::NyaaSize).and_then(human_size))
            .or_else(|| number(text(TextField::Size)))
            .or_else(|| magnet.as_deref().and_then(links::magnet_length));
        let seeders = count(attr("seeders"))
            .or_else(|| count(text(TextField::TorrentSeeds)))
            .or_else(|| count(text(TextField::NyaaSeeders)));
        let leechers = count(attr("leechers")).or_else(|| count(text(TextField::NyaaLeechers)));
        let peers = count(attr("peers"))
            .or_else(|| count(text(TextField::TorrentPeers)))
            .or_else(|| Some(seeders?.saturating_add(leechers?)));

        let published = [
            TextField::PubDate,
            TextField::Published,
            TextField::Updated,
            TextField::DcDate,
        ]
        .into_iter()
        .find_map(|field| text(field).and_then(parse_date));

        let magnet = magnet.or_else(|| match (&torrent_url, &info_hash) {
            (None, Some(hash)) => Some(links::magnet_for(hash, &title)),
            _ => None,
        });

        let guid = guid_text
            .map(str::to_owned)
            .or_else(|| link.clone())
            .or_else(|| torrent_url.clone())
            .or_else(|| magnet.clone());
        let guid = match guid {
            Some(guid) => guid,
            None if title.is_empty() => return None,
            None => digest_guid(&title, published),
        };
        Some(Article {
            guid,
            title,
            link,
            torrent_url,
            magnet,
            info_hash,
            size,
            seeders,
            peers,
            published,
        })
    }
}

/// The guid of an article that has none: its title and date, digested.
fn digest_guid(title: &str, published: Option<OffsetDateTime>) -> String {
    let mut digest = Sha256::new();
    digest.update(title.as_bytes());
    digest.update(b"\n");
    if let Some(published) = published {
        digest.update(published.unix_timestamp().to_string().as_bytes());
    }
    format!("sha256:{}", hex::encode(digest.finalize()))
}

/// Runs of whitespace (newlines in a CDATA title, say) become one space; ends are trimmed.
fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A size written for people (`1.4 GiB`, `700 MB`), as Nyaa does, in bytes.
fn human_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" | "bytes" => 1.0,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        _ => return None,
    };
    let bytes = (number * multiplier).round();
    // A float-to-integer `as` saturates; the range check keeps absurd sizes out instead.
    (bytes.is_finite() && (0.0..1e18).contains(&bytes)).then_some(bytes as u64)
}

/// The 1-based line and column (in characters) of a byte offset in the text.
fn line_and_column(text: &str, offset: u64) -> (usize, usize) {
    let mut offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests;
