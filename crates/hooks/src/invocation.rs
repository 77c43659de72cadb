//! What an event program is given about its torrent: its arguments with the
//! placeholders replaced, its environment (nothing of the server's but PATH,
//! HOME and LANG; the torrent's facts as `CT_*` and Transmission's `TR_*`
//! variables) and its working directory.
//!
//! Placeholders are replaced inside each argument as written; an argument is
//! never split again and no shell ever sees it, so a torrent's name, whatever
//! it holds, reaches the program as it is, inside the one argument it was put in.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use crate::event::Event;
use crate::facts::TorrentFacts;

/// The placeholders replaced in arguments, each written `{name}` in an argument.
pub const PLACEHOLDERS: [&str; 8] = [
    "name",
    "infoHash",
    "contentPath",
    "savePath",
    "category",
    "tags",
    "size",
    "event",
];

/// PATH when the server has none.
const DEFAULT_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// The value of placeholder `name`, `None` for a name that is not a placeholder.
fn placeholder<'a>(name: &str, event: Event, facts: &'a TorrentFacts) -> Option<Cow<'a, OsStr>> {
    let text = |s: &'a str| Some(Cow::Borrowed(OsStr::new(s)));
    match name {
        "name" => text(&facts.name),
        "infoHash" => text(&facts.info_hash),
        "contentPath" => Some(Cow::Borrowed(facts.content_path.as_os_str())),
        "savePath" => Some(Cow::Borrowed(facts.save_path.as_os_str())),
        "category" => text(facts.category.as_deref().unwrap_or("")),
        "tags" => Some(Cow::Owned(facts.tags.join(",").into())),
        "size" => Some(Cow::Owned(facts.size.to_string().into())),
        "event" => text(event.as_str()),
        _ => None,
    }
}

