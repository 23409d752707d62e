//! The app endpoint end to end: a test app speaks the protocol to the real server over a real
//! WebSocket on loopback, and the database shows the result.
mod support;

use nextauth_protocol::handshake::{AbortReason, Purpose};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, ServerContext, ServerRecord, TransactionDetails,
};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::push::{Envelope, PushBody, ReplayGuard};
use nextauth_protocol::qr::QrPayload;
use nextauth_server::clock::now;
use nextauth_server::codes;
use nextauth_server::state::Change;
use nextauth_server::store::enrol_codes::EnrolGrant;
use nextauth_server::store::sessions::{self, SessionEvent, SessionState};
use nextauth_server::store::transactions::{self, TransactionStatus};
use nextauth_server::store::{accounts, messages};
use support::app::{self, AppAccount, Stop};
use support::TestServer;

const PIN: &str = "2468";

async fn session(server: &TestServer, nonce: &str) -> sessions::SessionRow {
    let id = server.server_id();
    sessions::get(
        &server.state.db,
        &id,
        &SessionRef::derive(&id, nonce.as_bytes()),
    )
    .await
    .unwrap()
    .unwrap()
}

/// Enrols alice with the PIN through a fresh enrol code for `nonce`.
async fn enrol(server: &TestServer, nonce: &str, device: &DeviceSecret) -> AppAccount {
    server
        .enrol(nonce, device, "alice", Some("alice"), Some(PIN))
        .await
}

/// A login exchange of `account` with the session of `nonce` (a new login code), its hello
/// answered.
async fn open_login(server: &TestServer, account: &AppAccount, nonce: &str) -> app::Exchange {
    app::open_known(account, Purpose::Login, server.login_session(nonce).await.0)
        .await
        .unwrap()
}

/// Logs `account` into the session of `nonce` (a new login code, no user input): the exchange
/// and the server's first answer.
async fn log_in(
    server: &TestServer,
    account: &AppAccount,
    nonce: &str,
) -> (app::Exchange, Option<ServerRecord>) {
    let mut ex = open_login(server, account, nonce).await;
    ex.finish(&account.key, &ClientRequest::login(String::new()))
        .await
        .unwrap();
    let answer = ex.recv().await;
    (ex, answer)
}

#[tokio::test]
async fn enrol_logs_in_and_a_later_login_needs_no_pin_within_the_timeout() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([7; 32]);
    let account = enrol(&server, "signup-nonce", &device).await;
    let s = session(&server, "signup-nonce").await;
    assert_eq!(
        (s.state, s.event),
        (SessionState::LoggedIn, SessionEvent::Login)
    );
    let stored = server.account_row(&account).await;
    assert_eq!(
        (stored.userid.as_deref(), stored.has_pin),
        (Some("alice"), true)
    );
    assert_eq!(account.params.profile.name, "Acme");

    // A denied push counts a strike; the owner's login forgives it (store/logins.rs).
    accounts::push_denied(&server.state.db, stored.account_id)
        .await
        .unwrap();
    assert_eq!(server.account_row(&account).await.push_strikes, 1);
    // The enrolment logged in too: its login times are cleared to see the next one's.
    for table in ["accounts", "users"] {
        sqlx::query(&format!("UPDATE {table} SET lastlogin = 0"))
            .execute(&server.state.db.pool)
            .await
            .unwrap();
    }
    let server_id = server.server_id();
    let user = |db| nextauth_server::store::users::get(db, &server_id, "alice");

    let mut ex = open_login(&server, &account, "login-nonce").await;
    assert!(matches!(
        ServerContext::decode(&ex.decision.as_ref().unwrap().context).unwrap(),
        ServerContext::Login { .. }
    ));
    ex.finish(&account.key, &ClientRequest::login("hello"))
        .await
        .unwrap();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    let s = session(&server, "login-nonce").await;
    assert_eq!(
        (s.state, s.account_id, s.user_input.as_str()),
        (SessionState::LoggedIn, Some(stored.account_id), "hello")
    );
    // The login's other writes, in the same statement on PostgreSQL: the account's strikes
    // and login time, the user's login time.
    let after = server.account_row(&account).await;
    assert_eq!((after.push_strikes, after.push_outstanding), (0, false));
    assert!(after.lastlogin > 0, "the account's login time");
    assert!(user(&server.state.db).await.unwrap().unwrap().lastlogin > 0);
}

