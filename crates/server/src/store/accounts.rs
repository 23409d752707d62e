//! Accounts: one app instance's key for one user at one server, with its sealed push key and
//! PIN verifier and the server-side PIN attempt counter.

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::ids::ServerId;
use ring::rand::SecureRandom;
use sqlx::any::AnyRow;
use sqlx::Row;
use zeroize::Zeroizing;

use super::query::{self, Bind, ListQuery, SortColumn, Sql};
use super::{fixed, StoreError, StoreResult};
use crate::db::{flag, Db};
use crate::keys::MasterKey;

/// A stored account.
#[derive(Debug, Clone)]
pub struct AccountRow {
    /// Numeric id (the API's `accountid`).
    pub account_id: i64,
    /// Server.
    pub server_id: ServerId,
    /// The account's public key.
    pub public_key: PublicKey,
    /// The user it belongs to, once registered.
    pub userid: Option<String>,
    /// Display name from the enrol code.
    pub display_name: String,
    /// Device name (the API's `description`).
    pub description: String,
    /// App version.
    pub client_version: String,
    /// Blocked by the integrator.
    pub blocked: bool,
    /// Deleted by the server, waiting for the app to learn it.
    pub deleted: bool,
    /// Public id of the push key.
    pub push_key_id: [u8; 8],
    /// Whether the account has a PIN.
    pub has_pin: bool,
    /// Wrong PIN proofs in a row.
    pub pin_failures: u8,
    /// PIN blocked after too many failures.
    pub pin_blocked: bool,
    /// The integrator reset the PIN: the app sets a new one at the next login.
    pub pin_reset: bool,
    /// Push logins are refused until then (Unix s; its owner said "This was not me").
    pub push_blocked_until: u64,
    /// Push logins left unanswered or denied in a row.
    pub push_strikes: u8,
    /// Push logins held back since the owner last heard of them, and where the last came from.
    pub push_held: u32,
    /// Where the last held-back push login came from.
    pub push_held_from: String,
    /// The last push login sent is not answered yet.
    pub push_outstanding: bool,
    /// Last correct PIN (Unix s), for the PIN timeouts.
    pub last_pin_at: u64,
    /// Created (Unix s).
    pub created: u64,
    /// Last login (Unix s, 0 never).
    pub lastlogin: u64,
    /// Last push login sent (Unix s, 0 never).
    pub lastprovoke: u64,
    push_key_sealed: Vec<u8>,
    pin_verifier_sealed: Option<Vec<u8>>,
}

fn context(label: &str, server: &ServerId, key: &PublicKey) -> Vec<u8> {
    [label.as_bytes(), &server.0, &key.0].concat()
}

impl AccountRow {
    pub(super) fn from_row(row: &AnyRow) -> StoreResult<Self> {
        let pk: Vec<u8> = row.try_get("public_key")?;
        let pin_verifier_sealed: Option<Vec<u8>> = row.try_get("pin_verifier_sealed")?;
        Ok(Self {
            account_id: row.try_get("account_id")?,
            server_id: ServerId(fixed(row.try_get("server_id")?, "accounts")?),
            public_key: PublicKey::from_slice(&pk).map_err(|_| StoreError::Corrupt("accounts"))?,
            userid: row.try_get("userid")?,
            display_name: row.try_get("display_name")?,
            description: row.try_get("description")?,
            client_version: row.try_get("client_version")?,
            blocked: flag(row.try_get("blocked")?),
            deleted: flag(row.try_get("deleted")?),
            push_key_id: fixed(row.try_get("push_key_id")?, "accounts")?,
            has_pin: pin_verifier_sealed.is_some(),
            pin_failures: u8::try_from(row.try_get::<i64, _>("pin_failures")?).unwrap_or(u8::MAX),
            pin_blocked: flag(row.try_get("pin_blocked")?),
            pin_reset: flag(row.try_get("pin_reset")?),
            push_blocked_until: row.try_get::<i64, _>("push_blocked_until")? as u64,
            push_strikes: u8::try_from(row.try_get::<i64, _>("push_strikes")?).unwrap_or(u8::MAX),
            push_held: u32::try_from(row.try_get::<i64, _>("push_held")?).unwrap_or(u32::MAX),
            push_held_from: row.try_get("push_held_from")?,
            push_outstanding: flag(row.try_get("push_outstanding")?),
            last_pin_at: row.try_get::<i64, _>("last_pin_at")? as u64,
            created: row.try_get::<i64, _>("created")? as u64,
            lastlogin: row.try_get::<i64, _>("lastlogin")? as u64,
            lastprovoke: row.try_get::<i64, _>("lastprovoke")? as u64,
            push_key_sealed: row.try_get("push_key_sealed")?,
            pin_verifier_sealed,
        })
    }

