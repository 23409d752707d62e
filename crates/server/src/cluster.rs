//! Change announcements across server processes that share one PostgreSQL database.
//!
//! Every [`Change`] a process announces goes to its own watchers at once (the broadcast in
//! [`AppState`]) and, on PostgreSQL, to every other process through `NOTIFY` on the channel
//! [`CHANNEL`]; each process `LISTEN`s and hands what others announce to its own watchers. So a
//! login approved on one process wakes the browser that follows it on another at once, and no
//! watcher needs to poll the database at idle (see [`AppState::poll_interval`]).
//!
//! When the listening connection is lost (a database restart), notifications sent meanwhile are
//! gone: on reconnecting the process announces [`Change::All`], so every watcher re-reads what it
//! follows. A process killed between its write and its `NOTIFY` cannot announce; the slow
//! safety check ([`SAFETY_INTERVAL`]) covers that.
//!
//! An app's login announces its two changes (scanned, logged in) from inside the statements
//! that make them ([`Bus::payload`]: `pg_notify` is transactional, so each goes out at its
//! statement's commit and costs no round trip); everything else goes through [`send_loop`].
//!
//! Several processes on one SQLite file have no notification channel: they keep polling.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::postgres::{PgConnection, PgListener};
use sqlx::Connection;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::state::{AppState, Change, SharedState};

/// The PostgreSQL notification channel.
pub const CHANNEL: &str = "nextauth_changes";

/// How often watchers re-read what they follow when announcements arrive across processes: a
/// safety net for a process killed between a write and its announcement.
pub const SAFETY_INTERVAL: Duration = Duration::from_secs(30);

/// The same safety net for the live message connections of apps: slower, because each app
/// re-reads its messages itself with the probe it sends every minute (the SDK's live delivery),
/// and these connections are the many (one query per connection per interval at idle:
/// docs/benchmarks.md, "Cluster").
pub const LIVE_SAFETY_INTERVAL: Duration = Duration::from_secs(300);

/// Announcements sent in one `NOTIFY` at most (its payload stays far below 8000 bytes).
const BATCH: usize = 64;

/// This process's side of the announcements: set up by [`start`] on PostgreSQL.
#[derive(Debug)]
pub struct Bus {
    /// Tells the process's own announcements apart from the others' when they come back.
    origin: u64,
    /// To the task that sends `NOTIFY`.
    outbox: OnceLock<mpsc::UnboundedSender<Change>>,
    /// Whether the process listens (watchers may then poll slowly).
    listening: AtomicBool,
}

impl Bus {
    /// A bus that sends nothing until [`start`].
    pub fn new() -> Self {
        let mut origin = [0u8; 8];
        // A failed read leaves 0: still unique enough among a cluster's few processes only by
        // chance, so it is logged.
        if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut origin).is_err() {
            tracing::warn!("no random origin for cross-process announcements");
        }
        Self {
            origin: u64::from_le_bytes(origin),
            outbox: OnceLock::new(),
            listening: AtomicBool::new(false),
        }
    }

    /// Sends `change` to the other processes (nothing before [`start`] or on SQLite).
    pub fn publish(&self, change: &Change) {
        if let Some(outbox) = self.outbox.get() {
            // A closed outbox means the process is stopping.
            let _ = outbox.send(change.clone());
        }
    }

    /// `change` as this process announces it, for a statement that sends it itself with
    /// `pg_notify(CHANNEL, payload)` (at its commit, in the same round trip); `None` before
    /// [`start`] or on SQLite.
    pub fn payload(&self, change: &Change) -> Option<String> {
        self.started()
            .then(|| encode(self.origin, std::slice::from_ref(change)))
    }

    /// Whether announcements from other processes arrive (listening now).
    pub fn listening(&self) -> bool {
        self.listening.load(Ordering::SeqCst)
    }

    /// Whether the process listens at all ([`start`] ran, on PostgreSQL).
    pub fn started(&self) -> bool {
        self.outbox.get().is_some()
    }
}

