//! `wss://` against the real server process behind a TLS-terminating proxy (the way servers
//! are deployed): the SDK enrols, logs in and pulls over TLS when it trusts the certificate's
//! authority, and refuses an untrusted certificate with its own error code.

use std::sync::Arc;

use nextauth_e2e::{fixture, server_behind_tls, App, TempDir};
use nextauth_sdk::{Event, FlowState, HistoryQuery, HistoryStatus};

const PIN: &str = "2468";

#[tokio::test]
async fn enrol_log_in_and_pull_over_wss_when_the_authority_is_trusted() {
    let (server, _proxy) = server_behind_tls().await;
    let dir = Arc::new(TempDir::new("app"));
    let mut app = App::open_with(dir, |config| {
        config.extra_root_certificates = vec![fixture("ca.der")];
    })
    .await;
    app.enrol(&server, "trent", PIN).await;
    assert_eq!(app.sdk.accounts().await.unwrap().len(), 1);

    app.approve_login(&server, "tls-login").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("tls-login").await["loggedin"], true);

    // The CONNECT channel (pull, push logins) goes over TLS too.
    let account = server.account_ids().await[0];
    server.provoke_login(account, "tls-push").await;
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.stop(&asked.id).await.unwrap();
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_with_its_own_code() {
    let (server, _proxy) = server_behind_tls().await;
    let mut app = App::new().await; // the test CA is not trusted
    let code = server.enrol_code("signup-eve", "eve").await;
    app.sdk.start_qr(&code).await.unwrap();
    let error = app
        .next_event(|e| match e {
            Event::FlowUpdate { flow } if flow.state == FlowState::Error => flow.error.clone(),
            _ => None,
        })
        .await;
    assert_eq!(error.code, 129, "untrusted certificate: {}", error.message);
    assert!(app.sdk.accounts().await.unwrap().is_empty());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history[0].record.status, HistoryStatus::Error);
    assert_eq!(history[0].record.error_code, Some(129));
}
