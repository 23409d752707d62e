//! A continuous session whose connection closed (the server process went away, a drain's
//! 1001, a broken network) is resumed on a new connection (docs/protocol.md 10.8): after a
//! short pause, growing with each failed attempt, the app says RESUME with the session's
//! reference, signed by the account that logged in. The server accepts while the session is
//! still that account's login, and the pings go on; a refusal means the session was logged out
//! meanwhile. Attempts stop at a deadline within the ping time: the session is then lost.

use super::{FlowMachine, Phase, Step};
use crate::connect::{ConnectAwaitingAccept, ConnectHandshake, ServerHelloOutcome};
use crate::context::Env;
use crate::effect::Effect;
use crate::error::{EngineError, EngineResult};

/// The pause before the first attempt: long enough for a balancer's health check to take a
/// draining process out, so the attempt lands elsewhere.
const FIRST_PAUSE_MS: u64 = 250;
/// The longest pause between two attempts.
const MAX_PAUSE_MS: u64 = 4_000;
/// How long one attempt waits for the server's next message.
const ATTEMPT_WAIT_MS: u64 = 5_000;
/// The shortest time the app keeps trying (a server with a very short ping time).
const MIN_WINDOW_MS: u64 = 5_000;
/// The refusal that says the session is not logged in (any more): a logout, not an error.
const SESSION_UNKNOWN: u16 = 111;

/// Where a resume stands: its attempts, and when the machine acts next.
#[derive(Debug, Clone, Copy)]
pub(super) struct Resume {
    /// Attempts started so far.
    attempts: u32,
    /// The next attempt, or the end of the current attempt's wait.
    pub(super) wake_at: u64,
    /// When the app stops trying: the session is lost.
    give_up_at: u64,
    /// The person logged out meanwhile: once resumed, the logout goes to the server.
    logout: bool,
}

impl Resume {
    /// The pause after `attempts` failed attempts: 250 ms, doubling, at most 4 s.
    fn pause_ms(attempts: u32) -> u64 {
        FIRST_PAUSE_MS
            .saturating_mul(1 << attempts.min(8))
            .min(MAX_PAUSE_MS)
    }
}

impl FlowMachine {
    /// The session's connection closed: the first attempt waits a moment.
    pub(super) fn connection_lost(&mut self, env: &dyn Env) -> Step {
        let now = env.now_ms();
        let ping_time = self.params.as_ref().map_or(0, |p| p.profile.ping_time);
        let window = (u64::from(ping_time) * 1000).max(MIN_WINDOW_MS);
        tracing::info!("continuous session lost its connection: resuming");
        let resume = Resume {
            attempts: 0,
            wake_at: now + Resume::pause_ms(0),
            give_up_at: now + window,
            logout: false,
        };
        Step::Next(Phase::Reconnecting(resume), vec![Effect::Close])
    }

    /// The pause is over: a new connection and the RESUME hello, or the end past the deadline.
    pub(super) fn try_resume(&mut self, mut resume: Resume, env: &dyn Env) -> Step {
        let now = env.now_ms();
        if now >= resume.give_up_at {
            tracing::info!(attempts = resume.attempts, "continuous session not resumed");
            return self.session_ended(Some(EngineError::ConnectionLost));
        }
        let (Some(params), Some(session_ref)) = (self.params.as_ref(), self.session_ref()) else {
            return self.session_ended(Some(EngineError::ConnectionLost));
        };
        let start = ConnectHandshake::resume(
            env.rng(),
            *self.payload.server_id(),
            session_ref,
            params.public_key,
            params.issued_at,
            self.ctx.pinned_key,
        );
        let (hs, hello) = match start {
            Ok(started) => started,
            Err(err) => return self.session_ended(Some(err)),
        };
        let endpoint = params.endpoint.clone();
        resume.attempts += 1;
        resume.wake_at = now + ATTEMPT_WAIT_MS;
        Step::Next(
            Phase::ResumeHello(Box::new(hs), resume),
            vec![Effect::Connect { endpoint }, Effect::Send(hello)],
        )
    }

    /// The attempt's connection closed, could not open or stayed silent: the next attempt
    /// after a longer pause, or the end past the deadline.
    pub(super) fn resume_failed(&mut self, mut resume: Resume, env: &dyn Env) -> Step {
        let now = env.now_ms();
        if now >= resume.give_up_at {
            tracing::info!(attempts = resume.attempts, "continuous session not resumed");
            return self.session_ended(Some(EngineError::ConnectionLost));
        }
        resume.wake_at = (now + Resume::pause_ms(resume.attempts)).min(resume.give_up_at);
        Step::Next(Phase::Reconnecting(resume), vec![Effect::Close])
    }

    /// The server proved the key the app trusts (as for a CONNECT): the account signs.
    pub(super) fn on_resume_hello(
        &mut self,
        hs: ConnectHandshake,
        resume: Resume,
        frame: &[u8],
        env: &dyn Env,
    ) -> Step {
        let signed = self
            .chosen
            .as_ref()
            .ok_or(EngineError::UnknownAccount)
            .and_then(|chosen| env.account_signer(&chosen.account.id))
            .and_then(|signer| hs.on_server_hello(frame, signer.as_ref(), env.rng()));
        match signed {
            Ok(ServerHelloOutcome::Authenticated { finish, next, .. }) => Step::Next(
                Phase::ResumeAnswer(Box::new(next), resume),
                vec![Effect::Send(finish)],
            ),
            Ok(ServerHelloOutcome::Rejected { abort, error }) => {
                let mut step = self.session_ended(Some(error));
                if let (Some(abort), Step::Next(_, effects)) = (abort, &mut step) {
                    effects.insert(0, Effect::Send(abort));
                }
                step
            }
            Err(err) => self.resume_refused(err),
        }
    }

    /// The server's answer: the session goes on (with the person's logout, if they logged
    /// out meanwhile), or it ended meanwhile.
    pub(super) fn on_resume_answer(
        &mut self,
        next: ConnectAwaitingAccept,
        resume: Resume,
        frame: &[u8],
    ) -> EngineResult<Step> {
        match next.on_reply(frame) {
            Ok(channel) if resume.logout => self.log_out(Box::new(channel)),
            Ok(channel) => {
                tracing::info!(attempts = resume.attempts, "continuous session resumed");
                Ok(Step::Next(Phase::Continuous(Box::new(channel)), Vec::new()))
            }
            Err(err) => Ok(self.resume_refused(err)),
        }
    }

    /// A resume the server turned down (or a server the app cannot trust) ends the session:
    /// "not logged in" as a logout, anything else as the error it is.
    fn resume_refused(&mut self, err: EngineError) -> Step {
        match err {
            EngineError::Refused(SESSION_UNKNOWN) => self.session_ended(None),
            err => self.session_ended(Some(err)),
        }
    }

    /// The person logs out while the session is being resumed: the logout goes out once it is.
    pub(super) fn log_out_when_resumed(phase: Phase) -> Step {
        let phase = match phase {
            Phase::Reconnecting(r) => Phase::Reconnecting(Resume { logout: true, ..r }),
            Phase::ResumeHello(hs, r) => Phase::ResumeHello(hs, Resume { logout: true, ..r }),
            Phase::ResumeAnswer(next, r) => Phase::ResumeAnswer(next, Resume { logout: true, ..r }),
            other => other,
        };
        Step::Next(phase, Vec::new())
    }
}
