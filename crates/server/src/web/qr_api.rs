//! `GET /servers/{serverid}/sessions/qr/login`, `.../qr/enrol` and `/servers/{serverid}/vash`.

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use nextauth_protocol::qr::{QrPayload, MAX_DISPLAY_NAME_LEN};
use serde::Deserialize;

use super::{authorize, qr_png, size_param, user_context, SessionsRequest};
use crate::api::auth::Caller;
use crate::api::error::ApiError;
use crate::clock;
use crate::codes;
use crate::state::SharedState;
use crate::store::enrol_codes::EnrolGrant;
use crate::store::servers::ServerRow;
use crate::store::StoreError;

/// Longest user id the enrol endpoints accept (bytes).
pub const MAX_USERID_LEN: usize = 255;

/// Query parameters of the QR and HTML endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct CodeQuery {
    /// `png` for an image; anything else (or nothing) for the raw bytes.
    pub img: Option<String>,
    /// Image side in pixels.
    pub s: Option<String>,
    /// Enrol: the account name shown in the app.
    pub name: Option<String>,
    /// Enrol: the user the new account belongs to.
    pub userid: Option<String>,
}

/// The query, or 400 when it cannot be parsed.
pub fn query(query: Result<Query<CodeQuery>, QueryRejection>) -> Result<CodeQuery, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|_| ApiError::BadRequest("malformed query string"))
}

/// The enrol grant from `name` (required) and `userid` (optional), validated.
pub fn enrol_grant(q: &CodeQuery) -> Result<EnrolGrant, ApiError> {
    let name = q.name.as_deref().map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Err(ApiError::BadRequest("name is required"));
    }
    if name.len() > MAX_DISPLAY_NAME_LEN || name.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "name must be at most 64 bytes without control characters",
        ));
    }
    let userid = q.userid.as_deref().map(str::trim).filter(|u| !u.is_empty());
    if userid.is_some_and(|u| u.len() > MAX_USERID_LEN || u.chars().any(char::is_control)) {
        return Err(ApiError::BadRequest(
            "userid must be at most 255 bytes without control characters",
        ));
    }
    Ok(EnrolGrant {
        display_name: name.to_owned(),
        userid: userid.map(str::to_owned),
    })
}

/// A protocol encoding failure is the request's fault (a value out of range), anything else is
/// the server's.
pub fn code_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Protocol(_) => ApiError::BadRequest("the code cannot be encoded"),
        other => ApiError::Internal(other),
    }
}

/// The payload as raw bytes, or as a PNG when `img=png` (holding the link form under the
/// server's `LINK_CODES` flag).
fn answer(server: &ServerRow, payload: &QrPayload, q: &CodeQuery) -> Result<Response, ApiError> {
    if !q
        .img
        .as_deref()
        .is_some_and(|i| i.eq_ignore_ascii_case("png"))
    {
        let bytes = payload.encode().map_err(|e| code_error(e.into()))?;
        return Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response());
    }
    let bytes = super::blocks::image_content(server, payload).map_err(code_error)?;
    let size = qr_png::clamp_size(size_param(q.s.as_deref())?);
    let png = qr_png::png(&bytes, size).map_err(|_| ApiError::BadRequest("code too long"))?;
    Ok(png_response(png))
}

/// A PNG answer that is not cached (codes are one-time or session-bound).
pub fn png_response(png: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response()
}

/// `GET .../sessions/qr/login`: the login code of the `X-nonce` session (body: optional
/// `UserContext` shown in the app).
pub async fn qr_login(
    State(state): State<SharedState>,
    request: SessionsRequest,
    q: Result<Query<CodeQuery>, QueryRejection>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (server, nonce) = request.server_and_nonce(&state).await?;
    let q = query(q)?;
    let context = user_context(&body)?;
    let payload = codes::login_code(&state, &server, &nonce, context.as_ref(), clock::now())
        .await
        .map_err(code_error)?;
    answer(&server, &payload, &q)
}

/// `GET .../sessions/qr/enrol?name=&userid=`: a new one-time enrol code for the `X-nonce`
/// session.
pub async fn qr_enrol(
    State(state): State<SharedState>,
    request: SessionsRequest,
    q: Result<Query<CodeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (server, nonce) = request.server_and_nonce(&state).await?;
    let q = query(q)?;
    let grant = enrol_grant(&q)?;
    let payload = codes::enrol_code(&state, &server, &nonce, grant, clock::now())
        .await
        .map_err(code_error)?;
    answer(&server, &payload, &q)
}

/// `GET /servers/{serverid}/vash`: the visual hash of the server's current parameters (needs
/// `sessions` or `servers`).
pub async fn vash(
    State(state): State<SharedState>,
    caller: Caller,
    Path(serverid): Path<String>,
) -> Result<Response, ApiError> {
    let server = match authorize(&state, &caller, &serverid, "sessions").await {
        Err(ApiError::Forbidden(_)) => authorize(&state, &caller, &serverid, "servers")
            .await
            .map_err(|e| match e {
                ApiError::Forbidden(_) => ApiError::Forbidden("sessions or servers"),
                other => other,
            })?,
        other => other?,
    };
    let hash = server.params_hash()?;
    Ok(png_response(nextauth_protocol::vash::png(&hash, 8)))
}
