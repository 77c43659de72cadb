//! Running rules over stored articles. New articles are judged once, on arrival, by every
//! enabled rule in name order (the first that takes one wins); `apply` judges everything a
//! rule's feeds hold with that rule alone; the preview makes the decisions of `apply`
//! without changing anything. All three go through the rss crate's one decision.

use cloud_torrent_rss::{Decision, EpisodeId, History, Rule, SkipReason};
use time::OffsetDateTime;

use super::store::{ArticleStatus, Placement, Saved};

/// An article, by feed id and article id.
pub type ArticleKey = (u64, u64);

/// The articles a run of `rule` judges, in the order it judges them: its feeds (all when
/// it names none) by id, each one's articles oldest first.
pub fn targets(saved: &Saved, rule: &Rule) -> Vec<ArticleKey> {
    saved
        .feeds
        .iter()
        .filter(|feed| rule.feeds.is_empty() || rule.feeds.contains(&feed.id))
        .flat_map(|feed| feed.articles.iter().map(|a| (feed.id, a.id)))
        .collect()
}

/// Judges `targets` in order with the enabled rules (only the rule `only`, when given).
/// An article a rule takes becomes pending with the rule's placement and is recorded at
/// once, so that later decisions see it; one a rule leaves because it (or its episode) was
/// downloaded already becomes skipped. Articles pending or downloaded are left alone.
/// Returns the articles taken.
pub fn judge(
    saved: &mut Saved,
    targets: &[ArticleKey],
    only: Option<&str>,
    now: OffsetDateTime,
) -> Vec<ArticleKey> {
    if targets.is_empty() {
        return Vec::new();
    }
    let mut rules: Vec<(String, cloud_torrent_rss::CompiledRule, History)> = saved
        .rules
        .iter()
        .filter(|(name, rule)| rule.enabled && only.is_none_or(|only| only == name.as_str()))
        .filter_map(|(name, rule)| {
            let compiled = rule.compile().ok()?;
            Some((name.clone(), compiled, saved.downloaded.history(name)))
        })
        .collect();
    let mut taken = Vec::new();
    for &(feed_id, article_id) in targets {
        let Some(record) = saved
            .feeds
            .iter()
            .find(|f| f.id == feed_id)
            .and_then(|f| f.articles.iter().find(|a| a.id == article_id))
        else {
            continue;
        };
        if matches!(
            record.status,
            ArticleStatus::Pending | ArticleStatus::Downloaded
        ) {
            continue;
        }
        let article = record.article.clone();
        let mut take: Option<(usize, Option<EpisodeId>)> = None;
        let mut skipped: Option<(String, String)> = None;
        for (index, (name, rule, history)) in rules.iter().enumerate() {
            match rule.decide(&article, feed_id, history, now) {
                Decision::Take { episode } => {
                    take = Some((index, episode));
                    break;
                }
                Decision::Skip(
                    reason @ (SkipReason::AlreadyDownloaded
                    | SkipReason::EpisodeAlreadyTaken { .. }),
                ) if skipped.is_none() => skipped = Some((name.clone(), reason.to_string())),
                Decision::Skip(_) => {}
            }
        }
        let (status, rule_name, reason, episode, placement) = match take {
            Some((index, episode)) => {
                let (name, rule, history) = &mut rules[index];
                rule.accept(&article, episode, history, now);
                let name = name.clone();
                let placement = Placement::of(rule.rule());
                // The other rules see the take too (the guid and info hash are shared).
                for (_, _, history) in &mut rules {
                    history.record(&article, None);
                }
                saved.downloaded.record(Some(&name), &article, episode);
                if let Some(saved_rule) = saved.rules.get_mut(&name) {
                    saved_rule.last_match = Some(now);
                }
                taken.push((feed_id, article_id));
                (ArticleStatus::Pending, Some(name), None, episode, placement)
            }
            None => match skipped {
                Some((name, reason)) => (
                    ArticleStatus::Skipped,
                    Some(name),
                    Some(reason),
                    None,
                    Placement::default(),
                ),
                None => continue,
            },
        };
        if let Some(record) = saved
            .feeds
            .iter_mut()
            .find(|f| f.id == feed_id)
            .and_then(|f| f.article_mut(article_id))
        {
            record.status = status;
            record.rule = rule_name;
            record.reason = reason;
            record.episode = episode;
            record.placement = placement;
            record.attempts = 0;
            record.failing_since = None;
            record.retry_at = (status == ArticleStatus::Pending).then_some(now);
        }
    }
    taken
}

/// One line of a preview.
pub struct Verdict {
    /// The article.
    pub key: ArticleKey,
    /// Its title.
    pub title: String,
    /// The decision.
    pub decision: Decision,
}

/// The decisions `apply` would make with `rule` (judged with the history of the rule
/// named `name`), changing nothing.
pub fn preview(
    saved: &Saved,
    rule: &Rule,
    name: Option<&str>,
    now: OffsetDateTime,
) -> Vec<Verdict> {
    let history = saved.downloaded.history(name.unwrap_or_default());
    let keys = targets(saved, rule);
    let articles: Vec<(u64, &cloud_torrent_rss::Article)> = keys
        .iter()
        .filter_map(|&(feed_id, article_id)| {
            let feed = saved.feeds.iter().find(|f| f.id == feed_id)?;
            let record = feed.articles.iter().find(|a| a.id == article_id)?;
            Some((feed_id, &record.article))
        })
        .collect();
    let decisions = rule.preview(articles.iter().copied(), &history, now);
    keys.into_iter()
        .zip(articles)
        .zip(decisions)
        .map(|((key, (_, article)), decision)| Verdict {
            key,
            title: article.title.clone(),
            decision,
        })
        .collect()
}
