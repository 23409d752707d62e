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

    /// Sets (or with `None`, removes) the sealed PIN device secret. Biometric unlock, which
    /// belongs to the PIN it was enabled with, is switched off.
    pub async fn set_pin_secret(&self, sealed: Option<&[u8]>) -> SdkResult<()> {
        sqlx::query(
            "INSERT INTO device (id, pin_secret_sealed) VALUES (1, ?1) \
             ON CONFLICT (id) DO UPDATE SET pin_secret_sealed = ?1, biometric_pin_sealed = NULL",
        )
        .bind(sealed.map(<[u8]>::to_vec))
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}

impl Store {
    /// Whether any account needs the PIN (read without decoding rows, so one corrupt account
    /// row does not hide the others).
    pub async fn any_pin_account(&self) -> SdkResult<bool> {
        let row =
            sqlx::query("SELECT EXISTS (SELECT 1 FROM accounts WHERE has_pin = 1) AS any_pin")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get::<bool, _>("any_pin")?)
    }

    /// The PIN sealed for biometric unlock, if enabled.
    pub async fn biometric_pin(&self) -> SdkResult<Option<Vec<u8>>> {
        let row = sqlx::query("SELECT biometric_pin_sealed FROM device WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("biometric_pin_sealed")?,
            None => None,
        })
    }

    /// Stores (or with `None`, removes) the PIN sealed for biometric unlock. Only where a PIN
    /// is set: returns whether it was stored.
    pub async fn set_biometric_pin(&self, sealed: Option<&[u8]>) -> SdkResult<bool> {
        let done = sqlx::query(
            "UPDATE device SET biometric_pin_sealed = ?1 \
             WHERE id = 1 AND (pin_secret_sealed IS NOT NULL OR ?1 IS NULL)",
        )
        .bind(sealed.map(<[u8]>::to_vec))
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
