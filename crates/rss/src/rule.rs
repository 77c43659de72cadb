//! Download rules: what a rule is ([`Rule`]), what it remembers between runs ([`History`]), and
//! the one decision whether it takes a feed article ([`Rule::decide`]), with the reason when it
//! does not ([`SkipReason`]). The preview and the real run call the same decision, and
//! [`Rule::preview`] replays the bookkeeping of a run, so the preview lists what a run takes.
//!
//! The matching follows qBittorrent's `AutoDownloadRule`: must-contain and must-not-contain
//! expressions (see the `words` module), the episode filter (the `episode_filter` module), the
//! smart episode filter and "ignore subsequent matches for N days". Differences: ignore-days
//! counts from `now` rather than from the article's date, so a rule that just took something
//! rests for the days it says; a REPACK or PROPER of a taken episode is taken once (qBittorrent
//! takes one of each); a multi-episode release counts for all its episodes.

use std::collections::{BTreeSet, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize, Serializer};
use time::{Duration, OffsetDateTime};

use crate::episode::EpisodeId;
use crate::episode_filter::EpisodeFilter;
use crate::feed::Article;
use crate::words::{Missing, TitleMatcher};

/// The longest rest of [`Rule::ignore_days`]: ten years.
pub const MAX_IGNORE_DAYS: u32 = 3650;

/// A download rule. Its JSON form is camelCase; unknown fields are refused and missing ones take
/// their defaults (enabled, everything else empty).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields, default)]
pub struct Rule {
    /// A disabled rule takes nothing.
    pub enabled: bool,
    /// The feeds the rule watches, by id; empty means all.
    pub feeds: Vec<u64>,
    /// Words (or a regex) the title must contain; empty is no condition.
    pub must_contain: String,
    /// Words (or a regex) the title must not contain; empty is no condition.
    pub must_not_contain: String,
    /// Whether the two expressions are regular expressions rather than words with wildcards.
    pub use_regex: bool,
    /// qBittorrent's episode filter (`1x2-;2x1-3;3x5;`); empty is no condition.
    pub episode_filter: String,
    /// Take each episode once (and one REPACK/PROPER of it).
    pub smart_filter: bool,
    /// After taking something, take nothing for this many days; 0 is off, at most
    /// [`MAX_IGNORE_DAYS`].
    #[schema(maximum = 3650)]
    pub ignore_days: u32,
    /// The category of the torrents the rule adds.
    pub category: Option<String>,
    /// Where the torrents the rule adds are saved (else the category's or the default folder).
    pub save_path: Option<String>,
    /// Tags of the torrents the rule adds.
    pub tags: Vec<String>,
    /// Whether the torrents the rule adds start paused.
    pub paused: bool,
    /// When the rule last took an article.
    #[serde(with = "time::serde::rfc3339::option")]
    #[schema(value_type = Option<String>, format = DateTime)]
    pub last_match: Option<OffsetDateTime>,
}

impl Default for Rule {
    fn default() -> Self {
        Self {
            enabled: true,
            feeds: Vec::new(),
            must_contain: String::new(),
            must_not_contain: String::new(),
            use_regex: false,
            episode_filter: String::new(),
            smart_filter: false,
            ignore_days: 0,
            category: None,
            save_path: None,
            tags: Vec::new(),
            paused: false,
            last_match: None,
        }
    }
}

/// What a decision needs to know about earlier downloads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct History {
    /// The episodes this rule took (for its smart filter), as [`Decision::Take`] returned them.
    pub episodes: BTreeSet<EpisodeId>,
    /// Guids of the article's feed that were downloaded already (by any rule or by hand).
    pub guids: HashSet<String>,
    /// Info hashes already downloaded or in the client.
    pub info_hashes: HashSet<String>,
}

impl History {
    /// Records that an article was taken, with the episode [`Decision::Take`] returned.
    pub fn record(&mut self, article: &Article, episode: Option<EpisodeId>) {
        self.guids.insert(article.guid.clone());
        if let Some(hash) = &article.info_hash {
            self.info_hashes.insert(hash.clone());
        }
        if let Some(episode) = episode {
            self.episodes.insert(episode);
        }
    }

    fn has_article(&self, article: &Article) -> bool {
        self.guids.contains(&article.guid)
            || article
                .info_hash
                .as_ref()
                .is_some_and(|hash| self.info_hashes.contains(hash))
    }

