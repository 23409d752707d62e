//! The person's preferences, kept in `settings.json` next to the SDK's database, and their
//! update: what the OS keeps (start on login, the `nextauth:` link handler) is changed first
//! and put back when a later step fails, so an update applies whole or not at all.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{codes, DesktopError, DesktopResult};
use crate::os_switch::{self, OsSwitch};

const FILE: &str = "settings.json";

/// Colour theme of the UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Theme {
    /// Follow the system (`prefers-color-scheme`).
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

/// What the person can change in the settings screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Show a desktop notification when a login request arrives while the window is not
    /// focused.
    pub notifications: bool,
    /// Colour theme.
    pub theme: Theme,
    /// Start the app when the person logs in to the desktop (desktops only; the OS keeps
    /// the actual entry; see `os_switch`).
    pub start_on_login: bool,
    /// Keep running in the tray when the window is closed, so login requests still arrive
    /// (desktops with a tray icon; the app's `tray.rs`).
    pub keep_in_background: bool,
    /// Be the OS's handler of `nextauth:` links (Linux and Windows; the OS keeps the actual
    /// registration; see `os_switch`).
    pub open_links: bool,
    /// Ask for the PIN before approving a login (anyone at an unlocked desktop could approve
    /// otherwise). Off by default: a login is easy to undo.
    pub ask_pin_for_logins: bool,
    /// Ask for the PIN before approving a transaction. On by default: a payment is not.
    pub ask_pin_for_transactions: bool,
    /// Website addresses (`https://host/path`) whose deep links the app opens, besides the
    /// prefixes its servers announce (in the form of `links::normalise_prefix`; see
    /// docs/app.md, "Deep links").
    pub link_prefixes: Vec<String>,
    /// The camera to scan with (an id from `camera_list`); `None`, or one that is gone: the
    /// first camera.
    pub camera: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            notifications: true,
            theme: Theme::System,
            start_on_login: false,
            keep_in_background: true,
            open_links: false,
            ask_pin_for_logins: false,
            ask_pin_for_transactions: true,
            link_prefixes: Vec::new(),
            camera: None,
        }
    }
}

impl Settings {
    /// Whether approving a flow of `kind` needs the PIN first.
    pub fn asks_pin_for(&self, kind: nextauth_sdk::FlowKind) -> bool {
        match kind {
            nextauth_sdk::FlowKind::Login => self.ask_pin_for_logins,
            nextauth_sdk::FlowKind::SignTransaction => self.ask_pin_for_transactions,
            nextauth_sdk::FlowKind::Enrol
            | nextauth_sdk::FlowKind::ChangePin
            | nextauth_sdk::FlowKind::AddBiometrics
            | nextauth_sdk::FlowKind::RemoveBiometrics => false,
        }
    }
}

impl Settings {
    /// Reads the settings; a missing or unreadable file gives the defaults (logged).
    pub fn load(dir: &Path) -> Self {
        let path = dir.join(FILE);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|err| {
                tracing::warn!(%err, "settings.json is not valid; using the defaults");
                Self::default()
            }),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(err) => {
                tracing::warn!(%err, "cannot read settings.json; using the defaults");
                Self::default()
            }
        }
    }

    /// Writes the settings (atomically: temporary file, then rename).
    pub fn save(&self, dir: &Path) -> DesktopResult<()> {
        let io = |err: std::io::Error| {
            DesktopError::new(
                codes::SETTINGS_IO,
                format!("cannot save the settings: {err}"),
            )
        };
        let json = serde_json::to_vec_pretty(self)
            .map_err(|err| DesktopError::new(codes::SETTINGS_IO, err.to_string()))?;
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, dir.join(FILE)).map_err(io)
    }
}

/// The switches of what the OS keeps: each `None` where the platform (or the app) has none.
#[derive(Clone, Copy, Default)]
pub struct OsSwitches<'a> {
    /// Start on login (the autostart plugin).
    pub start_on_login: Option<&'a dyn OsSwitch>,
    /// The handler of `nextauth:` links (the deep-link plugin).
    pub link_handler: Option<&'a dyn OsSwitch>,
}

