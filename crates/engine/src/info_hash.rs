//! The info hash, the identity of a torrent.

use std::fmt;
use std::str::FromStr;

use crate::error::EngineError;

/// A BitTorrent v1 info hash (SHA-1 of the info dictionary).
/// Displayed and parsed as 40 lowercase hexadecimal characters.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct InfoHash(pub [u8; 20]);

impl InfoHash {
    /// 40 lowercase hexadecimal characters.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses a base32 (32 characters) info hash as found in some magnets.
    pub(crate) fn from_base32(s: &str) -> Option<Self> {
        let s = s.to_ascii_uppercase();
        if s.len() != 32 {
            return None;
        }
        let mut out = [0u8; 20];
        let mut buffer: u64 = 0;
        let mut bits = 0;
        let mut idx = 0;
        for c in s.bytes() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'2'..=b'7' => c - b'2' + 26,
                _ => return None,
            };
            buffer = (buffer << 5) | u64::from(v);
            bits += 5;
            if bits >= 8 {
                bits -= 8;
                out[idx] = (buffer >> bits) as u8;
                idx += 1;
                buffer &= (1 << bits) - 1;
            }
        }
        Some(InfoHash(out))
    }
}

impl FromStr for InfoHash {
    type Err = EngineError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let invalid = || EngineError::InvalidInfoHash(s.chars().take(64).collect());
        if s.len() != 40 {
            return Err(invalid());
        }
        let mut out = [0u8; 20];
        hex::decode_to_slice(s, &mut out).map_err(|_| invalid())?;
        Ok(InfoHash(out))
    }
}

impl fmt::Display for InfoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for InfoHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "InfoHash({self})")
    }
}

impl serde::Serialize for InfoHash {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> serde::Deserialize<'de> for InfoHash {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_case() {
        let h: InfoHash = "AABBCCDDEEFF00112233445566778899AABBCCDD".parse().unwrap();
        assert_eq!(h.to_hex(), "aabbccddeeff00112233445566778899aabbccdd");
        assert!("abc".parse::<InfoHash>().is_err());
        assert!("zz".repeat(20).parse::<InfoHash>().is_err());
    }

    #[test]
    fn base32_matches_hex() {
        // base32 of 20 bytes of 0x00..0x13
        let bytes: Vec<u8> = (0u8..20).collect();
        let hex_hash: InfoHash = hex::encode(&bytes).parse().unwrap();
        let b32 = "AAAQEAYEAUDAOCAJBIFQYDIOB4IBCEQT";
        assert_eq!(InfoHash::from_base32(b32), Some(hex_hash));
    }
}
