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
        number: None,
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

/// As [`enrol`], on a server that then asks for the PIN at every login.
async fn enrol_asked_pin_every_time(app: &mut App, server: &ServerProcess, name: &str) {
    enrol(app, server, name).await;
    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;
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
            Err(nextauth_sdk::SdkError::Engine(
                nextauth_sdk::engine::EngineError::UnknownAccount
            ))
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
    let statuses: Vec<HistoryStatus> = history.iter().map(|h| h.record.status).collect();
    assert_eq!(
        statuses,
        vec![
            HistoryStatus::LoggedInOneShot,
            HistoryStatus::Enrolled,
            HistoryStatus::Enrolled
        ]
    );
    assert_eq!(history[0].record.account_id.as_deref(), Some(bob.as_str()));
    assert_ne!(alice, bob);
}

#[tokio::test]
async fn wrong_pins_until_blocked_then_the_integrator_resets_the_pin() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol_asked_pin_every_time(&mut app, &server, "carol").await;
    let flow = app.approve_login(&server, "b").await;
    app.flow_in(FlowState::WaitingForInput).await;
    assert!(matches!(
        app.sdk.respond(&flow, pin("12")).await,
        Err(nextauth_sdk::SdkError::Engine(
            nextauth_sdk::engine::EngineError::InvalidInput(_)
        ))
    ));
    for remaining in (1..5).rev() {
        app.sdk.respond(&flow, pin("0000")).await.unwrap();
        let ask = app.flow_in(FlowState::WaitingForInput).await;
        assert!(
            matches!(ask.interaction, Some(Interaction::VerifySecondFactor { remaining_attempts, retry: true }) if remaining_attempts == remaining),
            "{ask:?}"
        );
    }
    app.sdk.respond(&flow, pin("0000")).await.unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(failed.error.unwrap().code, 109);
    assert_eq!(server.session("b").await["loggedin"], false);
    let last = &app.sdk.history(&HistoryQuery::default()).await.unwrap()[0];
    assert_eq!(
        (last.record.status, last.record.error_code),
        (HistoryStatus::Error, Some(109))
    );

    // The integrator resets the PIN: the next login asks for a new PIN, which logs in.
    let account = server.account_ids().await[0];
    let reset = format!("/servers/{}/accounts/{account}/resetpin", server.server_id);
    assert_eq!(server.api("POST", &reset, None, None).await.status, 200);
    let flow = app.approve_login(&server, "after-reset").await;
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(
        matches!(ask.interaction, Some(Interaction::SetSecondFactor)),
        "{ask:?}"
    );
    app.sdk.respond(&flow, pin("8642")).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("after-reset").await["loggedin"], true);
    // From now on the new PIN is the one the server checks.
    let flow = app.approve_login(&server, "new-pin").await;
    app.flow_in(FlowState::WaitingForInput).await;
    app.sdk.respond(&flow, pin("8642")).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("new-pin").await["loggedin"], true);
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
    // A login code for a server the app has no account on: the app connects only to tell the
    // server (the browser hears NOACCOUNTS: tests/sdk_negative.rs), and the flow ends with 34.
    let mut app = app;
    app.sdk
        .start_qr(&server.login_code("z").await)
        .await
        .unwrap();
    assert_eq!(app.flow_in(FlowState::Error).await.error.unwrap().code, 34);
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert!(history
        .iter()
        .all(|h| h.record.status == HistoryStatus::Error));
    let codes: Vec<u16> = history.iter().filter_map(|h| h.record.error_code).collect();
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
    // Number matching (policy `push` by default): the browser shows a number, the prompt asks
    // for it, and approving without it is refused without ending the flow.
    let number = server
        .provoke_login(server_account, "push-session")
        .await
        .expect("a push login asks for a number");
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { ref check, .. }) = asked.interaction else {
        panic!("a login prompt")
    };
    assert_eq!(check.number, nextauth_sdk::NumberAsk::Type { digits: 2 });
    assert_eq!(check.source, nextauth_sdk::CodeSource::Push);
    assert!(matches!(
        app.sdk.respond(&asked.id, confirm(None, None)).await,
        Err(nextauth_sdk::SdkError::Engine(
            nextauth_sdk::engine::EngineError::InvalidInput(_)
        ))
    ));
    let with_number = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some(number),
    };
    app.sdk.respond(&asked.id, with_number).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("push-session").await["loggedin"], true);

    // A transaction for that session, approved with the PIN.
    let body = serde_json::json!({ "amount": "EUR 42.00", "benificiary": "Grace", "description": "dinner" });
    let path = format!("/servers/{}/sessions/transactions", server.server_id);
    let created = server
        .api("POST", &path, Some("push-session"), Some(&body))
        .await
        .json();
    let number = created["matchnumber"].as_str().map(str::to_owned);
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
    let approve = Response::Confirm {
        account_id: Some(account.clone()),
        user_input: None,
        number,
    };
    app.sdk.respond(&flow.id, approve).await.unwrap();
    app.flow_in(FlowState::WaitingForInput).await;
    app.sdk.respond(&flow.id, pin(PIN)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    let tid = created["tid"].as_str().unwrap();
    assert_eq!(transaction_status(&server, tid).await, "1", "approved");

    // The server deletes the account; the app learns it at the next pull.
    server.delete_account(server_account).await;
    app.sdk.pull_messages().await.unwrap();
    assert_eq!(app.account_deleted().await, (account.clone(), true));
    assert!(app.sdk.accounts().await.unwrap().is_empty());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history[0].record.status, HistoryStatus::Deleted);
    assert!(history
        .iter()
        .any(|h| h.record.status == HistoryStatus::Approved));
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
        (history[0].record.status, history[0].record.error_code),
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
        matches!(
            wrong,
            Err(nextauth_sdk::SdkError::Engine(
                nextauth_sdk::engine::EngineError::WrongPin(4)
            ))
        ),
        "{wrong:?}"
    );
    app.sdk
        .change_pin(&PinInput::new(PIN), &PinInput::new("1357"))
        .await
        .unwrap();

    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;
    let flow = app.approve_login(&server, "p").await;
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
    app.sdk.respond(&flow, pin("1357")).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(
        app.sdk.history(&HistoryQuery::default()).await.unwrap()[1]
            .record
            .status,
        HistoryStatus::PinChanged
    );
}

