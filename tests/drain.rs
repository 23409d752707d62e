//! Continuous login sessions outlive the server process that holds their connection
//! (docs/server.md, "Behind a load balancer"; docs/protocol.md 10.8). Two processes share one
//! database behind HAProxy, which sends every connection to the first process that is up
//! (`balance first`), so the sessions open on A. SIGTERM on A closes them with 1001 "going
//! away" at once and leaves them logged in; the SDK and a protocol-level app resume them
//! through the balancer on B and the website stays logged in. SIGKILL on A leaves them logged
//! in too: the SDK resumes; a session no app resumes is logged out by B at its ping deadline.
//! The database is PostgreSQL when `NEXTAUTH_TEST_DATABASE_URL` names a server, else a SQLite
//! file both processes share.

use std::time::{Duration, Instant};

use nextauth_e2e::balancer::{balancer, free_front, pair_behind, Balance, Balancer};
use nextauth_e2e::{raw, App, ServerProcess, TempDir};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{AppRecord, ClientRequest, ServerRecord};
use nextauth_sdk::{Event, Session, SessionState};

const PIN: &str = "2468";
/// The server's shutdown grace (`readiness::SHUTDOWN_GRACE`): a session still open then is cut.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Pings every 2 s, answered within 4 s; a session no process hears from for 2 × 4 + 5 s is
/// logged out. The SDK tries to resume for max(4 s, 5 s).
const PING_TIME: u32 = 4;

/// A and B behind the balancer (A first), an SDK app with a continuous session on A (`nonce`),
/// and a protocol-level account ("mats") for a second session.
struct Cluster {
    a: ServerProcess,
    b: ServerProcess,
    app: App,
    active: Session,
    mats: raw::AppAccount,
    _lb: (Balancer, TempDir),
}

async fn cluster(tag: &str, nonce: &str) -> Cluster {
    let front = free_front();
    let (a, b) = pair_behind(front, tag).await;
    let lb_dir = TempDir::new(&format!("{tag}-lb"));
    let lb = balancer(&lb_dir.0, front.port(), &[a.addr, b.addr], Balance::First).await;
    let mut app = App::new().await;
    app.enrol(&a, "lena", PIN).await;
    let code = a.enrol_code(&format!("{tag}-raw-enrol"), "mats").await;
    let code = raw::enrol_code(
        nextauth_protocol::qr::QrPayload::decode_unchecked(&code).expect("enrol code"),
    );
    let device = nextauth_protocol::pin::DeviceSecret::from_bytes([9; 32]);
    let (mats, ex, _) = raw::enrol(&code, &device, Some(PIN)).await.expect("enrol");
    ex.close().await;
    a.configure(serde_json::json!({ "pingTime": PING_TIME }))
        .await;
    app.approve_login(&a, nonce).await;
    let active = app
        .next_event(|e| match e {
            Event::SessionUpdate { session } if session.state == SessionState::Active => {
                Some(session.clone())
            }
            _ => None,
        })
        .await;
    Cluster {
        a,
        b,
        app,
        active,
        mats,
        _lb: (lb, lb_dir),
    }
}

/// The protocol-level app logs "mats" into `nonce` (through the balancer, so on A) and keeps
/// the connection; returns it with the session ref.
async fn raw_login(c: &Cluster, nonce: &str) -> (raw::Exchange, [u8; 16]) {
    c.a.login_code(nonce).await;
    let server_id = ServerId::from_base64(&c.a.server_id).unwrap();
    let reference = SessionRef::derive(&server_id, nonce.as_bytes()).0;
    let mut ex = raw::open_known(&c.mats, Purpose::Login, reference)
        .await
        .expect("hello");
    let login = ClientRequest::Login {
        user_input: String::new(),
        number: String::new(),
    };
    ex.finish(&c.mats.key, &login).await.expect("finish");
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    (ex, reference)
}

/// Events the SDK reported so far about its session ending (none expected while it resumes).
fn session_endings(app: &mut App) -> Vec<Session> {
    let mut ended = Vec::new();
    while let Ok(event) = app.events.try_recv() {
        if let Event::SessionUpdate { session } = event {
            if session.state == SessionState::LoggedOut {
                ended.push(session);
            }
        }
    }
    ended
}

/// Past the SDK's resume window and the ping deadline of a session nobody pinged since A went
/// away: only a session B pings is still logged in then.
async fn outlast_the_deadlines() {
    tokio::time::sleep(Duration::from_secs(u64::from(2 * PING_TIME + 5 + 3))).await;
}

