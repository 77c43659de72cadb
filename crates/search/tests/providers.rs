//! Search against real HTTP servers on 127.0.0.1 serving a torrent site's pages,
//! a JSON movie API and a Jackett-style Torznab feed: what a user would see.

mod fixture;

use std::path::Path;
use std::time::{Duration, Instant};

use cloud_torrent_outbound::{ClientOptions, OutboundClient};
use cloud_torrent_search::{AddRequest, Resolved, SearchError, SearchQuery, Searcher};
use fixture::{APIKEY, Fixtures, failing, merged, providers};
use serde_json::{Value, json};

fn write(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_vec_pretty(v).unwrap()).unwrap();
}

/// The outbound client as the server builds it by default (allowPrivateUrls off).
fn client() -> OutboundClient {
    OutboundClient::new(ClientOptions::default()).unwrap()
}

fn searcher(dir: &tempfile::TempDir, providers: &Value) -> Searcher {
    let file = dir.path().join("search-providers.json");
    write(&file, providers);
    Searcher::new(Some(file), client()).unwrap()
}

async fn search(s: &Searcher, query: &str, provider: Option<&str>) -> Value {
    let answer = s
        .search(&SearchQuery {
            query: query.into(),
            provider: provider.map(Into::into),
            page: None,
        })
        .await
        .unwrap();
    serde_json::to_value(answer).unwrap()
}

fn find<'a>(results: &'a Value, name: &str) -> &'a Value {
    results["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result {name:?} in {results:#}"))
}

