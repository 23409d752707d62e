//! The app's managed state: [`AppState`] (the SDK plus the little the shell keeps) and the
//! keystore are Tauri-free, in `nextauth_desktop::state`; here is what names the UI's error
//! type.

pub use nextauth_desktop::state::{open_keystore, AppState, DATA_DIR_ENV, KEYCHAIN_SERVICE};

/// Why the app's data could not be opened at start (a database and key that do not belong
/// together, a missing database with keys present, another installation's database): managed
/// instead of [`AppState`], so the window can say what to do while nothing is touched.
#[derive(Debug, Clone)]
pub struct StartupFailure {
    /// The SDK's error, as the UI reads every error.
    pub error: crate::error::IpcError,
    /// The data directory it concerns.
    pub data_dir: String,
}
