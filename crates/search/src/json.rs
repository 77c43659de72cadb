//! Reading a JSON answer with a scraper endpoint (a provider that is an API).
//!
//! `list` is a path to the array of results and each field's leading selectors
//! are joined into a path relative to one element, as Simple Torrent's fork does
//! (`["result", "0", "info_hash"]` is `result.0.info_hash`); the extractors after
//! them (`/regex/`, `s/../../`, `trim()`, `query-param()`) work on the value.
//! Paths are dot-separated keys and array indices; jq-style `.a.b[0]` and a
//! trailing `[]` are accepted too, and `\.` is a dot inside a key.

use serde_json::Value;

use crate::config::Endpoint;
use crate::extract::Extractor;
use crate::html::{MAX_ROWS, MAX_VALUE, Rows};

/// Splits a path into keys.
fn keys(path: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = path.trim().trim_start_matches('.').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'.') => {
                cur.push('.');
                chars.next();
            }
            '.' | '[' | ']' => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            _ => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The value at `path` under `v`.
fn get<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    keys(path).iter().try_fold(v, |v, k| match v {
        Value::Object(m) => m.get(k),
        Value::Array(a) => k.parse::<usize>().ok().and_then(|i| a.get(i)),
        _ => None,
    })
}

/// A value as text: strings as they are, scalars printed, arrays of scalars joined with `,`.
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Bool(_) | Value::Number(_) => v.to_string(),
        Value::Array(a) if a.iter().all(|x| !x.is_array() && !x.is_object()) => {
            a.iter().map(text).collect::<Vec<_>>().join(",")
        }
        _ => v.to_string(),
    }
}

/// Reads a JSON document with `ep`.
pub(crate) fn extract(doc: &Value, ep: &Endpoint) -> Result<Rows, String> {
    let rows: Vec<&Value> = match &ep.list {
        Some(Extractor::Select { raw, .. }) => match get(doc, raw) {
            None => {
                return Err(format!(
                    "the list path {raw:?} found nothing in the JSON answer: the API may have changed"
                ));
            }
            Some(Value::Array(a)) => a.iter().take(MAX_ROWS).collect(),
            Some(Value::Object(m)) => m.values().take(MAX_ROWS).collect(),
            Some(Value::Null) => Vec::new(),
            Some(other) => {
                return Err(format!(
                    "the list path {raw:?} is {}, not a list",
                    kind(other)
                ));
            }
        },
        _ => vec![doc],
    };
    Rows::gather(rows, ep, |chain, row| {
        // A value too long to be a name or link is no value (unlike HTML text, a
        // JSON string cut short would be a different string).
        run(chain, row).map(|value| {
            if value.len() > MAX_VALUE {
                String::new()
            } else {
                value
            }
        })
    })
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn run(chain: &[Extractor], row: &Value) -> Result<String, String> {
    let split = chain
        .iter()
        .position(|e| !matches!(e, Extractor::Select { .. }))
        .unwrap_or(chain.len());
    let path: Vec<&str> = chain[..split]
        .iter()
        .filter_map(|e| match e {
            Extractor::Select { raw, .. } => Some(raw.as_str()),
            _ => None,
        })
        .collect();
    let mut value = get(row, &path.join(".")).map(text).unwrap_or_default();
    for ex in &chain[split..] {
        value = ex.apply_text(&value).ok_or_else(|| {
            "only /regex/, s/../../, trim() and query-param() can follow a JSON path".to_owned()
        })?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Kind, parse};
    use serde_json::json;

    fn rows(config: &str, doc: Value) -> Result<Rows, String> {
        let set = parse(config).unwrap();
        let Kind::Scraper { list, .. } = &set.providers[0].kind else {
            panic!()
        };
        extract(&doc, list)
    }

    #[test]
    fn paths_in_several_spellings() {
        let doc = json!({"a": {"b.c": [10, {"d": "x"}]}});
        assert_eq!(get(&doc, "a.b\\.c.1.d"), Some(&json!("x")));
        assert_eq!(get(&doc, ".a[\"b\\.c\"]"), None);
        assert_eq!(get(&doc, ".a.b\\.c[0]"), Some(&json!(10)));
        assert_eq!(get(&doc, ""), Some(&doc));
        assert_eq!(get(&doc, "a.zz"), None);
    }

    #[test]
    fn list_and_fields_are_paths() {
        let cfg = r#"{"api": {"url": "https://api.example/s?q={{query}}", "list": "data.items",
            "result": {"name": "title", "infohash": ["hash", "trim()"], "seeds": "stats.seeders",
                       "tracker": "trackers"}}}"#;
        let r = rows(
            cfg,
            json!({"data": {"items": [
                {"title": "One", "hash": " ABC ", "stats": {"seeders": 5}, "trackers": ["udp://t.example:1", "http://u.example/a"]},
                {"title": "No hash", "stats": {"seeders": 1}, "trackers": []}
            ]}}),
        )
        .unwrap();
        assert_eq!(r.matched, 2);
        assert_eq!(r.rows.len(), 1);
        assert_eq!(r.rows[0]["infohash"], "ABC");
        assert_eq!(r.rows[0]["seeds"], "5");
        assert_eq!(r.rows[0]["tracker"], "udp://t.example:1,http://u.example/a");
        let err = rows(cfg, json!({"data": {}})).unwrap_err();
        assert!(err.contains("\"data.items\" found nothing"), "{err}");
        let err = rows(cfg, json!({"data": {"items": "x"}})).unwrap_err();
        assert!(err.contains("a string, not a list"), "{err}");
    }

    #[test]
    fn split_selectors_join_into_one_path() {
        let cfg = r#"{"x": {"url": "https://x.example/?h={{query}}",
            "result": {"infohash": ["result", "0", "info_hash"], "bad": ["a", "@href"]}}}"#;
        let err = rows(cfg, json!({"result": [{"info_hash": "ff"}]})).unwrap_err();
        assert!(err.contains("result.bad"), "{err}");
        let cfg = r#"{"x": {"url": "https://x.example/?h={{query}}",
            "result": {"infohash": ["result", "0", "info_hash"]}}}"#;
        let r = rows(cfg, json!({"result": [{"info_hash": "ff"}]})).unwrap();
        assert_eq!(r.rows[0]["infohash"], "ff");
    }
}
