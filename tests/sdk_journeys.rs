//! Every journey of the SDK against the real server process: enrol, login with account choice
//! and PIN, push login, transaction, logout both ways, continuous sessions losing their
//! connection, deletion both ways, wrong PIN until blocked, restart, and bad input.

use nextauth_e2e::{App, ServerProcess};
use nextauth_sdk::{
    Event, FlowState, HistoryQuery, HistoryStatus, Interaction, PinInput, PushOutcome, Response,
    SessionState,
};

const PIN: &str = "2468";

fn confirm(account_id: Option<&str>, input: Option<&str>) -> Response {
    Response::Confirm {
        account_id: account_id.map(str::to_owned),
        user_input: input.map(str::to_owned),
    }
}

fn pin(digits: &str) -> Response {
    Response::Pin {
        pin: PinInput::new(digits),
    }
}

/// Enrols `name` through the enrol code of a fresh session; returns the account id.
async fn enrol(app: &mut App, server: &ServerProcess, name: &str) -> String {
    app.enrol(server, name, PIN).await
}

#[tokio::test]
async fn enrol_then_log_in_choosing_an_account_with_the_pin() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let alice = enrol(&mut app, &server, "alice").await;
    assert_eq!(server.session("signup-alice").await["loggedin"], true);
    // A second account on the same server: the existing PIN is checked online.
    let bob = enrol(&mut app, &server, "bob").await;
    assert_eq!(app.sdk.accounts().await.unwrap().len(), 2);
    // The stored parameters of their server, as the app shows them.
    let info = app.sdk.server(&server.server_id).await.unwrap().unwrap();
    assert_eq!(
        (info.server_id.as_str(), info.name.as_str()),
        (server.server_id.as_str(), "Acme")
    );
    assert!(!info.visual_hash.is_empty());
    assert_eq!(app.sdk.server("!!").await.unwrap_err().code(), 126);

    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;
    let code = server.login_code("browser-1").await;
    let flow = app.sdk.start_qr(&code).await.unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { accounts, .. }) = asked.interaction else {
        panic!("expected Confirm")
    };
    assert_eq!(accounts.len(), 2, "both accounts are offered");
    assert!(
        matches!(
            app.sdk.respond(&flow.id, confirm(None, None)).await,
            Err(nextauth_sdk::SdkError::UnknownAccount)
        ),
        "with two accounts the person must choose"
    );
    app.sdk
        .respond(&flow.id, confirm(Some(&bob), Some("order 66")))
        .await
        .unwrap();
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(matches!(
        ask.interaction,
        Some(Interaction::VerifySecondFactor {
            remaining_attempts: 5,
            retry: false
        })
    ));
    app.sdk.respond(&flow.id, pin(PIN)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    let status = server.session("browser-1").await;
    assert_eq!(
        (status["loggedin"].as_bool(), status["userid"].as_str()),
        (Some(true), Some("bob"))
    );

    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    let statuses: Vec<HistoryStatus> = history.iter().map(|h| h.status).collect();
    assert_eq!(
        statuses,
        vec![
            HistoryStatus::LoggedInOneShot,
            HistoryStatus::Enrolled,
            HistoryStatus::Enrolled
        ]
    );
    assert_eq!(history[0].account_id.as_deref(), Some(bob.as_str()));
    assert_ne!(alice, bob);
}

#[tokio::test]
async fn wrong_pins_until_blocked() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "carol").await;
    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;
    let flow = app
        .sdk
        .start_qr(&server.login_code("b").await)
        .await
        .unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    app.flow_in(FlowState::WaitingForInput).await;
    assert!(matches!(
        app.sdk.respond(&flow.id, pin("12")).await,
        Err(nextauth_sdk::SdkError::InvalidInput(_))
    ));
    for remaining in (1..5).rev() {
        app.sdk.respond(&flow.id, pin("0000")).await.unwrap();
        let ask = app.flow_in(FlowState::WaitingForInput).await;
        assert!(
            matches!(ask.interaction, Some(Interaction::VerifySecondFactor { remaining_attempts, retry: true }) if remaining_attempts == remaining),
            "{ask:?}"
        );
    }
    app.sdk.respond(&flow.id, pin("0000")).await.unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(failed.error.unwrap().code, 109);
    assert_eq!(server.session("b").await["loggedin"], false);
    let last = &app.sdk.history(&HistoryQuery::default()).await.unwrap()[0];
    assert_eq!(
        (last.status, last.error_code),
        (HistoryStatus::Error, Some(109))
    );
}

#[tokio::test]
async fn bad_codes_give_typed_errors_and_history_entries() {
    let server = ServerProcess::start().await;
    let app = App::new().await;
    let mut code = server.enrol_code("x", "dave").await;
    let last = code.len() - 1;
    code.truncate(last);
    assert_eq!(
        app.sdk.start_qr(&code).await.unwrap_err().code(),
        32,
        "torn code"
    );
    assert_eq!(
        app.sdk.start_qr(b"hello world").await.unwrap_err().code(),
        32,
        "not ours"
    );
    let mut wrong_type = server.login_code("y").await;
    wrong_type[3] = 9;
    assert_eq!(app.sdk.start_qr(&wrong_type).await.unwrap_err().code(), 33);
    // A login code for a server the app has no account on.
    assert_eq!(
        app.sdk
            .start_qr(&server.login_code("z").await)
            .await
            .unwrap_err()
            .code(),
        34
    );
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert!(history.iter().all(|h| h.status == HistoryStatus::Error));
    let codes: Vec<u16> = history.iter().filter_map(|h| h.error_code).collect();
    assert_eq!(
        codes,
        [34, 33, 32, 32],
        "every refusal is in the history, newest first"
    );
}

