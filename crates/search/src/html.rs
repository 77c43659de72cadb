//! Reading an HTML page with a scraper endpoint: the `list` selector splits it
//! into rows and each field's extractors run on a row.
//!
//! The work is bounded: the page size is capped by the caller, the document may
//! have at most [`MAX_NODES`] nodes, at most [`MAX_ROWS`] rows are read, a
//! selection keeps at most [`MAX_SELECTION`] elements, a value at most
//! [`MAX_VALUE`] bytes, and the caller's deadline is checked between rows.

use std::collections::{BTreeMap, HashSet};
use std::time::Instant;

use html5ever::driver::{self, ParseOpts};
use html5ever::tendril::{StrTendril, TendrilSink};
use scraper::{ElementRef, Html, HtmlTreeSink};

use crate::config::Endpoint;
use crate::extract::Extractor;

pub(crate) const MAX_NODES: usize = 500_000;
pub(crate) const MAX_ROWS: usize = 500;
pub(crate) const MAX_SELECTION: usize = 10_000;
pub(crate) const MAX_VALUE: usize = 256 * 1024;

/// The rows read from a page.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    /// Field → value, for rows that had every field (or the one row without `list`).
    pub rows: Vec<BTreeMap<String, String>>,
    /// How many elements the `list` selector matched (1 without `list`).
    pub matched: usize,
    /// Field → in how many matched rows it was empty.
    pub missing: BTreeMap<String, usize>,
}

impl Rows {
    /// Reads every field of `ep` from each of `rows` with `value_of`; keeps the rows
    /// that had every field (all of them without `list`) and counts the empty fields.
    pub(crate) fn gather<R>(
        rows: Vec<R>,
        ep: &Endpoint,
        mut value_of: impl FnMut(&[Extractor], &R) -> Result<String, String>,
    ) -> Result<Rows, String> {
        let mut out = Rows {
            matched: rows.len(),
            ..Rows::default()
        };
        for row in &rows {
            let mut found = BTreeMap::new();
            for (field, chain) in &ep.fields {
                let value = value_of(chain, row).map_err(|e| format!("result.{field}: {e}"))?;
                if value.is_empty() {
                    *out.missing.entry(field.clone()).or_default() += 1;
                } else {
                    found.insert(field.clone(), value);
                }
            }
            if ep.list.is_none() || found.len() == ep.fields.len() {
                out.rows.push(found);
            }
        }
        Ok(out)
    }
}

/// Bytes given to the HTML parser at a time, between deadline checks. Deeply
/// nested markup makes html5ever's work grow with the square of the depth, so a
/// whole hostile page parsed in one call could take hours.
const PARSE_CHUNK: usize = 2048;

/// Parses a document in chunks, giving up at the deadline.
fn parse(body: &str, deadline: Instant) -> Result<Html, String> {
    let mut parser = driver::parse_document(
        HtmlTreeSink::new(Html::new_document()),
        ParseOpts::default(),
    );
    let mut rest = body;
    while !rest.is_empty() {
        let mut end = rest.len().min(PARSE_CHUNK);
        while !rest.is_char_boundary(end) {
            end += 1;
        }
        let (chunk, tail) = rest.split_at(end);
        parser.process(StrTendril::from_slice(chunk));
        check(deadline)?;
        rest = tail;
    }
    Ok(parser.finish())
}

/// Reads `body` with `ep`.
pub(crate) fn extract(body: &str, ep: &Endpoint, deadline: Instant) -> Result<Rows, String> {
    let doc = parse(body, deadline)?;
    if doc.tree.nodes().count() > MAX_NODES {
        return Err(format!("the page has more than {MAX_NODES} HTML nodes"));
    }
    let rows: Vec<ElementRef> = match &ep.list {
        Some(Extractor::Select { raw, css }) => {
            let css = css
                .as_ref()
                .map_err(|e| format!("the list selector {raw:?} is not valid CSS: {e}"))?;
            doc.select(css).take(MAX_ROWS).collect()
        }
        _ => vec![doc.root_element()],
    };
    Rows::gather(rows, ep, |chain, row| run(chain, *row, deadline))
}

const TOO_LONG: &str = "reading the page took longer than the provider's timeout";

fn check(deadline: Instant) -> Result<(), String> {
    if Instant::now() > deadline {
        Err(TOO_LONG.into())
    } else {
        Ok(())
    }
}

