//! `KeychainKeystore` against a real Secret Service: a private D-Bus session bus with GNOME
//! Keyring on it (the packages scripts/install-deps.sh installs), started by this test and
//! stopped at its end. One test in its own binary, since it points the process's session bus
//! at the private one.

#![cfg(target_os = "linux")]

use std::time::Duration;

use nextauth_sdk::keystore::{FileKeystore, KeychainKeystore, Keystore, KeystoreError};

#[path = "support/secret_service.rs"]
mod secret_service;

use secret_service::{start_secret_service, temp_dir};

#[test]
fn the_wrapping_key_lives_in_the_keychain_and_an_old_key_file_moves_there() {
    let dir = temp_dir("keychain");
    let (_daemons, address) = start_secret_service(&dir, true);
    // Only this test runs in this binary: the process talks to the private bus from now on.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);

    // An app that used the key file so far.
    let file = dir.join("keystore.key");
    let old = FileKeystore::open_or_create(&file).unwrap();
    let sealed = old.seal(b"account key 1", b"private key bytes").unwrap();

    // The keychain may take a moment to claim its bus name.
    let mut opened = None;
    for _ in 0..50 {
        match KeychainKeystore::open_or_create("nextauth-test", "wrapping key", Some(&file)) {
            Ok(ks) => {
                opened = Some(ks);
                break;
            }
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
        }
    }
    let keychain = opened.expect("the keychain opens");
    assert_eq!(
        &keychain.open(b"account key 1", &sealed).unwrap()[..],
        b"private key bytes",
        "secrets sealed under the file's key still open"
    );
    assert!(
        !file.exists(),
        "the key file is gone once the key is in the keychain"
    );

    // Opened again: the same key, from the keychain alone.
    let again = KeychainKeystore::open_existing("nextauth-test", "wrapping key").unwrap();
    assert_eq!(
        &again.open(b"account key 1", &sealed).unwrap()[..],
        b"private key bytes"
    );
    let new = again.seal(b"push key 1", b"push").unwrap();
    assert_eq!(&keychain.open(b"push key 1", &new).unwrap()[..], b"push");
    assert_eq!(
        keychain.open(b"push key 2", &new).unwrap_err(),
        KeystoreError::Unseal,
        "bound to its label"
    );

    // A key that is not there is not made up by `open_existing`.
    assert!(matches!(
        KeychainKeystore::open_existing("nextauth-test", "missing"),
        Err(KeystoreError::Unavailable(_))
    ));

    // Another entry is another key.
    let other = KeychainKeystore::open_or_create("nextauth-test", "other", None).unwrap();
    assert_eq!(
        other.open(b"account key 1", &sealed).unwrap_err(),
        KeystoreError::Unseal
    );

    let _ = std::fs::remove_dir_all(&dir);
}
