//! SIGTERM with continuous login sessions open (docs/server.md, "Several processes, one
//! database"): the process closes them with 1001 "going away" at once instead of cutting them at
//! its shutdown deadline, logs them out (the website hears it), and exits without waiting for
//! the grace. The SDK has no way to resume a continuous session on another process (the
//! protocol has no such message), so its session ends, reported as a lost connection.

use std::time::{Duration, Instant};

use nextauth_e2e::{raw, App, ServerProcess};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_sdk::{Event, SessionState};

const PIN: &str = "2468";
/// The server's shutdown grace (`readiness::SHUTDOWN_GRACE`): a session still open then is cut.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

#[tokio::test]
async fn sigterm_closes_continuous_sessions_with_going_away_and_logs_them_out() {
    let mut server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "lena", PIN).await;
    let code = server.enrol_code("drain-raw-enrol", "mats").await;
    let code = raw::enrol_code(
        nextauth_protocol::qr::QrPayload::decode_unchecked(&code).expect("enrol code"),
    );
    let device = nextauth_protocol::pin::DeviceSecret::from_bytes([9; 32]);
    let (account, ex, _) = raw::enrol(&code, &device, Some(PIN)).await.expect("enrol");
    ex.close().await;
    // Pings every 30 s: what ends the sessions below is the drain, not a ping.
    server
        .configure(serde_json::json!({ "pingTime": 60 }))
        .await;

    // A continuous session of the SDK, and one of the protocol-level app (to read the close
    // code, which the SDK does not report).
    app.approve_login(&server, "drain-sdk").await;
    let active = app
        .next_event(|e| match e {
            Event::SessionUpdate { session } if session.state == SessionState::Active => {
                Some(session.clone())
            }
            _ => None,
        })
        .await;
    let server_id = ServerId::from_base64(&server.server_id).unwrap();
    server.login_code("drain-raw").await;
    let reference = SessionRef::derive(&server_id, b"drain-raw").0;
    let mut raw_session = raw::open_known(&account, Purpose::Login, reference)
        .await
        .expect("hello");
    let login = ClientRequest::Login {
        user_input: String::new(),
        number: String::new(),
    };
    raw_session
        .finish(&account.key, &login)
        .await
        .expect("finish");
    assert_eq!(raw_session.recv().await, Some(ServerRecord::Accepted));
    for nonce in ["drain-sdk", "drain-raw"] {
        assert_eq!(server.session(nonce).await["loggedin"], true, "{nonce}");
    }

    server.terminate();
    let terminated = Instant::now();
    let code = tokio::time::timeout(Duration::from_secs(5), raw_session.close_code())
        .await
        .expect("the continuous session is closed within the drain");
    assert_eq!(code, Some(1001), "closed with going away");
    let ended = app
        .next_event(|e| match e {
            Event::SessionUpdate { session }
                if session.id == active.id && session.state == SessionState::LoggedOut =>
            {
                Some(session.clone())
            }
            _ => None,
        })
        .await;
    assert!(
        ended.error.is_some(),
        "the SDK reports the session ended by the server going away: {ended:?}"
    );
    assert!(app.sdk.sessions().is_empty(), "no session listed any more");
    let status = server
        .exit_status(Duration::from_secs(15))
        .await
        .expect("the process exits");
    assert!(status.success(), "exit 0: {status:?}");
    let took = terminated.elapsed();
    assert!(
        took < SHUTDOWN_GRACE,
        "the process did not wait for its grace ({took:?}): nothing was left open"
    );

    // Both sessions were logged out, so the website does not keep a login no app holds.
    let (data, port) = server.stop();
    let server = ServerProcess::start_in(data, Some(port)).await;
    for nonce in ["drain-sdk", "drain-raw"] {
        assert_eq!(server.session(nonce).await["loggedin"], false, "{nonce}");
    }
}
