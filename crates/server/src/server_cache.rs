//! Server rows kept in memory for the app endpoint's hello (PostgreSQL only), so that an app's
//! login does not read its server's row with a statement of its own.
//!
//! Three things keep an entry from being used stale (docs/server.md, "The server row cache"):
//! - every entry carries the row version it was read with (PostgreSQL's `xmin`, which any
//!   write to the row changes), and the hello's first statement applies only while the row
//!   still has that version ([`crate::store::sessions::scan`]); otherwise the hello reads the
//!   row again. So a write committed before that statement began, however it was made (the
//!   REST API on any process, `psql`), is never missed.
//! - a write through this server announces [`crate::state::Change::Server`]; hearing it (from
//!   any process) forgets the entry, so the next hello does not even try the old version;
//! - while the process does not listen to the other processes' announcements, nothing is
//!   served from the cache and it is emptied ([`crate::cluster`]).
//!
//! On SQLite nothing is cached: processes sharing a file announce nothing to each other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use nextauth_protocol::ids::ServerId;

use crate::store::servers::ServerRow;

/// A cached row with the version it was read at.
#[derive(Debug, Clone)]
pub struct Cached {
    /// The row.
    pub row: Arc<ServerRow>,
    /// Its version (`xmin` as text) when read.
    pub version: String,
}

/// The cache: a few entries, one per virtual server.
#[derive(Debug, Default)]
pub struct ServerCache(Mutex<Inner>);

#[derive(Debug, Default)]
struct Inner {
    /// Bumped by every forget and clear: a row read before one of them is not entered after
    /// it (the read may predate the write that caused it).
    epoch: u64,
    rows: HashMap<ServerId, Cached>,
}

impl ServerCache {
    /// The entry for `server`, if any.
    pub fn get(&self, server: &ServerId) -> Option<Cached> {
        self.lock().rows.get(server).cloned()
    }

    /// The epoch to pass to [`Self::fill`]: taken before the row is read.
    pub fn epoch(&self) -> u64 {
        self.lock().epoch
    }

    /// Enters a row read after [`Self::epoch`] returned `epoch`, unless something was
    /// forgotten since.
    pub fn fill(&self, epoch: u64, row: Arc<ServerRow>, version: String) {
        let mut inner = self.lock();
        if inner.epoch == epoch {
            inner.rows.insert(row.server_id, Cached { row, version });
        }
    }

    /// Forgets `server`'s entry (its row changed).
    pub fn forget(&self, server: &ServerId) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.rows.remove(server);
    }

    /// Forgets everything (announcements may have been missed).
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.epoch += 1;
        inner.rows.clear();
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding it left a map that is still whole.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: ServerId) -> Arc<ServerRow> {
        Arc::new(ServerRow::for_tests(id))
    }

    #[test]
    fn a_row_read_before_a_forget_or_a_clear_is_not_entered_after_it() {
        let cache = ServerCache::default();
        let (one, two) = (ServerId([1; 16]), ServerId([2; 16]));
        let epoch = cache.epoch();
        cache.fill(epoch, row(one), "10".into());
        assert_eq!(cache.get(&one).map(|c| c.version).as_deref(), Some("10"));

        // A read that began before another server's row was forgotten: not entered (the
        // epoch is one for all rows).
        let epoch = cache.epoch();
        cache.forget(&two);
        cache.fill(epoch, row(two), "20".into());
        assert!(cache.get(&two).is_none());
        assert!(
            cache.get(&one).is_some(),
            "a forget touches its own row only"
        );

        let epoch = cache.epoch();
        cache.clear();
        cache.fill(epoch, row(two), "21".into());
        assert!(cache.get(&one).is_none() && cache.get(&two).is_none());

        let epoch = cache.epoch();
        cache.fill(epoch, row(two), "22".into());
        assert_eq!(cache.get(&two).map(|c| c.version).as_deref(), Some("22"));
    }
}
