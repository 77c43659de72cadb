//! Event programs run as real processes: `/bin/sh` scripts written to a temporary
//! folder, checked by what they received and by what the run list says.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use cloud_torrent_hooks::{
    Event, EventProgram, KILL_GRACE, OUTPUT_GRACE, OUTPUT_LIMIT, ProgramRun, Programs, TorrentFacts,
};
use serde_json::json;

const HOSTILE_NAME: &str =
    "x\"; touch ~/pwned; \"$(touch /tmp/pwned2) `id` 'q' \\ {savePath}\n;rm -rf ./*\t&|<>";

/// Writes an executable `/bin/sh` script named `name` into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn program(event: Event, argv: &[&str], timeout_seconds: u64) -> EventProgram {
    EventProgram {
        event,
        argv: argv.iter().map(|s| s.to_string()).collect(),
        timeout_seconds,
    }
}

fn facts(save_path: &Path, name: &str) -> TorrentFacts {
    TorrentFacts {
        info_hash: "0123456789abcdef0123456789abcdef01234567".into(),
        id: 42,
        name: name.into(),
        content_path: save_path.join(name),
        save_path: save_path.to_path_buf(),
        category: Some("linux isos".into()),
        tags: vec!["one".into(), "two words".into()],
        size: 123_456_789,
        json: json!({"infoHash": "0123456789abcdef0123456789abcdef01234567", "name": name, "progress": 1.0}),
    }
}

/// Waits until `count` runs are finished, and returns the run list.
async fn finished_runs(programs: &Programs, count: usize, within: Duration) -> Vec<ProgramRun> {
    let deadline = Instant::now() + within;
    loop {
        let runs = programs.runs();
        if runs.iter().filter(|r| r.is_finished()).count() >= count {
            return runs;
        }
        assert!(
            Instant::now() < deadline,
            "{count} runs did not finish within {within:?}: {runs:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// True when no process `pid` runs any more (gone, or a zombie nobody reaped yet).
fn process_is_gone(pid: i32) -> bool {
    match fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        // The state follows the command name, which is in parentheses.
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('Z') || rest.starts_with('X')),
    }
}

fn read_pid(path: &Path) -> i32 {
    fs::read_to_string(path).unwrap().trim().parse().unwrap()
}

fn kill(pid: i32) {
    if let Some(pid) = rustix::process::Pid::from_raw(pid) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
    }
}

#[tokio::test]
async fn a_hostile_name_arrives_as_one_literal_argument() {
    let dir = tempfile::tempdir().unwrap();
    let args_file = dir.path().join("args");
    let cwd_file = dir.path().join("cwd");
    let program_path = script(
        dir.path(),
        "args.sh",
        &format!(
            "for a in \"$@\"; do printf '%s\\0' \"$a\"; done > '{}'\npwd > '{}'",
            args_file.display(),
            cwd_file.display()
        ),
    );
    let save = dir.path().join("downloads");
    fs::create_dir(&save).unwrap();
    let argv = [
        program_path.to_str().unwrap(),
        "{name}",
        "--dir={savePath}",
        "{unknown} {infoHash",
        "{tags}|{category}|{size}|{event}",
        "{contentPath}",
    ];
    let programs = Programs::new(vec![program(Event::Finished, &argv, 10)], 2);
    programs.fire(Event::Finished, facts(&save, HOSTILE_NAME));
    let runs = finished_runs(&programs, 1, Duration::from_secs(10)).await;

    let expected = [
        HOSTILE_NAME.to_string(),
        format!("--dir={}", save.display()),
        "{unknown} {infoHash".to_string(),
        "one,two words|linux isos|123456789|finished".to_string(),
        format!("{}/{HOSTILE_NAME}", save.display()),
    ];
    let received = fs::read(&args_file).unwrap();
    let mut wanted = Vec::new();
    for arg in &expected {
        wanted.extend_from_slice(arg.as_bytes());
        wanted.push(0);
    }
    assert_eq!(received, wanted, "{:?}", String::from_utf8_lossy(&received));
    assert_eq!(runs[0].argv[1..], expected);
    assert_eq!(runs[0].argv[0], program_path.to_str().unwrap());
    assert_eq!(runs[0].exit_code, Some(0));
    assert_eq!(runs[0].name, HOSTILE_NAME);
    // The save path is the working directory, and nothing of the name ran.
    assert_eq!(
        fs::read_to_string(&cwd_file).unwrap().trim_end(),
        save.to_str().unwrap()
    );
    assert!(!Path::new("/tmp/pwned2").exists());
    assert_eq!(fs::read_dir(&save).unwrap().count(), 0);
}

