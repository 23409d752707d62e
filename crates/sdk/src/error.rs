//! The SDK's error type. Every variant has a stable numeric [`SdkError::code`] that apps
//! branch on; the list is in docs/sdk.md. Messages never contain secrets.

use nextauth_engine::error::refusal;
use nextauth_engine::EngineError;
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
    /// A code names a server the app knows, but its parameters are not signed by that
    /// server's key (or a key it handed over to): someone else poses as it.
    #[error("this code claims to be {0} but is not signed by {0}'s key")]
    ImpersonatedServer(String),
    /// A login or transaction code names another address for a server the app knows than
    /// the one its accounts use; the app does not connect to it.
    #[error("this code names another address for {0} than the one your account uses")]
    EndpointMismatch(String),
    /// An app token was asked for, but no AppLogin session is logged in.
    #[error("no AppLogin session is logged in")]
    NoAppLogin,
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
    #[error("the server refused: {}", refusal(*.0))]
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
            Self::ImpersonatedServer(_) => 133,
            Self::EndpointMismatch(_) => 134,
            Self::NoAppLogin => 135,
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
            Self::DatabaseMissing => 203,
            Self::KeyMismatch => 204,
            Self::ForeignDatabase => 205,
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
            Self::ImpersonatedServer(name) => Self::ImpersonatedServer(name.clone()),
            Self::EndpointMismatch(name) => Self::EndpointMismatch(name.clone()),
            Self::NoAppLogin => Self::NoAppLogin,
            Self::BiometricsDeclined => Self::BiometricsDeclined,
            Self::InvalidInput(what) => Self::InvalidInput(what),
            Self::DatabaseMissing => Self::DatabaseMissing,
            Self::KeyMismatch => Self::KeyMismatch,
            Self::ForeignDatabase => Self::ForeignDatabase,
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

impl From<EngineError> for SdkError {
    /// The SDK variant of the same name: same code, same message.
    fn from(err: EngineError) -> Self {
        match err {
            EngineError::Protocol(e) => Self::Protocol(e),
            EngineError::Unreachable => Self::Unreachable,
            EngineError::UntrustedServer => Self::UntrustedServer,
            EngineError::PinnedKeyMismatch => Self::PinnedKeyMismatch,
            EngineError::ImpersonatedServer(name) => Self::ImpersonatedServer(name),
            EngineError::EndpointMismatch(name) => Self::EndpointMismatch(name),
            EngineError::ConnectionLost => Self::ConnectionLost,
            EngineError::Timeout => Self::Timeout,
            EngineError::Refused(code) => Self::Refused(code),
            EngineError::NoAccountsForServer => Self::NoAccountsForServer,
            EngineError::DisplayNameExists => Self::DisplayNameExists,
            EngineError::SingleAccount => Self::SingleAccount,
            EngineError::ServerNotAllowed => Self::ServerNotAllowed,
            EngineError::WrongPin(left) => Self::WrongPin(left),
            EngineError::PinBlocked => Self::PinBlocked,
            EngineError::UnknownFlow => Self::UnknownFlow,
            EngineError::WrongResponse => Self::WrongResponse,
            EngineError::UnknownAccount => Self::UnknownAccount,
            EngineError::InvalidInput(what) => Self::InvalidInput(what),
            // The driver's own error, which the engine only carried into a flow's report (it
            // never hands one back as a refusal): its code survives, as in `clone_code`.
            EngineError::Driver(info) => Self::Refused(info.code),
            // A variant added to the engine later keeps its code.
            other => Self::Refused(other.code()),
        }
    }
}

impl From<SdkError> for EngineError {
    /// For the engine: the variant of the same name, or what the driver failed at (storage,
    /// keystore, configuration) as its code and message.
    fn from(err: SdkError) -> Self {
        match err {
            SdkError::Protocol(e) => Self::Protocol(e),
            SdkError::Unreachable => Self::Unreachable,
            SdkError::UntrustedServer => Self::UntrustedServer,
            SdkError::PinnedKeyMismatch => Self::PinnedKeyMismatch,
            SdkError::ImpersonatedServer(name) => Self::ImpersonatedServer(name),
            SdkError::EndpointMismatch(name) => Self::EndpointMismatch(name),
            SdkError::ConnectionLost => Self::ConnectionLost,
            SdkError::Timeout => Self::Timeout,
            SdkError::Refused(code) => Self::Refused(code),
            SdkError::NoAccountsForServer => Self::NoAccountsForServer,
            SdkError::DisplayNameExists => Self::DisplayNameExists,
            SdkError::SingleAccount => Self::SingleAccount,
            SdkError::ServerNotAllowed => Self::ServerNotAllowed,
            SdkError::WrongPin(left) => Self::WrongPin(left),
            SdkError::PinBlocked => Self::PinBlocked,
            SdkError::UnknownFlow => Self::UnknownFlow,
            SdkError::WrongResponse => Self::WrongResponse,
            SdkError::UnknownAccount => Self::UnknownAccount,
            SdkError::InvalidInput(what) => Self::InvalidInput(what),
            other => Self::Driver(other.info()),
        }
    }
}

/// Result of SDK operations.
pub type SdkResult<T> = Result<T, SdkError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Whichever side raises an error, the app reads the same code and message.
    #[test]
    fn engine_errors_keep_their_code_and_message_in_the_sdk() {
        let all = [
            EngineError::Protocol(ProtocolError::UnexpectedMessage),
            EngineError::Unreachable,
            EngineError::UntrustedServer,
            EngineError::PinnedKeyMismatch,
            EngineError::ImpersonatedServer("Acme".into()),
            EngineError::EndpointMismatch("Acme".into()),
            EngineError::ConnectionLost,
            EngineError::Timeout,
            EngineError::Refused(111),
            EngineError::Refused(999),
            EngineError::NoAccountsForServer,
            EngineError::DisplayNameExists,
            EngineError::SingleAccount,
            EngineError::ServerNotAllowed,
            EngineError::WrongPin(2),
            EngineError::PinBlocked,
            EngineError::UnknownFlow,
            EngineError::WrongResponse,
            EngineError::UnknownAccount,
            EngineError::InvalidInput("the PIN must be 4 to 16 digits"),
        ];
        for err in all {
            let info = err.info();
            let sdk = SdkError::from(err);
            assert_eq!(sdk.info(), info);
            assert_eq!(EngineError::from(sdk).info(), info);
        }
    }

    /// A storage failure reaches a flow's report with the SDK's code and message.
    #[test]
    fn driver_failures_keep_their_code_and_message_in_the_engine() {
        let sdk = SdkError::CorruptRow("account");
        let info = sdk.info();
        assert_eq!(EngineError::from(sdk).info(), info);
    }
}
