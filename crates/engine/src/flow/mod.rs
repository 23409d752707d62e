//! The flow state machine: enrolment, login and transaction. See the crate docs for the
//! picture. This file holds the machine's state and its dispatch table (which phase takes
//! which input); each phase's work is in its own file:
//!
//! | file | phases |
//! | --- | --- |
//! | `start.rs` | the offline checks, connecting, the ClientHello |
//! | `hello.rs` | the ServerHello: the server's key and parameters, what the person is asked |
//! | `confirm.rs` | the person's answer to the prompt; the signed request |
//! | `enrol.rs` | the new account: its PIN (new or existing), its key, the pending store |
//! | `server_pin.rs` | the server's PIN questions: the PIN proof, a reset PIN, HEADLESS_UPGRADE |
//! | `outcome.rs` | the server's answer, storing what the flow keeps, the end of the flow |
//! | `session.rs` | a continuous login after its flow: pings, logouts |
//! | `resume.rs` | a continuous login whose connection closed: RESUME on a new one |
//! | `ending.rs` | errors, aborts, history entries |
//! | `deadline.rs` | how long each phase waits |

mod confirm;
mod deadline;
mod ending;
mod enrol;
mod hello;
mod outcome;
mod resume;
mod server_pin;
mod session;
mod start;

use nextauth_protocol::handshake::{ClientAwaitingDecision, ClientHandshake, Session as Channel};
use nextauth_protocol::messages::TransactionDetails;
use nextauth_protocol::params::{ServerParams, SignedServerParams};
use nextauth_protocol::qr::QrPayload;
use nextauth_protocol::ProtocolError;

use crate::answer::{PinInput, Response};
use crate::context::{Env, FlowContext, KnownAccount};
use crate::effect::{Effect, Input};
use crate::error::{EngineError, EngineResult};
use crate::model::{Announce, Flow, NumberAsk};

/// Where a flow stands, with what that phase needs of the handshake or the channel.
enum Phase {
    /// The ClientHello is out; the ServerHello is awaited.
    Hello(ClientHandshake),
    /// The person is asked to confirm.
    Confirm(Box<ClientAwaitingDecision>),
    /// An enrolment asks for the app's first PIN.
    NewPin(Box<ClientAwaitingDecision>),
    /// An enrolment asks for the app's existing PIN.
    ExistingPin(Box<ClientAwaitingDecision>),
    /// An enrolment's existing PIN is being checked with a server.
    CheckingPin(Box<ClientAwaitingDecision>, PinInput),
    /// The request is sent; the server's answer is awaited.
    Outcome(Box<Channel>),
    /// The server asks for the PIN.
    ServerPin(Box<Channel>),
    /// The server asks for a PIN to be set (reset by the integrator, or HEADLESS_UPGRADE).
    ResetPin(Box<Channel>),
    /// An account without a PIN gets one (HEADLESS_UPGRADE): the app's existing PIN is being
    /// checked with a server first.
    UpgradeCheckingPin(Box<Channel>, PinInput),
    /// Accepted; waiting for the driver to store what the flow must keep.
    Committing(Box<Channel>),
    /// The flow is done; the continuous login session goes on.
    Continuous(Box<Channel>),
    /// The app logged the session out and waits for the server to confirm.
    LoggingOut(Box<Channel>),
    /// The session's connection closed; the next resume attempt waits for its time.
    Reconnecting(resume::Resume),
    /// A resume's hello is out; the ServerHello is awaited.
    ResumeHello(Box<crate::connect::ConnectHandshake>, resume::Resume),
    /// The resume is signed and sent; the server's answer is awaited.
    ResumeAnswer(Box<crate::connect::ConnectAwaitingAccept>, resume::Resume),
    /// Over.
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
    number_asked: NumberAsk,
    /// The person said "This was not me" (the answer reports it).
    not_me: bool,
    /// A login code for a server without an account here: the flow only tells the server
    /// (so the browser hears NOACCOUNTS) and ends with error 34.
    no_accounts: bool,
    /// The server asked an account without a PIN to get one (HEADLESS_UPGRADE).
    pin_upgrade: bool,
    /// When the machine gives up on what it waits for (the driver's milliseconds).
    deadline: Option<u64>,
}

