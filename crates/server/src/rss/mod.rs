//! RSS under `/api/v1/rss`: feeds fetched on a schedule, their articles, and download
//! rules with a preview. The service is [`Rss`] (`service`), its state file `store`,
//! the rule runs `run`, the fetches `fetch`; this module holds the thin handlers and the
//! JSON they answer.

mod fetch;
mod run;
mod service;
mod store;

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::Torrent;
use cloud_torrent_rss::{Article, Decision, Rule};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

pub use service::{Rss, RssTiming};
use store::{ArticleRecord, ArticleStatus, FeedRecord};

use crate::AppState;
use crate::api::{AddTorrentJson, added_response};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract;

fn rfc3339(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|at| at.format(&Rfc3339).ok())
}

/// A feed as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FeedView {
    /// Its id.
    pub id: u64,
    /// The http(s) URL fetched.
    pub url: String,
    /// Its name: the one given, else the channel's title, else the URL's host.
    pub name: String,
    /// Minutes between fetches.
    pub refresh_minutes: u32,
    /// The channel's title.
    pub title: Option<String>,
    /// `never` (not fetched yet), `fetching`, `ok` or `error`.
    pub status: String,
    /// Why the last fetch failed.
    pub error: Option<String>,
    /// When it was last fetched, RFC 3339.
    pub last_fetch: Option<String>,
    /// When it is fetched next, RFC 3339 (null: as soon as possible).
    pub next_fetch: Option<String>,
    /// Articles kept.
    pub articles: usize,
    /// Fetches failed in a row (the wait before the next one doubles with each).
    pub failures: u32,
}

impl FeedView {
    fn of(feed: &FeedRecord, fetching: bool) -> FeedView {
        let status = if fetching {
            "fetching"
        } else if feed.error.is_some() {
            "error"
        } else if feed.last_fetch.is_some() {
            "ok"
        } else {
            "never"
        };
        FeedView {
            id: feed.id,
            url: feed.url.clone(),
            name: feed.shown_name(),
            refresh_minutes: feed.refresh_minutes,
            title: feed.title.clone(),
            status: status.to_owned(),
            error: feed.error.clone(),
            last_fetch: rfc3339(feed.last_fetch),
            next_fetch: rfc3339(feed.next_fetch),
            articles: feed.articles.len(),
            failures: feed.failures,
        }
    }
}

/// An article as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ArticleView {
    /// Its id inside the feed.
    pub id: u64,
    /// What the feed says of it.
    #[serde(flatten)]
    pub article: Article,
    /// `new` (no rule took it), `pending` (taken; its .torrent is being fetched or
    /// retried), `downloaded`, `skipped` (a rule matched it, but it or its episode was
    /// downloaded already) or `failed`.
    pub status: ArticleStatus,
    /// The rule that took or skipped it.
    pub rule: Option<String>,
    /// Why it was skipped or failed, or why the last attempt failed.
    pub reason: Option<String>,
    /// When a pending article is tried next, RFC 3339.
    pub retry_at: Option<String>,
    /// The info hash of the torrent it became.
    pub torrent: Option<String>,
}

impl ArticleView {
    fn of(record: &ArticleRecord) -> ArticleView {
        ArticleView {
            id: record.id,
            article: record.article.clone(),
            status: record.status,
            rule: record.rule.clone(),
            reason: record.reason.clone(),
            retry_at: rfc3339(record.retry_at),
            torrent: record.torrent.clone(),
        }
    }
}

/// Body of `POST /api/v1/rss/feeds`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewFeedJson {
    /// The feed's http(s) URL.
    #[schema(max_length = 2048)]
    pub url: String,
    /// Its name (default: the channel's title).
    pub name: Option<String>,
    /// Minutes between fetches, 5 to 10080 (default 30).
    #[schema(minimum = 5, maximum = 10080)]
    pub refresh_minutes: Option<u32>,
}

/// Body of `PATCH /api/v1/rss/feeds/{id}`: what to change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct FeedPatchJson {
    /// A new http(s) URL (fetched at once).
    #[schema(max_length = 2048)]
    pub url: Option<String>,
    /// A new name ("": the channel's title).
    pub name: Option<String>,
    /// Minutes between fetches, 5 to 10080.
    #[schema(minimum = 5, maximum = 10080)]
    pub refresh_minutes: Option<u32>,
}

/// Body of `POST /api/v1/rss/preview`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PreviewJson {
    /// The rule to try (unsaved); absent: the saved rule `name`.
    pub rule: Option<Rule>,
    /// A saved rule's name: its history (what it took) applies.
    pub name: Option<String>,
}

/// One article of a preview.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PreviewEntry {
    /// Its feed.
    pub feed_id: u64,
    /// Its id in the feed.
    pub article_id: u64,
    /// Its title.
    pub title: String,
    /// Whether the rule takes it.
    pub take: bool,
    /// Why not (the first reason).
    pub reason: Option<String>,
    /// The episode the title names (`S01E02`, `2026-11-29`, with ` REPACK`).
    pub episode: Option<String>,
}

