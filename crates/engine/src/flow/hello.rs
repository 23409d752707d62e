//! The ServerHello: the server proves the key the app trusts for it (or the enrol code's hash),
//! its parameters are refreshed, and the person is asked.

use nextauth_protocol::handshake::{decode_alert, frame, AbortReason, ClientHandshake};
use nextauth_protocol::messages::ServerContext;
use nextauth_protocol::params::ParamsTrust;
use nextauth_protocol::qr::QrPayload;
use nextauth_protocol::ProtocolError;

use super::{FlowMachine, Phase, Step};
use crate::answer::Response;
use crate::connect::pinned_key_holds;
use crate::context::Env;
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};
use crate::model::{FlowState, Interaction};
use crate::views::{announce_view, check_view, server_info};

impl FlowMachine {
    pub(super) fn on_server_hello(
        &mut self,
        hs: ClientHandshake,
        frame_bytes: &[u8],
        env: &dyn Env,
    ) -> EngineResult<Step> {
        if frame_bytes.first() == Some(&frame::ALERT) {
            return Err(EngineError::Refused(decode_alert(frame_bytes)?));
        }
        if self.no_accounts && self.ctx.known_server.is_none() && self.ctx.pinned_key.is_none() {
            return Ok(self.tell_no_accounts(hs, frame_bytes));
        }
        let known = self.ctx.known_server.as_ref();
        let trust = match (&self.payload, known) {
            (QrPayload::Enrol(code), None) => ParamsTrust::EnrolHash(&code.params_hash),
            // An enrol code for a server the app knows must also be signed by its key: a code
            // cannot replace the key the app trusts (docs/security.md, "Server impersonation").
            (QrPayload::Enrol(code), Some(known)) => ParamsTrust::EnrolKnown {
                hash: &code.params_hash,
                key: &known.public_key,
                not_before: known.issued_at,
            },
            (_, Some(known)) => ParamsTrust::KnownKey {
                key: &known.public_key,
                not_before: known.issued_at,
            },
            // No stored parameters, but the configuration pins this server's key.
            (_, None) => match &self.ctx.pinned_key {
                Some(pinned) if self.no_accounts => ParamsTrust::KnownKey {
                    key: pinned,
                    not_before: 0,
                },
                _ => return Err(EngineError::NoAccountsForServer),
            },
        };
        let decision = match (hs.read_server_hello(frame_bytes, trust), known) {
            (Ok(decision), _) => decision,
            (Err(ProtocolError::ServerMismatch), Some(known)) => {
                return Err(EngineError::ImpersonatedServer(known.name.clone()))
            }
            (Err(err), _) => return Err(err.into()),
        };
        if !pinned_key_holds(self.ctx.pinned_key.as_ref(), &decision.params) {
            return Ok(self.abort_with(decision, EngineError::PinnedKeyMismatch));
        }
        if self.no_accounts {
            // Authenticated by the key the app trusts for it, yet no account here to offer.
            return Ok(self.abort_with(decision, EngineError::NoAccountsForServer));
        }
        let params = decision.params.clone();
        self.flow.server = Some(server_info(&params, &decision.signed_params.bytes));
        let save = Effect::SaveServer {
            signed: decision.signed_params.clone(),
            params: params.clone(),
        };
        // A login or transaction refreshes the parameters now: the server just proved the
        // key the app trusts. An enrolment keeps them until the server accepted it.
        let save_now = match &self.payload {
            QrPayload::Enrol(_) => {
                self.enrol_params = Some((decision.signed_params.clone(), params.clone()));
                Vec::new()
            }
            _ => vec![save],
        };
        self.params = Some(params.clone());
        let candidates = self.candidates();
        let context = match ServerContext::decode(&decision.context) {
            Ok(context) => context,
            Err(err) => return Ok(self.abort_with(decision, err.into())),
        };
        let interaction = match (&self.payload, context) {
            (QrPayload::Enrol(code), ServerContext::Enrol { .. }) => {
                let duplicate = candidates
                    .iter()
                    .any(|a| a.account.display_name == code.display_name);
                if params.profile.unique_display_names && duplicate {
                    return Ok(self.abort_with(decision, EngineError::DisplayNameExists));
                }
                Interaction::ConfirmEnrol {
                    display_name: code.display_name.clone(),
                    existing_accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                }
            }
            (
                QrPayload::Login(_),
                ServerContext::Login {
                    announce,
                    session,
                    check,
                },
            ) => {
                let view = announce_view(&announce, &session);
                self.announce = Some(view.clone());
                let check = Box::new(check_view(&check, self.ctx.source));
                self.number_asked = check.number.clone();
                Interaction::Confirm {
                    accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                    announce: view,
                    check,
                }
            }
            (QrPayload::Transaction(_), ServerContext::Transaction { details, check }) => {
                self.transaction = Some(details.clone());
                let check = Box::new(check_view(&check, self.ctx.source));
                self.number_asked = check.number.clone();
                Interaction::ConfirmTransaction {
                    accounts: candidates.iter().map(|a| a.account.clone()).collect(),
                    amount: details.amount,
                    beneficiary: details.beneficiary,
                    description: details.description,
                    check,
                }
            }
            _ => return Ok(self.abort_with(decision, ProtocolError::UnexpectedMessage.into())),
        };
        if self.ctx.app_login {
            // The app logs itself in: there is no one to ask, the single account answers.
            let response = Response::Confirm {
                account_id: None,
                user_input: None,
                number: None,
            };
            return match self.on_confirm(Box::new(decision), response, env)? {
                Step::Next(phase, effects) => Ok(Step::Next(
                    phase,
                    save_now.into_iter().chain(effects).collect(),
                )),
                Step::Refused(phase, err) => Ok(Step::Refused(phase, err)),
            };
        }
        self.set_state(FlowState::WaitingForConfirmation, Some(interaction));
        let mut effects = save_now;
        effects.push(Effect::Update(self.flow.clone()));
        Ok(Step::Next(Phase::Confirm(Box::new(decision)), effects))
    }

    /// A login code for a server the app has no key for: the hello is checked as far as it
    /// can be without one (docs/protocol.md 5.2) and answered with ClientAbort(NoAccounts).
    /// Nothing of it is stored or shown: anyone can make parameters that name this server.
    fn tell_no_accounts(&mut self, hs: ClientHandshake, frame_bytes: &[u8]) -> Step {
        let mut effects = Vec::new();
        match hs
            .read_server_hello_to_abort(frame_bytes)
            .and_then(|hello| hello.abort(AbortReason::NoAccounts))
        {
            Ok(abort) => effects.push(Effect::Send(abort)),
            // The person's answer is the same either way: no account for this server.
            Err(err) => tracing::info!(code = err.code(), "not telling a server NOACCOUNTS"),
        }
        effects.extend(self.fail(EngineError::NoAccountsForServer));
        Step::Next(Phase::Ended, effects)
    }
}
