//! Storage faults on purpose, for tests: every write site of the [`super::Store`] asks the plan
//! first, and from the chosen write on, fails as SQLite does when the disk is full. The tests
//! walk the fault through every write of a journey and check that nothing reports success that
//! was not stored, and that nothing stored is left half-done.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::error::{SdkError, SdkResult};

/// Which writes fail.
#[derive(Debug)]
pub struct StorageFaults {
    writes: AtomicUsize,
    fail_from: AtomicUsize,
    sites: Mutex<Vec<&'static str>>,
}

impl Default for StorageFaults {
    fn default() -> Self {
        Self {
            writes: AtomicUsize::new(0),
            fail_from: AtomicUsize::new(usize::MAX),
            sites: Mutex::new(Vec::new()),
        }
    }
}

impl StorageFaults {
    /// Makes write number `n` (counting from 0 from now on) and every later one fail.
    pub fn fail_from(&self, n: usize) {
        self.writes.store(0, Ordering::SeqCst);
        if let Ok(mut sites) = self.sites.lock() {
            sites.clear();
        }
        self.fail_from.store(n, Ordering::SeqCst);
    }

    /// Lets every write through again (space came back).
    pub fn heal(&self) {
        self.fail_from.store(usize::MAX, Ordering::SeqCst);
    }

    /// The write sites reached since the last [`StorageFaults::fail_from`], in order.
    pub fn sites(&self) -> Vec<&'static str> {
        self.sites.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub(super) fn check(&self, site: &'static str) -> SdkResult<()> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst);
        if let Ok(mut sites) = self.sites.lock() {
            sites.push(site);
        }
        if n >= self.fail_from.load(Ordering::SeqCst) {
            return Err(SdkError::Storage(sqlx::Error::Io(std::io::Error::new(
                std::io::ErrorKind::StorageFull,
                "database or disk is full (injected)",
            ))));
        }
        Ok(())
    }
}
