//! Hostile .torrent files: insane piece sizes, hash lists that do not fit, and file
//! paths that try to leave the torrent's folder (`..`, absolute paths, separators or
//! NUL inside a component, empty names, names that collide) are refused with a 400
//! that says why, and nothing is written anywhere. So are torrents with more files
//! than the engine accepts (each file of a loaded torrent holds a file descriptor),
//! as files and as magnets; and an add that fails once librqbit started writing
//! leaves none of the files it created.

use std::collections::BTreeSet;
use std::path::Path;

use cloud_torrent_config::ConfigValues;
use serde_json::Value;

use crate::support::*;

/// A bencoded value, written by hand so a test can say exactly what a file holds.
pub(crate) enum B {
    I(i128),
    S(Vec<u8>),
    L(Vec<B>),
    D(Vec<(&'static str, B)>),
}

impl B {
    fn encode(&self, out: &mut Vec<u8>) {
        match self {
            B::I(i) => out.extend(format!("i{i}e").bytes()),
            B::S(s) => {
                out.extend(format!("{}:", s.len()).bytes());
                out.extend(s);
            }
            B::L(items) => {
                out.push(b'l');
                for item in items {
                    item.encode(out);
                }
                out.push(b'e');
            }
            B::D(items) => {
                out.push(b'd');
                for (key, value) in items {
                    B::S(key.as_bytes().to_vec()).encode(out);
                    value.encode(out);
                }
                out.push(b'e');
            }
        }
    }
}

/// A file of a crafted torrent: path components and length.
pub(crate) type FileSpec = (Vec<&'static [u8]>, i128);

/// What a crafted torrent holds.
pub(crate) struct Spec {
    name: &'static [u8],
    piece_length: i128,
    /// `None`: a single-file torrent of `length` bytes.
    files: Option<Vec<FileSpec>>,
    length: i128,
    /// Extra bytes (positive) or missing bytes (negative) in `pieces`.
    pieces_delta: i64,
}

impl Spec {
    pub(crate) fn multi(name: &'static [u8], files: Vec<FileSpec>) -> Spec {
        Spec {
            name,
            piece_length: 16384,
            files: Some(files),
            length: 0,
            pieces_delta: 0,
        }
    }

    pub(crate) fn single(name: &'static [u8], length: i128) -> Spec {
        Spec {
            name,
            piece_length: 16384,
            files: None,
            length,
            pieces_delta: 0,
        }
    }

    pub(crate) fn bytes(&self) -> Vec<u8> {
        let total: i128 = match &self.files {
            Some(files) => files.iter().map(|f| f.1).sum(),
            None => self.length,
        };
        let count = if self.piece_length > 0 {
            (total + self.piece_length - 1) / self.piece_length
        } else {
            1
        };
        // Totals that overflow get a token string: they are refused before it matters.
        let pieces_len = (count * 20 + self.pieces_delta as i128).clamp(0, 1 << 20) as usize;
        let mut info = Vec::new();
        match &self.files {
            Some(files) => info.push((
                "files",
                B::L(
                    files
                        .iter()
                        .map(|(path, len)| {
                            B::D(vec![
                                ("length", B::I(*len)),
                                (
                                    "path",
                                    B::L(path.iter().map(|c| B::S(c.to_vec())).collect()),
                                ),
                            ])
                        })
                        .collect(),
                ),
            )),
            None => info.push(("length", B::I(self.length))),
        }
        info.push(("name", B::S(self.name.to_vec())));
        info.push(("piece length", B::I(self.piece_length)));
        info.push(("pieces", B::S(vec![0xAB; pieces_len])));
        let mut out = Vec::new();
        B::D(vec![("info", B::D(info))]).encode(&mut out);
        out
    }
}

/// Every file and folder under `dir`, relative to it.
fn tree(dir: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            out.insert(path.strip_prefix(dir).unwrap().display().to_string());
            if path.is_dir() && !path.is_symlink() {
                stack.push(path);
            }
        }
    }
    out
}

/// Posts a .torrent file to `path`; the status and the body.
async fn post_torrent(server: &TestServer, path: &str, body: Vec<u8>) -> (u16, String) {
    let (status, _, text) = server
        .send("POST", path, Some("application/x-bittorrent"), body)
        .await;
    (status, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_torrents_are_refused_and_write_nothing() {
    let dirs = Dirs::new();
    let root = dirs.root().to_path_buf();
    let server = TestServer::start(test_settings(&dirs)).await;
    let before: BTreeSet<String> = tree(&root)
        .into_iter()
        .filter(|p| !p.starts_with("state"))
        .collect();

    let file = |parts: &[&'static [u8]], len: i128| (parts.to_vec(), len);
    let mut cases: Vec<(&str, Spec, &str)> = vec![
        (
            "parent component",
            Spec::multi(b"t", vec![file(&[b"..", b"..", b"escaped"], 10)]),
            "\"..\" component",
        ),
        (
            "absolute path",
            Spec::multi(b"t", vec![file(&[b"/tmp/escaped"], 10)]),
            "separator",
        ),
        (
            "separator inside a component",
            Spec::multi(b"t", vec![file(&[b"a/../../escaped"], 10)]),
            "separator",
        ),
        (
            "backslash",
            Spec::multi(b"t", vec![file(&[b"..\\..\\escaped"], 10)]),
            "separator",
        ),
        (
            "NUL byte",
            Spec::multi(b"t", vec![file(&[b"a\0b"], 10)]),
            "NUL",
        ),
        (
            "empty component",
            Spec::multi(b"t", vec![file(&[b"", b"x"], 10)]),
            "empty component",
        ),
        (
            "dot component",
            Spec::multi(b"t", vec![file(&[b".", b"x"], 10)]),
            "\".\" component",
        ),
        (
            "no components",
            Spec::multi(b"t", vec![file(&[], 10)]),
            "no components",
        ),
        (
            "torrent named ..",
            Spec::multi(b"..", vec![file(&[b"x"], 10)]),
            "\"..\" component",
        ),
        (
            "nameless multi-file torrent",
            Spec::multi(b"", vec![file(&[b"x"], 10)]),
            "name is empty",
        ),
        (
            "single file named ../x",
            Spec::single(b"../escaped", 10),
            "separator",
        ),
        (
            "single file with an absolute name",
            Spec::single(b"/tmp/escaped", 10),
            "separator",
        ),
        (
            "two files on one path",
            Spec::multi(b"t", vec![file(&[b"a"], 10), file(&[b"a"], 20)]),
            "same place",
        ),
        (
            "a file inside another file",
            Spec::multi(b"t", vec![file(&[b"a"], 10), file(&[b"a", b"b"], 20)]),
            "same place",
        ),
        (
            "piece length 0",
            Spec {
                piece_length: 0,
                ..Spec::single(b"x", 10)
            },
            "piece length 0 is not sane",
        ),
        (
            "piece length 3",
            Spec {
                piece_length: 3,
                ..Spec::single(b"x", 10)
            },
            "piece length 3 is not sane",
        ),
        (
            "piece length 512 MiB",
            Spec {
                piece_length: 512 << 20,
                ..Spec::single(b"x", 10)
            },
            "is not sane",
        ),
        (
            "a hash too short",
            Spec {
                pieces_delta: -1,
                ..Spec::single(b"x", 40_000)
            },
            "need 3 SHA-1 hashes",
        ),
        (
            "one hash too many",
            Spec {
                pieces_delta: 20,
                ..Spec::single(b"x", 40_000)
            },
            "need 3 SHA-1 hashes",
        ),
        ("negative length", Spec::single(b"x", -10), "negative"),
    ];
    cases.push((
        "lengths that overflow",
        Spec {
            pieces_delta: 0,
            ..Spec::multi(
                b"t",
                vec![file(&[b"a"], u64::MAX as i128), file(&[b"b"], 16384)],
            )
        },
        "2^64",
    ));

    for (what, spec, needle) in &cases {
        let (status, text) = post_torrent(&server, "/api/v1/torrents", spec.bytes()).await;
        assert_eq!(status, 400, "{what}: {text}");
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let message = json["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: {text}"));
        assert!(message.contains("invalid .torrent"), "{what}: {message}");
        assert!(
            message.contains(needle),
            "{what}: {message:?} should say {needle:?}"
        );
        assert!(!message.contains(&root.display().to_string()), "{message}");
    }
    // The old text endpoint runs the same checks.
    let (status, text) = post_torrent(&server, "/api/torrentfile", cases[0].1.bytes()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("\"..\" component"), "{text}");

    // Nothing was added, nothing was written, in the download folder or beside it.
    let (status, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(status, 200);
    assert_eq!(list, serde_json::json!([]));
    let after: BTreeSet<String> = tree(&root)
        .into_iter()
        .filter(|p| !p.starts_with("state"))
        .collect();
    assert_eq!(after, before, "files appeared");
    assert!(!Path::new("/tmp/escaped").exists());

    // The same writer makes torrents that are accepted, so the 400s above are
    // about the hostile parts only: an odd but legal layout is fine.
    let good = Spec {
        piece_length: 3 * 16384,
        ..Spec::multi(
            b"good",
            vec![
                file(&[b"a", b"b"], 10),
                file(&[b"a", b"c"], 20),
                file(&[b"A"], 5),
            ],
        )
    };
    let (status, text) = post_torrent(&server, "/api/v1/torrents?paused=true", good.bytes()).await;
    assert_eq!(status, 201, "{text}");
    let t: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(t["name"], "good");
    assert_eq!(t["files"].as_array().unwrap().len(), 3);
    let written: Vec<String> = tree(&root)
        .into_iter()
        .filter(|p| !p.starts_with("state") && !before.contains(p))
        .collect();
    assert!(
        written.iter().all(|p| p.starts_with("downloads/good")),
        "written outside the torrent's folder: {written:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metadata_from_peers_gets_the_same_checks() {
    // A nameless multi-file torrent (the name is required by BEP 3). librqbit would
    // name its folder after the largest file; our checks refuse it, from a peer too.
    let dirs = Dirs::new();
    let seed_dir = dirs.data.join("seed");
    let seed = seed_dir.join("a");
    std::fs::create_dir_all(&seed).unwrap();
    std::fs::write(seed.join("a.bin"), payload(40_000, 1)).unwrap();
    std::fs::write(seed.join("b.bin"), payload(30_000, 2)).unwrap();
    let nameless = Payload::create(&seed, "", 16384).await;
    let server = TestServer::start(test_settings(&dirs)).await;

    // As a file: refused outright.
    let (status, text) = post_torrent(&server, "/api/v1/torrents", nameless.torrent.clone()).await;
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("name is empty"), "{text}");

    // As a magnet, the metadata comes from a peer later: the torrent ends in error.
    let seeder = Seeder::start(&nameless, "127.0.0.3", None, &[]).await;
    let (status, t) = server.add_magnet(&seeder.magnet(&nameless)).await;
    assert_eq!(status, 201, "{t}");
    wait_for(
        "the metadata to be refused",
        std::time::Duration::from_secs(30),
        || async {
            server.torrent(&nameless.info_hash).await["error"]
                .as_str()
                .is_some_and(|e| e.contains("name is empty"))
        },
    )
    .await;
    let t = server.torrent(&nameless.info_hash).await;
    assert_eq!(t["state"], "error", "{t}");
    server.stop().await;
}

/// A multi-file torrent `name` of `count` one-byte files `f0`, `f1`...
fn many_files(name: &'static [u8], count: usize) -> Spec {
    let names: Vec<&'static [u8]> = (0..count)
        .map(|i| &*format!("f{i}").into_bytes().leak())
        .collect();
    Spec::multi(name, names.into_iter().map(|n| (vec![n], 1)).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn torrents_with_too_many_files_are_refused_before_anything_is_written() {
    let dirs = Dirs::new();
    let server = TestServer::start(ConfigValues {
        max_files_per_torrent: 5,
        ..test_settings(&dirs)
    })
    .await;

    // One file over the cap: 400 naming the count and the cap, nothing on disk.
    let (status, text) =
        post_torrent(&server, "/api/v1/torrents", many_files(b"six", 6).bytes()).await;
    assert_eq!(status, 400, "{text}");
    assert!(
        text.contains("6 files") && text.contains("at most 5"),
        "{text}"
    );
    assert_eq!(tree(&dirs.downloads), BTreeSet::new(), "files appeared");
    let (_, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(list, serde_json::json!([]));

    // At the cap: added, its files written.
    let (status, text) =
        post_torrent(&server, "/api/v1/torrents", many_files(b"five", 5).bytes()).await;
    assert_eq!(status, 201, "{text}");
    let t: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(t["files"].as_array().unwrap().len(), 5, "{t}");
    wait_for(
        "the files to be created",
        std::time::Duration::from_secs(10),
        || async { tree(&dirs.downloads).contains("five/f4") },
    )
    .await;

    // A magnet's metadata over the cap: the torrent shows why, and writes nothing.
    let seed = dirs.data.join("seed");
    let files: Vec<(String, usize)> = (0..6).map(|i| (format!("f{i}"), 1000 + i)).collect();
    let files: Vec<(&str, usize)> = files.iter().map(|(p, n)| (p.as_str(), *n)).collect();
    let six = make_payload(&seed, "six", &files).await;
    let seeder = Seeder::start(&six, "127.0.0.3", None, &[]).await;
    let (status, t) = server.add_magnet(&seeder.magnet(&six)).await;
    assert_eq!(status, 201, "{t}");
    wait_for(
        "the metadata to be refused",
        std::time::Duration::from_secs(30),
        || async {
            server.torrent(&six.info_hash).await["error"]
                .as_str()
                .is_some_and(|e| e.contains("6 files") && e.contains("at most 5"))
        },
    )
    .await;
    assert_eq!(server.torrent(&six.info_hash).await["state"], "error");
    assert!(
        !dirs.downloads.join("six").exists(),
        "{:?}",
        tree(&dirs.downloads)
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_add_removes_only_the_files_it_created() {
    let dirs = Dirs::new();
    let server = TestServer::start(test_settings(&dirs)).await;
    // A user's folder where the torrent's file `t/y` would go: librqbit creates
    // `t/x/1`, then cannot open `t/y` and the add fails.
    let user = dirs.downloads.join("t/y");
    std::fs::create_dir_all(&user).unwrap();
    std::fs::write(user.join("mine.txt"), b"mine").unwrap();
    std::fs::write(dirs.downloads.join("t/notes.txt"), b"notes").unwrap();
    let before = tree(&dirs.downloads);

    let spec = Spec::multi(b"t", vec![(vec![b"x", b"1"], 10), (vec![b"y"], 10)]);
    let (status, text) = post_torrent(&server, "/api/v1/torrents", spec.bytes()).await;
    // The download folder's state, not the torrent, is in the way: a conflict.
    assert_eq!(status, 409, "{text}");
    assert!(text.contains("t/y"), "{text}");
    let (_, list) = server.get_json("/api/v1/torrents").await;
    assert_eq!(list, serde_json::json!([]));
    assert_eq!(
        tree(&dirs.downloads),
        before,
        "the failed add left files behind"
    );
    assert_eq!(std::fs::read(user.join("mine.txt")).unwrap(), b"mine");
    server.stop().await;
}
