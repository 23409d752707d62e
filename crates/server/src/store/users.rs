//! Users: the integrator's user ids that accounts belong to.

use nextauth_protocol::ids::ServerId;
use sqlx::Row;

use super::query::{self, Bind, ListQuery, SortColumn, Sql};
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

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    /// The integrator's user id.
    pub userid: String,
    /// The user's role, once one was made (`users/{userid}/role/`).
    pub role_id: Option<String>,
    /// Created (Unix s).
    pub created: u64,
    /// Last login of any of its accounts (Unix s, 0 never).
    pub lastlogin: u64,
}

/// A user as the REST API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// The user id.
    pub userid: String,
    /// Last login of any of its accounts (Unix s, 0 never).
    pub lastlogin: u64,
    /// Its accounts (not counting deleted ones).
    pub numberaccounts: i64,
}

/// Columns the user list sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSort {
    /// `userid`.
    Userid,
    /// `lastlogin`.
    Lastlogin,
    /// `numberaccounts`.
    Numberaccounts,
    /// `created`.
    Created,
}

impl SortColumn for UserSort {
    fn expression(self) -> &'static str {
        match self {
            Self::Userid => "u.userid",
            Self::Lastlogin => "u.lastlogin",
            Self::Numberaccounts => "numberaccounts",
            Self::Created => "u.created",
        }
    }
}

/// One user.
pub async fn get(db: &Db, server: &ServerId, userid: &str) -> StoreResult<Option<UserRow>> {
    let row = sqlx::query(
        "SELECT userid, role_id, created, lastlogin FROM users WHERE server_id = $1 AND userid = $2",
    )
    .bind(server.0.to_vec())
    .bind(userid.to_owned())
    .fetch_optional(&db.pool)
    .await?;
    row.map(|r| {
        Ok(UserRow {
            userid: r.try_get("userid")?,
            role_id: r.try_get("role_id")?,
            created: r.try_get::<i64, _>("created")? as u64,
            lastlogin: r.try_get::<i64, _>("lastlogin")? as u64,
        })
    })
    .transpose()
}

fn users_where(sql: &mut Sql, server: &ServerId, q: &ListQuery<UserSort>) {
    sql.push(" WHERE u.server_id = ");
    sql.bind(Bind::Bytes(server.0.to_vec()));
    if let Some(search) = &q.search {
        sql.push(" AND LOWER(u.userid) LIKE ");
        sql.bind(Bind::Text(query::like_pattern(search)));
        sql.push(" ESCAPE '\\'");
    }
    if let Some(filter) = &q.filter {
        query::push_attribute_filter(sql, filter, "u.server_id", "u.userid");
    }
}

/// A page of a server's users and the number of users that match in all.
pub async fn list(
    db: &Db,
    server: &ServerId,
    q: &ListQuery<UserSort>,
) -> StoreResult<(Vec<UserSummary>, i64)> {
    let mut count = Sql::new("SELECT COUNT(*) AS n FROM users u");
    users_where(&mut count, server, q);
    let total: i64 = count.query().fetch_one(&db.pool).await?.try_get("n")?;
    let mut sql = Sql::new(
        "SELECT u.userid, u.lastlogin, (SELECT COUNT(*) FROM accounts a WHERE a.server_id = u.server_id \
         AND a.userid = u.userid AND a.deleted = 0) AS numberaccounts FROM users u",
    );
    users_where(&mut sql, server, q);
    query::push_order_and_page(&mut sql, q, "u.userid");
    let rows = sql.query().fetch_all(&db.pool).await?;
    let users = rows
        .iter()
        .map(|r| {
            Ok(UserSummary {
                userid: r.try_get("userid")?,
                lastlogin: r.try_get::<i64, _>("lastlogin")? as u64,
                numberaccounts: r.try_get("numberaccounts")?,
            })
        })
        .collect::<StoreResult<Vec<_>>>()?;
    Ok((users, total))
}

/// Deletes a user and its attributes (its accounts are the caller's business); returns whether
/// it existed.
pub async fn delete(db: &Db, server: &ServerId, userid: &str) -> StoreResult<bool> {
    let mut tx = db.pool.begin().await?;
    sqlx::query("DELETE FROM attributes WHERE scope = 'user' AND server_id = $1 AND userid = $2")
        .bind(server.0.to_vec())
        .bind(userid.to_owned())
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM users WHERE server_id = $1 AND userid = $2")
        .bind(server.0.to_vec())
        .bind(userid.to_owned())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the user a role (which must exist) unless it has one already; returns whether this
/// call set it.
pub async fn set_role_if_none(
    db: &Db,
    server: &ServerId,
    userid: &str,
    role_id: &str,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE users SET role_id = $1 WHERE server_id = $2 AND userid = $3 AND role_id IS NULL",
    )
    .bind(role_id.to_owned())
    .bind(server.0.to_vec())
    .bind(userid.to_owned())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
