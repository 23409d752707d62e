//! The integrator REST API end to end: the real server on loopback, raw HTTP requests, and
//! every response checked against `openapi.json` (path, method, status and body schema).
//!
//! Logins and transaction approvals go through the real app protocol (tests/support/app.rs);
//! a few fixtures (accounts for list tests) are written through the store directly.
#[path = "../support/mod.rs"]
mod support;

mod client;
mod codes;
mod document;
mod keys;
mod logins;
mod people;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use client::*;
use codes::*;
use document::*;
use keys::*;
use logins::*;
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::{ClientRequest, ServerContext, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_server::clock::now;
use nextauth_server::store::accounts::{self, NewAccount};
use nextauth_server::store::sessions::{self, SessionEvent, SessionState, Transition};
use nextauth_server::store::{messages, servers, users};
use people::*;
use serde_json::{json, Value};
use support::app::{self, AppAccount};
use support::openapi::{spec, DOCUMENT};
use support::{Response, TestServer};

// ------------------------------------------------------------------------------------------

/// The scenarios that together make every documented operation succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Scenario {
    Document,
    KeysAndAuth,
    GrantsOnAServer,
    BadGrants,
    GlobalPermissions,
    Attributes,
    Servers,
    AccountsListed,
    OneAccount,
    Users,
    Deletions,
    AccountPermissions,
    SessionsAndLogin,
    RegisterUser,
    Transactions,
    FraudReport,
    PushLoginsAndLogout,
    CodesAndBlocks,
}

impl Scenario {
    const ALL: [Self; 18] = [
        Self::Document,
        Self::KeysAndAuth,
        Self::GrantsOnAServer,
        Self::BadGrants,
        Self::GlobalPermissions,
        Self::Attributes,
        Self::Servers,
        Self::AccountsListed,
        Self::OneAccount,
        Self::Users,
        Self::Deletions,
        Self::AccountPermissions,
        Self::SessionsAndLogin,
        Self::RegisterUser,
        Self::Transactions,
        Self::FraudReport,
        Self::PushLoginsAndLogout,
        Self::CodesAndBlocks,
    ];

    async fn run(self) {
        match self {
            Self::Document => scenario_document().await,
            Self::KeysAndAuth => scenario_keys_and_auth().await,
            Self::GrantsOnAServer => scenario_grants_on_a_server().await,
            Self::BadGrants => scenario_bad_grants().await,
            Self::GlobalPermissions => scenario_global_permissions().await,
            Self::Attributes => scenario_attributes().await,
            Self::Servers => scenario_servers().await,
            Self::AccountsListed => scenario_accounts_listed().await,
            Self::OneAccount => scenario_one_account().await,
            Self::Users => scenario_users().await,
            Self::Deletions => scenario_deletions().await,
            Self::AccountPermissions => scenario_account_permissions().await,
            Self::SessionsAndLogin => scenario_sessions_and_login().await,
            Self::RegisterUser => scenario_register_user().await,
            Self::Transactions => scenario_transactions().await,
            Self::FraudReport => scenario_fraud_report().await,
            Self::PushLoginsAndLogout => scenario_push_logins_and_logout().await,
            Self::CodesAndBlocks => scenario_codes_and_blocks().await,
        }
    }
}

/// How far each scenario got in this test process (the tests share it: one process runs
/// them all, on parallel threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Progress {
    Running,
    Passed,
    Failed,
}

static PROGRESS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<Scenario, Progress>>,
> = std::sync::LazyLock::new(Default::default);

fn set_progress(scenario: Scenario, progress: Progress) {
    PROGRESS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .insert(scenario, progress);
}

/// Marks its scenario failed if the scenario panics (it is dropped while still running).
struct FailedUnlessPassed(Scenario);

impl Drop for FailedUnlessPassed {
    fn drop(&mut self) {
        let mut all = PROGRESS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if all.get(&self.0) == Some(&Progress::Running) {
            all.insert(self.0, Progress::Failed);
        }
    }
}

/// Runs `scenario` once per process: if another test is running it, waits for its outcome;
/// if it passed already, that is the outcome; if it failed (or never ran), runs it here, so a
/// failure is reported by every test that needs the scenario.
async fn run_once(scenario: Scenario) {
    loop {
        let seen = {
            let mut all = PROGRESS
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let seen = all.get(&scenario).copied();
            if matches!(seen, None | Some(Progress::Failed)) {
                all.insert(scenario, Progress::Running);
            }
            seen
        };
        match seen {
            Some(Progress::Passed) => return,
            Some(Progress::Running) => {
                tokio::time::sleep(std::time::Duration::from_millis(20)).await
            }
            None | Some(Progress::Failed) => break,
        }
    }
    let _guard = FailedUnlessPassed(scenario);
    scenario.run().await;
    set_progress(scenario, Progress::Passed);
}

