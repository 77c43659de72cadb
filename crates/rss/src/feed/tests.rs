//! Feeds as indexers and sites write them, parsed.

use super::*;
use time::macros::datetime;

const HASH_A: &str = "c12fe1c06bba254a9dc9f519b335aa7c1367a88a";
const HASH_B: &str = "0123456789abcdef0123456789abcdef01234567";
// HASH_B in base32, as some magnets write it.
const HASH_B_BASE32: &str = "AERUKZ4JVPG66AJDIVTYTK6N54ASGRLH";

fn parse(xml: &str) -> Feed {
    parse_feed(xml.as_bytes()).expect("the feed parses")
}

#[test]
fn ezrss_show_feed() {
    // The classic ezRSS layout: the torrent fields sit in a `<torrent>` element with a default
    // namespace; a second item uses a prefix of its own choosing for the same namespace.
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:t="http://xmlns.ezrss.it/0.1/">
  <channel>
    <title>ezRSS - Example Show</title>
    <link>http://tv.example.org/</link>
    <description>Latest episodes of Example Show</description>
    <image><title>not the feed title</title><url>http://tv.example.org/logo.png</url></image>
    <item>
      <title><![CDATA[Example Show 3x07 [HDTV - LOL]]]></title>
      <link>http://torrents.example.org/Example.Show.S03E07.HDTV.x264-LOL.torrent</link>
      <category domain="http://tv.example.org/shows/1/"><![CDATA[TV Show / Example Show]]></category>
      <pubDate>Sun, 29 Nov 2026 20:15:00 -0500</pubDate>
      <description><![CDATA[Show Name: Example Show; Episode Title: N/A; Season: 3; Episode: 7]]></description>
      <enclosure url="http://torrents.example.org/Example.Show.S03E07.HDTV.x264-LOL.torrent" length="288235" type="application/x-bittorrent" />
      <comments>http://tv.example.org/forum/1/</comments>
      <guid>http://tv.example.org/ep/1/example-show-s03e07-hdtv-lol/</guid>
      <torrent xmlns="http://xmlns.ezrss.it/0.1/">
        <fileName><![CDATA[Example.Show.S03E07.HDTV.x264-LOL.torrent]]></fileName>
        <contentLength>366008781</contentLength>
        <infoHash>{upper_a}</infoHash>
        <magnetURI><![CDATA[magnet:?xt=urn:btih:{HASH_A}&dn=Example.Show.S03E07.HDTV.x264-LOL]]></magnetURI>
      </torrent>
    </item>
    <item>
      <title>Example Show 3x06 [HDTV - LOL]</title>
      <link>http://torrents.example.org/Example.Show.S03E06.HDTV.x264-LOL.torrent</link>
      <pubDate>Sun, 22 Nov 2026 20:15:00 -0500</pubDate>
      <t:contentLength>366000000</t:contentLength>
      <t:infoHash>{HASH_B}</t:infoHash>
      <t:seeds>12</t:seeds>
      <t:peers>20</t:peers>
    </item>
  </channel>
</rss>"#,
        upper_a = HASH_A.to_uppercase()
    );
    let feed = parse(&xml);
    assert_eq!(feed.title.as_deref(), Some("ezRSS - Example Show"));
    assert_eq!(feed.articles.len(), 2);
    let first = &feed.articles[0];
    assert_eq!(
        first,
        &Article {
            guid: "http://tv.example.org/ep/1/example-show-s03e07-hdtv-lol/".into(),
            title: "Example Show 3x07 [HDTV - LOL]".into(),
            link: Some("http://tv.example.org/ep/1/example-show-s03e07-hdtv-lol/".into()),
            torrent_url: Some(
                "http://torrents.example.org/Example.Show.S03E07.HDTV.x264-LOL.torrent".into()
            ),
            magnet: Some(format!(
                "magnet:?xt=urn:btih:{HASH_A}&dn=Example.Show.S03E07.HDTV.x264-LOL"
            )),
            info_hash: Some(HASH_A.into()),
            size: Some(366_008_781),
            seeders: None,
            peers: None,
            published: Some(datetime!(2026-11-29 20:15:00 -5)),
        }
    );
    let second = &feed.articles[1];
    // No guid: the link is the identity. The torrent is the link (a .torrent), and the magnet is
    // made from the info hash only when there is no torrent to fetch.
    assert_eq!(
        second.guid,
        "http://torrents.example.org/Example.Show.S03E06.HDTV.x264-LOL.torrent"
    );
    assert_eq!(second.torrent_url.as_deref(), Some(second.guid.as_str()));
    assert_eq!(second.magnet, None);
    assert_eq!(second.info_hash.as_deref(), Some(HASH_B));
    assert_eq!(
        (second.size, second.seeders, second.peers),
        (Some(366_000_000), Some(12), Some(20))
    );
}

