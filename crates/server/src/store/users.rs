//! Users: the integrator's user ids that accounts belong to.

use nextauth_protocol::ids::ServerId;

use super::StoreResult;
use crate::db::Db;

/// Creates the user if it does not exist yet.
pub async fn ensure(db: &Db, server: &ServerId, userid: &str, now: u64) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO users (server_id, userid, role_id, created, lastlogin) VALUES ($1, $2, NULL, $3, 0) \
         ON CONFLICT (server_id, userid) DO NOTHING",
    )
    .bind(server.0.to_vec())
    .bind(userid.to_owned())
    .bind(now as i64)
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Records a login of one of the user's accounts.
pub async fn record_login(db: &Db, server: &ServerId, userid: &str, now: u64) -> StoreResult<()> {
    sqlx::query("UPDATE users SET lastlogin = $1 WHERE server_id = $2 AND userid = $3")
        .bind(now as i64)
        .bind(server.0.to_vec())
        .bind(userid.to_owned())
        .execute(&db.pool)
        .await?;
    Ok(())
}
