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
        self.fault("set_pin_secret")?;
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
    /// Whether any account (or enrolment waiting to be settled) needs the PIN (read without
    /// decoding rows, so one corrupt account row does not hide the others).
    pub async fn any_pin_account(&self) -> SdkResult<bool> {
        let row = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE has_pin = 1) \
                 OR EXISTS (SELECT 1 FROM pending_enrols WHERE has_pin = 1) AS any_pin",
        )
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
        self.fault("set_biometric_pin")?;
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

impl Store {
    /// Biometric unlocks since the PIN was last typed, and when it was last typed (Unix s, 0
    /// never).
    pub async fn second_factor_streak(&self) -> SdkResult<(u32, u64)> {
        let row = sqlx::query("SELECT biometric_streak, pin_typed_at FROM device WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => (
                u32::try_from(row.try_get::<i64, _>("biometric_streak")?).unwrap_or(u32::MAX),
                u64::try_from(row.try_get::<i64, _>("pin_typed_at")?).unwrap_or_default(),
            ),
            None => (0, 0),
        })
    }

    /// Counts one biometric unlock.
    pub async fn count_biometric_unlock(&self) -> SdkResult<()> {
        sqlx::query("UPDATE device SET biometric_streak = biometric_streak + 1 WHERE id = 1")
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The PIN was typed at `now`: the streak starts again.
    pub async fn pin_typed(&self, now: u64) -> SdkResult<()> {
        sqlx::query("UPDATE device SET biometric_streak = 0, pin_typed_at = ?1 WHERE id = 1")
            .bind(now as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

impl Store {
    /// Whether a server said the PIN is blocked since a PIN was last set.
    pub async fn pin_blocked(&self) -> SdkResult<bool> {
        let row = sqlx::query("SELECT pin_blocked FROM device WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get::<i64, _>("pin_blocked")? != 0,
            None => false,
        })
    }

    /// Records that a server blocked the PIN (`true`) or that a PIN was set again (`false`).
    pub async fn set_pin_blocked(&self, blocked: bool) -> SdkResult<()> {
        sqlx::query("UPDATE device SET pin_blocked = ?1 WHERE id = 1")
            .bind(i64::from(blocked))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
