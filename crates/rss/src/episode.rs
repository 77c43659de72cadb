//! Episodes named in release titles: `S01E02`, `s1e2`, `S01.E02`, `1x02`, multi-episode releases
//! (`S01E02E03`, `S01E02-E03`, `S01E02-03`, `1x02-03`), shows numbered by air date (`2026.11.29`,
//! `2026-11-29`), and whether a release is a REPACK or PROPER. [`EpisodeId`] is also what a rule
//! records for its smart filter, written as text (`S01E02`, `S01E02-E03 REPACK`, `2026-11-29`).

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};

use crate::rule::RuleError;

/// The episodes a release holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Episode {
    /// Episodes `first..=last` of a season (one episode when they are equal).
    Numbered {
        /// The season number.
        season: u32,
        /// The first episode.
        first: u32,
        /// The last episode (equal to `first` for a single episode).
        last: u32,
    },
    /// A show numbered by its air date.
    Dated(Date),
}

/// An episode as a title names it and a rule records it: the episode(s) and whether the release
/// is a REPACK or PROPER (a fixed release of an episode already out).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EpisodeId {
    /// The episode(s).
    pub episode: Episode,
    /// Whether the title says REPACK or PROPER.
    pub repack: bool,
}

/// A multi-episode release spans at most this many episodes; more is a misreading.
const MAX_EPISODES_PER_RELEASE: u32 = 50;

impl Episode {
    /// The single episodes it holds, in order.
    pub fn singles(&self) -> impl Iterator<Item = Episode> + '_ {
        let (range, season) = match *self {
            Self::Numbered {
                season,
                first,
                last,
            } => (first..=last, Some(season)),
            Self::Dated(_) => (0..=0, None),
        };
        range.map(move |episode| match season {
            Some(season) => Self::Numbered {
                season,
                first: episode,
                last: episode,
            },
            None => *self,
        })
    }

    /// Whether every episode of `self` is one of `other`'s.
    pub fn within(&self, other: &Episode) -> bool {
        match (*self, *other) {
            (
                Self::Numbered {
                    season,
                    first,
                    last,
                },
                Self::Numbered {
                    season: other_season,
                    first: other_first,
                    last: other_last,
                },
            ) => season == other_season && other_first <= first && last <= other_last,
            (Self::Dated(date), Self::Dated(other_date)) => date == other_date,
            _ => false,
        }
    }
}

impl EpisodeId {
    /// The episode a release title names, if any. `S01E02` forms win over `1x02`, which wins
    /// over a date; resolutions (`1080p`, `1920x1080`), codecs (`x264`, `h.265`), audio channels
    /// (`5.1x264`) and years alone are not episodes.
    pub fn from_title(title: &str) -> Option<Self> {
        let episode = season_episode(title)
            .or_else(|| cross_numbered(title))
            .or_else(|| dated(title))?;
        Some(Self {
            episode,
            repack: is_repack(title),
        })
    }
}

/// Whether a title marks a fixed release: `REPACK` (also `REPACK2`…) or `PROPER` as a word.
pub fn is_repack(title: &str) -> bool {
    static REPACK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|[^\p{L}\p{N}])(?:repack\d*|proper)(?:[^\p{L}\p{N}]|$)")
            .expect("the repack pattern compiles")
    });
    REPACK.is_match(title)
}

/// `S01E02`, `s1e2`, `S01 E02`, `S01.E02`, with `E03`, `-E03` or `-03` after it for more episodes.
/// Letters may follow the episode (`S01E02v2`); a fifth digit may not.
fn season_episode(title: &str) -> Option<Episode> {
    static BASE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|[^\p{L}\p{N}])s(\d{1,4})[ ._-]?e(\d{1,4})")
            .expect("the season-episode pattern compiles")
    });
    static MORE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:-?e|-)(\d{1,4})").expect("the next-episode pattern compiles")
    });
    BASE.captures_iter(title)
        .find_map(|caps| numbered(title, &caps, &MORE, true))
}

