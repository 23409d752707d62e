//! Session tampering by whoever knows a session reference (docs/security.md, "Session
//! tampering"). The reference is printed in every login code and stays the same for a nonce,
//! so knowing it must not let anyone change a session.
//!
//! Before the fix (d8ada6b) a bare ClientHello moved a logged-in session back to `scanned`
//! (the website saw `loggedin: false`, a continuous app session was logged out), `log_in`
//! never checked the state (an attacker could log their own account into a victim's browser
//! session), the browser WebSocket's LOGOUT needed nothing but the reference, and a
//! transaction could be settled after it expired.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::raw::{self, Stop};
use nextauth_e2e::{decode_code, App, ServerProcess};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_sdk::{Event, SessionState};
use tokio_tungstenite::tungstenite::Message;

fn session_ref(server: &ServerProcess, nonce: &str) -> SessionRef {
    let id = ServerId::from_base64(&server.server_id).expect("id");
    SessionRef::derive(&id, nonce.as_bytes())
}

/// A bare hello (no account key sent) from someone who read the code.
async fn stranger_hello(
    account: &raw::AppAccount,
    server: &ServerProcess,
    purpose: Purpose,
    nonce: &str,
) -> Option<Stop> {
    raw::open_known(account, purpose, session_ref(server, nonce).0)
        .await
        .err()
}

/// The attacker's own account on the server (enrolled through a code the attacker got).
async fn attacker_account(server: &ServerProcess) -> raw::AppAccount {
    let code = match decode_code(&server.enrol_code("signup-mallory", "mallory").await) {
        QrPayload::Enrol(code) => code,
        other => panic!("{other:?}"),
    };
    let device = DeviceSecret::generate(&raw::rng()).expect("device");
    let (account, ex, reply) = raw::enrol(&code, &device, Some("9999"))
        .await
        .expect("enrol");
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;
    account
}

#[tokio::test]
async fn a_hello_cannot_touch_a_logged_in_session() {
    let server = ServerProcess::start().await;
    server.configure(serde_json::json!({ "pingTime": 5 })).await;
    let mut app = App::new().await;
    app.enrol(&server, "victim", "2468").await;
    let flow = app.approve_login(&server, "victim-browser").await;
    let active = app
        .next_event(|e| match e {
            Event::SessionUpdate { session } if session.id == flow => Some(session.clone()),
            _ => None,
        })
        .await;
    assert_eq!(active.state, SessionState::Active);
    assert_eq!(server.session("victim-browser").await["loggedin"], true);

    // The attacker knows the reference (it was in the code) and says hello, twice.
    let attacker = attacker_account(&server).await;
    for purpose in [Purpose::Login, Purpose::Enrol] {
        assert_eq!(
            stranger_hello(&attacker, &server, purpose, "victim-browser").await,
            Some(Stop::Alert(111))
        );
    }
    assert_eq!(server.session("victim-browser").await["loggedin"], true);
    // The continuous session goes on: no logout reaches the app.
    let quiet = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(Event::SessionUpdate { session }) = app.events.recv().await {
                if session.id == flow {
                    return session;
                }
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "the app's session was changed: {quiet:?}");
}

#[tokio::test]
async fn an_attacker_cannot_log_their_account_into_a_victims_session() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "victim", "2468").await;
    app.approve_login(&server, "victim-browser").await;
    app.flow_in(nextauth_sdk::FlowState::Done).await;
    let before = server.session("victim-browser").await;
    assert_eq!(before["loggedin"], true);

    // The attacker's own account tries to take over the logged-in session (login CSRF).
    let attacker = attacker_account(&server).await;
    let reference = session_ref(&server, "victim-browser");
    let attempt = raw::open_known(&attacker, Purpose::Login, reference.0).await;
    assert_eq!(attempt.err(), Some(Stop::Alert(111)));
    let after = server.session("victim-browser").await;
    assert_eq!(after["loggedin"], true);
    assert_eq!(
        after["userid"], before["userid"],
        "still the victim's login"
    );

    // A session that waits for a login takes only one: the second login is refused.
    let _ = server.login_code("race").await;
    let reference = session_ref(&server, "race");
    let mut first = raw::open_known(&attacker, Purpose::Login, reference.0)
        .await
        .expect("hello");
    let mut second = raw::open_known(&attacker, Purpose::Login, reference.0)
        .await
        .expect("hello");
    let request = ClientRequest::login(String::new());
    first.finish(&attacker.key, &request).await.unwrap();
    assert_eq!(first.recv_within(10).await, Some(ServerRecord::Accepted));
    second.finish(&attacker.key, &request).await.unwrap();
    assert_eq!(
        second.recv_within(10).await,
        Some(ServerRecord::Refused { code: 111 })
    );
}

