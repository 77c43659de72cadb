//! Reading a call's `arguments` leniently, as Transmission does: a boolean may come as
//! `true`/`false` or `0`/`1`, a number as an integer or a float (or its text), and a
//! key of the wrong type counts as absent.

use serde_json::{Map, Value};

/// A call's arguments.
pub(super) type Args = Map<String, Value>;

/// A boolean argument.
pub(super) fn boolean(args: &Args, key: &str) -> Option<bool> {
    match args.get(key)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A number argument.
pub(super) fn number(args: &Args, key: &str) -> Option<f64> {
    match args.get(key)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
}

/// A whole-number argument (a float is truncated).
pub(super) fn integer(args: &Args, key: &str) -> Option<i64> {
    // Truncation toward zero is what Transmission does with a float.
    number(args, key).map(|n| n as i64)
}

/// A string argument.
pub(super) fn string<'a>(args: &'a Args, key: &str) -> Option<&'a str> {
    args.get(key)?.as_str()
}

/// A list of strings (other items are skipped).
pub(super) fn strings(args: &Args, key: &str) -> Option<Vec<String>> {
    Some(
        args.get(key)?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
    )
}

/// A list of whole numbers such as file indices (other items are skipped).
pub(super) fn indices(args: &Args, key: &str) -> Option<Vec<usize>> {
    Some(
        args.get(key)?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_u64().and_then(|n| usize::try_from(n).ok()))
            .collect(),
    )
}

/// Kilobytes per second (Transmission's `speed-bytes` is 1000) as bytes per second;
/// negative values are 0.
pub(super) fn kilobytes_per_second(args: &Args, key: &str) -> Option<u64> {
    integer(args, key).map(|k| k.max(0).unsigned_abs().saturating_mul(1000))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn args(value: Value) -> Args {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn booleans_and_numbers_are_read_leniently() {
        let a = args(
            json!({"t": true, "one": 1, "zero": 0, "s": "True", "n": 2.5, "ns": "3", "bad": []}),
        );
        assert_eq!(boolean(&a, "t"), Some(true));
        assert_eq!(boolean(&a, "one"), Some(true));
        assert_eq!(boolean(&a, "zero"), Some(false));
        assert_eq!(boolean(&a, "s"), Some(true));
        assert_eq!(boolean(&a, "bad"), None);
        assert_eq!(boolean(&a, "missing"), None);
        assert_eq!(number(&a, "n"), Some(2.5));
        assert_eq!(integer(&a, "n"), Some(2));
        assert_eq!(integer(&a, "ns"), Some(3));
        assert_eq!(kilobytes_per_second(&a, "ns"), Some(3000));
    }
}
