//! The public data of the engine and the SDK: what they report in events and return from
//! calls. Everything here is plain data with serde derives, so an app can pass it through IPC
//! unchanged. `nextauth-sdk` re-exports it as `nextauth_sdk::model` (and at its root).
//!
//! The doc comments go into the app's TypeScript bindings word for word (ts-rs), so they name
//! things as the SDK's user sees them (`crate::Sdk`, `crate::Event` are the SDK's root).

use serde::{Deserialize, Serialize};

/// An account in the app: one key for one user at one server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Account {
    /// Local id (UUID).
    pub id: String,
    /// The server's id (base64url).
    pub server_id: String,
    /// The server's name.
    pub server_name: String,
    /// The name the integrator gave this account.
    pub display_name: String,
    /// When it was enrolled (Unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub created: u64,
    /// Last successful login (Unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub last_login: Option<u64>,
    /// Whether the account is protected by the app's PIN.
    pub has_pin: bool,
    /// Deleted in the app; the server has not confirmed yet (retried).
    pub pending_delete: bool,
}

/// What the app shows about a server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct ServerInfo {
    /// Id (base64url).
    pub server_id: String,
    /// Name.
    pub name: String,
    /// Logo, base64 PNG (may be empty).
    pub logo: String,
    /// The integrator's website.
    pub site_url: String,
    /// Seconds to answer a ping; 0 for one-shot logins.
    pub ping_time: u32,
    /// Minutes a PIN entry is remembered for logins (-1 never asked, 0 always).
    pub pin_timeout: i32,
    /// Whether the server requires a PIN.
    pub requires_pin: bool,
    /// Visual hash of the parameters, base64 PNG.
    pub visual_hash: String,
}

/// One keyed string the website wants shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct InfoItem {
    /// Label.
    pub key: String,
    /// Value.
    pub value: String,
}

/// Announce and browser information shown with a login.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Announce {
    /// Keyed strings from the website.
    pub info: Vec<InfoItem>,
    /// Website logo, base64 PNG (may be empty).
    pub logo: String,
    /// The browser's IP address.
    pub ip: String,
    /// The browser's user agent.
    pub user_agent: String,
}

/// Where a code came from. A browser on another network than this device is expected when a
/// phone's camera scans a computer's screen; it is a warning sign when the code came from this
/// device's own screen, a link opened here, or a push (relay phishing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CodeSource {
    /// A camera (usually another device's screen).
    #[default]
    Camera,
    /// An image file.
    Image,
    /// This device's own screen.
    Screen,
    /// A deep link or app link opened on this device.
    Link,
    /// A push login.
    Push,
    /// Text pasted or typed.
    Text,
}

/// The number the prompt asks for (number matching): the browser shows it, and the one given
/// is part of what the account signs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NumberAsk {
    /// None is asked.
    #[default]
    None,
    /// Pick the browser's number among these.
    Choose {
        /// The choices (one is right).
        choices: Vec<String>,
    },
    /// Type the browser's number.
    Type {
        /// How many digits it has.
        digits: u8,
    },
}

/// What the server itself saw of the browser that asks: shown apart from what the website
/// says, which could claim anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Observed {
    /// The browser's address (`""`: the server did not see the browser).
    pub ip: String,
    /// Its browser and system in words ("Chrome 131 on Windows 10").
    pub browser: String,
    /// Coarse location (`""`: unknown, the server has no location database).
    pub location: String,
    /// When the server saw it (Unix seconds, 0: never).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub seen_at: u64,
    /// The browser is on another network than this device.
    pub network_differs: bool,
}

/// The checks of a login or transaction prompt.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct LoginCheck {
    /// The number to ask for.
    pub number: NumberAsk,
    /// What the server saw of the browser.
    pub observed: Observed,
    /// Warn: the browser is on another network, and the code came from this device's screen,
    /// a link or a push. Someone may be relaying a login of theirs to this person.
    pub relay_warning: bool,
    /// Where the code came from.
    pub source: CodeSource,
}

/// The kinds of flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlowKind {
    /// Create an account.
    Enrol,
    /// Log in.
    Login,
    /// Approve or decline a transaction.
    SignTransaction,
    /// Change the PIN (the current one, then the new one).
    ChangePin,
    /// Switch biometric unlock on (the PIN, then the platform's check).
    AddBiometrics,
    /// Switch biometric unlock off.
    RemoveBiometrics,
}

/// Where a flow stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum FlowState {
    /// Connecting and authenticating the server.
    Starting,
    /// The person must confirm (see the interaction).
    WaitingForConfirmation,
    /// The person must enter something (PIN).
    WaitingForInput,
    /// Working on the person's answer.
    Active,
    /// Finished successfully (or declined as asked).
    Done,
    /// Finished with an error (see `error`).
    Error,
}

