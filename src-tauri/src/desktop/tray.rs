//! The tray icon (desktops). An authenticator is useful only while it runs: with the tray, the
//! window's close button hides the window instead of quitting (push logins keep arriving and
//! raise it again), and an app started at login starts in the tray instead of on the screen.
//!
//! On Linux the icon is an AppIndicator, which `libayatana-appindicator3` (or
//! `libappindicator3`) provides at run time; the library panics when neither is installed, so
//! the icon is built under `catch_unwind` and the app simply runs without a tray then.

use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Runtime};

use crate::events::show_main_window;

pub use nextauth_desktop::window::{on_close, started_hidden, CloseAction, HIDDEN_ARG};

const OPEN: &str = "open";
const SCAN: &str = "scan";
const QUIT: &str = "quit";

/// Puts the icon in the tray, with "Open nextAuth", "Scan screen" and "Quit" in its menu (AppIndicators have
/// no click events, so the menu is the way back on Linux). Returns whether the icon exists.
pub fn install<R: Runtime>(app: &AppHandle<R>) -> bool {
    let build = || -> tauri::Result<()> {
        let open = MenuItem::with_id(app, OPEN, "Open nextAuth", true, None::<&str>)?;
        // The person is at the website with its code in view: scan it from here.
        let scan = MenuItem::with_id(app, SCAN, "Scan screen", true, None::<&str>)?;
        let quit = MenuItem::with_id(app, QUIT, "Quit nextAuth", true, None::<&str>)?;
        let menu = Menu::with_items(app, &[&open, &scan, &quit])?;
        let mut tray = TrayIconBuilder::with_id("main")
            .tooltip("nextAuth")
            .menu(&menu)
            .show_menu_on_left_click(false)
            .on_menu_event(|app, event| match event.id().as_ref() {
                OPEN => show_main_window(app),
                // The UI runs it, so a choice between codes or a "no code" message shows there.
                SCAN => {
                    let _ = app.emit(crate::events::SCAN_EVENT, ());
                }
                QUIT => app.exit(0),
                _ => {}
            })
            .on_tray_icon_event(|tray, event| {
                // Windows and macOS: a left click opens the window (Linux sends no clicks).
                if let tauri::tray::TrayIconEvent::Click {
                    button: tauri::tray::MouseButton::Left,
                    button_state: tauri::tray::MouseButtonState::Up,
                    ..
                } = event
                {
                    show_main_window(tray.app_handle());
                }
            });
        if let Some(icon) = app.default_window_icon() {
            tray = tray.icon(icon.clone());
        }
        // Kept alive by the app's tray registry; the handle itself is not needed.
        tray.build(app)?;
        Ok(())
    };
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)) {
        Ok(Ok(())) => true,
        Ok(Err(err)) => {
            tracing::warn!(%err, "no tray icon; closing the window quits the app");
            false
        }
        Err(_) => {
            tracing::warn!(
                "no tray icon (is libayatana-appindicator3 installed?); closing the window quits the app"
            );
            false
        }
    }
}
