//! The Acme demo site: what a person sees first. It is an integrator of this very server and
//! calls the domain functions in-process (no HTTP to itself), with the demo server of
//! `demo.json`.
//!
//! The site keeps its own cookie (`acme_sid`: a random nonce, HttpOnly, SameSite=Lax); that
//! nonce is the session identifier it hands to nextauth, so the person is logged in exactly
//! when that session is.

mod account;
mod pages;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use maud::{html, Markup, PreEscaped};
use nextauth_protocol::ids::{ServerId, SessionRef};

use super::blocks::Watched;
use crate::bootstrap::DemoInfo;
use crate::keys::MasterKey;
use crate::state::{Change, SharedState};
use crate::store::accounts::{self, AccountRow};
use crate::store::servers::{self, ServerRow};
use crate::store::sessions::{self, SessionRow, SessionState};
use crate::store::StoreError;

/// The demo site's cookie.
pub const COOKIE: &str = "acme_sid";
const COOKIE_MAX_AGE_SECS: u64 = 30 * 24 * 3600;
const STYLE: &str = include_str!("style.css");

/// The demo site's routes.
pub fn routes() -> Router<SharedState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/signup", get(pages::signup))
        .route("/login", get(pages::login))
        .route("/logout", get(pages::logout_page).post(pages::logout))
        .route("/account", get(account::page))
        .route("/account/transfer", post(account::transfer))
        .route("/account/transfer/{tid}", get(account::status))
        .route("/acme-logo.png", get(logo))
}

async fn logo() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        crate::demo_assets::ACME_LOGO_PNG,
    )
        .into_response()
}

/// One page view: the visitor's nonce (from the cookie, or new) and what it is logged into.
pub(crate) struct Visit {
    /// The session nonce (the cookie's value).
    pub nonce: String,
    /// Whether the cookie must be set on the answer.
    pub fresh: bool,
    /// The demo server.
    pub server: ServerRow,
    /// The session, if nextauth knows it yet.
    pub session: Option<SessionRow>,
    /// The logged-in account.
    pub account: Option<AccountRow>,
}

/// What went wrong while serving a page (details go to the log only).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PageError {
    /// `demo.json` is missing or names no server.
    #[error("the demo server is not set up")]
    NoDemo,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        tracing::error!(err = %self, "demo page failed");
        let body = html! {
            div class="card narrow" {
                h1 { "Something went wrong" }
                p { "The demo site could not answer. Try again in a moment." }
                p { a class="button" href="/" { "Back to the home page" } }
            }
        };
        let page = layout("Something went wrong", false, body, html! {});
        (StatusCode::INTERNAL_SERVER_ERROR, Html(page.into_string())).into_response()
    }
}

impl Visit {
    /// Reads the cookie and the session behind it. A session that just logged in moves to a
    /// new nonce (and cookie), so a nonce known before the login is worth nothing.
    pub async fn load(state: &SharedState, headers: &HeaderMap) -> Result<Self, PageError> {
        let server = demo_server(state).await?;
        let (mut nonce, mut fresh) = match cookie(&state.master, headers) {
            Some(nonce) => (nonce, false),
            None => (new_nonce(state)?, true),
        };
        let id = server.server_id;
        let mut session = sessions::get(&state.db, &id, &session_ref(&id, &nonce)).await?;
        if let Some(row) = session
            .as_ref()
            .filter(|s| s.state == SessionState::LoggedIn && s.previous_ref.is_none())
        {
            let next = new_nonce(state)?;
            let (from, to) = (row.session_ref, session_ref(&id, &next));
            if sessions::rekey(&state.db, &id, &from, &to, crate::clock::now()).await? {
                state.notify(Change::Session(id, from));
                state.notify(Change::Session(id, to));
                (nonce, fresh) = (next, true);
                session = sessions::get(&state.db, &id, &to).await?;
            }
        }
        let account = match session
            .as_ref()
            .filter(|s| s.state == SessionState::LoggedIn)
            .and_then(|s| s.account_id)
        {
            Some(id) => accounts::get(&state.db, &server.server_id, id).await?,
            None => None,
        };
        Ok(Self {
            nonce,
            fresh,
            server,
            session,
            account,
        })
    }

