//! The login checks at the app endpoint: what the hello's context tells the app (the number
//! challenge, what was observed of the browser), and what the app's answer must hold.

use std::net::IpAddr;

use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{LoginCheck, NumberChallenge, Observed};

use super::EndpointResult;
use crate::clock;
use crate::login_checks::{number, observed};
use crate::state::{Change, SharedState};
use crate::store::accounts::{self, AccountRow};
use crate::store::fraud_reports::{self, NewReport};
use crate::store::servers::ServerRow;
use crate::store::sessions::SessionRow;

/// What the browser behind a session looked like to this server, seen from the app at
/// `app_ip`.
pub fn observed(state: &SharedState, session: &SessionRow, app_ip: IpAddr) -> Observed {
    let Some(ip) = session
        .observed_ip
        .parse::<IpAddr>()
        .ok()
        .filter(|_| session.observed_at > 0)
    else {
        return Observed::default();
    };
    Observed {
        ip: session.observed_ip.clone(),
        browser: session.observed_browser.clone(),
        location: state.checks.locate(ip),
        seen_at: session.observed_at,
        network_differs: !observed::same_network(ip, app_ip),
    }
}

/// The check a login context carries for `session`, and the number the answer must hold
/// (`None`: none). When the browser is on another network than the app, a number is asked in
/// any case, and typed: the relay signal (a number is created and shown now if the policy did
/// not ask for one).
pub async fn for_login(
    state: &SharedState,
    server: &ServerRow,
    session: &SessionRow,
    app_ip: IpAddr,
) -> EndpointResult<(LoginCheck, Option<String>)> {
    let observed = observed(state, session, app_ip);
    let mut expected = session.match_number.clone();
    if observed.network_differs && expected.is_none() {
        let fresh = crate::codes::new_session_number(state, server, &session.session_ref).await?;
        state.notify(Change::Session(server.server_id, session.session_ref));
        expected = Some(fresh);
    }
    let challenge = challenge(state, server, expected.as_deref(), observed.network_differs)?;
    Ok((
        LoginCheck {
            number: challenge,
            observed,
        },
        expected,
    ))
}

/// The challenge for `expected` (typed when `must_type`).
pub fn challenge(
    state: &SharedState,
    server: &ServerRow,
    expected: Option<&str>,
    must_type: bool,
) -> EndpointResult<NumberChallenge> {
    Ok(match expected {
        None => NumberChallenge::None,
        Some(n) if must_type => NumberChallenge::Type(u8::try_from(n.len()).unwrap_or(u8::MAX)),
        Some(n) => number::challenge(&server.settings, n, &state.rng)?,
    })
}

/// Whether the number in the app's signed answer is the one asked (constant time: the
/// comparison does not tell how close a guess was).
pub fn number_matches(expected: Option<&str>, given: &str) -> bool {
    let Some(expected) = expected else {
        return true;
    };
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Records a fraud report ("This was not me", or a wrong number) and tells the integrator's
/// webhook.
pub async fn report(
    state: &SharedState,
    server_id: &ServerId,
    account: &AccountRow,
    kind: &'static str,
    reference: [u8; 16],
    observed: &Observed,
) -> EndpointResult<()> {
    let report = fraud_reports::insert(
        &state.db,
        &NewReport {
            server_id: *server_id,
            account_id: account.account_id,
            userid: account.userid.as_deref(),
            kind,
            reference,
            ip: &observed.ip,
            browser: &observed.browser,
        },
        clock::now(),
    )
    .await?;
    tracing::warn!(
        account_id = account.account_id,
        kind,
        "fraud report recorded"
    );
    if let Some(webhook) = state.checks.webhook() {
        webhook.post(&server_id.to_base64(), &report);
    }
    Ok(())
}

/// "This was not me" on a login: reported, and push logins to the account refused for the
/// server's block time.
pub async fn not_me(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    session: &SessionRef,
    observed: &Observed,
    kind: &'static str,
) -> EndpointResult<()> {
    report(state, &server.server_id, account, kind, session.0, observed).await?;
    let minutes = u64::from(server.settings.push_block_minutes);
    if minutes > 0 {
        let until = clock::now() + minutes * 60;
        accounts::block_pushes(&state.db, account.account_id, until).await?;
    }
    accounts::push_denied(&state.db, account.account_id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::number_matches;

    #[test]
    fn numbers_match_exactly_or_are_not_asked() {
        assert!(number_matches(None, ""));
        assert!(
            number_matches(None, "12"),
            "a number nobody asked for changes nothing"
        );
        assert!(number_matches(Some("07"), "07"));
        assert!(!number_matches(Some("07"), "7"));
        assert!(!number_matches(Some("07"), "70"));
        assert!(!number_matches(Some("07"), ""));
    }
}
