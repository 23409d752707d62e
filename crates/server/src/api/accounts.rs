//! `/servers/{serverid}/accounts/`: the accounts (app instances) of a server.
//!
//! Listing, blocking, deleting, moving and messages need `accounts`; reading and push logins
//! need `sessions` or `accounts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::{Caller, Nonce};
use super::error::{ApiError, ApiResult};
use super::extract::{self, ApiPath, ApiQuery, ObjectBody, OptionalJson};
use super::{ops, ListParams};
use crate::clock;
use crate::codes::{self, ProvokeError};
use crate::state::SharedState;
use crate::store::accounts::{self, AccountRow, AccountSort};
use crate::store::servers::ServerRow;
use crate::store::users;
use crate::user_context::UserContext;

/// The `Account` model (plus `displayname` and `pk`, which the swagger does not have).
#[derive(Debug, Serialize)]
pub struct AccountJson {
    /// Blocked by the integrator.
    pub blocked: bool,
    /// App version.
    #[serde(rename = "clientVersion")]
    pub client_version: String,
    /// Created (Unix s).
    pub created: u64,
    /// Device name.
    pub description: String,
    /// Account id.
    pub id: i64,
    /// Last login (Unix s, 0 never).
    pub lastlogin: u64,
    /// Last push login (Unix s, 0 never).
    pub lastprovoke: u64,
    /// The user, once registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// Display name from the enrol code (extension).
    pub displayname: String,
    /// Base64 public key of the account, as `LoginStatus.pk` (extension).
    pub pk: String,
    /// Wrong PINs counted since the last right one (extension).
    pub pinfailures: u8,
    /// The PIN is blocked after too many wrong ones (extension).
    pub pinblocked: bool,
    /// Push logins are paused until then (Unix s, 0: not paused): its owner said "This was
    /// not me" (extension).
    pub pushpauseduntil: u64,
}

impl From<&AccountRow> for AccountJson {
    fn from(a: &AccountRow) -> Self {
        Self {
            blocked: a.blocked,
            client_version: a.client_version.clone(),
            created: a.created,
            description: a.description.clone(),
            id: a.account_id,
            lastlogin: a.lastlogin,
            lastprovoke: a.lastprovoke,
            userid: a.userid.clone(),
            displayname: a.display_name.clone(),
            pk: extract::encode_base64(&a.public_key.0),
            pinfailures: a.pin_failures,
            pinblocked: a.pin_blocked,
            pushpauseduntil: a.push_blocked_until,
        }
    }
}

/// The `Accounts` model.
#[derive(Debug, Serialize)]
pub struct AccountsJson {
    /// One page of accounts.
    pub accounts: Vec<AccountJson>,
    /// How many match in all.
    pub totalnumber: i64,
}

/// Path naming a server.
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    /// Base64 server id.
    pub serverid: String,
}

/// Path naming an account.
#[derive(Debug, Deserialize)]
pub struct AccountPath {
    /// Base64 server id.
    pub serverid: String,
    /// Account id.
    pub accountid: String,
}

/// Query of `PUT …/accounts/{accountid}/`.
#[derive(Debug, Deserialize)]
pub struct BlockedParams {
    /// `true` or `false`.
    pub blocked: Option<String>,
    /// `false` resumes push logins (paused after "This was not me", or held back after
    /// unanswered ones); `true` pauses them for the server's block time.
    pub pushpaused: Option<String>,
}

/// Query of `PUT …/accounts/{accountid}/user`.
#[derive(Debug, Deserialize)]
pub struct UserParams {
    /// The user to move the account to.
    pub userid: Option<String>,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    let router = super::both(router, "/servers/{serverid}/accounts/", get(list));
    let router = super::both(
        router,
        "/servers/{serverid}/accounts/{accountid}/",
        get(read).put(update).delete(remove),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/accounts/{accountid}/provokelogin",
        post(provoke),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/accounts/{accountid}/messages",
        post(send_message),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/accounts/{accountid}/resetpin",
        post(reset_pin),
    );
    super::both(
        router,
        "/servers/{serverid}/accounts/{accountid}/user",
        put(move_to_user),
    )
}

