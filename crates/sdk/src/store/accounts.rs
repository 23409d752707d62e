//! Accounts and their sealed keys.

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::ids::ServerId;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::Row;

use super::{fixed, FromRow, Store};
use crate::error::{SdkError, SdkResult};

/// An account row. The key material stays sealed; [`crate::Sdk`] opens it with the keystore
/// only for the moment it signs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountRecord {
    /// Local id (UUID).
    pub id: String,
    /// Server.
    pub server_id: ServerId,
    /// Display name.
    pub display_name: String,
    /// Public key.
    pub public_key: PublicKey,
    /// PKCS#8, sealed.
    pub key_sealed: Vec<u8>,
    /// Push key, sealed.
    pub push_key_sealed: Vec<u8>,
    /// Public push key id.
    pub push_key_id: [u8; 8],
    /// Protected by the PIN.
    pub has_pin: bool,
    /// Created (Unix s).
    pub created: u64,
    /// Last login (Unix s).
    pub last_login: Option<u64>,
    /// Deleted in the app, server not told yet.
    pub pending_delete: bool,
}

impl FromRow for AccountRecord {
    fn from_row(row: &SqliteRow) -> SdkResult<Self> {
        let pk: Vec<u8> = row.try_get("public_key")?;
        Ok(Self {
            id: row.try_get("account_id")?,
            server_id: ServerId(fixed(row.try_get("server_id")?, "account")?),
            display_name: row.try_get("display_name")?,
            public_key: PublicKey::from_slice(&pk).map_err(|_| SdkError::CorruptRow("account"))?,
            key_sealed: row.try_get("key_sealed")?,
            push_key_sealed: row.try_get("push_key_sealed")?,
            push_key_id: fixed(row.try_get("push_key_id")?, "account")?,
            has_pin: row.try_get::<i64, _>("has_pin")? != 0,
            created: row.try_get::<i64, _>("created")? as u64,
            last_login: row
                .try_get::<Option<i64>, _>("last_login")?
                .map(|t| t as u64),
            pending_delete: row.try_get::<i64, _>("pending_delete")? != 0,
        })
    }
}

/// The columns an account shares with a pending enrolment, bound as `?1`…`?9` by
/// [`bind_account`].
pub(super) const ACCOUNT_COLUMNS: &str = "account_id, server_id, display_name, public_key, \
     key_sealed, push_key_sealed, push_key_id, has_pin, created";

/// Binds `a`'s [`ACCOUNT_COLUMNS`] to `query`, in that order.
pub(super) fn bind_account<'q>(
    query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    a: &'q AccountRecord,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    query
        .bind(&a.id)
        .bind(a.server_id.0.to_vec())
        .bind(&a.display_name)
        .bind(a.public_key.0.to_vec())
        .bind(&a.key_sealed)
        .bind(&a.push_key_sealed)
        .bind(a.push_key_id.to_vec())
        .bind(i64::from(a.has_pin))
        .bind(a.created as i64)
}

/// Inserts an account on `conn` (inside a caller's transaction).
pub(super) async fn insert(conn: &mut SqliteConnection, a: &AccountRecord) -> SdkResult<()> {
    let sql = format!(
        "INSERT INTO accounts ({ACCOUNT_COLUMNS}, last_login, pending_delete) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 0)"
    );
    bind_account(sqlx::query(&sql), a)
        .bind(a.last_login.map(|t| t as i64))
        .execute(conn)
        .await?;
    Ok(())
}

impl Store {
    /// Stores a new account.
    pub async fn insert_account(&self, a: &AccountRecord) -> SdkResult<()> {
        self.fault("insert_account")?;
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, a).await
    }

    /// Every account, oldest first.
    pub async fn accounts(&self) -> SdkResult<Vec<AccountRecord>> {
        self.all("SELECT * FROM accounts ORDER BY created, account_id")
            .await
    }

    /// One account.
    pub async fn account(&self, id: &str) -> SdkResult<Option<AccountRecord>> {
        self.one("SELECT * FROM accounts WHERE account_id = ?1", id)
            .await
    }

    /// The account a push envelope is for.
    pub async fn account_by_push_key_id(
        &self,
        server: &ServerId,
        key_id: &[u8; 8],
    ) -> SdkResult<Option<AccountRecord>> {
        let row = sqlx::query("SELECT * FROM accounts WHERE server_id = ?1 AND push_key_id = ?2")
            .bind(server.0.to_vec())
            .bind(key_id.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(AccountRecord::from_row).transpose()
    }

    /// Records a login.
    pub async fn record_login(&self, id: &str, now: u64) -> SdkResult<()> {
        self.fault("record_login")?;
        sqlx::query("UPDATE accounts SET last_login = ?1 WHERE account_id = ?2")
            .bind(now as i64)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The account has a PIN now (HEADLESS_UPGRADE: its server began to require one).
    pub async fn set_account_has_pin(&self, id: &str) -> SdkResult<()> {
        sqlx::query("UPDATE accounts SET has_pin = 1 WHERE account_id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Marks an account deleted in the app while the server is not yet told.
    pub async fn set_pending_delete(&self, id: &str) -> SdkResult<()> {
        self.fault("set_pending_delete")?;
        sqlx::query("UPDATE accounts SET pending_delete = 1 WHERE account_id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Removes an account. Returns whether it existed.
    pub async fn delete_account(&self, id: &str) -> SdkResult<bool> {
        self.fault("delete_account")?;
        let done = sqlx::query("DELETE FROM accounts WHERE account_id = ?1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