#[tokio::test]
async fn the_pin_is_proven_without_a_flow_and_wrong_ones_count() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let none = app.sdk.verify_pin(&PinInput::new(PIN)).await;
    assert!(
        matches!(
            none,
            Err(nextauth_sdk::SdkError::Engine(
                nextauth_sdk::engine::EngineError::InvalidInput(_)
            ))
        ),
        "no PIN yet: {none:?}"
    );
    enrol(&mut app, &server, "lena").await;
    app.sdk.verify_pin(&PinInput::new(PIN)).await.unwrap();
    let wrong = app.sdk.verify_pin(&PinInput::new("9999")).await;
    assert!(
        matches!(
            wrong,
            Err(nextauth_sdk::SdkError::Engine(
                nextauth_sdk::engine::EngineError::WrongPin(4)
            ))
        ),
        "{wrong:?}"
    );
    // The server counted it: the next wrong one leaves one fewer.
    let again = app.sdk.verify_pin(&PinInput::new("8888")).await;
    assert!(
        matches!(
            again,
            Err(nextauth_sdk::SdkError::Engine(
                nextauth_sdk::engine::EngineError::WrongPin(3)
            ))
        ),
        "{again:?}"
    );
    app.sdk.verify_pin(&PinInput::new(PIN)).await.unwrap();
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
        .configure(serde_json::json!({ "pingTime": 2, "pinTimeout": -1, "appLogin": true }))
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

