//! The process's allocator: jemalloc, whose background thread gives the memory that
//! passing peaks freed back to the system, even while the server idles.
//!
//! With glibc's malloc the memory of a peak stayed resident: the first live state
//! of 10,000 torrents and every full list (11 MiB of JSON) left 131 MiB resident
//! with 10,000 dormant torrents, with two arenas and a `malloc_trim` every half
//! minute; jemalloc holds 72 MiB (BENCHMARKS.md, "Memory at 10,000 torrents").

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// A C string jemalloc reads as its options.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[repr(transparent)]
pub struct Options(*const std::ffi::c_char);

// SAFETY: it points at a string literal, which nothing writes.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
unsafe impl Sync for Options {}

/// jemalloc's options (its `malloc_conf`, read once at its start; the `_rjem_`
/// prefix is the one tikv-jemalloc-sys builds it with). `background_thread`: one
/// thread of its own returns freed pages to the system some seconds after they are
/// freed (`dirty_decay_ms`, 10 s by default). Without it jemalloc returns them
/// only while the thread that freed them goes on allocating, which an idle server
/// does not: 143 MiB stayed resident after a start with 10,000 torrents, 98 MiB with it.
/// One such thread is enough for the few arenas of a server (it starts one per CPU).
/// The `tcache_*` options keep each thread's cache of freed blocks small (16 of
/// each small size instead of up to 200, blocks up to 4 KiB): with 100 idle
/// seeding torrents they took the anonymous memory from 13.6 to 11.6 MiB.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
#[unsafe(export_name = "_rjem_malloc_conf")]
pub static JEMALLOC_OPTIONS: Options = Options(
    c"background_thread:true,max_background_threads:1,\
      tcache_max:4096,tcache_nslots_small_max:16,tcache_nslots_large:4"
        .as_ptr(),
);
