//! Checks of a .torrent's content, run before librqbit sees it.
//!
//! librqbit 9.1.0 itself refuses `..` components, `/` or `\` inside a component,
//! files without a name and duplicate file names (after decoding). It does not
//! check the piece length (0 divides by zero and panics), that the `pieces`
//! string holds exactly one hash per piece, that file lengths add up without
//! overflowing, or path components that are `.`, empty, too long or hold a NUL
//! byte, nor a file whose path is another file's folder (`a` and `a/b`), nor a
//! missing name (required by BEP 3; librqbit would invent one). This module
//! refuses all of those with a message a person can act on.
//!
//! librqbit also keeps one file descriptor open per file of every loaded torrent,
//! even a stopped one, so this module caps the number of files per torrent
//! ([`Checked::check_file_count`], [`open_file_cap`]).
//!
//! It reads the bytes with [`crate::bencode`], in place and without recursing.

use std::collections::HashMap;

use crate::bencode::{self, BencodeError, Dict, Value};

/// Largest piece length accepted (256 MiB; real torrents use 16 KiB to 64 MiB).
pub const MAX_PIECE_LENGTH: u64 = 256 * 1024 * 1024;
/// Smallest power-of-two piece length accepted.
pub const MIN_PIECE_LENGTH: u64 = 1024;
/// Longest path component accepted, in bytes (the usual file system limit).
pub const MAX_COMPONENT_BYTES: usize = 255;

/// Most files a torrent may hold by default (setting `maxFilesPerTorrent`);
/// [`open_file_cap`] lowers it to what the process's open file limit allows.
pub const MAX_FILES_PER_TORRENT: usize = 10_000;
/// File descriptors kept out of the per-torrent cap, for sockets, the state
/// folder, file streams and the rest of the process.
const RESERVED_DESCRIPTORS: u64 = 128;

/// The most files a torrent may hold given the soft `RLIMIT_NOFILE` as it is now:
/// half of what the limit leaves after [`RESERVED_DESCRIPTORS`], so that one torrent
/// never takes every descriptor, and at least 1.
pub fn open_file_cap() -> usize {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    cap_for_limit(limit)
}

/// [`open_file_cap`] for a soft limit (`None`: unlimited).
fn cap_for_limit(limit: Option<u64>) -> usize {
    let Some(limit) = limit else {
        return usize::MAX;
    };
    let allowed = limit.saturating_sub(RESERVED_DESCRIPTORS) / 2;
    usize::try_from(allowed).unwrap_or(usize::MAX).max(1)
}

/// Why a .torrent was refused. Messages quote torrent paths, never server paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TorrentError {
    /// The bytes are not well-formed bencode.
    #[error(transparent)]
    Bencode(#[from] BencodeError),
    /// A required field is missing or has the wrong type.
    #[error("{0}")]
    Field(String),
    /// The piece length is zero, too large or not a usual size.
    #[error(
        "piece length {0} is not sane: expected a power of two of at least 1 KiB or a multiple of 16 KiB, at most 256 MiB"
    )]
    PieceLength(u64),
    /// The `pieces` string does not hold one 20-byte hash per piece.
    #[error(
        "pieces is {got} bytes but {total} bytes in pieces of {piece_length} need {count} SHA-1 hashes ({expected} bytes)"
    )]
    Pieces {
        /// Length of the `pieces` string.
        got: usize,
        /// Total length of the files.
        total: u64,
        /// Piece length.
        piece_length: u64,
        /// Number of pieces.
        count: u64,
        /// `count * 20`.
        expected: u64,
    },
    /// A file or torrent name that could write outside the torrent's folder or
    /// cannot be a file name.
    #[error("file path {path:?}: {why}")]
    Path {
        /// The path as in the torrent, components joined with `/`.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// More files than the engine accepts in one torrent.
    #[error(
        "the torrent has {count} files; at most {cap} files per torrent are accepted (each file of a loaded torrent keeps a file descriptor open)"
    )]
    TooManyFiles {
        /// Files the torrent would write (padding files excluded).
        count: usize,
        /// The cap.
        cap: usize,
    },
    /// Two files would be written to the same place.
    #[error("files {first:?} and {second:?} would be written to the same place")]
    Collision {
        /// The earlier file.
        first: String,
        /// The later file.
        second: String,
    },
}

/// A file of a checked torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// Raw path components, relative to the torrent's folder (the torrent's name for
    /// a single-file torrent).
    pub components: Vec<Vec<u8>>,
    /// Length in bytes.
    pub length: u64,
    /// A BEP 47 padding file, never written to disk.
    pub padding: bool,
}