#[test]
fn jackett_torznab_feed() {
    let xml = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:torznab="http://torznab.com/schemas/2015/feed">
  <channel>
    <atom:link href="http://127.0.0.1:9117/api/v2.0/indexers/example/results/torznab/" rel="self" type="application/rss+xml" />
    <title>Example Tracker</title>
    <description>Example Tracker is a public tracker</description>
    <link>https://tracker.example.org/</link>
    <language>en-US</language>
    <category>search</category>
    <item>
      <title>Example Show S03E07 1080p WEB H264-GROUP</title>
      <guid>https://tracker.example.org/torrent/12345</guid>
      <jackettindexer id="example">Example Tracker</jackettindexer>
      <type>public</type>
      <comments>https://tracker.example.org/torrent/12345</comments>
      <pubDate>Sun, 29 Nov 2026 21:02:11 +0100</pubDate>
      <size>1503238553</size>
      <files>1</files>
      <grabs>120</grabs>
      <description />
      <link>http://127.0.0.1:9117/dl/example/?jackett_apikey=abc&amp;path=Q2ZESjhJ&amp;file=Example+Show+S03E07</link>
      <category>5000</category>
      <category>5040</category>
      <enclosure url="http://127.0.0.1:9117/dl/example/?jackett_apikey=abc&amp;path=Q2ZESjhJ&amp;file=Example+Show+S03E07" length="1503238553" type="application/x-bittorrent" />
      <torznab:attr name="category" value="5000" />
      <torznab:attr name="seeders" value="57" />
      <torznab:attr name="peers" value="63" />
      <torznab:attr name="infohash" value="{HASH_A}" />
      <torznab:attr name="magneturl" value="magnet:?xt=urn:btih:{HASH_A}&amp;dn=Example+Show+S03E07&amp;tr=udp%3A%2F%2Ftracker.example.org%3A1337" />
      <torznab:attr name="downloadvolumefactor" value="0" />
      <torznab:attr name="uploadvolumefactor" value="1" />
    </item>
  </channel>
</rss>"#
    );
    let feed = parse(&xml);
    assert_eq!(feed.title.as_deref(), Some("Example Tracker"));
    let [article] = feed.articles.as_slice() else {
        panic!("one article: {:?}", feed.articles)
    };
    assert_eq!(article.guid, "https://tracker.example.org/torrent/12345");
    assert_eq!(
        article.torrent_url.as_deref(),
        Some(
            "http://127.0.0.1:9117/dl/example/?jackett_apikey=abc&path=Q2ZESjhJ&file=Example+Show+S03E07"
        )
    );
    // The `<link>` is the download itself, so the page shown is the guid's.
    assert_eq!(
        article.link.as_deref(),
        Some("https://tracker.example.org/torrent/12345")
    );
    assert_eq!(
        article.magnet.as_deref(),
        Some(
            format!(
                "magnet:?xt=urn:btih:{HASH_A}&dn=Example+Show+S03E07&tr=udp%3A%2F%2Ftracker.example.org%3A1337"
            )
            .as_str()
        )
    );
    assert_eq!(article.info_hash.as_deref(), Some(HASH_A));
    assert_eq!(
        (article.size, article.seeders, article.peers),
        (Some(1_503_238_553), Some(57), Some(63))
    );
    assert_eq!(article.published, Some(datetime!(2026-11-29 21:02:11 +1)));
}

