//! One-time enrol secrets. Only their hash is stored; consuming one is a single atomic update.

use nextauth_protocol::crypto::sha256;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::qr::EnrolSecret;
use sqlx::Row;

use super::StoreResult;
use crate::db::Db;

/// What an enrol code was issued for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolGrant {
    /// Account display name chosen by the integrator.
    pub display_name: String,
    /// User the new account belongs to, if the integrator named one.
    pub userid: Option<String>,
}

fn secret_hash(secret: &EnrolSecret) -> Vec<u8> {
    sha256(&[b"nextauth-rs/1 enrol secret", &secret.0]).to_vec()
}

/// Stores a new enrol code.
pub async fn insert(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    secret: &EnrolSecret,
    grant: &EnrolGrant,
    expires: u64,
) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO enrol_codes (secret_hash, server_id, session_ref, display_name, userid, expires, used) \
         VALUES ($1, $2, $3, $4, $5, $6, 0)",
    )
    .bind(secret_hash(secret))
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .bind(grant.display_name.clone())
    .bind(grant.userid.clone())
    .bind(expires as i64)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Marks the code used and returns its grant, if it exists for this server and session, is
/// unused, and has not expired at `now`. Two apps racing with one code: exactly one wins.
pub async fn consume(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    secret: &EnrolSecret,
    now: u64,
) -> StoreResult<Option<EnrolGrant>> {
    let row = sqlx::query(
        "UPDATE enrol_codes SET used = 1 WHERE secret_hash = $1 AND server_id = $2 AND session_ref = $3 \
         AND used = 0 AND expires >= $4 RETURNING display_name, userid",
    )
    .bind(secret_hash(secret))
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .bind(now as i64)
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(EnrolGrant {
            display_name: r.try_get("display_name")?,
            userid: r.try_get("userid")?,
        })
    })
    .transpose()
}
