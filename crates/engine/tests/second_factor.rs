//! The second factor's own flows (CHANGE_PIN, ADD_BIOMETRICS, REMOVE_BIOMETRICS) driven input by
//! input, with a fake clock in milliseconds of test time.

use nextauth_engine::model::{FlowKind, FlowState, HistoryKind, HistoryStatus, Interaction};
use nextauth_engine::{
    EngineError, PinCheck, PinInput, Response, SecondFactorEffect, SecondFactorInput,
    SecondFactorMachine, Time, Timeouts,
};

/// A PIN question waits this long in these tests.
const WAIT_MS: u64 = 2_000;

fn timeouts() -> Timeouts {
    Timeouts {
        second_factor_input_ms: WAIT_MS,
        ..Timeouts::default()
    }
}

/// `ms` milliseconds into the test (and as many into Unix second 1).
fn at(ms: u64) -> Time {
    Time {
        unix_s: 1 + ms / 1000,
        ms,
    }
}

fn pin(digits: &str) -> SecondFactorInput {
    SecondFactorInput::Respond(Response::Pin {
        pin: PinInput::new(digits),
    })
}

fn start(kind: FlowKind) -> (SecondFactorMachine, Vec<SecondFactorEffect>) {
    SecondFactorMachine::start("f".into(), kind, timeouts(), at(0)).unwrap()
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
    assert!(SecondFactorMachine::start("f".into(), FlowKind::Login, timeouts(), at(0)).is_err());
}

#[test]
fn a_change_checks_the_current_pin_before_it_asks_for_the_new_one() {
    let (mut m, effects) = start(FlowKind::ChangePin);
    assert!(matches!(effects[1], SecondFactorEffect::OfferBiometrics));
    let effects = m.handle(pin("2468"), at(10)).unwrap();
    assert!(matches!(effects[1], SecondFactorEffect::CheckPin(_)));
    // Nothing may be answered while the check runs.
    assert!(matches!(
        m.handle(pin("1111"), at(10)),
        Err(EngineError::WrongResponse)
    ));
    let effects = m
        .handle(SecondFactorInput::Checked(PinCheck::Right), at(20))
        .unwrap();
    assert_eq!(updates(&effects), [FlowState::WaitingForInput]);
    assert_eq!(m.flow().interaction, Some(Interaction::SetSecondFactor));
    let effects = m.handle(pin("9753"), at(30)).unwrap();
    let SecondFactorEffect::ChangePin { current, new } = &effects[1] else {
        panic!("{effects:?}")
    };
    assert_eq!((current.expose(), new.expose()), ("2468", "9753"));
    let effects = m.handle(SecondFactorInput::Worked(Ok(())), at(40)).unwrap();
    assert_eq!(updates(&effects), [FlowState::Done]);
    assert!(m.is_finished());
    assert_eq!(m.deadline(), None);
}

#[test]
fn a_blocked_pin_ends_the_change_and_a_late_outcome_changes_nothing() {
    let (mut m, _) = start(FlowKind::ChangePin);
    m.handle(pin("2468"), at(10)).unwrap();
    let effects = m
        .handle(SecondFactorInput::Checked(PinCheck::Blocked), at(20))
        .unwrap();
    assert!(matches!(effects[0], SecondFactorEffect::History(ref d)
        if d.status == HistoryStatus::Error && d.error_code == Some(109)));
    assert_eq!(m.flow().error.as_ref().map(|e| e.code), Some(109));
    assert!(m
        .handle(SecondFactorInput::Checked(PinCheck::Right), at(30))
        .unwrap()
        .is_empty());
    assert_eq!(m.flow().state, FlowState::Error);
}

#[test]
fn a_malformed_pin_is_refused_and_the_flow_waits_on() {
    let (mut m, _) = start(FlowKind::AddBiometrics);
    assert!(matches!(
        m.handle(pin("12"), at(10)),
        Err(EngineError::InvalidInput(_))
    ));
    assert_eq!(m.flow().state, FlowState::WaitingForInput);
    // The refused answer started the wait anew.
    assert_eq!(m.deadline(), Some(10 + WAIT_MS));
}