#[test]
fn prowlarr_and_newznab_attrs_under_other_prefixes() {
    // The namespace decides, not the prefix; Newznab's attr reads like Torznab's; leechers count
    // towards peers when peers is missing; the info hash comes from a base32 magnet.
    let xml = format!(
        r#"<rss version="2.0" xmlns:tz="http://torznab.com/schemas/2015/feed" xmlns:nn="http://www.newznab.com/DTD/2010/feeds/attributes/">
  <channel><title>Prowlarr</title>
    <item>
      <title>Other Show S01E01</title>
      <guid>prowlarr-1</guid>
      <link>https://prowlarr.example.org/1/download?apikey=x&amp;link=abc</link>
      <tz:attr name="seeders" value="5"/>
      <tz:attr name="leechers" value="2"/>
      <tz:attr name="magneturl" value="magnet:?xt=urn:btih:{HASH_B_BASE32}"/>
    </item>
    <item>
      <title>Other Show S01E02</title>
      <guid>prowlarr-2</guid>
      <nn:attr name="size" value="734003200"/>
      <nn:attr name="infohash" value="{HASH_A}"/>
    </item>
  </channel>
</rss>"#
    );
    let feed = parse(&xml);
    let [first, second] = feed.articles.as_slice() else {
        panic!("two articles: {:?}", feed.articles)
    };
    assert_eq!((first.seeders, first.peers), (Some(5), Some(7)));
    assert_eq!(first.info_hash.as_deref(), Some(HASH_B));
    // A download link without `.torrent` is not taken for a torrent: only typed enclosures are.
    assert_eq!(first.torrent_url, None);
    assert_eq!(second.size, Some(734_003_200));
    assert_eq!(second.info_hash.as_deref(), Some(HASH_A));
    assert_eq!(
        second.magnet.as_deref(),
        Some(format!("magnet:?xt=urn:btih:{HASH_A}&dn=Other+Show+S01E02").as_str())
    );
}

#[test]
fn atom_feed() {
    let xml = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Example Releases</title>
  <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
  <updated>2026-11-30T08:00:00Z</updated>
  <link rel="self" href="https://releases.example.org/atom"/>
  <entry>
    <title>Example Show S03E08 720p</title>
    <id>tag:releases.example.org,2026:release/9001</id>
    <link rel="alternate" type="text/html" href="https://releases.example.org/release/9001"/>
    <link rel="enclosure" type="application/x-bittorrent" length="31337" href="https://releases.example.org/dl/9001.torrent"/>
    <published>2026-11-29T20:15:00+01:00</published>
    <updated>2026-11-30T08:00:00Z</updated>
    <summary type="html">&lt;p&gt;A &amp;quot;release&amp;quot;&lt;/p&gt;</summary>
    <source>
      <title>Another feed</title>
      <link href="https://other.example.org/"/>
    </source>
  </entry>
  <entry>
    <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">Example <b>Movie</b> 2026</div></title>
    <id>tag:releases.example.org,2026:release/9002</id>
    <link href="https://releases.example.org/release/9002"/>
    <link rel="enclosure" href="https://releases.example.org/dl/9002"/>
    <updated>2026-11-30T07:00:00Z</updated>
  </entry>
</feed>"#;
    let feed = parse(xml);
    assert_eq!(feed.title.as_deref(), Some("Example Releases"));
    let [first, second] = feed.articles.as_slice() else {
        panic!("two articles: {:?}", feed.articles)
    };
    assert_eq!(first.guid, "tag:releases.example.org,2026:release/9001");
    assert_eq!(first.title, "Example Show S03E08 720p");
    assert_eq!(
        first.link.as_deref(),
        Some("https://releases.example.org/release/9001")
    );
    assert_eq!(
        first.torrent_url.as_deref(),
        Some("https://releases.example.org/dl/9001.torrent")
    );
    // `<published>` wins over `<updated>`; the enclosure's length is the .torrent's, not a size.
    assert_eq!(first.published, Some(datetime!(2026-11-29 20:15:00 +1)));
    assert_eq!(first.size, None);
    // An XHTML title is its text; an untyped enclosure is the torrent; `<updated>` is the date.
    assert_eq!(second.title, "Example Movie 2026");
    assert_eq!(
        second.torrent_url.as_deref(),
        Some("https://releases.example.org/dl/9002")
    );
    assert_eq!(second.published, Some(datetime!(2026-11-30 07:00:00 UTC)));
}

