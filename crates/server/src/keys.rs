//! Secrets at rest: server signing keys, push keys and PIN verifiers are sealed with a master
//! key before they reach the database, so a copy of the database alone reveals none of them.
//!
//! The master key is 32 random bytes in a file (`<data-dir>/master.key` by default, created with
//! mode 0600 on first start). Every server process sharing one database needs the same file.

use std::path::Path;

use nextauth_protocol::crypto::{self, SigningKey};
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

/// Errors reading or using the master key.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The key file does not hold 32 bytes.
    #[error("master key file {0} must hold exactly 32 bytes")]
    BadLength(String),
    /// A sealed value does not open with this master key (wrong key file or altered row).
    #[error("a stored secret does not open with the master key")]
    Unseal,
    /// Randomness failed.
    #[error("random number generator failed")]
    Random,
}

/// The key that seals secrets at rest.
pub struct MasterKey(Zeroizing<[u8; 32]>);

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// Reads the key file, creating it with a fresh key if it does not exist.
    pub fn load_or_create(path: &Path, rng: &dyn SecureRandom) -> Result<Self, KeyError> {
        let io = |source| KeyError::Io {
            path: path.display().to_string(),
            source,
        };
        match std::fs::read(path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let key: [u8; 32] = bytes
                    .as_slice()
                    .try_into()
                    .map_err(|_| KeyError::BadLength(path.display().to_string()))?;
                Ok(Self(Zeroizing::new(key)))
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = crypto::random_array(rng).map_err(|_| KeyError::Random)?;
                crate::private_files::create_new(path, &key).map_err(io)?;
                Ok(Self(Zeroizing::new(key)))
            }
            Err(err) => Err(io(err)),
        }
    }

    /// A key held only in memory (tests).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// Seals `secret`, binding it to `context` (the row it belongs to): `nonce[12] || ciphertext`.
    pub fn seal(
        &self,
        rng: &dyn SecureRandom,
        context: &[u8],
        secret: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        let nonce: [u8; 12] = crypto::random_array(rng).map_err(|_| KeyError::Random)?;
        let sealed = crypto::seal(&self.0, nonce, context, secret).map_err(|_| KeyError::Random)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Opens what [`MasterKey::seal`] produced for the same `context`.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
        if sealed.len() < 12 {
            return Err(KeyError::Unseal);
        }
        let (nonce, body) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| KeyError::Unseal)?;
        crypto::open(&self.0, nonce, context, body).map_err(|_| KeyError::Unseal)
    }

    /// Opens a sealed 32-byte secret.
    pub fn open32(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<[u8; 32]>, KeyError> {
        let plain = self.open(context, sealed)?;
        let arr: [u8; 32] = plain.as_slice().try_into().map_err(|_| KeyError::Unseal)?;
        Ok(Zeroizing::new(arr))
    }

    /// A keyed tag over `parts` for `label` (HMAC-SHA256 under a key derived from the master
    /// key, never the master key itself): what the server hands out to check later, such as
    /// a page's logout token.
    pub fn tag(&self, label: &str, parts: &[&[u8]]) -> [u8; 32] {
        let mac_key = Zeroizing::new(crypto::hmac_sha256(
            self.0.as_ref(),
            &[b"nextauth-rs server tag key"],
        ));
        let mut input: Vec<&[u8]> = vec![label.as_bytes(), b"\0"];
        input.extend_from_slice(parts);
        crypto::hmac_sha256(mac_key.as_ref(), &input)
    }

    /// Opens a sealed server signing key.
    pub fn open_signing_key(
        &self,
        context: &[u8],
        sealed: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<SigningKey, KeyError> {
        let pkcs8 = self.open(context, sealed)?;
        SigningKey::from_pkcs8(&pkcs8, rng).map_err(|_| KeyError::Unseal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_in_their_context() {
        let rng = ring::rand::SystemRandom::new();
        let key = MasterKey::from_bytes([1; 32]);
        let sealed = key.seal(&rng, b"row 1", b"secret").unwrap();
        assert_eq!(&key.open(b"row 1", &sealed).unwrap()[..], b"secret");
        assert!(key.open(b"row 2", &sealed).is_err());
        assert!(MasterKey::from_bytes([2; 32])
            .open(b"row 1", &sealed)
            .is_err());
        assert!(key.open(b"row 1", &sealed[..5]).is_err());
    }

    #[test]
    fn key_file_is_created_once_and_reused() {
        let rng = ring::rand::SystemRandom::new();
        let dir = std::env::temp_dir().join(format!("nextauth-master-{}", std::process::id()));
        let path = dir.join("master.key");
        let _ = std::fs::remove_file(&path);
        let a = MasterKey::load_or_create(&path, &rng).unwrap();
        let b = MasterKey::load_or_create(&path, &rng).unwrap();
        assert_eq!(*a.0, *b.0);
        std::fs::write(&path, b"short").unwrap();
        assert!(matches!(
            MasterKey::load_or_create(&path, &rng),
            Err(KeyError::BadLength(_))
        ));
        let _ = std::fs::remove_dir_all(dir);
    }
}
