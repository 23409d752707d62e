//! Connections for the statements of an app's login (the scan, the account by its key, the
//! login's writes), given back without a test.
//!
//! sqlx's pool tests every connection it takes back with a round trip to the database (not
//! configurable in sqlx 0.8): on PostgreSQL a message each way, on SQLite two thread hand-offs.
//! That was a tenth of an app's login's server CPU (docs/benchmarks.md, "Cluster"). These
//! connections come from the pool, detached from it, and are given back only by
//! [`HotConnection::release`] once their statement succeeded: one dropped on an error, a
//! cancelled statement or a panic is closed instead, so no connection with work in flight is
//! handed out again. One is tested before it is handed out by the pool's rule
//! ([`needs_test`]: idle for 50 ms or more, or the database suspect).

use std::sync::atomic::AtomicBool;
use std::sync::Mutex;
use std::time::Instant;

use sqlx::{AnyConnection, AnyPool, Connection};
use tokio::sync::{Semaphore, SemaphorePermit};

use super::{needs_test, ACQUIRE_TIMEOUT};

/// The connections of [`super::Db::hot`], in use and idle together.
pub(super) struct HotConnections {
    idle: Mutex<Vec<(AnyConnection, Instant)>>,
    slots: Semaphore,
}

impl std::fmt::Debug for HotConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HotConnections")
            .field("free_slots", &self.slots.available_permits())
            .finish_non_exhaustive()
    }
}

impl HotConnections {
    pub(super) fn new(max: usize) -> Self {
        Self {
            idle: Mutex::new(Vec::new()),
            slots: Semaphore::new(max),
        }
    }

    /// The most recently given back idle connection (tested if it idled long or the database
    /// is suspect), else a new one from `pool`.
    pub(super) async fn take<'a>(
        &'a self,
        pool: &AnyPool,
        suspect: &AtomicBool,
    ) -> Result<HotConnection<'a>, sqlx::Error> {
        let slot = tokio::time::timeout(ACQUIRE_TIMEOUT, self.slots.acquire())
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)?
            .map_err(|_| sqlx::Error::PoolClosed)?;
        loop {
            let next = self.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let Some((mut conn, since)) = next else {
                // The pool connects it (with its settings) and opens another for itself.
                let conn = pool.acquire().await?.detach();
                return Ok(HotConnection::new(conn, self, slot));
            };
            if !needs_test(since.elapsed(), suspect) {
                return Ok(HotConnection::new(conn, self, slot));
            }
            match conn.ping().await {
                Ok(()) => return Ok(HotConnection::new(conn, self, slot)),
                // Ended by the database meanwhile: closed (dropped), and the next one tried.
                Err(err) => tracing::debug!(%err, "an idle connection failed its test"),
            }
        }
    }

    #[cfg(test)]
    fn idle_count(&self) -> usize {
        self.idle.lock().unwrap().len()
    }
}

/// A connection of [`super::Db::hot`]: use it as `&mut *conn`, then [`HotConnection::release`].
pub struct HotConnection<'a> {
    conn: Option<AnyConnection>,
    home: &'a HotConnections,
    _slot: SemaphorePermit<'a>,
}

impl<'a> HotConnection<'a> {
    fn new(conn: AnyConnection, home: &'a HotConnections, slot: SemaphorePermit<'a>) -> Self {
        Self {
            conn: Some(conn),
            home,
            _slot: slot,
        }
    }

    /// Gives the connection back for the next statement, untested: call it only after the
    /// statements on it succeeded (dropped without it, the connection is closed).
    pub fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = self.home.idle.lock().unwrap_or_else(|e| e.into_inner());
            idle.push((conn, Instant::now()));
        }
    }
}

impl std::ops::Deref for HotConnection<'_> {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        self.conn.as_ref().expect("present until released")
    }
}

impl std::ops::DerefMut for HotConnection<'_> {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        self.conn.as_mut().expect("present until released")
    }
}

#[cfg(test)]
mod tests {
    use super::super::Db;

    /// Whether the temporary table `marker` exists: temporary tables belong to the connection
    /// that made them, so this tells connections apart.
    async fn has_marker(conn: &mut sqlx::AnyConnection) -> bool {
        sqlx::query("SELECT COUNT(*) FROM marker")
            .fetch_one(conn)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn a_released_connection_is_reused_and_a_dropped_one_closed() {
        let dir = std::env::temp_dir().join(format!("nextauth-hot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("hot.db").display());
        let db = Db::open(&url).await.expect("open");

        let mut conn = db.hot().await.expect("take");
        sqlx::query("CREATE TEMPORARY TABLE marker (x INTEGER)")
            .execute(&mut *conn)
            .await
            .unwrap();
        conn.release();
        assert_eq!(db.hot.idle_count(), 1);

        // Given back: the same connection, untested, and dropped this time without release
        // (a statement that failed, or a cancelled one).
        let mut conn = db.hot().await.expect("take again");
        assert!(has_marker(&mut conn).await, "the released connection");
        drop(conn);
        assert_eq!(db.hot.idle_count(), 0, "a dropped connection is not kept");

        let mut conn = db.hot().await.expect("a new one");
        assert!(!has_marker(&mut conn).await, "a new connection");
        conn.release();

        // Idle past the check: tested (a ping), and still handed out.
        tokio::time::sleep(super::super::IDLE_CHECK * 2).await;
        let conn = db.hot().await.expect("after idling");
        conn.release();
        assert_eq!(db.hot.idle_count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
