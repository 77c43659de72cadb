//! The crate's errors: [`ConfigError`] (a hook's settings cannot work) and
//! [`WebhookError`] (a webhook could not be delivered). Each message is a
//! sentence for the person who configured the hook.

use cloud_torrent_outbound::FetchError;

/// Why a configured event program or webhook cannot work. `entry` names it
/// (`event program on finished (/opt/notify.sh)`, `webhook to https://host/path`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The program has no argv at all.
    #[error("{entry}: argv is empty; give at least the program's absolute path")]
    EmptyArgv {
        /// The entry at fault.
        entry: String,
    },
    /// `argv[0]` is not an absolute path (programs are never looked up in PATH).
    #[error("{entry}: the program {program:?} is not an absolute path")]
    RelativeProgram {
        /// The entry at fault.
        entry: String,
        /// `argv[0]` as written.
        program: String,
    },
    /// `timeoutSeconds` is 0.
    #[error("{entry}: timeoutSeconds must be at least 1")]
    ZeroTimeout {
        /// The entry at fault.
        entry: String,
    },
    /// The webhook's URL is not an http(s) URL with a host.
    #[error("{entry}: {problem}")]
    BadUrl {
        /// The entry at fault.
        entry: String,
        /// What is wrong with the URL.
        problem: String,
    },
    /// A header name is not a valid HTTP header name.
    #[error("{entry}: {name:?} is not a valid HTTP header name")]
    BadHeaderName {
        /// The entry at fault.
        entry: String,
        /// The header name as written.
        name: String,
    },
    /// A header value holds characters HTTP does not allow (line breaks, controls).
    #[error("{entry}: the value of the header {name:?} holds a line break or control character")]
    BadHeaderValue {
        /// The entry at fault.
        entry: String,
        /// The header's name.
        name: String,
    },
}

/// Why a webhook was not delivered.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// No webhook has this index.
    #[error("there is no webhook number {index} (there are {count})")]
    NoSuchWebhook {
        /// The index asked for, from 0.
        index: usize,
        /// How many webhooks there are.
        count: usize,
    },
    /// The webhook's settings cannot work.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The request could not be made or its answer read (refused address,
    /// connection failure, timeout...).
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// The server answered with a status other than 2xx.
    #[error("the server answered {status}")]
    Rejected {
        /// The HTTP status.
        status: u16,
    },
}
