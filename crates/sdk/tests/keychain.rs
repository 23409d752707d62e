//! `KeychainKeystore` against a real Secret Service: a private D-Bus session bus with GNOME
//! Keyring on it (the packages scripts/install-deps.sh installs), started by this test and
//! stopped at its end. One test in its own binary, since it points the process's session bus
//! at the private one.

#![cfg(target_os = "linux")]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use nextauth_sdk::keystore::{FileKeystore, KeychainKeystore, Keystore, KeystoreError};

/// Child processes, killed on drop.
struct Daemons(Vec<Child>);

impl Drop for Daemons {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn tool(name: &str) -> &str {
    let found = std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|dir| dir.join(name).is_file()));
    assert!(
        found,
        "{name} is missing: install dbus and gnome-keyring (scripts/install-deps.sh)"
    );
    name
}

/// Starts a session bus and an unlocked GNOME Keyring on it, in `dir`; returns the bus address.
fn start_secret_service(dir: &Path) -> (Daemons, String) {
    let mut daemons = Daemons(Vec::new());
    let mut bus = Command::new(tool("dbus-daemon"))
        .args(["--session", "--nofork", "--print-address=1"])
        .arg(format!("--address=unix:path={}", dir.join("bus").display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dbus-daemon");
    let mut address = String::new();
    BufReader::new(bus.stdout.take().expect("bus stdout"))
        .read_line(&mut address)
        .expect("bus address");
    daemons.0.push(bus);
    let address = address.trim().to_owned();

    let home = dir.join("home");
    let runtime = dir.join("run");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&runtime).unwrap();
    let mut keyring = Command::new(tool("gnome-keyring-daemon"))
        .args(["--foreground", "--unlock", "--components=secrets"])
        .env("DBUS_SESSION_BUS_ADDRESS", &address)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start gnome-keyring-daemon");
    // The login keyring's password, then end of input.
    keyring
        .stdin
        .take()
        .expect("keyring stdin")
        .write_all(b"test-password")
        .unwrap();
    daemons.0.push(keyring);
    (daemons, address)
}

fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nextauth-keychain-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_wrapping_key_lives_in_the_keychain_and_an_old_key_file_moves_there() {
    let dir = temp_dir();
    let (_daemons, address) = start_secret_service(&dir);
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
