//! A continuous login after its flow is done: pings are answered until the server, the app or
//! a LOGOUT push ends it, or the pings stop.

use nextauth_protocol::handshake::Session as Channel;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::ProtocolError;

use super::{FlowMachine, Phase, Step};
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};
use crate::model::{HistoryStatus, Session, SessionState};

impl FlowMachine {
    pub(super) fn on_session_frame(
        &mut self,
        mut channel: Box<Channel>,
        frame: &[u8],
    ) -> EngineResult<Step> {
        Ok(match ServerRecord::decode(&channel.open(frame)?)? {
            ServerRecord::Ping { counter } => {
                let pong = channel.seal(&AppRecord::Pong { counter }.encode()?)?;
                Step::Next(Phase::Continuous(channel), vec![Effect::Send(pong)])
            }
            ServerRecord::LoggedOut => self.session_ended(None),
            _ => self.session_ended(Some(EngineError::Protocol(
                ProtocolError::UnexpectedMessage,
            ))),
        })
    }

    /// The app logs the session out; the server confirms.
    pub(super) fn log_out(&mut self, mut channel: Box<Channel>) -> EngineResult<Step> {
        let logout = channel.seal(&AppRecord::Logout.encode()?)?;
        Ok(Step::Next(
            Phase::LoggingOut(channel),
            vec![Effect::Send(logout)],
        ))
    }

    pub(super) fn on_logout_frame(
        &mut self,
        mut channel: Box<Channel>,
        frame: &[u8],
    ) -> EngineResult<Step> {
        Ok(match ServerRecord::decode(&channel.open(frame)?)? {
            ServerRecord::LoggedOut => self.session_ended(None),
            // A ping that crossed our logout: the session ends anyway.
            _ => Step::Next(Phase::LoggingOut(channel), Vec::new()),
        })
    }

    pub(super) fn session_view(
        &self,
        state: SessionState,
        error: Option<&EngineError>,
    ) -> Option<Session> {
        Some(Session {
            id: self.flow.id.clone(),
            account: self.chosen.as_ref()?.account.clone(),
            server: self.flow.server.clone()?,
            state,
            continuous: true,
            error: error.map(EngineError::info),
        })
    }

    pub(super) fn session_ended(&mut self, error: Option<EngineError>) -> Step {
        // The history entry is written before the app hears of the logout, so what it reads
        // after the event is already there.
        let mut effects = vec![self.history(
            HistoryStatus::LoggedOut,
            error.as_ref().map(EngineError::code),
        )];
        if let Some(session) = self.session_view(SessionState::LoggedOut, error.as_ref()) {
            effects.push(Effect::Session(session));
        }
        effects.push(Effect::Close);
        Step::Next(Phase::Ended, effects)
    }
}
