//! Configuration of an SDK instance.

use std::path::PathBuf;

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::ids::ServerId;
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
    /// Servers whose signing key is fixed in the app: their parameters must be signed by this
    /// key (besides matching the enrol code's hash), at enrolment and at every session. Other
    /// servers are trusted on first use through the enrol code, as usual.
    pub pinned_server_keys: Vec<PinnedServerKey>,
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
    /// Never offer biometric unlock, whatever the platform can do (`biometricsDisabled`).
    pub biometrics_disabled: bool,
    /// After this many biometric unlocks in a row the PIN must be typed again (`0`: no limit;
    /// the reference's `maxNumberSecondFactorWithoutPIN`).
    pub max_biometric_unlocks: u32,
    /// Biometric unlock is offered only within this time after the PIN was last typed
    /// (`None`: no limit; `maxTimeSecondFactorWithoutPIN`).
    pub max_time_without_pin: Option<std::time::Duration>,
    /// How long a PIN question waits for the answer before the flow ends with `Timeout` (50)
    /// (`None`: 300 s, as every question; `secondFactorUserInputTimeout`).
    pub second_factor_input_timeout: Option<std::time::Duration>,
    /// Once a server said the PIN is blocked, refuse every second-factor question (PIN and
    /// biometrics, on every server) until a PIN is set again (`blockSecondFactorOnPINBlocked`).
    pub block_second_factor_on_pin_blocked: bool,
    /// A PIN change must be authorised by the current PIN typed, not by biometric unlock
    /// (`disallowPinChangeWithBiometric`).
    pub disallow_pin_change_with_biometric: bool,
    /// Certificate authorities (DER) trusted for `wss://` servers besides the platform's own
    /// trust store: a private deployment's CA, or a test CA. Not used on Android, where the
    /// system's store is the only one (install the CA there).
    pub extra_root_certificates: Vec<Vec<u8>>,
}

/// A server's public key fixed in the app's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinnedServerKey {
    /// The server id (base64url, as in the REST API).
    pub server_id: String,
    /// Its ECDSA P-256 public key, uncompressed SEC1 (65 bytes, as the server's `GET
    /// /servers/{id}/` reports it in base64).
    pub public_key: Vec<u8>,
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
    /// An entry of `pinned_server_keys` has a malformed server id or key.
    #[error("pinned_server_keys entry {0} is not a server id and a P-256 public key")]
    BadPinnedKey(usize),
}

impl Config {
    /// Creates a configuration with the given data directory, no server restriction and
    /// the default history retention of [`DEFAULT_HISTORY_RETENTION_DAYS`] days.
    pub fn new(data_dir: impl Into<PathBuf>) -> Self {
        Self {
            data_dir: data_dir.into(),
            allowed_server_ids: Vec::new(),
            pinned_server_keys: Vec::new(),
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
            biometrics_disabled: false,
            max_biometric_unlocks: 0,
            max_time_without_pin: None,
            second_factor_input_timeout: None,
            block_second_factor_on_pin_blocked: false,
            disallow_pin_change_with_biometric: false,
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
        for (i, pinned) in self.pinned_server_keys.iter().enumerate() {
            if ServerId::from_base64(&pinned.server_id).is_err()
                || PublicKey::from_slice(&pinned.public_key).is_err()
            {
                return Err(ConfigError::BadPinnedKey(i));
            }
        }
        Ok(())
    }

    /// The key pinned for `server_id`, if any (entries were checked by [`Config::validate`]).
    pub fn pinned_key(&self, server_id: &ServerId) -> Option<PublicKey> {
        let id = server_id.to_base64();
        self.pinned_server_keys
            .iter()
            .find(|p| p.server_id == id)
            .and_then(|p| PublicKey::from_slice(&p.public_key).ok())
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
    fn pinned_keys_must_be_well_formed_and_are_found_by_server() {
        let mut config = Config::new("data");
        let server = ServerId([7; 16]);
        let mut key = vec![4u8];
        key.extend([1u8; 64]);
        config.pinned_server_keys = vec![PinnedServerKey {
            server_id: server.to_base64(),
            public_key: key.clone(),
        }];
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.pinned_key(&server).map(|k| k.0.to_vec()), Some(key));
        assert_eq!(config.pinned_key(&ServerId([8; 16])), None);
        config.pinned_server_keys.push(PinnedServerKey {
            server_id: "not base64!".into(),
            public_key: vec![4; 65],
        });
        assert_eq!(config.validate(), Err(ConfigError::BadPinnedKey(1)));
        config.pinned_server_keys[1] = PinnedServerKey {
            server_id: server.to_base64(),
            public_key: vec![4; 33],
        };
        assert_eq!(config.validate(), Err(ConfigError::BadPinnedKey(1)));
    }

    #[test]
    fn errors_have_readable_messages() {
        assert_eq!(
            ConfigError::RetentionOutOfRange(0).to_string(),
            "history_retention_days must be between 1 and 3650, got 0"
        );
    }
}
