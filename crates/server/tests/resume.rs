//! RESUME (docs/protocol.md 10.8) against the real server over real sockets: a continuous
//! session whose connection closed is taken up again by the account logged into it, and by
//! nobody else; the pings go on and the website's logout reaches it; a session nobody resumes
//! is logged out once its ping deadline passes.
mod support;

use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::SessionRef;
use nextauth_protocol::messages::{AppRecord, ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_server::clock::now;
use nextauth_server::codes;
use nextauth_server::store::sessions::{self, SessionState};
use support::app::{self, AppAccount, Exchange};
use support::TestServer;

const PIN: &str = "2468";

async fn state_of(server: &TestServer, session_ref: [u8; 16]) -> (SessionState, Option<i64>) {
    let row = sessions::get(
        &server.state.db,
        &server.server_id(),
        &SessionRef(session_ref),
    )
    .await
    .unwrap()
    .expect("the session exists");
    (row.state, row.account_id)
}

/// Logs `account` into a new session for `nonce`; returns the open exchange and the ref.
async fn log_in(server: &TestServer, account: &AppAccount, nonce: &str) -> (Exchange, [u8; 16]) {
    let reference = server.login_session(nonce).await.0;
    let mut ex = app::open_known(account, Purpose::Login, reference)
        .await
        .unwrap();
    ex.finish(&account.key, &ClientRequest::login(String::new()))
        .await
        .unwrap();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    (ex, reference)
}

/// Says RESUME for `reference` as `account`; returns the exchange and the server's answer.
async fn resume(account: &AppAccount, reference: [u8; 16]) -> (Exchange, Option<ServerRecord>) {
    let mut ex = app::open_known(account, Purpose::Resume, reference)
        .await
        .expect("any RESUME hello is answered: nothing is looked up before the signature");
    ex.finish(&account.key, &ClientRequest::Connect)
        .await
        .unwrap();
    let answer = ex.recv().await;
    (ex, answer)
}

async fn two_accounts(server: &TestServer) -> (AppAccount, AppAccount) {
    let alice = server
        .enrol(
            "e-alice",
            &DeviceSecret::from_bytes([5; 32]),
            "alice",
            Some("alice"),
            Some(PIN),
        )
        .await;
    let bob = server
        .enrol(
            "e-bob",
            &DeviceSecret::from_bytes([6; 32]),
            "bob",
            Some("bob"),
            Some(PIN),
        )
        .await;
    (alice, bob)
}

/// Answers pings until `n` were answered; returns the last counter.
async fn answer_pings(ex: &mut Exchange, n: usize) -> u64 {
    let mut last = 0;
    for _ in 0..n {
        match ex.recv_within(3).await {
            Some(ServerRecord::Ping { counter }) => {
                ex.send(&AppRecord::Pong { counter }).await;
                last = counter;
            }
            other => panic!("expected a ping, got {other:?}"),
        }
    }
    last
}

#[tokio::test]
async fn the_logged_in_account_resumes_its_session_and_the_pings_and_a_website_logout_reach_it() {
    let server = TestServer::start().await;
    let (alice, _) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 2).await;
    let (mut ex, reference) = log_in(&server, &alice, "r1").await;
    answer_pings(&mut ex, 1).await;
    // The connection breaks: the session stays logged in for the app to resume.
    ex.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let alice_id = server.account_row(&alice).await.account_id;
    assert_eq!(
        state_of(&server, reference).await,
        (SessionState::LoggedIn, Some(alice_id))
    );

    let (mut ex, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    // The same ping loop as after a login: counters start again on the new connection.
    assert_eq!(answer_pings(&mut ex, 2).await, 2);
    assert_eq!(
        state_of(&server, reference).await,
        (SessionState::LoggedIn, Some(alice_id))
    );
    assert!(
        codes::logout(&server.state, &server.server_id(), "r1", now())
            .await
            .unwrap()
    );
    assert_eq!(ex.recv_past_a_ping(3).await, Some(ServerRecord::LoggedOut));
    assert_eq!(
        state_of(&server, reference).await.0,
        SessionState::LoggedOut
    );

    // And the app's own logout on a resumed session logs the website out.
    let (ex, reference) = log_in(&server, &alice, "r1b").await;
    ex.close().await;
    let (mut ex, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    ex.send(&AppRecord::Logout).await;
    assert_eq!(ex.recv_within(3).await, Some(ServerRecord::LoggedOut));
    assert_eq!(
        state_of(&server, reference).await.0,
        SessionState::LoggedOut
    );
}

#[tokio::test]
async fn a_resume_is_refused_for_another_account_and_for_a_session_that_is_not_logged_in() {
    let server = TestServer::start().await;
    let (alice, bob) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 30).await;
    let alice_id = server.account_row(&alice).await.account_id;

    let (ex, reference) = log_in(&server, &alice, "r2").await;
    ex.close().await;
    // Another enrolled account naming alice's session: refused, and the session is untouched.
    let (_, answer) = resume(&bob, reference).await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 111 }));
    assert_eq!(
        state_of(&server, reference).await,
        (SessionState::LoggedIn, Some(alice_id))
    );
    // A session nobody logged into, and one that does not exist.
    let waiting = server.login_session("r2-waiting").await.0;
    let (_, answer) = resume(&alice, waiting).await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 111 }));
    assert_eq!(state_of(&server, waiting).await.0, SessionState::New);
    let (_, answer) = resume(&alice, [0x5a; 16]).await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 111 }));
    // A session the website logged out.
    assert!(
        codes::logout(&server.state, &server.server_id(), "r2", now())
            .await
            .unwrap()
    );
    let (_, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 111 }));
    assert_eq!(
        state_of(&server, reference).await.0,
        SessionState::LoggedOut
    );
}

