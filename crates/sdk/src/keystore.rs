//! Where the keys that protect secrets at rest come from.
//!
//! The SDK never writes a private key, push key or PIN device secret in the clear: it asks a
//! [`Keystore`] to seal it first. A platform supplies its own (the desktop app uses the OS
//! keychain, a phone its hardware keystore); [`FileKeystore`] keeps a wrapping key in a file
//! (mode 0600) and serves tests, the CLI and platforms without a keychain.

use std::path::{Path, PathBuf};

use nextauth_protocol::crypto;
use ring::rand::SystemRandom;
use zeroize::Zeroizing;

/// Why sealing or opening failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeystoreError {
    /// The keystore is not available (locked keychain, no key file access).
    #[error("keystore unavailable: {0}")]
    Unavailable(String),
    /// The sealed data does not open: altered, or sealed under another key.
    #[error("a stored secret does not open with this keystore")]
    Unseal,
}

/// Seals and opens small secrets. `label` binds the ciphertext to its purpose and owner, so a
/// sealed value moved to another row does not open.
pub trait Keystore: Send + Sync {
    /// Encrypts and authenticates `secret`.
    fn seal(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeystoreError>;
    /// Reverses [`Keystore::seal`].
    fn open(&self, label: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError>;
}

/// A keystore whose wrapping key lives in a file.
pub struct FileKeystore {
    key: Zeroizing<[u8; 32]>,
    rng: SystemRandom,
    path: PathBuf,
}

impl std::fmt::Debug for FileKeystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKeystore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl FileKeystore {
    /// Opens the key file, creating it (0600) with a fresh key when missing.
    pub fn open_or_create(path: &Path) -> Result<Self, KeystoreError> {
        let rng = SystemRandom::new();
        let unavailable =
            |e: std::io::Error| KeystoreError::Unavailable(format!("{}: {e}", path.display()));
        let key = match std::fs::read(path) {
            Ok(bytes) => {
                let bytes = Zeroizing::new(bytes);
                let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| {
                    KeystoreError::Unavailable(format!("{}: not a 32-byte key", path.display()))
                })?;
                key
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key: [u8; 32] = crypto::random_array(&rng)
                    .map_err(|_| KeystoreError::Unavailable("no randomness".into()))?;
                write_private(path, &key).map_err(unavailable)?;
                key
            }
            Err(e) => return Err(unavailable(e)),
        };
        Ok(Self {
            key: Zeroizing::new(key),
            rng,
            path: path.to_owned(),
        })
    }
}

impl Keystore for FileKeystore {
    fn seal(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        let nonce: [u8; 12] = crypto::random_array(&self.rng)
            .map_err(|_| KeystoreError::Unavailable("no randomness".into()))?;
        let sealed =
            crypto::seal(&self.key, nonce, label, secret).map_err(|_| KeystoreError::Unseal)?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    fn open(&self, label: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        if sealed.len() < 12 {
            return Err(KeystoreError::Unseal);
        }
        let (nonce, body) = sealed.split_at(12);
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| KeystoreError::Unseal)?;
        crypto::open(&self.key, nonce, label, body).map_err(|_| KeystoreError::Unseal)
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_bind_to_label_and_key() {
        let dir = std::env::temp_dir().join(format!("nextauth-ks-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let ks = FileKeystore::open_or_create(&dir.join("k")).unwrap();
        let sealed = ks.seal(b"a", b"secret").unwrap();
        assert_eq!(&ks.open(b"a", &sealed).unwrap()[..], b"secret");
        assert_eq!(ks.open(b"b", &sealed).unwrap_err(), KeystoreError::Unseal);
        let again = FileKeystore::open_or_create(&dir.join("k")).unwrap();
        assert_eq!(
            &again.open(b"a", &sealed).unwrap()[..],
            b"secret",
            "the key file is reused"
        );
        std::fs::write(dir.join("bad"), b"short").unwrap();
        assert!(matches!(
            FileKeystore::open_or_create(&dir.join("bad")),
            Err(KeystoreError::Unavailable(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
