//! The nextauth-rs wire protocol: QR payloads, server parameters, the mutual-authentication
//! handshake, the record layer, the PIN second factor and push envelopes.
//!
//! This crate performs no I/O: it reads no clock (times are passed in as Unix seconds), draws
//! from no global random source (every function that needs randomness takes
//! `&dyn ring::rand::SecureRandom`), and opens no socket (the handshake state machines take
//! bytes in and give bytes out). That keeps every path testable with fixed inputs.
//!
//! The byte layouts and the key schedule are specified in `docs/protocol.md`.

pub mod app_token;
pub mod codec;
pub mod crypto;
pub mod error;
pub mod handshake;
pub mod ids;
pub mod messages;
pub mod params;
pub mod pin;
pub mod png;
pub mod push;
pub mod qr;
pub mod vash;

pub use error::{ProtocolError, Result};

/// Lower-case hex of `bytes`, for logs and test output (never for secrets).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The bytes of hex text (either case, two digits a byte); `None` if it is not that.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hex_round_trips_and_refuses_what_is_not_hex() {
        assert_eq!(super::hex(&[1, 255]), "01ff");
        assert_eq!(super::from_hex("01fF"), Some(vec![1, 255]));
        assert_eq!(super::from_hex(""), Some(vec![]));
        assert_eq!(super::from_hex("abc"), None);
        assert_eq!(super::from_hex("0g"), None);
        assert_eq!(super::from_hex("+1"), None);
    }
}