/// What [`check`] learned about a valid torrent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The raw `name`: the file of a single-file torrent, or the folder of a multi-file one.
    pub name: Vec<u8>,
    /// True when the torrent has a `files` list (it gets its own folder).
    pub multi_file: bool,
    /// The files in torrent order.
    pub files: Vec<CheckedFile>,
    /// The piece length.
    pub piece_length: u64,
    /// Sum of the file lengths.
    pub total_length: u64,
}

impl Checked {
    /// Refuses a torrent that would write more than `cap` files (padding files are
    /// never written and do not count).
    pub fn check_file_count(&self, cap: usize) -> Result<(), TorrentError> {
        let count = self.files.iter().filter(|f| !f.padding).count();
        if count > cap {
            return Err(TorrentError::TooManyFiles { count, cap });
        }
        Ok(())
    }

    /// Checks that no two files land on the same path, nor one inside another file,
    /// once each raw component is turned into a file name by `decode` (the engine
    /// decodes names with the encoding it detects for the torrent). [`check`]
    /// already ran this with the raw bytes. Padding files are never written and
    /// are skipped.
    pub fn check_collisions<F>(&self, decode: F) -> Result<(), TorrentError>
    where
        F: Fn(&[u8]) -> Vec<u8>,
    {
        // Decoded path -> index of the file at it; folder -> index of the first file in it.
        let mut files: HashMap<Vec<Vec<u8>>, usize> = HashMap::new();
        let mut dirs: HashMap<Vec<Vec<u8>>, usize> = HashMap::new();
        for (index, file) in self.files.iter().enumerate().filter(|(_, f)| !f.padding) {
            let path: Vec<Vec<u8>> = file.components.iter().map(|c| decode(c)).collect();
            if let Some(why) = path.iter().find_map(|c| component_problem(c)) {
                return Err(TorrentError::Path {
                    path: show(&file.components),
                    why,
                });
            }
            let clash = files
                .get(&path)
                .or_else(|| dirs.get(&path))
                .or_else(|| (1..path.len()).find_map(|n| files.get(&path[..n])))
                .copied();
            if let Some(other) = clash {
                return Err(TorrentError::Collision {
                    first: show(&self.files[other].components),
                    second: show(&file.components),
                });
            }
            for n in 1..path.len() {
                dirs.entry(path[..n].to_vec()).or_insert(index);
            }
            files.insert(path, index);
        }
        Ok(())
    }
}

/// Checks a whole .torrent file: well-formed bencode nested at most
/// [`bencode::MAX_DEPTH`] levels deep (see [`crate::bencode`]), an `info` dictionary
/// with a sane piece length, one hash per piece, file lengths that add up, and names
/// and paths that stay inside the torrent's folder, without two files on the same path.
pub fn check(data: &[u8]) -> Result<Checked, TorrentError> {
    let root = bencode::parse(data)?
        .as_dict()
        .ok_or_else(|| field("the file is not a bencoded dictionary"))?;
    let info = get(root, b"info")?.ok_or_else(|| field("the file has no info dictionary"))?;
    check_info(info)
}

/// Checks an info dictionary alone (metadata received for a magnet link).
pub fn check_info_dict(data: &[u8]) -> Result<Checked, TorrentError> {
    check_info(bencode::parse(data)?)
}

