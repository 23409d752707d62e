//! The TypeScript bindings of everything that crosses IPC, generated with ts-rs into
//! `ui/src/bindings/` and committed.
//!
//! `cargo test -p nextauth-app bindings` regenerates them into a temporary directory and fails
//! when they differ from the committed files. To update the committed files after changing a
//! type: `UPDATE_BINDINGS=1 cargo test -p nextauth-app bindings`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ts_rs::TS;

/// Writes every IPC type (and what it refers to) into `dir`.
fn export_all(dir: &Path) {
    fn one<T: TS + 'static + ?Sized>(dir: &Path) {
        T::export_all_to(dir).unwrap_or_else(|e| panic!("export {}: {e}", T::name()));
    }
    // The SDK's model (its `ts` feature).
    one::<nextauth_sdk::Event>(dir);
    one::<nextauth_sdk::HistoryEntry>(dir);
    one::<nextauth_sdk::HistoryStatus>(dir);
    // The app's own IPC types.
    one::<crate::error::IpcError>(dir);
    one::<crate::commands::app::AppInfo>(dir);
    one::<crate::commands::app::ReadyState>(dir);
    one::<crate::commands::app::StartupError>(dir);
    one::<crate::commands::accounts::AccountDetail>(dir);
    one::<crate::commands::accounts::DeleteResult>(dir);
    one::<crate::commands::accounts::PushPause>(dir);
    one::<crate::commands::flows::Answer>(dir);
    one::<crate::commands::history::HistoryFilter>(dir);
    one::<crate::commands::history::HistoryPage>(dir);
    one::<crate::settings::Settings>(dir);
    one::<crate::commands::settings::ServerLinkPrefix>(dir);
    one::<crate::commands::app_login::AppLoginStatus>(dir);
    one::<crate::commands::app_login::AppLoginToken>(dir);
    one::<crate::events::Resync>(dir);
    one::<crate::camera::Preview>(dir);
    one::<crate::camera::CameraInfo>(dir);
    one::<crate::commands::scan::ScreenScan>(dir);
}

fn committed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/bindings")
}

fn read_dir(dir: &Path) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") {
                let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                files.insert(name, text);
            }
        }
    }
    files
}

#[test]
fn bindings_match_the_committed_files() {
    let tmp = std::env::temp_dir().join(format!("nextauth-bindings-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    export_all(&tmp);
    let fresh = read_dir(&tmp);
    let _ = std::fs::remove_dir_all(&tmp);
    assert!(
        fresh.len() > 10,
        "ts-rs exported too little: {:?}",
        fresh.keys()
    );
    let committed_dir = committed_dir();
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        let _ = std::fs::remove_dir_all(&committed_dir);
        std::fs::create_dir_all(&committed_dir).expect("create ui/src/bindings");
        for (name, text) in &fresh {
            std::fs::write(committed_dir.join(name), text).expect("write binding");
        }
        return;
    }
    let committed = read_dir(&committed_dir);
    let stale: Vec<&String> = fresh
        .keys()
        .chain(committed.keys())
        .filter(|name| fresh.get(*name) != committed.get(*name))
        .collect();
    assert!(
        stale.is_empty(),
        "ui/src/bindings is out of date ({stale:?}); regenerate with \
         `UPDATE_BINDINGS=1 cargo test -p nextauth-app bindings` and commit the result"
    );
}
