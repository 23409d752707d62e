//! The logs: one id (`flow`) follows a login from the request that made its code to the app
//! connection that logged in, and no secret (nonce, enrol secret, session reference, PIN, API
//! key) is in any line. The test's process captures every line the server logs, at debug.

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use support::app;
use support::TestServer;

const PIN: &str = "8642";
const SIGNUP_NONCE: &str = "signup-nonce-3f9a";
const LOGIN_NONCE: &str = "login-nonce-7c21";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// Installs the process's subscriber (once), writing every line to the returned buffer.
fn capture() -> Captured {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_env_filter("nextauth_server=debug")
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .init();
    captured
}

async fn code(server: &TestServer, path: &str, nonce: &str) -> QrPayload {
    let response = server
        .api(
            "GET",
            &format!("/servers/{}/sessions/qr/{path}", server.demo.serverid),
            &[("X-nonce", nonce)],
            b"",
        )
        .await;
    assert_eq!(response.status, 200);
    QrPayload::decode_unchecked(&response.body).expect("a code")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn a_login_is_followed_by_its_flow_id_and_no_secret_is_logged() {
    let logs = capture();
    let server = TestServer::start().await;
    let server_id: ServerId = server.server_id();

    // Sign-up: the enrol code through the REST API, the app enrols with a PIN.
    let enrol = app::enrol_code(code(&server, "enrol?name=alice", SIGNUP_NONCE).await);
    let device = DeviceSecret::from_bytes([5; 32]);
    let (account, ex, reply) = app::enrol(&enrol, &device, Some(PIN)).await.unwrap();
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;

    // Login: the login code through the REST API, the app logs in, the website asks.
    let QrPayload::Login(login) = code(&server, "login", LOGIN_NONCE).await else {
        panic!("a login code")
    };
    let mut ex = app::open_known(&account, Purpose::Login, login.session_ref.0)
        .await
        .unwrap();
    ex.finish(&account.key, &ClientRequest::login(""))
        .await
        .unwrap();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.close().await;
    let status = server
        .api(
            "GET",
            &format!("/servers/{}/sessions/", server.demo.serverid),
            &[("X-nonce", LOGIN_NONCE)],
            b"",
        )
        .await;
    assert_eq!(status.status, 200, "{}", status.text());

    let text = logs.text();
    let session = SessionRef::derive(&server_id, LOGIN_NONCE.as_bytes());
    assert_eq!(session, login.session_ref);
    let flow = format!(
        "flow={}",
        nextauth_server::trace::flow_id(&server_id, &session)
    );
    let lines: Vec<&str> = text.lines().filter(|l| l.contains(&flow)).collect();
    // The request that made the code, the app connection that logged in (its "logged in"
    // line), and the website's request for the session's state: all with the one id.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("http{")
                && l.contains("route=/servers/{serverid}/sessions/qr/login")),
        "{flow}: {text}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("app{") && l.contains("logged in")),
        "{flow}: {text}"
    );
    assert!(
        lines.iter().filter(|l| l.contains("http{")).count() >= 2,
        "{flow}: {text}"
    );
    // The sign-up has its own flow, not this one.
    let signup = nextauth_server::trace::flow_id(
        &server_id,
        &SessionRef::derive(&server_id, SIGNUP_NONCE.as_bytes()),
    );
    assert!(text.contains(&format!("flow={signup}")));
    assert!(!lines.iter().any(|l| l.contains("account enrolled")));

    // No secret in any line.
    let secrets = [
        PIN.to_owned(),
        SIGNUP_NONCE.to_owned(),
        LOGIN_NONCE.to_owned(),
        server.demo.apikey.clone(),
        hex(&session.0),
        hex(&enrol.session_ref.0),
        hex(&enrol.secret.0),
    ];
    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret} in the logs");
    }
}
