//! Property tests on hostile input: magnet links and .torrent bytes never panic,
//! what is accepted is within its limits, and a torrent that passes
//! [`crate::torrent_guard`] can only name files inside its own folder.

use std::path::{Component, Path, PathBuf};

use proptest::prelude::*;

use crate::magnet::Magnet;
use crate::torrent_guard::{self, Checked};

/// Pieces of magnet links, valid and broken, glued together at random.
fn magnet_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("magnet:?".to_owned()),
            Just("xt=urn:btih:".to_owned()),
            Just("c12fe1c06bba254a9dc9f519b335aa7c1367a88a".to_owned()),
            Just("MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U".to_owned()),
            Just("xt=urn:btmh:1220".to_owned()),
            Just("&".to_owned()),
            Just("=".to_owned()),
            Just("dn=".to_owned()),
            Just("tr=".to_owned()),
            Just("x.pe=".to_owned()),
            Just("so=0-2,5".to_owned()),
            Just("%".to_owned()),
            Just("%2".to_owned()),
            Just("%FF%FE".to_owned()),
            Just("%26".to_owned()),
            Just("+".to_owned()),
            Just("127.0.0.2:6881".to_owned()),
            Just("[::1]:7000".to_owned()),
            Just("peer.localhost:1".to_owned()),
            Just("http%3A%2F%2F127.0.0.1%3A6969%2Fannounce".to_owned()),
            Just("udp://127.0.0.1:1".to_owned()),
            Just("file:///etc/passwd".to_owned()),
            "\\PC{0,12}",
        ],
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// Path components an attacker would try, and ordinary ones.
fn component() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(b"..".to_vec()),
        Just(b".".to_vec()),
        Just(b"".to_vec()),
        Just(b"a".to_vec()),
        Just(b"b".to_vec()),
        Just(b"A".to_vec()),
        Just(b"/".to_vec()),
        Just(b"/etc".to_vec()),
        Just(b"a/b".to_vec()),
        Just(b"..\\x".to_vec()),
        Just(b"C:".to_vec()),
        Just(b"x\0".to_vec()),
        Just(b".pad".to_vec()),
        Just(vec![b'n'; 256]),
        Just(vec![0xff, 0xfe]),
        prop::collection::vec(any::<u8>(), 0..6),
    ]
}

/// A component [`torrent_guard`] must refuse: checked independently of its code.
fn unsafe_component(c: &[u8]) -> bool {
    c.is_empty()
        || c == b"."
        || c == b".."
        || c.iter().any(|b| matches!(b, b'/' | b'\\' | 0))
        || c.len() > 255
}

fn bstr(out: &mut Vec<u8>, s: &[u8]) {
    out.extend(format!("{}:", s.len()).bytes());
    out.extend(s);
}

/// A file of a generated torrent: raw path components and length.
type FileSpec = (Vec<Vec<u8>>, u64);

/// A multi-file .torrent (or a single file when `files` is `None`).
fn encode(name: &[u8], files: Option<&[FileSpec]>, single_len: u64) -> Vec<u8> {
    let piece = 16384u64;
    let total: u64 = match files {
        Some(f) => f.iter().map(|(_, l)| *l).sum(),
        None => single_len,
    };
    let mut info = b"d".to_vec();
    match files {
        Some(files) => {
            bstr(&mut info, b"files");
            info.push(b'l');
            for (path, len) in files {
                info.push(b'd');
                bstr(&mut info, b"length");
                info.extend(format!("i{len}e").bytes());
                bstr(&mut info, b"path");
                info.push(b'l');
                for c in path {
                    bstr(&mut info, c);
                }
                info.extend(b"ee");
            }
            info.push(b'e');
        }
        None => {
            bstr(&mut info, b"length");
            info.extend(format!("i{single_len}e").bytes());
        }
    }
    bstr(&mut info, b"name");
    bstr(&mut info, name);
    bstr(&mut info, b"piece length");
    info.extend(format!("i{piece}e").bytes());
    bstr(&mut info, b"pieces");
    bstr(&mut info, &vec![9; (total.div_ceil(piece) * 20) as usize]);
    info.push(b'e');
    let mut out = b"d".to_vec();
    bstr(&mut out, b"info");
    out.extend(info);
    out.push(b'e');
    out
}

/// Where librqbit would write each file of an accepted torrent, under `root`.
fn destinations(root: &Path, checked: &Checked) -> Vec<PathBuf> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let folder = if checked.multi_file {
        root.join(OsStr::from_bytes(&checked.name))
    } else {
        root.to_path_buf()
    };
    checked
        .files
        .iter()
        .map(|f| {
            let mut p = folder.clone();
            for c in &f.components {
                p.push(OsStr::from_bytes(c));
            }
            p
        })
        .collect()
}

