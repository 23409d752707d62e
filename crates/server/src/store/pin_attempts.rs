//! The server-side PIN attempt counter, safe against parallel guesses.
//!
//! Every guess reserves an attempt with one conditional `UPDATE … RETURNING` before its proof
//! is checked, so no number of parallel connections (or server processes sharing the database)
//! gets more than `max` proofs judged. A correct proof then resets the counter only while the
//! PIN is not blocked. A login that asks for the PIN first opens the account's one PIN
//! challenge; a newer challenge supersedes it, and a proof for a superseded challenge is not
//! judged at all.

use sqlx::Row;

use super::accounts::{self, AccountRow};
use super::StoreResult;
use crate::db::{flag, Db};
use crate::keys::MasterKey;

/// Whether a PIN challenge could be opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Challenge {
    /// Open; this many wrong PINs so far.
    Open {
        /// Wrong PINs counted so far.
        failures: u8,
    },
    /// The PIN is blocked.
    Blocked,
}

/// The outcome of reserving an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt is counted; the proof may be checked.
    Granted,
    /// No attempt is left: the PIN is (now) blocked.
    Blocked,
    /// A newer challenge replaced this one; the proof is not checked.
    Superseded,
}

fn count(v: i64) -> u8 {
    u8::try_from(v).unwrap_or(u8::MAX)
}

/// Opens the account's PIN challenge `token`, replacing any earlier one.
pub async fn open_challenge(
    db: &Db,
    account_id: i64,
    token: &[u8; 16],
    max: u8,
) -> StoreResult<Challenge> {
    let row = sqlx::query(
        "UPDATE accounts SET pin_challenge = $1 \
         WHERE account_id = $2 AND pin_blocked = 0 AND pin_failures < $3 RETURNING pin_failures",
    )
    .bind(token.to_vec())
    .bind(account_id)
    .bind(i64::from(max))
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(row) => Challenge::Open {
            failures: count(row.try_get("pin_failures")?),
        },
        None => {
            block_if_exhausted(db, account_id, max).await?;
            Challenge::Blocked
        }
    })
}

/// Reserves one attempt: for the challenge `token` (a login's PIN question), or with `None`
/// for a proof sent unasked (CONNECT: PIN check, PIN change), which supersedes any challenge.
pub async fn reserve(
    db: &Db,
    account_id: i64,
    token: Option<&[u8; 16]>,
    max: u8,
) -> StoreResult<Reservation> {
    let granted = match token {
        Some(token) => sqlx::query(
            "UPDATE accounts SET pin_failures = pin_failures + 1, pin_challenge = NULL \
             WHERE account_id = $1 AND pin_challenge = $2 AND pin_blocked = 0 AND pin_failures < $3 \
             RETURNING pin_failures",
        )
        .bind(account_id)
        .bind(token.to_vec())
        .bind(i64::from(max))
        .fetch_optional(&db.pool)
        .await?
        .is_some(),
        None => sqlx::query(
            "UPDATE accounts SET pin_failures = pin_failures + 1, pin_challenge = NULL \
             WHERE account_id = $1 AND pin_blocked = 0 AND pin_failures < $2 RETURNING pin_failures",
        )
        .bind(account_id)
        .bind(i64::from(max))
        .fetch_optional(&db.pool)
        .await?
        .is_some(),
    };
    if granted {
        return Ok(Reservation::Granted);
    }
    if block_if_exhausted(db, account_id, max).await? {
        Ok(Reservation::Blocked)
    } else {
        Ok(Reservation::Superseded)
    }
}

/// Marks the PIN blocked when no attempt is left (also after a crash between a reservation and
/// its verdict); returns whether it is blocked.
async fn block_if_exhausted(db: &Db, account_id: i64, max: u8) -> StoreResult<bool> {
    let row = sqlx::query(
        "UPDATE accounts SET pin_blocked = CASE WHEN pin_failures >= $1 THEN 1 ELSE pin_blocked END \
         WHERE account_id = $2 RETURNING pin_blocked",
    )
    .bind(i64::from(max))
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(row) => flag(row.try_get("pin_blocked")?),
        // A deleted account has no attempt left either.
        None => true,
    })
}

