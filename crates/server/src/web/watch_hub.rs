//! One watcher per process for every session the browser sockets follow.
//!
//! A socket does not poll the database itself: it registers the sessions it follows here and
//! sleeps until woken. The hub listens to change announcements (this process's, and on
//! PostgreSQL the other processes' through [`crate::cluster`]) and reads the versions of all
//! followed sessions in a few batched queries every [`POLL_INTERVAL`] where other processes'
//! changes arrive only that way (a shared SQLite file), else at the slow safety interval. It
//! wakes only the sockets
//! whose sessions changed, which then re-read their own rows. An idle socket costs nothing but
//! its place in a map, so a thousand open sockets cost two queries a second instead of two
//! thousand, and a login wakes the sockets that follow it rather than every socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use nextauth_protocol::ids::{ServerId, SessionRef};
use sqlx::Row;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Notify;

use crate::state::{AppState, Change, SharedState};
use crate::store::StoreResult;

/// How often the followed sessions are read from the database.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Most session references in one query.
const BATCH: usize = 256;

type Key = (ServerId, SessionRef);

/// A followed session: the version last read, and the sockets to wake when it grows.
struct Followed {
    version: i64,
    sockets: Vec<(u64, Arc<Notify>)>,
}

/// Every followed session of this process.
#[derive(Default)]
pub struct WatchHub {
    followed: Mutex<HashMap<Key, Followed>>,
    next_socket: AtomicU64,
    running: AtomicBool,
}

impl std::fmt::Debug for WatchHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchHub")
            .field("sessions", &self.lock().len())
            .finish_non_exhaustive()
    }
}

/// A socket's membership: what it follows, and how it is woken. Leaves the hub on drop.
pub struct Subscription {
    state: SharedState,
    id: u64,
    wake: Arc<Notify>,
    keys: Vec<Key>,
}

impl Subscription {
    /// Follows `session` of `server`, whose version the socket has just read (`-1`: no row).
    pub fn follow(&mut self, server: ServerId, session: SessionRef, version: i64) {
        let key = (server, session);
        if self.keys.contains(&key) {
            return;
        }
        self.keys.push(key);
        let mut followed = self.state.watchers.lock();
        let entry = followed.entry(key).or_insert(Followed {
            version,
            sockets: Vec::new(),
        });
        entry.sockets.push((self.id, self.wake.clone()));
    }

    /// Completes when one of the followed sessions may have changed.
    pub async fn changed(&self) {
        self.wake.notified().await;
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut followed = self.state.watchers.lock();
        for key in &self.keys {
            if let Some(entry) = followed.get_mut(key) {
                entry.sockets.retain(|(id, _)| *id != self.id);
                if entry.sockets.is_empty() {
                    followed.remove(key);
                }
            }
        }
    }
}

impl WatchHub {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, Followed>> {
        // Every update is a single step: a panic elsewhere leaves the map consistent.
        self.followed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// How many sessions the open sockets follow (each counted once).
    pub fn followed_sessions(&self) -> usize {
        self.lock().len()
    }

    /// A new socket's membership; starts the hub's task on first use.
    pub fn subscribe(state: &SharedState) -> Subscription {
        let hub = &state.watchers;
        if !hub.running.swap(true, Ordering::SeqCst) {
            tokio::spawn(run(Arc::downgrade(state)));
        }
        Subscription {
            state: state.clone(),
            id: hub.next_socket.fetch_add(1, Ordering::Relaxed),
            wake: Arc::new(Notify::new()),
            keys: Vec::new(),
        }
    }

    /// Wakes the sockets that follow `key` (or every socket).
    fn wake(&self, key: Option<&Key>) {
        let followed = self.lock();
        let entries: Box<dyn Iterator<Item = &Followed>> = match key {
            Some(key) => Box::new(followed.get(key).into_iter()),
            None => Box::new(followed.values()),
        };
        for entry in entries {
            for (_, wake) in &entry.sockets {
                wake.notify_one();
            }
        }
    }

    /// Reads the followed sessions' versions and wakes the sockets of those that grew.
    async fn poll(&self, state: &AppState) -> StoreResult<()> {
        let mut by_server: HashMap<ServerId, Vec<SessionRef>> = HashMap::new();
        for (server, session) in self.lock().keys() {
            by_server.entry(*server).or_default().push(*session);
        }
        for (server, sessions) in by_server {
            for batch in sessions.chunks(BATCH) {
                let versions = versions(state, &server, batch).await?;
                let mut followed = self.lock();
                for (session, version) in versions {
                    if let Some(entry) = followed.get_mut(&(server, session)) {
                        if version > entry.version {
                            entry.version = version;
                            for (_, wake) in &entry.sockets {
                                wake.notify_one();
                            }
                        }
                    }
                }
            }
        }
        Ok(())
    }
}

/// The current versions of `sessions` of `server` that have a row.
async fn versions(
    state: &AppState,
    server: &ServerId,
    sessions: &[SessionRef],
) -> StoreResult<Vec<(SessionRef, i64)>> {
    let placeholders: Vec<String> = (0..sessions.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT session_ref, version FROM sessions WHERE server_id = $1 AND session_ref IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(server.0.to_vec());
    for session in sessions {
        query = query.bind(session.0.to_vec());
    }
    let rows = query.fetch_all(&state.db.pool).await?;
    rows.iter()
        .map(|row| {
            let session = SessionRef(crate::store::fixed(
                row.try_get("session_ref")?,
                "sessions",
            )?);
            Ok((session, row.try_get("version")?))
        })
        .collect()
}

/// The hub's task: wakes followers on this process's announcements at once, and on changes
/// from other processes at the next poll. Ends with the state.
async fn run(state: Weak<AppState>) {
    let Some(mut changes) = state.upgrade().map(|s| s.changes.subscribe()) else {
        return;
    };
    let mut next_poll = tokio::time::Instant::now();
    loop {
        tokio::select! {
            change = changes.recv() => {
                let Some(state) = state.upgrade() else { return };
                match change {
                    Ok(Change::Session(server, session)) => {
                        state.watchers.wake(Some(&(server, session)));
                    }
                    Ok(Change::Messages(_) | Change::Server(_)) => {}
                    Ok(Change::All) | Err(RecvError::Lagged(_)) => state.watchers.wake(None),
                    Err(RecvError::Closed) => return,
                }
            }
            () = tokio::time::sleep_until(next_poll) => {
                let Some(state) = state.upgrade() else { return };
                next_poll = tokio::time::Instant::now() + state.poll_interval(POLL_INTERVAL);
                if let Err(err) = state.watchers.poll(&state).await {
                    tracing::warn!(%err, "browser sessions could not be read; next try at the next poll");
                }
            }
        }
    }
}
