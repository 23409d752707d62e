//! Push messages: verified, decrypted, de-duplicated and acted on; and the pull of messages
//! that push did not deliver.

use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::push::{Envelope, PushBody, PushMessage, ReplayGuard};
use nextauth_protocol::qr::LoginCode;
use serde::{Deserialize, Serialize};

use crate::channel::AccountChannel;
use crate::engine::announce_view;
use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};
use crate::inner::{push_label, Inner};
use crate::model::{Event, HistoryKind, HistoryStatus, Message};
use crate::store::{AccountRecord, HistoryRecord};
use crate::Sdk;

/// What handling a push message did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PushOutcome {
    /// A login flow started (answer it like any flow).
    LoginStarted {
        /// The flow id.
        #[serde(rename = "flowId")]
        flow_id: String,
    },
    /// Another flow is running: the login starts as soon as that one ends (while the message
    /// is valid; if it expires first, the history says so).
    LoginQueued,
    /// The server logged out a continuous session of this app (the website did): the session
    /// ends (`SessionUpdate LOGGED_OUT`) if it still runs here.
    LoggedOut,
    /// The server deleted the account; it is gone from the app.
    AccountDeleted {
        /// The account.
        #[serde(rename = "accountId")]
        account_id: String,
    },
    /// A message was stored.
    Message {
        /// The message.
        message: Message,
    },
    /// The message was handled before (the live connection, a pull or an earlier push brought
    /// it first): dropped without a history entry. Only an authentic message (the server's
    /// signature, this account's key, still valid) is recognised as a duplicate; anything else
    /// is an error as before.
    Duplicate,
}

impl Sdk {
    /// Handles one push payload (as FCM, APNs or the live connection delivered it). Tampered,
    /// replayed, expired or foreign messages are refused with a typed error and recorded.
    pub async fn handle_push(&self, payload: &[u8]) -> SdkResult<PushOutcome> {
        match self.open_push(payload).await {
            Ok((record, message)) => {
                if matches!(message.body, PushBody::DeleteAccount) {
                    // Best effort: the server removes the account once the app acknowledges;
                    // afterwards this app has no key left to connect with.
                    if let Ok(mut ch) = AccountChannel::open(&self.inner, &record).await {
                        let ack = AppRecord::Ack {
                            message_ids: vec![message.message_id.0],
                        };
                        let _ = ch.send(&self.inner, &ack).await;
                        ch.close().await;
                    }
                }
                self.act(&record, message).await
            }
            // The same message by two routes is expected (FCM and the live connection both
            // deliver, a pull fetches what a push already brought): not worth a history entry.
            Err(SdkError::Engine(EngineError::Protocol(
                nextauth_protocol::ProtocolError::Replayed,
            ))) => {
                tracing::debug!("duplicate push message dropped");
                Ok(PushOutcome::Duplicate)
            }
            Err(err) => {
                self.inner
                    .record_error(
                        HistoryKind::Push,
                        &err,
                        Envelope::parse(payload).ok().map(|e| e.server_id),
                    )
                    .await;
                Err(err)
            }
        }
    }

    async fn open_push(&self, payload: &[u8]) -> SdkResult<(AccountRecord, PushMessage)> {
        let inner = &self.inner;
        let envelope = Envelope::parse(payload)?;
        let record = inner
            .store
            .account_by_push_key_id(&envelope.server_id, &envelope.key_id)
            .await?
            .ok_or(SdkError::Engine(EngineError::UnknownAccount))?;
        let server = inner
            .store
            .server(&envelope.server_id)
            .await?
            .ok_or(SdkError::CorruptRow("account"))?;
        let push_key = inner
            .keystore
            .open(&push_label(&record.id), &record.push_key_sealed)?;
        let push_key: [u8; 32] = push_key
            .as_slice()
            .try_into()
            .map_err(|_| SdkError::CorruptRow("account"))?;
        // Only this message's id matters for the replay check.
        let seen = inner
            .store
            .seen_messages()
            .await?
            .into_iter()
            .filter(|(id, _)| *id == envelope.message_id);
        let mut guard = ReplayGuard::from_entries(seen);
        let message = envelope.open(
            &server.params.public_key,
            &push_key,
            inner.now(),
            &mut guard,
        )?;
        if !inner
            .store
            .mark_seen(&message.message_id, message.expires_at)
            .await?
        {
            return Err(nextauth_protocol::ProtocolError::Replayed.into());
        }
        Ok((record, message))
    }

