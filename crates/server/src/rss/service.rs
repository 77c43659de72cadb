//! [`Rss`]: the feeds, rules and downloads as a service. A background task fetches each
//! feed when due (its refresh interval, or a backoff after failures), judges the new
//! articles once with the rules, and downloads what they took, retrying a failed .torrent
//! with a doubling delay for a day. Every change is saved to `rss.json` before it is
//! answered.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use cloud_torrent_engine::{AddOptions, AddSource, Added, Engine, EngineError};
use cloud_torrent_outbound::OutboundClient;
use cloud_torrent_rss::{Article, Rule};
use time::OffsetDateTime;
use tokio::sync::Notify;

use super::fetch::{self, Fetched, Validators};
use super::run::{self, ArticleKey, Verdict};
use super::store::{self, ArticleRecord, ArticleStatus, FeedRecord, Saved};
use crate::error::{ApiError, ApiResult};
use crate::settings::LiveConfig;

/// The shortest refresh interval of a feed, in minutes.
pub const MIN_REFRESH_MINUTES: u32 = 5;
/// The refresh interval of a feed that gives none, in minutes.
pub const DEFAULT_REFRESH_MINUTES: u32 = 30;
/// The longest refresh interval (a week), in minutes.
pub const MAX_REFRESH_MINUTES: u32 = 7 * 24 * 60;
/// The longest wait after failed fetches of a feed.
const MAX_FEED_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// The cadences of RSS; tests shorten them.
#[derive(Debug, Clone)]
pub struct RssTiming {
    /// A feed fetch's total time.
    pub fetch_timeout: Duration,
    /// The wait after a .torrent download's first failure; it doubles after each one.
    pub retry_first: Duration,
    /// The longest wait between two attempts.
    pub retry_max: Duration,
    /// How long a .torrent download is retried before the article is marked failed.
    pub give_up_after: Duration,
    /// How often the background task looks for due feeds and retries.
    pub check_every: Duration,
}

impl Default for RssTiming {
    fn default() -> Self {
        RssTiming {
            fetch_timeout: Duration::from_secs(30),
            retry_first: Duration::from_secs(60),
            retry_max: Duration::from_secs(3600),
            give_up_after: Duration::from_secs(24 * 3600),
            check_every: Duration::from_secs(5),
        }
    }
}

/// RSS feeds, rules and their downloads. Cheap to clone.
#[derive(Clone)]
pub struct Rss {
    inner: Arc<Inner>,
}

struct Inner {
    saved: Mutex<Saved>,
    path: PathBuf,
    /// Held while writing the file, so that writes happen one at a time (each writes the
    /// state as it is when it starts, so the last one written is the newest).
    writer: tokio::sync::Mutex<()>,
    /// Notified whenever a feed's fetch ends (a refresh of a feed being fetched waits
    /// for it; fetches of different feeds run side by side).
    fetched: Notify,
    outbound: OutboundClient,
    engine: Engine,
    settings: LiveConfig,
    timing: RssTiming,
    wake: Notify,
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

fn after(at: OffsetDateTime, wait: Duration) -> OffsetDateTime {
    at + time::Duration::try_from(wait).unwrap_or(time::Duration::DAY)
}

/// The wait before attempt `attempts + 1`: `first` doubling, at most `max`.
fn backoff(first: Duration, max: Duration, attempts: u32) -> Duration {
    first
        .saturating_mul(1u32 << attempts.saturating_sub(1).min(20))
        .min(max)
}

impl Rss {
    /// Loads `rss.json` from `state_dir` and starts the background task (it ends when the
    /// last clone is dropped).
    pub fn start(
        state_dir: &std::path::Path,
        engine: Engine,
        outbound: OutboundClient,
        settings: LiveConfig,
        timing: RssTiming,
    ) -> Rss {
        let path = store::path_in(state_dir);
        let saved = store::load(&path);
        let rss = Rss {
            inner: Arc::new(Inner {
                saved: Mutex::new(saved),
                path,
                writer: tokio::sync::Mutex::new(()),
                fetched: Notify::new(),
                outbound,
                engine,
                settings,
                timing,
                wake: Notify::new(),
            }),
        };
        let weak = Arc::downgrade(&rss.inner);
        tokio::spawn(background(weak));
        rss
    }