/// Issue 18 item 4: what the integrator announces (keyed strings, logo, the browser's details)
/// reaches the SDK's prompt for a scanned code and for a push login, and what the person types
/// reaches the website (REST `userinput`).
#[tokio::test]
async fn announce_info_reaches_the_prompt_and_user_input_reaches_the_website() {
    use base64::Engine;
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "uma").await;
    let logo = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nlogo");
    let context = serde_json::json!({
        "announceinfo": {
            "info": { "Order": "4711", "Shop": "Acme Books" },
            "logo": logo,
        },
        "sessioninfo": { "ip": "198.51.100.23", "useragent": "Firefox 133 on Linux" },
    });
    let expect = |announce: &nextauth_sdk::Announce| {
        let info: Vec<(&str, &str)> = announce
            .info
            .iter()
            .map(|i| (i.key.as_str(), i.value.as_str()))
            .collect();
        assert_eq!(info, [("Order", "4711"), ("Shop", "Acme Books")]);
        assert_eq!(announce.logo, logo);
        assert_eq!(announce.ip, "198.51.100.23");
        assert_eq!(announce.user_agent, "Firefox 133 on Linux");
    };

    // A scanned code.
    let code = server.login_code_with("announced", &context).await;
    let flow = app.sdk.start_qr(&code).await.unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { announce, .. }) = &asked.interaction else {
        panic!("expected Confirm, got {asked:?}")
    };
    expect(announce);
    app.sdk
        .respond(&flow.id, confirm(None, Some("Leave it with the neighbour")))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    let status = server.session("announced").await;
    assert_eq!(status["loggedin"], true);
    assert_eq!(status["userinput"], "Leave it with the neighbour");
    // The history keeps what was announced.
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    expect(
        history[0]
            .record
            .announce
            .as_ref()
            .expect("announce in the history"),
    );

    // A push login.
    let account = server.account_ids().await[0];
    let number = server.provoke_login_with(account, "pushed", &context).await;
    app.sdk.pull_messages().await.unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { announce, .. }) = &asked.interaction else {
        panic!("expected Confirm, got {asked:?}")
    };
    expect(announce);
    let answer = Response::Confirm {
        account_id: None,
        user_input: Some("gift wrap, please".into()),
        number,
    };
    app.sdk.respond(&asked.id, answer).await.unwrap();
    app.flow_in(FlowState::Done).await;
    let status = server.session("pushed").await;
    assert_eq!(
        (status["loggedin"].as_bool(), status["userinput"].as_str()),
        (Some(true), Some("gift wrap, please"))
    );
}

/// The link behind the "Open the app" button of a website's block.
fn open_app_link(html: &str) -> String {
    let at = html
        .find("nextauth-app\" href=\"")
        .unwrap_or_else(|| panic!("no app link in {html}"));
    let rest = &html[at + "nextauth-app\" href=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The code as text under "Can't scan?" in a website's block.
fn code_as_text(html: &str) -> String {
    let at = html.find("readonly value=\"").expect("code as text");
    let rest = &html[at + "readonly value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// Issue 18 item 2: enrolment (and login) from the links a website's block offers: an https
/// deep link under the prefix the server is configured with (`appurl`), accepted by an app
/// configured with that prefix, and the `nextauth:` URI under "Can't scan?".
#[tokio::test]
async fn enrol_and_log_in_by_deep_link_and_by_app_uri() {
    const PREFIX: &str = "https://links.acme.test/nextauth";
    let server = ServerProcess::start().await;
    server
        .configure(serde_json::json!({ "appurl": PREFIX }))
        .await;
    let html = server.html_block("enrol", "link-signup", "rosa").await;
    let link = open_app_link(&html);
    assert!(link.starts_with(&format!("{PREFIX}/")), "{link}");
    assert_eq!(code_as_text(&html), link, "the same link to copy");

    // An app without that prefix configured: not ours, nothing is contacted.
    let stranger = App::new().await;
    assert_eq!(stranger.sdk.start_link(&link).await.unwrap_err().code(), 32);
    assert!(stranger.sdk.accounts().await.unwrap().is_empty());

    // The app configured with its servers' prefix: a mail client added a query string.
    let dir = std::sync::Arc::new(nextauth_e2e::TempDir::new("links"));
    let mut app = App::open_with(dir, |c| {
        c.link_rules.https_prefixes.push(PREFIX.to_owned());
    })
    .await;
    let flow = app
        .sdk
        .start_link(&format!("{link}?utm_source=mail#top"))
        .await
        .unwrap();
    let rosa = app.complete_enrol(&flow.id, "rosa", PIN).await;
    assert_eq!(server.session("link-signup").await["loggedin"], true);
    // The server's signed parameters name its prefix, so an app can accept it unasked.
    assert_eq!(
        app.sdk.server_link_prefixes().await.unwrap(),
        [("Acme".to_owned(), PREFIX.to_owned())]
    );

    // Link rules changed while the SDK runs (the desktop app's settings): the stranger now
    // takes the website's link (and, without an account there, answers NOACCOUNTS).
    let mut rules = stranger.sdk.link_rules();
    rules.https_prefixes.push(format!("{PREFIX}/"));
    stranger.sdk.set_link_rules(rules.clone());
    assert_eq!(stranger.sdk.link_rules(), rules);
    let html = server.html_block("login", "stranger-login", "").await;
    stranger
        .sdk
        .start_link(&open_app_link(&html))
        .await
        .expect("accepted under the new prefix");

    // Login by the deep link of the login block.
    let html = server.html_block("login", "link-login", "").await;
    let flow = app.sdk.start_link(&open_app_link(&html)).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("link-login").await["userid"], "rosa");

    // Without an app link configured, the block offers the app-to-app URI to copy.
    server.configure(serde_json::json!({ "appurl": "" })).await;
    let html = server.html_block("enrol", "uri-signup", "sam").await;
    assert!(!html.contains("nextauth-app\""), "no button without appurl");
    let uri = code_as_text(&html);
    assert!(uri.starts_with("nextauth:"), "{uri}");
    let flow = app.sdk.start_link(&uri).await.unwrap();
    let sam = app.complete_enrol(&flow.id, "sam", PIN).await;
    assert_ne!(rosa, sam);
    assert_eq!(server.session("uri-signup").await["loggedin"], true);
    let html = server.html_block("login", "uri-login", "").await;
    let flow = app.sdk.start_link(&code_as_text(&html)).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(Some(&sam), None))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("uri-login").await["userid"], "sam");
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.record.status == HistoryStatus::Enrolled)
            .count(),
        2
    );
}

