//! What RSS keeps between runs, in `rss.json` in the state folder: the feeds with their
//! articles, the rules, and what was downloaded (guids, info hashes and each rule's smart
//! filter episodes), so that nothing is downloaded twice after a restart. Written
//! atomically; a file that does not parse is kept aside and RSS starts empty.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use cloud_torrent_rss::{Article, EpisodeId, History, Rule};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// The file's name in the state folder.
pub const FILE_NAME: &str = "rss.json";
const VERSION: u32 = 1;

/// Everything RSS keeps.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Saved {
    /// The file's format.
    pub version: u32,
    /// The id the next feed gets.
    pub next_feed_id: u64,
    /// The feeds, by id.
    pub feeds: Vec<FeedRecord>,
    /// The rules, by name.
    pub rules: BTreeMap<String, Rule>,
    /// What was downloaded, whatever the rule or feed.
    pub downloaded: Downloaded,
    /// Feeds being fetched now (not kept).
    #[serde(skip)]
    pub fetching: HashSet<u64>,
    /// Articles whose .torrent is being fetched now (not kept).
    #[serde(skip)]
    pub in_flight: HashSet<(u64, u64)>,
}

/// What RSS downloaded: kept when the articles leave the feed or the torrents are removed.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Downloaded {
    /// Guids of the articles taken (by a rule or by hand), whatever their feed.
    pub guids: BTreeSet<String>,
    /// Their info hashes, when known.
    pub info_hashes: BTreeSet<String>,
    /// Per rule, the episodes its smart filter took.
    pub episodes: BTreeMap<String, BTreeSet<EpisodeId>>,
}

impl Downloaded {
    /// The history a decision of rule `rule` reads.
    pub fn history(&self, rule: &str) -> History {
        History {
            episodes: self.episodes.get(rule).cloned().unwrap_or_default(),
            guids: self.guids.iter().cloned().collect(),
            info_hashes: self.info_hashes.iter().cloned().collect(),
        }
    }

    /// Records that `rule` (or a person, with `None`) took an article.
    pub fn record(&mut self, rule: Option<&str>, article: &Article, episode: Option<EpisodeId>) {
        self.guids.insert(article.guid.clone());
        if let Some(hash) = &article.info_hash {
            self.info_hashes.insert(hash.clone());
        }
        if let (Some(rule), Some(episode)) = (rule, episode) {
            self.episodes
                .entry(rule.to_owned())
                .or_default()
                .insert(episode);
        }
    }

    /// Forgets a take whose download failed for good, so that another release can be taken.
    pub fn forget(&mut self, rule: Option<&str>, article: &Article, episode: Option<EpisodeId>) {
        self.guids.remove(&article.guid);
        if let Some(hash) = &article.info_hash {
            self.info_hashes.remove(hash);
        }
        if let (Some(rule), Some(episode)) = (rule, episode)
            && let Some(taken) = self.episodes.get_mut(rule)
        {
            taken.remove(&episode);
        }
    }
}

/// A feed and its articles.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedRecord {
    /// Its id.
    pub id: u64,
    /// The http(s) URL fetched.
    pub url: String,
    /// The name the user gave it.
    #[serde(default)]
    pub name: Option<String>,
    /// Minutes between fetches.
    pub refresh_minutes: u32,
    /// The channel's title, from the last fetch that had one.
    #[serde(default)]
    pub title: Option<String>,
    /// The `ETag` of the last answer, sent back as `If-None-Match`.
    #[serde(default)]
    pub etag: Option<String>,
    /// The `Last-Modified` of the last answer, sent back as `If-Modified-Since`.
    #[serde(default)]
    pub last_modified: Option<String>,
    /// When it was last fetched (successfully or not).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub last_fetch: Option<OffsetDateTime>,
    /// Why the last fetch failed.
    #[serde(default)]
    pub error: Option<String>,
    /// Fetches failed in a row.
    #[serde(default)]
    pub failures: u32,
    /// When it is fetched next (`None`: as soon as possible).
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub next_fetch: Option<OffsetDateTime>,
    /// The id the next article gets.
    #[serde(default)]
    pub next_article_id: u64,
    /// Its articles, oldest first.
    #[serde(default)]
    pub articles: Vec<ArticleRecord>,
}