    fn lock(&self) -> MutexGuard<'_, Saved> {
        self.inner.saved.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Reads the state.
    pub fn read<T>(&self, f: impl FnOnce(&Saved) -> T) -> T {
        f(&self.lock())
    }

    /// Writes the state file (one writer at a time; each writes the newest state).
    async fn save(&self) {
        let _writing = self.inner.writer.lock().await;
        let bytes = match store::serialize(&self.lock()) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::error!("cannot serialize the RSS state: {e}");
                return;
            }
        };
        let path = self.inner.path.clone();
        let written = tokio::task::spawn_blocking(move || {
            cloud_torrent_engine::write_atomically(&path, &bytes)
        })
        .await;
        if let Ok(Err(e)) = written {
            tracing::error!("cannot write the RSS state file: {}", e.kind());
        }
    }

    // ----- feeds -----

    /// Adds a feed; its first fetch starts at once.
    pub async fn add_feed(
        &self,
        url: &str,
        name: Option<String>,
        refresh_minutes: Option<u32>,
    ) -> ApiResult<FeedRecord> {
        let url = check_url(url)?;
        let refresh_minutes = check_refresh(refresh_minutes)?;
        let feed = {
            let mut saved = self.lock();
            if saved.feeds.iter().any(|f| f.url == url) {
                return Err(ApiError::Conflict(format!(
                    "there is a feed of {url} already"
                )));
            }
            let id = saved.next_feed_id.max(1);
            saved.next_feed_id = id + 1;
            let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
            let feed = FeedRecord::new(id, url, name, refresh_minutes);
            saved.feeds.push(feed.clone());
            feed
        };
        self.save().await;
        self.inner.wake.notify_one();
        Ok(feed)
    }

    /// Changes a feed's URL, name or refresh interval. A new URL is fetched at once.
    pub async fn update_feed(
        &self,
        id: u64,
        url: Option<&str>,
        name: Option<String>,
        refresh_minutes: Option<u32>,
    ) -> ApiResult<FeedRecord> {
        let url = url.map(check_url).transpose()?;
        let refresh = refresh_minutes
            .map(|m| check_refresh(Some(m)))
            .transpose()?;
        let feed = {
            let mut saved = self.lock();
            if let Some(url) = &url
                && saved.feeds.iter().any(|f| f.id != id && &f.url == url)
            {
                return Err(ApiError::Conflict(format!(
                    "there is a feed of {url} already"
                )));
            }
            let feed = feed_mut(&mut saved, id)?;
            if let Some(url) = url
                && url != feed.url
            {
                feed.url = url;
                feed.etag = None;
                feed.last_modified = None;
                feed.error = None;
                feed.failures = 0;
                feed.next_fetch = None;
            }
            if let Some(name) = name {
                feed.name = Some(name.trim().to_owned()).filter(|n| !n.is_empty());
            }
            if let Some(minutes) = refresh {
                feed.refresh_minutes = minutes;
                if feed.failures == 0 {
                    feed.next_fetch = feed.last_fetch.map(|at| after(at, minutes_of(minutes)));
                }
            }
            feed.clone()
        };
        self.save().await;
        self.inner.wake.notify_one();
        Ok(feed)
    }

    /// Removes a feed and its articles; what was downloaded stays remembered. Rules that
    /// watched it stop watching it, and one that watched only it is disabled (an empty
    /// list would mean every feed).
    pub async fn delete_feed(&self, id: u64) -> ApiResult<()> {
        {
            let mut saved = self.lock();
            let before = saved.feeds.len();
            saved.feeds.retain(|f| f.id != id);
            if saved.feeds.len() == before {
                return Err(no_feed(id));
            }
            for rule in saved.rules.values_mut() {
                if rule.feeds.contains(&id) {
                    rule.feeds.retain(|&f| f != id);
                    if rule.feeds.is_empty() {
                        rule.enabled = false;
                    }
                }
            }
        }
        self.save().await;
        Ok(())
    }

    /// Fetches a feed now, judges its new articles, and starts their downloads. A failed
    /// fetch is not an error here: the feed's `error` says why.
    pub async fn refresh(&self, id: u64) -> ApiResult<FeedRecord> {
        let (_fetching, url, validators) = loop {
            let ended = self.inner.fetched.notified();
            tokio::pin!(ended);
            ended.as_mut().enable();
            {
                let mut saved = self.lock();
                let feed = feed_mut(&mut saved, id)?;
                let (url, validators) = (
                    feed.url.clone(),
                    Validators {
                        etag: feed.etag.clone(),
                        last_modified: feed.last_modified.clone(),
                    },
                );
                if saved.fetching.insert(id) {
                    break (Fetching { rss: self, id }, url, validators);
                }
            }
            ended.await;
        };
        let result = fetch::feed(
            &self.inner.outbound,
            &url,
            validators,
            self.inner.timing.fetch_timeout,
        )
        .await;
        let max_articles = usize::try_from(self.inner.settings.values().rss_max_articles)
            .unwrap_or(usize::MAX)
            .max(1);
        let at = now();
        let (feed, taken) = {
            let mut saved = self.lock();
            let feed = feed_mut(&mut saved, id)?;
            feed.last_fetch = Some(at);
            let mut new = Vec::new();
            match result {
                Ok(fetched) => {
                    feed.error = None;
                    feed.failures = 0;
                    feed.next_fetch = Some(after(at, minutes_of(feed.refresh_minutes)));
                    if let Fetched::Feed {
                        feed: parsed,
                        etag,
                        last_modified,
                    } = fetched
                    {
                        feed.etag = etag;
                        feed.last_modified = last_modified;
                        if parsed.title.is_some() {
                            feed.title = parsed.title;
                        }
                        new = merge(feed, parsed.articles, max_articles);
                    }
                }
                Err(why) => {
                    feed.failures = feed.failures.saturating_add(1);
                    feed.error = Some(why);
                    let wait = backoff(
                        minutes_of(feed.refresh_minutes),
                        MAX_FEED_BACKOFF,
                        feed.failures,
                    );
                    feed.next_fetch = Some(after(at, wait));
                }
            }
            let taken = run::judge(&mut saved, &new, None, at);
            let feed = feed_mut(&mut saved, id)?.clone();
            (feed, taken)
        };
        self.save().await;
        self.start_downloads(taken);
        Ok(feed)
    }

    // ----- articles -----

    /// Downloads an article now, with `options` (one attempt; an error says why).
    pub async fn download(
        &self,
        feed_id: u64,
        article_id: u64,
        options: AddOptions,
    ) -> ApiResult<Added> {
        let (article, feed_url) = {
            let mut saved = self.lock();
            let feed = feed_mut(&mut saved, feed_id)?;
            let url = feed.url.clone();
            let record = feed
                .article_mut(article_id)
                .ok_or_else(|| no_article(feed_id, article_id))?;
            (record.article.clone(), url)
        };
        let source = self
            .source(&article, &feed_url)
            .await
            .map_err(|(_, why)| ApiError::Engine(EngineError::Fetch(why)))?;
        let added = self.inner.engine.add(source, options).await?;
        {
            let mut saved = self.lock();
            saved.downloaded.record(None, &article, None);
            saved
                .downloaded
                .info_hashes
                .insert(added.torrent.info_hash.clone());
            if let Ok(feed) = feed_mut(&mut saved, feed_id)
                && let Some(record) = feed.article_mut(article_id)
            {
                record.status = ArticleStatus::Downloaded;
                record.reason = None;
                record.retry_at = None;
                record.torrent = Some(added.torrent.info_hash.clone());
            }
        }
        self.save().await;
        Ok(added)
    }

    /// What to add for an article: its .torrent fetched, else its magnet. The error says
    /// why, and whether trying again later may help.
    async fn source(&self, article: &Article, feed_url: &str) -> Result<AddSource, (bool, String)> {
        if let Some(url) = &article.torrent_url {
            let bytes = fetch::torrent(
                &self.inner.outbound,
                url,
                feed_url,
                self.inner.timing.fetch_timeout,
            )
            .await?;
            Ok(AddSource::TorrentFile(bytes.into()))
        } else if let Some(magnet) = &article.magnet {
            Ok(AddSource::Magnet(magnet.clone()))
        } else {
            Err((false, "the article has no torrent link or magnet".into()))
        }
    }

    /// Starts an attempt for each article (not already being attempted).
    fn start_downloads(&self, keys: Vec<ArticleKey>) {
        let mut saved = self.lock();
        for key in keys {
            if saved.in_flight.insert(key) {
                let rss = self.clone();
                tokio::spawn(async move { rss.attempt(key).await });
            }
        }
    }

    /// One download attempt of a pending article: added, retried later, or failed.
    async fn attempt(&self, (feed_id, article_id): ArticleKey) {
        let found = {
            let mut saved = self.lock();
            feed_mut(&mut saved, feed_id).ok().and_then(|feed| {
                let url = feed.url.clone();
                let record = feed.article_mut(article_id)?;
                (record.status == ArticleStatus::Pending).then(|| (record.clone(), url))
            })
        };
        let Some((record, feed_url)) = found else {
            self.lock().in_flight.remove(&(feed_id, article_id));
            return;
        };
        let result = match self.source(&record.article, &feed_url).await {
            Ok(source) => {
                let options = AddOptions {
                    paused: record.placement.paused.then_some(true),
                    category: record.placement.category.clone(),
                    tags: record.placement.tags.clone(),
                    save_path: record.placement.save_path.clone(),
                    ..AddOptions::default()
                };
                self.inner.engine.add(source, options).await.map_err(|e| {
                    let retry = matches!(
                        e,
                        EngineError::InvalidTorrent(_)
                            | EngineError::Fetch(_)
                            | EngineError::Busy(_)
                    );
                    (retry, e.to_string())
                })
            }
            Err((retry, why)) => Err((retry, EngineError::Fetch(why).to_string())),
        };
        let at = now();
        let timing = &self.inner.timing;
        {
            let mut saved = self.lock();
            saved.in_flight.remove(&(feed_id, article_id));
            let mut forget = None;
            if let Ok(feed) = feed_mut(&mut saved, feed_id)
                && let Some(record) = feed.article_mut(article_id)
            {
                match &result {
                    Ok(added) => {
                        record.status = ArticleStatus::Downloaded;
                        record.reason = None;
                        record.retry_at = None;
                        record.torrent = Some(added.torrent.info_hash.clone());
                    }
                    Err((retry, why)) => {
                        record.attempts = record.attempts.saturating_add(1);
                        let since = *record.failing_since.get_or_insert(at);
                        let give_up = after(since, timing.give_up_after);
                        if *retry && at < give_up {
                            let wait =
                                backoff(timing.retry_first, timing.retry_max, record.attempts);
                            record.retry_at = Some(after(at, wait).min(give_up));
                            record.reason = Some(why.clone());
                        } else {
                            record.status = ArticleStatus::Failed;
                            record.retry_at = None;
                            record.reason = Some(if *retry {
                                format!("{why} (gave up after {} attempts)", record.attempts)
                            } else {
                                why.clone()
                            });
                            forget =
                                Some((record.rule.clone(), record.article.clone(), record.episode));
                        }
                    }
                }
            }
            if let Ok(added) = &result {
                saved
                    .downloaded
                    .info_hashes
                    .insert(added.torrent.info_hash.clone());
            }
            if let Some((rule, article, episode)) = forget {
                saved.downloaded.forget(rule.as_deref(), &article, episode);
            }
        }
        self.save().await;
    }

    // ----- rules -----

    /// Creates or replaces a rule; `lastMatch` is kept unless the body gives one.
    /// Articles it passed over are not judged again (see [`Rss::apply`]).
    pub async fn put_rule(&self, name: &str, mut rule: Rule) -> ApiResult<(Rule, bool)> {
        check_rule_name(name)?;
        rule.category = rule.category.filter(|c| !c.is_empty());
        rule.save_path = rule.save_path.filter(|p| !p.trim().is_empty());
        let answer = {
            let mut saved = self.lock();
            check_rule(&saved, &rule)?;
            rule.feeds.sort_unstable();
            rule.feeds.dedup();
            let previous = saved.rules.get(name);
            if rule.last_match.is_none() {
                rule.last_match = previous.and_then(|r| r.last_match);
            }
            let created = previous.is_none();
            saved.rules.insert(name.to_owned(), rule.clone());
            (rule, created)
        };
        self.save().await;
        Ok(answer)
    }

    /// Removes a rule (what it downloaded stays remembered).
    pub async fn delete_rule(&self, name: &str) -> ApiResult<()> {
        if self.lock().rules.remove(name).is_none() {
            return Err(no_rule(name));
        }
        self.save().await;
        Ok(())
    }

    /// A saved rule.
    pub fn rule(&self, name: &str) -> ApiResult<Rule> {
        self.lock()
            .rules
            .get(name)
            .cloned()
            .ok_or_else(|| no_rule(name))
    }

    /// Runs a saved rule over everything its feeds hold now, and downloads what it takes.
    pub async fn apply(&self, name: &str) -> ApiResult<Vec<(ArticleKey, String)>> {
        let taken = {
            let mut saved = self.lock();
            let rule = saved
                .rules
                .get(name)
                .cloned()
                .ok_or_else(|| no_rule(name))?;
            let targets = run::targets(&saved, &rule);
            let taken = run::judge(&mut saved, &targets, Some(name), now());
            taken
                .into_iter()
                .map(|key| (key, title_of(&saved, key)))
                .collect::<Vec<_>>()
        };
        self.save().await;
        self.start_downloads(taken.iter().map(|(key, _)| *key).collect());
        Ok(taken)
    }

    /// What a rule (`rule`, else the saved rule `name`) would take now, judged with the
    /// history of the rule `name`.
    pub fn preview(&self, rule: Option<Rule>, name: Option<&str>) -> ApiResult<Vec<Verdict>> {
        let saved = self.lock();
        let rule = match (rule, name) {
            (Some(rule), _) => rule,
            (None, Some(name)) => saved
                .rules
                .get(name)
                .cloned()
                .ok_or_else(|| no_rule(name))?,
            (None, None) => {
                return Err(ApiError::BadRequest(
                    "give \"rule\", \"name\" or both".into(),
                ));
            }
        };
        check_rule(&saved, &rule)?;
        Ok(run::preview(&saved, &rule, name, now()))
    }

    /// Fetches the feeds that are due and retries the downloads that are due.
    async fn run_due(&self) {
        let at = now();
        let (feeds, retries) = {
            let saved = self.lock();
            let feeds: Vec<u64> = saved
                .feeds
                .iter()
                .filter(|f| !saved.fetching.contains(&f.id))
                .filter(|f| f.next_fetch.is_none_or(|t| t <= at))
                .map(|f| f.id)
                .collect();
            let retries: Vec<ArticleKey> = saved
                .feeds
                .iter()
                .flat_map(|f| f.articles.iter().map(move |a| (f.id, a)))
                .filter(|(_, a)| a.status == ArticleStatus::Pending)
                .filter(|(_, a)| a.retry_at.is_none_or(|t| t <= at))
                .map(|(feed, a)| (feed, a.id))
                .collect();
            (feeds, retries)
        };
        self.start_downloads(retries);
        for id in feeds {
            let rss = self.clone();
            tokio::spawn(async move {
                let _ = rss.refresh(id).await;
            });
        }
    }
}

