//! `/servers/{serverid}/sessions/`: the browser session named by the `X-nonce` header: its
//! login status, logout, push login, binding a user, and transactions. `sessions` permission
//! (`users` to register a user).

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use nextauth_protocol::ids::SessionRef;
use nextauth_protocol::messages::{TransactionDetails, MAX_TEXT_LEN};
use serde::{Deserialize, Serialize};

use super::accounts::provoke_error;
use super::auth::{Caller, Nonce};
use super::error::{ApiError, ApiResult};
use super::extract::{self, ApiPath, ApiQuery, ObjectBody, OptionalJson};
use crate::clock;
use crate::codes::{self, TransactionError};
use crate::state::SharedState;
use crate::store::accounts::{self, AccountRow};
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionRow, SessionState};
use crate::store::{users, StoreError};
use crate::user_context::UserContext;

/// The `LoginStatus` model, plus `userinput` (what the person typed in the app at login).
#[derive(Debug, Serialize)]
pub struct LoginStatus {
    /// Whether an account is logged into the session.
    pub loggedin: bool,
    /// The logged-in account's user, if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// The logged-in account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accountid: Option<i64>,
    /// Base64 public key of the logged-in account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pk: Option<String>,
    /// Whether a push login can be sent (`sessions/provokelogin`): an account logged into
    /// this session before and can still log in.
    pub canprovoke: bool,
    /// Base64 of the login QR code's bytes.
    pub loginqrdata: String,
    /// Base64url session reference, as the WebSocket uses it.
    pub hsid: String,
    /// What the person typed in the app at login (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinput: Option<String>,
    /// The number the app will ask for, to show next to the code (extension: number matching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matchnumber: Option<String>,
}

/// Answer of the `provokelogin` operations (extension): the number to show in the browser when
/// number matching asks for one.
#[derive(Debug, Default, Serialize)]
pub struct ProvokedJson {
    /// The number the app will ask for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matchnumber: Option<String>,
}

/// The `Transaction` model (`benificiary` as the swagger spells it; `beneficiary` is
/// accepted too).
#[derive(Debug, Default, Deserialize)]
pub struct TransactionInput {
    /// Amount, as the integrator formats it.
    #[serde(default)]
    pub amount: String,
    /// Who receives it.
    #[serde(default, alias = "beneficiary")]
    pub benificiary: String,
    /// Free text.
    #[serde(default)]
    pub description: String,
}

/// The `TransactionId` model, plus `qrdata` (base64 of the transaction code's bytes, for a
/// QR code or deep link).
#[derive(Debug, Serialize)]
pub struct TransactionIdJson {
    /// Base64url transaction id.
    pub tid: String,
    /// Base64 of the transaction code (extension).
    pub qrdata: String,
    /// The number to show with it when number matching asks for one (extension).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matchnumber: Option<String>,
}

/// Path naming a server.
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    /// Base64 server id.
    pub serverid: String,
}

/// Query of `sessions/registeruser`.
#[derive(Debug, Deserialize)]
pub struct RegisterParams {
    /// The user to bind the logged-in account to.
    pub userid: Option<String>,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    let router = super::both(router, "/servers/{serverid}/sessions/", get(status));
    let router = super::both(router, "/servers/{serverid}/sessions/logout", post(logout));
    let router = super::both(
        router,
        "/servers/{serverid}/sessions/provokelogin",
        post(provoke),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/sessions/registeruser",
        post(register_user),
    );
    super::both(
        router,
        "/servers/{serverid}/sessions/transactions",
        post(create_transaction),
    )
}

async fn session(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
) -> ApiResult<Option<SessionRow>> {
    let session_ref = SessionRef::derive(&server.server_id, nonce.as_bytes());
    crate::trace::record_flow(&server.server_id, &session_ref);
    Ok(sessions::get(&state.db, &server.server_id, &session_ref).await?)
}

/// An account that can log in (exists, not deleted, not blocked).
async fn usable(
    state: &SharedState,
    server: &ServerRow,
    account_id: Option<i64>,
) -> ApiResult<Option<AccountRow>> {
    let Some(id) = account_id else {
        return Ok(None);
    };
    Ok(accounts::get(&state.db, &server.server_id, id)
        .await?
        .filter(|a| !a.deleted && !a.blocked))
}

/// The account logged into the session, if any.
async fn logged_in(
    state: &SharedState,
    session: &SessionRow,
    server: &ServerRow,
) -> ApiResult<Option<AccountRow>> {
    if session.state != SessionState::LoggedIn {
        return Ok(None);
    }
    usable(state, server, session.account_id).await
}

