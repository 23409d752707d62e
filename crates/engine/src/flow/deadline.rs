//! How long each phase waits. The machine owns its deadlines: after every step it sets when it
//! gives up, and the driver only wakes it then ([`Input::Timer`](crate::Input::Timer)).

use super::{FlowMachine, Phase};
use crate::clock::Timeouts;
use crate::context::Env;
use crate::model::FlowState;

impl FlowMachine {
    /// Starts the wait of the current phase at `env.now_ms()`.
    pub(super) fn arm(&mut self, env: &dyn Env) {
        self.deadline = match &self.phase {
            // A resume keeps its own clock: the pause, the attempt's wait and the give-up
            // deadline do not move with every input.
            Phase::Reconnecting(r) | Phase::ResumeHello(_, r) | Phase::ResumeAnswer(_, r) => {
                Some(r.wake_at)
            }
            _ => self.wait_ms().map(|ms| env.now_ms().saturating_add(ms)),
        };
    }

    /// Whether the wait set by the last step is over.
    pub(super) fn deadline_passed(&self, env: &dyn Env) -> bool {
        self.deadline.is_some_and(|at| env.now_ms() >= at)
    }

    /// How long the current phase waits, in milliseconds; `None` when it waits for nothing.
    fn wait_ms(&self) -> Option<u64> {
        let timeouts = &self.ctx.timeouts;
        match &self.phase {
            Phase::Ended => None,
            // A session lives as long as the server's pings keep coming (its parameters say
            // how often; 30 s when the flow never learnt them).
            Phase::Continuous(_) | Phase::LoggingOut(_) => Some(Timeouts::ping_ms(
                self.flow.server.as_ref().map_or(30, |s| s.ping_time),
            )),
            _ => Some(match self.flow.state {
                FlowState::WaitingForInput => timeouts.second_factor_input_ms,
                FlowState::WaitingForConfirmation => timeouts.person_ms,
                _ => timeouts.server_ms,
            }),
        }
    }
}
