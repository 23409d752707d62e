//! The app endpoint (`GET /sigmai`, WebSocket): runs the protocol handshake and then the
//! enrol, login, transaction or connect exchange (docs/protocol.md, sections 7 to 10).

mod conn;
mod connect;
mod flows;

use std::time::Duration;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::response::Response;
use nextauth_protocol::handshake::{AbortReason, ClientFinished, ClientHello, Purpose};
use nextauth_protocol::ids::{SessionRef, TransactionRef};
use nextauth_protocol::messages::{ClientRequest, ServerContext};

pub use conn::{Conn, EndpointError, EndpointResult};

use crate::clock;
use crate::state::{Change, SharedState};
use crate::store::sessions::{self, SessionState, Transition};
use crate::store::transactions::{self, TransactionStatus};
use crate::store::{servers, StoreError};
use crate::user_context::UserContext;

/// How long the app may take to send its ClientHello.
const HELLO_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a person may take to decide (confirm, pick an account).
const DECISION_TIMEOUT: Duration = Duration::from_secs(180);
/// Largest message accepted from an app.
const MAX_MESSAGE: usize = 256 * 1024;

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
}

/// `GET /sigmai`: upgrades to a WebSocket and serves one app exchange.
pub async fn sigmai(ws: WebSocketUpgrade, State(state): State<SharedState>) -> Response {
    ws.max_message_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            let conn = Conn::new(socket);
            match serve(&state, conn).await {
                Ok(()) => {}
                Err(EndpointError::Store(err)) => {
                    tracing::error!(%err, "app exchange failed on storage")
                }
                Err(err) => tracing::info!(%err, "app exchange ended"),
            }
        })
}

/// What the ClientHello refers to, once looked up.
enum Target {
    Session(SessionRef),
    Transaction(transactions::TransactionRow),
    None,
}

async fn serve(state: &SharedState, mut conn: Conn) -> EndpointResult<()> {
    let m1 = conn.recv(HELLO_TIMEOUT).await?;
    let hello = match ClientHello::decode(&m1) {
        Ok(hello) => hello,
        Err(err) => return Err(conn.alert(err.code()).await),
    };
    let Some(server) = servers::get(&state.db, &hello.server_id).await? else {
        return Err(conn.alert(codes::AUTH_FAILED).await);
    };
    let now = clock::now();
    let purpose = hello.purpose;
    let (context, target) = match purpose {
        Purpose::Enrol | Purpose::Login | Purpose::AppLogin => {
            let session_ref = SessionRef(hello.reference);
            let session = if purpose == Purpose::AppLogin {
                // The app's own session: it exists once the app asks for it.
                Some(sessions::ensure(&state.db, &server.server_id, &session_ref, now).await?)
            } else {
                sessions::get(&state.db, &server.server_id, &session_ref).await?
            };
            let Some(session) = session.filter(|s| s.state != SessionState::LoggedOut) else {
                return Err(conn.alert(codes::SESSION_UNKNOWN).await);
            };
            let (announce, info) = UserContext::from_stored(&session.announce).to_protocol();
            // A session that was sent a push login learns that the app picked it up.
            let event = if session.event == "PROVOKE" {
                "CONFIRMPROVOKE"
            } else {
                "CONFIRMSCAN"
            };
            let t = Transition {
                state: SessionState::Scanned,
                event,
                account_id: None,
                user_input: None,
            };
            sessions::transition(&state.db, &server.server_id, &session_ref, t, now).await?;
            state.notify(Change::Session(server.server_id, session_ref));
            let context = if purpose == Purpose::Enrol {
                ServerContext::Enrol { session: info }
            } else {
                ServerContext::Login {
                    announce,
                    session: info,
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
            (
                ServerContext::Transaction(tx.details.clone()),
                Target::Transaction(tx),
            )
        }
        Purpose::Connect => (ServerContext::Connect, Target::None),
    };

    let key = server.signing_key(&state.master, &state.rng)?;
    let signed = server.signed_params(&key, &state.rng)?;
    let (pending, m2) = hello.respond(&state.rng, &key, &signed, &context.encode()?)?;
    conn.send(m2).await?;
    let m3 = conn.recv(DECISION_TIMEOUT).await;
    let finished = match m3 {
        Ok(m3) => pending.read_client_finish(&m3)?,
        Err(err) => {
            if let Target::Session(session_ref) = &target {
                back_to_new(state, &server.server_id, session_ref, "CANCEL").await?;
            }
            return Err(err);
        }
    };
    let (account_key, request, evidence, mut session) = match finished {
        ClientFinished::Aborted(reason) => {
            if let Target::Session(session_ref) = &target {
                let event = if reason == AbortReason::NoAccounts {
                    "NOACCOUNTS"
                } else {
                    "CANCEL"
                };
                back_to_new(state, &server.server_id, session_ref, event).await?;
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
        (Target::Session(session_ref), ClientRequest::Login { user_input })
            if purpose == Purpose::Login || purpose == Purpose::AppLogin =>
        {
            flows::login(ctx, &mut conn, session_ref, user_input).await
        }
        (Target::Transaction(tx), ClientRequest::Transaction { approve }) => {
            flows::transaction(ctx, &mut conn, tx, approve, evidence.to_bytes()).await
        }
        (Target::None, ClientRequest::Connect) => connect::serve(ctx, &mut conn).await,
        _ => Err(conn.refuse(&mut session, codes::UNEXPECTED).await),
    }
}

/// The app did not complete: the browser learns why and the code can be scanned again.
async fn back_to_new(
    state: &SharedState,
    server: &nextauth_protocol::ids::ServerId,
    session_ref: &SessionRef,
    event: &str,
) -> Result<(), StoreError> {
    let t = Transition {
        state: SessionState::New,
        event,
        account_id: None,
        user_input: None,
    };
    sessions::transition(&state.db, server, session_ref, t, clock::now()).await?;
    state.notify(Change::Session(*server, *session_ref));
    Ok(())
}
