//! What only desktops have (Tauri's plugins split the same way into `desktop.rs` and
//! `mobile.rs`, with one interface): single instance, start on login, the desktop-wide Scan
//! shortcut, the tray, a close button that hides the window, notify-rust notifications.

pub mod notifications;
pub mod tray;

use std::sync::atomic::Ordering;

use nextauth_sdk::FlowState;
use tauri::{App, Manager, Runtime, Window, WindowEvent};

use crate::state::AppState;
use crate::{background, events};

/// The desktop-wide shortcut that scans the screen (also handled inside the window by the UI).
pub const SCAN_SHORTCUT: &str = "Ctrl+Alt+S";

/// The desktop's plugins.
pub(crate) fn plugins<R: Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    // First, so a second launch hands its arguments over before anything else starts. Without
    // a D-Bus session bus (tests, CI) the plugin logs it and the app starts normally.
    builder
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            events::show_main_window(app);
            background::open_links(app, background::links_from_args(argv.into_iter().skip(1)));
        }))
        // "Start on login": settings_update turns the OS entry on and off. The entry starts
        // the app in the tray.
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .args([tray::HIDDEN_ARG])
                .build(),
        )
        // The desktop-wide "Scan screen" shortcut: the person is at the website, with the code
        // in view, and presses it there. Registered in `setup` (it may be taken or unsupported).
        .plugin(
            tauri_plugin_global_shortcut::Builder::new()
                .with_handler(|app, _shortcut, event| {
                    if event.state == tauri_plugin_global_shortcut::ShortcutState::Pressed {
                        use tauri::Emitter;
                        let _ = app.emit(events::SCAN_EVENT, ());
                    }
                })
                .build(),
        )
}

/// The tray and the Scan shortcut; returns whether the window is shown now (not when the app
/// was started at login and has a tray to wait in).
pub(crate) fn setup<R: Runtime>(app: &mut App<R>, state: &AppState) -> bool {
    let tray = tray::install(app.handle());
    state.tray.store(tray, Ordering::SeqCst);
    use tauri_plugin_global_shortcut::GlobalShortcutExt;
    match app.global_shortcut().register(SCAN_SHORTCUT) {
        // On Linux the grab is X11's: without an X display it silently does nothing, and in a
        // Wayland session it sees only keys typed into X11 windows, so the app does not
        // promise it there.
        Ok(()) => state
            .scan_shortcut
            .store(global_shortcut_reaches_every_window(), Ordering::SeqCst),
        Err(err) => tracing::warn!(%err, "no desktop-wide Scan shortcut"),
    }
    !(tray && tray::started_hidden(std::env::args().skip(1)))
}

/// The close button: the camera stops at once (its light goes off); with a tray the window is
/// hidden instead of closed, unless a request waiting for the person could not be found again.
pub(crate) fn on_window_event<R: Runtime>(window: &Window<R>, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let Some(state) = window.try_state::<AppState>() else {
        return;
    };
    state.camera_cancel.store(true, Ordering::SeqCst);
    let settings = state.settings();
    if tray::on_close(
        settings.keep_in_background,
        state.tray.load(Ordering::SeqCst),
    ) != tray::CloseAction::Hide
    {
        return;
    }
    api.prevent_close();
    // A request that waits for the person is never left invisible: its notification is shown
    // again (where no tray host shows the icon it is the only way back), or, without
    // notifications, the window stays.
    let waiting = state.current_flow().filter(|f| {
        matches!(
            f.state,
            FlowState::WaitingForConfirmation | FlowState::WaitingForInput
        )
    });
    if let Some(flow) = waiting {
        if notifications::notify_waiting_prompt(window.app_handle(), &flow) {
            let _ = window.hide();
            tracing::info!("window hidden; its request is in a notification");
        } else {
            tracing::info!("window kept: a request waits and cannot be notified");
            let _ = window.set_focus();
        }
        return;
    }
    let _ = window.hide();
    tracing::info!("window hidden; still running in the tray");
    // Once per run, so a closed window is not mistaken for a quit app (and where no tray host
    // shows the icon, this is the only sign of it).
    if !state.told_in_tray.swap(true, Ordering::SeqCst) && settings.notifications {
        notifications::notify_still_running(window.app_handle());
    }
}

/// Whether a registered global shortcut hears keys typed into any window (this session's
/// environment; `nextauth_desktop::window::global_shortcut_reaches_every_window`).
fn global_shortcut_reaches_every_window() -> bool {
    nextauth_desktop::window::global_shortcut_reaches_every_window(
        cfg!(target_os = "linux"),
        |name| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned()),
    )
}