/// `template` with each `{placeholder}` replaced by its value; anything else
/// between braces is kept as written.
pub(crate) fn expand(template: &str, event: Event, facts: &TorrentFacts) -> OsString {
    let mut out = OsString::with_capacity(template.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push(&rest[..open]);
        let after = &rest[open + 1..];
        let replaced = after.find('}').and_then(|close| {
            placeholder(&after[..close], event, facts).map(|value| (close, value))
        });
        match replaced {
            Some((close, value)) => {
                out.push(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push("{");
                rest = after;
            }
        }
    }
    out.push(rest);
    out
}

/// The whole environment of a program run for `event`: PATH (a default when the
/// server has none), HOME and LANG from the server's environment as `server_env`
/// reads it, then the torrent's facts.
pub(crate) fn environment(
    event: Event,
    facts: &TorrentFacts,
    server_env: impl Fn(&str) -> Option<OsString>,
) -> Vec<(&'static str, OsString)> {
    let mut env: Vec<(&'static str, OsString)> = Vec::with_capacity(20);
    env.push((
        "PATH",
        server_env("PATH").unwrap_or_else(|| DEFAULT_PATH.into()),
    ));
    for inherited in ["HOME", "LANG"] {
        if let Some(value) = server_env(inherited) {
            env.push((inherited, value));
        }
    }
    let tags = facts.tags.join(",");
    let size = facts.size.to_string();
    let text = |s: &str| OsString::from(s);
    env.extend([
        ("CT_EVENT", text(event.as_str())),
        ("CT_INFO_HASH", text(&facts.info_hash)),
        ("CT_NAME", text(&facts.name)),
        (
            "CT_CONTENT_PATH",
            facts.content_path.clone().into_os_string(),
        ),
        ("CT_SAVE_PATH", facts.save_path.clone().into_os_string()),
        ("CT_CATEGORY", text(facts.category.as_deref().unwrap_or(""))),
        ("CT_TAGS", text(&tags)),
        ("CT_SIZE", text(&size)),
        // What Transmission gives its scripts, so that they work unchanged.
        ("TR_APP_VERSION", text(env!("CARGO_PKG_VERSION"))),
        ("TR_TIME_LOCALTIME", text(&local_time_like_ctime())),
        ("TR_TORRENT_DIR", facts.save_path.clone().into_os_string()),
        ("TR_TORRENT_HASH", text(&facts.info_hash)),
        ("TR_TORRENT_ID", text(&facts.id.to_string())),
        ("TR_TORRENT_LABELS", text(&tags)),
        ("TR_TORRENT_NAME", text(&facts.name)),
    ]);
    env
}

/// The local time as C's `ctime` writes it (`Tue Mar  5 14:03:09 2024`), which is
/// what Transmission puts in `TR_TIME_LOCALTIME`.
fn local_time_like_ctime() -> String {
    chrono::Local::now()
        .format("%a %b %e %H:%M:%S %Y")
        .to_string()
}

/// The working directory of a run: the save path when it is a folder, else `/`.
pub(crate) fn working_directory(facts: &TorrentFacts) -> PathBuf {
    if facts.save_path.is_absolute() && facts.save_path.is_dir() {
        facts.save_path.clone()
    } else {
        PathBuf::from("/")
    }
}

/// `path` for people, lossily when it is not UTF-8.
pub(crate) fn display_os(value: &OsStr) -> String {
    Path::new(value).to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> TorrentFacts {
        TorrentFacts {
            info_hash: "0123456789abcdef0123456789abcdef01234567".into(),
            id: 7,
            name: "Some Name".into(),
            content_path: "/srv/dl/Some Name".into(),
            save_path: "/srv/dl".into(),
            category: Some("movies".into()),
            tags: vec!["a".into(), "b c".into()],
            size: 1234,
            json: serde_json::json!({}),
        }
    }

    fn expanded(template: &str) -> String {
        display_os(&expand(template, Event::Finished, &facts()))
    }

    #[test]
    fn placeholders_are_replaced_inside_an_argument() {
        assert_eq!(expanded("--dir={savePath}"), "--dir=/srv/dl");
        assert_eq!(expanded("{name}"), "Some Name");
        assert_eq!(
            expanded("{event}:{infoHash}:{size}"),
            "finished:0123456789abcdef0123456789abcdef01234567:1234"
        );
        assert_eq!(expanded("{tags}|{category}"), "a,b c|movies");
        assert_eq!(expanded("{contentPath}/x"), "/srv/dl/Some Name/x");
    }

    #[test]
    fn unknown_or_unclosed_braces_stay_as_written() {
        assert_eq!(expanded("{unknown}"), "{unknown}");
        assert_eq!(expanded("{{name}}"), "{Some Name}");
        assert_eq!(expanded("{name"), "{name");
        assert_eq!(expanded("a{b{name}c}"), "a{bSome Namec}");
        assert_eq!(expanded("}{}{"), "}{}{");
        assert_eq!(expanded("ünï{name}çødé"), "ünïSome Nameçødé");
    }

    #[test]
    fn a_value_is_never_expanded_again() {
        let mut facts = facts();
        facts.name = "{savePath} $(id)".into();
        let out = expand("{name}", Event::Added, &facts);
        assert_eq!(out, OsString::from("{savePath} $(id)"));
    }

    #[test]
    fn no_category_is_an_empty_value() {
        let mut facts = facts();
        facts.category = None;
        facts.tags.clear();
        assert_eq!(expand("[{category}][{tags}]", Event::Added, &facts), "[][]");
    }

    #[test]
    fn only_path_home_and_lang_come_from_the_server() {
        let server = |name: &str| match name {
            "HOME" => Some(OsString::from("/home/ct")),
            "SECRET_TOKEN" => Some(OsString::from("hunter2")),
            _ => None,
        };
        let env = environment(Event::Finished, &facts(), server);
        let get = |key: &str| {
            env.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| display_os(v))
        };
        assert_eq!(get("PATH").as_deref(), Some(DEFAULT_PATH));
        assert_eq!(get("HOME").as_deref(), Some("/home/ct"));
        assert_eq!(get("LANG"), None);
        assert_eq!(get("SECRET_TOKEN"), None);
        assert_eq!(get("TR_TORRENT_LABELS").as_deref(), Some("a,b c"));
        assert_eq!(get("TR_TORRENT_DIR").as_deref(), Some("/srv/dl"));
        assert_eq!(get("CT_CONTENT_PATH").as_deref(), Some("/srv/dl/Some Name"));
    }

    #[test]
    fn the_working_directory_is_the_save_path_when_it_exists() {
        let dir = std::env::temp_dir();
        let mut facts = facts();
        facts.save_path = dir.clone();
        assert_eq!(working_directory(&facts), dir);
        facts.save_path = "/nonexistent/cloud-torrent-hooks".into();
        assert_eq!(working_directory(&facts), PathBuf::from("/"));
    }
}
