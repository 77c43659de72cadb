//! Debian's tools the tests drive (opentracker, aria2c, mktorrent): whether they are
//! installed, and an opentracker on loopback.

use std::path::Path;
use std::process::{Command, Stdio};

use super::ChildGuard;

pub fn require(tool: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status();
    assert!(
        found.is_ok_and(|s| s.success()),
        "{tool} is not installed; run scripts/test.sh, which installs aria2, opentracker and mktorrent"
    );
}

pub fn start_opentracker(dir: &Path, port: u16, info_hash: &str) -> ChildGuard {
    // Debian's opentracker is built in whitelist mode: list the hash before it starts.
    let whitelist = dir.join("whitelist.txt");
    std::fs::write(&whitelist, format!("{info_hash}\n")).unwrap();
    // It chroots into -d, so the whitelist is named relative to it.
    let child = Command::new("opentracker")
        .args([
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "-P",
            &port.to_string(),
        ])
        .arg("-d")
        .arg(dir)
        .args(["-w", "whitelist.txt"])
        .current_dir(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start opentracker");
    ChildGuard(child)
}

pub fn url_escape(s: &str) -> String {
    url_escape_bytes(s.as_bytes())
}

pub fn url_escape_bytes(s: &[u8]) -> String {
    s.iter()
        .copied()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
