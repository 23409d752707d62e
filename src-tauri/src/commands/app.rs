//! Commands about the app itself: what it is, and the UI's "I am listening" handshake.

use std::sync::atomic::Ordering;

use nextauth_sdk::Flow;
use serde::Serialize;
use tauri::{AppHandle, Manager, Runtime, State};

use crate::error::IpcError;
use crate::state::AppState;

/// Name, versions and where the data lives (the settings screen's "About").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Product name.
    pub name: String,
    /// Version of the app (and of the SDK: one workspace version).
    pub version: String,
    /// Version of the Tauri runtime.
    pub tauri_version: String,
    /// Version of the system webview, when known.
    pub webview_version: Option<String>,
    /// Operating system (`linux`, `windows`, `macos`, `android`, `ios`).
    pub platform: String,
    /// Directory holding the database, the keystore file and the settings.
    pub data_dir: String,
    /// How secrets at rest are protected: `os-keychain` (the wrapping key in the OS keychain)
    /// or `file` (in a 0600 file in the data directory).
    pub keystore: String,
    /// Whether "scan from screen" can work in this build and session.
    pub screen_capture: bool,
    /// Whether a camera scanner is built in.
    pub camera: bool,
    /// Whether the app can be started at login here (desktops with the autostart plugin).
    pub start_on_login: bool,
    /// Whether the app has a tray icon, so it can keep running with its window closed.
    pub tray: bool,
    /// Whether the app can make itself the handler of `nextauth:` links here (Linux, Windows).
    pub link_handler: bool,
    /// Whether Ctrl+Alt+S scans the screen from any application (the desktop-wide shortcut is
    /// registered); otherwise it works in the app's window only.
    pub global_scan_shortcut: bool,
}

/// What the UI needs right after it attached its listeners.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ReadyState {
    /// The open flow (a prompt to show), if any: started by a deep link on the command line
    /// or by a push message before the UI was listening.
    pub flow: Option<Flow>,
    /// Problems the UI should show once (deep links that could not start).
    pub notices: Vec<IpcError>,
}

/// Returns the app's name, versions and data location (`invoke('app_info')`).
#[tauri::command]
pub fn app_info<R: Runtime>(app: AppHandle<R>, state: State<'_, AppState>) -> AppInfo {
    AppInfo {
        name: "nextAuth".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        tauri_version: tauri::VERSION.into(),
        webview_version: tauri::webview_version().ok(),
        platform: std::env::consts::OS.into(),
        data_dir: state.data_dir.display().to_string(),
        keystore: state.keystore.into(),
        screen_capture: crate::scanner::screen_capture_supported(),
        // Every desktop build has the camera scanner; phones use the platform's.
        camera: cfg!(desktop),
        start_on_login: crate::autostart::with_item(&app, |item| item.is_some()),
        tray: state.tray.load(Ordering::SeqCst),
        link_handler: crate::links::with_handler(&app, |handler| handler.is_some()),
        global_scan_shortcut: state.scan_shortcut.load(Ordering::SeqCst),
    }
}

/// Why the app could not open its data at start, if it could not (the UI asks first and then
/// shows only that screen): the SDK's error and the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct StartupError {
    /// The error (203: database missing, 204: key does not fit, 205: another installation's).
    pub error: IpcError,
    /// The data directory it concerns.
    pub data_dir: String,
}

/// `invoke('app_startup_error')`: `null` when the app opened its data.
#[tauri::command]
pub fn app_startup_error<R: Runtime>(app: AppHandle<R>) -> Option<StartupError> {
    let failure = app.try_state::<crate::state::StartupFailure>()?;
    Some(StartupError {
        error: failure.error.clone(),
        data_dir: failure.data_dir.clone(),
    })
}

/// The UI calls this once its event listeners are attached: deep links received at start are
/// started now (their events reach the UI), and the open flow is returned.
#[tauri::command]
pub async fn app_ready(state: State<'_, AppState>) -> Result<ReadyState, IpcError> {
    let links = match state.pending_links.lock() {
        Ok(mut pending) => {
            // Under the queue's lock: see background::open_links.
            if !state.ui_ready.swap(true, Ordering::SeqCst) {
                tracing::info!(
                    elapsed_ms = state.started.elapsed().as_millis() as u64,
                    "ui ready"
                );
            }
            std::mem::take(&mut *pending)
        }
        Err(_) => Vec::new(),
    };
    let mut notices = Vec::new();
    let mut started = None;
    for link in links {
        match state.start_link(&link).await {
            Ok(flow) => started = Some(flow),
            Err(err) => notices.push(IpcError::from(err)),
        }
    }
    Ok(ReadyState {
        // The bridge may not have seen the new flow's first event yet.
        flow: state.current_flow().or(started),
        notices,
    })
}
