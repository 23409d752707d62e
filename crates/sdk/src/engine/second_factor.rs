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
//! declined login does; any failure ends it in `Error`.

use crate::error::{SdkError, SdkResult};
use crate::model::{ErrorInfo, Flow, FlowKind, FlowState, HistoryStatus, Interaction};
use crate::store::HistoryDraft;

use super::{PinCheck, PinInput, Response};

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
    Worked(SdkResult<()>),
    /// The person did not answer in time.
    TimedOut,
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
    History(Box<HistoryDraft>),
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
    now: u64,
}

impl SecondFactorMachine {
    /// Starts a flow of `kind` (one of the three above) with id `id` at `now` (Unix s).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a kind that is not a second-factor flow.
    pub fn start(
        id: String,
        kind: FlowKind,
        now: u64,
    ) -> SdkResult<(Self, Vec<SecondFactorEffect>)> {
        let mut flow = Flow {
            id,
            kind,
            state: FlowState::Starting,
            interaction: None,
            server: None,
            account: None,
            error: None,
        };
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
            _ => return Err(SdkError::InvalidInput("not a second-factor flow")),
        };
        Ok((Self { flow, step, now }, effects))
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
    /// while nothing is asked) is refused and changes nothing.
    ///
    /// # Errors
    ///
    /// `InvalidInput` for a PIN that is not 4 to 16 digits, `WrongResponse` for an answer
    /// that is not asked.
    pub fn handle(
        &mut self,
        input: SecondFactorInput,
        now: u64,
    ) -> SdkResult<Vec<SecondFactorEffect>> {
        self.now = now;
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
            (step @ (Step::AskCurrent | Step::AskNew(_)), SecondFactorInput::TimedOut) => {
                drop(step);
                (Step::Finished, self.failed(SdkError::Timeout))
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
                PinCheck::Blocked => (Step::Finished, self.failed(SdkError::PinBlocked)),
                PinCheck::Unavailable => (Step::Finished, self.failed(SdkError::Unreachable)),
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
            (Step::Working(_), SecondFactorInput::Worked(Err(SdkError::WrongPin(remaining)))) => {
                // Enabling biometrics checked the PIN and found it wrong; a change found it
                // wrong at a later server (it was right at the first): ask again.
                (Step::AskCurrent, self.ask_again(remaining))
            }
            (Step::Working(_), SecondFactorInput::Worked(Err(err))) => {
                (Step::Finished, self.failed(err))
            }
            (step, SecondFactorInput::Respond(_)) => {
                self.step = step;
                return Err(SdkError::WrongResponse);
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

    fn failed(&mut self, err: SdkError) -> Vec<SecondFactorEffect> {
        self.set(FlowState::Error, None);
        self.flow.error = Some(ErrorInfo {
            code: err.code(),
            message: err.to_string(),
        });
        vec![
            SecondFactorEffect::History(Box::new(self.history(HistoryStatus::Error, Some(&err)))),
            SecondFactorEffect::Update(Box::new(self.flow.clone())),
        ]
    }

    fn history(&self, status: HistoryStatus, err: Option<&SdkError>) -> HistoryDraft {
        HistoryDraft {
            at: self.now,
            kind: history_kind(self.flow.kind),
            status,
            server_id: None,
            server_name: String::new(),
            account_id: None,
            account_name: String::new(),
            announce: None,
            error_code: err.map(SdkError::code),
            detail: err.map(ToString::to_string).unwrap_or_default(),
        }
    }
}

fn history_kind(kind: FlowKind) -> &'static str {
    super::history_kind(kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pin(digits: &str) -> SecondFactorInput {
        SecondFactorInput::Respond(Response::Pin {
            pin: PinInput::new(digits),
        })
    }

    fn updates(effects: &[SecondFactorEffect]) -> Vec<FlowState> {
        effects
            .iter()
            .filter_map(|e| match e {
                SecondFactorEffect::Update(flow) => Some(flow.state),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn only_second_factor_kinds_start() {
        assert!(SecondFactorMachine::start("f".into(), FlowKind::Login, 1).is_err());
    }

    #[test]
    fn a_change_checks_the_current_pin_before_it_asks_for_the_new_one() {
        let (mut m, effects) =
            SecondFactorMachine::start("f".into(), FlowKind::ChangePin, 1).unwrap();
        assert!(matches!(effects[1], SecondFactorEffect::OfferBiometrics));
        let effects = m.handle(pin("2468"), 2).unwrap();
        assert!(matches!(effects[1], SecondFactorEffect::CheckPin(_)));
        // Nothing may be answered while the check runs.
        assert!(matches!(
            m.handle(pin("1111"), 2),
            Err(SdkError::WrongResponse)
        ));
        let effects = m
            .handle(SecondFactorInput::Checked(PinCheck::Right), 3)
            .unwrap();
        assert_eq!(updates(&effects), [FlowState::WaitingForInput]);
        assert_eq!(m.flow().interaction, Some(Interaction::SetSecondFactor));
        let effects = m.handle(pin("9753"), 4).unwrap();
        let SecondFactorEffect::ChangePin { current, new } = &effects[1] else {
            panic!("{effects:?}")
        };
        assert_eq!((current.expose(), new.expose()), ("2468", "9753"));
        let effects = m.handle(SecondFactorInput::Worked(Ok(())), 5).unwrap();
        assert_eq!(updates(&effects), [FlowState::Done]);
        assert!(m.is_finished());
    }

    #[test]
    fn a_blocked_pin_ends_the_change_and_a_late_outcome_changes_nothing() {
        let (mut m, _) = SecondFactorMachine::start("f".into(), FlowKind::ChangePin, 1).unwrap();
        m.handle(pin("2468"), 2).unwrap();
        let effects = m
            .handle(SecondFactorInput::Checked(PinCheck::Blocked), 3)
            .unwrap();
        assert!(matches!(effects[0], SecondFactorEffect::History(ref d)
            if d.status == HistoryStatus::Error && d.error_code == Some(109)));
        assert_eq!(m.flow().error.as_ref().map(|e| e.code), Some(109));
        assert!(m
            .handle(SecondFactorInput::Checked(PinCheck::Right), 4)
            .unwrap()
            .is_empty());
        assert_eq!(m.flow().state, FlowState::Error);
    }

    #[test]
    fn an_unanswered_question_times_out_and_a_malformed_pin_is_refused() {
        let (mut m, _) =
            SecondFactorMachine::start("f".into(), FlowKind::AddBiometrics, 1).unwrap();
        assert!(matches!(
            m.handle(pin("12"), 2),
            Err(SdkError::InvalidInput(_))
        ));
        assert_eq!(m.flow().state, FlowState::WaitingForInput);
        m.handle(SecondFactorInput::TimedOut, 3).unwrap();
        assert_eq!(m.flow().error.as_ref().map(|e| e.code), Some(50));
    }

    #[test]
    fn removing_biometrics_asks_nothing() {
        let (mut m, effects) =
            SecondFactorMachine::start("f".into(), FlowKind::RemoveBiometrics, 1).unwrap();
        assert!(matches!(effects[1], SecondFactorEffect::DisableBiometrics));
        let effects = m.handle(SecondFactorInput::Worked(Ok(())), 2).unwrap();
        assert!(matches!(effects[0], SecondFactorEffect::History(ref d)
            if d.kind == "REMOVE_BIOMETRICS" && d.status == HistoryStatus::BiometricsRemoved));
        assert_eq!(m.flow().state, FlowState::Done);
    }
}
