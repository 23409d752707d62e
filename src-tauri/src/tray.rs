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

/// The argument the start-on-login entry passes: start in the tray, window hidden.
pub const HIDDEN_ARG: &str = "--hidden";

const OPEN: &str = "open";
const SCAN: &str = "scan";
const QUIT: &str = "quit";

/// Whether the command line asks to start hidden.
pub fn started_hidden(args: impl IntoIterator<Item = String>) -> bool {
    args.into_iter().any(|a| a == HIDDEN_ARG)
}

/// What the window's close button does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseAction {
    /// Hide the window; the app keeps running in the tray.
    Hide,
    /// Close the window, which ends the app.
    Quit,
}

/// Hiding needs both the preference and a tray icon: without the icon a hidden window could
/// not be brought back except by a push login or a second launch.
pub fn on_close(keep_in_background: bool, tray_shown: bool) -> CloseAction {
    if keep_in_background && tray_shown {
        CloseAction::Hide
    } else {
        CloseAction::Quit
    }
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_hides_only_with_the_preference_and_a_tray() {
        assert_eq!(on_close(true, true), CloseAction::Hide);
        assert_eq!(
            on_close(true, false),
            CloseAction::Quit,
            "no way back without a tray"
        );
        assert_eq!(on_close(false, true), CloseAction::Quit);
        assert_eq!(on_close(false, false), CloseAction::Quit);
    }

    #[test]
    fn hidden_start_is_read_from_the_arguments() {
        assert!(started_hidden(["--hidden".to_owned()]));
        assert!(started_hidden(
            ["nextauth:AAEC", "--hidden"].map(String::from)
        ));
        assert!(!started_hidden(
            ["--hiddenx", "nextauth:AAEC"].map(String::from)
        ));
        assert!(!started_hidden(Vec::<String>::new()));
    }
}
