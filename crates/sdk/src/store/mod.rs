//! The SDK's local database: SQLite through sqlx, WAL, forward-only migrations. One module per
//! table. Rows that cannot be right are reported as [`SdkError::CorruptRow`] and left as they
//! are, never silently dropped.

mod accounts;
mod device;
mod faults;
mod history;
mod integrity;
mod messages;
mod open_flows;
mod pending;
mod servers;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use accounts::AccountRecord;
pub use faults::StorageFaults;
pub use history::{HistoryQuery, HistoryRecord};
pub use integrity::DATABASE_ID_FILE;
pub use open_flows::InterruptedFlow;
pub use pending::{PendingEnrol, UnresolvedOutcome};
pub use servers::StoredServer;

use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};

/// The open database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: SqlitePool,
    faults: Option<Arc<StorageFaults>>,
}

impl Store {
    /// Opens (creating if needed) the database file and applies migrations; `faults`, in
    /// tests, makes writes fail on purpose.
    pub async fn open(path: &Path, faults: Option<Arc<StorageFaults>>) -> SdkResult<Self> {
        // A database that should be there and is not is an error, never a new empty one.
        integrity::check_present(path)?;
        // The directory 0700 and the file 0600 before SQLite opens it (so its -wal and -shm
        // files are 0600 too): see private_files.
        crate::private_files::precreate_file(path).map_err(|_| {
            SdkError::Engine(EngineError::InvalidInput(
                "data directory cannot be created",
            ))
        })?;
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
        Ok(Self { pool, faults })
    }

    /// Fails like a full disk when the test's fault plan says so (a no-op otherwise).
    fn fault(&self, site: &'static str) -> SdkResult<()> {
        match &self.faults {
            Some(faults) => faults.check(site),
            None => Ok(()),
        }
    }

    /// Every row `sql` selects.
    async fn all<T: FromRow>(&self, sql: &'static str) -> SdkResult<Vec<T>> {
        let rows = sqlx::query(sql).fetch_all(&self.pool).await?;
        rows.iter().map(T::from_row).collect()
    }

    /// The row `sql` selects with `key` bound to `?1`, if any.
    async fn one<T: FromRow>(&self, sql: &'static str, key: &str) -> SdkResult<Option<T>> {
        let row = sqlx::query(sql)
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(T::from_row).transpose()
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A record read from one row (`SELECT *` of its table).
trait FromRow: Sized {
    fn from_row(row: &sqlx::sqlite::SqliteRow) -> SdkResult<Self>;
}

/// A fixed-size blob column, or a corrupt-row error naming the table.
fn fixed<const N: usize>(bytes: Vec<u8>, table: &'static str) -> SdkResult<[u8; N]> {
    bytes.try_into().map_err(|_| SdkError::CorruptRow(table))
}
