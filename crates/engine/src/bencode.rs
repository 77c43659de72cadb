//! The engine's one bencode reader: .torrent files and info dictionaries are read
//! through it before librqbit sees them.
//!
//! [`parse`] checks, in one pass that neither recurses nor allocates, that the data
//! is exactly one well-formed value nested at most [`MAX_DEPTH`] levels deep, and
//! says what is wrong and at which byte. librqbit's decoder recurses once per
//! nesting level, so a small file of deeply nested lists would cost it a deep
//! stack; such a file is refused here first. The [`Value`] that [`parse`] returns
//! is then read in place: strings borrow the input, lists and dictionaries are
//! walked without building a tree (a 10 MiB file of tiny items costs no memory),
//! and [`Value::raw`] gives a value's exact bytes, which is what an info hash is
//! computed over.
//!
//! It accepts what librqbit accepts although BEP 3 forbids it: integers and string
//! lengths with leading zeros, `i-0e`, and dictionary keys out of order. A key given
//! twice is reported by [`Dict::get`], for the keys a caller looks up: parsers
//! disagree on which of the two wins.
//!
//! Why not a published crate: bendy enforces the canonical form (sorted keys, no
//! leading zeros), so it would refuse torrents that librqbit loads; serde_bencode
//! and librqbit's own decoder build values recursively, and none of them says at
//! which byte the data is wrong. What the guards need — a non-recursive check with
//! its own depth limit, in-place reading and the exact bytes of the info
//! dictionary — is this small module.

/// Deepest nesting accepted. Real .torrent files need about 5 levels.
pub const MAX_DEPTH: usize = 64;

/// Why bytes are not one well-formed bencoded value. Positions count from 0.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BencodeError {
    /// No bytes at all.
    #[error("the data is empty")]
    Empty,
    /// Lists and dictionaries nested deeper than [`MAX_DEPTH`].
    #[error("nested more than {MAX_DEPTH} levels deep")]
    TooDeep,
    /// Bytes after the end of the one value.
    #[error("unexpected data after the end at byte {0}")]
    TrailingData(usize),
    /// An `e` with no list or dictionary open.
    #[error("unbalanced end marker at byte {0}")]
    UnbalancedEnd(usize),
    /// An `i` without a closing `e`.
    #[error("unterminated integer at byte {0}")]
    UnterminatedInteger(usize),
    /// An integer that is not an optional `-` and at least one digit.
    #[error("malformed integer at byte {0}")]
    MalformedInteger(usize),
    /// A string whose length is not up to 20 digits followed by `:`.
    #[error("malformed string length at byte {0}")]
    MalformedStringLength(usize),
    /// A string longer than the bytes left.
    #[error("string at byte {0} runs past the end of the data")]
    StringPastEnd(usize),
    /// A byte that cannot start a value.
    #[error("unexpected byte 0x{byte:02x} at byte {at}")]
    UnexpectedByte {
        /// The byte.
        byte: u8,
        /// Where it is.
        at: usize,
    },
    /// The data stops inside a list or dictionary.
    #[error("the data ends inside a list or dictionary (truncated?)")]
    Truncated,
    /// A dictionary key that is an integer, list or dictionary.
    #[error("dictionary key at byte {0} is not a string")]
    KeyNotString(usize),
    /// A dictionary that ends right after a key.
    #[error("dictionary key at byte {0} has no value")]
    KeyWithoutValue(usize),
}

/// A dictionary holds the key [`Dict::get`] was asked for more than once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the key {key:?} appears twice")]
pub struct DuplicateKey {
    /// The key, lossily decoded as UTF-8.
    pub key: String,
}