#[tokio::test]
async fn wrong_pins_are_counted_by_the_server_until_blocked() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([7; 32]);
    let account = enrol(&server, "n0", &device).await;
    server
        .configure(|s| {
            s.profile.pin_timeout = 0;
            s.profile.max_pin_attempts = 3;
        })
        .await;

    let wrong = |remaining_attempts| Some(ServerRecord::PinWrong { remaining_attempts });
    // Each login: its session, the first question, then each PIN tried and the answer to it.
    let logins = [
        // A wrong PIN, then the right one: the counter resets.
        (
            "n1",
            3,
            vec![("0000", wrong(2)), (PIN, Some(ServerRecord::Accepted))],
        ),
        // Three wrong PINs, spread over two connections: closing one does not save an attempt.
        ("n2", 3, vec![("1111", wrong(2))]),
        (
            "n3",
            2,
            vec![("2222", wrong(1)), ("3333", Some(ServerRecord::PinBlocked))],
        ),
    ];
    for (nonce, remaining_attempts, tries) in logins {
        let (mut ex, asked) = log_in(&server, &account, nonce).await;
        assert_eq!(
            asked,
            Some(ServerRecord::PinRequired { remaining_attempts }),
            "{nonce}"
        );
        for (pin, answer) in tries {
            app::prove_pin(&mut ex, &device, pin, &account).await;
            assert_eq!(ex.recv().await, answer, "{nonce}: PIN {pin}");
        }
        ex.close().await;
    }
    assert_ne!(session(&server, "n3").await.state, SessionState::LoggedIn);

    // Blocked: even the right PIN is not asked for any more.
    let (_ex, answer) = log_in(&server, &account, "n4").await;
    assert_eq!(answer, Some(ServerRecord::PinBlocked));
    assert_ne!(session(&server, "n4").await.state, SessionState::LoggedIn);
}

#[tokio::test]
async fn enrol_codes_are_single_use_unexpired_and_need_a_pin_when_required() {
    let server = TestServer::start().await;
    let row = server.demo_server().await;
    let device = DeviceSecret::from_bytes([1; 32]);
    let grant = || EnrolGrant {
        display_name: "bob".into(),
        userid: None,
    };

    let code = app::enrol_code(
        codes::enrol_code(&server.state, &row, "a", grant(), now())
            .await
            .unwrap(),
    );
    let (_, _, reply) = app::enrol(&code, &device, None).await.unwrap();
    assert_eq!(
        reply,
        ServerRecord::Refused { code: 110 },
        "the demo server requires a PIN"
    );
    let (_, _, reply) = app::enrol(&code, &device, Some(PIN)).await.unwrap();
    assert_eq!(
        reply,
        ServerRecord::Accepted,
        "a refused attempt does not use up the code"
    );
    // The session is now logged in: no hello changes it, so the code cannot even be tried.
    assert_eq!(
        app::enrol(&code, &device, Some(PIN)).await.err(),
        Some(Stop::Alert(111)),
        "a logged-in session"
    );
    // Were the session waiting again, the code itself is used up.
    let t = sessions::Transition {
        state: SessionState::New,
        event: SessionEvent::None,
        account_id: None,
        user_input: None,
    };
    let id = server.server_id();
    sessions::transition(
        &server.state.db,
        &id,
        &code.session_ref,
        SessionState::ALL,
        t,
        now(),
    )
    .await
    .unwrap();
    let (_, _, reply) = app::enrol(&code, &device, Some(PIN)).await.unwrap();
    assert_eq!(reply, ServerRecord::Refused { code: 41 }, "second use");

    let old = now() - 2 * codes::ENROL_TTL_SECS;
    let expired = app::enrol_code(
        codes::enrol_code(&server.state, &row, "b", grant(), old)
            .await
            .unwrap(),
    );
    let (_, _, reply) = app::enrol(&expired, &device, Some(PIN)).await.unwrap();
    assert_eq!(reply, ServerRecord::Refused { code: 41 }, "expired");
}

