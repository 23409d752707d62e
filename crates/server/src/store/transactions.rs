//! Transactions created by the integrator for a logged-in session.

use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::TransactionDetails;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{fixed, StoreResult};
use crate::db::Db;

/// Transaction status, as the REST API reports it (`tstatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStatus {
    /// Waiting for the app.
    New = 0,
    /// Approved with the account key and second factor.
    Approved = 1,
    /// Declined in the app.
    Declined = 2,
}

/// A stored transaction.
#[derive(Debug, Clone)]
pub struct TransactionRow {
    /// Its reference (the API's `tid`, base64url).
    pub tid: TransactionRef,
    /// Server.
    pub server_id: ServerId,
    /// The session it was created for.
    pub session_ref: SessionRef,
    /// The account logged into that session, which alone may approve.
    pub account_id: i64,
    /// What to approve.
    pub details: TransactionDetails,
    /// Status.
    pub status: TransactionStatus,
    /// Created (Unix s).
    pub created: u64,
    /// After this the app can no longer approve it (Unix s).
    pub expires: u64,
    /// The number the website shows with it, when number matching asks for one.
    pub match_number: Option<String>,
}

impl TransactionRow {
    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        Ok(Self {
            tid: TransactionRef(fixed(row.try_get("tid")?, "transactions")?),
            server_id: ServerId(fixed(row.try_get("server_id")?, "transactions")?),
            session_ref: SessionRef(fixed(row.try_get("session_ref")?, "transactions")?),
            account_id: row.try_get("account_id")?,
            details: TransactionDetails {
                amount: row.try_get("amount")?,
                beneficiary: row.try_get("beneficiary")?,
                description: row.try_get("description")?,
            },
            status: match row.try_get::<i64, _>("status")? {
                1 => TransactionStatus::Approved,
                2 => TransactionStatus::Declined,
                _ => TransactionStatus::New,
            },
            created: row.try_get::<i64, _>("created")? as u64,
            expires: row.try_get::<i64, _>("expires")? as u64,
            match_number: row.try_get("match_number")?,
        })
    }
}

/// Stores a new transaction.
pub async fn insert(db: &Db, t: &TransactionRow) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO transactions (tid, server_id, session_ref, account_id, amount, beneficiary, description, \
         status, evidence, created, expires, match_number) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL, $8, $9, $10)",
    )
    .bind(t.tid.0.to_vec())
    .bind(t.server_id.0.to_vec())
    .bind(t.session_ref.0.to_vec())
    .bind(t.account_id)
    .bind(t.details.amount.clone())
    .bind(t.details.beneficiary.clone())
    .bind(t.details.description.clone())
    .bind(t.created as i64)
    .bind(t.expires as i64)
    .bind(t.match_number.clone())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// One transaction.
pub async fn get(
    db: &Db,
    server: &ServerId,
    tid: &TransactionRef,
) -> StoreResult<Option<TransactionRow>> {
    let row = sqlx::query("SELECT * FROM transactions WHERE server_id = $1 AND tid = $2")
        .bind(server.0.to_vec())
        .bind(tid.0.to_vec())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(TransactionRow::from_row).transpose()
}

/// Settles a new transaction (only once).
pub async fn settle(
    db: &Db,
    tid: &TransactionRef,
    status: TransactionStatus,
    evidence: &[u8],
    now: u64,
) -> StoreResult<bool> {
    // Only a new one, and only before it expires (an answer that took too long settles nothing).
    let done = sqlx::query(
        "UPDATE transactions SET status = $1, evidence = $2 WHERE tid = $3 AND status = 0 AND expires >= $4",
    )
    .bind(status as i64)
    .bind(evidence.to_vec())
    .bind(tid.0.to_vec())
    .bind(now as i64)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