#[test]
fn magnets_in_link_and_guid() {
    let xml = format!(
        r#"<rss version="2.0"><channel><title>Magnets &amp; more</title>
  <item>
    <title>Daily Show 2026.11.29 Guest Name 1080p</title>
    <link>magnet:?xt=urn:btih:{HASH_B_BASE32}&amp;dn=Daily.Show.2026.11.29&amp;xl=1234567</link>
    <pubDate>Mon, 30 Nov 2026 04:00:00 GMT</pubDate>
  </item>
  <item>
    <title>Guid Magnet</title>
    <guid isPermaLink="false">magnet:?xt=urn:btih:{HASH_A}</guid>
  </item>
  <item>
    <title>A podcast episode</title>
    <link>https://podcast.example.org/ep/1</link>
    <enclosure url="https://podcast.example.org/ep/1.mp3" type="audio/mpeg" length="1000"/>
  </item>
</channel></rss>"#
    );
    let feed = parse(&xml);
    assert_eq!(feed.title.as_deref(), Some("Magnets & more"));
    let [daily, guid, podcast] = feed.articles.as_slice() else {
        panic!("three articles: {:?}", feed.articles)
    };
    let daily_magnet =
        format!("magnet:?xt=urn:btih:{HASH_B_BASE32}&dn=Daily.Show.2026.11.29&xl=1234567");
    assert_eq!(daily.magnet.as_deref(), Some(daily_magnet.as_str()));
    assert_eq!(daily.guid, daily_magnet, "the magnet is the identity");
    assert_eq!(
        daily.info_hash.as_deref(),
        Some(HASH_B),
        "base32 read as hex"
    );
    assert_eq!(daily.size, Some(1_234_567), "from the magnet's xl");
    assert_eq!(
        (daily.link.as_ref(), daily.torrent_url.as_ref()),
        (None, None)
    );
    assert_eq!(guid.info_hash.as_deref(), Some(HASH_A));
    assert!(guid.magnet.is_some());
    assert_eq!(
        (podcast.torrent_url.as_ref(), podcast.magnet.as_ref()),
        (None, None)
    );
}

#[test]
fn unsafe_links_are_dropped() {
    let xml = r#"<rss version="2.0"><channel>
  <item>
    <title>Trap</title>
    <link>javascript:alert(document.cookie)</link>
    <enclosure url="file:///etc/passwd" type="application/x-bittorrent"/>
    <comments>data:text/html,hi</comments>
  </item>
  <item>
    <title>Relative</title>
    <link>/download/1.torrent</link>
    <enclosure url="ftp://example.org/1.torrent"/>
  </item>
</channel></rss>"#;
    let feed = parse(xml);
    assert_eq!(feed.title, None);
    assert_eq!(feed.articles.len(), 2);
    for article in &feed.articles {
        assert_eq!(
            (&article.link, &article.torrent_url, &article.magnet),
            (&None, &None, &None),
            "{article:?}"
        );
        assert!(article.guid.starts_with("sha256:"), "{}", article.guid);
    }
    assert_ne!(feed.articles[0].guid, feed.articles[1].guid);
}

#[test]
fn the_page_link_skips_the_download_and_non_permalink_guids() {
    let xml = r#"<rss version="2.0"><channel>
  <item>
    <title>Not a permalink</title>
    <guid isPermaLink="false">https://tracker.example.org/internal/77</guid>
    <comments>https://tracker.example.org/t/77</comments>
    <enclosure url="https://tracker.example.org/dl/77" type="application/x-bittorrent"/>
  </item>
  <item>
    <title>Download link only</title>
    <link>https://tracker.example.org/dl/78</link>
    <enclosure url="https://tracker.example.org/dl/78" type="application/x-bittorrent"/>
  </item>
</channel></rss>"#;
    let feed = parse(xml);
    let [first, second] = feed.articles.as_slice() else {
        panic!("two articles: {:?}", feed.articles)
    };
    assert_eq!(first.guid, "https://tracker.example.org/internal/77");
    assert_eq!(
        first.link.as_deref(),
        Some("https://tracker.example.org/t/77")
    );
    assert_eq!(second.link, None);
    assert_eq!(
        second.torrent_url.as_deref(),
        Some("https://tracker.example.org/dl/78")
    );
}