/// Issue 18 item 3: the app logged in with AppLogin gets a short-lived token for its own
/// backend, signed by the server for that account and audience; the backend checks it offline
/// with the server's public key, or online with REST `apptokens/check`, which also sees the
/// AppLogin session end.
#[tokio::test]
async fn app_login_gives_the_backend_a_token_it_can_check() {
    use base64::Engine;
    use nextauth_protocol::app_token::{verify, AppTokenError};
    const API: &str = "https://api.acme.test";
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "pia").await;
    server
        .configure(serde_json::json!({ "pingTime": 30, "pinTimeout": -1, "appLogin": true }))
        .await;
    assert_eq!(
        app.sdk.app_login_token(API).await.unwrap_err().code(),
        135,
        "no AppLogin session, no token"
    );
    let login = app.sdk.app_login().await.unwrap();
    app.next_event(|e| {
        matches!(e, Event::SessionUpdate { session } if session.state == SessionState::Active)
            .then_some(())
    })
    .await;
    let token = app.sdk.app_login_token(API).await.unwrap();
    assert!(token.token.starts_with("nat1."));
    assert!(
        !format!("{token:?}").contains(&token.token),
        "Debug hides it"
    );
    let now = nextauth_e2e::unix_now();
    assert!(token.expires_at > now && token.expires_at <= now + 301);
    assert_ne!(token.token, login.nonce);

    // Offline: the server's public key (serverpk of GET /servers/{id}/) is all it takes.
    let info = server
        .api(
            "GET",
            &format!("/servers/{}/", server.server_id),
            None,
            None,
        )
        .await
        .json();
    let pk = base64::engine::general_purpose::STANDARD
        .decode(info["serverpk"].as_str().unwrap())
        .unwrap();
    let key = nextauth_protocol::crypto::PublicKey::from_slice(&pk).unwrap();
    let sid = nextauth_protocol::ids::ServerId::from_base64(&server.server_id).unwrap();
    let claims = verify(&token.token, &sid, &key, API, now).unwrap();
    assert_eq!(claims.userid, "pia");
    assert_eq!(claims.account_id as i64, server.account_ids().await[0]);
    assert_eq!(
        verify(&token.token, &sid, &key, "https://other.test", now),
        Err(AppTokenError::WrongAudience)
    );
    assert_eq!(
        verify(&token.token, &sid, &key, API, token.expires_at + 1),
        Err(AppTokenError::Expired)
    );

    // Online: valid while the session is logged in, for this audience only.
    let check = |token: String, audience: &'static str| {
        let server = &server;
        async move {
            let path = format!("/servers/{}/apptokens/check", server.server_id);
            let body = serde_json::json!({ "token": token, "audience": audience });
            let r = server.api("POST", &path, None, Some(&body)).await;
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()
        }
    };
    let ok = check(token.token.clone(), API).await;
    assert_eq!(
        (
            ok["valid"].as_bool(),
            ok["userid"].as_str(),
            ok["accountid"].as_i64()
        ),
        (Some(true), Some("pia"), Some(claims.account_id as i64))
    );
    let other = check(token.token.clone(), "https://other.test").await;
    assert_eq!(
        (other["valid"].as_bool(), other["reason"].as_str()),
        (Some(false), Some("audience"))
    );
    let mut forged = token.token.clone();
    forged.pop();
    forged.push(if token.token.ends_with('A') { 'B' } else { 'A' });
    let bad = check(forged, API).await;
    assert_eq!(bad["valid"], false);

    // The app logs out: the server no longer vouches for the token, nor gives a new one.
    app.sdk.stop(&login.flow_id).await.unwrap();
    app.next_event(|e| {
        matches!(e, Event::SessionUpdate { session } if session.state == SessionState::LoggedOut)
            .then_some(())
    })
    .await;
    let over = check(token.token.clone(), API).await;
    assert_eq!(
        (over["valid"].as_bool(), over["reason"].as_str()),
        (Some(false), Some("loggedout"))
    );
    assert_eq!(app.sdk.app_login_token(API).await.unwrap_err().code(), 135);

    // A web login is not an AppLogin session: no token can be minted from it.
    let flow = app.approve_login(&server, "web").await;
    app.next_event(|e| match e {
        Event::SessionUpdate { session } if session.id == flow => Some(()),
        _ => None,
    })
    .await;
    assert_eq!(app.sdk.app_login_token(API).await.unwrap_err().code(), 135);
}

