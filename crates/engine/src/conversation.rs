//! An account's conversations with its server outside a flow (PIN check and change, pulling
//! messages, deleting the account, the push token and its pause, an app token, the outcome of
//! an unanswered request, live delivery), as one sans-IO machine over a CONNECT session.
//!
//! The driver opens the connection and sends [`Conversation::start`]'s hello; from then on it
//! feeds every frame ([`Conversation::on_frame`]), a closed connection
//! ([`Conversation::on_closed`]) and its timer at [`Conversation::deadline`]
//! ([`Conversation::on_timer`]), and carries out the [`ConversationEffect`]s. Requests go out
//! through [`Conversation::request`] once [`ConversationEffect::Opened`] came; each waits for
//! its answer at most the machine's timeout, and the answer comes checked: a refusal, a wrong
//! or blocked PIN and a record that does not answer the request are errors.
//!
//! ```text
//!  start ─hello─▶ Hello ─ServerHello─▶ (SaveServer, Send finish) Accept ─Accepted─▶ Opened
//!                   │ alert / bad hello / pinned key differs                 │
//!                   ▼                                                        ▼
//!                 Failed ◀── timeout, closed, refused ──────────── Open: request ▶ Answer
//!                                                                  live: probe ▶ Answer(Messages)
//!                                                                        unasked ▶ Delivered
//! ```
//! With [`Conversation::with_probes`] (live delivery) the session stays open: messages the
//! server sends unasked come as [`ConversationEffect::Delivered`], and an idle session is
//! probed with a pull that must be answered in time, so a connection that died silently ends.

use nextauth_protocol::crypto::{PublicKey, Signer};
use nextauth_protocol::handshake::Session as Channel;
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::messages::{add_account_message, AppRecord, ServerRecord};
use nextauth_protocol::params::{ServerParams, SignedServerParams};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::ProtocolError;
use ring::rand::SecureRandom;

use crate::answer::PinCheck;
use crate::connect::{ConnectAwaitingAccept, ConnectHandshake, ServerHelloOutcome};
use crate::error::{EngineError, EngineResult};

/// How long a conversation waits for each answer of the server by default (15 s).
pub const CONVERSATION_TIMEOUT_MS: u64 = 15_000;

/// Whom a conversation connects to, and which key it trusts.
#[derive(Debug, Clone, Copy)]
pub struct ConnectTarget {
    /// The server.
    pub server_id: ServerId,
    /// The key that signed the parameters the app stored.
    pub trusted_key: PublicKey,
    /// When those were issued (a refresh never goes back).
    pub not_before: u64,
    /// The key the configuration pins for the server, if any.
    pub pinned_key: Option<PublicKey>,
}

/// What the driver must do.
#[derive(Debug)]
pub enum ConversationEffect {
    /// Send a frame.
    Send(Vec<u8>),
    /// Store the server's verified, refreshed parameters (when the caller keeps them).
    SaveServer {
        /// As signed.
        signed: Box<SignedServerParams>,
        /// Decoded.
        params: Box<ServerParams>,
    },
    /// The session is open: requests may go out.
    Opened,
    /// The answer to the request that waited, checked against it.
    Answer(EngineResult<ServerRecord>),
    /// Messages the server sent unasked (live delivery only).
    Delivered(Vec<Vec<u8>>),
    /// The conversation is over (close the connection): why.
    Failed(EngineError),
}

enum Phase {
    Hello(ConnectHandshake),
    Accept(ConnectAwaitingAccept),
    Open(Channel),
    Ended,
}

/// The request whose answer is awaited, and what answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Awaiting {
    /// `Accepted` (or a wrong or blocked PIN).
    PinAnswer,
    /// `Accepted`.
    Accepted,
    /// `Messages`.
    Messages,
    /// `PushPaused`.
    PushPaused,
    /// `Outcome`.
    Outcome,
    /// `AppToken`.
    AppToken,
}

impl Awaiting {
    /// What answers `request`; `None`: nothing does (an acknowledgement, a pong).
    fn of(request: &AppRecord) -> Option<Self> {
        Some(match request {
            AppRecord::PinProof { .. } | AppRecord::PinChange { .. } => Self::PinAnswer,
            AppRecord::DeleteAccount
            | AppRecord::RegisterPushToken { .. }
            | AppRecord::AddAccount { .. }
            | AppRecord::PinSet { .. } => Self::Accepted,
            AppRecord::PullMessages => Self::Messages,
            AppRecord::PausePush { .. } => Self::PushPaused,
            AppRecord::QueryOutcome { .. } => Self::Outcome,
            AppRecord::TokenRequest { .. } => Self::AppToken,
            AppRecord::Ack { .. }
            | AppRecord::Pong { .. }
            | AppRecord::Logout
            | AppRecord::Watch { .. } => return None,
        })
    }