    /// Whether every episode of a release was taken before (by a REPACK/PROPER, when the release
    /// is one).
    fn has_taken(&self, release: &EpisodeId) -> bool {
        release.episode.singles().all(|single| {
            self.episodes
                .iter()
                .any(|taken| (taken.repack || !release.repack) && single.within(&taken.episode))
        })
    }
}

/// Whether a rule takes an article.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "camelCase")]
pub enum Decision {
    /// Download it; record the episode (when the title names one) with [`Rule::accept`].
    Take {
        /// The episode the title names, to record in [`History::episodes`].
        episode: Option<EpisodeId>,
    },
    /// Leave it, for this reason.
    Skip(SkipReason),
}

/// Why a rule leaves an article. [`Display`](fmt::Display) gives a short English sentence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(
    tag = "reason",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum SkipReason {
    /// The rule is disabled.
    Disabled,
    /// The article's feed is not one the rule watches.
    OtherFeed,
    /// The rule cannot run ([`Rule::check`] says the same).
    InvalidRule {
        /// What is wrong.
        error: RuleError,
    },
    /// The rule took something less than `ignore_days` ago.
    IgnoredForDays {
        /// Days (started) until the rule takes articles again.
        days_left: u32,
    },
    /// The title lacks a must-contain word: the first missing word of each alternative.
    MissingWords {
        /// One word per alternative.
        words: Vec<String>,
    },
    /// The title does not match the must-contain regex.
    NoRegexMatch {
        /// The regex.
        pattern: String,
    },
    /// The title has what the must-not-contain expression excludes.
    ExcludedWord {
        /// The alternative that matched, or the text the regex found ("" for an empty
        /// alternative, which excludes every title).
        word: String,
    },
    /// The episode is not in the episode filter (`None`: the title names no episode).
    OutsideEpisodeFilter {
        /// The title's episode.
        episode: Option<EpisodeId>,
    },
    /// The article has neither a torrent URL nor a magnet.
    NoTorrent,
    /// The article (its guid or its info hash) was downloaded already.
    AlreadyDownloaded,
    /// The smart filter: this episode was taken already.
    EpisodeAlreadyTaken {
        /// The title's episode.
        episode: EpisodeId,
    },
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Disabled => f.write_str("the rule is disabled"),
            Self::OtherFeed => f.write_str("the rule does not watch this feed"),
            Self::InvalidRule { error } => write!(f, "the rule is invalid: {error}"),
            Self::IgnoredForDays { days_left: 1 } => {
                f.write_str("the rule took an article recently and waits 1 more day")
            }
            Self::IgnoredForDays { days_left } => write!(
                f,
                "the rule took an article recently and waits {days_left} more days"
            ),
            Self::MissingWords { words } => match words.as_slice() {
                [word] => write!(f, "the title lacks {word:?}"),
                words => write!(
                    f,
                    "the title matches no alternative: it lacks {}",
                    quoted_list(words)
                ),
            },
            Self::NoRegexMatch { pattern } => {
                write!(f, "the title does not match the regex {pattern:?}")
            }
            Self::ExcludedWord { word } if word.is_empty() => f.write_str(
                "the must-not-contain expression has an empty alternative, which excludes every title",
            ),
            Self::ExcludedWord { word } => {
                write!(f, "the title contains {word:?}, which the rule excludes")
            }
            Self::OutsideEpisodeFilter { episode: None } => {
                f.write_str("the title names no episode, and the rule has an episode filter")
            }
            Self::OutsideEpisodeFilter {
                episode: Some(episode),
            } => write!(f, "episode {} is outside the episode filter", episode.episode),
            Self::NoTorrent => f.write_str("the article has no torrent link or magnet"),
            Self::AlreadyDownloaded => f.write_str("the article was downloaded already"),
            Self::EpisodeAlreadyTaken { episode } if episode.repack => write!(
                f,
                "a REPACK or PROPER of episode {} was taken already",
                episode.episode
            ),
            Self::EpisodeAlreadyTaken { episode } => {
                write!(f, "episode {} was taken already", episode.episode)
            }
        }
    }
}

fn quoted_list(words: &[String]) -> String {
    words
        .iter()
        .map(|word| format!("{word:?}"))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A field of a rule that holds an expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum RuleField {
    /// [`Rule::must_contain`].
    MustContain,
    /// [`Rule::must_not_contain`].
    MustNotContain,
}

impl fmt::Display for RuleField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::MustContain => "mustContain",
            Self::MustNotContain => "mustNotContain",
        })
    }
}

