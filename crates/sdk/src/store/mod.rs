//! The SDK's local database: SQLite through sqlx, WAL, forward-only migrations. One module per
//! table. Rows that cannot be right are reported as [`SdkError::CorruptRow`] and left as they
//! are, never silently dropped.

mod accounts;
mod device;
mod history;
mod messages;
mod open_flows;
mod servers;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::AccountRecord;
pub use history::{HistoryDraft, HistoryQuery};
pub use open_flows::InterruptedFlow;
pub use servers::StoredServer;

use crate::error::{SdkError, SdkResult};

/// The open database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
}

impl Store {
    /// Opens (creating if needed) the database file and applies migrations.
    pub async fn open(path: &Path) -> SdkResult<Self> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)
                .map_err(|_| SdkError::InvalidInput("data directory cannot be created"))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(5));
        // SQLite has one writer at a time; a small pool serves concurrent readers and queues
        // writers behind the busy timeout.
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| SdkError::Storage(e.into()))?;
        Ok(Self { pool })
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A fixed-size blob column, or a corrupt-row error naming the table.
fn fixed<const N: usize>(bytes: Vec<u8>, table: &'static str) -> SdkResult<[u8; N]> {
    bytes.try_into().map_err(|_| SdkError::CorruptRow(table))
}