#[test]
fn nyaa_feed() {
    let xml = format!(
        r#"<rss xmlns:atom="http://www.w3.org/2005/Atom" xmlns:nyaa="https://nyaa.si/xmlns/nyaa" version="2.0">
  <channel>
    <title>Nyaa - Home - Torrent File RSS</title>
    <item>
      <title>[Group] Example Anime - 07 (1080p) [ABCD1234].mkv</title>
      <link>https://nyaa.si/download/1900000.torrent</link>
      <guid isPermaLink="true">https://nyaa.si/view/1900000</guid>
      <pubDate>Sun, 29 Nov 2026 12:00:00 -0000</pubDate>
      <nyaa:seeders>812</nyaa:seeders>
      <nyaa:leechers>95</nyaa:leechers>
      <nyaa:downloads>2000</nyaa:downloads>
      <nyaa:infoHash>{HASH_A}</nyaa:infoHash>
      <nyaa:size>1.4 GiB</nyaa:size>
    </item>
  </channel>
</rss>"#
    );
    let feed = parse(&xml);
    let article = &feed.articles[0];
    assert_eq!(
        article.torrent_url.as_deref(),
        Some("https://nyaa.si/download/1900000.torrent")
    );
    assert_eq!(
        article.link.as_deref(),
        Some("https://nyaa.si/view/1900000"),
        "the guid, as the link is the torrent itself"
    );
    assert_eq!(article.info_hash.as_deref(), Some(HASH_A));
    assert_eq!((article.seeders, article.peers), (Some(812), Some(907)));
    assert_eq!(article.size, Some(1_503_238_554));
}

#[test]
fn rss_1_0_with_dublin_core_dates() {
    let xml = r#"<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://example.org/"><title>RDF feed</title></channel>
  <item rdf:about="https://example.org/1">
    <title>One</title>
    <link>https://example.org/1.torrent</link>
    <dc:date>2026-11-29T10:00:00Z</dc:date>
  </item>
</rdf:RDF>"#;
    let feed = parse(xml);
    assert_eq!(feed.title.as_deref(), Some("RDF feed"));
    assert_eq!(
        feed.articles[0].published,
        Some(datetime!(2026-11-29 10:00:00 UTC))
    );
    assert!(feed.articles[0].torrent_url.is_some());
}

#[test]
fn undeclared_prefixes_are_read_by_their_usual_name() {
    let xml = format!(
        r#"<rss version="2.0"><channel><item>
  <title>Sloppy</title><guid>s-1</guid>
  <torrent:infoHash>{HASH_A}</torrent:infoHash>
  <torznab:attr name="seeders" value="3"/>
</item></channel></rss>"#
    );
    let article = &parse(&xml).articles[0];
    assert_eq!(article.info_hash.as_deref(), Some(HASH_A));
    assert_eq!(article.seeders, Some(3));
}

#[test]
fn text_entities_cdata_and_whitespace() {
    let xml = r#"<rss version="2.0"><channel>
  <item>
    <title>  Tom &amp; Jerry &#8211; Caf&#xE9;&nbsp;Edition &unknown; & friends </title>
    <guid>a</guid>
  </item>
  <item>
    <title><![CDATA[ <b>Bold</b>
      Title ]]></title>
    <guid>b</guid>
  </item>
  <item><title>Duplicate of a</title><guid>a</guid></item>
  <item><title></title></item>
</channel></rss>"#;
    let feed = parse(xml);
    let titles: Vec<&str> = feed.articles.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Tom & Jerry \u{2013} Café Edition &unknown; & friends",
            "<b>Bold</b> Title"
        ],
        "the duplicate guid and the empty item are dropped"
    );
}

