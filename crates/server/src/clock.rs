//! The server's one read of the wall clock. Protocol code takes time as a parameter; only the
//! I/O edges call this.

/// Unix seconds now.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