/// Replaces `previous` with `next`: applies what the OS keeps first (`startOnLogin`, a refusal
/// is [`codes::START_ON_LOGIN`]; then `openLinks`, [`codes::LINK_HANDLER`]), then saves `next`
/// in `dir`. If a step fails, what the earlier steps changed in the OS is put back (best
/// effort) and nothing is saved. `next.link_prefixes` must already be normalised
/// ([`crate::links::normalise_prefixes`]).
pub fn update(
    previous: &Settings,
    next: &Settings,
    os: OsSwitches<'_>,
    dir: &Path,
) -> DesktopResult<()> {
    let restore_start_on_login = || {
        if previous.start_on_login != next.start_on_login {
            let _ = os_switch::set_start_on_login(os.start_on_login, previous.start_on_login);
        }
    };
    let restore_link_handler = || {
        if previous.open_links != next.open_links {
            let _ = os_switch::set_link_handler(os.link_handler, previous.open_links);
        }
    };
    os_switch::set_start_on_login(os.start_on_login, next.start_on_login)?;
    if let Err(err) = os_switch::set_link_handler(os.link_handler, next.open_links) {
        restore_start_on_login();
        return Err(err);
    }
    if let Err(err) = next.save(dir) {
        restore_start_on_login();
        restore_link_handler();
        return Err(err);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::os_switch::Fake;

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("nextauth-desktop-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    /// Both OS switches, as fakes.
    fn both<'a>(autostart: &'a Fake, links: &'a Fake) -> OsSwitches<'a> {
        OsSwitches {
            start_on_login: Some(autostart),
            link_handler: Some(links),
        }
    }

    /// Settings that ask for both OS switches.
    fn both_switches_on() -> Settings {
        Settings {
            start_on_login: true,
            open_links: true,
            ..Settings::default()
        }
    }

    #[test]
    fn an_update_changes_the_os_and_saves() {
        let dir = temp_dir("update");
        let (autostart, links) = (Fake::default(), Fake::default());
        let os = both(&autostart, &links);
        let previous = Settings::default();
        let next = Settings {
            start_on_login: true,
            open_links: true,
            theme: Theme::Dark,
            ..Settings::default()
        };
        update(&previous, &next, os, &dir).expect("update");
        assert!(autostart.on.get() && links.on.get());
        assert_eq!(Settings::load(&dir), next);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_refused_link_handler_puts_start_on_login_back_and_saves_nothing() {
        let dir = temp_dir("refused");
        let (autostart, links) = (Fake::default(), Fake::default());
        links.fail.set(true);
        let os = both(&autostart, &links);
        let next = both_switches_on();
        let err = update(&Settings::default(), &next, os, &dir).expect_err("refused");
        assert_eq!(err.code, codes::LINK_HANDLER);
        assert_eq!(*autostart.calls.borrow(), ["on", "off"], "put back");
        assert!(!autostart.on.get());
        assert!(!dir.join(FILE).exists(), "nothing saved");
        // Without a link switch at all (macOS, phones), turning it on is refused the same way.
        let os = OsSwitches {
            start_on_login: Some(&autostart),
            link_handler: None,
        };
        let err = update(&Settings::default(), &next, os, &dir).expect_err("no such thing");
        assert_eq!(err.code, codes::LINK_HANDLER);
        assert!(!autostart.on.get());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_file_that_cannot_be_written_puts_both_switches_back() {
        let dir = temp_dir("unwritable").join("missing");
        let (autostart, links) = (Fake::default(), Fake::default());
        let os = both(&autostart, &links);
        let next = both_switches_on();
        let err = update(&Settings::default(), &next, os, &dir).expect_err("no folder");
        assert_eq!(err.code, codes::SETTINGS_IO);
        assert_eq!(*autostart.calls.borrow(), ["on", "off"]);
        assert_eq!(*links.calls.borrow(), ["on", "off"]);
        assert!(!autostart.on.get() && !links.on.get());
        // Switches that were already as asked are left alone, and not "put back".
        let (autostart, links) = (Fake::default(), Fake::default());
        autostart.on.set(true);
        let previous = Settings {
            start_on_login: true,
            ..Settings::default()
        };
        let os = both(&autostart, &links);
        update(&previous, &next, os, &dir).expect_err("no folder");
        assert!(autostart.calls.borrow().is_empty());
        assert!(autostart.on.get());
        let _ = std::fs::remove_dir_all(dir.parent().expect("parent"));
    }

    #[test]
    fn round_trip_and_defaults() {
        let dir =
            std::env::temp_dir().join(format!("nextauth-desktop-settings-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        assert_eq!(
            Settings::load(&dir),
            Settings::default(),
            "no file: defaults"
        );
        let s = Settings {
            notifications: false,
            theme: Theme::Dark,
            start_on_login: true,
            keep_in_background: false,
            open_links: true,
            ask_pin_for_logins: true,
            ask_pin_for_transactions: false,
            link_prefixes: vec!["https://acme.example/app".into()],
            camera: Some("Integrated Camera#0".into()),
        };
        s.save(&dir).expect("save");
        assert_eq!(Settings::load(&dir), s);
        let on_disk: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join(FILE)).expect("read")).expect("json");
        assert_eq!(
            on_disk,
            serde_json::json!({
                "notifications": false, "theme": "dark", "startOnLogin": true, "keepInBackground": false,
                "openLinks": true, "askPinForLogins": true, "askPinForTransactions": false,
                "linkPrefixes": ["https://acme.example/app"],
                "camera": "Integrated Camera#0"
            }),
            "camelCase on disk and on the wire"
        );
        std::fs::write(dir.join(FILE), b"{\"theme\":\"light\"}").expect("write");
        assert_eq!(
            Settings::load(&dir),
            Settings {
                notifications: true,
                theme: Theme::Light,
                start_on_login: false,
                keep_in_background: true,
                open_links: false,
                ask_pin_for_logins: false,
                ask_pin_for_transactions: true,
                link_prefixes: Vec::new(),
                camera: None,
            },
            "missing fields take their defaults (a file from before startOnLogin)"
        );
        std::fs::write(dir.join(FILE), b"not json").expect("write");
        assert_eq!(Settings::load(&dir), Settings::default());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
