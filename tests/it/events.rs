//! The live push `GET /api/v1/events` as a client sees it: the whole state first,
//! then JSON Patches that keep it equal to `GET /api/v1/torrents`; resuming with
//! `Last-Event-ID`; silence while nothing changes. Real server, real loopback swarm.

use std::time::{Duration, Instant};

use cloud_torrent_config::ConfigValues;
use cloud_torrent_server::{EventsConfig, ServerConfig};
use futures::StreamExt;
use serde_json::{Map, Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

/// One Server-Sent Event.
#[derive(Debug)]
struct Event {
    event: String,
    id: String,
    data: Value,
    at: Instant,
}

/// A minimal SSE client over reqwest.
struct Events {
    body: futures::stream::BoxStream<'static, reqwest::Result<axum::body::Bytes>>,
    buf: String,
    comments: usize,
}

impl Events {
    async fn connect(server: &TestServer, last_event_id: Option<&str>) -> Events {
        let mut req = server.http.get(server.url("/api/v1/events"));
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id);
        }
        let resp = req.send().await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        Events {
            body: resp.bytes_stream().boxed(),
            buf: String::new(),
            comments: 0,
        }
    }

    /// The next event, or `None` when none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<Event> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::new(), String::new(), String::new());
                for line in block.lines() {
                    if line.starts_with(':') {
                        self.comments += 1;
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if !data.is_empty() {
                    let data = serde_json::from_str(&data).expect("event data is JSON");
                    return Some(Event {
                        event,
                        id,
                        data,
                        at: Instant::now(),
                    });
                }
            }
            match tokio::time::timeout_at(deadline, self.body.next()).await {
                Ok(Some(Ok(chunk))) => self.buf.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(other) => panic!("the event stream ended: {other:?}"),
                Err(_) => return None,
            }
        }
    }
}

/// Applies an event to the state a client holds.
fn apply(state: &mut Value, event: &Event) {
    match event.event.as_str() {
        "state" => *state = event.data.clone(),
        "patch" => {
            let patch: json_patch::Patch = serde_json::from_value(event.data.clone()).unwrap();
            json_patch::patch(state, &patch).expect("the patch applies to the previous state");
        }
        other => panic!("unexpected event {other:?}"),
    }
}

/// `GET /api/v1/torrents` keyed by info hash, as the live state holds it.
async fn torrents_by_hash(server: &TestServer) -> Value {
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    let map: Map<String, Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["infoHash"].as_str().unwrap().to_owned(), t.clone()))
        .collect();
    Value::Object(map)
}

/// Reads events until none came for 2.5 s; then the patched state must equal
/// `GET /api/v1/torrents` (retried, since a change may land between the two).
/// Returns the id of the last event read, if any.
async fn assert_in_sync(
    events: &mut Events,
    state: &mut Value,
    server: &TestServer,
    quiet: Duration,
) -> Option<String> {
    let mut last = None;
    for _ in 0..10 {
        // Take patches until none came for `quiet`. A running torrent's time counters
        // change every second, so with one running, `quiet` must be under a second:
        // the comparison then happens in a gap between two patches.
        while let Some(e) = events.next(quiet).await {
            apply(state, &e);
            last = Some(e.id);
        }
        if same_torrents(&state["torrents"], &torrents_by_hash(server).await) {
            return last;
        }
    }
    panic!(
        "the patched state differs from GET /api/v1/torrents:\n{:#}\n{:#}",
        state["torrents"],
        torrents_by_hash(server).await
    );
}

/// Whether the live state's torrents are those of `GET /api/v1/torrents`. The live
/// state counts `seedingTime` and `activeTime` up to `seedingSince` and
/// `activeSince`: with the seconds since then added, they are the list's (give or
/// take the second between the two looks).
fn same_torrents(live: &Value, listed: &Value) -> bool {
    let (Some(live), Some(listed)) = (live.as_object(), listed.as_object()) else {
        return false;
    };
    let now = time::OffsetDateTime::now_utc();
    let times_agree = |l: &Value, t: &Value| {
        [
            ("seedingTime", "seedingSince"),
            ("activeTime", "activeSince"),
        ]
        .iter()
        .all(|(time, since)| {
            let running = t[since].as_str().map_or(0, |at| {
                let at =
                    time::OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
                        .unwrap();
                (now - at).whole_seconds()
            });
            let live = l[time].as_i64().unwrap() + running;
            (live - t[time].as_i64().unwrap()).abs() <= 2
        })
    };
    let without_times = |t: &Value| {
        let mut t = t.clone();
        let object = t.as_object_mut().unwrap();
        object.remove("seedingTime");
        object.remove("activeTime");
        t
    };
    live.len() == listed.len()
        && live.iter().all(|(hash, l)| {
            listed
                .get(hash)
                .is_some_and(|t| without_times(l) == without_times(t) && times_agree(l, t))
        })
}

