//! What only phones have, behind the same interface as `desktop.rs`: notifications, the camera
//! scanner and the biometric prompt from Tauri's plugins, and app links delivered by the OS to
//! the running app (docs/mobile.md says what is wired and what is not yet).

use tauri::{App, Runtime, Window, WindowEvent};

use crate::background;
use crate::state::AppState;

/// The phone's plugins.
pub(crate) fn plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_barcode_scanner::init())
        .plugin(tauri_plugin_biometric::init())
}

/// App links and the nextauth: scheme, which the OS delivers to the running app; the window is
/// always shown (phones have no tray).
pub(crate) fn setup<R: Runtime>(app: &mut App<R>, _state: &AppState) -> bool {
    use tauri_plugin_deep_link::DeepLinkExt;
    let handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        let links = event.urls().into_iter().map(|u| u.to_string()).collect();
        background::open_links(&handle, links);
    });
    true
}

/// Phones' windows are the OS's to close.
pub(crate) fn on_window_event<R: Runtime>(_window: &Window<R>, _event: &WindowEvent) {}

/// Notifications through Tauri's notification plugin.
pub mod notifications {
    use tauri::{AppHandle, Runtime};

    /// Shows a notification through Tauri's notification plugin (phones); failure (permission
    /// not granted) is logged, not fatal.
    pub(crate) fn notify<R: Runtime>(app: &AppHandle<R>, title: String, body: String) {
        use tauri_plugin_notification::NotificationExt;
        if let Err(err) = app.notification().builder().title(title).body(body).show() {
            tracing::info!(%err, "notification not shown");
        }
    }

    /// Phone notifications are the OS's to withdraw.
    pub(crate) fn withdraw() {}
}
