//! The dates of feed articles: RFC 2822 (RSS `pubDate`) and RFC 3339 (Atom, Dublin Core), each
//! with the variants feeds write in practice. A date that cannot be read is `None`, never an error.

use std::sync::LazyLock;

use regex::Regex;
use time::format_description::well_known::{Rfc2822, Rfc3339};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// Reads a feed date in either format, strict first, then tolerating the usual variants.
pub(crate) fn parse_date(text: &str) -> Option<OffsetDateTime> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    OffsetDateTime::parse(text, &Rfc2822)
        .or_else(|_| OffsetDateTime::parse(text, &Rfc3339))
        .ok()
        .or_else(|| loose_rfc2822(text))
        .or_else(|| loose_rfc3339(text))
}

/// `[Weekday,] D Month YYYY H:MM[:SS] [zone]`: a weekday that does not fit the date, a full month
/// name, a zone written `UTC` or `+01:00`, or no zone at all (taken as UTC).
fn loose_rfc2822(text: &str) -> Option<OffsetDateTime> {
    static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)^
            (?:[A-Za-z]+\.?,?\s*)?                      # weekday, checked by nobody
            (\d{1,2})[\s-]+([A-Za-z]+)\.?[\s-]+(\d{4}|\d{2}),?\s+
            (\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?\s*
            ([A-Za-z]+|[+-]\d{2}:?\d{2})?
            $",
        )
        .expect("the loose RFC 2822 pattern compiles")
    });
    let caps = LOOSE.captures(text)?;
    let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let year = match caps.get(3)?.as_str() {
        y if y.len() == 2 => {
            let y: i32 = y.parse().ok()?;
            if y < 50 { 2000 + y } else { 1900 + y }
        }
        y => y.parse().ok()?,
    };
    let date =
        Date::from_calendar_date(year, month_named(caps.get(2)?.as_str())?, day(number(1)?)?)
            .ok()?;
    let time = Time::from_hms(
        u8::try_from(number(4)?).ok()?,
        u8::try_from(number(5)?).ok()?,
        u8::try_from(number(6).unwrap_or(0)).ok()?,
    )
    .ok()?;
    let offset = match caps.get(7) {
        Some(zone) => zone_offset(zone.as_str())?,
        None => UtcOffset::UTC,
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

/// `YYYY-MM-DD[(T| )HH:MM[:SS[.frac]]][zone]`: a space for the `T`, no seconds, no zone (UTC), or
/// a date alone (midnight UTC).
fn loose_rfc3339(text: &str) -> Option<OffsetDateTime> {
    static LOOSE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?x)^
            (\d{4})-(\d{2})-(\d{2})
            (?:[Tt\s](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9})\d*)?)?)?
            \s*([Zz]|[A-Za-z]{2,4}|[+-]\d{2}(?::?\d{2})?)?
            $",
        )
        .expect("the loose RFC 3339 pattern compiles")
    });
    let caps = LOOSE.captures(text)?;
    let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
    let month = Month::try_from(u8::try_from(number(2)?).ok()?).ok()?;
    let date =
        Date::from_calendar_date(caps.get(1)?.as_str().parse().ok()?, month, day(number(3)?)?)
            .ok()?;
    let nanos = match caps.get(7) {
        // The digits are a fraction of a second: scale them to nine digits.
        Some(frac) => format!("{:0<9}", frac.as_str()).parse::<u32>().ok()?,
        None => 0,
    };
    let time = Time::from_hms_nano(
        u8::try_from(number(4).unwrap_or(0)).ok()?,
        u8::try_from(number(5).unwrap_or(0)).ok()?,
        u8::try_from(number(6).unwrap_or(0)).ok()?,
        nanos,
    )
    .ok()?;
    let offset = match caps.get(8) {
        Some(zone) => zone_offset(zone.as_str())?,
        None => UtcOffset::UTC,
    };
    Some(PrimitiveDateTime::new(date, time).assume_offset(offset))
}

fn day(n: u32) -> Option<u8> {
    u8::try_from(n).ok().filter(|d| (1..=31).contains(d))
}

/// An English month by its full name or its first three letters.
fn month_named(name: &str) -> Option<Month> {
    const MONTHS: [Month; 12] = [
        Month::January,
        Month::February,
        Month::March,
        Month::April,
        Month::May,
        Month::June,
        Month::July,
        Month::August,
        Month::September,
        Month::October,
        Month::November,
        Month::December,
    ];
    let name = name.to_ascii_lowercase();
    MONTHS.into_iter().find(|month| {
        let full = month.to_string().to_ascii_lowercase();
        name == full || (name.len() >= 3 && full.starts_with(&name))
    })
}

