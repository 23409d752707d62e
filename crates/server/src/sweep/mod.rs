//! The background sweep: deletes what is finished (sessions, enrol codes, transactions, push
//! messages) once it is older than its retention ([`RetentionConfig`]), so that nothing an
//! anonymous client can create stays forever. It runs when the server starts and then every
//! `--sweep-interval`.
//!
//! With several processes on one PostgreSQL database, one sweep at a time runs: each takes a
//! transaction-scoped advisory lock first and skips its turn if another process holds it. The
//! deletes are idempotent, so several processes on one SQLite file simply repeat them.

pub mod options;

use std::time::Duration;

use crate::clock;
use crate::db::Backend;
use crate::state::{Change, SharedState};
use crate::store::{messages, ping_deadlines, retention, StoreResult};

pub use options::RetentionConfig;

/// The PostgreSQL advisory lock of the sweep (migrations use 7406201).
const SWEEP_LOCK: i64 = 7_406_202;

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Swept {
    /// Sessions no account logged into.
    pub idle_sessions: u64,
    /// Sessions an account logged into.
    pub sessions: u64,
    /// Enrol codes.
    pub enrol_codes: u64,
    /// Transactions.
    pub transactions: u64,
    /// Push messages.
    pub messages: u64,
}

impl Swept {
    fn total(&self) -> u64 {
        self.idle_sessions + self.sessions + self.enrol_codes + self.transactions + self.messages
    }
}

/// How often the rate-limit buckets of clients that went quiet are dropped (their memory is
/// what an address-spraying client could grow).
const FORGET_INTERVAL: Duration = Duration::from_secs(60);

/// How often continuous sessions past their ping deadline are logged out (no process pinged
/// them and no app resumed them: [`ping_deadlines`]). One indexed update; every process runs
/// it, since it is idempotent.
const EXPIRY_INTERVAL: Duration = Duration::from_secs(2);

/// Starts the sweep task: a sweep now, then one every interval, until the handle is aborted.
/// The same task also forgets rate-limit buckets of clients that went quiet, every minute, and
/// ends orphaned continuous sessions every [`EXPIRY_INTERVAL`].
pub fn spawn(state: SharedState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(state.config.retention.sweep_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut forget = tokio::time::interval(FORGET_INTERVAL);
        forget.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut expiry = tokio::time::interval(EXPIRY_INTERVAL);
        expiry.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = expiry.tick() => {
                    if let Err(err) = expire_orphans(&state, clock::now()).await {
                        tracing::warn!(%err, "ping deadline check failed; next try soon");
                    }
                    continue;
                }
                _ = forget.tick() => {
                    state.limits.forget_idle();
                    state.checks.forget_idle();
                    continue;
                }
            }
            match run_once(&state, clock::now()).await {
                Ok(Some(swept)) if swept.total() > 0 => {
                    tracing::info!(?swept, "swept finished rows");
                }
                Ok(_) => {}
                Err(err) => tracing::warn!(%err, "sweep failed; next try at the next interval"),
            }
        }
    })
}

/// Logs out the continuous sessions whose ping deadline passed before `now`, and tells their
/// watchers (browser sockets, other processes); returns how many.
///
/// # Errors
///
/// Fails when the database does.
pub async fn expire_orphans(state: &SharedState, now: u64) -> StoreResult<usize> {
    let expired = ping_deadlines::expire(&state.db, now).await?;
    for (server_id, session_ref) in &expired {
        state.notify(Change::Session(*server_id, *session_ref));
    }
    if !expired.is_empty() {
        tracing::info!(
            count = expired.len(),
            "continuous sessions logged out: no pong and no resume before their deadline"
        );
    }
    Ok(expired.len())
}

/// One sweep at time `now`; `None` when another process is sweeping the same database.
///
/// # Errors
///
/// Fails when the database does.
pub async fn run_once(state: &SharedState, now: u64) -> StoreResult<Option<Swept>> {
    let db = &state.db;
    let mut lock = None;
    if db.backend == Backend::Postgres {
        let mut tx = db.pool.begin().await?;
        let (locked,): (i64,) = sqlx::query_as(
            "SELECT CAST(CASE WHEN pg_try_advisory_xact_lock($1) THEN 1 ELSE 0 END AS BIGINT)",
        )
        .bind(SWEEP_LOCK)
        .fetch_one(&mut *tx)
        .await?;
        if locked == 0 {
            return Ok(None);
        }
        // Held (by this open transaction) until the sweep is done.
        lock = Some(tx);
    }
    let retention = &state.config.retention;
    let cutoff = |keep: Option<Duration>| keep.map(|keep| now.saturating_sub(keep.as_secs()));
    let mut swept = Swept::default();
    if let Some(before) = cutoff(retention.idle_sessions) {
        swept.idle_sessions = retention::idle_sessions(db, before).await?;
    }
    if let Some(before) = cutoff(retention.sessions) {
        swept.sessions = retention::used_sessions(db, before).await?;
    }
    if let Some(before) = cutoff(retention.enrol_codes) {
        swept.enrol_codes = retention::enrol_codes(db, before).await?;
    }
    if let Some(before) = cutoff(retention.transactions) {
        swept.transactions = retention::transactions(db, before).await?;
    }
    if let Some(before) = cutoff(retention.messages) {
        swept.messages = messages::prune(db, before).await?;
    }
    if let Some(tx) = lock {
        tx.rollback().await?;
    }
    Ok(Some(swept))
}