/// Checks that `data` is exactly one well-formed bencoded value nested at most
/// [`MAX_DEPTH`] levels deep, and returns it.
pub fn parse(data: &[u8]) -> Result<Value<'_>, BencodeError> {
    // What each open container expects next; a fixed array, so nothing is allocated.
    let mut open = [Expect::Item; MAX_DEPTH];
    let mut depth = 0usize;
    let mut pos = 0usize;
    let mut complete = false;
    while pos < data.len() {
        if complete {
            return Err(BencodeError::TrailingData(pos));
        }
        let (token, next) = read_token(data, pos)?;
        if token == Token::End {
            match depth.checked_sub(1).map(|top| open[top]) {
                None => return Err(BencodeError::UnbalancedEnd(pos)),
                Some(Expect::Value { key_at }) => {
                    return Err(BencodeError::KeyWithoutValue(key_at));
                }
                Some(Expect::Item | Expect::Key) => depth -= 1,
            }
        } else {
            if let Some(top) = depth.checked_sub(1) {
                open[top] = match open[top] {
                    Expect::Item => Expect::Item,
                    Expect::Key if matches!(token, Token::Bytes(_)) => {
                        Expect::Value { key_at: pos }
                    }
                    Expect::Key => return Err(BencodeError::KeyNotString(pos)),
                    Expect::Value { .. } => Expect::Key,
                };
            }
            let opened = match token {
                Token::List => Some(Expect::Item),
                Token::Dict => Some(Expect::Key),
                _ => None,
            };
            if let Some(expect) = opened {
                if depth == MAX_DEPTH {
                    return Err(BencodeError::TooDeep);
                }
                open[depth] = expect;
                depth += 1;
            }
        }
        complete = depth == 0;
        pos = next;
    }
    if depth != 0 {
        return Err(BencodeError::Truncated);
    }
    if !complete {
        return Err(BencodeError::Empty);
    }
    Ok(Value { raw: data })
}

/// What an open list or dictionary expects as its next item.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Any value (a list).
    Item,
    /// A string key or the end (a dictionary).
    Key,
    /// The value of the key at `key_at`.
    Value { key_at: usize },
}

/// One lexical item of bencode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    List,
    Dict,
    End,
    /// The text between `i` and `e`: an optional `-` and digits.
    Int(&'a [u8]),
    /// The bytes of a string.
    Bytes(&'a [u8]),
}

/// Longest string length accepted, in digits (`u64::MAX` has 20).
const MAX_LENGTH_DIGITS: usize = 20;

/// Reads the token at `at` (which must be inside `data`) and returns it with the
/// offset just past it.
fn read_token(data: &[u8], at: usize) -> Result<(Token<'_>, usize), BencodeError> {
    let rest = &data[at..];
    match rest.first() {
        Some(b'l') => Ok((Token::List, at + 1)),
        Some(b'd') => Ok((Token::Dict, at + 1)),
        Some(b'e') => Ok((Token::End, at + 1)),
        Some(b'i') => {
            let end = rest
                .iter()
                .position(|&b| b == b'e')
                .ok_or(BencodeError::UnterminatedInteger(at))?;
            let text = &rest[1..end];
            let digits = text.strip_prefix(b"-").unwrap_or(text);
            if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
                return Err(BencodeError::MalformedInteger(at));
            }
            Ok((Token::Int(text), at + end + 1))
        }
        Some(b'0'..=b'9') => {
            let malformed = BencodeError::MalformedStringLength(at);
            let colon = rest
                .iter()
                .take(MAX_LENGTH_DIGITS + 1)
                .position(|&b| b == b':')
                .ok_or(malformed.clone())?;
            let length = &rest[..colon];
            if !length.iter().all(u8::is_ascii_digit) {
                return Err(malformed);
            }
            let length: usize = std::str::from_utf8(length)
                .ok()
                .and_then(|s| s.parse().ok())
                .ok_or(malformed)?;
            let body = &rest[colon + 1..];
            let bytes = body.get(..length).ok_or(BencodeError::StringPastEnd(at))?;
            Ok((Token::Bytes(bytes), at + colon + 1 + length))
        }
        Some(&byte) => Err(BencodeError::UnexpectedByte { byte, at }),
        None => Err(BencodeError::Truncated),
    }
}

/// The length of the value at the start of `data`, well-formed bencode (a part of
/// what [`parse`] accepted). `None` only if it is not.
fn value_len(data: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut pos = 0usize;
    loop {
        let (token, next) = read_token(data, pos).ok()?;
        match token {
            Token::List | Token::Dict => depth += 1,
            Token::End => depth = depth.checked_sub(1)?,
            Token::Int(_) | Token::Bytes(_) => {}
        }
        pos = next;
        if depth == 0 {
            return Some(pos);
        }
        if pos >= data.len() {
            return None;
        }
    }
}

