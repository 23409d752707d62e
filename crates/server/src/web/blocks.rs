//! The drop-in HTML of `sessions/html/{login,enrol,footer}`: a `div.nextauth-block` with the
//! code as an inline PNG, and a footer (CSS + JS) that follows the sessions over `/ws`.
//!
//! The demo site renders the same blocks in-process through [`login_block`], [`enrol_block`]
//! and [`footer`].

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use base64::engine::general_purpose::{STANDARD, URL_SAFE, URL_SAFE_NO_PAD};
use base64::Engine;
use maud::{html, Markup, PreEscaped};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::qr::QrPayload;
use serde::Deserialize;

use super::qr_api::{code_error, enrol_grant, query, CodeQuery};
use super::{app_name, authorize, qr_png, user_context, SessionsRequest};
use crate::api::auth::Nonce;
use crate::api::error::ApiError;
use crate::clock;
use crate::codes;
use crate::state::SharedState;
use crate::store::enrol_codes::EnrolGrant;
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionRow, SessionState};
use crate::store::{StoreError, StoreResult};
use crate::user_context::UserContext;

/// Side of the QR image inside a block (pixels; shown at 240 CSS pixels).
pub const BLOCK_QR_PX: u32 = 300;
/// The app-to-app URI scheme of the nextauth-rs apps (the SDK's default), used for the code
/// as text when the server has no `appurl`.
pub const DEFAULT_SCHEME: &str = "nextauth";
/// The server flag (`serverFlags`) that puts the link form of a code in its QR images instead of
/// its bytes: text, which phone camera apps open as a link and text-only scanners return whole
/// (docs/mobile.md, "How a phone scans our codes").
pub const LINK_CODES_FLAG: &str = "LINK_CODES";
/// Most sessions one footer (and one browser WebSocket) follows.
pub const MAX_WATCHED: usize = 16;
/// Side of one of the visual hash's 8×8 cells in the enrol block: 128 px in all, as in the app.
pub const VASH_CELL_PX: u32 = 16;
/// How long a page waits for the app to pick up a push login before saying it did not.
pub const PUSH_WAIT_MS: u64 = 30_000;
/// How long a page waits for the outcome of a scanned code: the app endpoint's decision time
/// and then its PIN question's (180 s each), and a margin. The server sends `TIMEOUT` itself;
/// this covers a server that went away.
pub const DECIDE_WAIT_MS: u64 = 370_000;

const BLOCK_CSS: &str = include_str!("block.css");
const FOOTER_JS: &str = include_str!("footer.js");

/// What a block shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Login,
    Enrol,
}

/// The login block for the session of `nonce` (created if new).
pub async fn login_block(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    context: Option<&UserContext>,
    now: u64,
) -> StoreResult<Markup> {
    let payload = codes::login_code(state, server, nonce, context, now).await?;
    let session = codes::session_for_nonce(state, server, nonce, None, now).await?;
    let provokable = codes::can_provoke(state, &session).await?;
    render(server, &session, &payload, Kind::Login, provokable)
}

/// The enrol block with a new one-time enrol code for the session of `nonce`.
pub async fn enrol_block(
    state: &SharedState,
    server: &ServerRow,
    nonce: &str,
    grant: EnrolGrant,
    now: u64,
) -> StoreResult<Markup> {
    let payload = codes::enrol_code(state, server, nonce, grant, now).await?;
    let session = codes::session_for_nonce(state, server, nonce, None, now).await?;
    render(server, &session, &payload, Kind::Enrol, false)
}

