//! Live delivery against the real server process: what the server queues for an account
//! reaches the SDK without a pull, across a server restart, and stops with the handle;
//! deletions the server has not confirmed are retried in the background.

use std::time::Duration;

use nextauth_e2e::{App, ServerProcess};
use nextauth_sdk::{Event, FlowState, HistoryQuery, HistoryStatus, PushOutcome, Response};

const PIN: &str = "2468";

/// Approves, giving the number the browser shows (number matching).
fn approve(number: Option<String>) -> Response {
    Response::Confirm {
        account_id: None,
        user_input: None,
        number,
    }
}

#[tokio::test]
async fn push_logins_and_deletions_arrive_live_across_a_server_restart() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let account = app.enrol(&server, "lena", PIN).await;
    let server_account = server.account_ids().await[0];
    let live = app.sdk.start_live_delivery();

    // A push login reaches the app with no pull.
    let number = server.provoke_login(server_account, "live-1").await;
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.respond(&asked.id, approve(number)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("live-1").await["loggedin"], true);

    // The server goes away and comes back on the same address: the connection is opened
    // again and the login queued meanwhile arrives.
    let (data, port) = server.stop();
    let server = ServerProcess::start_in(data, Some(port)).await;
    server.provoke_login(server_account, "live-2").await;
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.respond(&asked.id, Response::Deny).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("live-2").await["loggedin"], false);

    // Without the handle nothing is delivered live; the message waits for a pull.
    drop(live);
    server.provoke_login(server_account, "live-3").await;
    let quiet = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(Event::FlowUpdate { .. }) = app.events.recv().await {
                break;
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "no delivery after the handle is dropped");
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1, "it was queued");
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.stop(&asked.id).await.unwrap();
    app.flow_in(FlowState::Done).await;

    // Live again: the server deletes the account and the app learns it at once.
    let _live = app.sdk.start_live_delivery();
    server.delete_account(server_account).await;
    let deleted = app.account_deleted().await;
    assert_eq!(deleted, (account, true));
    assert!(app.sdk.accounts().await.unwrap().is_empty());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(
        history[0].record.status,
        HistoryStatus::Deleted,
        "{history:#?}"
    );
    let count = |status| history.iter().filter(|h| h.record.status == status).count();
    assert_eq!(
        count(HistoryStatus::LoggedInOneShot),
        1,
        "the approved login"
    );
    assert_eq!(
        count(HistoryStatus::Aborted),
        2,
        "the denied and the stopped login"
    );
    assert_eq!(
        count(HistoryStatus::Message),
        3,
        "three push logins received"
    );
}

#[tokio::test]
async fn a_deletion_the_server_missed_is_retried_in_the_background() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let account = app.enrol(&server, "mallory", PIN).await;
    let (data, port) = server.stop();
    assert!(
        !app.sdk.delete_account(&account).await.unwrap(),
        "server down: deletion pending"
    );
    let _live = app.sdk.start_live_delivery();
    let server = ServerProcess::start_in(data, Some(port)).await;
    let deleted = app.account_deleted().await;
    assert_eq!(deleted, (account, false));
    assert!(
        server.account_ids().await.is_empty(),
        "the server forgot it"
    );
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(
        history
            .iter()
            .filter(|h| h.record.status == HistoryStatus::Error)
            .count(),
        1,
        "one failure recorded (the first attempt), not one per background retry"
    );
}

#[tokio::test]
async fn messages_from_the_message_center_arrive_live_and_are_kept() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    let account = app.enrol(&server, "nora", PIN).await;
    let server_account = server.account_ids().await[0];
    let _live = app.sdk.start_live_delivery();
    server
        .send_message(
            server_account,
            "Your order has shipped",
            "Order 4711 left today.",
        )
        .await;
    let message = app.message_received().await;
    assert_eq!(
        (
            message.title.as_str(),
            message.body.as_str(),
            message.account_id.as_str()
        ),
        (
            "Your order has shipped",
            "Order 4711 left today.",
            account.as_str()
        )
    );
    assert!(!message.read);
    assert_eq!(app.sdk.messages().await.unwrap(), vec![message.clone()]);
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 0, "acknowledged");
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history[0].record.status, HistoryStatus::Message);
    assert_eq!(history[0].record.detail, "Your order has shipped");

    // Read, then deleted, by the person.
    assert_eq!(app.sdk.mark_messages_read().await.unwrap(), 1);
    assert!(app.sdk.messages().await.unwrap()[0].read);
    assert_eq!(app.sdk.mark_messages_read().await.unwrap(), 0);
    assert!(app.sdk.delete_message(&message.id).await.unwrap());
    assert!(app.sdk.messages().await.unwrap().is_empty());
    assert!(!app.sdk.delete_message(&message.id).await.unwrap());
    assert_eq!(
        app.sdk
            .delete_message("not an id")
            .await
            .unwrap_err()
            .code(),
        126
    );
}

#[tokio::test]
async fn a_push_login_waits_for_the_open_request_and_then_asks() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "olga", PIN).await;
    let server_account = server.account_ids().await[0];
    let _live = app.sdk.start_live_delivery();

    // A login from a QR code is open when the push login arrives.
    let code = server.login_code("open-request").await;
    let first = app.sdk.start_qr(&code).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    let number = server.provoke_login(server_account, "queued").await;
    // Handled once this returns, by live delivery before or by this pull (both queue it).
    app.sdk.pull_messages().await.unwrap();
    assert_eq!(
        app.sdk.active_flow(),
        Some(first.id.clone()),
        "the open request keeps the screen"
    );

    // Once it ends, the push login asks.
    app.sdk.stop(&first.id).await.unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    assert_ne!(asked.id, first.id);
    app.sdk.respond(&asked.id, approve(number)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("queued").await["loggedin"], true);
    assert_eq!(server.session("open-request").await["loggedin"], false);
}

