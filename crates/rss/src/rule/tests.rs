//! Rules deciding on articles as a user sets them up.

use super::*;
use crate::episode::Episode;
use time::macros::datetime;

const NOW: OffsetDateTime = datetime!(2026-11-30 12:00:00 UTC);
const FEED: u64 = 7;

fn article(title: &str) -> Article {
    Article {
        guid: format!("guid:{title}"),
        title: title.to_owned(),
        torrent_url: Some(format!(
            "https://example.org/{}.torrent",
            title.replace(' ', ".")
        )),
        ..Article::default()
    }
}

fn rule() -> Rule {
    Rule::default()
}

fn decide(rule: &Rule, title: &str) -> Decision {
    rule.decide(&article(title), FEED, &History::default(), NOW)
}

fn skip(rule: &Rule, title: &str) -> SkipReason {
    match decide(rule, title) {
        Decision::Skip(reason) => reason,
        taken => panic!("{title:?} was taken: {taken:?}"),
    }
}

fn takes(rule: &Rule, title: &str) -> bool {
    matches!(decide(rule, title), Decision::Take { .. })
}

fn id(text: &str) -> EpisodeId {
    text.parse().expect(text)
}

#[test]
fn an_empty_rule_takes_everything_with_a_torrent() {
    assert_eq!(
        decide(&rule(), "Anything at all"),
        Decision::Take { episode: None }
    );
    assert_eq!(
        decide(&rule(), "Example.Show.S01E02.720p"),
        Decision::Take {
            episode: Some(id("S01E02"))
        }
    );
    let magnet_only = Article {
        torrent_url: None,
        magnet: Some("magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567".into()),
        ..article("Magnet only")
    };
    assert!(matches!(
        rule().decide(&magnet_only, FEED, &History::default(), NOW),
        Decision::Take { .. }
    ));
    let nothing = Article {
        torrent_url: None,
        ..article("No links")
    };
    assert_eq!(
        rule().decide(&nothing, FEED, &History::default(), NOW),
        Decision::Skip(SkipReason::NoTorrent)
    );
}

#[test]
fn disabled_rules_and_other_feeds() {
    let disabled = Rule {
        enabled: false,
        ..rule()
    };
    assert_eq!(skip(&disabled, "Show S01E01"), SkipReason::Disabled);
    let one_feed = Rule {
        feeds: vec![1, FEED],
        ..rule()
    };
    assert!(takes(&one_feed, "Show S01E01"));
    let other_feeds = Rule {
        feeds: vec![1, 2],
        ..rule()
    };
    assert_eq!(skip(&other_feeds, "Show S01E01"), SkipReason::OtherFeed);
}

#[test]
fn must_contain_words_alternatives_and_wildcards() {
    let rule = Rule {
        must_contain: "example 1080p|example 2160p".into(),
        ..rule()
    };
    assert!(takes(&rule, "Example.Show.S01E02.1080p.WEB"));
    assert!(takes(&rule, "EXAMPLE show 2160p s01e02"));
    assert_eq!(
        skip(&rule, "Example.Show.S01E02.720p"),
        SkipReason::MissingWords {
            words: vec!["1080p".into(), "2160p".into()]
        }
    );
    assert_eq!(
        skip(&rule, "Other.Show.S01E02.720p").to_string(),
        r#"the title matches no alternative: it lacks "example" or "example""#
    );
    let wildcard = Rule {
        must_contain: "example*s01e0?".into(),
        ..Rule::default()
    };
    assert!(takes(&wildcard, "Example.Show.S01E05"));
    assert_eq!(
        skip(&wildcard, "Example.Show.S01E10").to_string(),
        r#"the title lacks "example*s01e0?""#
    );
}

#[test]
fn must_not_contain_any_alternative_excludes() {
    let rule = Rule {
        must_contain: "example".into(),
        must_not_contain: "cam|hdtv x264".into(),
        ..rule()
    };
    assert!(takes(&rule, "Example.Show.S01E02.HDTV.x265"));
    assert_eq!(
        skip(&rule, "Example.Show.S01E02.HDTV.x264"),
        SkipReason::ExcludedWord {
            word: "hdtv x264".into()
        }
    );
    assert_eq!(
        skip(&rule, "Example Movie CAM").to_string(),
        r#"the title contains "cam", which the rule excludes"#
    );
    let excludes_all = Rule {
        must_not_contain: "cam|".into(),
        ..Rule::default()
    };
    assert_eq!(
        skip(&excludes_all, "Anything").to_string(),
        "the must-not-contain expression has an empty alternative, which excludes every title"
    );
}