/// What is wrong with a rule, or with a recorded episode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    /// An expression is not a valid regular expression.
    #[error(
        "{field}: not a valid regular expression: {message} (the syntax is Rust's regex \
         crate: no look-around such as (?=…) or (?<!…), no backreferences)"
    )]
    Regex {
        /// The field.
        field: RuleField,
        /// What the regex compiler said.
        message: String,
    },
    /// `ignore_days` is more than [`MAX_IGNORE_DAYS`].
    #[error("ignoreDays: {days} is more than {MAX_IGNORE_DAYS} (ten years)")]
    IgnoreDays {
        /// The value given.
        days: u32,
    },
    /// The episode filter does not parse.
    #[error("episodeFilter: {filter:?} is invalid: {problem}")]
    EpisodeFilter {
        /// The filter as written.
        filter: String,
        /// What is wrong.
        problem: String,
    },
    /// A recorded episode is not written as an episode.
    #[error("{text:?} is not an episode (write S01E02, S01E02-E03, 1x2 or 2026-11-29)")]
    EpisodeId {
        /// The text (at most 64 characters of it).
        text: String,
    },
}

impl Serialize for RuleError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// A rule with its expressions compiled, to decide on many articles; from [`Rule::compile`]. A
/// run calls [`decide`](Self::decide) and, for each article it adds, [`accept`](Self::accept) on
/// it, then keeps [`rule()`](Self::rule)'s `last_match`.
#[derive(Clone, Debug)]
pub struct CompiledRule {
    rule: Rule,
    must_contain: TitleMatcher,
    must_not_contain: TitleMatcher,
    episode_filter: Option<EpisodeFilter>,
}

impl Rule {
    /// Checks the regular expressions, the episode filter and `ignore_days`.
    pub fn check(&self) -> Result<(), RuleError> {
        if self.ignore_days > MAX_IGNORE_DAYS {
            return Err(RuleError::IgnoreDays {
                days: self.ignore_days,
            });
        }
        self.compile().map(drop)
    }

    /// Compiles the rule (a copy of it) to decide on many articles.
    pub fn compile(&self) -> Result<CompiledRule, RuleError> {
        let expression = |field: RuleField, text: &str| {
            TitleMatcher::compile(text, self.use_regex).map_err(|error| RuleError::Regex {
                field,
                message: regex_message(&error),
            })
        };
        let episode_filter =
            match self.episode_filter.as_str() {
                "" => None,
                filter => Some(EpisodeFilter::parse(filter).map_err(|problem| {
                    RuleError::EpisodeFilter {
                        filter: filter.to_owned(),
                        problem,
                    }
                })?),
            };
        Ok(CompiledRule {
            must_contain: expression(RuleField::MustContain, &self.must_contain)?,
            must_not_contain: expression(RuleField::MustNotContain, &self.must_not_contain)?,
            episode_filter,
            rule: self.clone(),
        })
    }

    /// Whether this rule takes an article of feed `feed_id` now. The preview and the real run
    /// both call this; a run then records each article it adds with [`Rule::accept`].
    pub fn decide(
        &self,
        article: &Article,
        feed_id: u64,
        history: &History,
        now: OffsetDateTime,
    ) -> Decision {
        if let Some(reason) = self.unwatched(feed_id) {
            return Decision::Skip(reason);
        }
        match self.compile() {
            Ok(compiled) => compiled.decide(article, feed_id, history, now),
            Err(error) => Decision::Skip(SkipReason::InvalidRule { error }),
        }
    }

    /// Records that the rule took an article now: its last match, and the article and its
    /// episode in the history.
    pub fn accept(
        &mut self,
        article: &Article,
        episode: Option<EpisodeId>,
        history: &mut History,
        now: OffsetDateTime,
    ) {
        self.last_match = Some(now);
        history.record(article, episode);
    }

