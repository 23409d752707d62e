//! The one error type of the protocol crate.
//!
//! Every variant maps to a stable numeric code (see [`ProtocolError::code`]) so that the SDK and
//! the app can branch on it. The numbers in the 32..=68 range follow the nextAuth Mobile SDK's
//! documented codes; the others are ours and are listed in docs/protocol.md.

use core::fmt;

/// What went wrong while encoding, decoding or verifying a protocol message.
///
/// Messages never contain secret material: only field names and lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The bytes end before a field is complete.
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// A field holds a value that the format does not allow.
    Malformed {
        /// The field that is wrong.
        field: &'static str,
        /// Why it is wrong, for logs (no secret data).
        reason: &'static str,
    },
    /// Bytes follow the end of a complete message.
    TrailingBytes,
    /// The input or a field is larger than the format allows.
    Oversized {
        /// The field (or `"message"`) that is too large.
        field: &'static str,
        /// The limit in bytes or items.
        limit: usize,
    },
    /// The magic bytes are not ours: this is not a nextauth-rs payload at all.
    NotOurs,
    /// A version this implementation does not speak.
    UnsupportedVersion(u8),
    /// A message or payload type this implementation does not know.
    UnknownType(u8),
    /// An enrol code whose validity has ended.
    EnrolExpired,
    /// A push message whose validity has ended (or lies implausibly far in the future).
    MessageExpired,
    /// A push message that was already accepted once.
    Replayed,
    /// A signature does not verify under the expected key.
    BadSignature,
    /// An AEAD tag or a MAC does not verify: the message was altered or the key is wrong.
    Decrypt,
    /// The server parameters do not hash to the value the enrol code promised.
    ParamsHashMismatch,
    /// The server parameters belong to another server, or to another key than the one pinned.
    ServerMismatch,
    /// A public key is not a valid point of the expected curve.
    BadKey,
    /// A message arrived that the state machine does not expect in its current state.
    UnexpectedMessage,
    /// The randomness source failed.
    Random,
    /// The record sequence number would wrap; the session must end.
    SequenceExhausted,
}

impl ProtocolError {
    /// The stable numeric code of this error.
    ///
    /// 32 (parse), 33 (unknown type), 41 (enrol expired), 48 (server authentication failed),
    /// 67 (server parameters parse), 68 (server parameters hash) follow the nextAuth Mobile SDK.
    /// The 100-range codes are ours.
    pub fn code(&self) -> u16 {
        match self {
            Self::Truncated { .. }
            | Self::Malformed { .. }
            | Self::TrailingBytes
            | Self::Oversized { .. }
            | Self::NotOurs
            | Self::UnsupportedVersion(_) => 32,
            Self::UnknownType(_) => 33,
            Self::EnrolExpired => 41,
            Self::BadSignature | Self::ServerMismatch => 48,
            Self::ParamsHashMismatch => 68,
            Self::Decrypt => 101,
            Self::MessageExpired => 102,
            Self::Replayed => 103,
            Self::BadKey => 104,
            Self::UnexpectedMessage => 105,
            Self::Random => 106,
            Self::SequenceExhausted => 107,
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated { field } => write!(f, "input ends inside field `{field}`"),
            Self::Malformed { field, reason } => {
                write!(f, "field `{field}` is malformed: {reason}")
            }
            Self::TrailingBytes => f.write_str("unexpected bytes after the end of the message"),
            Self::Oversized { field, limit } => write!(f, "`{field}` exceeds its limit of {limit}"),
            Self::NotOurs => f.write_str("not a nextauth-rs payload"),
            Self::UnsupportedVersion(v) => write!(f, "unsupported protocol version {v}"),
            Self::UnknownType(t) => write!(f, "unknown message type {t}"),
            Self::EnrolExpired => f.write_str("the enrol code has expired"),
            Self::MessageExpired => f.write_str("the message has expired"),
            Self::Replayed => f.write_str("the message was already received"),
            Self::BadSignature => f.write_str("signature verification failed"),
            Self::Decrypt => f.write_str("authenticated decryption failed"),
            Self::ParamsHashMismatch => {
                f.write_str("server parameters do not match the hash in the enrol code")
            }
            Self::ServerMismatch => f.write_str("server identity does not match"),
            Self::BadKey => f.write_str("invalid public key"),
            Self::UnexpectedMessage => f.write_str("message not expected in this state"),
            Self::Random => f.write_str("the random number generator failed"),
            Self::SequenceExhausted => f.write_str("record sequence numbers exhausted"),
        }
    }
}

impl std::error::Error for ProtocolError {}

/// Shorthand for results of this crate.
pub type Result<T, E = ProtocolError> = core::result::Result<T, E>;
