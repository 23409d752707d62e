//! `POST /servers/{serverid}/apptokens/check` (extension): an app's backend asks whether an
//! app token (docs/protocol.md 10.7) is valid for it, and whether the AppLogin session behind
//! it is still logged in. Needs `sessions`. (Offline, the backend checks the signature with
//! the server's public key, `serverpk`, instead; only this call sees a logout.)

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use nextauth_protocol::app_token::{AppTokenError, UnverifiedToken};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::ApiResult;
use super::extract::{ApiPath, JsonBody};
use super::sessions::ServerPath;
use crate::clock;
use crate::state::SharedState;
use crate::store::sessions::{self, SessionState};

/// The request.
#[derive(Debug, Deserialize)]
pub struct CheckRequest {
    /// The token as the app handed it over.
    pub token: String,
    /// The audience the caller is (what the app asked the token for).
    pub audience: String,
}

/// The answer.
#[derive(Debug, Serialize)]
pub struct CheckJson {
    /// Signed by this server for this audience, not expired, and its session still logged in.
    pub valid: bool,
    /// Why not, when not valid: `malformed`, `signature`, `audience`, `server`, `expired`,
    /// `loggedout`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The account (when the signature verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accountid: Option<u64>,
    /// Its user (when the signature verified and it has one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// Expiry (Unix s; when the signature verified).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<u64>,
}

impl CheckJson {
    fn refused(reason: &'static str) -> Self {
        Self {
            valid: false,
            reason: Some(reason),
            accountid: None,
            userid: None,
            expires: None,
        }
    }
}

pub(super) fn routes(router: Router<SharedState>) -> Router<SharedState> {
    super::both(router, "/servers/{serverid}/apptokens/check", post(check))
}

async fn check(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
    JsonBody(request): JsonBody<CheckRequest>,
) -> ApiResult<Json<CheckJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["sessions"]).await?;
    let parsed = match UnverifiedToken::parse(&request.token) {
        Ok(parsed) => parsed,
        Err(_) => return Ok(Json(CheckJson::refused("malformed"))),
    };
    if parsed.claims.server_id != server.server_id {
        return Ok(Json(CheckJson::refused("server")));
    }
    let claims = match parsed.verify(&server.public_key, &request.audience, clock::now()) {
        Ok(claims) => claims,
        Err(err) => {
            let reason = match err {
                AppTokenError::Malformed(_) => "malformed",
                AppTokenError::BadSignature => "signature",
                AppTokenError::WrongAudience => "audience",
                AppTokenError::WrongServer => "server",
                AppTokenError::Expired => "expired",
            };
            return Ok(Json(CheckJson::refused(reason)));
        }
    };
    let mut row = sessions::get(&state.db, &server.server_id, &claims.session_ref).await?;
    if row.is_none() {
        row = sessions::moved_to(&state.db, &server.server_id, &claims.session_ref).await?;
    }
    let account = i64::try_from(claims.account_id).ok();
    let logged_in =
        row.is_some_and(|s| s.state == SessionState::LoggedIn && s.account_id == account);
    Ok(Json(CheckJson {
        valid: logged_in,
        reason: (!logged_in).then_some("loggedout"),
        accountid: Some(claims.account_id),
        userid: Some(claims.userid).filter(|u| !u.is_empty()),
        expires: Some(claims.expires_at),
    }))
}
