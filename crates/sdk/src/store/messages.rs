//! Push message ids already accepted (replay protection) and messages kept for the person.

use nextauth_protocol::ids::MessageId;
use sqlx::Row;

use super::{fixed, Store};
use crate::error::SdkResult;
use crate::model::Message;

impl Store {
    /// Every remembered message id with its expiry, for the protocol's replay guard.
    pub async fn seen_messages(&self) -> SdkResult<Vec<(MessageId, u64)>> {
        let rows = sqlx::query("SELECT message_id, expires_at FROM seen_messages")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    MessageId(fixed(r.try_get("message_id")?, "seen message")?),
                    r.try_get::<i64, _>("expires_at")? as u64,
                ))
            })
            .collect()
    }

    /// Remembers an accepted message id until it expires. Returns false if it was known.
    pub async fn mark_seen(&self, id: &MessageId, expires_at: u64) -> SdkResult<bool> {
        self.fault("mark_seen")?;
        let done = sqlx::query("INSERT INTO seen_messages (message_id, expires_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING")
            .bind(id.0.to_vec())
            .bind(expires_at as i64)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Forgets ids of messages that have expired.
    pub async fn prune_seen(&self, now: u64) -> SdkResult<()> {
        self.fault("prune_seen")?;
        sqlx::query("DELETE FROM seen_messages WHERE expires_at < ?1")
            .bind(now as i64)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Keeps a message for the person.
    pub async fn add_message(
        &self,
        id: &MessageId,
        account_id: &str,
        received: u64,
        title: &str,
        body: &str,
    ) -> SdkResult<()> {
        self.fault("add_message")?;
        sqlx::query(
            "INSERT INTO messages (message_id, account_id, received, title, body, read) VALUES (?1, ?2, ?3, ?4, ?5, 0) \
             ON CONFLICT DO NOTHING",
        )
        .bind(id.0.to_vec())
        .bind(account_id)
        .bind(received as i64)
        .bind(title)
        .bind(body)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Messages, newest first.
    pub async fn messages(&self) -> SdkResult<Vec<Message>> {
        let rows = sqlx::query("SELECT * FROM messages ORDER BY received DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                let id: Vec<u8> = r.try_get("message_id")?;
                Ok(Message {
                    id: MessageId(fixed(id, "message")?).to_base64(),
                    account_id: r.try_get("account_id")?,
                    received: r.try_get::<i64, _>("received")? as u64,
                    title: r.try_get("title")?,
                    body: r.try_get("body")?,
                    read: r.try_get::<i64, _>("read")? != 0,
                })
            })
            .collect()
    }

    /// Marks every message read; returns how many were unread.
    pub async fn mark_messages_read(&self) -> SdkResult<u64> {
        self.fault("mark_messages_read")?;
        let done = sqlx::query("UPDATE messages SET read = 1 WHERE read = 0")
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Deletes one message; returns whether it existed.
    pub async fn delete_message(&self, id: &MessageId) -> SdkResult<bool> {
        self.fault("delete_message")?;
        let done = sqlx::query("DELETE FROM messages WHERE message_id = ?1")
            .bind(id.0.to_vec())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}