/// An article a rule took.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TakenArticle {
    /// Its feed.
    pub feed_id: u64,
    /// Its id in the feed.
    pub article_id: u64,
    /// Its title.
    pub title: String,
}

/// Answer of `POST /api/v1/rss/rules/{name}/apply`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplyAnswer {
    /// What the rule took; their downloads have started.
    pub taken: Vec<TakenArticle>,
}

/// A feed's or an article's id from the path: one that is not a whole number names
/// nothing, so it is a 404 like an unknown one.
fn parse_id(raw: &str, what: &str) -> ApiResult<u64> {
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("no {what} {raw:?}")))
}

/// The `{name}` of a rule's routes.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct RuleName {
    /// The rule's name (1 to 200 bytes).
    pub name: String,
}

fn feed_view(state: &AppState, id: u64) -> ApiResult<FeedView> {
    state.rss.read(|saved| {
        saved
            .feeds
            .iter()
            .find(|f| f.id == id)
            .map(|f| FeedView::of(f, saved.fetching.contains(&id)))
            .ok_or_else(|| ApiError::NotFound(format!("no feed {id}")))
    })
}

/// Lists the feeds.
#[utoipa::path(get, path = "/api/v1/rss/feeds", tag = "rss",
    responses((status = 200, description = "Every feed, by id", body = [FeedView])))]
pub async fn feeds(State(state): State<AppState>) -> Json<Vec<FeedView>> {
    Json(state.rss.read(|saved| {
        saved
            .feeds
            .iter()
            .map(|f| FeedView::of(f, saved.fetching.contains(&f.id)))
            .collect()
    }))
}

/// Adds a feed; its first fetch starts at once.
#[utoipa::path(post, path = "/api/v1/rss/feeds", tag = "rss", request_body = NewFeedJson,
    responses((status = 201, description = "Added", body = FeedView),
        (status = 400, body = ErrorBody), (status = 409, description = "A feed of that URL exists", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn add_feed(
    State(state): State<AppState>,
    extract::Json(json): extract::Json<NewFeedJson>,
) -> ApiResult<Response> {
    let feed = state
        .rss
        .add_feed(&json.url, json.name, json.refresh_minutes)
        .await?;
    let view = feed_view(&state, feed.id)?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Changes a feed.
#[utoipa::path(patch, path = "/api/v1/rss/feeds/{id}", tag = "rss", params(("id" = u64, Path, description = "The feed's id")),
    request_body = FeedPatchJson,
    responses((status = 200, description = "Changed", body = FeedView),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn update_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
    extract::Json(json): extract::Json<FeedPatchJson>,
) -> ApiResult<Json<FeedView>> {
    let id = parse_id(&id, "feed")?;
    state
        .rss
        .update_feed(id, json.url.as_deref(), json.name, json.refresh_minutes)
        .await?;
    Ok(Json(feed_view(&state, id)?))
}

/// Removes a feed and its articles (what was downloaded stays remembered; a rule that
/// watched only this feed is disabled).
#[utoipa::path(delete, path = "/api/v1/rss/feeds/{id}", tag = "rss", params(("id" = u64, Path, description = "The feed's id")),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)))]
pub async fn delete_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id = parse_id(&id, "feed")?;
    state.rss.delete_feed(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fetches a feed now and runs the rules on its new articles; answers when the fetch is
/// over (a failed fetch too: see `status` and `error`).
#[utoipa::path(post, path = "/api/v1/rss/feeds/{id}/refresh", tag = "rss", params(("id" = u64, Path, description = "The feed's id")),
    responses((status = 200, description = "Fetched (or failed: see status)", body = FeedView),
        (status = 404, body = ErrorBody)))]
pub async fn refresh_feed(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<FeedView>> {
    let id = parse_id(&id, "feed")?;
    let feed = state.rss.refresh(id).await?;
    Ok(Json(FeedView::of(&feed, false)))
}

/// Lists a feed's articles, newest first.
#[utoipa::path(get, path = "/api/v1/rss/feeds/{id}/articles", tag = "rss", params(("id" = u64, Path, description = "The feed's id")),
    responses((status = 200, description = "At most rssMaxArticles, newest first", body = [ArticleView]),
        (status = 404, body = ErrorBody)))]
pub async fn articles(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<ArticleView>>> {
    let id = parse_id(&id, "feed")?;
    state.rss.read(|saved| {
        let feed = saved
            .feeds
            .iter()
            .find(|f| f.id == id)
            .ok_or_else(|| ApiError::NotFound(format!("no feed {id}")))?;
        Ok(Json(
            feed.articles.iter().rev().map(ArticleView::of).collect(),
        ))
    })
}

/// Downloads an article now, with the options of `POST /api/v1/torrents` (its source is
/// the article's .torrent or magnet, so `magnet` and `url` are refused).
#[utoipa::path(post, path = "/api/v1/rss/feeds/{id}/articles/{article}/download", tag = "rss",
    params(("id" = u64, Path, description = "The feed's id"), ("article" = u64, Path, description = "The article's id in the feed")), request_body(content = Option<AddTorrentJson>, description = "Options of the torrent (default: none)"),
    responses((status = 201, description = "Added", body = Torrent),
        (status = 200, description = "It was already there", body = Torrent),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, description = "The .torrent could not be fetched", body = ErrorBody)))]
