//! A rule's must-contain and must-not-contain expressions, with qBittorrent's semantics.
//!
//! Without regex: `|` separates alternatives; inside one, words separated by whitespace must all
//! appear in the title, in any order, case-insensitively; `*` stands for any run of characters
//! and `?` for one (Qt keeps both from matching `/`, as for file names; titles are no paths, so
//! here they match anything), every other character stands for itself. An empty alternative
//! (`1080p|`) matches every title. With regex, the whole field is one case-insensitive pattern
//! in the syntax of Rust's `regex` crate. An empty field is no condition.

use regex::{Regex, RegexBuilder};

/// A compiled expression.
#[derive(Clone, Debug)]
pub(crate) enum TitleMatcher {
    /// An empty field: no condition.
    Nothing,
    Wildcards(Vec<Alternative>),
    Regex(Regex),
}

/// One `|`-separated alternative: its text and its words.
#[derive(Clone, Debug)]
pub(crate) struct Alternative {
    text: String,
    words: Vec<(String, Regex)>,
}

/// Why a title fails a must-contain expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Missing {
    /// For each alternative, the first of its words the title lacks.
    Words(Vec<String>),
    /// The regular expression, which the title does not match.
    Pattern(String),
}

impl TitleMatcher {
    pub(crate) fn compile(expression: &str, use_regex: bool) -> Result<Self, regex::Error> {
        if expression.is_empty() {
            return Ok(Self::Nothing);
        }
        if use_regex {
            return case_insensitive(expression).map(Self::Regex);
        }
        let alternatives = expression
            .split('|')
            .map(|text| {
                let words = text
                    .split_whitespace()
                    .map(|word| Ok((word.to_owned(), case_insensitive(&wildcard_pattern(word))?)))
                    .collect::<Result<_, regex::Error>>()?;
                Ok(Alternative {
                    text: text.trim().to_owned(),
                    words,
                })
            })
            .collect::<Result<_, regex::Error>>()?;
        Ok(Self::Wildcards(alternatives))
    }

    /// Must-contain: `None` when the title passes, else what it lacks.
    pub(crate) fn missing(&self, title: &str) -> Option<Missing> {
        match self {
            Self::Nothing => None,
            Self::Regex(regex) => {
                (!regex.is_match(title)).then(|| Missing::Pattern(regex_source(regex)))
            }
            Self::Wildcards(alternatives) => {
                let mut lacking = Vec::new();
                for alternative in alternatives {
                    match alternative.first_missing(title) {
                        None => return None,
                        Some(word) => lacking.push(word.to_owned()),
                    }
                }
                Some(Missing::Words(lacking))
            }
        }
    }

    /// Must-not-contain: what of the expression the title contains (the alternative that
    /// matched, or the text the regex found), if anything. An empty alternative gives "".
    pub(crate) fn found(&self, title: &str) -> Option<String> {
        match self {
            Self::Nothing => None,
            Self::Regex(regex) => regex.find(title).map(|found| match found.as_str() {
                "" => regex_source(regex),
                text => text.to_owned(),
            }),
            Self::Wildcards(alternatives) => alternatives
                .iter()
                .find(|alternative| alternative.first_missing(title).is_none())
                .map(|alternative| alternative.text.clone()),
        }
    }
}

impl Alternative {
    fn first_missing(&self, title: &str) -> Option<&str> {
        self.words
            .iter()
            .find(|(_, regex)| !regex.is_match(title))
            .map(|(word, _)| word.as_str())
    }
}

/// The pattern as the user wrote it (without the case-insensitivity flag added here).
fn regex_source(regex: &Regex) -> String {
    regex.as_str().to_owned()
}

fn case_insensitive(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).case_insensitive(true).build()
}

