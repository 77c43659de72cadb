//! The torrent methods: `torrent-get`, `torrent-add`, `torrent-remove`,
//! `torrent-start`(`-now`), `torrent-stop`, `torrent-verify`, `torrent-reannounce`,
//! `torrent-set`, `torrent-set-location` and `queue-move-*`, each over the torrents its `ids` name (all when absent), calling the
//! engine as our own API does. An engine error becomes the call's `result`; the other
//! torrents of the call are still acted on.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use cloud_torrent_engine::{
    AddOptions, AddSource, EngineError, InfoHash, QueueMove, Torrent, TorrentUpdate,
};
use serde_json::{Map, Value, json};

use super::CallResult;
use super::args::{self, Args};
use super::fields::{Context, DEFAULT_IDLE_MINUTES, DEFAULT_RATIO, FIELDS};
use super::ids::Ids;
use super::registry::Registry;
use super::session::switched_limit;
use crate::AppState;

/// The most torrents a `torrent-get` of `trackerStats` asks the trackers of.
const FRESH_TRACKER_STATS_UP_TO: usize = 4;

/// The torrents `ids` names, as they are now.
fn selected(state: &AppState, args: &Args) -> Vec<Torrent> {
    let all = state.engine.list();
    Ids::of(args).select(&all, time::OffsetDateTime::now_utc())
}

fn hash_of(t: &Torrent) -> Result<InfoHash, String> {
    t.info_hash.parse().map_err(|e: EngineError| e.to_string())
}

/// Runs `action` on each torrent; the first error (other than a torrent gone
/// meanwhile) is the call's result.
async fn each<F, Fut>(torrents: Vec<Torrent>, mut action: F) -> CallResult
where
    F: FnMut(Torrent) -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let mut first_error = None;
    for t in torrents {
        if let Err(why) = action(t).await {
            first_error.get_or_insert(why);
        }
    }
    match first_error {
        Some(why) => Err(why),
        None => Ok(Map::new()),
    }
}

