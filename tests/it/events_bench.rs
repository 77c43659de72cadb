//! Benchmark of the live push (not run by default; see BENCHMARKS.md):
//! `cargo test --test it events_bench -- --ignored --nocapture`.
//!
//! The real binary holds `BENCH_TORRENTS` torrents (1,000) added by magnet from one
//! throttled librqbit seeder on loopback; `BENCH_CLIENTS` (100) SSE clients stay
//! connected. Measured: bytes per second per client while all torrents progress and
//! once nothing changes, the server's CPU (from /proc), and `GET /api/v1/torrents`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::{Value, json};

use crate::support::*;

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// utime + stime of a process, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after_name.split(' ').collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

struct Window {
    bytes_per_client_per_s: f64,
    events_per_client_per_s: f64,
    cpu_percent: f64,
}

async fn measure(counters: &[(Arc<AtomicU64>, Arc<AtomicU64>)], pid: u32, secs: u64) -> Window {
    let bytes0: u64 = counters.iter().map(|c| c.0.load(Ordering::Relaxed)).sum();
    let events0: u64 = counters.iter().map(|c| c.1.load(Ordering::Relaxed)).sum();
    let cpu0 = cpu_seconds(pid);
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let elapsed = t0.elapsed().as_secs_f64();
    let bytes: u64 = counters.iter().map(|c| c.0.load(Ordering::Relaxed)).sum();
    let events: u64 = counters.iter().map(|c| c.1.load(Ordering::Relaxed)).sum();
    let n = counters.len() as f64;
    Window {
        bytes_per_client_per_s: (bytes - bytes0) as f64 / n / elapsed,
        events_per_client_per_s: (events - events0) as f64 / n / elapsed,
        cpu_percent: (cpu_seconds(pid) - cpu0) / elapsed * 100.0,
    }
}

async fn list_latency(http: &reqwest::Client, base: &str) -> (f64, f64, usize) {
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let body = http
            .get(format!("{base}/api/v1/torrents"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        size = body.len();
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    (times[times.len() / 2], times[times.len() * 95 / 100], size)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by hand, see BENCHMARKS.md"]
async fn live_push_with_many_torrents_and_clients() {
    let torrents = env("BENCH_TORRENTS", 1000);
    let clients = env("BENCH_CLIENTS", 100);
    let size = 256 * 1024 + 1;
    let dirs = Dirs::new();

    // One seeder session with every payload, upload capped so downloads last a while.
    let upload_bps = env("BENCH_UPLOAD_BPS", 4 * 1024 * 1024) as u32;
    let seeder = Seeder::empty(&dirs.data, "127.0.0.2", Some(upload_bps)).await;
    let seeder_addr = seeder.addr;
    let mut magnets = Vec::new();
    for i in 0..torrents {
        let p = make_payload(&dirs.data, &format!("t{i:04}.bin"), &[("", size)]).await;
        seeder.seed(&p, &[]).await;
        magnets.push(format!("{}&dn=t{i:04}.bin", seeder.magnet(&p)));
    }
    eprintln!("seeding {torrents} torrents from {seeder_addr}");

    let http_port = free_port("127.0.0.1");
    let server = Binary::start(&dirs, http_port, free_port("127.0.0.1"), &[]).await;
    let pid = server.pid();
    let base = server.base.clone();
    let http = server.http.clone();

    // Clients first, so the adds are pushed too. Each HTTP/1.1 stream is a connection:
    // they come from several loopback addresses, 50 from each, below the server's cap
    // of connections per address.
    let sse_clients: Vec<reqwest::Client> = (0..clients.div_ceil(50))
        .map(|k| {
            let from = std::net::Ipv4Addr::new(127, 0, 1, 1 + k as u8);
            http_client()
                .local_address(Some(from.into()))
                .build()
                .unwrap()
        })
        .collect();
    let mut counters = Vec::new();
    let mut tasks = Vec::new();
    for i in 0..clients {
        let (bytes, events) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let resp = sse_clients[i / 50]
            .get(format!("{base}/api/v1/events"))
            .send()
            .await
            .unwrap();
        let (b, e) = (bytes.clone(), events.clone());
        tasks.push(tokio::spawn(async move {
            let mut body = resp.bytes_stream();
            while let Some(Ok(chunk)) = body.next().await {
                b.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                let n = chunk.windows(4).filter(|w| w == b"\nid:").count();
                e.fetch_add(n as u64, Ordering::Relaxed);
            }
        }));
        counters.push((bytes, events));
    }
    let added = Instant::now();
    let adds = futures::stream::iter(magnets)
        .map(|m| {
            let (http, base) = (http.clone(), base.clone());
            async move {
                let r = http
                    .post(format!("{base}/api/v1/torrents"))
                    .json(&json!({ "magnet": m }))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>();
    adds.await;
    eprintln!("added {torrents} magnets in {:?}", added.elapsed());

    let count_done = || async {
        let list: Value = http
            .get(format!("{base}/api/v1/torrents"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let list = list.as_array().unwrap().clone();
        let done = list.iter().filter(|t| t["progress"] == 1.0).count();
        let with_metadata = list.iter().filter(|t| t["size"].as_u64() > Some(0)).count();
        (done, with_metadata)
    };
    wait_for(
        "metadata of every torrent",
        Duration::from_secs(300),
        || async { count_done().await.1 == torrents },
    )
    .await;
    let (done_before, _) = count_done().await;
    let busy = measure(&counters, pid, 20).await;
    let (done_after, _) = count_done().await;
    let (busy_p50, busy_p95, busy_size) = list_latency(&http, &base).await;
    eprintln!(
        "progressing: {:.0} B/s and {:.2} events/s per client, server CPU {:.1}%, complete {done_before} -> {done_after}; GET /api/v1/torrents p50 {busy_p50:.1} ms p95 {busy_p95:.1} ms ({busy_size} bytes)",
        busy.bytes_per_client_per_s, busy.events_per_client_per_s, busy.cpu_percent
    );

    wait_for(
        "every torrent to complete",
        Duration::from_secs(600),
        || async { count_done().await.0 == torrents },
    )
    .await;
    // Rates decay to zero over a few seconds after the last piece.
    tokio::time::sleep(Duration::from_secs(20)).await;
    let idle = measure(&counters, pid, 30).await;
    let (p50, p95, size) = list_latency(&http, &base).await;
    eprintln!(
        "idle: {:.1} B/s and {:.3} events/s per client, server CPU {:.1}%, RSS {:.0} MiB; GET /api/v1/torrents p50 {p50:.1} ms p95 {p95:.1} ms ({size} bytes)",
        idle.bytes_per_client_per_s,
        idle.events_per_client_per_s,
        idle.cpu_percent,
        rss_mib(pid)
    );

    // The same, with no client connected: what the clients themselves cost.
    for task in tasks {
        task.abort();
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let alone = measure(&counters, pid, 30).await;
    eprintln!("idle, no client: server CPU {:.1}%", alone.cpu_percent);
    server.terminate();
}
