//! The last event of a browser session (`sessions.event`): what the browser WebSocket tells the
//! pages that follow the session, under the same word (docs/web.md, "Browser WebSocket: `GET /ws`").

use std::fmt;

/// A session's last event. Stored and sent to browsers as [`SessionEvent::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    /// Nothing happened yet (a new session; stored as the empty text).
    None,
    /// A push login was sent to the app (not told to browsers: they hear `CONFIRMPROVOKE` once
    /// the app picks it up).
    Provoke,
    /// An app scanned the code.
    ConfirmScan,
    /// The app picked up a push login.
    ConfirmProvoke,
    /// An account logged in.
    Login,
    /// The session was logged out.
    Logout,
    /// The person said no in the app.
    Cancel,
    /// The app had no account for the server.
    NoAccounts,
    /// The app did not answer in time.
    Timeout,
    /// The enrol code had expired.
    Expired,
    /// The exchange failed otherwise.
    Error,
}

impl SessionEvent {
    /// Every event.
    pub const ALL: &'static [Self] = &[
        Self::None,
        Self::Provoke,
        Self::ConfirmScan,
        Self::ConfirmProvoke,
        Self::Login,
        Self::Logout,
        Self::Cancel,
        Self::NoAccounts,
        Self::Timeout,
        Self::Expired,
        Self::Error,
    ];

    /// The stored text, which is also the word browsers get.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::None => "",
            Self::Provoke => "PROVOKE",
            Self::ConfirmScan => "CONFIRMSCAN",
            Self::ConfirmProvoke => "CONFIRMPROVOKE",
            Self::Login => "LOGIN",
            Self::Logout => "LOGOUT",
            Self::Cancel => "CANCEL",
            Self::NoAccounts => "NOACCOUNTS",
            Self::Timeout => "TIMEOUT",
            Self::Expired => "EXPIRED",
            Self::Error => "ERROR",
        }
    }

    /// The event of stored text. A word this build does not know (written by a newer server
    /// sharing the database) reads as [`SessionEvent::None`]: browsers are told nothing of it,
    /// as before the enum.
    pub fn parse(text: &str) -> Self {
        Self::ALL
            .iter()
            .copied()
            .find(|e| e.as_str() == text)
            .unwrap_or(Self::None)
    }
}

impl fmt::Display for SessionEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::SessionEvent;

    #[test]
    fn every_event_reads_back_from_its_text() {
        for &event in SessionEvent::ALL {
            assert_eq!(SessionEvent::parse(event.as_str()), event);
        }
        assert_eq!(SessionEvent::parse("LOGGEDIN"), SessionEvent::None);
        assert_eq!(SessionEvent::ConfirmScan.to_string(), "CONFIRMSCAN");
    }
}