fn check_info(info: Value<'_>) -> Result<Checked, TorrentError> {
    let info = info
        .as_dict()
        .ok_or_else(|| field("info is not a dictionary"))?;
    let name = match get(info, b"name")? {
        Some(name) => name
            .as_bytes()
            .ok_or_else(|| field("name is not a string"))?,
        None => return Err(field("the torrent has no name")),
    };
    let piece_length = match get(info, b"piece length")? {
        Some(value) => value
            .as_int()
            .ok_or_else(|| field("piece length is not an integer"))?,
        None => return Err(field("the torrent has no piece length")),
    };
    let piece_length =
        u64::try_from(piece_length).map_err(|_| field("piece length is negative"))?;
    let sane = piece_length > 0
        && piece_length <= MAX_PIECE_LENGTH
        && ((piece_length.is_power_of_two() && piece_length >= MIN_PIECE_LENGTH)
            || piece_length.is_multiple_of(16 * 1024));
    if !sane {
        return Err(TorrentError::PieceLength(piece_length));
    }
    let pieces = match get(info, b"pieces")? {
        Some(value) => value
            .as_bytes()
            .ok_or_else(|| field("pieces is not a string"))?,
        None => return Err(field("the torrent has no pieces")),
    };
    let single = get(info, b"length")?;
    let list = get(info, b"files")?;
    let mut files = Vec::new();
    let multi_file = match (single, list) {
        (Some(value), None) => {
            let length = length(value, "length")?;
            files.push(CheckedFile {
                components: vec![name.to_vec()],
                length,
                padding: false,
            });
            false
        }
        (None, Some(value)) => {
            let list = value
                .as_list()
                .ok_or_else(|| field("files is not a list"))?;
            for entry in list.iter() {
                files.push(file_entry(entry)?);
            }
            if files.is_empty() {
                return Err(field("the files list is empty"));
            }
            true
        }
        (Some(_), Some(_)) => {
            return Err(field("the torrent has both length and files"));
        }
        (None, None) => {
            return Err(field(
                "the torrent has neither length nor files (v2-only torrents are not supported)",
            ));
        }
    };
    if let Some(why) = component_problem(name) {
        return Err(TorrentError::Path {
            path: String::from_utf8_lossy(name).into_owned(),
            why: if why == "has an empty component" {
                "the torrent's name is empty"
            } else {
                why
            },
        });
    }
    for file in &files {
        if file.components.is_empty() {
            return Err(TorrentError::Path {
                path: String::new(),
                why: "has no components",
            });
        }
        if let Some(why) = file.components.iter().find_map(|c| component_problem(c)) {
            return Err(TorrentError::Path {
                path: show(&file.components),
                why,
            });
        }
    }
    let total_length = files
        .iter()
        .try_fold(0u64, |sum, f| sum.checked_add(f.length))
        .ok_or_else(|| field("the file lengths add up to more than 2^64 bytes"))?;
    if total_length == 0 {
        return Err(field("the torrent holds no data (every file is empty)"));
    }
    let count = total_length.div_ceil(piece_length);
    let expected = count.saturating_mul(20);
    if count > u64::from(u32::MAX) || pieces.len() as u64 != expected {
        return Err(TorrentError::Pieces {
            got: pieces.len(),
            total: total_length,
            piece_length,
            count,
            expected,
        });
    }
    let checked = Checked {
        name: name.to_vec(),
        multi_file,
        files,
        piece_length,
        total_length,
    };
    checked.check_collisions(|c| c.to_vec())?;
    Ok(checked)
}

fn file_entry(entry: Value<'_>) -> Result<CheckedFile, TorrentError> {
    let entry = entry
        .as_dict()
        .ok_or_else(|| field("an entry of files is not a dictionary"))?;
    let length = match get(entry, b"length")? {
        Some(value) => length(value, "a file's length")?,
        None => return Err(field("a file has no length")),
    };
    let path = get(entry, b"path")?
        .ok_or_else(|| field("a file has no path"))?
        .as_list()
        .ok_or_else(|| field("a file's path is not a list"))?;
    let mut components = Vec::new();
    for component in path.iter() {
        let part = component
            .as_bytes()
            .ok_or_else(|| field("a file's path holds a non-string"))?;
        components.push(part.to_vec());
    }
    let padding = match get(entry, b"attr")? {
        Some(attr) => attr.as_bytes().is_some_and(|attr| attr.contains(&b'p')),
        None => false,
    };
    Ok(CheckedFile {
        components,
        length,
        padding,
    })
}

/// Why `c` cannot be one component of a path, if it cannot.
fn component_problem(c: &[u8]) -> Option<&'static str> {
    if c.is_empty() {
        Some("has an empty component")
    } else if c == b"." {
        Some("has a \".\" component")
    } else if c == b".." {
        Some("has a \"..\" component (path traversal)")
    } else if c.contains(&b'/') || c.contains(&b'\\') {
        Some("has a component with a / or \\ separator (or is absolute)")
    } else if c.contains(&0) {
        Some("has a component with a NUL byte")
    } else if c.len() > MAX_COMPONENT_BYTES {
        Some("has a component longer than 255 bytes")
    } else if !single_normal_component(c) {
        Some("has a component this system reads as a drive or root")
    } else {
        None
    }
}

fn single_normal_component(c: &[u8]) -> bool {
    let text = String::from_utf8_lossy(c);
    let mut parts = std::path::Path::new(text.as_ref()).components();
    matches!(parts.next(), Some(std::path::Component::Normal(_))) && parts.next().is_none()
}

fn show(components: &[Vec<u8>]) -> String {
    components
        .iter()
        .map(|c| String::from_utf8_lossy(c))
        .collect::<Vec<_>>()
        .join("/")
}

fn field(why: &str) -> TorrentError {
    TorrentError::Field(why.to_owned())
}

