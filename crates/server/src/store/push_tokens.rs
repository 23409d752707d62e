//! Push tokens: the FCM or APNs device token of the app instance behind an account (columns
//! `push_platform` and `push_token` of `accounts`, migration 0003).

use nextauth_protocol::messages::PushPlatform;
use sqlx::Row;

use super::{StoreError, StoreResult};
use crate::db::Db;

/// The stored name of a platform.
pub fn platform_name(platform: PushPlatform) -> &'static str {
    match platform {
        PushPlatform::Fcm => "fcm",
        PushPlatform::Apns => "apns",
    }
}

fn parse_platform(name: &str) -> StoreResult<PushPlatform> {
    match name {
        "fcm" => Ok(PushPlatform::Fcm),
        "apns" => Ok(PushPlatform::Apns),
        _ => Err(StoreError::Corrupt("accounts")),
    }
}

/// Stores the account's push token, replacing any earlier one. Returns whether the account
/// exists.
pub async fn set_push_token(
    db: &Db,
    account_id: i64,
    platform: PushPlatform,
    token: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET push_platform = $1, push_token = $2 WHERE account_id = $3",
    )
    .bind(platform_name(platform))
    .bind(token.to_owned())
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Where the account's app is reached by its platform's push service, if it said so.
pub async fn push_target(db: &Db, account_id: i64) -> StoreResult<Option<(PushPlatform, String)>> {
    let row = sqlx::query(
        "SELECT push_platform, push_token FROM accounts WHERE account_id = $1 \
         AND push_platform IS NOT NULL AND push_token IS NOT NULL",
    )
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let platform: String = row.try_get("push_platform")?;
    Ok(Some((
        parse_platform(&platform)?,
        row.try_get("push_token")?,
    )))
}

/// Forgets the account's push token if it is still `token` (the push service said it is no
/// longer valid; a token the app registered since is kept). Returns whether it was cleared.
pub async fn clear_push_token(db: &Db, account_id: i64, token: &str) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET push_platform = NULL, push_token = NULL \
         WHERE account_id = $1 AND push_token = $2",
    )
    .bind(account_id)
    .bind(token.to_owned())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
