//! Keeps absolute server paths out of messages that reach users.

/// Replaces every absolute path-looking token in `msg` with its last component.
///
/// librqbit's errors quote file names (`error opening "/srv/dl/x/file"`); users must
/// not learn the server's layout, so `"/srv/dl/x/file"` becomes `"file"`.
pub fn strip_paths(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    let mut chars = msg.char_indices().peekable();
    let bytes = msg.as_bytes();
    while let Some((i, c)) = chars.next() {
        let starts_token = i == 0
            || matches!(
                bytes[i - 1],
                b' ' | b'"' | b'\'' | b'(' | b'=' | b'`' | b'['
            );
        if c == '/' && starts_token {
            let mut end = msg.len();
            for (j, d) in msg[i..].char_indices() {
                if matches!(d, ' ' | '"' | '\'' | ')' | ',' | '`' | ']' | '\n' | ':') {
                    end = i + j;
                    break;
                }
            }
            let path = &msg[i..end];
            let last = path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            out.push_str(if last.is_empty() { "<path>" } else { last });
            while let Some(&(k, _)) = chars.peek() {
                if k >= end {
                    break;
                }
                chars.next();
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_paths;

    #[test]
    fn absolute_paths_are_reduced_to_file_names() {
        assert_eq!(
            strip_paths(r#"error opening "/srv/downloads/movie/a.mkv": denied"#),
            r#"error opening "a.mkv": denied"#
        );
        assert_eq!(
            strip_paths("cannot read /etc/passwd now"),
            "cannot read passwd now"
        );
        assert_eq!(strip_paths("no paths here 1/2"), "no paths here 1/2");
        assert_eq!(strip_paths("/"), "<path>");
    }
}
