//! The app endpoint (`GET /sigmai`, WebSocket): runs the protocol handshake and then the
//! enrol, login, transaction or connect exchange (docs/protocol.md, sections 7 to 10).

mod checks;
mod conn;
mod connect;
mod flows;
mod pin;
mod resume;
mod signers;

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::response::Response;
use nextauth_protocol::handshake::{AbortReason, ClientFinished, ClientHello, Purpose};
use nextauth_protocol::ids::{SessionRef, TransactionRef};
use nextauth_protocol::messages::{ClientRequest, LoginCheck, Observed, ServerContext};

pub use conn::{Conn, EndpointError, EndpointResult};
pub use signers::Signers;

use crate::clock;
use crate::limits::AppConnection;
use crate::state::{Change, SharedState};
use crate::store::sessions::{self, SessionEvent, SessionState, Transition};
use crate::store::transactions::{self, TransactionStatus};
use crate::store::{accounts, servers, StoreError};
use crate::user_context::UserContext;

/// How long the app may take to send its ClientHello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a person may take to decide (confirm, pick an account).
const DECISION_TIMEOUT: Duration = Duration::from_secs(180);
/// Largest message accepted from an app.
const MAX_MESSAGE: usize = 256 * 1024;
/// The read buffer of each WebSocket (app connections here, browser pages in
/// `web::browser_ws`): records and lines are small, and the 128 KiB default costs every open
/// connection that much memory (docs/benchmarks.md, "Cluster").
pub const SOCKET_READ_BUFFER: usize = 4096;

/// Error codes of docs/protocol.md, section 14.
pub mod codes {
    /// Authentication failed, unknown server or account.
    pub const AUTH_FAILED: u16 = 48;
    /// Enrol code expired or used.
    pub const ENROL_EXPIRED: u16 = 41;
    /// Message not expected.
    pub const UNEXPECTED: u16 = 105;
    /// Account blocked.
    pub const ACCOUNT_BLOCKED: u16 = 108;
    /// PIN blocked.
    pub const PIN_BLOCKED: u16 = 109;
    /// PIN required but none given.
    pub const PIN_REQUIRED: u16 = 110;
    /// Session unknown or ended.
    pub const SESSION_UNKNOWN: u16 = 111;
    /// Transaction unknown, settled or not for this account.
    pub const TRANSACTION_UNKNOWN: u16 = 112;
    /// A newer PIN question for this account replaced this one (another connection asked).
    pub const PIN_SUPERSEDED: u16 = 113;
    /// AppLogin is not enabled on this server.
    pub const APP_LOGIN_OFF: u16 = 114;
    /// The number given is not the one the browser shows (number matching).
    pub const WRONG_NUMBER: u16 = 115;
}

/// `GET /sigmai`: upgrades to a WebSocket and serves one app exchange, once the client's
/// connection is admitted ([`AppConnection`]: refused with 429 before the upgrade).
pub async fn sigmai(
    admitted: AppConnection,
    ws: WebSocketUpgrade,
    State(state): State<SharedState>,
) -> Response {
    let span = crate::trace::app_connection();
    ws.max_message_size(MAX_MESSAGE)
        .read_buffer_size(SOCKET_READ_BUFFER)
        .on_upgrade(move |socket| {
            crate::trace::in_span(span, async move {
                // Counted as open until the exchange ends (by the limits, and by a shutdown,
                // which lets it finish).
                let app_ip = admitted.0.client();
                let _admitted = admitted;
                let _open = state.lifecycle.open_connection();
                let conn = Conn::new(socket);
                match serve(&state, conn, app_ip).await {
                    Ok(()) => {}
                    Err(EndpointError::Store(err)) => {
                        tracing::error!(%err, "app exchange failed on storage")
                    }
                    Err(err) => tracing::info!(%err, "app exchange ended"),
                }
            })
        })
}

/// What the ClientHello refers to, once looked up.
enum Target {
    Session(SessionRef),
    Transaction(transactions::TransactionRow),
    /// A continuous session to resume: looked up only once an account has signed, so an
    /// anonymous hello learns nothing of it.
    Resume(SessionRef),
    None,
}

