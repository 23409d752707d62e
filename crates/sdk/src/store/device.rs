//! The device's PIN secret (sealed). Absent means no PIN is set.

use sqlx::Row;

use super::Store;
use crate::error::SdkResult;

impl Store {
    /// The sealed PIN device secret, if a PIN is set.
    pub async fn pin_secret(&self) -> SdkResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT pin_secret_sealed FROM device WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("pin_secret_sealed")?,
            None => None,
        })
    }

    /// Sets (or with `None`, removes) the sealed PIN device secret.
    pub async fn set_pin_secret(&self, sealed: Option<&[u8]>) -> SdkResult<()> {
        sqlx::query(
            "INSERT INTO device (id, pin_secret_sealed) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET pin_secret_sealed = ?1",
        )
        .bind(sealed.map(<[u8]>::to_vec))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
