//! Files at rest (docs/security.md, "Files at rest"). The attacker is another local user of the
//! machine: before the fix the server's data directory, its SQLite database with the `-wal`
//! and `-shm` files, and `demo.json` (an API key with every permission) were created with the
//! process's umask (world-readable under the usual 022), and the app's data directory and
//! database too. Now each is private from the call that creates it.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nextauth_e2e::{App, ServerProcess, TempDir};

/// The permission bits, in octal as `ls` and `chmod` write them.
fn mode(path: &Path) -> String {
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode();
    format!("{:o}", mode & 0o777)
}

/// A path in the temporary directory that does not exist yet (removed on drop).
fn absent_dir(tag: &str) -> TempDir {
    let dir = TempDir::new(tag);
    std::fs::remove_dir(&dir.0).expect("remove the fresh directory");
    dir
}

#[tokio::test]
async fn server_data_is_private_from_creation_even_with_an_open_umask() {
    // umask 000: whatever is not given a mode at creation ends up readable (and writable) by
    // every local user, so only the modes the server asks for can pass.
    let data = absent_dir("files-server");
    let server = ServerProcess::start_with_umask(data, 0o000, &[]).await;
    // One request that writes, so that the WAL is in use.
    let _ = server.session("files-nonce").await;
    let dir = server.data_dir().to_owned();
    assert_eq!(mode(&dir), "700", "data directory");
    let files: Vec<PathBuf> = [
        "server.db",
        "server.db-wal",
        "server.db-shm",
        "master.key",
        "demo.json",
    ]
    .iter()
    .map(|name| dir.join(name))
    .collect();
    for file in &files {
        assert_eq!(mode(file), "600", "{}", file.display());
    }
    // Nothing else (no temporary file of demo.json's replacement) is left in the directory.
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("read data dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "demo.json",
            "master.key",
            "server.db",
            "server.db-shm",
            "server.db-wal"
        ]
    );
}

#[tokio::test]
async fn app_data_is_private_from_creation() {
    let dir = Arc::new(absent_dir("files-app"));
    let app = App::open(dir.clone()).await;
    // A write, so that the WAL is in use.
    let _ = app.sdk.accounts().await.expect("accounts");
    assert_eq!(mode(&dir.0), "700", "app data directory");
    for name in [
        "nextauth.db",
        "nextauth.db-wal",
        "nextauth.db-shm",
        "keystore.key",
    ] {
        assert_eq!(mode(&dir.0.join(name)), "600", "{name}");
    }
}
