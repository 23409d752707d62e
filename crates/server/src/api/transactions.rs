//! `/servers/{serverid}/transactions/{transactionid}`: a transaction's result. `sessions`
//! permission.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use nextauth_protocol::ids::TransactionRef;
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::ApiPath;
use crate::state::SharedState;
use crate::store::transactions::{self, TransactionStatus};

/// The `TransactionResult` model.
#[derive(Debug, Serialize)]
pub struct TransactionResult {
    /// `"0"` new, `"1"` approved, `"2"` declined (a string, as the swagger types it).
    pub tstatus: &'static str,
}

/// Path naming a transaction.
#[derive(Debug, Deserialize)]
pub struct TransactionPath {
    /// Base64 server id.
    pub serverid: String,
    /// Base64url transaction id.
    pub transactionid: String,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    super::both(
        router,
        "/servers/{serverid}/transactions/{transactionid}",
        get(result),
    )
}

async fn result(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<TransactionPath>,
) -> ApiResult<Json<TransactionResult>> {
    let tid = TransactionRef::from_base64(&path.transactionid)
        .map_err(|_| ApiError::BadRequest("transactionid is not a base64 transaction id"))?;
    let server = super::server_for(&state, &caller, &path.serverid, &["sessions"]).await?;
    let row = transactions::get(&state.db, &server.server_id, &tid)
        .await?
        .ok_or(ApiError::NotFound("transaction"))?;
    Ok(Json(TransactionResult {
        tstatus: match row.status {
            TransactionStatus::New => "0",
            TransactionStatus::Approved => "1",
            TransactionStatus::Declined => "2",
        },
    }))
}