impl Default for Bus {
    fn default() -> Self {
        Self::new()
    }
}

/// Starts sending and listening when the database is PostgreSQL (`url`); `None` otherwise.
/// Abort the returned tasks at shutdown.
///
/// # Errors
///
/// When the first `LISTEN` connection cannot be made.
pub async fn start(
    state: &SharedState,
    url: &str,
) -> Result<Option<[JoinHandle<()>; 2]>, sqlx::Error> {
    if state.db.backend != crate::db::Backend::Postgres {
        return Ok(None);
    }
    let listener = listen(url).await?;
    let (outbox, inbox) = mpsc::unbounded_channel();
    if state.bus.outbox.set(outbox).is_err() {
        return Ok(None); // started already
    }
    state.bus.listening.store(true, Ordering::SeqCst);
    tracing::info!(
        channel = CHANNEL,
        "announcements across processes: LISTEN/NOTIFY"
    );
    let sender = tokio::spawn(send_loop(state.clone(), url.to_owned(), inbox));
    let receiver = tokio::spawn(listen_loop(Arc::downgrade(state), url.to_owned(), listener));
    Ok(Some([sender, receiver]))
}

/// Sends what the process announces, several changes per `NOTIFY` when they queue up, on a
/// connection of its own: through the pool each `NOTIFY` would cost two more round trips
/// (sqlx tests a connection as it takes it back), and a login announces twice.
async fn send_loop(state: SharedState, url: String, mut inbox: mpsc::UnboundedReceiver<Change>) {
    let mut batch = Vec::with_capacity(BATCH);
    let mut conn: Option<PgConnection> = None;
    loop {
        if inbox.recv_many(&mut batch, BATCH).await == 0 {
            return;
        }
        let payload = encode(state.bus.origin, &batch);
        batch.clear();
        // A connection the database ended (a restart) fails at its next use: the payload is
        // sent again once on a new connection, so the first change after a restart is not
        // lost.
        let mut sent = Err(sqlx::Error::PoolClosed);
        for _ in 0..2 {
            sent = notify(&mut conn, &url, &payload).await;
            if sent.is_ok() {
                break;
            }
            conn = None;
        }
        if let Err(err) = sent {
            // The others see it at their next safety check.
            tracing::warn!(%err, "a change could not be announced to the other processes");
        }
    }
}

/// One `NOTIFY` on `conn`, connecting first when there is none.
async fn notify(
    conn: &mut Option<PgConnection>,
    url: &str,
    payload: &str,
) -> Result<(), sqlx::Error> {
    let open = match conn {
        Some(open) => open,
        None => conn.insert(PgConnection::connect(url).await?),
    };
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload)
        .execute(open)
        .await?;
    Ok(())
}

/// Hands the other processes' announcements to this process's watchers.
async fn listen_loop(weak: std::sync::Weak<AppState>, url: String, mut listener: PgListener) {
    loop {
        let received = listener.try_recv().await;
        let Some(state) = weak.upgrade() else { return };
        match received {
            Ok(Some(notification)) => {
                for change in decode(state.bus.origin, notification.payload()) {
                    // Locally only: it came from another process.
                    state.heard(change);
                }
                continue;
            }
            // The connection was lost: what was sent meanwhile is lost too.
            Ok(None) => tracing::warn!("the LISTEN connection was lost"),
            Err(err) => tracing::warn!(%err, "LISTEN failed"),
        }
        // Not listening (readiness says so, watchers poll) until the connection is made
        // again; then everything is re-read.
        state.bus.listening.store(false, Ordering::SeqCst);
        // Server rows' changes may go unheard from now on: none is served from memory (the
        // cache checks `listening` first) and none is kept.
        state.server_rows.clear();
        // The database ended this connection, and may have ended pooled ones with it.
        state.db.set_suspect(true);
        drop(state);
        listener = relisten(&url).await;
        let Some(state) = weak.upgrade() else { return };
        state.db.set_suspect(false);
        // A row entered meanwhile (read before the loss) is dropped before it can be used.
        state.server_rows.clear();
        state.bus.listening.store(true, Ordering::SeqCst);
        tracing::info!("listening again; re-reading what is followed");
        state.heard(Change::All);
    }
}

