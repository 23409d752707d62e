//! A login's writes: the session logged in (only if it still waits for one, see
//! [`sessions::SCANNABLE`]), then the account's login time (the owner is here: push logins are
//! welcome again) and the user's. Each statement costs round trips of its own
//! (docs/benchmarks.md, "Where a login's server CPU goes"), so PostgreSQL gets the three in one
//! statement (data-modifying `WITH`, the last two only when the first applied) and SQLite,
//! which has no such statement, gets them on one connection; either on a connection given back
//! untested (db/hot.rs).
//!
//! A login that asks nothing more of the app ([`SecondFactorRule`]) is written by
//! [`log_in_by_key`]:
//! on PostgreSQL the account's lookup by its key joins that statement, so such a login costs
//! the exchange one statement after its scan instead of two.

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::Row;

use super::accounts::{self, AccountRow};
use super::sessions::{self, SessionEvent, SessionState};
use super::StoreResult;
use crate::db::{Backend, Db};

/// One login to record (the account is given apart: [`log_in`], [`log_in_by_key`]).
#[derive(Debug, Clone, Copy)]
pub struct Login<'a> {
    /// The server.
    pub server: &'a ServerId,
    /// The session logged into.
    pub session: &'a SessionRef,
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

/// The second-factor rule of a login or an approval: whether the app sets a PIN first (the
/// server requires one and the account has none: the upgrade) or enters it (the account has
/// one, and the integrator reset it or its timeout ran out). The app endpoint asks by it
/// (`app_endpoint::flows`), and a login that it asks nothing is written at once
/// ([`log_in_by_key`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecondFactorRule {
    /// The server requires a PIN.
    pub pin_required: bool,
    /// A PIN entered at this time (Unix s) or before is due again; `i64::MIN`: never due,
    /// `i64::MAX`: always.
    pub pin_due_if_entered_by: i64,
}

impl SecondFactorRule {
    /// The account has no PIN and must set one.
    pub fn sets_pin(&self, account: &AccountRow) -> bool {
        self.pin_required && !account.has_pin
    }

    /// The account has a PIN and must enter it.
    pub fn enters_pin(&self, account: &AccountRow) -> bool {
        account.has_pin
            && (account.pin_reset
                || i64::try_from(account.last_pin_at)
                    .is_ok_and(|at| at <= self.pin_due_if_entered_by))
    }

    /// Whether the account logs in without a second-factor step.
    pub fn asks_nothing(&self, account: &AccountRow) -> bool {
        !self.sets_pin(account) && !self.enters_pin(account)
    }

    /// Whether a login of the account is written at once ([`log_in_by_key`]): it is neither
    /// blocked nor deleted and asked nothing.
    pub fn logs_in_at_once(&self, account: &AccountRow) -> bool {
        !account.blocked && !account.deleted && self.asks_nothing(account)
    }

    /// [`SecondFactorRule::logs_in_at_once`] as a condition on an `accounts` row, with
    /// `pin_required` as the parameter `$first` and `pin_due_if_entered_by` as the next
    /// ([`SecondFactorRule::bind`]). Parameters, not literals: the bound moves every second,
    /// and a statement text of its own each time would be prepared again and crowd sqlx's
    /// statement cache.
    fn condition(first: usize) -> String {
        format!(
            "blocked = 0 AND deleted = 0 \
             AND NOT (${first} = 1 AND pin_verifier_sealed IS NULL) \
             AND NOT (pin_verifier_sealed IS NOT NULL \
                      AND (pin_reset <> 0 OR last_pin_at <= ${}))",
            first + 1
        )
    }

    /// Binds the two parameters of [`SecondFactorRule::condition`], the next ones of `query`.
    fn bind<'q>(&self, query: super::AnyQuery<'q>) -> super::AnyQuery<'q> {
        query
            .bind(i64::from(self.pin_required))
            .bind(self.pin_due_if_entered_by)
    }
}

/// `SET … WHERE …` of the session's move to `loggedin`; `account` the account id (`$1`, or an
/// expression), `$2` input, `$3` time, `$4` server, `$5` session, `$6` the ping deadline
/// (NULL: none). The session's number, if it had one, is used up: the next login of the
/// session gets a new one.
fn session_update(account: &str) -> String {
    format!(
        "UPDATE sessions SET state = '{state}', event = '{event}', account_id = {account}, \
         last_account_id = {account}, user_input = $2, version = version + 1, updated = $3, \
         ping_deadline = $6, match_number = NULL \
         WHERE server_id = $4 AND session_ref = $5 AND state IN ({scannable})",
        state = SessionState::LoggedIn.as_str(),
        event = SessionEvent::Login.as_str(),
        scannable = sessions::listed(sessions::SCANNABLE),
    )
}

/// `query` (`$1` bound, the account or its key) with `$2` to `$6` of [`session_update`] bound
/// from `login`.
fn bind_session_update<'q>(query: super::AnyQuery<'q>, login: &Login<'_>) -> super::AnyQuery<'q> {
    query
        .bind(login.user_input.to_owned())
        .bind(login.now as i64)
        .bind(login.server.0.to_vec())
        .bind(login.session.0.to_vec())
        .bind(login.ping_deadline.map(|d| d as i64))
}

