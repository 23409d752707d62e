//! `/servers/{serverid}/users/`: the integrator's users, their accounts, attributes and role.
//!
//! Most need `users`; reading a user's accounts or attributes and push logins also accept
//! `sessions`; deleting a user's accounts also accepts `accounts`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::accounts::{self as account_api, AccountsJson};
use super::attributes as attribute_api;
use super::auth::{Caller, Nonce};
use super::error::{ApiError, ApiResult};
use super::extract::{self, ApiPath, ApiQuery, JsonBody, OptionalJson};
use super::{ops, ListParams};
use crate::clock;
use crate::codes::{self, ProvokeError};
use crate::state::SharedState;
use crate::store::attributes::Scope;
use crate::store::servers::ServerRow;
use crate::store::users::{self, UserRow, UserSort};
use crate::store::{accounts, api_keys, StoreError};
use crate::user_context::UserContext;

/// The `User` model.
#[derive(Debug, Serialize)]
pub struct UserJson {
    /// Last login of any of its accounts (Unix s, 0 never).
    pub lastlogin: u64,
    /// Number of live accounts.
    pub numberaccounts: i64,
    /// User id.
    pub userid: String,
}

/// The `Users` model.
#[derive(Debug, Serialize)]
pub struct UsersJson {
    /// How many match in all.
    pub totalnumber: i64,
    /// One page of users.
    pub users: Vec<UserJson>,
}

/// The `Role` model.
#[derive(Debug, Serialize)]
pub struct RoleJson {
    /// Role id.
    pub role: String,
}

/// Path naming a server.
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    /// Base64 server id.
    pub serverid: String,
}

/// Path naming a user.
#[derive(Debug, Deserialize)]
pub struct UserPath {
    /// Base64 server id.
    pub serverid: String,
    /// User id.
    pub userid: String,
}

/// Path naming a user's attribute.
#[derive(Debug, Deserialize)]
pub struct UserKeyPath {
    /// Base64 server id.
    pub serverid: String,
    /// User id.
    pub userid: String,
    /// Attribute key.
    pub attributekey: String,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    let router = super::both(router, "/servers/{serverid}/users/", get(list));
    let router = super::both(
        router,
        "/servers/{serverid}/users/{userid}/",
        get(accounts_of).delete(remove),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/users/{userid}/accounts",
        get(accounts_of).delete(remove_accounts),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/users/{userid}/attributes/",
        get(get_attributes)
            .post(replace_attributes)
            .put(merge_attributes)
            .delete(delete_attributes),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/users/{userid}/attributes/{attributekey}",
        delete(delete_attribute),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/users/{userid}/provokelogin",
        post(provoke),
    );
    super::both(
        router,
        "/servers/{serverid}/users/{userid}/role/",
        get(get_role).post(make_role),
    )
}

fn sort_column(name: &str) -> Option<UserSort> {
    Some(match name {
        "userid" => UserSort::Userid,
        "lastlogin" => UserSort::Lastlogin,
        "numberaccounts" => UserSort::Numberaccounts,
        "created" => UserSort::Created,
        _ => return None,
    })
}

