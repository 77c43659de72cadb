//! The search crate's errors. Messages are written for a person: they name the
//! provider that failed and say why, and never contain absolute server paths.

/// What kind of failure a provider had; the HTTP layer maps it to a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The provider did not answer within its timeout.
    Timeout,
    /// Anything else: unreachable, an HTTP error, a page that no longer matches.
    Failed,
}

/// One provider failed; `reason` says why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("search provider {provider:?} failed: {reason}")]
pub struct ProviderError {
    /// The provider's id in the providers file.
    pub provider: String,
    /// Timeout or other failure.
    pub kind: FailureKind,
    /// What went wrong, for a person.
    pub reason: String,
}

impl ProviderError {
    pub(crate) fn new(provider: &str, reason: impl Into<String>) -> Self {
        ProviderError {
            provider: provider.to_owned(),
            kind: FailureKind::Failed,
            reason: reason.into(),
        }
    }

    pub(crate) fn timeout(provider: &str, seconds: f64) -> Self {
        ProviderError {
            provider: provider.to_owned(),
            kind: FailureKind::Timeout,
            reason: format!("no answer within {seconds} s (the provider's timeout)"),
        }
    }
}

/// Everything searching can fail with.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// No providers file is configured (or it has no enabled provider).
    #[error(
        "no search providers are configured; start the server with --search-config <file> (see search-providers.example.json)"
    )]
    NotConfigured,
    /// The providers file cannot be used.
    #[error("invalid search providers file: {0}")]
    Config(String),
    /// No provider with this id.
    #[error("no search provider {0:?}")]
    UnknownProvider(String),
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// A provider failed.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// A problem of the server itself.
    #[error("{0}")]
    Internal(String),
}
