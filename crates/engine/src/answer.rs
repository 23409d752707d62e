//! What the person answers, and what an online PIN check found.

use nextauth_protocol::pin::Pin;
use zeroize::Zeroizing;

use crate::error::{EngineError, EngineResult};

/// The person's answer to an interaction. The UI sends it as is (`flow_respond`), under the
/// TypeScript name `Answer`: `{"type":"CONFIRM","accountId":"…","userInput":"…","number":"42"}`,
/// `{"type":"DENY"}`, `{"type":"NOT_ME","accountId":"…"}`, `{"type":"PIN","pin":"2468"}`,
/// `{"type":"CANCEL"}`.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export, rename = "Answer"))]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Response {
    /// Yes; for a login, with the chosen account and optional input for the website.
    Confirm {
        /// The account (needed when several fit).
        #[serde(default, rename = "accountId")]
        #[cfg_attr(feature = "ts", ts(optional))]
        account_id: Option<String>,
        /// Text for the website.
        #[serde(default, rename = "userInput")]
        #[cfg_attr(feature = "ts", ts(optional))]
        user_input: Option<String>,
        /// The browser's number, when the prompt asks for it.
        #[serde(default)]
        #[cfg_attr(feature = "ts", ts(optional))]
        number: Option<String>,
    },
    /// No (declines a login or enrolment; declines a transaction).
    Deny,
    /// "This was not me": declines a login or transaction and reports it to the server, which
    /// pauses push logins to the account (signed by the chosen account, like an approval).
    NotMe {
        /// The account (needed when several fit).
        #[serde(default, rename = "accountId")]
        #[cfg_attr(feature = "ts", ts(optional))]
        account_id: Option<String>,
    },
    /// The PIN.
    Pin {
        /// The digits; wiped after use.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
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
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The protocol's PIN (checks 4 to 16 digits).
    ///
    /// # Errors
    ///
    /// `InvalidInput` for anything but 4 to 16 digits.
    pub fn to_pin(&self) -> EngineResult<Pin> {
        Pin::new(&self.0).map_err(|_| EngineError::InvalidInput("the PIN must be 4 to 16 digits"))
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
