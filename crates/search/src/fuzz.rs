//! Property tests on hostile input: templates, extractors, pages, JSON and
//! Torznab answers never panic, stay within their bounds, and an `{{item}}`
//! never takes a request to another site.

use std::time::{Duration, Instant};

use proptest::prelude::*;
use serde_json::Value;

use crate::config::{Kind, Provider, parse};
use crate::extract::Extractor;
use crate::template::Template;

fn provider(json: &str) -> std::sync::Arc<Provider> {
    parse(json).unwrap().providers[0].clone()
}

fn list_endpoint(p: &Provider) -> &crate::config::Endpoint {
    match &p.kind {
        Kind::Scraper { list, .. } => list,
        Kind::Torznab(_) => panic!("not a scraper"),
    }
}

/// Extractors people write, plus broken ones.
fn extractor() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_owned()),
        Just("td:nth-child(2)".to_owned()),
        Just("div div div".to_owned()),
        Just("*".to_owned()),
        Just("@href".to_owned()),
        Just("html()".to_owned()),
        Just("trim()".to_owned()),
        Just("first()".to_owned()),
        Just("node(1)".to_owned()),
        Just("/(\\w+)/".to_owned()),
        Just("/(a*)*b/".to_owned()),
        Just("s/\\s+/ /g".to_owned()),
        Just("query-param(id)".to_owned()),
        "\\PC{0,12}",
    ]
}

/// HTML-ish text: tags, attributes, entities and junk.
fn page() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("<div>".to_owned()),
            Just("</div>".to_owned()),
            Just("<tr><td><a href=\"/t?id=1\">x</a></td>".to_owned()),
            Just("<table><tbody>".to_owned()),
            Just("&amp;&#xFFFF;&bogus;".to_owned()),
            Just("<a href=magnet:?xt=urn:btih:".to_owned()),
            "\\PC{0,20}",
        ],
        0..60,
    )
    .prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn templates_never_panic_and_escape_the_query(src in "\\PC{0,80}", q in "\\PC{0,40}") {
        let t = Template::parse(&src);
        let query = q.clone();
        if let Ok(out) = t.render_url(&move |n| (n == "query").then(|| query.clone())) {
            prop_assert!(out.len() <= src.len() + q.len() * 9 * 4 + 64 * 1024);
        }
        let t = Template::parse("https://s.example/search?q={{query}}");
        let query = q.clone();
        let out = t.render_url(&move |n| (n == "query").then(|| query.clone())).unwrap();
        let value = out.strip_prefix("https://s.example/search?q=").unwrap();
        prop_assert!(!value.contains(['&', '#', ' ', '?', '=']), "{}", value);
    }

    #[test]
    fn an_item_never_leaves_the_providers_site(item in "\\PC{0,40}", tail in prop::bool::ANY) {
        let url = if tail { "https://s.example/t/{{item}}" } else { "https://s.example{{item}}" };
        let p = provider(&format!(
            r#"{{"x": {{"url": "https://s.example/?q={{{{query}}}}", "result": {{"name": "a"}}}},
                "x/item": {{"url": "{url}", "result": {{"magnet": "a"}}}}}}"#
        ));
        let Kind::Scraper { item: Some(ep), .. } = &p.kind else { panic!() };
        let it = item.clone();
        if let Ok(u) = crate::scrape::request_url(ep, &move |n| (n == "item").then(|| it.clone())) {
            prop_assert_eq!(u.host_str(), Some("s.example"));
            prop_assert_eq!(u.scheme(), "https");
            prop_assert_eq!(u.port(), None);
        }
    }

    #[test]
    fn extractors_never_panic_on_any_value(e in extractor(), v in "\\PC{0,200}") {
        if let Ok(ex) = Extractor::parse(&e) {
            let _ = ex.apply_text(&v);
        }
    }

    #[test]
    fn pages_and_chains_never_panic(
        html in page(),
        list in extractor(),
        chain in prop::collection::vec(extractor(), 1..5),
    ) {
        let config = serde_json::json!({"x": {
            "url": "https://s.example/{{query}}", "list": list, "result": {"f": chain}
        }});
        if let Ok(set) = parse(&config.to_string()) {
            let ep = list_endpoint(&set.providers[0]);
            let _ = crate::html::extract(&html, ep, Instant::now() + Duration::from_secs(5));
            let doc: Value = serde_json::from_str(&html).unwrap_or(Value::String(html.clone()));
            let _ = crate::json::extract(&doc, ep);
        }
    }

    #[test]
    fn sizes_hashes_and_feeds_never_panic(s in "\\PC{0,60}") {
        let _ = crate::result::parse_size(&s);
        let _ = crate::result::normalize_infohash(&s);
        let _ = crate::result::magnet_infohash(&s);
        let _ = crate::torznab::parse(&format!("<rss><channel><item><title>{s}</title></item></channel></rss>"));
        let _ = crate::torznab::parse(&s);
    }
}

/// A page built to be expensive (deep nesting, many rows, wide selections) is read
/// within bounds and quickly.
#[test]
fn hostile_pages_are_bounded() {
    let depth = 20_000;
    let mut html = "<div>x".repeat(depth);
    html.push_str(&"</div>".repeat(depth));
    html.push_str(&"<p><a href='/t?id=1'>row</a></p>".repeat(5_000));
    let p = provider(
        r#"{"x": {"url": "https://s.example/{{query}}", "list": "div, p",
            "result": {"a": "div div", "b": ["*", "html()", "/(\\w+)/"], "c": ["a", "@href", "query-param(id)"]}}}"#,
    );
    let started = Instant::now();
    let limit = Duration::from_secs(5);
    match crate::html::extract(&html, list_endpoint(&p), started + limit) {
        Ok(rows) => {
            assert!(rows.matched <= crate::html::MAX_ROWS);
            for row in &rows.rows {
                assert!(row.values().all(|v| v.len() <= crate::html::MAX_VALUE));
            }
        }
        Err(e) => assert!(e.contains("longer than the provider's timeout"), "{e}"),
    }
    assert!(
        started.elapsed() < limit + Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

/// The deadline stops a page that takes too long.
#[test]
fn the_deadline_is_honoured() {
    let html = "<p><a href='/t?id=1'>row</a></p>".repeat(2_000);
    let p = provider(
        r#"{"x": {"url": "https://s.example/{{query}}", "list": "p", "result": {"a": "a"}}}"#,
    );
    let err = crate::html::extract(&html, list_endpoint(&p), Instant::now()).unwrap_err();
    assert!(err.contains("longer than the provider's timeout"), "{err}");
}

/// Deep nesting costs html5ever time that grows with the square of the depth:
/// parsing such a page stops at the deadline instead of running for hours.
#[test]
fn deeply_nested_pages_stop_at_the_deadline() {
    let depth = 1_000_000;
    let mut html = "<div>".repeat(depth);
    html.push_str(&"</div>".repeat(depth));
    let p = provider(
        r#"{"x": {"url": "https://s.example/{{query}}", "list": "div", "result": {"a": "a"}}}"#,
    );
    let started = Instant::now();
    let limit = Duration::from_secs(2);
    let err = crate::html::extract(&html, list_endpoint(&p), started + limit).unwrap_err();
    assert!(err.contains("longer than the provider's timeout"), "{err}");
    assert!(
        started.elapsed() < limit + Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}