/// The login status; creates the session (and its login code) if it is new.
async fn status(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<Json<LoginStatus>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["sessions"]).await?;
    let code = codes::login_code(&state, &server, &nonce, None, clock::now()).await?;
    let qr = code.encode().map_err(StoreError::from)?;
    let session = session(&state, &server, &nonce)
        .await?
        .ok_or(StoreError::Corrupt("sessions"))?;
    let account = logged_in(&state, &session, &server).await?;
    let canprovoke = usable(&state, &server, session.last_account_id)
        .await?
        .is_some();
    Ok(Json(LoginStatus {
        loggedin: account.is_some(),
        userid: account.as_ref().and_then(|a| a.userid.clone()),
        accountid: account.as_ref().map(|a| a.account_id),
        pk: account
            .as_ref()
            .map(|a| extract::encode_base64(&a.public_key.0)),
        canprovoke,
        loginqrdata: extract::encode_base64(&qr),
        hsid: session.session_ref.to_base64(),
        userinput: account.as_ref().map(|_| session.user_input.clone()),
        matchnumber: session.match_number.filter(|_| account.is_none()),
    }))
}

async fn logout(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<StatusCode> {
    let server = super::server_for(&state, &caller, &path.serverid, &["sessions"]).await?;
    codes::logout(&state, &server.server_id, &nonce, clock::now()).await?;
    Ok(StatusCode::OK)
}

/// Push login to the account that last logged into the session; 409 when there is none.
async fn provoke(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<ServerPath>,
    OptionalJson(context): OptionalJson<UserContext>,
) -> ApiResult<Json<ProvokedJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["sessions"]).await?;
    let last = session(&state, &server, &nonce)
        .await?
        .and_then(|s| s.last_account_id)
        .ok_or(ApiError::Conflict(
            "no account has logged into this session yet",
        ))?;
    let provoked = codes::provoke_login(
        &state,
        &server,
        &nonce,
        last,
        context.as_ref(),
        clock::now(),
    )
    .await
    .map_err(provoke_error)?;
    Ok(Json(ProvokedJson {
        matchnumber: provoked.match_number,
    }))
}

/// Binds `userid` to the account logged into the session (creating the user). An account
/// that already belongs to another user is not moved (409; `PUT …/accounts/{id}/user` does).
async fn register_user(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<ServerPath>,
    ApiQuery(params): ApiQuery<RegisterParams>,
) -> ApiResult<StatusCode> {
    let userid = params
        .userid
        .ok_or(ApiError::BadRequest("userid is required"))?;
    let userid = extract::userid(&userid)?;
    let server = super::server_for(&state, &caller, &path.serverid, &["users"]).await?;
    let session = session(&state, &server, &nonce).await?;
    let account = match &session {
        Some(session) => logged_in(&state, session, &server).await?,
        None => None,
    }
    .ok_or(ApiError::NotLoggedIn)?;
    match account.userid.as_deref() {
        Some(current) if current != userid => {
            return Err(ApiError::Conflict("the account belongs to another user"))
        }
        Some(_) => {}
        None => {
            users::ensure(&state.db, &server.server_id, userid, clock::now()).await?;
            accounts::set_user(&state.db, &server.server_id, account.account_id, userid).await?;
        }
    }
    Ok(StatusCode::OK)
}

/// A transaction for the account logged into the session; 403 when none is.
async fn create_transaction(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<ServerPath>,
    ObjectBody(input): ObjectBody<TransactionInput>,
) -> ApiResult<Json<TransactionIdJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["sessions"]).await?;
    if [&input.amount, &input.benificiary, &input.description]
        .iter()
        .any(|t| t.len() > MAX_TEXT_LEN)
    {
        return Err(ApiError::BadRequest(
            "amount, benificiary and description are at most 4096 bytes each",
        ));
    }
    let details = TransactionDetails {
        amount: input.amount,
        beneficiary: input.benificiary,
        description: input.description,
    };
    let (tid, code, matchnumber) =
        codes::create_transaction(&state, &server, &nonce, details, clock::now())
            .await
            .map_err(|err| match err {
                TransactionError::NotLoggedIn => ApiError::NotLoggedIn,
                TransactionError::Store(err) => err.into(),
            })?;
    let qr = code.encode().map_err(StoreError::from)?;
    Ok(Json(TransactionIdJson {
        tid: tid.to_base64(),
        qrdata: extract::encode_base64(&qr),
        matchnumber,
    }))
}
