//! A check of bencoded data run before librqbit parses it.
//!
//! librqbit's bencode decoder recurses once per nested list or dictionary, so a
//! small file of deeply nested lists overflows the stack and aborts the whole
//! process. This scanner walks the data without recursion and refuses it when
//! it nests too deeply or is not well-formed bencode.

/// Deepest nesting accepted. Real .torrent files need about 5 levels.
pub const MAX_DEPTH: usize = 64;

/// Checks that `data` is exactly one well-formed bencoded value nested at most
/// [`MAX_DEPTH`] levels deep. The error says what is wrong and where.
pub fn check(data: &[u8]) -> Result<(), String> {
    let mut depth = 0usize;
    let mut pos = 0usize;
    let mut seen_value = false;
    while pos < data.len() {
        if depth == 0 && seen_value {
            return Err(format!("unexpected data after the end at byte {pos}"));
        }
        match data[pos] {
            b'l' | b'd' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(format!("nested more than {MAX_DEPTH} levels deep"));
                }
                pos += 1;
            }
            b'e' => {
                if depth == 0 {
                    return Err(format!("unbalanced end marker at byte {pos}"));
                }
                depth -= 1;
                pos += 1;
                seen_value = depth == 0;
            }
            b'i' => {
                let end = data[pos..]
                    .iter()
                    .position(|&b| b == b'e')
                    .ok_or_else(|| format!("unterminated integer at byte {pos}"))?;
                let digits = &data[pos + 1..pos + end];
                let body = digits.strip_prefix(b"-").unwrap_or(digits);
                if body.is_empty() || !body.iter().all(u8::is_ascii_digit) {
                    return Err(format!("malformed integer at byte {pos}"));
                }
                pos += end + 1;
                seen_value = depth == 0;
            }
            b'0'..=b'9' => {
                let colon = data[pos..]
                    .iter()
                    .take(21)
                    .position(|&b| b == b':')
                    .ok_or_else(|| format!("malformed string length at byte {pos}"))?;
                let len_text = &data[pos..pos + colon];
                if !len_text.iter().all(u8::is_ascii_digit) {
                    return Err(format!("malformed string length at byte {pos}"));
                }
                let len: usize = std::str::from_utf8(len_text)
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .ok_or_else(|| format!("malformed string length at byte {pos}"))?;
                let start = pos + colon + 1;
                if len > data.len().saturating_sub(start) {
                    return Err(format!(
                        "string at byte {pos} runs past the end of the data"
                    ));
                }
                pos = start + len;
                seen_value = depth == 0;
            }
            other => {
                return Err(format!("unexpected byte 0x{other:02x} at byte {pos}"));
            }
        }
    }
    if depth != 0 {
        return Err("the data ends inside a list or dictionary (truncated?)".into());
    }
    if !seen_value {
        return Err("the data is empty".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_well_formed_values() {
        for ok in [
            &b"i42e"[..],
            b"i-3e",
            b"4:spam",
            b"0:",
            b"le",
            b"de",
            b"d3:cow3:moo4:spaml1:a1:bee",
            b"l",
        ] {
            let r = check(ok);
            if ok == b"l" {
                assert!(r.is_err());
            } else {
                assert!(r.is_ok(), "{:?}: {r:?}", String::from_utf8_lossy(ok));
            }
        }
    }

    #[test]
    fn refuses_deep_nesting_without_recursing() {
        let mut deep = vec![b'l'; 200_000];
        deep.extend(vec![b'e'; 200_000]);
        let err = check(&deep).unwrap_err();
        assert!(err.contains("nested more than 64"), "{err}");
        let mut ok = vec![b'l'; MAX_DEPTH];
        ok.extend(vec![b'e'; MAX_DEPTH]);
        assert!(check(&ok).is_ok());
    }

    #[test]
    fn refuses_malformed_data() {
        for bad in [
            &b""[..],
            b"x",
            b"i12",
            b"ie",
            b"i1x2e",
            b"5:abc",
            b"e",
            b"lee",
            b"4:spamextra",
            b"99999999999999999999999:x",
            b"d",
        ] {
            assert!(check(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    /// Random bytes and random mutations of a valid torrent never panic.
    #[test]
    fn never_panics_on_random_input() {
        let mut x: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let valid = b"d8:announce9:http://x/4:infod6:lengthi5e4:name1:a12:piece lengthi16384e6:pieces20:aaaaaaaaaaaaaaaaaaaaee";
        assert!(check(valid).is_ok());
        for _ in 0..20_000 {
            let mut data = valid.to_vec();
            for _ in 0..(next() % 4 + 1) {
                let i = (next() as usize) % data.len();
                data[i] = next() as u8;
            }
            let _ = check(&data);
            let random: Vec<u8> = (0..(next() % 64)).map(|_| next() as u8).collect();
            let _ = check(&random);
        }
    }
}