/// The dictionary `data` without the entries whose keys are in `keys`, every
/// other entry byte for byte as it was (so the info dictionary of a .torrent, and
/// its hash, are untouched); `None` when `data` is not one dictionary.
pub fn dict_without(data: &[u8], keys: &[&[u8]]) -> Option<Vec<u8>> {
    let dict = parse(data).ok()?.as_dict()?;
    let mut out = Vec::with_capacity(data.len());
    out.push(b'd');
    for (key, value) in dict.entries() {
        if keys.contains(&key) {
            continue;
        }
        out.extend_from_slice(key.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(key);
        out.extend_from_slice(value.raw());
    }
    out.push(b'e');
    Some(out)
}

/// The .torrent `data` announcing to `urls` (each its own tier): its `announce`
/// and `announce-list` replaced (left out when `urls` is empty), every other entry
/// byte for byte as it was, so its info hash is untouched; `None` when `data` is
/// not one dictionary.
pub fn with_trackers(data: &[u8], urls: &[String]) -> Option<Vec<u8>> {
    fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
        out.extend_from_slice(bytes.len().to_string().as_bytes());
        out.push(b':');
        out.extend_from_slice(bytes);
    }
    let dict = parse(data).ok()?.as_dict()?;
    let announce = |out: &mut Vec<u8>| {
        let Some(first) = urls.first() else {
            return;
        };
        put_bytes(out, b"announce");
        put_bytes(out, first.as_bytes());
        put_bytes(out, b"announce-list");
        out.push(b'l');
        for url in urls {
            out.push(b'l');
            put_bytes(out, url.as_bytes());
            out.push(b'e');
        }
        out.push(b'e');
    };
    let mut out = Vec::with_capacity(data.len() + urls.iter().map(|u| u.len() + 8).sum::<usize>());
    out.push(b'd');
    let mut announced = false;
    for (key, value) in dict.entries() {
        if key == b"announce" || key == b"announce-list" {
            continue;
        }
        // Keys in order: the trackers go before the first key that sorts after them.
        if !announced && key > b"announce-list".as_slice() {
            announce(&mut out);
            announced = true;
        }
        put_bytes(&mut out, key);
        out.extend_from_slice(value.raw());
    }
    if !announced {
        announce(&mut out);
    }
    out.push(b'e');
    Some(out)
}

/// What a .torrent file says of itself besides its content: its comment, the
/// program that made it, when, and whether it is private.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct About {
    pub comment: Option<String>,
    pub created_by: Option<String>,
    /// Seconds since 1970.
    pub created_at: Option<i64>,
    pub private: bool,
}

/// [`About`] of the .torrent `data`; nothing when it does not read.
pub fn about(data: &[u8]) -> About {
    let Some(top) = parse(data).ok().and_then(|v| v.as_dict()) else {
        return About::default();
    };
    let text = |key: &[u8]| {
        let bytes = top.get(key).ok().flatten()?.as_bytes()?;
        let text = String::from_utf8_lossy(bytes).trim().to_owned();
        (!text.is_empty()).then_some(text)
    };
    let private = top
        .get(b"info")
        .ok()
        .flatten()
        .and_then(|info| info.as_dict()?.get(b"private").ok().flatten()?.as_int())
        == Some(1);
    About {
        comment: text(b"comment"),
        created_by: text(b"created by"),
        created_at: top
            .get(b"creation date")
            .ok()
            .flatten()
            .and_then(|v| i64::try_from(v.as_int()?).ok()),
        private,
    }
}

/// One value of data that [`parse`] accepted, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value<'a> {
    /// The value's exact bytes.
    raw: &'a [u8],
}

impl<'a> Value<'a> {
    /// The value's exact bytes, as they are in the input (an info hash is the SHA-1
    /// of the info dictionary's).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    /// The integer, if the value is one that fits in an `i128`.
    pub fn as_int(&self) -> Option<i128> {
        match read_token(self.raw, 0).ok()? {
            (Token::Int(text), _) => std::str::from_utf8(text).ok()?.parse().ok(),
            _ => None,
        }
    }

    /// The bytes, if the value is a string.
    pub fn as_bytes(&self) -> Option<&'a [u8]> {
        match read_token(self.raw, 0).ok()? {
            (Token::Bytes(bytes), _) => Some(bytes),
            _ => None,
        }
    }

    /// The list, if the value is one.
    pub fn as_list(&self) -> Option<List<'a>> {
        (self.raw.first() == Some(&b'l')).then_some(List { raw: self.raw })
    }

    /// The dictionary, if the value is one.
    pub fn as_dict(&self) -> Option<Dict<'a>> {
        (self.raw.first() == Some(&b'd')).then_some(Dict { raw: self.raw })
    }
}