#[tokio::test]
async fn searching_every_provider_merges_their_results_by_seeders() {
    let f = Fixtures::fake();
    let site = fixture::start(f.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = searcher(&dir, &providers(&site.base));

    let providers: Vec<(String, String)> = s
        .providers()
        .into_iter()
        .map(|p| {
            (
                p.id,
                serde_json::to_value(p.kind)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        })
        .collect();
    assert_eq!(
        providers.len(),
        3,
        "the /item entry is not a provider: {providers:?}"
    );
    assert!(providers.contains(&("jackett".into(), "torznab".into())));
    assert!(providers.contains(&("site".into(), "scraper".into())));

    let answer = search(&s, "open movies", None).await;
    assert_eq!(answer["errors"], json!([]), "{answer:#}");
    let seeders: Vec<u64> = answer["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seeders"].as_u64().unwrap())
        .collect();
    assert_eq!(
        seeders,
        [1204, 640, 310, 88, 5],
        "sorted by seeders: {answer:#}"
    );

    // The torrent site: no magnet in the list, so an item for the second phase.
    let bunny = find(&answer, "Big Buck Bunny 1080p");
    assert_eq!(bunny["provider"], "site");
    assert_eq!(bunny["size"], 1_503_238_554u64);
    assert_eq!(bunny["sizeText"], "1.4 GB");
    assert_eq!(bunny["leechers"], 37);
    assert_eq!(
        bunny["url"],
        format!("{}/torrent/4242/Big-Buck-Bunny-1080p/", site.base)
    );
    assert_eq!(bunny["item"], "/torrent/4242/Big-Buck-Bunny-1080p/");
    assert!(bunny.get("magnet").is_none());
    assert_eq!(site.seen("list"), ["list open movies|1"]);

    // The JSON API and the indexer both have Sintel: folded into one result with
    // the API's seeders (more); its info hash became a magnet.
    let sintel = find(&answer, "Sintel (2010)");
    assert_eq!(sintel["infohash"], f.sintel);
    assert_eq!(sintel["seeders"], 310);
    assert_eq!(sintel["url"], format!("{}/movies/sintel-2010", site.base));
    assert!(
        sintel["magnet"]
            .as_str()
            .unwrap()
            .starts_with(&format!("magnet:?xt=urn:btih:{}", f.sintel)),
        "{sintel}"
    );
    assert_eq!(sintel["size"], 1_288_490_189u64);

    // The indexer: the download link is an opaque item without the apikey.
    let tears = find(&answer, "Tears of Steel 2012 1080p BluRay x264");
    assert_eq!(tears["provider"], "jackett");
    assert_eq!(tears["leechers"], 12);
    assert_eq!(tears["infohash"], f.tears);
    assert_eq!(tears["url"], "https://tracker.example/torrents/7001");
    assert!(tears.get("torrent").is_none() && tears.get("magnet").is_none());
    assert!(
        !answer.to_string().contains(APIKEY),
        "the apikey leaked: {answer:#}"
    );
    assert_eq!(
        site.seen("torznab"),
        ["torznab t=search q=open movies cat=2000,5000 offset=0"]
    );
}

#[tokio::test]
async fn the_item_phase_and_add_yield_the_magnet_and_the_torrent() {
    let f = Fixtures::fake();
    let site = fixture::start(f.clone()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = searcher(&dir, &providers(&site.base));
    let answer = search(&s, "bunny", Some("site")).await;
    let item = find(&answer, "Big Buck Bunny 1080p")["item"]
        .as_str()
        .unwrap()
        .to_owned();

    let links = s.item("site", &item).await.unwrap();
    let magnet = links.magnet.unwrap();
    assert!(
        magnet.starts_with(&format!(
            "magnet:?xt=urn:btih:{}&dn=Big+Buck+Bunny",
            f.bunny
        )),
        "{magnet}"
    );
    assert_eq!(links.infohash.as_deref(), Some(f.bunny.as_str()));

    let add = |provider: &str, item: &str| AddRequest {
        provider: provider.into(),
        item: Some(item.into()),
        ..AddRequest::default()
    };
    assert_eq!(
        s.resolve(&add("site", &item)).await.unwrap(),
        Resolved::Magnet(magnet)
    );

    // The indexer's link is fetched by the server, with the apikey put back.
    let answer = search(&s, "tears", Some("jackett")).await;
    let tears = find(&answer, "Tears of Steel 2012 1080p BluRay x264");
    let got = s
        .resolve(&add("jackett", tears["item"].as_str().unwrap()))
        .await
        .unwrap();
    assert_eq!(got, Resolved::Torrent(f.tears_torrent.clone()));
    assert_eq!(
        site.seen("download"),
        [format!("download opentracker key={APIKEY}")]
    );

    // A link that redirects to a magnet gives the magnet.
    let redirecting = format!("{}/dl/other/?jackett_apikey={{apikey}}&path=x", site.base);
    let got = s.resolve(&add("jackett", &redirecting)).await.unwrap();
    assert_eq!(
        got,
        Resolved::Magnet(format!("magnet:?xt=urn:btih:{}", f.sintel))
    );

    // A result with an info hash only becomes a magnet without any request.
    let got = s
        .resolve(&AddRequest {
            provider: "api".into(),
            infohash: Some(f.sintel.to_uppercase()),
            name: Some("Sintel".into()),
            ..AddRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(
        got,
        Resolved::Magnet(format!("magnet:?xt=urn:btih:{}&dn=Sintel", f.sintel))
    );

    // An item page that is gone says which provider failed and why.
    let err = s.item("site", "/torrent/9999/gone/").await.unwrap_err();
    assert!(
        matches!(&err, SearchError::Provider(p) if p.provider == "site" && p.reason.contains("404 Not Found")),
        "{err}"
    );
}

#[tokio::test]
async fn failing_providers_are_reported_while_the_others_answer() {
    let site = fixture::start(Fixtures::fake()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = searcher(&dir, &merged(providers(&site.base), failing(&site.base)));
    let started = Instant::now();
    let answer = search(&s, "bunny", None).await;
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(answer["results"].as_array().unwrap().len(), 5, "{answer:#}");
    let errors: Vec<(String, String)> = answer["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["provider"].as_str().unwrap().into(),
                e["error"].as_str().unwrap().into(),
            )
        })
        .collect();
    let error = |id: &str| {
        errors
            .iter()
            .find(|(p, _)| p == id)
            .map(|(_, e)| e.clone())
            .unwrap_or_else(|| panic!("no error for {id}: {errors:?}"))
    };
    assert_eq!(errors.len(), 3, "{errors:?}");
    assert_eq!(
        error("slow"),
        "no answer within 1 s (the provider's timeout)"
    );
    assert_eq!(
        error("broken"),
        "the site answered 500 Internal Server Error"
    );
    assert_eq!(
        error("changed"),
        "the list selector \"table.table-list tbody tr\" matched nothing: the site may have changed"
    );
    assert!(answer["errors"][0]["name"].is_string());
}

#[tokio::test]
async fn a_wrong_apikey_is_reported_without_showing_it() {
    let site = fixture::start(Fixtures::fake()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut p = providers(&site.base);
    p["jackett"]["apikey"] = json!("wrong-key-123");
    let s = searcher(&dir, &p);
    let answer = search(&s, "x", Some("jackett")).await;
    assert_eq!(answer["results"], json!([]));
    assert_eq!(answer["errors"][0]["provider"], "jackett");
    assert_eq!(
        answer["errors"][0]["error"],
        "the indexer answered error 100: Invalid API Key"
    );
}

#[tokio::test]
async fn queries_pages_and_form_bodies_reach_the_site_intact() {
    let site = fixture::start(Fixtures::fake()).await;
    let dir = tempfile::tempdir().unwrap();
    let mut p = providers(&site.base);
    p["site"]["url"] = json!(format!(
        "{}/search/{{{{query}}}}/{{{{page:0}}}}/",
        site.base
    ));
    p["post"] = json!({
        "name": "Form Site", "url": format!("{}/form-search", site.base), "method": "POST",
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        "body": "keyword={{query}}&sort=seeders",
        "list": "table.table-list tbody tr", "result": {"name": ".coll-1 a:nth-child(2)"}
    });
    let s = searcher(&dir, &p);
    let answer = s
        .search(&SearchQuery {
            query: "AC/DC & co?".into(),
            provider: Some("site".into()),
            page: Some(3),
        })
        .await
        .unwrap();
    assert!(answer.errors.is_empty(), "{:?}", answer.errors);
    // {{page:0}} counts from 0: the third page is 2.
    assert_eq!(site.seen("list"), ["list AC/DC & co?|2"]);
    let answer = search(&s, "a&b c", Some("post")).await;
    assert_eq!(answer["results"].as_array().unwrap().len(), 2, "{answer:#}");
    assert_eq!(site.seen("form"), ["form keyword=a%26b+c&sort=seeders"]);
}

#[tokio::test]
async fn the_providers_file_is_reloaded_when_it_changes() {
    let site = fixture::start(Fixtures::fake()).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("search-providers.json");
    let mut p = providers(&site.base);
    let s = searcher(&dir, &p);
    assert_eq!(s.providers().len(), 3);

    p["site"]["name"] = json!("Renamed Site");
    p.as_object_mut().unwrap().remove("jackett");
    write(&file, &p);
    let names: Vec<String> = s.providers().into_iter().map(|p| p.name).collect();
    assert_eq!(names.len(), 2);
    assert!(names.contains(&"Renamed Site".to_owned()), "{names:?}");

    // A broken edit keeps the previous providers and says why.
    std::fs::write(&file, b"{ \"site\": { \"url\": ").unwrap();
    assert_eq!(s.providers().len(), 2);
    let answer = search(&s, "bunny", None).await;
    assert_eq!(answer["results"].as_array().unwrap().len(), 4, "{answer:#}");
    let problem = &answer["errors"][0];
    assert_eq!(problem["provider"], "search-providers.json");
    let msg = problem["error"].as_str().unwrap();
    assert!(
        msg.contains("not valid") && msg.contains("still using the providers loaded before"),
        "{msg}"
    );
    assert!(
        !msg.contains(dir.path().to_str().unwrap()),
        "no server paths: {msg}"
    );

    // Fixing it clears the problem.
    write(&file, &providers(&site.base));
    let answer = search(&s, "bunny", None).await;
    assert_eq!(answer["errors"], json!([]));
    assert_eq!(s.providers().len(), 3);
}

#[tokio::test]
async fn links_cannot_reach_hosts_that_are_not_providers() {
    let site = fixture::start(Fixtures::fake()).await;
    let dir = tempfile::tempdir().unwrap();
    let s = searcher(&dir, &providers(&site.base));
    let add = |provider: &str, item: Option<&str>, torrent: Option<&str>| AddRequest {
        provider: provider.into(),
        item: item.map(Into::into),
        torrent: torrent.map(Into::into),
        ..AddRequest::default()
    };
    let port = site.addr.port();

    // A .torrent on another loopback address is refused before any connection.
    let err = s
        .resolve(&add(
            "site",
            None,
            Some(&format!("http://127.0.0.2:{port}/x.torrent")),
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("only by a provider's own requests"), "{err}");
    // So is a link the client sends on the provider's own origin: no provider
    // vouches for it.
    let err = s
        .resolve(&add(
            "site",
            None,
            Some(&format!("{}/to-private.torrent", site.base)),
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("only by a provider's own requests") && !err.contains("redirect"),
        "{err}"
    );
    // An indexer's item on its own origin is fetched, but its redirect to another
    // loopback address is refused.
    let err = s
        .resolve(&add(
            "jackett",
            Some(&format!("{}/to-private.torrent", site.base)),
            None,
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("redirect was refused"), "{err}");
    // The apikey goes back only to the indexer's address.
    let err = s
        .resolve(&add(
            "jackett",
            Some(&format!("http://127.0.0.2:{port}/dl/x/?k={{apikey}}")),
            None,
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("not a download link of this indexer"), "{err}");
    // Items cannot leave the site or use other schemes.
    for bad in [
        "//127.0.0.2/x",
        "http://127.0.0.2/",
        "file:///etc/passwd",
        "@127.0.0.2/x",
    ] {
        let err = s.item("site", bad).await.unwrap_err();
        assert!(matches!(err, SearchError::BadRequest(_)), "{bad}: {err}");
        let err = err.to_string();
        assert!(
            err.contains("provider's site") || err.contains("another site"),
            "{bad}: {err}"
        );
    }
    assert!(matches!(
        s.resolve(&add("nope", Some("/x"), None)).await,
        Err(SearchError::UnknownProvider(_))
    ));
    assert!(site.seen("download").is_empty());
}

#[tokio::test]
async fn without_a_file_search_says_how_to_configure_it() {
    let s = Searcher::new(None, client()).unwrap();
    assert!(s.providers().is_empty());
    let err = s
        .search(&SearchQuery {
            query: "x".into(),
            ..SearchQuery::default()
        })
        .await
        .unwrap_err();
    assert!(err.to_string().contains("--search-config"), "{err}");
    let missing = Searcher::new(Some("/nonexistent/dir/providers.json".into()), client())
        .err()
        .unwrap()
        .to_string();
    assert!(
        missing.contains("providers.json: cannot read it"),
        "{missing}"
    );
    assert!(!missing.contains("/nonexistent"), "{missing}");
}
