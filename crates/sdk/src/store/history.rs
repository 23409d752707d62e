//! The history of interactions: appended, paged newest first, pruned by retention.

use nextauth_protocol::ids::ServerId;
use sqlx::sqlite::{SqliteConnection, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::Store;
use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};
use crate::model::{HistoryEntry, HistoryKind, HistoryStatus};

/// A new history entry (the engine drafts them; the store writes them).
pub use nextauth_engine::model::HistoryRecord;

/// Which entries to read.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HistoryQuery {
    /// Entries older than this id (paging); `None` starts at the newest.
    pub before_id: Option<i64>,
    /// At most this many (1..=500, default 50).
    pub limit: Option<u32>,
    /// Only this server (base64url id).
    pub server_id: Option<String>,
    /// Only this status.
    pub status: Option<HistoryStatus>,
}

pub(super) fn status_text(status: HistoryStatus) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Appends an entry on `conn` (inside a caller's transaction); returns its id.
pub(super) async fn insert(conn: &mut SqliteConnection, d: &HistoryRecord) -> SdkResult<i64> {
    let announce = d
        .announce
        .as_ref()
        .map(|a| serde_json::to_string(a).unwrap_or_default())
        .unwrap_or_default();
    // Stored as its 16 bytes, so the history filters by server on the column's index.
    let server_id = d
        .server_id
        .as_deref()
        .map(ServerId::from_base64)
        .transpose()
        .map_err(|_| SdkError::Engine(EngineError::InvalidInput("server id")))?
        .map(|id| id.0.to_vec());
    let row = sqlx::query(
        "INSERT INTO history (at, kind, status, server_id, server_name, account_id, account_name, announce, \
         error_code, detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) RETURNING entry_id",
    )
    .bind(d.at as i64)
    .bind(d.kind.as_str())
    .bind(status_text(d.status))
    .bind(server_id)
    .bind(&d.server_name)
    .bind(&d.account_id)
    .bind(&d.account_name)
    .bind(announce)
    .bind(d.error_code.map(i64::from))
    .bind(&d.detail)
    .fetch_one(conn)
    .await?;
    Ok(row.try_get("entry_id")?)
}

impl Store {
    /// Appends an entry; returns its id.
    pub async fn add_history(&self, d: &HistoryRecord) -> SdkResult<i64> {
        self.fault("add_history")?;
        let mut conn = self.pool.acquire().await?;
        insert(&mut conn, d).await
    }

    /// A page of entries, newest first.
    pub async fn history(&self, q: &HistoryQuery) -> SdkResult<Vec<HistoryEntry>> {
        let limit = i64::from(q.limit.unwrap_or(50).clamp(1, 500));
        let mut sql: QueryBuilder<Sqlite> = QueryBuilder::new("SELECT * FROM history WHERE 1 = 1");
        if let Some(before) = q.before_id {
            sql.push(" AND entry_id < ").push_bind(before);
        }
        if let Some(server) = &q.server_id {
            let id = ServerId::from_base64(server)
                .map_err(|_| SdkError::Engine(EngineError::InvalidInput("server id")))?;
            sql.push(" AND server_id = ").push_bind(id.0.to_vec());
        }
        if let Some(status) = q.status {
            sql.push(" AND status = ").push_bind(status_text(status));
        }
        sql.push(" ORDER BY entry_id DESC LIMIT ").push_bind(limit);
        let rows = sql.build().fetch_all(&self.pool).await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Deletes entries older than `before` (Unix s); returns how many.
    pub async fn prune_history(&self, before: u64) -> SdkResult<u64> {
        self.fault("prune_history")?;
        let done = sqlx::query("DELETE FROM history WHERE at < ?1")
            .bind(before as i64)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }
}

fn entry_from_row(row: &SqliteRow) -> SdkResult<HistoryEntry> {
    let status: String = row.try_get("status")?;
    let status: HistoryStatus = serde_json::from_value(serde_json::Value::String(status))
        .map_err(|_| SdkError::CorruptRow("history"))?;
    let server_id: Option<Vec<u8>> = row.try_get("server_id")?;
    let server_id = server_id
        .map(|b| super::fixed::<16>(b, "history").map(|a| ServerId(a).to_base64()))
        .transpose()?;
    let announce: String = row.try_get("announce")?;
    let record = HistoryRecord {
        at: row.try_get::<i64, _>("at")? as u64,
        kind: HistoryKind::from_name(&row.try_get::<String, _>("kind")?)
            .ok_or(SdkError::CorruptRow("history"))?,
        status,
        server_id,
        server_name: row.try_get("server_name")?,
        account_id: row.try_get("account_id")?,
        account_name: row.try_get("account_name")?,
        announce: if announce.is_empty() {
            None
        } else {
            serde_json::from_str(&announce).ok()
        },
        error_code: row
            .try_get::<Option<i64>, _>("error_code")?
            .and_then(|c| u16::try_from(c).ok()),
        detail: row.try_get("detail")?,
    };
    Ok(HistoryEntry {
        id: row.try_get("entry_id")?,
        record,
    })
}
