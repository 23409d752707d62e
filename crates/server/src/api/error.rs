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
    /// 401: no or unknown API key.
    #[error("missing or unknown X-apikey")]
    Unauthorized,
    /// 403: the key's role lacks the named permission.
    #[error("permission required: {0}")]
    Forbidden(&'static str),
    /// 404: the named thing does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// 409: the request conflicts with the current state.
    #[error("{0}")]
    Conflict(&'static str),
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
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::Internal(err) => {
                tracing::error!(%err, "API request failed on storage");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        };
        (
            status,
            Json(Body {
                code: status.as_u16(),
                message: self.to_string(),
            }),
        )
            .into_response()
    }
}