/// The server and the existing user named by the path, once the caller holds one of `acls`.
async fn user_for(
    state: &SharedState,
    caller: &Caller,
    path: &UserPath,
    acls: &'static [&'static str],
) -> ApiResult<(ServerRow, UserRow)> {
    let userid = extract::userid(&path.userid)?;
    let server = super::server_for(state, caller, &path.serverid, acls).await?;
    let user = users::get(&state.db, &server.server_id, userid)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok((server, user))
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<UsersJson>> {
    let query = params.to_query(sort_column)?;
    let server = super::server_for(&state, &caller, &path.serverid, &["users"]).await?;
    let (rows, totalnumber) = users::list(&state.db, &server.server_id, &query).await?;
    Ok(Json(UsersJson {
        totalnumber,
        users: rows
            .into_iter()
            .map(|u| UserJson {
                lastlogin: u.lastlogin,
                numberaccounts: u.numberaccounts,
                userid: u.userid,
            })
            .collect(),
    }))
}

async fn accounts_of(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<AccountsJson>> {
    let (server, user) = user_for(&state, &caller, &path, &["sessions", "users"]).await?;
    Ok(Json(
        account_api::page(&state, &server, Some(&user.userid), &params).await?,
    ))
}

/// Deletes the user, its attributes, and its accounts (the apps are told).
async fn remove(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
) -> ApiResult<StatusCode> {
    let (server, user) = user_for(&state, &caller, &path, &["users"]).await?;
    ops::delete_accounts_of(&state, &server, &user.userid, clock::now()).await?;
    users::delete(&state.db, &server.server_id, &user.userid).await?;
    Ok(StatusCode::OK)
}

async fn remove_accounts(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
) -> ApiResult<StatusCode> {
    let (server, user) = user_for(&state, &caller, &path, &["accounts", "users"]).await?;
    ops::delete_accounts_of(&state, &server, &user.userid, clock::now()).await?;
    Ok(StatusCode::OK)
}

async fn get_attributes(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
) -> ApiResult<Json<Value>> {
    let (server, user) = user_for(&state, &caller, &path, &["sessions", "users"]).await?;
    attribute_api::read(&state, Scope::User(&server.server_id, &user.userid)).await
}

/// Replaces the attributes; creates the user if it does not exist.
async fn replace_attributes(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<StatusCode> {
    let userid = extract::userid(&path.userid)?;
    let server = super::server_for(&state, &caller, &path.serverid, &["users"]).await?;
    let map = attribute_api::object(body)?;
    users::ensure(&state.db, &server.server_id, userid, clock::now()).await?;
    attribute_api::write(
        &state,
        Scope::User(&server.server_id, userid),
        Value::Object(map),
        true,
    )
    .await
}

async fn merge_attributes(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<StatusCode> {
    let (server, user) = user_for(&state, &caller, &path, &["users"]).await?;
    attribute_api::write(
        &state,
        Scope::User(&server.server_id, &user.userid),
        body,
        false,
    )
    .await
}

async fn delete_attributes(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
) -> ApiResult<StatusCode> {
    let (server, user) = user_for(&state, &caller, &path, &["users"]).await?;
    attribute_api::remove(&state, Scope::User(&server.server_id, &user.userid), None).await
}

async fn delete_attribute(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserKeyPath>,
) -> ApiResult<StatusCode> {
    let user_path = UserPath {
        serverid: path.serverid,
        userid: path.userid,
    };
    let (server, user) = user_for(&state, &caller, &user_path, &["users"]).await?;
    attribute_api::remove(
        &state,
        Scope::User(&server.server_id, &user.userid),
        Some(&path.attributekey),
    )
    .await
}

/// Push login to every usable account of the user; 409 when it has none.
async fn provoke(
    State(state): State<SharedState>,
    caller: Caller,
    Nonce(nonce): Nonce,
    ApiPath(path): ApiPath<UserPath>,
    OptionalJson(context): OptionalJson<UserContext>,
) -> ApiResult<Json<super::sessions::ProvokedJson>> {
    let (server, user) = user_for(&state, &caller, &path, &["sessions", "users"]).await?;
    let now = clock::now();
    let mut sent = 0;
    let mut refused = None;
    let mut number = None;
    for account in accounts::of_user(&state.db, &server.server_id, &user.userid).await? {
        if account.blocked {
            continue;
        }
        match codes::provoke_login(
            &state,
            &server,
            &nonce,
            account.account_id,
            context.as_ref(),
            now,
        )
        .await
        {
            // Every push to the session carries its one number: the last one set is the one.
            Ok(provoked) => {
                sent += 1;
                number = provoked.match_number;
            }
            Err(ProvokeError::NoAccount) => {}
            Err(ProvokeError::LoggedIn) => {
                return Err(ApiError::Conflict("the session is logged in already"))
            }
            Err(ProvokeError::Store(err)) => return Err(err.into()),
            // The user's other accounts may still be pushed to.
            Err(err) => refused = Some(err),
        }
    }
    if sent == 0 {
        return Err(match refused {
            Some(err) => super::accounts::provoke_error(err),
            None => ApiError::Conflict("the user has no account to push to"),
        });
    }
    Ok(Json(super::sessions::ProvokedJson {
        matchnumber: number,
    }))
}

async fn get_role(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
) -> ApiResult<Json<RoleJson>> {
    let (_, user) = user_for(&state, &caller, &path, &["users"]).await?;
    let role = user.role_id.ok_or(ApiError::NotFound("role"))?;
    Ok(Json(RoleJson { role }))
}

/// The user's role, made (with no permissions) if it has none.
async fn make_role(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<UserPath>,
) -> ApiResult<Json<RoleJson>> {
    let (server, user) = user_for(&state, &caller, &path, &["users"]).await?;
    if let Some(role) = user.role_id {
        return Ok(Json(RoleJson { role }));
    }
    let role = URL_SAFE_NO_PAD.encode(
        nextauth_protocol::crypto::random_array::<16>(&state.rng).map_err(StoreError::from)?,
    );
    api_keys::ensure_role(&state.db, &role).await?;
    users::set_role_if_none(&state.db, &server.server_id, &user.userid, &role).await?;
    // A concurrent request may have won: answer the role that is stored.
    let role = users::get(&state.db, &server.server_id, &user.userid)
        .await?
        .and_then(|u| u.role_id)
        .ok_or(ApiError::NotFound("user"))?;
    Ok(Json(RoleJson { role }))
}
