//! Making enrol, login and transaction codes for a browser session: the domain operations
//! behind the REST API's `qr/enrol`, `qr/login` and `sessions/transactions`.

use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::TransactionDetails;
use nextauth_protocol::qr::{EnrolCode, EnrolSecret, LoginCode, QrPayload, TransactionCode};

use crate::login_checks::number::{self, Occasion};
use crate::state::{Change, SharedState};
use crate::store::enrol_codes::{self, EnrolGrant};
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionEvent};
use crate::store::transactions::{self, TransactionRow, TransactionStatus};
use crate::store::{StoreError, StoreResult};
use crate::user_context::UserContext;

/// How long an enrol code stays valid.
pub const ENROL_TTL_SECS: u64 = 600;
/// How long a transaction can be approved.
pub const TRANSACTION_TTL_SECS: u64 = 600;

/// The session for an integrator's nonce, created if new; `context` (if given) is what the app
/// will show with the next login.
pub async fn session_for_nonce(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    context: Option<&UserContext>,
    now: u64,
) -> StoreResult<sessions::SessionRow> {
    let session_ref = SessionRef::derive(&server.server_id, nonce.as_bytes());
    crate::trace::record_flow(&server.server_id, &session_ref);
    let row = sessions::ensure(&state.db, &server.server_id, &session_ref, now).await?;
    if let Some(context) = context {
        let json = serde_json::to_string(context).map_err(|_| StoreError::Corrupt("sessions"))?;
        sessions::set_announce(&state.db, &server.server_id, &session_ref, &json, now).await?;
    }
    Ok(row)
}

/// Gives the session a new number to match (which its browser shows) and returns it.
pub(crate) async fn new_session_number(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
) -> StoreResult<String> {
    let fresh = number::new_number(&state.rng, server.settings.number_length)?;
    sessions::set_match_number(&state.db, &server.server_id, session_ref, Some(&fresh)).await?;
    Ok(fresh)
}

/// A login code for the session of `nonce`.
pub async fn login_code(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    context: Option<&UserContext>,
    now: u64,
) -> StoreResult<QrPayload> {
    let session = session_for_nonce(state, server, nonce, context, now).await?;
    if number::wanted(&server.settings, Occasion::Scan) && session.match_number.is_none() {
        // The browser shows it next to the code; it stays until a login uses it.
        new_session_number(state, server, &session.session_ref).await?;
    }
    Ok(QrPayload::Login(LoginCode {
        endpoint: server.settings.wsurl.clone(),
        server_id: server.server_id,
        session_ref: session.session_ref,
    }))
}

/// A new one-time enrol code for the session of `nonce`.
pub async fn enrol_code(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    grant: EnrolGrant,
    now: u64,
) -> StoreResult<QrPayload> {
    let session = session_for_nonce(state, server, nonce, None, now).await?;
    let secret = EnrolSecret(nextauth_protocol::crypto::random_array(&state.rng)?);
    let expires_at = now + ENROL_TTL_SECS;
    enrol_codes::insert(
        &state.db,
        &server.server_id,
        &session.session_ref,
        &secret,
        &grant,
        expires_at,
    )
    .await?;
    let params_hash = server.params_hash()?;
    let code = QrPayload::Enrol(EnrolCode {
        endpoint: server.settings.wsurl.clone(),
        server_id: server.server_id,
        session_ref: session.session_ref,
        secret,
        expires_at,
        params_hash,
        display_name: grant.display_name,
    });
    // Validate now (name length, endpoint) so a bad request fails here, not in the app.
    code.encode()?;
    Ok(code)
}

