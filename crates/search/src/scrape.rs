//! Running a scraper provider: render the request, fetch the page, read it as
//! HTML or JSON, and say precisely what failed when it does not work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use cloud_torrent_outbound::Request;
use reqwest::header::CONTENT_TYPE;
use url::Url;

use crate::config::{Endpoint, Kind, Provider};
use crate::extract::Extractor;
use crate::html::{self, Rows};
use crate::http::Http;
use crate::json;
use crate::result::{ItemLinks, SearchResult, from_row, links};
use crate::template::BodyEscape;

/// Largest page read from a site.
pub(crate) const MAX_PAGE_BYTES: usize = 5 * 1024 * 1024;

/// Which endpoint of a scraper provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    List,
    Item,
}

fn endpoint(p: &Provider, phase: Phase) -> Option<&Endpoint> {
    match (&p.kind, phase) {
        (Kind::Scraper { list, .. }, Phase::List) => Some(list),
        (Kind::Scraper { item, .. }, Phase::Item) => item.as_deref(),
        (Kind::Torznab(_), _) => None,
    }
}

/// Searches `query` on page `page` (from 1) of a scraper provider.
pub(crate) async fn search(
    http: &Http,
    p: &Arc<Provider>,
    query: &str,
    page: u32,
) -> Result<Vec<SearchResult>, String> {
    let ep = endpoint(p, Phase::List).ok_or("not a scraper provider")?;
    let page = (ep.url.first_page() + page.saturating_sub(1)).to_string();
    let vars = move |name: &str| match name {
        "query" => Some(query.to_owned()),
        "page" => Some(page.clone()),
        _ => None,
    };
    let fetched = fetch_rows(http, p, Phase::List, &vars).await?;
    let rows = &fetched.rows;
    match &ep.list {
        Some(Extractor::Select { raw, .. }) if rows.rows.is_empty() => {
            if rows.matched > 0 {
                return Err(incomplete_rows(raw, rows));
            }
            if !fetched.json {
                return Err(format!(
                    "the list selector {raw:?} matched nothing: the site may have changed"
                ));
            }
        }
        None if rows.rows.iter().all(|r| r.is_empty()) => {
            return Err(
                "no field of \"result\" matched anything on the page: the site may have changed"
                    .into(),
            );
        }
        _ => {}
    }
    let has_item = matches!(&p.kind, Kind::Scraper { item: Some(_), .. });
    Ok(rows
        .rows
        .iter()
        .map(|row| from_row(&p.id, row, &fetched.url, has_item))
        .collect())
}

/// "matched 20 rows but none had every field: "magnet" was empty in 20 …".
fn incomplete_rows(list: &str, rows: &Rows) -> String {
    let mut fields: Vec<(&String, &usize)> = rows.missing.iter().collect();
    fields.sort_by(|a, b| b.1.cmp(a.1));
    let detail: Vec<String> = fields
        .iter()
        .map(|(f, n)| format!("{f:?} was empty in {n}"))
        .collect();
    format!(
        "the list selector {list:?} matched {} rows but none had every field ({}): the site may have changed",
        rows.matched,
        detail.join(", ")
    )
}

/// Checks that `item` makes a request to the provider's own site.
pub(crate) fn check_item(p: &Provider, item: &str) -> Result<(), String> {
    let ep = endpoint(p, Phase::Item).ok_or("this provider has no /item entry")?;
    request_url(ep, &|name| (name == "item").then(|| item.to_owned())).map(|_| ())
}

