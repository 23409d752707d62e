//! The flows that change the second factor itself (the reference's CHANGE_PIN, ADD_BIOMETRICS
//! and REMOVE_BIOMETRICS): sans-IO like the session machine. The person's answers and the
//! outcomes of the driver's work go in; the flow's new state and what to do come out.
//!
//! ```text
//!  CHANGE_PIN       VerifySecondFactor ─PIN─▶ check ─right─▶ SetSecondFactor ─PIN─▶ change ─▶ Done
//!                         ▲ retry ◀── wrong ─┘
//!  ADD_BIOMETRICS   VerifySecondFactor ─PIN─▶ enable (checks it, then the platform's prompt) ─▶ Done
//!                         ▲ retry ◀── wrong ─┘
//!  REMOVE_BIOMETRICS                          disable ─▶ Done
//! ```
//! Cancel (or Deny) while a question waits ends the flow `Done` with an `ABORTED` entry, as a
//! declined login does; any failure ends it in `Error`. A question unanswered by its
//! [`SecondFactorMachine::deadline`] ends it with `Timeout` (50).

use crate::answer::{PinCheck, PinInput, Response};
use crate::clock::{Time, Timeouts};
use crate::error::{EngineError, EngineResult};
use crate::model::HistoryRecord;
use crate::model::{Flow, FlowKind, FlowState, HistoryStatus, Interaction};

/// What happened, for [`SecondFactorMachine::handle`].
#[derive(Debug)]
pub enum SecondFactorInput {
    /// The person answered.
    Respond(Response),
    /// The check of the current PIN the machine asked for finished.
    Checked(PinCheck),
    /// The change the machine asked for ([`SecondFactorEffect::ChangePin`],
    /// [`SecondFactorEffect::EnableBiometrics`], [`SecondFactorEffect::DisableBiometrics`])
    /// finished.
    Worked(EngineResult<()>),
    /// The driver's timer went off: a question still unanswered at its deadline ends the
    /// flow (a timer that went off early changes nothing).
    Timer,
}

/// What the driver must do.
#[derive(Debug)]
pub enum SecondFactorEffect {
    /// Report the flow's new state (boxed: the other effects are small).
    Update(Box<Flow>),
    /// Offer biometric unlock for the current PIN (it answers like the person would).
    OfferBiometrics,
    /// Check the current PIN with a server, then feed [`SecondFactorInput::Checked`].
    CheckPin(PinInput),
    /// Change the PIN on every server (records `CHANGE_PIN / PIN_CHANGED` itself).
    ChangePin {
        /// The checked current PIN.
        current: PinInput,
        /// The new one.
        new: PinInput,
    },
    /// Check the PIN, verify the person with the platform and seal the PIN.
    EnableBiometrics(PinInput),
    /// Delete the sealed PIN and the platform's key.
    DisableBiometrics,
    /// Append to the history (boxed: the other effects are small).
    History(Box<HistoryRecord>),
}

#[derive(Debug)]
enum Step {
    /// The current PIN is asked.
    AskCurrent,
    /// The new PIN is asked (CHANGE_PIN, after the current one was right).
    AskNew(PinInput),
    /// The driver works on the last answer.
    Working(Option<PinInput>),
    /// Ended.
    Finished,
}

/// One second-factor flow.
#[derive(Debug)]
pub struct SecondFactorMachine {
    flow: Flow,
    step: Step,
    /// The time of the last input (the history's `at`).
    now: Time,
    /// How long a question waits.
    timeouts: Timeouts,
    /// When the question now asked goes unanswered (the driver's milliseconds).
    deadline: Option<u64>,
}

