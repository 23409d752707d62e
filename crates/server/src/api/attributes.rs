//! Global attributes (`/attributes/`), server attributes (`/servers/{serverid}/attributes/`)
//! and privileged server attributes (`/servers/{serverid}/privilegedattributes/`).
//!
//! Attributes are a JSON object; `POST` replaces every attribute, `PUT` sets the given ones
//! and keeps the rest. Global and privileged attributes need global `servers`; a server's own
//! attributes need `servers` on it.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};
use nextauth_protocol::ids::ServerId;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{self, ApiPath, JsonBody};
use crate::state::SharedState;
use crate::store::attributes::{self, Scope};
use crate::store::servers::ServerRow;

/// Most attributes one scope may hold.
pub const MAX_ATTRIBUTES: usize = 1000;

/// Path of the server attribute routes.
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    /// Base64 server id.
    pub serverid: String,
}

/// Path naming one attribute of a server.
#[derive(Debug, Deserialize)]
pub struct ServerKeyPath {
    /// Base64 server id.
    pub serverid: String,
    /// Attribute key.
    pub attributekey: String,
}

/// Path naming one global attribute.
#[derive(Debug, Deserialize)]
pub struct KeyPath {
    /// Attribute key.
    pub attributekey: String,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    let router = super::both(
        router,
        "/attributes/",
        get(get_global)
            .post(replace_global)
            .put(merge_global)
            .delete(delete_global),
    );
    let router = super::both(
        router,
        "/attributes/{attributekey}",
        delete(delete_global_key),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/attributes/",
        get(get_of_server::<OWN>)
            .post(write_of_server::<OWN, true>)
            .put(write_of_server::<OWN, false>)
            .delete(delete_of_server::<OWN>),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/attributes/{attributekey}",
        delete(delete_key_of_server::<OWN>),
    );
    let router = super::both(
        router,
        "/servers/{serverid}/privilegedattributes/",
        get(get_of_server::<PRIVILEGED>)
            .post(write_of_server::<PRIVILEGED, true>)
            .put(write_of_server::<PRIVILEGED, false>)
            .delete(delete_of_server::<PRIVILEGED>),
    );
    super::both(
        router,
        "/servers/{serverid}/privilegedattributes/{attributekey}",
        delete(delete_key_of_server::<PRIVILEGED>),
    )
}

/// A request body as attributes: a JSON object with valid keys.
pub(crate) fn object(body: Value) -> ApiResult<Map<String, Value>> {
    let Value::Object(map) = body else {
        return Err(ApiError::BadRequest("attributes must be a JSON object"));
    };
    if map.len() > MAX_ATTRIBUTES {
        return Err(ApiError::BadRequest("too many attributes"));
    }
    for key in map.keys() {
        extract::attribute_key(key)?;
    }
    Ok(map)
}

/// `GET` of a scope.
pub(crate) async fn read(state: &SharedState, scope: Scope<'_>) -> ApiResult<Json<Value>> {
    Ok(Json(Value::Object(
        attributes::get_all(&state.db, scope).await?,
    )))
}

/// `POST` (`replace`) or `PUT` of a scope.
pub(crate) async fn write(
    state: &SharedState,
    scope: Scope<'_>,
    body: Value,
    replace: bool,
) -> ApiResult<StatusCode> {
    let map = object(body)?;
    attributes::set(&state.db, scope, &map, replace).await?;
    Ok(StatusCode::OK)
}

/// `DELETE` of one key (`Some`) or the whole scope.
pub(crate) async fn remove(
    state: &SharedState,
    scope: Scope<'_>,
    key: Option<&str>,
) -> ApiResult<StatusCode> {
    match key {
        Some(key) => {
            attributes::delete(&state.db, scope, extract::attribute_key(key)?).await?;
        }
        None => {
            attributes::delete_all(&state.db, scope).await?;
        }
    }
    Ok(StatusCode::OK)
}

async fn get_global(State(state): State<SharedState>, caller: Caller) -> ApiResult<Json<Value>> {
    caller.require_global(&state, "servers").await?;
    read(&state, Scope::Global).await
}

async fn replace_global(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<StatusCode> {
    caller.require_global(&state, "servers").await?;
    write(&state, Scope::Global, body, true).await
}

async fn merge_global(
    State(state): State<SharedState>,
    caller: Caller,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<StatusCode> {
    caller.require_global(&state, "servers").await?;
    write(&state, Scope::Global, body, false).await
}

async fn delete_global(State(state): State<SharedState>, caller: Caller) -> ApiResult<StatusCode> {
    caller.require_global(&state, "servers").await?;
    remove(&state, Scope::Global, None).await
}

async fn delete_global_key(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<KeyPath>,
) -> ApiResult<StatusCode> {
    caller.require_global(&state, "servers").await?;
    remove(&state, Scope::Global, Some(&path.attributekey)).await
}

/// Which attributes of a server a route serves (a const parameter of the handlers below).
const OWN: bool = false;
/// The privileged ones.
const PRIVILEGED: bool = true;

/// The server of a path, once the caller may use its own (`servers` on it) or its privileged
/// attributes (global `servers`, then an existing server).
async fn server_of<const PRIV: bool>(
    state: &SharedState,
    caller: &Caller,
    serverid: &str,
) -> ApiResult<ServerId> {
    let server: ServerRow = if PRIV {
        let id = extract::server_id(serverid)?;
        caller.require_global(state, "servers").await?;
        super::load_server(state, &id).await?
    } else {
        super::server_for(state, caller, serverid, &["servers"]).await?
    };
    Ok(server.server_id)
}

fn scope_of<const PRIV: bool>(server: &ServerId) -> Scope<'_> {
    if PRIV {
        Scope::Privileged(server)
    } else {
        Scope::Server(server)
    }
}

async fn get_of_server<const PRIV: bool>(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<Json<Value>> {
    let server = server_of::<PRIV>(&state, &caller, &path.serverid).await?;
    read(&state, scope_of::<PRIV>(&server)).await
}

/// `POST` (`REPLACE`) or `PUT`.
async fn write_of_server<const PRIV: bool, const REPLACE: bool>(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
    JsonBody(body): JsonBody<Value>,
) -> ApiResult<StatusCode> {
    let server = server_of::<PRIV>(&state, &caller, &path.serverid).await?;
    write(&state, scope_of::<PRIV>(&server), body, REPLACE).await
}

async fn delete_of_server<const PRIV: bool>(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<StatusCode> {
    let server = server_of::<PRIV>(&state, &caller, &path.serverid).await?;
    remove(&state, scope_of::<PRIV>(&server), None).await
}

async fn delete_key_of_server<const PRIV: bool>(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerKeyPath>,
) -> ApiResult<StatusCode> {
    let server = server_of::<PRIV>(&state, &caller, &path.serverid).await?;
    remove(&state, scope_of::<PRIV>(&server), Some(&path.attributekey)).await
}
