//! Commands on accounts: list, detail, delete, pause push logins.

use nextauth_sdk::{Account, ServerInfo};
use serde::Serialize;
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

/// An account with its server's parameters, for the detail screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AccountDetail {
    /// The account.
    pub account: Account,
    /// Its server as last verified (None if the stored parameters are missing).
    pub server: Option<ServerInfo>,
}

/// What deleting an account did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct DeleteResult {
    /// The server confirmed now; `false`: it could not be reached, the account is marked and
    /// the deletion is retried in the background.
    pub server_confirmed: bool,
}

/// What pausing push logins did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct PushPause {
    /// Paused until then (Unix seconds); `None`: push logins are allowed.
    #[cfg_attr(test, ts(type = "number | null"))]
    pub paused_until: Option<u64>,
}

/// Every account (`invoke('account_list')`).
#[tauri::command]
pub async fn account_list(state: State<'_, AppState>) -> IpcResult<Vec<Account>> {
    Ok(state.sdk.accounts().await?)
}

/// One account with its server's parameters and visual hash.
#[tauri::command]
pub async fn account_detail(
    state: State<'_, AppState>,
    account_id: String,
) -> IpcResult<AccountDetail> {
    let account = state
        .sdk
        .accounts()
        .await?
        .into_iter()
        .find(|a| a.id == account_id)
        .ok_or(nextauth_sdk::SdkError::Engine(
            nextauth_sdk::engine::EngineError::UnknownAccount,
        ))?;
    let server = state.sdk.server(&account.server_id).await?;
    Ok(AccountDetail { account, server })
}

/// Deletes an account (the server is told first; see [`DeleteResult`]).
#[tauri::command]
pub async fn account_delete(
    state: State<'_, AppState>,
    account_id: String,
) -> IpcResult<DeleteResult> {
    let server_confirmed = state.sdk.delete_account(&account_id).await?;
    Ok(DeleteResult { server_confirmed })
}

/// Pauses push logins to the account on its server for `minutes` (at most 10080), or resumes
/// them (`0`): the person's lock after a request they did not start.
#[tauri::command]
pub async fn account_pause_push(
    state: State<'_, AppState>,
    account_id: String,
    minutes: u16,
) -> IpcResult<PushPause> {
    let paused_until = state.sdk.pause_push(&account_id, minutes).await?;
    Ok(PushPause { paused_until })
}
