//! The SDK's error type. Every variant has a stable numeric [`SdkError::code`] that apps
//! branch on; the list is in docs/sdk.md. Messages never contain secrets.

use nextauth_protocol::ProtocolError;

use crate::keystore::KeystoreError;
use crate::model::ErrorInfo;

/// Everything that can go wrong in the SDK.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdkError {
    /// A message, code or link did not parse or verify (the protocol's code).
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The configuration is not usable.
    #[error("invalid configuration: {0}")]
    Config(#[from] crate::config::ConfigError),
    /// The local database failed.
    #[error("local storage failed: {0}")]
    Storage(#[from] sqlx::Error),
    /// A stored row cannot be right (altered or from a broken write); it is left untouched.
    #[error("a stored {0} record is corrupt")]
    CorruptRow(&'static str),
    /// The keystore could not seal or open a secret.
    #[error(transparent)]
    Keystore(#[from] KeystoreError),
    /// The server could not be reached.
    #[error("the server could not be reached")]
    Unreachable,
    /// The server's TLS certificate is not trusted (not issued for it by a trusted authority,
    /// expired or revoked).
    #[error("the server's certificate is not trusted")]
    UntrustedServer,
    /// The server's parameters are not signed by the key the configuration pins for it.
    #[error("the server's key is not the one pinned for it")]
    PinnedKeyMismatch,
    /// Biometric unlock is not available on this device.
    #[error("biometrics are not available on this device")]
    BiometricsUnavailable,
    /// The person did not pass (or cancelled) the biometric check.
    #[error("the biometric check was not passed")]
    BiometricsDeclined,
    /// The connection to the server broke off.
    #[error("the connection to the server was lost")]
    ConnectionLost,
    /// The server did not answer in time.
    #[error("the server did not answer in time")]
    Timeout,
    /// The server refused (its error code).
    #[error("the server refused the request (code {0})")]
    Refused(u16),
    /// No account of this app belongs to the server of a login code.
    #[error("no account for this server")]
    NoAccountsForServer,
    /// The server forbids two accounts with one display name, and one exists.
    #[error("an account with this display name already exists for this server")]
    DisplayNameExists,
    /// Single-account mode, and an account exists.
    #[error("this app holds a single account and already has one")]
    SingleAccount,
    /// The server is not on the app's list of allowed servers.
    #[error("this server is not allowed")]
    ServerNotAllowed,
    /// The PIN was wrong; this many attempts are left.
    #[error("wrong PIN ({0} attempts left)")]
    WrongPin(u8),
    /// The server blocked the PIN after too many wrong entries.
    #[error("the PIN is blocked")]
    PinBlocked,
    /// Another flow is running; finish or stop it first.
    #[error("another flow is in progress")]
    FlowActive,
    /// No flow with that id is running.
    #[error("no such flow")]
    UnknownFlow,
    /// The answer does not fit what the flow asked.
    #[error("this answer does not fit the current question")]
    WrongResponse,
    /// No account with that id.
    #[error("no such account")]
    UnknownAccount,
    /// Input the person gave is not acceptable (for example a PIN that is not 4 to 16 digits).
    #[error("invalid input: {0}")]
    InvalidInput(&'static str),
}

impl SdkError {
    /// The stable numeric code.
    pub fn code(&self) -> u16 {
        match self {
            Self::Protocol(e) => e.code(),
            Self::NoAccountsForServer => 34,
            Self::DisplayNameExists => 35,
            Self::SingleAccount => 40,
            Self::Timeout => 50,
            Self::ServerNotAllowed => 52,
            Self::Refused(code) => *code,
            Self::PinBlocked => 109,
            Self::WrongPin(_) => 128,
            Self::Unreachable => 120,
            Self::ConnectionLost => 121,
            Self::UntrustedServer => 129,
            Self::PinnedKeyMismatch => 130,
            Self::BiometricsUnavailable => 131,
            Self::BiometricsDeclined => 132,
            Self::FlowActive => 122,
            Self::UnknownFlow => 123,
            Self::WrongResponse => 124,
            Self::UnknownAccount => 125,
            Self::InvalidInput(_) => 126,
            Self::Config(_) => 127,
            Self::Storage(_) => 200,
            Self::CorruptRow(_) => 201,
            Self::Keystore(_) => 202,
        }
    }

    /// A copy for reporting, where the error itself must also be returned. Variants holding
    /// non-clonable sources become [`SdkError::Refused`] with the same code.
    pub fn clone_code(&self) -> Self {
        match self {
            Self::Protocol(e) => Self::Protocol(e.clone()),
            Self::NoAccountsForServer => Self::NoAccountsForServer,
            Self::DisplayNameExists => Self::DisplayNameExists,
            Self::SingleAccount => Self::SingleAccount,
            Self::ServerNotAllowed => Self::ServerNotAllowed,
            Self::Unreachable => Self::Unreachable,
            Self::UntrustedServer => Self::UntrustedServer,
            Self::PinnedKeyMismatch => Self::PinnedKeyMismatch,
            Self::BiometricsUnavailable => Self::BiometricsUnavailable,
            Self::BiometricsDeclined => Self::BiometricsDeclined,
            Self::InvalidInput(what) => Self::InvalidInput(what),
            other => Self::Refused(other.code()),
        }
    }

    /// The serialisable form for events and IPC.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code(),
            message: self.to_string(),
        }
    }
}

/// Result of SDK operations.
pub type SdkResult<T> = Result<T, SdkError>;
