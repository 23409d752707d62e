//! The flow state machine. See the module docs of [`crate::engine`] for the picture.

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{
    decode_alert, frame, AbortReason, ClientAwaitingDecision, ClientHandshake, Purpose,
    Session as Channel,
};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, ServerContext, ServerRecord, TransactionDetails,
};
use nextauth_protocol::params::{ParamsTrust, SecondFactorPolicy, ServerParams};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::qr::{EnrolCode, QrPayload};
use nextauth_protocol::ProtocolError;
use zeroize::Zeroizing;

use super::views::{announce_view, server_info};
use super::{
    Effect, Env, FlowContext, Input, KnownAccount, NewAccount, PinCheck, PinInput, Response,
};
use crate::error::{SdkError, SdkResult};
use crate::model::{
    Account, Announce, Flow, FlowKind, FlowState, HistoryStatus, Interaction, Session, SessionState,
};
use crate::store::HistoryDraft;

enum Phase {
    Hello(ClientHandshake),
    Confirm(Box<ClientAwaitingDecision>),
    NewPin(Box<ClientAwaitingDecision>),
    ExistingPin(Box<ClientAwaitingDecision>),
    CheckingPin(Box<ClientAwaitingDecision>, PinInput),
    Outcome(Box<Channel>),
    ServerPin(Box<Channel>),
    Continuous(Box<Channel>),
    LoggingOut(Box<Channel>),
    Ended,
}

/// One flow: enrol, login or transaction.
pub struct FlowMachine {
    ctx: FlowContext,
    phase: Phase,
    flow: Flow,
    payload: QrPayload,
    params: Option<ServerParams>,
    announce: Option<Announce>,
    transaction: Option<TransactionDetails>,
    chosen: Option<KnownAccount>,
    new_account: Option<NewAccount>,
    new_pin_secret: Option<DeviceSecret>,
    transaction_declined: bool,
}

impl std::fmt::Debug for FlowMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowMachine")
            .field("flow", &self.flow)
            .finish_non_exhaustive()
    }
}

/// The history's name for a flow kind.
pub(crate) fn history_kind(kind: FlowKind) -> &'static str {
    match kind {
        FlowKind::Enrol => "ENROL",
        FlowKind::Login => "LOGIN",
        FlowKind::SignTransaction => "SIGN_TRANSACTION",
        FlowKind::ChangePin => "CHANGE_PIN",
    }
}

impl FlowMachine {
    /// Starts a flow for a decoded payload: checks what can be checked offline, then asks the
    /// driver to connect and send the ClientHello. When an offline check fails, the flow never
    /// starts: the error comes back with the effects that record it (history).
    #[allow(clippy::result_large_err)]
    pub fn start(
        id: String,
        payload: QrPayload,
        ctx: FlowContext,
        env: &dyn Env,
    ) -> Result<(Self, Vec<Effect>), (SdkError, Vec<Effect>)> {
        let kind = match &payload {
            QrPayload::Enrol(_) => FlowKind::Enrol,
            QrPayload::Login(_) => FlowKind::Login,
            QrPayload::Transaction(_) => FlowKind::SignTransaction,
        };
        let flow = Flow {
            id,
            kind,
            state: FlowState::Starting,
            interaction: None,
            server: None,
            account: None,
            error: None,
        };
        let mut machine = Self {
            ctx,
            phase: Phase::Ended,
            flow,
            payload,
            params: None,
            announce: None,
            transaction: None,
            chosen: None,
            new_account: None,
            new_pin_secret: None,
            transaction_declined: false,
        };
        match machine.begin(env) {
            Ok(effects) => Ok((machine, effects)),
            Err(err) => {
                let effects = machine.fail(err.clone_code());
                Err((err, effects))
            }
        }
    }

