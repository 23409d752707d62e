//! The session engine: a sans-IO state machine per flow.
//!
//! ```text
//!  start(payload) ──▶ Starting ──ServerHello──▶ WaitingForConfirmation ──Confirm──▶ Active
//!                        │                          │ Deny/Cancel                     │
//!                        ▼ error                    ▼                                 ▼
//!                      Error                   Done (aborted)        PinRequired ─▶ WaitingForInput
//!                                                                    Accepted ───▶ Done / continuous
//! ```
//!
//! The machine never touches a socket, a clock, a database or a random source of its own: it
//! takes [`Input`]s (frames from the server, the person's [`Response`]s, transport events) and
//! an [`Env`] (time, randomness, key access), and returns [`Effect`]s for the driver to carry
//! out (connect, send, store, report). Tests drive every path with fixed inputs.

mod machine;
mod second_factor;
mod views;

pub(crate) use machine::history_kind;
pub use machine::FlowMachine;
pub use second_factor::{SecondFactorEffect, SecondFactorInput, SecondFactorMachine};
pub use views::{announce_view, server_info};

use nextauth_protocol::crypto::{PublicKey, Signer};
use nextauth_protocol::params::{ServerParams, SignedServerParams};
use nextauth_protocol::pin::{DeviceSecret, Pin};
use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use crate::error::SdkResult;
use crate::model::{Account, Flow, Session};
use crate::store::HistoryDraft;

/// What the engine needs from its surroundings, synchronously.
pub trait Env {
    /// Unix seconds now.
    fn now(&self) -> u64;
    /// The random source.
    fn rng(&self) -> &dyn SecureRandom;
    /// The signing key of an account (opened from the keystore for this use only).
    fn account_signer(&self, account_id: &str) -> SdkResult<Box<dyn Signer + Send + Sync>>;
    /// The PIN device secret, if a PIN is set.
    fn device_secret(&self) -> SdkResult<Option<DeviceSecret>>;
}

/// An account as the engine sees it: the public view plus its key's public half.
#[derive(Debug, Clone)]
pub struct KnownAccount {
    /// The public view.
    pub account: Account,
    /// Its public key.
    pub public_key: PublicKey,
}

/// A server the app has stored parameters of: what a code for it must agree with.
#[derive(Debug, Clone)]
pub struct KnownServer {
    /// The key the app trusts (only this key, or one it endorsed, may sign new parameters).
    pub public_key: PublicKey,
    /// `issued_at` of the stored parameters (a refresh never goes back).
    pub issued_at: u64,
    /// Its name, for messages.
    pub name: String,
    /// Its app endpoint: logins and transactions connect here, whatever a code says.
    pub endpoint: String,
}

/// What the engine knows when a flow starts.
#[derive(Debug, Clone, Default)]
pub struct FlowContext {
    /// Every account in the app.
    pub accounts: Vec<KnownAccount>,
    /// The payload's server as stored, if the app knows it.
    pub known_server: Option<KnownServer>,
    /// Server ids (base64url) the app may enrol with; empty allows all.
    pub allowed_servers: Vec<String>,
    /// The key the configuration pins for the payload's server, if it pins one.
    pub pinned_key: Option<PublicKey>,
    /// At most one account in the app.
    pub single_account: bool,
    /// This device's name for the server's account list.
    pub device_name: String,
    /// The flow logs the app itself into its backend (AppLogin): no confirmation is asked
    /// (the PIN still is, when due) and the server creates the session.
    pub app_login: bool,
    /// Where the code came from.
    pub source: crate::model::CodeSource,
    /// A push login names the account it is for: only that one is offered.
    pub only_account: Option<String>,
    /// A PIN was blocked and the configuration then refuses every second-factor question
    /// (`Config::block_second_factor_on_pin_blocked`): a PIN question ends the flow with 109.
    pub second_factor_blocked: bool,
}

/// The person's answer to an interaction.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Response {
    /// Yes; for a login, with the chosen account and optional input for the website.
    Confirm {
        /// The account (needed when several fit).
        #[serde(default, rename = "accountId")]
        account_id: Option<String>,
        /// Text for the website.
        #[serde(default, rename = "userInput")]
        user_input: Option<String>,
        /// The browser's number, when the prompt asks for it.
        #[serde(default)]
        number: Option<String>,
    },
    /// No (declines a login or enrolment; declines a transaction).
    Deny,
    /// "This was not me": declines a login or transaction and reports it to the server, which
    /// pauses push logins to the account (signed by the chosen account, like an approval).
    NotMe {
        /// The account (needed when several fit).
        #[serde(default, rename = "accountId")]
        account_id: Option<String>,
    },
    /// The PIN.
    Pin {
        /// The digits; wiped after use.
        pin: PinInput,
    },
    /// Stop the flow (or log a continuous session out).
    Cancel,
}