/// What the hello's context asked and showed, for checking the answer.
#[derive(Debug, Default)]
pub struct Asked {
    /// The number the answer must hold (`None`: none asked).
    pub number: Option<String>,
    /// What the app was shown of the browser.
    pub observed: Observed,
    /// The account a push login for this session went to, when the hello follows a push.
    pub pushed_to: Option<i64>,
}

/// Serves one exchange. A browser session that the hello moved to `scanned` never stays there:
/// whatever ends the exchange without a login (the person's no, a refusal, a timeout, a closed
/// connection) moves it back to `new` with the event that says why (docs/web.md), so the page
/// can tell the person within a second.
async fn serve(state: &SharedState, conn: Conn, app_ip: IpAddr) -> EndpointResult<()> {
    let mut scanned = None;
    let result = exchange(state, conn, app_ip, &mut scanned).await;
    if let Some((server, session_ref)) = scanned {
        // Only a scan in progress goes back, so a login that succeeded is left alone.
        let event = match &result {
            // The exchange ended without a login (a blocked PIN).
            Ok(()) => SessionEvent::Error,
            Err(EndpointError::Timeout) => SessionEvent::Timeout,
            Err(EndpointError::Refused(codes::ENROL_EXPIRED)) => SessionEvent::Expired,
            Err(_) => SessionEvent::Error,
        };
        back_to_new(state, &server, &session_ref, event).await?;
    }
    result
}

