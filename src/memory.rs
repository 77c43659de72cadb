//! How glibc's allocator keeps the process's memory: few arenas, and what they
//! hold free given back to the system every half minute.

/// How often the free memory of the allocator's arenas is given back.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_EVERY: std::time::Duration = std::time::Duration::from_secs(30);

/// glibc gives each thread that allocates its own malloc arena (up to 8 per core), and
/// every arena keeps freed memory; two are enough here. Measured with 100 seeding
/// torrents: 31.6 -> 24.6 MiB resident (BENCHMARKS.md).
#[allow(unsafe_code)]
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: called first thing in main, before any other thread exists; mallopt only
    // changes a glibc tunable.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Every half minute, gives the memory glibc's arenas hold free back to the system.
/// glibc returns only the free top of an arena on its own, so a passing peak (the
/// first live state of 10,000 torrents is built as ~30 MiB of JSON values, a
/// full list is 11 MiB) would otherwise stay resident for good: with 10,000
/// dormant torrents, 170 MiB resident after a start, 119 MiB once trimmed
/// (BENCHMARKS.md).
pub fn spawn_trimmer() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let spawned = std::thread::Builder::new()
            .name("malloc-trim".into())
            .spawn(|| {
                loop {
                    std::thread::sleep(TRIM_EVERY);
                    trim();
                }
            });
        if let Err(e) = spawned {
            tracing::debug!("no memory trimming: {e}");
        }
    }
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
fn trim() {
    // SAFETY: malloc_trim only walks glibc's own arenas, under their locks, and
    // gives free pages back (madvise); no memory in use is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}