/// The items of a list or dictionary in order (for a dictionary: key, value, key, …).
#[derive(Debug, Clone)]
struct Items<'a> {
    /// The container's bytes, from its `l` or `d` to its `e`.
    raw: &'a [u8],
    /// Offset of the next item.
    pos: usize,
}

impl<'a> Items<'a> {
    fn new(raw: &'a [u8]) -> Self {
        Items { raw, pos: 1 }
    }
}

impl<'a> Iterator for Items<'a> {
    type Item = Value<'a>;

    fn next(&mut self) -> Option<Value<'a>> {
        let rest = self.raw.get(self.pos..)?;
        if rest.first().is_none_or(|&b| b == b'e') {
            return None;
        }
        let len = value_len(rest)?;
        self.pos += len;
        Some(Value { raw: &rest[..len] })
    }
}

/// A bencoded list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct List<'a> {
    raw: &'a [u8],
}

impl<'a> List<'a> {
    /// The items in order.
    pub fn iter(&self) -> impl Iterator<Item = Value<'a>> + use<'a> {
        Items::new(self.raw)
    }
}

/// A bencoded dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dict<'a> {
    raw: &'a [u8],
}

impl<'a> Dict<'a> {
    /// The keys and values in the order they are written (not necessarily sorted).
    pub fn entries(&self) -> impl Iterator<Item = (&'a [u8], Value<'a>)> + use<'a> {
        let mut items = Items::new(self.raw);
        std::iter::from_fn(move || {
            let key = items.next()?.as_bytes()?;
            Some((key, items.next()?))
        })
    }

    /// The value of `key`, if the dictionary has it. A key given twice is an error.
    pub fn get(&self, key: &[u8]) -> Result<Option<Value<'a>>, DuplicateKey> {
        let mut found = None;
        for (k, value) in self.entries().filter(|(k, _)| *k == key) {
            if found.is_some() {
                return Err(DuplicateKey {
                    key: String::from_utf8_lossy(k).into_owned(),
                });
            }
            found = Some(value);
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(data: &[u8]) -> String {
        match parse(data) {
            Ok(v) => panic!("{:?} was accepted as {v:?}", String::from_utf8_lossy(data)),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn accepts_well_formed_values() {
        for ok in [
            &b"i42e"[..],
            b"i-3e",
            b"i0e",
            b"4:spam",
            b"0:",
            b"le",
            b"de",
            b"d3:cow3:moo4:spaml1:a1:bee",
            b"ld1:ai1eei2e4:spame",
        ] {
            let value = parse(ok).unwrap_or_else(|e| panic!("{:?}: {e}", ok));
            assert_eq!(value.raw(), ok);
        }
    }

    #[test]
    fn reads_values_in_place() {
        let data = b"d4:listli1e1:xe3:numi-42e3:str5:hello4:dictd1:ai1eee";
        let root = parse(data).unwrap().as_dict().unwrap();
        let keys: Vec<&[u8]> = root.entries().map(|(k, _)| k).collect();
        assert_eq!(keys, [&b"list"[..], b"num", b"str", b"dict"]);
        assert_eq!(root.get(b"num").unwrap().unwrap().as_int(), Some(-42));
        let text = root.get(b"str").unwrap().unwrap();
        assert_eq!(text.as_bytes(), Some(&b"hello"[..]));
        assert_eq!(text.as_int(), None);
        assert!(text.as_list().is_none() && text.as_dict().is_none());
        let list = root.get(b"list").unwrap().unwrap().as_list().unwrap();
        let items: Vec<Value> = list.iter().collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].as_int(), Some(1));
        assert_eq!(items[1].as_bytes(), Some(&b"x"[..]));
        let inner = root.get(b"dict").unwrap().unwrap();
        assert_eq!(inner.raw(), b"d1:ai1ee");
        assert_eq!(
            inner
                .as_dict()
                .unwrap()
                .get(b"a")
                .unwrap()
                .unwrap()
                .as_int(),
            Some(1)
        );
        assert_eq!(root.get(b"missing"), Ok(None));
        assert_eq!(parse(b"le").unwrap().as_list().unwrap().iter().count(), 0);
    }

    #[test]
    fn gives_the_exact_bytes_of_a_nested_dictionary() {
        // Unsorted keys and a leading zero: a re-encoding would differ from the input,
        // so the info hash must come from the input's own bytes.
        let info = &b"d4:name1:x6:lengthi05ee"[..];
        let mut data = b"d8:announce3:url4:info".to_vec();
        data.extend(info);
        data.extend(b"1:zi1ee");
        let root = parse(&data).unwrap().as_dict().unwrap();
        assert_eq!(root.get(b"info").unwrap().unwrap().raw(), info);
    }

    #[test]
    fn integers_may_have_leading_zeros_and_negative_zero_like_librqbit_accepts() {
        assert_eq!(parse(b"i007e").unwrap().as_int(), Some(7));
        assert_eq!(parse(b"i-0e").unwrap().as_int(), Some(0));
        assert_eq!(parse(b"i-012e").unwrap().as_int(), Some(-12));
        assert_eq!(parse(b"03:abc").unwrap().as_bytes(), Some(&b"abc"[..]));
        // Well-formed but too large for any field: not an integer to the guards.
        let huge = format!("i{}e", "9".repeat(60));
        assert_eq!(parse(huge.as_bytes()).unwrap().as_int(), None);
    }

    #[test]
    fn refuses_malformed_integers() {
        for bad in [
            &b"ie"[..],
            b"i-e",
            b"i--1e",
            b"i+1e",
            b"i1x2e",
            b"i 1e",
            b"i1.5e",
        ] {
            assert_eq!(error(bad), "malformed integer at byte 0", "{bad:?}");
        }
        assert_eq!(error(b"i12"), "unterminated integer at byte 0");
        assert_eq!(error(b"li1ei2"), "unterminated integer at byte 4");
    }

    #[test]
    fn refuses_bad_string_lengths_without_overflowing() {
        assert_eq!(
            error(b"5:abc"),
            "string at byte 0 runs past the end of the data"
        );
        // usize::MAX on 64-bit targets: the end would overflow if added blindly.
        assert_eq!(
            error(b"18446744073709551615:x"),
            "string at byte 0 runs past the end of the data"
        );
        // 20 digits beyond u64, and more than 20 digits.
        assert_eq!(
            error(b"99999999999999999999:x"),
            "malformed string length at byte 0"
        );
        assert_eq!(
            error(b"99999999999999999999999:x"),
            "malformed string length at byte 0"
        );
        assert_eq!(error(b"l1x:ae"), "malformed string length at byte 1");
        assert_eq!(error(b"12"), "malformed string length at byte 0");
    }

    #[test]
    fn refuses_truncated_input() {
        for bad in [
            &b"l"[..],
            b"d",
            b"li1e",
            b"d1:ai1e",
            b"ll4:spame",
            b"d4:spam",
        ] {
            assert_eq!(
                error(bad),
                "the data ends inside a list or dictionary (truncated?)",
                "{bad:?}"
            );
        }
        assert_eq!(error(b""), "the data is empty");
        assert_eq!(error(b"d4:spame"), "dictionary key at byte 1 has no value");
    }

    #[test]
    fn refuses_trailing_and_stray_bytes() {
        assert_eq!(
            error(b"4:spamextra"),
            "unexpected data after the end at byte 6"
        );
        assert_eq!(error(b"lee"), "unexpected data after the end at byte 2");
        assert_eq!(error(b"i1ei2e"), "unexpected data after the end at byte 3");
        assert_eq!(error(b"e"), "unbalanced end marker at byte 0");
        assert_eq!(error(b"x"), "unexpected byte 0x78 at byte 0");
        assert_eq!(error(b"l\xffe"), "unexpected byte 0xff at byte 1");
    }

    #[test]
    fn dictionary_keys_are_strings_each_with_a_value() {
        assert_eq!(
            error(b"di1ei2ee"),
            "dictionary key at byte 1 is not a string"
        );
        assert_eq!(
            error(b"d1:aleldee"),
            "dictionary key at byte 6 is not a string"
        );
        assert_eq!(
            error(b"d1:ai1e1:be"),
            "dictionary key at byte 7 has no value"
        );
    }

    #[test]
    fn unsorted_keys_are_read_and_a_duplicate_is_reported_when_looked_up() {
        let dict = parse(b"d1:bi2e1:ai1e1:bi3ee").unwrap().as_dict().unwrap();
        assert_eq!(dict.get(b"a").unwrap().unwrap().as_int(), Some(1));
        let err = dict.get(b"b").unwrap_err();
        assert_eq!(err.to_string(), "the key \"b\" appears twice");
    }

    #[test]
    fn limits_the_depth_without_recursing() {
        let mut deep = vec![b'l'; 200_000];
        deep.extend(vec![b'e'; 200_000]);
        assert_eq!(error(&deep), "nested more than 64 levels deep");
        let mut dicts = b"d1:a".repeat(MAX_DEPTH + 1);
        dicts.extend(b"i0e");
        dicts.extend(vec![b'e'; MAX_DEPTH + 1]);
        assert_eq!(error(&dicts), "nested more than 64 levels deep");
        let mut ok = vec![b'l'; MAX_DEPTH];
        ok.extend(vec![b'e'; MAX_DEPTH]);
        let mut value = parse(&ok).unwrap();
        for _ in 1..MAX_DEPTH {
            value = value.as_list().unwrap().iter().next().unwrap();
        }
        assert_eq!(value.raw(), b"le");
    }

    /// Random bytes and random mutations of a valid torrent never panic, and
    /// whatever is accepted can be walked to the end.
    #[test]
    fn never_panics_on_random_input() {
        fn walk(value: Value) -> usize {
            let mut stack = vec![value];
            let mut seen = 0;
            while let Some(v) = stack.pop() {
                seen += 1;
                let _ = (v.as_int(), v.as_bytes());
                if let Some(list) = v.as_list() {
                    stack.extend(list.iter());
                }
                if let Some(dict) = v.as_dict() {
                    let _ = dict.get(b"info");
                    stack.extend(dict.entries().map(|(_, v)| v));
                }
            }
            seen
        }
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let valid = b"d8:announce9:http://x/4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee";
        assert_eq!(walk(parse(valid).unwrap()), 7);
        for _ in 0..20_000 {
            let mut data = valid.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % data.len();
                data[i] = next() as u8;
            }
            if let Ok(value) = parse(&data) {
                walk(value);
            }
            let random: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            if let Ok(value) = parse(&random) {
                walk(value);
            }
        }
    }

    #[test]
    fn a_dictionary_loses_the_named_keys_and_keeps_the_rest_byte_for_byte() {
        let data = b"d8:announce3:url13:announce-listll3:urlee4:infod4:name1:xe1:zi-0ee";
        let out = dict_without(data, &[b"announce", b"announce-list"]).unwrap();
        assert_eq!(out, b"d4:infod4:name1:xe1:zi-0ee");
        assert_eq!(dict_without(b"li1ee", &[b"a"]), None);
        assert_eq!(dict_without(b"d1:ai1e", &[b"a"]), None);
    }

    #[test]
    fn a_torrent_says_its_comment_maker_date_and_privacy() {
        let data = b"d7:comment5:hello10:created by6:mktool13:creation datei1700000000e4:infod4:name1:x7:privatei1eee";
        assert_eq!(
            about(data),
            About {
                comment: Some("hello".into()),
                created_by: Some("mktool".into()),
                created_at: Some(1_700_000_000),
                private: true,
            }
        );
        assert_eq!(about(b"d4:infod4:name1:xee"), About::default());
        assert_eq!(about(b"not bencode"), About::default());
    }

    #[test]
    fn trackers_are_replaced_in_key_order_and_the_rest_kept() {
        let urls = ["http://a/announce".to_owned(), "udp://b:1".to_owned()];
        let with =
            with_trackers(b"d8:announce5:old:/7:comment2:hi4:infod4:name1:xee", &urls).unwrap();
        assert_eq!(
            String::from_utf8(with).unwrap(),
            "d8:announce17:http://a/announce13:announce-listll17:http://a/announceel9:udp://b:1ee\
             7:comment2:hi4:infod4:name1:xee"
        );
        // None before: they come before `info`; none after: none at all.
        let added = with_trackers(b"d4:infod4:name1:xee", &urls[1..]).unwrap();
        assert_eq!(
            added,
            b"d8:announce9:udp://b:113:announce-listll9:udp://b:1ee4:infod4:name1:xee"
        );
        assert_eq!(with_trackers(&added, &[]).unwrap(), b"d4:infod4:name1:xee");
        // Keys that all sort before them: the trackers come last.
        assert_eq!(
            with_trackers(b"d1:a1:be", &urls[1..]).unwrap(),
            b"d1:a1:b8:announce9:udp://b:113:announce-listll9:udp://b:1eee"
        );
        assert_eq!(with_trackers(b"i1e", &urls), None);
    }
}
