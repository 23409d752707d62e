//! The logged-in page: who you are, and "Approve a transfer" (a transaction the app approves).

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use maud::{html, Markup, PreEscaped};
use nextauth_protocol::ids::{SessionRef, TransactionRef};
use nextauth_protocol::messages::TransactionDetails;
use nextauth_protocol::qr::{QrPayload, TransactionCode};
use serde::Deserialize;

use super::{utc, PageError, Visit};
use crate::clock;
use crate::codes::{self, TransactionError};
use crate::state::SharedState;
use crate::store::transactions::{self, TransactionRow, TransactionStatus};
use crate::store::StoreError;
use crate::web::blocks::DEFAULT_SCHEME;
use crate::web::qr_png;

/// Query of `/account`.
#[derive(Debug, Default, Deserialize)]
pub(super) struct AccountQuery {
    tx: Option<String>,
}

/// The transfer form.
#[derive(Debug, Default, Deserialize)]
pub(super) struct TransferForm {
    amount: String,
    beneficiary: String,
    #[serde(default)]
    description: String,
}

/// Polls the transaction's status and updates the panel; stops once it is settled.
const POLL_JS: &str = r#"<script>
(function () {
  var panel = document.getElementById("tx");
  if (!panel || panel.getAttribute("data-status") !== "new") { return; }
  var labels = { approved: "Approved", declined: "Declined", expired: "Expired" };
  function check() {
    fetch("/account/transfer/" + panel.getAttribute("data-tid"), { cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) {
        if (!body || body.status === "new") { setTimeout(check, 1000); return; }
        var pill = panel.querySelector(".status-pill");
        pill.className = "status-pill " + body.status;
        pill.textContent = labels[body.status] || body.status;
        panel.setAttribute("data-status", body.status);
        var qr = panel.querySelector(".tx-qr");
        if (qr) { qr.hidden = true; }
      })
      .catch(function () { setTimeout(check, 2000); });
  }
  setTimeout(check, 1000);
})();
</script>"#;

/// `GET /account`: the account, and the transfer form or a pending transfer (`?tx=`).
pub(super) async fn page(
    State(state): State<SharedState>,
    headers: HeaderMap,
    query: Result<Query<AccountQuery>, QueryRejection>,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    if !visit.logged_in() {
        return Ok(visit.redirect(&state, "/login"));
    }
    let tid = query
        .ok()
        .and_then(|Query(q)| q.tx)
        .and_then(|t| TransactionRef::from_base64(&t).ok());
    let tx = match tid {
        Some(tid) => own_transaction(&state, &visit, &tid).await?,
        None => None,
    };
    render(&state, &visit, tx.as_ref(), None).await
}

/// `POST /account/transfer`: creates a transaction and shows its code.
pub(super) async fn transfer(
    State(state): State<SharedState>,
    headers: HeaderMap,
    form: Result<Form<TransferForm>, FormRejection>,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    if !visit.logged_in() {
        return Ok(visit.redirect(&state, "/login"));
    }
    let Ok(Form(form)) = form else {
        return render(
            &state,
            &visit,
            None,
            Some("Fill in the amount and the beneficiary."),
        )
        .await;
    };
    let details = TransactionDetails {
        amount: form.amount.trim().to_owned(),
        beneficiary: form.beneficiary.trim().to_owned(),
        description: form.description.trim().to_owned(),
    };
    if let Some(problem) = details_problem(&details) {
        return render(&state, &visit, None, Some(problem)).await;
    }
    let now = clock::now();
    match codes::create_transaction(&state, &visit.server, &visit.nonce, details, now).await {
        Ok((tid, ..)) => Ok(visit.redirect(&state, &format!("/account?tx={}", tid.to_base64()))),
        Err(TransactionError::NotLoggedIn) => Ok(visit.redirect(&state, "/login")),
        Err(TransactionError::Store(err)) => Err(err.into()),
    }
}

fn details_problem(d: &TransactionDetails) -> Option<&'static str> {
    if d.amount.is_empty() || d.beneficiary.is_empty() {
        return Some("Fill in the amount and the beneficiary.");
    }
    let too_long = d.amount.chars().count() > 32
        || d.beneficiary.chars().count() > 64
        || d.description.chars().count() > 140;
    let control = [&d.amount, &d.beneficiary, &d.description]
        .iter()
        .any(|t| t.chars().any(char::is_control));
    if too_long || control {
        return Some("Keep the amount under 32, the beneficiary under 64 and the description under 140 characters.");
    }
    None
}

/// `GET /account/transfer/{tid}`: `{"status": "new" | "approved" | "declined" | "expired"}`.
pub(super) async fn status(
    State(state): State<SharedState>,
    headers: HeaderMap,
    Path(tid): Path<String>,
) -> Result<Response, PageError> {
    let visit = Visit::load(&state, &headers).await?;
    let tx = match TransactionRef::from_base64(&tid) {
        Ok(tid) if visit.logged_in() => own_transaction(&state, &visit, &tid).await?,
        _ => None,
    };
    let Some(tx) = tx else {
        return Ok(visit.answer(&state, StatusCode::NOT_FOUND));
    };
    let body = serde_json::json!({ "status": status_word(&tx, clock::now()) });
    Ok(visit.answer(&state, Json(body).into_response()))
}

