//! # nextauth-engine
//!
//! The authenticator's flows as sans-IO state machines: a [`FlowMachine`] per enrolment, login
//! or transaction, a [`SecondFactorMachine`] per change of the second factor (CHANGE_PIN,
//! ADD_BIOMETRICS, REMOVE_BIOMETRICS), and a [`Conversation`] per CONNECT session of an account
//! (PIN check and change, pull, delete, push token and pause, live delivery), whose
//! [`ConnectHandshake`] checks the server like a login's.
//!
//! ```text
//!  start(payload) ──▶ Starting ──ServerHello──▶ WaitingForConfirmation ──Confirm──▶ Active
//!                        │                          │ Deny/Cancel                     │
//!                        ▼ error                    ▼                                 ▼
//!                      Error                   Done (aborted)        PinRequired ─▶ WaitingForInput
//!                                                                    Accepted ───▶ Done / continuous
//! ```
//!
//! A machine never touches a socket, a clock, a database or a random source of its own: it
//! takes [`Input`]s (frames from the server, the person's [`Response`]s, transport events, the
//! driver's timer) and an [`Env`] (time, randomness, key access), and returns [`Effect`]s for
//! the driver to carry out (connect, send, store, report). How long it waits is its own
//! business too: after every step it holds a deadline ([`FlowMachine::deadline`], in the
//! driver's milliseconds), and the driver feeds [`Input::Timer`] once that time has come
//! (quinn-proto's `poll_timeout` / `handle_timeout` pattern). The tests in `tests/` drive every
//! path with fixed inputs and a fake clock.
//!
//! The crate has no tokio, no sqlx and no sockets; `nextauth-sdk` is its driver and re-exports
//! the public model ([`model`]) under the same names.

mod answer;
mod clock;
mod connect;
mod context;
mod conversation;
mod effect;
pub mod error;
mod flow;
mod log_id;
pub mod model;
mod second_factor;
mod views;

pub use answer::{PinCheck, PinInput, Response};
pub use clock::{Time, Timeouts};
pub use connect::{ConnectAwaitingAccept, ConnectHandshake, ServerHelloOutcome};
pub use context::{Env, FlowContext, KnownAccount, KnownServer};
pub use conversation::{ConnectTarget, Conversation, ConversationEffect, CONVERSATION_TIMEOUT_MS};
pub use effect::{Effect, Input, NewAccount};
pub use error::{EngineError, EngineResult};
pub use flow::FlowMachine;
pub use log_id::flow_log_id;
pub use second_factor::{SecondFactorEffect, SecondFactorInput, SecondFactorMachine};
pub use views::{announce_view, server_info};