/// Runs the second phase of a scraper provider for `item`.
pub(crate) async fn item(http: &Http, p: &Arc<Provider>, item: &str) -> Result<ItemLinks, String> {
    let vars = move |name: &str| (name == "item").then(|| item.to_owned());
    let fetched = fetch_rows(http, p, Phase::Item, &vars).await?;
    let rows = fetched.rows;
    let row = rows.rows.into_iter().next().unwrap_or_default();
    let found = links(&row, &fetched.url);
    if found.magnet.is_none() && found.torrent.is_none() {
        let missing: Vec<String> = rows.missing.keys().map(|k| format!("{k:?}")).collect();
        return Err(format!(
            "the item page gave no magnet, infohash or torrent link ({} matched nothing): the site may have changed",
            missing.join(", ")
        ));
    }
    Ok(found)
}

/// The rows of a page and where they came from.
struct Fetched {
    rows: Rows,
    /// The page's URL after redirects, to make relative links absolute.
    url: Url,
    /// The answer was JSON (an empty list is then a search without results).
    json: bool,
}

/// Renders and sends an endpoint's request and reads its rows.
async fn fetch_rows(
    http: &Http,
    p: &Arc<Provider>,
    phase: Phase,
    vars: &(dyn Fn(&str) -> Option<String> + Sync),
) -> Result<Fetched, String> {
    let ep = endpoint(p, phase).ok_or("this provider has no /item entry")?;
    let url = request_url(ep, vars)?;
    let content_type = ep
        .headers
        .iter()
        .find(|(k, _)| k == CONTENT_TYPE)
        .and_then(|(_, v)| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let escape = if content_type.contains("json") {
        BodyEscape::Json
    } else if content_type.contains("x-www-form-urlencoded") {
        BodyEscape::Form
    } else {
        BodyEscape::Raw
    };
    let body = ep
        .body
        .as_ref()
        .map(|b| b.render_body(vars, escape))
        .transpose()
        .map_err(|e| format!("body: {e}"))?;
    let deadline = Instant::now() + p.timeout;
    let mut request = Request::new(ep.method.clone(), url)
        .headers(ep.headers.clone())
        .timeout(p.timeout + Duration::from_millis(500))
        .max_bytes(MAX_PAGE_BYTES);
    if let Some(body) = body {
        request = request.body(body);
    }
    let answer = http.send(request).await?;
    if !answer.status.is_success() {
        return Err(format!("the site answered {}", answer.status));
    }
    let page = answer.url.clone();
    let looks_json = answer.content_type.to_ascii_lowercase().contains("json")
        || (!answer.content_type.to_ascii_lowercase().contains("html")
            && matches!(
                answer.body.iter().find(|b| !b.is_ascii_whitespace()),
                Some(b'{' | b'[')
            ));
    if looks_json {
        let doc: serde_json::Value = serde_json::from_slice(&answer.body)
            .map_err(|e| format!("the answer is not valid JSON: {e}"))?;
        return Ok(Fetched {
            rows: json::extract(&doc, ep)?,
            url: page,
            json: true,
        });
    }
    let provider = p.clone();
    let text = String::from_utf8_lossy(&answer.body).into_owned();
    let rows = tokio::task::spawn_blocking(move || {
        let ep = endpoint(&provider, phase).ok_or("this provider has no /item entry")?;
        html::extract(&text, ep, deadline)
    })
    .await
    .map_err(|e| format!("reading the page failed: {e}"))??;
    Ok(Fetched {
        rows,
        url: page,
        json: false,
    })
}

/// The request URL; an `{{item}}` may not lead to another site.
pub(crate) fn request_url(
    ep: &Endpoint,
    vars: &dyn Fn(&str) -> Option<String>,
) -> Result<Url, String> {
    let rendered = ep.url.render_url(vars)?;
    let url = Url::parse(&rendered).map_err(|e| format!("the URL {rendered:?} is invalid: {e}"))?;
    if ep.url.uses("item") {
        let reference = ep.url.render_url(&|name| match name {
            "item" => Some("/".to_owned()),
            other => vars(other),
        })?;
        let same = Url::parse(&reference).is_ok_and(|r| r.origin() == url.origin());
        if !same {
            return Err("the item leads to another site than the provider's".into());
        }
    }
    Ok(url)
}