pub async fn download_article(
    State(state): State<AppState>,
    Path((id, article)): Path<(String, String)>,
    extract::JsonOrNothing(json): extract::JsonOrNothing<AddTorrentJson>,
) -> ApiResult<Response> {
    let (id, article) = (parse_id(&id, "feed")?, parse_id(&article, "article")?);
    let (magnet, url, options) = json.into_parts()?;
    if magnet.is_some() || url.is_some() {
        return Err(ApiError::BadRequest(
            "the article gives the torrent: leave out \"magnet\" and \"url\"".into(),
        ));
    }
    let added = state.rss.download(id, article, options).await?;
    Ok(added_response(added))
}

/// Lists the rules, by name.
#[utoipa::path(get, path = "/api/v1/rss/rules", tag = "rss",
    responses((status = 200, description = "Every rule, by name", body = BTreeMap<String, Rule>)))]
pub async fn rules(State(state): State<AppState>) -> Json<BTreeMap<String, Rule>> {
    Json(state.rss.read(|saved| saved.rules.clone()))
}

/// A rule.
#[utoipa::path(get, path = "/api/v1/rss/rules/{name}", tag = "rss", params(RuleName),
    responses((status = 200, description = "The rule", body = Rule), (status = 404, body = ErrorBody)))]
pub async fn rule(
    State(state): State<AppState>,
    Path(RuleName { name }): Path<RuleName>,
) -> ApiResult<Json<Rule>> {
    Ok(Json(state.rss.rule(&name)?))
}

/// Creates or replaces a rule (an absent field takes its default). Articles already
/// judged are not judged again: see `POST /api/v1/rss/rules/{name}/apply`.
#[utoipa::path(put, path = "/api/v1/rss/rules/{name}", tag = "rss", params(RuleName),
    request_body = Rule,
    responses((status = 201, description = "Created", body = Rule), (status = 200, description = "Changed", body = Rule),
        (status = 400, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn put_rule(
    State(state): State<AppState>,
    Path(RuleName { name }): Path<RuleName>,
    extract::Json(rule): extract::Json<Rule>,
) -> ApiResult<Response> {
    let (rule, created) = state.rss.put_rule(&name, rule).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(rule)).into_response())
}

/// Removes a rule (what it downloaded stays remembered).
#[utoipa::path(delete, path = "/api/v1/rss/rules/{name}", tag = "rss", params(RuleName),
    responses((status = 204, description = "Removed"), (status = 404, body = ErrorBody)))]
pub async fn delete_rule(
    State(state): State<AppState>,
    Path(RuleName { name }): Path<RuleName>,
) -> ApiResult<StatusCode> {
    state.rss.delete_rule(&name).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a saved rule over every article its feeds hold now, those it passed over before
/// included, and downloads what it takes (nothing downloaded before is taken again).
#[utoipa::path(post, path = "/api/v1/rss/rules/{name}/apply", tag = "rss", params(RuleName),
    responses((status = 200, description = "What it took", body = ApplyAnswer), (status = 404, body = ErrorBody)))]
pub async fn apply_rule(
    State(state): State<AppState>,
    Path(RuleName { name }): Path<RuleName>,
) -> ApiResult<Json<ApplyAnswer>> {
    let taken = state.rss.apply(&name).await?;
    Ok(Json(ApplyAnswer {
        taken: taken
            .into_iter()
            .map(|((feed_id, article_id), title)| TakenArticle {
                feed_id,
                article_id,
                title,
            })
            .collect(),
    }))
}

/// What a rule would take of the articles its feeds hold now, and for each other article
/// the first reason it leaves it; in the order a run judges them (feeds by id, articles
/// oldest first). What it lists as taken is what `apply` downloads.
#[utoipa::path(post, path = "/api/v1/rss/preview", tag = "rss", request_body = PreviewJson,
    responses((status = 200, description = "Every article of the rule's feeds", body = [PreviewEntry]),
        (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
pub async fn preview(
    State(state): State<AppState>,
    extract::Json(json): extract::Json<PreviewJson>,
) -> ApiResult<Json<Vec<PreviewEntry>>> {
    let verdicts = state.rss.preview(json.rule, json.name.as_deref())?;
    Ok(Json(
        verdicts
            .into_iter()
            .map(|verdict| {
                let (take, reason, episode) = match verdict.decision {
                    Decision::Take { episode } => (true, None, episode.map(|e| e.to_string())),
                    Decision::Skip(reason) => (false, Some(reason.to_string()), None),
                };
                PreviewEntry {
                    feed_id: verdict.key.0,
                    article_id: verdict.key.1,
                    title: verdict.title,
                    take,
                    reason,
                    episode,
                }
            })
            .collect(),
    ))
}