    /// The push key, unsealed.
    pub fn push_key(&self, master: &MasterKey) -> StoreResult<Zeroizing<[u8; 32]>> {
        Ok(master.open32(
            &context("push key", &self.server_id, &self.public_key),
            &self.push_key_sealed,
        )?)
    }

    /// The PIN verifier, unsealed, if the account has a PIN.
    pub fn pin_verifier(&self, master: &MasterKey) -> StoreResult<Option<Zeroizing<[u8; 32]>>> {
        self.pin_verifier_sealed
            .as_ref()
            .map(|sealed| {
                master.open32(
                    &context("pin verifier", &self.server_id, &self.public_key),
                    sealed,
                )
            })
            .transpose()
            .map_err(StoreError::from)
    }
}

/// What an enrolment stores.
#[derive(Debug)]
pub struct NewAccount<'a> {
    /// Server.
    pub server_id: ServerId,
    /// The new key.
    pub public_key: PublicKey,
    /// User, if known.
    pub userid: Option<String>,
    /// Display name.
    pub display_name: String,
    /// Device name.
    pub description: String,
    /// The push key from the handshake.
    pub push_key: &'a [u8; 32],
    /// The PIN verifier, if the app set a PIN.
    pub pin_verifier: Option<&'a [u8; 32]>,
}

/// Creates an account; returns its id.
pub async fn create(
    db: &Db,
    master: &MasterKey,
    rng: &(dyn SecureRandom + Sync),
    new: NewAccount<'_>,
    now: u64,
) -> StoreResult<i64> {
    let push_sealed = master.seal(
        rng,
        &context("push key", &new.server_id, &new.public_key),
        new.push_key,
    )?;
    let pin_sealed = new
        .pin_verifier
        .map(|v| {
            master.seal(
                rng,
                &context("pin verifier", &new.server_id, &new.public_key),
                v,
            )
        })
        .transpose()?;
    let row = sqlx::query(
        "INSERT INTO accounts (server_id, public_key, userid, display_name, description, client_version, blocked, deleted, \
         push_key_sealed, push_key_id, pin_verifier_sealed, pin_failures, pin_blocked, last_pin_at, created, \
         lastlogin, lastprovoke) VALUES ($1, $2, $3, $4, $5, '', 0, 0, $6, $7, $8, 0, 0, $9, $9, 0, 0) \
         RETURNING account_id",
    )
    .bind(new.server_id.0.to_vec())
    .bind(new.public_key.0.to_vec())
    .bind(new.userid)
    .bind(new.display_name)
    .bind(new.description)
    .bind(push_sealed)
    .bind(nextauth_protocol::push::key_id(new.push_key).to_vec())
    .bind(pin_sealed)
    .bind(now as i64)
    .fetch_one(&db.pool)
    .await?;
    Ok(row.try_get("account_id")?)
}

/// The account with this key on this server.
pub async fn by_key(
    db: &Db,
    server: &ServerId,
    key: &PublicKey,
) -> StoreResult<Option<AccountRow>> {
    // Every app's exchange reads it: on a connection given back untested (db/hot.rs).
    let mut conn = db.hot().await?;
    let row = sqlx::query("SELECT * FROM accounts WHERE server_id = $1 AND public_key = $2")
        .bind(server.0.to_vec())
        .bind(key.0.to_vec())
        .fetch_optional(&mut *conn)
        .await?;
    conn.release();
    row.as_ref().map(AccountRow::from_row).transpose()
}

/// One account of a server.
pub async fn get(db: &Db, server: &ServerId, account_id: i64) -> StoreResult<Option<AccountRow>> {
    let row = sqlx::query("SELECT * FROM accounts WHERE server_id = $1 AND account_id = $2")
        .bind(server.0.to_vec())
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(AccountRow::from_row).transpose()
}