    fn begin(&mut self, env: &dyn Env) -> SdkResult<Vec<Effect>> {
        let server_id = *self.payload.server_id();
        match &self.payload {
            QrPayload::Enrol(_) => {
                let allowed = &self.ctx.allowed_servers;
                if !allowed.is_empty() && !allowed.contains(&server_id.to_base64()) {
                    return Err(SdkError::ServerNotAllowed);
                }
                if self.ctx.single_account && !self.ctx.accounts.is_empty() {
                    return Err(SdkError::SingleAccount);
                }
            }
            _ => {
                if self.candidates().is_empty() || self.ctx.known_server.is_none() {
                    return Err(SdkError::NoAccountsForServer);
                }
            }
        }
        let (purpose, reference) = match &self.payload {
            QrPayload::Enrol(c) => (Purpose::Enrol, c.session_ref.0),
            QrPayload::Login(c) if self.ctx.app_login => (Purpose::AppLogin, c.session_ref.0),
            QrPayload::Login(c) => (Purpose::Login, c.session_ref.0),
            QrPayload::Transaction(c) => (Purpose::Transaction, c.transaction_ref.0),
        };
        let (hs, hello) = ClientHandshake::start(env.rng(), purpose, server_id, reference)?;
        self.phase = Phase::Hello(hs);
        Ok(vec![
            Effect::Connect {
                endpoint: self.payload.endpoint().to_owned(),
            },
            Effect::Send(hello),
            Effect::Update(self.flow.clone()),
        ])
    }

