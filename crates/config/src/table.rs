//! The README's settings table, generated from [`crate::SETTINGS`] (a test keeps the
//! README equal to it).

use crate::{Api, SETTINGS};

/// Marks the start and end of the generated table in the README.
pub const BEGIN: &str = "<!-- settings table: generated from crates/config/src/lib.rs -->";
/// See [`BEGIN`].
pub const END: &str = "<!-- end of settings table -->";

/// The table in Markdown, one row per setting.
pub fn markdown() -> String {
    let mut out = String::from(
        "| Flag | Env | File key | Default | API | Meaning |\n|---|---|---|---|---|---|\n",
    );
    for s in SETTINGS {
        let (flag, env) = match s.flag {
            Some(f) => {
                let short = f.short.map(|c| format!("-{c}, ")).unwrap_or_default();
                (format!("`{short}--{}`", f.long), format!("`{}`", f.env))
            }
            None => (String::new(), String::new()),
        };
        let key = if s.in_file {
            format!("`{}`", s.key)
        } else {
            String::new()
        };
        let api = match s.api {
            Api::Live => "live",
            Api::Restart => "at restart",
            Api::ReadOnly => "read-only",
            Api::Hidden => "",
        };
        out.push_str(&format!(
            "| {flag} | {env} | {key} | {} | {api} | {} |\n",
            s.default, s.about
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README shows exactly the generated table: a new setting cannot be
    /// forgotten there.
    #[test]
    fn readme_table_is_generated() {
        let readme =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
                .expect("README.md");
        let start = readme
            .find(BEGIN)
            .expect("the README marks the settings table")
            + BEGIN.len();
        let end = readme[start..].find(END).expect("the table's end marker") + start;
        let table = readme[start..end].trim();
        assert_eq!(
            table,
            markdown().trim(),
            "README.md's settings table differs; replace it with this:\n{}",
            markdown()
        );
    }
}