async fn exchange(
    state: &SharedState,
    mut conn: Conn,
    app_ip: IpAddr,
    scanned: &mut Option<(nextauth_protocol::ids::ServerId, SessionRef)>,
) -> EndpointResult<()> {
    let m1 = conn.recv(HELLO_TIMEOUT).await?;
    let hello = match ClientHello::decode(&m1) {
        Ok(hello) => hello,
        Err(err) => return Err(conn.alert(err.code()).await),
    };
    let now = clock::now();
    let purpose = hello.purpose;
    // A login's or an enrolment's scan, announced by its own statement where it can be.
    let scan_change = Change::Session(hello.server_id, SessionRef(hello.reference));
    let announce = matches!(purpose, Purpose::Enrol | Purpose::Login)
        .then(|| state.inline_announcement(&scan_change))
        .flatten();
    // The server row from memory when the scan's statement finds it unchanged
    // (crate::server_cache); otherwise read, and the session scanned below.
    let mut scanned_early = None;
    let cached = match purpose {
        Purpose::Enrol | Purpose::Login => state.cached_server(&hello.server_id),
        _ => None,
    };
    let server = match cached {
        Some(cached) => {
            let with = sessions::Scan {
                announce: announce.as_deref(),
                server_version: Some(&cached.version),
            };
            let reference = SessionRef(hello.reference);
            scanned_early =
                sessions::scan(&state.db, &hello.server_id, &reference, now, with).await?;
            scanned_early.is_some().then_some(cached.row)
        }
        None => None,
    };
    let server = match server {
        Some(server) => server,
        None => match load_server(state, &hello.server_id).await? {
            Some(server) => server,
            None => return Err(conn.alert(codes::AUTH_FAILED).await),
        },
    };
    let mut asked = Asked::default();
    let (context, target) = match purpose {
        Purpose::AppLogin => {
            // The app's own session. It is created only once an account authenticated
            // (flows::login), so an anonymous hello stores nothing.
            if !server.settings.app_login {
                return Err(conn.alert(codes::APP_LOGIN_OFF).await);
            }
            let session_ref = SessionRef(hello.reference);
            crate::trace::record_flow(&server.server_id, &session_ref);
            let existing = sessions::get(&state.db, &server.server_id, &session_ref).await?;
            if existing.is_some_and(|s| !sessions::SCANNABLE.contains(&s.state)) {
                return Err(conn.alert(codes::SESSION_UNKNOWN).await);
            }
            let context = ServerContext::Login {
                announce: Default::default(),
                session: Default::default(),
                check: LoginCheck::default(),
            };
            (context, Target::Session(session_ref))
        }
        Purpose::Enrol | Purpose::Login => {
            let session_ref = SessionRef(hello.reference);
            crate::trace::record_flow(&server.server_id, &session_ref);
            // Only a session that waits for a scan: a logged-in (or ended) one never changes
            // because someone who knows its reference says hello.
            let session = match scanned_early {
                Some(session) => Some(session),
                None => {
                    let with = sessions::Scan {
                        announce: announce.as_deref(),
                        server_version: None,
                    };
                    sessions::scan(&state.db, &server.server_id, &session_ref, now, with).await?
                }
            };
            let Some(session) = session else {
                return Err(conn.alert(codes::SESSION_UNKNOWN).await);
            };
            state.announced(scan_change, announce.as_deref());
            let (announce, info) = UserContext::from_stored(&session.announce).to_protocol();
            // A session that was sent a push login learns that the app picked it up.
            let pushed = session.event == SessionEvent::ConfirmProvoke;
            *scanned = Some((server.server_id, session_ref));
            let context = if purpose == Purpose::Enrol {
                ServerContext::Enrol { session: info }
            } else {
                let (check, number) = checks::for_login(state, &server, &session, app_ip).await?;
                asked = Asked {
                    number,
                    observed: check.observed.clone(),
                    pushed_to: session.pushed_to.filter(|_| pushed),
                };
                ServerContext::Login {
                    announce,
                    session: info,
                    check,
                }
            };
            (context, Target::Session(session_ref))
        }
        Purpose::Transaction => {
            let tid = TransactionRef(hello.reference);
            let tx = transactions::get(&state.db, &server.server_id, &tid).await?;
            let Some(tx) = tx.filter(|t| t.status == TransactionStatus::New && t.expires >= now)
            else {
                return Err(conn.alert(codes::TRANSACTION_UNKNOWN).await);
            };
            // A transaction belongs to the login session it was made for: its flow.
            crate::trace::record_flow(&server.server_id, &tx.session_ref);
            let browser = sessions::get(&state.db, &server.server_id, &tx.session_ref).await?;
            let observed = browser
                .map(|b| checks::observed(state, &b, app_ip))
                .unwrap_or_default();
            let must_type = observed.network_differs;
            let number = checks::challenge(state, &server, tx.match_number.as_deref(), must_type)?;
            asked = Asked {
                number: tx.match_number.clone(),
                observed: observed.clone(),
                pushed_to: None,
            };
            let context = ServerContext::Transaction {
                details: tx.details.clone(),
                check: LoginCheck { number, observed },
            };
            (context, Target::Transaction(tx))
        }
        Purpose::Connect => (ServerContext::Connect, Target::None),
        Purpose::Resume => {
            let session_ref = SessionRef(hello.reference);
            crate::trace::record_flow(&server.server_id, &session_ref);
            (ServerContext::Connect, Target::Resume(session_ref))
        }
    };

    let signer = state.signers.of(state, &server)?;
    let (pending, m2) = hello.respond_rotated(
        &state.rng,
        &signer.key,
        &signer.signed,
        &server.rotations,
        &context.encode()?,
    )?;
    conn.send(m2).await?;
    let m3 = conn.recv(DECISION_TIMEOUT).await?;
    let finished = pending.read_client_finish(&m3)?;
    let (account_key, request, evidence, mut session) = match finished {
        ClientFinished::Aborted(reason) => {
            if let (Some(account_id), AbortReason::Declined) = (asked.pushed_to, reason) {
                // A push login denied: a strike towards holding further ones back.
                accounts::push_denied(&state.db, account_id).await?;
            }
            if let Target::Session(session_ref) = &target {
                // The person said no, or the app had no account: the browser's news. An app
                // that could not accept the server (Rejected) is an error, not a refusal.
                let event = match reason {
                    AbortReason::Declined => SessionEvent::Cancel,
                    AbortReason::NoAccounts => SessionEvent::NoAccounts,
                    AbortReason::Rejected => SessionEvent::Error,
                };
                debug_assert_eq!(scanned.map(|s| s.1), Some(*session_ref));
                unscan(state, scanned, event).await?;
            }
            conn.close().await;
            return Ok(());
        }
        ClientFinished::Authenticated {
            account_key,
            request,
            evidence,
            session,
        } => (account_key, request, evidence, session),
    };
    let request = match ClientRequest::decode(&request) {
        Ok(request) => request,
        Err(err) => return Err(conn.refuse(&mut session, err.code()).await),
    };
    let ctx = flows::Exchange {
        state,
        server: &server,
        account_key,
        session: &mut session,
        scanned,
    };
    match (target, request) {
        (
            Target::Session(session_ref),
            ClientRequest::Enrol {
                secret,
                device_name,
                pin_verifier,
            },
        ) if purpose == Purpose::Enrol => {
            flows::enrol(
                ctx,
                &mut conn,
                session_ref,
                secret,
                device_name,
                pin_verifier,
            )
            .await
        }
        (Target::Session(session_ref), ClientRequest::Login { user_input, number })
            if purpose == Purpose::Login || purpose == Purpose::AppLogin =>
        {
            let app_login = purpose == Purpose::AppLogin;
            let answer = flows::LoginAnswer {
                user_input,
                number,
                app_login,
            };
            flows::login(ctx, &mut conn, session_ref, answer, asked).await
        }
        (Target::Session(session_ref), ClientRequest::NotMe) if purpose == Purpose::Login => {
            flows::not_me_login(ctx, &mut conn, session_ref, asked).await
        }
        (Target::Transaction(tx), ClientRequest::Transaction { approve, number }) => {
            let evidence = evidence.to_bytes();
            flows::transaction(ctx, &mut conn, tx, approve, &number, asked, evidence).await
        }
        (Target::Transaction(tx), ClientRequest::NotMe) => {
            flows::not_me_transaction(ctx, &mut conn, tx, asked, evidence.to_bytes()).await
        }
        (Target::None, ClientRequest::Connect) => connect::serve(ctx, &mut conn).await,
        (Target::Resume(session_ref), ClientRequest::Connect) => {
            resume::resume(ctx, &mut conn, session_ref).await
        }
        _ => Err(conn.refuse(&mut session, codes::UNEXPECTED).await),
    }
}