#[tokio::test]
async fn openapi_document_is_served_and_consistent() {
    run_once(Scenario::Document).await;
}

#[tokio::test]
async fn api_keys_are_created_listed_and_needed() {
    run_once(Scenario::KeysAndAuth).await;
}

#[tokio::test]
async fn permissions_on_a_server_are_granted_read_and_revoked() {
    run_once(Scenario::GrantsOnAServer).await;
}

#[tokio::test]
async fn grants_of_unknown_permissions_roles_or_servers_are_refused() {
    run_once(Scenario::BadGrants).await;
}

#[tokio::test]
async fn a_global_createserver_holds_root_on_the_servers_it_creates() {
    run_once(Scenario::GlobalPermissions).await;
}

#[tokio::test]
async fn global_server_and_privileged_attributes() {
    run_once(Scenario::Attributes).await;
}

#[tokio::test]
async fn servers_are_created_read_listed_and_updated() {
    run_once(Scenario::Servers).await;
}

#[tokio::test]
async fn accounts_are_listed_paged_sorted_and_filtered() {
    run_once(Scenario::AccountsListed).await;
}

#[tokio::test]
async fn an_account_is_blocked_pushed_messaged_and_its_pin_reset() {
    run_once(Scenario::OneAccount).await;
}

#[tokio::test]
async fn users_are_listed_with_their_accounts_attributes_and_roles() {
    run_once(Scenario::Users).await;
}

#[tokio::test]
async fn deleted_accounts_and_users_are_gone_and_their_apps_told() {
    run_once(Scenario::Deletions).await;
}

#[tokio::test]
async fn account_and_user_operations_need_their_permissions() {
    run_once(Scenario::AccountPermissions).await;
}

#[tokio::test]
async fn sessions_before_and_after_the_app_logs_in() {
    run_once(Scenario::SessionsAndLogin).await;
}

#[tokio::test]
async fn a_logged_in_session_registers_its_user() {
    run_once(Scenario::RegisterUser).await;
}

#[tokio::test]
async fn transactions_are_approved_or_declined_in_the_app() {
    run_once(Scenario::Transactions).await;
}

#[tokio::test]
async fn a_transaction_reported_as_fraud_pauses_push_logins() {
    run_once(Scenario::FraudReport).await;
}

#[tokio::test]
async fn push_logins_logouts_and_blocking() {
    run_once(Scenario::PushLoginsAndLogout).await;
}

#[tokio::test]
async fn qr_codes_html_blocks_and_the_visual_hash() {
    run_once(Scenario::CodesAndBlocks).await;
}

#[tokio::test]
async fn every_operation_refuses_bad_keys_ids_and_bodies() {
    scenario_sweeps().await;
}

/// Checks that each documented operation answered 200 at least once in the scenarios (so the
/// document has no operation the tests never saw succeed). The scenarios run once per process:
/// this test waits for the ones the other tests are running and runs only those that no test
/// ran (when it is run alone, all of them).
#[tokio::test]
async fn every_documented_operation_succeeds() {
    for scenario in Scenario::ALL {
        run_once(scenario).await;
    }
    let seen = spec().seen();
    let missing: Vec<String> = spec()
        .operations()
        .into_iter()
        .filter(|(m, t)| !seen.contains(&(m.clone(), t.clone(), 200)))
        .map(|(m, t)| format!("{m} {t}"))
        .collect();
    assert!(missing.is_empty(), "never succeeded: {missing:#?}");
}

#[tokio::test]
async fn push_logins_past_the_rate_are_429_as_documented() {
    let server = TestServer::start_with(|c| {
        c.limits.provoke_rate = Some(nextauth_server::Rate {
            count: 2,
            per: std::time::Duration::from_secs(60),
        })
    })
    .await;
    let demo = Client::demo(&server);
    let sid = &server.demo.serverid;
    let sessions = format!("/servers/{sid}/sessions/provokelogin");
    for _ in 0..2 {
        expect(&demo.with_nonce("POST", &sessions, "rate", b"").await, 409);
    }
    for path in [
        sessions.clone(),
        format!("/servers/{sid}/accounts/1/provokelogin"),
        format!("/servers/{sid}/users/nobody/provokelogin"),
    ] {
        let r = demo.with_nonce("POST", &path, "rate", b"").await;
        let body = expect(&r, 429);
        assert_eq!(body["code"], 429);
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=30).contains(&retry), "{retry}");
    }
}
