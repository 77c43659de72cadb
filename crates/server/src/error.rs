//! The server's error type and its one mapping to an HTTP status, rendered as JSON
//! `{"error": ...}` for the API or as text for the legacy endpoints ([`TextError`]).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::EngineError;
use cloud_torrent_search::{FailureKind, SearchError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What was wrong, for a person.
    pub error: String,
}

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// The body's content type is not one we read.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the server accepts.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// No such route or file.
    #[error("{0}")]
    NotFound(String),
    /// Not allowed, whatever the request says.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// No valid login (session cookie or HTTP Basic).
    #[error("{0}")]
    Unauthorized(String),
    /// Too many failed logins from this address; answered with `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        /// What to tell the client.
        message: String,
        /// Seconds until the next attempt may succeed.
        retry_after_secs: u64,
    },
    /// The server is too busy for this request now; answered with `Retry-After`.
    #[error("{message}")]
    Unavailable {
        /// What to tell the client.
        message: String,
        /// Seconds after which to try again.
        retry_after_secs: u64,
    },
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// Another server the request needed (a webhook being tested) failed.
    #[error("{0}")]
    BadGateway(String),
    /// A problem of the server itself (e.g. writing the config file); sanitized.
    #[error("{0}")]
    Internal(String),
    /// An error of the engine.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// An error of torrent search (a provider's failure names the provider and says why).
    #[error(transparent)]
    Search(#[from] SearchError),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadGateway(_) => StatusCode::BAD_GATEWAY,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Engine(e) => match e {
                EngineError::InvalidMagnet(_)
                | EngineError::InvalidTorrent(_)
                | EngineError::InvalidUrl(_)
                | EngineError::InvalidInfoHash(_)
                | EngineError::InvalidFileSelection(_)
                | EngineError::InvalidValue(_) => StatusCode::BAD_REQUEST,
                EngineError::Fetch(_) => StatusCode::UNPROCESSABLE_ENTITY,
                EngineError::NotFound(_) | EngineError::UnknownCategory(_) => StatusCode::NOT_FOUND,
                EngineError::MetadataPending | EngineError::Conflict(_) => StatusCode::CONFLICT,
                EngineError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
                EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Search(e) => match e {
                SearchError::NotConfigured | SearchError::UnknownProvider(_) => {
                    StatusCode::NOT_FOUND
                }
                SearchError::BadRequest(_) => StatusCode::BAD_REQUEST,
                SearchError::Provider(p) if p.kind == FailureKind::Timeout => {
                    StatusCode::GATEWAY_TIMEOUT
                }
                SearchError::Provider(_) => StatusCode::BAD_GATEWAY,
                SearchError::Config(_) | SearchError::Internal(_) => {
                    StatusCode::INTERNAL_SERVER_ERROR
                }
            },
        }
    }

    /// The status, after logging server faults (a failure of another server, 502 or
    /// 504, is a warning).
    fn logged_status(&self) -> StatusCode {
        let status = self.status();
        if status == StatusCode::BAD_GATEWAY || status == StatusCode::GATEWAY_TIMEOUT {
            tracing::warn!("{self}");
        } else if status.is_server_error() {
            tracing::error!("{self}");
        }
        status
    }

    /// The message for the client: server paths removed.
    fn public_message(&self) -> String {
        cloud_torrent_engine::sanitize::strip_paths(&self.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.logged_status();
        let body = ErrorBody {
            error: self.public_message(),
        };
        let retry_after = match &self {
            ApiError::TooManyRequests {
                retry_after_secs, ..
            }
            | ApiError::Unavailable {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// An [`ApiError`] answered in the legacy text format (Cloud Torrent's `/api/...`
/// endpoints): `400 <message>` as `text/plain` for every client error except a body
/// over the limit (413); server faults keep their 5xx status.
#[derive(Debug)]
pub struct TextError(pub ApiError);

impl<E: Into<ApiError>> From<E> for TextError {
    fn from(e: E) -> Self {
        TextError(e.into())
    }
}

impl IntoResponse for TextError {
    fn into_response(self) -> Response {
        let status = self.0.logged_status();
        let status = if status.is_server_error() || status == StatusCode::PAYLOAD_TOO_LARGE {
            status
        } else {
            StatusCode::BAD_REQUEST
        };
        (status, self.0.public_message()).into_response()
    }
}

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