    /// Whether an account is logged into this visitor's session.
    pub fn logged_in(&self) -> bool {
        self.account.is_some()
    }

    /// Logs the visitor out and gives them a new session (and cookie) that remembers the
    /// account, so "Send a login request to my app" works on the next login page.
    pub async fn log_out(&mut self, state: &SharedState) -> Result<(), PageError> {
        let id = self.server.server_id;
        let now = crate::clock::now();
        crate::codes::logout(state, &id, &self.nonce, now).await?;
        let account = self
            .account
            .take()
            .map(|a| a.account_id)
            .or_else(|| self.session.as_ref().and_then(|s| s.last_account_id));
        self.nonce = new_nonce(state)?;
        self.fresh = true;
        let next = session_ref(&id, self.nonce.as_bytes());
        let row = sessions::ensure(&state.db, &id, &next, now).await?;
        if let Some(account) = account {
            sessions::remember_account(&state.db, &id, &next, account).await?;
        }
        self.session = Some(row);
        Ok(())
    }

    /// `response` with the cookie set if it is new.
    pub fn answer(&self, state: &SharedState, response: impl IntoResponse) -> Response {
        let mut response = response.into_response();
        if self.fresh {
            let secure = if state.config.public_url().starts_with("https://") {
                "; Secure"
            } else {
                ""
            };
            let value = format!(
                "{COOKIE}={}.{}; Path=/; Max-Age={COOKIE_MAX_AGE_SECS}; HttpOnly; SameSite=Lax{secure}",
                self.nonce,
                cookie_tag(&state.master, &self.nonce)
            );
            if let Ok(value) = HeaderValue::from_str(&value) {
                response.headers_mut().append(header::SET_COOKIE, value);
            }
        }
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }

    /// A full page with the nextauth footer following this visitor's session.
    pub fn page(&self, state: &SharedState, title: &str, body: Markup) -> Response {
        // The session row is not created here: a page without a code needs none, and /ws
        // follows a session that appears later all the same.
        let watched = Watched {
            server_id: self.server.server_id,
            session_ref: session_ref(&self.server.server_id, &self.nonce),
            logged_in: self.logged_in(),
        };
        let footer = super::blocks::footer(state, &self.server, &[watched]);
        let page = layout(title, self.logged_in(), body, footer);
        self.answer(state, Html(page.into_string()))
    }

    /// A 303 redirect (keeps the cookie).
    pub fn redirect(&self, state: &SharedState, to: &str) -> Response {
        self.answer(state, Redirect::to(to))
    }
}

/// The demo server named in `demo.json`.
async fn demo_server(state: &SharedState) -> Result<ServerRow, PageError> {
    let path = state.config.data_dir.join("demo.json");
    let info: DemoInfo = std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or(PageError::NoDemo)?;
    let id = ServerId::from_base64(&info.serverid).map_err(|_| PageError::NoDemo)?;
    servers::get(&state.db, &id).await?.ok_or(PageError::NoDemo)
}

/// The session of a nonce.
fn session_ref(server: &ServerId, nonce: impl AsRef<[u8]>) -> SessionRef {
    let session = SessionRef::derive(server, nonce.as_ref());
    crate::trace::record_flow(server, &session);
    session
}

/// The site's tag on a nonce it issued (the cookie is `nonce.tag`).
fn cookie_tag(master: &MasterKey, nonce: &str) -> String {
    URL_SAFE_NO_PAD.encode(&master.tag("acme cookie", &[nonce.as_bytes()])[..16])
}

