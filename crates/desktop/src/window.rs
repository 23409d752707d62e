//! What the window does, decided without Tauri: whether the app starts hidden in the tray,
//! what the close button does, and whether the desktop-wide Scan shortcut can hear keys typed
//! into other windows. The app's `tray.rs` and `lib.rs` act on these answers.

/// The argument the start-on-login entry passes: start in the tray, window hidden.
pub const HIDDEN_ARG: &str = "--hidden";

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

/// Whether a registered global shortcut hears keys typed into any window: always on Windows
/// and macOS; on Linux (`linux`) only in an X11 session (an X display, and not Wayland).
/// `env` reads the session's environment.
pub fn global_shortcut_reaches_every_window(
    linux: bool,
    env: impl Fn(&str) -> Option<String>,
) -> bool {
    if !linux {
        return true;
    }
    let set = |name: &str| env(name).is_some_and(|v| !v.is_empty());
    let wayland = set("WAYLAND_DISPLAY")
        || env("XDG_SESSION_TYPE").is_some_and(|t| t.eq_ignore_ascii_case("wayland"));
    set("DISPLAY") && !wayland
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

    #[test]
    fn the_global_shortcut_reaches_other_windows_on_x11_only() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        assert!(global_shortcut_reaches_every_window(false, env(&[])));
        assert!(global_shortcut_reaches_every_window(
            true,
            env(&[("DISPLAY", ":0")])
        ));
        assert!(!global_shortcut_reaches_every_window(true, env(&[])));
        assert!(!global_shortcut_reaches_every_window(
            true,
            env(&[("DISPLAY", "")])
        ));
        assert!(!global_shortcut_reaches_every_window(
            true,
            env(&[("DISPLAY", ":0"), ("WAYLAND_DISPLAY", "wayland-0")])
        ));
        assert!(!global_shortcut_reaches_every_window(
            true,
            env(&[("DISPLAY", ":0"), ("XDG_SESSION_TYPE", "Wayland")])
        ));
    }
}
