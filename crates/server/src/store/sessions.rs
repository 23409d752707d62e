//! Browser sessions, keyed by (server, session ref). Every change bumps `version`, which
//! watchers (the browser WebSocket, the REST API, other server processes) poll.

use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::any::AnyRow;
use sqlx::Row;

pub use super::session_event::SessionEvent;
use super::{fixed, StoreResult};
use crate::db::Db;

/// Where a session stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Created (a QR code was requested), nothing happened yet.
    New,
    /// An app scanned the code and is talking to the server.
    Scanned,
    /// An account is logged in.
    LoggedIn,
    /// Logged out (by the website, the app, or a missed ping).
    LoggedOut,
    /// The person declined in the app.
    Cancelled,
}

impl SessionState {
    /// Every state (for a transition that applies whatever the state, as tests set them up).
    pub const ALL: &'static [Self] = &[
        Self::New,
        Self::Scanned,
        Self::LoggedIn,
        Self::LoggedOut,
        Self::Cancelled,
    ];

    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Scanned => "scanned",
            Self::LoggedIn => "loggedin",
            Self::LoggedOut => "loggedout",
            Self::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "scanned" => Self::Scanned,
            "loggedin" => Self::LoggedIn,
            "loggedout" => Self::LoggedOut,
            "cancelled" => Self::Cancelled,
            _ => Self::New,
        }
    }
}

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Server.
    pub server_id: ServerId,
    /// The hsid.
    pub session_ref: SessionRef,
    /// Its state.
    pub state: SessionState,
    /// The logged-in account.
    pub account_id: Option<i64>,
    /// The account that last logged in (push login target).
    pub last_account_id: Option<i64>,
    /// What the person typed in the app at login.
    pub user_input: String,
    /// JSON `UserContext` given with the last QR or push request.
    pub announce: String,
    /// Change counter.
    pub version: i64,
    /// The last event for browsers.
    pub event: SessionEvent,
    /// Created (Unix s).
    pub created: u64,
    /// Last change (Unix s).
    pub updated: u64,
    /// The reference this login was moved from ([`rekey`]), if it was.
    pub previous_ref: Option<SessionRef>,
    /// The number the browser shows and the app must be given (number matching), if asked.
    pub match_number: Option<String>,
    /// The browser's address as this server saw it (`""`: not seen).
    pub observed_ip: String,
    /// The browser's user agent in words, as this server saw it.
    pub observed_browser: String,
    /// When this server last saw the browser (Unix s, 0 never).
    pub observed_at: u64,
    /// The account the session's last push login went to.
    pub pushed_to: Option<i64>,
}

impl SessionRow {
    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        Ok(Self {
            server_id: ServerId(fixed(row.try_get("server_id")?, "sessions")?),
            session_ref: SessionRef(fixed(row.try_get("session_ref")?, "sessions")?),
            state: SessionState::parse(&row.try_get::<String, _>("state")?),
            account_id: row.try_get("account_id")?,
            last_account_id: row.try_get("last_account_id")?,
            user_input: row.try_get("user_input")?,
            announce: row.try_get("announce")?,
            version: row.try_get("version")?,
            event: SessionEvent::parse(&row.try_get::<String, _>("event")?),
            created: row.try_get::<i64, _>("created")? as u64,
            updated: row.try_get::<i64, _>("updated")? as u64,
            previous_ref: row
                .try_get::<Option<Vec<u8>>, _>("previous_ref")?
                .map(|b| fixed(b, "sessions").map(SessionRef))
                .transpose()?,
            match_number: row.try_get("match_number")?,
            observed_ip: row.try_get("observed_ip")?,
            observed_browser: row.try_get("observed_ua")?,
            observed_at: row.try_get::<i64, _>("observed_at")? as u64,
            pushed_to: row.try_get("pushed_to")?,
        })
    }
}

/// A statement on one session: its key (server, reference) is bound as the last two
/// parameters. Returns the rows it changed.
async fn run_keyed<'q>(
    db: &Db,
    query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    server: &ServerId,
    session: &SessionRef,
) -> StoreResult<u64> {
    let done = query
        .bind(server.0.to_vec())
        .bind(session.0.to_vec())
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected())
}