/// Run again as a child of this test with `SECRET_TOKEN`, HOME and LANG set and
/// no PATH, so that the server's environment is known.
#[tokio::test]
async fn the_environment_is_exactly_the_torrent_and_path_home_lang() {
    const NAME: &str = "the_environment_is_exactly_the_torrent_and_path_home_lang";
    if std::env::var_os("SECRET_TOKEN").is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env("SECRET_TOKEN", "hunter2")
            .env("HOME", "/home/ct-test")
            .env("LANG", "C.UTF-8")
            .env_remove("PATH")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let programs = Programs::new(
        vec![program(Event::SeedingDone, &["/usr/bin/env", "-0"], 10)],
        1,
    );
    programs.fire(Event::SeedingDone, facts(dir.path(), "Some Torrent"));
    let runs = finished_runs(&programs, 1, Duration::from_secs(10)).await;
    assert_eq!(runs[0].exit_code, Some(0), "{:?}", runs[0]);
    let env: BTreeMap<&str, &str> = runs[0]
        .output
        .split('\0')
        .filter(|entry| !entry.is_empty())
        .map(|entry| entry.split_once('=').unwrap())
        .collect();
    let save = dir.path().to_str().unwrap();
    let content = format!("{save}/Some Torrent");
    let version = env!("CARGO_PKG_VERSION");
    let expected: BTreeMap<&str, &str> = [
        ("PATH", "/usr/local/bin:/usr/bin:/bin"),
        ("HOME", "/home/ct-test"),
        ("LANG", "C.UTF-8"),
        ("CT_EVENT", "seedingDone"),
        ("CT_INFO_HASH", "0123456789abcdef0123456789abcdef01234567"),
        ("CT_NAME", "Some Torrent"),
        ("CT_CONTENT_PATH", content.as_str()),
        ("CT_SAVE_PATH", save),
        ("CT_CATEGORY", "linux isos"),
        ("CT_TAGS", "one,two words"),
        ("CT_SIZE", "123456789"),
        ("TR_APP_VERSION", version),
        (
            "TR_TIME_LOCALTIME",
            env.get("TR_TIME_LOCALTIME").copied().unwrap_or(""),
        ),
        ("TR_TORRENT_DIR", save),
        (
            "TR_TORRENT_HASH",
            "0123456789abcdef0123456789abcdef01234567",
        ),
        ("TR_TORRENT_ID", "42"),
        ("TR_TORRENT_LABELS", "one,two words"),
        ("TR_TORRENT_NAME", "Some Torrent"),
    ]
    .into();
    assert_eq!(env, expected);
    assert!(!env.contains_key("SECRET_TOKEN"));
    // ctime's layout: "Tue Mar  5 14:03:09 2024".
    let local_time = env["TR_TIME_LOCALTIME"];
    assert_eq!(local_time.len(), 24, "{local_time:?}");
    assert_eq!(&local_time[13..14], ":", "{local_time:?}");
}

#[tokio::test]
async fn the_torrent_json_arrives_on_stdin_and_need_not_be_read() {
    let dir = tempfile::tempdir().unwrap();
    let stdin_file = dir.path().join("stdin.json");
    let reader = script(
        dir.path(),
        "read.sh",
        &format!("cat > '{}'", stdin_file.display()),
    );
    let programs = Programs::new(
        vec![
            program(Event::Added, &[reader.to_str().unwrap()], 10),
            // Reads nothing and exits: 1 MiB of JSON cannot fit in the pipe.
            program(Event::Added, &["/bin/true"], 10),
        ],
        2,
    );
    let mut torrent = facts(dir.path(), "Stdin");
    torrent.json["padding"] = json!("x".repeat(1024 * 1024));
    programs.fire(Event::Added, torrent.clone());
    let runs = finished_runs(&programs, 2, Duration::from_secs(10)).await;
    for run in &runs {
        assert_eq!(run.exit_code, Some(0), "{run:?}");
        assert_eq!(run.error, None);
    }
    let received: serde_json::Value =
        serde_json::from_slice(&fs::read(&stdin_file).unwrap()).unwrap();
    assert_eq!(received, torrent.json);
}