    /// The flow's current public view.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Whether the flow is over (done or failed) and any session has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Ended)
    }

    /// Whether the flow is done and a continuous login session remains.
    pub fn is_session(&self) -> bool {
        matches!(self.phase, Phase::Continuous(_) | Phase::LoggingOut(_))
    }

    /// Advances the machine. `Err` means the input was refused (a response that does not fit
    /// the question); the state is then unchanged.
    pub fn handle(&mut self, input: Input, env: &dyn Env) -> SdkResult<Vec<Effect>> {
        let phase = std::mem::replace(&mut self.phase, Phase::Ended);
        let result = self.step(phase, input, env);
        match result {
            Ok(Step::Next(phase, effects)) => {
                self.phase = phase;
                Ok(effects)
            }
            Ok(Step::Refused(phase, err)) => {
                self.phase = phase;
                Err(err)
            }
            Err(err) => Ok(self.fail(err)),
        }
    }

    fn step(&mut self, phase: Phase, input: Input, env: &dyn Env) -> SdkResult<Step> {
        Ok(match (phase, input) {
            (Phase::Hello(hs), Input::Frame(frame)) => self.on_server_hello(hs, &frame, env)?,
            (Phase::Confirm(decision), Input::Respond(response)) => {
                self.on_confirm(decision, response, env)?
            }
            (Phase::NewPin(decision), Input::Respond(Response::Pin { pin })) => {
                match pin.to_pin() {
                    Ok(p) => {
                        let device = DeviceSecret::generate(env.rng())?;
                        let effects = self.finish_enrol(*decision, Some((&device, &p)), env)?;
                        self.new_pin_secret = Some(device);
                        effects
                    }
                    Err(err) => Step::Refused(Phase::NewPin(decision), err),
                }
            }
            (Phase::ExistingPin(decision), Input::Respond(Response::Pin { pin })) => {
                match pin.to_pin() {
                    Ok(_) => {
                        self.set_state(FlowState::Active, None);
                        let effects = vec![
                            Effect::CheckPin { pin: pin.clone() },
                            Effect::Update(self.flow.clone()),
                        ];
                        Step::Next(Phase::CheckingPin(decision, pin), effects)
                    }
                    Err(err) => Step::Refused(Phase::ExistingPin(decision), err),
                }
            }
            (Phase::CheckingPin(decision, pin), Input::PinChecked(check)) => match check {
                PinCheck::Right => {
                    let device = env
                        .device_secret()?
                        .ok_or(SdkError::InvalidInput("no PIN is set"))?;
                    let p = pin.to_pin()?;
                    self.finish_enrol(*decision, Some((&device, &p)), env)?
                }
                PinCheck::Wrong(remaining) => {
                    let ask = Interaction::VerifySecondFactor {
                        remaining_attempts: remaining,
                        retry: true,
                    };
                    self.set_state(FlowState::WaitingForInput, Some(ask));
                    Step::Next(
                        Phase::ExistingPin(decision),
                        vec![Effect::Update(self.flow.clone())],
                    )
                }
                PinCheck::Blocked => return Ok(self.abort_with(*decision, SdkError::PinBlocked)),
                PinCheck::Unavailable => {
                    return Ok(self.abort_with(*decision, SdkError::Unreachable))
                }
            },
            (
                Phase::NewPin(decision) | Phase::ExistingPin(decision),
                Input::Respond(Response::Cancel | Response::Deny),
            ) => self.declined(*decision)?,
            (Phase::Outcome(channel), Input::Frame(frame)) => self.on_outcome(channel, &frame)?,
            (Phase::ServerPin(mut channel), Input::Respond(Response::Pin { pin })) => {
                let p = match pin.to_pin() {
                    Ok(p) => p,
                    Err(err) => return Ok(Step::Refused(Phase::ServerPin(channel), err)),
                };
                let device = env.device_secret()?.ok_or(SdkError::Refused(110))?;
                let account = self.chosen.as_ref().ok_or(SdkError::UnknownAccount)?;
                let server_id = *self.payload.server_id();
                let verifier = pin_verifier(&device, &p, &server_id, &account.public_key);
                let proof = pin_proof(&verifier, channel.binder());
                let record = channel.seal(&AppRecord::PinProof { proof }.encode()?)?;
                self.set_state(FlowState::Active, None);
                Step::Next(
                    Phase::Outcome(channel),
                    vec![Effect::Send(record), Effect::Update(self.flow.clone())],
                )
            }
            (Phase::ServerPin(_), Input::Respond(Response::Cancel | Response::Deny)) => {
                self.set_state(FlowState::Done, None);
                let history = self.history(HistoryStatus::Aborted, None);
                Step::Next(
                    Phase::Ended,
                    vec![Effect::Close, history, Effect::Update(self.flow.clone())],
                )
            }
            (Phase::Continuous(mut channel), Input::Frame(frame)) => {
                match ServerRecord::decode(&channel.open(&frame)?)? {
                    ServerRecord::Ping { counter } => {
                        let pong = channel.seal(&AppRecord::Pong { counter }.encode()?)?;
                        Step::Next(Phase::Continuous(channel), vec![Effect::Send(pong)])
                    }
                    ServerRecord::LoggedOut => self.session_ended(None),
                    _ => self
                        .session_ended(Some(SdkError::Protocol(ProtocolError::UnexpectedMessage))),
                }
            }
            (Phase::Continuous(mut channel), Input::Respond(Response::Cancel)) => {
                let logout = channel.seal(&AppRecord::Logout.encode()?)?;
                Step::Next(Phase::LoggingOut(channel), vec![Effect::Send(logout)])
            }
            (Phase::LoggingOut(mut channel), Input::Frame(frame)) => {
                match ServerRecord::decode(&channel.open(&frame)?)? {
                    ServerRecord::LoggedOut => self.session_ended(None),
                    // A ping that crossed our logout: the session ends anyway.
                    _ => Step::Next(Phase::LoggingOut(channel), Vec::new()),
                }
            }
            (Phase::LoggingOut(_), Input::Closed | Input::TimedOut) => self.session_ended(None),
            (Phase::Continuous(_), Input::Closed) => {
                self.session_ended(Some(SdkError::ConnectionLost))
            }
            (Phase::Continuous(_), Input::TimedOut) => self.session_ended(Some(SdkError::Timeout)),
            (Phase::Ended, Input::Respond(_)) => Step::Refused(Phase::Ended, SdkError::UnknownFlow),
            (Phase::Ended, _) => Step::Next(Phase::Ended, Vec::new()),
            (Phase::Continuous(_) | Phase::LoggingOut(_), Input::Unreachable) => {
                self.session_ended(Some(SdkError::Unreachable))
            }
            (_, Input::Unreachable) => return Err(SdkError::Unreachable),
            (_, Input::Failed(err)) => return Err(err),
            (_, Input::Closed) => return Err(SdkError::ConnectionLost),
            (_, Input::TimedOut) => return Err(SdkError::Timeout),
            (phase, Input::Respond(_)) => Step::Refused(phase, SdkError::WrongResponse),
            (_, Input::Frame(_) | Input::PinChecked(_)) => {
                return Err(SdkError::Protocol(ProtocolError::UnexpectedMessage));
            }
        })
    }

    fn candidates(&self) -> Vec<KnownAccount> {
        let server = self.payload.server_id().to_base64();
        self.ctx
            .accounts
            .iter()
            .filter(|a| a.account.server_id == server && !a.account.pending_delete)
            .cloned()
            .collect()
    }

    fn on_server_hello(
        &mut self,
        hs: ClientHandshake,
        frame_bytes: &[u8],
        env: &dyn Env,
    ) -> SdkResult<Step> {
        if frame_bytes.first() == Some(&frame::ALERT) {
            return Err(SdkError::Refused(decode_alert(frame_bytes)?));
        }
        let decision = match (&self.payload, &self.ctx.known_server) {
            (QrPayload::Enrol(code), _) => {
                hs.read_server_hello(frame_bytes, ParamsTrust::EnrolHash(&code.params_hash))?
            }
            (_, Some((key, not_before))) => hs.read_server_hello(
                frame_bytes,
                ParamsTrust::KnownKey {
                    key,
                    not_before: *not_before,
                },
            )?,
            (_, None) => return Err(SdkError::NoAccountsForServer),
        };
        if self
            .ctx
            .pinned_key
            .is_some_and(|pinned| pinned != decision.params.public_key)
        {
            return Ok(self.abort_with(decision, SdkError::PinnedKeyMismatch));
        }
        let params = decision.params.clone();
        self.flow.server = Some(server_info(&params, &decision.signed_params.bytes));
        let save = Effect::SaveServer {
            signed: decision.signed_params.clone(),
            params: params.clone(),
        };
        self.params = Some(params.clone());
        let candidates = self.candidates();
        let context = match ServerContext::decode(&decision.context) {
            Ok(context) => context,
            Err(err) => return Ok(self.abort_with(decision, err.into())),
        };
        let interaction = match (&self.payload, context) {
            (QrPayload::Enrol(code), ServerContext::Enrol { .. }) => {
                let duplicate = candidates
                    .iter()
                    .any(|a| a.account.display_name == code.display_name);
                if params.unique_display_names && duplicate {
                    return Ok(self.abort_with(decision, SdkError::DisplayNameExists));
                }
                Interaction::ConfirmEnrol {
                    display_name: code.display_name.clone(),
                    existing_accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                }
            }
            (QrPayload::Login(_), ServerContext::Login { announce, session }) => {
                let view = announce_view(&announce, &session);
                self.announce = Some(view.clone());
                Interaction::Confirm {
                    accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                    announce: view,
                }
            }
            (QrPayload::Transaction(_), ServerContext::Transaction(details)) => {
                self.transaction = Some(details.clone());
                Interaction::ConfirmTransaction {
                    accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                    amount: details.amount,
                    beneficiary: details.beneficiary,
                    description: details.description,
                }
            }
            _ => return Ok(self.abort_with(decision, ProtocolError::UnexpectedMessage.into())),
        };
        if self.ctx.app_login {
            // The app logs itself in: there is no one to ask, the single account answers.
            let response = Response::Confirm {
                account_id: None,
                user_input: None,
            };
            return match self.on_confirm(Box::new(decision), response, env)? {
                Step::Next(phase, mut effects) => {
                    effects.insert(0, save);
                    Ok(Step::Next(phase, effects))
                }
                Step::Refused(phase, err) => Ok(Step::Refused(phase, err)),
            };
        }
        self.set_state(FlowState::WaitingForConfirmation, Some(interaction));
        Ok(Step::Next(
            Phase::Confirm(Box::new(decision)),
            vec![save, Effect::Update(self.flow.clone())],
        ))
    }

    fn on_confirm(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        response: Response,
        env: &dyn Env,
    ) -> SdkResult<Step> {
        let (account_id, user_input, approve) = match (&self.payload, response) {
            (
                _,
                Response::Confirm {
                    account_id,
                    user_input,
                },
            ) => (account_id, user_input, true),
            (QrPayload::Transaction(_), Response::Deny) => (None, None, false),
            (_, Response::Deny | Response::Cancel) => return self.declined(*decision),
            (_, Response::Pin { .. }) => {
                return Ok(Step::Refused(
                    Phase::Confirm(decision),
                    SdkError::WrongResponse,
                ))
            }
        };
        if let QrPayload::Enrol(_) = self.payload {
            let requires_pin = self
                .params
                .as_ref()
                .is_some_and(|p| p.second_factor == SecondFactorPolicy::Pin);
            if !requires_pin {
                return self.finish_enrol(*decision, None, env);
            }
            let (phase, ask) = if env.device_secret()?.is_some() {
                (
                    Phase::ExistingPin(decision),
                    Interaction::VerifySecondFactor {
                        remaining_attempts: 0,
                        retry: false,
                    },
                )
            } else {
                (Phase::NewPin(decision), Interaction::SetSecondFactor)
            };
            self.set_state(FlowState::WaitingForInput, Some(ask));
            return Ok(Step::Next(phase, vec![Effect::Update(self.flow.clone())]));
        }
        let candidates = self.candidates();
        let chosen = match account_id {
            Some(id) => candidates.into_iter().find(|a| a.account.id == id),
            None if candidates.len() == 1 => candidates.into_iter().next(),
            None => None,
        };
        let Some(chosen) = chosen else {
            return Ok(Step::Refused(
                Phase::Confirm(decision),
                SdkError::UnknownAccount,
            ));
        };
        let request = match self.payload {
            QrPayload::Transaction(_) => ClientRequest::Transaction { approve },
            _ => ClientRequest::Login {
                user_input: user_input.unwrap_or_default(),
            },
        };
        let signer = env.account_signer(&chosen.account.id)?;
        let (channel, finish) = decision.finish(signer.as_ref(), &request.encode()?, env.rng())?;
        self.flow.account = Some(chosen.account.clone());
        self.chosen = Some(chosen);
        if !approve {
            self.transaction_declined = true;
        }
        self.set_state(FlowState::Active, None);
        Ok(Step::Next(
            Phase::Outcome(Box::new(channel)),
            vec![Effect::Send(finish), Effect::Update(self.flow.clone())],
        ))
    }
}