/// An engine result as a call's, a torrent gone meanwhile being no error.
fn engine<T>(result: Result<T, EngineError>) -> Result<(), String> {
    match result {
        Ok(_) | Err(EngineError::NotFound(_)) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

/// `torrent-get`: the requested `fields` of the torrents `ids` names, as objects or
/// (`format: "table"`) as rows after a row of the field names; with
/// `ids: "recently-active"`, also the ids of the torrents removed lately.
pub(super) async fn get(state: &AppState, registry: &Registry, args: &Args) -> CallResult {
    let requested = args::strings(args, "fields").unwrap_or_default();
    if requested.is_empty() {
        return Err("no fields specified".to_owned());
    }
    let mut fields: Vec<&str> = Vec::new();
    for name in &requested {
        if let Some(known) = FIELDS.iter().find(|f| **f == name.as_str())
            && !fields.contains(known)
        {
            fields.push(known);
        }
    }
    let all = state.engine.list();
    let ids = Ids::of(args);
    let chosen = ids.select(&all, time::OffsetDateTime::now_utc());
    // A client showing one torrent's trackers gets fresh scrapes; a list of many
    // shows what is known, rather than waiting for every tracker of every torrent.
    if fields.contains(&"trackerStats") && chosen.len() <= FRESH_TRACKER_STATS_UP_TO {
        for t in &chosen {
            if let Ok(hash) = hash_of(t) {
                let _ = state.engine.trackers(&hash).await;
            }
        }
    }
    let cx = Context::new(&state.engine, &all);
    let torrents: Vec<Value> = if args::string(args, "format") == Some("table") {
        std::iter::once(json!(fields))
            .chain(chosen.iter().map(|t| json!(cx.row(t, &fields))))
            .collect()
    } else {
        chosen
            .iter()
            .map(|t| Value::Object(cx.object(t, &fields)))
            .collect()
    };
    let mut answer = Map::new();
    answer.insert("torrents".into(), Value::Array(torrents));
    if ids.recently_active() {
        answer.insert("removed".into(), json!(registry.recently_removed()));
    }
    Ok(answer)
}

/// A .torrent in base64, standard or URL-safe, with or without padding and
/// whitespace.
fn decode_metainfo(text: &str) -> Option<Vec<u8>> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let compact = compact.trim_end_matches('=');
    STANDARD_NO_PAD
        .decode(compact)
        .or_else(|_| URL_SAFE_NO_PAD.decode(compact))
        .ok()
        .filter(|bytes| !bytes.is_empty())
}

/// Labels as tags; Transmission refuses a comma in one.
fn labels(args: &Args) -> Result<Option<Vec<String>>, String> {
    let Some(labels) = args::strings(args, "labels") else {
        return Ok(None);
    };
    if labels.iter().any(|l| l.contains(',')) {
        return Err("labels cannot contain comma (,) character".to_owned());
    }
    Ok(Some(labels))
}

/// `torrent-add`: `metainfo` (a base64 .torrent) or `filename` (a magnet link or an
/// http(s) URL of a .torrent; a path on the server is refused), into `download-dir`,
/// stopped with `paused`, tagged with `labels`, only `files-wanted`.
pub(super) async fn add(state: &AppState, args: &Args) -> CallResult {
    let metainfo = args::string(args, "metainfo").filter(|m| !m.trim().is_empty());
    let filename = args::string(args, "filename")
        .map(str::trim)
        .filter(|f| !f.is_empty());
    let source = match (metainfo, filename) {
        (Some(metainfo), _) => AddSource::TorrentFile(
            decode_metainfo(metainfo)
                .ok_or("invalid or corrupt torrent file")?
                .into(),
        ),
        (None, Some(link)) if link.len() > 7 && link[..7].eq_ignore_ascii_case("magnet:") => {
            AddSource::Magnet(link.to_owned())
        }
        (None, Some(url)) if url.starts_with("http://") || url.starts_with("https://") => {
            AddSource::Url(url.to_owned())
        }
        (None, Some(_)) => {
            return Err(
                "filename must be a magnet link or an http(s) URL of a .torrent; \
                 send a .torrent file as metainfo"
                    .to_owned(),
            );
        }
        (None, None) => return Err("no filename or metainfo specified".to_owned()),
    };
    let save_path = match args::string(args, "download-dir").map(str::trim) {
        Some(dir) if !dir.is_empty() => {
            if !std::path::Path::new(dir).is_absolute() {
                return Err("download directory path is not absolute".to_owned());
            }
            Some(dir.trim_end_matches('/').to_owned()).filter(|d| !d.is_empty())
        }
        _ => None,
    };
    let options = AddOptions {
        paused: args::boolean(args, "paused"),
        files: args::indices(args, "files-wanted").filter(|f| !f.is_empty()),
        sequential: args::boolean(args, "sequential_download").unwrap_or(false),
        tags: labels(args)?.unwrap_or_default(),
        save_path,
        ..AddOptions::default()
    };
    let added = state
        .engine
        .add(source, options)
        .await
        .map_err(|e| match e {
            EngineError::InvalidTorrent(_) => "invalid or corrupt torrent file".to_owned(),
            e => e.to_string(),
        })?;
    let key = if added.created {
        "torrent-added"
    } else {
        "torrent-duplicate"
    };
    let t = added.torrent;
    let mut answer = Map::new();
    answer.insert(
        key.into(),
        json!({"id": t.id, "name": t.name, "hashString": t.info_hash}),
    );
    Ok(answer)
}

/// `torrent-remove`, with its data when `delete-local-data`.
pub(super) async fn remove(state: &AppState, registry: &Registry, args: &Args) -> CallResult {
    let delete_data = args::boolean(args, "delete-local-data").unwrap_or(false);
    each(selected(state, args), |t| async move {
        engine(state.engine.delete(&hash_of(&t)?, delete_data).await)?;
        registry.note_removed(t.id);
        Ok(())
    })
    .await
}

/// `torrent-start`, or `torrent-start-now` (`now`: regardless of the queue, which
/// our engine calls force start).
pub(super) async fn start(state: &AppState, args: &Args, now: bool) -> CallResult {
    each(selected(state, args), |t| async move {
        let hash = hash_of(&t)?;
        if now && !t.force_start {
            let update = TorrentUpdate {
                force_start: Some(true),
                ..TorrentUpdate::default()
            };
            engine(state.engine.update_torrent(&hash, update).await)?;
        }
        engine(state.engine.start_torrent(&hash).await)
    })
    .await
}

/// `torrent-stop`.
pub(super) async fn stop(state: &AppState, args: &Args) -> CallResult {
    each(selected(state, args), |t| async move {
        engine(state.engine.stop_torrent(&hash_of(&t)?).await)
    })
    .await
}

/// `torrent-reannounce`: the running torrents announce to their trackers now.
pub(super) async fn reannounce(state: &AppState, args: &Args) -> CallResult {
    each(selected(state, args), |t| async move {
        engine(state.engine.reannounce(&hash_of(&t)?).await)
    })
    .await
}

/// `torrent-verify`: every piece of the torrents is read again (those without
/// metadata are skipped).
pub(super) async fn verify(state: &AppState, args: &Args) -> CallResult {
    each(selected(state, args), |t| async move {
        match state.engine.recheck(&hash_of(&t)?).await {
            Err(EngineError::MetadataPending) => Ok(()),
            result => engine(result),
        }
    })
    .await
}

/// A per-torrent seed limit with its mode (0: the session's, 1: its own, 2: none),
/// as our `Some(None)` / `Some(Some(limit))` / `Some(Some(-1))`; `None` keeps it.
/// A limit without a mode applies only while the torrent has its own.
fn seed_limit<T: Copy + PartialOrd + Default>(
    mode: Option<i64>,
    limit: Option<T>,
    own: Option<T>,
    shown: T,
    none: T,
) -> Option<Option<T>> {
    let own_limit = own.filter(|o| *o >= T::default());
    match mode {
        Some(0) => Some(None),
        Some(1) => Some(Some(limit.or(own_limit).unwrap_or(shown))),
        Some(2) => Some(Some(none)),
        _ => match (limit, own_limit) {
            (Some(limit), Some(_)) => Some(Some(limit)),
            _ => None,
        },
    }
}

/// The change `torrent-set` makes to `t`.
fn update_of(state: &AppState, t: &Torrent, args: &Args) -> Result<TorrentUpdate, String> {
    let global = state.engine.settings().seed_limits;
    let location = match args::string(args, "location") {
        Some(dir) if !std::path::Path::new(dir).is_absolute() => {
            return Err("new location path is not absolute".to_owned());
        }
        dir => dir.map(str::to_owned),
    };
    Ok(TorrentUpdate {
        tags: labels(args)?,
        seed_ratio_limit: seed_limit(
            args::integer(args, "seedRatioMode"),
            args::number(args, "seedRatioLimit").map(|r| r.max(0.0)),
            t.seed_ratio_limit,
            global.ratio.unwrap_or(DEFAULT_RATIO),
            -1.0,
        ),
        seed_idle_limit: seed_limit(
            args::integer(args, "seedIdleMode"),
            args::integer(args, "seedIdleLimit").map(|m| m.max(0)),
            t.seed_idle_limit,
            global
                .idle_time
                .map_or(DEFAULT_IDLE_MINUTES as i64, |d| (d.as_secs() / 60) as i64),
            -1,
        ),
        download_limit: switched_limit(
            args::boolean(args, "downloadLimited"),
            args::kilobytes_per_second(args, "downloadLimit"),
            t.download_limit,
        ),
        upload_limit: switched_limit(
            args::boolean(args, "uploadLimited"),
            args::kilobytes_per_second(args, "uploadLimit"),
            t.upload_limit,
        ),
        sequential: args::boolean(args, "sequential_download"),
        save_path: location,
        ..TorrentUpdate::default()
    })
}

/// The files to download after `files-wanted` and `files-unwanted` (an empty list
/// names every file), or `None` when neither is given.
fn selection_of(t: &Torrent, args: &Args) -> Option<Vec<usize>> {
    let every = || t.files.iter().map(|f| f.index).collect::<Vec<_>>();
    let named = |key| args::indices(args, key).map(|l| if l.is_empty() { every() } else { l });
    let wanted = named("files-wanted");
    let unwanted = named("files-unwanted");
    if wanted.is_none() && unwanted.is_none() {
        return None;
    }
    let wanted = wanted.unwrap_or_default();
    let unwanted = unwanted.unwrap_or_default();
    Some(
        t.files
            .iter()
            .map(|f| f.index)
            .filter(|i| {
                !unwanted.contains(i)
                    && (wanted.contains(i) || t.files.iter().any(|f| f.index == *i && f.selected))
            })
            .collect(),
    )
}

/// `torrent-set`: labels, seed ratio and idle limits with their modes, speed limits,
/// `location`, `files-wanted`/`files-unwanted`, `queuePosition`,
/// `sequential_download` and the trackers (`trackerList`, `trackerAdd`,
/// `trackerRemove`, `trackerReplace`); the other keys are accepted and ignored.
pub(super) async fn set(state: &AppState, args: &Args) -> CallResult {
    let position = args::integer(args, "queuePosition");
    each(selected(state, args), |t| async move {
        let hash = hash_of(&t)?;
        let update = update_of(state, &t, args)?;
        if update != TorrentUpdate::default() {
            engine(state.engine.update_torrent(&hash, update).await)?;
        }
        if let Some(trackers) = trackers_of(state, &hash, args)? {
            engine(state.engine.set_trackers(&hash, trackers).await)?;
        }
        if let Some(files) = selection_of(&t, args) {
            engine(state.engine.select_files(&hash, files).await)?;
        }
        if let Some(position) = position {
            move_to(state, &hash, position).await;
        }
        Ok(())
    })
    .await
}

/// The tracker list `torrent-set` gives a torrent, if it changes it: `trackerList`
/// (one URL a line; the blank lines between tiers are dropped, each URL is a tier
/// here), or its list with `trackerRemove` (ids, as `trackerStats` numbers them)
/// left out, `trackerReplace` (`[id, url, …]`) applied and `trackerAdd` appended.
fn trackers_of(
    state: &AppState,
    hash: &InfoHash,
    args: &Args,
) -> Result<Option<Vec<String>>, String> {
    if let Some(list) = args::string(args, "trackerList") {
        let urls = list.lines().map(str::trim).filter(|u| !u.is_empty());
        return Ok(Some(urls.map(str::to_owned).collect()));
    }
    let add = args::strings(args, "trackerAdd");
    let remove = args::indices(args, "trackerRemove");
    let replace = args.get("trackerReplace").and_then(Value::as_array);
    if add.is_none() && remove.is_none() && replace.is_none() {
        return Ok(None);
    }
    let mut list: Vec<Option<String>> = state
        .engine
        .tracker_urls(hash)
        .map_err(|e| e.to_string())?
        .into_iter()
        .map(Some)
        .collect();
    for pair in replace.map(Vec::as_slice).unwrap_or_default().chunks(2) {
        let (Some(id), Some(url)) = (
            pair.first().and_then(Value::as_u64),
            pair.get(1).and_then(Value::as_str),
        ) else {
            return Err("trackerReplace takes pairs of a tracker id and a URL".to_owned());
        };
        match usize::try_from(id).ok().and_then(|id| list.get_mut(id)) {
            Some(slot) => *slot = Some(url.to_owned()),
            None => return Err(format!("no tracker with id {id}")),
        }
    }
    for id in remove.unwrap_or_default() {
        match list.get_mut(id) {
            Some(slot) => *slot = None,
            None => return Err(format!("no tracker with id {id}")),
        }
    }
    let mut urls: Vec<String> = list.into_iter().flatten().collect();
    urls.extend(add.unwrap_or_default());
    Ok(Some(urls))
}

/// Moves a torrent to a 0-based place in the queue, one step at a time; nothing for
/// a torrent without a place (stopped or complete).
async fn move_to(state: &AppState, hash: &InfoHash, target: i64) {
    let Ok(mut t) = state.engine.get(hash) else {
        return;
    };
    for _ in 0..state.engine.count() {
        let Some(place) = t.queue_position.map(|p| i64::from(p) - 1) else {
            return;
        };
        let step = match place.cmp(&target.max(0)) {
            std::cmp::Ordering::Greater => QueueMove::Up,
            std::cmp::Ordering::Less => QueueMove::Down,
            std::cmp::Ordering::Equal => return,
        };
        match state.engine.move_in_queue(hash, step).await {
            Ok(moved) if moved.queue_position != t.queue_position => t = moved,
            _ => return,
        }
    }
}

/// `torrent-set-location`: moves the data to `location` (absolute). With
/// `move: false` Transmission would only look for the data there; here the data
/// moves either way.
pub(super) async fn set_location(state: &AppState, args: &Args) -> CallResult {
    let location = match args::string(args, "location") {
        None => return Err("no location".to_owned()),
        Some(dir) if !std::path::Path::new(dir).is_absolute() => {
            return Err("new location path is not absolute".to_owned());
        }
        Some(dir) => dir.trim_end_matches('/').to_owned(),
    };
    each(selected(state, args), |t| {
        let location = location.clone();
        async move {
            let update = TorrentUpdate {
                save_path: Some(location),
                ..TorrentUpdate::default()
            };
            engine(state.engine.update_torrent(&hash_of(&t)?, update).await)
        }
    })
    .await
}

/// `queue-move-top`, `-up`, `-down`, `-bottom`: the torrents with a place in the
/// queue move, keeping their order among themselves; the others are left alone.
pub(super) async fn queue_move(state: &AppState, args: &Args, movement: QueueMove) -> CallResult {
    let mut queued: Vec<(u32, InfoHash)> = selected(state, args)
        .iter()
        .filter_map(|t| Some((t.queue_position?, hash_of(t).ok()?)))
        .collect();
    queued.sort_by_key(|(place, _)| *place);
    if matches!(movement, QueueMove::Top | QueueMove::Down) {
        queued.reverse();
    }
    for (_, hash) in queued {
        // A torrent that lost its place meanwhile stays where it is.
        let _ = state.engine.move_in_queue(&hash, movement).await;
    }
    Ok(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metainfo_is_read_with_or_without_padding() {
        assert_eq!(decode_metainfo("ZDE6YWkxZWU=").unwrap(), b"d1:ai1ee");
        assert_eq!(decode_metainfo("ZDE6YWkx\nZWU").unwrap(), b"d1:ai1ee");
        assert_eq!(decode_metainfo("not base64!"), None);
        assert_eq!(decode_metainfo(""), None);
    }

    #[test]
    fn seed_limits_follow_their_modes() {
        // Session's limit.
        assert_eq!(
            seed_limit(Some(0), Some(1.0), Some(3.0), 2.0, -1.0),
            Some(None)
        );
        // Its own: the value given, else its own, else the one shown.
        assert_eq!(
            seed_limit(Some(1), Some(1.5), None, 2.0, -1.0),
            Some(Some(1.5))
        );
        assert_eq!(
            seed_limit(Some(1), None, Some(3.0), 2.0, -1.0),
            Some(Some(3.0))
        );
        assert_eq!(seed_limit(Some(1), None, None, 2.0, -1.0), Some(Some(2.0)));
        // Unlimited.
        assert_eq!(
            seed_limit(Some(2), Some(1.5), None, 2.0, -1.0),
            Some(Some(-1.0))
        );
        // A limit alone changes only a torrent with its own.
        assert_eq!(
            seed_limit(None, Some(1.5), Some(3.0), 2.0, -1.0),
            Some(Some(1.5))
        );
        assert_eq!(seed_limit(None, Some(1.5), None, 2.0, -1.0), None);
        assert_eq!(seed_limit(None, Some(1.5), Some(-1.0), 2.0, -1.0), None);
        assert_eq!(seed_limit::<i64>(None, None, None, 30, -1), None);
    }
}
