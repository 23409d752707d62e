//! Live delivery: one CONNECT session kept open per server, so that what a server queues for
//! the app's accounts there (push logins, logouts, deletions, message-center messages) arrives
//! at once on platforms without FCM or APNs, such as the desktop. The session opens as one
//! account and adds the app's other accounts on that server (`AddAccount`, each proving its
//! key), so ten accounts on one server cost one connection. Each connection first pulls what
//! was missed; a connection that fails is opened again after a growing, jittered pause;
//! deletions the server has not confirmed are retried the same way.

use std::collections::HashMap;
use std::time::Duration;

use nextauth_protocol::ids::ServerId;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use ring::rand::SecureRandom;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::channel::{AccountChannel, Heard};
use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};
use crate::model::Event;
use crate::store::AccountRecord;
use crate::Sdk;

/// How often an idle connection is probed (a pull the server must answer), so that a
/// connection that died silently (a network change, a sleeping laptop) is noticed.
const PROBE_EVERY: Duration = Duration::from_secs(60);
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

/// Keeps one connection task per server that has accounts here. A task is replaced when the
/// set of accounts of its server changes (enrolled, deleted, marked for deletion).
async fn supervise(sdk: Sdk, mut events: tokio::sync::broadcast::Receiver<Event>) {
    // Per server: the accounts its task was started for, and the task.
    let mut tasks: HashMap<ServerId, (Vec<(String, bool)>, Task)> = HashMap::new();
    let mut settling: Option<Task> = None;
    loop {
        // What a stop or a full disk left unsettled is settled while the app runs.
        if settling.as_ref().is_none_or(|t| t.0.is_finished())
            && sdk.inner.store.has_unsettled().await.unwrap_or(false)
        {
            let sdk = sdk.clone();
            settling = Some(Task(tokio::spawn(async move {
                if let Err(err) = sdk.reconcile().await {
                    tracing::warn!(code = err.code(), "cannot settle with the servers");
                }
            })));
        }
        match sdk.inner.store.accounts().await {
            Ok(records) => {
                let mut by_server: HashMap<ServerId, Vec<(String, bool)>> = HashMap::new();
                for record in &records {
                    by_server
                        .entry(record.server_id)
                        .or_default()
                        .push((record.id.clone(), record.pending_delete));
                }
                for accounts in by_server.values_mut() {
                    accounts.sort();
                }
                tasks.retain(|server, (accounts, task)| {
                    !task.0.is_finished() && by_server.get(server) == Some(accounts)
                });
                for (server, accounts) in by_server {
                    tasks.entry(server).or_insert_with(|| {
                        let task = Task(tokio::spawn(keep_connected(sdk.clone(), server)));
                        (accounts, task)
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

/// Keeps the app's accounts on `server` connected until none is left; retries the deletions
/// the server has not confirmed.
async fn keep_connected(sdk: Sdk, server: ServerId) {
    let mut pause = Pause::new();
    loop {
        let records: Vec<AccountRecord> = match sdk.inner.store.accounts().await {
            Ok(records) => records
                .into_iter()
                .filter(|r| r.server_id == server)
                .collect(),
            Err(err) => {
                tracing::warn!(code = err.code(), "live delivery cannot read the accounts");
                pause.wait(&sdk).await;
                continue;
            }
        };
        let (deleting, mut live): (Vec<_>, Vec<_>) =
            records.into_iter().partition(|r| r.pending_delete);
        for record in &deleting {
            match sdk.retry_delete(record, false).await {
                Ok(_) => {}
                Err(err) => tracing::info!(code = err.code(), "deletion not confirmed yet"),
            }
        }
        if live.is_empty() && deleting.is_empty() {
            return;
        }
        live.sort_by(|a, b| a.id.cmp(&b.id));
        if !live.is_empty() {
            match sdk.serve_live(&live, &mut pause).await {
                // An account was deleted: open again with those left (at once).
                Ok(()) => continue,
                Err(err) => {
                    tracing::info!(code = err.code(), %err, "live connection ended");
                }
            }
        }
        pause.wait(&sdk).await;
    }
}

impl Sdk {
    /// One live connection for `records` (accounts of one server): opened as the first, the
    /// others added; pull what was missed, then handle deliveries as they come, probing when
    /// idle. `Ok` when an account was deleted (the connection is opened again for the rest).
    async fn serve_live(&self, records: &[AccountRecord], pause: &mut Pause) -> SdkResult<()> {
        let Some((first, others)) = records.split_first() else {
            return Ok(());
        };
        let probe_every_ms = u64::try_from(PROBE_EVERY.as_millis()).unwrap_or(u64::MAX);
        let mut ch = AccountChannel::open_live(&self.inner, first, Some(probe_every_ms)).await?;
        ch.span()
            .in_scope(|| tracing::info!(accounts = records.len(), "live connection open"));
        pause.reset();
        for other in others {
            ch.add_account(&self.inner, other).await?;
            loop {
                match ch.step(&self.inner).await? {
                    Some(Heard::Answer(Ok(_))) => break,
                    // The server does not know the account (deleted there): its messages do
                    // not come here; the others' still do.
                    Some(Heard::Answer(Err(SdkError::Engine(EngineError::Refused(code))))) => {
                        tracing::info!(code, "an account was not added to the live connection");
                        break;
                    }
                    Some(Heard::Answer(Err(err))) => return Err(err),
                    Some(Heard::Delivered(envelopes)) => {
                        if self.handle_envelopes(&mut ch, first, &envelopes).await?.1 {
                            return Ok(());
                        }
                    }
                    Some(Heard::Opened) | None => {}
                }
            }
        }
        // What was missed; then deliveries as they come, and the conversation's probes.
        ch.send(&self.inner, &AppRecord::PullMessages).await?;
        loop {
            let envelopes = match ch.step(&self.inner).await? {
                Some(Heard::Answer(Ok(ServerRecord::Messages { envelopes })))
                | Some(Heard::Delivered(envelopes)) => envelopes,
                Some(Heard::Answer(Err(err))) => return Err(err),
                Some(Heard::Answer(Ok(_)) | Heard::Opened) | None => continue,
            };
            if self.handle_envelopes(&mut ch, first, &envelopes).await?.1 {
                return Ok(());
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