/// The nonce in the `acme_sid` cookie, only when the site issued it (its tag is right): a
/// nonce chosen by someone else (session fixation) starts a new visit.
fn cookie(master: &MasterKey, headers: &HeaderMap) -> Option<String> {
    let value = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim())?;
    let (nonce, tag) = value.split_once('.')?;
    let expected = cookie_tag(master, nonce);
    let same = expected.len() == tag.len()
        && expected
            .bytes()
            .zip(tag.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    (same && nonce.len() == 43 && URL_SAFE_NO_PAD.decode(nonce).is_ok()).then(|| nonce.to_owned())
}

fn new_nonce(state: &SharedState) -> Result<String, PageError> {
    let bytes: [u8; 32] =
        nextauth_protocol::crypto::random_array(&state.rng).map_err(StoreError::from)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// The page around `body`: header with navigation, main, footer, and `tail` (the nextauth
/// footer) last.
pub(crate) fn layout(title: &str, logged_in: bool, body: Markup, tail: Markup) -> Markup {
    html! {
        (PreEscaped("<!doctype html>\n"))
        html lang="en" {
            "\n"
            head {
                "\n"
                meta charset="utf-8"; "\n"
                meta name="viewport" content="width=device-width, initial-scale=1"; "\n"
                meta name="color-scheme" content="light dark"; "\n"
                title { (title) " · Acme" } "\n"
                link rel="icon" href="/acme-logo.png"; "\n"
                style { "\n" (PreEscaped(STYLE)) } "\n"
            } "\n"
            body {
                "\n"
                a class="skip" href="#main" { "Skip to content" } "\n"
                header class="top" {
                    a class="brand" href="/" {
                        img src="/acme-logo.png" alt="" width="32" height="32";
                        "Acme " small { "demo site" }
                    }
                    nav aria-label="Account" {
                        @if logged_in {
                            a class="button small secondary" href="/account" { "My account" }
                            form method="post" action="/logout" {
                                button class="button small" type="submit" { "Log out" }
                            }
                        } @else {
                            a class="button small secondary" href="/login" { "Log in" }
                            a class="button small" href="/signup" { "Sign up" }
                        }
                    }
                } "\n"
                main id="main" { "\n" (body) "\n" } "\n"
                footer class="site-footer" {
                    "Acme is a demo website of the nextauth-rs reference server "
                    (crate::VERSION) ". It keeps no passwords and moves no real money."
                } "\n"
                (tail)
            } "\n"
        } "\n"
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub(crate) fn utc(ts: u64) -> String {
    let days = (ts / 86_400) as i64;
    let secs = ts % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02} UTC",
        secs / 3600,
        secs % 3600 / 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_formats_known_instants() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_735_689_600 + 3_723), "2025-01-01 01:02 UTC");
    }

    #[test]
    fn cookie_is_read_only_when_the_site_issued_it() {
        let master = MasterKey::from_bytes([3; 32]);
        let nonce = URL_SAFE_NO_PAD.encode([7u8; 32]);
        let with = |value: &str| {
            let mut headers = HeaderMap::new();
            let value = format!("a=b; {COOKIE}={value}");
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&value).expect("header"),
            );
            cookie(&master, &headers)
        };
        let tag = cookie_tag(&master, &nonce);
        assert_eq!(with(&format!("{nonce}.{tag}")), Some(nonce.clone()));
        // A nonce someone else chose (fixation), a forged or missing tag, another site key.
        assert_eq!(with(&nonce), None);
        assert_eq!(with(&format!("{nonce}.AAAAAAAAAAAAAAAAAAAAAA")), None);
        let other = cookie_tag(&MasterKey::from_bytes([4; 32]), &nonce);
        assert_eq!(with(&format!("{nonce}.{other}")), None);
        let short = "short";
        assert_eq!(
            with(&format!("{short}.{}", cookie_tag(&master, short))),
            None
        );
    }

    #[test]
    fn layout_escapes_the_title() {
        let html = layout("<x>", false, html! {}, html! {}).into_string();
        assert!(html.contains("<title>&lt;x&gt; · Acme</title>"));
    }
}
