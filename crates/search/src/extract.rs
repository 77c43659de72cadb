//! Extractors of Cloud Torrent's scraper format. A field of `result` is one
//! extractor or an array of them applied in turn to a value and a selection:
//!
//! * a CSS selector narrows the selection to matching descendants and, when the
//!   value is still empty, takes their text (several are joined with `,`);
//! * `@attr` takes an attribute of the first selected element;
//! * `/regex/` takes the first capture group (or the whole match) of the value,
//!   or of the selection's HTML when the value is empty;
//! * `s/regex/replacement/` (any delimiter, `g` for all matches) replaces;
//!   `$1` in the replacement is the first group;
//! * `trim()`, `html()`, `first()`, `query-param(name)` and `node(i)` (the i-th
//!   text node of the first selected element, from Simple Torrent's fork).

use regex::{Regex, RegexBuilder};
use scraper::Selector;

/// Largest compiled regex, so that a hostile providers file cannot exhaust memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One parsed extractor.
#[derive(Debug, Clone)]
pub(crate) enum Extractor {
    /// A CSS selector (in HTML) or a JSON path (in JSON). The CSS parse error is
    /// kept for later: a JSON path is rarely valid CSS.
    Select {
        raw: String,
        css: Result<Selector, String>,
    },
    Attr(String),
    Regex(Regex),
    Replace {
        re: Regex,
        with: String,
        all: bool,
    },
    First,
    Html,
    Trim,
    QueryParam(String),
    Node(usize),
}

fn compile(re: &str) -> Result<Regex, String> {
    RegexBuilder::new(re)
        .size_limit(REGEX_SIZE_LIMIT)
        .dfa_size_limit(REGEX_SIZE_LIMIT)
        .build()
        .map_err(|e| format!("invalid regex /{re}/: {e}"))
}

/// `s<d>match<d>replacement<d>opts` with exactly three delimiters, as Cloud Torrent.
fn parse_sed(s: &str) -> Option<(String, String, bool)> {
    let mut chars = s.chars();
    if chars.next() != Some('s') || s.len() < 5 {
        return None;
    }
    let delim = chars.next()?;
    let parts: Vec<&str> = s.split(delim).collect();
    if parts.len() != 4 || parts[1].is_empty() || !matches!(parts[3], "" | "g") {
        return None;
    }
    Some((parts[1].to_owned(), parts[2].to_owned(), parts[3] == "g"))
}

impl Extractor {
    /// Parses one extractor.
    pub(crate) fn parse(s: &str) -> Result<Extractor, String> {
        if let Some(attr) = s.strip_prefix('@') {
            return Ok(Extractor::Attr(attr.to_owned()));
        }
        if s.len() >= 2 && s.starts_with('/') && s.ends_with('/') {
            return Ok(Extractor::Regex(compile(&s[1..s.len() - 1])?));
        }
        if let Some((re, with, all)) = parse_sed(s) {
            return Ok(Extractor::Replace {
                re: compile(&re)?,
                with,
                all,
            });
        }
        match s {
            "first()" => return Ok(Extractor::First),
            "html()" => return Ok(Extractor::Html),
            "trim()" => return Ok(Extractor::Trim),
            _ => {}
        }
        if let Some(name) = s
            .strip_prefix("query-param(")
            .and_then(|r| r.strip_suffix(')'))
        {
            return Ok(Extractor::QueryParam(name.trim().to_owned()));
        }
        if let Some(n) = s.strip_prefix("node(").and_then(|r| r.strip_suffix(')')) {
            let n = n
                .trim()
                .parse()
                .map_err(|_| format!("node({n}) needs a non-negative integer"))?;
            return Ok(Extractor::Node(n));
        }
        if s.trim().is_empty() {
            return Err("an extractor is empty".into());
        }
        let css = Selector::parse(s).map_err(|e| format!("invalid CSS selector {s:?}: {e}"));
        Ok(Extractor::Select {
            raw: s.to_owned(),
            css,
        })
    }