/// `1x02`, with `-03` after it for more episodes. The season has at most two digits so that
/// `1920x1080` is no episode, a letter may not follow (`1x02p`), and a season right after
/// `<digit>.` is an audio layout (`5.1x264`).
fn cross_numbered(title: &str) -> Option<Episode> {
    static BASE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)(?:^|[^\p{L}\p{N}])(\d{1,2})x(\d{1,3})")
            .expect("the cross-numbered pattern compiles")
    });
    static MORE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^-(\d{1,3})").expect("the next-episode pattern compiles"));
    BASE.captures_iter(title).find_map(|caps| {
        let before: Vec<char> = title[..caps.get(1)?.start()]
            .chars()
            .rev()
            .take(2)
            .collect();
        if matches!(before.as_slice(), ['.', digit] if digit.is_ascii_digit()) {
            return None;
        }
        numbered(title, &caps, &MORE, false)
    })
}

/// The episode of a season-and-episode match (captures 1 and 2), extended by each `more` match
/// after it to a multi-episode range. Every number must end its token: no digit may follow, nor
/// a letter unless `letters_may_follow` (for the first) or another episode follows (`E02E03`).
fn numbered(
    title: &str,
    caps: &Captures,
    more: &Regex,
    letters_may_follow: bool,
) -> Option<Episode> {
    let ends_token = |at: usize, letters_end_it: bool| {
        let rest = &title[at..];
        match rest.chars().next() {
            None => true,
            Some(c) if c.is_numeric() => false,
            Some(c) if c.is_alphabetic() => letters_end_it || more.is_match(rest),
            Some(_) => true,
        }
    };
    let season: u32 = caps.get(1)?.as_str().parse().ok()?;
    let first: u32 = caps.get(2)?.as_str().parse().ok()?;
    let mut end = caps.get(0)?.end();
    if !ends_token(end, letters_may_follow) {
        return None;
    }
    let mut last = first;
    // `-1080p` is a resolution and `-03rd` a word, not episodes; numbers must also go up.
    while let Some(next) = more.captures(&title[end..]) {
        let after = end + next.get(0)?.end();
        let Ok(number) = next.get(1)?.as_str().parse::<u32>() else {
            break;
        };
        if !ends_token(after, false) || number <= last || number > first + MAX_EPISODES_PER_RELEASE
        {
            break;
        }
        last = number;
        end = after;
    }
    Some(Episode::Numbered {
        season,
        first,
        last,
    })
}

/// `2026.11.29` or `2026-11-29` (the same separator twice), a real date.
fn dated(title: &str) -> Option<Episode> {
    static DATE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:^|[^\p{L}\p{N}])((?:19|20|21)\d{2})([.-])(\d{1,2})([.-])(\d{1,2})")
            .expect("the date pattern compiles")
    });
    DATE.captures_iter(title).find_map(|caps| {
        let whole = caps.get(0)?;
        let ends = title[whole.end()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_numeric());
        if !ends || caps.get(2)?.as_str() != caps.get(4)?.as_str() {
            return None;
        }
        let month = Month::try_from(caps.get(3)?.as_str().parse::<u8>().ok()?).ok()?;
        let date = Date::from_calendar_date(
            caps.get(1)?.as_str().parse().ok()?,
            month,
            caps.get(5)?.as_str().parse().ok()?,
        )
        .ok()?;
        Some(Episode::Dated(date))
    })
}

impl fmt::Display for Episode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Numbered {
                season,
                first,
                last,
            } => {
                write!(f, "S{season:02}E{first:02}")?;
                if last != first {
                    write!(f, "-E{last:02}")?;
                }
                Ok(())
            }
            Self::Dated(date) => write!(
                f,
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            ),
        }
    }
}

impl fmt::Display for EpisodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.episode)?;
        if self.repack {
            f.write_str(" REPACK")?;
        }
        Ok(())
    }
}

impl FromStr for EpisodeId {
    type Err = RuleError;