fn length(value: Value<'_>, what: &str) -> Result<u64, TorrentError> {
    let value = value
        .as_int()
        .ok_or_else(|| field(&format!("{what} is not an integer")))?;
    u64::try_from(value).map_err(|_| field(&format!("{what} is negative")))
}

/// The value of `key` in `dict`; a key given twice is refused (parsers disagree on
/// which one wins).
fn get<'a>(dict: Dict<'a>, key: &[u8]) -> Result<Option<Value<'a>>, TorrentError> {
    dict.get(key).map_err(|e| field(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny bencode writer for tests.
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
                    items.iter().for_each(|i| i.encode(out));
                    out.push(b'e');
                }
                B::D(items) => {
                    out.push(b'd');
                    for (k, v) in items {
                        B::S(k.as_bytes().to_vec()).encode(out);
                        v.encode(out);
                    }
                    out.push(b'e');
                }
            }
        }
    }

    fn s(text: &str) -> B {
        B::S(text.as_bytes().to_vec())
    }

    fn torrent(name: &str, piece_length: i128, files: &[(&[&[u8]], i128)]) -> Vec<u8> {
        let total: i128 = files.iter().map(|f| f.1.max(0)).sum();
        let count = if piece_length > 0 {
            (total + piece_length - 1) / piece_length
        } else {
            1
        };
        let list = files
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
            .collect();
        let info = B::D(vec![
            ("files", B::L(list)),
            ("name", s(name)),
            ("piece length", B::I(piece_length)),
            // Huge totals (overflow tests) get a token string: they fail earlier.
            ("pieces", B::S(vec![7; (count * 20).min(1 << 20) as usize])),
        ]);
        let mut out = Vec::new();
        B::D(vec![("info", info)]).encode(&mut out);
        out
    }

    #[test]
    fn accepts_an_ordinary_torrent() {
        let t = torrent(
            "Album",
            256 * 1024,
            &[(&[b"cd1", b"01.flac"], 300_000), (&[b"cover.jpg"], 5)],
        );
        let c = check(&t).unwrap();
        assert_eq!(c.name, b"Album");
        assert!(c.multi_file);
        assert_eq!(c.total_length, 300_005);
        assert_eq!(c.files.len(), 2);
        // Odd but real sizes.
        for pl in [
            16 * 1024 * 3,
            1024,
            64 * 1024 * 1024,
            MAX_PIECE_LENGTH as i128,
        ] {
            assert!(check(&torrent("x", pl, &[(&[b"f"], 10)])).is_ok(), "{pl}");
        }
    }

    #[test]
    fn refuses_insane_pieces() {
        for pl in [
            0,
            3,
            1000,
            512,
            -16384,
            MAX_PIECE_LENGTH as i128 * 2,
            1 << 40,
        ] {
            let err = check(&torrent("x", pl, &[(&[b"f"], 10)])).unwrap_err();
            assert!(err.to_string().contains("piece length"), "{pl}: {err}");
        }
        let mut t = torrent("x", 16384, &[(&[b"f"], 16385)]);
        // Two pieces need 40 bytes; give 39 (as "39:" + 39 bytes).
        let at = t.windows(3).position(|w| w == b"40:").unwrap();
        t.splice(at..at + 3, b"39:".iter().copied());
        t.remove(at + 3);
        let err = check(&t).unwrap_err().to_string();
        assert!(err.contains("need 2 SHA-1 hashes"), "{err}");
    }

    #[test]
    fn refuses_paths_that_leave_the_folder() {
        let cases: Vec<(&str, Vec<&[u8]>, &str)> = vec![
            ("x", vec![b"..", b"etc"], ".."),
            ("x", vec![b"a", b"."], "\".\""),
            ("x", vec![b""], "empty"),
            ("x", vec![b"a/b"], "separator"),
            ("x", vec![b"/etc/passwd"], "separator"),
            ("x", vec![b"a\\..\\b"], "separator"),
            ("x", vec![b"a\0b"], "NUL"),
            ("..", vec![b"f"], ".."),
            ("../x", vec![b"f"], "separator"),
            ("", vec![b"f"], "name is empty"),
            (".", vec![b"f"], "\".\""),
        ];
        for (name, path, why) in cases {
            let err = check(&torrent(name, 16384, &[(&path[..], 5)]))
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{name} {path:?}: {err}");
        }
        let long = vec![b'a'; 256];
        let err = check(&torrent("x", 16384, &[(&[&long], 5)])).unwrap_err();
        assert!(err.to_string().contains("255"), "{err}");
        let err = check(&torrent("x", 16384, &[(&[], 5)])).unwrap_err();
        assert!(err.to_string().contains("no components"), "{err}");
    }

    #[test]
    fn refuses_collisions() {
        for files in [
            vec![(&[&b"a"[..]][..], 1), (&[&b"a"[..]][..], 2)],
            vec![(&[&b"a"[..]][..], 1), (&[&b"a"[..], &b"b"[..]][..], 2)],
            vec![(&[&b"a"[..], &b"b"[..]][..], 1), (&[&b"a"[..]][..], 2)],
        ] {
            let err = check(&torrent("x", 16384, &files)).unwrap_err();
            assert!(matches!(err, TorrentError::Collision { .. }), "{err}");
            assert!(err.to_string().contains("\"a"), "{err}");
        }
        // Distinct raw bytes that decode to the same name are caught after decoding.
        let t = torrent("x", 16384, &[(&[b"\xff"], 1), (&[b"\xfe"], 2)]);
        let checked = check(&t).unwrap();
        let err = checked
            .check_collisions(|c| String::from_utf8_lossy(c).into_owned().into_bytes())
            .unwrap_err();
        assert!(matches!(err, TorrentError::Collision { .. }), "{err}");
    }

    #[test]
    fn refuses_structural_problems() {
        let mut both = Vec::new();
        B::D(vec![(
            "info",
            B::D(vec![
                ("files", B::L(vec![])),
                ("length", B::I(3)),
                ("name", s("x")),
                ("piece length", B::I(16384)),
                ("pieces", B::S(vec![0; 20])),
            ]),
        )])
        .encode(&mut both);
        assert!(check(&both).unwrap_err().to_string().contains("both"));
        let overflow = torrent(
            "x",
            16384,
            &[(&[b"a"], u64::MAX as i128), (&[b"b"], u64::MAX as i128)],
        );
        assert!(check(&overflow).unwrap_err().to_string().contains("2^64"));
        let negative = torrent("x", 16384, &[(&[b"a"], -5)]);
        assert!(
            check(&negative)
                .unwrap_err()
                .to_string()
                .contains("negative")
        );
        let empty = torrent("x", 16384, &[]);
        assert!(check(&empty).unwrap_err().to_string().contains("empty"));
        assert!(check(b"de").unwrap_err().to_string().contains("no info"));
        assert_eq!(
            check(b"i1e").unwrap_err().to_string(),
            "the file is not a bencoded dictionary"
        );
        assert_eq!(
            check(b"l").unwrap_err().to_string(),
            "the data ends inside a list or dictionary (truncated?)"
        );
        assert_eq!(
            check_info_dict(b"le").unwrap_err().to_string(),
            "info is not a dictionary"
        );
        assert!(
            check(b"d4:infod4:name1:x4:name1:yee")
                .unwrap_err()
                .to_string()
                .contains("twice")
        );
    }

    #[test]
    fn caps_the_number_of_files() {
        let names: Vec<Vec<u8>> = (0..5).map(|i| format!("f{i}").into_bytes()).collect();
        let paths: Vec<[&[u8]; 1]> = names.iter().map(|n| [&n[..]]).collect();
        let files: Vec<(&[&[u8]], i128)> = paths.iter().map(|p| (&p[..], 1)).collect();
        let checked = check(&torrent("x", 16384, &files)).unwrap();
        assert_eq!(checked.check_file_count(5), Ok(()));
        let err = checked.check_file_count(4).unwrap_err();
        assert_eq!(err, TorrentError::TooManyFiles { count: 5, cap: 4 });
        let text = err.to_string();
        assert!(
            text.contains("5 files") && text.contains("at most 4"),
            "{text}"
        );
    }

    #[test]
    fn the_cap_follows_the_open_file_limit() {
        assert_eq!(cap_for_limit(None), usize::MAX);
        assert_eq!(cap_for_limit(Some(1_048_576)), 524_224);
        assert_eq!(cap_for_limit(Some(1024)), 448);
        assert_eq!(cap_for_limit(Some(100)), 1);
        assert!(open_file_cap() >= 1);
    }

    #[test]
    fn a_real_librqbit_torrent_passes() {
        // Single-file, written by the same shape as create_torrent's output.
        let mut t = Vec::new();
        B::D(vec![
            ("announce", s("http://127.0.0.1:1/announce")),
            (
                "info",
                B::D(vec![
                    ("length", B::I(600_000)),
                    ("name", s("t.bin")),
                    ("piece length", B::I(262_144)),
                    ("pieces", B::S(vec![1; 60])),
                ]),
            ),
        ])
        .encode(&mut t);
        let c = check(&t).unwrap();
        assert!(!c.multi_file);
        assert_eq!(c.files[0].components, vec![b"t.bin".to_vec()]);
    }
}