    /// Applies an extractor that only needs the current value. `None` for the
    /// ones that need the HTML (selectors, `@attr`, `html()`, `first()`, `node()`).
    pub(crate) fn apply_text(&self, value: &str) -> Option<String> {
        Some(match self {
            Extractor::Regex(re) => match re.captures(value) {
                None => String::new(),
                Some(c) => match c.get(1).filter(|g| !g.is_empty()) {
                    Some(g) => g.as_str().to_owned(),
                    None => c.get(0).map_or("", |m| m.as_str()).to_owned(),
                },
            },
            Extractor::Replace { re, with, all } => {
                let limit = if *all { 0 } else { 1 };
                re.replacen(value, limit, with.as_str()).into_owned()
            }
            Extractor::Trim => value.trim().to_owned(),
            Extractor::QueryParam(name) => query_param(value, name),
            _ => return None,
        })
    }

    /// Whether this extractor reads the selection's HTML when the value is empty.
    pub(crate) fn reads_html_when_empty(&self) -> bool {
        matches!(
            self,
            Extractor::Regex(_) | Extractor::Replace { .. } | Extractor::QueryParam(_)
        )
    }
}

/// The value of query parameter `name` in a URL, absolute or relative.
fn query_param(value: &str, name: &str) -> String {
    let base = url::Url::parse("http://localhost/").ok();
    let parsed = url::Url::parse(value.trim())
        .ok()
        .or_else(|| base.and_then(|b| b.join(value.trim()).ok()));
    parsed
        .and_then(|u| {
            u.query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
        })
        .unwrap_or_default()
}

/// Parses a field's extractors.
pub(crate) fn parse_chain(list: &[String]) -> Result<Vec<Extractor>, String> {
    if list.is_empty() {
        return Err("no extractor".into());
    }
    list.iter().map(|s| Extractor::parse(s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(e: &str, v: &str) -> String {
        Extractor::parse(e).unwrap().apply_text(v).unwrap()
    }

    #[test]
    fn kinds_are_recognised() {
        assert!(matches!(Extractor::parse("@href"), Ok(Extractor::Attr(a)) if a == "href"));
        assert!(matches!(
            Extractor::parse("/x(\\d+)/"),
            Ok(Extractor::Regex(_))
        ));
        assert!(matches!(
            Extractor::parse("s#^/wiki/##"),
            Ok(Extractor::Replace { all: false, .. })
        ));
        assert!(matches!(
            Extractor::parse("node(0)"),
            Ok(Extractor::Node(0))
        ));
        assert!(matches!(
            Extractor::parse("td:nth-child(2) a"),
            Ok(Extractor::Select { css: Ok(_), .. })
        ));
        assert!(matches!(
            Extractor::parse("result.0.info_hash"),
            Ok(Extractor::Select { css: Err(_), .. })
        ));
        assert!(Extractor::parse("/(unclosed/").is_err());
        assert!(Extractor::parse("node(x)").is_err());
    }

    #[test]
    fn text_extractors_behave_as_cloud_torrents() {
        assert_eq!(
            text("/Size ([^,]+)/", "Uploaded, Size 1.2 GiB, ULed"),
            "1.2 GiB"
        );
        assert_eq!(text("/\\d+/", "abc 42"), "42");
        assert_eq!(text("/zzz/", "abc"), "");
        assert_eq!(text("s/\\n//g", "a\nb\nc"), "abc");
        assert_eq!(text("s/a/b/", "aaa"), "baa");
        assert_eq!(text("s/^/https:/", "//x.example/t"), "https://x.example/t");
        assert_eq!(text("s/(\\w+) (\\w+)/$2 $1/", "hello world"), "world hello");
        assert_eq!(text("trim()", "  x \n"), "x");
        assert_eq!(
            text("query-param(xt)", "magnet:?xt=urn:btih:abc&dn=x"),
            "urn:btih:abc"
        );
        assert_eq!(text("query-param(id)", "/details.php?id=7"), "7");
    }
}
