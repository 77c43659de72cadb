//! [`FetchError`]: everything an outbound request can fail with, each written
//! for a person, with reqwest's cause chain spelled out and no absolute paths.

use crate::client::MAX_REDIRECTS;
use crate::sanitize::strip_paths;

/// Why an outbound request failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL cannot be fetched at all: not http or https, or without a host.
    #[error("{0}")]
    BadUrl(String),
    /// The URL's host is a private or loopback address that this call may not reach.
    #[error("{host} is a private or loopback address (allowPrivateUrls is off)")]
    PrivateAddress {
        /// The host as written in the URL.
        host: String,
    },
    /// A redirect led to a URL that may not be fetched.
    #[error("a redirect was refused: {0}")]
    Redirect(Box<FetchError>),
    /// The server redirected more than [`MAX_REDIRECTS`] times.
    #[error("a redirect was refused: more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    /// The answer is larger than the call's size cap.
    #[error("the answer is larger than {}", human_size(*limit))]
    TooLarge {
        /// The cap, in bytes.
        limit: usize,
    },
    /// The call's time ran out (connecting, waiting or reading).
    #[error("the request timed out")]
    Timeout,
    /// No connection could be made; the causes follow.
    #[error("could not connect: {0}")]
    Connect(String),
    /// The request or the reading of the answer failed; the causes follow.
    #[error("the request failed: {0}")]
    Failed(String),
    /// The client could not be built (an invalid proxy URL, no TLS backend).
    #[error("cannot set up the HTTP client: {0}")]
    Setup(String),
}

impl FetchError {
    /// True when the URL itself was refused, before any connection was made.
    pub fn is_refused_url(&self) -> bool {
        matches!(
            self,
            FetchError::BadUrl(_) | FetchError::PrivateAddress { .. }
        )
    }

    /// Describes a reqwest error by its kind and its whole cause chain
    /// (reqwest's own text is terse and quotes the URL).
    pub(crate) fn from_reqwest(err: &reqwest::Error) -> FetchError {
        if err.is_timeout() {
            return FetchError::Timeout;
        }
        // A name of private addresses only is a refused URL, not a connection failure.
        let mut source: Option<&dyn std::error::Error> = Some(err);
        while let Some(cause) = source {
            if let Some(private) = cause.downcast_ref::<crate::resolver::PrivateName>() {
                return FetchError::PrivateAddress {
                    host: private.host.clone(),
                };
            }
            source = cause.source();
        }
        let text = causes(err).unwrap_or_else(|| "no details".to_owned());
        if err.is_connect() {
            FetchError::Connect(text)
        } else {
            FetchError::Failed(text)
        }
    }

    /// Describes why the reqwest client could not be built.
    pub(crate) fn setup(err: &reqwest::Error) -> FetchError {
        FetchError::Setup(match causes(err) {
            Some(causes) => format!("{err}: {causes}"),
            None => err.to_string(),
        })
    }
}

/// The causes of `err`, joined by `: `, without absolute paths.
fn causes(err: &dyn std::error::Error) -> Option<String> {
    let mut causes = Vec::new();
    let mut source = err.source();
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    (!causes.is_empty()).then(|| strip_paths(&causes.join(": ")))
}

/// `10 MiB`, `512 KiB` or `100 bytes`.
fn human_size(bytes: usize) -> String {
    const KIB: usize = 1024;
    const MIB: usize = 1024 * KIB;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else if bytes >= KIB {
        format!("{} KiB", bytes / KIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_caps_are_written_for_people() {
        let text = |limit| FetchError::TooLarge { limit }.to_string();
        assert_eq!(text(10 * 1024 * 1024), "the answer is larger than 10 MiB");
        assert_eq!(text(512 * 1024), "the answer is larger than 512 KiB");
        assert_eq!(text(100), "the answer is larger than 100 bytes");
    }

    #[test]
    fn only_url_problems_count_as_refused_urls() {
        assert!(FetchError::BadUrl("x".into()).is_refused_url());
        assert!(FetchError::PrivateAddress { host: "h".into() }.is_refused_url());
        let redirect = FetchError::Redirect(Box::new(FetchError::PrivateAddress {
            host: "10.0.0.1".into(),
        }));
        assert!(!redirect.is_refused_url());
        assert_eq!(
            redirect.to_string(),
            "a redirect was refused: 10.0.0.1 is a private or loopback address (allowPrivateUrls is off)"
        );
        assert!(!FetchError::Timeout.is_refused_url());
    }
}