fn render(
    server: &ServerRow,
    session: &SessionRow,
    payload: &QrPayload,
    kind: Kind,
    provokable: bool,
) -> StoreResult<Markup> {
    let app = app_name(server);
    let bytes = image_content(server, payload)?;
    let png = qr_png::png(&bytes, BLOCK_QR_PX).map_err(|_| StoreError::Corrupt("qr code"))?;
    let (class, command, title, alt, hint) = match kind {
        Kind::Login => (
            "nextauth-login",
            "login",
            format!("Log in with {app}"),
            format!("QR code to log in with the {app} app"),
            format!("Open the {app} app and scan this code."),
        ),
        Kind::Enrol => (
            "nextauth-enrol",
            "enrol",
            format!("Add this account to {app}"),
            format!("QR code to add an account to the {app} app"),
            format!(
                "Open the {app} app and scan this code. It works once and expires in {} minutes.",
                codes::ENROL_TTL_SECS / 60
            ),
        ),
    };
    // An enrol code works for a limited time: the footer says when it expired.
    let ttl = (kind == Kind::Enrol).then_some(codes::ENROL_TTL_SECS);
    // Number matching: the app asks for this number; the socket updates it (a push login gets
    // a new one).
    let number = session
        .match_number
        .as_deref()
        .filter(|_| sessions::SCANNABLE.contains(&session.state));
    let link = app_link(server, payload);
    let text = link
        .clone()
        .or_else(|| payload.to_app_uri(DEFAULT_SCHEME).ok());
    // As large as the app shows it (128 px), so the two can be compared at a glance.
    let vash = match payload {
        QrPayload::Enrol(code) => Some(nextauth_protocol::vash::png(
            &code.params_hash,
            VASH_CELL_PX,
        )),
        _ => None,
    };
    // The status line comes right under the title, where the person looks while the code is
    // scanned (under the code and its text it went unseen).
    let block = html! {
        div class={ "nextauth-block " (class) } data-nextauth-hsid=(session.session_ref.to_base64())
            data-nextauth-server=(server.server_id.to_base64()) data-nextauth-state="idle"
            data-nextauth-ttl=[ttl] {
            "\n"
            p class="nextauth-title" { (title) } "\n"
            p class="nextauth-status" role="status" aria-live="polite" data-nextauth-status {} "\n"
            @if kind == Kind::Login {
                p class="nextauth-number" data-nextauth-number-box hidden[number.is_none()] {
                    "Your app will ask for this number: "
                    strong data-nextauth-number { (number.unwrap_or_default()) }
                } "\n"
                button type="button" class="nextauth-button nextauth-push" data-nextauth-provoke
                    hidden[!provokable] { "Send a login request to my app" } "\n"
                p class="nextauth-or" data-nextauth-provoke hidden[!provokable] {
                    "or scan the code"
                } "\n"
            }
            @if let Some(link) = &link {
                a class="nextauth-button nextauth-app" href=(link) data-nextauth-mobile hidden {
                    "Open the " (app) " app"
                } "\n"
            }
            figure class="nextauth-qr" {
                img src={ "data:image/png;base64," (STANDARD.encode(png)) } width="240"
                    height="240" alt=(alt);
                span class="nextauth-spinner" aria-hidden="true" {}
            } "\n"
            p class="nextauth-hint" { (hint) } "\n"
            @if let Some(text) = &text {
                details class="nextauth-copy" {
                    summary { "Can't scan? Use the code as text" }
                    input type="text" readonly value=(text) aria-label="The code as text"
                        spellcheck="false";
                    p {
                        "Paste it into the " (app) " app, or run "
                        code { "nextauth " (command) " '…'" } " on the command line."
                    }
                } "\n"
            }
            @if let Some(vash) = &vash {
                figure class="nextauth-vash" {
                    img src={ "data:image/png;base64," (STANDARD.encode(vash)) } alt=""
                        width="128" height="128";
                    figcaption {
                        "The app shows this picture for " (server.settings.profile.name)
                        ": check that it is the same before you confirm."
                    }
                } "\n"
            }
        } "\n"
    };
    Ok(block)
}

/// What a QR image of `payload` holds: the payload's bytes, or its link form as text when the
/// server has the [`LINK_CODES_FLAG`] (its `appurl` deep link, else a `nextauth:` URI).
pub fn image_content(server: &ServerRow, payload: &QrPayload) -> StoreResult<Vec<u8>> {
    let links = server
        .settings
        .profile
        .flags
        .iter()
        .any(|f| f.eq_ignore_ascii_case(LINK_CODES_FLAG));
    if links {
        let link = match app_link(server, payload) {
            Some(link) => link,
            None => payload.to_app_uri(DEFAULT_SCHEME)?,
        };
        return Ok(link.into_bytes());
    }
    Ok(payload.encode()?)
}

