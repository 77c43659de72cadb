//! URL and body templates of scraper providers: `{{query}}`, `{{page}}`, `{{item}}`
//! and `{{name:default}}` placeholders, as in Cloud Torrent.
//!
//! In a URL, a value placed after the first `?` is query-escaped. One placed
//! before it is part of the path: `{{item}}` is inserted as it is once it has
//! been checked to be a path (the caller also checks that the final URL stays on
//! the provider's site); `{{query}}` is percent-encoded so that `AC/DC` or `a?b`
//! cannot change the URL's shape. Defaults come from the providers file and are
//! inserted as written.

use std::fmt::Write as _;

/// Longest value accepted for `{{item}}`.
const MAX_ITEM: usize = 2048;
/// Longest rendered template.
const MAX_RENDERED: usize = 64 * 1024;

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Text(String),
    Var {
        name: String,
        default: Option<String>,
        /// Placed after the first `?` of the template.
        in_query: bool,
    },
}

/// How values are escaped when a body is rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyEscape {
    /// `application/x-www-form-urlencoded`.
    Form,
    /// Inside a JSON string.
    Json,
    /// As they are.
    Raw,
}

fn is_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Template {
    /// Parses `src`. Text that looks like a placeholder but has no valid name
    /// (`{{ a b }}`) is kept as text, as Cloud Torrent does.
    pub fn parse(src: &str) -> Template {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut seen_query = false;
        let mut rest = src;
        while let Some(open) = rest.find("{{") {
            let (before, after_open) = rest.split_at(open);
            text.push_str(before);
            seen_query |= before.contains('?');
            let Some(close) = after_open[2..].find("}}") else {
                text.push_str(after_open);
                rest = "";
                break;
            };
            let inner = &after_open[2..2 + close];
            let (name, default) = match inner.split_once(':') {
                Some((n, d)) => (n.trim(), Some(d.trim().to_owned())),
                None => (inner.trim(), None),
            };
            if is_name(name) {
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var {
                    name: name.to_owned(),
                    default,
                    in_query: seen_query,
                });
            } else {
                text.push_str(&after_open[..close + 4]);
                seen_query |= inner.contains('?');
            }
            rest = &after_open[close + 4..];
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        Template { parts }
    }

    /// The placeholders: name and default.
    pub fn vars(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var { name, default, .. } => Some((name.as_str(), default.as_deref())),
            Part::Text(_) => None,
        })
    }

    /// Whether the template uses `{{name}}`.
    pub fn uses(&self, name: &str) -> bool {
        self.vars().any(|(n, _)| n == name)
    }

    /// The first page's number: 0 when the template says `{{page:0}}`, else 1.
    pub fn first_page(&self) -> u32 {
        match self.vars().find(|(n, _)| *n == "page") {
            Some((_, Some("0"))) => 0,
            _ => 1,
        }
    }

    /// Renders a URL. `value` gives the request's values (`query`, `page`, `item`);
    /// a placeholder without a value takes its default, and is an error without one.
    pub fn render_url(&self, value: &dyn Fn(&str) -> Option<String>) -> Result<String, String> {
        self.render(value, |part_in_query, name, v, out| {
            if part_in_query {
                out.extend(url::form_urlencoded::byte_serialize(v.as_bytes()));
                Ok(())
            } else if name == "item" {
                check_path(v)?;
                out.push_str(v);
                Ok(())
            } else {
                path_escape(v, out);
                Ok(())
            }
        })
    }

    /// Renders a request body, escaping values as `escape` says.
    pub(crate) fn render_body(
        &self,
        value: &dyn Fn(&str) -> Option<String>,
        escape: BodyEscape,
    ) -> Result<String, String> {
        self.render(value, |_, _, v, out| {
            match escape {
                BodyEscape::Form => out.extend(url::form_urlencoded::byte_serialize(v.as_bytes())),
                BodyEscape::Json => {
                    let quoted = serde_json::Value::String(v.to_owned()).to_string();
                    out.push_str(&quoted[1..quoted.len() - 1]);
                }
                BodyEscape::Raw => out.push_str(v),
            }
            Ok(())
        })
    }

    fn render(
        &self,
        value: &dyn Fn(&str) -> Option<String>,
        insert: impl Fn(bool, &str, &str, &mut String) -> Result<(), String>,
    ) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Var {
                    name,
                    default,
                    in_query,
                } => match (value(name), default) {
                    (Some(v), _) => insert(*in_query, name, &v, &mut out)?,
                    (None, Some(d)) => out.push_str(d),
                    (None, None) => {
                        return Err(format!(
                            "{{{{{name}}}}} has no value; give it a default as {{{{{name}:value}}}}"
                        ));
                    }
                },
            }
            if out.len() > MAX_RENDERED {
                return Err("the rendered template is longer than 64 KiB".into());
            }
        }
        Ok(out)
    }
}

