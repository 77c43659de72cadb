//! The config file: TOML, or JSON when its name ends in `.json`; camelCase keys of
//! [`crate::SETTINGS`], unknown keys refused so that typos are caught. Reading it into
//! [`ConfigValues`], and changing some of its keys while keeping the rest of the file
//! (other keys, their order, and a TOML file's comments).

use std::path::Path;

use serde_json::{Map, Value};

use crate::{ConfigValues, setting};

/// Why the config file cannot be used: one line naming the file.
#[derive(Debug, thiserror::Error)]
#[error("config file {file}: {why}")]
pub struct FileError {
    /// The file's name as given.
    pub file: String,
    /// What is wrong, with the line for TOML syntax errors.
    pub why: String,
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Reads the file's settings over `values`; a missing file changes nothing. Returns the
/// keys the file sets.
pub fn read(path: &Path, values: &mut ConfigValues) -> Result<Vec<String>, FileError> {
    let fail = |why: String| FileError {
        file: path.display().to_string(),
        why,
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(fail(e.to_string())),
    };
    let map: Map<String, Value> = if is_json(path) {
        serde_json::from_str(&text).map_err(|e| fail(e.to_string()))?
    } else {
        toml::from_str(&text)
            .map_err(|e| fail(e.message().to_owned() + &locate(&text, e.span())))?
    };
    let mut keys = Vec::new();
    for (key, value) in &map {
        match setting(key) {
            Some(s) if s.in_file => {}
            Some(_) => {
                return Err(fail(format!(
                    "{key:?} cannot be set in the config file, only on the command line"
                )));
            }
            None => return Err(fail(format!("unknown setting {key:?}"))),
        }
        values
            .set_json(key, value)
            .map_err(|e| fail(e.to_string()))?;
        keys.push(key.clone());
    }
    Ok(keys)
}

fn locate(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    span.map(|s| {
        format!(
            " (line {})",
            text[..s.start.min(text.len())].lines().count().max(1)
        )
    })
    .unwrap_or_default()
}

/// The new text of a config file whose current text is `existing` after setting
/// `entries`: other keys, their order and a TOML file's comments are kept. `None`
/// when the current text no longer parses (the user must fix it by hand).
pub fn edit(path: &Path, existing: &str, entries: &[(&str, Value)]) -> Option<String> {
    if is_json(path) {
        let mut map: Map<String, Value> = if existing.trim().is_empty() {
            Map::new()
        } else {
            serde_json::from_str(existing).ok()?
        };
        for (key, value) in entries {
            map.insert((*key).to_owned(), value.clone());
        }
        return serde_json::to_string_pretty(&map).ok().map(|t| t + "\n");
    }
    let mut doc: toml_edit::DocumentMut = existing.parse().ok()?;
    for (key, value) in entries {
        // Null: the setting goes back to its default.
        let Some(mut new) = toml_value(value) else {
            doc.remove(key);
            continue;
        };
        match doc.get_mut(key).and_then(|item| item.as_value_mut()) {
            Some(old) => {
                // A comment after the old value stays after the new one.
                *new.decor_mut() = old.decor().clone();
                *old = new;
            }
            None => {
                doc.insert(key, toml_edit::Item::Value(new));
            }
        }
    }
    Some(doc.to_string())
}

/// A setting's JSON value as a TOML value (an object as an inline table); `None` for null.
fn toml_value(value: &Value) -> Option<toml_edit::Value> {
    Some(match value {
        Value::Null => return None,
        Value::Bool(b) => toml_edit::Value::from(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => toml_edit::Value::from(i),
            None => toml_edit::Value::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => toml_edit::Value::from(s.as_str()),
        Value::Array(items) => items
            .iter()
            .filter_map(toml_value)
            .collect::<toml_edit::Array>()
            .into(),
        Value::Object(fields) => fields
            .iter()
            .filter_map(|(name, field)| Some((name.as_str(), toml_value(field)?)))
            .collect::<toml_edit::InlineTable>()
            .into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn edited(name: &str, before: &str, entries: &[(&str, Value)]) -> Option<String> {
        edit(Path::new(name), before, entries)
    }

    #[test]
    fn an_object_setting_is_an_inline_table_that_reads_back() {
        let schedule =
            json!({"enabled": true, "from": "22:00", "to": "06:30", "days": ["sat", "sun"]});
        let text = edited(
            "c.toml",
            "title = \"x\"\n",
            &[("altSpeedSchedule", schedule.clone())],
        )
        .expect("edited");
        assert!(text.contains("altSpeedSchedule = {"), "{text}");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, &text).unwrap();
        let mut values = ConfigValues::default();
        read(&path, &mut values).unwrap();
        assert_eq!(values.get_json("altSpeedSchedule"), Some(schedule));
    }

    #[test]
    fn a_list_of_objects_is_an_array_of_inline_tables_that_reads_back() {
        let folders = json!([
            {"path": "/w", "category": "tv", "tags": ["a", "b"], "paused": true, "recursive": false},
            {"path": "/x", "paused": false, "recursive": true}
        ]);
        let text = edited("c.toml", "", &[("watchFolders", folders.clone())]).expect("edited");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, &text).unwrap();
        let mut values = ConfigValues::default();
        read(&path, &mut values).unwrap();
        assert_eq!(values.get_json("watchFolders"), Some(folders), "{text}");
    }

    #[test]
    fn toml_keeps_other_keys_comments_and_order() {
        let before = "# my server\nport = 8080 # behind nginx\nauth = \"a:b\"\n\n# off while the disk is small\nseeding = true  # for now\ntitle = \"Home\"\n";
        let after = edited(
            "c.toml",
            before,
            &[
                ("seeding", json!(false)),
                ("autoStart", json!(true)),
                ("incomingPort", json!(6000)),
            ],
        )
        .unwrap();
        assert_eq!(
            after,
            "# my server\nport = 8080 # behind nginx\nauth = \"a:b\"\n\n# off while the disk is small\nseeding = false  # for now\ntitle = \"Home\"\nautoStart = true\nincomingPort = 6000\n"
        );
    }

    #[test]
    fn json_and_unparsable_files() {
        let after = edited("c.json", "", &[("autoStart", json!(false))]).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&after).unwrap()["autoStart"],
            false
        );
        assert_eq!(edited("c.json", "{nope", &[("dht", json!(false))]), None);
        assert_eq!(edited("c.toml", "= =", &[("dht", json!(false))]), None);
    }

