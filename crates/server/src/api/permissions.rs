//! `/servers/{serverid}/permissions/`: which role holds which permissions on a server.
//!
//! Reading needs `servers`, granting and revoking need `root` (on the server, or global). The
//! all-zero server id (`AAAAAAAAAAAAAAAAAAAAAA`) stands for the global permissions, which
//! need the same permissions held globally.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use nextauth_protocol::ids::ServerId;
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{self, ApiPath, JsonBody};
use crate::state::SharedState;
use crate::store::api_keys::{self, ALL_ACLS, GLOBAL};

/// The `Permission` model: one role's permissions on one server.
#[derive(Debug, Serialize)]
pub struct PermissionJson {
    /// Comma-separated permissions, sorted.
    pub acl: String,
    /// Role id.
    pub role: String,
    /// Base64url server id.
    pub server: String,
}

/// The `Permissions` model.
#[derive(Debug, Serialize)]
pub struct PermissionsJson {
    /// By role.
    pub permissions: Vec<PermissionJson>,
}

/// Path naming a server.
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    /// Base64 server id.
    pub serverid: String,
}

/// Path naming a role on a server.
#[derive(Debug, Deserialize)]
pub struct RolePath {
    /// Base64 server id.
    pub serverid: String,
    /// Role id.
    pub roleid: String,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    let router = super::both(router, "/servers/{serverid}/permissions/", get(list));
    super::both(
        router,
        "/servers/{serverid}/permissions/{roleid}",
        get(read).post(grant).delete(revoke),
    )
}

/// The server (or [`GLOBAL`]) once the caller holds `acl` on it.
async fn scope(
    state: &SharedState,
    caller: &Caller,
    serverid: &str,
    acl: &'static str,
) -> ApiResult<ServerId> {
    let id = extract::server_id(serverid)?;
    caller.require(state, &id, acl).await?;
    if id != GLOBAL {
        super::load_server(state, &id).await?;
    }
    Ok(id)
}

async fn role(state: &SharedState, roleid: &str) -> ApiResult<String> {
    let role = extract::role_id(roleid)?;
    if !api_keys::role_exists(&state.db, role).await? {
        return Err(ApiError::NotFound("role"));
    }
    Ok(role.to_owned())
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<Json<PermissionsJson>> {
    let id = scope(&state, &caller, &path.serverid, "servers").await?;
    let mut permissions: Vec<PermissionJson> = Vec::new();
    for (role, acl) in api_keys::permissions_on(&state.db, &id).await? {
        match permissions.last_mut() {
            Some(last) if last.role == role => {
                last.acl.push(',');
                last.acl.push_str(&acl);
            }
            _ => permissions.push(PermissionJson {
                acl,
                role,
                server: id.to_base64(),
            }),
        }
    }
    Ok(Json(PermissionsJson { permissions }))
}

async fn read(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<RolePath>,
) -> ApiResult<Json<PermissionsJson>> {
    let id = scope(&state, &caller, &path.serverid, "servers").await?;
    let role = role(&state, &path.roleid).await?;
    let acls = api_keys::permissions_of(&state.db, &role, &id).await?;
    let permissions = if acls.is_empty() {
        Vec::new()
    } else {
        vec![PermissionJson {
            acl: acls.join(","),
            role,
            server: id.to_base64(),
        }]
    };
    Ok(Json(PermissionsJson { permissions }))
}

/// Replaces the role's permissions on the server with the body's array.
async fn grant(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<RolePath>,
    JsonBody(acls): JsonBody<Vec<String>>,
) -> ApiResult<StatusCode> {
    let id = scope(&state, &caller, &path.serverid, "root").await?;
    let role = role(&state, &path.roleid).await?;
    let mut known: Vec<&str> = Vec::new();
    for acl in &acls {
        let name = ALL_ACLS
            .iter()
            .find(|a| **a == acl.trim())
            .ok_or(ApiError::BadRequest(
            "unknown permission (accounts, createserver, root, servers, sessions, setrid, users)",
        ))?;
        if !known.contains(name) {
            known.push(name);
        }
    }
    api_keys::set_permissions(&state.db, &role, &id, &known).await?;
    tracing::info!(%role, server = %id.to_base64(), acls = ?known, "permissions set");
    Ok(StatusCode::OK)
}

async fn revoke(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<RolePath>,
) -> ApiResult<StatusCode> {
    let id = scope(&state, &caller, &path.serverid, "root").await?;
    let role = role(&state, &path.roleid).await?;
    api_keys::set_permissions(&state.db, &role, &id, &[]).await?;
    tracing::info!(%role, server = %id.to_base64(), "permissions revoked");
    Ok(StatusCode::OK)
}
