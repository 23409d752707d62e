//! Configuration of an SDK instance.

use std::path::PathBuf;

pub use nextauth_protocol::qr::LinkRules;

/// The app-to-app URI scheme accepted by default.
pub const DEFAULT_SCHEME: &str = "nextauth";

/// Default number of days history entries are kept.
pub const DEFAULT_HISTORY_RETENTION_DAYS: u32 = 90;

/// Largest accepted history retention (about ten years).
pub const MAX_HISTORY_RETENTION_DAYS: u32 = 3650;

/// Configuration of an SDK instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Directory where the SDK keeps its state (accounts, keys, history).
    pub data_dir: PathBuf,
    /// Server ids the authenticator may enrol with. Empty means any server is allowed.
    pub allowed_server_ids: Vec<String>,
    /// Number of days history entries are kept, `1..=3650`.
    pub history_retention_days: u32,
    /// Hold at most one account (apps that log the person into themselves).
    pub single_account: bool,
    /// Name of this device, shown in the server's account list.
    pub device_name: String,
    /// Accepted deep-link prefixes (`https://host/path`) and app-to-app URI schemes.
    pub link_rules: LinkRules,
    /// AppLogin: log out when the app reports no activity for this long (`None`: never).
    pub app_login_inactivity: Option<std::time::Duration>,
    /// AppLogin: log out this long after the login at the latest (`None`: never).
    pub app_login_lifetime: Option<std::time::Duration>,
    /// Certificate authorities (DER) trusted for `wss://` servers besides the platform's own
    /// trust store: a private deployment's CA, or a test CA. Not used on Android, where the
    /// system's store is the only one (install the CA there).
    pub extra_root_certificates: Vec<Vec<u8>>,
}

/// Why a [`Config`] was rejected by [`Config::validate`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// `data_dir` is an empty path.
    #[error("data_dir must not be empty")]
    EmptyDataDir,
    /// `history_retention_days` is outside `1..=3650`.
    #[error("history_retention_days must be between 1 and {MAX_HISTORY_RETENTION_DAYS}, got {0}")]
    RetentionOutOfRange(u32),
    /// An entry of `allowed_server_ids` is empty or only whitespace.
    #[error("allowed_server_ids contains an empty id")]
    EmptyServerId,
}

impl Config {
    /// Creates a configuration with the given data directory, no server restriction and
    /// the default history retention of [`DEFAULT_HISTORY_RETENTION_DAYS`] days.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            allowed_server_ids: Vec::new(),
            history_retention_days: DEFAULT_HISTORY_RETENTION_DAYS,
            single_account: false,
            device_name: default_device_name(),
            link_rules: LinkRules {
                https_prefixes: Vec::new(),
                schemes: vec![DEFAULT_SCHEME.to_owned()],
            },
            app_login_inactivity: None,
            app_login_lifetime: None,
            extra_root_certificates: Vec::new(),
        }
    }

    /// Checks that the configuration is usable.
    ///
    /// # Errors
    ///
    /// Returns the first problem found: an empty `data_dir`, a retention outside
    /// `1..=3650` days, or an empty entry in `allowed_server_ids`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.data_dir.as_os_str().is_empty() {
            return Err(ConfigError::EmptyDataDir);
        }
        if !(1..=MAX_HISTORY_RETENTION_DAYS).contains(&self.history_retention_days) {
            return Err(ConfigError::RetentionOutOfRange(
                self.history_retention_days,
            ));
        }
        if self
            .allowed_server_ids
            .iter()
            .any(|id| id.trim().is_empty())
        {
            return Err(ConfigError::EmptyServerId);
        }
        Ok(())
    }
}

/// The host name where one is known, else a generic name.
fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| h.trim().chars().take(64).collect::<String>())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "nextauth desktop".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_uses_defaults_and_is_valid() {
        let config = Config::new("/var/lib/nextauth");
        assert_eq!(config.data_dir, PathBuf::from("/var/lib/nextauth"));
        assert!(config.allowed_server_ids.is_empty());
        assert_eq!(
            config.history_retention_days,
            DEFAULT_HISTORY_RETENTION_DAYS
        );
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn empty_data_dir_is_rejected() {
        assert_eq!(Config::new("").validate(), Err(ConfigError::EmptyDataDir));
    }

    #[test]
    fn retention_bounds_are_inclusive() {
        let mut config = Config::new("data");
        for (days, ok) in [(0, false), (1, true), (3650, true), (3651, false)] {
            config.history_retention_days = days;
            let expected = if ok {
                Ok(())
            } else {
                Err(ConfigError::RetentionOutOfRange(days))
            };
            assert_eq!(config.validate(), expected, "retention {days}");
        }
    }

    #[test]
    fn blank_server_id_is_rejected() {
        let mut config = Config::new("data");
        config.allowed_server_ids = vec!["acme".into(), "  ".into()];
        assert_eq!(config.validate(), Err(ConfigError::EmptyServerId));
        config.allowed_server_ids.pop();
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn errors_have_readable_messages() {
        assert_eq!(
            ConfigError::RetentionOutOfRange(0).to_string(),
            "history_retention_days must be between 1 and 3650, got 0"
        );
    }
}