/// A feed being fetched: marked in [`Saved::fetching`] until this is dropped (also when
/// the refresh is cancelled), which wakes the refreshes waiting for the same feed.
struct Fetching<'a> {
    rss: &'a Rss,
    id: u64,
}

impl Drop for Fetching<'_> {
    fn drop(&mut self) {
        self.rss.lock().fetching.remove(&self.id);
        self.rss.inner.fetched.notify_waiters();
    }
}

/// The background task: due feeds and retries, at least every `check_every`, and at once
/// when woken (a feed added or changed).
async fn background(weak: Weak<Inner>) {
    loop {
        let Some(inner) = weak.upgrade() else { return };
        let rss = Rss { inner };
        rss.run_due().await;
        let wait = rss.inner.timing.check_every;
        let woken = rss.inner.clone();
        drop(rss);
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = woken.wake.notified() => {}
        }
    }
}

/// Adds the feed's new articles (the feed lists newest first; they are stored oldest
/// first), refreshes what the feed says of known ones, and keeps the newest `max` (and any
/// still pending). Returns the new articles.
fn merge(feed: &mut FeedRecord, parsed: Vec<Article>, max: usize) -> Vec<ArticleKey> {
    let mut new = Vec::new();
    for article in parsed.into_iter().rev() {
        if let Some(known) = feed
            .articles
            .iter_mut()
            .find(|a| a.article.guid == article.guid)
        {
            known.article = article;
            continue;
        }
        let id = feed.next_article_id.max(1);
        feed.next_article_id = id + 1;
        feed.articles.push(ArticleRecord::new(id, article));
        new.push((feed.id, id));
    }
    let mut excess = feed.articles.len().saturating_sub(max);
    feed.articles.retain(|a| {
        if excess > 0 && a.status != ArticleStatus::Pending {
            excess -= 1;
            false
        } else {
            true
        }
    });
    new
}