/// Runs one field's extractors on a row.
fn run(chain: &[Extractor], row: ElementRef, deadline: Instant) -> Result<String, String> {
    let mut value = String::new();
    let mut sel = vec![row];
    for ex in chain {
        check(deadline)?;
        match ex {
            Extractor::Select { raw, css } => {
                let css = css.as_ref().map_err(|e| format!("{raw:?}: {e}"))?;
                let mut next = Vec::new();
                let mut seen = HashSet::new();
                'outer: for e in &sel {
                    check(deadline)?;
                    for m in e.select(css) {
                        if seen.insert(m.id()) {
                            next.push(m);
                            if next.len() >= MAX_SELECTION {
                                break 'outer;
                            }
                        }
                    }
                }
                if value.is_empty() {
                    value = joined_text(&next, deadline)?;
                }
                sel = next;
            }
            Extractor::Attr(a) => {
                value = sel.first().and_then(|e| e.attr(a)).unwrap_or("").to_owned()
            }
            Extractor::First => sel.truncate(1),
            Extractor::Html => value = first_html(&sel),
            Extractor::Node(i) => {
                value = sel
                    .first()
                    .and_then(|e| e.children().filter_map(|n| n.value().as_text()).nth(*i))
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            }
            other => {
                let ctx = if value.is_empty() && other.reads_html_when_empty() {
                    first_html(&sel)
                } else {
                    std::mem::take(&mut value)
                };
                value = other.apply_text(&ctx).unwrap_or_default();
            }
        }
        truncate(&mut value);
    }
    Ok(value)
}

fn first_html(sel: &[ElementRef]) -> String {
    sel.first().map(|e| e.inner_html()).unwrap_or_default()
}

/// The text of each element, joined with `,` (Cloud Torrent's rule), capped.
fn joined_text(sel: &[ElementRef], deadline: Instant) -> Result<String, String> {
    let mut out = String::new();
    for (i, e) in sel.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        if i % 64 == 63 {
            check(deadline)?;
        }
        for t in e.text() {
            out.push_str(t);
            if out.len() > MAX_VALUE {
                truncate(&mut out);
                return Ok(out);
            }
        }
    }
    Ok(out)
}

fn truncate(value: &mut String) {
    if value.len() > MAX_VALUE {
        let mut end = MAX_VALUE;
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        value.truncate(end);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::config::parse;

    fn endpoint(json: &str) -> std::sync::Arc<crate::config::Provider> {
        let set = parse(json).unwrap();
        set.providers[0].clone()
    }

    fn rows(provider: &crate::config::Provider, html: &str) -> Rows {
        let crate::config::Kind::Scraper { list, .. } = &provider.kind else {
            panic!()
        };
        extract(html, list, Instant::now() + Duration::from_secs(5)).unwrap()
    }

    const PAGE: &str = r#"<html><body><table id="r"><tbody>
      <tr><td class="n"><a href="/t/1">First  one</a></td><td>1.5 GiB</td><td>12</td>
          <td><a href="magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567">m</a></td></tr>
      <tr><td class="n"><a href="/t/2">Second</a></td><td>700 MiB</td><td>3</td><td></td></tr>
      <tr><td class="n">Name only<b>x</b>tail</td><td>Size 9 KiB, more</td><td>0</td><td></td></tr>
    </tbody></table></body></html>"#;

    #[test]
    fn rows_need_every_field_and_missing_ones_are_counted() {
        let p = endpoint(
            r##"{"x": {"url": "https://x.example/{{query}}", "list": "#r > tbody > tr",
                "result": {"name": "td.n a", "magnet": ["a[href^='magnet:']", "@href"],
                           "size": "td:nth-child(2)", "seeds": ["td:nth-child(3)", "trim()"]}}}"##,
        );
        let r = rows(&p, PAGE);
        assert_eq!(r.matched, 3);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.rows[0]["name"], "First  one");
        assert!(r.rows[0]["magnet"].starts_with("magnet:?xt=urn:btih:0123"));
        assert_eq!(r.rows[0]["seeds"], "12");
        assert_eq!(r.missing["magnet"], 2);
        assert_eq!(r.missing["name"], 1);
    }

    #[test]
    fn regex_on_html_attr_node_and_first() {
        let p = endpoint(
            r#"{"x": {"url": "https://x.example/{{query}}", "list": "tr",
                "result": {"size": "/Size ([^,]+)/", "tail": ["td.n", "node(1)"],
                           "first": ["td", "first()", "html()"], "href": ["a", "@href", "s#^/t/##"]}}}"#,
        );
        let r = rows(&p, PAGE);
        assert_eq!(r.matched, 3);
        assert_eq!(r.rows.len(), 0, "no row has every field: {:?}", r.missing);
        let p = endpoint(
            r#"{"x": {"url": "https://x.example/{{query}}", "list": "tr",
                "result": {"size": "/Size ([^,]+)/", "tail": ["td.n", "node(1)"],
                           "first": ["td", "first()", "html()"]}}}"#,
        );
        let r = rows(&p, PAGE);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.rows[0]["size"], "9 KiB");
        assert_eq!(r.rows[0]["tail"], "tail");
        assert_eq!(r.rows[0]["first"], "Name only<b>x</b>tail");
    }

    #[test]
    fn without_list_the_page_is_one_result() {
        let p = endpoint(
            r#"{"x": {"url": "https://x.example/{{query}}",
                "result": {"infohash": "/td>([a-f0-9]{40})</", "all": "td.n a"}}}"#,
        );
        let page = PAGE.replace(
            "<td>12</td>",
            "<td>0123456789abcdef0123456789abcdef01234567</td>",
        );
        let r = rows(&p, &page);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(
            r.rows[0]["infohash"],
            "0123456789abcdef0123456789abcdef01234567"
        );
        assert_eq!(r.rows[0]["all"], "First  one,Second");
    }
}