impl std::fmt::Debug for FlowMachine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FlowMachine")
            .field("flow", &self.flow)
            .field("deadline", &self.deadline)
            .finish_non_exhaustive()
    }
}

/// What a step leads to.
enum Step {
    /// The next phase, and what the driver must do.
    Next(Phase, Vec<Effect>),
    /// The input was refused; the phase is unchanged.
    Refused(Phase, EngineError),
}

impl FlowMachine {
    /// The session reference of a login (QR, link, push or AppLogin): what a LOGOUT push
    /// names.
    pub fn session_ref(&self) -> Option<[u8; 16]> {
        match &self.payload {
            QrPayload::Login(code) => Some(code.session_ref.0),
            _ => None,
        }
    }

    /// The id the server logs this enrolment or login under ([`crate::flow_log_id`]);
    /// `None` for a transaction (the server logs it under the login it belongs to).
    pub fn log_id(&self) -> Option<String> {
        match &self.payload {
            QrPayload::Enrol(code) => Some(crate::flow_log_id(&code.server_id, &code.session_ref)),
            QrPayload::Login(code) => Some(crate::flow_log_id(&code.server_id, &code.session_ref)),
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
        matches!(
            self.phase,
            Phase::Continuous(_)
                | Phase::LoggingOut(_)
                | Phase::Reconnecting(_)
                | Phase::ResumeHello(..)
                | Phase::ResumeAnswer(..)
        )
    }

    /// When the driver must feed [`Input::Timer`] (its milliseconds, as [`Env::now_ms`]
    /// counts them); `None` once the flow is over. It moves after every step.
    pub fn deadline(&self) -> Option<u64> {
        self.deadline
    }

    /// Advances the machine. `Err` means the input was refused (a response that does not fit
    /// the question); the state is then unchanged.
    ///
    /// # Errors
    ///
    /// The refusal: `WrongResponse`, `InvalidInput`, `UnknownAccount`, or `UnknownFlow` once
    /// the flow is over.
    pub fn handle(&mut self, input: Input, env: &dyn Env) -> EngineResult<Vec<Effect>> {
        let input = match input {
            Input::Timer if !self.deadline_passed(env) => {
                // Early (or for a deadline that has moved since): wait on.
                return Ok(Vec::new());
            }
            input => input,
        };
        let phase = std::mem::replace(&mut self.phase, Phase::Ended);
        let result = match self.step(phase, input, env) {
            Ok(Step::Next(phase, effects)) => {
                self.phase = phase;
                Ok(effects)
            }
            Ok(Step::Refused(phase, err)) => {
                self.phase = phase;
                Err(err)
            }
            Err(err) => Ok(self.fail(err)),
        };
        // Every input, a refused answer too, starts the wait anew.
        self.arm(env);
        result
    }

    /// The dispatch table: which phase takes which input. Transport events and the timer end
    /// a flow in any phase that has no arm of its own for them.
    fn step(&mut self, phase: Phase, input: Input, env: &dyn Env) -> EngineResult<Step> {
        Ok(match (phase, input) {
            (Phase::Hello(hs), Input::Frame(frame)) => self.on_server_hello(hs, &frame, env)?,
            (Phase::Confirm(decision), Input::Respond(response)) => {
                self.on_confirm(decision, response, env)?
            }
            (Phase::NewPin(decision), Input::Respond(Response::Pin { pin })) => {
                self.on_new_pin(decision, &pin, env)?
            }
            (Phase::ExistingPin(decision), Input::Respond(Response::Pin { pin })) => {
                self.on_existing_pin(decision, pin)
            }
            (Phase::CheckingPin(decision, pin), Input::PinChecked(check)) => {
                self.on_existing_pin_checked(decision, &pin, check, env)?
            }
            (
                Phase::NewPin(decision) | Phase::ExistingPin(decision),
                Input::Respond(Response::Cancel | Response::Deny),
            ) => self.declined(*decision)?,
            (Phase::Outcome(channel), Input::Frame(frame)) => {
                self.on_outcome(channel, &frame, env)?
            }
            (Phase::ServerPin(channel), Input::Respond(Response::Pin { pin })) => {
                self.on_server_pin(channel, &pin, env)?
            }
            (Phase::ResetPin(channel), Input::Respond(Response::Pin { pin })) => {
                self.on_reset_pin(channel, pin, env)?
            }
            (Phase::UpgradeCheckingPin(channel, pin), Input::PinChecked(check)) => {
                self.on_upgrade_pin_checked(channel, &pin, check, env)?
            }
            (
                Phase::ServerPin(_) | Phase::ResetPin(_) | Phase::UpgradeCheckingPin(..),
                Input::Respond(Response::Cancel | Response::Deny),
            ) => self.cancelled_at_pin(),
            (Phase::Committing(channel), Input::Committed) => self.committed(channel),
            (Phase::Committing(mut channel), Input::Failed(err)) => {
                self.commit_failed(&mut channel, err)?
            }
            (Phase::Continuous(channel), Input::Frame(frame)) => {
                self.on_session_frame(channel, &frame)?
            }
            (Phase::Continuous(channel), Input::Respond(Response::Cancel)) => {
                self.log_out(channel)?
            }
            (Phase::LoggingOut(channel), Input::Frame(frame)) => {
                self.on_logout_frame(channel, &frame)?
            }
            (Phase::LoggingOut(_), Input::Closed | Input::Timer) => self.session_ended(None),
            // A continuous session outlives its connection: it is resumed on a new one.
            (Phase::Continuous(_), Input::Closed | Input::Unreachable) => self.connection_lost(env),
            (Phase::Reconnecting(resume), Input::Timer) => self.try_resume(resume, env),
            (Phase::ResumeHello(hs, resume), Input::Frame(frame)) => {
                self.on_resume_hello(*hs, resume, &frame, env)
            }
            (Phase::ResumeAnswer(next, resume), Input::Frame(frame)) => {
                self.on_resume_answer(*next, resume, &frame)?
            }
            (
                Phase::ResumeHello(_, resume) | Phase::ResumeAnswer(_, resume),
                Input::Closed | Input::Unreachable | Input::Timer,
            ) => self.resume_failed(resume, env),
            // The old connection's last words (a send that found it closed): nothing new.
            (Phase::Reconnecting(resume), Input::Closed | Input::Unreachable) => {
                Step::Next(Phase::Reconnecting(resume), Vec::new())
            }
            (
                phase @ (Phase::Reconnecting(_) | Phase::ResumeHello(..) | Phase::ResumeAnswer(..)),
                Input::Respond(Response::Cancel),
            ) => Self::log_out_when_resumed(phase),
            (
                Phase::Reconnecting(_) | Phase::ResumeHello(..) | Phase::ResumeAnswer(..),
                Input::Failed(err),
            ) => self.session_ended(Some(err)),
            (
                Phase::Continuous(_)
                | Phase::LoggingOut(_)
                | Phase::Reconnecting(_)
                | Phase::ResumeHello(..)
                | Phase::ResumeAnswer(..),
                Input::LoggedOutByPush,
            ) => self.session_ended(None),
            // Only a session can be logged out by push; a flow goes on.
            (phase, Input::LoggedOutByPush) => Step::Next(phase, Vec::new()),
            // Nothing to do but start the wait for the server anew (every input does).
            (phase, Input::Connected) => Step::Next(phase, Vec::new()),
            (Phase::Continuous(_), Input::Timer) => self.session_ended(Some(EngineError::Timeout)),
            (Phase::Ended, Input::Respond(_)) => {
                Step::Refused(Phase::Ended, EngineError::UnknownFlow)
            }
            (Phase::Ended, _) => Step::Next(Phase::Ended, Vec::new()),
            (Phase::LoggingOut(_), Input::Unreachable) => {
                self.session_ended(Some(EngineError::Unreachable))
            }
            (_, Input::Unreachable) => return Err(EngineError::Unreachable),
            (_, Input::Failed(err)) => return Err(err),
            (_, Input::Closed) => return Err(EngineError::ConnectionLost),
            (_, Input::Timer) => return Err(EngineError::Timeout),
            (phase, Input::Respond(_)) => Step::Refused(phase, EngineError::WrongResponse),
            (_, Input::Frame(_) | Input::PinChecked(_) | Input::Committed) => {
                return Err(EngineError::Protocol(ProtocolError::UnexpectedMessage));
            }
        })
    }
}