/// A new listening connection, trying until the database answers (each attempt retries for
/// [`LISTEN_CONNECT`]). (sqlx's listener would reconnect by itself inside its next receive,
/// which then waits for a notification: the process would not know that it listens again
/// until another one spoke.)
async fn relisten(url: &str) -> PgListener {
    loop {
        match listen(url).await {
            Ok(listener) => return listener,
            Err(err) => {
                tracing::debug!(%err, "cannot LISTEN yet; trying again");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// How long one attempt to make the listening connection may take, its retries included.
const LISTEN_CONNECT: Duration = Duration::from_secs(1);

/// A listening connection. sqlx's listener would reconnect by itself inside a receive, and
/// its own pool retries a refused connection with a backoff of up to 6 s: all that time the
/// process would still say it listens (and `/readyz` answer 200 once the database is back)
/// while announcements go unheard — a login could reach a page on another process seconds
/// late (tests/pg_restart.rs). So it reports a lost connection at once (`eager_reconnect`
/// off: [`listen_loop`] marks the process not listening and makes a new one), and an attempt
/// gives up after [`LISTEN_CONNECT`], retrying a refused connection every 200 ms at most.
async fn listen(url: &str) -> Result<PgListener, sqlx::Error> {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .acquire_timeout(LISTEN_CONNECT)
        .connect(url)
        .await?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.eager_reconnect(false);
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

/// `origin` in hex, then one line per change: `S {server} {session}`, `M {account}`,
/// `V {server}` (a server's row) or `A`.
fn encode(origin: u64, changes: &[Change]) -> String {
    let mut out = format!("{origin:016x}");
    for change in changes {
        out.push('\n');
        match change {
            Change::Session(server, session) => {
                out.push_str(&format!("S {} {}", server.to_base64(), session.to_base64()));
            }
            Change::Messages(account) => out.push_str(&format!("M {account}")),
            Change::Server(server) => out.push_str(&format!("V {}", server.to_base64())),
            Change::All => out.push('A'),
        }
    }
    out
}

/// The changes of a payload another process sent (its own are skipped; anything unparsable is
/// dropped line by line).
fn decode(own_origin: u64, payload: &str) -> Vec<Change> {
    let mut lines = payload.split('\n');
    let origin = lines.next().and_then(|o| u64::from_str_radix(o, 16).ok());
    if origin.is_none_or(|o| o == own_origin) {
        return Vec::new();
    }
    lines
        .filter_map(|line| {
            let mut part = line.split(' ');
            match (part.next()?, part.next(), part.next()) {
                ("S", Some(server), Some(session)) => Some(Change::Session(
                    ServerId::from_base64(server).ok()?,
                    SessionRef::from_base64(session).ok()?,
                )),
                ("M", Some(account), None) => Some(Change::Messages(account.parse().ok()?)),
                ("V", Some(server), None) => {
                    Some(Change::Server(ServerId::from_base64(server).ok()?))
                }
                ("A", None, None) => Some(Change::All),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_round_trip_and_a_process_skips_its_own() {
        let changes = vec![
            Change::Session(ServerId([1; 16]), SessionRef([2; 16])),
            Change::Messages(42),
            Change::Server(ServerId([3; 16])),
            Change::All,
        ];
        let payload = encode(7, &changes);
        assert_eq!(decode(8, &payload), changes);
        assert!(decode(7, &payload).is_empty(), "its own announcement");
        assert!(decode(8, "zz\nM 1").is_empty(), "no origin");
        assert_eq!(
            decode(8, "0000000000000007\nM x\nS a\nQ\nM 5"),
            vec![Change::Messages(5)],
            "bad lines are dropped one by one"
        );
    }
}