/// A PIN as the app hands it over: wiped from memory when dropped, never printed.
#[derive(Clone)]
pub struct PinInput(Zeroizing<String>);

impl<'de> serde::Deserialize<'de> for PinInput {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // The String is moved into the zeroising wrapper, so no unwiped copy remains.
        String::deserialize(deserializer).map(|s| Self(Zeroizing::new(s)))
    }
}

impl PinInput {
    /// Wraps digits.
    pub fn new(digits: &str) -> Self {
        Self(Zeroizing::new(digits.to_owned()))
    }

    /// The digits, for sealing (biometric unlock); never for display or logs.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }

    /// The protocol's PIN (checks 4 to 16 digits).
    pub fn to_pin(&self) -> SdkResult<Pin> {
        Pin::new(&self.0)
            .map_err(|_| crate::SdkError::InvalidInput("the PIN must be 4 to 16 digits"))
    }
}

impl std::fmt::Debug for PinInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinInput(..)")
    }
}

/// Result of checking an existing PIN online (enrolment on a device that already has a PIN).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinCheck {
    /// The server accepted the PIN.
    Right,
    /// Wrong; this many attempts left.
    Wrong(u8),
    /// Blocked.
    Blocked,
    /// No server could check it (unreachable).
    Unavailable,
}

/// Something that happened to the flow.
#[derive(Debug)]
pub enum Input {
    /// A frame from the server.
    Frame(Vec<u8>),
    /// The person answered.
    Respond(Response),
    /// The online PIN check the engine asked for finished.
    PinChecked(PinCheck),
    /// The connection could not be opened.
    Unreachable,
    /// The connection closed or failed.
    Closed,
    /// The server did not answer in time.
    TimedOut,
    /// The driver could not carry out an effect (storage, keystore): the flow ends with it.
    Failed(crate::SdkError),
    /// The driver stored everything up to [`Effect::Commit`].
    Committed,
    /// The server's LOGOUT push named this continuous session: it is over, whatever its own
    /// connection says (or fails to say).
    LoggedOutByPush,
}

/// A new account to store (its secrets still to be sealed by the driver).
pub struct NewAccount {
    /// The public view.
    pub account: Account,
    /// Its public key.
    pub public_key: PublicKey,
    /// PKCS#8 of the private key.
    pub pkcs8: Zeroizing<Vec<u8>>,
    /// The push key from the handshake.
    pub push_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// What the driver must do.
#[derive(Debug)]
pub enum Effect {
    /// Open a connection to the server's app endpoint.
    Connect {
        /// `ws://` or `wss://` URL.
        endpoint: String,
    },
    /// Send a frame.
    Send(Vec<u8>),
    /// Report the flow's new state.
    Update(Flow),
    /// Store the server's verified, refreshed parameters.
    SaveServer {
        /// As signed.
        signed: SignedServerParams,
        /// Decoded.
        params: ServerParams,
    },
    /// Store an enrolment before its final message goes out (keys sealed): if the app stops
    /// after this, the next start settles it with the server.
    StorePendingEnrol {
        /// The account it creates.
        account: Box<NewAccount>,
        /// The server's parameters, as verified.
        signed: SignedServerParams,
        /// Decoded.
        params: ServerParams,
    },
    /// The server accepted the enrolment: store the server, the account and `history` in one
    /// transaction.
    ActivateEnrol {
        /// The pending account.
        account_id: String,
        /// The history entry of the enrolment.
        history: HistoryDraft,
    },
    /// The server refused the enrolment: drop what was stored for it, and the PIN secret it
    /// set if no account needs it.
    DiscardEnrol {
        /// The pending account.
        account_id: String,
    },
    /// Store the device secret of a newly set PIN (before the verifier leaves the app).
    SetPinSecret(DeviceSecret),
    /// The person set a PIN again after the integrator's reset: a block the app remembered
    /// is over.
    PinSetAgain,
    /// The server accepted a PIN for an account that had none (HEADLESS_UPGRADE).
    AccountHasPin {
        /// The account.
        account_id: String,
    },
    /// Everything before this is stored: continue with [`Input::Committed`].
    Commit,
    /// A history entry whose outcome the app did not learn (the answer never came): the server
    /// is asked later ([`crate::Sdk::reconcile`]).
    Unresolved {
        /// The entry as far as known.
        history: HistoryDraft,
        /// The account that answered.
        account_id: String,
        /// The session or transaction ref.
        reference: [u8; 16],
    },
    /// Check the person's existing PIN online with another account, then feed
    /// [`Input::PinChecked`].
    CheckPin {
        /// The PIN to check.
        pin: PinInput,
    },
    /// Record a successful login of an account.
    RecordLogin {
        /// The account.
        account_id: String,
    },
    /// Append to the history.
    History(HistoryDraft),
    /// A login session became active (continuous) or ended.
    Session(Session),
    /// Close the connection.
    Close,
}