/// The row a query keyed by (server, a session reference: `$1`, `$2`) finds.
async fn fetch_keyed(
    db: &Db,
    sql: &str,
    server: &ServerId,
    session: &SessionRef,
) -> StoreResult<Option<AnyRow>> {
    let query = sqlx::query(sql)
        .bind(server.0.to_vec())
        .bind(session.0.to_vec());
    Ok(query.fetch_optional(&db.pool).await?)
}

/// The session, created in state `new` if it does not exist yet.
pub async fn ensure(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    now: u64,
) -> StoreResult<SessionRow> {
    sqlx::query(
        "INSERT INTO sessions (server_id, session_ref, state, account_id, last_account_id, user_input, announce, \
         version, event, created, updated) VALUES ($1, $2, 'new', NULL, NULL, '', '{}', 0, $4, $3, $3) \
         ON CONFLICT (server_id, session_ref) DO NOTHING",
    )
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .bind(now as i64)
    .bind(SessionEvent::None.as_str())
    .execute(&db.pool)
    .await?;
    get(db, server, session)
        .await?
        .ok_or(super::StoreError::Corrupt("sessions"))
}

/// Marks the session as one an app opened for itself (AppLogin): it can back app tokens.
pub async fn mark_app_login(db: &Db, server: &ServerId, session: &SessionRef) -> StoreResult<()> {
    let sql = "UPDATE sessions SET app_login = 1 WHERE server_id = $1 AND session_ref = $2";
    run_keyed(db, sqlx::query(sql), server, session).await?;
    Ok(())
}

/// Whether the session is an AppLogin session ([`mark_app_login`]).
pub async fn is_app_login(db: &Db, server: &ServerId, session: &SessionRef) -> StoreResult<bool> {
    let sql = "SELECT app_login FROM sessions WHERE server_id = $1 AND session_ref = $2";
    Ok(match fetch_keyed(db, sql, server, session).await? {
        Some(row) => sqlx::Row::try_get::<i64, _>(&row, "app_login")? != 0,
        None => false,
    })
}

/// One session.
pub async fn get(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
) -> StoreResult<Option<SessionRow>> {
    let sql = "SELECT * FROM sessions WHERE server_id = $1 AND session_ref = $2";
    let row = fetch_keyed(db, sql, server, session).await?;
    row.as_ref().map(SessionRow::from_row).transpose()
}

/// Records what the website wants shown with the next login (JSON `UserContext`).
pub async fn set_announce(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    announce: &str,
    now: u64,
) -> StoreResult<()> {
    let sql =
        "UPDATE sessions SET announce = $1, updated = $2 WHERE server_id = $3 AND session_ref = $4";
    let query = sqlx::query(sql).bind(announce.to_owned()).bind(now as i64);
    run_keyed(db, query, server, session).await?;
    Ok(())
}

/// A change of state with the event browsers are told about.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    /// New state.
    pub state: SessionState,
    /// The event browsers are told.
    pub event: SessionEvent,
    /// The account now logged in (or `None` to clear it).
    pub account_id: Option<i64>,
    /// The person's input, if any.
    pub user_input: Option<&'a str>,
}

/// The states in which an app may scan a session's code (or answer its push login): any but
/// logged in. A logged-in session never changes because of a hello; a logged-out one may be
/// logged into again (the reference's push login after a logout).
pub const SCANNABLE: &[SessionState] = &[
    SessionState::New,
    SessionState::Scanned,
    SessionState::Cancelled,
    SessionState::LoggedOut,
];

/// Applies a transition if the session is in one of `from`, and bumps the version. Returns
/// whether it applied: one conditional update, so two parties racing cannot both move it.
pub async fn transition(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    from: &[SessionState],
    t: Transition<'_>,
    now: u64,
) -> StoreResult<bool> {
    let states = listed(from);
    let sql = format!(
        "UPDATE sessions SET state = $1, event = $2, account_id = $3, \
         last_account_id = COALESCE($3, last_account_id), user_input = COALESCE($4, user_input), \
         version = version + 1, updated = $5 WHERE server_id = $6 AND session_ref = $7 AND state IN ({states})"
    );
    let query = sqlx::query(&sql)
        .bind(t.state.as_str())
        .bind(t.event.as_str())
        .bind(t.account_id)
        .bind(t.user_input.map(str::to_owned))
        .bind(now as i64);
    Ok(run_keyed(db, query, server, session).await? == 1)
}