#[test]
fn regex_rules() {
    let rule = Rule {
        use_regex: true,
        must_contain: r"^example\.show\.s0[12]e\d+".into(),
        must_not_contain: r"\b(cam|ts)\b".into(),
        ..rule()
    };
    assert!(takes(&rule, "Example.Show.S02E05.1080p"));
    assert_eq!(
        skip(&rule, "Example.Show.S03E05.1080p").to_string(),
        r#"the title does not match the regex "^example\\.show\\.s0[12]e\\d+""#
    );
    assert_eq!(
        skip(&rule, "Example.Show.S01E01.TS.x264"),
        SkipReason::ExcludedWord { word: "TS".into() }
    );
    // In regex mode `|` is alternation within the regex, not qBittorrent's word groups.
    let bars = Rule {
        use_regex: true,
        must_contain: "720p|1080p".into(),
        ..Rule::default()
    };
    assert!(takes(&bars, "Show 1080p"));
    assert!(!takes(&bars, "Show 2160p"));
}

#[test]
fn bad_regexes_are_refused_with_the_reason() {
    let look_ahead = Rule {
        use_regex: true,
        must_not_contain: r"^(?!.*1080p)".into(),
        ..rule()
    };
    let error = look_ahead.check().expect_err("look-around");
    assert!(matches!(
        &error,
        RuleError::Regex {
            field: RuleField::MustNotContain,
            ..
        }
    ));
    assert_eq!(
        error.to_string(),
        "mustNotContain: not a valid regular expression: look-around, including \
         look-ahead and look-behind, is not supported (the syntax is Rust's regex crate: no \
         look-around such as (?=…) or (?<!…), no backreferences)"
    );
    // The decision says the same, for the preview.
    assert_eq!(
        skip(&look_ahead, "Show"),
        SkipReason::InvalidRule {
            error: error.clone()
        }
    );
    assert!(
        skip(&look_ahead, "Show")
            .to_string()
            .starts_with("the rule is invalid: mustNotContain: not a valid regular")
    );
    let unclosed = Rule {
        use_regex: true,
        must_contain: "(1080p".into(),
        ..rule()
    };
    assert!(
        unclosed
            .check()
            .expect_err("unclosed group")
            .to_string()
            .starts_with("mustContain: not a valid regular expression: unclosed group"),
    );
    // The same text without regex is two literal words.
    let words = Rule {
        must_contain: "(1080p".into(),
        ..rule()
    };
    assert_eq!(words.check(), Ok(()));
    assert!(takes(&words, "Show (1080p)"));
}

#[test]
fn episode_filters() {
    let rule = Rule {
        episode_filter: "1x2-;2x1-3;3x5;".into(),
        ..rule()
    };
    assert!(takes(&rule, "Example.Show.S01E02.720p"));
    assert!(takes(&rule, "Example.Show.S01E14.720p"));
    assert!(takes(&rule, "Example Show 2x03 HDTV"));
    assert!(takes(&rule, "Example.Show.S03E05.720p"));
    assert_eq!(
        skip(&rule, "Example.Show.S02E04.720p"),
        SkipReason::OutsideEpisodeFilter {
            episode: Some(id("S02E04"))
        }
    );
    assert_eq!(
        skip(&rule, "Example.Show.S01E01.720p").to_string(),
        "episode S01E01 is outside the episode filter"
    );
    assert_eq!(
        skip(&rule, "Example Show Complete Series").to_string(),
        "the title names no episode, and the rule has an episode filter"
    );
    // A double episode is in the filter when one of its episodes is.
    assert!(takes(&rule, "Example.Show.S02E03E04.720p"));
    let bad = Rule {
        episode_filter: "1x2-".into(),
        ..Rule::default()
    };
    assert_eq!(
        bad.check().expect_err("no ';'").to_string(),
        "episodeFilter: \"1x2-\" is invalid: end every item with ';', as in 1x2-;"
    );
    assert!(matches!(
        skip(&bad, "Show S01E02"),
        SkipReason::InvalidRule {
            error: RuleError::EpisodeFilter { .. }
        }
    ));
}

