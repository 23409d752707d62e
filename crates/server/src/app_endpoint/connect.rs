//! Connections that stay open: continuous login sessions (pings) and CONNECT sessions (message
//! delivery and pull, account deletion, PIN change).

use std::collections::HashSet;
use std::time::Duration;

use nextauth_protocol::handshake::Session;
use nextauth_protocol::ids::SessionRef;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::pin::check_pin_proof;
use tokio::sync::broadcast::error::RecvError;

use super::flows::Exchange;
use super::{codes, Conn, EndpointError, EndpointResult};
use crate::clock;
use crate::push_senders;
use crate::state::{Change, SharedState};
use crate::store::accounts;
use crate::store::messages;
use crate::store::push_tokens;
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionState, Transition};

/// How often a connection re-reads the database for changes made by other server processes.
const POLL: Duration = Duration::from_secs(1);
/// A CONNECT session with no traffic at all for this long is closed.
const IDLE: Duration = Duration::from_secs(600);
/// Envelopes per `Messages` record.
const BATCH: i64 = 64;
/// Refusal code for a malformed value (docs/protocol.md, section 14).
const MALFORMED: u16 = 32;

/// After a successful login: one-shot servers close; continuous ones ping until logout.
pub async fn after_login(
    state: &SharedState,
    server: &ServerRow,
    conn: &mut Conn,
    session: &mut Session,
    session_ref: SessionRef,
    account_id: i64,
) -> EndpointResult<()> {
    let ping_time = server.settings.ping_time;
    if ping_time == 0 {
        return Ok(());
    }
    let answer_within = Duration::from_secs(u64::from(ping_time));
    let interval = Duration::from_secs(u64::from(ping_time / 2).max(1));
    let mut changes = state.changes.subscribe();
    let mut next_ping = tokio::time::Instant::now() + interval;
    let mut counter = 0u64;
    let ended = loop {
        tokio::select! {
            () = tokio::time::sleep_until(next_ping) => {
                counter += 1;
                conn.send_record(session, &ServerRecord::Ping { counter }).await?;
                match conn.recv_record(session, answer_within).await {
                    Ok(AppRecord::Pong { counter: c }) if c == counter => {}
                    Ok(AppRecord::Logout) => break "app logout",
                    Ok(_) => break "unexpected message",
                    Err(EndpointError::Timeout) => break "missed ping",
                    Err(err) => { logout(state, server, &session_ref).await?; return Err(err); }
                }
                next_ping = tokio::time::Instant::now() + interval;
            }
            frame = conn.recv_any() => {
                let record = frame.and_then(|f| Ok(AppRecord::decode(&session.open(&f)?)?));
                match record {
                    Ok(AppRecord::Logout) => break "app logout",
                    Ok(_) => break "unexpected message",
                    Err(err) => { logout(state, server, &session_ref).await?; return Err(err); }
                }
            }
            change = changes.recv() => {
                let relevant = matches!(&change, Ok(Change::Session(s, r)) if *s == server.server_id && *r == session_ref)
                    || matches!(change, Err(RecvError::Lagged(_)));
                if relevant && !still_logged_in(state, server, &session_ref, account_id).await? {
                    conn.send_record(session, &ServerRecord::LoggedOut).await?;
                    return Ok(());
                }
            }
            () = tokio::time::sleep(POLL) => {
                if !still_logged_in(state, server, &session_ref, account_id).await? {
                    conn.send_record(session, &ServerRecord::LoggedOut).await?;
                    return Ok(());
                }
            }
        }
    };
    tracing::info!(reason = ended, "continuous session ended");
    logout(state, server, &session_ref).await?;
    let _ = conn.send_record(session, &ServerRecord::LoggedOut).await;
    Ok(())
}

async fn still_logged_in(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
    account_id: i64,
) -> EndpointResult<bool> {
    let row = sessions::get(&state.db, &server.server_id, session_ref).await?;
    Ok(row.is_some_and(|s| s.state == SessionState::LoggedIn && s.account_id == Some(account_id)))
}

async fn logout(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
) -> EndpointResult<()> {
    let t = Transition {
        state: SessionState::LoggedOut,
        event: "LOGOUT",
        account_id: None,
        user_input: None,
    };
    sessions::transition(&state.db, &server.server_id, session_ref, t, clock::now()).await?;
    state.notify(Change::Session(server.server_id, *session_ref));
    Ok(())
}