    async fn act(&self, record: &AccountRecord, message: PushMessage) -> SdkResult<PushOutcome> {
        let inner = &self.inner;
        let server = inner
            .store
            .server(&record.server_id)
            .await?
            .ok_or(SdkError::CorruptRow("account"))?;
        let kind = (HistoryKind::Push, HistoryStatus::Message);
        let mut history = inner.account_entry(
            record,
            server.params.profile.name.clone(),
            kind,
            String::new(),
        );
        // Reported only once the history has the entry, so the app reads what it announces.
        let mut report: Option<Event> = None;
        let outcome = match message.body {
            PushBody::Login {
                session_ref,
                announce,
                session,
            } => {
                history.announce = Some(announce_view(&announce, &session));
                history.detail = "push login".into();
                let code = LoginCode {
                    endpoint: server.params.endpoint.clone(),
                    server_id: record.server_id,
                    session_ref,
                };
                match self.start_push_login(code.clone(), &record.id).await {
                    Ok(flow) => PushOutcome::LoginStarted { flow_id: flow.id },
                    Err(SdkError::FlowActive) => {
                        history.detail = "push login (waits for the open request)".into();
                        self.queue_login(code, &record.id, message.expires_at, history.clone());
                        PushOutcome::LoginQueued
                    }
                    Err(err) => return Err(err),
                }
            }
            PushBody::Logout { session_ref } => {
                // The session ends and records its own LOGGED_OUT, once, whether its
                // connection or this push tells first; a session no longer running here
                // (ended already, or before a restart) needs nothing more.
                let session = inner.sessions.lock().ok().and_then(|sessions| {
                    sessions
                        .values()
                        .find(|s| s.session_ref == session_ref.0 && s.account_id == record.id)
                        .map(|s| s.logged_out.clone())
                });
                if let Some(logged_out) = session {
                    logged_out.notify_one();
                }
                return Ok(PushOutcome::LoggedOut);
            }
            PushBody::DeleteAccount => {
                history.status = HistoryStatus::Deleted;
                history.detail = "deleted by the server".into();
                remove_locally(inner, record).await?;
                report = Some(Event::AccountDeleted {
                    account_id: record.id.clone(),
                    by_server: true,
                });
                PushOutcome::AccountDeleted {
                    account_id: record.id.clone(),
                }
            }
            PushBody::Message { title, text } => {
                inner
                    .store
                    .add_message(&message.message_id, &record.id, inner.now(), &title, &text)
                    .await?;
                history.detail = title.clone();
                let message = Message {
                    id: message.message_id.to_base64(),
                    account_id: record.id.clone(),
                    received: inner.now(),
                    title,
                    body: text,
                    read: false,
                };
                report = Some(Event::MessageReceived {
                    message: message.clone(),
                });
                PushOutcome::Message { message }
            }
        };
        inner.store.add_history(&history).await?;
        if let Some(event) = report {
            inner.emit(event);
        }
        Ok(outcome)
    }

