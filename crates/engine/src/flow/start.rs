//! A flow's start: what can be checked offline, then the connection and the ClientHello.

use nextauth_protocol::handshake::{ClientHandshake, Purpose};
use nextauth_protocol::qr::QrPayload;

use super::{FlowMachine, Phase};
use crate::context::{Env, FlowContext, KnownAccount};
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};
use crate::model::{Flow, FlowKind, NumberAsk};

impl FlowMachine {
    /// Starts a flow for a decoded payload: checks what can be checked offline, then asks the
    /// driver to connect and send the ClientHello. When an offline check fails, the flow never
    /// starts: the error comes back with the effects that record it (history).
    ///
    /// # Errors
    ///
    /// The failed check (`ServerNotAllowed`, `SingleAccount`, `NoAccountsForServer`,
    /// `EndpointMismatch`, ...) with the effects that record it.
    #[allow(clippy::result_large_err)]
    pub fn start(
        id: String,
        payload: QrPayload,
        ctx: FlowContext,
        env: &dyn Env,
    ) -> Result<(Self, Vec<Effect>), (EngineError, Vec<Effect>)> {
        let kind = match &payload {
            QrPayload::Enrol(_) => FlowKind::Enrol,
            QrPayload::Login(_) => FlowKind::Login,
            QrPayload::Transaction(_) => FlowKind::SignTransaction,
        };
        let flow = Flow::starting(id, kind);
        let mut machine = Self {
            ctx,
            phase: Phase::Ended,
            flow,
            payload,
            params: None,
            announce: None,
            transaction: None,
            chosen: None,
            pending_enrol: None,
            enrol_params: None,
            answered: None,
            transaction_declined: false,
            number_asked: NumberAsk::None,
            not_me: false,
            no_accounts: false,
            pin_upgrade: false,
            deadline: None,
        };
        match machine.begin(env) {
            Ok(effects) => {
                machine.arm(env);
                Ok((machine, effects))
            }
            Err(err) => {
                let effects = machine.fail(err.clone());
                Err((err, effects))
            }
        }
    }

    fn begin(&mut self, env: &dyn Env) -> EngineResult<Vec<Effect>> {
        let server_id = *self.payload.server_id();
        match &self.payload {
            QrPayload::Enrol(_) => {
                let allowed = &self.ctx.allowed_servers;
                if !allowed.is_empty() && !allowed.contains(&server_id.to_base64()) {
                    return Err(EngineError::ServerNotAllowed);
                }
                if self.ctx.single_account && !self.ctx.accounts.is_empty() {
                    return Err(EngineError::SingleAccount);
                }
            }
            QrPayload::Login(_) if !self.ctx.app_login => {
                if self.candidates().is_empty() || self.ctx.known_server.is_none() {
                    // The website waits for the scan to end: the app connects only to say it
                    // has no account there (the browser then hears NOACCOUNTS), unless the
                    // configuration keeps it away from servers not on its list.
                    let allowed = &self.ctx.allowed_servers;
                    if !allowed.is_empty() && !allowed.contains(&server_id.to_base64()) {
                        return Err(EngineError::NoAccountsForServer);
                    }
                    self.no_accounts = true;
                }
            }
            _ => {
                if self.candidates().is_empty() || self.ctx.known_server.is_none() {
                    return Err(EngineError::NoAccountsForServer);
                }
            }
        }
        let (purpose, reference) = match &self.payload {
            QrPayload::Enrol(c) => (Purpose::Enrol, c.session_ref.0),
            QrPayload::Login(c) if self.ctx.app_login => (Purpose::AppLogin, c.session_ref.0),
            QrPayload::Login(c) => (Purpose::Login, c.session_ref.0),
            QrPayload::Transaction(c) => (Purpose::Transaction, c.transaction_ref.0),
        };
        // A server the app knows is reached where its signed parameters say, never where a
        // code says: a code must not make the app connect to another host for it.
        let endpoint = match (&self.payload, &self.ctx.known_server) {
            (QrPayload::Enrol(_), _) | (_, None) => self.payload.endpoint().to_owned(),
            (_, Some(known)) if known.endpoint != self.payload.endpoint() => {
                return Err(EngineError::EndpointMismatch(known.name.clone()));
            }
            (_, Some(known)) => known.endpoint.clone(),
        };
        let (hs, hello) = ClientHandshake::start(env.rng(), purpose, server_id, reference)?;
        self.phase = Phase::Hello(hs);
        Ok(vec![
            Effect::Connect { endpoint },
            Effect::Send(hello),
            Effect::Update(self.flow.clone()),
        ])
    }

    /// The accounts that may answer this code: the payload's server's, not being deleted, and
    /// only the one a push login names.
    pub(super) fn candidates(&self) -> Vec<KnownAccount> {
        let server = self.payload.server_id().to_base64();
        self.ctx
            .accounts
            .iter()
            .filter(|a| a.account.server_id == server && !a.account.pending_delete)
            .filter(|a| {
                self.ctx
                    .only_account
                    .as_ref()
                    .is_none_or(|only| *only == a.account.id)
            })
            .cloned()
            .collect()
    }
}
