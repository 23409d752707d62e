//! Live delivery against the real server process: what the server queues for an account
//! reaches the SDK without a pull, across a server restart, and stops with the handle;
//! deletions the server has not confirmed are retried in the background.

use std::time::Duration;

use nextauth_e2e::{App, ServerProcess};
use nextauth_sdk::{Event, FlowState, HistoryQuery, HistoryStatus, Response};

const PIN: &str = "2468";

fn approve() -> Response {
    Response::Confirm {
        account_id: None,
        user_input: None,
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
    server.provoke_login(server_account, "live-1").await;
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.respond(&asked.id, approve()).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("live-1").await["loggedin"], true);

    // The server goes away and comes back on the same address: the connection is opened
    // again and the login queued meanwhile arrives.
    let (data, port) = server.stop();
    tokio::time::sleep(Duration::from_millis(500)).await;
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
    assert_eq!(history[0].status, HistoryStatus::Deleted, "{history:#?}");
    let count = |status| history.iter().filter(|h| h.status == status).count();
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
            .filter(|h| h.status == HistoryStatus::Error)
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
    let message = app
        .next_event(|e| match e {
            Event::MessageReceived { message } => Some(message.clone()),
            _ => None,
        })
        .await;
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
    assert_eq!(history[0].status, HistoryStatus::Message);
    assert_eq!(history[0].detail, "Your order has shipped");

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
    server.provoke_login(server_account, "queued").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        app.sdk.active_flow(),
        Some(first.id.clone()),
        "the open request keeps the screen"
    );

    // Once it ends, the push login asks.
    app.sdk.stop(&first.id).await.unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    assert_ne!(asked.id, first.id);
    app.sdk.respond(&asked.id, approve()).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("queued").await["loggedin"], true);
    assert_eq!(server.session("open-request").await["loggedin"], false);
}
