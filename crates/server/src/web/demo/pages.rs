//! Home, sign-up, login and logout pages.

use std::collections::BTreeMap;

use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use maud::{html, Markup};
use serde::Deserialize;

use super::{PageError, Visit};
use crate::clock;
use crate::state::SharedState;
use crate::store::accounts;
use crate::store::enrol_codes::EnrolGrant;
use crate::user_context::{SessionInfoJson, UserContext};
use crate::web::blocks;

/// The "How to use" card of the home page.
fn how_to() -> Markup {
    html! {
        section class="card" aria-labelledby="how" {
            h2 id="how" { "How to use" }
            ol class="steps" {
                li {
                    "Install and start " strong { "nextAuth" } ", the desktop authenticator app of \
                     nextauth-rs (from the source tree, " code { "scripts/run.sh" } " starts this \
                     server and the app), or use the command-line authenticator "
                    code { "nextauth" } ": give it the code as text (under " em { "Can't scan?" }
                    ") or a screenshot of the QR code, as in " code { "nextauth enrol code.png" } "."
                }
                li {
                    strong { "Sign up:" } " pick a username, then scan the QR code with the app and \
                     choose a PIN. That creates your account on this device; no password is involved."
                }
                li {
                    strong { "Log in:" } " scan the login QR code, or, once you have logged in here \
                     before, press " em { "Send a login request to my app" } " and approve it in the app."
                }
                li {
                    strong { "Approve a transfer" } " from your account page: the app shows what you \
                     approve and signs it."
                }
            }
        }
    }
}

/// `GET /`: what this is, and the way in.
pub(super) async fn home(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    let body = html! {
        section class="card hero" {
            div {
                h1 { "Welcome to Acme" }
                p class="lead" {
                    "Acme is a demo website protected by the " strong { "nextauth-rs" }
                    " authenticator. You sign up and log in by scanning a QR code with the \
                     authenticator app, and you approve transfers in the app. There is no password \
                     to type, steal or forget."
                }
                @if let Some(account) = &visit.account {
                    p class="notice" {
                        "You are logged in as "
                        (account.userid.as_deref().unwrap_or(&account.display_name)) "."
                    }
                    div class="actions" { a class="button" href="/account" { "Go to my account" } }
                } @else {
                    div class="actions" {
                        a class="button" href="/signup" { "Sign up" }
                        a class="button secondary" href="/login" { "Log in" }
                    }
                }
            }
            ul class="points" {
                li { strong { "No passwords" } span { "Your key stays in the app on your device." } }
                li {
                    strong { "Push login" }
                    span { "Next time, approve a request instead of scanning." }
                }
                li {
                    strong { "Signed approvals" }
                    span { "Transfers are confirmed and signed in the app." }
                }
            }
        }
        div class="grid" {
            (how_to())
            section class="card" aria-labelledby="what" {
                h2 id="what" { "What happens behind the scenes" }
                p {
                    "The app holds a key pair for Acme. Each login is a signed handshake between \
                     the app and the nextauth-rs server; this page learns the result over a \
                     WebSocket and reloads by itself."
                }
                p class="muted" {
                    "Acme is an ordinary integrator of the server: it uses the same QR codes, HTML \
                     blocks and events that any website gets from the REST API."
                }
            }
        }
    };
    Ok(visit.page(&state, "Home", body))
}

/// Query of `/signup`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct SignupQuery {
    name: Option<String>,
}

/// Why a username is refused, if it is.
fn username_problem(name: &str) -> Option<&'static str> {
    let len = name.chars().count();
    if !(3..=32).contains(&len) {
        return Some("Choose a username of 3 to 32 characters.");
    }
    if !name
        .chars()
        .all(|c| c.is_alphanumeric() || "._-".contains(c))
    {
        return Some("Use only letters, digits, dots, dashes and underscores.");
    }
    None
}