/// The app-to-app link for mobile browsers: a deep link when `appurl` is an `https://` prefix,
/// otherwise `appurl` is a URI scheme (`scheme` or `scheme:`).
fn app_link(server: &ServerRow, payload: &QrPayload) -> Option<String> {
    let url = server.settings.appurl.trim();
    if url.is_empty() {
        None
    } else if url.starts_with("https://") {
        payload.to_deep_link(url).ok()
    } else {
        payload
            .to_app_uri(url.trim_end_matches("//").trim_end_matches(':'))
            .ok()
    }
}

/// The WebSocket URL browsers connect to: the public URL with a WebSocket scheme and `/ws`.
pub fn ws_url(state: &SharedState) -> String {
    let base = state.config.public_url();
    match base.strip_prefix("https://") {
        Some(rest) => format!("wss://{rest}/ws"),
        None => format!("ws://{}/ws", base.trim_start_matches("http://")),
    }
}

/// A session a footer follows, with the state the page was rendered in (the page reloads when
/// a later `LOGIN` or `LOGOUT` contradicts it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watched {
    /// Server.
    pub server_id: ServerId,
    /// The session (hsid).
    pub session_ref: SessionRef,
    /// Whether it was logged in when the page was made.
    pub logged_in: bool,
}

impl Watched {
    /// The session as it stands in `row`.
    pub fn of(row: &SessionRow) -> Self {
        Self {
            server_id: row.server_id,
            session_ref: row.session_ref,
            logged_in: row.state == SessionState::LoggedIn,
        }
    }
}

/// The footer (CSS and JS) following `sessions` of `server`'s app: it registers each session
/// on `/ws`, shows scan progress in the blocks, reloads the page when a session logs in or out
/// and sends `PROVOKE` from the push button.
pub fn footer(state: &SharedState, server: &ServerRow, sessions: &[Watched]) -> Markup {
    let app = app_name(server);
    let config = serde_json::json!({
        "ws": ws_url(state),
        "sessions": sessions.iter().take(MAX_WATCHED).map(|s| serde_json::json!({
            "hsid": s.session_ref.to_base64(),
            "server": s.server_id.to_base64(),
            "loggedin": s.logged_in,
            // The page's secret for `LOGOUT` on /ws: never in a code, so knowing the session
            // reference is not enough to log someone out.
            "logout": super::browser_ws::logout_token(state, &s.server_id, &s.session_ref),
        })).collect::<Vec<_>>(),
        "text": {
            "scanned": format!("Code scanned. Confirm in the {app} app…"),
            "provoked": format!("Request received. Confirm in the {app} app…"),
            "pushed": format!("Login request sent. Approve it in the {app} app."),
            "cancelled": format!("Refused in the {app} app. Scan the code to try again."),
            "noaccounts": format!("The {app} app has no account for this site yet. Sign up first."),
            "offline": "Not connected yet. Try again in a moment.",
            "timeout": format!("The {app} app did not answer in time. Scan the code to try again."),
            "expired": "This code has expired. Reload the page for a new one.",
            "error": format!("That did not work: the {app} app could not finish. Scan the code to try again."),
            "nopush": {
                "none": "The login request could not be sent. Scan the code instead.",
                "rate": "Too many login requests. Wait a minute, or scan the code.",
                "paused": format!("Login requests to this account are paused: its owner reported one they did not start. Scan the code with the {app} app."),
                "held": format!("Login requests are held back after several went unanswered. Scan the code with the {app} app to log in."),
            },
            "unanswered": format!("Your {app} app did not answer. Is it running? Scan the code instead."),
        },
        "pushWaitMs": PUSH_WAIT_MS,
        "decideWaitMs": DECIDE_WAIT_MS,
    });
    html! {
        style { "\n" (PreEscaped(BLOCK_CSS)) } "\n"
        script type="application/json" id="nextauth-config" { (PreEscaped(script_json(&config))) } "\n"
        script { "\n" (PreEscaped(FOOTER_JS)) } "\n"
    }
}

/// JSON that is safe inside a `<script>` element.
fn script_json(value: &serde_json::Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn html_response(html: Markup) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        Html(html.into_string()),
    )
        .into_response()
}

/// `GET .../sessions/html/login`: the login block of the `X-nonce` session (body: optional
/// `UserContext`).
pub async fn html_login(
    State(state): State<SharedState>,
    request: SessionsRequest,
    body: Bytes,
) -> Result<Response, ApiError> {
    let (server, nonce) = request.server_and_nonce(&state).await?;
    let context = user_context(&body)?;
    let html = login_block(&state, &server, &nonce, context.as_ref(), clock::now())
        .await
        .map_err(code_error)?;
    Ok(html_response(html))
}

