//! The server's error type and its one mapping to HTTP status + JSON.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use cloud_torrent_engine::EngineError;
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
    /// The route exists but not with this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// A problem of the server itself (e.g. writing the config file); sanitized.
    #[error("{0}")]
    Internal(String),
    /// An error of the engine.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Engine(e) => match e {
                EngineError::InvalidMagnet(_)
                | EngineError::InvalidTorrent(_)
                | EngineError::InvalidUrl(_)
                | EngineError::InvalidInfoHash(_)
                | EngineError::InvalidFileSelection(_) => StatusCode::BAD_REQUEST,
                EngineError::Fetch(_) => StatusCode::UNPROCESSABLE_ENTITY,
                EngineError::NotFound(_) => StatusCode::NOT_FOUND,
                EngineError::MetadataPending | EngineError::Conflict(_) => StatusCode::CONFLICT,
                EngineError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
                EngineError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!("{self}");
        }
        let body = ErrorBody {
            error: cloud_torrent_engine::sanitize::strip_paths(&self.to_string()),
        };
        let retry_after = match &self {
            ApiError::TooManyRequests {
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

/// Result alias of handlers.
pub type ApiResult<T> = Result<T, ApiError>;