/// A server's row, entered into the cache on PostgreSQL while the process listens to the
/// others' announcements (else read as it is).
async fn load_server(
    state: &SharedState,
    server: &nextauth_protocol::ids::ServerId,
) -> Result<Option<std::sync::Arc<servers::ServerRow>>, StoreError> {
    if !state.bus.listening() {
        return Ok(servers::get(&state.db, server).await?.map(Into::into));
    }
    let epoch = state.server_rows.epoch();
    let Some((row, version)) = servers::get_versioned(&state.db, server).await? else {
        return Ok(None);
    };
    let row = std::sync::Arc::new(row);
    state.server_rows.fill(epoch, row.clone(), version);
    Ok(Some(row))
}

/// Moves the session this exchange scanned back to `new` now, before the app hears the
/// answer, and clears the mark so that the exchange's end does not move it again: by then
/// another app may have scanned the code afresh, and that scan must stand.
pub(super) async fn unscan(
    state: &SharedState,
    scanned: &mut Option<(nextauth_protocol::ids::ServerId, SessionRef)>,
    event: SessionEvent,
) -> Result<(), StoreError> {
    match scanned.take() {
        Some((server, session_ref)) => back_to_new(state, &server, &session_ref, event).await,
        None => Ok(()),
    }
}

/// The app did not complete: the browser learns why and the code can be scanned again.
async fn back_to_new(
    state: &SharedState,
    server: &nextauth_protocol::ids::ServerId,
    session_ref: &SessionRef,
    event: SessionEvent,
) -> Result<(), StoreError> {
    let t = Transition {
        state: SessionState::New,
        event,
        account_id: None,
        user_input: None,
    };
    // Only a scan in progress goes back: an abort never touches a logged-in session.
    let scanned = &[SessionState::Scanned];
    if sessions::transition(&state.db, server, session_ref, scanned, t, clock::now()).await? {
        state.notify(Change::Session(*server, *session_ref));
    }
    Ok(())
}
