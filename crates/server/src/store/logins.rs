//! A login's writes: the session logged in (only if it still waits for one, see
//! [`sessions::SCANNABLE`]), then the account's login time (the owner is here: push logins are
//! welcome again) and the user's. Each statement costs round trips of its own
//! (docs/benchmarks.md, "Where a login's server CPU goes"), so PostgreSQL gets the three in one
//! statement (data-modifying `WITH`, the last two only when the first applied) and SQLite,
//! which has no such statement, gets them on one connection; either on a connection given back
//! untested (db/hot.rs).

use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::Row;

use super::sessions::{self, SessionEvent, SessionState};
use super::StoreResult;
use crate::db::{Backend, Db};

/// One login to record.
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    /// The server.
    pub server: &'a ServerId,
    /// The session logged into.
    pub session: &'a SessionRef,
    /// The account logged in.
    pub account_id: i64,
    /// The account's user, if it has one.
    pub userid: Option<&'a str>,
    /// What the person typed (`""`: nothing asked).
    pub user_input: &'a str,
    /// The time of the login.
    pub now: u64,
    /// A continuous session's first ping deadline ([`super::ping_deadlines`]), written with
    /// the login itself: a process that dies right after the login must not leave the session
    /// logged in with no deadline, which nothing would ever end. `None`: a one-shot login.
    pub ping_deadline: Option<u64>,
    /// PostgreSQL: the login's announcement to the other processes
    /// ([`crate::cluster::Bus::payload`]), sent by its statement at commit.
    pub announce: Option<&'a str>,
}

/// `SET … WHERE …` of the session's move to `loggedin`; `$1` account, `$2` input, `$3` time,
/// `$4` server, `$5` session, `$6` the ping deadline (NULL: none).
fn session_update() -> String {
    format!(
        "UPDATE sessions SET state = '{state}', event = '{event}', account_id = $1, \
         last_account_id = $1, user_input = $2, version = version + 1, updated = $3, \
         ping_deadline = $6 \
         WHERE server_id = $4 AND session_ref = $5 AND state IN ({scannable})",
        state = SessionState::LoggedIn.as_str(),
        event = SessionEvent::Login.as_str(),
        scannable = sessions::listed(sessions::SCANNABLE),
    )
}

/// `sql` (which holds [`session_update`]) with `$1` to `$6` bound from `login`.
fn bind_session_update<'q>(sql: &'q str, login: &Login<'_>) -> super::AnyQuery<'q> {
    sqlx::query(sql)
        .bind(login.account_id)
        .bind(login.user_input.to_owned())
        .bind(login.now as i64)
        .bind(login.server.0.to_vec())
        .bind(login.session.0.to_vec())
        .bind(login.ping_deadline.map(|d| d as i64))
}

/// Logs the account into the session if it still waits for a login, and records the login
/// time of the account and its user; returns whether it did.
pub async fn log_in(db: &Db, login: Login<'_>) -> StoreResult<bool> {
    match db.backend {
        Backend::Postgres => log_in_postgres(db, login).await,
        Backend::Sqlite => log_in_sqlite(db, login).await,
    }
}

async fn log_in_postgres(db: &Db, login: Login<'_>) -> StoreResult<bool> {
    // `$7` the user id (NULL: no user, so no row); `$8`, `$9` the announcement's channel and
    // payload, sent only if the session moved.
    let (announce, announced) = match login.announce {
        Some(_) => super::announcing(8),
        None => (String::new(), ""),
    };
    let sql = format!(
        "WITH s AS ({session} RETURNING 1), \
         a AS (UPDATE accounts SET lastlogin = $3, push_strikes = 0, push_outstanding = 0 \
               WHERE account_id = $1 AND EXISTS (SELECT 1 FROM s) RETURNING 1), \
         u AS (UPDATE users SET lastlogin = $3 WHERE server_id = $4 AND userid = $7 \
               AND EXISTS (SELECT 1 FROM s) RETURNING 1){announce} \
         SELECT COUNT(*){announced} FROM s",
        session = session_update(),
    );
    let mut query = bind_session_update(&sql, &login).bind(login.userid.map(str::to_owned));
    if let Some(payload) = login.announce {
        query = super::bind_announcement(query, payload);
    }
    let mut conn = db.hot().await?;
    let row = query.fetch_one(&mut *conn).await?;
    conn.release();
    Ok(row.try_get::<i64, _>(0)? == 1)
}

async fn log_in_sqlite(db: &Db, login: Login<'_>) -> StoreResult<bool> {
    debug_assert!(login.announce.is_none(), "announcements are PostgreSQL's");
    let mut conn = db.hot().await?;
    let moved = bind_session_update(&session_update(), &login)
        .execute(&mut *conn)
        .await?;
    if moved.rows_affected() != 1 {
        conn.release();
        return Ok(false);
    }
    sqlx::query(
        "UPDATE accounts SET lastlogin = $1, push_strikes = 0, push_outstanding = 0 \
         WHERE account_id = $2",
    )
    .bind(login.now as i64)
    .bind(login.account_id)
    .execute(&mut *conn)
    .await?;
    if let Some(userid) = login.userid {
        sqlx::query("UPDATE users SET lastlogin = $1 WHERE server_id = $2 AND userid = $3")
            .bind(login.now as i64)
            .bind(login.server.0.to_vec())
            .bind(userid.to_owned())
            .execute(&mut *conn)
            .await?;
    }
    conn.release();
    Ok(true)
}
