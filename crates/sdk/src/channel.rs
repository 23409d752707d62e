//! The driver of an account's CONNECT conversations: the engine's [`Conversation`] decides
//! (the handshake and its checks of the server, what answers a request, how long each answer
//! may take, when an idle live session is probed); this file carries its frames over a
//! [`Connection`], stores the server's refreshed parameters and sets its timer.

use nextauth_engine::{ConnectTarget, Conversation, ConversationEffect, CONVERSATION_TIMEOUT_MS};
use nextauth_protocol::crypto::SigningKey;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::params::ServerParams;
use nextauth_protocol::pin::{DeviceSecret, Pin};

use tracing::Instrument;

use crate::error::{SdkError, SdkResult};
use crate::inner::Inner;
use crate::runner::timer;
use crate::store::AccountRecord;
use crate::transport::Connection;

/// What the server said, as the conversation read it.
pub(crate) enum Heard {
    /// The session is open.
    Opened,
    /// The answer to the request that waited (checked: a refusal or a wrong PIN is an error).
    Answer(SdkResult<ServerRecord>),
    /// Messages sent unasked (live delivery).
    Delivered(Vec<Vec<u8>>),
}

/// An authenticated CONNECT session for one account.
pub(crate) struct AccountChannel {
    conn: Connection,
    conversation: Conversation,
    /// The account's key: it signs the CONNECT.
    key: SigningKey,
    /// Whether the server's refreshed parameters are stored.
    refresh: bool,
    /// `connect{server account flow}`: what happens on this session is logged in it; `flow`
    /// once a request names a login (the id the server logs it under).
    span: tracing::Span,
}

impl AccountChannel {
    /// Connects as `record` to its server, refreshing the stored parameters on the way.
    pub async fn open(inner: &Inner, record: &AccountRecord) -> SdkResult<Self> {
        Self::open_live(inner, record, None).await
    }

    /// As [`Self::open`]; with `probe_every_ms`, kept for live delivery (probed when idle).
    pub async fn open_live(
        inner: &Inner,
        record: &AccountRecord,
        probe_every_ms: Option<u64>,
    ) -> SdkResult<Self> {
        let server = inner
            .store
            .server(&record.server_id)
            .await?
            .ok_or(SdkError::CorruptRow("account"))?;
        Self::connect(inner, record, &server.params, true, probe_every_ms).await
    }

    /// Connects as `record` to the server of `params` (an enrolment not settled yet has its
    /// server's parameters with it), without storing them.
    pub async fn open_with(
        inner: &Inner,
        record: &AccountRecord,
        params: &ServerParams,
    ) -> SdkResult<Self> {
        Self::connect(inner, record, params, false, None).await
    }

    async fn connect(
        inner: &Inner,
        record: &AccountRecord,
        params: &ServerParams,
        refresh: bool,
        probe_every_ms: Option<u64>,
    ) -> SdkResult<Self> {
        let span = tracing::info_span!(
            "connect",
            server = %record.server_id.to_base64(),
            account = %record.id,
            flow = tracing::field::Empty,
        );
        let key = inner.signer(record)?;
        let target = ConnectTarget {
            server_id: record.server_id,
            trusted_key: params.public_key,
            not_before: params.issued_at,
            pinned_key: inner.config.pinned_key(&record.server_id),
        };
        let opening = async {
            let mut conn = Connection::open(&params.endpoint, &inner.tls).await?;
            let now = inner.now_ms();
            let (conversation, hello) =
                Conversation::start(&inner.rng, &target, CONVERSATION_TIMEOUT_MS, now)?;
            let conversation = match probe_every_ms {
                Some(every) => conversation.with_probes(every),
                None => conversation,
            };
            conn.send(hello).await?;
            Ok::<_, SdkError>((conn, conversation))
        };
        let (conn, conversation) = opening.instrument(span.clone()).await?;
        let mut this = Self {
            conn,
            conversation,
            key,
            refresh,
            span,
        };
        loop {
            match this.step(inner).await {
                Ok(Some(Heard::Opened)) => {
                    this.span
                        .in_scope(|| tracing::debug!("CONNECT session open"));
                    return Ok(this);
                }
                Ok(_) => {}
                Err(err) => {
                    this.span
                        .in_scope(|| tracing::info!(code = err.code(), "CONNECT session failed"));
                    this.close().await;
                    return Err(err);
                }
            }
        }
    }

