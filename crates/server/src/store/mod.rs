//! Queries, one module per table. Every function takes the pool (or a transaction) and plain
//! values; secrets are sealed with the master key before they are written.

pub mod accounts;
pub mod api_keys;
pub mod attributes;
pub mod enrol_codes;
pub mod fraud_reports;
pub mod logins;
pub mod messages;
pub mod pin_attempts;
pub mod ping_deadlines;
pub mod push_tokens;
pub mod query;
pub mod retention;
pub mod servers;
pub mod session_event;
pub mod sessions;
pub mod transactions;
pub mod users;

use crate::keys::KeyError;

/// Why a storage operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    /// A sealed secret did not open.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// A row holds a value that cannot be right (wrong length, bad JSON).
    #[error("corrupt row in {0}")]
    Corrupt(&'static str),
    /// Encoding protocol data failed.
    #[error("protocol encoding: {0}")]
    Protocol(#[from] nextauth_protocol::ProtocolError),
}

/// Result of a storage operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// A fixed-length byte column.
pub(crate) fn fixed<const N: usize>(bytes: Vec<u8>, table: &'static str) -> StoreResult<[u8; N]> {
    bytes.try_into().map_err(|_| StoreError::Corrupt(table))
}
