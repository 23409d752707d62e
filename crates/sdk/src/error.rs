//! The SDK's error type. What a flow or a conversation with a server can end with is the
//! engine's [`EngineError`] (the core: same codes and messages wherever it is raised); the SDK
//! adds what only a driver meets (storage, keystore, configuration, biometrics, a second flow).
//! Every variant has a stable numeric [`SdkError::code`] that apps branch on; the list is in
//! docs/sdk.md. Messages never contain secrets.

use nextauth_engine::EngineError;
use nextauth_protocol::ProtocolError;

use crate::keystore::KeystoreError;
use crate::model::ErrorInfo;

/// Everything that can go wrong in the SDK.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SdkError {
    /// What the engine decided: a message that did not verify, a server that refused, could
    /// not be reached or did not answer in time, a wrong PIN, input that does not fit.
    #[error(transparent)]
    Engine(#[from] EngineError),
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
    /// The account database is gone (deleted, or emptied to 0 bytes) although this app had
    /// one: nothing was created in its place.
    #[error("the account database nextauth.db is missing or empty, but this app had one: restore it from a backup, or delete nextauth.db.id in the data folder to start over without accounts")]
    DatabaseMissing,
    /// The database's secrets do not open with this app's key (the key file or keychain
    /// entry was replaced or deleted): nothing was changed.
    #[error("the keys in nextauth.db do not open with this app's key (keystore.key or the system keychain entry): put back the key that belongs to it; nothing was changed")]
    KeyMismatch,
    /// The database is another installation's (its id differs from nextauth.db.id).
    #[error("nextauth.db is not this app's database (its id differs from nextauth.db.id): put back the right one, or delete nextauth.db.id to use this one")]
    ForeignDatabase,
    /// An app token was asked for, but no AppLogin session is logged in.
    #[error("no AppLogin session is logged in")]
    NoAppLogin,
    /// Biometric unlock is not available on this device.
    #[error("biometrics are not available on this device")]
    BiometricsUnavailable,
    /// The person did not pass (or cancelled) the biometric check.
    #[error("the biometric check was not passed")]
    BiometricsDeclined,
    /// Another flow is running; finish or stop it first.
    #[error("another flow is in progress")]
    FlowActive,
}

impl SdkError {
    /// The stable numeric code.
    pub fn code(&self) -> u16 {
        match self {
            Self::Engine(e) => e.code(),
            Self::FlowActive => 122,
            Self::Config(_) => 127,
            Self::BiometricsUnavailable => 131,
            Self::BiometricsDeclined => 132,
            Self::NoAppLogin => 135,
            Self::Storage(_) => 200,
            Self::CorruptRow(_) => 201,
            Self::Keystore(_) => 202,
            Self::DatabaseMissing => 203,
            Self::KeyMismatch => 204,
            Self::ForeignDatabase => 205,
        }
    }

    /// A copy for reporting, where the error itself must also be returned. Variants holding
    /// non-clonable sources become the engine's [`EngineError::Driver`] with the same code and
    /// message.
    pub fn clone_code(&self) -> Self {
        match self {
            Self::Engine(e) => Self::Engine(e.clone()),
            Self::CorruptRow(what) => Self::CorruptRow(what),
            Self::DatabaseMissing => Self::DatabaseMissing,
            Self::KeyMismatch => Self::KeyMismatch,
            Self::ForeignDatabase => Self::ForeignDatabase,
            Self::NoAppLogin => Self::NoAppLogin,
            Self::BiometricsUnavailable => Self::BiometricsUnavailable,
            Self::BiometricsDeclined => Self::BiometricsDeclined,
            Self::FlowActive => Self::FlowActive,
            other => Self::Engine(EngineError::Driver(other.info())),
        }
    }

    /// The serialisable form for events and IPC.
    pub fn info(&self) -> ErrorInfo {
        ErrorInfo {
            code: self.code(),
            message: self.to_string(),
        }
    }

    /// The protocol's error, when that is what this is.
    pub fn protocol(&self) -> Option<&ProtocolError> {
        match self {
            Self::Engine(EngineError::Protocol(e)) => Some(e),
            _ => None,
        }
    }
}

impl From<ProtocolError> for SdkError {
    fn from(err: ProtocolError) -> Self {
        Self::Engine(err.into())
    }
}

impl From<SdkError> for EngineError {
    /// For the engine: its own error back, or what the driver failed at (storage, keystore,
    /// configuration) as its code and message.
    fn from(err: SdkError) -> Self {
        match err {
            SdkError::Engine(e) => e,
            other => Self::Driver(other.info()),
        }
    }
}

/// Result of SDK operations.
pub type SdkResult<T> = Result<T, SdkError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// The codes apps and the UI branch on (docs/sdk.md): the engine's pass through unchanged,
    /// the driver's own stay where they were.
    #[test]
    fn every_error_keeps_its_documented_code_and_message() {
        let cases: [(SdkError, u16, &str); 8] = [
            (
                EngineError::WrongPin(2).into(),
                128,
                "wrong PIN (2 attempts left)",
            ),
            (
                EngineError::Refused(48).into(),
                48,
                "the server refused: it does not know this account, or the account is deleted",
            ),
            (
                EngineError::Timeout.into(),
                50,
                "the server did not answer in time",
            ),
            (
                ProtocolError::UnexpectedMessage.into(),
                105,
                "message not expected in this state",
            ),
            (SdkError::FlowActive, 122, "another flow is in progress"),
            (
                SdkError::CorruptRow("account"),
                201,
                "a stored account record is corrupt",
            ),
            (
                SdkError::NoAppLogin,
                135,
                "no AppLogin session is logged in",
            ),
            (
                SdkError::BiometricsDeclined,
                132,
                "the biometric check was not passed",
            ),
        ];
        for (err, code, message) in cases {
            let info = err.info();
            assert_eq!(
                (info.code, info.message.as_str()),
                (code, message),
                "{err:?}"
            );
            assert_eq!(err.clone_code().info(), info);
        }
    }

    /// A storage failure reaches a flow's report, and comes back, with the SDK's code and
    /// message.
    #[test]
    fn driver_failures_keep_their_code_and_message_through_the_engine() {
        let sdk = SdkError::CorruptRow("account");
        let info = sdk.info();
        let engine = EngineError::from(sdk);
        assert_eq!(engine.info(), info);
        assert_eq!(SdkError::from(engine).info(), info);
    }
}
