//! When a continuous login session is over if no process hears from its app (migration 8,
//! docs/protocol.md 10.8). The process that pings a session moves its deadline on with each
//! pong; a session whose process died keeps its last deadline, and the app has until then to
//! resume it on another process. After that any process logs it out ([`expire`]).

use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::Row;

use super::sessions;
use super::{fixed, StoreResult};
use crate::db::Db;

/// The deadline set at `now` for a server whose ping time is `ping_time` seconds: as long as
/// the app itself waits for the next ping (one missed ping and some latency), so an app that
/// notices a dead connection only by its silence may still resume.
pub fn after(now: u64, ping_time: u32) -> u64 {
    now + 2 * u64::from(ping_time) + 5
}

/// Moves the deadline of `account_id`'s login into the session (found under its reference
/// or the one it moved from) to `at`, or one second past the stored one if that is later: the
/// deadline only grows, so the process that last set it can tell when another moved it on
/// ([`log_out_unless_resumed`]). Returns the deadline stored, `None` when the session is not
/// that account's login (any more).
pub async fn extend(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    account_id: i64,
    at: u64,
) -> StoreResult<Option<u64>> {
    let row = sqlx::query(
        "UPDATE sessions SET ping_deadline = CASE \
           WHEN ping_deadline IS NOT NULL AND ping_deadline >= $1 THEN ping_deadline + 1 \
           ELSE $1 END \
         WHERE server_id = $2 AND (session_ref = $3 OR previous_ref = $3) \
         AND state = 'loggedin' AND account_id = $4 RETURNING ping_deadline",
    )
    .bind(at as i64)
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|row| Ok(row.try_get::<i64, _>("ping_deadline")? as u64))
        .transpose()
}

/// Logs the session out after a missed ping, unless its deadline moved past `mine` (the last
/// one this process stored) since: the app then resumed elsewhere, and this process's
/// connection was a dead one the app had already left. Returns whether it logged out.
pub async fn log_out_unless_resumed(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    account_id: i64,
    mine: u64,
    now: u64,
) -> StoreResult<bool> {
    let sql = format!(
        "{} WHERE server_id = $2 AND session_ref = $3 AND state = 'loggedin' AND account_id = $4 \
         AND (ping_deadline IS NULL OR ping_deadline <= $5)",
        sessions::logged_out_update(),
    );
    let done = sqlx::query(&sql)
        .bind(now as i64)
        .bind(server.0.to_vec())
        .bind(session.0.to_vec())
        .bind(account_id)
        .bind(mine as i64)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Logs out every logged-in session whose deadline passed before `now` (no process pinged it
/// and no app resumed it); returns them, for the watchers to hear. Idempotent, so any number
/// of processes may run it.
pub async fn expire(db: &Db, now: u64) -> StoreResult<Vec<(ServerId, SessionRef)>> {
    let sql = format!(
        "{} WHERE state = 'loggedin' AND ping_deadline IS NOT NULL AND ping_deadline < $1 \
         RETURNING server_id, session_ref",
        sessions::logged_out_update(),
    );
    let rows = sqlx::query(&sql)
        .bind(now as i64)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|row| {
            Ok((
                ServerId(fixed(row.try_get("server_id")?, "sessions")?),
                SessionRef(fixed(row.try_get("session_ref")?, "sessions")?),
            ))
        })
        .collect()
}
