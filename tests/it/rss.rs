//! RSS against a feed site on loopback whose feeds change between fetches: every feed
//! format read, rules taking exactly what they match (and the torrents downloading from
//! loopback seeders), the smart filter, a history that holds across a restart and a rule
//! edit, the preview equal to what `apply` downloads, a failing .torrent retried with
//! backoff, feeds that fail saying why, conditional fetches, and bad input.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use cloud_torrent_server::{RssTiming, ServerConfig};
use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

/// What the feed site answers at one path.
#[derive(Clone)]
enum Page {
    /// 200 with this content type and body, and an `ETag` when given (then a request
    /// with a matching `If-None-Match` gets a 304).
    Body {
        content_type: &'static str,
        body: Vec<u8>,
        etag: Option<&'static str>,
    },
    /// An empty answer with this status.
    Status(u16),
    /// Waits this long before answering 200 with an empty feed.
    Slow(Duration),
    /// Answers 500 this many times, then like the page.
    FailFirst(u32, Box<Page>),
}

/// A feed site on 127.0.0.1 whose pages the test changes between fetches; it counts
/// the requests of each path and keeps the `If-None-Match` headers it got.
#[derive(Clone, Default)]
struct Site {
    pages: Arc<Mutex<HashMap<String, Page>>>,
    hits: Arc<Mutex<HashMap<String, u32>>>,
    validators: Arc<Mutex<Vec<String>>>,
    base: Arc<Mutex<String>>,
}