/// Why a transaction could not be created.
#[derive(Debug, thiserror::Error)]
pub enum TransactionError {
    /// No account is logged into the session (the API answers 403).
    #[error("no account is logged into this session")]
    NotLoggedIn,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a transaction for the account logged into the session of `nonce`; returns the code
/// the app scans (or opens as a deep link).
pub async fn create_transaction(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    details: TransactionDetails,
    now: u64,
) -> Result<(TransactionRef, QrPayload, Option<String>), TransactionError> {
    let session_ref = SessionRef::derive(&server.server_id, nonce.as_bytes());
    crate::trace::record_flow(&server.server_id, &session_ref);
    let session = sessions::get(&state.db, &server.server_id, &session_ref).await?;
    let Some(account_id) = session.and_then(|s| {
        s.account_id
            .filter(|_| s.state == sessions::SessionState::LoggedIn)
    }) else {
        return Err(TransactionError::NotLoggedIn);
    };
    let tid = TransactionRef(
        nextauth_protocol::crypto::random_array(&state.rng).map_err(StoreError::from)?,
    );
    let match_number = number::new_if_wanted(&state.rng, &server.settings, Occasion::Push)?;
    let row = TransactionRow {
        match_number: match_number.clone(),
        tid,
        server_id: server.server_id,
        session_ref,
        account_id,
        details,
        status: TransactionStatus::New,
        created: now,
        expires: now + TRANSACTION_TTL_SECS,
    };
    transactions::insert(&state.db, &row).await?;
    state.notify(Change::Session(server.server_id, session_ref));
    let code = QrPayload::Transaction(TransactionCode {
        endpoint: server.settings.wsurl.clone(),
        server_id: server.server_id,
        transaction_ref: tid,
    });
    Ok((tid, code, match_number))
}

/// Logs the session of `nonce` out (REST `sessions/logout`); a continuous app session sees it.
pub async fn logout(
    state: &SharedState,
    server_id: &ServerId,
    nonce: &str,
    now: u64,
) -> StoreResult<bool> {
    let session_ref = SessionRef::derive(server_id, nonce.as_bytes());
    crate::trace::record_flow(server_id, &session_ref);
    logout_session(state, server_id, &session_ref, now).await
}

/// Logs a session out by its reference (the browser WebSocket's `LOGOUT`); `false` if it was
/// not logged in.
///
/// On a continuous server the account that was logged in also gets a LOGOUT push message
/// (docs/protocol.md 10.5): its app ends the session even when the session's own connection
/// no longer carries the news (a frozen network path, an app woken by FCM or APNs).
pub async fn logout_session(
    state: &SharedState,
    server_id: &ServerId,
    session_ref: &SessionRef,
    now: u64,
) -> StoreResult<bool> {
    let before = sessions::get(&state.db, server_id, session_ref).await?;
    if !sessions::log_out(&state.db, server_id, session_ref, None, now).await? {
        return Ok(false);
    }
    state.notify(Change::Session(*server_id, *session_ref));
    if let Some(row) = before {
        if let Err(err) = push_logout(state, server_id, &row, now).await {
            // The logout stands; the app still learns it on the session's connection.
            tracing::warn!(%err, "cannot send the logout push");
        }
    }
    Ok(true)
}

/// Queues the LOGOUT push for the account logged into `row` (a continuous server only: a
/// one-shot login leaves no session in the app). It names the reference the app logged in
/// with (the one before a [`sessions::rekey`]).
async fn push_logout(
    state: &SharedState,
    server_id: &ServerId,
    row: &sessions::SessionRow,
    now: u64,
) -> StoreResult<()> {
    let Some(account_id) = row.account_id else {
        return Ok(());
    };
    let Some(server) = crate::store::servers::get(&state.db, server_id).await? else {
        return Ok(());
    };
    if server.settings.profile.ping_time == 0 {
        return Ok(());
    }
    let Some(account) = crate::store::accounts::get(&state.db, server_id, account_id).await? else {
        return Ok(());
    };
    if account.deleted {
        return Ok(());
    }
    let body = nextauth_protocol::push::PushBody::Logout {
        session_ref: row.previous_ref.unwrap_or(row.session_ref),
    };
    crate::message_center::send(state, &server, &account, &body, now).await?;
    Ok(())
}

/// Why a push login could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ProvokeError {
    /// The account does not exist, is blocked or deleted.
    #[error("no usable account")]
    NoAccount,
    /// The session is logged in already.
    #[error("the session is logged in")]
    LoggedIn,
    /// The account's push rate is spent.
    #[error("too many push logins to this account")]
    TooMany {
        /// When the next one would pass.
        retry_after: std::time::Duration,
    },
    /// The account's owner said "This was not me": push logins pause until then (Unix s).
    #[error(
        "push logins to this account are paused: its owner reported a login they did not start"
    )]
    Paused {
        /// When they resume.
        until: u64,
    },
    /// Earlier push logins went unanswered or were denied: further ones wait until the owner
    /// logs in (the app is told how many were held back).
    #[error(
        "push logins to this account are held back: earlier ones went unanswered or were denied"
    )]
    Held,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A push login sent.
#[derive(Debug, Clone)]
pub struct Provoked {
    /// The push message.
    pub message_id: nextauth_protocol::ids::MessageId,
    /// The number the browser shows and the person must give (number matching), if asked.
    pub match_number: Option<String>,
}

/// Sends a push login for the session of `nonce` to `account_id`: the app shows the announce
/// information and, on approval, logs in to that session. Browsers are told `PROVOKE` now and
/// `CONFIRMPROVOKE` when the app picks the request up.
pub async fn provoke_login(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    account_id: i64,
    context: Option<&UserContext>,
    now: u64,
) -> Result<Provoked, ProvokeError> {
    use crate::store::accounts;

    let account = accounts::get(&state.db, &server.server_id, account_id).await?;
    let Some(account) = account.filter(|a| !a.blocked && !a.deleted) else {
        return Err(ProvokeError::NoAccount);
    };
    let session = session_for_nonce(state, server, nonce, context, now).await?;
    // A push login into a logged-in session could never succeed (the app's hello is refused).
    if session.state == sessions::SessionState::LoggedIn {
        return Err(ProvokeError::LoggedIn);
    }
    push_login(state, server, &account, &session.session_ref, now).await
}

/// Least time between two push logins to one account through [`provoke_session`] (seconds),
/// so that whoever learns a session reference cannot flood the account's phone.
pub const PROVOKE_INTERVAL_SECS: u64 = 5;

