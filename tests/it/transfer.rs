//! Transfer control: lifetime counters (bytes, seeding and active time, last
//! activity, ratio) that survive stops, restarts and a crash, and seeding limits
//! (global and per torrent) with their actions.

use std::net::SocketAddr;
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(60);

fn u64_of(t: &Value, key: &str) -> u64 {
    t[key].as_u64().unwrap_or_else(|| panic!("{key} in {t:#}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn lifetime_counters_survive_stops_restarts_and_a_crash() {
    let dirs = Dirs::new();
    let size = 1_500_007u64;
    let data = make_payload(&dirs.data, "count.bin", &[("", size as usize)]).await;
    let hash = data.info_hash.clone();
    let seeder = Seeder::start(&data, "127.0.0.41", None, &[]).await;
    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (status, t) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201, "{t}");
    assert_eq!((u64_of(&t, "downloaded"), u64_of(&t, "uploaded")), (0, 0));
    assert_eq!(t["ratio"], 0.0);
    assert!(t["lastActivity"].is_null(), "{t}");
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    drop(seeder);

    // A leecher takes the file from us.
    let leecher = Leecher::start(&data, SocketAddr::from(([127, 0, 0, 1], incoming))).await;
    tokio::time::timeout(TIMEOUT, leecher.wait_until_completed())
        .await
        .expect("the leecher finished")
        .unwrap();
    drop(leecher);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t = server.torrent(&hash).await;
    let (down, up) = (u64_of(&t, "downloaded"), u64_of(&t, "uploaded"));
    assert!(
        down >= size && down < size * 3 / 2,
        "downloaded {down}: {t:#}"
    );
    assert!(up >= size && up < size * 3 / 2, "uploaded {up}: {t:#}");
    let ratio = t["ratio"].as_f64().unwrap();
    assert!((ratio - up as f64 / down as f64).abs() < 1e-9, "{t:#}");
    assert!(u64_of(&t, "seedingTime") >= 2, "{t:#}");
    assert!(
        u64_of(&t, "activeTime") >= u64_of(&t, "seedingTime"),
        "{t:#}"
    );
    let last = time::OffsetDateTime::parse(
        t["lastActivity"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ago = time::OffsetDateTime::now_utc() - last;
    assert!(ago < time::Duration::seconds(30), "lastActivity {ago} ago");

    // Stopped: nothing counts.
    let (status, _) = server.stop_torrent(&hash).await;
    assert_eq!(status, 200);
    let stopped = server.torrent(&hash).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = server.torrent(&hash).await;
    for key in ["downloaded", "uploaded", "seedingTime", "activeTime"] {
        assert_eq!(stopped[key], later[key], "{key} moved while stopped");
    }
    assert_eq!(stopped["lastActivity"], later["lastActivity"]);

    // A clean restart keeps every counter.
    server.terminate();
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let back = server.torrent(&hash).await;
    for key in [
        "downloaded",
        "uploaded",
        "ratio",
        "seedingTime",
        "activeTime",
        "lastActivity",
    ] {
        assert_eq!(back[key], later[key], "{key} after a restart");
    }

    // Seeding again, then killed: at most the last seconds are lost.
    let (status, _) = server.start_torrent(&hash).await;
    assert_eq!(status, 200);
    server.wait_state(&hash, "seeding", TIMEOUT).await;
    tokio::time::sleep(Duration::from_secs(8)).await;
    let before_kill = u64_of(&server.torrent(&hash).await, "seedingTime");
    assert!(
        before_kill >= u64_of(&back, "seedingTime") + 7,
        "seeding time did not grow: {before_kill}"
    );
    server.kill();
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let after = server.torrent(&hash).await;
    let kept = u64_of(&after, "seedingTime");
    assert!(
        kept + 6 >= before_kill && kept > u64_of(&back, "seedingTime"),
        "seedingTime {kept} after a crash, {before_kill} before it"
    );
    assert_eq!(after["uploaded"], later["uploaded"]);
    server.terminate();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_time_the_process_was_stopped_is_no_seeding_time() {
    let dirs = Dirs::new();
    let data = seeding_torrent(&dirs, "frozen.bin", 100_003).await;
    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    let server = Binary::start(&dirs, http_port, incoming, &[]).await;
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = u64_of(&server.torrent(&data.info_hash).await, "seedingTime");

    // Stopped as by Ctrl-Z (or a debugger) for 10 s, then going on.
    let signal = |name: &str| {
        let status = std::process::Command::new("kill")
            .args([name, &server.pid().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {name}");
    };
    let stopped_at = std::time::Instant::now();
    signal("-STOP");
    tokio::time::sleep(Duration::from_secs(10)).await;
    signal("-CONT");
    tokio::time::sleep(Duration::from_secs(4)).await;
    let elapsed = stopped_at.elapsed().as_secs();
    let after = u64_of(&server.torrent(&data.info_hash).await, "seedingTime");
    let counted = after - before;
    // It went on seeding before and after the stop (about 4 s), not during it.
    assert!(
        counted >= 2 && counted + 7 <= elapsed,
        "{counted} s of seeding counted over {elapsed} s, 10 of them stopped"
    );
    server.terminate();
}

/// A torrent whose data is already in the download folder: it seeds at once.
async fn seeding_torrent(dirs: &Dirs, name: &str, size: usize) -> Payload {
    make_payload(&dirs.downloads, name, &[("", size)]).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_torrent_at_its_ratio_limit_stops_and_stays_stopped_until_its_limit_is_raised() {
    let dirs = Dirs::new();
    let data = seeding_torrent(&dirs, "ratio.bin", 300_001).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    // Its own limit of 0, given at add: reached as soon as it is complete. Data that
    // was on disk counts for the ratio (nothing was downloaded).
    let (status, t) = server
        .add_torrent_file(&data.torrent, "?seedRatioLimit=0")
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["seedRatioLimit"], 0.0);
    let t = server
        .wait_state(&data.info_hash, "completed", Duration::from_secs(15))
        .await;
    assert_eq!(t["seedLimitReached"], true, "{t:#}");
    assert_eq!(t["progress"], 1.0);

    // A start is undone at the next check while the limit holds.
    let (status, _) = server.start_torrent(&data.info_hash).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(
        (t["state"].as_str(), t["seedLimitReached"].as_bool()),
        (Some("completed"), Some(true)),
        "{t:#}"
    );

    // No limit for this torrent any more: a start keeps it seeding.
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", data.info_hash),
            json!({ "seedRatioLimit": -1 }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["seedRatioLimit"], -1.0);
    server.start_torrent(&data.info_hash).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(t["state"], "seeding", "{t:#}");
    assert_eq!(t["seedLimitReached"], false);

    // Back to the global limit (0 now): stopped again; a force start overrides it.
    let (status, config) = server
        .patch_json("/api/v1/config", json!({ "seedRatioLimit": 0 }))
        .await;
    assert_eq!(status, 200, "{config}");
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", data.info_hash),
            json!({ "seedRatioLimit": null }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert!(t["seedRatioLimit"].is_null());
    server
        .wait_state(&data.info_hash, "completed", Duration::from_secs(15))
        .await;
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", data.info_hash),
            json!({ "forceStart": true }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["forceStart"], true);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let t = server.torrent(&data.info_hash).await;
    assert_eq!(t["state"], "seeding", "{t:#}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seeding_time_and_idle_limits_count_from_the_saved_counters() {
    let dirs = Dirs::new();
    let timed = seeding_torrent(&dirs, "timed.bin", 200_003).await;
    let idle = seeding_torrent(&dirs, "idle.bin", 200_029).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    for p in [&timed, &idle] {
        let (status, t) = server.add_torrent_file(&p.torrent, "?paused=true").await;
        assert_eq!(status, 201, "{t}");
    }
    server.stop().await;

    // As if `timed` had seeded 59 minutes 58 seconds and `idle` had last sent
    // anything 20 minutes ago.
    let mut record = saved_record(&dirs.state, &timed.info_hash).unwrap();
    record["seedingMs"] = json!(3_598_000);
    record["paused"] = json!(false);
    replace_record(&dirs.state, &timed.info_hash, &record);
    let mut record = saved_record(&dirs.state, &idle.info_hash).unwrap();
    let long_ago = time::OffsetDateTime::now_utc() - time::Duration::minutes(20);
    record["lastActivity"] = json!(
        long_ago
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    );
    record["completedAt"] = record["lastActivity"].clone();
    record["paused"] = json!(false);
    replace_record(&dirs.state, &idle.info_hash, &record);

    let mut settings = test_settings(&dirs);
    settings.seed_time_limit = Some(60);
    settings.seed_idle_limit = Some(30);
    let server = TestServer::start(settings).await;
    let t = server
        .wait_state(&timed.info_hash, "completed", Duration::from_secs(15))
        .await;
    assert_eq!(t["seedLimitReached"], true);
    assert!(u64_of(&t, "seedingTime") >= 3600, "{t:#}");
    // 20 minutes idle is under the 30 of the limit; lowering it acts at once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(server.torrent(&idle.info_hash).await["state"], "seeding");
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", idle.info_hash),
            json!({ "seedIdleLimit": 15 }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    server
        .wait_state(&idle.info_hash, "completed", Duration::from_secs(15))
        .await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn remove_actions_remove_the_torrent_with_or_without_its_files() {
    let dirs = Dirs::new();
    let keep = seeding_torrent(&dirs, "keep.bin", 100_003).await;
    let gone = seeding_torrent(&dirs, "gone.bin", 100_019).await;
    let mut settings = test_settings(&dirs);
    settings.seed_limit_action = "remove".into();
    let server = TestServer::start(settings).await;
    let (status, t) = server
        .add_torrent_file(&keep.torrent, "?seedRatioLimit=0")
        .await;
    assert_eq!(status, 201, "{t}");
    wait_for(
        "keep.bin to be removed",
        Duration::from_secs(15),
        || async {
            server
                .get_json(&format!("/api/v1/torrents/{}", keep.info_hash))
                .await
                .0
                == 404
        },
    )
    .await;
    assert!(dirs.downloads.join("keep.bin").is_file());

    let (status, config) = server
        .patch_json(
            "/api/v1/config",
            json!({ "seedLimitAction": "removeWithData" }),
        )
        .await;
    assert_eq!(status, 200, "{config}");
    let (status, t) = server
        .add_torrent_file(&gone.torrent, "?seedRatioLimit=0")
        .await;
    assert_eq!(status, 201, "{t}");
    wait_for(
        "gone.bin to be removed",
        Duration::from_secs(15),
        || async { !dirs.downloads.join("gone.bin").exists() },
    )
    .await;
    let (status, _) = server
        .get_json(&format!("/api/v1/torrents/{}", gone.info_hash))
        .await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_torrent_options_are_refused_with_the_field_named() {
    let dirs = Dirs::new();
    let data = seeding_torrent(&dirs, "bad.bin", 10_007).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    for (query, field) in [
        ("?seedRatioLimit=x", "seedRatioLimit"),
        ("?seedRatioLimit=inf", "seedRatioLimit"),
        ("?seedTimeLimit=1.5", "seedTimeLimit"),
        ("?seedIdleLimit=x", "seedIdleLimit"),
        ("?downloadLimit=4294967296", "downloadLimit"),
        ("?sequential=maybe", "sequential"),
    ] {
        let (status, body) = server.add_torrent_file(&data.torrent, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert!(
            body["error"].as_str().unwrap().contains(field),
            "{query}: {body}"
        );
    }
    // Any negative limit is "no limit", kept as -1.
    let (status, t) = server
        .add_torrent_file(
            &data.torrent,
            "?paused=true&seedTimeLimit=-5&seedRatioLimit=-0.5",
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(
        (&t["seedTimeLimit"], &t["seedRatioLimit"]),
        (&json!(-1), &json!(-1.0))
    );
    let path = format!("/api/v1/torrents/{}", data.info_hash);
    for (body, field) in [
        (json!({ "seedTimeLimit": "soon" }), "seedTimeLimit"),
        (json!({ "uploadLimit": 4_294_967_296u64 }), "uploadLimit"),
        (json!({ "sequel": true }), "sequel"),
    ] {
        let (status, answer) = server.patch_json(&path, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let (status, t) = server
        .patch_json(&path, json!({ "seedIdleLimit": -7 }))
        .await;
    assert_eq!((status, &t["seedIdleLimit"]), (200, &json!(-1)), "{t}");
    for (body, field) in [
        (json!({ "seedRatioLimit": -1 }), "seedRatioLimit"),
        (json!({ "seedLimitAction": "delete" }), "seedLimitAction"),
        (json!({ "maxActiveDownloads": -2 }), "maxActiveDownloads"),
    ] {
        let (status, answer) = server.patch_json("/api/v1/config", body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert!(
            answer["error"].as_str().unwrap().contains(field),
            "{body}: {answer}"
        );
    }
    let (status, _) = server
        .patch_json(
            "/api/v1/torrents/0000000000000000000000000000000000000000",
            json!({ "forceStart": true }),
        )
        .await;
    assert_eq!(status, 404);
    server.stop().await;
}

/// The average download rate of `hash` over `window`, from its lifetime counter.
async fn download_rate(server: &TestServer, hash: &str, window: Duration) -> f64 {
    let start = u64_of(&server.torrent(hash).await, "downloaded");
    tokio::time::sleep(window).await;
    let end = u64_of(&server.torrent(hash).await, "downloaded");
    (end - start) as f64 / window.as_secs_f64()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn global_and_alternative_download_limits_apply_live() {
    const KIB: f64 = 1024.0;
    let dirs = Dirs::new();
    let data = make_payload(&dirs.data, "limited.bin", &[("", 24 * 1024 * 1024 + 11)]).await;
    let seeder = Seeder::start(&data, "127.0.0.42", None, &[]).await;
    let mut settings = test_settings(&dirs);
    settings.download_limit = 512 * 1024;
    settings.alt_download_limit = 128 * 1024;
    let server = TestServer::start(settings).await;
    let (_, stats) = server.get_json("/api/v1/stats").await;
    assert_eq!(
        (
            &stats["altSpeed"],
            &stats["downloadLimit"],
            &stats["uploadLimit"]
        ),
        (&json!(false), &json!(512 * 1024), &json!(0)),
        "{stats}"
    );
    server.add_magnet(&seeder.magnet(&data)).await;
    wait_for("the download to start", TIMEOUT, || async {
        u64_of(&server.torrent(&data.info_hash).await, "downloaded") > 0
    })
    .await;
    // Past the limiter's first second of burst.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rate = download_rate(&server, &data.info_hash, Duration::from_secs(5)).await;
    assert!(
        (256.0 * KIB..=640.0 * KIB).contains(&rate),
        "{:.0} KiB/s under a 512 KiB/s limit",
        rate / KIB
    );

    // The alternative mode, switched on over the API, applies within seconds.
    let (status, config) = server
        .patch_json("/api/v1/config", json!({ "altSpeed": true }))
        .await;
    assert_eq!(status, 200, "{config}");
    let (_, stats) = server.get_json("/api/v1/stats").await;
    assert_eq!(stats["altSpeed"], true);
    assert_eq!(stats["downloadLimit"], 128 * 1024);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rate = download_rate(&server, &data.info_hash, Duration::from_secs(5)).await;
    assert!(
        (48.0 * KIB..=176.0 * KIB).contains(&rate),
        "{:.0} KiB/s under the 128 KiB/s alternative limit",
        rate / KIB
    );

    // Back to normal, then unlimited: the rest comes fast.
    let (status, _) = server
        .patch_json(
            "/api/v1/config",
            json!({ "altSpeed": false, "downloadLimit": 0 }),
        )
        .await;
    assert_eq!(status, 200);
    let done = server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    assert_eq!(done["completed"], 24 * 1024 * 1024 + 11);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_upload_limit_holds_a_leecher_back() {
    const KIB: f64 = 1024.0;
    let dirs = Dirs::new();
    let data = seeding_torrent(&dirs, "shared.bin", 16 * 1024 * 1024 + 7).await;
    let mut settings = test_settings(&dirs);
    settings.upload_limit = 256 * 1024;
    let ours = fixed_incoming_port(&mut settings);
    let server = TestServer::start(settings).await;
    let (status, t) = server.add_torrent_file(&data.torrent, "").await;
    assert_eq!(status, 201, "{t}");
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    let leecher = Leecher::start(&data, ours).await;
    wait_for("the leecher to start", TIMEOUT, || async {
        leecher.stats().progress_bytes > 0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let start = u64_of(&server.torrent(&data.info_hash).await, "uploaded");
    tokio::time::sleep(Duration::from_secs(5)).await;
    let end = u64_of(&server.torrent(&data.info_hash).await, "uploaded");
    let rate = (end - start) as f64 / 5.0;
    assert!(
        (128.0 * KIB..=320.0 * KIB).contains(&rate),
        "{:.0} KiB/s sent under a 256 KiB/s limit",
        rate / KIB
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_schedule_switches_the_alternative_mode_at_its_edges_only() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    // A period covering every minute of every day: the mode is on at the next look.
    let all_day = json!({
        "enabled": true, "from": "00:00", "to": "00:00",
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    });
    let (status, config) = server
        .patch_json("/api/v1/config", json!({ "altSpeedSchedule": all_day }))
        .await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["altSpeedSchedule"], all_day);
    wait_for(
        "the schedule to turn the mode on",
        Duration::from_secs(12),
        || async { server.get_json("/api/v1/stats").await.1["altSpeed"] == true },
    )
    .await;
    assert_eq!(server.get_json("/api/v1/config").await.1["altSpeed"], true);

    // A change by hand lasts until the next edge, which this schedule never has.
    let (status, _) = server
        .patch_json("/api/v1/config", json!({ "altSpeed": false }))
        .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_secs(7)).await;
    assert_eq!(server.get_json("/api/v1/stats").await.1["altSpeed"], false);

    for (bad, says) in [
        (json!({ "enabled": true, "from": "25:00" }), "from must be"),
        (json!({ "days": ["someday"] }), "days"),
        (json!("on"), "must be an object"),
    ] {
        let (status, answer) = server
            .patch_json("/api/v1/config", json!({ "altSpeedSchedule": bad }))
            .await;
        assert_eq!(status, 400, "{bad}: {answer}");
        let error = answer["error"].as_str().unwrap();
        assert!(
            error.contains("altSpeedSchedule") && error.contains(says),
            "{error}"
        );
    }
    server.stop().await;
}

/// The verified pieces of `hash`, as booleans.
async fn pieces_of(server: &TestServer, hash: &str) -> Option<Vec<bool>> {
    use base64::Engine as _;
    let (status, p) = server
        .get_json(&format!("/api/v1/torrents/{hash}/pieces"))
        .await;
    if status != 200 {
        return None;
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(p["have"].as_str().unwrap())
        .unwrap();
    let count = p["count"].as_u64().unwrap() as usize;
    Some(
        (0..count)
            .map(|i| bytes[i / 8] & (0x80 >> (i % 8)) != 0)
            .collect(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sequential_torrent_gets_its_pieces_in_order() {
    let dirs = Dirs::new();
    let size = 8 * 1024 * 1024 + 13;
    let ordered = make_payload(&dirs.data, "ordered.bin", &[("", size)]).await;
    let usual = make_payload(&dirs.data, "usual.bin", &[("", size + 2)]).await;
    let mib = Some(1024 * 1024);
    let ordered_seed = Seeder::start(&ordered, "127.0.0.43", mib, &[]).await;
    let usual_seed = Seeder::start(&usual, "127.0.0.44", mib, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({ "magnet": ordered_seed.magnet(&ordered), "sequential": true }),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["sequential"], true);
    let (status, _) = server.add_magnet(&usual_seed.magnet(&usual)).await;
    assert_eq!(status, 201);

    // While they download, the sequential torrent's verified pieces are a prefix,
    // apart from the few pieces in flight just after it.
    let mut usual_last_early = false;
    let mut snapshots = 0;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "never complete");
        if let Some(have) = pieces_of(&server, &ordered.info_hash).await {
            let count = have.len();
            let prefix = have.iter().take_while(|h| **h).count();
            if prefix == count {
                break;
            }
            let beyond: Vec<usize> = (prefix..count).filter(|&i| have[i]).collect();
            assert!(
                beyond.iter().all(|&i| i < prefix + 6),
                "pieces {beyond:?} verified before piece {prefix} of {count}"
            );
            snapshots += 1;
        }
        if let Some(have) = pieces_of(&server, &usual.info_hash).await {
            let prefix = have.iter().take_while(|h| **h).count();
            usual_last_early |= have[have.len() - 1] && prefix + 6 < have.len();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(
        snapshots >= 10,
        "only {snapshots} looks while it downloaded"
    );
    // Without `sequential`, librqbit takes each file's last piece second: the check
    // above is not one that any download passes.
    assert!(
        usual_last_early,
        "the usual order fetched the last piece early"
    );
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", usual.info_hash),
            json!({ "sequential": true }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["sequential"], true);
    let (status, _) = server
        .get_json("/api/v1/torrents/0000000000000000000000000000000000000000/pieces")
        .await;
    assert_eq!(status, 404);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_torrent_limit_holds_it_alone_and_changes_while_it_runs() {
    const KIB: f64 = 1024.0;
    let dirs = Dirs::new();
    let size = 24 * 1024 * 1024 + 11;
    let slow = make_payload(&dirs.data, "held.bin", &[("", size)]).await;
    let free = make_payload(&dirs.data, "free.bin", &[("", 16 * 1024 * 1024 + 5)]).await;
    let slow_seed = Seeder::start(&slow, "127.0.0.45", None, &[]).await;
    let free_seed = Seeder::start(&free, "127.0.0.46", None, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({ "magnet": slow_seed.magnet(&slow), "downloadLimit": 256 * 1024 }),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["downloadLimit"], 256 * 1024);
    server.add_magnet(&free_seed.magnet(&free)).await;
    wait_for("the held torrent to start", TIMEOUT, || async {
        u64_of(&server.torrent(&slow.info_hash).await, "downloaded") > 0
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rate = download_rate(&server, &slow.info_hash, Duration::from_secs(5)).await;
    assert!(
        (128.0 * KIB..=320.0 * KIB).contains(&rate),
        "{:.0} KiB/s under its 256 KiB/s limit",
        rate / KIB
    );
    // The other one is not held back.
    server
        .wait_state(&free.info_hash, "seeding", Duration::from_secs(30))
        .await;

    // Lifted while it runs: it speeds up within seconds, keeps what it has and
    // fetches nothing twice.
    let before = u64_of(&server.torrent(&slow.info_hash).await, "completed");
    let (status, t) = server
        .patch_json(
            &format!("/api/v1/torrents/{}", slow.info_hash),
            json!({ "downloadLimit": 0, "uploadLimit": 64 * 1024 }),
        )
        .await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(
        (&t["downloadLimit"], &t["uploadLimit"]),
        (&json!(0), &json!(65536))
    );
    assert!(u64_of(&t, "completed") >= before, "{t:#}");
    server
        .wait_state(&slow.info_hash, "seeding", Duration::from_secs(30))
        .await;
    assert!(
        slow_seed.uploaded() < size as u64 * 5 / 4,
        "the seeder sent {} bytes for {size}: data was fetched again",
        slow_seed.uploaded()
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn first_and_last_pieces_of_each_file_come_first() {
    let dirs = Dirs::new();
    let size = 2 * 1024 * 1024 + 100_000;
    let data = make_payload(
        &dirs.data,
        "clips",
        &[
            ("one.mkv", size),
            ("two.mkv", size + 1),
            ("three.mkv", size + 2),
        ],
    )
    .await;
    let seeder = Seeder::start(&data, "127.0.0.47", Some(1024 * 1024), &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;
    let (status, t) = server
        .post_json(
            "/api/v1/torrents",
            json!({ "magnet": seeder.magnet(&data), "firstLastPiecesFirst": true }),
        )
        .await;
    assert_eq!(status, 201, "{t}");
    assert_eq!(t["firstLastPiecesFirst"], true);
    let t = server
        .wait_torrent(&data.info_hash, "the metadata", TIMEOUT, |t| {
            !t["files"].as_array().unwrap().is_empty()
        })
        .await;
    // Each file's first and last piece, from the sizes in torrent order.
    let piece = 256 * 1024u64;
    let mut offset = 0u64;
    let mut edges = Vec::new();
    for f in t["files"].as_array().unwrap() {
        let len = f["size"].as_u64().unwrap();
        edges.push((
            f["path"].as_str().unwrap().to_owned(),
            offset / piece,
            (offset + len - 1) / piece,
        ));
        offset += len;
    }
    // The last file in torrent order: librqbit's own order would take it last.
    let (last_name, first, last) = edges[edges.len() - 1].clone();
    let (first_name, first_start, first_end) = edges[0].clone();
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the edges never came"
        );
        if let Some(have) = pieces_of(&server, &data.info_hash).await
            && have[first as usize]
            && have[last as usize]
        {
            let held = (first_start..=first_end)
                .filter(|&p| have[p as usize])
                .count();
            let pieces = (first_end - first_start + 1) as usize;
            assert!(
                held < pieces,
                "{first_name} was complete ({held} of {pieces} pieces) before {last_name}'s edges"
            );
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    server.wait_state(&data.info_hash, "seeding", TIMEOUT).await;
    server.stop().await;
}