/// Marks an account deleted by the server: it can no longer log in, but can still connect to
/// fetch the message that tells the app.
pub async fn mark_deleted(db: &Db, server: &ServerId, account_id: i64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET deleted = 1 WHERE server_id = $1 AND account_id = $2 AND deleted = 0",
    )
    .bind(server.0.to_vec())
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Every account of a user.
pub async fn of_user(db: &Db, server: &ServerId, userid: &str) -> StoreResult<Vec<AccountRow>> {
    let rows = sqlx::query("SELECT * FROM accounts WHERE server_id = $1 AND userid = $2 AND deleted = 0 ORDER BY account_id")
        .bind(server.0.to_vec())
        .bind(userid.to_owned())
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(AccountRow::from_row).collect()
}

/// Every account of a server, in id order (the REST API pages, sorts and filters on top).
pub async fn of_server(db: &Db, server: &ServerId) -> StoreResult<Vec<AccountRow>> {
    let rows = sqlx::query(
        "SELECT * FROM accounts WHERE server_id = $1 AND deleted = 0 ORDER BY account_id",
    )
    .bind(server.0.to_vec())
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(AccountRow::from_row).collect()
}

/// Records a push login sent to the account.
pub async fn record_provoke(db: &Db, account_id: i64, now: u64) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET lastprovoke = $1 WHERE account_id = $2")
        .bind(now as i64)
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A push login was sent: an earlier one still unanswered counts a strike.
pub async fn push_sent(db: &Db, account_id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE accounts SET push_strikes = push_strikes + push_outstanding, push_outstanding = 1 \
         WHERE account_id = $1",
    )
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// The app picked the push up (answered it, or the person is deciding): not unanswered.
pub async fn push_answered(db: &Db, account_id: i64) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET push_outstanding = 0 WHERE account_id = $1")
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// A push login was denied: a strike.
pub async fn push_denied(db: &Db, account_id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE accounts SET push_strikes = push_strikes + 1, push_outstanding = 0 WHERE account_id = $1",
    )
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Push logins resume (the owner from the app, or the integrator): no pause, no strikes.
pub async fn resume_pushes(db: &Db, account_id: i64) -> StoreResult<()> {
    sqlx::query(
        "UPDATE accounts SET push_blocked_until = 0, push_strikes = 0, push_outstanding = 0 \
         WHERE account_id = $1",
    )
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A push login was held back (`from`: where it came from, as far as known).
pub async fn push_held(db: &Db, account_id: i64, from: &str) -> StoreResult<()> {
    sqlx::query(
        "UPDATE accounts SET push_held = push_held + 1, push_held_from = $1 WHERE account_id = $2",
    )
    .bind(from.to_owned())
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// How many pushes were held back and where the last came from, forgetting them (the owner
/// is told now); `None` when none were.
pub async fn take_held_pushes(db: &Db, account_id: i64) -> StoreResult<Option<(u32, String)>> {
    let row = sqlx::query("SELECT push_held, push_held_from FROM accounts WHERE account_id = $1")
        .bind(account_id)
        .fetch_optional(&db.pool)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let held: i64 = row.try_get("push_held")?;
    if held == 0 {
        return Ok(None);
    }
    // Only what was read is forgotten: a push held back meanwhile is told next time.
    let taken = sqlx::query(
        "UPDATE accounts SET push_held = push_held - $1 WHERE account_id = $2 AND push_held >= $1",
    )
    .bind(held)
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(Some((
        u32::try_from(held).unwrap_or(u32::MAX),
        row.try_get("push_held_from")?,
    )))
}

/// Refuses push logins to the account until `until` (Unix s).
pub async fn block_pushes(db: &Db, account_id: i64, until: u64) -> StoreResult<()> {
    sqlx::query("UPDATE accounts SET push_blocked_until = $1 WHERE account_id = $2")
        .bind(until as i64)
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// The sealed form of a PIN verifier for `account`.
pub(crate) fn seal_pin_verifier(
    master: &MasterKey,
    rng: &(dyn SecureRandom + Sync),
    account: &AccountRow,
    verifier: &[u8; 32],
) -> StoreResult<Vec<u8>> {
    Ok(master.seal(
        rng,
        &context("pin verifier", &account.server_id, &account.public_key),
        verifier,
    )?)
}

/// Blocks or unblocks an account.
pub async fn set_blocked(
    db: &Db,
    server: &ServerId,
    account_id: i64,
    blocked: bool,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE accounts SET blocked = $1 WHERE server_id = $2 AND account_id = $3")
            .bind(i64::from(blocked))
            .bind(server.0.to_vec())
            .bind(account_id)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Moves an account to a user.
pub async fn set_user(
    db: &Db,
    server: &ServerId,
    account_id: i64,
    userid: &str,
) -> StoreResult<bool> {
    let done =
        sqlx::query("UPDATE accounts SET userid = $1 WHERE server_id = $2 AND account_id = $3")
            .bind(userid.to_owned())
            .bind(server.0.to_vec())
            .bind(account_id)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes an account and its queued messages.
pub async fn delete(db: &Db, server: &ServerId, account_id: i64) -> StoreResult<bool> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM messages WHERE account_id = $1")
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM accounts WHERE server_id = $1 AND account_id = $2")
        .bind(server.0.to_vec())
        .bind(account_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Columns the account lists sort by (the REST API's `Account` field names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountSort {
    /// `id`.
    Id,
    /// `userid` (accounts without a user sort as the empty string).
    Userid,
    /// `description`.
    Description,
    /// `clientVersion`.
    ClientVersion,
    /// `created`.
    Created,
    /// `lastlogin`.
    Lastlogin,
    /// `lastprovoke`.
    Lastprovoke,
    /// `blocked`.
    Blocked,
}

impl SortColumn for AccountSort {
    fn expression(self) -> &'static str {
        match self {
            Self::Id => "a.account_id",
            Self::Userid => "COALESCE(a.userid, '')",
            Self::Description => "a.description",
            Self::ClientVersion => "a.client_version",
            Self::Created => "a.created",
            Self::Lastlogin => "a.lastlogin",
            Self::Lastprovoke => "a.lastprovoke",
            Self::Blocked => "a.blocked",
        }
    }
}

fn accounts_where(
    sql: &mut Sql,
    server: &ServerId,
    userid: Option<&str>,
    q: &ListQuery<AccountSort>,
) {
    sql.push(" WHERE a.server_id = ");
    sql.bind(Bind::Bytes(server.0.to_vec()));
    sql.push(" AND a.deleted = 0");
    if let Some(userid) = userid {
        sql.push(" AND a.userid = ");
        sql.bind(Bind::Text(userid.to_owned()));
    }
    if let Some(filter) = &q.filter {
        query::push_attribute_filter(sql, filter, "a.server_id", "a.userid");
    }
}

/// A page of a server's live accounts (of one user, if given) and how many match in all.
pub async fn list(
    db: &Db,
    server: &ServerId,
    userid: Option<&str>,
    q: &ListQuery<AccountSort>,
) -> StoreResult<(Vec<AccountRow>, i64)> {
    let mut count = Sql::new("SELECT COUNT(*) AS n FROM accounts a");
    accounts_where(&mut count, server, userid, q);
    let total: i64 = count.query().fetch_one(&db.pool).await?.try_get("n")?;
    let mut sql = Sql::new("SELECT a.* FROM accounts a");
    accounts_where(&mut sql, server, userid, q);
    query::push_order_and_page(&mut sql, q, "a.account_id");
    let rows = sql.query().fetch_all(&db.pool).await?;
    let accounts = rows
        .iter()
        .map(AccountRow::from_row)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((accounts, total))
}

/// A server's number of live accounts and their latest login (Unix s, 0 never).
pub async fn stats(db: &Db, server: &ServerId) -> StoreResult<(i64, u64)> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(MAX(lastlogin), 0) AS last FROM accounts \
         WHERE server_id = $1 AND deleted = 0",
    )
    .bind(server.0.to_vec())
    .fetch_one(&db.pool)
    .await?;
    Ok((row.try_get("n")?, row.try_get::<i64, _>("last")? as u64))
}
