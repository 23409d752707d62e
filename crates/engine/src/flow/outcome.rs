//! The server's answer to the request: accepted (store what the flow keeps, then report it
//! done), a PIN question, or a refusal.

use nextauth_protocol::handshake::Session as Channel;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::ProtocolError;

use super::{FlowMachine, Phase, Step};
use crate::context::Env;
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};
use crate::model::{FlowKind, FlowState, HistoryStatus, Interaction, SessionState};

impl FlowMachine {
    pub(super) fn on_outcome(
        &mut self,
        mut channel: Box<Channel>,
        frame_bytes: &[u8],
        env: &dyn Env,
    ) -> EngineResult<Step> {
        let record = ServerRecord::decode(&channel.open(frame_bytes)?)?;
        match record {
            ServerRecord::Accepted => Ok(self.accepted(channel)),
            ServerRecord::PinRequired { .. } if self.ctx.second_factor_blocked => {
                Err(EngineError::PinBlocked)
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
            ServerRecord::PinBlocked => Err(EngineError::PinBlocked),
            ServerRecord::Refused { code } => Err(EngineError::Refused(code)),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }

    /// The server accepted: first what the flow must keep is stored ([`Effect::Commit`]
    /// follows it), and only then is the flow reported done ([`FlowMachine::committed`]).
    fn accepted(&mut self, channel: Box<Channel>) -> Step {
        self.answered = None;
        let continuous = self
            .params
            .as_ref()
            .is_some_and(|p| p.profile.ping_time > 0);
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
    pub(super) fn committed(&mut self, channel: Box<Channel>) -> Step {
        let continuous = self
            .params
            .as_ref()
            .is_some_and(|p| p.profile.ping_time > 0);
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

    /// The server went ahead and the app could not keep it: a continuous login is logged out
    /// again; an enrolment stays pending and is settled at the next start.
    pub(super) fn commit_failed(
        &mut self,
        channel: &mut Channel,
        err: EngineError,
    ) -> EngineResult<Step> {
        let mut effects = Vec::new();
        if let Ok(logout) = channel.seal(&AppRecord::Logout.encode()?) {
            effects.push(Effect::Send(logout));
        }
        effects.extend(self.fail(err));
        Ok(Step::Next(Phase::Ended, effects))
    }
}
