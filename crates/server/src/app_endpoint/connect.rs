//! Connections that stay open: continuous login sessions (pings) and CONNECT sessions (message
//! delivery and pull, account deletion, PIN change).

use std::collections::HashSet;
use std::time::Duration;

use nextauth_protocol::handshake::Session;
use nextauth_protocol::ids::SessionRef;
use nextauth_protocol::messages::{AppRecord, Outcome, ServerRecord};
use tokio::sync::broadcast::error::RecvError;

use super::flows::Exchange;
use super::pin;
use super::{codes, Conn, EndpointError, EndpointResult};
use crate::clock;
use crate::push_senders;
use crate::state::{Change, SharedState};
use crate::store::accounts;
use crate::store::messages;
use crate::store::ping_deadlines;
use crate::store::push_tokens;
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionState};
use crate::store::transactions::{self, TransactionStatus};

/// How often a connection re-reads the database for changes made by other server processes
/// that share a SQLite file; on PostgreSQL they announce their changes
/// ([`crate::cluster`]) and this becomes the slow safety check.
const POLL: Duration = Duration::from_secs(1);
/// A CONNECT session with no traffic at all for this long is closed.
const IDLE: Duration = Duration::from_secs(600);
/// Envelopes per `Messages` record.
const BATCH: i64 = 64;
/// Refusal code for a malformed value (docs/protocol.md, section 14).
const MALFORMED: u16 = 32;

/// After a successful login or resume: one-shot servers close; continuous ones ping until
/// logout. The session's ping deadline (migration 8) moves on with each pong, so that a
/// session whose process dies stays logged in until then for its app to resume elsewhere
/// (docs/protocol.md 10.8), and ends then if none does.
pub async fn after_login(
    state: &SharedState,
    server: &ServerRow,
    conn: &mut Conn,
    session: &mut Session,
    mut session_ref: SessionRef,
    account_id: i64,
) -> EndpointResult<()> {
    let ping_time = server.settings.profile.ping_time;
    if ping_time == 0 {
        return Ok(());
    }
    let answer_within = Duration::from_secs(u64::from(ping_time));
    let interval = Duration::from_secs(u64::from(ping_time / 2).max(1));
    let mut changes = state.changes.subscribe();
    let mut open = state.lifecycle.open_connection();
    let (db, id) = (&state.db, &server.server_id);
    let at = ping_deadlines::after(clock::now(), ping_time);
    // `None`: the session ended already (a resume checked it a moment ago; a login too).
    let mut deadline = ping_deadlines::extend(db, id, &session_ref, account_id, at)
        .await?
        .unwrap_or(at);
    let mut next_ping = tokio::time::Instant::now() + interval;
    let mut counter = 0u64;
    let ended = loop {
        tokio::select! {
            () = open.going_away() => break Ended::GoingAway,
            () = tokio::time::sleep_until(next_ping) => {
                counter += 1;
                conn.send_record(session, &ServerRecord::Ping { counter }).await?;
                // The wait for the pong may last `ping_time` seconds: a drain must not wait
                // for it (the process would cut the connection at its deadline instead).
                let pong = tokio::select! {
                    pong = conn.recv_record(session, answer_within) => pong,
                    () = open.going_away() => break Ended::GoingAway,
                };
                match pong {
                    Ok(AppRecord::Pong { counter: c }) if c == counter => {
                        // The deadline is written again only once under half of its 2T + 5 s
                        // is left (every other pong): a write per pong per open session was
                        // the whole idle cost of continuous sessions.
                        let now = clock::now();
                        if deadline.saturating_sub(now) <= u64::from(ping_time) + 5 {
                            let at = ping_deadlines::after(now, ping_time);
                            // A session that ended meanwhile is noticed by the checks below.
                            if let Some(stored) = ping_deadlines::extend(db, id, &session_ref, account_id, at).await? {
                                deadline = stored;
                            }
                        }
                    }
                    Ok(AppRecord::Logout) => break Ended::Because("app logout"),
                    Ok(_) => break Ended::Because("unexpected message"),
                    Err(EndpointError::Timeout) => break Ended::MissedPing,
                    // A broken connection leaves the session to its deadline: the app resumes.
                    Err(err) => return Err(err),
                }
                next_ping = tokio::time::Instant::now() + interval;
            }
            frame = conn.recv_any() => {
                let record = frame.and_then(|f| Ok(AppRecord::decode(&session.open(&f)?)?));
                match record {
                    Ok(AppRecord::Logout) => break Ended::Because("app logout"),
                    Ok(_) => break Ended::Because("unexpected message"),
                    Err(err) => return Err(err),
                }
            }
            change = changes.recv() => {
                let relevant = matches!(&change, Ok(Change::Session(s, r)) if *s == server.server_id && *r == session_ref)
                    || matches!(change, Ok(Change::All) | Err(RecvError::Lagged(_)));
                if relevant && !still_logged_in(state, server, &mut session_ref, account_id).await? {
                    conn.send_record(session, &ServerRecord::LoggedOut).await?;
                    return Ok(());
                }
            }
            () = tokio::time::sleep(state.poll_interval(POLL)) => {
                if !still_logged_in(state, server, &mut session_ref, account_id).await? {
                    conn.send_record(session, &ServerRecord::LoggedOut).await?;
                    return Ok(());
                }
            }
        }
    };
    match ended {
        Ended::Because(reason) => {
            logout(state, server, &session_ref, account_id).await?;
            tracing::info!(reason, "continuous session ended");
            let _ = conn.send_record(session, &ServerRecord::LoggedOut).await;
        }
        Ended::MissedPing => {
            let now = clock::now();
            if ping_deadlines::log_out_unless_resumed(
                db,
                id,
                &session_ref,
                account_id,
                deadline,
                now,
            )
            .await?
            {
                state.notify(Change::Session(server.server_id, session_ref));
                tracing::info!("continuous session ended: missed ping");
                let _ = conn.send_record(session, &ServerRecord::LoggedOut).await;
            } else {
                tracing::info!("missed ping on a connection the app left: resumed elsewhere");
            }
        }
        Ended::GoingAway => {
            // The session stays logged in: the app hears "going away" and resumes it on
            // another process within its ping deadline (docs/protocol.md 10.8).
            tracing::info!("continuous session handed over: the process shuts down");
            conn.go_away().await;
        }
    }
    Ok(())
}