/// What the person is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Interaction {
    /// Confirm a login: pick one of `accounts`, optionally type input for the website.
    Confirm {
        /// The accounts of this server.
        accounts: Vec<Account>,
        /// What the website announces and who asks.
        announce: Announce,
        /// The number to ask for and what the server saw of the browser (boxed: a flow
        /// update stays small).
        check: Box<LoginCheck>,
    },
    /// Confirm an enrolment after comparing the visual hash with the website's.
    ConfirmEnrol {
        /// The name the account will have.
        #[serde(rename = "displayName")]
        display_name: String,
        /// Accounts already on this server in this app.
        #[serde(rename = "existingAccounts")]
        existing_accounts: Vec<Account>,
    },
    /// Approve or decline a transaction.
    ConfirmTransaction {
        /// The accounts that may approve (the server accepts only the one logged in).
        accounts: Vec<Account>,
        /// Amount.
        amount: String,
        /// Beneficiary.
        beneficiary: String,
        /// Description.
        description: String,
        /// The number to ask for and what the server saw of the browser (boxed: a flow
        /// update stays small).
        check: Box<LoginCheck>,
    },
    /// Choose the app's PIN (first account that needs one).
    SetSecondFactor,
    /// Enter the PIN.
    VerifySecondFactor {
        /// Wrong PINs left before the server blocks the PIN (0 when unknown).
        #[serde(rename = "remainingAttempts")]
        remaining_attempts: u8,
        /// The previous entry was wrong.
        retry: bool,
    },
}

/// An error as the app sees it: a stable numeric code and a message for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct ErrorInfo {
    /// Numeric code (docs/protocol.md section 14, docs/sdk.md).
    pub code: u16,
    /// Text without secrets.
    pub message: String,
}

/// A flow's state as reported in [`crate::Event::FlowUpdate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Flow {
    /// Flow id (UUID).
    pub id: String,
    /// Kind.
    pub kind: FlowKind,
    /// State.
    pub state: FlowState,
    /// What the person is asked now, in the waiting states.
    pub interaction: Option<Interaction>,
    /// The server, once authenticated.
    pub server: Option<ServerInfo>,
    /// The account used, once chosen.
    pub account: Option<Account>,
    /// Why it failed, in the error state.
    pub error: Option<ErrorInfo>,
}

impl Flow {
    /// A flow of `kind` just started: nothing asked, no server or account known yet.
    pub fn starting(id: String, kind: FlowKind) -> Self {
        Self {
            id,
            kind,
            state: FlowState::Starting,
            interaction: None,
            server: None,
            account: None,
            error: None,
        }
    }
}

/// The state of a login session after its flow is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SessionState {
    /// Logged in; for continuous sessions the app answers pings.
    Active,
    /// Logged out (by the website, the app, or a lost connection).
    LoggedOut,
}

/// A login session, reported in [`crate::Event::SessionUpdate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Session {
    /// Session id: the flow id that opened it.
    pub id: String,
    /// Account.
    pub account: Account,
    /// Server.
    pub server: ServerInfo,
    /// State.
    pub state: SessionState,
    /// Whether the server keeps it alive with pings.
    pub continuous: bool,
    /// Why it ended, if it ended on an error (lost connection).
    pub error: Option<ErrorInfo>,
}

/// What a history entry records: a flow's kind, or what happened outside a flow. The names are
/// what the database stores and the UI labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HistoryKind {
    /// An enrolment.
    Enrol,
    /// A login.
    Login,
    /// A transaction.
    SignTransaction,
    /// A PIN change.
    ChangePin,
    /// Biometric unlock switched on.
    AddBiometrics,
    /// Biometric unlock switched off.
    RemoveBiometrics,
    /// A push message (or a failure to handle one).
    Push,
    /// An account deleted in the app (or a failure to tell its server).
    Delete,
    /// Push logins paused or resumed.
    PausePush,
    /// A scanned code that started nothing (it did not read or verify).
    Scan,
}

impl HistoryKind {
    const ALL: [Self; 10] = [
        Self::Enrol,
        Self::Login,
        Self::SignTransaction,
        Self::ChangePin,
        Self::AddBiometrics,
        Self::RemoveBiometrics,
        Self::Push,
        Self::Delete,
        Self::PausePush,
        Self::Scan,
    ];