#[tokio::test]
async fn a_hanging_program_and_its_child_are_ended_at_the_time_limit() {
    let dir = tempfile::tempdir().unwrap();
    let child_pid = dir.path().join("child.pid");
    let main_pid = dir.path().join("main.pid");
    let hang = script(
        dir.path(),
        "hang.sh",
        &format!(
            "echo $$ > '{}'\nsleep 1000 &\necho $! > '{}'\necho started\nsleep 1000",
            main_pid.display(),
            child_pid.display()
        ),
    );
    let programs = Programs::new(
        vec![program(Event::Finished, &[hang.to_str().unwrap()], 1)],
        2,
    );
    let fired = Instant::now();
    programs.fire(Event::Finished, facts(dir.path(), "Hang"));
    let runs = finished_runs(&programs, 1, Duration::from_secs(10)).await;
    let took = fired.elapsed();
    let run = &runs[0];
    assert!(run.timed_out, "{run:?}");
    assert_eq!(run.signal, Some(15), "SIGTERM ended it: {run:?}");
    assert_eq!(run.exit_code, None);
    assert_eq!(run.output, "started\n");
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(2) + KILL_GRACE,
        "{took:?}"
    );
    assert!(run.duration_ms.unwrap() >= 1000);
    for pid in [read_pid(&main_pid), read_pid(&child_pid)] {
        assert!(process_is_gone(pid), "process {pid} is still running");
    }
}

#[tokio::test]
async fn a_group_that_ignores_sigterm_gets_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let child_pid = dir.path().join("child.pid");
    let stubborn = script(
        dir.path(),
        "stubborn.sh",
        &format!(
            "trap '' TERM\nsleep 1000 &\necho $! > '{}'\nsleep 1000",
            child_pid.display()
        ),
    );
    let programs = Programs::new(
        vec![program(Event::Finished, &[stubborn.to_str().unwrap()], 1)],
        2,
    );
    let fired = Instant::now();
    programs.fire(Event::Finished, facts(dir.path(), "Stubborn"));
    let runs = finished_runs(&programs, 1, Duration::from_secs(15)).await;
    let took = fired.elapsed();
    assert!(runs[0].timed_out);
    assert_eq!(runs[0].signal, Some(9), "{:?}", runs[0]);
    assert!(took >= Duration::from_secs(1) + KILL_GRACE, "{took:?}");
    assert!(took < Duration::from_secs(3) + KILL_GRACE, "{took:?}");
    assert!(process_is_gone(read_pid(&child_pid)));
}

