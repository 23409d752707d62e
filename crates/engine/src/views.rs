//! Conversions from protocol data to the public views the app shows.

use base64::{engine::general_purpose::STANDARD, Engine};
use nextauth_protocol::messages::{self, NumberChallenge, SessionInfo};
use nextauth_protocol::params::{params_hash, SecondFactorPolicy, ServerParams};

use crate::model::{Announce, CodeSource, InfoItem, LoginCheck, NumberAsk, Observed, ServerInfo};

/// The prompt's checks: the number asked, what the server saw of the browser, and the relay
/// warning when the browser is on another network although the code came from this device
/// (its screen, a link opened here) or a push.
pub fn check_view(check: &messages::LoginCheck, source: CodeSource) -> LoginCheck {
    let number = match &check.number {
        NumberChallenge::None => NumberAsk::None,
        NumberChallenge::Choose(choices) => NumberAsk::Choose {
            choices: choices.clone(),
        },
        NumberChallenge::Type(digits) => NumberAsk::Type { digits: *digits },
    };
    let o = &check.observed;
    let here = matches!(
        source,
        CodeSource::Screen | CodeSource::Link | CodeSource::Push
    );
    LoginCheck {
        number,
        observed: Observed {
            ip: o.ip.clone(),
            browser: o.browser.clone(),
            location: o.location.clone(),
            seen_at: o.seen_at,
            network_differs: o.network_differs,
        },
        relay_warning: here && o.network_differs,
        source,
    }
}

/// The app's view of a server, with its visual hash (8 px cells).
pub fn server_info(params: &ServerParams, encoded: &[u8]) -> ServerInfo {
    ServerInfo {
        server_id: params.server_id.to_base64(),
        name: params.profile.name.clone(),
        logo: STANDARD.encode(&params.profile.logo),
        site_url: params.site_url.clone(),
        ping_time: params.profile.ping_time,
        pin_timeout: params.profile.pin_timeout,
        requires_pin: params.profile.second_factor == SecondFactorPolicy::Pin,
        visual_hash: STANDARD.encode(nextauth_protocol::vash::png(&params_hash(encoded), 8)),
    }
}

/// Announce information merged with the requesting browser's details.
pub fn announce_view(announce: &SessionInfo, session: &SessionInfo) -> Announce {
    let logo = if announce.logo.is_empty() {
        &session.logo
    } else {
        &announce.logo
    };
    Announce {
        info: announce
            .info
            .iter()
            .chain(&session.info)
            .map(|(key, value)| InfoItem {
                key: key.clone(),
                value: value.clone(),
            })
            .collect(),
        logo: STANDARD.encode(logo),
        ip: if session.ip.is_empty() {
            announce.ip.clone()
        } else {
            session.ip.clone()
        },
        user_agent: if session.user_agent.is_empty() {
            announce.user_agent.clone()
        } else {
            session.user_agent.clone()
        },
    }
}
