//! The person's preferences, kept in `settings.json` next to the SDK's database.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{codes, IpcError, IpcResult};

const FILE: &str = "settings.json";

/// Colour theme of the UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
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
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    /// Show a desktop notification when a login request arrives while the window is not
    /// focused.
    pub notifications: bool,
    /// Colour theme.
    pub theme: Theme,
    /// Start the app when the person logs in to the desktop (desktops only; the OS keeps
    /// the actual entry, see `autostart.rs`).
    pub start_on_login: bool,
    /// Keep running in the tray when the window is closed, so login requests still arrive
    /// (desktops with a tray icon; see `tray.rs`).
    pub keep_in_background: bool,
    /// Be the OS's handler of `nextauth:` links (Linux and Windows; the OS keeps the actual
    /// registration, see `links.rs`).
    pub open_links: bool,
    /// Ask for the PIN before approving a login (anyone at an unlocked desktop could approve
    /// otherwise). Off by default: a login is easy to undo.
    pub ask_pin_for_logins: bool,
    /// Ask for the PIN before approving a transaction. On by default: a payment is not.
    pub ask_pin_for_transactions: bool,
    /// Website addresses (`https://host/path`) whose deep links the app opens, besides the
    /// prefixes its servers announce (`links::normalise_prefix` form; see docs/app.md, "Deep
    /// links").
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
    pub fn save(&self, dir: &Path) -> IpcResult<()> {
        let io = |err: std::io::Error| {
            IpcError::new(
                codes::SETTINGS_IO,
                format!("cannot save the settings: {err}"),
            )
        };
        let json = serde_json::to_vec_pretty(self)
            .map_err(|err| IpcError::new(codes::SETTINGS_IO, err.to_string()))?;
        let tmp = dir.join(format!("{FILE}.tmp"));
        std::fs::write(&tmp, json).map_err(io)?;
        std::fs::rename(&tmp, dir.join(FILE)).map_err(io)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_defaults() {
        let dir =
            std::env::temp_dir().join(format!("nextauth-app-settings-{}", std::process::id()));
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
