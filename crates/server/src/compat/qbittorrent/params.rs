//! A qBittorrent API call's parameters: the query string and the body (urlencoded or
//! multipart) merged, as clients send them either way; file parts of a multipart body
//! are .torrent files whatever their field name. Values are read leniently: booleans in
//! any case, hash lists separated by `|` (or `all`), tags by `,`.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use bytes::Bytes;
use cloud_torrent_engine::InfoHash;

use super::Failure;

/// The parameters of one call.
#[derive(Debug, Default)]
pub struct Params {
    fields: HashMap<String, String>,
    /// The .torrent files of a multipart body: (file name, bytes).
    pub files: Vec<(String, Bytes)>,
}

/// Which torrents a `hashes` parameter names.
pub enum Hashes {
    /// `all`.
    All,
    /// These (unknown or malformed ones are skipped, as qBittorrent does).
    Some(Vec<InfoHash>),
}

impl Params {
    /// Reads the query and the body of `req`.
    pub async fn read(req: Request) -> Result<Params, Failure> {
        let mut params = Params::default();
        if let Some(query) = req.uri().query() {
            params.add_urlencoded(query.as_bytes());
        }
        let content_type = crate::extract::content_type(req.headers());
        if content_type == "multipart/form-data" {
            let mut multipart = Multipart::from_request(req, &())
                .await
                .map_err(|e| Failure::BadParams(e.body_text()))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|e| Failure::BadParams(e.body_text()))?
            {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().map(str::to_owned);
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| Failure::BadParams(e.body_text()))?;
                match file_name {
                    Some(file_name) => params.files.push((file_name, data)),
                    None => {
                        params
                            .fields
                            .insert(name, String::from_utf8_lossy(&data).into_owned());
                    }
                }
            }
        } else if content_type == "application/x-www-form-urlencoded" {
            let body = Bytes::from_request(req, &())
                .await
                .map_err(|e| Failure::BadParams(e.body_text()))?;
            params.add_urlencoded(&body);
        }
        Ok(params)
    }

    fn add_urlencoded(&mut self, bytes: &[u8]) {
        for (key, value) in form_urlencoded_pairs(bytes) {
            self.fields.insert(key, value);
        }
    }

    /// A parameter, as given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str)
    }

    /// A parameter that must be there.
    pub fn require(&self, key: &str) -> Result<&str, Failure> {
        self.get(key)
            .ok_or_else(|| Failure::BadParams(format!("Missing required parameter: {key}")))
    }

    /// A boolean: `true`/`false` in any case (and 1/0).
    pub fn bool(&self, key: &str) -> Option<bool> {
        match self.get(key)?.trim().to_ascii_lowercase().as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        }
    }

    /// A number.
    pub fn number<T: std::str::FromStr>(&self, key: &str) -> Result<Option<T>, Failure> {
        self.get(key)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| Failure::BadParams(format!("{key}: not a number")))
            })
            .transpose()
    }

    /// The torrents `hashes` names (required).
    pub fn hashes(&self) -> Result<Hashes, Failure> {
        let raw = self.require("hashes")?;
        Ok(parse_hashes(raw))
    }

    /// A comma-separated list (tags), trimmed, without empty items.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// `h1|h2` or `all`.
pub fn parse_hashes(raw: &str) -> Hashes {
    if raw.trim().eq_ignore_ascii_case("all") {
        return Hashes::All;
    }
    Hashes::Some(
        raw.split('|')
            .filter_map(|h| h.trim().to_ascii_lowercase().parse().ok())
            .collect(),
    )
}

fn form_urlencoded_pairs(bytes: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(bytes).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_read_leniently() {
        let mut p = Params::default();
        p.add_urlencoded(b"paused=True&stopped=FALSE&tags=a,%20b,,c&ratio=1.5&hashes=ABCDEF0123456789abcdef0123456789ABCDEF01|bad|all2");
        assert_eq!(p.bool("paused"), Some(true));
        assert_eq!(p.bool("stopped"), Some(false));
        assert_eq!(p.list("tags"), ["a", "b", "c"]);
        assert_eq!(p.number::<f64>("ratio").unwrap(), Some(1.5));
        assert!(p.number::<f64>("tags").is_err());
        let Hashes::Some(hashes) = p.hashes().unwrap() else {
            panic!("a list")
        };
        assert_eq!(hashes.len(), 1, "the malformed ones are skipped");
        assert!(matches!(parse_hashes("ALL"), Hashes::All));
        assert!(p.require("nothing").is_err());
    }
}