/// The website logs the SDK's session out through B; the SDK hears it as a logout, no error.
async fn website_logout_reaches_the_sdk(c: &mut Cluster, nonce: &str) {
    let r =
        c.b.api(
            "POST",
            &format!("/servers/{}/sessions/logout", c.b.server_id),
            Some(nonce),
            None,
        )
        .await;
    assert!(r.status == 200 || r.status == 204, "{}", r.status);
    let id = c.active.id.clone();
    let ended = c
        .app
        .next_event(|e| match e {
            Event::SessionUpdate { session }
                if session.id == id && session.state == SessionState::LoggedOut =>
            {
                Some(session.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(ended.error, None, "a logout, not a lost connection");
}

#[tokio::test]
async fn sigterm_hands_continuous_sessions_over_and_they_resume_on_another_process() {
    let mut c = cluster("drain", "drain-sdk").await;
    let (mut raw_session, reference) = raw_login(&c, "drain-raw").await;
    for nonce in ["drain-sdk", "drain-raw"] {
        assert_eq!(c.a.session(nonce).await["loggedin"], true, "{nonce}");
    }

    c.a.terminate();
    let terminated = Instant::now();
    let code = tokio::time::timeout(Duration::from_secs(5), raw_session.close_code())
        .await
        .expect("the continuous session is closed within the drain");
    assert_eq!(code, Some(1001), "closed with going away");
    let status =
        c.a.exit_status(Duration::from_secs(15))
            .await
            .expect("the process exits");
    assert!(status.success(), "exit 0: {status:?}");
    let took = terminated.elapsed();
    assert!(
        took < SHUTDOWN_GRACE,
        "the process did not wait for its grace ({took:?}): nothing was left open"
    );
    // The drain logged nobody out.
    for nonce in ["drain-sdk", "drain-raw"] {
        assert_eq!(c.b.session(nonce).await["loggedin"], true, "{nonce}");
    }

    // The protocol-level app resumes through the balancer (now B) and the pings go on there.
    let mut resumed = raw::open_known(&c.mats, Purpose::Resume, reference)
        .await
        .expect("hello");
    resumed
        .finish(&c.mats.key, &ClientRequest::Connect)
        .await
        .expect("finish");
    assert_eq!(resumed.recv().await, Some(ServerRecord::Accepted));
    let pongs = async {
        loop {
            match resumed.recv().await {
                Some(ServerRecord::Ping { counter }) => {
                    resumed.send(&AppRecord::Pong { counter }).await
                }
                other => panic!("expected pings, got {other:?}"),
            }
        }
    };
    // Meanwhile the SDK resumed on its own: its session neither ended nor was logged out, and
    // B keeps it alive past the deadline of a session no process pings.
    tokio::select! {
        () = pongs => unreachable!(),
        () = outlast_the_deadlines() => {}
    }
    assert_eq!(
        session_endings(&mut c.app),
        Vec::new(),
        "the SDK kept its session"
    );
    assert_eq!(
        c.app.sdk.sessions(),
        vec![c.active.clone()],
        "still listed as active"
    );
    for nonce in ["drain-sdk", "drain-raw"] {
        assert_eq!(c.b.session(nonce).await["loggedin"], true, "{nonce}");
    }
    website_logout_reaches_the_sdk(&mut c, "drain-sdk").await;
    assert!(
        c.app.sdk.sessions().is_empty(),
        "no session listed any more"
    );
}

#[tokio::test]
async fn a_killed_process_leaves_the_session_to_be_resumed_and_an_abandoned_one_ends_at_its_deadline(
) {
    let mut c = cluster("kill", "kill-sdk").await;
    // A second session whose app never comes back.
    let (abandoned, _) = raw_login(&c, "kill-raw").await;
    let abandoned_at = Instant::now();
    // SIGKILL: nothing is closed in order, nothing logged out.
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &c.a.pid().to_string()])
        .status()
        .expect("kill -KILL");
    assert!(killed.success());
    c.a.exit_status(Duration::from_secs(5))
        .await
        .expect("A is gone");
    drop(abandoned);
    assert_eq!(c.b.session("kill-sdk").await["loggedin"], true);

    // B logs the abandoned session out at its deadline (2 × 4 + 5 s after its login, looked
    // at every 2 s), not before.
    while c.b.session("kill-raw").await["loggedin"] == true {
        assert!(
            abandoned_at.elapsed() < Duration::from_secs(30),
            "nobody resumed it: B logs it out at its ping deadline"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let after = abandoned_at.elapsed();
    assert!(
        after >= Duration::from_secs(12),
        "not before its deadline: {after:?}"
    );
    // The SDK's session, whose last pong on A came a moment later, would be past its own
    // deadline by now had nobody pinged it since: B does, since the SDK resumed there.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        session_endings(&mut c.app),
        Vec::new(),
        "the SDK kept its session"
    );
    assert_eq!(
        c.b.session("kill-sdk").await["loggedin"],
        true,
        "resumed on B, which pings it"
    );
    website_logout_reaches_the_sdk(&mut c, "kill-sdk").await;
}