#[tokio::test]
async fn an_unreachable_server_is_a_typed_error() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let code = server.enrol_code("n", "erin").await;
    drop(server);
    app.sdk.start_qr(&code).await.unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(failed.error.unwrap().code, 120);
    assert!(
        app.sdk.active_flow().is_none(),
        "the flow slot is free again"
    );
}

#[tokio::test]
async fn push_login_transaction_and_server_side_deletion() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let account = enrol(&mut app, &server, "frank").await;
    let server_account = server.account_ids().await[0];

    // Push login: the integrator provokes, the app pulls (no FCM here) and approves.
    server.provoke_login(server_account, "push-session").await;
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&asked.id, confirm(None, None))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("push-session").await["loggedin"], true);

    // A transaction for that session, approved with the PIN.
    let body = serde_json::json!({ "amount": "EUR 42.00", "benificiary": "Grace", "description": "dinner" });
    let path = format!("/servers/{}/sessions/transactions", server.server_id);
    let created = server
        .api("POST", &path, Some("push-session"), Some(&body))
        .await
        .json();
    let qr = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        created["qrdata"].as_str().unwrap(),
    )
    .unwrap();
    let flow = app.sdk.start_qr(&qr).await.unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    assert!(
        matches!(asked.interaction, Some(Interaction::ConfirmTransaction { ref amount, .. }) if amount == "EUR 42.00")
    );
    app.sdk
        .respond(&flow.id, confirm(Some(&account), None))
        .await
        .unwrap();
    app.flow_in(FlowState::WaitingForInput).await;
    app.sdk.respond(&flow.id, pin(PIN)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    let tid = created["tid"].as_str().unwrap();
    let result = server
        .api(
            "GET",
            &format!("/servers/{}/transactions/{tid}", server.server_id),
            None,
            None,
        )
        .await
        .json();
    assert_eq!(
        result["tstatus"]
            .as_str()
            .or(result["tstatus"].as_i64().map(|_| "1")),
        Some("1")
    );

    // The server deletes the account; the app learns it at the next pull.
    server.delete_account(server_account).await;
    app.sdk.pull_messages().await.unwrap();
    assert_eq!(app.account_deleted().await, (account.clone(), true));
    assert!(app.sdk.accounts().await.unwrap().is_empty());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history[0].status, HistoryStatus::Deleted);
    assert!(history.iter().any(|h| h.status == HistoryStatus::Approved));
}

#[tokio::test]
async fn continuous_sessions_end_on_website_logout_app_logout_or_lost_connection() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "heidi").await;
    server.configure(serde_json::json!({ "pingTime": 2 })).await;

    let login = |nonce: &'static str| {
        let server = &server;
        async move { server.login_code(nonce).await }
    };
    // Website logout.
    let flow = app.sdk.start_qr(&login("w1").await).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    let active = app.next_event(|e| match e {
        Event::SessionUpdate { session } => Some(session.clone()),
        _ => None,
    });
    let active = active.await;
    assert_eq!(active.state, SessionState::Active);
    assert_eq!(app.sdk.sessions(), vec![active], "listed while active");
    assert!(
        app.sdk.active_flow().is_none(),
        "a continuous session does not hold the flow slot"
    );
    tokio::time::sleep(std::time::Duration::from_secs(3)).await; // a ping or two
    let r = server
        .api(
            "POST",
            &format!("/servers/{}/sessions/logout", server.server_id),
            Some("w1"),
            None,
        )
        .await;
    assert!(r.status == 200 || r.status == 204);
    let ended = app.next_event(|e| match e {
        Event::SessionUpdate { session } if session.state == SessionState::LoggedOut => {
            Some(session.clone())
        }
        _ => None,
    });
    assert!(ended.await.error.is_none());
    assert!(app.sdk.sessions().is_empty(), "no longer listed");

    // App logout.
    let flow = app.sdk.start_qr(&login("w2").await).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    let listed = app.sdk.sessions();
    assert_eq!(listed.len(), 1);
    // Logged out from the app by the session's id (its flow's id).
    app.sdk.stop(&listed[0].id).await.unwrap();
    app.next_event(|e| {
        matches!(e, Event::SessionUpdate { session } if session.state == SessionState::LoggedOut)
            .then_some(())
    })
    .await;
    assert_eq!(server.session("w2").await["loggedin"], false);

    // The server vanishes.
    let flow = app.sdk.start_qr(&login("w3").await).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    drop(server);
    let lost = app.next_event(|e| match e {
        Event::SessionUpdate { session } if session.state == SessionState::LoggedOut => {
            Some(session.clone())
        }
        _ => None,
    });
    assert_eq!(lost.await.error.map(|e| e.code), Some(121));
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(
        (history[0].status, history[0].error_code),
        (HistoryStatus::LoggedOut, Some(121))
    );
}

