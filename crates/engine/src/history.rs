//! History entries as the engine drafts them; the driver stamps the time and stores them.

use nextauth_protocol::ids::ServerId;

use crate::model::{Announce, HistoryKind, HistoryStatus};

/// A new history entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryDraft {
    /// When.
    pub at: u64,
    /// What it records.
    pub kind: HistoryKind,
    /// How it ended.
    pub status: HistoryStatus,
    /// Server, when known.
    pub server_id: Option<ServerId>,
    /// Server name ("" when unknown).
    pub server_name: String,
    /// Account, when known.
    pub account_id: Option<String>,
    /// Account name ("" when unknown).
    pub account_name: String,
    /// What was shown.
    pub announce: Option<Announce>,
    /// Error code for failures.
    pub error_code: Option<u16>,
    /// Free text.
    pub detail: String,
}