    /// The decisions of a run over these articles, in order, as if each taken article were
    /// added and recorded: a second release of a taken episode is skipped, and with
    /// `ignore_days` everything after the first take. Nothing is changed.
    pub fn preview<'a>(
        &self,
        articles: impl IntoIterator<Item = (u64, &'a Article)>,
        history: &History,
        now: OffsetDateTime,
    ) -> Vec<Decision> {
        let mut history = history.clone();
        let mut compiled = self.compile().ok();
        articles
            .into_iter()
            .map(|(feed_id, article)| {
                let Some(compiled) = compiled.as_mut() else {
                    return self.decide(article, feed_id, &history, now);
                };
                let decision = compiled.decide(article, feed_id, &history, now);
                if let Decision::Take { episode } = &decision {
                    compiled.accept(article, *episode, &mut history, now);
                }
                decision
            })
            .collect()
    }

    /// The reasons that need no compiled expression: disabled, or another feed.
    fn unwatched(&self, feed_id: u64) -> Option<SkipReason> {
        if !self.enabled {
            Some(SkipReason::Disabled)
        } else if !self.feeds.is_empty() && !self.feeds.contains(&feed_id) {
            Some(SkipReason::OtherFeed)
        } else {
            None
        }
    }
}

impl CompiledRule {
    /// The rule this was compiled from.
    pub fn rule(&self) -> &Rule {
        &self.rule
    }

    /// [`Rule::accept`] on the compiled copy, so that its next decisions see the take.
    pub fn accept(
        &mut self,
        article: &Article,
        episode: Option<EpisodeId>,
        history: &mut History,
        now: OffsetDateTime,
    ) {
        self.rule.accept(article, episode, history, now);
    }

    /// [`Rule::decide`] without compiling again.
    pub fn decide(
        &self,
        article: &Article,
        feed_id: u64,
        history: &History,
        now: OffsetDateTime,
    ) -> Decision {
        match self.skip_reason(article, feed_id, history, now) {
            Err(reason) => Decision::Skip(reason),
            Ok(episode) => Decision::Take { episode },
        }
    }

    /// The checks in the order a user reads them: the rule as a whole, the title, then the
    /// article's links and history. `Ok` carries the episode to record.
    fn skip_reason(
        &self,
        article: &Article,
        feed_id: u64,
        history: &History,
        now: OffsetDateTime,
    ) -> Result<Option<EpisodeId>, SkipReason> {
        let rule = &self.rule;
        if let Some(reason) = rule.unwatched(feed_id) {
            return Err(reason);
        }
        if let Some(days_left) = days_left(rule, now) {
            return Err(SkipReason::IgnoredForDays { days_left });
        }
        let title = article.title.as_str();
        match self.must_contain.missing(title) {
            None => {}
            Some(Missing::Words(words)) => return Err(SkipReason::MissingWords { words }),
            Some(Missing::Pattern(pattern)) => return Err(SkipReason::NoRegexMatch { pattern }),
        }
        if let Some(word) = self.must_not_contain.found(title) {
            return Err(SkipReason::ExcludedWord { word });
        }
        let episode = EpisodeId::from_title(title);
        if let Some(filter) = &self.episode_filter
            && !episode.is_some_and(|id| filter.admits(&id.episode))
        {
            return Err(SkipReason::OutsideEpisodeFilter { episode });
        }
        if article.torrent_url.is_none() && article.magnet.is_none() {
            return Err(SkipReason::NoTorrent);
        }
        if history.has_article(article) {
            return Err(SkipReason::AlreadyDownloaded);
        }
        if rule.smart_filter
            && let Some(episode) = episode
            && history.has_taken(&episode)
        {
            return Err(SkipReason::EpisodeAlreadyTaken { episode });
        }
        Ok(episode)
    }
}

/// The days (started) the rule still waits after its last match, if it waits.
fn days_left(rule: &Rule, now: OffsetDateTime) -> Option<u32> {
    let last_match = rule.last_match.filter(|_| rule.ignore_days > 0)?;
    let left = last_match + Duration::days(i64::from(rule.ignore_days)) - now;
    if left <= Duration::ZERO {
        return None;
    }
    let seconds_per_day = Duration::DAY.whole_seconds();
    let days = (left.whole_seconds() + seconds_per_day - 1) / seconds_per_day;
    Some(u32::try_from(days.max(1)).unwrap_or(u32::MAX))
}

/// The line of a regex error that says what is wrong (its other lines draw the pattern).
fn regex_message(error: &regex::Error) -> String {
    let text = error.to_string();
    text.lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .unwrap_or(&text)
        .trim()
        .to_owned()
}

#[cfg(test)]
mod tests;