/// Why a push login by session reference ([`provoke_session`]) was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SessionProvokeError {
    /// No usable account, or storage failed.
    #[error(transparent)]
    Provoke(#[from] ProvokeError),
    /// The account was sent a push login less than [`PROVOKE_INTERVAL_SECS`] ago.
    #[error("a push login was sent moments ago")]
    TooSoon,
}

/// Sends a push login for a session, known by its reference only (the browser WebSocket's
/// `PROVOKE`), to the account that last logged into it. The announce information is what the
/// website last gave for the session.
pub async fn provoke_session(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
    now: u64,
) -> Result<Provoked, SessionProvokeError> {
    use crate::store::accounts;

    let session = sessions::get(&state.db, &server.server_id, session_ref)
        .await
        .map_err(ProvokeError::from)?;
    // Only where the app's login can then succeed: a session that waits for a login.
    let Some(account_id) = session
        .filter(|s| sessions::SCANNABLE.contains(&s.state))
        .and_then(|s| s.last_account_id)
    else {
        return Err(ProvokeError::NoAccount.into());
    };
    let account = accounts::get(&state.db, &server.server_id, account_id)
        .await
        .map_err(ProvokeError::from)?;
    let Some(account) = account.filter(|a| !a.blocked && !a.deleted) else {
        return Err(ProvokeError::NoAccount.into());
    };
    if now < account.lastprovoke.saturating_add(PROVOKE_INTERVAL_SECS) {
        return Err(SessionProvokeError::TooSoon);
    }
    Ok(push_login(state, server, &account, session_ref, now).await?)
}

/// Whether [`provoke_session`] has an account to push to: the session waits for a login (not
/// logged in, not ended) and the account that last logged into it is still usable.
pub async fn can_provoke(state: &SharedState, session: &sessions::SessionRow) -> StoreResult<bool> {
    let Some(account_id) = session
        .last_account_id
        .filter(|_| sessions::SCANNABLE.contains(&session.state))
    else {
        return Ok(false);
    };
    let account = crate::store::accounts::get(&state.db, &session.server_id, account_id).await?;
    Ok(account.is_some_and(|a| !a.blocked && !a.deleted))
}

/// Whether a push login to `account` may go now (docs/security.md, "Relay phishing and push
/// fatigue"): not while its owner's "This was not me" pause lasts, not beyond its rate, and
/// not after too many went unanswered or were denied (those are counted, to be told).
async fn admit_push(
    state: &SharedState,
    server: &ServerRow,
    account: &crate::store::accounts::AccountRow,
    session: Option<&sessions::SessionRow>,
    now: u64,
) -> Result<(), ProvokeError> {
    use crate::store::accounts;

    if now < account.push_blocked_until {
        return Err(ProvokeError::Paused {
            until: account.push_blocked_until,
        });
    }
    let hold_after = server.settings.push_hold_after;
    // The outstanding one counts too: it is unanswered so far.
    let strikes = account
        .push_strikes
        .saturating_add(u8::from(account.push_outstanding));
    if hold_after > 0 && strikes >= hold_after {
        let from = session.map(held_from).unwrap_or_default();
        accounts::push_held(&state.db, account.account_id, &from).await?;
        tracing::info!(account_id = account.account_id, "push login held back");
        return Err(ProvokeError::Held);
    }
    state
        .checks
        .admit_push(account.account_id)
        .map_err(|retry_after| ProvokeError::TooMany { retry_after })
}

/// Where a held-back push came from, in words for its owner.
fn held_from(session: &sessions::SessionRow) -> String {
    let parts = [&session.observed_browser, &session.observed_ip];
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

async fn push_login(
    state: &SharedState,
    server: &ServerRow,
    account: &crate::store::accounts::AccountRow,
    session_ref: &SessionRef,
    now: u64,
) -> Result<Provoked, ProvokeError> {
    use crate::store::accounts;
    use nextauth_protocol::push::PushBody;

    let session = sessions::get(&state.db, &server.server_id, session_ref).await?;
    admit_push(state, server, account, session.as_ref(), now).await?;
    let (announce, info) =
        UserContext::from_stored(&session.map(|s| s.announce).unwrap_or_default()).to_protocol();
    // A fresh number for every push: an earlier one may have been seen by someone else.
    let match_number = number::new_if_wanted(&state.rng, &server.settings, Occasion::Push)?;
    sessions::set_match_number(
        &state.db,
        &server.server_id,
        session_ref,
        match_number.as_deref(),
    )
    .await?;
    sessions::set_pushed_to(
        &state.db,
        &server.server_id,
        session_ref,
        account.account_id,
    )
    .await?;
    accounts::push_sent(&state.db, account.account_id).await?;
    let body = PushBody::Login {
        session_ref: *session_ref,
        announce,
        session: info,
    };
    let message_id = crate::message_center::send(state, server, account, &body, now).await?;
    accounts::record_provoke(&state.db, account.account_id, now).await?;
    sessions::signal(
        &state.db,
        &server.server_id,
        session_ref,
        SessionEvent::Provoke,
        now,
    )
    .await?;
    state.notify(Change::Session(server.server_id, *session_ref));
    Ok(Provoked {
        message_id,
        match_number,
    })
}