#[tokio::test]
async fn a_process_that_keeps_the_output_open_does_not_keep_the_run_going() {
    let dir = tempfile::tempdir().unwrap();
    let escaped_pid = dir.path().join("escaped.pid");
    let left_pid = dir.path().join("left.pid");
    // Leaves the process group (its own session) with stdout still open.
    let escaping = script(
        dir.path(),
        "escape.sh",
        &format!(
            "setsid sleep 1000 &\necho $! > '{}'\nsleep 1000",
            escaped_pid.display()
        ),
    );
    // Exits at once, leaving a child in the background that holds the pipes.
    let leaving = script(
        dir.path(),
        "leave.sh",
        &format!(
            "sleep 1000 &\necho $! > '{}'\necho done",
            left_pid.display()
        ),
    );
    let programs = Programs::new(
        vec![
            program(Event::Finished, &[escaping.to_str().unwrap()], 1),
            program(Event::Finished, &[leaving.to_str().unwrap()], 10),
        ],
        2,
    );
    let fired = Instant::now();
    programs.fire(Event::Finished, facts(dir.path(), "Escape"));
    let runs = finished_runs(&programs, 2, Duration::from_secs(15)).await;
    let took = fired.elapsed();
    kill(read_pid(&escaped_pid));
    kill(read_pid(&left_pid));
    let escaped = runs
        .iter()
        .find(|r| r.argv[0].ends_with("escape.sh"))
        .unwrap();
    let left = runs
        .iter()
        .find(|r| r.argv[0].ends_with("leave.sh"))
        .unwrap();
    assert!(
        escaped.timed_out && escaped.signal == Some(15),
        "{escaped:?}"
    );
    assert!(!left.timed_out && left.exit_code == Some(0), "{left:?}");
    assert_eq!(left.output, "done\n");
    // The time limit, at most the SIGTERM grace (the group can look alive
    // until the system reaps its zombies), then the output grace.
    assert!(
        took < Duration::from_secs(2) + KILL_GRACE + OUTPUT_GRACE,
        "the runs waited for the pipes: {took:?}"
    );
    assert!(
        left.duration_ms.unwrap() < (OUTPUT_GRACE + Duration::from_secs(1)).as_millis() as u64,
        "{left:?}"
    );
}

#[tokio::test]
async fn only_the_last_64_kib_of_output_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let chatty = script(
        dir.path(),
        "chatty.sh",
        "i=0\nwhile [ $i -lt 20000 ]; do echo \"line $i\"; i=$((i+1)); done",
    );
    let both = script(dir.path(), "both.sh", "echo out\necho err >&2\nexit 3");
    let programs = Programs::new(
        vec![
            program(Event::Finished, &[chatty.to_str().unwrap()], 30),
            program(Event::Finished, &[both.to_str().unwrap()], 30),
        ],
        2,
    );
    programs.fire(Event::Finished, facts(dir.path(), "Chatty"));
    let runs = finished_runs(&programs, 2, Duration::from_secs(30)).await;
    let all: String = (0..20000).map(|i| format!("line {i}\n")).collect();
    let chatty = runs
        .iter()
        .find(|r| r.argv[0].ends_with("chatty.sh"))
        .unwrap();
    assert!(all.len() > OUTPUT_LIMIT);
    assert_eq!(chatty.output.len(), OUTPUT_LIMIT);
    assert_eq!(chatty.output, all[all.len() - OUTPUT_LIMIT..]);
    assert!(chatty.output_truncated);
    let both = runs
        .iter()
        .find(|r| r.argv[0].ends_with("both.sh"))
        .unwrap();
    assert_eq!(both.exit_code, Some(3));
    assert!(!both.output_truncated);
    let mut lines: Vec<&str> = both.output.lines().collect();
    lines.sort();
    assert_eq!(lines, ["err", "out"]);
}

#[tokio::test]
async fn a_program_that_cannot_start_is_a_run_with_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_executable = dir.path().join("plain.sh");
    fs::write(&not_executable, "#!/bin/sh\necho hi\n").unwrap();
    fs::set_permissions(&not_executable, fs::Permissions::from_mode(0o644)).unwrap();
    let programs = Programs::new(
        vec![
            program(Event::Removed, &["/nonexistent/cloud-torrent-hook"], 10),
            program(Event::Removed, &[not_executable.to_str().unwrap()], 10),
            program(Event::Removed, &["relative.sh", "{name}"], 10),
        ],
        2,
    );
    let mut changes = programs.subscribe();
    programs.fire(Event::Removed, facts(dir.path(), "Gone"));
    let runs = finished_runs(&programs, 3, Duration::from_secs(10)).await;
    let error_of = |end: &str| {
        let run = runs.iter().find(|r| r.argv[0].ends_with(end)).unwrap();
        assert_eq!(
            (run.exit_code, run.signal, run.timed_out),
            (None, None, false)
        );
        run.error.clone().unwrap()
    };
    let missing = error_of("cloud-torrent-hook");
    assert!(
        missing.starts_with("cannot start /nonexistent/cloud-torrent-hook: No such file"),
        "{missing}"
    );
    let denied = error_of("plain.sh");
    assert!(denied.contains("Permission denied"), "{denied}");
    assert_eq!(
        error_of("relative.sh"),
        "event program on removed (relative.sh): the program \"relative.sh\" is not an absolute path"
    );
    // Listeners were told of each run's end.
    let mut ended = 0;
    while let Ok(run) = changes.try_recv() {
        ended += usize::from(run.is_finished());
    }
    assert_eq!(ended, 3);
}

