//! The REST API's `UserContext` / `SessionInfo` JSON, and its conversion to the protocol's
//! [`SessionInfo`] shown in the app.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD, Engine};
use nextauth_protocol::messages::SessionInfo;
use serde::{Deserialize, Serialize};

/// `SessionInfo` as the REST API carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfoJson {
    /// Keyed strings to show.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub info: BTreeMap<String, String>,
    /// Base64 logo bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Browser IP address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// Browser user agent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub useragent: Option<String>,
}

/// `UserContext` as the REST API carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserContext {
    /// What the website wants shown in the app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub announceinfo: Option<SessionInfoJson>,
    /// The requesting browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sessioninfo: Option<SessionInfoJson>,
}

impl SessionInfoJson {
    /// The protocol form; an undecodable logo is dropped rather than failing the login.
    pub fn to_protocol(&self) -> SessionInfo {
        let mut info: Vec<(String, String)> = self
            .info
            .iter()
            .map(|(k, v)| (clip(k, 255), clip(v, 4096)))
            .collect();
        info.truncate(nextauth_protocol::messages::MAX_INFO_ENTRIES);
        let logo = self
            .logo
            .as_deref()
            .and_then(|l| STANDARD.decode(l.trim()).ok())
            .filter(|l| l.len() <= nextauth_protocol::messages::MAX_INFO_LOGO_LEN)
            .unwrap_or_default();
        SessionInfo {
            info,
            logo,
            ip: clip(self.ip.as_deref().unwrap_or_default(), 255),
            user_agent: clip(self.useragent.as_deref().unwrap_or_default(), 4096),
        }
    }
}

impl UserContext {
    /// Parses stored JSON; anything unreadable counts as empty.
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// Announce and session information for the app.
    pub fn to_protocol(&self) -> (SessionInfo, SessionInfo) {
        (
            self.announceinfo
                .as_ref()
                .map(SessionInfoJson::to_protocol)
                .unwrap_or_default(),
            self.sessioninfo
                .as_ref()
                .map(SessionInfoJson::to_protocol)
                .unwrap_or_default(),
        )
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
fn clip(text: &str, max: usize) -> String {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_and_tolerates_bad_values() {
        let json = r#"{"announceinfo":{"info":{"Action":"Sign in"},"logo":"iVBORw=="},
                       "sessioninfo":{"ip":"192.0.2.1","useragent":"Firefox","logo":"%%%"}}"#;
        let ctx: UserContext = serde_json::from_str(json).unwrap();
        let (announce, session) = ctx.to_protocol();
        assert_eq!(
            announce.info,
            vec![("Action".to_owned(), "Sign in".to_owned())]
        );
        assert_eq!(announce.logo, vec![0x89, b'P', b'N', b'G']);
        assert_eq!(
            (session.ip.as_str(), session.user_agent.as_str()),
            ("192.0.2.1", "Firefox")
        );
        assert!(session.logo.is_empty(), "an undecodable logo is dropped");
        assert_eq!(UserContext::from_stored("not json"), UserContext::default());
        assert_eq!(clip("héllo", 2), "h");
    }
}
