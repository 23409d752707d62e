//! Issue 18 item 1: one app with accounts on two servers (two server processes, each behind a
//! relay that counts the app's connections): enrolment on both, logins and push logins on
//! each, the account chooser offering only that server's accounts, parameters refreshed per
//! server, a deletion on one leaving the other, and live delivery with one connection per
//! server, not per account.

use std::time::Duration;

use nextauth_e2e::{App, FreezableProxy, ServerProcess, TempDir};
use nextauth_sdk::{FlowState, HistoryQuery, Interaction, Response};

const PIN: &str = "2468";

/// A server whose app endpoint (in its codes and parameters) is a relay that counts the app's
/// connections.
async fn counted_server() -> (ServerProcess, FreezableProxy) {
    let (mut proxy, listener) = FreezableProxy::bind().await;
    let args = ["--public-url".to_owned(), format!("http://{}", proxy.addr)];
    let server = ServerProcess::start_with(TempDir::new("server"), None, &args).await;
    proxy.forward_to(listener, server.addr);
    (server, proxy)
}

fn approve(account_id: Option<&str>, number: Option<String>) -> Response {
    Response::Confirm {
        account_id: account_id.map(str::to_owned),
        user_input: None,
        number,
    }
}

/// Logs in with a login code of `server` as `account` (chosen when several are offered);
/// returns the ids of the accounts the chooser offered.
async fn log_in(app: &mut App, server: &ServerProcess, nonce: &str, account: &str) -> Vec<String> {
    let flow = app
        .sdk
        .start_qr(&server.login_code(nonce).await)
        .await
        .unwrap();
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { accounts, .. }) = asked.interaction else {
        panic!("expected Confirm, got {asked:?}")
    };
    let choose = (accounts.len() > 1).then_some(account);
    app.sdk
        .respond(&flow.id, approve(choose, None))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    let session = server.session(nonce).await;
    assert_eq!(session["loggedin"], true);
    let mut offered: Vec<String> = accounts.into_iter().map(|a| a.id).collect();
    offered.sort();
    offered
}

/// Answers the next push login (it must be for `account`) with `number`.
async fn answer_push(app: &mut App, account: &str, number: Option<String>) {
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let Some(Interaction::Confirm { accounts, .. }) = &asked.interaction else {
        panic!("expected Confirm, got {asked:?}")
    };
    assert_eq!(accounts.len(), 1, "a push login offers its account only");
    assert_eq!(accounts[0].id, account);
    app.sdk
        .respond(&asked.id, approve(None, number))
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
}

/// Waits until `proxy` has accepted `count` connections in all, then a little longer to see
/// that no more come.
async fn settled_at(proxy: &FreezableProxy, count: usize) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while proxy.count() < count {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {count} connections",
            proxy.count()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(proxy.count(), count, "no further connection");
}

/// The server's id of its `index`-th account (in the order they were created).
async fn server_account(server: &ServerProcess, index: usize) -> i64 {
    server.account_ids().await[index]
}

