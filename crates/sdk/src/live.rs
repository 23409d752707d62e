//! Live delivery: one CONNECT session kept open per account, so that what a server queues for
//! the app (push logins, logouts, deletions, message-center messages) arrives at once on
//! platforms without FCM or APNs, such as the desktop. Each connection first pulls what was
//! missed; a connection that fails is opened again after a growing, jittered pause; deletions
//! the server has not confirmed are retried the same way.

use std::collections::HashMap;
use std::time::Duration;

use nextauth_protocol::messages::{AppRecord, ServerRecord};
use ring::rand::SecureRandom;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::account_ops::AccountChannel;
use crate::error::{SdkError, SdkResult};
use crate::model::Event;
use crate::store::AccountRecord;
use crate::Sdk;

/// How often an idle connection is probed (a pull the server must answer), so that a
/// connection that died silently (a network change, a sleeping laptop) is noticed.
const PROBE_EVERY: Duration = Duration::from_secs(60);
/// How long the answer to a probe may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(15);
/// The first and the longest pause before opening a failed connection again.
const FIRST_PAUSE: Duration = Duration::from_secs(1);
const LONGEST_PAUSE: Duration = Duration::from_secs(120);
/// How often the account list is checked even without an account event (a connection task
/// that ended, an account added by another process on the same data directory).
const RECHECK_EVERY: Duration = Duration::from_secs(30);

/// Live delivery while this handle lives; dropping it closes every connection.
#[derive(Debug)]
pub struct LiveDelivery {
    supervisor: JoinHandle<()>,
}

impl Drop for LiveDelivery {
    fn drop(&mut self) {
        // The supervisor owns the connection tasks (`Task` aborts on drop).
        self.supervisor.abort();
    }
}

/// A connection task, aborted when dropped.
struct Task(JoinHandle<()>);

impl Drop for Task {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Sdk {
    /// Starts live delivery for every account, now and as accounts come and go. Call it once
    /// where no platform push service exists (desktop); on mobile, hand FCM or APNs payloads
    /// to [`Sdk::handle_push`] instead.
    pub fn start_live_delivery(&self) -> LiveDelivery {
        let events = self.subscribe();
        LiveDelivery {
            supervisor: tokio::spawn(supervise(self.clone(), events)),
        }
    }
}

/// Keeps one connection task per account.
async fn supervise(sdk: Sdk, mut events: tokio::sync::broadcast::Receiver<Event>) {
    let mut tasks: HashMap<String, Task> = HashMap::new();
    loop {
        match sdk.inner.store.accounts().await {
            Ok(records) => {
                tasks.retain(|id, task| {
                    !task.0.is_finished() && records.iter().any(|r| &r.id == id)
                });
                for record in records {
                    tasks.entry(record.id.clone()).or_insert_with(|| {
                        Task(tokio::spawn(keep_connected(sdk.clone(), record.id)))
                    });
                }
            }
            Err(err) => tracing::warn!(code = err.code(), "live delivery cannot list accounts"),
        }
        let recheck = tokio::time::sleep(RECHECK_EVERY);
        tokio::pin!(recheck);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(Event::AccountUpdate { .. } | Event::AccountDeleted { .. })
                    | Err(RecvError::Lagged(_)) => break,
                    Ok(_) => {}
                    Err(RecvError::Closed) => return,
                },
                () = &mut recheck => break,
            }
        }
    }
}

/// Keeps `account_id` connected until the account is gone.
async fn keep_connected(sdk: Sdk, account_id: String) {
    let mut pause = Pause::new();
    loop {
        let record = match sdk.inner.store.account(&account_id).await {
            Ok(Some(record)) => record,
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(code = err.code(), "live delivery cannot read an account");
                pause.wait(&sdk).await;
                continue;
            }
        };
        if record.pending_delete {
            match sdk.retry_delete(&record, false).await {
                Ok(true) => return,
                Ok(false) => {}
                Err(err) => tracing::info!(code = err.code(), "deletion not confirmed yet"),
            }
        } else {
            match sdk.serve_live(&record, &mut pause).await {
                Ok(()) => return,
                Err(err) => {
                    tracing::info!(code = err.code(), %err, "live connection ended");
                }
            }
        }
        pause.wait(&sdk).await;
    }
}

impl Sdk {
    /// One live connection: pull what was missed, then handle deliveries as they come,
    /// probing when idle. `Ok` when the account was deleted (nothing more to do).
    async fn serve_live(&self, record: &AccountRecord, pause: &mut Pause) -> SdkResult<()> {
        let mut ch = AccountChannel::open(&self.inner, record).await?;
        tracing::info!(server_id = ?record.server_id, "live connection open");
        pause.reset();
        ch.send(&AppRecord::PullMessages).await?;
        // Before the first answer, and after each probe: the answer's deadline.
        let mut answer_due = Some(Instant::now() + PROBE_TIMEOUT);
        let mut next_probe = Instant::now() + PROBE_EVERY;
        loop {
            let wake = answer_due.map_or(next_probe, |due| due.min(next_probe));
            tokio::select! {
                received = ch.recv_unhurried() => {
                    answer_due = None;
                    next_probe = Instant::now() + PROBE_EVERY;
                    match received? {
                        ServerRecord::Messages { envelopes } => {
                            let (_, deleted) = self.handle_envelopes(&mut ch, record, &envelopes).await?;
                            if deleted {
                                return Ok(());
                            }
                        }
                        ServerRecord::Refused { code } => return Err(SdkError::Refused(code)),
                        _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
                    }
                }
                () = tokio::time::sleep_until(wake) => {
                    if answer_due.is_some_and(|due| due <= Instant::now()) {
                        return Err(SdkError::Timeout);
                    }
                    ch.send(&AppRecord::PullMessages).await?;
                    answer_due = Some(Instant::now() + PROBE_TIMEOUT);
                    next_probe = Instant::now() + PROBE_EVERY;
                }
            }
        }
    }
}

/// Growing pauses between attempts: doubled after each failure up to [`LONGEST_PAUSE`], with
/// up to a quarter of random extra so that many apps do not return to a restarted server at
/// the same instant.
struct Pause {
    next: Duration,
}

impl Pause {
    fn new() -> Self {
        Self { next: FIRST_PAUSE }
    }

    fn reset(&mut self) {
        self.next = FIRST_PAUSE;
    }

    async fn wait(&mut self, sdk: &Sdk) {
        let mut byte = [0u8; 1];
        let extra = match sdk.inner.rng.fill(&mut byte) {
            Ok(()) => self.next / 4 * u32::from(byte[0]) / 255,
            Err(_) => Duration::ZERO,
        };
        tokio::time::sleep(self.next + extra).await;
        self.next = (self.next * 2).min(LONGEST_PAUSE);
    }
}