    /// Reads what [`Display`](fmt::Display) writes, and qBittorrent's
    /// `previouslyMatchedEpisodes` entries (`1x5`, `1x5-REPACK`, `1x5-PROPER`, `2026.11.29`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        static ID: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"(?ix)^
                (?:
                    s(?P<s>\d{1,4})e(?P<e>\d{1,4})(?:-e(?P<last>\d{1,4}))?
                  | (?P<qs>\d{1,4})x(?P<qe>\d{1,4})
                  | (?P<y>\d{4})[.-](?P<m>\d{1,2})[.-](?P<d>\d{1,2})
                )
                (?P<repack>[\ -](?:repack|proper))?
                $",
            )
            .expect("the episode id pattern compiles")
        });
        let bad = || RuleError::EpisodeId {
            text: text.chars().take(64).collect(),
        };
        let caps = ID.captures(text.trim()).ok_or_else(bad)?;
        let number = |name: &str| caps.name(name).and_then(|m| m.as_str().parse::<u32>().ok());
        let episode = if let (Some(season), Some(first)) = (
            number("s").or_else(|| number("qs")),
            number("e").or_else(|| number("qe")),
        ) {
            let last = number("last").unwrap_or(first);
            if last < first {
                return Err(bad());
            }
            Episode::Numbered {
                season,
                first,
                last,
            }
        } else {
            let month = u8::try_from(number("m").ok_or_else(bad)?).map_err(|_| bad())?;
            let date = Date::from_calendar_date(
                i32::try_from(number("y").ok_or_else(bad)?).map_err(|_| bad())?,
                Month::try_from(month).map_err(|_| bad())?,
                u8::try_from(number("d").ok_or_else(bad)?).map_err(|_| bad())?,
            )
            .map_err(|_| bad())?;
            Episode::Dated(date)
        };
        Ok(Self {
            episode,
            repack: caps.name("repack").is_some(),
        })
    }
}

