//! A private D-Bus session bus with GNOME Keyring on it, for the keychain tests (each in its own
//! binary: libdbus keeps the first session bus address a process used).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Child processes, killed on drop.
pub struct Daemons(Vec<Child>);

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

/// Starts a session bus and GNOME Keyring on it, in `dir`; returns the bus address. With
/// `login_keyring` the daemon creates and unlocks a login keyring, as a desktop session's PAM
/// module does; without, it runs as D-Bus activation starts it: no default keyring.
pub fn start_secret_service(dir: &Path, login_keyring: bool) -> (Daemons, String) {
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
    let args: &[&str] = if login_keyring {
        &["--foreground", "--unlock", "--components=secrets"]
    } else {
        &["--foreground", "--components=secrets"]
    };
    let mut keyring = Command::new(tool("gnome-keyring-daemon"))
        .args(args)
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
    // Until the daemon owns its name, a call would have the bus start another one by D-Bus
    // activation (with the test process's home, and no login keyring).
    for _ in 0..100 {
        let owned = Command::new(tool("dbus-send"))
            .args([
                &format!("--bus={address}"),
                "--print-reply",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                "string:org.freedesktop.secrets",
            ])
            .output()
            .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).contains("boolean true"));
        if owned {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (daemons, address)
}

/// A fresh directory for one test binary's daemons.
pub fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nextauth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
