//! GNOME Keyring running without a default keyring, as D-Bus activation starts it or a session
//! leaves it that never unlocked a login keyring (automatic login, a display manager without
//! `pam_gnome_keyring`, a new account): why the app once fell back to a key file on a desktop
//! with GNOME Keyring running (issue 10). The keystore asks the Secret Service to create the
//! default keyring, which asks the person; nobody can answer here (no display for the system's
//! dialog), so the error must say what is missing. The app's journey test answers the dialog.

#![cfg(target_os = "linux")]

use std::time::Duration;

use nextauth_sdk::keystore::{KeychainKeystore, KeystoreError};

#[path = "support/secret_service.rs"]
mod secret_service;

use secret_service::{start_secret_service, temp_dir};

#[test]
fn without_a_default_keyring_one_is_asked_for_and_the_error_says_so() {
    let dir = temp_dir("keychain-bare");
    let (_daemons, address) = start_secret_service(&dir, false);
    // Only this test runs in this binary: the process talks to the private bus from now on.
    std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
    std::env::remove_var("DISPLAY");
    std::env::remove_var("WAYLAND_DISPLAY");
    let mut refused = None;
    for _ in 0..50 {
        match KeychainKeystore::open_or_create("nextauth-test", "wrapping key", None) {
            Err(KeystoreError::Unavailable(why)) if why.contains("default keyring") => {
                refused = Some(why);
                break;
            }
            // The daemon may take a moment to claim its bus name.
            Err(_) => std::thread::sleep(Duration::from_millis(100)),
            Ok(_) => panic!("a key was stored without a default keyring"),
        }
    }
    let why = refused.expect("the missing default keyring is named");
    assert!(why.contains("none was created"), "{why}");
    let _ = std::fs::remove_dir_all(&dir);
}
