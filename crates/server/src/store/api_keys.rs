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

/// Whether `role_id` holds `root` on any server or globally.
pub async fn holds_root_anywhere(db: &Db, role_id: &str) -> StoreResult<bool> {
    let row =
        sqlx::query("SELECT 1 AS ok FROM permissions WHERE role_id = $1 AND acl = 'root' LIMIT 1")
            .bind(role_id.to_owned())
            .fetch_optional(&db.pool)
            .await?;
    Ok(row.is_some())
}

/// An API key as listed (the key itself is never stored, so never listed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// The role the key acts as.
    pub role_id: String,
    /// Its description.
    pub description: String,
    /// When it was made (Unix s).
    pub created: u64,
}

/// Makes a role (if new) with a first key, recording which role created it; returns the key.
pub async fn create_by(
    db: &Db,
    rng: &(dyn SecureRandom + Sync),
    role_id: &str,
    description: &str,
    created_by: &str,
    now: u64,
) -> StoreResult<String> {
    let key = URL_SAFE_NO_PAD.encode(random_array::<32>(rng)?);
    let mut tx = db.pool.begin().await?;
    sqlx::query("INSERT INTO roles (role_id) VALUES ($1) ON CONFLICT (role_id) DO NOTHING")
        .bind(role_id.to_owned())
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "INSERT INTO api_keys (key_hash, role_id, description, created, created_by) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(key_hash(&key))
    .bind(role_id.to_owned())
    .bind(description.to_owned())
    .bind(now as i64)
    .bind(created_by.to_owned())
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(key)
}

/// The keys that `role_id` created, oldest first.
pub async fn created_by(db: &Db, role_id: &str) -> StoreResult<Vec<KeyInfo>> {
    let rows = sqlx::query(
        "SELECT role_id, description, created FROM api_keys WHERE created_by = $1 ORDER BY created, role_id",
    )
    .bind(role_id.to_owned())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KeyInfo {
                role_id: r.try_get("role_id")?,
                description: r.try_get("description")?,
                created: r.try_get::<i64, _>("created")? as u64,
            })
        })
        .collect()
}

/// Creates a role without a key (a user's role); no-op if it exists.
pub async fn ensure_role(db: &Db, role_id: &str) -> StoreResult<()> {
    sqlx::query("INSERT INTO roles (role_id) VALUES ($1) ON CONFLICT (role_id) DO NOTHING")
        .bind(role_id.to_owned())
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Whether a role exists.
pub async fn role_exists(db: &Db, role_id: &str) -> StoreResult<bool> {
    let row = sqlx::query("SELECT 1 AS ok FROM roles WHERE role_id = $1")
        .bind(role_id.to_owned())
        .fetch_optional(&db.pool)
        .await?;
    Ok(row.is_some())
}

/// Every (role, permission) held on exactly `server` (not counting global ones), by role.
pub async fn permissions_on(db: &Db, server: &ServerId) -> StoreResult<Vec<(String, String)>> {
    let rows = sqlx::query(
        "SELECT role_id, acl FROM permissions WHERE server_id = $1 ORDER BY role_id, acl",
    )
    .bind(server.0.to_vec())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("role_id")?, r.try_get("acl")?)))
        .collect()
}

/// The permissions `role_id` holds on exactly `server`, sorted.
pub async fn permissions_of(db: &Db, role_id: &str, server: &ServerId) -> StoreResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT acl FROM permissions WHERE role_id = $1 AND server_id = $2 ORDER BY acl",
    )
    .bind(role_id.to_owned())
    .bind(server.0.to_vec())
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| r.try_get("acl").map_err(Into::into))
        .collect()
}

/// Replaces the permissions of `role_id` on `server` (or [`GLOBAL`]) with `acls`. One
/// transaction.
pub async fn set_permissions(
    db: &Db,
    role_id: &str,
    server: &ServerId,
    acls: &[&str],
) -> StoreResult<()> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM permissions WHERE role_id = $1 AND server_id = $2")
        .bind(role_id.to_owned())
        .bind(server.0.to_vec())
        .execute(&mut *tx)
        .await?;
    for acl in acls {
        sqlx::query(
            "INSERT INTO permissions (role_id, server_id, acl) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(role_id.to_owned())
        .bind(server.0.to_vec())
        .bind((*acl).to_owned())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The servers on which `role_id` holds one of `acls` directly (not globally).
pub async fn servers_with(db: &Db, role_id: &str, acls: &[&str]) -> StoreResult<Vec<ServerId>> {
    let mut ids = Vec::new();
    for acl in acls {
        let rows = sqlx::query("SELECT server_id FROM permissions WHERE role_id = $1 AND acl = $2")
            .bind(role_id.to_owned())
            .bind((*acl).to_owned())
            .fetch_all(&db.pool)
            .await?;
        for row in rows {
            let id = ServerId(super::fixed(row.try_get("server_id")?, "permissions")?);
            if id != GLOBAL && !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    Ok(ids)
}