/// A numeric offset (`+0100`, `+01:00`, `+01`) or one of the zone names RFC 2822 lists, plus `UTC`
/// and `Z`. Any other name is unknown: the date is then dropped rather than guessed.
fn zone_offset(zone: &str) -> Option<UtcOffset> {
    let hours: i8 = match zone.to_ascii_uppercase().as_str() {
        "Z" | "UT" | "UTC" | "GMT" => 0,
        "EDT" => -4,
        "EST" | "CDT" => -5,
        "CST" | "MDT" => -6,
        "MST" | "PDT" => -7,
        "PST" => -8,
        numeric if numeric.starts_with(['+', '-']) => {
            let digits: String = numeric[1..].chars().filter(char::is_ascii_digit).collect();
            let (h, m) = digits.split_at(2.min(digits.len()));
            let h: i8 = h.parse().ok()?;
            let m: i8 = if m.is_empty() { 0 } else { m.parse().ok()? };
            let sign = if numeric.starts_with('-') { -1 } else { 1 };
            return UtcOffset::from_hms(sign * h, sign * m, 0).ok();
        }
        _ => return None,
    };
    UtcOffset::from_hms(hours, 0, 0).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn reads_strict_rfc2822_and_rfc3339() {
        assert_eq!(
            parse_date("Sun, 29 Nov 2026 20:15:00 +0000"),
            Some(datetime!(2026-11-29 20:15:00 UTC))
        );
        assert_eq!(
            parse_date(" Sun, 29 Nov 2026 20:15:00 GMT\n"),
            Some(datetime!(2026-11-29 20:15:00 UTC))
        );
        assert_eq!(
            parse_date("29 Nov 2026 15:15:00 EST"),
            Some(datetime!(2026-11-29 15:15:00 -5))
        );
        assert_eq!(
            parse_date("2026-11-29T20:15:00.250+01:00"),
            Some(datetime!(2026-11-29 20:15:00.25 +1))
        );
        assert_eq!(
            parse_date("2026-11-29T20:15:00Z"),
            Some(datetime!(2026-11-29 20:15:00 UTC))
        );
    }

    #[test]
    fn tolerates_common_rss_variants() {
        let expected = Some(datetime!(2026-11-29 20:15:00 UTC));
        // The weekday does not fit the date (29 Nov 2026 is a Sunday).
        assert_eq!(parse_date("Mon, 29 Nov 2026 20:15:00 +0000"), expected);
        assert_eq!(parse_date("Sun, 29 Nov 2026 20:15:00 UTC"), expected);
        assert_eq!(
            parse_date("Sunday, 29 November 2026 20:15:00 +00:00"),
            expected
        );
        assert_eq!(parse_date("29 Nov 2026 20:15:00"), expected);
        assert_eq!(parse_date("Sun, 29 Nov 2026 20:15 +0000"), expected);
        assert_eq!(parse_date("29 Nov 26 20:15:00 Z"), expected);
        assert_eq!(
            parse_date("Sun, 29 Nov 2026 21:15:00 +01:00"),
            Some(datetime!(2026-11-29 21:15:00 +1))
        );
    }

    #[test]
    fn tolerates_common_atom_variants() {
        assert_eq!(
            parse_date("2026-11-29 20:15:00"),
            Some(datetime!(2026-11-29 20:15:00 UTC))
        );
        assert_eq!(
            parse_date("2026-11-29T20:15Z"),
            Some(datetime!(2026-11-29 20:15:00 UTC))
        );
        assert_eq!(
            parse_date("2026-11-29T20:15:00+0530"),
            Some(datetime!(2026-11-29 20:15:00 +5:30))
        );
        assert_eq!(
            parse_date("2026-11-29"),
            Some(datetime!(2026-11-29 00:00:00 UTC))
        );
    }

    #[test]
    fn a_bad_date_is_none() {
        for bad in [
            "",
            "yesterday",
            "31 Feb 2026 10:00:00 +0000",
            "2026-13-01T00:00:00Z",
            "29 Nov 2026 25:00:00 +0000",
            "29 Nov 2026 20:15:00 XYZ",
            "Sun, 29 Nov 2026",
        ] {
            assert_eq!(parse_date(bad), None, "{bad:?}");
        }
    }
}