/// Maps a sort column name of the `Account` model.
pub(crate) fn sort_column(name: &str) -> Option<AccountSort> {
    Some(match name {
        "id" => AccountSort::Id,
        "userid" => AccountSort::Userid,
        "description" => AccountSort::Description,
        "clientVersion" => AccountSort::ClientVersion,
        "created" => AccountSort::Created,
        "lastlogin" => AccountSort::Lastlogin,
        "lastprovoke" => AccountSort::Lastprovoke,
        "blocked" => AccountSort::Blocked,
        _ => return None,
    })
}

/// A page of accounts of the server (of one user, if given).
pub(crate) async fn page(
    state: &SharedState,
    server: &ServerRow,
    userid: Option<&str>,
    params: &ListParams,
) -> ApiResult<AccountsJson> {
    let query = params.to_query(sort_column)?;
    let (rows, totalnumber) = accounts::list(&state.db, &server.server_id, userid, &query).await?;
    Ok(AccountsJson {
        accounts: rows.iter().map(AccountJson::from).collect(),
        totalnumber,
    })
}

/// A live account of the server, or 404.
pub(crate) async fn load(
    state: &SharedState,
    server: &ServerRow,
    accountid: &str,
) -> ApiResult<AccountRow> {
    let id = extract::account_id(accountid)?;
    accounts::get(&state.db, &server.server_id, id)
        .await?
        .filter(|a| !a.deleted)
        .ok_or(ApiError::NotFound("account"))
}

/// The push login error as the API reports it.
pub(crate) fn provoke_error(err: ProvokeError) -> ApiError {
    match err {
        ProvokeError::NoAccount => ApiError::Conflict("the account is blocked or deleted"),
        ProvokeError::LoggedIn => ApiError::Conflict("the session is logged in already"),
        ProvokeError::TooMany { retry_after } => ApiError::TooMany {
            message: "too many push logins to this account",
            retry_after,
        },
        ProvokeError::Paused { .. } => ApiError::Conflict(
            "push logins to this account are paused: its owner reported a login they did not start",
        ),
        ProvokeError::Held => ApiError::Conflict(
            "push logins to this account are held back until its owner logs in: earlier ones went unanswered or were denied",
        ),
        ProvokeError::Store(err) => err.into(),
    }
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<AccountsJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    Ok(Json(page(&state, &server, None, &params).await?))
}

async fn read(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<AccountPath>,
) -> ApiResult<Json<AccountJson>> {
    let server =
        super::server_for(&state, &caller, &path.serverid, &["sessions", "accounts"]).await?;
    let account = load(&state, &server, &path.accountid).await?;
    Ok(Json(AccountJson::from(&account)))
}

/// Blocks or unblocks; blocking also ends the account's sessions.
async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<AccountPath>,
    ApiQuery(params): ApiQuery<BlockedParams>,
) -> ApiResult<Json<AccountJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    let required = "blocked=true|false or pushpaused=true|false is required";
    let blocked = params
        .blocked
        .as_deref()
        .map(|b| extract::boolean(Some(b), required))
        .transpose()?;
    let paused = params
        .pushpaused
        .as_deref()
        .map(|p| extract::boolean(Some(p), required))
        .transpose()?;
    if blocked.is_none() && paused.is_none() {
        return Err(ApiError::BadRequest(required));
    }
    let account = load(&state, &server, &path.accountid).await?;
    if let Some(blocked) = blocked {
        accounts::set_blocked(&state.db, &server.server_id, account.account_id, blocked).await?;
        if blocked {
            ops::end_sessions_of(&state, &server.server_id, account.account_id, clock::now())
                .await?;
        }
    }
    match paused {
        Some(true) => {
            let minutes = u64::from(server.settings.push_block_minutes.max(1));
            let until = clock::now() + minutes * 60;
            accounts::block_pushes(&state.db, account.account_id, until).await?;
        }
        Some(false) => {
            accounts::resume_pushes(&state.db, account.account_id).await?;
        }
        None => {}
    }
    let account = load(&state, &server, &path.accountid).await?;
    Ok(Json(AccountJson::from(&account)))
}

