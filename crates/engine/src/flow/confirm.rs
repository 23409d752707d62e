//! The person's answer to the prompt: an enrolment goes on to its PIN; a login or transaction
//! is signed by the chosen account and sent; a "no" ends the flow.

use nextauth_protocol::handshake::{AbortReason, ClientAwaitingDecision};
use nextauth_protocol::messages::ClientRequest;
use nextauth_protocol::params::SecondFactorPolicy;
use nextauth_protocol::qr::QrPayload;

use super::{FlowMachine, Phase, Step};
use crate::answer::Response;
use crate::context::Env;
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};
use crate::model::{FlowState, HistoryStatus, Interaction, NumberAsk};

impl FlowMachine {
    pub(super) fn on_confirm(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        response: Response,
        env: &dyn Env,
    ) -> EngineResult<Step> {
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
                    EngineError::WrongResponse,
                ))
            }
        };
        if let QrPayload::Enrol(_) = self.payload {
            return self.ask_enrol_pin(decision, env);
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
                EngineError::UnknownAccount,
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

    /// An enrolment was confirmed: it is sent at once when the server wants no PIN; otherwise
    /// the app's PIN is asked (a new one when it has none).
    fn ask_enrol_pin(
        &mut self,
        decision: Box<ClientAwaitingDecision>,
        env: &dyn Env,
    ) -> EngineResult<Step> {
        let requires_pin = self
            .params
            .as_ref()
            .is_some_and(|p| p.profile.second_factor == SecondFactorPolicy::Pin);
        if !requires_pin {
            return self.finish_enrol(*decision, None, false, env);
        }
        let has_pin = env.device_secret()?.is_some();
        if has_pin && self.ctx.second_factor_blocked {
            return Ok(self.abort_with(*decision, EngineError::PinBlocked));
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
        Ok(Step::Next(phase, vec![Effect::Update(self.flow.clone())]))
    }

    /// The person said no before any account was revealed.
    pub(super) fn declined(&mut self, decision: ClientAwaitingDecision) -> EngineResult<Step> {
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
}

/// The number in the person's answer, checked against what the prompt asked: one of the
/// choices, or the right count of digits. The server decides whether it is the browser's.
fn number_given(asked: &NumberAsk, given: Option<&str>) -> EngineResult<String> {
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
        Err(EngineError::InvalidInput("the number the browser shows"))
    }
}
