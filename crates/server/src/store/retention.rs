//! Deleting what is finished, by age (the background sweep, [`crate::sweep`]). Each function
//! takes the cut-off time and returns how many rows it deleted; none of them touches a row
//! that is still in use (see each one).

use super::StoreResult;
use crate::db::Db;

/// Sessions no account ever logged into (a code was shown, or an app said hello with a made-up
/// reference) whose last change is before `before`.
pub async fn idle_sessions(db: &Db, before: u64) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE updated < $1 AND last_account_id IS NULL AND state <> 'loggedin'",
    )
    .bind(before as i64)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}

/// Sessions an account logged into whose last change is before `before`, except logged-in
/// sessions of servers with continuous sessions (ping time > 0): those are live for as long as
/// the app keeps answering pings, and end with a logout, which changes them.
pub async fn used_sessions(db: &Db, before: u64) -> StoreResult<u64> {
    let done = sqlx::query(
        "DELETE FROM sessions WHERE updated < $1 AND last_account_id IS NOT NULL \
         AND (state <> 'loggedin' OR server_id IN (SELECT server_id FROM servers WHERE ping_time = 0))",
    )
    .bind(before as i64)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected())
}

/// Enrol codes that expired before `before`, used or not (an expired code is refused anyway).
pub async fn enrol_codes(db: &Db, before: u64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM enrol_codes WHERE expires < $1")
        .bind(before as i64)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Transactions that expired before `before`, settled or not (with their evidence).
pub async fn transactions(db: &Db, before: u64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM transactions WHERE expires < $1")
        .bind(before as i64)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}