impl FlowMachine {
    /// Makes the account key, derives the PIN verifier, and sends the enrolment.
    fn finish_enrol(
        &mut self,
        decision: ClientAwaitingDecision,
        pin: Option<(&DeviceSecret, &Pin)>,
        env: &dyn Env,
    ) -> SdkResult<Step> {
        let QrPayload::Enrol(code) = &self.payload else {
            return Err(SdkError::WrongResponse);
        };
        let code: EnrolCode = code.clone();
        let (key, pkcs8) = SigningKey::generate(env.rng())?;
        let public_key = key.public_key();
        let verifier =
            pin.map(|(device, pin)| *pin_verifier(device, pin, &code.server_id, &public_key));
        let request = ClientRequest::Enrol {
            secret: code.secret.clone(),
            device_name: self.ctx.device_name.chars().take(64).collect(),
            pin_verifier: verifier,
        };
        let (channel, finish) = decision.finish(&key, &request.encode()?, env.rng())?;
        let account = Account {
            id: self.flow.id.clone(),
            server_id: code.server_id.to_base64(),
            server_name: self
                .params
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            display_name: code.display_name.clone(),
            created: env.now(),
            last_login: Some(env.now()),
            has_pin: verifier.is_some(),
            pending_delete: false,
        };
        self.flow.account = Some(account.clone());
        self.chosen = Some(KnownAccount {
            account: account.clone(),
            public_key,
        });
        self.new_account = Some(NewAccount {
            account,
            public_key,
            pkcs8,
            push_key: Zeroizing::new(*channel.push_key()),
        });
        self.set_state(FlowState::Active, None);
        Ok(Step::Next(
            Phase::Outcome(Box::new(channel)),
            vec![Effect::Send(finish), Effect::Update(self.flow.clone())],
        ))
    }