/// The transaction, if it was created for this visitor's session.
async fn own_transaction(
    state: &SharedState,
    visit: &Visit,
    tid: &TransactionRef,
) -> Result<Option<TransactionRow>, StoreError> {
    let session_ref = SessionRef::derive(&visit.server.server_id, visit.nonce.as_bytes());
    crate::trace::record_flow(&visit.server.server_id, &session_ref);
    Ok(transactions::get(&state.db, &visit.server.server_id, tid)
        .await?
        .filter(|t| t.session_ref == session_ref))
}

fn status_word(tx: &TransactionRow, now: u64) -> &'static str {
    match tx.status {
        TransactionStatus::Approved => "approved",
        TransactionStatus::Declined => "declined",
        TransactionStatus::New if now > tx.expires => "expired",
        TransactionStatus::New => "new",
    }
}

async fn render(
    state: &SharedState,
    visit: &Visit,
    tx: Option<&TransactionRow>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let Some(account) = &visit.account else {
        return Ok(visit.redirect(state, "/login"));
    };
    let userid = account.userid.as_deref().unwrap_or("(none)");
    let since = visit
        .session
        .as_ref()
        .map_or(account.lastlogin, |s| s.updated);
    let right = match tx {
        Some(tx) => transaction_panel(visit, tx)?,
        None => transfer_form(error),
    };
    let body = html! {
        h1 { "Hello, " (userid) }
        div class="grid" {
            section class="card" aria-labelledby="you" {
                h2 id="you" { "Your account" }
                dl class="facts" {
                    dt { "User id" } dd { (userid) }
                    dt { "Account" } dd { (account.display_name) }
                    dt { "Device" } dd { (or_dash(&account.description)) }
                    dt { "Logged in" } dd { (utc(since)) }
                }
            }
            (right)
        }
    };
    Ok(visit.page(state, "My account", body))
}

/// `text`, or a dash when it is empty.
fn or_dash(text: &str) -> &str {
    if text.is_empty() {
        "–"
    } else {
        text
    }
}

fn transfer_form(error: Option<&str>) -> Markup {
    html! {
        section class="card" aria-labelledby="transfer" {
            h2 id="transfer" { "Approve a transfer" }
            p class="muted" {
                "Nothing is paid: the app shows the transfer, you approve or decline it, and this \
                 page shows the answer."
            }
            @if let Some(error) = error {
                p class="error" role="alert" { (error) }
            }
            form method="post" action="/account/transfer" {
                div class="field" {
                    label for="amount" { "Amount" }
                    input type="text" id="amount" name="amount" required maxlength="32"
                        placeholder="EUR 25.00";
                }
                div class="field" {
                    label for="beneficiary" { "Beneficiary" }
                    input type="text" id="beneficiary" name="beneficiary" required maxlength="64"
                        placeholder="Bob's Bikes";
                }
                div class="field" {
                    label for="description" { "Description" }
                    input type="text" id="description" name="description" maxlength="140"
                        placeholder="Invoice 42";
                }
                button class="button" type="submit" { "Create the transfer" }
            }
        }
    }
}

fn transaction_panel(visit: &Visit, tx: &TransactionRow) -> Result<Markup, PageError> {
    let status = status_word(tx, clock::now());
    let label = match status {
        "approved" => "Approved",
        "declined" => "Declined",
        "expired" => "Expired",
        _ => "Waiting for the app",
    };
    let code = QrPayload::Transaction(TransactionCode {
        endpoint: visit.server.settings.wsurl.clone(),
        server_id: visit.server.server_id,
        transaction_ref: tx.tid,
    });
    let bytes = crate::web::blocks::image_content(&visit.server, &code)?;
    let png = qr_png::png(&bytes, 264).map_err(|_| StoreError::Corrupt("qr code"))?;
    let text = code.to_app_uri(DEFAULT_SCHEME).map_err(StoreError::from)?;
    Ok(html! {
        section class="card" id="tx" data-tid=(tx.tid.to_base64()) data-status=(status)
            aria-labelledby="txh" {
            h2 id="txh" { "Transfer" }
            dl class="facts" {
                dt { "Amount" } dd { (tx.details.amount) }
                dt { "To" } dd { (tx.details.beneficiary) }
                dt { "Description" } dd { (or_dash(&tx.details.description)) }
                dt { "Status" }
                dd {
                    span class={ "status-pill " (status) } role="status" aria-live="polite" {
                        (label)
                    }
                }
            }
            div class="tx-qr center" hidden[status != "new"] {
                p { "Scan this code with the app to approve or decline." }
                @if let Some(number) = &tx.match_number {
                    p class="match-number" {
                        "The app will ask for this number: "
                        strong class="number" data-match-number { (number) }
                    }
                }
                img src={ "data:image/png;base64," (STANDARD.encode(png)) } width="220"
                    height="220" alt="QR code of the transfer, to scan with the authenticator app";
                details class="copy" {
                    summary { "Can't scan? Use the code as text" }
                    input type="text" readonly value=(text) aria-label="The transfer code as text"
                        spellcheck="false";
                    p class="hint" {
                        "Paste it into the app, or run " code { "nextauth login '…'" } "."
                    }
                }
            }
            p { a href="/account" { "New transfer" } }
        }
        (PreEscaped(POLL_JS))
    })
}