/// The server's status of transaction `tid` (`getTransaction`'s `tstatus`, a number or its
/// text), as text.
async fn transaction_status(server: &ServerProcess, tid: &str) -> String {
    let result = server
        .api(
            "GET",
            &format!("/servers/{}/transactions/{tid}", server.server_id),
            None,
            None,
        )
        .await
        .json();
    match &result["tstatus"] {
        serde_json::Value::String(status) => status.clone(),
        serde_json::Value::Number(status) => status.to_string(),
        other => panic!("no transaction status: {other} in {result}"),
    }
}

/// Starts the flow of `code` and confirms it with the only account.
async fn start_and_confirm(app: &mut App, code: &[u8]) -> nextauth_sdk::Flow {
    let flow = app.sdk.start_qr(code).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    flow
}

/// Enrols `name` at a server that asks for no second factor (no PIN question).
async fn enrol_without_pin(app: &mut App, server: &ServerProcess, name: &str) -> String {
    let code = server.enrol_code(&format!("signup-{name}"), name).await;
    start_and_confirm(app, &code).await;
    let done = app.flow_in(FlowState::Done).await;
    let account = done.account.unwrap();
    assert!(!account.has_pin);
    account.id
}

/// Issue 18 item 6, HEADLESS_UPGRADE: an account enrolled where no PIN was required gets one
/// when its server begins to require it, at its next login: the app's PIN (checked with
/// another server first, so a typo does not split it), or a new one when the app has none.
#[tokio::test]
async fn an_account_without_a_pin_gets_one_when_its_server_begins_to_require_it() {
    let a = ServerProcess::start().await;
    let b = ServerProcess::start().await;
    b.configure(serde_json::json!({ "secondFactor": "none" }))
        .await;
    let mut app = App::new().await;
    let on_b = enrol_without_pin(&mut app, &b, "xena").await;
    enrol(&mut app, &a, "xena").await; // the app's PIN, set here

    b.configure(serde_json::json!({ "secondFactor": "pin", "pinTimeout": 0 }))
        .await;
    let flow = app.approve_login(&b, "upgrade").await;
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(
        matches!(
            ask.interaction,
            Some(Interaction::VerifySecondFactor { retry: false, .. })
        ),
        "the app's existing PIN is asked: {ask:?}"
    );
    app.sdk.respond(&flow, pin("1357")).await.unwrap();
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(
        matches!(
            ask.interaction,
            Some(Interaction::VerifySecondFactor {
                retry: true,
                remaining_attempts: 4
            })
        ),
        "a mistyped PIN is caught (by A) before B gets it: {ask:?}"
    );
    app.sdk.respond(&flow, pin(PIN)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(b.session("upgrade").await["loggedin"], true);
    let accounts = app.sdk.accounts().await.unwrap();
    assert!(accounts.iter().find(|a| a.id == on_b).unwrap().has_pin);
    // From now on B checks the same PIN as A.
    let flow = app.approve_login(&b, "after-upgrade").await;
    app.flow_in(FlowState::WaitingForInput).await;
    app.sdk.respond(&flow, pin(PIN)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(b.session("after-upgrade").await["loggedin"], true);

    // An app without any PIN chooses one.
    let c = ServerProcess::start().await;
    c.configure(serde_json::json!({ "secondFactor": "none" }))
        .await;
    let mut fresh = App::new().await;
    enrol_without_pin(&mut fresh, &c, "yann").await;
    c.configure(serde_json::json!({ "secondFactor": "pin", "pinTimeout": 0 }))
        .await;
    let flow = fresh.approve_login(&c, "first-pin").await;
    let ask = fresh.flow_in(FlowState::WaitingForInput).await;
    assert!(
        matches!(ask.interaction, Some(Interaction::SetSecondFactor)),
        "{ask:?}"
    );
    fresh.sdk.respond(&flow, pin("8642")).await.unwrap();
    fresh.flow_in(FlowState::Done).await;
    let flow = fresh.approve_login(&c, "with-pin").await;
    fresh.flow_in(FlowState::WaitingForInput).await;
    fresh.sdk.respond(&flow, pin("8642")).await.unwrap();
    fresh.flow_in(FlowState::Done).await;
    assert_eq!(c.session("with-pin").await["loggedin"], true);
}

#[tokio::test]
async fn a_transaction_is_not_approved_without_a_pin_once_the_server_requires_one() {
    // HEADLESS_UPGRADE at a transaction: an account enrolled without a PIN approves nothing on
    // a server that now requires one before it has one.
    let server = ServerProcess::start().await;
    server
        .configure(serde_json::json!({ "secondFactor": "none" }))
        .await;
    let mut app = App::new().await;
    let account = enrol_without_pin(&mut app, &server, "ugo").await;
    assert_eq!(server.session("signup-ugo").await["loggedin"], true);
    server
        .configure(serde_json::json!({ "secondFactor": "pin", "pinTransTimeout": 0 }))
        .await;

    let body =
        serde_json::json!({ "amount": "EUR 9.99", "benificiary": "Vera", "description": "book" });
    let path = format!("/servers/{}/sessions/transactions", server.server_id);
    let created = server
        .api("POST", &path, Some("signup-ugo"), Some(&body))
        .await
        .json();
    let qr = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        created["qrdata"].as_str().unwrap(),
    )
    .unwrap();
    let flow = app.sdk.start_qr(&qr).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    let approve = Response::Confirm {
        account_id: Some(account.clone()),
        user_input: None,
        number: created["matchnumber"].as_str().map(str::to_owned),
    };
    app.sdk.respond(&flow.id, approve).await.unwrap();
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert_eq!(
        ask.interaction,
        Some(Interaction::SetSecondFactor),
        "the app has no PIN: it sets one before the approval counts"
    );
    app.sdk.respond(&flow.id, pin("8642")).await.unwrap();
    app.flow_in(FlowState::Done).await;
    let tid = created["tid"].as_str().unwrap();
    assert_eq!(transaction_status(&server, tid).await, "1", "approved");
    let accounts = app.sdk.accounts().await.unwrap();
    assert!(accounts.iter().find(|a| a.id == account).unwrap().has_pin);
    // The server checks that PIN from now on.
    app.sdk.verify_pin(&PinInput::new("8642")).await.unwrap();
}

#[tokio::test]
async fn a_code_in_link_form_is_read_like_its_bytes() {
    // A server with the LINK_CODES flag shows codes as text (for phones); the desktop reads
    // them with its QR reader and the SDK takes the text as a link.
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "lin").await;
    server
        .configure(serde_json::json!({ "serverFlags": ["LINK_CODES"], "appurl": "" }))
        .await;
    let png = server
        .api(
            "GET",
            &format!("/servers/{}/sessions/qr/login?img=png", server.server_id),
            Some("link-form"),
            None,
        )
        .await
        .body;
    let text = nextauth_sdk::qr::decode_file(&png)
        .unwrap()
        .expect("a code");
    assert!(text.starts_with(b"nextauth:"), "the link form");
    let flow = app.sdk.start_qr(&text).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk
        .respond(&flow.id, confirm(None, None))
        .await
        .unwrap();
    loop {
        let f = app
            .next_event(|e| match e {
                Event::FlowUpdate { flow: f } if f.id == flow.id => Some(f.clone()),
                _ => None,
            })
            .await;
        match f.state {
            FlowState::WaitingForInput => app.sdk.respond(&flow.id, pin(PIN)).await.unwrap(),
            FlowState::Done => break,
            FlowState::Error => panic!("{:?}", f.error),
            _ => {}
        }
    }
    assert_eq!(server.session("link-form").await["loggedin"], true);
    // Text that is no link of ours is refused as not ours.
    let err = app
        .sdk
        .start_qr(b"https://elsewhere.example/x")
        .await
        .unwrap_err();
    assert_eq!(err.code(), 32);
}

