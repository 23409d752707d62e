//! Enrolment, login and transaction after the handshake, and the PIN check they share.

use std::time::Duration;

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::handshake::Session;
use nextauth_protocol::ids::SessionRef;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::params::SecondFactorPolicy;
use nextauth_protocol::pin::check_pin_proof;
use nextauth_protocol::qr::EnrolSecret;

use super::{codes, connect, Conn, EndpointResult};
use crate::clock;
use crate::state::{Change, SharedState};
use crate::store::accounts::{self, AccountRow, NewAccount};
use crate::store::enrol_codes;
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionState, Transition};
use crate::store::transactions::{self, TransactionRow, TransactionStatus};
use crate::store::users;

/// How long the app may take to send a PIN proof.
const PIN_TIMEOUT: Duration = Duration::from_secs(180);

/// Everything an exchange works with after the handshake.
pub struct Exchange<'a> {
    pub state: &'a SharedState,
    pub server: &'a ServerRow,
    pub account_key: PublicKey,
    pub session: &'a mut Session,
}

/// Whether a PIN entry is due given the timeout in minutes (-1 never, 0 always).
pub fn pin_due(timeout_minutes: i32, last_pin_at: u64, now: u64) -> bool {
    match timeout_minutes {
        t if t < 0 => false,
        0 => true,
        t => now >= last_pin_at.saturating_add(u64::from(t.unsigned_abs()) * 60),
    }
}

/// Creates the account the enrol code allows and logs it into the code's session.
pub async fn enrol(
    ex: Exchange<'_>,
    conn: &mut Conn,
    session_ref: SessionRef,
    secret: EnrolSecret,
    device_name: String,
    pin_verifier: Option<[u8; 32]>,
) -> EndpointResult<()> {
    let Exchange {
        state,
        server,
        account_key,
        session,
    } = ex;
    let now = clock::now();
    if server.settings.second_factor == SecondFactorPolicy::Pin && pin_verifier.is_none() {
        return Err(conn.refuse(session, codes::PIN_REQUIRED).await);
    }
    if accounts::by_key(&state.db, &server.server_id, &account_key)
        .await?
        .is_some()
    {
        return Err(conn.refuse(session, codes::AUTH_FAILED).await);
    }
    let Some(grant) =
        enrol_codes::consume(&state.db, &server.server_id, &session_ref, &secret, now).await?
    else {
        return Err(conn.refuse(session, codes::ENROL_EXPIRED).await);
    };
    if let Some(userid) = &grant.userid {
        users::ensure(&state.db, &server.server_id, userid, now).await?;
    }
    let new = NewAccount {
        server_id: server.server_id,
        public_key: account_key,
        userid: grant.userid.clone(),
        display_name: grant.display_name,
        description: device_name,
        push_key: session.push_key(),
        pin_verifier: pin_verifier.as_ref(),
    };
    let account_id = accounts::create(&state.db, &state.master, &state.rng, new, now).await?;
    tracing::info!(account_id, "account enrolled");
    log_in(
        state,
        server,
        &session_ref,
        account_id,
        grant.userid.as_deref(),
        "",
    )
    .await?;
    conn.send_record(session, &ServerRecord::Accepted).await?;
    connect::after_login(state, server, conn, session, session_ref, account_id).await
}

/// Logs the account into the session, with the PIN when it is due.
pub async fn login(
    ex: Exchange<'_>,
    conn: &mut Conn,
    session_ref: SessionRef,
    user_input: String,
) -> EndpointResult<()> {
    let Exchange {
        state,
        server,
        account_key,
        session,
    } = ex;
    let account = usable_account(state, server, &account_key, conn, session).await?;
    let now = clock::now();
    if account.has_pin
        && pin_due(server.settings.pin_timeout, account.last_pin_at, now)
        && !check_pin(state, server, &account, conn, session).await?
    {
        return Ok(());
    }
    log_in(
        state,
        server,
        &session_ref,
        account.account_id,
        account.userid.as_deref(),
        &user_input,
    )
    .await?;
    conn.send_record(session, &ServerRecord::Accepted).await?;
    connect::after_login(
        state,
        server,
        conn,
        session,
        session_ref,
        account.account_id,
    )
    .await
}

