//! A rule's episode filter, in qBittorrent's syntax: a season, `x`, then items each ended by `;`.
//! An item is an episode (`5`), a range (`5-8`) or an open range (`5-`, that episode onward and
//! every later season). `1x2;8-15;5;30-;` is qBittorrent's example. An item may name a season of
//! its own (`1x2-;2x1-3;3x5;`), which then applies to the items after it; an open range leaves
//! out the later seasons the filter names itself, so that example is season 1 from episode 2,
//! episodes 1 to 3 of season 2, episode 5 of season 3, and all of season 4 onward. For filters in
//! qBittorrent's own syntax (one season) the meaning is exactly qBittorrent's.

use std::sync::LazyLock;

use regex::Regex;

use crate::episode::Episode;

/// A parsed episode filter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct EpisodeFilter {
    items: Vec<Item>,
}

/// Episodes `first..=last` of a season; `last` is `None` for an open range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Item {
    season: u32,
    first: u32,
    last: Option<u32>,
}

impl EpisodeFilter {
    /// Reads a filter; the error says what is wrong, for [`RuleError::EpisodeFilter`].
    ///
    /// [`RuleError::EpisodeFilter`]: crate::RuleError::EpisodeFilter
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        static ITEM: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"^(?:(\d{1,4})[xX])?(\d{1,4})(?:(-)(\d{1,4})?)?$")
                .expect("the episode filter item pattern compiles")
        });
        let Some(body) = text.strip_suffix(';') else {
            return Err("end every item with ';', as in 1x2-;".into());
        };
        let mut season = None;
        let mut items = Vec::new();
        // Empty items (`1x2;;3;`) are skipped, as qBittorrent does.
        for item in body.split(';').filter(|item| !item.is_empty()) {
            let bad = || {
                format!(
                    "{item:?} is not an episode (5), a range (5-8) or an open range (5-), \
                     each optionally after a season (2x5)"
                )
            };
            let caps = ITEM.captures(item).ok_or_else(bad)?;
            let number = |i: usize| caps.get(i).and_then(|m| m.as_str().parse::<u32>().ok());
            if let Some(named) = number(1) {
                season = Some(named);
            }
            let Some(season) = season else {
                return Err("start with a season and an x, as in 1x2;".into());
            };
            let first = number(2).ok_or_else(bad)?;
            let last = match (caps.get(3), number(4)) {
                (None, _) => Some(first),
                (Some(_), None) => None,
                (Some(_), Some(last)) if last < first => {
                    return Err(format!("the range {first}-{last} runs backwards"));
                }
                (Some(_), Some(last)) => Some(last),
            };
            items.push(Item {
                season,
                first,
                last,
            });
        }
        if items.is_empty() {
            return Err("name at least one episode, as in 1x2;".into());
        }
        Ok(Self { items })
    }

    /// Whether the filter admits a release: any of its episodes is in the filter. Shows numbered
    /// by date have no season and are never admitted.
    pub(crate) fn admits(&self, episode: &Episode) -> bool {
        episode.singles().any(|single| match single {
            Episode::Numbered { season, first, .. } => self.admits_one(season, first),
            Episode::Dated(_) => false,
        })
    }

    fn admits_one(&self, season: u32, episode: u32) -> bool {
        let named = |season: u32| self.items.iter().any(|item| item.season == season);
        self.items.iter().any(|item| match item.last {
            Some(last) => item.season == season && (item.first..=last).contains(&episode),
            None => {
                (item.season == season && episode >= item.first)
                    || (season > item.season && !named(season))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn admits(filter: &str, season: u32, first: u32, last: u32) -> bool {
        EpisodeFilter::parse(filter)
            .expect(filter)
            .admits(&Episode::Numbered {
                season,
                first,
                last,
            })
    }

    #[test]
    fn single_episodes_and_ranges() {
        let filter = "1x2;8-15;5;30-;";
        for (episode, admitted) in [
            (1, false),
            (2, true),
            (3, false),
            (5, true),
            (7, false),
            (8, true),
            (15, true),
            (16, false),
            (29, false),
            (30, true),
            (300, true),
        ] {
            assert_eq!(admits(filter, 1, episode, episode), admitted, "1x{episode}");
        }
        // `30-` runs on into every later season; earlier seasons stay out.
        assert!(admits(filter, 2, 1, 1));
        assert!(!admits("2x30-;", 1, 40, 40));
        // A leading zero is the same number.
        assert!(admits("01x02;", 1, 2, 2));
        assert!(admits("1x0;", 1, 0, 0));
    }

    #[test]
    fn whole_seasons_and_several_seasons() {
        // A whole season onward.
        assert!(admits("3x1-;", 3, 1, 1));
        assert!(admits("3x1-;", 4, 7, 7));
        assert!(!admits("3x1-;", 2, 7, 7));
        // Season 1 from episode 2, season 2 episodes 1-3, season 3 episode 5, later seasons.
        let filter = "1x2-;2x1-3;3x5;";
        for (season, episode, admitted) in [
            (1, 1, false),
            (1, 2, true),
            (1, 20, true),
            (2, 1, true),
            (2, 3, true),
            (2, 4, false),
            (3, 4, false),
            (3, 5, true),
            (3, 6, false),
            (4, 1, true),
        ] {
            assert_eq!(
                admits(filter, season, episode, episode),
                admitted,
                "{season}x{episode}"
            );
        }
        // Items after a season name belong to it.
        assert!(admits("1x2;2x5;7;", 2, 7, 7));
        assert!(!admits("1x2;2x5;7;", 1, 7, 7));
    }

    #[test]
    fn a_multi_episode_release_needs_one_episode_in_the_filter() {
        assert!(admits("1x3;", 1, 2, 3));
        assert!(!admits("1x4;", 1, 2, 3));
    }

    #[test]
    fn dated_episodes_are_not_admitted() {
        let filter = EpisodeFilter::parse("1x1-;").expect("parses");
        assert!(!filter.admits(&Episode::Dated(time::macros::date!(2026 - 11 - 29))));
    }

    #[test]
    fn bad_filters_say_what_is_wrong() {
        for (filter, problem) in [
            ("1x2", "end every item with ';', as in 1x2-;"),
            ("2;", "start with a season and an x, as in 1x2;"),
            (
                "1x;",
                "\"1x\" is not an episode (5), a range (5-8) or an open range (5-), each optionally after a season (2x5)",
            ),
            (
                "1x2;a;",
                "\"a\" is not an episode (5), a range (5-8) or an open range (5-), each optionally after a season (2x5)",
            ),
            (
                "1x 2;",
                "\"1x 2\" is not an episode (5), a range (5-8) or an open range (5-), each optionally after a season (2x5)",
            ),
            (
                "1x12345;",
                "\"1x12345\" is not an episode (5), a range (5-8) or an open range (5-), each optionally after a season (2x5)",
            ),
            ("1x8-5;", "the range 8-5 runs backwards"),
            (";", "name at least one episode, as in 1x2;"),
        ] {
            assert_eq!(
                EpisodeFilter::parse(filter),
                Err(problem.to_owned()),
                "{filter}"
            );
        }
    }
}
