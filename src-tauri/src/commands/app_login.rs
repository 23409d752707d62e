//! AppLogin ("unlock"): the app logs itself in to its server with its only account, so that
//! the deployment's own backend can learn who uses the app (a short-lived token for one
//! audience, which the backend checks with the server; docs/sdk.md, "AppLogin"). The login
//! runs as a flow like any other: the PIN is asked in the normal prompt when the server wants
//! it; on a continuous server it stays logged in (unlocked) until locked here, logged out by
//! the server, or the connection is lost.

use nextauth_sdk::SessionState;
use serde::Serialize;
use tauri::State;

use crate::error::{IpcError, IpcResult};
use crate::state::AppState;

/// Where the app's own login stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppLoginState {
    /// Not logged in.
    Locked,
    /// The login flow runs (a PIN may be asked in the prompt).
    Unlocking,
    /// Logged in: tokens can be had.
    Unlocked,
}

/// The app's own login, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AppLoginStatus {
    /// Locked, unlocking or unlocked.
    pub state: AppLoginState,
    /// The login's flow (and session) id while it is not locked.
    pub flow_id: Option<String>,
}

/// A token for the app's own backend (the SDK's `AppToken`): a bearer credential the person
/// copies; never logged.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AppLoginToken {
    /// The token text (`nat1.…`).
    pub token: String,
    /// Who it is for.
    pub audience: String,
    /// Not valid after (Unix seconds).
    #[cfg_attr(test, ts(type = "number"))]
    pub expires_at: u64,
}

impl std::fmt::Debug for AppLoginToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppLoginToken")
            .field("audience", &self.audience)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// Longest audience accepted from the UI (the SDK has its own limit too).
const MAX_AUDIENCE_LEN: usize = 512;

/// The status of the app's own login (a login that ended on its own reads as locked). The id
/// stays in its slot after the flow: right after the login its session may still be on its
/// way from flow to session.
pub fn status(state: &AppState) -> AppLoginStatus {
    let Some(id) = state.app_login.lock().ok().and_then(|slot| slot.clone()) else {
        return locked();
    };
    let unlocked = state
        .sdk
        .sessions()
        .iter()
        .any(|s| s.id == id && s.state == SessionState::Active);
    let now = if unlocked {
        AppLoginState::Unlocked
    } else if state.sdk.active_flow().as_deref() == Some(id.as_str()) {
        AppLoginState::Unlocking
    } else {
        return locked();
    };
    AppLoginStatus {
        state: now,
        flow_id: Some(id),
    }
}

fn locked() -> AppLoginStatus {
    AppLoginStatus {
        state: AppLoginState::Locked,
        flow_id: None,
    }
}

/// `invoke('app_login_status')`.
#[tauri::command]
pub fn app_login_status(state: State<'_, AppState>) -> AppLoginStatus {
    status(&state)
}

/// Unlocks: starts AppLogin with the app's only account (34 without an account, 40 with
/// several, 122 while another flow runs). Its progress (and a PIN question) arrives as
/// `sdk://event` like any login. Already unlocked or unlocking: the status as it is.
#[tauri::command]
pub async fn app_login_start(state: State<'_, AppState>) -> IpcResult<AppLoginStatus> {
    let now = status(&state);
    if now.state != AppLoginState::Locked {
        return Ok(now);
    }
    // The web nonce is for a backend that asks the server itself; this app hands out tokens
    // instead, so it is dropped here.
    let login = state.sdk.app_login().await?;
    if let Ok(mut slot) = state.app_login.lock() {
        *slot = Some(login.flow_id.clone());
    }
    Ok(AppLoginStatus {
        state: AppLoginState::Unlocking,
        flow_id: Some(login.flow_id),
    })
}

/// A token for `audience` (the backend's address), valid a few minutes; 135 when the app is
/// not unlocked, 111 when the server no longer vouches for the login, 305 for an empty or
/// overlong audience.
#[tauri::command]
pub async fn app_login_token(
    state: State<'_, AppState>,
    audience: String,
) -> IpcResult<AppLoginToken> {
    let audience = audience.trim();
    if audience.is_empty() || audience.len() > MAX_AUDIENCE_LEN {
        return Err(IpcError::bad_request(
            "say who the token is for (up to 512 characters)",
        ));
    }
    let token = state.sdk.app_login_token(audience).await?;
    Ok(AppLoginToken {
        token: token.token.clone(),
        audience: token.audience.clone(),
        expires_at: token.expires_at,
    })
}

/// Locks: logs the app's own login out on its server. Locked already (or the login ended on
/// its own): nothing to do.
#[tauri::command]
pub async fn app_login_stop(state: State<'_, AppState>) -> IpcResult<AppLoginStatus> {
    let id = state.app_login.lock().ok().and_then(|mut slot| slot.take());
    if let Some(id) = id {
        match state.sdk.stop(&id).await {
            // Ended meanwhile (the server logged it out): locked all the same.
            Ok(())
            | Err(nextauth_sdk::SdkError::Engine(nextauth_sdk::engine::EngineError::UnknownFlow)) =>
                {}
            Err(err) => {
                if let Ok(mut slot) = state.app_login.lock() {
                    *slot = Some(id);
                }
                return Err(err.into());
            }
        }
    }
    Ok(status(&state))
}