impl Serialize for EpisodeId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for EpisodeId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn numbered(season: u32, first: u32, last: u32) -> Option<Episode> {
        Some(Episode::Numbered {
            season,
            first,
            last,
        })
    }

    fn episode(title: &str) -> Option<Episode> {
        EpisodeId::from_title(title).map(|id| id.episode)
    }

    #[test]
    fn season_and_episode_forms() {
        for (title, expected) in [
            (
                "Example.Show.S01E02.1080p.WEB.h264-GROUP",
                numbered(1, 2, 2),
            ),
            ("example show s1e2 720p", numbered(1, 2, 2)),
            ("Example Show S01 E02", numbered(1, 2, 2)),
            ("Example.Show.S01.E02.HDTV", numbered(1, 2, 2)),
            ("Example_Show_S03E10_x265", numbered(3, 10, 10)),
            ("Example Show 1x02 [HDTV]", numbered(1, 2, 2)),
            ("Example Show 12x104 - Title", numbered(12, 104, 104)),
            (
                "[Group] Example Show - S2024E005 (1080p)",
                numbered(2024, 5, 5),
            ),
            ("S05E01", numbered(5, 1, 1)),
        ] {
            assert_eq!(episode(title), expected, "{title}");
        }
    }

    #[test]
    fn multi_episode_releases() {
        for (title, expected) in [
            ("Example.Show.S01E02E03.1080p", numbered(1, 2, 3)),
            ("Example.Show.S01E02-E03.1080p", numbered(1, 2, 3)),
            ("Example.Show.S01E02-03.720p", numbered(1, 2, 3)),
            ("Example.Show.S01E01E02E03.HDTV", numbered(1, 1, 3)),
            ("Example Show 1x02-03 HDTV", numbered(1, 2, 3)),
            // Not a second episode: a resolution, a backwards number, a glued word.
            ("Example.Show.S01E02-1080p", numbered(1, 2, 2)),
            ("Example.Show.S01E05-E03", numbered(1, 5, 5)),
            ("Example.Show.S01E02-03rd.Anniversary", numbered(1, 2, 2)),
        ] {
            assert_eq!(episode(title), expected, "{title}");
        }
    }

    #[test]
    fn date_numbered_shows() {
        for (title, expected) in [
            ("Daily.Show.2026.11.29.Guest.1080p", date!(2026 - 11 - 29)),
            ("Daily Show 2026-11-29 Guest", date!(2026 - 11 - 29)),
            ("Daily Show 2026.1.5 Guest", date!(2026 - 01 - 05)),
        ] {
            assert_eq!(episode(title), Some(Episode::Dated(expected)), "{title}");
        }
        for title in [
            "Daily Show 2026.13.01",
            "Daily Show 2026.02.30",
            "Daily Show 2026.11-29",
            "Daily Show 12026.11.29",
        ] {
            assert_eq!(episode(title), None, "{title}");
        }
        // A season and episode win over a date in the same title.
        assert_eq!(episode("Show 2026.11.29 S01E02"), numbered(1, 2, 2));
    }

    #[test]
    fn resolutions_codecs_and_years_are_not_episodes() {
        for title in [
            "Example Movie 2019 1080p BluRay x264-GROUP",
            "Example Movie (2019) 2160p UHD h.265 10bit",
            "Example Movie 1920x1080 HEVC",
            "Example Movie DD5.1x264",
            "Example Movie AAC2.0x265",
            "Example Show Season 1 Complete 720p",
            "Example Show S01 1080p",
            "Example Show S01E123456",
            "Example Show 1x02p",
            "MS1E2 is no token of its own",
        ] {
            assert_eq!(episode(title), None, "{title}");
        }
    }

    #[test]
    fn other_scripts_around_and_inside_numbers() {
        assert_eq!(episode("Сериал — S01E02 ✓ 1080p"), numbered(1, 2, 2));
        assert_eq!(episode("番組 第1x02話"), None, "a letter before the season");
        assert_eq!(episode("番組 1x02 話"), numbered(1, 2, 2));
        // Non-ASCII digits match `\d` but are no numbers here.
        assert_eq!(episode("Show S٠١E٠٢"), None);
        assert_eq!(episode("Show ١x٢ and 2026.١١.29"), None);
        assert_eq!(episode("Show S01E02-٠٣"), numbered(1, 2, 2));
        for title in ["", "S", "Se", "x", "1x", "S01E", "2026.11.", "ÉÉÉ 2026-1É"] {
            assert_eq!(episode(title), None, "{title}");
        }
    }

    #[test]
    fn repacks_and_propers() {
        for title in [
            "Example.Show.S01E02.REPACK.1080p",
            "Example.Show.S01E02.REPACK2.1080p",
            "example show s01e02 proper 720p",
            "Example_Show_S01E02_PROPER",
        ] {
            assert!(is_repack(title), "{title}");
        }
        for title in [
            "Example.Show.S01E02.1080p",
            "Improper Behaviour S01E02",
            "Repacked S01E02",
        ] {
            assert!(!is_repack(title), "{title}");
        }
        assert_eq!(
            EpisodeId::from_title("Example.Show.S01E02.PROPER.720p"),
            Some(EpisodeId {
                episode: Episode::Numbered {
                    season: 1,
                    first: 2,
                    last: 2
                },
                repack: true
            })
        );
    }

    #[test]
    fn ids_are_written_and_read_back() {
        for (text, written) in [
            ("S01E02", "S01E02"),
            ("S01E02-E03", "S01E02-E03"),
            ("S10E100 REPACK", "S10E100 REPACK"),
            ("2026-11-29", "2026-11-29"),
            ("2026-11-29 REPACK", "2026-11-29 REPACK"),
            // qBittorrent's forms.
            ("1x5", "S01E05"),
            ("1x5-REPACK", "S01E05 REPACK"),
            ("1x5-PROPER", "S01E05 REPACK"),
            ("2026.11.29", "2026-11-29"),
        ] {
            let id: EpisodeId = text.parse().expect(text);
            assert_eq!(id.to_string(), written, "{text}");
        }
        for bad in [
            "",
            "S01",
            "S01E03-E02",
            "2026-02-30",
            "episode two",
            "1x5-EXTENDED",
        ] {
            let error = bad.parse::<EpisodeId>().expect_err(bad);
            assert_eq!(
                error.to_string(),
                format!("{bad:?} is not an episode (write S01E02, S01E02-E03, 1x2 or 2026-11-29)")
            );
        }
        let json = serde_json::to_string(&EpisodeId::from_title("Show S01E02E03 REPACK"))
            .expect("serializes");
        assert_eq!(json, r#""S01E02-E03 REPACK""#);
        let back: Option<EpisodeId> = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, EpisodeId::from_title("Show S01E02E03 REPACK"));
    }

    #[test]
    fn coverage_of_episodes() {
        let range = Episode::Numbered {
            season: 1,
            first: 2,
            last: 4,
        };
        let three = Episode::Numbered {
            season: 1,
            first: 3,
            last: 3,
        };
        assert!(three.within(&range));
        assert!(!range.within(&three));
        assert_eq!(range.singles().count(), 3);
        assert!(range.singles().any(|e| e == three));
        let day = Episode::Dated(date!(2026 - 11 - 29));
        assert!(day.within(&day));
        assert!(!day.within(&range));
        assert_eq!(day.singles().collect::<Vec<_>>(), [day]);
    }
}
