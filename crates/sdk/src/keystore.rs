//! Where the keys that protect secrets at rest come from.
//!
//! The SDK never writes a private key, push key or PIN device secret in the clear: it asks a
//! [`Keystore`] to seal it first. A platform supplies its own (a phone its hardware keystore);
//! `KeychainKeystore` (feature `os-keychain`) keeps the wrapping key in the OS keychain (the
//! desktop app); [`FileKeystore`] keeps it in a file (mode 0600) and serves tests, the CLI and
//! desktops without a keychain service.

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
    /// The key file is gone while the app's database (sealed under it) is there: a new key
    /// would make every account useless, so none is made.
    #[error("{0} is missing, but this app has a database sealed under it: put the key file back from a backup (nothing was changed)")]
    KeyFileMissing(String),
}

/// Seals and opens small secrets. `label` binds the ciphertext to its purpose and owner, so a
/// sealed value moved to another row does not open.
pub trait Keystore: Send + Sync {
    /// Encrypts and authenticates `secret`.
    fn seal(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeystoreError>;
    /// Reverses [`Keystore::seal`].
    fn open(&self, label: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError>;
}

/// A 32-byte wrapping key and the AEAD sealing under it (ChaCha20-Poly1305, random nonce,
/// the label as associated data): what [`FileKeystore`] and `KeychainKeystore` share.
struct WrappingKey {
    key: Zeroizing<[u8; 32]>,
    rng: SystemRandom,
}

impl WrappingKey {
    fn from_bytes(bytes: &[u8], whence: &dyn std::fmt::Display) -> Result<Self, KeystoreError> {
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| KeystoreError::Unavailable(format!("{whence}: not a 32-byte key")))?;
        Ok(Self {
            key: Zeroizing::new(key),
            rng: SystemRandom::new(),
        })
    }

    fn generate() -> Result<Self, KeystoreError> {
        let rng = SystemRandom::new();
        let key: [u8; 32] = crypto::random_array(&rng)
            .map_err(|_| KeystoreError::Unavailable("no randomness".into()))?;
        Ok(Self {
            key: Zeroizing::new(key),
            rng,
        })
    }

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

/// A keystore whose wrapping key lives in a file.
pub struct FileKeystore {
    key: WrappingKey,
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
    /// Opens the key file, creating it (0600, written whole or not at all) with a fresh key
    /// when missing. An empty file is what an interrupted creation left before files were
    /// written whole: it holds no key, so a fresh one takes its place. (A database sealed
    /// under a lost key is recognised when the SDK opens: [`crate::SdkError::KeyMismatch`].)
    pub fn open_or_create(path: &Path) -> Result<Self, KeystoreError> {
        let unavailable =
            |e: std::io::Error| KeystoreError::Unavailable(format!("{}: {e}", path.display()));
        let key = match std::fs::read(path) {
            Ok(bytes) if bytes.is_empty() => {
                let key = WrappingKey::generate()?;
                crate::private_files::replace_private(path, key.key.as_slice())
                    .map_err(unavailable)?;
                key
            }
            Ok(bytes) => WrappingKey::from_bytes(&Zeroizing::new(bytes), &path.display())?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = WrappingKey::generate()?;
                crate::private_files::create_private(path, key.key.as_slice())
                    .map_err(unavailable)?;
                key
            }
            Err(e) => return Err(unavailable(e)),
        };
        Ok(Self {
            key,
            path: path.to_owned(),
        })
    }
}

impl FileKeystore {
    /// The key file of the data directory `data_dir` (`keystore.key`), created when the app
    /// is new there; when the app's database exists already, a missing key file is an error
    /// ([`KeystoreError::KeyFileMissing`]) rather than a new key.
    pub fn open_in(data_dir: &Path) -> Result<Self, KeystoreError> {
        let path = data_dir.join("keystore.key");
        let has_database = data_dir.join(crate::store::DATABASE_ID_FILE).exists();
        if has_database && !path.exists() {
            return Err(KeystoreError::KeyFileMissing(path.display().to_string()));
        }
        Self::open_or_create(&path)
    }
}

impl Keystore for FileKeystore {
    fn seal(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        self.key.seal(label, secret)
    }

    fn open(&self, label: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        self.key.open(label, sealed)
    }
}

/// A keystore whose wrapping key lives in the OS keychain: the Secret Service (GNOME Keyring,
/// KWallet) on Linux, the Keychain on macOS, the Credential Manager on Windows. The key never
/// touches the disk in the clear; the keychain releases it to this user's session only.
#[cfg(feature = "os-keychain")]
pub struct KeychainKeystore {
    key: WrappingKey,
    service: String,
    account: String,
}

#[cfg(feature = "os-keychain")]
impl std::fmt::Debug for KeychainKeystore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeychainKeystore")
            .field("service", &self.service)
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

#[cfg(feature = "os-keychain")]
impl KeychainKeystore {
    /// Reads the wrapping key stored under `service` / `account`; a missing key is an error
    /// (an app that keeps its key there must not silently start over with a new one).
    pub fn open_existing(service: &str, account: &str) -> Result<Self, KeystoreError> {
        #[cfg(target_os = "linux")]
        secret_service::prepare()?;
        let entry = keyring::Entry::new(service, account)
            .map_err(|e| KeystoreError::Unavailable(format!("keychain: {e}")))?;
        let bytes = entry.get_secret().map_err(|e| match e {
            keyring::Error::NoEntry => {
                KeystoreError::Unavailable(format!("keychain: no key for {account}"))
            }
            e => KeystoreError::Unavailable(format!("keychain: {e}")),
        })?;
        Ok(Self {
            key: WrappingKey::from_bytes(
                &Zeroizing::new(bytes),
                &format!("keychain entry {service}/{account}"),
            )?,
            service: service.to_owned(),
            account: account.to_owned(),
        })
    }