#[tokio::test]
async fn the_next_scan_may_start_the_moment_a_flow_reports_its_end() {
    // An app (or a person) that scans again as soon as it hears "done" must not be told that
    // a flow is still running: the slot is free before the end is reported.
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    enrol(&mut app, &server, "nell").await;
    let mut next = server.login_code("back-to-back-0").await;
    for n in 1..=5 {
        let flow = app.sdk.start_qr(&next).await.expect("start");
        app.flow_in(FlowState::WaitingForConfirmation).await;
        next = server.login_code(&format!("back-to-back-{n}")).await;
        let confirm = Response::Confirm {
            account_id: None,
            user_input: None,
            number: None,
        };
        app.sdk.respond(&flow.id, confirm).await.expect("confirm");
        // The next iteration starts with no wait at all after the end.
        app.flow_in(FlowState::Done).await;
    }
    let flow = app
        .sdk
        .start_qr(&next)
        .await
        .expect("a start right after the end");
    app.sdk.stop(&flow.id).await.ok();
}

/// What the SDK logs, for [`a_login_is_logged_under_one_flow_id_by_the_sdk_and_the_server_and_nothing_secret`].
#[derive(Clone, Default)]
struct Logs(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_login_is_logged_under_one_flow_id_by_the_sdk_and_the_server_and_nothing_secret() {
    // The global subscriber: a per-thread one misses what other tests' threads (without one)
    // made tracing decide not to log. The other tests of this binary log into it too.
    static LOGS: std::sync::OnceLock<Logs> = std::sync::OnceLock::new();
    let logs = LOGS.get_or_init(|| {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        logs
    });
    let server = ServerProcess::start_logged("nextauth_server=debug").await;
    let mut app = App::new().await;
    enrol_asked_pin_every_time(&mut app, &server, "trace").await;
    let code = server.login_code("traced").await;
    let nextauth_protocol::qr::QrPayload::Login(login) = nextauth_e2e::decode_code(&code) else {
        panic!("not a login code")
    };
    let log_id = nextauth_sdk::engine::flow_log_id(&login.server_id, &login.session_ref);
    let flow = start_and_confirm(&mut app, &code).await;
    app.flow_in(FlowState::WaitingForInput).await;
    app.sdk.respond(&flow.id, pin(PIN)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("traced").await["loggedin"], true);

    let text = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    let ended = text
        .lines()
        .find(|l| l.contains("flow ended") && l.contains(&flow.id))
        .unwrap_or_else(|| panic!("no end of the flow logged:\n{text}"));
    assert!(
        ended.contains(&format!("flow{{id={} kind=Login flow={log_id}}}", flow.id)),
        "the flow's span carries its id and the server's log id: {ended}"
    );
    // The server process's own log names the same login by the same id, from the website's
    // request for the code to the app's connection that logged in.
    let server_log = server.log_text();
    let same_flow: Vec<&str> = server_log
        .lines()
        .filter(|l| l.contains(&format!("flow={log_id}")))
        .collect();
    let one_id = |route: &str| same_flow.iter().any(|l| l.contains(route));
    assert!(
        one_id("route=/servers/{serverid}/sessions/qr/login")
            && one_id("app{conn=")
            && same_flow.iter().any(|l| l.contains("logged in")),
        "the server logs the code's request and the app's login under flow={log_id}:\n{server_log}"
    );
    // The session reference (in the QR code) and the PIN stay out of both sides' logs.
    let session_ref = login.session_ref.0;
    let hex: String = session_ref.iter().map(|b| format!("{b:02x}")).collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session_ref);
    for secret in [hex.as_str(), b64.as_str(), "pin: \"2468\"", "\"2468\""] {
        assert!(!text.contains(secret), "{secret} logged:\n{text}");
        assert!(
            !server_log.contains(secret),
            "{secret} in the server's log:\n{server_log}"
        );
    }
}
