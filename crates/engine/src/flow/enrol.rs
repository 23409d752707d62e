//! The new account of an enrolment: the app's PIN (a new one, or the existing one checked
//! with a server first), the account key, and the pending store before anything is sent.

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::ClientAwaitingDecision;
use nextauth_protocol::messages::ClientRequest;
use nextauth_protocol::pin::{pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::qr::{EnrolCode, QrPayload};
use nextauth_protocol::ProtocolError;
use zeroize::Zeroizing;

use super::{FlowMachine, Phase, Step};
use crate::answer::{PinCheck, PinInput};
use crate::context::{Env, KnownAccount};
use crate::effect::{Effect, NewAccount};
use crate::error::{EngineError, EngineResult};
use crate::model::{Account, FlowState, Interaction};

impl FlowMachine {
    /// The app's first PIN: a new device secret goes with it.
    pub(super) fn on_new_pin(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        pin: &PinInput,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        match pin.to_pin() {
            Ok(p) => {
                let device = DeviceSecret::generate(env.rng())?;
                self.finish_enrol(*decision, Some((&device, &p)), true, env)
            }
            Err(err) => Ok(Step::Refused(Phase::NewPin(decision), err)),
        }
    }

    /// The app's existing PIN: checked with a server before this account gets it.
    pub(super) fn on_existing_pin(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        pin: PinInput,
    ) -> Step {
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

    pub(super) fn on_existing_pin_checked(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        pin: &PinInput,
        check: PinCheck,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        Ok(match check {
            PinCheck::Right => {
                let device = env
                    .device_secret()?
                    .ok_or(EngineError::InvalidInput("no PIN is set"))?;
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
            PinCheck::Blocked => self.abort_with(*decision, EngineError::PinBlocked),
            PinCheck::Unavailable => self.abort_with(*decision, EngineError::Unreachable),
        })
    }

    /// Makes the account key, derives the PIN verifier, stores the enrolment as pending (and
    /// a new PIN's device secret), and only then sends it: the server never has an account
    /// whose key the app did not keep.
    pub(super) fn finish_enrol(
        &mut self,
        decision: ClientAwaitingDecision,
        pin: Option<(&DeviceSecret, &Pin)>,
        new_secret: bool,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        let QrPayload::Enrol(code) = &self.payload else {
            return Err(EngineError::WrongResponse);
        };
        let code: EnrolCode = code.clone();
        let (signed, params) = self
            .enrol_params
            .clone()
            .ok_or(EngineError::Protocol(ProtocolError::UnexpectedMessage))?;
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
            server_name: params.profile.name.clone(),
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
}