    #[test]
    fn reading_names_the_file_and_the_key() {
        let dir = tempfile::tempdir().unwrap();
        let mut values = ConfigValues::default();
        let path = dir.path().join("typo.json");
        std::fs::write(&path, r#"{"downloadDirectory": "x"}"#).unwrap();
        let err = read(&path, &mut values).unwrap_err().to_string();
        assert!(
            err.contains("typo.json") && err.contains("downloadDirectory"),
            "{err}"
        );
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "port = 1\nport = = 2\n").unwrap();
        let err = read(&path, &mut values).unwrap_err().to_string();
        assert!(err.contains("bad.toml") && err.contains("line 2"), "{err}");
        let path = dir.path().join("ok.toml");
        std::fs::write(
            &path,
            "port = 8080\nallowedHosts = [\"a.example\"]\ndht = false\n",
        )
        .unwrap();
        let keys = read(&path, &mut values).unwrap();
        assert_eq!(keys, ["allowedHosts", "dht", "port"]);
        assert_eq!((values.port, values.dht), (8080, false));
        assert!(
            read(&dir.path().join("missing.toml"), &mut values)
                .unwrap()
                .is_empty()
        );
        std::fs::write(&path, "configPath = \"x\"\n").unwrap();
        assert!(read(&path, &mut values).is_err());
    }

    /// Config-file text: real keys with values of every type, TOML and JSON syntax,
    /// and junk.
    fn config_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop_oneof![
                prop::sample::select(
                    crate::SETTINGS
                        .iter()
                        .map(|s| s.key)
                        .chain(["bogus", "[section]", "\"quoted key\""])
                        .collect::<Vec<_>>()
                )
                .prop_map(str::to_owned),
                prop::sample::select(vec![
                    " = ",
                    "=",
                    "\n",
                    ": ",
                    ", ",
                    "{",
                    "}",
                    "[",
                    "]",
                    "\"",
                    "'",
                    "#",
                    "\\",
                    "true",
                    "1e999",
                    "-1",
                    "99999999999999999999",
                    "0.0",
                    "nan",
                    "inf",
                    "\"127.0.0.1\"",
                    "\"/\"",
                    "\"../x\"",
                    "'''",
                    "\"\"\"",
                    "\u{0}",
                    "\u{feff}",
                ])
                .prop_map(str::to_owned),
                "\\PC{0,10}",
            ],
            0..30,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Arbitrary TOML or JSON text never panics: it is a config or one error
        /// naming the file.
        #[test]
        fn config_files_never_panic(text in config_text(), json in any::<bool>()) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(if json { "c.json" } else { "c.toml" });
            std::fs::write(&path, &text).unwrap();
            if let Err(e) = read(&path, &mut ConfigValues::default()) {
                let e = e.to_string();
                prop_assert!(e.starts_with("config file ") && e.contains("c."), "{}", e);
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            let dir = tempfile::tempdir().unwrap();
            for name in ["c.toml", "c.json"] {
                let path = dir.path().join(name);
                std::fs::write(&path, &bytes).unwrap();
                let _ = read(&path, &mut ConfigValues::default());
            }
        }
    }
}