#[tokio::test]
async fn a_one_shot_login_cannot_be_resumed() {
    let server = TestServer::start().await;
    let (alice, _) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 0).await;
    let (ex, reference) = log_in(&server, &alice, "r3").await;
    ex.close().await;
    assert_eq!(state_of(&server, reference).await.0, SessionState::LoggedIn);
    let (_, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 111 }));
    assert_eq!(state_of(&server, reference).await.0, SessionState::LoggedIn);
}

#[tokio::test]
async fn a_resume_follows_a_login_the_website_moved_to_a_new_reference() {
    let server = TestServer::start().await;
    let (alice, _) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 30).await;
    let (ex, reference) = log_in(&server, &alice, "r4").await;
    ex.close().await;
    let id = server.server_id();
    let moved = SessionRef::derive(&id, b"r4-after-login");
    assert!(
        sessions::rekey(&server.state.db, &id, &SessionRef(reference), &moved, now())
            .await
            .unwrap()
    );
    // The app knows only the reference it logged in with.
    let (mut ex, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    assert!(codes::logout_session(&server.state, &id, &moved, now())
        .await
        .unwrap());
    assert_eq!(ex.recv_within(3).await, Some(ServerRecord::LoggedOut));
}

#[tokio::test]
async fn a_session_nobody_resumes_is_logged_out_at_its_ping_deadline() {
    let server = TestServer::start().await;
    let (alice, _) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 2).await;
    let (ex, reference) = log_in(&server, &alice, "r5").await;
    let logged_in_at = now();
    ex.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // The deadline is 2 × 2 + 5 s after the login (no pong since): not yet.
    let state = &server.state;
    assert_eq!(
        nextauth_server::sweep::expire_orphans(state, logged_in_at + 8)
            .await
            .unwrap(),
        0
    );
    assert_eq!(state_of(&server, reference).await.0, SessionState::LoggedIn);
    assert_eq!(
        nextauth_server::sweep::expire_orphans(state, logged_in_at + 11)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        state_of(&server, reference).await.0,
        SessionState::LoggedOut
    );
    let (_, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 111 }));
}

#[tokio::test]
async fn a_missed_ping_on_a_connection_the_app_left_does_not_log_out_the_resumed_session() {
    let server = TestServer::start().await;
    let (alice, _) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 2).await;
    // The first connection stays open but goes silent (a dead path the server has not
    // noticed); the app resumes on a second one and answers there.
    let (mut silent, reference) = log_in(&server, &alice, "r6").await;
    let (mut ex, answer) = resume(&alice, reference).await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    // The silent connection's ping goes unanswered for its 2 s.
    assert!(matches!(
        silent.recv_within(3).await,
        Some(ServerRecord::Ping { .. })
    ));
    answer_pings(&mut ex, 4).await;
    assert_eq!(state_of(&server, reference).await.0, SessionState::LoggedIn);
    assert_eq!(
        silent.recv_within(1).await,
        None,
        "the left connection hears no logout"
    );
}

/// The first ping deadline is written with the login itself, before the app hears Accepted: a
/// process that dies right after a continuous login (before its ping loop starts) must not
/// leave a logged-in session that no deadline would ever end (tests/drain.rs once saw one).
#[tokio::test]
async fn a_continuous_login_has_its_ping_deadline_from_the_moment_it_is_accepted() {
    let server = TestServer::start().await;
    let (alice, _) = two_accounts(&server).await;
    server.configure(|s| s.profile.ping_time = 2).await;
    let (_ex, reference) = log_in(&server, &alice, "r7").await;
    let far = now() + 60;
    let state = &server.state;
    assert_eq!(
        nextauth_server::sweep::expire_orphans(state, far)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        state_of(&server, reference).await.0,
        SessionState::LoggedOut
    );
}
