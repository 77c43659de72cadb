//! Keeps absolute server paths out of messages that reach users.

// The rule lives with the outbound client, whose error messages need it too.
pub use cloud_torrent_outbound::strip_paths;

/// Whether a torrent error says the disk (or the user's quota) is full.
pub fn is_disk_full(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    lower.contains("no space left on device")
        || lower.contains("os error 28)")
        || lower.contains("disk quota exceeded")
        || lower.contains("os error 122)")
}

/// librqbit's error of a torrent, as a person should read it: what happened and what
/// to do about it, on one line, without absolute server paths.
///
/// librqbit reports errors in `anyhow`'s debug form: a message, then `Caused by:`
/// and numbered causes (and sometimes a backtrace); those become one `a: b: c` line.
pub fn describe_torrent_error(raw: &str) -> String {
    if is_disk_full(raw) {
        return "the disk is full: there is no space left in the download folder. \
                Free some space and the download resumes by itself"
            .to_owned();
    }
    let lower = raw.to_ascii_lowercase();
    if lower.contains("read-only file system") || lower.contains("os error 30)") {
        return "the download folder is on a read-only file system. Make it writable; \
                the download is retried by itself, or start the torrent"
            .to_owned();
    }
    if lower.contains("permission denied") || lower.contains("os error 13)") {
        return "the server may not write to the download folder (permission denied). \
                Fix the folder's permissions; the download is retried by itself, or start the torrent"
            .to_owned();
    }
    let mut parts: Vec<&str> = Vec::new();
    for line in raw.lines() {
        let line = line.trim();
        if line.starts_with("Stack backtrace") || line.starts_with("Backtrace") {
            break;
        }
        if line.is_empty() || line == "Caused by:" {
            continue;
        }
        // "0: cause" -> "cause"
        let line = match line.split_once(": ") {
            Some((n, rest)) if !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) => rest,
            _ => line,
        };
        if !parts.contains(&line) {
            parts.push(line);
        }
    }
    let text = strip_paths(&parts.join(": "));
    if text.is_empty() {
        "the torrent stopped with an unknown error; start it to retry".to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::describe_torrent_error;

    #[test]
    fn a_full_disk_says_what_to_do_without_paths() {
        let raw = "fatal error: error writing to \"/srv/downloads/big.bin\"\n\n\
                   Caused by:\n    0: error writing to \"/srv/downloads/big.bin\"\n    \
                   1: No space left on device (os error 28)";
        let text = describe_torrent_error(raw);
        assert!(text.contains("disk is full"), "{text}");
        assert!(text.contains("Free some space"), "{text}");
        assert!(!text.contains("/srv"), "{text}");
    }

    #[test]
    fn other_errors_become_one_line_without_paths() {
        let raw = "fatal error: error opening \"/srv/dl/x/a.bin\"\n\nCaused by:\n    \
                   0: error opening \"/srv/dl/x/a.bin\"\n    1: Input/output error (os error 5)\n\n\
                   Stack backtrace:\n   0: foo";
        assert_eq!(
            describe_torrent_error(raw),
            "fatal error: error opening \"a.bin\": error opening \"a.bin\": Input/output error (os error 5)"
        );
        assert!(describe_torrent_error("Permission denied (os error 13)").contains("permissions"));
        assert!(describe_torrent_error("").contains("unknown error"));
    }
}
