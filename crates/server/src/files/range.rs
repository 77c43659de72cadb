//! The `Range` request header (RFC 9110 §14), single byte ranges only.

/// What to send for a request's `Range` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// No (usable) range: send the whole body with 200.
    Full,
    /// Send bytes `start..=end` with 206.
    Partial { start: u64, end: u64 },
    /// 416 with `Content-Range: bytes */size`.
    Unsatisfiable,
}

/// Interprets a `Range` header for a body of `size` bytes.
///
/// `bytes=a-b`, `bytes=a-` and `bytes=-n` are honoured. A header that is not
/// valid, or asks for several ranges, is ignored (the whole body is sent), as
/// RFC 9110 allows. A valid range that starts past the end is unsatisfiable.
pub fn parse(header: Option<&str>, size: u64) -> RangeAnswer {
    let Some(header) = header else {
        return RangeAnswer::Full;
    };
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    match (first.trim().is_empty(), last.trim().is_empty()) {
        // bytes=-n: the last n bytes
        (true, false) => match number(last) {
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if size == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial {
                start: size.saturating_sub(n),
                end: size - 1,
            },
            None => RangeAnswer::Full,
        },
        // bytes=a-
        (false, true) => match number(first) {
            Some(a) if a >= size => RangeAnswer::Unsatisfiable,
            Some(a) => RangeAnswer::Partial {
                start: a,
                end: size - 1,
            },
            None => RangeAnswer::Full,
        },
        // bytes=a-b
        (false, false) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a > b => RangeAnswer::Full,
            (Some(a), Some(_)) if a >= size => RangeAnswer::Unsatisfiable,
            (Some(a), Some(b)) => RangeAnswer::Partial {
                start: a,
                end: b.min(size - 1),
            },
            _ => RangeAnswer::Full,
        },
        (true, true) => RangeAnswer::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::RangeAnswer::*;
    use super::*;

    #[test]
    fn the_three_forms() {
        assert_eq!(parse(Some("bytes=0-9"), 100), Partial { start: 0, end: 9 });
        assert_eq!(
            parse(Some("bytes=90-"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse(Some("bytes=-10"), 100),
            Partial { start: 90, end: 99 }
        );
        assert_eq!(
            parse(Some("bytes=-1000"), 100),
            Partial { start: 0, end: 99 }
        );
        assert_eq!(
            parse(Some("bytes=50-1000"), 100),
            Partial { start: 50, end: 99 }
        );
        assert_eq!(parse(Some("bytes=0-0"), 1), Partial { start: 0, end: 0 });
    }

    #[test]
    fn unsatisfiable_and_ignored() {
        assert_eq!(parse(Some("bytes=100-"), 100), Unsatisfiable);
        assert_eq!(parse(Some("bytes=100-200"), 100), Unsatisfiable);
        assert_eq!(parse(Some("bytes=-0"), 100), Unsatisfiable);
        assert_eq!(parse(Some("bytes=0-"), 0), Unsatisfiable);
        assert_eq!(parse(Some("bytes=-5"), 0), Unsatisfiable);
        for ignored in [
            "",
            "bytes=",
            "bytes=-",
            "bytes=5-1",
            "items=0-1",
            "bytes=a-b",
            "bytes=0-1,4-5",
            "bytes=+1-2",
            "bytes=1--2",
        ] {
            assert_eq!(parse(Some(ignored), 100), Full, "{ignored}");
        }
        assert_eq!(parse(None, 100), Full);
    }

    /// Whatever the header, a partial answer lies inside the body.
    #[test]
    fn partial_answers_stay_inside_the_body() {
        let mut x: u64 = 88172645463325252;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let pieces = [
            "bytes=",
            "-",
            "0",
            "1",
            "9",
            "18446744073709551615",
            "99999999999999999999",
            " ",
            ",",
            "x",
        ];
        for _ in 0..50_000 {
            let header: String = (0..(next() % 6))
                .map(|_| pieces[(next() % pieces.len() as u64) as usize])
                .collect();
            let size = next() % 200;
            if let Partial { start, end } = parse(Some(&header), size) {
                assert!(
                    start <= end && end < size,
                    "{header:?} size {size}: {start}-{end}"
                );
            }
        }
    }
}
