//! The app's managed state: the SDK plus the little the shell itself keeps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use nextauth_sdk::keystore::FileKeystore;
use nextauth_sdk::store::Store;
use nextauth_sdk::{Config, Flow, Sdk, SdkError};

use crate::settings::Settings;

/// Environment variable that overrides the data directory (tests, portable installs).
pub const DATA_DIR_ENV: &str = "NEXTAUTH_APP_DATA";

/// Everything the commands share. Managed once by Tauri; the SDK is itself cheap to clone and
/// synchronised inside, so nothing here wraps it again.
pub struct AppState {
    /// The authenticator SDK.
    pub sdk: Sdk,
    /// A read-only view of the SDK's database, for data the SDK API does not expose yet (the
    /// stored parameters of a server, for the account detail screen).
    pub store: Store,
    /// Where the SDK, the keystore file and the settings live.
    pub data_dir: PathBuf,
    /// The person's preferences (persisted in `settings.json`).
    pub settings: Mutex<Settings>,
    /// The last flow update seen, so a UI that (re)loads can show the open prompt.
    pub last_flow: Mutex<Option<Flow>>,
    /// Deep links received before the UI was ready to show their prompt.
    pub pending_links: Mutex<Vec<String>>,
    /// Whether the UI has attached its event listeners.
    pub ui_ready: std::sync::atomic::AtomicBool,
    /// When the process started (startup measurements in the log).
    pub started: Instant,
}

impl AppState {
    /// Opens the SDK (database, keystore) in `data_dir`.
    ///
    /// The keystore is [`FileKeystore`]: a wrapping key in `data_dir/keystore.key` (0600).
    /// The OS keychain (Secret Service, macOS Keychain, Windows Credential Manager) is the
    /// next step; docs/app.md says so.
    pub async fn open(data_dir: &Path, started: Instant) -> Result<Self, SdkError> {
        let keystore = Arc::new(FileKeystore::open_or_create(
            &data_dir.join("keystore.key"),
        )?);
        let sdk = Sdk::open(Config::new(data_dir), keystore).await?;
        let store = Store::open(&data_dir.join("nextauth.db")).await?;
        Ok(Self {
            sdk,
            store,
            data_dir: data_dir.to_owned(),
            settings: Mutex::new(Settings::load(data_dir)),
            last_flow: Mutex::new(None),
            pending_links: Mutex::new(Vec::new()),
            ui_ready: std::sync::atomic::AtomicBool::new(false),
            started,
        })
    }

    /// The open flow as last reported, if the SDK still runs it.
    pub fn current_flow(&self) -> Option<Flow> {
        let active = self.sdk.active_flow()?;
        let last = self.last_flow.lock().ok()?;
        last.as_ref().filter(|f| f.id == active).cloned()
    }

    /// A copy of the settings.
    pub fn settings(&self) -> Settings {
        self.settings.lock().map(|s| s.clone()).unwrap_or_default()
    }
}
