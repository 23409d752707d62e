//! The events bridge: every SDK [`Event`] goes to the webview as one Tauri event,
//! [`SDK_EVENT`], whose payload is the event's tagged JSON (`{"type":"FLOW_UPDATE",…}`,
//! mirrored in TypeScript by the generated `Event` type). If the bridge falls behind the SDK's
//! broadcast channel, [`RESYNC_EVENT`] tells the UI to reload its lists instead of silently
//! missing updates.
//!
//! The bridge also raises the window and (desktop, when enabled and the window is not focused)
//! a notification when a flow starts asking the person something, which is how push logins
//! reach them.

use nextauth_sdk::{Event, Flow, FlowState, Interaction, Response, Sdk};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use nextauth_desktop::notifications::prompt_notification;

use crate::platform::notifications::{notify, withdraw as withdraw_notification};
use crate::state::AppState;

/// The names of the contract's events (`src/contract.rs`).
macro_rules! event_names {
    (
        commands { $( $module:ident :: $name:ident ( $( $arg:ident : $aty:ty ),* ) -> $ret:ty ; )* }
        events { $( $konst:ident = $channel:literal : $payload:ty ; )* }
    ) => {
        $(
            #[doc = concat!("The Tauri event `", $channel, "` (payload `", stringify!($payload), "`).")]
            pub const $konst: &str = $channel;
        )*
    };
}
ipc_contract!(event_names);

/// Payload of [`RESYNC_EVENT`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct Resync {
    /// How many events were missed.
    #[cfg_attr(test, ts(type = "number"))]
    pub missed: u64,
}

/// Stops a running camera scan (its `scan_camera` answers 307 and the camera goes off).
fn stop_camera<R: Runtime>(app: &AppHandle<R>) {
    if let Some(state) = app.try_state::<crate::state::AppState>() {
        state
            .camera_cancel
            .store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

/// Starts forwarding SDK events to the webview. Subscribes before returning, so no event
/// emitted after this call is lost.
pub fn spawn_bridge<R: Runtime>(app: AppHandle<R>, sdk: &Sdk) {
    let mut rx = sdk.subscribe();
    tauri::async_runtime::spawn(async move {
        let mut last_prompted: Option<String> = None;
        // Whether the last prompted flow still waits for its answer.
        let mut asking = false;
        loop {
            match rx.recv().await {
                Ok(event) => {
                    if let Event::FlowUpdate { flow } = &event {
                        remember(&app, flow);
                        if answer_with_verified_pin(&app, flow) {
                            // The UI never shows a question that is already answered.
                            continue;
                        }
                        let waiting = flow.state == FlowState::WaitingForConfirmation;
                        if waiting && last_prompted.as_deref() != Some(flow.id.as_str()) {
                            last_prompted = Some(flow.id.clone());
                            asking = true;
                            // A prompt (a push login, a link) stops a camera scan at once.
                            stop_camera(&app);
                            attention(&app, flow);
                        } else if !waiting
                            && asking
                            && last_prompted.as_deref() == Some(flow.id.as_str())
                        {
                            // Answered here (or refused, or ended): the notification is stale.
                            asking = false;
                            withdraw_notification();
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

/// The server asks for the PIN that the person proved a moment ago to approve this very flow
/// (`confirm_it_is_you`): the app answers with it rather than asking twice. Returns whether
/// it did. The kept PIN goes once used, or when the flow ends.
fn answer_with_verified_pin<R: Runtime>(app: &AppHandle<R>, flow: &Flow) -> bool {
    let Some(state) = app.try_state::<AppState>() else {
        return false;
    };
    let Ok(mut verified) = state.verified_pin.lock() else {
        return false;
    };
    if verified.as_ref().is_none_or(|(id, _)| *id != flow.id) {
        return false;
    }
    let asks = flow.state == FlowState::WaitingForInput
        && matches!(
            flow.interaction,
            Some(Interaction::VerifySecondFactor { retry: false, .. })
        );
    if !asks {
        if matches!(flow.state, FlowState::Done | FlowState::Error) {
            *verified = None;
        }
        return false;
    }
    let Some((id, pin)) = verified.take() else {
        return false;
    };
    let (app, flow) = (app.clone(), flow.clone());
    tauri::async_runtime::spawn(async move {
        let state = app.state::<AppState>();
        if let Err(err) = state.sdk.respond(&id, Response::Pin { pin }).await {
            tracing::warn!(
                code = err.code(),
                "the proven PIN was not taken; asking the person"
            );
            let _ = app.emit(SDK_EVENT, &Event::FlowUpdate { flow });
        }
    });
    true
}

fn remember<R: Runtime>(app: &AppHandle<R>, flow: &Flow) {
    if let Some(state) = app.try_state::<AppState>() {
        if let Ok(mut last) = state.last_flow.lock() {
            *last = Some(flow.clone());
        }
    }
}

/// Shows the main window and brings it forward (a prompt, the tray's menu, a click on a
/// notification, a second launch).
pub fn show_main_window<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        // Phones have no minimised windows; the notification brings the app forward there.
        #[cfg(desktop)]
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// Brings the window forward for a new prompt, and notifies when the person is elsewhere.
fn attention<R: Runtime>(app: &AppHandle<R>, flow: &Flow) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let focused = window.is_focused().unwrap_or(false);
    show_main_window(app);
    let enabled = app
        .try_state::<AppState>()
        .map(|s| s.settings().notifications)
        .unwrap_or(false);
    if focused || !enabled {
        return;
    }
    if let Some((title, body)) = prompt_notification(flow) {
        notify(app, title, body);
    }
}
