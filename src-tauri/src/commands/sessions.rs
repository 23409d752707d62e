//! Commands on continuous login sessions: the ones active now, and logging one out.

use nextauth_sdk::Session;
use tauri::State;

use crate::error::IpcResult;
use crate::state::AppState;

/// The continuous sessions active now (a website the person is logged in to until one side
/// logs out).
#[tauri::command]
pub fn session_list(state: State<'_, AppState>) -> Vec<Session> {
    state.sdk.sessions()
}

/// Logs the session out on its server (the website sees the logout at once).
#[tauri::command]
pub async fn session_logout(state: State<'_, AppState>, session_id: String) -> IpcResult<()> {
    Ok(state.sdk.stop(&session_id).await?)
}