#[test]
fn latin1_bytes_are_read() {
    let mut bytes =
        b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><channel><item><title>Caf".to_vec();
    bytes.push(0xE9);
    bytes.extend_from_slice(b"</title><guid>x</guid></item></channel></rss>");
    assert_eq!(
        parse_feed(&bytes).expect("parses").articles[0].title,
        "Café"
    );
}

#[test]
fn empty_feeds() {
    let feed = parse(
        r#"<?xml version="1.0"?>
<rss version="2.0"><channel><title>Nothing yet</title><description/></channel></rss>"#,
    );
    assert_eq!(feed.title.as_deref(), Some("Nothing yet"));
    assert!(feed.articles.is_empty());
    assert!(
        parse(r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#)
            .articles
            .is_empty()
    );
    for nothing in ["", "  \n", "<?xml version=\"1.0\"?>\n<!-- nothing -->"] {
        assert_eq!(
            parse_feed(nothing.as_bytes()),
            Err(FeedError::Empty),
            "{nothing:?}"
        );
    }
}

#[test]
fn malformed_feeds_name_the_place() {
    let xml = "<rss version=\"2.0\">\n<channel>\n<item>\n  <title>Broken</titel>\n</item>\n</channel>\n</rss>";
    let error = parse_feed(xml.as_bytes()).expect_err("malformed");
    let FeedError::Malformed { line, column, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!((*line, *column), (4, 16));
    assert!(
        error
            .to_string()
            .starts_with("the feed is not valid XML at line 4, column 16: "),
        "{error}"
    );
    assert!(error.to_string().contains("</title>"), "{error}");

    let error = parse_feed(b"<rss><channel><item><title a=\"1>x</title>").expect_err("malformed");
    assert!(
        matches!(error, FeedError::Malformed { line: 1, .. }),
        "{error:?}"
    );

    let error = parse_feed(b"<rss version=\"2.0\">\n<channel>\n<item><title>Cut").expect_err("cut");
    assert_eq!(
        error,
        FeedError::Truncated {
            line: 3,
            column: 17,
            root: "rss".into()
        }
    );
    assert_eq!(
        error.to_string(),
        "the feed ends at line 3, column 17 before </rss>"
    );
}

#[test]
fn other_documents_are_refused() {
    let error =
        parse_feed(b"<!DOCTYPE html>\n<html><head><meta charset=utf-8><title>Login</title>")
            .expect_err("html");
    assert_eq!(
        error.to_string(),
        "the document is not an RSS or Atom feed: its root element is <html>"
    );
    let error = parse_feed(b"{\"error\": \"Invalid API key\"}").expect_err("json");
    assert_eq!(
        error.to_string(),
        r#"the answer is not XML: it begins with "{\"error\": \"Invalid API key\"}""#
    );
}

#[test]
fn deep_nesting_and_huge_text_are_harmless() {
    let depth = MAX_DEPTH - 10;
    let mut xml =
        String::from("<rss><channel><item><title>Deep</title><guid>d</guid><description>");
    xml.push_str(&"<div>".repeat(depth));
    xml.push_str(&"</div>".repeat(depth));
    xml.push_str("</description></item><item><guid>t</guid><title>");
    xml.push_str(&"A".repeat(5 * 1024 * 1024));
    xml.push_str("</title><link>https://example.org/");
    xml.push_str(&"b".repeat(MAX_FIELD_BYTES));
    xml.push_str(".torrent</link></item></channel></rss>");
    let feed = parse(&xml);
    assert_eq!(feed.articles.len(), 2);
    assert_eq!(feed.articles[0].title, "Deep");
    // A huge title is cut; a link longer than a field holds is refused rather than cut.
    assert_eq!(feed.articles[1].title.len(), MAX_FIELD_BYTES);
    assert_eq!(feed.articles[1].torrent_url, None);

    // Deeper nesting, closed or not, is an error, not a crash (quick-xml's namespace scopes
    // overflow past 65535 levels).
    for closed in [true, false] {
        let mut deep = format!("<rss>\n{}", "<a>".repeat(100_000));
        if closed {
            deep.push_str(&"</a>".repeat(100_000));
            deep.push_str("</rss>");
        }
        assert_eq!(
            parse_feed(deep.as_bytes()),
            Err(FeedError::TooDeep {
                line: 2,
                column: 3 * (MAX_DEPTH - 1) + 1,
                limit: MAX_DEPTH
            })
        );
    }
}

#[test]
fn digest_guids_are_stable_and_depend_on_the_date() {
    let item = |date: &str| {
        parse(&format!(
            "<rss><channel><item><title>Same</title><pubDate>{date}</pubDate></item></channel></rss>"
        ))
        .articles
        .remove(0)
        .guid
    };
    let a = item("Sun, 29 Nov 2026 20:15:00 +0000");
    assert_eq!(
        a,
        item("Sun, 29 Nov 2026 21:15:00 +0100"),
        "the same instant"
    );
    assert_ne!(a, item("Mon, 30 Nov 2026 20:15:00 +0000"));
    assert_eq!(a.len(), "sha256:".len() + 64);
}

#[test]
fn articles_round_trip_through_json() {
    let article = Article {
        guid: "g".into(),
        title: "t".into(),
        published: Some(datetime!(2026-11-29 20:15:00 UTC)),
        ..Article::default()
    };
    let json = serde_json::to_value(&article).expect("serializes");
    assert_eq!(json["published"], "2026-11-29T20:15:00Z");
    assert_eq!(json["torrentUrl"], serde_json::Value::Null);
    let back: Article = serde_json::from_value(json).expect("deserializes");
    assert_eq!(back, article);
}

#[test]
fn human_sizes() {
    assert_eq!(human_size("1.4 GiB"), Some(1_503_238_554));
    assert_eq!(human_size("700 MB"), Some(700_000_000));
    assert_eq!(human_size("512 KiB"), Some(524_288));
    assert_eq!(human_size("12 Bytes"), Some(12));
    assert_eq!(human_size("lots"), None);
    assert_eq!(human_size("1 XB"), None);
    assert_eq!(human_size("99999999999 TiB"), None);
}

#[test]
fn every_cut_and_damaged_feed_is_an_answer_not_a_panic() {
    let samples = [
        format!(
            r#"<?xml version="1.0"?>
<rss version="2.0" xmlns:tz="http://torznab.com/schemas/2015/feed">
<channel><title>Mixed &amp; matched</title>
<item><title><![CDATA[Show S01E02 & more]]></title><guid isPermaLink="false">g1</guid>
<link>magnet:?xt=urn:btih:{HASH_B_BASE32}&amp;xl=10</link>
<pubDate>Sun, 29 Nov 2026 20:15:00 +0000</pubDate>
<enclosure url="https://example.org/1.torrent" type="application/x-bittorrent"/>
<torrent xmlns="http://xmlns.ezrss.it/0.1/"><infoHash>{HASH_A}</infoHash></torrent>
<tz:attr name="seeders" value="5"/><tz:attr name="size" value="123"/>
</item></channel></rss>"#
        ),
        r#"<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom</title>
<entry><title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">É <b>t</b></div></title>
<id>e1</id><link rel="enclosure" href="https://example.org/e.torrent"/>
<updated>2026-11-29T20:15:00Z</updated></entry></feed>"#
            .to_owned(),
    ];
    for sample in &samples {
        let whole = parse_feed(sample.as_bytes()).expect("the whole sample parses");
        assert_eq!(whole.articles.len(), 1);
        for (cut, _) in sample.char_indices() {
            // Any answer will do; what matters is that there is one.
            let _ = parse_feed(&sample.as_bytes()[..cut]);
        }
        for (at, _) in sample.char_indices().step_by(3) {
            for damage in ["<", ">", "&", "\"", "]]>", "<![CDATA[", "</x>", "\u{0}"] {
                let damaged = format!("{}{damage}{}", &sample[..at], &sample[at..]);
                let _ = parse_feed(damaged.as_bytes());
            }
        }
    }
}