/// Issue 18 item 7: the same push by two routes (the live connection, then the platform's
/// push service) acts once, and the second copy leaves no ERROR 103 in the history.
#[tokio::test]
async fn a_push_that_live_delivery_handled_first_is_dropped_silently() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "dora", PIN).await;
    let server_account = server.account_ids().await[0];
    let number = server.provoke_login(server_account, "twice").await;
    let envelope = server
        .queued_envelopes()
        .await
        .pop()
        .expect("the push login");

    let _live = app.sdk.start_live_delivery();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    // FCM brings the same message while its prompt is open, and again after it was answered.
    assert_eq!(
        app.sdk.handle_push(&envelope).await.unwrap(),
        PushOutcome::Duplicate
    );
    assert_eq!(
        app.sdk.active_flow(),
        Some(asked.id.clone()),
        "no second prompt"
    );
    app.sdk.respond(&asked.id, approve(number)).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("twice").await["loggedin"], true);
    assert_eq!(
        app.sdk.handle_push(&envelope).await.unwrap(),
        PushOutcome::Duplicate
    );
    assert!(app.sdk.active_flow().is_none(), "no second prompt");
    // A pull finds nothing: the live connection acknowledged it.
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 0);

    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert!(
        history
            .iter()
            .all(|h| h.record.status != HistoryStatus::Error),
        "{history:#?}"
    );
    let count = |status| history.iter().filter(|h| h.record.status == status).count();
    assert_eq!(count(HistoryStatus::Message), 1, "one push login received");
    assert_eq!(count(HistoryStatus::LoggedInOneShot), 1);

    // A tampered copy is still an error, recorded as such.
    let mut tampered = envelope.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    assert_eq!(app.sdk.handle_push(&tampered).await.unwrap_err().code(), 48);
}

/// Issue 18 item 5: a website that logs out a continuous session also sends the app a LOGOUT
/// push; the app's session ends by it even when the session's own connection carries nothing
/// any more (here: frozen in a relay, as on a dead network path neither end noticed yet).
#[tokio::test]
async fn a_website_logout_ends_the_session_by_push_when_its_connection_is_silent() {
    let (mut proxy, listener) = nextauth_e2e::FreezableProxy::bind().await;
    let args = ["--public-url".to_owned(), format!("http://{}", proxy.addr)];
    let server = ServerProcess::start_with(nextauth_e2e::TempDir::new("server"), None, &args).await;
    proxy.forward_to(listener, server.addr);
    let mut app = App::new().await;
    let account = app.enrol(&server, "paula", PIN).await;
    // Pings every 15 s, and the app waits 65 s before it gives a silent session up: only the
    // push can end it within the test's 15 s.
    server
        .configure(serde_json::json!({ "pingTime": 30 }))
        .await;

    let _live = app.sdk.start_live_delivery();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    // The enrolment's connection, then live delivery's; nothing else opens one until the login.
    while proxy.count() < 2 {
        assert!(tokio::time::Instant::now() < deadline, "live connection");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let session_connection = 2;
    let flow = app.approve_login(&server, "continuous").await;
    let active = app
        .next_event(|e| match e {
            Event::SessionUpdate { session } => Some(session.clone()),
            _ => None,
        })
        .await;
    assert_eq!(
        (active.id.as_str(), active.state),
        (flow.as_str(), nextauth_sdk::SessionState::Active)
    );
    assert_eq!(server.session("continuous").await["loggedin"], true);
    assert_eq!(
        proxy.count(),
        session_connection + 1,
        "one connection for the login"
    );

    proxy.freeze(session_connection);
    let r = server
        .api(
            "POST",
            &format!("/servers/{}/sessions/logout", server.server_id),
            Some("continuous"),
            None,
        )
        .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.text());
    let ended = app
        .next_event(|e| match e {
            Event::SessionUpdate { session }
                if session.state == nextauth_sdk::SessionState::LoggedOut =>
            {
                Some(session.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!((ended.id.as_str(), ended.error), (flow.as_str(), None));
    assert_eq!(ended.account.id, account);
    assert!(app.sdk.sessions().is_empty());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    let logged_out: Vec<_> = history
        .iter()
        .filter(|h| h.record.status == HistoryStatus::LoggedOut)
        .collect();
    assert_eq!(
        logged_out.len(),
        1,
        "one entry for the logout: {history:#?}"
    );
    assert_eq!(logged_out[0].record.error_code, None);
    assert!(history
        .iter()
        .all(|h| h.record.status != HistoryStatus::Error));

    // With the connection working, the session's own connection and the push both say it:
    // still one logout, one entry.
    let flow = app.approve_login(&server, "continuous-2").await;
    app.next_event(|e| match e {
        Event::SessionUpdate { session } if session.id == flow => Some(()),
        _ => None,
    })
    .await;
    let r = server
        .api(
            "POST",
            &format!("/servers/{}/sessions/logout", server.server_id),
            Some("continuous-2"),
            None,
        )
        .await;
    assert!(r.status == 200 || r.status == 204);
    app.next_event(|e| match e {
        Event::SessionUpdate { session }
            if session.state == nextauth_sdk::SessionState::LoggedOut =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    // The LOGOUT push too: handled once this returns, by live delivery before or by this pull.
    app.sdk.pull_messages().await.unwrap();
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    let count = |status| history.iter().filter(|h| h.record.status == status).count();
    assert_eq!(count(HistoryStatus::LoggedOut), 2, "{history:#?}");
    assert_eq!(count(HistoryStatus::Error), 0);
}
