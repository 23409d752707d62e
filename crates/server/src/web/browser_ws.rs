//! The browser WebSocket at `GET /ws`: text messages `{Type} {HSID} {ServerID}`.
//!
//! Browser to server: `REGISTER` (follow a session; answered at once with `LOGIN` or `LOGOUT`
//! and, when a push login is possible, `CANPROVOKE`), `PROVOKE` (push login to the account that
//! last logged into the session) and `LOGOUT {HSID} {ServerID} {token}`, where the token is the
//! page's secret from its footer ([`logout_token`]): the session reference alone, which every
//! login code shows, does not log anyone out. Server to browser: `CONFIRMSCAN`, `LOGIN`,
//! `LOGOUT`, `CANPROVOKE`, `CONFIRMPROVOKE`, `CANCEL`, `NOACCOUNTS`, `TIMEOUT`, `EXPIRED` and
//! `ERROR`, as the session's event changes; `NUMBER {HSID} {ServerID} {digits}` while the app
//! will ask for a number (number matching); `NOPUSH {HSID} {ServerID} {reason}` to the socket
//! whose `PROVOKE` sent nothing (`rate`, `paused`, `held`, or `none`: no account to push to).
//!
//! The first socket that registers a session is what the server observed of its browser: its
//! address (X-Forwarded-For only from trusted proxies) and user agent, shown in the app's
//! prompt apart from anything the website says.
//!
//! Each socket runs one loop: it re-reads its sessions when the process's [`WatchHub`] wakes it
//! (a change announced in this process at once, one made by another server process sharing the
//! database within [`POLL_INTERVAL`]). A socket follows at most [`MAX_SESSIONS`] sessions and
//! accepts messages of at most [`MAX_MESSAGE`] bytes.

use std::fmt;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};

use crate::app_endpoint::SOCKET_READ_BUFFER;
use axum::extract::State;
use axum::http::{header, HeaderMap};
use axum::response::Response;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use nextauth_protocol::ids::{ServerId, SessionRef};
use tracing::Instrument;

use crate::clock;
use crate::codes::{self, ProvokeError, SessionProvokeError};
use crate::limits::BrowserSocket;
use crate::state::SharedState;
use crate::store::servers;
use crate::store::sessions::{self, SessionEvent, SessionRow, SessionState};
use crate::store::StoreResult;
pub use crate::web::watch_hub::POLL_INTERVAL;
use crate::web::watch_hub::{Subscription, WatchHub};
/// Most sessions one socket follows; further `REGISTER`s are ignored.
pub const MAX_SESSIONS: usize = 16;
/// Largest message a browser may send (bytes).
pub const MAX_MESSAGE: usize = 256;