#[test]
fn smart_filter_takes_an_episode_once_and_one_repack() {
    let rule = Rule {
        must_contain: "example".into(),
        smart_filter: true,
        ..rule()
    };
    let mut history = History::default();
    let mut run = |title: &str| {
        let article = article(title);
        let decision = rule.decide(&article, FEED, &history, NOW);
        if let Decision::Take { episode } = &decision {
            history.record(&article, *episode);
        }
        decision
    };
    assert_eq!(
        run("Example.Show.S01E02.720p.HDTV-A"),
        Decision::Take {
            episode: Some(id("S01E02"))
        }
    );
    assert_eq!(
        run("Example.Show.S01E02.1080p.WEB-B"),
        Decision::Skip(SkipReason::EpisodeAlreadyTaken {
            episode: id("S01E02")
        })
    );
    assert_eq!(
        run("Example.Show.S01E02.REPACK.720p.HDTV-A"),
        Decision::Take {
            episode: Some(id("S01E02 REPACK"))
        }
    );
    let second_repack = run("Example.Show.S01E02.PROPER.1080p.WEB-C");
    assert_eq!(
        second_repack,
        Decision::Skip(SkipReason::EpisodeAlreadyTaken {
            episode: id("S01E02 REPACK")
        })
    );
    let Decision::Skip(reason) = second_repack else {
        unreachable!()
    };
    assert_eq!(
        reason.to_string(),
        "a REPACK or PROPER of episode S01E02 was taken already"
    );
    // Other episodes are still new; a double episode is new while one of its episodes is.
    assert!(matches!(
        run("Example.Show.S01E03.720p"),
        Decision::Take { .. }
    ));
    assert_eq!(
        run("Example.Show.S01E03E04.720p"),
        Decision::Take {
            episode: Some(id("S01E03-E04"))
        }
    );
    assert!(matches!(
        run("Example.Show.S01E04.720p"),
        Decision::Skip(SkipReason::EpisodeAlreadyTaken { .. })
    ));
    // A title without an episode passes the smart filter, as in qBittorrent.
    assert!(matches!(
        run("Example Show Special"),
        Decision::Take { episode: None }
    ));
    assert_eq!(
        history.episodes,
        BTreeSet::from([
            id("S01E02"),
            id("S01E02 REPACK"),
            id("S01E03"),
            id("S01E03-E04")
        ])
    );
}

#[test]
fn smart_filter_a_first_repack_counts_as_the_fix() {
    let rule = Rule {
        smart_filter: true,
        ..rule()
    };
    let history = History {
        episodes: BTreeSet::from([id("S01E02 REPACK")]),
        ..History::default()
    };
    for title in ["Show.S01E02.720p", "Show.S01E02.REPACK.1080p"] {
        assert!(matches!(
            rule.decide(&article(title), FEED, &history, NOW),
            Decision::Skip(SkipReason::EpisodeAlreadyTaken { .. })
        ));
    }
}

#[test]
fn smart_filter_with_date_numbered_shows() {
    let rule = Rule {
        must_contain: "daily show".into(),
        smart_filter: true,
        ..rule()
    };
    let day = EpisodeId {
        episode: Episode::Dated(time::macros::date!(2026 - 11 - 29)),
        repack: false,
    };
    assert_eq!(
        decide(&rule, "Daily.Show.2026.11.29.Guest.720p"),
        Decision::Take { episode: Some(day) }
    );
    let history = History {
        episodes: BTreeSet::from([day]),
        ..History::default()
    };
    let decide = |title: &str| rule.decide(&article(title), FEED, &history, NOW);
    assert_eq!(
        decide("Daily Show 2026-11-29 Guest 1080p"),
        Decision::Skip(SkipReason::EpisodeAlreadyTaken { episode: day })
    );
    assert!(matches!(
        decide("Daily Show 2026-11-30 Guest 1080p"),
        Decision::Take { .. }
    ));
}

