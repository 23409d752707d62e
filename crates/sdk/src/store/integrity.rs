//! That a database, its key and its data directory belong together: a missing or emptied
//! database, a database from elsewhere and a key that is not the database's are each
//! recognised and stop the SDK with what to do; nothing is overwritten or silently reset.

use std::path::Path;

use sqlx::Row;

use super::Store;
use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};
use crate::keystore::Keystore;

/// The file beside the database that holds its id (written once the database exists).
pub const DATABASE_ID_FILE: &str = "nextauth.db.id";
const KEY_CHECK_LABEL: &[u8] = b"key check";
const KEY_CHECK_TEXT: &[u8] = b"nextauth-rs key check 1";

/// Before opening: a database that should be there and is not (deleted, or emptied to 0
/// bytes) is an error, never a new empty one.
pub(super) fn check_present(path: &Path) -> SdkResult<()> {
    let id_file = id_file(path);
    let missing = std::fs::metadata(path).map_or(true, |m| m.len() == 0);
    if missing && id_file.exists() {
        return Err(SdkError::DatabaseMissing);
    }
    Ok(())
}

fn id_file(db: &Path) -> std::path::PathBuf {
    db.with_file_name(DATABASE_ID_FILE)
}

impl Store {
    async fn set_database_id(&self, id: &[u8]) -> SdkResult<()> {
        self.fault("database_id")?;
        sqlx::query(
            "INSERT INTO device (id, database_id) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET database_id = ?1",
        )
        .bind(id.to_vec())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// After opening: the database's id and the file beside it agree (and are made on first
    /// open); the keystore opens the database's key check (made on first open, after checking
    /// that it opens an existing account key, for databases from before the check).
    pub(crate) async fn check_belongs(
        &self,
        path: &Path,
        keystore: &dyn Keystore,
    ) -> SdkResult<()> {
        let row = sqlx::query("SELECT key_check, database_id FROM device WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        let (key_check, database_id): (Option<Vec<u8>>, Option<Vec<u8>>) = match &row {
            Some(row) => (row.try_get("key_check")?, row.try_get("database_id")?),
            None => (None, None),
        };
        match key_check {
            Some(sealed) => {
                let opened = keystore.open(KEY_CHECK_LABEL, &sealed);
                if !opened.is_ok_and(|text| text.as_slice() == KEY_CHECK_TEXT) {
                    return Err(SdkError::KeyMismatch);
                }
            }
            None => {
                // A database from before the check: the key must open at least one of its
                // account keys (one altered row is a corrupt row, not a wrong key).
                let rows = sqlx::query("SELECT account_id, key_sealed FROM accounts")
                    .fetch_all(&self.pool)
                    .await?;
                let opens = |row: &sqlx::sqlite::SqliteRow| {
                    let id: String = row.try_get("account_id").unwrap_or_default();
                    let sealed: Vec<u8> = row.try_get("key_sealed").unwrap_or_default();
                    keystore
                        .open(&crate::inner::key_label(&id), &sealed)
                        .is_ok()
                };
                if !rows.is_empty() && !rows.iter().any(opens) {
                    return Err(SdkError::KeyMismatch);
                }
                let sealed = keystore.seal(KEY_CHECK_LABEL, KEY_CHECK_TEXT)?;
                self.fault("key_check")?;
                sqlx::query(
                    "INSERT INTO device (id, key_check) VALUES (1, ?1) \
                     ON CONFLICT (id) DO UPDATE SET key_check = ?1",
                )
                .bind(sealed)
                .execute(&self.pool)
                .await?;
            }
        }
        let id_file = id_file(path);
        let on_disk = std::fs::read(&id_file).ok();
        match (database_id, on_disk) {
            (Some(id), Some(file)) if id != file => Err(SdkError::ForeignDatabase),
            (Some(_), Some(_)) => Ok(()),
            (Some(id), None) => crate::private_files::replace_private(&id_file, &id)
                .map_err(|e| SdkError::Storage(sqlx::Error::Io(e))),
            // The file is the record of which database is this app's: a database without an
            // id takes it (its own id was lost), and only a new app makes a new one.
            (None, Some(file)) => self.set_database_id(&file).await,
            (None, None) => {
                let id: [u8; 16] =
                    nextauth_protocol::crypto::random_array(&ring::rand::SystemRandom::new())
                        .map_err(|_| {
                            SdkError::Engine(EngineError::InvalidInput("no randomness"))
                        })?;
                self.set_database_id(&id).await?;
                crate::private_files::replace_private(&id_file, &id)
                    .map_err(|e| SdkError::Storage(sqlx::Error::Io(e)))
            }
        }
    }
}
