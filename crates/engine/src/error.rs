//! The engine's error type. Messages are written for a person and never
//! contain absolute server paths.

/// Everything that can go wrong in the engine.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The magnet URI could not be understood.
    #[error("invalid magnet link: {0}")]
    InvalidMagnet(String),
    /// The .torrent bytes are not a valid torrent.
    #[error("invalid .torrent file: {0}")]
    InvalidTorrent(String),
    /// The URL is malformed, uses a forbidden scheme or points somewhere forbidden.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// Fetching a .torrent from a URL failed.
    #[error("could not fetch the .torrent: {0}")]
    Fetch(String),
    /// No torrent with this info hash.
    #[error("no torrent with info hash {0}")]
    NotFound(String),
    /// No category of this name.
    #[error("no category named {0:?}")]
    UnknownCategory(String),
    /// The info hash is not 40 hexadecimal characters.
    #[error("invalid info hash {0:?}: expected 40 hexadecimal characters")]
    InvalidInfoHash(String),
    /// A file selection names files the torrent does not have.
    #[error("invalid file selection: {0}")]
    InvalidFileSelection(String),
    /// A torrent option has a value it cannot take (the message names the option).
    #[error("{0}")]
    InvalidValue(String),
    /// The operation needs the torrent's metadata, which is not known yet.
    #[error("the torrent's metadata is not known yet")]
    MetadataPending,
    /// The request conflicts with the torrent's state.
    #[error("{0}")]
    Conflict(String),
    /// Too many of something at once; retry later.
    #[error("{0}")]
    Busy(String),
    /// A problem of the server itself (disk, engine); the message is sanitized.
    #[error("{0}")]
    Internal(String),
}

impl EngineError {
    /// Wraps an error of the underlying engine, removing absolute paths from its message.
    pub(crate) fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        EngineError::Internal(format!(
            "{context}: {}",
            crate::sanitize::strip_paths(&err.to_string())
        ))
    }
}

/// Result alias of the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;