/// The reserved attempt's proof was right: resets the counter and starts the PIN timeout,
/// unless the PIN was blocked meanwhile. Returns whether the PIN counts as right.
pub async fn succeeded(db: &Db, account_id: i64, now: u64) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET pin_failures = 0, last_pin_at = $1 WHERE account_id = $2 AND pin_blocked = 0",
    )
    .bind(now as i64)
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The reserved attempt's proof was wrong: blocks the PIN if it was the last attempt. Returns
/// the wrong PINs counted and whether the PIN is blocked.
pub async fn failed(db: &Db, account_id: i64, max: u8) -> StoreResult<(u8, bool)> {
    let row = sqlx::query(
        "UPDATE accounts SET pin_blocked = CASE WHEN pin_failures >= $1 THEN 1 ELSE pin_blocked END \
         WHERE account_id = $2 RETURNING pin_failures, pin_blocked",
    )
    .bind(i64::from(max))
    .bind(account_id)
    .fetch_optional(&db.pool)
    .await?;
    Ok(match row {
        Some(row) => (
            count(row.try_get("pin_failures")?),
            flag(row.try_get("pin_blocked")?),
        ),
        None => (max, true),
    })
}

/// Why a new PIN verifier is stored, and so when it may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerifierWrite {
    /// A PIN change after a right proof of the current PIN: unless the PIN was blocked
    /// meanwhile.
    Change,
    /// The PIN the person set after the integrator reset it: if the reset is still pending.
    AfterReset,
    /// The first PIN of an account that had none (its server began to require one:
    /// HEADLESS_UPGRADE): unless it has one meanwhile.
    First,
}

impl VerifierWrite {
    /// The columns this write also clears (`"column = value,"` each) and the condition the
    /// account must still meet: constant SQL.
    fn sql(self) -> (&'static str, &'static str) {
        match self {
            Self::Change => ("", "pin_blocked = 0"),
            Self::AfterReset => (
                "pin_reset = 0, pin_blocked = 0, pin_challenge = NULL,",
                "pin_reset = 1",
            ),
            Self::First => (
                "pin_blocked = 0, pin_challenge = NULL,",
                "pin_verifier_sealed IS NULL",
            ),
        }
    }
}

/// Stores a new PIN verifier (sealed; no failures, PIN used `now`) when `why` allows it.
/// Returns whether it was stored.
pub async fn store_verifier(
    db: &Db,
    master: &MasterKey,
    rng: &(dyn ring::rand::SecureRandom + Sync),
    account: &AccountRow,
    verifier: &[u8; 32],
    now: u64,
    why: VerifierWrite,
) -> StoreResult<bool> {
    let sealed = accounts::seal_pin_verifier(master, rng, account, verifier)?;
    let (clear, condition) = why.sql();
    let sql = format!(
        "UPDATE accounts SET pin_verifier_sealed = $1, {clear} pin_failures = 0, last_pin_at = $2 \
         WHERE account_id = $3 AND {condition}"
    );
    let done = sqlx::query(&sql)
        .bind(sealed)
        .bind(now as i64)
        .bind(account.account_id)
        .execute(&db.pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The integrator's way out of a blocked PIN: the counter is cleared and the app must set a
/// PIN again at the account's next login or transaction. `false` when the account does not
/// exist or has no PIN.
pub async fn reset(
    db: &Db,
    server: &nextauth_protocol::ids::ServerId,
    account_id: i64,
) -> StoreResult<bool> {
    let done = sqlx::query(
        "UPDATE accounts SET pin_blocked = 0, pin_failures = 0, pin_challenge = NULL, pin_reset = 1 \
         WHERE server_id = $1 AND account_id = $2 AND deleted = 0 AND pin_verifier_sealed IS NOT NULL",
    )
    .bind(server.0.to_vec())
    .bind(account_id)
    .execute(&db.pool)
    .await?;
    Ok(done.rows_affected() == 1)
}
