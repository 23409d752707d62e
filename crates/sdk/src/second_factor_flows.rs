//! CHANGE_PIN, ADD_BIOMETRICS and REMOVE_BIOMETRICS as flows: the app starts one, follows it
//! through `FlowUpdate` events like any other flow and answers its questions with
//! [`crate::Sdk::respond`]. The driver below carries out what
//! [`SecondFactorMachine`](crate::engine::SecondFactorMachine) asks, with the same calls the
//! SDK offers outside a flow (`change_pin`, `enable_biometrics`, `disable_biometrics`).

use std::collections::VecDeque;

use tokio::sync::mpsc;

use crate::engine::EngineError;
use crate::engine::{Response, SecondFactorEffect, SecondFactorInput, SecondFactorMachine, Time};
use crate::error::{SdkError, SdkResult};
use crate::inner::Reply;
use crate::model::{Event, Flow, FlowKind, FlowState};
use crate::Sdk;

impl Sdk {
    /// Starts CHANGE_PIN: the flow asks for the current PIN (`VerifySecondFactor`; biometric
    /// unlock may answer it unless `Config::disallow_pin_change_with_biometric`), checks it with
    /// a server (a wrong one asks again with the attempts left), then asks for the new one
    /// (`SetSecondFactor`) and hands it to every server with a PIN account. `InvalidInput`
    /// (126) when no PIN is set, `FlowActive` (122) while another flow runs.
    pub async fn start_change_pin(&self) -> SdkResult<Flow> {
        if self.inner.device_secret().await?.is_none() {
            return Err(SdkError::Engine(EngineError::InvalidInput("no PIN is set")));
        }
        if self.inner.config.block_second_factor_on_pin_blocked
            && self.inner.store.pin_blocked().await?
        {
            return Err(SdkError::Engine(EngineError::PinBlocked));
        }
        self.start_second_factor(FlowKind::ChangePin).await
    }

    /// Starts ADD_BIOMETRICS: the flow asks for the PIN (`VerifySecondFactor`), which a server
    /// checks; the platform then verifies the person and the PIN is sealed for biometric
    /// unlock. `BiometricsUnavailable` (131) without the platform's check, `InvalidInput` (126)
    /// when no PIN is set or biometric unlock is already on.
    pub async fn start_add_biometrics(&self) -> SdkResult<Flow> {
        let status = self.biometric_status().await?;
        if !status.available {
            return Err(SdkError::BiometricsUnavailable);
        }
        if status.enabled {
            return Err(SdkError::Engine(EngineError::InvalidInput(
                "biometric unlock is already on",
            )));
        }
        if self.inner.store.pin_secret().await?.is_none() {
            return Err(SdkError::Engine(EngineError::InvalidInput("no PIN is set")));
        }
        self.start_second_factor(FlowKind::AddBiometrics).await
    }

    /// Starts REMOVE_BIOMETRICS: nothing is asked (switching a convenience off needs no
    /// proof); the sealed PIN and the platform's key are deleted. `InvalidInput` (126) when
    /// biometric unlock is off.
    pub async fn start_remove_biometrics(&self) -> SdkResult<Flow> {
        if !self.biometric_status().await?.enabled {
            return Err(SdkError::Engine(EngineError::InvalidInput(
                "biometric unlock is off",
            )));
        }
        self.start_second_factor(FlowKind::RemoveBiometrics).await
    }

    async fn start_second_factor(&self, kind: FlowKind) -> SdkResult<Flow> {
        let (tx, rx) = mpsc::channel(8);
        let id = uuid::Uuid::new_v4().to_string();
        {
            let mut active = self.inner.active.lock().map_err(|_| SdkError::FlowActive)?;
            if active.is_some() {
                return Err(SdkError::FlowActive);
            }
            *active = Some((id.clone(), tx));
        }
        let started =
            SecondFactorMachine::start(id.clone(), kind, self.inner.timeouts(), now(&self.inner));
        let (machine, effects) = match started {
            Ok(started) => started,
            Err(err) => {
                self.inner.release(&id);
                return Err(err.into());
            }
        };
        let flow = machine.flow().clone();
        let span = crate::runner::flow_span(&flow, None);
        let drive = drive(self.clone(), machine, effects, rx);
        tokio::spawn(tracing::Instrument::instrument(drive, span));
        Ok(flow)
    }
}