    /// Starts a push login once the running flow ends (checked four times a second), unless
    /// the message expires first: then `history` is recorded as aborted with error 122.
    fn queue_login(
        &self,
        code: LoginCode,
        account_id: &str,
        expires_at: u64,
        mut history: HistoryRecord,
    ) {
        let sdk = self.clone();
        let account_id = account_id.to_owned();
        tokio::spawn(async move {
            loop {
                if sdk.inner.now() >= expires_at {
                    history.at = sdk.inner.now();
                    history.status = HistoryStatus::Aborted;
                    history.error_code = Some(SdkError::FlowActive.code());
                    history.detail = "push login expired while another request was open".into();
                    if let Err(err) = sdk.inner.store.add_history(&history).await {
                        tracing::warn!(code = err.code(), "cannot record an expired push login");
                    }
                    return;
                }
                if sdk.active_flow().is_none() {
                    match sdk.start_push_login(code.clone(), &account_id).await {
                        // Another flow was quicker: wait for that one too.
                        Err(SdkError::FlowActive) => {}
                        Ok(_) => return,
                        // The flow's start failed and recorded why.
                        Err(err) => {
                            tracing::info!(code = err.code(), "queued push login did not start");
                            return;
                        }
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(250)).await;
            }
        });
    }

    /// Fetches the messages push did not deliver, for every account, and handles them; also
    /// retries deletions the server has not confirmed. Returns how many messages were handled.
    pub async fn pull_messages(&self) -> SdkResult<usize> {
        let inner = &self.inner;
        let mut handled = 0;
        for record in inner.store.accounts().await? {
            if record.pending_delete {
                if let Err(err) = self.retry_delete(&record, true).await {
                    tracing::info!(code = err.code(), "deletion not confirmed by the server");
                }
                continue;
            }
            let mut ch = match AccountChannel::open(inner, &record).await {
                Ok(ch) => ch,
                Err(err) => {
                    tracing::info!(code = err.code(), "cannot pull messages for an account");
                    continue;
                }
            };
            let envelopes = match ch.ask(inner, &AppRecord::PullMessages).await? {
                ServerRecord::Messages { envelopes } => envelopes,
                _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
            };
            handled += self.handle_envelopes(&mut ch, &record, &envelopes).await?.0;
            ch.close().await;
        }
        Ok(handled)
    }

    /// Handles envelopes that arrived on `ch` (a pull's answer or a live delivery) and
    /// acknowledges them. Returns how many were handled and whether the account was deleted
    /// (the channel is of no further use then).
    pub(crate) async fn handle_envelopes(
        &self,
        ch: &mut AccountChannel,
        record: &AccountRecord,
        envelopes: &[Vec<u8>],
    ) -> SdkResult<(usize, bool)> {
        let mut handled = 0;
        let mut ids: Vec<[u8; 16]> = Vec::new();
        for envelope in envelopes {
            let id = Envelope::parse(envelope).map(|e| e.message_id);
            match self.open_push(envelope).await {
                Ok((opened, message)) => {
                    ids.push(message.message_id.0);
                    handled += 1;
                    if matches!(message.body, PushBody::DeleteAccount) {
                        // Acknowledge first: the server removes the account only then, and
                        // once the key is gone here the app cannot connect again.
                        ch.send(&self.inner, &AppRecord::Ack { message_ids: ids })
                            .await?;
                        self.act(&opened, message).await?;
                        return Ok((handled, true));
                    }
                    self.act(&opened, message).await?;
                }
                // Already handled (by push, a pull or another connection): just acknowledge.
                Err(SdkError::Engine(EngineError::Protocol(
                    nextauth_protocol::ProtocolError::Replayed,
                ))) => {
                    if let Ok(id) = id {
                        ids.push(id.0);
                    }
                }
                Err(err) => {
                    self.inner
                        .record_error(HistoryKind::Push, &err, Some(record.server_id))
                        .await;
                }
            }
        }
        if !ids.is_empty() {
            ch.send(&self.inner, &AppRecord::Ack { message_ids: ids })
                .await?;
        }
        Ok((handled, false))
    }

    /// Deletes an account: the server is told first; if it cannot be reached, the account is
    /// marked and the deletion retried at the next [`Sdk::pull_messages`]. Returns whether the
    /// server confirmed now.
    pub async fn delete_account(&self, account_id: &str) -> SdkResult<bool> {
        let inner = &self.inner;
        let record = inner
            .store
            .account(account_id)
            .await?
            .ok_or(SdkError::Engine(EngineError::UnknownAccount))?;
        inner.store.set_pending_delete(&record.id).await?;
        self.retry_delete(&record, true).await
    }

    /// Tells the server about a deletion (again). `Ok(false)`: the server could not be
    /// reached; the account stays marked and is tried again later (recorded in the history
    /// when `record_failure`; background retries do not fill it).
    pub(crate) async fn retry_delete(
        &self,
        record: &AccountRecord,
        record_failure: bool,
    ) -> SdkResult<bool> {
        match self.delete_on_server(record).await {
            Ok(()) => Ok(true),
            Err(
                err @ (SdkError::Engine(EngineError::Unreachable)
                | SdkError::Engine(EngineError::Timeout)
                | SdkError::Engine(EngineError::ConnectionLost)),
            ) => {
                if record_failure {
                    self.inner
                        .record_error(HistoryKind::Delete, &err, Some(record.server_id))
                        .await;
                }
                Ok(false)
            }
            Err(SdkError::Engine(EngineError::Refused(48))) => {
                // The server no longer knows the account: it is gone there already.
                self.finish_delete(record).await?;
                Ok(true)
            }
            Err(err) => Err(err),
        }
    }

    async fn delete_on_server(&self, record: &AccountRecord) -> SdkResult<()> {
        AccountChannel::ask_once(&self.inner, record, &AppRecord::DeleteAccount).await?;
        self.finish_delete(record).await
    }

    async fn finish_delete(&self, record: &AccountRecord) -> SdkResult<()> {
        let inner = &self.inner;
        let server_name = inner
            .store
            .server(&record.server_id)
            .await?
            .map(|s| s.params.profile.name)
            .unwrap_or_default();
        remove_locally(inner, record).await?;
        let deleted = (HistoryKind::Delete, HistoryStatus::Deleted);
        let draft = inner.account_entry(record, server_name, deleted, "deleted in the app".into());
        inner.store.add_history(&draft).await?;
        inner.emit(Event::AccountDeleted {
            account_id: record.id.clone(),
            by_server: false,
        });
        Ok(())
    }
}

/// Removes the account row, the server if no account uses it, and the PIN if no account
/// needs it any more (removing the last PIN account resets the PIN).
async fn remove_locally(inner: &Inner, record: &AccountRecord) -> SdkResult<()> {
    inner.store.delete_account(&record.id).await?;
    inner
        .store
        .forget_server_if_unused(&record.server_id)
        .await?;
    let remaining = inner.store.accounts().await?;
    if !remaining.iter().any(|a| a.has_pin) {
        inner.store.set_pin_secret(None).await?;
    }
    Ok(())
}
