//! The engine's error type: the core of the SDK's (`SdkError::Engine` wraps it), so an error
//! has one code and one message whichever side raised it (docs/sdk.md lists the codes). It
//! holds no storage error: what the driver failed at comes in as [`EngineError::Driver`],
//! already reduced to its code and message.

use nextauth_protocol::ProtocolError;

use crate::model::ErrorInfo;

/// Everything that can end or refuse a step of a flow.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// A message, code or link did not parse or verify (the protocol's code).
    #[error(transparent)]
    Protocol(#[from] ProtocolError),
    /// The server could not be reached.
    #[error("the server could not be reached")]
    Unreachable,
    /// The server's TLS certificate is not trusted.
    #[error("the server's certificate is not trusted")]
    UntrustedServer,
    /// The server's parameters are not signed by the key the configuration pins for it.
    #[error("the server's key is not the one pinned for it")]
    PinnedKeyMismatch,
    /// A code names a server the app knows, but its parameters are not signed by that
    /// server's key (or a key it handed over to).
    #[error("this code claims to be {0} but is not signed by {0}'s key")]
    ImpersonatedServer(String),
    /// A login or transaction code names another address for a server the app knows.
    #[error("this code names another address for {0} than the one your account uses")]
    EndpointMismatch(String),
    /// The connection to the server broke off.
    #[error("the connection to the server was lost")]
    ConnectionLost,
    /// The server (or the person) did not answer in time.
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
    /// No flow with that id is running (the flow already ended).
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
    /// The driver could not carry out what the engine asked (storage, keystore): its code and
    /// message, as the driver's own error type gives them.
    #[error("{}", .0.message)]
    Driver(ErrorInfo),
}

impl EngineError {
    /// The stable numeric code (docs/sdk.md).
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
            Self::ImpersonatedServer(_) => 133,
            Self::EndpointMismatch(_) => 134,
            Self::UnknownFlow => 123,
            Self::WrongResponse => 124,
            Self::UnknownAccount => 125,
            Self::InvalidInput(_) => 126,
            Self::Driver(info) => info.code,
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

/// What a server's refusal code means (docs/protocol.md, section 14), for messages.
pub fn refusal(code: u16) -> &'static str {
    match code {
        32 => "the request was malformed",
        33 => "the request was of an unknown kind",
        41 => "the sign-up code has expired or was already used",
        48 => "it does not know this account, or the account is deleted",
        101 => "a message did not authenticate",
        105 => "a message came at the wrong time",
        108 => "the account is blocked",
        109 => "the PIN is blocked",
        110 => "this server requires a PIN",
        111 => "this login has expired or is already logged in",
        112 => "the transaction is unknown, answered, expired or not for this account",
        113 => "another PIN question for this account replaced this one",
        114 => "AppLogin is not enabled on this server",
        115 => "the number given is not the one the browser shows, so the login was denied",
        _ => "for a reason this app does not know",
    }
}

/// Result of engine steps.
pub type EngineResult<T> = Result<T, EngineError>;