/// Why a continuous session's loop ended without an error.
enum Ended {
    /// The app ended it, or broke the protocol.
    Because(&'static str),
    /// No pong came within the ping time.
    MissedPing,
    /// The process drains ([`crate::readiness`]).
    GoingAway,
}

/// Whether `account_id` is still logged into the session; follows the session when the
/// website moved the login to a new reference (`session_ref` is updated).
pub(super) async fn still_logged_in(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &mut SessionRef,
    account_id: i64,
) -> EndpointResult<bool> {
    let mut row = sessions::get(&state.db, &server.server_id, session_ref).await?;
    if row.is_none() {
        row = sessions::moved_to(&state.db, &server.server_id, session_ref).await?;
    }
    let Some(row) = row else { return Ok(false) };
    *session_ref = row.session_ref;
    Ok(row.state == SessionState::LoggedIn && row.account_id == Some(account_id))
}

/// Logs the session out if this account is (still) the one logged into it.
async fn logout(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
    account_id: i64,
) -> EndpointResult<()> {
    let now = clock::now();
    if sessions::log_out(
        &state.db,
        &server.server_id,
        session_ref,
        Some(account_id),
        now,
    )
    .await?
    {
        state.notify(Change::Session(server.server_id, *session_ref));
    }
    Ok(())
}

/// Queues a message telling the account's owner how many push logins were held back (after
/// earlier ones went unanswered or were denied) and where the last came from.
async fn tell_held_pushes(
    state: &SharedState,
    server: &ServerRow,
    account: &accounts::AccountRow,
) -> EndpointResult<()> {
    let Some((count, from)) = accounts::take_held_pushes(&state.db, account.account_id).await?
    else {
        return Ok(());
    };
    let requests = if count == 1 {
        "request was"
    } else {
        "requests were"
    };
    let from = if from.is_empty() {
        String::new()
    } else {
        format!(" The last came from {from}.")
    };
    let body = nextauth_protocol::push::PushBody::Message {
        title: format!("{count} login {requests} blocked"),
        text: format!(
            "Login requests to this account were held back because earlier ones went \
             unanswered or were denied.{from} If you did not start them, someone may be trying \
             to log in as you: do not approve requests you did not start."
        ),
    };
    crate::message_center::send(state, server, account, &body, clock::now()).await?;
    Ok(())
}

/// Most accounts one CONNECT session carries (the one that opened it and those added).
pub const MAX_ACCOUNTS: usize = 64;

/// A CONNECT session: the account's queued messages are delivered as they arrive, and the app
/// may pull, acknowledge, delete its account, change its PIN or pause its push logins. With
/// `AddAccount` the app has the messages of its other accounts on this server delivered here
/// too (one connection per server for live delivery); deletion, PIN, pause and outcome
/// requests stay the opening account's.
pub async fn serve(ex: Exchange<'_>, conn: &mut Conn) -> EndpointResult<()> {
    let (state, server, session) = (ex.state, ex.server, ex.session);
    // A deleted account too: its app learns of the deletion here (the Ack below).
    let Some(account) = accounts::by_key(&state.db, &server.server_id, &ex.account_key).await?
    else {
        return Err(conn.refuse(session, codes::AUTH_FAILED).await);
    };
    conn.send_record(session, &ServerRecord::Accepted).await?;
    // Every account whose messages this connection carries, the opening one first.
    let mut carried: Vec<i64> = vec![account.account_id];
    let mut sent: HashSet<[u8; 16]> = HashSet::new();
    let mut changes = state.changes.subscribe();
    let mut open = state.lifecycle.open_connection();
    // After subscribing: the message's nudge delivers it in this connection.
    tell_held_pushes(state, server, &account).await?;
    loop {
        tokio::select! {
            () = open.going_away() => {
                // Nothing is lost: the messages stay queued for the app's next connection.
                conn.go_away().await;
                return Ok(());
            }
            frame = tokio::time::timeout(IDLE, conn.recv_any()) => {
                let Ok(frame) = frame else { return Err(EndpointError::Timeout) };
                let record = AppRecord::decode(&session.open(&frame?)?)?;
                match record {
                    AppRecord::PullMessages => {
                        sent.clear();
                        deliver(state, conn, session, &carried, &mut sent, true).await?;
                    }
                    AppRecord::Ack { message_ids } => {
                        for account_id in carried.clone() {
                            let kinds = messages::ack(&state.db, account_id, &message_ids).await?;
                            if !kinds.iter().any(|k| k == "delete_account") {
                                continue;
                            }
                            let row = accounts::get(&state.db, &server.server_id, account_id).await?;
                            if row.is_some_and(|a| a.deleted) {
                                accounts::delete(&state.db, &server.server_id, account_id).await?;
                                tracing::info!(account_id, "deleted account removed after the app learnt it");
                                carried.retain(|id| *id != account_id);
                                if account_id == account.account_id {
                                    return Ok(());
                                }
                            }
                        }
                    }
                    AppRecord::AddAccount { account_key, signature } => {
                        let added = add_account(state, server, session, &carried, &account_key, &signature).await?;
                        let answer = match added {
                            Some(row) => {
                                carried.push(row.account_id);
                                tell_held_pushes(state, server, &row).await?;
                                ServerRecord::Accepted
                            }
                            None => ServerRecord::Refused { code: codes::AUTH_FAILED },
                        };
                        conn.send_record(session, &answer).await?;
                    }
                    AppRecord::DeleteAccount => {
                        accounts::delete(&state.db, &server.server_id, account.account_id).await?;
                        tracing::info!(account_id = account.account_id, "account deleted by the app");
                        conn.send_record(session, &ServerRecord::Accepted).await?;
                        return Ok(());
                    }
                    AppRecord::PinChange { proof, new_verifier } => {
                        let current = reread(state, server, account.account_id, conn, session).await?;
                        pin::connect_proof(state, server, &current, conn, session, proof, Some(new_verifier)).await?;
                    }
                    AppRecord::PinProof { proof } => {
                        // The app checks the person's PIN before enrolling another account.
                        let current = reread(state, server, account.account_id, conn, session).await?;
                        pin::connect_proof(state, server, &current, conn, session, proof, None).await?;
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
                    AppRecord::QueryOutcome { reference } => {
                        let outcome = outcome_of(state, server, account.account_id, reference).await?;
                        conn.send_record(session, &ServerRecord::Outcome { outcome }).await?;
                    }
                    AppRecord::PausePush { minutes } => {
                        let until = pause_push(state, account.account_id, minutes).await?;
                        conn.send_record(session, &ServerRecord::PushPaused { until }).await?;
                    }
                    AppRecord::TokenRequest { session_ref, audience } => {
                        let record = match app_token(state, server, &account, session_ref, &audience).await? {
                            Ok(token) => ServerRecord::AppToken { token },
                            Err(code) => ServerRecord::Refused { code },
                        };
                        conn.send_record(session, &record).await?;
                    }
                    AppRecord::Pong { .. } => {}
                    _ => return Err(conn.refuse(session, codes::UNEXPECTED).await),
                }
            }
            change = changes.recv() => {
                let relevant = matches!(change, Ok(Change::Messages(id)) if carried.contains(&id))
                    || matches!(change, Ok(Change::All) | Err(RecvError::Lagged(_)));
                if relevant {
                    deliver(state, conn, session, &carried, &mut sent, false).await?;
                }
            }
            () = tokio::time::sleep(state.poll_interval_or(POLL, crate::cluster::LIVE_SAFETY_INTERVAL)) => {
                deliver(state, conn, session, &carried, &mut sent, false).await?;
            }
        }
    }
}

/// How long an app token is valid.
pub const APP_TOKEN_TTL_SECS: u64 = 300;

/// An app token for `audience` (docs/protocol.md 10.7), when `session_ref` is an AppLogin
/// session that `account` is logged into now; else the refusal code (111: no such login, 32:
/// an audience that is empty, too long or has control characters).
async fn app_token(
    state: &SharedState,
    server: &ServerRow,
    account: &accounts::AccountRow,
    session_ref: SessionRef,
    audience: &str,
) -> EndpointResult<Result<String, u16>> {
    use nextauth_protocol::app_token::{AppTokenClaims, MAX_AUDIENCE_LEN};
    if audience.is_empty()
        || audience.len() > MAX_AUDIENCE_LEN
        || audience.chars().any(char::is_control)
    {
        return Ok(Err(MALFORMED));
    }
    let mut current = session_ref;
    let logged_in = still_logged_in(state, server, &mut current, account.account_id).await?;
    if !logged_in || !sessions::is_app_login(&state.db, &server.server_id, &current).await? {
        return Ok(Err(codes::SESSION_UNKNOWN));
    }
    let now = clock::now();
    let claims = AppTokenClaims {
        server_id: server.server_id,
        token_id: nextauth_protocol::crypto::random_array(&state.rng)?,
        account_id: u64::try_from(account.account_id).unwrap_or_default(),
        userid: account.userid.clone().unwrap_or_default(),
        audience: audience.to_owned(),
        session_ref: current,
        issued_at: now,
        expires_at: now + APP_TOKEN_TTL_SECS,
    };
    let token = claims.sign(&state.signers.of(state, server)?.key, &state.rng)?;
    tracing::info!(account_id = account.account_id, "app token issued");
    Ok(Ok(token))
}

/// The account an `AddAccount` names, if its signature over this session's binder verifies
/// under its key, it is an account of this server, and it is not carried yet (nor would it
/// make more than [`MAX_ACCOUNTS`]).
async fn add_account(
    state: &SharedState,
    server: &ServerRow,
    session: &Session,
    carried: &[i64],
    account_key: &nextauth_protocol::crypto::PublicKey,
    signature: &nextauth_protocol::crypto::Signature,
) -> EndpointResult<Option<accounts::AccountRow>> {
    let message = nextauth_protocol::messages::add_account_message(session.binder());
    if carried.len() >= MAX_ACCOUNTS || account_key.verify(&message, signature).is_err() {
        return Ok(None);
    }
    let row = accounts::by_key(&state.db, &server.server_id, account_key).await?;
    Ok(row.filter(|a| !carried.contains(&a.account_id)))
}

/// Sends queued envelopes of the `carried` accounts not yet sent on this connection. A pull
/// always answers, even empty.
async fn deliver(
    state: &SharedState,
    conn: &mut Conn,
    session: &mut Session,
    carried: &[i64],
    sent: &mut HashSet<[u8; 16]>,
    always: bool,
) -> EndpointResult<()> {
    let mut envelopes: Vec<Vec<u8>> = Vec::new();
    for account_id in carried {
        let room = BATCH as usize - envelopes.len();
        if room == 0 {
            break;
        }
        let pending = messages::pending(
            &state.db,
            *account_id,
            clock::now(),
            BATCH + sent.len() as i64,
        )
        .await?;
        envelopes.extend(
            pending
                .into_iter()
                .filter(|(id, _)| sent.insert(id.0))
                .map(|(_, envelope)| envelope)
                .take(room),
        );
    }
    if always || !envelopes.is_empty() {
        conn.send_record(session, &ServerRecord::Messages { envelopes })
            .await?;
    }
    Ok(())
}

/// The person's own lock from the app: push logins to the account pause for `minutes` (capped
/// at a week), or resume (`0`, which also forgets earlier strikes, as the integrator's resume
/// does). Returns until when (0: not paused).
async fn pause_push(state: &SharedState, account_id: i64, minutes: u16) -> EndpointResult<u64> {
    let minutes = minutes.min(nextauth_protocol::messages::MAX_PUSH_PAUSE_MINUTES);
    let until = if minutes == 0 {
        accounts::resume_pushes(&state.db, account_id).await?;
        0
    } else {
        let until = clock::now() + u64::from(minutes) * 60;
        accounts::block_pushes(&state.db, account_id, until).await?;
        until
    };
    tracing::info!(account_id, minutes, "push logins paused by the app");
    Ok(until)
}

/// The account as it is now (its PIN may have changed since the connection opened).
async fn reread(
    state: &SharedState,
    server: &ServerRow,
    account_id: i64,
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<accounts::AccountRow> {
    match accounts::get(&state.db, &server.server_id, account_id).await? {
        Some(account) => Ok(account),
        None => Err(conn.refuse(session, codes::AUTH_FAILED).await),
    }
}

/// What became of `account_id`'s login into the session `reference`, or its answer to the
/// transaction `reference` (the app did not hear back and asks; docs/reliability.md).
async fn outcome_of(
    state: &SharedState,
    server: &ServerRow,
    account_id: i64,
    reference: [u8; 16],
) -> EndpointResult<Outcome> {
    let session_ref = SessionRef(reference);
    let mut row = sessions::get(&state.db, &server.server_id, &session_ref).await?;
    if row.is_none() {
        row = sessions::moved_to(&state.db, &server.server_id, &session_ref).await?;
    }
    // Logged in now, or was until a logout (a session waiting for a login may remember the
    // account for push logins without it having logged in there).
    let logged_in = row.is_some_and(|s| match s.state {
        SessionState::LoggedIn => s.account_id == Some(account_id),
        SessionState::LoggedOut => s.last_account_id == Some(account_id),
        _ => false,
    });
    if logged_in {
        return Ok(Outcome::LoggedIn);
    }
    let tid = nextauth_protocol::ids::TransactionRef(reference);
    let tx = transactions::get(&state.db, &server.server_id, &tid).await?;
    Ok(
        match tx.filter(|t| t.account_id == account_id).map(|t| t.status) {
            Some(TransactionStatus::Approved) => Outcome::Approved,
            Some(TransactionStatus::Declined) => Outcome::Declined,
            _ => Outcome::Nothing,
        },
    )
}