    /// The session's span (for the driver's own log lines about it).
    pub fn span(&self) -> &tracing::Span {
        &self.span
    }

    /// Waits for the next frame or the conversation's deadline, feeds it to the conversation
    /// and carries out what it says. `Err` when the conversation is over.
    pub async fn step(&mut self, inner: &Inner) -> SdkResult<Option<Heard>> {
        let span = self.span.clone();
        self.step_inner(inner).instrument(span).await
    }

    async fn step_inner(&mut self, inner: &Inner) -> SdkResult<Option<Heard>> {
        let wake = self.conversation.deadline().map(|ms| inner.instant_at(ms));
        let effects = tokio::select! {
            frame = self.conn.recv() => match frame {
                Ok(frame) => self.conversation.on_frame(&frame, &self.key, &inner.rng, inner.now_ms()),
                Err(err) => {
                    // The transport's own reason (a lost connection, a text frame) is kept.
                    let _ = self.conversation.on_closed();
                    return Err(err);
                }
            },
            () = timer(wake) => self.conversation.on_timer(inner.now_ms()),
        };
        self.carry_out(inner, effects).await
    }

    async fn carry_out(
        &mut self,
        inner: &Inner,
        effects: Vec<ConversationEffect>,
    ) -> SdkResult<Option<Heard>> {
        let mut effects: std::collections::VecDeque<_> = effects.into();
        let mut heard = None;
        while let Some(effect) = effects.pop_front() {
            match effect {
                ConversationEffect::Send(frame) => {
                    if self.conn.send(frame).await.is_err() {
                        effects.extend(self.conversation.on_closed());
                    }
                }
                ConversationEffect::SaveServer { signed, params } => {
                    if self.refresh {
                        inner
                            .store
                            .save_server(&signed, &params, inner.now())
                            .await?;
                    }
                }
                ConversationEffect::Opened => heard = Some(Heard::Opened),
                ConversationEffect::Answer(answer) => {
                    heard = Some(Heard::Answer(answer.map_err(SdkError::from)));
                }
                ConversationEffect::Delivered(envelopes) => {
                    heard = Some(Heard::Delivered(envelopes));
                }
                ConversationEffect::Failed(err) => return Err(err.into()),
            }
        }
        Ok(heard)
    }

    /// Sends `record`; its answer (if it has one) is awaited through [`Self::step`].
    pub async fn send(&mut self, inner: &Inner, record: &AppRecord) -> SdkResult<()> {
        if let AppRecord::TokenRequest { session_ref, .. } = record {
            let server = self.conversation.server_id();
            let log_id = nextauth_engine::flow_log_id(&server, session_ref);
            self.span.record("flow", log_id.as_str());
        }
        let frame = self.conversation.request(record, inner.now_ms())?;
        self.conn.send(frame).instrument(self.span.clone()).await
    }

    /// Sends `request` and returns its answer.
    pub async fn ask(&mut self, inner: &Inner, request: &AppRecord) -> SdkResult<ServerRecord> {
        self.send(inner, request).await?;
        loop {
            if let Some(Heard::Answer(answer)) = self.step(inner).await? {
                return answer;
            }
        }
    }

    /// Opens a channel for `record`, asks `request` and closes it again.
    pub async fn ask_once(
        inner: &Inner,
        record: &AccountRecord,
        request: &AppRecord,
    ) -> SdkResult<ServerRecord> {
        let mut ch = Self::open(inner, record).await?;
        let answer = ch.ask(inner, request).await;
        ch.close().await;
        answer
    }

    /// Asks the server to carry `record`'s messages on this connection too (another account
    /// of this app on the same server): its key signs this session's binder. The answer comes
    /// through [`Self::step`].
    pub async fn add_account(&mut self, inner: &Inner, record: &AccountRecord) -> SdkResult<()> {
        let key = inner.signer(record)?;
        let request = self
            .conversation
            .add_account(&key, record.public_key, &inner.rng)?;
        self.send(inner, &request).await
    }

    /// The proof of `pin` for this session.
    pub fn proof(
        &self,
        device: &DeviceSecret,
        pin: &Pin,
        record: &AccountRecord,
    ) -> SdkResult<[u8; 32]> {
        Ok(self
            .conversation
            .pin_proof(device, pin, &record.public_key)?)
    }

    pub async fn close(self) {
        self.conn.close().await;
    }
}
