//! The browser WebSocket at `GET /ws`: text messages `{Type} {HSID} {ServerID}`.
//!
//! Browser to server: `REGISTER` (follow a session; answered at once with `LOGIN` or `LOGOUT`
//! and, when a push login is possible, `CANPROVOKE`), `PROVOKE` (push login to the account that
//! last logged into the session) and `LOGOUT`. Server to browser: `CONFIRMSCAN`, `LOGIN`,
//! `LOGOUT`, `CANPROVOKE`, `CONFIRMPROVOKE`, `CANCEL` and `NOACCOUNTS`, as the session's event
//! changes.
//!
//! Each socket runs one loop: it re-reads its sessions when this process announces a change
//! ([`crate::state::Change`]) and every [`POLL_INTERVAL`], which is how it sees changes made by
//! other server processes sharing the database. A socket follows at most
//! [`MAX_SESSIONS`] sessions and accepts messages of at most [`MAX_MESSAGE`] bytes.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use nextauth_protocol::ids::{ServerId, SessionRef};
use tokio::sync::broadcast::error::RecvError;

use crate::clock;
use crate::codes;
use crate::state::{Change, SharedState};
use crate::store::servers;
use crate::store::sessions::{self, SessionRow, SessionState};
use crate::store::StoreResult;

/// How often a socket re-reads its sessions from the database.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);
/// Most sessions one socket follows; further `REGISTER`s are ignored.
pub const MAX_SESSIONS: usize = 16;
/// Largest message a browser may send (bytes).
pub const MAX_MESSAGE: usize = 256;

/// `GET /ws`: upgrades to the browser WebSocket.
pub async fn ws(State(state): State<SharedState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        .on_upgrade(move |socket| async move {
            tracing::debug!("browser WebSocket opened");
            if let Err(err) = run(&state, socket).await {
                tracing::warn!(%err, "browser WebSocket failed on storage");
            }
            tracing::debug!("browser WebSocket closed");
        })
}

/// A command from the browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    /// Follow the session.
    Register,
    /// Push a login to the session's last account.
    Provoke,
    /// Log the session out.
    Logout,
}

/// Parses `{Type} {HSID} {ServerID}`; `None` for anything else.
pub fn parse(text: &str) -> Option<(Command, SessionRef, ServerId)> {
    let mut parts = text.split_ascii_whitespace();
    let command = match parts.next()? {
        "REGISTER" => Command::Register,
        "PROVOKE" => Command::Provoke,
        "LOGOUT" => Command::Logout,
        _ => return None,
    };
    let hsid = SessionRef::from_base64(parts.next()?).ok()?;
    let server = ServerId::from_base64(parts.next()?).ok()?;
    parts.next().is_none().then_some((command, hsid, server))
}

/// A followed session and the version last reported.
struct Watch {
    server: ServerId,
    session: SessionRef,
    version: i64,
}

async fn run(state: &SharedState, mut socket: WebSocket) -> StoreResult<()> {
    let mut changes = state.changes.subscribe();
    let mut tick = tokio::time::interval(POLL_INTERVAL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watches: Vec<Watch> = Vec::new();
    loop {
        let out = tokio::select! {
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => command(state, &mut watches, text.as_str()).await?,
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Ok(()),
                Some(Ok(_)) => Vec::new(),
            },
            change = changes.recv() => match change {
                Ok(Change::Session(server, session)) => {
                    poll(state, &mut watches, |w| w.server == server && w.session == session).await?
                }
                Ok(Change::Messages(_)) => Vec::new(),
                Err(RecvError::Lagged(_)) => poll(state, &mut watches, |_| true).await?,
                Err(RecvError::Closed) => return Ok(()),
            },
            _ = tick.tick() => poll(state, &mut watches, |_| true).await?,
        };
        for line in out {
            if socket.send(Message::Text(line.into())).await.is_err() {
                return Ok(());
            }
        }
    }
}

