//! HTTP semantics shared by everything that sends file bytes: ranges,
//! validators (ETag, Last-Modified), conditional requests and safe headers.

use std::time::SystemTime;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Response, StatusCode, header};

use super::range::{self, RangeAnswer};

/// What describes a body before it is sent.
pub struct Representation {
    pub size: u64,
    pub etag: String,
    pub last_modified: Option<SystemTime>,
    pub content_type: String,
    /// File name offered to the browser.
    pub file_name: String,
    /// `Content-Disposition: attachment` instead of inline.
    pub attachment: bool,
}

/// `"…"` strong ETag from size and modification time.
pub fn etag_for(size: u64, modified: Option<SystemTime>) -> String {
    let since = modified
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!(
        "\"{size:x}-{:x}-{:x}\"",
        since.as_secs(),
        since.subsec_nanos()
    )
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn seconds(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `If-None-Match` / `If-Modified-Since`: true when the client's copy is current.
fn not_modified(headers: &HeaderMap, rep: &Representation) -> bool {
    if let Some(inm) = header_str(headers, header::IF_NONE_MATCH) {
        let ours = rep.etag.trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == ours);
    }
    if let (Some(ims), Some(lm)) = (
        header_str(headers, header::IF_MODIFIED_SINCE),
        rep.last_modified,
    ) && let Ok(ims) = httpdate::parse_http_date(ims)
    {
        return seconds(lm) <= seconds(ims);
    }
    false
}

/// `If-Range`: whether a `Range` may be honoured (the client's copy is this one).
fn if_range_holds(headers: &HeaderMap, rep: &Representation) -> bool {
    let Some(value) = header_str(headers, header::IF_RANGE) else {
        return true;
    };
    let value = value.trim();
    if value.starts_with('"') {
        return value == rep.etag; // strong comparison
    }
    if value.starts_with("W/") {
        return false;
    }
    match (httpdate::parse_http_date(value), rep.last_modified) {
        (Ok(date), Some(lm)) => seconds(date) == seconds(lm),
        _ => false,
    }
}

/// `attachment; filename="..."; filename*=UTF-8''...` (or inline).
fn disposition(rep: &Representation) -> String {
    content_disposition(&rep.file_name, rep.attachment)
}

/// A `Content-Disposition` naming `file_name`: its ASCII form (anything else, quotes
/// and backslashes become `_`) and its UTF-8 form, `attachment` or `inline`.
pub(crate) fn content_disposition(file_name: &str, attachment: bool) -> String {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded =
        percent_encoding::utf8_percent_encode(file_name, percent_encoding::NON_ALPHANUMERIC);
    let kind = if attachment { "attachment" } else { "inline" };
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// The byte range to send, or the response that answers the request at once
/// (304 Not Modified, 416 Range Not Satisfiable).
pub enum Plan {
    Send {
        status: StatusCode,
        start: u64,
        end: u64,
    },
    Done(Response<Body>),
}

/// Decides what to send for `rep` given the request headers.
pub fn plan(headers: &HeaderMap, rep: &Representation) -> Plan {
    if not_modified(headers, rep) {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        set_validators(resp.headers_mut(), rep);
        return Plan::Done(resp);
    }
    let requested = if if_range_holds(headers, rep) {
        range::parse(header_str(headers, header::RANGE), rep.size)
    } else {
        RangeAnswer::Full
    };
    match requested {
        RangeAnswer::Full => Plan::Send {
            status: StatusCode::OK,
            start: 0,
            end: rep.size,
        },
        RangeAnswer::Partial { start, end } => Plan::Send {
            status: StatusCode::PARTIAL_CONTENT,
            start,
            end: end + 1,
        },
        RangeAnswer::Unsatisfiable => {
            let mut resp = Response::new(Body::empty());
            *resp.status_mut() = StatusCode::RANGE_NOT_SATISFIABLE;
            let h = resp.headers_mut();
            insert(h, header::CONTENT_RANGE, format!("bytes */{}", rep.size));
            insert(h, header::ACCEPT_RANGES, "bytes".into());
            set_validators(h, rep);
            Plan::Done(resp)
        }
    }
}

fn insert(h: &mut HeaderMap, name: header::HeaderName, value: String) {
    if let Ok(v) = HeaderValue::from_str(&value) {
        h.insert(name, v);
    }
}

fn set_validators(h: &mut HeaderMap, rep: &Representation) {
    insert(h, header::ETAG, rep.etag.clone());
    if let Some(lm) = rep.last_modified {
        insert(h, header::LAST_MODIFIED, httpdate::fmt_http_date(lm));
    }
}

/// The response carrying `body` (bytes `start..end` of the representation).
pub fn respond(
    rep: &Representation,
    status: StatusCode,
    start: u64,
    end: u64,
    body: Body,
) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    insert(h, header::CONTENT_TYPE, rep.content_type.clone());
    insert(h, header::CONTENT_LENGTH, (end - start).to_string());
    insert(h, header::ACCEPT_RANGES, "bytes".into());
    if status == StatusCode::PARTIAL_CONTENT {
        insert(
            h,
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{}", end - 1, rep.size),
        );
    }
    set_validators(h, rep);
    insert(h, header::CONTENT_DISPOSITION, disposition(rep));
    // Files come from strangers: never let them run script in our origin.
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    resp
}

/// The media type of a file name; HTML, SVG and XML are still sent (the
/// sandbox policy keeps their scripts from running).
pub fn content_type(name: &str) -> String {
    let mime = mime_guess::from_path(name).first_or_octet_stream();
    if mime.type_() == "text" {
        format!("{mime}; charset=utf-8")
    } else {
        mime.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep() -> Representation {
        Representation {
            size: 100,
            etag: "\"64-1-0\"".into(),
            last_modified: Some(
                SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000),
            ),
            content_type: "video/mp4".into(),
            file_name: "Ünïcode \"film\".mp4".into(),
            attachment: true,
        }
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(
                header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        h
    }

    #[test]
    fn conditionals() {
        let r = rep();
        let lm = httpdate::fmt_http_date(r.last_modified.unwrap());
        assert!(
            matches!(plan(&headers(&[("if-none-match", "\"64-1-0\"")]), &r), Plan::Done(x) if x.status() == 304)
        );
        assert!(
            matches!(plan(&headers(&[("if-none-match", "W/\"64-1-0\", \"x\"")]), &r), Plan::Done(x) if x.status() == 304)
        );
        assert!(
            matches!(plan(&headers(&[("if-none-match", "\"other\"")]), &r), Plan::Send { status, .. } if status == 200)
        );
        assert!(
            matches!(plan(&headers(&[("if-modified-since", &lm)]), &r), Plan::Done(x) if x.status() == 304)
        );
        let older =
            httpdate::fmt_http_date(r.last_modified.unwrap() - std::time::Duration::from_secs(10));
        assert!(matches!(
            plan(&headers(&[("if-modified-since", &older)]), &r),
            Plan::Send { .. }
        ));
        // If-Range: honoured with the right validator, ignored otherwise.
        let ranged = |if_range: &str| {
            plan(
                &headers(&[("range", "bytes=0-9"), ("if-range", if_range)]),
                &r,
            )
        };
        assert!(
            matches!(ranged("\"64-1-0\""), Plan::Send { status, start: 0, end: 10 } if status == 206)
        );
        assert!(matches!(ranged(&lm), Plan::Send { status, .. } if status == 206));
        assert!(
            matches!(ranged("\"stale\""), Plan::Send { status, start: 0, end: 100 } if status == 200)
        );
        assert!(matches!(ranged("W/\"64-1-0\""), Plan::Send { status, .. } if status == 200));
    }

    #[test]
    fn disposition_is_safe_and_unicode() {
        let d = disposition(&rep());
        assert!(d.starts_with("attachment; filename=\"_n_code _film_.mp4\"; filename*=UTF-8''%C3%9Cn%C3%AFcode%20%22film%22%2Emp4"), "{d}");
    }
}
