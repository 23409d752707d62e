//! How a flow ends on an error or an abort, and the history entries it leaves.

use nextauth_protocol::handshake::{AbortReason, ClientAwaitingDecision};
use nextauth_protocol::qr::QrPayload;

use super::{FlowMachine, Phase, Step};
use crate::effect::Effect;
use crate::error::EngineError;
use crate::model::HistoryRecord;
use crate::model::{FlowState, HistoryStatus, Interaction};

impl FlowMachine {
    /// Ends the flow with `err`, telling the server (without revealing an account) first.
    pub(super) fn abort_with(
        &mut self,
        decision: ClientAwaitingDecision,
        err: EngineError,
    ) -> Step {
        let reason = match err {
            EngineError::NoAccountsForServer => AbortReason::NoAccounts,
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
    pub(super) fn fail(&mut self, err: EngineError) -> Vec<Effect> {
        self.phase = Phase::Ended;
        // Telling a server that no account is here is a courtesy to its website: whatever
        // went wrong on the way (unreachable, an alert), the person learns the real reason.
        // A server that is not the one the app trusts for that id still says so.
        let err = match err {
            EngineError::PinnedKeyMismatch | EngineError::ImpersonatedServer(_) => err,
            _ if self.no_accounts => EngineError::NoAccountsForServer,
            _ => err,
        };
        let info = err.info();
        self.flow.state = FlowState::Error;
        self.flow.interaction = None;
        self.flow.error = Some(info.clone());
        // The server said no: what was kept for the enrolment goes. Anything else (the
        // connection broke, the disk filled) leaves it pending for the next start to settle.
        let refused = matches!(err, EngineError::Refused(_) | EngineError::PinBlocked);
        let mut effects = Vec::new();
        if let Some(account_id) = self.pending_enrol.take() {
            if refused {
                effects.push(Effect::DiscardEnrol { account_id });
            }
        }
        let history = self.history_draft(HistoryStatus::Error, Some(info.code));
        let unknown = matches!(err, EngineError::ConnectionLost | EngineError::Timeout);
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

    pub(super) fn set_state(&mut self, state: FlowState, interaction: Option<Interaction>) {
        self.flow.state = state;
        self.flow.interaction = interaction;
    }

    pub(super) fn history(&self, status: HistoryStatus, error_code: Option<u16>) -> Effect {
        Effect::History(self.history_draft(status, error_code))
    }

    pub(super) fn history_draft(
        &self,
        status: HistoryStatus,
        error_code: Option<u16>,
    ) -> HistoryRecord {
        let detail = match (&self.transaction, &self.payload) {
            (Some(t), _) => format!("{} to {}: {}", t.amount, t.beneficiary, t.description),
            (None, QrPayload::Enrol(code)) => format!("account {}", code.display_name),
            _ => String::new(),
        };
        HistoryRecord {
            at: 0,
            kind: self.flow.kind.into(),
            status,
            server_id: Some(self.payload.server_id().to_base64()),
            server_name: self
                .params
                .as_ref()
                .map(|p| p.profile.name.clone())
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
