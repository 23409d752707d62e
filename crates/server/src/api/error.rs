//! The REST API's error answer: a status code and `{"code": <status>, "message": "..."}`.
//! Messages say what was wrong with the request; they never carry secrets or internal detail.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::store::StoreError;

/// What went wrong with an API request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(&'static str),
    /// 400: the request is malformed (with a message built from the request's own content).
    #[error("{0}")]
    Invalid(String),
    /// 401: no or unknown API key.
    #[error("missing or unknown X-apikey")]
    Unauthorized,
    /// 403: the key's role lacks the named permission.
    #[error("permission required: {0}")]
    Forbidden(&'static str),
    /// 403: the key's role lacks every one of the named permissions.
    #[error("permission required: {}", .0.join(" or "))]
    ForbiddenAny(&'static [&'static str]),
    /// 403: the operation needs an account logged into the session, and there is none.
    #[error("no account is logged into this session")]
    NotLoggedIn,
    /// 404: the named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(&'static str),
    /// 429: a rate is spent; `Retry-After` says when to try again.
    #[error("{message}; retry in {}s", .retry_after.as_secs().max(1))]
    TooMany {
        /// What is limited.
        message: &'static str,
        /// When the next one would pass.
        retry_after: std::time::Duration,
    },
    /// 413: the request body is over the API's limit.
    #[error("request body too large")]
    PayloadTooLarge,
    /// 500: storage failed (details go to the log only).
    #[error("internal error")]
    Internal(#[from] StoreError),
}

#[derive(Serialize)]
struct Body {
    code: u16,
    message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = match &self {
            Self::BadRequest(_) | Self::Invalid(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::ForbiddenAny(_) | Self::NotLoggedIn => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Internal(err) => {
                tracing::error!(%err, "API request failed on storage");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        let retry = match &self {
            Self::TooMany { retry_after, .. } => Some(retry_after.as_secs().max(1)),
            _ => None,
        };
        let mut response = (
            status,
            Json(Body {
                code: status.as_u16(),
                message: self.to_string(),
            }),
        )
            .into_response();
        if let Some(secs) = retry {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

/// Result of an API handler.
pub type ApiResult<T> = Result<T, ApiError>;
