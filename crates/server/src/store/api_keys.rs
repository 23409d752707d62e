//! API keys and the permissions of their roles. A key is 32 random bytes shown once as
//! base64url; only its SHA-256 is stored.

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use nextauth_protocol::crypto::{random_array, sha256};
use nextauth_protocol::ids::ServerId;
use ring::rand::SecureRandom;
use sqlx::Row;

use super::StoreResult;
use crate::db::Db;

/// The server id that stands for "every server" in a global permission.
pub const GLOBAL: ServerId = ServerId([0; 16]);

/// Every permission name the API knows.
pub const ALL_ACLS: &[&str] = &[
    "accounts",
    "createserver",
    "root",
    "servers",
    "sessions",
    "setrid",
    "users",
];

fn key_hash(key: &str) -> Vec<u8> {
    sha256(&[b"nextauth-rs/1 api key", key.as_bytes()]).to_vec()
}

/// Makes a new key for `role_id` (creating the role) and returns the key text.
pub async fn create(
    db: &Db,
    rng: &(dyn SecureRandom + Sync),
    role_id: &str,
    description: &str,
    now: u64,
) -> StoreResult<String> {
    let key = URL_SAFE_NO_PAD.encode(random_array::<32>(rng)?);
    sqlx::query("INSERT INTO roles (role_id) VALUES ($1) ON CONFLICT (role_id) DO NOTHING")
        .bind(role_id.to_owned())
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO api_keys (key_hash, role_id, description, created) VALUES ($1, $2, $3, $4)",
    )
    .bind(key_hash(&key))
    .bind(role_id.to_owned())
    .bind(description.to_owned())
    .bind(now as i64)
    .execute(&db.pool)
    .await?;
    Ok(key)
}

/// The role of a key, if the key exists.
pub async fn role_of(db: &Db, key: &str) -> StoreResult<Option<String>> {
    let row = sqlx::query("SELECT role_id FROM api_keys WHERE key_hash = $1")
        .bind(key_hash(key))
        .fetch_optional(&db.pool)
        .await?;
    row.map(|r| r.try_get("role_id"))
        .transpose()
        .map_err(Into::into)
}

/// Grants `acl` to `role_id` on `server` (or [`GLOBAL`]).
pub async fn grant(db: &Db, role_id: &str, server: &ServerId, acl: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO permissions (role_id, server_id, acl) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
        .bind(role_id.to_owned())
        .bind(server.0.to_vec())
        .bind(acl.to_owned())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Whether `role_id` holds `acl` on `server`, directly, globally, or through global `root`.
pub async fn allowed(db: &Db, role_id: &str, server: &ServerId, acl: &str) -> StoreResult<bool> {
    let row = sqlx::query(
        "SELECT 1 AS ok FROM permissions WHERE role_id = $1 AND \
         ((acl = $2 AND (server_id = $3 OR server_id = $4)) OR (acl = 'root' AND server_id = $4)) LIMIT 1",
    )
    .bind(role_id.to_owned())
    .bind(acl.to_owned())
    .bind(server.0.to_vec())
    .bind(GLOBAL.0.to_vec())
    .fetch_optional(&db.pool)
    .await?;
    Ok(row.is_some())
}
