//! The PIN on the app endpoint: the question a login or transaction asks when the PIN is due,
//! proofs sent on a CONNECT session, and setting a PIN again after the integrator reset it.
//!
//! Counting lives in [`crate::store::pin_attempts`]: an attempt is reserved in the database
//! before its proof is checked, so parallel connections cannot get more guesses.

use std::time::Duration;

use nextauth_protocol::handshake::Session;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::pin::check_pin_proof;

use super::{codes, Conn, EndpointResult};
use crate::clock;
use crate::state::SharedState;
use crate::store::accounts::AccountRow;
use crate::store::pin_attempts::{self, Challenge, Reservation, VerifierWrite};
use crate::store::servers::ServerRow;
use crate::store::StoreError;

/// How long the app may take to send a PIN proof (or a new PIN after a reset).
const PIN_TIMEOUT: Duration = Duration::from_secs(180);

/// What the PIN question of a login or transaction came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The PIN is right (or was just set again after a reset): go on.
    Right,
    /// The PIN is blocked; the app was told and the request ends.
    Blocked,
}

/// Asks for the PIN until it is right or blocked; first sets it again if the integrator reset
/// it. Every wrong proof is counted before the app hears about it, so closing the connection
/// does not save an attempt.
pub async fn ask(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<Verdict> {
    if account.pin_reset {
        return set_after_reset(state, account, conn, session).await;
    }
    let Some(verifier) = account.pin_verifier(&state.master)? else {
        return Ok(Verdict::Right);
    };
    let max = server.settings.profile.max_pin_attempts.max(1);
    let mut wrong_before = false;
    loop {
        let token: [u8; 16] =
            nextauth_protocol::crypto::random_array(&state.rng).map_err(StoreError::from)?;
        let failures =
            match pin_attempts::open_challenge(&state.db, account.account_id, &token, max).await? {
                Challenge::Open { failures } => failures,
                Challenge::Blocked => return blocked(conn, session).await,
            };
        let remaining_attempts = max.saturating_sub(failures);
        let question = if wrong_before {
            ServerRecord::PinWrong { remaining_attempts }
        } else {
            ServerRecord::PinRequired { remaining_attempts }
        };
        conn.send_record(session, &question).await?;
        let proof = match conn.recv_record(session, PIN_TIMEOUT).await? {
            AppRecord::PinProof { proof } => proof,
            _ => return Err(conn.refuse(session, codes::UNEXPECTED).await),
        };
        match pin_attempts::reserve(&state.db, account.account_id, Some(&token), max).await? {
            Reservation::Granted => {}
            Reservation::Blocked => return blocked(conn, session).await,
            Reservation::Superseded => {
                return Err(conn.refuse(session, codes::PIN_SUPERSEDED).await)
            }
        }
        if check_pin_proof(&verifier, session.binder(), &proof).is_ok() {
            if pin_attempts::succeeded(&state.db, account.account_id, clock::now()).await? {
                return Ok(Verdict::Right);
            }
            return blocked(conn, session).await;
        }
        let (failures, is_blocked) =
            pin_attempts::failed(&state.db, account.account_id, max).await?;
        tracing::info!(account_id = account.account_id, failures, "wrong PIN");
        if is_blocked {
            return blocked(conn, session).await;
        }
        wrong_before = true;
    }
}

async fn blocked(conn: &mut Conn, session: &mut Session) -> EndpointResult<Verdict> {
    conn.send_record(session, &ServerRecord::PinBlocked).await?;
    Ok(Verdict::Blocked)
}

/// Asks the app for a new PIN (`PinReset`) and returns the verifier it answers with.
async fn new_verifier(conn: &mut Conn, session: &mut Session) -> EndpointResult<[u8; 32]> {
    conn.send_record(session, &ServerRecord::PinReset).await?;
    match conn.recv_record(session, PIN_TIMEOUT).await? {
        AppRecord::PinSet { verifier } => Ok(verifier),
        _ => Err(conn.refuse(session, codes::UNEXPECTED).await),
    }
}

/// The server requires a PIN and the account has none (it was enrolled before): the app sends
/// the verifier of its PIN for this account (HEADLESS_UPGRADE, docs/protocol.md 11), asked as
/// after a reset.
pub async fn upgrade(
    state: &SharedState,
    account: &AccountRow,
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<Verdict> {
    set_new(state, account, conn, session, VerifierWrite::First).await?;
    tracing::info!(account_id = account.account_id, "first PIN set (upgrade)");
    Ok(Verdict::Right)
}

/// The integrator reset the PIN: the app sends the verifier of the PIN the person sets now.
async fn set_after_reset(
    state: &SharedState,
    account: &AccountRow,
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<Verdict> {
    set_new(state, account, conn, session, VerifierWrite::AfterReset).await?;
    tracing::info!(
        account_id = account.account_id,
        "PIN set again after a reset"
    );
    Ok(Verdict::Right)
}

/// Asks the app for the verifier of a new PIN and stores it as `write` says.
async fn set_new(
    state: &SharedState,
    account: &AccountRow,
    conn: &mut Conn,
    session: &mut Session,
    write: VerifierWrite,
) -> EndpointResult<()> {
    let verifier = new_verifier(conn, session).await?;
    let stored = pin_attempts::store_verifier(
        &state.db,
        &state.master,
        &state.rng,
        account,
        &verifier,
        clock::now(),
        write,
    )
    .await?;
    if !stored {
        // Another connection set it first: this one proves nothing.
        return Err(conn.refuse(session, codes::PIN_SUPERSEDED).await);
    }
    Ok(())
}

/// A proof sent on a CONNECT session (the app checks the person's PIN, or changes it with
/// `new_verifier`); answers Accepted, PinWrong or PinBlocked.
pub async fn connect_proof(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    conn: &mut Conn,
    session: &mut Session,
    proof: [u8; 32],
    new_verifier: Option<[u8; 32]>,
) -> EndpointResult<()> {
    let max = server.settings.profile.max_pin_attempts.max(1);
    let Some(verifier) = account.pin_verifier(&state.master)? else {
        return Err(conn.refuse(session, codes::PIN_REQUIRED).await);
    };
    if account.pin_reset {
        // Nothing to prove against until the app set a PIN again at a login.
        return conn.send_record(session, &ServerRecord::PinBlocked).await;
    }
    match pin_attempts::reserve(&state.db, account.account_id, None, max).await? {
        Reservation::Granted => {}
        Reservation::Blocked | Reservation::Superseded => {
            return conn.send_record(session, &ServerRecord::PinBlocked).await
        }
    }
    let now = clock::now();
    let record = if check_pin_proof(&verifier, session.binder(), &proof).is_ok() {
        let right = match new_verifier {
            Some(new) => {
                pin_attempts::store_verifier(
                    &state.db,
                    &state.master,
                    &state.rng,
                    account,
                    &new,
                    now,
                    VerifierWrite::Change,
                )
                .await?
            }
            None => pin_attempts::succeeded(&state.db, account.account_id, now).await?,
        };
        if right {
            ServerRecord::Accepted
        } else {
            ServerRecord::PinBlocked
        }
    } else {
        let (failures, is_blocked) =
            pin_attempts::failed(&state.db, account.account_id, max).await?;
        if is_blocked {
            ServerRecord::PinBlocked
        } else {
            ServerRecord::PinWrong {
                remaining_attempts: max.saturating_sub(failures),
            }
        }
    };
    conn.send_record(session, &record).await
}
