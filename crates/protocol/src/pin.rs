//! The PIN as a second factor, checked by the server, never testable offline.
//!
//! The device keeps a random 32-byte *device secret* (encrypted by the platform keystore) and
//! nothing else about the PIN. For each account it derives a *verifier key*
//!
//! ```text
//! verifier = HKDF-SHA256(salt = "nextauth-rs/1 pin", ikm = device_secret || PIN,
//!                        info = server_id || account public key)
//! ```
//!
//! and hands it to the server once, inside the encrypted enrolment (or a PIN change). To prove
//! the PIN in a session, the app sends `HMAC(verifier, "nextauth-rs/1 pin proof" || binder)`,
//! where `binder` is unique to that session, so a proof cannot be replayed.
//!
//! Someone holding the device has the device secret but no verifier, so a guessed PIN can only
//! be checked by asking the server, which counts wrong proofs and blocks the PIN after
//! `max_pin_attempts`. Someone holding the server's database has verifiers but no device
//! secret. Only both together allow guessing offline; a PIN's small space cannot be protected
//! beyond that.

use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use crate::crypto::{self, Prk, PublicKey};
use crate::error::{ProtocolError, Result};
use crate::ids::ServerId;

/// Shortest PIN, in digits.
pub const MIN_PIN_LEN: usize = 4;
/// Longest PIN, in digits.
pub const MAX_PIN_LEN: usize = 16;

/// A PIN held in memory that is wiped when dropped and never printed.
pub struct Pin(Zeroizing<String>);

impl Pin {
    /// Accepts 4 to 16 ASCII digits.
    pub fn new(digits: &str) -> Result<Self> {
        let ok_len = (MIN_PIN_LEN..=MAX_PIN_LEN).contains(&digits.len());
        if !ok_len || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ProtocolError::Malformed {
                field: "pin",
                reason: "must be 4 to 16 digits",
            });
        }
        Ok(Self(Zeroizing::new(digits.to_owned())))
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl core::fmt::Debug for Pin {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Pin(..)")
    }
}

/// The device's PIN secret. Wiped when dropped, never printed.
pub struct DeviceSecret(Zeroizing<[u8; 32]>);

impl DeviceSecret {
    /// Makes a new random secret (when the first PIN is set).
    pub fn generate(rng: &dyn SecureRandom) -> Result<Self> {
        Ok(Self(Zeroizing::new(crypto::random_array(rng)?)))
    }

    /// Restores a stored secret.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// The bytes, for encrypted storage only.
    pub fn expose(&self) -> &[u8; 32] {
        &self.0
    }
}

impl core::fmt::Debug for DeviceSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DeviceSecret(..)")
    }
}

/// The verifier key of `pin` for one account.
pub fn pin_verifier(
    device: &DeviceSecret,
    pin: &Pin,
    server_id: &ServerId,
    account_key: &PublicKey,
) -> Zeroizing<[u8; 32]> {
    let mut ikm = Zeroizing::new(Vec::with_capacity(32 + MAX_PIN_LEN));
    ikm.extend_from_slice(device.0.as_ref());
    ikm.extend_from_slice(pin.as_bytes());
    let prk = Prk::extract(b"nextauth-rs/1 pin", &ikm);
    prk.expand(&server_id.0, &account_key.0)
}

/// The proof of the PIN for the session with `binder` ([`crate::handshake::Session::binder`]).
pub fn pin_proof(verifier: &[u8; 32], binder: &[u8; 32]) -> [u8; 32] {
    crypto::hmac_sha256(verifier, &[b"nextauth-rs/1 pin proof", binder])
}

/// The server's check of a proof, in constant time.
pub fn check_pin_proof(verifier: &[u8; 32], binder: &[u8; 32], proof: &[u8; 32]) -> Result<()> {
    crypto::hmac_sha256_verify(verifier, &[b"nextauth-rs/1 pin proof", binder], proof)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_rules() {
        assert!(Pin::new("1234").is_ok());
        assert!(Pin::new("1234567890123456").is_ok());
        for bad in ["123", "12345678901234567", "12a4", "", "１２３４"] {
            assert!(Pin::new(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(format!("{:?}", Pin::new("1234").unwrap()), "Pin(..)");
    }

    #[test]
    fn verifier_depends_on_every_input() {
        let device = DeviceSecret::from_bytes([1; 32]);
        let pin = Pin::new("1234").unwrap();
        let server = ServerId([2; 16]);
        let key = PublicKey([4; 65]);
        let v = pin_verifier(&device, &pin, &server, &key);
        assert_ne!(
            *v,
            *pin_verifier(&DeviceSecret::from_bytes([9; 32]), &pin, &server, &key)
        );
        assert_ne!(
            *v,
            *pin_verifier(&device, &Pin::new("1235").unwrap(), &server, &key)
        );
        assert_ne!(*v, *pin_verifier(&device, &pin, &ServerId([3; 16]), &key));
        assert_ne!(
            *v,
            *pin_verifier(&device, &pin, &server, &PublicKey([5; 65]))
        );
    }

    #[test]
    fn proofs_bind_to_the_session() {
        let v = [7u8; 32];
        let proof = pin_proof(&v, &[1; 32]);
        check_pin_proof(&v, &[1; 32], &proof).unwrap();
        assert_eq!(
            check_pin_proof(&v, &[2; 32], &proof),
            Err(ProtocolError::Decrypt)
        );
        assert_eq!(
            check_pin_proof(&[8; 32], &[1; 32], &proof),
            Err(ProtocolError::Decrypt)
        );
    }
}
