//! Identifiers that cross the wire. Each is a newtype so one cannot stand in for another.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};

use crate::crypto::sha256;
use crate::error::{ProtocolError, Result};

macro_rules! id16 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 16]);

        impl $name {
            /// The identifier as unpadded base64url, as the REST API and WebSocket use it.
            pub fn to_base64(&self) -> String {
                URL_SAFE_NO_PAD.encode(self.0)
            }

            /// Parses unpadded base64url (padded and standard-alphabet input are accepted too,
            /// since integrators copy ids between tools).
            pub fn from_base64(text: &str) -> Result<Self> {
                decode_id(text).map(Self)
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_base64())
            }
        }
    };
}

id16!(
    /// A virtual server's random identifier.
    ServerId
);
id16!(
    /// The session reference (the API's `hsid`): derived from the integrator's nonce, never the
    /// nonce itself, so a QR code or a network observer never learns the nonce.
    SessionRef
);
id16!(
    /// A transaction's reference, as carried in a transaction code.
    TransactionRef
);
id16!(
    /// A push message's identifier, used for de-duplication and replay protection.
    MessageId
);

/// The id under which both sides log the exchanges of session `session` of `server`: the first
/// 8 bytes of SHA-256 over a label, the server's id and the session reference. It names the
/// session in logs without revealing its reference (which is in the QR code and must not reach
/// a log).
pub fn session_log_id(server: &ServerId, session: &SessionRef) -> [u8; 8] {
    let hash = sha256(&[b"nextauth log flow\0".as_slice(), &server.0, &session.0]);
    let mut id = [0; 8];
    id.copy_from_slice(&hash[..8]);
    id
}

impl SessionRef {
    /// `SHA-256("nextauth-rs/1 session ref" || server_id || nonce)[..16]`.
    ///
    /// The integrator's nonce is a high-entropy secret (at least 128 bits), so the one-way
    /// derivation does not reveal it.
    pub fn derive(server: &ServerId, nonce: &[u8]) -> Self {
        let digest = sha256(&[b"nextauth-rs/1 session ref", &server.0, nonce]);
        let mut out = [0u8; 16];
        out.copy_from_slice(&digest[..16]);
        Self(out)
    }
}

fn decode_id(text: &str) -> Result<[u8; 16]> {
    let cleaned: String = text
        .trim()
        .trim_end_matches('=')
        .replace('+', "-")
        .replace('/', "_");
    let bytes =
        URL_SAFE_NO_PAD
            .decode(cleaned.as_bytes())
            .map_err(|_| ProtocolError::Malformed {
                field: "id",
                reason: "not base64",
            })?;
    bytes.try_into().map_err(|_| ProtocolError::Malformed {
        field: "id",
        reason: "must be 16 bytes",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_forms_round_trip() {
        let id = ServerId([0xfb; 16]);
        let text = id.to_base64();
        assert_eq!(text, "-_v7-_v7-_v7-_v7-_v7-w");
        assert_eq!(ServerId::from_base64(&text).unwrap(), id);
        assert_eq!(
            ServerId::from_base64("+/v7+/v7+/v7+/v7+/v7+w==").unwrap(),
            id
        );
        assert!(ServerId::from_base64("AAAA").is_err());
        assert!(ServerId::from_base64("!!").is_err());
    }

    #[test]
    fn session_ref_is_bound_to_server_and_nonce() {
        let a = SessionRef::derive(&ServerId([1; 16]), b"nonce");
        assert_eq!(a, SessionRef::derive(&ServerId([1; 16]), b"nonce"));
        assert_ne!(a, SessionRef::derive(&ServerId([2; 16]), b"nonce"));
        assert_ne!(a, SessionRef::derive(&ServerId([1; 16]), b"nonce2"));
    }
}