/// `from` as an SQL list: `'new', 'scanned'`.
pub(super) fn listed(from: &[SessionState]) -> String {
    from.iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An app's hello for a session that waits for a scan ([`SCANNABLE`]): the session moves to
/// `scanned` with the event its browsers hear (`CONFIRMPROVOKE` when a push login for it was
/// sent, else `CONFIRMSCAN`), in one statement. Returns the session as it is now, or `None`
/// when there is none or it is logged in (or, with [`Scan::server_version`], the server's row
/// is not at that version).
pub async fn scan(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    now: u64,
    with: Scan<'_>,
) -> StoreResult<Option<SessionRow>> {
    debug_assert!(
        db.backend == crate::db::Backend::Postgres
            || (with.announce.is_none() && with.server_version.is_none()),
        "announcements and row versions are PostgreSQL's"
    );
    let server_is = if with.server_version.is_some() {
        format!(
            " AND EXISTS (SELECT 1 FROM servers WHERE server_id = $2 AND {} = $4)",
            super::servers::VERSION
        )
    } else {
        String::new()
    };
    let update = format!(
        "UPDATE sessions SET state = 'scanned', account_id = NULL, \
         event = CASE WHEN event = '{provoke}' THEN '{confirm_provoke}' ELSE '{confirm_scan}' END, \
         version = version + 1, updated = $1 \
         WHERE server_id = $2 AND session_ref = $3 AND state IN ({scannable}){server_is} RETURNING *",
        provoke = SessionEvent::Provoke.as_str(),
        confirm_provoke = SessionEvent::ConfirmProvoke.as_str(),
        confirm_scan = SessionEvent::ConfirmScan.as_str(),
        scannable = listed(SCANNABLE)
    );
    let sql = match with.announce {
        Some(_) => {
            let next = if with.server_version.is_some() { 5 } else { 4 };
            let (announce, announced) = super::announcing(next);
            format!("WITH s AS ({update}){announce} SELECT s.*{announced} FROM s")
        }
        None => update,
    };
    let mut query = sqlx::query(&sql)
        .bind(now as i64)
        .bind(server.0.to_vec())
        .bind(session.0.to_vec());
    if let Some(version) = with.server_version {
        query = query.bind(version.to_owned());
    }
    if let Some(payload) = with.announce {
        query = super::bind_announcement(query, payload);
    }
    // An app's login's statement: on a connection given back untested (db/hot.rs).
    let mut conn = db.hot().await?;
    let row = query.fetch_optional(&mut *conn).await?;
    conn.release();
    row.as_ref().map(SessionRow::from_row).transpose()
}

/// What else [`scan`]'s statement does (PostgreSQL only).
#[derive(Debug, Default, Clone, Copy)]
pub struct Scan<'a> {
    /// Announces the session's change to the other processes (the payload of
    /// [`crate::cluster::Bus::payload`]), at the statement's commit.
    pub announce: Option<&'a str>,
    /// Applies only while the server's row is at this version ([`super::servers::VERSION`]):
    /// a cached server row is checked by the statement that needs it anyway
    /// ([`crate::server_cache`]).
    pub server_version: Option<&'a str>,
}

/// `UPDATE … SET` of a logout, the browsers' event included; `$1` the time. Its `WHERE` says
/// which sessions.
pub(super) fn logged_out_update() -> String {
    format!(
        "UPDATE sessions SET state = 'loggedout', event = '{logout}', account_id = NULL, \
         version = version + 1, updated = $1",
        logout = SessionEvent::Logout,
    )
}

/// Logs out the session if `account_id` (any account, with `None`) is logged into it.
pub async fn log_out(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    account_id: Option<i64>,
    now: u64,
) -> StoreResult<bool> {
    let of_account = if account_id.is_some() {
        " AND account_id = $4"
    } else {
        ""
    };
    let sql = format!(
        "{} WHERE server_id = $2 AND session_ref = $3 AND state = 'loggedin'{of_account}",
        logged_out_update(),
    );
    let mut query = sqlx::query(&sql)
        .bind(now as i64)
        .bind(server.0.to_vec())
        .bind(session.0.to_vec());
    if let Some(id) = account_id {
        query = query.bind(id);
    }
    Ok(query.execute(&db.pool).await?.rows_affected() == 1)
}