#[tokio::test]
async fn unknown_sessions_servers_and_garbage_get_alerts() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([2; 32]);
    let account = enrol(&server, "x", &device).await;
    let err = app::open_known(&account, Purpose::Login, [9; 16])
        .await
        .err();
    assert_eq!(err, Some(Stop::Alert(111)), "session never created");
    let trust = nextauth_protocol::params::ParamsTrust::EnrolHash(&[0; 32]);
    let err = app::open(
        &account.params.endpoint,
        Purpose::Connect,
        ServerId([3; 16]),
        [0; 16],
        trust,
    )
    .await
    .err();
    assert_eq!(err, Some(Stop::Alert(48)), "unknown server");

    // Raw garbage instead of a ClientHello: an alert, and the server keeps serving.
    use futures_util::{SinkExt, StreamExt};
    let (mut ws, _) = tokio_tungstenite::connect_async(&account.params.endpoint)
        .await
        .unwrap();
    ws.send(tokio_tungstenite::tungstenite::Message::Binary(
        vec![0x42, 1, 2].into(),
    ))
    .await
    .unwrap();
    let reply = ws.next().await.unwrap().unwrap().into_data();
    assert_eq!(
        nextauth_protocol::handshake::decode_alert(&reply).unwrap(),
        33
    );
    // The server keeps serving: the account still connects.
    support::connected(&account).await;
}

/// Waits (5 s at most) until the server announces a change of the session of `nonce` on
/// `changes` (subscribed before the action that changes it).
async fn changed(
    server: &TestServer,
    mut changes: tokio::sync::broadcast::Receiver<Change>,
    nonce: &str,
) {
    let id = server.server_id();
    let wanted = Change::Session(id, SessionRef::derive(&id, nonce.as_bytes()));
    tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while changes.recv().await.expect("the server runs") != wanted {}
    })
    .await
    .expect("the session changes within 5 s");
}

#[tokio::test]
async fn declining_tells_the_browser() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([3; 32]);
    let account = enrol(&server, "e", &device).await;
    let mut ex = open_login(&server, &account, "deny").await;
    assert_eq!(
        session(&server, "deny").await.event,
        SessionEvent::ConfirmScan
    );
    let changes = server.state.changes.subscribe();
    ex.abort(AbortReason::Declined).await;
    changed(&server, changes, "deny").await;
    let s = session(&server, "deny").await;
    assert_eq!(
        (s.state, s.event),
        (SessionState::New, SessionEvent::Cancel)
    );

    let mut ex = open_login(&server, &account, "none").await;
    let changes = server.state.changes.subscribe();
    ex.abort(AbortReason::NoAccounts).await;
    changed(&server, changes, "none").await;
    assert_eq!(
        session(&server, "none").await.event,
        SessionEvent::NoAccounts
    );
}

