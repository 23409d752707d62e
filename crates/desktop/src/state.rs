//! The app's state: the SDK plus the little the shell itself keeps (Tauri manages one
//! [`AppState`]; the commands share it), and the keystore it opens the SDK with.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use nextauth_sdk::keystore::{FileKeystore, Keystore, KeystoreError};
use nextauth_sdk::{Config, Flow, Sdk, SdkError};

use crate::settings::Settings;

/// Environment variable that overrides the data directory (tests, portable installs).
pub const DATA_DIR_ENV: &str = "NEXTAUTH_APP_DATA";

/// Everything the app's commands share. Managed once by Tauri (in the app); the SDK is itself cheap to clone and
/// synchronised inside, so nothing here wraps it again.
pub struct AppState {
    /// The authenticator SDK.
    pub sdk: Sdk,
    /// Where the SDK, the keystore file and the settings live.
    pub data_dir: PathBuf,
    /// Which keystore protects secrets at rest: `os-keychain` or `file`.
    pub keystore: &'static str,
    /// The person's preferences (persisted in `settings.json`).
    pub settings: Mutex<Settings>,
    /// The last flow update seen, so a UI that (re)loads can show the open prompt.
    pub last_flow: Mutex<Option<Flow>>,
    /// Deep links received before the UI was ready to show their prompt.
    pub pending_links: Mutex<Vec<String>>,
    /// Set to stop the running camera scan (`scan_cancel`).
    pub camera_cancel: Arc<std::sync::atomic::AtomicBool>,
    /// Whether the tray icon is shown (desktops; the app's `tray.rs`): only then does closing the window
    /// hide it instead of quitting.
    pub tray: std::sync::atomic::AtomicBool,
    /// Whether the desktop-wide Scan shortcut is registered (desktops; X11 on Linux).
    pub scan_shortcut: std::sync::atomic::AtomicBool,
    /// Whether the person was told, this run, that a closed window left the app in the tray.
    pub told_in_tray: std::sync::atomic::AtomicBool,
    /// The PIN the person proved before approving the open flow (the app's `flow_respond`), kept until
    /// the server's own PIN question in that flow or its end; wiped when dropped.
    pub verified_pin: Mutex<Option<(String, nextauth_sdk::PinInput)>>,
    /// The flow (and session) id of the app's own login (AppLogin, the app's `commands::app_login`).
    pub app_login: Mutex<Option<String>>,
    /// Whether the UI has attached its event listeners.
    pub ui_ready: std::sync::atomic::AtomicBool,
    /// When the process started (startup measurements in the log).
    pub started: Instant,
}

impl AppState {
    /// Opens the SDK (database, keystore) in `data_dir`, with the keystore of
    /// [`open_keystore`].
    pub async fn open(data_dir: &Path, started: Instant) -> Result<Self, SdkError> {
        let (keystore, kind) = open_keystore(data_dir)?;
        let sdk = Sdk::open(Config::new(data_dir), keystore).await?;
        Ok(Self {
            sdk,
            data_dir: data_dir.to_owned(),
            keystore: kind,
            settings: Mutex::new(Settings::load(data_dir)),
            last_flow: Mutex::new(None),
            pending_links: Mutex::new(Vec::new()),
            camera_cancel: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            tray: std::sync::atomic::AtomicBool::new(false),
            told_in_tray: std::sync::atomic::AtomicBool::new(false),
            scan_shortcut: std::sync::atomic::AtomicBool::new(false),
            verified_pin: Mutex::new(None),
            app_login: Mutex::new(None),
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

    /// Gives the SDK the deep-link rules that hold now: the `nextauth` scheme, the prefixes
    /// the servers of this app's accounts announce (their signed `appurl`), and the website
    /// addresses in the settings.
    pub async fn apply_link_rules(&self) {
        let mut rules = self.sdk.config().link_rules.clone();
        match self.sdk.server_link_prefixes().await {
            Ok(servers) => rules
                .https_prefixes
                .extend(servers.into_iter().map(|(_, prefix)| prefix)),
            Err(err) => tracing::warn!(%err, "cannot read the servers' link prefixes"),
        }
        rules.https_prefixes.extend(self.settings().link_prefixes);
        let mut seen = std::collections::HashSet::new();
        rules.https_prefixes.retain(|p| seen.insert(p.clone()));
        self.sdk.set_link_rules(rules);
    }

    /// Starts the flow of a deep link under the link rules that hold now (an account added
    /// since, or a website address added in the settings, counts at once).
    pub async fn start_link(&self, link: &str) -> Result<Flow, SdkError> {
        self.apply_link_rules().await;
        self.sdk.start_link(link).await
    }
}

/// The keychain service under which desktops keep the wrapping key.
pub const KEYCHAIN_SERVICE: &str = "io.github.nextauth_rs.app";
/// File in the data directory that records that the key lives in the keychain.
const KEYCHAIN_MARKER: &str = "keystore.keychain";

/// The keystore for `data_dir`: on desktops the OS keychain (Secret Service, macOS Keychain,
/// Windows Credential Manager) holds the wrapping key, one entry per data directory; a key file
/// from earlier versions moves into it. Where no keychain service runs (a bare window manager,
/// a headless session) the key stays in `keystore.key` (0600). Once the key is in the keychain
/// (the marker file says so), a missing keychain is an error: starting over with a new key
/// would leave every stored secret unreadable.
pub fn open_keystore(data_dir: &Path) -> Result<(Arc<dyn Keystore>, &'static str), KeystoreError> {
    let file = data_dir.join("keystore.key");
    #[cfg(not(any(target_os = "android", target_os = "ios")))]
    {
        use nextauth_sdk::keystore::KeychainKeystore;
        let account = format!("wrapping key for {}", data_dir.display());
        let marker = data_dir.join(KEYCHAIN_MARKER);
        if marker.exists() {
            let keystore =
                KeychainKeystore::open_existing(KEYCHAIN_SERVICE, &account).map_err(|err| {
                    KeystoreError::Unavailable(format!(
                        "this app's key is in the OS keychain, which cannot be read now ({err}); \
                         unlock the keychain or start its service, then open the app again"
                    ))
                })?;
            return Ok((Arc::new(keystore), "os-keychain"));
        }
        match KeychainKeystore::open_or_create(KEYCHAIN_SERVICE, &account, Some(&file)) {
            Ok(keystore) => {
                nextauth_sdk::private_files::create_dir(data_dir)
                    .and_then(|()| {
                        std::fs::write(&marker, b"The keystore's key is in the OS keychain.\n")
                    })
                    .map_err(|e| {
                        KeystoreError::Unavailable(format!("{}: {e}", marker.display()))
                    })?;
                return Ok((Arc::new(keystore), "os-keychain"));
            }
            Err(err) => {
                tracing::warn!(%err, "no OS keychain: the keystore's key is kept in a 0600 file");
            }
        }
    }
    #[cfg(any(target_os = "android", target_os = "ios"))]
    let _ = KEYCHAIN_MARKER;
    let _ = file;
    Ok((Arc::new(FileKeystore::open_in(data_dir)?), "file"))
}