#[tokio::test]
async fn accounts_on_two_servers_live_side_by_side() {
    let (a, proxy_a) = counted_server().await;
    let (b, proxy_b) = counted_server().await;
    assert_ne!(a.server_id, b.server_id);
    b.configure(serde_json::json!({ "serverName": "Bravo Bank" }))
        .await;
    let mut app = App::new().await;

    // Enrolment on both: two accounts on A, one on B.
    let alice = app.enrol(&a, "alice", PIN).await;
    let bob = app.enrol(&a, "bob", PIN).await;
    let carol = app.enrol(&b, "carol", PIN).await;
    assert_eq!(app.sdk.accounts().await.unwrap().len(), 3);
    let names = |app: &App| {
        let sdk = app.sdk.clone();
        let (a, b) = (a.server_id.clone(), b.server_id.clone());
        async move {
            (
                sdk.server(&a).await.unwrap().unwrap().name,
                sdk.server(&b).await.unwrap().unwrap().name,
            )
        }
    };
    assert_eq!(
        names(&app).await,
        ("Acme".to_owned(), "Bravo Bank".to_owned())
    );

    // Log in on each: the chooser offers only that server's accounts.
    let mut on_a = vec![alice.clone(), bob.clone()];
    on_a.sort();
    assert_eq!(log_in(&mut app, &a, "a-1", &bob).await, on_a);
    assert_eq!(a.session("a-1").await["userid"], "bob");
    assert_eq!(
        log_in(&mut app, &b, "b-1", &carol).await,
        vec![carol.clone()]
    );
    assert_eq!(b.session("b-1").await["userid"], "carol");

    // Parameters are refreshed per server: a change on A reaches the app at its next login
    // there and leaves B's as they were, and the other way round.
    a.configure(serde_json::json!({ "serverName": "Acme Online" }))
        .await;
    b.configure(serde_json::json!({ "serverName": "Bravo Direct" }))
        .await;
    log_in(&mut app, &a, "a-2", &alice).await;
    assert_eq!(
        names(&app).await,
        ("Acme Online".to_owned(), "Bravo Bank".to_owned())
    );
    log_in(&mut app, &b, "b-2", &carol).await;
    assert_eq!(
        names(&app).await,
        ("Acme Online".to_owned(), "Bravo Direct".to_owned())
    );

    // Live delivery: one connection per server, although A has two accounts here.
    let (before_a, before_b) = (proxy_a.count(), proxy_b.count());
    let _live = app.sdk.start_live_delivery();
    settled_at(&proxy_a, before_a + 1).await;
    settled_at(&proxy_b, before_b + 1).await;

    // Push from each server, to each account: all arrive over those two connections.
    let (alice_a, bob_a) = (server_account(&a, 0).await, server_account(&a, 1).await);
    let carol_b = server_account(&b, 0).await;
    let number = a.provoke_login(bob_a, "a-push-bob").await;
    answer_push(&mut app, &bob, number).await;
    let number = a.provoke_login(alice_a, "a-push-alice").await;
    answer_push(&mut app, &alice, number).await;
    let number = b.provoke_login(carol_b, "b-push-carol").await;
    answer_push(&mut app, &carol, number).await;
    for nonce in ["a-push-bob", "a-push-alice"] {
        assert_eq!(a.session(nonce).await["loggedin"], true, "{nonce}");
    }
    assert_eq!(b.session("b-push-carol").await["loggedin"], true);

    // A deletes alice: the app hears it on the shared connection; bob stays, and so does B.
    a.delete_account(alice_a).await;
    assert_eq!(app.account_deleted().await, (alice.clone(), true));
    let left: Vec<String> = app
        .sdk
        .accounts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id)
        .collect();
    assert_eq!(left.len(), 2);
    assert!(left.contains(&bob) && left.contains(&carol));
    let number = a.provoke_login(bob_a, "a-push-bob-2").await;
    answer_push(&mut app, &bob, number).await;

    // The app deletes carol (B's only account): A is untouched, B forgets this app's account
    // and its parameters go from the app.
    assert!(app.sdk.delete_account(&carol).await.unwrap());
    assert!(b.account_ids().await.is_empty());
    assert_eq!(a.account_ids().await, vec![bob_a]);
    assert!(app.sdk.server(&b.server_id).await.unwrap().is_none());
    assert!(app.sdk.server(&a.server_id).await.unwrap().is_some());
    let number = a.provoke_login(bob_a, "a-push-bob-3").await;
    answer_push(&mut app, &bob, number).await;
    assert_eq!(a.session("a-push-bob-3").await["loggedin"], true);

    // Nothing failed on the way.
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert!(
        history
            .iter()
            .all(|h| h.record.status != nextauth_sdk::HistoryStatus::Error),
        "{history:#?}"
    );
}