    /// `record` as the answer: the record itself when it fits, the error it stands for
    /// otherwise.
    fn check(self, record: ServerRecord) -> EngineResult<ServerRecord> {
        match (self, record) {
            (_, ServerRecord::Refused { code }) => Err(EngineError::Refused(code)),
            (Self::PinAnswer, ServerRecord::PinWrong { remaining_attempts }) => {
                Err(EngineError::WrongPin(remaining_attempts))
            }
            (Self::PinAnswer, ServerRecord::PinBlocked) => Err(EngineError::PinBlocked),
            (Self::PinAnswer | Self::Accepted, record @ ServerRecord::Accepted)
            | (Self::Messages, record @ ServerRecord::Messages { .. })
            | (Self::PushPaused, record @ ServerRecord::PushPaused { .. })
            | (Self::Outcome, record @ ServerRecord::Outcome { .. })
            | (Self::AppToken, record @ ServerRecord::AppToken { .. }) => Ok(record),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }
}

/// One CONNECT conversation of an account.
pub struct Conversation {
    server_id: ServerId,
    phase: Phase,
    awaiting: Option<Awaiting>,
    /// How long each answer may take.
    timeout_ms: u64,
    /// When the awaited answer is late (the driver's milliseconds).
    answer_due: Option<u64>,
    /// Live delivery: how long the session may stay silent before it is probed, and when.
    probe_every_ms: Option<u64>,
    next_probe: Option<u64>,
}

impl std::fmt::Debug for Conversation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conversation")
            .field("awaiting", &self.awaiting)
            .field("answer_due", &self.answer_due)
            .field("next_probe", &self.next_probe)
            .finish_non_exhaustive()
    }
}

impl Conversation {
    /// Starts a CONNECT to `target` on a connection just opened at `now_ms`; each answer of
    /// the server may take `timeout_ms`. Returns the ClientHello to send.
    ///
    /// # Errors
    ///
    /// The random source failed.
    pub fn start(
        rng: &dyn SecureRandom,
        target: &ConnectTarget,
        timeout_ms: u64,
        now_ms: u64,
    ) -> EngineResult<(Self, Vec<u8>)> {
        let (hs, hello) = ConnectHandshake::start(
            rng,
            target.server_id,
            target.trusted_key,
            target.not_before,
            target.pinned_key,
        )?;
        let this = Self {
            server_id: target.server_id,
            phase: Phase::Hello(hs),
            awaiting: None,
            timeout_ms,
            answer_due: Some(now_ms.saturating_add(timeout_ms)),
            probe_every_ms: None,
            next_probe: None,
        };
        Ok((this, hello))
    }

    /// Keeps the session for live delivery: messages may come unasked, and after
    /// `every_ms` without a record the server is asked for its messages (a probe that must be
    /// answered within the timeout).
    #[must_use]
    pub fn with_probes(mut self, every_ms: u64) -> Self {
        self.probe_every_ms = Some(every_ms);
        self
    }

    /// When the driver must call [`Self::on_timer`]: the awaited answer's deadline, else the
    /// next probe (no probe goes out while an answer is awaited).
    pub fn deadline(&self) -> Option<u64> {
        self.answer_due.or(self.next_probe)
    }

    /// The server.
    pub fn server_id(&self) -> ServerId {
        self.server_id
    }

    /// Whether requests may go out.
    pub fn is_open(&self) -> bool {
        matches!(self.phase, Phase::Open(_))
    }

    /// Seals `request` for sending; its answer (if it has one) is awaited from `now_ms`.
    ///
    /// # Errors
    ///
    /// The session is not open, another answer is still awaited, or sealing failed.
    pub fn request(&mut self, request: &AppRecord, now_ms: u64) -> EngineResult<Vec<u8>> {
        let Phase::Open(channel) = &mut self.phase else {
            return Err(ProtocolError::UnexpectedMessage.into());
        };
        let awaiting = Awaiting::of(request);
        if awaiting.is_some() && self.awaiting.is_some() {
            return Err(EngineError::WrongResponse);
        }
        let frame = channel.seal(&request.encode()?)?;
        if awaiting.is_some() {
            self.awaiting = awaiting;
            self.answer_due = Some(now_ms.saturating_add(self.timeout_ms));
        }
        Ok(frame)
    }

    /// The proof of `pin` for this session, as the account `account_key` shows it
    /// ([`AppRecord::PinProof`], [`AppRecord::PinChange`]).
    ///
    /// # Errors
    ///
    /// The session is not open.
    pub fn pin_proof(
        &self,
        device: &DeviceSecret,
        pin: &Pin,
        account_key: &PublicKey,
    ) -> EngineResult<[u8; 32]> {
        let channel = self.channel()?;
        let verifier = pin_verifier(device, pin, &self.server_id, account_key);
        Ok(pin_proof(&verifier, channel.binder()))
    }

    /// The request that has another account of this app on the same server carried on this
    /// session too: its key (`signer`) signs the session's binder.
    ///
    /// # Errors
    ///
    /// The session is not open, or signing failed.
    pub fn add_account(
        &self,
        signer: &dyn Signer,
        account_key: PublicKey,
        rng: &dyn SecureRandom,
    ) -> EngineResult<AppRecord> {
        let message = add_account_message(self.channel()?.binder());
        let signature = signer.sign(rng, &message)?;
        Ok(AppRecord::AddAccount {
            account_key,
            signature,
        })
    }