fn minutes_of(minutes: u32) -> Duration {
    Duration::from_secs(u64::from(minutes) * 60)
}

fn title_of(saved: &Saved, (feed_id, article_id): ArticleKey) -> String {
    saved
        .feeds
        .iter()
        .find(|f| f.id == feed_id)
        .and_then(|f| f.articles.iter().find(|a| a.id == article_id))
        .map(|a| a.article.title.clone())
        .unwrap_or_default()
}

fn feed_mut(saved: &mut Saved, id: u64) -> ApiResult<&mut FeedRecord> {
    saved
        .feeds
        .iter_mut()
        .find(|f| f.id == id)
        .ok_or_else(|| no_feed(id))
}

fn no_feed(id: u64) -> ApiError {
    ApiError::NotFound(format!("no feed {id}"))
}

fn no_article(feed: u64, article: u64) -> ApiError {
    ApiError::NotFound(format!("feed {feed} has no article {article}"))
}

fn no_rule(name: &str) -> ApiError {
    ApiError::NotFound(format!("no rule named {name:?}"))
}

/// A feed URL: http or https with a host, at most 2048 bytes.
fn check_url(raw: &str) -> ApiResult<String> {
    let raw = raw.trim();
    let bad = |why: &str| ApiError::BadRequest(format!("url: {why}"));
    if raw.len() > 2048 {
        return Err(bad("longer than 2048 bytes"));
    }
    let url = url::Url::parse(raw).map_err(|e| bad(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(bad("use an http or https URL"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(bad("the URL has no host"));
    }
    Ok(url.to_string())
}

fn check_refresh(minutes: Option<u32>) -> ApiResult<u32> {
    let minutes = minutes.unwrap_or(DEFAULT_REFRESH_MINUTES);
    if !(MIN_REFRESH_MINUTES..=MAX_REFRESH_MINUTES).contains(&minutes) {
        return Err(ApiError::BadRequest(format!(
            "refreshMinutes: {minutes}: choose from {MIN_REFRESH_MINUTES} to {MAX_REFRESH_MINUTES}"
        )));
    }
    Ok(minutes)
}

/// Checks a rule before it is saved or previewed: its expressions, episode filter and
/// rest, its category and tags as the engine takes them, and that its feeds exist.
fn check_rule(saved: &Saved, rule: &Rule) -> ApiResult<()> {
    rule.check()
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if let Some(category) = rule.category.as_deref().filter(|c| !c.is_empty()) {
        cloud_torrent_engine::check_category_name(category)
            .map_err(|e| ApiError::BadRequest(format!("category: {e}")))?;
    }
    for tag in &rule.tags {
        cloud_torrent_engine::check_tag(tag)
            .map_err(|e| ApiError::BadRequest(format!("tags: {e}")))?;
    }
    if let Some(missing) = rule
        .feeds
        .iter()
        .find(|id| !saved.feeds.iter().any(|f| f.id == **id))
    {
        return Err(ApiError::BadRequest(format!(
            "feeds: there is no feed {missing}"
        )));
    }
    Ok(())
}

/// A rule name: 1 to 200 bytes, no control character, no spaces at either end.
fn check_rule_name(name: &str) -> ApiResult<()> {
    let bad = |why: &str| Err(ApiError::BadRequest(format!("rule name: {why}")));
    if name.is_empty() || name.len() > 200 {
        return bad("give 1 to 200 bytes");
    }
    if name.chars().any(char::is_control) {
        return bad("no control characters");
    }
    if name.trim() != name {
        return bad("no spaces at either end");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_double_from_the_first_wait_up_to_the_longest() {
        let first = Duration::from_secs(60);
        let max = Duration::from_secs(3600);
        let waits: Vec<u64> = (1..=8).map(|n| backoff(first, max, n).as_secs()).collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }

    fn article(guid: &str) -> Article {
        Article {
            guid: guid.into(),
            title: guid.into(),
            magnet: Some(format!("magnet:?xt=urn:btih:{}", "a".repeat(40))),
            ..Article::default()
        }
    }

    #[test]
    fn merging_keeps_the_newest_and_what_is_pending() {
        let mut feed = FeedRecord::new(1, "http://feeds.example/rss".into(), None, 30);
        // The feed lists newest first; new articles are stored oldest first.
        let new = merge(&mut feed, vec![article("b"), article("a")], 3);
        assert_eq!(new, [(1, 1), (1, 2)]);
        assert_eq!(feed.articles[0].article.guid, "a");
        feed.articles[0].status = ArticleStatus::Pending;
        // Known guids are not new; beyond 3, the oldest that is not pending goes.
        let new = merge(&mut feed, vec![article("d"), article("c"), article("b")], 3);
        assert_eq!(new, [(1, 3), (1, 4)]);
        let kept: Vec<&str> = feed
            .articles
            .iter()
            .map(|a| a.article.guid.as_str())
            .collect();
        assert_eq!(kept, ["a", "c", "d"]);
    }

    #[test]
    fn feed_urls_and_rule_names_are_checked() {
        assert!(check_url("ftp://x/feed").is_err());
        assert!(check_url("not a url").is_err());
        assert_eq!(
            check_url(" https://x.example/rss ").unwrap(),
            "https://x.example/rss"
        );
        assert!(check_refresh(Some(4)).is_err());
        assert_eq!(check_refresh(None).unwrap(), 30);
        assert!(check_rule_name("").is_err());
        assert!(check_rule_name(" tv").is_err());
        assert!(check_rule_name("a\nb").is_err());
        assert!(check_rule_name("TV / anime").is_ok());
    }
}
