//! `/apikeys/`: the API keys a role created. Global `servers` permission.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiQuery;
use crate::clock;
use crate::state::SharedState;
use crate::store::api_keys;

/// The `ApiKey` model.
#[derive(Debug, Serialize)]
pub struct ApiKeyJson {
    /// The key itself: only in the answer that creates it (only its hash is stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apikey: Option<String>,
    /// Description.
    pub description: String,
    /// The role the key acts as.
    pub role: String,
}

/// The `ApiKeys` model.
#[derive(Debug, Serialize)]
pub struct ApiKeysJson {
    /// The keys.
    pub apikeys: Vec<ApiKeyJson>,
}

/// Query of `POST /apikeys/`.
#[derive(Debug, Deserialize)]
pub struct CreateParams {
    /// Description of the new key's role.
    pub description: Option<String>,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    super::both(router, "/apikeys/", get(list).post(create))
}

async fn list(State(state): State<SharedState>, caller: Caller) -> ApiResult<Json<ApiKeysJson>> {
    caller.require_global(&state, "servers").await?;
    let keys = api_keys::created_by(&state.db, &caller.role).await?;
    Ok(Json(ApiKeysJson {
        apikeys: keys
            .into_iter()
            .map(|k| ApiKeyJson {
                apikey: None,
                description: k.description,
                role: k.role_id,
            })
            .collect(),
    }))
}

/// Makes a new role with a new key and no permissions (grant them through
/// `/servers/{serverid}/permissions/{roleid}`).
async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<CreateParams>,
) -> ApiResult<Json<ApiKeyJson>> {
    caller.require_global(&state, "servers").await?;
    let description = params
        .description
        .ok_or(ApiError::BadRequest("description is required"))?;
    if description.len() > 255 || description.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(
            "description is at most 255 bytes without control characters",
        ));
    }
    let role = URL_SAFE_NO_PAD.encode(
        nextauth_protocol::crypto::random_array::<16>(&state.rng)
            .map_err(crate::store::StoreError::from)?,
    );
    let key = api_keys::create_by(
        &state.db,
        &state.rng,
        &role,
        &description,
        &caller.role,
        clock::now(),
    )
    .await?;
    tracing::info!(%role, "API key created");
    Ok(Json(ApiKeyJson {
        apikey: Some(key),
        description,
        role,
    }))
}