#[test]
fn an_unanswered_question_times_out_at_its_deadline_and_not_before() {
    let (mut m, _) = start(FlowKind::AddBiometrics);
    assert_eq!(m.deadline(), Some(WAIT_MS));
    // A timer that goes off early changes nothing.
    assert!(m
        .handle(SecondFactorInput::Timer, at(WAIT_MS - 1))
        .unwrap()
        .is_empty());
    assert_eq!(m.flow().state, FlowState::WaitingForInput);
    let effects = m.handle(SecondFactorInput::Timer, at(WAIT_MS)).unwrap();
    assert_eq!(updates(&effects), [FlowState::Error]);
    assert_eq!(m.flow().error.as_ref().map(|e| e.code), Some(50));
    assert!(matches!(effects[0], SecondFactorEffect::History(ref d)
        if d.kind == HistoryKind::AddBiometrics && d.error_code == Some(50) && d.at == 1 + WAIT_MS / 1000));
    assert_eq!(m.deadline(), None);
}

#[test]
fn the_new_pin_question_has_its_own_full_wait() {
    let (mut m, _) = start(FlowKind::ChangePin);
    m.handle(pin("2468"), at(1_500)).unwrap();
    // While the server checks the PIN, nothing waits on the person.
    assert_eq!(m.deadline(), None);
    assert!(m
        .handle(SecondFactorInput::Timer, at(1_000_000))
        .unwrap()
        .is_empty());
    m.handle(SecondFactorInput::Checked(PinCheck::Right), at(1_900))
        .unwrap();
    assert_eq!(m.deadline(), Some(1_900 + WAIT_MS));
    assert!(m
        .handle(SecondFactorInput::Timer, at(1_900 + WAIT_MS - 1))
        .unwrap()
        .is_empty());
    m.handle(SecondFactorInput::Timer, at(1_900 + WAIT_MS))
        .unwrap();
    assert_eq!(m.flow().error.as_ref().map(|e| e.code), Some(50));
}

#[test]
fn a_wrong_pin_asks_again_with_a_new_wait() {
    let (mut m, _) = start(FlowKind::ChangePin);
    m.handle(pin("2468"), at(100)).unwrap();
    let effects = m
        .handle(SecondFactorInput::Checked(PinCheck::Wrong(2)), at(300))
        .unwrap();
    assert_eq!(updates(&effects), [FlowState::WaitingForInput]);
    assert_eq!(
        m.flow().interaction,
        Some(Interaction::VerifySecondFactor {
            remaining_attempts: 2,
            retry: true
        })
    );
    assert_eq!(m.deadline(), Some(300 + WAIT_MS));
}

#[test]
fn cancelling_a_question_ends_the_flow_as_aborted() {
    let (mut m, _) = start(FlowKind::ChangePin);
    let effects = m
        .handle(SecondFactorInput::Respond(Response::Cancel), at(5))
        .unwrap();
    assert!(matches!(effects[0], SecondFactorEffect::History(ref d)
        if d.status == HistoryStatus::Aborted && d.kind == HistoryKind::ChangePin));
    assert_eq!(updates(&effects), [FlowState::Done]);
    assert_eq!(m.deadline(), None);
}

#[test]
fn removing_biometrics_asks_nothing_and_waits_for_nothing() {
    let (mut m, effects) = start(FlowKind::RemoveBiometrics);
    assert!(matches!(effects[1], SecondFactorEffect::DisableBiometrics));
    assert_eq!(m.deadline(), None);
    let effects = m.handle(SecondFactorInput::Worked(Ok(())), at(10)).unwrap();
    assert!(matches!(effects[0], SecondFactorEffect::History(ref d)
        if d.kind == HistoryKind::RemoveBiometrics && d.status == HistoryStatus::BiometricsRemoved));
    assert_eq!(m.flow().state, FlowState::Done);
}
