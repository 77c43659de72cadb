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
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

        /// Any header: no panic, and a partial answer lies inside the body.
        #[test]
        fn any_header_is_answered_inside_the_body(header in "\\PC{0,40}", size in any::<u64>()) {
            if let Partial { start, end } = parse(Some(&header), size) {
                prop_assert!(start <= end && end < size, "{:?} {}: {}-{}", header, size, start, end);
            }
        }

        /// Headers made of the grammar's own pieces, with numbers at the edges.
        #[test]
        fn range_shaped_headers(
            parts in prop::collection::vec(prop_oneof![
                Just("bytes=".to_owned()), Just("-".to_owned()), Just(",".to_owned()),
                Just(" ".to_owned()), Just("bytes =".to_owned()),
                Just("18446744073709551615".to_owned()), Just("18446744073709551616".to_owned()),
                (0u64..2000).prop_map(|n| n.to_string()),
            ], 0..7),
            size in 0u64..1500,
        ) {
            let header = parts.concat();
            match parse(Some(&header), size) {
                Partial { start, end } => prop_assert!(start <= end && end < size, "{:?}", header),
                Unsatisfiable | Full => {}
            }
        }

        /// A well-formed `bytes=a-b` inside the body is honoured exactly.
        #[test]
        fn valid_ranges_are_honoured(size in 1u64..u64::MAX, a in any::<u64>(), len in any::<u64>()) {
            let start = a % size;
            let end = start.saturating_add(len % size).min(size - 1);
            prop_assert_eq!(parse(Some(&format!("bytes={start}-{end}")), size), Partial { start, end });
            let n = len % size + 1;
            prop_assert_eq!(
                parse(Some(&format!("bytes=-{n}")), size),
                Partial { start: size - n, end: size - 1 }
            );
            prop_assert_eq!(parse(Some(&format!("bytes={size}-")), size), Unsatisfiable);
        }
    }

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