    fn channel(&self) -> EngineResult<&Channel> {
        match &self.phase {
            Phase::Open(channel) => Ok(channel),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }

    /// A frame from the server at `now_ms`; `signer` is the account's key (it signs the
    /// CONNECT during the handshake).
    pub fn on_frame(
        &mut self,
        frame: &[u8],
        signer: &dyn Signer,
        rng: &dyn SecureRandom,
        now_ms: u64,
    ) -> Vec<ConversationEffect> {
        match std::mem::replace(&mut self.phase, Phase::Ended) {
            Phase::Hello(hs) => match hs.on_server_hello(frame, signer, rng) {
                Ok(ServerHelloOutcome::Authenticated {
                    finish,
                    signed,
                    params,
                    next,
                }) => {
                    self.phase = Phase::Accept(next);
                    self.answer_due = Some(now_ms.saturating_add(self.timeout_ms));
                    vec![
                        ConversationEffect::SaveServer { signed, params },
                        ConversationEffect::Send(finish),
                    ]
                }
                Ok(ServerHelloOutcome::Rejected { abort, error }) => {
                    // The server hears why, as a flow's would.
                    let mut effects: Vec<_> =
                        abort.into_iter().map(ConversationEffect::Send).collect();
                    effects.push(self.fail(error));
                    effects
                }
                Err(error) => vec![self.fail(error)],
            },
            Phase::Accept(next) => match next.on_reply(frame) {
                Ok(channel) => {
                    self.phase = Phase::Open(channel);
                    self.answer_due = None;
                    self.next_probe = self.probe_every_ms.map(|every| now_ms + every);
                    vec![ConversationEffect::Opened]
                }
                Err(error) => vec![self.fail(error)],
            },
            Phase::Open(mut channel) => {
                let record = channel
                    .open(frame)
                    .map_err(EngineError::from)
                    .and_then(|plain| Ok(ServerRecord::decode(&plain)?));
                self.phase = Phase::Open(channel);
                match record {
                    Ok(record) => self.on_record(record, now_ms),
                    Err(error) => vec![self.fail(error)],
                }
            }
            Phase::Ended => vec![],
        }
    }

    fn on_record(&mut self, record: ServerRecord, now_ms: u64) -> Vec<ConversationEffect> {
        let live = self.probe_every_ms.is_some();
        // Anything the server says shows the connection lives.
        self.next_probe = self.probe_every_ms.map(|every| now_ms + every);
        match (self.awaiting, record) {
            // Live: messages come unasked, also while another answer is awaited; they answer
            // a pull (a probe) all the same.
            (awaiting, ServerRecord::Messages { envelopes })
                if live && awaiting != Some(Awaiting::Messages) =>
            {
                vec![ConversationEffect::Delivered(envelopes)]
            }
            (Some(awaiting), record) => {
                self.awaiting = None;
                self.answer_due = None;
                vec![ConversationEffect::Answer(awaiting.check(record))]
            }
            (None, ServerRecord::Refused { code }) => vec![self.fail(EngineError::Refused(code))],
            (None, _) => vec![self.fail(ProtocolError::UnexpectedMessage.into())],
        }
    }

    /// The connection closed or failed.
    pub fn on_closed(&mut self) -> Vec<ConversationEffect> {
        match self.phase {
            Phase::Ended => vec![],
            _ => vec![self.fail(EngineError::ConnectionLost)],
        }
    }

    /// The driver's timer at `now_ms`: a late answer ends the conversation (`Timeout`); an
    /// idle live session is probed. A timer that went off early changes nothing.
    pub fn on_timer(&mut self, now_ms: u64) -> Vec<ConversationEffect> {
        if matches!(self.phase, Phase::Ended) {
            return vec![];
        }
        if self.answer_due.is_some_and(|due| due <= now_ms) {
            return vec![self.fail(EngineError::Timeout)];
        }
        if self.awaiting.is_none() && self.next_probe.is_some_and(|at| at <= now_ms) {
            self.next_probe = self.probe_every_ms.map(|every| now_ms + every);
            return match self.request(&AppRecord::PullMessages, now_ms) {
                Ok(frame) => vec![ConversationEffect::Send(frame)],
                Err(error) => vec![self.fail(error)],
            };
        }
        vec![]
    }

    fn fail(&mut self, error: EngineError) -> ConversationEffect {
        self.phase = Phase::Ended;
        self.awaiting = None;
        self.answer_due = None;
        self.next_probe = None;
        ConversationEffect::Failed(error)
    }
}

impl PinCheck {
    /// What an account's answer to a PIN proof says of the PIN; `None`: this account could
    /// not tell (unreachable, refused), ask the next one.
    pub fn from_answer(answer: &EngineResult<ServerRecord>) -> Option<Self> {
        match answer {
            Ok(ServerRecord::Accepted) => Some(Self::Right),
            Err(EngineError::WrongPin(left)) => Some(Self::Wrong(*left)),
            Err(EngineError::PinBlocked) => Some(Self::Blocked),
            _ => None,
        }
    }
}