/// Settles a transaction: approval needs the PIN when due (always when the timeout is 0).
pub async fn transaction(
    ex: Exchange<'_>,
    conn: &mut Conn,
    tx: TransactionRow,
    approve: bool,
    evidence: Vec<u8>,
) -> EndpointResult<()> {
    let Exchange {
        state,
        server,
        account_key,
        session,
    } = ex;
    let account = usable_account(state, server, &account_key, conn, session).await?;
    if account.account_id != tx.account_id {
        return Err(conn.refuse(session, codes::TRANSACTION_UNKNOWN).await);
    }
    let now = clock::now();
    let status = if approve {
        TransactionStatus::Approved
    } else {
        TransactionStatus::Declined
    };
    if approve
        && account.has_pin
        && pin_due(server.settings.pin_trans_timeout, account.last_pin_at, now)
        && !check_pin(state, server, &account, conn, session).await?
    {
        return Ok(());
    }
    if !transactions::settle(&state.db, &tx.tid, status, &evidence).await? {
        return Err(conn.refuse(session, codes::TRANSACTION_UNKNOWN).await);
    }
    tracing::info!(
        account_id = account.account_id,
        approved = approve,
        "transaction settled"
    );
    conn.send_record(session, &ServerRecord::Accepted).await?;
    Ok(())
}

/// The account for `key`, refusing unknown, deleted and blocked ones.
async fn usable_account(
    state: &SharedState,
    server: &ServerRow,
    key: &PublicKey,
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<AccountRow> {
    match accounts::by_key(&state.db, &server.server_id, key).await? {
        Some(a) if a.deleted => Err(conn.refuse(session, codes::AUTH_FAILED).await),
        Some(a) if a.blocked => Err(conn.refuse(session, codes::ACCOUNT_BLOCKED).await),
        Some(a) => Ok(a),
        None => Err(conn.refuse(session, codes::AUTH_FAILED).await),
    }
}

/// Asks for the PIN until it is right or blocked. Every wrong proof is counted in the database
/// before the app hears about it, so closing the connection does not save an attempt.
pub async fn check_pin(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<bool> {
    let max = server.settings.max_pin_attempts.max(1);
    if account.pin_blocked {
        conn.send_record(session, &ServerRecord::PinBlocked).await?;
        return Ok(false);
    }
    let Some(verifier) = account.pin_verifier(&state.master)? else {
        return Ok(true);
    };
    let remaining = max.saturating_sub(account.pin_failures).max(1);
    conn.send_record(
        session,
        &ServerRecord::PinRequired {
            remaining_attempts: remaining,
        },
    )
    .await?;
    loop {
        let proof = match conn.recv_record(session, PIN_TIMEOUT).await? {
            AppRecord::PinProof { proof } => proof,
            _ => return Err(conn.refuse(session, codes::UNEXPECTED).await),
        };
        if check_pin_proof(&verifier, session.binder(), &proof).is_ok() {
            accounts::record_pin_success(&state.db, account.account_id, clock::now()).await?;
            return Ok(true);
        }
        let (failures, blocked) =
            accounts::record_pin_failure(&state.db, account.account_id, max).await?;
        tracing::info!(
            account_id = account.account_id,
            failures,
            blocked,
            "wrong PIN"
        );
        if blocked {
            conn.send_record(session, &ServerRecord::PinBlocked).await?;
            return Ok(false);
        }
        let remaining = max.saturating_sub(failures);
        conn.send_record(
            session,
            &ServerRecord::PinWrong {
                remaining_attempts: remaining,
            },
        )
        .await?;
    }
}

async fn log_in(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
    account_id: i64,
    userid: Option<&str>,
    user_input: &str,
) -> EndpointResult<()> {
    let now = clock::now();
    let t = Transition {
        state: SessionState::LoggedIn,
        event: "LOGIN",
        account_id: Some(account_id),
        user_input: Some(user_input),
    };
    sessions::transition(&state.db, &server.server_id, session_ref, t, now).await?;
    accounts::record_login(&state.db, account_id, now).await?;
    if let Some(userid) = userid {
        users::record_login(&state.db, &server.server_id, userid, now).await?;
    }
    state.notify(Change::Session(server.server_id, *session_ref));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pin_due;

    #[test]
    fn pin_timeouts() {
        assert!(!pin_due(-1, 0, 1_000_000), "-1 never asks");
        assert!(pin_due(0, 1_000_000, 1_000_000), "0 always asks");
        assert!(!pin_due(5, 1_000, 1_000 + 299));
        assert!(pin_due(5, 1_000, 1_000 + 300));
    }
}
