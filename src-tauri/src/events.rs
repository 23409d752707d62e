//! The events bridge: every SDK [`Event`] goes to the webview as one Tauri event,
//! [`SDK_EVENT`], whose payload is the event's tagged JSON (`{"type":"FLOW_UPDATE",…}`,
//! mirrored in TypeScript by the generated `Event` type). If the bridge falls behind the SDK's
//! broadcast channel, [`RESYNC_EVENT`] tells the UI to reload its lists instead of silently
//! missing updates.
//!
//! The bridge also raises the window and (desktop, when enabled and the window is not focused)
//! a notification when a flow starts asking the person something, which is how push logins
//! reach them.

use nextauth_sdk::{Event, Flow, FlowState, Interaction, Sdk};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

/// Name of the Tauri event that carries every SDK event.
pub const SDK_EVENT: &str = "sdk://event";
/// Name of the Tauri event sent when SDK events were missed (payload [`Resync`]).
pub const RESYNC_EVENT: &str = "sdk://resync";
/// Name of the Tauri event with a problem to show once (payload
/// [`IpcError`](crate::error::IpcError)): a deep link from a second launch that did not start.
pub const NOTICE_EVENT: &str = "app://notice";

/// Payload of [`RESYNC_EVENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Resync {
    /// How many events were missed.
    #[cfg_attr(test, ts(type = "number"))]
    pub missed: u64,
}

/// Starts forwarding SDK events to the webview. Subscribes before returning, so no event
/// emitted after this call is lost.
pub fn spawn_bridge<R: Runtime>(app: AppHandle<R>, sdk: &Sdk) {
    let mut rx = sdk.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut last_prompted: Option<String> = None;
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if let Event::FlowUpdate { flow } = &event {
                        remember(&app, flow);
                        if flow.state == FlowState::WaitingForConfirmation
                            && last_prompted.as_deref() != Some(flow.id.as_str())
                        {
                            last_prompted = Some(flow.id.clone());
                            attention(&app, flow);
                        }
                    }
                    if let Err(err) = app.emit(SDK_EVENT, &event) {
                        tracing::warn!(%err, "cannot forward an SDK event");
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(missed, "the UI bridge missed SDK events; asking for resync");
                    let _ = app.emit(RESYNC_EVENT, Resync { missed });
                }
                Err(RecvError::Closed) => break,
            }
        }
    });
}

fn remember<R: Runtime>(app: &AppHandle<R>, flow: &Flow) {
    if let Some(state) = app.try_state::<AppState>() {
        if let Ok(mut last) = state.last_flow.lock() {
            *last = Some(flow.clone());
        }
    }
}

/// Brings the window forward for a new prompt, and notifies when the person is elsewhere.
fn attention<R: Runtime>(app: &AppHandle<R>, flow: &Flow) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let focused = window.is_focused().unwrap_or(false);
    // Phones have no minimised windows; the notification brings the app forward there.
    #[cfg(desktop)]
    let _ = window.unminimize();
    let _ = window.show();
    let _ = window.set_focus();
    let enabled = app
        .try_state::<AppState>()
        .map(|s| s.settings().notifications)
        .unwrap_or(false);
    if focused || !enabled {
        return;
    }
    let server = flow
        .server
        .as_ref()
        .map(|s| s.name.as_str())
        .unwrap_or("a website");
    let (title, body) = match &flow.interaction {
        Some(Interaction::Confirm { .. }) => (
            format!("Log in to {server}?"),
            "Open nextAuth to approve or deny the login.".to_owned(),
        ),
        Some(Interaction::ConfirmTransaction { amount, .. }) => (
            format!("Approve a transaction at {server}?"),
            format!("Amount: {amount}. Open nextAuth to approve or decline."),
        ),
        Some(Interaction::ConfirmEnrol { .. }) => (
            format!("Add an account at {server}?"),
            "Open nextAuth to compare the picture and confirm.".to_owned(),
        ),
        _ => return,
    };
    notify(app, title, body);
}

/// Shows a desktop notification; failure (no notification service) is logged, not fatal.
#[cfg(desktop)]
fn notify<R: Runtime>(_app: &AppHandle<R>, title: String, body: String) {
    tauri::async_runtime::spawn_blocking(move || {
        if let Err(err) = notify_rust::Notification::new()
            .appname("nextAuth")
            .summary(&title)
            .body(&body)
            .show()
        {
            tracing::info!(%err, "desktop notification not shown");
        }
    });
}

/// Shows a notification through Tauri's notification plugin (phones); failure (permission
/// not granted) is logged, not fatal.
#[cfg(mobile)]
fn notify<R: Runtime>(app: &AppHandle<R>, title: String, body: String) {
    use tauri_plugin_notification::NotificationExt;
    if let Err(err) = app.notification().builder().title(title).body(body).show() {
        tracing::info!(%err, "notification not shown");
    }
}