impl SecondFactorMachine {
    /// Starts a flow of `kind` (one of the three above) with id `id` at `now`; its questions
    /// wait `timeouts.second_factor_input_ms`.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a kind that is not a second-factor flow.
    pub fn start(
        id: String,
        kind: FlowKind,
        timeouts: Timeouts,
        now: Time,
    ) -> EngineResult<(Self, Vec<SecondFactorEffect>)> {
        let mut flow = Flow::starting(id, kind);
        let (step, effects) = match kind {
            FlowKind::ChangePin | FlowKind::AddBiometrics => {
                flow.state = FlowState::WaitingForInput;
                flow.interaction = Some(Interaction::VerifySecondFactor {
                    remaining_attempts: 0,
                    retry: false,
                });
                let mut effects = vec![SecondFactorEffect::Update(Box::new(flow.clone()))];
                if kind == FlowKind::ChangePin {
                    // Adding biometrics needs the PIN typed; changing it may take the sealed one
                    // (unless the configuration says no: the driver knows).
                    effects.push(SecondFactorEffect::OfferBiometrics);
                }
                (Step::AskCurrent, effects)
            }
            FlowKind::RemoveBiometrics => {
                flow.state = FlowState::Active;
                let effects = vec![
                    SecondFactorEffect::Update(Box::new(flow.clone())),
                    SecondFactorEffect::DisableBiometrics,
                ];
                (Step::Working(None), effects)
            }
            _ => return Err(EngineError::InvalidInput("not a second-factor flow")),
        };
        let mut machine = Self {
            flow,
            step,
            now,
            timeouts,
            deadline: None,
        };
        machine.arm();
        Ok((machine, effects))
    }

    /// When the driver must feed [`SecondFactorInput::Timer`] (its milliseconds, as
    /// [`Time::ms`] counts them); `None` while nothing is asked.
    pub fn deadline(&self) -> Option<u64> {
        self.deadline
    }

    /// A question waits from the last input on; nothing else waits (the driver's work always
    /// comes back as an input).
    fn arm(&mut self) {
        self.deadline = match self.step {
            Step::AskCurrent | Step::AskNew(_) => Some(
                self.now
                    .ms
                    .saturating_add(self.timeouts.second_factor_input_ms),
            ),
            Step::Working(_) | Step::Finished => None,
        };
    }

    /// The flow as last reported.
    pub fn flow(&self) -> &Flow {
        &self.flow
    }

    /// Whether the flow ended.
    pub fn is_finished(&self) -> bool {
        matches!(self.step, Step::Finished)
    }

    /// Advances the flow at `now`. A response that does not fit (a malformed PIN, an answer
    /// while nothing is asked) is refused and changes nothing but the deadline (every answer
    /// starts the wait anew).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a PIN that is not 4 to 16 digits, `WrongResponse` for an answer
    /// that is not asked.
    pub fn handle(
        &mut self,
        input: SecondFactorInput,
        now: Time,
    ) -> EngineResult<Vec<SecondFactorEffect>> {
        if matches!(input, SecondFactorInput::Timer) && self.deadline.is_none_or(|at| now.ms < at) {
            // Early, or nothing waits: the wait goes on as it was.
            return Ok(Vec::new());
        }
        self.now = now;
        let result = self.step(input);
        self.arm();
        result
    }