/// Logs the account into the session if it still waits for a login, and records the login
/// time of the account and its user; returns whether it did.
pub async fn log_in(
    db: &Db,
    account_id: i64,
    userid: Option<&str>,
    login: Login<'_>,
) -> StoreResult<bool> {
    match db.backend {
        Backend::Postgres => log_in_postgres(db, account_id, userid, login).await,
        Backend::Sqlite => log_in_sqlite(db, account_id, userid, login).await,
    }
}

/// The account with this key, and whether it was logged into the session: only when it is
/// neither blocked nor deleted, `rule` asks nothing of it, and the session still
/// waits for a login. `None`: no such account. On PostgreSQL one statement reads the account
/// and writes the login; on SQLite the account is read first.
pub async fn log_in_by_key(
    db: &Db,
    key: &PublicKey,
    rule: SecondFactorRule,
    login: Login<'_>,
) -> StoreResult<Option<(AccountRow, bool)>> {
    if db.backend == Backend::Postgres {
        return log_in_by_key_postgres(db, key, rule, login).await;
    }
    let Some(account) = accounts::by_key(db, login.server, key).await? else {
        return Ok(None);
    };
    if !rule.logs_in_at_once(&account) {
        return Ok(Some((account, false)));
    }
    let userid = account.userid.as_deref();
    let logged_in = log_in_sqlite(db, account.account_id, userid, login).await?;
    Ok(Some((account, logged_in)))
}

/// The writes after the session's move (`s`): the account's and the user's login times, and
/// the announcement from `$first` on; `account` and `userid` are SQL expressions.
fn after_session_update(account: &str, userid: &str, first: usize, announce: bool) -> String {
    let (announce, announced) = match announce {
        true => super::announcing(first),
        false => (String::new(), ""),
    };
    format!(
        "a AS (UPDATE accounts SET lastlogin = $3, push_strikes = 0, push_outstanding = 0 \
               WHERE account_id = {account} AND EXISTS (SELECT 1 FROM s) RETURNING 1), \
         u AS (UPDATE users SET lastlogin = $3 WHERE server_id = $4 AND userid = {userid} \
               AND EXISTS (SELECT 1 FROM s) RETURNING 1){announce} \
         SELECT (SELECT COUNT(*) FROM s) AS logged_in{announced}"
    )
}

async fn log_in_by_key_postgres(
    db: &Db,
    key: &PublicKey,
    rule: SecondFactorRule,
    login: Login<'_>,
) -> StoreResult<Option<(AccountRow, bool)>> {
    // `$1` the key; `$7`, `$8` the second-factor rule; `$9`, `$10` the announcement's channel
    // and payload, sent only if the session moved. The account is read from the statement's
    // snapshot, as before its own update (`a`), and returned whatever was written.
    let ok = "(SELECT account_id FROM ok)";
    let sql = format!(
        "WITH acc AS (SELECT * FROM accounts WHERE server_id = $4 AND public_key = $1), \
         ok AS (SELECT account_id, userid FROM acc WHERE {usable}), \
         s AS ({session} AND EXISTS (SELECT 1 FROM ok) RETURNING 1), \
         {rest}, acc.* FROM acc",
        usable = SecondFactorRule::condition(7),
        session = session_update(ok),
        rest = after_session_update(ok, "(SELECT userid FROM ok)", 9, login.announce.is_some()),
    );
    let query = bind_session_update(sqlx::query(&sql).bind(key.0.to_vec()), &login);
    let mut query = rule.bind(query);
    if let Some(payload) = login.announce {
        query = super::bind_announcement(query, payload);
    }
    let mut conn = db.hot().await?;
    let row = query.fetch_optional(&mut *conn).await?;
    conn.release();
    let Some(row) = row else { return Ok(None) };
    let logged_in = row.try_get::<i64, _>("logged_in")? == 1;
    Ok(Some((AccountRow::from_row(&row)?, logged_in)))
}

async fn log_in_postgres(
    db: &Db,
    account_id: i64,
    userid: Option<&str>,
    login: Login<'_>,
) -> StoreResult<bool> {
    // `$7` the user id (NULL: no user, so no row); `$8`, `$9` the announcement's channel and
    // payload, sent only if the session moved.
    let sql = format!(
        "WITH s AS ({session} RETURNING 1), {rest}",
        session = session_update("$1"),
        rest = after_session_update("$1", "$7", 8, login.announce.is_some()),
    );
    let mut query = bind_session_update(sqlx::query(&sql).bind(account_id), &login)
        .bind(userid.map(str::to_owned));
    if let Some(payload) = login.announce {
        query = super::bind_announcement(query, payload);
    }
    let mut conn = db.hot().await?;
    let row = query.fetch_one(&mut *conn).await?;
    conn.release();
    Ok(row.try_get::<i64, _>("logged_in")? == 1)
}

async fn log_in_sqlite(
    db: &Db,
    account_id: i64,
    userid: Option<&str>,
    login: Login<'_>,
) -> StoreResult<bool> {
    debug_assert!(login.announce.is_none(), "announcements are PostgreSQL's");
    let mut conn = db.hot().await?;
    let sql = session_update("$1");
    let moved = bind_session_update(sqlx::query(&sql).bind(account_id), &login)
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
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    if let Some(userid) = userid {
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