/// A quiet time long enough for every pending change to have been pushed.
const QUIET: Duration = Duration::from_millis(2500);
/// A gap between two patches while a torrent runs (patches come once a second).
const SEEDING_GAP: Duration = Duration::from_millis(700);

fn quiet_stats() -> EventsConfig {
    EventsConfig {
        stats_interval: Duration::from_secs(3600),
        ..Default::default()
    }
}

async fn server_with(dirs: &Dirs, events: EventsConfig) -> TestServer {
    TestServer::start_with(ServerConfig {
        events,
        ..server_config(ConfigValues {
            title: "events test".into(),
            ..test_settings(dirs)
        })
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_event_is_the_whole_state_and_patches_keep_it_equal_to_the_torrent_list() {
    let dirs = Dirs::new();
    let payload = make_payload(
        &dirs.data,
        "live",
        &[
            ("a.bin", 3 * 1024 * 1024 + 5),
            ("b/c.bin", 2 * 1024 * 1024 + 9),
        ],
    )
    .await;
    let seeder = Seeder::start(&payload, "127.0.0.2", Some(2 * 1024 * 1024), &[]).await;
    let server = server_with(&dirs, quiet_stats()).await;

    let mut events = Events::connect(&server, None).await;
    let first = events
        .next(Duration::from_secs(5))
        .await
        .expect("a first event");
    assert_eq!(first.event, "state");
    assert!(first.id.parse::<u64>().is_ok(), "the id is the version");
    for key in [
        "title",
        "version",
        "torrents",
        "stats",
        "config",
        "downloads",
    ] {
        assert!(
            first.data.get(key).is_some(),
            "the state has {key}: {}",
            first.data
        );
    }
    assert_eq!(first.data["title"], "events test");
    assert_eq!(first.data["torrents"], json!({}));
    assert!(first.data["stats"]["memoryTotal"].as_u64() > Some(0));
    let mut state = first.data.clone();

    // Add by magnet: the new torrent is pushed at once, not after the next tick.
    let (status, t) = server.add_magnet(&seeder.magnet(&payload)).await;
    assert_eq!(status, 201, "{t}");
    let added = Instant::now();
    let e = events
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    assert_eq!(e.event, "patch");
    let mut ids = vec![first.id.parse::<u64>().unwrap()];
    ids.push(e.id.parse().unwrap());
    apply(&mut state, &e);
    assert!(state["torrents"].get(&payload.info_hash).is_some());

    // While it downloads, patches come at most about once a second and keep the
    // client's copy right.
    let mut times = vec![e.at];
    let deadline = Instant::now() + TIMEOUT;
    while state["torrents"][&payload.info_hash]["progress"] != 1.0 {
        assert!(Instant::now() < deadline, "never complete: {state:#}");
        let e = events
            .next(Duration::from_secs(10))
            .await
            .expect("progress events");
        assert_eq!(e.event, "patch");
        ids.push(e.id.parse().unwrap());
        times.push(e.at);
        apply(&mut state, &e);
    }
    assert!(
        ids.windows(2).all(|w| w[1] > w[0]),
        "versions rise: {ids:?}"
    );
    // Coalescing: about one event a second, counted over the whole download so that a
    // slow test machine delivering two events together does not matter.
    let seconds = times[times.len() - 1].duration_since(added).as_secs_f64();
    assert!(
        (times.len() as f64) <= seconds + 3.0,
        "{} events in {seconds:.1} s: more than the 1 s coalescing interval allows",
        times.len()
    );
    assert!(times.len() >= 3, "progress was pushed step by step");
    assert_in_sync(&mut events, &mut state, &server, SEEDING_GAP).await;

    // A stop is pushed (at once: see api_changes_are_pushed_before_the_next_snapshot).
    let (status, _) = server.stop_torrent(&payload.info_hash).await;
    assert_eq!(status, 200);
    let e = events
        .next(Duration::from_secs(10))
        .await
        .expect("an event");
    apply(&mut state, &e);
    assert_eq!(state["torrents"][&payload.info_hash]["state"], "paused");
    assert_in_sync(&mut events, &mut state, &server, QUIET).await;
    server.stop().await;
}

/// A change made through the API is pushed at once, not with the next snapshot: with
/// snapshots 60 s apart, an add and a stop still reach the client within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn api_changes_are_pushed_before_the_next_snapshot() {
    let dirs = Dirs::new();
    let server = server_with(
        &dirs,
        EventsConfig {
            min_interval: Duration::from_secs(60),
            stats_interval: Duration::from_secs(3600),
            ..Default::default()
        },
    )
    .await;
    let mut events = Events::connect(&server, None).await;
    let mut state = events
        .next(Duration::from_secs(10))
        .await
        .expect("a first event")
        .data;
    // No peer has this torrent: it stays waiting for metadata, nothing else changes.
    let hash = "0123456789abcdef0123456789abcdef01234567";
    let (status, t) = server
        .add_magnet(&format!("magnet:?xt=urn:btih:{hash}&dn=pushed"))
        .await;
    assert_eq!(status, 201, "{t}");
    let e = events
        .next(Duration::from_secs(20))
        .await
        .expect("the add is pushed long before the 60 s snapshot");
    apply(&mut state, &e);
    assert_eq!(state["torrents"][hash]["name"], "pushed", "{state:#}");

    let (status, _) = server.stop_torrent(hash).await;
    assert_eq!(status, 200);
    let e = events
        .next(Duration::from_secs(20))
        .await
        .expect("the stop is pushed long before the 60 s snapshot");
    apply(&mut state, &e);
    assert_eq!(state["torrents"][hash]["state"], "paused", "{state:#}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_resumes_with_last_event_id() {
    let dirs = Dirs::new();
    let one = make_payload(&dirs.data, "one", &[("", 300 * 1024 + 1)]).await;
    let two = make_payload(&dirs.data, "two", &[("", 200 * 1024 + 3)]).await;
    let server = server_with(&dirs, quiet_stats()).await;

    let mut events = Events::connect(&server, None).await;
    let first = events.next(Duration::from_secs(5)).await.unwrap();
    let mut state = first.data.clone();
    for p in [&one, &two] {
        let (status, t) = server.add_torrent_file(&p.torrent, "?paused=true").await;
        assert_eq!(status, 201, "{t}");
    }
    let last_id = assert_in_sync(&mut events, &mut state, &server, QUIET)
        .await
        .unwrap_or(first.id.clone());
    // The client goes away; a torrent is removed meanwhile.
    let saved = state.clone();
    drop(events);
    let mut probe = Events::connect(&server, Some(&last_id)).await;
    let now = probe.next(Duration::from_secs(2)).await;
    assert!(now.is_none(), "nothing changed yet: {now:?}");
    drop(probe);
    assert_eq!(server.delete_torrent(&one.info_hash, "").await, 204);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // Back with the last version it saw: a patch, not the whole state.
    let mut state = saved;
    let mut events = Events::connect(&server, Some(&last_id)).await;
    let e = events.next(Duration::from_secs(5)).await.expect("an event");
    assert_eq!(e.event, "patch", "resumed with a patch");
    assert!(e.id.parse::<u64>().unwrap() > last_id.parse::<u64>().unwrap());
    apply(&mut state, &e);
    assert!(state["torrents"].get(&one.info_hash).is_none());
    assert_eq!(state["torrents"], torrents_by_hash(&server).await);
    let current = e.id.clone();
    drop(events);

    // Up to date: nothing to send.
    let mut events = Events::connect(&server, Some(&current)).await;
    assert!(events.next(Duration::from_secs(2)).await.is_none());
    drop(events);

    // A version the server does not know (another run, or garbage): the whole state.
    for unknown in ["12345", "not-a-version"] {
        let mut events = Events::connect(&server, Some(unknown)).await;
        let e = events.next(Duration::from_secs(5)).await.unwrap();
        assert_eq!(e.event, "state");
        assert_eq!(e.data["torrents"], torrents_by_hash(&server).await);
    }

    // The query parameter works like the header (EventSource cannot set headers).
    let r = server
        .http
        .get(server.url(&format!("/api/v1/events?lastEventId={current}")))
        .send()
        .await
        .unwrap();
    let mut body = r.bytes_stream();
    let quiet = tokio::time::timeout(Duration::from_secs(2), body.next()).await;
    assert!(quiet.is_err(), "nothing sent to an up-to-date client");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn nothing_is_sent_while_nothing_changes_but_keep_alives() {
    let dirs = Dirs::new();
    let p = make_payload(&dirs.data, "still", &[("", 100 * 1024 + 1)]).await;
    let server = server_with(
        &dirs,
        EventsConfig {
            keep_alive: Duration::from_millis(700),
            ..quiet_stats()
        },
    )
    .await;
    let (status, _) = server.add_torrent_file(&p.torrent, "?paused=true").await;
    assert_eq!(status, 201);
    tokio::time::sleep(Duration::from_millis(1500)).await;

    let mut events = Events::connect(&server, None).await;
    let first = events.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(first.event, "state");
    assert!(first.data["torrents"].get(&p.info_hash).is_some());
    let quiet = events.next(Duration::from_secs(4)).await;
    assert!(quiet.is_none(), "an event while nothing changed: {quiet:?}");
    assert!(events.comments >= 3, "keep-alive comments while idle");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_seeding_torrent_is_no_change_to_push_or_to_save_until_a_peer_comes() {
    let dirs = Dirs::new();
    let p = make_payload(&dirs.downloads, "idle", &[("", 100 * 1024 + 3)]).await;
    let mut settings = test_settings(&dirs);
    let incoming = fixed_incoming_port(&mut settings);
    let server = TestServer::start_with(ServerConfig {
        events: quiet_stats(),
        ..server_config(settings)
    })
    .await;
    let (status, _) = server.add_torrent_file(&p.torrent, "").await;
    assert_eq!(status, 201);
    server.wait_state(&p.info_hash, "seeding", TIMEOUT).await;
    // Its running and seeding spans began and were saved.
    wait_for("the record with its seeding span", TIMEOUT, || async {
        saved_record(&dirs.state, &p.info_hash).is_some_and(|r| r["seedingSince"].is_string())
    })
    .await;
    let saved = saved_record(&dirs.state, &p.info_hash).unwrap();

    let mut events = Events::connect(&server, None).await;
    let first = events.next(Duration::from_secs(5)).await.unwrap();
    let live = &first.data["torrents"][&p.info_hash];
    assert_eq!(live["state"], "seeding");
    assert!(live["seedingSince"].is_string(), "{live}");
    let before = server.torrent(&p.info_hash).await["seedingTime"]
        .as_u64()
        .unwrap();
    // Seconds pass, which is no change to push...
    let quiet = events.next(Duration::from_secs(4)).await;
    assert!(quiet.is_none(), "an event while it only seeded: {quiet:?}");
    // ...and none to save (counters are saved every 5 s when they change).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(saved_record(&dirs.state, &p.info_hash).unwrap(), saved);
    // The list counts the time all the same.
    let after = server.torrent(&p.info_hash).await["seedingTime"]
        .as_u64()
        .unwrap();
    assert!(after >= before + 6, "seedingTime {before} then {after}");

    // Idle that long, the engine looks at it only now and then, and so does the
    // live push: a peer that comes is seen all the same, within seconds.
    let mut state = first.data.clone();
    while let Some(event) = events.next(Duration::from_millis(100)).await {
        apply(&mut state, &event);
    }
    let leecher = Leecher::start(&p, incoming).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("the leecher finished")
        .unwrap();
    let done = Instant::now();
    let size = 100 * 1024 + 3;
    loop {
        let uploaded = state["torrents"][&p.info_hash]["uploaded"]
            .as_u64()
            .unwrap();
        if uploaded >= size {
            break;
        }
        assert!(
            done.elapsed() < Duration::from_secs(15),
            "the live state still says {uploaded} bytes uploaded"
        );
        if let Some(event) = events.next(Duration::from_secs(1)).await {
            apply(&mut state, &event);
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn stats_refresh_on_their_own_cadence() {
    let dirs = Dirs::new();
    let server = server_with(
        &dirs,
        EventsConfig {
            stats_interval: Duration::from_millis(500),
            ..Default::default()
        },
    )
    .await;
    let (status, stats) = server.get_json("/api/v1/stats").await;
    assert_eq!(status, 200);
    for key in [
        "cpuPercent",
        "memoryUsed",
        "memoryTotal",
        "diskFree",
        "diskTotal",
        "processRss",
        "uptime",
        "version",
        "downloadRate",
        "uploadRate",
        "downloaded",
        "uploaded",
        "clients",
    ] {
        assert!(stats.get(key).is_some(), "stats has {key}: {stats}");
    }
    assert!(stats["memoryTotal"].as_u64() > Some(0));
    assert!(stats["diskTotal"].as_u64() > Some(0));
    assert!(stats["processRss"].as_u64() > Some(0));
    assert_eq!(stats["clients"], 0);

    let mut events = Events::connect(&server, None).await;
    let mut state = events.next(Duration::from_secs(5)).await.unwrap().data;
    let e = events
        .next(Duration::from_secs(5))
        .await
        .expect("stats refresh");
    let patch = e.data.as_array().unwrap();
    assert!(
        patch
            .iter()
            .all(|op| op["path"].as_str().unwrap().starts_with("/stats/")),
        "only stats changed: {patch:?}"
    );
    apply(&mut state, &e);
    assert_eq!(state["stats"]["clients"], 1, "this client is counted");
    server.stop().await;
}