/// Moves a fresh login to a new reference (a website gives its visitor a new session
/// identifier at login, so one fixed before the login is worth nothing). Only a logged-in
/// session that was not moved since it logged in; returns whether it moved. A continuous app
/// session follows the move ([`moved_to`]).
pub async fn rekey(
    db: &Db,
    server: &ServerId,
    from: &SessionRef,
    to: &SessionRef,
    now: u64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE sessions SET session_ref = $1, previous_ref = $2, version = version + 1, updated = $3 \
         WHERE server_id = $4 AND session_ref = $2 AND state = 'loggedin' AND previous_ref IS NULL",
    )
    .bind(to.0.to_vec())
    .bind(from.0.to_vec())
    .bind(now as i64)
    .bind(server.0.to_vec())
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The session a login under `from` was moved to by [`rekey`].
pub async fn moved_to(
    db: &Db,
    server: &ServerId,
    from: &SessionRef,
) -> StoreResult<Option<SessionRow>> {
    let sql = "SELECT * FROM sessions WHERE server_id = $1 AND previous_ref = $2";
    let row = fetch_keyed(db, sql, server, from).await?;
    row.as_ref().map(SessionRow::from_row).transpose()
}

/// Sets (or with `None` clears) the number the browser shows for the session.
pub async fn set_match_number(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    number: Option<&str>,
) -> StoreResult<()> {
    // A new version: browsers that follow the session show the new number.
    let sql = "UPDATE sessions SET match_number = $1, version = version + 1 \
               WHERE server_id = $2 AND session_ref = $3";
    run_keyed(
        db,
        sqlx::query(sql).bind(number.map(str::to_owned)),
        server,
        session,
    )
    .await?;
    Ok(())
}

/// Records where this server saw the session's browser (its own observation, never what a
/// website says): the first sighting only, so a page elsewhere that follows the same session
/// later cannot replace it.
pub async fn record_observed(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    ip: &str,
    browser: &str,
    now: u64,
) -> StoreResult<()> {
    let sql = "UPDATE sessions SET observed_ip = $1, observed_ua = $2, observed_at = $3 \
               WHERE server_id = $4 AND session_ref = $5 AND observed_at = 0";
    let query = sqlx::query(sql)
        .bind(ip.to_owned())
        .bind(browser.to_owned())
        .bind(now as i64);
    run_keyed(db, query, server, session).await?;
    Ok(())
}

/// Records the account a push login for the session went to.
pub async fn set_pushed_to(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    account_id: i64,
) -> StoreResult<()> {
    let sql = "UPDATE sessions SET pushed_to = $1 WHERE server_id = $2 AND session_ref = $3";
    run_keyed(db, sqlx::query(sql).bind(account_id), server, session).await?;
    Ok(())
}

/// Remembers `account_id` as the account that last logged into a session that waits for a
/// login, so a push login can be offered for it (the demo site carries it over when it gives a
/// visitor a new session at logout).
pub async fn remember_account(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    account_id: i64,
) -> StoreResult<()> {
    let sql = "UPDATE sessions SET last_account_id = $1 WHERE server_id = $2 AND session_ref = $3 \
               AND state <> 'loggedin'";
    run_keyed(db, sqlx::query(sql).bind(account_id), server, session).await?;
    Ok(())
}

/// Sets only the browser event (a push login sent, or picked up) and bumps the version.
pub async fn signal(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    event: SessionEvent,
    now: u64,
) -> StoreResult<()> {
    let sql = "UPDATE sessions SET event = $1, version = version + 1, updated = $2 \
               WHERE server_id = $3 AND session_ref = $4";
    let query = sqlx::query(sql).bind(event.as_str()).bind(now as i64);
    run_keyed(db, query, server, session).await?;
    Ok(())
}

/// The sessions of `server` that `account_id` is logged into.
pub async fn logged_in_with(
    db: &Db,
    server: &ServerId,
    account_id: i64,
) -> StoreResult<Vec<SessionRef>> {
    let rows = sqlx::query(
        "SELECT session_ref FROM sessions WHERE server_id = $1 AND account_id = $2 AND state = 'loggedin'",
    )
    .bind(server.0.to_vec())
    .bind(account_id)
    .fetch_all(&db.pool)
    .await?;
    rows.iter()
        .map(|r| Ok(SessionRef(fixed(r.try_get("session_ref")?, "sessions")?)))
        .collect()
}