#[tokio::test]
async fn no_more_than_max_concurrent_programs_run_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    fs::create_dir(&state).unwrap();
    let counts = dir.path().join("counts");
    let counting = script(
        dir.path(),
        "count.sh",
        &format!(
            "touch '{s}/running.'$$\nls '{s}' | grep -c '^running' >> '{c}'\nsleep 0.4\nrm '{s}/running.'$$",
            s = state.display(),
            c = counts.display()
        ),
    );
    let programs = Programs::new(
        vec![program(Event::Added, &[counting.to_str().unwrap()], 10)],
        2,
    );
    let fired = Instant::now();
    for _ in 0..6 {
        programs.fire(Event::Added, facts(dir.path(), "Concurrent"));
    }
    assert!(fired.elapsed() < Duration::from_millis(200));
    let mut most_running = 0;
    let runs = loop {
        let runs = programs.runs();
        let running = runs
            .iter()
            .filter(|r| r.started_at.is_some() && !r.is_finished())
            .count();
        most_running = most_running.max(running);
        if runs.iter().all(ProgramRun::is_finished) {
            break runs;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(runs.len(), 6);
    assert!(runs.iter().all(|r| r.exit_code == Some(0)));
    let seen: Vec<usize> = fs::read_to_string(&counts)
        .unwrap()
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_eq!(seen.len(), 6);
    assert_eq!(seen.iter().max(), Some(&2), "{seen:?}");
    assert_eq!(most_running, 2);
    // Three rounds of two.
    assert!(fired.elapsed() >= Duration::from_millis(1200));
}

#[tokio::test]
async fn the_run_list_keeps_the_last_100_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let programs = Programs::new(
        vec![
            program(Event::Added, &["/bin/true"], 10),
            program(Event::Finished, &["/bin/false"], 10),
        ],
        4,
    );
    let fired = Instant::now();
    for _ in 0..150 {
        programs.fire(Event::Added, facts(dir.path(), "Many"));
    }
    assert!(
        fired.elapsed() < Duration::from_millis(500),
        "{:?}",
        fired.elapsed()
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let runs = loop {
        let runs = programs.runs();
        if runs.len() == 100 && runs.iter().all(ProgramRun::is_finished) {
            break runs;
        }
        assert!(Instant::now() < deadline, "{} runs", runs.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let ids: Vec<u64> = runs.iter().map(|r| r.id).collect();
    assert_eq!(ids, (51..=150).rev().collect::<Vec<u64>>());
    assert!(
        runs.iter()
            .all(|r| r.event == Event::Added && r.exit_code == Some(0))
    );
    let text = serde_json::to_value(&runs[0]).unwrap();
    for key in [
        "id",
        "event",
        "infoHash",
        "name",
        "argv",
        "queuedAt",
        "startedAt",
        "finishedAt",
        "durationMs",
        "exitCode",
        "signal",
        "timedOut",
        "error",
        "output",
        "outputTruncated",
    ] {
        assert!(text.get(key).is_some(), "{key} missing from {text}");
    }
    assert_eq!(text["event"], "added");
    let finished = text["finishedAt"].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(finished, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
}

#[tokio::test]
async fn only_the_programs_of_the_fired_event_run() {
    let dir = tempfile::tempdir().unwrap();
    let programs = Programs::new(
        vec![
            program(Event::Added, &["/bin/true"], 10),
            program(Event::Error, &["/bin/false"], u64::MAX),
        ],
        2,
    );
    programs.fire(Event::Error, facts(dir.path(), "Broken"));
    let runs = finished_runs(&programs, 1, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(programs.runs().len(), 1);
    assert_eq!(runs[0].event, Event::Error);
    assert_eq!(runs[0].argv, ["/bin/false"]);
    assert_eq!(runs[0].exit_code, Some(1));
}
