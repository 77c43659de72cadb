//! System and engine statistics (`GET /api/v1/stats` and `stats` in the live state).
//!
//! sysinfo is refreshed on the stats cadence (5 s by default) by the event hub while a
//! UI is connected; a GET answers from that snapshot (refreshed first when it is older
//! than the cadence) with fresh engine totals, uptime and client count.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use cloud_torrent_engine::Engine;
use serde::Serialize;
use sysinfo::{Disks, Pid, ProcessRefreshKind, ProcessesToUpdate, System};
use utoipa::ToSchema;

use crate::AppState;

/// Statistics of the machine, the process and the engine.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatsView {
    /// CPU use of the whole machine, 0 to 100.
    pub cpu_percent: f64,
    /// Bytes of memory in use on the machine.
    pub memory_used: u64,
    /// Bytes of memory of the machine.
    pub memory_total: u64,
    /// Bytes free on the disk of the download folder.
    pub disk_free: u64,
    /// Size in bytes of the disk of the download folder.
    pub disk_total: u64,
    /// Resident memory of this process, bytes.
    pub process_rss: u64,
    /// Seconds since the server started.
    pub uptime: u64,
    /// Version of cloud-torrent.
    pub version: String,
    /// Bytes per second received, all torrents.
    pub download_rate: u64,
    /// Bytes per second sent, all torrents.
    pub upload_rate: u64,
    /// Bytes received since the server started.
    pub downloaded: u64,
    /// Bytes sent since the server started.
    pub uploaded: u64,
    /// Connected UI clients (live event streams).
    pub clients: usize,
    /// The alternative ("turtle") speed limits are on.
    pub alt_speed: bool,
    /// The download limit in force, bytes per second (0: unlimited).
    pub download_limit: u64,
    /// The upload limit in force, bytes per second (0: unlimited).
    pub upload_limit: u64,
}

/// Machine numbers from the last refresh.
#[derive(Debug, Clone, Copy, Default)]
struct Machine {
    cpu_percent: f64,
    memory_used: u64,
    memory_total: u64,
    disk_free: u64,
    disk_total: u64,
    process_rss: u64,
}

struct Inner {
    engine: Engine,
    download_dir: PathBuf,
    started: Instant,
    clients: AtomicUsize,
    /// `None` when sysinfo cannot read this system.
    system: Mutex<Option<System>>,
    machine: Mutex<Machine>,
    /// When `machine` was last read.
    refreshed_at: Mutex<Instant>,
}

/// Collects statistics. Cheap to clone.
#[derive(Clone)]
pub struct Stats {
    inner: Arc<Inner>,
}

/// Counts a connected client while it lives.
pub struct ClientGuard(Stats);

impl Drop for ClientGuard {
    fn drop(&mut self) {
        self.0.inner.clients.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Stats {
    /// A collector for the engine's download folder; takes a first sample.
    pub fn new(engine: Engine) -> Self {
        let download_dir = engine.config().download_dir.clone();
        let stats = Stats {
            inner: Arc::new(Inner {
                engine,
                download_dir,
                started: Instant::now(),
                clients: AtomicUsize::new(0),
                system: Mutex::new(System::new().ok()),
                machine: Mutex::new(Machine::default()),
                refreshed_at: Mutex::new(Instant::now()),
            }),
        };
        stats.refresh();
        stats
    }

    /// Registers a connected client until the guard is dropped.
    pub fn client(&self) -> ClientGuard {
        self.inner.clients.fetch_add(1, Ordering::Relaxed);
        ClientGuard(self.clone())
    }

    /// Connected UI clients.
    pub fn clients(&self) -> usize {
        self.inner.clients.load(Ordering::Relaxed)
    }

    /// Re-reads the machine's numbers (blocking: a few file reads in /proc).
    pub fn refresh(&self) {
        let mut guard = self.inner.system.lock().unwrap_or_else(|p| p.into_inner());
        let Some(system) = guard.as_mut() else {
            return;
        };
        system.refresh_cpu_usage();
        system.refresh_memory();
        let pid = Pid::from_u32(std::process::id());
        system.refresh_processes_specifics(
            ProcessesToUpdate::Some(&[pid]),
            true,
            ProcessRefreshKind::nothing().with_memory(),
        );
        let (disk_free, disk_total) = disk_of(&self.inner.download_dir);
        let machine = Machine {
            cpu_percent: (f64::from(system.global_cpu_usage()) * 10.0).round() / 10.0,
            memory_used: system.used_memory(),
            memory_total: system.total_memory(),
            disk_free,
            disk_total,
            process_rss: system.process(pid).map(|p| p.memory()).unwrap_or(0),
        };
        *self.inner.machine.lock().unwrap_or_else(|p| p.into_inner()) = machine;
        *self
            .inner
            .refreshed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    /// True when the machine's numbers are older than `max_age`: nobody has been
    /// watching, so the hub has not refreshed them.
    pub fn is_stale(&self, max_age: Duration) -> bool {
        self.inner
            .refreshed_at
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .elapsed()
            >= max_age
    }

    /// The numbers now: machine numbers from the last refresh, the rest fresh.
    pub fn view(&self) -> StatsView {
        let m = *self.inner.machine.lock().unwrap_or_else(|p| p.into_inner());
        let totals = self.inner.engine.totals();
        let speed = self.inner.engine.settings().speed;
        StatsView {
            cpu_percent: m.cpu_percent,
            memory_used: m.memory_used,
            memory_total: m.memory_total,
            disk_free: m.disk_free,
            disk_total: m.disk_total,
            process_rss: m.process_rss,
            uptime: self.inner.started.elapsed().as_secs(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            download_rate: totals.download_rate,
            upload_rate: totals.upload_rate,
            downloaded: totals.downloaded,
            uploaded: totals.uploaded,
            clients: self.inner.clients.load(Ordering::Relaxed),
            alt_speed: speed.alt,
            download_limit: speed.download,
            upload_limit: speed.upload,
        }
    }
}

/// Free and total bytes of the disk holding `dir`: the mount with the longest
/// mount point that contains it (the path need not exist).
pub(crate) fn disk_of(dir: &Path) -> (u64, u64) {
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_owned());
    let Ok(disks) = Disks::new_with_refreshed_list() else {
        return (0, 0);
    };
    disks
        .iter()
        .filter(|d| dir.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| (d.available_space(), d.total_space()))
        .unwrap_or((0, 0))
}

/// Statistics of the machine, the process and the engine.
#[utoipa::path(get, path = "/api/v1/stats", tag = "stats",
    responses((status = 200, body = StatsView)))]
pub async fn get_stats(State(state): State<AppState>) -> Json<StatsView> {
    let stats = state.live.stats.clone();
    if stats.is_stale(state.live.hub.config().stats_interval) {
        let refreshing = stats.clone();
        let _ = tokio::task::spawn_blocking(move || refreshing.refresh()).await;
    }
    Json(stats.view())
}