impl Site {
    async fn start() -> Site {
        let site = Site::default();
        let app = axum::Router::new()
            .fallback(answer)
            .with_state(site.clone());
        let addr: SocketAddr = serve_web(app).await;
        *site.base.lock().unwrap() = format!("http://{addr}");
        site
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.lock().unwrap())
    }

    fn set(&self, path: &str, page: Page) {
        self.pages.lock().unwrap().insert(path.to_owned(), page);
    }

    fn xml(&self, path: &str, body: String) {
        self.set(
            path,
            Page::Body {
                content_type: "application/rss+xml",
                body: body.into_bytes(),
                etag: None,
            },
        );
    }

    fn torrent(&self, path: &str, bytes: &[u8]) {
        self.set(
            path,
            Page::Body {
                content_type: "application/x-bittorrent",
                body: bytes.to_vec(),
                etag: None,
            },
        );
    }

    fn hits(&self, path: &str) -> u32 {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

async fn answer(State(site): State<Site>, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let count = {
        let mut hits = site.hits.lock().unwrap();
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let page = site.pages.lock().unwrap().get(&path).cloned();
    let mut page = match page {
        Some(page) => page,
        None => return StatusCode::NOT_FOUND.into_response(),
    };
    if let Page::FailFirst(fails, then) = page {
        if count <= fails {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        page = *then;
    }
    match page {
        Page::Body {
            content_type,
            body,
            etag,
        } => {
            let asked = request
                .headers()
                .get("if-none-match")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            if let Some(asked) = &asked {
                site.validators.lock().unwrap().push(asked.clone());
            }
            let mut headers = HeaderMap::new();
            headers.insert("content-type", HeaderValue::from_static(content_type));
            if let Some(etag) = etag {
                headers.insert("etag", HeaderValue::from_static(etag));
                if asked.as_deref() == Some(etag) {
                    return (StatusCode::NOT_MODIFIED, headers).into_response();
                }
            }
            (headers, body).into_response()
        }
        Page::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Page::Slow(wait) => {
            tokio::time::sleep(wait).await;
            rss(&[]).into_response()
        }
        Page::FailFirst(..) => unreachable!("one level"),
    }
}

/// An RSS 2.0 item: a title, a guid, and what else it holds (enclosure, link, attrs).
fn item(title: &str, guid: &str, inner: &str) -> String {
    format!("<item><title>{title}</title><guid isPermaLink=\"false\">{guid}</guid>{inner}</item>")
}

fn enclosure(url: &str) -> String {
    format!("<enclosure url=\"{url}\" type=\"application/x-bittorrent\" length=\"1000\"/>")
}

fn magnet_link(hash: &str, peer: Option<SocketAddr>) -> String {
    let peer = peer.map(|p| format!("&amp;x.pe={p}")).unwrap_or_default();
    format!("<link>magnet:?xt=urn:btih:{hash}{peer}</link>")
}

/// An RSS 2.0 feed of `items`, newest first as feeds list them.
fn rss(items: &[String]) -> String {
    format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\" xmlns:torznab=\"http://torznab.com/schemas/2015/feed\"><channel><title>Test feed</title>{}</channel></rss>",
        items.concat()
    )
}

fn hash(n: u8) -> String {
    format!("{n:02x}").repeat(20)
}

async fn add_feed(server: &Api, url: &str) -> u64 {
    let (status, feed) = server
        .post_json("/api/v1/rss/feeds", json!({ "url": url }))
        .await;
    assert_eq!(status, 201, "{feed}");
    feed["id"].as_u64().unwrap()
}

async fn refresh(server: &Api, feed: u64) -> Value {
    let (status, view) = server
        .post_json(&format!("/api/v1/rss/feeds/{feed}/refresh"), json!({}))
        .await;
    assert_eq!(status, 200, "{view}");
    view
}

async fn articles(server: &Api, feed: u64) -> Vec<Value> {
    let (status, list) = server
        .get_json(&format!("/api/v1/rss/feeds/{feed}/articles"))
        .await;
    assert_eq!(status, 200, "{list}");
    list.as_array().unwrap().clone()
}

/// The article of `feed` titled `title`.
async fn article(server: &Api, feed: u64, title: &str) -> Value {
    articles(server, feed)
        .await
        .into_iter()
        .find(|a| a["title"] == title)
        .unwrap_or_else(|| panic!("no article {title:?}"))
}

/// Waits until the article titled `title` has `status`; returns it.
async fn wait_article(server: &Api, feed: u64, title: &str, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let a = article(server, feed, title).await;
        if a["status"] == status {
            return a;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("article {title:?} never became {status}: {a:#}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn put_rule(server: &Api, name: &str, rule: Value) -> (u16, Value) {
    let (status, json, _) = server
        .send(
            "PUT",
            &format!("/api/v1/rss/rules/{name}"),
            Some("application/json"),
            rule.to_string().into_bytes(),
        )
        .await;
    (status, json)
}

async fn torrent_hashes(server: &Api) -> Vec<String> {
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    let mut hashes: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["infoHash"].as_str().unwrap().to_owned())
        .collect();
    hashes.sort();
    hashes
}

/// Statuses of a feed's articles by title.
async fn statuses(server: &Api, feed: u64) -> HashMap<String, String> {
    articles(server, feed)
        .await
        .into_iter()
        .map(|a| {
            (
                a["title"].as_str().unwrap().to_owned(),
                a["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn fast_timing() -> RssTiming {
    RssTiming {
        fetch_timeout: Duration::from_secs(2),
        retry_first: Duration::from_millis(300),
        retry_max: Duration::from_secs(1),
        give_up_after: Duration::from_secs(4),
        check_every: Duration::from_millis(100),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_feed_format_is_read_and_rules_take_exactly_what_they_match() {
    let dirs = Dirs::new();
    let mut settings = test_settings(&dirs);
    let incoming = fixed_incoming_port(&mut settings);
    let server = TestServer::start(settings).await;
    let site = Site::start().await;

    let ep1 = make_payload(
        &dirs.data,
        "Show.S01E01",
        &[("a.mkv", 300_001), ("a.nfo", 1_001)],
    )
    .await;
    let ep2 = make_payload(&dirs.data, "Show.S01E02", &[("", 200_003)]).await;
    let film = make_payload(&dirs.data, "Film.2026", &[("", 400_007)]).await;
    let album = make_payload(&dirs.data, "Album.FLAC", &[("", 150_011)]).await;
    let magnet_seeder = Seeder::start(&ep2, "127.0.0.81", None, &[]).await;
    site.torrent("/t/ep1.torrent", &ep1.torrent);
    site.torrent("/t/film.torrent", &film.torrent);
    site.torrent("/t/album.torrent", &album.torrent);

    // RSS 2.0: an enclosure, a magnet in <link>, and one the rule excludes.
    site.xml(
        "/shows.xml",
        rss(&[
            item("Show S01E03 720p", "show-3", &magnet_link(&hash(3), None)),
            item(
                "Show S01E02 1080p",
                "show-2",
                &magnet_link(&ep2.info_hash, Some(magnet_seeder.addr)),
            ),
            item(
                "Show S01E01 1080p",
                "show-1",
                &enclosure(&site.url("/t/ep1.torrent")),
            ),
        ]),
    );
    // Atom with <link rel="enclosure">.
    site.xml(
        "/films.atom",
        format!(
            "<?xml version=\"1.0\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Films</title>\
             <entry><title>Film.2026.1080p</title><id>urn:film:1</id><updated>2026-11-29T10:00:00Z</updated>\
             <link rel=\"enclosure\" type=\"application/x-bittorrent\" href=\"{}\"/></entry>\
             <entry><title>Film.Trailer</title><id>urn:film:2</id><updated>2026-11-28T10:00:00Z</updated>\
             <link rel=\"enclosure\" type=\"application/x-bittorrent\" href=\"{}\"/></entry></feed>",
            site.url("/t/film.torrent"),
            site.url("/t/film.torrent")
        ),
    );
    // Torznab attributes.
    site.xml(
        "/indexer.xml",
        rss(&[item(
            "Album FLAC",
            "album-1",
            &format!(
                "{}<torznab:attr name=\"size\" value=\"150011\"/><torznab:attr name=\"seeders\" value=\"7\"/>\
                 <torznab:attr name=\"infohash\" value=\"{}\"/>",
                enclosure(&site.url("/t/album.torrent")),
                album.info_hash
            ),
        )]),
    );

    // Rules first, then the feeds: new articles are judged on arrival.
    for (name, rule) in [
        (
            "shows",
            json!({"mustContain": "show 1080p|show 2160p", "mustNotContain": "720p"}),
        ),
        (
            "films",
            json!({"useRegex": true, "mustContain": r"^Film\.\d{4}\."}),
        ),
        (
            "music",
            json!({"mustContain": "flac", "category": "music", "tags": ["rss"]}),
        ),
    ] {
        let (status, saved) = put_rule(&server, name, rule).await;
        assert_eq!(status, 201, "{saved}");
    }
    let shows = add_feed(&server, &site.url("/shows.xml")).await;
    let films = add_feed(&server, &site.url("/films.atom")).await;
    let indexer = add_feed(&server, &site.url("/indexer.xml")).await;
    for feed in [shows, films, indexer] {
        let view = refresh(&server, feed).await;
        assert_eq!(view["status"], "ok", "{view}");
        assert!(view["error"].is_null(), "{view}");
    }

    let shows_status = statuses(&server, shows).await;
    assert_eq!(shows_status["Show S01E03 720p"], "new", "{shows_status:?}");
    let films_status = statuses(&server, films).await;
    assert_eq!(films_status["Film.Trailer"], "new");
    // The indexer's attributes are shown.
    let a = article(&server, indexer, "Album FLAC").await;
    assert_eq!(a["size"], 150_011);
    assert_eq!(a["seeders"], 7);
    assert_eq!(a["infoHash"], album.info_hash.as_str());
    assert_eq!(a["rule"], "music");

    for (feed, title) in [
        (shows, "Show S01E01 1080p"),
        (shows, "Show S01E02 1080p"),
        (films, "Film.2026.1080p"),
        (indexer, "Album FLAC"),
    ] {
        wait_article(&server, feed, title, "downloaded").await;
    }
    let mut expected = vec![
        ep1.info_hash.clone(),
        ep2.info_hash.clone(),
        film.info_hash.clone(),
        album.info_hash.clone(),
    ];
    expected.sort();
    assert_eq!(
        torrent_hashes(&server).await,
        expected,
        "exactly what the rules took"
    );
    let music = server.torrent(&album.info_hash).await;
    assert_eq!(music["category"], "music");
    assert_eq!(music["tags"], json!(["rss"]));
    let (_, rule) = server.get_json("/api/v1/rss/rules/music").await;
    assert!(rule["lastMatch"].is_string(), "{rule}");

    // An article no rule took, downloaded by hand with the options of an add.
    let excluded = article(&server, shows, "Show S01E03 720p").await;
    let (status, added) = server
        .post_json(
            &format!(
                "/api/v1/rss/feeds/{shows}/articles/{}/download",
                excluded["id"]
            ),
            json!({"paused": true, "category": "tv", "tags": ["by-hand"]}),
        )
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(added["infoHash"], hash(3).as_str());
    assert_eq!(added["category"], "tv");
    assert_eq!(added["tags"], json!(["by-hand"]));
    assert_eq!(added["state"], "paused", "{added}");
    let by_hand = article(&server, shows, "Show S01E03 720p").await;
    assert_eq!(by_hand["status"], "downloaded", "{by_hand}");
    assert!(by_hand["rule"].is_null());

    // The .torrent ones have no peers yet: seeders dial the server.
    let mut seeders = Vec::new();
    for (payload, ip) in [
        (&ep1, "127.0.0.82"),
        (&film, "127.0.0.83"),
        (&album, "127.0.0.84"),
    ] {
        seeders.push(Seeder::start(payload, ip, None, &[incoming]).await);
    }
    for payload in [&ep1, &ep2, &film, &album] {
        server
            .wait_state(&payload.info_hash, "seeding", TIMEOUT)
            .await;
    }
    assert_same_file(
        &dirs.downloads.join("Show.S01E01/a.mkv"),
        &ep1.root.join("a.mkv"),
    );
    assert_same_file(&dirs.downloads.join("music/Album.FLAC"), &album.root);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_smart_filter_and_the_history_hold_across_restarts_edits_and_reordering() {
    let dirs = Dirs::new();
    let site = Site::start().await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let e02_720 = item("Show S01E02 720p", "g-720", &magnet_link(&hash(1), None));
    let e02_1080 = item("Show S01E02 1080p", "g-1080", &magnet_link(&hash(2), None));
    site.xml("/show.xml", rss(&[e02_1080.clone(), e02_720.clone()]));
    let (status, rule) = put_rule(
        &server,
        "show",
        json!({"mustContain": "show", "smartFilter": true, "episodeFilter": "1x1-5;"}),
    )
    .await;
    assert_eq!(status, 201, "{rule}");
    let feed = add_feed(&server, &site.url("/show.xml")).await;
    refresh(&server, feed).await;

    // Oldest first: the 720p is taken, the 1080p is the same episode.
    wait_article(&server, feed, "Show S01E02 720p", "downloaded").await;
    let skipped = article(&server, feed, "Show S01E02 1080p").await;
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    assert_eq!(skipped["rule"], "show");
    assert_eq!(skipped["reason"], "episode S01E02 was taken already");

    // A REPACK of it is taken once more; a PROPER after that is not; S02 is outside the
    // episode filter.
    let repack = item(
        "Show S01E02 REPACK 720p",
        "g-repack",
        &magnet_link(&hash(3), None),
    );
    let s02 = item("Show S02E01 720p", "g-s02", &magnet_link(&hash(4), None));
    site.xml(
        "/show.xml",
        rss(&[
            s02.clone(),
            repack.clone(),
            e02_1080.clone(),
            e02_720.clone(),
        ]),
    );
    refresh(&server, feed).await;
    wait_article(&server, feed, "Show S01E02 REPACK 720p", "downloaded").await;
    let proper = item(
        "Show S01E02 PROPER 1080p",
        "g-proper",
        &magnet_link(&hash(5), None),
    );
    site.xml(
        "/show.xml",
        rss(&[
            proper.clone(),
            s02.clone(),
            repack.clone(),
            e02_1080.clone(),
            e02_720.clone(),
        ]),
    );
    refresh(&server, feed).await;
    let status = statuses(&server, feed).await;
    assert_eq!(status["Show S01E02 PROPER 1080p"], "skipped", "{status:?}");
    assert_eq!(status["Show S02E01 720p"], "new", "{status:?}");
    assert_eq!(torrent_hashes(&server).await, [hash(1), hash(3)]);

    // Delete a downloaded torrent and restart: nothing comes back, even with the feed
    // re-ordered and an old release re-posted under a new guid (same info hash).
    assert_eq!(server.delete_torrent(&hash(1), "").await, 204);
    server.stop().await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let status = statuses(&server, feed).await;
    assert_eq!(status["Show S01E02 720p"], "downloaded", "{status:?}");
    let (_, rule) = server.get_json("/api/v1/rss/rules/show").await;
    assert!(rule["lastMatch"].is_string(), "{rule}");
    let reposted = item(
        "Show S01E02 720p",
        "g-720-again",
        &magnet_link(&hash(1), None),
    );
    site.xml(
        "/show.xml",
        rss(&[
            e02_720.clone(),
            e02_1080.clone(),
            repack.clone(),
            s02.clone(),
            proper.clone(),
            reposted,
        ]),
    );
    refresh(&server, feed).await;
    let again = articles(&server, feed)
        .await
        .into_iter()
        .find(|a| a["guid"] == "g-720-again")
        .unwrap();
    assert_eq!(again["status"], "skipped", "{again}");
    assert_eq!(again["reason"], "the article was downloaded already");
    assert_eq!(torrent_hashes(&server).await, [hash(3)]);

    // Editing the rule (smart filter off) re-downloads nothing by itself...
    let (status, _) = put_rule(&server, "show", json!({"mustContain": "show 1080p"})).await;
    assert_eq!(status, 200);
    refresh(&server, feed).await;
    assert_eq!(torrent_hashes(&server).await, [hash(3)]);
    // ...the preview lists what it would take now, with a reason for the rest...
    let (status, preview) = server
        .post_json("/api/v1/rss/preview", json!({"name": "show"}))
        .await;
    assert_eq!(status, 200, "{preview}");
    let preview = preview.as_array().unwrap();
    let taken: Vec<&str> = preview
        .iter()
        .filter(|p| p["take"] == true)
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(taken, ["Show S01E02 1080p", "Show S01E02 PROPER 1080p"]);
    let e720 = preview
        .iter()
        .find(|p| p["title"] == "Show S01E02 720p")
        .unwrap();
    assert_eq!(e720["take"], false);
    assert_eq!(e720["reason"], "the title lacks \"1080p\"");
    // ...and apply downloads exactly that.
    let (status, applied) = server
        .post_json("/api/v1/rss/rules/show/apply", json!({}))
        .await;
    assert_eq!(status, 200, "{applied}");
    let applied: Vec<&str> = applied["taken"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(applied, taken);
    wait_article(&server, feed, "Show S01E02 PROPER 1080p", "downloaded").await;
    wait_article(&server, feed, "Show S01E02 1080p", "downloaded").await;
    let mut want = vec![hash(2), hash(3), hash(5)];
    want.sort();
    assert_eq!(torrent_hashes(&server).await, want);
    // A second apply takes nothing.
    let (_, applied) = server
        .post_json("/api/v1/rss/rules/show/apply", json!({}))
        .await;
    assert_eq!(applied["taken"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failed_downloads_are_retried_and_failing_feeds_say_why() {
    let dirs = Dirs::new();
    let site = Site::start().await;
    let server = TestServer::start_with(ServerConfig {
        rss: fast_timing(),
        ..server_config(test_settings(&dirs))
    })
    .await;
    let data = make_payload(&dirs.data, "flaky.bin", &[("", 100_003)]).await;
    site.set(
        "/flaky.torrent",
        Page::FailFirst(
            2,
            Box::new(Page::Body {
                content_type: "application/x-bittorrent",
                body: data.torrent.clone(),
                etag: None,
            }),
        ),
    );
    site.torrent("/garbage.torrent", b"<html>not a torrent</html>");
    site.set(
        "/feed.xml",
        Page::Body {
            content_type: "application/rss+xml",
            body: rss(&[
                item("Flaky", "flaky", &enclosure(&site.url("/flaky.torrent"))),
                item(
                    "Garbage",
                    "garbage",
                    &enclosure(&site.url("/garbage.torrent")),
                ),
            ])
            .into_bytes(),
            etag: Some("\"v1\""),
        },
    );
    let (status, _) = put_rule(&server, "all", json!({})).await;
    assert_eq!(status, 201);
    let feed = add_feed(&server, &site.url("/feed.xml")).await;
    refresh(&server, feed).await;

    // Fails twice (500), then works.
    let flaky = wait_article(&server, feed, "Flaky", "downloaded").await;
    assert_eq!(flaky["torrent"], data.info_hash.as_str());
    assert_eq!(site.hits("/flaky.torrent"), 3);
    // Never a torrent: retried with backoff, then failed with the reason.
    let pending = article(&server, feed, "Garbage").await;
    if pending["status"] == "pending" {
        assert!(
            pending["reason"]
                .as_str()
                .unwrap()
                .contains("invalid .torrent"),
            "{pending}"
        );
        assert!(pending["retryAt"].is_string(), "{pending}");
    }
    let garbage = wait_article(&server, feed, "Garbage", "failed").await;
    assert!(
        garbage["reason"]
            .as_str()
            .unwrap()
            .contains("invalid .torrent"),
        "{garbage}"
    );
    let tries = site.hits("/garbage.torrent");
    // 300 ms doubling, at most 1 s, for 4 s: about 6 attempts, certainly more than 2
    // and far fewer than one per check (every 100 ms).
    assert!((3..=10).contains(&tries), "{tries} attempts");
    assert_eq!(torrent_hashes(&server).await, vec![data.info_hash.clone()]);

    // Later fetches are conditional: the site's 304 keeps everything as it was.
    let before = site.validators.lock().unwrap().len();
    let view = refresh(&server, feed).await;
    assert_eq!(view["status"], "ok", "{view}");
    let validators = site.validators.lock().unwrap().clone();
    assert_eq!(validators.len(), before + 1);
    assert!(validators.iter().all(|v| v == "\"v1\""), "{validators:?}");
    assert_eq!(articles(&server, feed).await.len(), 2);

    // Feeds that fail say why, and wait longer after each failure.
    site.set("/broken.xml", Page::Status(500));
    site.set(
        "/malformed.xml",
        Page::Body {
            content_type: "application/rss+xml",
            body: b"<rss><channel><item><title>x</item></rss>".to_vec(),
            etag: None,
        },
    );
    site.set("/slow.xml", Page::Slow(Duration::from_secs(5)));
    for (path, why) in [
        (
            "/broken.xml",
            "the server answered 500 Internal Server Error",
        ),
        ("/malformed.xml", "the feed cannot be read"),
        ("/slow.xml", "the request timed out"),
    ] {
        let id = add_feed(&server, &site.url(path)).await;
        let view = refresh(&server, id).await;
        assert_eq!(view["status"], "error", "{view}");
        let error = view["error"].as_str().unwrap();
        assert!(error.contains(why), "{path}: {error}");
        assert!(!error.contains(dirs.root().to_str().unwrap()));
        let failures = view["failures"].as_u64().unwrap();
        assert!(failures >= 1, "{view}");
        let view = refresh(&server, id).await;
        assert_eq!(view["failures"].as_u64().unwrap(), failures + 1, "{view}");
        assert!(view["nextFetch"].as_str().unwrap() > view["lastFetch"].as_str().unwrap());
    }
    // The feed that works is unaffected.
    let (_, feeds) = server.get_json("/api/v1/rss/feeds").await;
    assert_eq!(feeds[0]["status"], "ok", "{feeds}");
    assert_eq!(feeds.as_array().unwrap().len(), 4);
    // A slow feed holds up no other: while its fetch waits, another feed is refreshed.
    let slow = feeds
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["url"].as_str().unwrap().ends_with("/slow.xml"))
        .unwrap()["id"]
        .as_u64()
        .unwrap();
    let api = Api::new(server.url(""));
    let slow_refresh = tokio::spawn(async move { refresh(&api, slow).await });
    wait_for("the slow feed's fetch to start", TIMEOUT, || async {
        let (_, feeds) = server.get_json("/api/v1/rss/feeds").await;
        feeds
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == slow && f["status"] == "fetching")
    })
    .await;
    let view = refresh(&server, feed).await;
    assert_eq!(view["status"], "ok", "{view}");
    assert!(
        !slow_refresh.is_finished(),
        "the other feed was refreshed while the slow one was still being fetched"
    );
    let slow_view = slow_refresh.await.unwrap();
    assert_eq!(slow_view["status"], "error", "{slow_view}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_rss_input_gets_a_clear_error_and_private_links_are_refused() {
    let dirs = Dirs::new();
    let site = Site::start().await;
    let other = Site::start().await;
    let mut settings = test_settings(&dirs);
    settings.allow_private_urls = false;
    let server = TestServer::start_with(ServerConfig {
        rss: fast_timing(),
        ..server_config(settings)
    })
    .await;
    let data = make_payload(&dirs.data, "elsewhere.bin", &[("", 100_003)]).await;
    other.torrent("/x.torrent", &data.torrent);
    site.xml(
        "/feed.xml",
        rss(&[item("Elsewhere", "e", &enclosure(&other.url("/x.torrent")))]),
    );

    for (body, status, words) in [
        (json!({"url": "ftp://x.example/feed"}), 400, "http or https"),
        (json!({"url": "not a url"}), 400, "url"),
        (
            json!({"url": site.url("/feed.xml"), "refreshMinutes": 4}),
            400,
            "refreshMinutes",
        ),
        (
            json!({"url": site.url("/feed.xml"), "extra": 1}),
            400,
            "extra",
        ),
    ] {
        let (got, e) = server.post_json("/api/v1/rss/feeds", body.clone()).await;
        assert_eq!(got, status, "{body}: {e}");
        assert!(e["error"].as_str().unwrap().contains(words), "{body}: {e}");
    }
    // The feed's own origin may be private (the user configured it)...
    let feed = add_feed(&server, &site.url("/feed.xml")).await;
    let (status, e) = server
        .post_json("/api/v1/rss/feeds", json!({"url": site.url("/feed.xml")}))
        .await;
    assert_eq!(status, 409, "{e}");
    let view = refresh(&server, feed).await;
    assert_eq!(view["status"], "ok", "{view}");
    // ...but what it links to elsewhere follows allowPrivateUrls: refused, not retried.
    let (status, _) = put_rule(&server, "all", json!({})).await;
    assert_eq!(status, 201);
    let (status, applied) = server
        .post_json("/api/v1/rss/rules/all/apply", json!({}))
        .await;
    assert_eq!(status, 200, "{applied}");
    let failed = wait_article(&server, feed, "Elsewhere", "failed").await;
    assert!(
        failed["reason"]
            .as_str()
            .unwrap()
            .contains("allowPrivateUrls"),
        "{failed}"
    );
    assert_eq!(other.hits("/x.torrent"), 0);
    let id = failed["id"].as_u64().unwrap();
    let download = format!("/api/v1/rss/feeds/{feed}/articles/{id}/download");
    let (status, e) = server.post_json(&download, json!({})).await;
    assert_eq!(status, 422, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("allowPrivateUrls"),
        "{e}"
    );
    let (status, e) = server
        .post_json(
            &download,
            json!({"magnet": format!("magnet:?xt=urn:btih:{}", hash(9))}),
        )
        .await;
    assert_eq!(status, 400, "{e}");

    for (rule, words) in [
        (
            json!({"useRegex": true, "mustContain": "(unclosed"}),
            "mustContain",
        ),
        (json!({"episodeFilter": "x1-"}), "episodeFilter"),
        (json!({"feeds": [999]}), "no feed 999"),
        (json!({"category": "../up"}), "category"),
        (json!({"tags": ["a,b"]}), "tag"),
        (json!({"colour": "red"}), "colour"),
        (json!({"ignoreDays": 4000}), "ignoreDays"),
    ] {
        let (status, e) = put_rule(&server, "bad", rule.clone()).await;
        assert_eq!(status, 400, "{rule}: {e}");
        assert!(e["error"].as_str().unwrap().contains(words), "{rule}: {e}");
    }
    let (status, e) = put_rule(&server, "%20spaced", json!({})).await;
    assert_eq!(status, 400, "{e}");
    let (status, e) = server
        .post_json(
            "/api/v1/rss/preview",
            json!({"rule": {"useRegex": true, "mustNotContain": "["}}),
        )
        .await;
    assert_eq!(status, 400, "{e}");
    assert!(
        e["error"].as_str().unwrap().contains("mustNotContain"),
        "{e}"
    );
    let (status, e) = server.post_json("/api/v1/rss/preview", json!({})).await;
    assert_eq!(status, 400, "{e}");
    let (status, _) = server
        .post_json("/api/v1/rss/preview", json!({"name": "nope"}))
        .await;
    assert_eq!(status, 404);
    for path in ["/api/v1/rss/feeds/999/articles", "/api/v1/rss/rules/nope"] {
        let (status, e) = server.get_json(path).await;
        assert_eq!(status, 404, "{path}: {e}");
    }
    let (status, _) = server
        .post_json(
            &format!("/api/v1/rss/feeds/{feed}/articles/999/download"),
            json!({}),
        )
        .await;
    assert_eq!(status, 404);

    // Deleting the feed disables the rule that watched only it.
    let (status, _) = put_rule(&server, "only", json!({"feeds": [feed]})).await;
    assert_eq!(status, 201);
    let (status, _, _) = server
        .send("DELETE", &format!("/api/v1/rss/feeds/{feed}"), None, vec![])
        .await;
    assert_eq!(status, 204);
    let (_, only) = server.get_json("/api/v1/rss/rules/only").await;
    assert_eq!(only["enabled"], false, "{only}");
    assert_eq!(only["feeds"], json!([]));
    server.stop().await;
}
