//! Everything a browser sees: the REST API's QR and HTML endpoints, the browser WebSocket
//! (`/ws`) and the Acme demo site.
//!
//! * [`qr_api`]: `sessions/qr/{login,enrol}` and `vash` (raw bytes or PNG images).
//! * [`blocks`]: `sessions/html/{login,enrol,footer}`, the drop-in HTML an integrator shows.
//! * [`browser_ws`]: `REGISTER`/`PROVOKE`/`LOGOUT` in, session events out; [`watch_hub`]
//!   follows the sockets' sessions for all of them.
//! * [`demo`]: the Acme site at `/`, itself an integrator of this server (in-process).

pub mod blocks;
pub mod browser_ws;
pub mod demo;
pub mod qr_api;
pub mod qr_png;
pub mod watch_hub;

use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use nextauth_protocol::ids::ServerId;

use crate::api::auth::{Caller, Nonce};
use crate::api::error::ApiError;
use crate::state::SharedState;
use crate::store::servers::{self, ServerRow};
use crate::user_context::UserContext;

/// The routes of this module: API endpoints (with and without a trailing slash) and `/ws`. The
/// demo site ([`demo::routes`]) is mounted by [`crate::router`], behind the page rate limit.
pub fn routes() -> Router<SharedState> {
    let mut router = Router::new();
    let api = [
        (
            "/servers/{serverid}/sessions/qr/login",
            get(qr_api::qr_login),
        ),
        (
            "/servers/{serverid}/sessions/qr/enrol",
            get(qr_api::qr_enrol),
        ),
        ("/servers/{serverid}/vash", get(qr_api::vash)),
        (
            "/servers/{serverid}/sessions/html/login",
            get(blocks::html_login),
        ),
        (
            "/servers/{serverid}/sessions/html/enrol",
            get(blocks::html_enrol),
        ),
        (
            "/servers/{serverid}/sessions/html/footer",
            get(blocks::html_footer),
        ),
    ];
    for (path, handler) in api {
        router = router
            .route(path, handler.clone())
            .route(&format!("{path}/"), handler);
    }
    router.route("/ws", get(browser_ws::ws))
}

/// What every `/servers/{serverid}/sessions/...` request of this module starts with: who calls,
/// the server named in the path, and the `X-nonce` session (required by the handlers that need
/// one, after the caller's permission is checked). Extracted in that order, as separate
/// extractors were.
pub struct SessionsRequest {
    /// Who calls.
    pub caller: Caller,
    /// The base64 server id of the path.
    pub serverid: String,
    /// The `X-nonce` session, or why there is none.
    pub nonce: Result<Nonce, ApiError>,
}

impl FromRequestParts<SharedState> for SessionsRequest {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let caller = Caller::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let Path(serverid) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let nonce = Nonce::from_request_parts(parts, state).await;
        Ok(Self {
            caller,
            serverid,
            nonce,
        })
    }
}

impl SessionsRequest {
    /// The server, once the caller holds `sessions` on it.
    pub async fn server(&self, state: &SharedState) -> Result<ServerRow, ApiError> {
        authorize(state, &self.caller, &self.serverid, "sessions").await
    }

    /// The server (as [`SessionsRequest::server`]) and the `X-nonce` session, which must be
    /// there.
    pub async fn server_and_nonce(
        self,
        state: &SharedState,
    ) -> Result<(ServerRow, String), ApiError> {
        let server = self.server(state).await?;
        let Nonce(nonce) = self.nonce?;
        Ok((server, nonce))
    }
}

/// Checks that `caller` holds `acl` on the server named by a path's base64 id, then loads it.
/// A malformed id is 400, as in the rest of the API; the permission is checked before the
/// server's existence is revealed.
pub async fn authorize(
    state: &SharedState,
    caller: &Caller,
    serverid: &str,
    acl: &'static str,
) -> Result<ServerRow, ApiError> {
    let id: ServerId = crate::api::extract::server_id(serverid)?;
    caller.require(state, &id, acl).await?;
    servers::get(&state.db, &id)
        .await?
        .ok_or(ApiError::NotFound("server"))
}

/// An optional JSON `UserContext` body (GET requests may carry one); empty means none.
pub fn user_context(body: &Bytes) -> Result<Option<UserContext>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(body)
        .map(Some)
        .map_err(|_| ApiError::BadRequest("body is not a UserContext JSON object"))
}

/// The `s` query parameter: absent, or a non-negative integer.
pub fn size_param(s: Option<&str>) -> Result<Option<u32>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse::<u64>()
            .map(|n| Some(u32::try_from(n).unwrap_or(u32::MAX)))
            .map_err(|_| ApiError::BadRequest("s must be a size in pixels")),
    }
}

/// The display name of the authenticator app on `server` ("nextAuth" unless configured).
pub fn app_name(server: &ServerRow) -> &str {
    let name = server.settings.appname.trim();
    if name.is_empty() {
        "nextAuth"
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_param_parses_or_refuses() {
        assert_eq!(size_param(None).ok(), Some(None));
        assert_eq!(size_param(Some("300")).ok(), Some(Some(300)));
        assert_eq!(size_param(Some("99999999999")).ok(), Some(Some(u32::MAX)));
        assert!(size_param(Some("big")).is_err());
        assert!(size_param(Some("-1")).is_err());
    }
}