/// `GET /ws`: upgrades to the browser WebSocket, once the client's socket is admitted
/// ([`BrowserSocket`]: refused with 429 before the upgrade).
pub async fn ws(
    State(state): State<SharedState>,
    admitted: BrowserSocket,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let browser = Browser {
        ip: admitted.0.client(),
        words: crate::login_checks::observed::browser_words(user_agent),
    };
    let span = crate::trace::browser_socket();
    upgrade
        .max_message_size(MAX_MESSAGE)
        .max_frame_size(MAX_MESSAGE)
        // Lines are short: a small read buffer instead of the 128 KiB default keeps thousands
        // of open pages cheap (docs/benchmarks.md, "Cluster").
        .read_buffer_size(SOCKET_READ_BUFFER)
        .on_upgrade(move |socket| {
            async move {
                // Counted as open until the socket ends.
                let _admitted = admitted;
                tracing::debug!("browser WebSocket opened");
                if let Err(err) = run(&state, socket, &browser).await {
                    tracing::warn!(%err, "browser WebSocket failed on storage");
                }
                tracing::debug!("browser WebSocket closed");
            }
            .instrument(span)
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

/// Parses `{Type} {HSID} {ServerID}`, and for `LOGOUT` the page's token after them (it comes
/// back as the fourth value); `None` for anything else.
pub fn parse(text: &str) -> Option<(Command, SessionRef, ServerId, Option<&str>)> {
    let mut parts = text.split_ascii_whitespace();
    let command = match parts.next()? {
        "REGISTER" => Command::Register,
        "PROVOKE" => Command::Provoke,
        "LOGOUT" => Command::Logout,
        _ => return None,
    };
    let hsid = SessionRef::from_base64(parts.next()?).ok()?;
    let server = ServerId::from_base64(parts.next()?).ok()?;
    let token = match command {
        Command::Logout => Some(parts.next()?),
        _ => None,
    };
    parts
        .next()
        .is_none()
        .then_some((command, hsid, server, token))
}

/// The secret a page needs to send `LOGOUT` for a session: a tag of the server key over the
/// session, handed out only with the page's footer (never in a code).
pub fn logout_token(state: &SharedState, server: &ServerId, session: &SessionRef) -> String {
    let tag = state.master.tag("browser logout", &[&server.0, &session.0]);
    URL_SAFE_NO_PAD.encode(&tag[..16])
}

fn logout_token_matches(
    state: &SharedState,
    server: &ServerId,
    session: &SessionRef,
    token: &str,
) -> bool {
    let expected = logout_token(state, server, session);
    // Constant time: the comparison does not tell how much of a guess was right.
    expected.len() == token.len()
        && expected
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The browser at the other end, as this server sees it.
struct Browser {
    ip: std::net::IpAddr,
    words: String,
}

/// A followed session and the version last reported.
struct Watch {
    server: ServerId,
    session: SessionRef,
    version: i64,
    /// The number last shown (`NUMBER` goes out when it changes).
    number: Option<String>,
}

async fn run(state: &SharedState, mut socket: WebSocket, browser: &Browser) -> StoreResult<()> {
    let mut subscription = WatchHub::subscribe(state);
    let mut watches: Vec<Watch> = Vec::new();
    let mut open = state.lifecycle.open_connection();
    loop {
        let out = tokio::select! {
            () = open.going_away() => {
                // The process shuts down: the page reconnects (through the balancer).
                let frame = crate::readiness::going_away_frame();
                let _ = socket.send(Message::Close(Some(frame))).await;
                return Ok(());
            }
            message = socket.recv() => match message {
                Some(Ok(Message::Text(text))) => {
                    command(state, browser, &mut watches, &mut subscription, text.as_str()).await?
                }
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return Ok(()),
                Some(Ok(_)) => Vec::new(),
            },
            () = subscription.changed() => poll(state, &mut watches).await?,
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
    browser: &Browser,
    watches: &mut Vec<Watch>,
    subscription: &mut Subscription,
    text: &str,
) -> StoreResult<Vec<String>> {
    let Some((command, hsid, server, token)) = parse(text) else {
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
            let i = match known {
                Some(i) => i,
                None => {
                    watches.push(Watch {
                        server,
                        session: hsid,
                        version,
                        number: None,
                    });
                    watches.len() - 1
                }
            };
            watches[i].version = version;
            watches[i].number = None;
            subscription.follow(server, hsid, version);
            tracing::debug!(
                flow = %crate::trace::flow_id(&server, &hsid),
                sessions = watches.len(),
                "browser REGISTER"
            );
            let logged_in = row
                .as_ref()
                .is_some_and(|r| r.state == SessionState::LoggedIn);
            let now_in = if logged_in {
                SessionEvent::Login
            } else {
                SessionEvent::Logout
            };
            let mut out = vec![line(Told::Event(now_in), &hsid, &server)];
            if let Some(row) = &row {
                if row.observed_at == 0 {
                    let ip = browser.ip.to_string();
                    sessions::record_observed(&state.db, &server, &hsid, &ip, &browser.words, now)
                        .await?;
                }
                if codes::can_provoke(state, row).await? {
                    out.push(line(Told::CanProvoke, &hsid, &server));
                }
                out.extend(number_line(&mut watches[i], row));
            }
            Ok(out)
        }
        Command::Provoke => {
            let Some(row) = servers::get(&state.db, &server).await? else {
                return Ok(vec![format!("{} none", line(Told::NoPush, &hsid, &server))]);
            };
            if state.limits.admit_provoke(browser.ip).is_err() {
                return Ok(vec![format!("{} rate", line(Told::NoPush, &hsid, &server))]);
            }
            // Only this page asked, so only this socket hears that nothing was sent.
            let reason = match codes::provoke_session(state, &row, &hsid, now).await {
                Ok(_) => return Ok(Vec::new()),
                // An earlier request is still on its way: the page keeps waiting for it.
                Err(SessionProvokeError::TooSoon) => return Ok(Vec::new()),
                Err(SessionProvokeError::Provoke(ProvokeError::TooMany { .. })) => "rate",
                Err(SessionProvokeError::Provoke(ProvokeError::Paused { .. })) => "paused",
                Err(SessionProvokeError::Provoke(ProvokeError::Held)) => "held",
                Err(SessionProvokeError::Provoke(ProvokeError::Store(err))) => return Err(err),
                Err(err) => {
                    tracing::debug!(%err, "browser PROVOKE refused");
                    "none"
                }
            };
            Ok(vec![format!(
                "{} {reason}",
                line(Told::NoPush, &hsid, &server)
            )])
        }
        Command::Logout => {
            if token.is_some_and(|t| logout_token_matches(state, &server, &hsid, t)) {
                codes::logout_session(state, &server, &hsid, now).await?;
            } else {
                tracing::info!("browser LOGOUT without the page's token refused");
            }
            Ok(Vec::new())
        }
    }
}

/// Re-reads the watched sessions; returns the events of those that changed.
async fn poll(state: &SharedState, watches: &mut [Watch]) -> StoreResult<Vec<String>> {
    let mut out = Vec::new();
    for watch in watches.iter_mut() {
        let Some(row) = sessions::get(&state.db, &watch.server, &watch.session).await? else {
            continue;
        };
        if row.version <= watch.version {
            continue;
        }
        watch.version = row.version;
        out.extend(events(state, &row).await?);
        out.extend(number_line(watch, &row));
    }
    Ok(out)
}

/// What browsers are told about a session whose version changed.
async fn events(state: &SharedState, row: &SessionRow) -> StoreResult<Vec<String>> {
    let (hsid, server) = (&row.session_ref, &row.server_id);
    tracing::debug!(
        flow = %crate::trace::flow_id(server, hsid),
        event = %row.event,
        "browser told"
    );
    Ok(match row.event {
        SessionEvent::None | SessionEvent::Provoke => Vec::new(),
        SessionEvent::Logout => {
            let mut out = vec![line(Told::Event(SessionEvent::Logout), hsid, server)];
            if codes::can_provoke(state, row).await? {
                out.push(line(Told::CanProvoke, hsid, server));
            }
            out
        }
        event => vec![line(Told::Event(event), hsid, server)],
    })
}

/// `NUMBER …` when the session waits for a login that asks for a number the browser was not
/// told yet.
fn number_line(watch: &mut Watch, row: &SessionRow) -> Option<String> {
    let shown = row
        .match_number
        .clone()
        .filter(|_| sessions::SCANNABLE.contains(&row.state));
    if shown == watch.number {
        return None;
    }
    watch.number = shown;
    let number = watch.number.as_deref()?;
    Some(format!(
        "{} {number}",
        line(Told::Number, &row.session_ref, &row.server_id)
    ))
}

/// What a line to a browser says: a session's event, or one of the words only sockets get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Told {
    /// The session's event (`LOGIN`, `LOGOUT`, `CONFIRMSCAN`…).
    Event(SessionEvent),
    /// A push login to the session is possible.
    CanProvoke,
    /// The number the app will ask for follows.
    Number,
    /// The socket's `PROVOKE` sent nothing; the reason follows.
    NoPush,
}

impl fmt::Display for Told {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Event(event) => event.as_str(),
            Self::CanProvoke => "CANPROVOKE",
            Self::Number => "NUMBER",
            Self::NoPush => "NOPUSH",
        })
    }
}

fn line(told: Told, hsid: &SessionRef, server: &ServerId) -> String {
    format!("{told} {} {}", hsid.to_base64(), server.to_base64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_three_commands_and_nothing_else() {
        let hsid = SessionRef([1; 16]);
        let server = ServerId([2; 16]);
        let text = format!("REGISTER {} {}", hsid.to_base64(), server.to_base64());
        assert_eq!(parse(&text), Some((Command::Register, hsid, server, None)));
        let text = format!("PROVOKE {} {}", hsid.to_base64(), server.to_base64());
        assert_eq!(parse(&text).map(|p| p.0), Some(Command::Provoke));
        assert!(parse("LOGIN a b").is_none());
        assert!(parse("REGISTER x").is_none());
        let (h, s) = (hsid.to_base64(), server.to_base64());
        assert_eq!(
            parse(&format!("LOGOUT {h} {s} token")),
            Some((Command::Logout, hsid, server, Some("token")))
        );
        assert!(parse(&format!("LOGOUT {h} {s}")).is_none(), "no token");
        assert!(parse(&format!("LOGOUT {h} {s} token extra")).is_none());
        assert!(parse(&format!("REGISTER {h} {s} extra")).is_none());
    }
}