impl FeedRecord {
    /// A feed not fetched yet.
    pub fn new(id: u64, url: String, name: Option<String>, refresh_minutes: u32) -> FeedRecord {
        FeedRecord {
            id,
            url,
            name,
            refresh_minutes,
            title: None,
            etag: None,
            last_modified: None,
            last_fetch: None,
            error: None,
            failures: 0,
            next_fetch: None,
            next_article_id: 1,
            articles: Vec::new(),
        }
    }

    /// The name shown: the user's, else the channel's title, else the URL's host.
    pub fn shown_name(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.title.clone())
            .or_else(|| {
                url::Url::parse(&self.url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_owned))
            })
            .unwrap_or_else(|| self.url.clone())
    }

    /// The article with this id.
    pub fn article_mut(&mut self, id: u64) -> Option<&mut ArticleRecord> {
        self.articles.iter_mut().find(|a| a.id == id)
    }
}

/// Where an article stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum ArticleStatus {
    /// No rule took it.
    #[default]
    New,
    /// Taken; its .torrent is being fetched, or retried.
    Pending,
    /// Added to the client.
    Downloaded,
    /// A rule's words matched, but it (or its episode) was downloaded already.
    Skipped,
    /// Taken, but it could not be downloaded.
    Failed,
}

/// The options of the torrent an article becomes, from the rule that took it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Placement {
    /// Its category.
    pub category: Option<String>,
    /// Its save path.
    pub save_path: Option<String>,
    /// Its tags.
    pub tags: Vec<String>,
    /// Add it stopped.
    pub paused: bool,
}

impl Placement {
    /// A rule's placement.
    pub fn of(rule: &Rule) -> Placement {
        Placement {
            category: rule.category.clone(),
            save_path: rule.save_path.clone(),
            tags: rule.tags.clone(),
            paused: rule.paused,
        }
    }
}

/// One article and what became of it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArticleRecord {
    /// Its id inside the feed.
    pub id: u64,
    /// What the feed says of it.
    pub article: Article,
    /// Where it stands.
    #[serde(default)]
    pub status: ArticleStatus,
    /// The rule that took (or skipped) it.
    #[serde(default)]
    pub rule: Option<String>,
    /// Why it was skipped or failed, or why the last attempt failed.
    #[serde(default)]
    pub reason: Option<String>,
    /// The episode its rule recorded, to forget if the download fails for good.
    #[serde(default)]
    pub episode: Option<EpisodeId>,
    /// Where its torrent goes.
    #[serde(default)]
    pub placement: Placement,
    /// Download attempts made.
    #[serde(default)]
    pub attempts: u32,
    /// The first failed attempt of the current run of failures.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub failing_since: Option<OffsetDateTime>,
    /// When the next attempt is due.
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub retry_at: Option<OffsetDateTime>,
    /// The info hash of the torrent it became.
    #[serde(default)]
    pub torrent: Option<String>,
}

impl ArticleRecord {
    /// A new article, not yet judged.
    pub fn new(id: u64, article: Article) -> ArticleRecord {
        ArticleRecord {
            id,
            article,
            status: ArticleStatus::New,
            rule: None,
            reason: None,
            episode: None,
            placement: Placement::default(),
            attempts: 0,
            failing_since: None,
            retry_at: None,
            torrent: None,
        }
    }
}

/// The state file's path in `state_dir`.
pub fn path_in(state_dir: &Path) -> PathBuf {
    state_dir.join(FILE_NAME)
}

/// Reads the file; a missing one is empty, one that does not parse is renamed
/// `rss.json.corrupt` (replacing an older one) and read as empty.
pub fn load(path: &Path) -> Saved {
    let mut saved = match std::fs::read(path) {
        Ok(bytes) => match serde_json::from_slice::<Saved>(&bytes) {
            Ok(saved) => saved,
            Err(e) => {
                let aside = path.with_extension("json.corrupt");
                let _ = std::fs::rename(path, &aside);
                tracing::warn!(
                    "the RSS state file does not parse ({e}); kept as rss.json.corrupt, starting empty"
                );
                Saved::default()
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Saved::default(),
        Err(e) => {
            tracing::warn!(
                "cannot read the RSS state file ({}); starting empty",
                e.kind()
            );
            Saved::default()
        }
    };
    saved.version = VERSION;
    saved.next_feed_id = saved
        .next_feed_id
        .max(saved.feeds.iter().map(|f| f.id + 1).max().unwrap_or(1));
    saved
}

/// The file's bytes.
pub fn serialize(saved: &Saved) -> serde_json::Result<Vec<u8>> {
    serde_json::to_vec(saved)
}