/// Now, on both of the engine's clocks.
fn now(inner: &crate::inner::Inner) -> Time {
    Time {
        unix_s: inner.now(),
        ms: inner.now_ms(),
    }
}

/// Runs one second-factor flow to its end: carries out the machine's effects, hands it the
/// person's answers, and wakes it at its deadline (how long a question waits is its call).
async fn drive(
    sdk: Sdk,
    mut machine: SecondFactorMachine,
    effects: Vec<SecondFactorEffect>,
    mut answers: mpsc::Receiver<(Response, Reply)>,
) {
    let id = machine.flow().id.clone();
    let mut pending: VecDeque<SecondFactorEffect> = effects.into();
    loop {
        while let Some(effect) = pending.pop_front() {
            if let Some(input) = execute(&sdk, &id, effect).await {
                pending.extend(machine.handle(input, now(&sdk.inner)).unwrap_or_default());
            }
        }
        if machine.is_finished() {
            break;
        }
        let wake_at = machine.deadline().map(|ms| sdk.inner.instant_at(ms));
        let input = tokio::select! {
            answer = answers.recv() => match answer {
                Some((response, reply)) => {
                    let result = machine.handle(SecondFactorInput::Respond(response), now(&sdk.inner));
                    crate::runner::answered(reply, result, &mut pending);
                    continue;
                }
                // Every handle to the SDK is gone: stop.
                None => SecondFactorInput::Respond(Response::Cancel),
            },
            () = crate::runner::timer(wake_at) => SecondFactorInput::Timer,
        };
        pending.extend(machine.handle(input, now(&sdk.inner)).unwrap_or_default());
    }
    sdk.inner.release(&id);
}

/// Carries out one effect; returns what it led to, if the machine waits for it.
async fn execute(sdk: &Sdk, id: &str, effect: SecondFactorEffect) -> Option<SecondFactorInput> {
    let inner = &sdk.inner;
    match effect {
        SecondFactorEffect::Update(flow) => {
            if matches!(flow.state, FlowState::Done | FlowState::Error) {
                // The slot is free before anyone hears of the end (the next flow may start).
                inner.release(&flow.id);
            }
            inner.emit(Event::FlowUpdate { flow: *flow });
            None
        }
        SecondFactorEffect::OfferBiometrics => {
            if !inner.config.disallow_pin_change_with_biometric {
                let reason = "Change your PIN".to_owned();
                crate::biometrics::answer_with_biometrics(sdk.clone(), id.to_owned(), reason);
            }
            None
        }
        SecondFactorEffect::CheckPin(pin) => Some(SecondFactorInput::Checked(
            crate::account_ops::check_pin(inner, &pin).await,
        )),
        SecondFactorEffect::ChangePin { current, new } => Some(SecondFactorInput::Worked(
            sdk.change_pin(&current, &new).await.map_err(Into::into),
        )),
        SecondFactorEffect::EnableBiometrics(pin) => Some(SecondFactorInput::Worked(
            sdk.enable_biometrics(&pin).await.map_err(Into::into),
        )),
        SecondFactorEffect::DisableBiometrics => Some(SecondFactorInput::Worked(
            sdk.disable_biometrics().await.map_err(Into::into),
        )),
        SecondFactorEffect::History(draft) => {
            if let Err(err) = inner.store.add_history(&draft).await {
                tracing::warn!(code = err.code(), "cannot record a second-factor flow");
            }
            None
        }
    }
}