/// `GET /signup`: the username form; with `?name=`, the enrol QR code for that user.
pub(super) async fn signup(
    State(state): State<SharedState>,
    headers: HeaderMap,
    query: Result<Query<SignupQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    if visit.logged_in() {
        return Ok(visit.redirect(&state, "/account"));
    }
    let name = query
        .ok()
        .and_then(|Query(q)| q.name)
        .map(|n| n.trim().to_owned())
        .unwrap_or_default();
    let mut problem = None;
    if !name.is_empty() {
        problem = username_problem(&name);
        let userid = name.to_lowercase();
        if problem.is_none() {
            let taken = accounts::of_user(&state.db, &visit.server.server_id, &userid)
                .await?
                .iter()
                .any(|a| !a.deleted);
            if taken {
                problem = Some("That username is taken. Pick another one, or log in.");
            }
        }
        if problem.is_none() {
            let grant = EnrolGrant {
                display_name: name.clone(),
                userid: Some(userid),
            };
            let block =
                blocks::enrol_block(&state, &visit.server, &visit.nonce, grant, clock::now())
                    .await?;
            let body = html! {
                div class="narrow" {
                    h1 { "Hello, " (name) }
                    p {
                        "Scan this code with the " (crate::web::app_name(&visit.server))
                        " app to create your Acme account. This page continues by itself once \
                         the app is done."
                    }
                    (block)
                    p class="center" { a href="/signup" { "Choose another username" } }
                }
            };
            return Ok(visit.page(&state, "Sign up", body));
        }
    }
    let described = if problem.is_some() {
        "name-hint name-error"
    } else {
        "name-hint"
    };
    let body = html! {
        div class="narrow" {
            h1 { "Sign up for Acme" }
            p class="lead" { "No password: your account lives in the authenticator app." }
            form class="card" method="get" action="/signup" {
                @if let Some(problem) = problem {
                    p class="error" id="name-error" role="alert" { (problem) }
                }
                div class="field" {
                    label for="name" { "Username" }
                    input type="text" id="name" name="name" value=(name) required minlength="3"
                        maxlength="32" autocomplete="username" autocapitalize="none"
                        spellcheck="false" aria-describedby=(described)
                        aria-invalid=[problem.map(|_| "true")] autofocus;
                    p class="hint" id="name-hint" {
                        "3 to 32 letters, digits, dots, dashes or underscores."
                    }
                }
                button class="button" type="submit" { "Continue" }
            }
            p class="center muted" {
                "Already have an account? " a href="/login" { "Log in" }
            }
        }
    };
    Ok(visit.page(&state, "Sign up", body))
}

/// What the app shows with a login from this site.
fn login_context(headers: &HeaderMap) -> UserContext {
    let useragent = headers
        .get(axum::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|ua| ua.chars().take(200).collect());
    UserContext {
        announceinfo: Some(SessionInfoJson {
            info: BTreeMap::from([("Website".to_owned(), "Acme demo site".to_owned())]),
            ..SessionInfoJson::default()
        }),
        sessioninfo: Some(SessionInfoJson {
            useragent,
            ..SessionInfoJson::default()
        }),
    }
}

/// `GET /login`: the login block (with the push button when possible).
pub(super) async fn login(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    if visit.logged_in() {
        return Ok(visit.redirect(&state, "/account"));
    }
    let context = login_context(&headers);
    let block = blocks::login_block(
        &state,
        &visit.server,
        &visit.nonce,
        Some(&context),
        clock::now(),
    )
    .await?;
    let body = html! {
        div class="narrow" {
            h1 class="center" { "Log in to Acme" }
            (block)
            p class="center muted" { "No account yet? " a href="/signup" { "Sign up" } }
        }
    };
    Ok(visit.page(&state, "Log in", body))
}

/// `GET /logout`: asks before logging out (a link alone must not log anyone out).
pub(super) async fn logout_page(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    if !visit.logged_in() {
        return Ok(visit.redirect(&state, "/"));
    }
    let body = html! {
        div class="narrow card center" {
            h1 { "Log out?" }
            p { "You can log in again with the app at any time." }
            form method="post" action="/logout" {
                button class="button" type="submit" { "Log out" }
            }
        }
    };
    Ok(visit.page(&state, "Log out", body))
}

/// `POST /logout`: logs the session out (the app sees it too) and goes home.
pub(super) async fn logout(
    State(state): State<SharedState>,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    let mut visit = Visit::load(&state, &headers).await?;
    visit.log_out(&state).await?;
    Ok(visit.redirect(&state, "/"))
}

#[cfg(test)]
mod tests {
    use super::username_problem;

    #[test]
    fn usernames_are_checked() {
        assert!(username_problem("alice").is_none());
        assert!(username_problem("Zoë.b-1_").is_none());
        assert!(username_problem("al").is_some());
        assert!(username_problem("a b c").is_some());
        assert!(username_problem("<script>").is_some());
        assert!(username_problem(&"x".repeat(33)).is_some());
    }
}
