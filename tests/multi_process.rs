//! Two server processes sharing one database (SQLite file, or PostgreSQL when
//! `NEXTAUTH_TEST_DATABASE_URL` names a server): an app logs in through one process while a
//! browser watches the session through the other, and the REST API of the other sees it.

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::{App, ServerProcess, TempDir};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_sdk::{FlowState, Response};
use tokio_tungstenite::tungstenite::Message;

async fn fresh_database(data: &TempDir) -> String {
    match std::env::var("NEXTAUTH_TEST_DATABASE_URL") {
        Ok(admin) => {
            assert!(
                admin.starts_with("postgres://") && !admin.contains('\n'),
                "NEXTAUTH_TEST_DATABASE_URL must be one postgres:// URL (scripts/postgres.sh prints it)"
            );
            // One database for both processes, created through psql-free SQL over the server's
            // own driver is not available here; use the admin URL's server with a new name.
            let name = format!("nextauth_multi_{}", std::process::id());
            let status = std::process::Command::new("su")
                .args(["postgres", "-c", &format!("psql -qc 'DROP DATABASE IF EXISTS {name}' -c 'CREATE DATABASE {name} OWNER nextauth'")])
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "create the shared database"
            );
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .expect("admin URL");
            format!("{base}/{name}")
        }
        Err(_) => format!("sqlite://{}?mode=rwc", data.0.join("shared.db").display()),
    }
}

#[tokio::test]
async fn a_login_through_one_process_reaches_a_browser_on_the_other() {
    let data_a = TempDir::new("multi-a");
    let database = fresh_database(&data_a).await;
    let port_a = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let public = format!("http://127.0.0.1:{port_a}");
    let args = vec![
        "--database-url".to_owned(),
        database.clone(),
        "--public-url".to_owned(),
        public.clone(),
    ];
    let a = ServerProcess::start_with(data_a, Some(port_a), &args).await;

    // The second process shares the master key and the demo identity.
    let data_b = TempDir::new("multi-b");
    for file in ["master.key", "demo.json"] {
        std::fs::copy(a.data_dir().join(file), data_b.0.join(file)).expect("copy shared file");
    }
    let b = ServerProcess::start_with(data_b, None, &args).await;
    assert_eq!(
        a.server_id, b.server_id,
        "one demo server for both processes"
    );

    // The browser watches the session through B.
    let server_id = ServerId::from_base64(&b.server_id).unwrap();
    let hsid = SessionRef::derive(&server_id, b"multi").to_base64();
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", b.addr))
        .await
        .expect("browser ws");
    ws.send(Message::Text(
        format!("REGISTER {hsid} {}", b.server_id).into(),
    ))
    .await
    .unwrap();
    let mut seen = Vec::new();
    let first = next_text(&mut ws).await;
    seen.push(first);

    // The app enrols and logs in through A (the endpoint in the codes is A's).
    let mut app = App::new().await;
    app.enrol(&a, "mia", "2468").await;

    let code = b.login_code("multi").await;
    let flow = app.sdk.start_qr(&code).await.unwrap();
    app.flow_in(FlowState::WaitingForConfirmation).await;
    // While the person looks at the prompt, the browser on B learns of the scan on A.
    wait_for(&mut ws, &mut seen, "CONFIRMSCAN ").await;
    app.sdk
        .respond(
            &flow.id,
            Response::Confirm {
                account_id: None,
                user_input: None,
            },
        )
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    wait_for(&mut ws, &mut seen, "LOGIN ").await;
    assert!(seen[0].starts_with("LOGOUT "), "{seen:?}");
    assert_eq!(b.session("multi").await["loggedin"], true);
    assert_eq!(a.session("multi").await["loggedin"], true);
}

/// Reads browser messages until one starts with `prefix` (10 s at most).
async fn wait_for(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    seen: &mut Vec<String>,
    prefix: &str,
) {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.iter().any(|m| m.starts_with(prefix)) {
        let msg = tokio::time::timeout_at(deadline, next_text(ws))
            .await
            .unwrap_or_else(|_| panic!("{prefix} did not reach the browser on B: {seen:?}"));
        seen.push(msg);
    }
}

async fn next_text(
    ws: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("browser socket ended: {other:?}"),
        }
    }
}
