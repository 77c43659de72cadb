//! Crashes during writes: the real binary is killed with SIGKILL at pseudo-random
//! moments while torrents are added (.torrent bytes and magnets) and settings are
//! changed, and started again on the same state, over and over. Every restart comes
//! up with a consistent state: no torrent whose add was answered is lost, none is
//! listed twice, each has its name and files, the config file parses and holds the
//! last answered value of each setting (or the one in flight), and temporary files
//! of killed runs do not pile up. At the end the magnets download with the right bytes.
//!
//! The moments are drawn from a seeded generator; the seed is printed, and
//! `CRASH_LOOP_SEED=<n>` replays a run.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Display;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::*;

const ITERATIONS: usize = 15;
/// Adds of each kind tried per iteration (fewer when the kill comes first).
const ADDS_PER_ROUND: usize = 6;
const PATCHES_PER_ROUND: usize = 10;
const TIMEOUT: Duration = Duration::from_secs(90);

/// xorshift64*: the same seed gives the same kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A torrent the test may add, and what the server must show for it.
struct Job {
    hash: String,
    name: String,
    /// (path relative to the download folder, size)
    files: Vec<(String, u64)>,
    /// A magnet (downloads from the seeder) or .torrent bytes (no peers: metadata only).
    magnet: Option<String>,
    torrent: Vec<u8>,
    /// Where the seeder's copy is, for the final byte check.
    root: PathBuf,
}

/// What became of one request: answered (2xx), or cut by the kill.
#[derive(Debug, Clone)]
enum Outcome<T> {
    Answered(T),
    Cut(T),
}

