//! Browser sessions, keyed by (server, session ref). Every change bumps `version`, which
//! watchers (the browser WebSocket, the REST API, other server processes) poll.

use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::any::AnyRow;
use sqlx::Row;

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
    /// The last event for browsers (CONFIRMSCAN, LOGIN, LOGOUT, CANCEL, NOACCOUNTS, CONFIRMPROVOKE).
    pub event: String,
    /// Created (Unix s).
    pub created: u64,
    /// Last change (Unix s).
    pub updated: u64,
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
            event: row.try_get("event")?,
            created: row.try_get::<i64, _>("created")? as u64,
            updated: row.try_get::<i64, _>("updated")? as u64,
        })
    }
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
         version, event, created, updated) VALUES ($1, $2, 'new', NULL, NULL, '', '{}', 0, '', $3, $3) \
         ON CONFLICT (server_id, session_ref) DO NOTHING",
    )
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .bind(now as i64)
    .execute(&db.pool)
    .await?;
    get(db, server, session)
        .await?
        .ok_or(super::StoreError::Corrupt("sessions"))
}

/// One session.
pub async fn get(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
) -> StoreResult<Option<SessionRow>> {
    let row = sqlx::query("SELECT * FROM sessions WHERE server_id = $1 AND session_ref = $2")
        .bind(server.0.to_vec())
        .bind(session.0.to_vec())
        .fetch_optional(&db.pool)
        .await?;
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
    sqlx::query(
        "UPDATE sessions SET announce = $1, updated = $2 WHERE server_id = $3 AND session_ref = $4",
    )
    .bind(announce.to_owned())
    .bind(now as i64)
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// A change of state with the event browsers are told about.
#[derive(Debug, Clone)]
pub struct Transition<'a> {
    /// New state.
    pub state: SessionState,
    /// Browser event name.
    pub event: &'a str,
    /// The account now logged in (or `None` to clear it).
    pub account_id: Option<i64>,
    /// The person's input, if any.
    pub user_input: Option<&'a str>,
}

/// Applies a transition and bumps the version.
pub async fn transition(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    t: Transition<'_>,
    now: u64,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE sessions SET state = $1, event = $2, account_id = $3, \
         last_account_id = COALESCE($3, last_account_id), user_input = COALESCE($4, user_input), \
         version = version + 1, updated = $5 WHERE server_id = $6 AND session_ref = $7",
    )
    .bind(t.state.as_str())
    .bind(t.event.to_owned())
    .bind(t.account_id)
    .bind(t.user_input.map(str::to_owned))
    .bind(now as i64)
    .bind(server.0.to_vec())
    .bind(session.0.to_vec())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// Sets only the browser event (CONFIRMPROVOKE, NOACCOUNTS) and bumps the version.
pub async fn signal(
    db: &Db,
    server: &ServerId,
    session: &SessionRef,
    event: &str,
    now: u64,
) -> StoreResult<()> {
    sqlx::query("UPDATE sessions SET event = $1, version = version + 1, updated = $2 WHERE server_id = $3 AND session_ref = $4")
        .bind(event.to_owned())
        .bind(now as i64)
        .bind(server.0.to_vec())
        .bind(session.0.to_vec())
        .execute(&db.pool)
        .await?;
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