/// The `logout` token of the session of `nonce`, from the footer the website's page gets.
async fn page_logout_token(server: &ServerProcess, nonce: &str) -> String {
    let path = format!("/servers/{}/sessions/html/footer", server.server_id);
    let html = server.api("GET", &path, Some(nonce), None).await.text();
    let start = html
        .find("\"logout\":\"")
        .expect("logout token in the footer")
        + 10;
    html[start..].split('"').next().expect("token").to_owned()
}

#[tokio::test]
async fn browser_logout_needs_the_pages_token() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "victim", "2468").await;
    app.approve_login(&server, "victim-browser").await;
    app.flow_in(nextauth_sdk::FlowState::Done).await;
    let hsid = session_ref(&server, "victim-browser").to_base64();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .expect("ws");
    let logout = |token: &str| format!("LOGOUT {hsid} {} {token}", server.server_id);
    for attempt in [
        format!("LOGOUT {hsid} {}", server.server_id),
        logout("AAAAAAAAAAAAAAAAAAAAAA"),
        logout(&"x".repeat(22)),
    ] {
        ws.send(Message::Text(attempt.into())).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(server.session("victim-browser").await["loggedin"], true);

    // The page itself holds the token and can log out.
    let token = page_logout_token(&server, "victim-browser").await;
    assert!(!token.is_empty());
    ws.send(Message::Text(logout(&token).into())).await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while server.session("victim-browser").await["loggedin"] == true {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the page's logout works"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = ws.close(None).await;
    let _ = ws.next().await;
}

#[tokio::test]
async fn an_expired_transaction_cannot_be_settled() {
    use base64::Engine;
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "victim", "2468").await;
    // The enrolment session is logged in: the website asks for a transaction in it.
    let path = format!("/servers/{}/sessions/transactions", server.server_id);
    let body = serde_json::json!({"amount": "EUR 10", "benificiary": "Shop", "description": "x"});
    let r = server
        .api("POST", &path, Some("signup-victim"), Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let answer = r.json();
    let tid = answer["tid"].as_str().expect("tid").to_owned();
    let number = answer["matchnumber"].as_str().map(str::to_owned);
    let qr = base64::engine::general_purpose::STANDARD
        .decode(answer["qrdata"].as_str().expect("qrdata"))
        .expect("base64");

    // The app shows it; meanwhile its deadline passes (moved in the server's own database,
    // standing in for ten minutes).
    let flow = app.sdk.start_qr(&qr).await.expect("transaction");
    app.flow_in(nextauth_sdk::FlowState::WaitingForConfirmation)
        .await;
    let db = format!("sqlite://{}", server.data_dir().join("server.db").display());
    let pool = sqlx::SqlitePool::connect(&db)
        .await
        .expect("server database");
    sqlx::query("UPDATE transactions SET expires = ?1")
        .bind(nextauth_e2e::unix_now() as i64 - 1)
        .execute(&pool)
        .await
        .expect("move the deadline");
    pool.close().await;

    // Approving now settles nothing.
    let confirm = nextauth_sdk::Response::Confirm {
        account_id: None,
        user_input: None,
        number,
    };
    app.sdk.respond(&flow.id, confirm).await.expect("approve");
    let next = app
        .next_event(|e| match e {
            Event::FlowUpdate { flow: f }
                if f.id == flow.id
                    && matches!(
                        f.state,
                        nextauth_sdk::FlowState::WaitingForInput
                            | nextauth_sdk::FlowState::Error
                            | nextauth_sdk::FlowState::Done
                    ) =>
            {
                Some(f.clone())
            }
            _ => None,
        })
        .await;
    if next.state == nextauth_sdk::FlowState::WaitingForInput {
        let pin = nextauth_sdk::Response::Pin {
            pin: nextauth_sdk::PinInput::new("2468"),
        };
        app.sdk.respond(&flow.id, pin).await.expect("PIN");
    }
    let failed = app.flow_in(nextauth_sdk::FlowState::Error).await;
    assert_eq!(failed.error.expect("error").code, 112);
    let path = format!("/servers/{}/transactions/{tid}", server.server_id);
    let result = server.api("GET", &path, None, None).await.json();
    assert_ne!(result["status"], "approved", "{result}");
}

#[tokio::test]
async fn anonymous_app_login_hellos_store_nothing() {
    let server = ServerProcess::start().await;
    let attacker = attacker_account(&server).await;
    let count = || async {
        let db = format!("sqlite://{}", server.data_dir().join("server.db").display());
        let pool = sqlx::SqlitePool::connect(&db)
            .await
            .expect("server database");
        let row: (i64,) = sqlx::query_as("SELECT COUNT(*) FROM sessions")
            .fetch_one(&pool)
            .await
            .expect("count");
        pool.close().await;
        row.0
    };
    // AppLogin is off by default: refused at the hello.
    let random = |i: u8| [i; 16];
    assert_eq!(
        raw::open_known(&attacker, Purpose::AppLogin, random(1))
            .await
            .err(),
        Some(Stop::Alert(114))
    );
    server
        .configure(serde_json::json!({ "appLogin": true }))
        .await;
    let before = count().await;
    // 50 hellos for random refs that never finish (the old server stored a row for each).
    for i in 0..50u8 {
        let ex = raw::open_known(&attacker, Purpose::AppLogin, random(i))
            .await
            .expect("hello answered");
        ex.close().await;
    }
    assert_eq!(count().await, before, "no row for an unauthenticated hello");
    // An authenticated AppLogin creates its session and logs in.
    let mut ex = raw::open_known(&attacker, Purpose::AppLogin, random(200))
        .await
        .expect("hello");
    let request = ClientRequest::login(String::new());
    ex.finish(&attacker.key, &request).await.unwrap();
    let answer = ex.recv_within(10).await;
    assert!(
        matches!(
            answer,
            Some(ServerRecord::Accepted | ServerRecord::PinRequired { .. })
        ),
        "{answer:?}"
    );
    if answer == Some(ServerRecord::Accepted) {
        assert_eq!(count().await, before + 1);
    }
}

/// RESUME (docs/protocol.md 10.8) takes up a continuous session on a new connection. The
/// attacker knows the victim's session reference and has an enrolled account of their own:
/// naming the victim's session is refused once the attacker's account has signed, exactly as
/// naming a session that does not exist, and the victim's session and app go on untouched.
#[tokio::test]
async fn a_resume_of_someone_elses_session_is_refused_and_changes_nothing() {
    let server = ServerProcess::start().await;
    server.configure(serde_json::json!({ "pingTime": 5 })).await;
    let mut app = App::new().await;
    app.enrol(&server, "victim", "2468").await;
    let flow = app.approve_login(&server, "victim-resumed").await;
    app.next_event(|e| match e {
        Event::SessionUpdate { session } if session.id == flow => Some(()),
        _ => None,
    })
    .await;
    let attacker = attacker_account(&server).await;

    for (nonce, what) in [
        ("victim-resumed", "the victim's session"),
        ("never-made", "a session that does not exist"),
    ] {
        let reference = session_ref(&server, nonce).0;
        let mut ex = raw::open_known(&attacker, Purpose::Resume, reference)
            .await
            .expect("a RESUME hello is answered alike for any reference: nothing is looked up");
        ex.finish(&attacker.key, &ClientRequest::Connect)
            .await
            .expect("finish");
        assert_eq!(
            ex.recv().await,
            Some(ServerRecord::Refused { code: 111 }),
            "{what}"
        );
        assert_eq!(ex.recv().await, None, "and the connection ends: {what}");
    }
    assert_eq!(server.session("victim-resumed").await["loggedin"], true);
    // The victim's app hears nothing: its session goes on (its pings are answered).
    let quiet = tokio::time::timeout(Duration::from_secs(3), async {
        loop {
            if let Ok(Event::SessionUpdate { session }) = app.events.recv().await {
                if session.id == flow {
                    return session;
                }
            }
        }
    })
    .await;
    assert!(quiet.is_err(), "the app's session was changed: {quiet:?}");
    assert_eq!(server.session("victim-resumed").await["loggedin"], true);
}
