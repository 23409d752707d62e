//! Making enrol, login and transaction codes for a browser session: the domain operations
//! behind the REST API's `qr/enrol`, `qr/login` and `sessions/transactions`.

use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::TransactionDetails;
use nextauth_protocol::qr::{EnrolCode, EnrolSecret, LoginCode, QrPayload, TransactionCode};

use crate::state::{Change, SharedState};
use crate::store::enrol_codes::{self, EnrolGrant};
use crate::store::servers::ServerRow;
use crate::store::sessions;
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
    let row = sessions::ensure(&state.db, &server.server_id, &session_ref, now).await?;
    if let Some(context) = context {
        let json = serde_json::to_string(context).map_err(|_| StoreError::Corrupt("sessions"))?;
        sessions::set_announce(&state.db, &server.server_id, &session_ref, &json, now).await?;
    }
    Ok(row)
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
    let key = server.signing_key(&state.master, &state.rng)?;
    let params_hash = server.signed_params(&key, &state.rng)?.hash();
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
) -> Result<(TransactionRef, QrPayload), TransactionError> {
    let session_ref = SessionRef::derive(&server.server_id, nonce.as_bytes());
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
    let row = TransactionRow {
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
    Ok((tid, code))
}

/// Logs the session of `nonce` out (REST `sessions/logout`); a continuous app session sees it.
pub async fn logout(
    state: &SharedState,
    server_id: &ServerId,
    nonce: &str,
    now: u64,
) -> StoreResult<bool> {
    let session_ref = SessionRef::derive(server_id, nonce.as_bytes());
    logout_session(state, server_id, &session_ref, now).await
}

/// Logs a session out by its reference (the browser WebSocket's `LOGOUT`); `false` if it was
/// not logged in.
pub async fn logout_session(
    state: &SharedState,
    server_id: &ServerId,
    session_ref: &SessionRef,
    now: u64,
) -> StoreResult<bool> {
    let session_ref = *session_ref;
    let Some(row) = sessions::get(&state.db, server_id, &session_ref).await? else {
        return Ok(false);
    };
    if row.state != sessions::SessionState::LoggedIn {
        return Ok(false);
    }
    let t = sessions::Transition {
        state: sessions::SessionState::LoggedOut,
        event: "LOGOUT",
        account_id: None,
        user_input: None,
    };
    sessions::transition(&state.db, server_id, &session_ref, t, now).await?;
    state.notify(Change::Session(*server_id, session_ref));
    Ok(true)
}

/// Why a push login could not be sent.
#[derive(Debug, thiserror::Error)]
pub enum ProvokeError {
    /// The account does not exist, is blocked or deleted.
    #[error("no usable account")]
    NoAccount,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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
) -> Result<nextauth_protocol::ids::MessageId, ProvokeError> {
    use crate::store::accounts;

    let account = accounts::get(&state.db, &server.server_id, account_id).await?;
    let Some(account) = account.filter(|a| !a.blocked && !a.deleted) else {
        return Err(ProvokeError::NoAccount);
    };
    let session = session_for_nonce(state, server, nonce, context, now).await?;
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
) -> Result<nextauth_protocol::ids::MessageId, SessionProvokeError> {
    use crate::store::accounts;

    let session = sessions::get(&state.db, &server.server_id, session_ref)
        .await
        .map_err(ProvokeError::from)?;
    let Some(account_id) = session
        .filter(|s| s.state != sessions::SessionState::LoggedIn)
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

/// Whether [`provoke_session`] has an account to push to: the session is not logged in and the
/// account that last logged into it is still usable.
pub async fn can_provoke(state: &SharedState, session: &sessions::SessionRow) -> StoreResult<bool> {
    let Some(account_id) = session
        .last_account_id
        .filter(|_| session.state != sessions::SessionState::LoggedIn)
    else {
        return Ok(false);
    };
    let account = crate::store::accounts::get(&state.db, &session.server_id, account_id).await?;
    Ok(account.is_some_and(|a| !a.blocked && !a.deleted))
}

async fn push_login(
    state: &SharedState,
    server: &ServerRow,
    account: &crate::store::accounts::AccountRow,
    session_ref: &SessionRef,
    now: u64,
) -> Result<nextauth_protocol::ids::MessageId, ProvokeError> {
    use crate::store::accounts;
    use nextauth_protocol::push::PushBody;

    let (announce, info) = UserContext::from_stored(
        &sessions::get(&state.db, &server.server_id, session_ref)
            .await?
            .map(|s| s.announce)
            .unwrap_or_default(),
    )
    .to_protocol();
    let body = PushBody::Login {
        session_ref: *session_ref,
        announce,
        session: info,
    };
    let id = crate::message_center::send(state, server, account, &body, now).await?;
    accounts::record_provoke(&state.db, account.account_id, now).await?;
    sessions::signal(&state.db, &server.server_id, session_ref, "PROVOKE", now).await?;
    state.notify(Change::Session(server.server_id, *session_ref));
    Ok(id)
}
