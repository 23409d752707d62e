//! What a flow knows when it starts, and what it may ask of its surroundings while it runs.

use nextauth_protocol::crypto::{PublicKey, Signer};
use nextauth_protocol::pin::DeviceSecret;
use ring::rand::SecureRandom;

use crate::clock::Timeouts;
use crate::error::EngineResult;
use crate::model::{Account, CodeSource};

/// What the engine needs from its surroundings, synchronously.
pub trait Env {
    /// Unix seconds now (for what is recorded).
    fn now(&self) -> u64;
    /// The driver's monotonic milliseconds now (for deadlines; any origin).
    fn now_ms(&self) -> u64;
    /// The random source.
    fn rng(&self) -> &dyn SecureRandom;
    /// The signing key of an account (opened from the keystore for this use only).
    ///
    /// # Errors
    ///
    /// `UnknownAccount`, or the driver's own failure as [`crate::EngineError::Driver`].
    fn account_signer(&self, account_id: &str) -> EngineResult<Box<dyn Signer + Send + Sync>>;
    /// The PIN device secret, if a PIN is set.
    ///
    /// # Errors
    ///
    /// The driver's own failure as [`crate::EngineError::Driver`].
    fn device_secret(&self) -> EngineResult<Option<DeviceSecret>>;
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
    pub source: CodeSource,
    /// A push login names the account it is for: only that one is offered.
    pub only_account: Option<String>,
    /// A PIN was blocked and the configuration then refuses every second-factor question
    /// (`Config::block_second_factor_on_pin_blocked`): a PIN question ends the flow with 109.
    pub second_factor_blocked: bool,
    /// How long the flow waits for the server and the person.
    pub timeouts: Timeouts,
}