    /// Reads the wrapping key stored under `service` / `account`, creating it when missing.
    /// When `import` names a key file of a [`FileKeystore`] and the keychain has no key yet,
    /// that key moves into the keychain (secrets sealed under it keep opening) and the file
    /// is deleted once the keychain gives the key back.
    pub fn open_or_create(
        service: &str,
        account: &str,
        import: Option<&Path>,
    ) -> Result<Self, KeystoreError> {
        let unavailable = |e: keyring::Error| KeystoreError::Unavailable(format!("keychain: {e}"));
        #[cfg(target_os = "linux")]
        secret_service::prepare()?;
        let entry = keyring::Entry::new(service, account).map_err(unavailable)?;
        let whence = format!("keychain entry {service}/{account}");
        let key = match entry.get_secret() {
            Ok(bytes) => WrappingKey::from_bytes(&Zeroizing::new(bytes), &whence)?,
            Err(keyring::Error::NoEntry) => {
                let from_file = match import {
                    Some(path) => match std::fs::read(path) {
                        Ok(bytes) => Some(WrappingKey::from_bytes(
                            &Zeroizing::new(bytes),
                            &path.display(),
                        )?),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
                        Err(e) => {
                            return Err(KeystoreError::Unavailable(format!(
                                "{}: {e}",
                                path.display()
                            )))
                        }
                    },
                    None => None,
                };
                let key = match from_file {
                    Some(key) => key,
                    None => WrappingKey::generate()?,
                };
                entry.set_secret(key.key.as_slice()).map_err(unavailable)?;
                // Only once the keychain returns the very key is the file let go.
                let stored = Zeroizing::new(entry.get_secret().map_err(unavailable)?);
                if stored.as_slice() != key.key.as_slice() {
                    return Err(KeystoreError::Unavailable(
                        "keychain: the stored key reads back differently".into(),
                    ));
                }
                if let Some(path) = import {
                    if path.exists() {
                        std::fs::remove_file(path).map_err(|e| {
                            KeystoreError::Unavailable(format!("{}: {e}", path.display()))
                        })?;
                    }
                }
                key
            }
            Err(e) => return Err(unavailable(e)),
        };
        Ok(Self {
            key,
            service: service.to_owned(),
            account: account.to_owned(),
        })
    }
}

/// The Secret Service on Linux, before an entry is read or written.
///
/// GNOME Keyring can be running without a default keyring: started by D-Bus activation or by
/// a session that never unlocked a login keyring (automatic login, a display manager without
/// `pam_gnome_keyring`, a new account). It then offers only its in-memory `session` collection,
/// the `default` alias points nowhere, and every write through `keyring` fails with "no result"
/// (that is how the app ended up with a key file on a desktop with GNOME Keyring running). A
/// locked default keyring needs the person's password first. Both are what the Secret Service
/// asks the person about itself: creating the default keyring shows the system's "choose a
/// password for the new keyring" dialog, unlocking its "unlock" dialog (GNOME Shell, or
/// gcr-prompter elsewhere), as for any application that keeps secrets there.
#[cfg(all(feature = "os-keychain", target_os = "linux"))]
mod secret_service {
    use dbus_secret_service::{EncryptionType, Error, SecretService};

    use super::KeystoreError;

    /// How long the person has to answer the system's dialog.
    const PROMPT_SECS: u64 = 120;

    /// Makes sure a default keyring exists and is unlocked, asking the person through the
    /// Secret Service when it must be created or unlocked.
    pub(super) fn prepare() -> Result<(), KeystoreError> {
        let fail = |what: String| KeystoreError::Unavailable(format!("keychain: {what}"));
        // Nothing secret travels in this exchange: no encrypted session needed.
        let ss = SecretService::connect_with_max_prompt_timeout(EncryptionType::Plain, PROMPT_SECS)
            .map_err(|e| fail(format!("no Secret Service on the session bus ({e})")))?;
        let collection = match ss.get_default_collection() {
            Ok(collection) => collection,
            Err(Error::NoResult) => {
                tracing::info!("the Secret Service has no default keyring; asking to create one");
                ss.create_collection("Login", "default").map_err(|e| {
                    fail(format!(
                        "there is no default keyring and none was created ({e}); create one \
                         in the system's Passwords and Keys (Seahorse), then open the app again"
                    ))
                })?
            }
            Err(e) => return Err(fail(format!("the default keyring cannot be read ({e})"))),
        };
        if collection.is_locked().unwrap_or(false) {
            tracing::info!("the default keyring is locked; asking to unlock it");
            collection.unlock().map_err(|e| {
                fail(format!(
                    "the default keyring stays locked ({e}); unlock it, then open the app again"
                ))
            })?;
        }
        Ok(())
    }
}

#[cfg(feature = "os-keychain")]
impl Keystore for KeychainKeystore {
    fn seal(&self, label: &[u8], secret: &[u8]) -> Result<Vec<u8>, KeystoreError> {
        self.key.seal(label, secret)
    }

    fn open(&self, label: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeystoreError> {
        self.key.open(label, sealed)
    }
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
