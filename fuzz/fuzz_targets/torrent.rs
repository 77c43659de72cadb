//! .torrent bytes: the bencode reader and the torrent validator never panic, and a
//! torrent they accept only names files inside its own folder.
#![no_main]

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

use cloud_torrent_engine::{bencode, torrent_guard};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = bencode::parse(data);
    let _ = torrent_guard::check_info_dict(data);
    let Ok(checked) = torrent_guard::check(data) else {
        return;
    };
    assert!(bencode::parse(data).is_ok());
    assert!(checked.piece_length > 0 && checked.total_length > 0);
    let root = Path::new("/downloads");
    let folder = if checked.multi_file {
        root.join(OsStr::from_bytes(&checked.name))
    } else {
        root.to_path_buf()
    };
    let mut seen = Vec::new();
    for file in checked.files.iter().filter(|f| !f.padding) {
        let mut path = folder.clone();
        for c in &file.components {
            path.push(OsStr::from_bytes(c));
        }
        let rel = path.strip_prefix(root).expect("inside the download folder");
        assert!(rel.components().all(|c| matches!(c, Component::Normal(_))));
        for other in &seen {
            assert!(!path.starts_with(other) && !Path::new(other).starts_with(&path));
        }
        seen.push(path);
    }
});
