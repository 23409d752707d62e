//! `Config::history_retention_days` against a real SQLite file: entries older than the
//! retention are deleted when the SDK opens, newer ones stay, and a shorter retention at the
//! next start prunes further.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nextauth_sdk::keystore::FileKeystore;
use nextauth_sdk::store::{HistoryRecord, Store};
use nextauth_sdk::{Config, HistoryQuery, HistoryStatus, Sdk};

const DAY: u64 = 86_400;

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn scratch() -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("nextauth-history-retention-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Writes entries `days` old straight into the database file the SDK will open.
async fn write_history(dir: &Path, days: &[u64]) {
    let store = Store::open(&dir.join("nextauth.db"), None)
        .await
        .expect("store");
    for age in days {
        let draft = HistoryRecord {
            at: now() - age * DAY,
            kind: nextauth_sdk::HistoryKind::Login,
            status: HistoryStatus::LoggedInOneShot,
            server_id: None,
            server_name: format!("{age} days ago"),
            account_id: None,
            account_name: String::new(),
            announce: None,
            error_code: None,
            detail: String::new(),
        };
        store.add_history(&draft).await.expect("append");
    }
    store.close().await;
}

async fn open(dir: &Path, retention_days: u32) -> Sdk {
    let keystore = FileKeystore::open_or_create(&dir.join("keystore.key")).expect("keystore");
    let mut config = Config::new(dir);
    config.history_retention_days = retention_days;
    Sdk::open(config, Arc::new(keystore)).await.expect("sdk")
}

async fn kept(sdk: &Sdk) -> Vec<String> {
    let entries = sdk
        .history(&HistoryQuery::default())
        .await
        .expect("history");
    entries.into_iter().map(|e| e.record.server_name).collect()
}

#[tokio::test]
async fn entries_older_than_the_retention_are_pruned_at_start() {
    let dir = scratch();
    write_history(&dir, &[400, 100, 31, 29, 1]).await;

    // The default (90 days).
    let sdk = open(&dir, nextauth_sdk::DEFAULT_HISTORY_RETENTION_DAYS).await;
    assert_eq!(
        kept(&sdk).await,
        ["1 days ago", "29 days ago", "31 days ago"]
    );
    drop(sdk);

    // A shorter retention at the next start.
    let sdk = open(&dir, 30).await;
    assert_eq!(kept(&sdk).await, ["1 days ago", "29 days ago"]);
    drop(sdk);

    let _ = std::fs::remove_dir_all(dir);
}
