//! Attributes: JSON values under string keys, global, per server, privileged per server, or
//! per user. Values are stored as canonical JSON text.

use nextauth_protocol::ids::ServerId;
use serde_json::{Map, Value};
use sqlx::Row;

use super::{StoreError, StoreResult};
use crate::db::Db;
use crate::store::api_keys::GLOBAL;

/// Whose attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// Global attributes (global `servers` permission).
    Global,
    /// A server's attributes.
    Server(&'a ServerId),
    /// A server's privileged attributes (global `servers` permission).
    Privileged(&'a ServerId),
    /// A user's attributes.
    User(&'a ServerId, &'a str),
}

impl Scope<'_> {
    /// The stored (scope, server_id, userid) triple.
    fn key(self) -> (&'static str, Vec<u8>, String) {
        match self {
            Self::Global => ("global", GLOBAL.0.to_vec(), String::new()),
            Self::Server(id) => ("server", id.0.to_vec(), String::new()),
            Self::Privileged(id) => ("privileged", id.0.to_vec(), String::new()),
            Self::User(id, user) => ("user", id.0.to_vec(), user.to_owned()),
        }
    }
}

/// Every attribute in `scope`, as a JSON object.
pub async fn get_all(db: &Db, scope: Scope<'_>) -> StoreResult<Map<String, Value>> {
    let (name, server, user) = scope.key();
    let rows = sqlx::query(
        "SELECT attr_key, attr_value FROM attributes WHERE scope = $1 AND server_id = $2 AND userid = $3 \
         ORDER BY attr_key",
    )
    .bind(name)
    .bind(server)
    .bind(user)
    .fetch_all(&db.pool)
    .await?;
    let mut out = Map::new();
    for row in rows {
        let key: String = row.try_get("attr_key")?;
        let text: String = row.try_get("attr_value")?;
        let value = serde_json::from_str(&text).map_err(|_| StoreError::Corrupt("attributes"))?;
        out.insert(key, value);
    }
    Ok(out)
}

/// Sets the attributes in `values`; with `replace`, every other attribute in `scope` is
/// deleted first. One transaction.
pub async fn set(
    db: &Db,
    scope: Scope<'_>,
    values: &Map<String, Value>,
    replace: bool,
) -> StoreResult<()> {
    let (name, server, user) = scope.key();
    let mut tx = db.pool.begin().await?;
    if replace {
        sqlx::query("DELETE FROM attributes WHERE scope = $1 AND server_id = $2 AND userid = $3")
            .bind(name)
            .bind(server.clone())
            .bind(user.clone())
            .execute(&mut *tx)
            .await?;
    }
    for (key, value) in values {
        sqlx::query(
            "INSERT INTO attributes (scope, server_id, userid, attr_key, attr_value) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (scope, server_id, userid, attr_key) DO UPDATE SET attr_value = excluded.attr_value",
        )
        .bind(name)
        .bind(server.clone())
        .bind(user.clone())
        .bind(key.clone())
        .bind(value.to_string())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Deletes every attribute in `scope`; returns how many there were.
pub async fn delete_all(db: &Db, scope: Scope<'_>) -> StoreResult<u64> {
    let (name, server, user) = scope.key();
    let done =
        sqlx::query("DELETE FROM attributes WHERE scope = $1 AND server_id = $2 AND userid = $3")
            .bind(name)
            .bind(server)
            .bind(user)
            .execute(&db.pool)
            .await?;
    Ok(done.rows_affected())
}

/// Deletes one attribute; returns whether it existed.
pub async fn delete(db: &Db, scope: Scope<'_>, key: &str) -> StoreResult<bool> {
    let (name, server, user) = scope.key();
    let done = sqlx::query(
        "DELETE FROM attributes WHERE scope = $1 AND server_id = $2 AND userid = $3 AND attr_key = $4",
    )
    .bind(name)
    .bind(server)
    .bind(user)
    .bind(key.to_owned())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