/// Handles one browser message; returns the lines to send back.
async fn command(
    state: &SharedState,
    watches: &mut Vec<Watch>,
    text: &str,
) -> StoreResult<Vec<String>> {
    let Some((command, hsid, server)) = parse(text) else {
        return Ok(Vec::new());
    };
    let now = clock::now();
    match command {
        Command::Register => {
            let known = watches
                .iter()
                .position(|w| w.server == server && w.session == hsid);
            if known.is_none() && watches.len() >= MAX_SESSIONS {
                return Ok(Vec::new());
            }
            let row = sessions::get(&state.db, &server, &hsid).await?;
            let version = row.as_ref().map_or(-1, |r| r.version);
            match known {
                Some(i) => watches[i].version = version,
                None => watches.push(Watch {
                    server,
                    session: hsid,
                    version,
                }),
            }
            tracing::debug!(sessions = watches.len(), "browser REGISTER");
            let logged_in = row
                .as_ref()
                .is_some_and(|r| r.state == SessionState::LoggedIn);
            let mut out = vec![line(
                if logged_in { "LOGIN" } else { "LOGOUT" },
                &hsid,
                &server,
            )];
            if let Some(row) = &row {
                if codes::can_provoke(state, row).await? {
                    out.push(line("CANPROVOKE", &hsid, &server));
                }
            }
            Ok(out)
        }
        Command::Provoke => {
            if let Some(row) = servers::get(&state.db, &server).await? {
                if let Err(err) = codes::provoke_session(state, &row, &hsid, now).await {
                    tracing::debug!(%err, "browser PROVOKE refused");
                }
            }
            Ok(Vec::new())
        }
        Command::Logout => {
            codes::logout_session(state, &server, &hsid, now).await?;
            Ok(Vec::new())
        }
    }
}

/// Re-reads the watched sessions that `which` selects; returns the events of those that changed.
async fn poll(
    state: &SharedState,
    watches: &mut [Watch],
    which: impl Fn(&Watch) -> bool,
) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for watch in watches.iter_mut().filter(|w| which(w)) {
        let Some(row) = sessions::get(&state.db, &watch.server, &watch.session).await? else {
            continue;
        };
        if row.version <= watch.version {
            continue;
        }
        watch.version = row.version;
        out.extend(events(state, &row).await?);
    }
    Ok(out)
}

/// What browsers are told about a session whose version changed.
async fn events(state: &SharedState, row: &SessionRow) -> StoreResult<Vec<String>> {
    let (hsid, server) = (&row.session_ref, &row.server_id);
    Ok(match row.event.as_str() {
        e @ ("CONFIRMSCAN" | "CONFIRMPROVOKE" | "LOGIN" | "CANCEL" | "NOACCOUNTS") => {
            vec![line(e, hsid, server)]
        }
        "LOGOUT" => {
            let mut out = vec![line("LOGOUT", hsid, server)];
            if codes::can_provoke(state, row).await? {
                out.push(line("CANPROVOKE", hsid, server));
            }
            out
        }
        _ => Vec::new(),
    })
}

fn line(kind: &str, hsid: &SessionRef, server: &ServerId) -> String {
    format!("{kind} {} {}", hsid.to_base64(), server.to_base64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_commands_and_nothing_else() {
        let hsid = SessionRef([1; 16]);
        let server = ServerId([2; 16]);
        let text = format!("REGISTER {} {}", hsid.to_base64(), server.to_base64());
        assert_eq!(parse(&text), Some((Command::Register, hsid, server)));
        let text = format!("PROVOKE {} {}", hsid.to_base64(), server.to_base64());
        assert_eq!(parse(&text).map(|p| p.0), Some(Command::Provoke));
        assert!(parse("LOGIN a b").is_none());
        assert!(parse("REGISTER x").is_none());
        assert!(parse(&format!(
            "LOGOUT {} {} extra",
            hsid.to_base64(),
            server.to_base64()
        ))
        .is_none());
    }
}