/// A wildcard word as a regex: `*` and `?` become `.*` and `.`; everything else is literal.
fn wildcard_pattern(word: &str) -> String {
    let mut pattern = String::with_capacity(word.len() * 2);
    let mut literal = [0u8; 4];
    for c in word.chars() {
        match c {
            '*' => pattern.push_str(".*"),
            '?' => pattern.push('.'),
            c => pattern.push_str(&regex::escape(c.encode_utf8(&mut literal))),
        }
    }
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wildcards(expression: &str) -> TitleMatcher {
        TitleMatcher::compile(expression, false).expect("wildcards always compile")
    }

    fn words(list: &[&str]) -> Option<Missing> {
        Some(Missing::Words(
            list.iter().map(|w| (*w).to_owned()).collect(),
        ))
    }

    const TITLE: &str = "Example.Show.S01E02.1080p.WEB.H264-GROUP";

    #[test]
    fn every_word_of_an_alternative_in_any_order() {
        assert_eq!(wildcards("1080p example").missing(TITLE), None);
        assert_eq!(wildcards("EXAMPLE 1080P web").missing(TITLE), None);
        assert_eq!(wildcards("example 720p").missing(TITLE), words(&["720p"]));
        // Words are substrings: "show" is inside "Example.Show".
        assert_eq!(wildcards("show").missing(TITLE), None);
        // Runs of whitespace separate words; none at all is an alternative that always matches.
        assert_eq!(wildcards("  example \t 1080p ").missing(TITLE), None);
    }

    #[test]
    fn alternatives_separated_by_bars() {
        assert_eq!(wildcards("720p|1080p").missing(TITLE), None);
        assert_eq!(
            wildcards("720p example|2160p").missing(TITLE),
            words(&["720p", "2160p"])
        );
        // An empty alternative matches everything, as qBittorrent's "expr|" does.
        assert_eq!(wildcards("2160p|").missing(TITLE), None);
        assert_eq!(wildcards("2160p| ").missing(TITLE), None);
    }

    #[test]
    fn wildcards_and_literal_characters() {
        assert_eq!(wildcards("example*1080p").missing(TITLE), None);
        assert_eq!(
            wildcards("1080p*example").missing(TITLE),
            words(&["1080p*example"])
        );
        assert_eq!(wildcards("s0?e02").missing(TITLE), None);
        assert_eq!(wildcards("s0?e03").missing(TITLE), words(&["s0?e03"]));
        // Regex characters are literal.
        assert_eq!(wildcards("S01E02.1080p").missing(TITLE), None);
        assert_eq!(
            wildcards("S01E02x1080p").missing("S01E02.1080p"),
            words(&["S01E02x1080p"])
        );
        assert_eq!(
            wildcards("c++ (2026) [x]").missing("Learn C++ (2026) [x]"),
            None
        );
        assert_eq!(
            wildcards("^learn$").missing("Learn C++"),
            words(&["^learn$"])
        );
        // Case folding is Unicode's.
        assert_eq!(wildcards("ÉTÉ").missing("Un été à Paris"), None);
    }

    #[test]
    fn must_not_contain_names_what_it_found() {
        assert_eq!(
            wildcards("cam|ts").found("Movie.2026.CAM.x264"),
            Some("cam".into())
        );
        assert_eq!(
            wildcards("hdtv x264|cam").found("Show HDTV x264"),
            Some("hdtv x264".into())
        );
        assert_eq!(wildcards("hdtv x264|cam").found("Show HDTV x265"), None);
        // "expr|" excludes everything, as in qBittorrent.
        assert_eq!(wildcards("cam|").found("Anything"), Some(String::new()));
        assert_eq!(wildcards("").found("Anything"), None);
        assert_eq!(wildcards("").missing("Anything"), None);
    }

    #[test]
    fn regular_expressions() {
        let regex = TitleMatcher::compile(r"s01e0[1-3]\b.*(720|1080)p", true).expect("compiles");
        assert_eq!(regex.missing(TITLE), None);
        assert_eq!(
            regex.missing("Example.Show.S01E04.1080p"),
            Some(Missing::Pattern(r"s01e0[1-3]\b.*(720|1080)p".into()))
        );
        // The bar is regex alternation here, and spaces are literal.
        let regex = TitleMatcher::compile("cam|hd ts", true).expect("compiles");
        assert_eq!(regex.found("Movie HD TS"), Some("HD TS".into()));
        assert_eq!(regex.found("Movie HD.TS"), None);
        assert_eq!(
            TitleMatcher::compile("x|", true)
                .expect("compiles")
                .found("Movie"),
            Some("x|".into())
        );
        let error = TitleMatcher::compile(r"^(?!.*cam).*$", true).expect_err("look-around");
        assert!(error.to_string().contains("look-around"), "{error}");
    }
}
