//! A PostgreSQL restart under two server processes (issue 15): a browser socket on B and the
//! app's live connection on A stay open through it, and afterwards a login approved through A
//! reaches the browser on B within 2 s (B listens again) and a message sent through B reaches
//! the app on A (A listens again). Runs in scripts/test.sh's PostgreSQL pass (it restarts the
//! local cluster, so it has a test binary of its own: nothing else runs meanwhile).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::{App, ServerProcess};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_sdk::{Event, FlowState, Response};
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Restarts the local PostgreSQL cluster (Debian's pg_ctlcluster), as an operator or a crash
/// and its supervisor would; returns how long it was away.
fn restart_postgres() -> Duration {
    let clusters = std::process::Command::new("pg_lsclusters")
        .arg("-h")
        .output()
        .expect("pg_lsclusters");
    let line = String::from_utf8_lossy(&clusters.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut fields = line.split_whitespace();
    let (version, name) = (
        fields.next().expect("version"),
        fields.next().expect("name"),
    );
    let started = Instant::now();
    let status = std::process::Command::new("pg_ctlcluster")
        .args([version, name, "restart"])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "the cluster restarted");
    started.elapsed()
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        match tokio::time::timeout(Duration::from_secs(10), ws.next()).await {
            Ok(Some(Ok(Message::Text(t)))) => return t.to_string(),
            Ok(Some(Ok(_))) => continue,
            other => panic!("browser socket: {other:?}"),
        }
    }
}

#[tokio::test]
async fn idle_connections_recover_after_a_postgresql_restart() {
    if std::env::var("NEXTAUTH_TEST_DATABASE_URL").is_err() {
        // On SQLite there is no database server to restart.
        eprintln!("pg_restart: runs in the PostgreSQL pass (NEXTAUTH_TEST_DATABASE_URL)");
        return;
    }
    let (a, b) = ServerProcess::start_pair(&[]).await;
    let mut app = App::new().await;
    app.enrol(&a, "petra", "2468").await;
    let account = a.account_ids().await[0];
    let _live = app.sdk.start_live_delivery();

    // The page of a session on B, open before the restart and kept open through it.
    let server_id = ServerId::from_base64(&b.server_id).unwrap();
    let nonce = "after-restart";
    let hsid = SessionRef::derive(&server_id, nonce.as_bytes()).to_base64();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", b.addr))
        .await
        .expect("browser socket");
    ws.send(Message::Text(
        format!("REGISTER {hsid} {}", b.server_id).into(),
    ))
    .await
    .unwrap();
    assert!(next_text(&mut ws).await.starts_with("LOGOUT "));

    let away = restart_postgres();
    eprintln!("PostgreSQL restarted in {away:?}");

    // A login through A: the page on B hears it within 2 s. The first tries may meet pools
    // whose connections the restart ended (the server answers 500 or the flow fails; the
    // person would try again).
    let mut code = None;
    for _ in 0..20 {
        let r = a
            .api(
                "GET",
                &format!("/servers/{}/sessions/qr/login", a.server_id),
                Some(nonce),
                None,
            )
            .await;
        if r.status == 200 {
            code = Some(r.body);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let code = code.expect("the REST API answers again after the restart");
    let flow = app.sdk.start_qr(&code).await.expect("flow");
    app.flow_in(FlowState::WaitingForConfirmation).await;
    let confirm = Response::Confirm {
        account_id: None,
        user_input: None,
        number: None,
    };
    app.sdk.respond(&flow.id, confirm).await.unwrap();
    app.flow_in(FlowState::Done).await;
    let done = Instant::now();
    loop {
        let text = next_text(&mut ws).await;
        if text.starts_with("LOGIN ") {
            break;
        }
    }
    let took = done.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the login reached B after {took:?}"
    );

    // A message sent through B reaches the app's live connection on A.
    b.send_message(account, "After the restart", "Still here.")
        .await;
    let message = app
        .next_event(|e| match e {
            Event::MessageReceived { message } => Some(message.clone()),
            _ => None,
        })
        .await;
    assert_eq!(message.title, "After the restart");
}
