//! `/servers/{serverid}/fraudreports` (extension): "This was not me" reports and wrong numbers
//! given in the app, newest first. Needs `accounts`.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{ApiPath, ApiQuery};
use super::sessions::ServerPath;
use crate::state::SharedState;
use crate::store::fraud_reports::{self, FraudReport};

/// Most reports per page.
const MAX_PAGE: i64 = 500;

/// Query of the list.
#[derive(Debug, Deserialize)]
pub struct ReportParams {
    /// At most this many (default and maximum 500).
    pub limit: Option<String>,
    /// Only reports older than this id (the `next` of the previous page).
    pub before: Option<String>,
}

/// A page of reports.
#[derive(Debug, Serialize)]
pub struct ReportsJson {
    /// The reports, newest first.
    pub reports: Vec<FraudReport>,
    /// Pass as `before` for the next page; absent on the last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<i64>,
}

pub(super) fn routes(router: Router<SharedState>) -> Router<SharedState> {
    super::both(router, "/servers/{serverid}/fraudreports", get(list))
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
    ApiQuery(params): ApiQuery<ReportParams>,
) -> ApiResult<Json<ReportsJson>> {
    let server = super::server_for(&state, &caller, &path.serverid, &["accounts"]).await?;
    let number = |text: Option<&str>, what: &'static str| {
        text.map(|t| {
            t.trim()
                .parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or(ApiError::BadRequest(what))
        })
        .transpose()
    };
    let limit = number(params.limit.as_deref(), "limit must be a positive number")?
        .unwrap_or(MAX_PAGE)
        .min(MAX_PAGE);
    let before = number(params.before.as_deref(), "before must be a report id")?;
    let reports = fraud_reports::list(&state.db, &server.server_id, before, limit).await?;
    let next = (reports.len() as i64 == limit)
        .then(|| reports.last().map(|r| r.report_id))
        .flatten();
    Ok(Json(ReportsJson { reports, next }))
}