/// The settings the test changes, as they are written in the config file.
const KEYS: [&str; 3] = ["title", "seeding", "autoStart"];

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_during_adds_and_config_changes_loses_nothing() {
    let seed = std::env::var("CRASH_LOOP_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        })
        | 1;
    println!("crash_loop seed: {seed} (replay with CRASH_LOOP_SEED={seed})");
    let mut rng = Rng(seed);

    let dirs = Dirs::new();
    let config_dir = dirs.root().to_owned();
    let config_file = config_dir.join("cloud-torrent.toml");
    std::fs::write(
        &config_file,
        "title = \"crash loop\"\nseeding = true\nautoStart = true\n",
    )
    .unwrap();

    // Payloads: .torrent adds and magnet adds, single- and multi-file.
    let count = ITERATIONS * ADDS_PER_ROUND;
    let mut file_jobs = Vec::new();
    let mut magnet_jobs = Vec::new();
    for i in 0..count {
        file_jobs.push(job(&dirs.data, &format!("file-{i:02}"), i).await.0);
    }
    let first = job(&dirs.data, "magnet-00", 0).await;
    let seeder = Seeder::start(&first.1, "127.0.0.71", None, &[]).await;
    magnet_jobs.push(first.0.with_magnet(&seeder, &first.1));
    for i in 1..count {
        let (j, p) = job(&dirs.data, &format!("magnet-{i:02}"), i).await;
        seeder.seed(&p, &[]).await;
        magnet_jobs.push(j.with_magnet(&seeder, &p));
    }
    let jobs: BTreeMap<String, &Job> = file_jobs
        .iter()
        .chain(magnet_jobs.iter())
        .map(|j| (j.hash.clone(), j))
        .collect();

    let (http_port, incoming) = (free_port("127.0.0.1"), free_port("127.0.0.1"));
    // Torrents whose add was answered, and those whose add was cut by a kill.
    let mut answered: BTreeSet<String> = BTreeSet::new();
    let mut sent: BTreeSet<String> = BTreeSet::new();
    // Per setting: the value on disk, and one that may have reached it before the kill.
    let mut expected: BTreeMap<&str, (Value, Option<Value>)> = [
        ("title", json!("crash loop")),
        ("seeding", json!(true)),
        ("autoStart", json!(true)),
    ]
    .into_iter()
    .map(|(k, v)| (k, (v, None)))
    .collect();
    let (mut next_file, mut next_magnet, mut patch_no) = (0, 0, 0);
    let mut dead_pids: Vec<u32> = Vec::new();

    // Each round starts the binary and checks it; all but the last end with a kill.
    let mut round = 0;
    let server = loop {
        let server = Binary::start(&dirs, http_port, incoming, &[]).await;
        let pid = server.pid();
        check(
            &server,
            &jobs,
            &answered,
            &sent,
            &mut expected,
            &config_file,
            &dirs,
            pid,
            &dead_pids,
        )
        .await
        .unwrap_or_else(|e| panic!("start {round} of {ITERATIONS}, seed {seed}: {e}"));
        if round == ITERATIONS {
            break server;
        }

        // Concurrent writers: .torrent adds, magnet adds, settings changes.
        let files: Vec<(String, reqwest::RequestBuilder)> = file_jobs
            [next_file..next_file + ADDS_PER_ROUND]
            .iter()
            .map(|j| {
                let add = server
                    .http
                    .post(server.url("/api/v1/torrents?paused=false"))
                    .header("content-type", "application/x-bittorrent")
                    .body(j.torrent.clone());
                (j.hash.clone(), add)
            })
            .collect();
        let magnets: Vec<(String, reqwest::RequestBuilder)> = magnet_jobs
            [next_magnet..next_magnet + ADDS_PER_ROUND]
            .iter()
            .map(|j| {
                let add = server
                    .http
                    .post(server.url("/api/v1/torrents"))
                    .json(&json!({ "magnet": j.magnet, "paused": false }));
                (j.hash.clone(), add)
            })
            .collect();
        next_file += ADDS_PER_ROUND;
        next_magnet += ADDS_PER_ROUND;
        let patches: Vec<(Value, reqwest::RequestBuilder)> = (0..PATCHES_PER_ROUND)
            .map(|_| {
                patch_no += 1;
                let patch = json!({
                    "title": format!("round {round} change {patch_no}"),
                    "seeding": patch_no % 3 != 0,
                    "autoStart": patch_no % 2 == 0,
                });
                let request = server.http.patch(server.url("/api/v1/config")).json(&patch);
                (patch, request)
            })
            .collect();
        let file_task = tokio::spawn(send_until_cut(files, 201));
        let magnet_task = tokio::spawn(send_until_cut(magnets, 201));
        let patch_task = tokio::spawn(send_until_cut(patches, 200));

        // The kill: anywhere from at once to after everything was answered.
        let delay = rng.below(150);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        dead_pids.push(pid);

        let mut answers = (0, 0, 0);
        for outcome in file_task
            .await
            .unwrap()
            .into_iter()
            .chain(magnet_task.await.unwrap())
        {
            match outcome {
                Outcome::Answered(hash) => {
                    answers.0 += 1;
                    sent.insert(hash.clone());
                    answered.insert(hash);
                }
                Outcome::Cut(hash) => {
                    answers.1 += 1;
                    sent.insert(hash);
                }
            }
        }
        for outcome in patch_task.await.unwrap() {
            match outcome {
                Outcome::Answered(patch) => {
                    answers.2 += 1;
                    for key in KEYS {
                        expected.insert(key, (patch[key].clone(), None));
                    }
                }
                Outcome::Cut(patch) => {
                    for key in KEYS {
                        expected.get_mut(key).unwrap().1 = Some(patch[key].clone());
                    }
                }
            }
        }
        println!(
            "round {round}: killed after {delay} ms; {} adds answered, {} cut, {} settings changes answered",
            answers.0, answers.1, answers.2
        );
        round += 1;
    };

    // The last start: everything is there, and the magnets download from the seeder.
    assert!(
        answered.len() >= ITERATIONS,
        "too few adds were answered to test anything: {}",
        answered.len()
    );
    let listed = list(&server).await.unwrap();
    let magnets: Vec<&Job> = listed
        .iter()
        .filter_map(|t| jobs.get(t["infoHash"].as_str().unwrap()))
        .filter(|j| j.magnet.is_some())
        .copied()
        .collect();
    for j in &magnets {
        server
            .wait_torrent(
                &j.hash,
                &format!("the end of {} (seed {seed})", j.name),
                TIMEOUT,
                |t| t["state"] == "seeding" || t["state"] == "completed",
            )
            .await;
        for (path, _) in &j.files {
            let rel = path.strip_prefix(&format!("{}/", j.name)).unwrap_or("");
            let original = if rel.is_empty() {
                j.root.clone()
            } else {
                j.root.join(rel)
            };
            assert_same_file(&dirs.downloads.join(path), &original);
        }
    }
    println!(
        "{} torrents in the end, {} of them downloaded",
        listed.len(),
        magnets.len()
    );

    // A graceful stop leaves no temporary file at all.
    server.terminate();
    let left = temp_files(&dirs.state, &config_dir);
    assert!(
        left.is_empty(),
        "temporary files left after a clean stop: {left:?}"
    );
}

impl Job {
    fn with_magnet(mut self, seeder: &Seeder, payload: &Payload) -> Job {
        self.magnet = Some(seeder.magnet(payload));
        self
    }
}

/// A small payload (one file, or two in a folder) and its job.
async fn job(dir: &Path, name: &str, i: usize) -> (Job, Payload) {
    let size = 40_000 + i * 7_919;
    let (payload, files) = if i.is_multiple_of(3) {
        let p = make_payload(dir, name, &[("a.bin", size), ("sub/b.bin", size / 2 + 1)]).await;
        let files = vec![
            (format!("{name}/a.bin"), size as u64),
            (format!("{name}/sub/b.bin"), (size / 2 + 1) as u64),
        ];
        (p, files)
    } else {
        let p = make_payload(dir, name, &[("", size)]).await;
        (p, vec![(name.to_owned(), size as u64)])
    };
    let job = Job {
        hash: payload.info_hash.clone(),
        name: name.to_owned(),
        files,
        magnet: None,
        torrent: payload.torrent.clone(),
        root: payload.root.clone(),
    };
    (job, payload)
}

/// Sends the requests one after the other until the server goes away; each one
/// answered must have `status`.
async fn send_until_cut<T: Display>(
    requests: Vec<(T, reqwest::RequestBuilder)>,
    status: u16,
) -> Vec<Outcome<T>> {
    let mut out = Vec::new();
    for (what, request) in requests {
        let answer = match request.send().await {
            Ok(r) => {
                let got = r.status();
                r.text().await.map(|body| (got, body))
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok((got, body)) => {
                assert_eq!(got, status, "{what}: {body}");
                out.push(Outcome::Answered(what));
            }
            Err(_) => {
                out.push(Outcome::Cut(what));
                break;
            }
        }
    }
    out
}

async fn list(server: &Binary) -> Result<Vec<Value>, String> {
    let r = server
        .http
        .get(server.url("/api/v1/torrents"))
        .send()
        .await
        .map_err(|e| format!("GET /api/v1/torrents: {e}"))?;
    if r.status() != 200 {
        return Err(format!("GET /api/v1/torrents answered {}", r.status()));
    }
    let v: Value = r.json().await.map_err(|e| e.to_string())?;
    v.as_array()
        .cloned()
        .ok_or_else(|| format!("not a list: {v}"))
}

/// Everything a user could check after a restart.
#[allow(clippy::too_many_arguments)]
async fn check(
    server: &Binary,
    jobs: &BTreeMap<String, &Job>,
    answered: &BTreeSet<String>,
    sent: &BTreeSet<String>,
    expected: &mut BTreeMap<&'static str, (Value, Option<Value>)>,
    config_file: &Path,
    dirs: &Dirs,
    pid: u32,
    dead_pids: &[u32],
) -> Result<(), String> {
    // Torrents: every answered add, no duplicates, nothing never sent, each whole.
    let listed = list(server).await?;
    let mut seen = BTreeSet::new();
    for t in &listed {
        let hash = t["infoHash"].as_str().unwrap_or_default().to_owned();
        if !seen.insert(hash.clone()) {
            return Err(format!("{hash} is listed twice"));
        }
        if !sent.contains(&hash) {
            return Err(format!("a torrent that was never added is listed: {t:#}"));
        }
        let job = jobs[&hash];
        let state = t["state"].as_str().unwrap_or_default();
        if ![
            "metadata",
            "checking",
            "downloading",
            "seeding",
            "completed",
        ]
        .contains(&state)
        {
            return Err(format!("{} is {state}, not running: {t:#}", job.name));
        }
        let files: Vec<(String, u64)> = t["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                (
                    f["path"].as_str().unwrap().to_owned(),
                    f["size"].as_u64().unwrap(),
                )
            })
            .collect();
        let mut want = job.files.clone();
        want.sort();
        let mut got = files.clone();
        got.sort();
        if state == "metadata" {
            // A magnet still fetching its metadata: no files yet, named by hash (no dn).
            if job.magnet.is_none() {
                return Err(format!(
                    "{} was added from a .torrent yet waits for metadata: {t:#}",
                    job.name
                ));
            }
            if !files.is_empty() {
                return Err(format!("files before metadata: {t:#}"));
            }
        } else {
            if t["name"] != job.name.as_str() {
                return Err(format!("{} is named {}", job.name, t["name"]));
            }
            if got != want {
                return Err(format!("{}: files {got:?}, expected {want:?}", job.name));
            }
            if t["size"].as_u64() != Some(want.iter().map(|f| f.1).sum()) {
                return Err(format!("{}: wrong size: {t:#}", job.name));
            }
        }
    }
    if let Some(lost) = answered.iter().find(|h| !seen.contains(*h)) {
        return Err(format!(
            "{} was added (the server answered 201) but is gone after the restart",
            jobs[lost].name
        ));
    }

    // The config file: parses, holds the last answered value or the one in flight.
    let text = std::fs::read_to_string(config_file).map_err(|e| format!("config file: {e}"))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e| format!("the config file does not parse: {e}\n{text}"))?;
    let r = server
        .http
        .get(server.url("/api/v1/config"))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let live: Value = r.json().await.map_err(|e| e.to_string())?;
    for key in KEYS {
        let on_disk = match table.get(key) {
            Some(toml::Value::String(s)) => json!(s),
            Some(toml::Value::Boolean(b)) => json!(b),
            other => return Err(format!("{key} in the config file is {other:?}\n{text}")),
        };
        let (old, maybe) = expected.get(key).cloned().unwrap();
        if on_disk != old && Some(&on_disk) != maybe.as_ref() {
            return Err(format!(
                "{key} in the config file is {on_disk}, expected {old} (last answered) or {maybe:?} (in flight)"
            ));
        }
        if live[key] != on_disk {
            return Err(format!(
                "the server shows {key} = {} but its file says {on_disk}",
                live[key]
            ));
        }
        expected.insert(key, (on_disk, None));
    }

    // Temporary files: none of a killed run is left (they would pile up).
    for path in temp_files(&dirs.state, config_file.parent().unwrap()) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match writer_pid(&name) {
            Some(p) if p == pid => {}
            Some(p) => {
                let when = if dead_pids.contains(&p) {
                    "a killed"
                } else {
                    "an unknown"
                };
                return Err(format!(
                    "a temporary file of {when} run was left: {}",
                    path.display()
                ));
            }
            // librqbit's own, one fixed name per file it saves.
            None => {}
        }
    }
    Ok(())
}

/// The process id in a temporary file name of ours: `.<name>.<pid>-<n>.tmp`.
fn writer_pid(name: &str) -> Option<u32> {
    let stem = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tag) = stem.rsplit_once('.')?;
    let pid = tag.split_once('-').map_or(tag, |(pid, _)| pid);
    pid.parse().ok()
}

/// Every `*.tmp` file under the state folder, and in the config file's folder.
fn temp_files(state: &Path, config_dir: &Path) -> Vec<PathBuf> {
    fn walk(dir: &Path, deep: bool, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                if deep {
                    walk(&path, true, out);
                }
            } else if path.to_string_lossy().ends_with(".tmp") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(state, true, &mut out);
    walk(config_dir, false, &mut out);
    out
}