#[tokio::test]
async fn transactions_are_approved_with_the_pin_or_declined() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([4; 32]);
    let account = enrol(&server, "web", &device).await;
    let row = server.demo_server().await;
    let details = TransactionDetails {
        amount: "EUR 120.00".into(),
        beneficiary: "Bob".into(),
        description: "rent".into(),
    };

    let (tid, code, number) =
        codes::create_transaction(&server.state, &row, "web", details.clone(), now())
            .await
            .unwrap();
    let number = number.expect("transactions ask for a number by default (policy `push`)");
    assert!(matches!(code, QrPayload::Transaction(_)));
    let mut ex = app::open_known(&account, Purpose::Transaction, tid.0)
        .await
        .unwrap();
    let context = ServerContext::decode(&ex.decision.as_ref().unwrap().context).unwrap();
    assert_eq!(
        context,
        ServerContext::Transaction {
            details: details.clone(),
            check: nextauth_protocol::messages::LoginCheck {
                number: nextauth_protocol::messages::NumberChallenge::Type(2),
                observed: Default::default(),
            }
        },
        "the app shows what the server stored, and asks for the number"
    );
    let approve = ClientRequest::Transaction {
        approve: true,
        number,
    };
    ex.finish(&account.key, &approve).await.unwrap();
    assert_eq!(
        ex.recv().await,
        Some(ServerRecord::PinRequired {
            remaining_attempts: 5
        }),
        "pin trans timeout 0"
    );
    app::prove_pin(&mut ex, &device, PIN, &account).await;
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    let stored = transactions::get(&server.state.db, &row.server_id, &tid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, TransactionStatus::Approved);
    let err = app::open_known(&account, Purpose::Transaction, tid.0)
        .await
        .err();
    assert_eq!(
        err,
        Some(Stop::Alert(112)),
        "a settled transaction cannot be approved again"
    );

    let (tid, ..) = codes::create_transaction(&server.state, &row, "web", details, now())
        .await
        .unwrap();
    let mut ex = app::open_known(&account, Purpose::Transaction, tid.0)
        .await
        .unwrap();
    ex.finish(&account.key, &ClientRequest::transaction(false))
        .await
        .unwrap();
    assert_eq!(
        ex.recv().await,
        Some(ServerRecord::Accepted),
        "declining needs no PIN"
    );
    let stored = transactions::get(&server.state.db, &row.server_id, &tid)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.status, TransactionStatus::Declined);

    // Nobody logged in: no transaction.
    let err = codes::create_transaction(
        &server.state,
        &row,
        "nobody",
        TransactionDetails::default(),
        now(),
    )
    .await;
    assert!(matches!(err, Err(codes::TransactionError::NotLoggedIn)));
}

#[tokio::test]
async fn continuous_sessions_ping_and_end_on_website_logout_or_silence() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([5; 32]);
    let account = enrol(&server, "s0", &device).await;
    server.configure(|s| s.profile.ping_time = 2).await;

    let (mut ex, answer) = log_in(&server, &account, "c1").await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    assert_eq!(
        ex.recv_within(3).await,
        Some(ServerRecord::Ping { counter: 1 })
    );
    ex.send(&AppRecord::Pong { counter: 1 }).await;
    assert_eq!(
        ex.recv_within(3).await,
        Some(ServerRecord::Ping { counter: 2 })
    );
    ex.send(&AppRecord::Pong { counter: 2 }).await;
    assert!(
        codes::logout(&server.state, &server.server_id(), "c1", now())
            .await
            .unwrap()
    );
    // The next record is LoggedOut (a ping may be in flight first).
    assert_eq!(ex.recv_past_a_ping(3).await, Some(ServerRecord::LoggedOut));

    // An app that stops answering is logged out.
    let (mut ex, answer) = log_in(&server, &account, "c2").await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    assert_eq!(session(&server, "c2").await.state, SessionState::LoggedIn);
    assert_eq!(
        ex.recv_within(3).await,
        Some(ServerRecord::Ping { counter: 1 })
    );
    assert_eq!(ex.recv_within(4).await, Some(ServerRecord::LoggedOut));
    let s = session(&server, "c2").await;
    assert_eq!(
        (s.state, s.event),
        (SessionState::LoggedOut, SessionEvent::Logout)
    );

    // The app logs out itself.
    let (mut ex, answer) = log_in(&server, &account, "c3").await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    ex.send(&AppRecord::Logout).await;
    assert_eq!(ex.recv_within(3).await, Some(ServerRecord::LoggedOut));
    assert_eq!(session(&server, "c3").await.state, SessionState::LoggedOut);
}

fn open_envelope(account: &AppAccount, envelope: &[u8], guard: &mut ReplayGuard) -> PushBody {
    let env = Envelope::parse(envelope).unwrap();
    env.open(&account.params.public_key, &account.push_key, now(), guard)
        .unwrap()
        .body
}

