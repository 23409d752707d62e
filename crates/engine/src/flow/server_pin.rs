//! The server's PIN questions after the request went out: the PIN proof for a login or
//! transaction, a PIN set again after the integrator reset it, and an account without a PIN
//! that gets the app's (HEADLESS_UPGRADE).

use nextauth_protocol::handshake::Session as Channel;
use nextauth_protocol::messages::AppRecord;
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};

use super::{FlowMachine, Phase, Step};
use crate::answer::{PinCheck, PinInput};
use crate::context::Env;
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};
use crate::model::{FlowState, HistoryStatus, Interaction};

impl FlowMachine {
    /// The PIN the server asked for: only a proof bound to this channel leaves the app.
    pub(super) fn on_server_pin(
        &mut self,
        mut channel: Box<Channel>,
        pin: &PinInput,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        let p = match pin.to_pin() {
            Ok(p) => p,
            Err(err) => return Ok(Step::Refused(Phase::ServerPin(channel), err)),
        };
        let device = env.device_secret()?.ok_or(EngineError::Refused(110))?;
        let account = self.chosen.as_ref().ok_or(EngineError::UnknownAccount)?;
        let server_id = *self.payload.server_id();
        let verifier = pin_verifier(&device, &p, &server_id, &account.public_key);
        let proof = pin_proof(&verifier, channel.binder());
        let record = channel.seal(&AppRecord::PinProof { proof }.encode()?)?;
        self.set_state(FlowState::Active, None);
        Ok(Step::Next(
            Phase::Outcome(channel),
            vec![Effect::Send(record), Effect::Update(self.flow.clone())],
        ))
    }

    /// The PIN to set after a reset, or for an account that had none.
    pub(super) fn on_reset_pin(
        &mut self,
        channel: Box<Channel>,
        pin: PinInput,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        let p = match pin.to_pin() {
            Ok(p) => p,
            Err(err) => return Ok(Step::Refused(Phase::ResetPin(channel), err)),
        };
        if self.pin_upgrade && env.device_secret()?.is_some() {
            // The app's one PIN becomes this account's too: checked with a server first,
            // so that a mistyped PIN does not give this account another one.
            self.set_state(FlowState::Active, None);
            return Ok(Step::Next(
                Phase::UpgradeCheckingPin(channel, pin.clone()),
                vec![Effect::CheckPin { pin }, Effect::Update(self.flow.clone())],
            ));
        }
        self.set_pin_again(channel, &p, env)
    }

    pub(super) fn on_upgrade_pin_checked(
        &mut self,
        channel: Box<Channel>,
        pin: &PinInput,
        check: PinCheck,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        match check {
            // Checked when it was given.
            PinCheck::Right => self.set_pin_again(channel, &pin.to_pin()?, env),
            PinCheck::Wrong(remaining_attempts) => {
                let ask = Interaction::VerifySecondFactor {
                    remaining_attempts,
                    retry: true,
                };
                self.set_state(FlowState::WaitingForInput, Some(ask));
                Ok(Step::Next(
                    Phase::ResetPin(channel),
                    vec![Effect::Update(self.flow.clone())],
                ))
            }
            PinCheck::Blocked => Err(EngineError::PinBlocked),
            PinCheck::Unavailable => Err(EngineError::Unreachable),
        }
    }

    /// The integrator reset the account's PIN: the PIN the person sets now becomes its PIN,
    /// under the app's device secret (a new one if the app has none).
    fn set_pin_again(
        &mut self,
        mut channel: Box<Channel>,
        p: &Pin,
        env: &dyn Env,
    ) -> EngineResult<Step> {
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
        let account = self.chosen.as_ref().ok_or(EngineError::UnknownAccount)?;
        let verifier = pin_verifier(&device, p, self.payload.server_id(), &account.public_key);
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

    /// The person stopped at a PIN question of the server.
    pub(super) fn cancelled_at_pin(&mut self) -> Step {
        self.set_state(FlowState::Done, None);
        let history = self.history(HistoryStatus::Aborted, None);
        Step::Next(
            Phase::Ended,
            vec![Effect::Close, history, Effect::Update(self.flow.clone())],
        )
    }
}