async fn remove(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<AccountPath>,
) -> ApiResult<StatusCode> {
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    let account = load(&state, &server, &path.accountid).await?;
    if !ops::delete_account(&state, &server, &account, clock::now()).await? {
        return Err(ApiError::NotFound("account"));
    }
    Ok(StatusCode::OK)
}

async fn provoke(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<AccountPath>,
    OptionalJson(context): OptionalJson<UserContext>,
) -> ApiResult<Json<super::sessions::ProvokedJson>> {
    let server =
        super::server_for(&state, &caller, &path.serverid, &["sessions", "accounts"]).await?;
    let account = load(&state, &server, &path.accountid).await?;
    let provoked = codes::provoke_login(
        &state,
        &server,
        &nonce,
        account.account_id,
        context.as_ref(),
        clock::now(),
    )
    .await
    .map_err(provoke_error)?;
    Ok(Json(super::sessions::ProvokedJson {
        matchnumber: provoked.match_number,
    }))
}

/// Body of `POST …/accounts/{accountid}/messages` (extension: the message center).
#[derive(Debug, Deserialize)]
pub struct MessageBody {
    /// Short title (1 to 100 characters).
    pub title: String,
    /// The text (1 to 4096 bytes).
    pub text: String,
}

/// Answer of `POST …/accounts/{accountid}/messages`.
#[derive(Debug, Serialize)]
pub struct MessageSent {
    /// The message's id (base64url), as the app reports it.
    pub messageid: String,
}

/// Sends the account a message through the message center: sealed for the account, delivered
/// on its live connection or at its next pull, and announced through its push service.
async fn send_message(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<AccountPath>,
    ObjectBody(body): ObjectBody<MessageBody>,
) -> ApiResult<Json<MessageSent>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    let account = load(&state, &server, &path.accountid).await?;
    let title = body.title.trim();
    if title.is_empty() || title.chars().count() > 100 || title.len() > 255 {
        return Err(ApiError::BadRequest("title must be 1 to 100 characters"));
    }
    if body.text.trim().is_empty() || body.text.len() > nextauth_protocol::messages::MAX_TEXT_LEN {
        return Err(ApiError::BadRequest("text must be 1 to 4096 bytes"));
    }
    if account.blocked {
        return Err(ApiError::Conflict("the account is blocked"));
    }
    let message = nextauth_protocol::push::PushBody::Message {
        title: title.to_owned(),
        text: body.text,
    };
    let id = crate::message_center::send(&state, &server, &account, &message, clock::now()).await?;
    Ok(Json(MessageSent {
        messageid: id.to_base64(),
    }))
}

/// The way out of a blocked PIN (extension): the counter is cleared and the app sets a PIN
/// again at the account's next login or transaction. The integrator calls it only after
/// making sure, its own way, that the person asking owns the device.
async fn reset_pin(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<AccountPath>,
) -> ApiResult<Json<AccountJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    let account = load(&state, &server, &path.accountid).await?;
    if !crate::store::pin_attempts::reset(&state.db, &server.server_id, account.account_id).await? {
        return Err(ApiError::Conflict("the account has no PIN"));
    }
    tracing::info!(
        account_id = account.account_id,
        "PIN reset by the integrator"
    );
    let account = load(&state, &server, &path.accountid).await?;
    Ok(Json(AccountJson::from(&account)))
}

/// Moves the account to `userid`, creating the user if needed.
async fn move_to_user(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<AccountPath>,
    ApiQuery(params): ApiQuery<UserParams>,
) -> ApiResult<Json<AccountJson>> {
    let userid = params
        .userid
        .ok_or(ApiError::BadRequest("userid is required"))?;
    let userid = extract::userid(&userid)?;
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    let account = load(&state, &server, &path.accountid).await?;
    users::ensure(&state.db, &server.server_id, userid, clock::now()).await?;
    accounts::set_user(&state.db, &server.server_id, account.account_id, userid).await?;
    let account = load(&state, &server, &path.accountid).await?;
    Ok(Json(AccountJson::from(&account)))
}