    /// The stored name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enrol => "ENROL",
            Self::Login => "LOGIN",
            Self::SignTransaction => "SIGN_TRANSACTION",
            Self::ChangePin => "CHANGE_PIN",
            Self::AddBiometrics => "ADD_BIOMETRICS",
            Self::RemoveBiometrics => "REMOVE_BIOMETRICS",
            Self::Push => "PUSH",
            Self::Delete => "DELETE",
            Self::PausePush => "PAUSE_PUSH",
            Self::Scan => "SCAN",
        }
    }

    /// The kind of a stored name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for HistoryKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<FlowKind> for HistoryKind {
    fn from(kind: FlowKind) -> Self {
        match kind {
            FlowKind::Enrol => Self::Enrol,
            FlowKind::Login => Self::Login,
            FlowKind::SignTransaction => Self::SignTransaction,
            FlowKind::ChangePin => Self::ChangePin,
            FlowKind::AddBiometrics => Self::AddBiometrics,
            FlowKind::RemoveBiometrics => Self::RemoveBiometrics,
        }
    }
}

/// How a recorded interaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HistoryStatus {
    /// A continuous login that is (or was) active.
    LoggedIn,
    /// A one-shot login.
    LoggedInOneShot,
    /// A session that was logged out.
    LoggedOut,
    /// The person declined or cancelled.
    Aborted,
    /// An account was deleted.
    Deleted,
    /// Something failed (see the error code).
    Error,
    /// An account was created.
    Enrolled,
    /// A transaction was approved.
    Approved,
    /// A transaction was declined.
    Declined,
    /// A message from a server.
    Message,
    /// The PIN was changed.
    PinChanged,
    /// The person said "This was not me": denied and reported to the server.
    NotMe,
    /// The person paused push logins to an account (or resumed them) from the app.
    PushPaused,
    /// Biometric unlock was switched on.
    BiometricsAdded,
    /// Biometric unlock was switched off.
    BiometricsRemoved,
}

/// What a history entry records: the engine drafts one (its driver stamps the time), the store
/// keeps it under an id ([`HistoryEntry`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct HistoryRecord {
    /// When (Unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub at: u64,
    /// What kind of interaction.
    pub kind: HistoryKind,
    /// How it ended.
    pub status: HistoryStatus,
    /// Server id (base64url), when known.
    pub server_id: Option<String>,
    /// Server name ("" when unknown).
    pub server_name: String,
    /// Account id, when known.
    pub account_id: Option<String>,
    /// Account name ("" when unknown).
    pub account_name: String,
    /// Announce information shown at the time.
    pub announce: Option<Announce>,
    /// Error code, for failures.
    pub error_code: Option<u16>,
    /// Free text (transaction details, message text).
    pub detail: String,
}

/// One entry of the history: a stored [`HistoryRecord`] (its fields, flat, in JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct HistoryEntry {
    /// Id (increasing).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// What it records.
    #[serde(flatten)]
    #[cfg_attr(feature = "ts", ts(flatten))]
    pub record: HistoryRecord,
}

/// A message a server sent to the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Message id (base64url).
    pub id: String,
    /// The account it was sent to.
    pub account_id: String,
    /// When it arrived (Unix seconds).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub received: u64,
    /// Title.
    pub title: String,
    /// Text.
    pub body: String,
    /// Whether the person has seen it ([`crate::Sdk::mark_messages_read`]).
    pub read: bool,
}

/// An AppLogin in progress: the flow and the web nonce the app's backend asks the server about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct AppLogin {
    /// The login flow (and, on continuous servers, the session) id.
    pub flow_id: String,
    /// The web nonce (base64url of 32 random bytes): the backend's `X-nonce` for `getSession`.
    pub nonce: String,
}

/// Everything the SDK reports: the callbacks, as one tagged stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Event {
    /// A flow changed state or asks something.
    FlowUpdate {
        /// The flow.
        flow: Flow,
    },
    /// A login session changed.
    SessionUpdate {
        /// The session.
        session: Session,
    },
    /// An account was added or changed.
    AccountUpdate {
        /// The account.
        account: Account,
    },
    /// An account was removed.
    AccountDeleted {
        /// Its id.
        #[serde(rename = "accountId")]
        account_id: String,
        /// Whether the server deleted it (true) or the person did (false).
        #[serde(rename = "byServer")]
        by_server: bool,
    },
    /// A message from a server arrived.
    MessageReceived {
        /// The message.
        message: Message,
    },
    /// An error outside any flow (push handling, background retries).
    Error {
        /// The error.
        error: ErrorInfo,
    },
}

/// A token the app hands its own backend while its AppLogin session is logged in: the server
/// states, signed with its key, that this account is logged in, for `audience` and until
/// `expires_at` (docs/sdk.md, "AppLogin"). It is a bearer credential: never logged (its
/// `Debug` hides it).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppToken {
    /// The token text (`nat1.…`).
    pub token: String,
    /// Who it is for.
    pub audience: String,
    /// Not valid after (Unix s).
    #[serde(rename = "expiresAt")]
    pub expires_at: u64,
}

impl std::fmt::Debug for AppToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppToken")
            .field("audience", &self.audience)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