/// A CONNECT session: the account's queued messages are delivered as they arrive, and the app
/// may pull, acknowledge, delete its account or change its PIN.
pub async fn serve(ex: Exchange<'_>, conn: &mut Conn) -> EndpointResult<()> {
    let Exchange {
        state,
        server,
        account_key,
        session,
    } = ex;
    let Some(account) = accounts::by_key(&state.db, &server.server_id, &account_key).await? else {
        return Err(conn.refuse(session, codes::AUTH_FAILED).await);
    };
    conn.send_record(session, &ServerRecord::Accepted).await?;
    let mut sent: HashSet<[u8; 16]> = HashSet::new();
    let mut changes = state.changes.subscribe();
    loop {
        tokio::select! {
            frame = tokio::time::timeout(IDLE, conn.recv_any()) => {
                let Ok(frame) = frame else { return Err(EndpointError::Timeout) };
                let record = AppRecord::decode(&session.open(&frame?)?)?;
                match record {
                    AppRecord::PullMessages => {
                        sent.clear();
                        deliver(state, conn, session, account.account_id, &mut sent, true).await?;
                    }
                    AppRecord::Ack { message_ids } => {
                        let kinds = messages::ack(&state.db, account.account_id, &message_ids).await?;
                        if account.deleted && kinds.iter().any(|k| k == "delete_account") {
                            accounts::delete(&state.db, &server.server_id, account.account_id).await?;
                            tracing::info!(account_id = account.account_id, "deleted account removed after the app learnt it");
                            return Ok(());
                        }
                    }
                    AppRecord::DeleteAccount => {
                        accounts::delete(&state.db, &server.server_id, account.account_id).await?;
                        tracing::info!(account_id = account.account_id, "account deleted by the app");
                        conn.send_record(session, &ServerRecord::Accepted).await?;
                        return Ok(());
                    }
                    AppRecord::PinChange { proof, new_verifier } => {
                        check_pin(state, server, conn, session, account.account_id, proof, Some(new_verifier)).await?;
                    }
                    AppRecord::PinProof { proof } => {
                        // The app checks the person's PIN before enrolling another account.
                        check_pin(state, server, conn, session, account.account_id, proof, None).await?;
                    }
                    AppRecord::RegisterPushToken { platform, token } => {
                        // A bad token is refused; the session goes on.
                        let record = if push_senders::is_valid_token(platform, &token) {
                            push_tokens::set_push_token(&state.db, account.account_id, platform, &token).await?;
                            tracing::info!(
                                account_id = account.account_id,
                                ?platform,
                                token = %push_senders::token_tag(&token),
                                "push token registered"
                            );
                            ServerRecord::Accepted
                        } else {
                            ServerRecord::Refused { code: MALFORMED }
                        };
                        conn.send_record(session, &record).await?;
                    }
                    AppRecord::Pong { .. } => {}
                    _ => return Err(conn.refuse(session, codes::UNEXPECTED).await),
                }
            }
            change = changes.recv() => {
                let relevant = matches!(change, Ok(Change::Messages(id)) if id == account.account_id)
                    || matches!(change, Err(RecvError::Lagged(_)));
                if relevant {
                    deliver(state, conn, session, account.account_id, &mut sent, false).await?;
                }
            }
            () = tokio::time::sleep(POLL) => {
                deliver(state, conn, session, account.account_id, &mut sent, false).await?;
            }
        }
    }
}

/// Sends queued envelopes not yet sent on this connection. A pull always answers, even empty.
async fn deliver(
    state: &SharedState,
    conn: &mut Conn,
    session: &mut Session,
    account_id: i64,
    sent: &mut HashSet<[u8; 16]>,
    always: bool,
) -> EndpointResult<()> {
    let pending = messages::pending(
        &state.db,
        account_id,
        clock::now(),
        BATCH + sent.len() as i64,
    )
    .await?;
    let envelopes: Vec<Vec<u8>> = pending
        .into_iter()
        .filter(|(id, _)| sent.insert(id.0))
        .map(|(_, envelope)| envelope)
        .take(BATCH as usize)
        .collect();
    if always || !envelopes.is_empty() {
        conn.send_record(session, &ServerRecord::Messages { envelopes })
            .await?;
    }
    Ok(())
}

/// Checks a PIN proof (counting wrong ones); with `new_verifier`, replaces the verifier on
/// success (PIN change).
async fn check_pin(
    state: &SharedState,
    server: &ServerRow,
    conn: &mut Conn,
    session: &mut Session,
    account_id: i64,
    proof: [u8; 32],
    new_verifier: Option<[u8; 32]>,
) -> EndpointResult<()> {
    // Re-read: the counter may have moved since the connection opened.
    let Some(account) = accounts::get(&state.db, &server.server_id, account_id).await? else {
        return Err(conn.refuse(session, codes::AUTH_FAILED).await);
    };
    if account.pin_blocked {
        conn.send_record(session, &ServerRecord::PinBlocked).await?;
        return Ok(());
    }
    let max = server.settings.max_pin_attempts.max(1);
    let Some(verifier) = account.pin_verifier(&state.master)? else {
        return Err(conn.refuse(session, codes::PIN_REQUIRED).await);
    };
    if check_pin_proof(&verifier, session.binder(), &proof).is_err() {
        let (failures, blocked) = accounts::record_pin_failure(&state.db, account_id, max).await?;
        let record = if blocked {
            ServerRecord::PinBlocked
        } else {
            ServerRecord::PinWrong {
                remaining_attempts: max.saturating_sub(failures),
            }
        };
        return conn.send_record(session, &record).await;
    }
    match new_verifier {
        Some(new_verifier) => {
            let now = clock::now();
            accounts::set_pin_verifier(
                &state.db,
                &state.master,
                &state.rng,
                &account,
                &new_verifier,
                now,
            )
            .await?;
        }
        None => accounts::record_pin_success(&state.db, account_id, clock::now()).await?,
    }
    conn.send_record(session, &ServerRecord::Accepted).await
}