#[tokio::test]
async fn app_side_deletion_is_retried_until_the_server_confirms() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let account = enrol(&mut app, &server, "ivan").await;
    let (data, port) = server.stop();
    assert!(
        !app.sdk.delete_account(&account).await.unwrap(),
        "server down: deletion pending"
    );
    let pending = app.sdk.accounts().await.unwrap();
    assert!(pending[0].pending_delete, "nothing is dropped silently");
    let server = ServerProcess::start_in(data, Some(port)).await;
    app.sdk.pull_messages().await.unwrap();
    assert!(
        app.sdk.accounts().await.unwrap().is_empty(),
        "retried and confirmed"
    );
    assert!(server.account_ids().await.is_empty());
}

#[tokio::test]
async fn a_restart_keeps_accounts_and_replayed_pushes_are_refused() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "judy").await;
    let dir = app.dir.clone();
    drop(app);
    let mut app = App::open(dir).await;
    assert_eq!(
        app.sdk.accounts().await.unwrap().len(),
        1,
        "accounts survive a restart"
    );

    // A message, handed over twice (as a push service may do): the second is refused.
    let id = server.account_ids().await[0];
    server.provoke_login(id, "r1").await;
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let flow = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.stop(&flow.id).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(
        app.sdk.pull_messages().await.unwrap(),
        0,
        "acknowledged messages do not come back"
    );
    let _ = PushOutcome::LoggedOut;
}

#[tokio::test]
async fn the_pin_is_changed_on_every_server_account() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "kate").await;
    let wrong = app
        .sdk
        .change_pin(&PinInput::new("9999"), &PinInput::new("1357"))
        .await;
    assert!(
        matches!(wrong, Err(nextauth_sdk::SdkError::WrongPin(4))),
        "{wrong:?}"
    );
    app.sdk
        .change_pin(&PinInput::new(PIN), &PinInput::new("1357"))
        .await
        .unwrap();

    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;
    let flow = app
        .sdk
        .start_qr(&server.login_code("p").await)
        .await
        .unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(
        matches!(
            ask.interaction,
            Some(Interaction::VerifySecondFactor {
                remaining_attempts: 5,
                ..
            })
        ),
        "counter reset"
    );
    app.sdk.respond(&flow.id, pin("1357")).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(
        app.sdk.history(&HistoryQuery::default()).await.unwrap()[1].status,
        HistoryStatus::PinChanged
    );
}

#[tokio::test]
async fn the_push_token_reaches_every_server() {
    use nextauth_protocol::messages::PushPlatform;
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "leo").await;
    let confirmed = app
        .sdk
        .register_push_token(PushPlatform::Fcm, "fcm-token-123")
        .await
        .unwrap();
    assert_eq!(confirmed, 1);
    let refused = app
        .sdk
        .register_push_token(PushPlatform::Apns, "not hex!")
        .await;
    assert_eq!(refused.unwrap_err().code(), 32, "APNs tokens are hex");
}

#[tokio::test]
async fn app_login_gives_the_backend_a_nonce_and_ends_on_inactivity() {
    let server = ServerProcess::start().await;
    let dir = std::sync::Arc::new(nextauth_e2e::TempDir::new("applogin"));
    let mut app = App::open(dir.clone()).await;
    enrol(&mut app, &server, "otto").await;
    server
        .configure(serde_json::json!({ "pingTime": 2, "pinTimeout": -1 }))
        .await;
    drop(app);
    // The app configures its AppLogin limits.
    let keystore = std::sync::Arc::new(
        nextauth_sdk::keystore::FileKeystore::open_or_create(&dir.0.join("keystore.key")).unwrap(),
    );
    let mut config = nextauth_sdk::Config::new(&dir.0);
    config.app_login_inactivity = Some(std::time::Duration::from_secs(3));
    let sdk = nextauth_sdk::Sdk::open(config, keystore).await.unwrap();
    let mut events = sdk.subscribe();

    let login = sdk.app_login().await.unwrap();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("session")
            .unwrap();
        if matches!(event, Event::SessionUpdate { ref session } if session.state == SessionState::Active)
        {
            break;
        }
    }
    // The app's backend asks the server about the nonce the app gave it.
    let status = server.session(&login.nonce).await;
    assert_eq!(
        (status["loggedin"].as_bool(), status["userid"].as_str()),
        (Some(true), Some("otto"))
    );

    // Activity keeps it alive past the inactivity limit...
    for _ in 0..4 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        sdk.app_login_activity();
    }
    assert_eq!(server.session(&login.nonce).await["loggedin"], true);
    // ...silence ends it.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .expect("logout")
            .unwrap();
        if matches!(event, Event::SessionUpdate { ref session } if session.state == SessionState::LoggedOut)
        {
            break;
        }
    }
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(server.session(&login.nonce).await["loggedin"], false);
}
