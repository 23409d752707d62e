//! The flow state machine. See the module docs of [`crate::engine`] for the picture.

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{
    decode_alert, frame, AbortReason, ClientAwaitingDecision, ClientHandshake, Purpose,
    Session as Channel,
};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, ServerContext, ServerRecord, TransactionDetails,
};
use nextauth_protocol::params::{
    ParamsTrust, SecondFactorPolicy, ServerParams, SignedServerParams,
};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::qr::{EnrolCode, QrPayload};
use nextauth_protocol::ProtocolError;
use zeroize::Zeroizing;

use super::views::{announce_view, check_view, server_info};
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
    ResetPin(Box<Channel>),
    /// An account without a PIN gets one (HEADLESS_UPGRADE): the app's existing PIN is being
    /// checked with a server first.
    UpgradeCheckingPin(Box<Channel>, PinInput),
    /// Accepted; waiting for the driver to store what the flow must keep.
    Committing(Box<Channel>),
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
    /// The enrolment stored as pending (its account id).
    pending_enrol: Option<String>,
    /// The new server's parameters (enrolment), stored with the account once accepted.
    enrol_params: Option<(SignedServerParams, ServerParams)>,
    /// The session or transaction ref of a login or approval that was sent and not yet
    /// answered (its outcome is unknown if the connection breaks now).
    answered: Option<[u8; 16]>,
    transaction_declined: bool,
    /// The number the prompt asks for.
    number_asked: crate::model::NumberAsk,
    /// The person said "This was not me" (the answer reports it).
    not_me: bool,
    /// A login code for a server without an account here: the flow only tells the server
    /// (so the browser hears NOACCOUNTS) and ends with error 34.
    no_accounts: bool,
    /// The server asked an account without a PIN to get one (HEADLESS_UPGRADE).
    pin_upgrade: bool,
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
        FlowKind::AddBiometrics => "ADD_BIOMETRICS",
        FlowKind::RemoveBiometrics => "REMOVE_BIOMETRICS",
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
            pending_enrol: None,
            enrol_params: None,
            answered: None,
            transaction_declined: false,
            number_asked: crate::model::NumberAsk::None,
            not_me: false,
            no_accounts: false,
            pin_upgrade: false,
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
            QrPayload::Login(_) if !self.ctx.app_login => {
                if self.candidates().is_empty() || self.ctx.known_server.is_none() {
                    // The website waits for the scan to end: the app connects only to say it
                    // has no account there (the browser then hears NOACCOUNTS), unless the
                    // configuration keeps it away from servers not on its list.
                    let allowed = &self.ctx.allowed_servers;
                    if !allowed.is_empty() && !allowed.contains(&server_id.to_base64()) {
                        return Err(SdkError::NoAccountsForServer);
                    }
                    self.no_accounts = true;
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
        // A server the app knows is reached where its signed parameters say, never where a
        // code says: a code must not make the app connect to another host for it.
        let endpoint = match (&self.payload, &self.ctx.known_server) {
            (QrPayload::Enrol(_), _) | (_, None) => self.payload.endpoint().to_owned(),
            (_, Some(known)) if known.endpoint != self.payload.endpoint() => {
                return Err(SdkError::EndpointMismatch(known.name.clone()));
            }
            (_, Some(known)) => known.endpoint.clone(),
        };
        let (hs, hello) = ClientHandshake::start(env.rng(), purpose, server_id, reference)?;
        self.phase = Phase::Hello(hs);
        Ok(vec![
            Effect::Connect { endpoint },
            Effect::Send(hello),
            Effect::Update(self.flow.clone()),
        ])
    }

    /// The session reference of a login (QR, link, push or AppLogin): what a LOGOUT push
    /// names.
    pub fn session_ref(&self) -> Option<[u8; 16]> {
        match &self.payload {
            QrPayload::Login(code) => Some(code.session_ref.0),
            _ => None,
        }
    }

    /// The flow's current public view.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Whether the flow is over (done or failed) and any session has ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.phase, Phase::Ended)
    }

    /// The account and reference of a login or approval that was sent and not answered yet:
    /// if the app stops now, its outcome is unknown and must be asked later.
    pub fn awaiting_answer(&self) -> Option<(String, [u8; 16])> {
        let account = self.chosen.as_ref()?;
        self.answered.map(|r| (account.account.id.clone(), r))
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
                        self.finish_enrol(*decision, Some((&device, &p)), true, env)?
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
                    self.finish_enrol(*decision, Some((&device, &p)), false, env)?
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
            (Phase::Outcome(channel), Input::Frame(frame)) => {
                self.on_outcome(channel, &frame, env)?
            }
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
            (Phase::ResetPin(channel), Input::Respond(Response::Pin { pin }))
                if self.pin_upgrade && env.device_secret()?.is_some() =>
            {
                // The app's one PIN becomes this account's too: checked with a server first,
                // so that a mistyped PIN does not give this account another one.
                if let Err(err) = pin.to_pin() {
                    return Ok(Step::Refused(Phase::ResetPin(channel), err));
                }
                self.set_state(FlowState::Active, None);
                Step::Next(
                    Phase::UpgradeCheckingPin(channel, pin.clone()),
                    vec![Effect::CheckPin { pin }, Effect::Update(self.flow.clone())],
                )
            }
            (Phase::ResetPin(channel), Input::Respond(Response::Pin { pin })) => {
                self.set_pin_again(channel, &pin, env)?
            }
            (Phase::UpgradeCheckingPin(channel, pin), Input::PinChecked(check)) => match check {
                PinCheck::Right => self.set_pin_again(channel, &pin, env)?,
                PinCheck::Wrong(remaining_attempts) => {
                    let ask = Interaction::VerifySecondFactor {
                        remaining_attempts,
                        retry: true,
                    };
                    self.set_state(FlowState::WaitingForInput, Some(ask));
                    Step::Next(
                        Phase::ResetPin(channel),
                        vec![Effect::Update(self.flow.clone())],
                    )
                }
                PinCheck::Blocked => return Err(SdkError::PinBlocked),
                PinCheck::Unavailable => return Err(SdkError::Unreachable),
            },
            (
                Phase::ServerPin(_) | Phase::ResetPin(_) | Phase::UpgradeCheckingPin(..),
                Input::Respond(Response::Cancel | Response::Deny),
            ) => {
                self.set_state(FlowState::Done, None);
                let history = self.history(HistoryStatus::Aborted, None);
                Step::Next(
                    Phase::Ended,
                    vec![Effect::Close, history, Effect::Update(self.flow.clone())],
                )
            }
            (Phase::Committing(channel), Input::Committed) => self.committed(channel),
            (Phase::Committing(mut channel), Input::Failed(err)) => {
                // The server went ahead and the app could not keep it: a continuous login is
                // logged out again; an enrolment stays pending and is settled at the next start.
                let mut effects = Vec::new();
                if let Ok(logout) = channel.seal(&AppRecord::Logout.encode()?) {
                    effects.push(Effect::Send(logout));
                }
                effects.extend(self.fail(err));
                Step::Next(Phase::Ended, effects)
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
            (Phase::Continuous(_) | Phase::LoggingOut(_), Input::LoggedOutByPush) => {
                self.session_ended(None)
            }
            // Only a session can be logged out by push; a flow goes on.
            (phase, Input::LoggedOutByPush) => Step::Next(phase, Vec::new()),
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
            (_, Input::Frame(_) | Input::PinChecked(_) | Input::Committed) => {
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
            .filter(|a| {
                self.ctx
                    .only_account
                    .as_ref()
                    .is_none_or(|only| *only == a.account.id)
            })
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
        if self.no_accounts && self.ctx.known_server.is_none() && self.ctx.pinned_key.is_none() {
            return Ok(self.tell_no_accounts(hs, frame_bytes));
        }
        let known = self.ctx.known_server.as_ref();
        let trust = match (&self.payload, known) {
            (QrPayload::Enrol(code), None) => ParamsTrust::EnrolHash(&code.params_hash),
            // An enrol code for a server the app knows must also be signed by its key: a code
            // cannot replace the key the app trusts (docs/security.md, "Server impersonation").
            (QrPayload::Enrol(code), Some(known)) => ParamsTrust::EnrolKnown {
                hash: &code.params_hash,
                key: &known.public_key,
                not_before: known.issued_at,
            },
            (_, Some(known)) => ParamsTrust::KnownKey {
                key: &known.public_key,
                not_before: known.issued_at,
            },
            // No stored parameters, but the configuration pins this server's key.
            (_, None) => match &self.ctx.pinned_key {
                Some(pinned) if self.no_accounts => ParamsTrust::KnownKey {
                    key: pinned,
                    not_before: 0,
                },
                _ => return Err(SdkError::NoAccountsForServer),
            },
        };
        let decision = match (hs.read_server_hello(frame_bytes, trust), known) {
            (Ok(decision), _) => decision,
            (Err(ProtocolError::ServerMismatch), Some(known)) => {
                return Err(SdkError::ImpersonatedServer(known.name.clone()))
            }
            (Err(err), _) => return Err(err.into()),
        };
        if self
            .ctx
            .pinned_key
            .is_some_and(|pinned| pinned != decision.params.public_key)
        {
            return Ok(self.abort_with(decision, SdkError::PinnedKeyMismatch));
        }
        if self.no_accounts {
            // Authenticated by the key the app trusts for it, yet no account here to offer.
            return Ok(self.abort_with(decision, SdkError::NoAccountsForServer));
        }
        let params = decision.params.clone();
        self.flow.server = Some(server_info(&params, &decision.signed_params.bytes));
        let save = Effect::SaveServer {
            signed: decision.signed_params.clone(),
            params: params.clone(),
        };
        // A login or transaction refreshes the parameters now: the server just proved the
        // key the app trusts. An enrolment keeps them until the server accepted it.
        let save_now = match &self.payload {
            QrPayload::Enrol(_) => {
                self.enrol_params = Some((decision.signed_params.clone(), params.clone()));
                Vec::new()
            }
            _ => vec![save],
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
            (
                QrPayload::Login(_),
                ServerContext::Login {
                    announce,
                    session,
                    check,
                },
            ) => {
                let view = announce_view(&announce, &session);
                self.announce = Some(view.clone());
                let check = Box::new(check_view(&check, self.ctx.source));
                self.number_asked = check.number.clone();
                Interaction::Confirm {
                    accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                    announce: view,
                    check,
                }
            }
            (QrPayload::Transaction(_), ServerContext::Transaction { details, check }) => {
                self.transaction = Some(details.clone());
                let check = Box::new(check_view(&check, self.ctx.source));
                self.number_asked = check.number.clone();
                Interaction::ConfirmTransaction {
                    accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                    amount: details.amount,
                    beneficiary: details.beneficiary,
                    description: details.description,
                    check,
                }
            }
            _ => return Ok(self.abort_with(decision, ProtocolError::UnexpectedMessage.into())),
        };
        if self.ctx.app_login {
            // The app logs itself in: there is no one to ask, the single account answers.
            let response = Response::Confirm {
                account_id: None,
                user_input: None,
                number: None,
            };
            return match self.on_confirm(Box::new(decision), response, env)? {
                Step::Next(phase, effects) => Ok(Step::Next(
                    phase,
                    save_now.into_iter().chain(effects).collect(),
                )),
                Step::Refused(phase, err) => Ok(Step::Refused(phase, err)),
            };
        }
        self.set_state(FlowState::WaitingForConfirmation, Some(interaction));
        let mut effects = save_now;
        effects.push(Effect::Update(self.flow.clone()));
        Ok(Step::Next(Phase::Confirm(Box::new(decision)), effects))
    }

    fn on_confirm(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        response: Response,
        env: &dyn Env,
    ) -> SdkResult<Step> {
        let (account_id, user_input, number, approve) = match (&self.payload, response) {
            (
                _,
                Response::Confirm {
                    account_id,
                    user_input,
                    number,
                },
            ) => (account_id, user_input, number, true),
            (QrPayload::Transaction(_), Response::Deny) => (None, None, None, false),
            (QrPayload::Login(_) | QrPayload::Transaction(_), Response::NotMe { account_id })
                if !self.ctx.app_login =>
            {
                self.not_me = true;
                (account_id, None, None, false)
            }
            (_, Response::Deny | Response::Cancel | Response::NotMe { .. }) => {
                return self.declined(*decision)
            }
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
                return self.finish_enrol(*decision, None, false, env);
            }
            let has_pin = env.device_secret()?.is_some();
            if has_pin && self.ctx.second_factor_blocked {
                return Ok(self.abort_with(*decision, SdkError::PinBlocked));
            }
            let (phase, ask) = if has_pin {
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
        let number = if approve {
            match number_given(&self.number_asked, number.as_deref()) {
                Ok(number) => number,
                Err(err) => return Ok(Step::Refused(Phase::Confirm(decision), err)),
            }
        } else {
            String::new()
        };
        let request = match self.payload {
            _ if self.not_me => ClientRequest::NotMe,
            QrPayload::Transaction(_) => ClientRequest::Transaction { approve, number },
            _ => ClientRequest::Login {
                user_input: user_input.unwrap_or_default(),
                number,
            },
        };
        let signer = env.account_signer(&chosen.account.id)?;
        let (channel, finish) = decision.finish(signer.as_ref(), &request.encode()?, env.rng())?;
        self.flow.account = Some(chosen.account.clone());
        self.chosen = Some(chosen);
        if !approve {
            self.transaction_declined = true;
        }
        self.answered = Some(match &self.payload {
            QrPayload::Login(c) => c.session_ref.0,
            QrPayload::Transaction(c) => c.transaction_ref.0,
            QrPayload::Enrol(c) => c.session_ref.0,
        });
        self.set_state(FlowState::Active, None);
        Ok(Step::Next(
            Phase::Outcome(Box::new(channel)),
            vec![Effect::Send(finish), Effect::Update(self.flow.clone())],
        ))
    }
}

/// The number in the person's answer, checked against what the prompt asked: one of the
/// choices, or the right count of digits. The server decides whether it is the browser's.
fn number_given(asked: &crate::model::NumberAsk, given: Option<&str>) -> SdkResult<String> {
    use crate::model::NumberAsk;
    let given = given.map(str::trim).unwrap_or_default();
    let fits = match asked {
        NumberAsk::None => return Ok(String::new()),
        NumberAsk::Choose { choices } => choices.iter().any(|c| c == given),
        NumberAsk::Type { digits } => {
            given.len() == usize::from(*digits) && given.bytes().all(|b| b.is_ascii_digit())
        }
    };
    if fits {
        Ok(given.to_owned())
    } else {
        Err(SdkError::InvalidInput("the number the browser shows"))
    }
}

impl FlowMachine {
    /// Makes the account key, derives the PIN verifier, stores the enrolment as pending (and
    /// a new PIN's device secret), and only then sends it: the server never has an account
    /// whose key the app did not keep.
    fn finish_enrol(
        &mut self,
        decision: ClientAwaitingDecision,
        pin: Option<(&DeviceSecret, &Pin)>,
        new_secret: bool,
        env: &dyn Env,
    ) -> SdkResult<Step> {
        let QrPayload::Enrol(code) = &self.payload else {
            return Err(SdkError::WrongResponse);
        };
        let code: EnrolCode = code.clone();
        let (signed, params) = self
            .enrol_params
            .clone()
            .ok_or(SdkError::Protocol(ProtocolError::UnexpectedMessage))?;
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
            server_name: params.name.clone(),
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
        self.pending_enrol = Some(account.id.clone());
        let mut effects = Vec::new();
        if let (true, Some((device, _))) = (new_secret, pin) {
            effects.push(Effect::SetPinSecret(DeviceSecret::from_bytes(
                *device.expose(),
            )));
        }
        effects.push(Effect::StorePendingEnrol {
            account: Box::new(NewAccount {
                account,
                public_key,
                pkcs8,
                push_key: Zeroizing::new(*channel.push_key()),
            }),
            signed,
            params,
        });
        self.set_state(FlowState::Active, None);
        effects.push(Effect::Send(finish));
        effects.push(Effect::Update(self.flow.clone()));
        Ok(Step::Next(Phase::Outcome(Box::new(channel)), effects))
    }

    fn on_outcome(
        &mut self,
        mut channel: Box<Channel>,
        frame_bytes: &[u8],
        env: &dyn Env,
    ) -> SdkResult<Step> {
        let record = ServerRecord::decode(&channel.open(frame_bytes)?)?;
        match record {
            ServerRecord::Accepted => Ok(self.accepted(channel)),
            ServerRecord::PinRequired { .. } if self.ctx.second_factor_blocked => {
                Err(SdkError::PinBlocked)
            }
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
            ServerRecord::PinReset => {
                // An account that has no PIN yet gets one (the server now requires it): the
                // app's PIN if it has one, else a new one. Otherwise the integrator reset it.
                self.pin_upgrade = self.chosen.as_ref().is_some_and(|a| !a.account.has_pin);
                let ask = if self.pin_upgrade && env.device_secret()?.is_some() {
                    Interaction::VerifySecondFactor {
                        remaining_attempts: 0,
                        retry: false,
                    }
                } else {
                    Interaction::SetSecondFactor
                };
                self.set_state(FlowState::WaitingForInput, Some(ask));
                Ok(Step::Next(
                    Phase::ResetPin(channel),
                    vec![Effect::Update(self.flow.clone())],
                ))
            }
            ServerRecord::PinBlocked => Err(SdkError::PinBlocked),
            ServerRecord::Refused { code } => Err(SdkError::Refused(code)),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }

    /// The integrator reset the account's PIN: the PIN the person sets now becomes its PIN,
    /// under the app's device secret (a new one if the app has none).
    fn set_pin_again(
        &mut self,
        mut channel: Box<Channel>,
        pin: &PinInput,
        env: &dyn Env,
    ) -> SdkResult<Step> {
        let p = match pin.to_pin() {
            Ok(p) => p,
            Err(err) => return Ok(Step::Refused(Phase::ResetPin(channel), err)),
        };
        let mut effects = Vec::new();
        let device = match env.device_secret()? {
            Some(device) => device,
            None => {
                // Stored before the verifier leaves the app: the PIN is never the server's only.
                let device = DeviceSecret::generate(env.rng())?;
                effects.push(Effect::SetPinSecret(DeviceSecret::from_bytes(
                    *device.expose(),
                )));
                device
            }
        };
        let account = self.chosen.as_ref().ok_or(SdkError::UnknownAccount)?;
        let verifier = pin_verifier(&device, &p, self.payload.server_id(), &account.public_key);
        let record = channel.seal(
            &AppRecord::PinSet {
                verifier: *verifier,
            }
            .encode()?,
        )?;
        self.set_state(FlowState::Active, None);
        effects.push(Effect::PinSetAgain);
        effects.push(Effect::Send(record));
        effects.push(Effect::Update(self.flow.clone()));
        Ok(Step::Next(Phase::Outcome(channel), effects))
    }

    /// The server accepted: first what the flow must keep is stored ([`Effect::Commit`]
    /// follows it), and only then is the flow reported done ([`FlowMachine::committed`]).
    fn accepted(&mut self, channel: Box<Channel>) -> Step {
        self.answered = None;
        let continuous = self.params.as_ref().is_some_and(|p| p.ping_time > 0);
        let status = match self.flow.kind {
            _ if self.not_me => HistoryStatus::NotMe,
            FlowKind::SignTransaction if self.transaction_declined => HistoryStatus::Declined,
            FlowKind::SignTransaction => HistoryStatus::Approved,
            FlowKind::Enrol => HistoryStatus::Enrolled,
            _ if continuous => HistoryStatus::LoggedIn,
            _ => HistoryStatus::LoggedInOneShot,
        };
        let mut effects = Vec::new();
        if let (true, Some(account)) = (self.pin_upgrade, &self.chosen) {
            effects.push(Effect::AccountHasPin {
                account_id: account.account.id.clone(),
            });
        }
        if let (FlowKind::Login, Some(account), false) = (self.flow.kind, &self.chosen, self.not_me)
        {
            effects.push(Effect::RecordLogin {
                account_id: account.account.id.clone(),
            });
        }
        let history = self.history_draft(status, None);
        match self.pending_enrol.take() {
            Some(account_id) => effects.push(Effect::ActivateEnrol {
                account_id,
                history,
            }),
            None => effects.push(Effect::History(history)),
        }
        effects.push(Effect::Commit);
        Step::Next(Phase::Committing(channel), effects)
    }

    /// Everything is stored: the flow is done (and a continuous session goes on).
    fn committed(&mut self, channel: Box<Channel>) -> Step {
        let continuous = self.params.as_ref().is_some_and(|p| p.ping_time > 0);
        self.set_state(FlowState::Done, None);
        let logs_in = matches!(self.flow.kind, FlowKind::Login | FlowKind::Enrol) && !self.not_me;
        if logs_in && continuous {
            if let Some(session) = self.session_view(SessionState::Active, None) {
                let effects = vec![Effect::Update(self.flow.clone()), Effect::Session(session)];
                return Step::Next(Phase::Continuous(channel), effects);
            }
        }
        // Closed before the end is reported, so nothing of the flow is left once the app
        // hears of it (it may start the next flow at once).
        Step::Next(
            Phase::Ended,
            vec![Effect::Close, Effect::Update(self.flow.clone())],
        )
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

    /// A login code for a server the app has no key for: the hello is checked as far as it
    /// can be without one (docs/protocol.md 5.2) and answered with ClientAbort(NoAccounts).
    /// Nothing of it is stored or shown: anyone can make parameters that name this server.
    fn tell_no_accounts(&mut self, hs: ClientHandshake, frame_bytes: &[u8]) -> Step {
        let mut effects = Vec::new();
        match hs
            .read_server_hello_to_abort(frame_bytes)
            .and_then(|hello| hello.abort(AbortReason::NoAccounts))
        {
            Ok(abort) => effects.push(Effect::Send(abort)),
            // The person's answer is the same either way: no account for this server.
            Err(err) => tracing::info!(code = err.code(), "not telling a server NOACCOUNTS"),
        }
        effects.extend(self.fail(SdkError::NoAccountsForServer));
        Step::Next(Phase::Ended, effects)
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
        // Telling a server that no account is here is a courtesy to its website: whatever
        // went wrong on the way (unreachable, an alert), the person learns the real reason.
        // A server that is not the one the app trusts for that id still says so.
        let err = match err {
            SdkError::PinnedKeyMismatch | SdkError::ImpersonatedServer(_) => err,
            _ if self.no_accounts => SdkError::NoAccountsForServer,
            _ => err,
        };
        let info = err.info();
        self.flow.state = FlowState::Error;
        self.flow.interaction = None;
        self.flow.error = Some(info.clone());
        // The server said no: what was kept for the enrolment goes. Anything else (the
        // connection broke, the disk filled) leaves it pending for the next start to settle.
        let refused = matches!(err, SdkError::Refused(_) | SdkError::PinBlocked);
        let mut effects = Vec::new();
        if let Some(account_id) = self.pending_enrol.take() {
            if refused {
                effects.push(Effect::DiscardEnrol { account_id });
            }
        }
        let history = self.history_draft(HistoryStatus::Error, Some(info.code));
        let unknown = matches!(err, SdkError::ConnectionLost | SdkError::Timeout);
        let answered = self.answered.take().zip(self.chosen.as_ref());
        match answered {
            // Sent, and no answer came: the server is asked later what happened.
            Some((reference, account)) if unknown => effects.push(Effect::Unresolved {
                history,
                account_id: account.account.id.clone(),
                reference,
            }),
            _ => effects.push(Effect::History(history)),
        }
        effects.push(Effect::Close);
        effects.push(Effect::Update(self.flow.clone()));
        effects
    }

    fn set_state(&mut self, state: FlowState, interaction: Option<Interaction>) {
        self.flow.state = state;
        self.flow.interaction = interaction;
    }

    fn history(&self, status: HistoryStatus, error_code: Option<u16>) -> Effect {
        Effect::History(self.history_draft(status, error_code))
    }

    fn history_draft(&self, status: HistoryStatus, error_code: Option<u16>) -> HistoryDraft {
        let detail = match (&self.transaction, &self.payload) {
            (Some(t), _) => format!("{} to {}: {}", t.amount, t.beneficiary, t.description),
            (None, QrPayload::Enrol(code)) => format!("account {}", code.display_name),
            _ => String::new(),
        };
        HistoryDraft {
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
        }
    }
}

enum Step {
    Next(Phase, Vec<Effect>),
    Refused(Phase, SdkError),
}