/// `GET .../sessions/html/enrol?name=&userid=`: the enrol block; `name` defaults to `userid`,
/// then to the server's name.
pub async fn html_enrol(
    State(state): State<SharedState>,
    request: SessionsRequest,
    q: Result<Query<CodeQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let (server, nonce) = request.server_and_nonce(&state).await?;
    let mut q = query(q)?;
    if q.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        q.name = Some(
            q.userid
                .clone()
                .unwrap_or_else(|| server.settings.profile.name.clone()),
        );
    }
    let grant = enrol_grant(&q)?;
    let html = enrol_block(&state, &server, &nonce, grant, clock::now())
        .await
        .map_err(code_error)?;
    Ok(html_response(html))
}

/// `HtmlFooterBody`: more sessions to follow.
#[derive(Debug, Default, Deserialize)]
pub struct HtmlFooterBody {
    /// The sessions.
    #[serde(default)]
    pub sessions: Vec<ServerSession>,
}

/// `ServerSession`: a server and the base64 of a session's nonce.
#[derive(Debug, Deserialize)]
pub struct ServerSession {
    /// Base64 server id.
    pub serverid: String,
    /// Base64 of the nonce (the bytes that `X-nonce` would carry).
    pub sessionid: String,
}

/// `GET .../sessions/html/footer`: the footer following the `X-nonce` session and the body's
/// sessions (at least one of the two; at most [`MAX_WATCHED`] in all).
pub async fn html_footer(
    State(state): State<SharedState>,
    request: SessionsRequest,
    body: Bytes,
) -> Result<Response, ApiError> {
    let server = request.server(&state).await?;
    let extra: HtmlFooterBody = if body.iter().all(u8::is_ascii_whitespace) {
        HtmlFooterBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|_| ApiError::BadRequest("body is not an HtmlFooterBody JSON object"))?
    };
    let now = clock::now();
    let mut watched = Vec::new();
    match request.nonce {
        Ok(Nonce(nonce)) => {
            let row = codes::session_for_nonce(&state, &server, &nonce, None, now).await?;
            watched.push(Watched::of(&row));
        }
        Err(err) if extra.sessions.is_empty() => return Err(err),
        Err(_) => {}
    }
    if watched.len() + extra.sessions.len() > MAX_WATCHED {
        return Err(ApiError::BadRequest("at most 16 sessions per footer"));
    }
    for s in &extra.sessions {
        let other = authorize(&state, &request.caller, &s.serverid, "sessions").await?;
        let nonce = decode_nonce(&s.sessionid)
            .ok_or(ApiError::BadRequest("sessionid must be a base64 nonce"))?;
        let session_ref = SessionRef::derive(&other.server_id, &nonce);
        let row = sessions::ensure(&state.db, &other.server_id, &session_ref, now).await?;
        watched.push(Watched::of(&row));
    }
    Ok(html_response(footer(&state, &server, &watched)))
}

/// Base64 (either alphabet, padding optional) of a nonce of 1 to 1024 bytes.
fn decode_nonce(text: &str) -> Option<Vec<u8>> {
    let text = text.trim();
    let bytes = URL_SAFE_NO_PAD
        .decode(text.trim_end_matches('='))
        .or_else(|_| URL_SAFE.decode(text))
        .or_else(|_| STANDARD.decode(text))
        .ok()?;
    (!bytes.is_empty() && bytes.len() <= 1024).then_some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script() {
        let v = serde_json::json!({"x": "</script><b>&"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&s).expect("json");
        assert_eq!(back, v);
    }

    #[test]
    fn nonces_decode_from_either_alphabet() {
        assert_eq!(decode_nonce("aGk").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_nonce("aGk=").as_deref(), Some(&b"hi"[..]));
        assert_eq!(decode_nonce("-_8").as_deref(), Some(&[0xfb, 0xff][..]));
        assert_eq!(decode_nonce("+/8=").as_deref(), Some(&[0xfb, 0xff][..]));
        assert!(decode_nonce("").is_none());
        assert!(decode_nonce("!!").is_none());
    }
}