#[test]
fn ignore_days_after_the_last_match() {
    let rule = Rule {
        ignore_days: 3,
        last_match: Some(NOW - Duration::hours(30)),
        ..rule()
    };
    assert_eq!(
        skip(&rule, "Show S01E02"),
        SkipReason::IgnoredForDays { days_left: 2 }
    );
    assert_eq!(
        skip(&rule, "Show S01E02").to_string(),
        "the rule took an article recently and waits 2 more days"
    );
    let almost = Rule {
        last_match: Some(NOW - Duration::days(3) + Duration::minutes(5)),
        ..rule.clone()
    };
    assert_eq!(
        skip(&almost, "Show").to_string(),
        "the rule took an article recently and waits 1 more day"
    );
    let over = Rule {
        last_match: Some(NOW - Duration::days(3)),
        ..rule.clone()
    };
    assert!(takes(&over, "Show S01E02"));
    let off = Rule {
        ignore_days: 0,
        ..rule.clone()
    };
    assert!(takes(&off, "Show S01E02"));
    let never_matched = Rule {
        last_match: None,
        ..rule
    };
    assert!(takes(&never_matched, "Show S01E02"));
}

#[test]
fn already_downloaded_by_guid_or_info_hash() {
    let hash = "0123456789abcdef0123456789abcdef01234567";
    let with_hash = Article {
        info_hash: Some(hash.into()),
        ..article("Show S01E02")
    };
    let by_guid = History {
        guids: HashSet::from([with_hash.guid.clone()]),
        ..History::default()
    };
    let by_hash = History {
        info_hashes: HashSet::from([hash.to_owned()]),
        ..History::default()
    };
    for history in [by_guid, by_hash] {
        let decision = rule().decide(&with_hash, FEED, &history, NOW);
        assert_eq!(decision, Decision::Skip(SkipReason::AlreadyDownloaded));
    }
    assert_eq!(
        SkipReason::AlreadyDownloaded.to_string(),
        "the article was downloaded already"
    );
}

#[test]
fn reasons_in_the_order_a_user_reads_them() {
    // A title that fails everything reports the first check: the rule's own state, then the
    // title's words, then the episode, then the article's links and history.
    let rule = Rule {
        must_contain: "wanted".into(),
        episode_filter: "1x1;".into(),
        ..rule()
    };
    let no_links = Article {
        torrent_url: None,
        ..article("Show S01E05")
    };
    let decision = rule.decide(&no_links, FEED, &History::default(), NOW);
    assert_eq!(
        decision,
        Decision::Skip(SkipReason::MissingWords {
            words: vec!["wanted".into()]
        })
    );
    let wanted = Article {
        title: "Wanted S01E05".into(),
        ..no_links
    };
    assert!(matches!(
        rule.decide(&wanted, FEED, &History::default(), NOW),
        Decision::Skip(SkipReason::OutsideEpisodeFilter { .. })
    ));
    let disabled = Rule {
        enabled: false,
        ..rule
    };
    assert_eq!(skip(&disabled, "anything"), SkipReason::Disabled);
    assert_eq!(
        SkipReason::OtherFeed.to_string(),
        "the rule does not watch this feed"
    );
    assert_eq!(SkipReason::Disabled.to_string(), "the rule is disabled");
    assert_eq!(
        SkipReason::NoTorrent.to_string(),
        "the article has no torrent link or magnet"
    );
}

