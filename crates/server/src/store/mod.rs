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

/// A query on the `Any` driver.
pub(crate) type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// For a PostgreSQL statement `WITH s AS (…) … SELECT … FROM s` that announces its own change
/// to the other processes ([`crate::cluster::Bus::payload`]): `pg_notify($first, $first + 1)`
/// (channel, payload; bound by [`bind_announcement`]) over the rows of `s`, so that it goes
/// out at the statement's commit and only if `s` changed a row. Returns the CTE to add after
/// the others and the column to add to the outer `SELECT`: a CTE without writes runs only if
/// the query reads it.
pub(crate) fn announcing(first: usize) -> (String, &'static str) {
    (
        format!(", n AS (SELECT pg_notify(${first}, ${}) FROM s)", first + 1),
        ", (SELECT COUNT(*) FROM n) AS announced",
    )
}

/// Binds the channel and `payload` of [`announcing`]'s parameters, the next two of `query`.
pub(crate) fn bind_announcement<'q>(query: AnyQuery<'q>, payload: &str) -> AnyQuery<'q> {
    query.bind(crate::cluster::CHANNEL).bind(payload.to_owned())
}
