//! A full disk while downloading: the download folder is a small tmpfs that runs
//! out of space mid-download. The torrent shows an error a person can act on (no
//! server paths), the API keeps answering, and once space is freed the download
//! resumes by itself and completes with the right bytes.
//!
//! Needs root (to mount the tmpfs); without it the test says so and returns.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::support::*;

const TIMEOUT: Duration = Duration::from_secs(90);
const MIB: usize = 1024 * 1024;

/// A tmpfs mounted on a folder; unmounted when dropped, even when the test fails.
struct Tmpfs {
    dir: PathBuf,
}

impl Tmpfs {
    /// Mounts a tmpfs of `mib` MiB on `dir`, or says why it could not.
    fn mount(dir: &Path, mib: usize) -> Result<Tmpfs, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mib}m"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        Ok(Tmpfs {
            dir: dir.to_owned(),
        })
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.dir)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            // Still busy (a file open in a server that is shutting down): detach it.
            let _ = Command::new("umount").arg("-l").arg(&self.dir).status();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_full_disk_is_an_error_and_the_download_resumes_when_space_is_freed() {
    let dirs = Dirs::new();
    let _tmpfs = match Tmpfs::mount(&dirs.downloads, 16) {
        Ok(m) => m,
        Err(why) => {
            eprintln!(
                "SKIPPED full_disk: mounting a tmpfs needs root (mount -t tmpfs failed: {why})"
            );
            return;
        }
    };
    // 10 MiB of the 16 are taken: the 12 MiB torrent runs out of space about half-way.
    let filler = dirs.downloads.join("filler.bin");
    std::fs::write(&filler, payload(10 * MIB, 99)).unwrap();
    let size = 12 * MIB + 17;
    let data = make_payload(&dirs.data, "big.bin", &[("", size)]).await;
    let seeder = Seeder::start(&data, "127.0.0.61", None, &[]).await;
    let server = TestServer::start(test_settings(&dirs)).await;

    let (status, t) = server.add_magnet(&seeder.magnet(&data)).await;
    assert_eq!(status, 201, "{t}");
    let hash = data.info_hash.clone();

    // The torrent fails, with a message that says what to do and no server paths.
    let failed = server.wait_state(&hash, "error", TIMEOUT).await;
    let error = failed["error"].as_str().unwrap_or_default().to_owned();
    let lower = error.to_lowercase();
    assert!(
        lower.contains("disk is full") && lower.contains("free some space"),
        "the error should say the disk is full and to free space: {failed:#}"
    );
    let downloads = dirs.downloads.display().to_string();
    assert!(
        !error.contains(&downloads) && !error.contains("/tmp"),
        "the error shows a server path: {error:?}"
    );
    assert!(
        failed["completed"].as_u64().unwrap() < size as u64,
        "{failed:#}"
    );

    // The API keeps answering while the torrent is in error.
    let r = server
        .http
        .get(server.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    let listed = list
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["infoHash"] == hash)
        .unwrap_or_else(|| panic!("the torrent is missing from {list:#}"));
    assert_eq!(listed["name"], "big.bin");
    let (status, stats) = server.get_json("/api/v1/stats").await;
    assert_eq!(status, 200, "{stats}");

    // Free the space: nobody touches the torrent, it resumes and completes.
    std::fs::remove_file(&filler).unwrap();
    // (it is in error until then: only "seeding" ends the wait)
    let done = server
        .wait_torrent(&hash, "\"seeding\"", TIMEOUT, |t| t["state"] == "seeding")
        .await;
    assert_eq!(done["completed"], size, "{done:#}");
    assert_eq!(done["error"], Value::Null, "{done:#}");
    assert_same_file(&dirs.downloads.join("big.bin"), &data.root);
    server.stop().await;
}