    fn on_outcome(&mut self, mut channel: Box<Channel>, frame_bytes: &[u8]) -> SdkResult<Step> {
        let record = ServerRecord::decode(&channel.open(frame_bytes)?)?;
        match record {
            ServerRecord::Accepted => Ok(self.accepted(channel)),
            ServerRecord::PinRequired { remaining_attempts }
            | ServerRecord::PinWrong { remaining_attempts } => {
                let retry = matches!(record, ServerRecord::PinWrong { .. });
                let ask = Interaction::VerifySecondFactor {
                    remaining_attempts,
                    retry,
                };
                self.set_state(FlowState::WaitingForInput, Some(ask));
                Ok(Step::Next(
                    Phase::ServerPin(channel),
                    vec![Effect::Update(self.flow.clone())],
                ))
            }
            ServerRecord::PinBlocked => Err(SdkError::PinBlocked),
            ServerRecord::Refused { code } => Err(SdkError::Refused(code)),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }

    fn accepted(&mut self, channel: Box<Channel>) -> Step {
        let mut effects = Vec::new();
        if let Some(secret) = self.new_pin_secret.take() {
            effects.push(Effect::SetPinSecret(secret));
        }
        if let Some(account) = self.new_account.take() {
            effects.push(Effect::CreateAccount(Box::new(account)));
        }
        let continuous = self.params.as_ref().is_some_and(|p| p.ping_time > 0);
        let status = match self.flow.kind {
            FlowKind::SignTransaction if self.transaction_declined => HistoryStatus::Declined,
            FlowKind::SignTransaction => HistoryStatus::Approved,
            FlowKind::Enrol => HistoryStatus::Enrolled,
            _ if continuous => HistoryStatus::LoggedIn,
            _ => HistoryStatus::LoggedInOneShot,
        };
        if let (FlowKind::Login, Some(account)) = (self.flow.kind, &self.chosen) {
            effects.push(Effect::RecordLogin {
                account_id: account.account.id.clone(),
            });
        }
        effects.push(self.history(status, None));
        self.set_state(FlowState::Done, None);
        let logs_in = matches!(self.flow.kind, FlowKind::Login | FlowKind::Enrol);
        if logs_in && continuous {
            if let Some(session) = self.session_view(SessionState::Active, None) {
                effects.push(Effect::Update(self.flow.clone()));
                effects.push(Effect::Session(session));
                return Step::Next(Phase::Continuous(channel), effects);
            }
        }
        // Closed before the end is reported, so nothing of the flow is left once the app
        // hears of it (it may start the next flow at once).
        effects.push(Effect::Close);
        effects.push(Effect::Update(self.flow.clone()));
        Step::Next(Phase::Ended, effects)
    }

    fn session_view(&self, state: SessionState, error: Option<&SdkError>) -> Option<Session> {
        Some(Session {
            id: self.flow.id.clone(),
            account: self.chosen.as_ref()?.account.clone(),
            server: self.flow.server.clone()?,
            state,
            continuous: true,
            error: error.map(SdkError::info),
        })
    }

    fn session_ended(&mut self, error: Option<SdkError>) -> Step {
        // The history entry is written before the app hears of the logout, so what it reads
        // after the event is already there.
        let mut effects =
            vec![self.history(HistoryStatus::LoggedOut, error.as_ref().map(SdkError::code))];
        if let Some(session) = self.session_view(SessionState::LoggedOut, error.as_ref()) {
            effects.push(Effect::Session(session));
        }
        effects.push(Effect::Close);
        Step::Next(Phase::Ended, effects)
    }

    /// The person said no before any account was revealed.
    fn declined(&mut self, decision: ClientAwaitingDecision) -> SdkResult<Step> {
        let abort = decision.abort(AbortReason::Declined)?;
        self.set_state(FlowState::Done, None);
        let history = self.history(HistoryStatus::Aborted, None);
        Ok(Step::Next(
            Phase::Ended,
            vec![
                Effect::Send(abort),
                Effect::Close,
                history,
                Effect::Update(self.flow.clone()),
            ],
        ))
    }

    /// Ends the flow with `err`, telling the server (without revealing an account) first.
    fn abort_with(&mut self, decision: ClientAwaitingDecision, err: SdkError) -> Step {
        let reason = match err {
            SdkError::NoAccountsForServer => AbortReason::NoAccounts,
            _ => AbortReason::Rejected,
        };
        let mut effects = Vec::new();
        if let Ok(abort) = decision.abort(reason) {
            effects.push(Effect::Send(abort));
        }
        effects.extend(self.fail(err));
        Step::Next(Phase::Ended, effects)
    }

    /// Puts the flow into the error state.
    fn fail(&mut self, err: SdkError) -> Vec<Effect> {
        self.phase = Phase::Ended;
        self.new_account = None;
        self.new_pin_secret = None;
        let info = err.info();
        self.flow.state = FlowState::Error;
        self.flow.interaction = None;
        self.flow.error = Some(info.clone());
        vec![
            self.history(HistoryStatus::Error, Some(info.code)),
            Effect::Close,
            Effect::Update(self.flow.clone()),
        ]
    }

    fn set_state(&mut self, state: FlowState, interaction: Option<Interaction>) {
        self.flow.state = state;
        self.flow.interaction = interaction;
    }

    fn history(&self, status: HistoryStatus, error_code: Option<u16>) -> Effect {
        let detail = match (&self.transaction, &self.payload) {
            (Some(t), _) => format!("{} to {}: {}", t.amount, t.beneficiary, t.description),
            (None, QrPayload::Enrol(code)) => format!("account {}", code.display_name),
            _ => String::new(),
        };
        Effect::History(HistoryDraft {
            at: 0,
            kind: history_kind(self.flow.kind),
            status,
            server_id: Some(*self.payload.server_id()),
            server_name: self
                .params
                .as_ref()
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            account_id: self.chosen.as_ref().map(|a| a.account.id.clone()),
            account_name: self
                .chosen
                .as_ref()
                .map(|a| a.account.display_name.clone())
                .unwrap_or_default(),
            announce: self.announce.clone(),
            error_code,
            detail,
        })
    }
}

enum Step {
    Next(Phase, Vec<Effect>),
    Refused(Phase, SdkError),
}