    fn step(&mut self, input: SecondFactorInput) -> EngineResult<Vec<SecondFactorEffect>> {
        let step = std::mem::replace(&mut self.step, Step::Finished);
        let (step, effects) = match (step, input) {
            (Step::Finished, _) => (Step::Finished, Vec::new()),
            (
                step @ (Step::AskCurrent | Step::AskNew(_)),
                SecondFactorInput::Respond(Response::Cancel | Response::Deny),
            ) => {
                drop(step);
                (Step::Finished, self.cancelled())
            }
            (Step::AskCurrent, SecondFactorInput::Respond(Response::Pin { pin })) => {
                if let Err(err) = pin.to_pin() {
                    self.step = Step::AskCurrent;
                    return Err(err);
                }
                self.set(FlowState::Active, None);
                let (work, kept) = match self.flow.kind {
                    FlowKind::AddBiometrics => (SecondFactorEffect::EnableBiometrics(pin), None),
                    _ => (SecondFactorEffect::CheckPin(pin.clone()), Some(pin)),
                };
                (
                    Step::Working(kept),
                    vec![
                        SecondFactorEffect::Update(Box::new(self.flow.clone())),
                        work,
                    ],
                )
            }
            (Step::AskNew(current), SecondFactorInput::Respond(Response::Pin { pin })) => {
                if let Err(err) = pin.to_pin() {
                    self.step = Step::AskNew(current);
                    return Err(err);
                }
                self.set(FlowState::Active, None);
                let effects = vec![
                    SecondFactorEffect::Update(Box::new(self.flow.clone())),
                    SecondFactorEffect::ChangePin {
                        current: current.clone(),
                        new: pin,
                    },
                ];
                (Step::Working(Some(current)), effects)
            }
            (step @ (Step::AskCurrent | Step::AskNew(_)), SecondFactorInput::Timer) => {
                drop(step);
                (Step::Finished, self.failed(EngineError::Timeout))
            }
            (Step::Working(Some(current)), SecondFactorInput::Checked(check)) => match check {
                PinCheck::Right => {
                    self.set(
                        FlowState::WaitingForInput,
                        Some(Interaction::SetSecondFactor),
                    );
                    (
                        Step::AskNew(current),
                        vec![SecondFactorEffect::Update(Box::new(self.flow.clone()))],
                    )
                }
                PinCheck::Wrong(remaining) => (Step::AskCurrent, self.ask_again(remaining)),
                PinCheck::Blocked => (Step::Finished, self.failed(EngineError::PinBlocked)),
                PinCheck::Unavailable => (Step::Finished, self.failed(EngineError::Unreachable)),
            },
            (Step::Working(_), SecondFactorInput::Worked(Ok(()))) => {
                self.set(FlowState::Done, None);
                let mut effects = Vec::new();
                // CHANGE_PIN's entry is written with the change itself.
                let status = match self.flow.kind {
                    FlowKind::AddBiometrics => Some(HistoryStatus::BiometricsAdded),
                    FlowKind::RemoveBiometrics => Some(HistoryStatus::BiometricsRemoved),
                    _ => None,
                };
                if let Some(status) = status {
                    effects.push(SecondFactorEffect::History(Box::new(
                        self.history(status, None),
                    )));
                }
                effects.push(SecondFactorEffect::Update(Box::new(self.flow.clone())));
                (Step::Finished, effects)
            }
            (
                Step::Working(_),
                SecondFactorInput::Worked(Err(EngineError::WrongPin(remaining))),
            ) => {
                // Enabling biometrics checked the PIN and found it wrong; a change found it
                // wrong at a later server (it was right at the first): ask again.
                (Step::AskCurrent, self.ask_again(remaining))
            }
            (Step::Working(_), SecondFactorInput::Worked(Err(err))) => {
                (Step::Finished, self.failed(err))
            }
            (step, SecondFactorInput::Respond(_)) => {
                self.step = step;
                return Err(EngineError::WrongResponse);
            }
            // An outcome nobody asked for (a late check after a timeout) changes nothing.
            (step, _) => (step, Vec::new()),
        };
        self.step = step;
        Ok(effects)
    }

    fn set(&mut self, state: FlowState, interaction: Option<Interaction>) {
        self.flow.state = state;
        self.flow.interaction = interaction;
    }

    fn ask_again(&mut self, remaining: u8) -> Vec<SecondFactorEffect> {
        self.set(
            FlowState::WaitingForInput,
            Some(Interaction::VerifySecondFactor {
                remaining_attempts: remaining,
                retry: true,
            }),
        );
        vec![SecondFactorEffect::Update(Box::new(self.flow.clone()))]
    }

    fn cancelled(&mut self) -> Vec<SecondFactorEffect> {
        self.set(FlowState::Done, None);
        vec![
            SecondFactorEffect::History(Box::new(self.history(HistoryStatus::Aborted, None))),
            SecondFactorEffect::Update(Box::new(self.flow.clone())),
        ]
    }

    fn failed(&mut self, err: EngineError) -> Vec<SecondFactorEffect> {
        self.set(FlowState::Error, None);
        self.flow.error = Some(err.info());
        vec![
            SecondFactorEffect::History(Box::new(self.history(HistoryStatus::Error, Some(&err)))),
            SecondFactorEffect::Update(Box::new(self.flow.clone())),
        ]
    }

    fn history(&self, status: HistoryStatus, err: Option<&EngineError>) -> HistoryRecord {
        HistoryRecord {
            at: self.now.unix_s,
            kind: self.flow.kind.into(),
            status,
            server_id: None,
            server_name: String::new(),
            account_id: None,
            account_name: String::new(),
            announce: None,
            error_code: err.map(EngineError::code),
            detail: err.map(ToString::to_string).unwrap_or_default(),
        }
    }
}