fn assert_inside(root: &Path, checked: &Checked) -> Result<(), TestCaseError> {
    let dests = destinations(root, checked);
    for (i, d) in dests.iter().enumerate() {
        let rel = d
            .strip_prefix(root)
            .map_err(|_| TestCaseError::fail("outside"))?;
        prop_assert!(
            rel.components().all(|c| matches!(c, Component::Normal(_))),
            "{}",
            d.display()
        );
        prop_assert!(rel.components().count() >= 1);
        for (j, other) in dests.iter().enumerate() {
            if i != j && !checked.files[i].padding && !checked.files[j].padding {
                prop_assert!(
                    !other.starts_with(d),
                    "{} vs {}",
                    d.display(),
                    other.display()
                );
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn magnets_never_panic_and_accepted_ones_are_bounded(text in magnet_text()) {
        if let Ok(m) = Magnet::parse(&text) {
            prop_assert!(m.trackers.len() <= 100);
            prop_assert!(m.peers.len() + m.peer_hosts.len() <= 100);
            for t in &m.trackers {
                prop_assert!(
                    t.starts_with("http://") || t.starts_with("https://") || t.starts_with("udp://"),
                    "{}", t
                );
            }
            let again = Magnet::parse(&m.to_uri());
            prop_assert_eq!(again.ok(), Some(m));
        }
    }

    #[test]
    fn arbitrary_text_is_no_magnet_panic(text in any::<String>()) {
        let _ = Magnet::parse(&text);
        let _ = Magnet::parse(&format!("magnet:?xt=urn:btih:{text}"));
    }

    #[test]
    fn generated_magnets_round_trip(
        hash in "[0-9a-f]{40}",
        name in proptest::option::of("\\PC{0,30}"),
        ports in prop::collection::vec(1u16.., 0..5),
        peer in any::<[u8; 4]>(),
    ) {
        let mut uri = format!("magnet:?xt=urn:btih:{hash}");
        let mut expected_name = None;
        if let Some(name) = &name {
            uri.push_str("&dn=");
            uri.extend(url::form_urlencoded::byte_serialize(name.as_bytes()));
            expected_name = Some(name.clone()).filter(|n| !n.trim().is_empty());
        }
        for p in &ports {
            uri.push_str(&format!("&x.pe={}.{}.{}.{}:{p}", peer[0], peer[1], peer[2], peer[3]));
            uri.push_str(&format!("&tr=http://127.0.0.1:{p}/announce"));
        }
        let m = Magnet::parse(&uri).unwrap();
        prop_assert_eq!(m.info_hash.to_hex(), hash);
        prop_assert_eq!(&m.name, &expected_name);
        let mut unique = ports.clone();
        unique.dedup();
        unique.sort_unstable();
        unique.dedup();
        prop_assert_eq!(m.peers.len(), unique.len());
        prop_assert_eq!(m.trackers.len(), unique.len());
        prop_assert_eq!(Magnet::parse(&m.to_uri()).unwrap(), m);
    }

    #[test]
    fn torrent_checks_never_panic_on_bytes(data in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = torrent_guard::check(&data);
        let _ = torrent_guard::check_info_dict(&data);
        let _ = crate::bencode::parse(&data);
    }

    #[test]
    fn mutated_torrents_never_panic_and_stay_inside(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..6),
    ) {
        let files = vec![
            (vec![b"dir".to_vec(), b"a.bin".to_vec()], 20_000),
            (vec![b"b.txt".to_vec()], 5),
        ];
        let mut data = encode(b"name", Some(&files), 0);
        prop_assert!(torrent_guard::check(&data).is_ok());
        for (at, byte, op) in edits {
            let i = at.index(data.len());
            match op {
                0 => data[i] = byte,
                1 => data.insert(i, byte),
                _ => {
                    data.remove(i);
                }
            }
            if data.is_empty() {
                break;
            }
        }
        if let Ok(checked) = torrent_guard::check(&data) {
            assert_inside(Path::new("/srv/downloads"), &checked)?;
        }
    }

    #[test]
    fn hostile_paths_are_refused_and_accepted_ones_stay_inside(
        name in component(),
        files in prop::collection::vec(
            (prop::collection::vec(component(), 0..4), 0u64..40_000),
            1..5,
        ),
        single in any::<bool>(),
    ) {
        let data = if single {
            encode(&name, None, files[0].1)
        } else {
            encode(&name, Some(&files), 0)
        };
        let result = torrent_guard::check(&data);
        let any_unsafe = unsafe_component(&name)
            || (!single
                && files
                    .iter()
                    .any(|(p, _)| p.is_empty() || p.iter().any(|c| unsafe_component(c))));
        if any_unsafe {
            prop_assert!(result.is_err(), "accepted an unsafe path: {:?}", result);
        }
        if let Ok(checked) = result {
            assert_inside(Path::new("/srv/downloads"), &checked)?;
        }
    }
}
