//! The message center's queue: sealed push envelopes per account until the app acknowledges
//! them or they expire.

use nextauth_protocol::ids::MessageId;
use sqlx::Row;

use super::StoreResult;
use crate::db::Db;

/// Queues an envelope.
pub async fn enqueue(
    db: &Db,
    account_id: i64,
    message_id: &MessageId,
    envelope: &[u8],
    kind: &str,
    created: u64,
    expires: u64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO messages (message_id, account_id, envelope, kind, created, expires, delivered) \
         VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(message_id.0.to_vec())
    .bind(account_id)
    .bind(envelope.to_vec())
    .bind(kind.to_owned())
    .bind(created as i64)
    .bind(expires as i64)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Unacknowledged, unexpired envelopes of an account, oldest first, at most `limit`.
pub async fn pending(
    db: &Db,
    account_id: i64,
    now: u64,
    limit: i64,
) -> StoreResult<Vec<(MessageId, Vec<u8>)>> {
    let rows = sqlx::query(
        "SELECT message_id, envelope FROM messages WHERE account_id = $1 AND delivered = 0 AND expires >= $2 \
         ORDER BY created, message_id LIMIT $3",
    )
    .bind(account_id)
    .bind(now as i64)
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let id: Vec<u8> = r.try_get("message_id")?;
            Ok((
                MessageId(super::fixed(id, "messages")?),
                r.try_get("envelope")?,
            ))
        })
        .collect()
}

/// Marks envelopes acknowledged; returns the kinds of those that were pending.
pub async fn ack(db: &Db, account_id: i64, ids: &[[u8; 16]]) -> StoreResult<Vec<String>> {
    let mut kinds = Vec::new();
    for id in ids {
        let row = sqlx::query(
            "UPDATE messages SET delivered = 1 WHERE account_id = $1 AND message_id = $2 AND delivered = 0 RETURNING kind",
        )
        .bind(account_id)
        .bind(id.to_vec())
        .fetch_optional(&db.pool)
        .await?;
        if let Some(row) = row {
            kinds.push(row.try_get("kind")?);
        }
    }
    Ok(kinds)
}

/// Drops acknowledged envelopes and those that expired before `expired_before` (the sweep
/// passes a time in the past, so an envelope that has not expired stays).
pub async fn prune(db: &Db, expired_before: u64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM messages WHERE delivered = 1 OR expires < $1")
        .bind(expired_before as i64)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// Drops every queued envelope of an account (before it is deleted: a pending login prompt
/// for a deleted account is of no use); returns how many there were.
pub async fn delete_for_account(db: &Db, account_id: i64) -> StoreResult<u64> {
    let done = sqlx::query("DELETE FROM messages WHERE account_id = $1")
        .bind(account_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}