#[test]
fn the_preview_replays_the_bookkeeping_of_a_run() {
    let articles: Vec<Article> = [
        "Example.Show.S01E03.1080p",
        "Example.Show.S01E03.720p",
        "Example.Show.S01E03.REPACK.1080p",
        "Example.Show.S01E04.1080p",
    ]
    .into_iter()
    .map(article)
    .collect();
    let smart = Rule {
        smart_filter: true,
        ..rule()
    };
    let preview = smart.preview(articles.iter().map(|a| (FEED, a)), &History::default(), NOW);
    let taken: Vec<bool> = preview
        .iter()
        .map(|d| matches!(d, Decision::Take { .. }))
        .collect();
    assert_eq!(taken, [true, false, true, true]);

    // With ignore days, the first take makes the rule rest: the rest waits.
    let resting = Rule {
        ignore_days: 2,
        ..rule()
    };
    let preview = resting.preview(articles.iter().map(|a| (FEED, a)), &History::default(), NOW);
    assert!(matches!(preview[0], Decision::Take { .. }));
    assert!(
        preview[1..]
            .iter()
            .all(|d| *d == Decision::Skip(SkipReason::IgnoredForDays { days_left: 2 }))
    );

    // A real run making the same calls takes the same articles.
    let mut rule = smart.clone();
    let mut history = History::default();
    let mut run = Vec::new();
    for article in &articles {
        let decision = rule.decide(article, FEED, &history, NOW);
        if let Decision::Take { episode } = &decision {
            rule.accept(article, *episode, &mut history, NOW);
        }
        run.push(decision);
    }
    assert_eq!(
        run,
        smart.preview(articles.iter().map(|a| (FEED, a)), &History::default(), NOW)
    );
    assert_eq!(rule.last_match, Some(NOW));
    assert_eq!(history.guids.len(), 3);

    // And so does a run with the rule compiled once.
    let mut compiled = resting.compile().expect("compiles");
    let mut history = History::default();
    let mut run = Vec::new();
    for article in &articles {
        let decision = compiled.decide(article, FEED, &history, NOW);
        if let Decision::Take { episode } = &decision {
            compiled.accept(article, *episode, &mut history, NOW);
        }
        run.push(decision);
    }
    assert_eq!(
        run,
        resting.preview(articles.iter().map(|a| (FEED, a)), &History::default(), NOW)
    );
    assert_eq!(compiled.rule().last_match, Some(NOW));
}

#[test]
fn rules_in_json() {
    let rule: Rule = serde_json::from_str(
        r#"{
            "feeds": [1, 2],
            "mustContain": "example 1080p",
            "episodeFilter": "1x1-;",
            "smartFilter": true,
            "ignoreDays": 2,
            "category": "tv",
            "tags": ["show"],
            "lastMatch": "2026-11-29T20:15:00Z"
        }"#,
    )
    .expect("a rule");
    assert_eq!(
        rule,
        Rule {
            feeds: vec![1, 2],
            must_contain: "example 1080p".into(),
            episode_filter: "1x1-;".into(),
            smart_filter: true,
            ignore_days: 2,
            category: Some("tv".into()),
            tags: vec!["show".into()],
            last_match: Some(datetime!(2026-11-29 20:15:00 UTC)),
            ..Rule::default()
        }
    );
    assert!(rule.enabled, "enabled by default");
    let json = serde_json::to_value(&rule).expect("serializes");
    assert_eq!(json["mustNotContain"], "");
    assert_eq!(json["useRegex"], false);
    assert_eq!(json["savePath"], serde_json::Value::Null);
    assert_eq!(
        serde_json::from_value::<Rule>(json).expect("round trip"),
        rule
    );
    let unknown =
        serde_json::from_str::<Rule>(r#"{"mustContian": "typo"}"#).expect_err("unknown field");
    assert!(
        unknown.to_string().contains("unknown field `mustContian`"),
        "{unknown}"
    );
}

#[test]
fn decisions_in_json() {
    let skip = Decision::Skip(SkipReason::IgnoredForDays { days_left: 2 });
    assert_eq!(
        serde_json::to_value(&skip).expect("serializes"),
        serde_json::json!({"decision": "skip", "reason": "ignoredForDays", "daysLeft": 2})
    );
    let take = Decision::Take {
        episode: Some(id("S01E02")),
    };
    assert_eq!(
        serde_json::to_value(&take).expect("serializes"),
        serde_json::json!({"decision": "take", "episode": "S01E02"})
    );
    let invalid = Decision::Skip(SkipReason::InvalidRule {
        error: RuleError::EpisodeFilter {
            filter: "x".into(),
            problem: "bad".into(),
        },
    });
    assert_eq!(
        serde_json::to_value(&invalid).expect("serializes"),
        serde_json::json!({
            "decision": "skip",
            "reason": "invalidRule",
            "error": "episodeFilter: \"x\" is invalid: bad"
        })
    );
}