#[tokio::test]
async fn push_logins_are_pulled_or_delivered_live_and_the_app_can_delete_its_account() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([6; 32]);
    let account = enrol(&server, "p0", &device).await;
    let row = server.demo_server().await;
    let stored = server.account_row(&account).await;

    let pushed = codes::provoke_login(&server.state, &row, "p1", stored.account_id, None, now())
        .await
        .unwrap();
    let number = pushed
        .match_number
        .expect("a push asks for a number by default");
    assert_eq!(session(&server, "p1").await.event, SessionEvent::Provoke);
    let mut guard = ReplayGuard::new();
    let mut ex = support::connected(&account).await;
    ex.send(&AppRecord::PullMessages).await;
    let Some(ServerRecord::Messages { envelopes }) = ex.recv_within(3).await else {
        panic!("expected messages")
    };
    assert_eq!(envelopes.len(), 1);
    let PushBody::Login { session_ref, .. } = open_envelope(&account, &envelopes[0], &mut guard)
    else {
        panic!("expected a push login")
    };
    let id = Envelope::parse(&envelopes[0]).unwrap().message_id;
    ex.send(&AppRecord::Ack {
        message_ids: vec![id.0],
    })
    .await;

    // A message queued while connected arrives without a pull.
    let body = PushBody::Message {
        title: "Hi".into(),
        text: "live".into(),
    };
    nextauth_server::message_center::send(&server.state, &row, &stored, &body, now())
        .await
        .unwrap();
    let Some(ServerRecord::Messages { envelopes }) = ex.recv_within(3).await else {
        panic!("expected live delivery")
    };
    assert_eq!(open_envelope(&account, &envelopes[0], &mut guard), body);

    // A number the browser does not show denies the login, is reported, and the browser gets
    // a new number.
    let wrong = if number == "00" { "01" } else { "00" };
    let mut login = app::open_known(&account, Purpose::Login, session_ref.0)
        .await
        .unwrap();
    let guess = ClientRequest::Login {
        user_input: String::new(),
        number: wrong.into(),
    };
    login.finish(&account.key, &guess).await.unwrap();
    assert_eq!(
        login.recv().await,
        Some(ServerRecord::Refused { code: 115 })
    );
    let after = session(&server, "p1").await;
    assert_eq!(after.state, SessionState::New, "denied, not logged in");
    let asked = number;
    let number = after.match_number.expect("a new number");
    assert_ne!(number, asked, "a new number, not the one guessed against");
    let reports =
        nextauth_server::store::fraud_reports::list(&server.state.db, &row.server_id, None, 10)
            .await
            .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, "number");

    // The push login is answered by a login to the pushed session with the browser's number;
    // the browser hears of it.
    let mut login = app::open_known(&account, Purpose::Login, session_ref.0)
        .await
        .unwrap();
    // The refused exchange's end, however late, leaves this new scan alone.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(
        session(&server, "p1").await.event,
        SessionEvent::ConfirmScan
    );
    let right = ClientRequest::Login {
        user_input: String::new(),
        number,
    };
    login.finish(&account.key, &right).await.unwrap();
    assert_eq!(login.recv().await, Some(ServerRecord::Accepted));
    assert!(
        session(&server, "p1").await.match_number.is_none(),
        "a number is used once"
    );
    assert_eq!(session(&server, "p1").await.state, SessionState::LoggedIn);

    ex.send(&AppRecord::DeleteAccount).await;
    assert_eq!(ex.recv_within(3).await, Some(ServerRecord::Accepted));
    assert!(
        accounts::get(&server.state.db, &row.server_id, stored.account_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        messages::pending(&server.state.db, stored.account_id, now(), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn server_side_deletion_reaches_the_app_then_removes_the_account() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([8; 32]);
    let account = enrol(&server, "d0", &device).await;
    let row = server.demo_server().await;
    let stored = server.account_row(&account).await;
    assert!(
        accounts::mark_deleted(&server.state.db, &row.server_id, stored.account_id)
            .await
            .unwrap()
    );
    nextauth_server::message_center::send(
        &server.state,
        &row,
        &stored,
        &PushBody::DeleteAccount,
        now(),
    )
    .await
    .unwrap();

    let (_ex, answer) = log_in(&server, &account, "d1").await;
    assert_eq!(
        answer,
        Some(ServerRecord::Refused { code: 48 }),
        "a deleted account cannot log in"
    );

    let mut ex = support::connected(&account).await;
    ex.send(&AppRecord::PullMessages).await;
    let Some(ServerRecord::Messages { envelopes }) = ex.recv_within(3).await else {
        panic!("expected messages")
    };
    assert_eq!(
        open_envelope(&account, &envelopes[0], &mut ReplayGuard::new()),
        PushBody::DeleteAccount
    );
    let id = Envelope::parse(&envelopes[0]).unwrap().message_id;
    ex.send(&AppRecord::Ack {
        message_ids: vec![id.0],
    })
    .await;
    assert_eq!(
        ex.recv_within(3).await,
        None,
        "the server closes once the app knows"
    );
    assert!(
        accounts::get(&server.state.db, &row.server_id, stored.account_id)
            .await
            .unwrap()
            .is_none()
    );
}

/// A blocked account is refused (108) and its session stays as it was; unblocked, it logs in
/// again. On PostgreSQL the refusal comes from the statement that would write the login
/// (store/logins.rs), which reads the account and writes nothing for a blocked one.
#[tokio::test]
async fn a_blocked_account_is_refused_until_it_is_unblocked() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([10; 32]);
    let account = enrol(&server, "b0", &device).await;
    let (db, id) = (&server.state.db, server.server_id());
    let stored = server.account_row(&account).await;
    // The enrolment logged in: its login time is cleared to see whether the next one writes.
    sqlx::query("UPDATE accounts SET lastlogin = 0")
        .execute(&db.pool)
        .await
        .unwrap();
    assert!(accounts::set_blocked(db, &id, stored.account_id, true)
        .await
        .unwrap());

    let (_ex, answer) = log_in(&server, &account, "b1").await;
    assert_eq!(answer, Some(ServerRecord::Refused { code: 108 }));
    let s = session(&server, "b1").await;
    assert_ne!(s.state, SessionState::LoggedIn);
    assert_eq!(s.account_id, None);
    assert_eq!(
        server.account_row(&account).await.lastlogin,
        0,
        "nothing written"
    );

    assert!(accounts::set_blocked(db, &id, stored.account_id, false)
        .await
        .unwrap());
    let (_ex, answer) = log_in(&server, &account, "b2").await;
    assert_eq!(answer, Some(ServerRecord::Accepted));
    let s = session(&server, "b2").await;
    assert_eq!(
        (s.state, s.account_id),
        (SessionState::LoggedIn, Some(stored.account_id))
    );
    assert!(server.account_row(&account).await.lastlogin > 0);
}

#[tokio::test]
async fn the_pin_can_be_changed_with_proof_of_the_old_one() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([9; 32]);
    let account = enrol(&server, "k0", &device).await;
    server.configure(|s| s.profile.pin_timeout = 0).await;
    let mut ex = support::connected(&account).await;

    let wrong = nextauth_protocol::pin::pin_proof(
        &app::verifier(&device, "9999", &account.params.server_id, &account.key),
        &ex.binder(),
    );
    let new_verifier = app::verifier(&device, "13579", &account.params.server_id, &account.key);
    ex.send(&AppRecord::PinChange {
        proof: wrong,
        new_verifier,
    })
    .await;
    assert_eq!(
        ex.recv_within(3).await,
        Some(ServerRecord::PinWrong {
            remaining_attempts: 4
        })
    );
    let right = nextauth_protocol::pin::pin_proof(
        &app::verifier(&device, PIN, &account.params.server_id, &account.key),
        &ex.binder(),
    );
    ex.send(&AppRecord::PinChange {
        proof: right,
        new_verifier,
    })
    .await;
    assert_eq!(ex.recv_within(3).await, Some(ServerRecord::Accepted));
    ex.close().await;

    let (mut ex, answer) = log_in(&server, &account, "k1").await;
    assert_eq!(
        answer,
        Some(ServerRecord::PinRequired {
            remaining_attempts: 5
        }),
        "counter reset by the change"
    );
    app::prove_pin(&mut ex, &device, "13579", &account).await;
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
}