/// Percent-encodes everything but unreserved characters, for a path segment.
fn path_escape(v: &str, out: &mut String) {
    for b in v.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// Checks that an `{{item}}` value placed in a URL's path is a path and not a URL.
pub(crate) fn check_path(v: &str) -> Result<(), String> {
    if v.is_empty() {
        return Err("the item is empty".into());
    }
    if v.len() > MAX_ITEM {
        return Err("the item is longer than 2048 bytes".into());
    }
    if v.chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
    {
        return Err("the item contains spaces, control characters or backslashes".into());
    }
    if v.starts_with("//") {
        return Err("the item must be a path on the provider's site, not a URL".into());
    }
    if let Some(colon) = v.find(':')
        && !v[..colon].contains(['/', '?'])
    {
        return Err("the item must be a path on the provider's site, not a URL".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(q: &'static str, item: &'static str) -> impl Fn(&str) -> Option<String> {
        move |n| match n {
            "query" => Some(q.to_owned()),
            "item" if !item.is_empty() => Some(item.to_owned()),
            _ => None,
        }
    }

    #[test]
    fn values_after_the_question_mark_are_query_escaped() {
        let t = Template::parse("https://s.example/search/{{query}}?q={{query}}&p={{page:1}}");
        assert_eq!(
            t.render_url(&vars("AC/DC & co?", "")).unwrap(),
            "https://s.example/search/AC%2FDC%20%26%20co%3F?q=AC%2FDC+%26+co%3F&p=1"
        );
        assert_eq!(t.first_page(), 1);
        assert_eq!(Template::parse("x/{{ page : 0 }}").first_page(), 0);
    }

    #[test]
    fn items_before_the_question_mark_are_paths() {
        let t = Template::parse("https://s.example{{item}}");
        assert_eq!(
            t.render_url(&vars("", "/torrent/1/a-b?x=1")).unwrap(),
            "https://s.example/torrent/1/a-b?x=1"
        );
        for bad in [
            "//evil.example/x",
            "http://evil.example/",
            "javascript:alert(1)",
            "/a b",
            "/a\\b",
        ] {
            assert!(t.render_url(&vars("", bad)).is_err(), "{bad}");
        }
        let q = Template::parse("https://s.example/api?hashes={{item}}");
        assert_eq!(
            q.render_url(&vars("", "//x y")).unwrap(),
            "https://s.example/api?hashes=%2F%2Fx+y"
        );
    }

    #[test]
    fn missing_values_use_defaults_or_fail() {
        let t = Template::parse("https://s.example/{{cat:movies}}/{{x}}");
        let err = t.render_url(&vars("", "")).unwrap_err();
        assert!(err.contains("{{x}} has no value"), "{err}");
        let t = Template::parse("https://s.example/{{cat:movies}}/{{ bad name }}/{{");
        assert_eq!(
            t.render_url(&vars("", "")).unwrap(),
            "https://s.example/movies/{{ bad name }}/{{"
        );
    }

    #[test]
    fn bodies_are_escaped_for_their_type() {
        let t = Template::parse("keyword={{query}}&page={{page:1}}");
        assert_eq!(
            t.render_body(&vars("a&b c", ""), BodyEscape::Form).unwrap(),
            "keyword=a%26b+c&page=1"
        );
        let j = Template::parse(r#"{"q":"{{query}}"}"#);
        assert_eq!(
            j.render_body(&vars("say \"hi\"", ""), BodyEscape::Json)
                .unwrap(),
            r#"{"q":"say \"hi\""}"#
        );
    }
}
