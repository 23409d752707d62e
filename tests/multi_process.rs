//! Two server processes sharing one database (SQLite file, or PostgreSQL when
//! `NEXTAUTH_TEST_DATABASE_URL` names a server): an app logs in through one process while a
//! browser watches the session through the other, and the REST API of the other sees it.

use futures_util::{SinkExt, StreamExt};
use std::time::{Duration, Instant};

use nextauth_e2e::{shared_database, App, ServerProcess, TempDir};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_sdk::{FlowState, Response};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_login_through_one_process_reaches_a_browser_on_the_other() {
    let (a, b) = ServerProcess::start_pair(&[]).await;
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
                number: None,
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

#[tokio::test]
async fn changes_reach_the_other_process_at_once_and_after_its_database_connections_were_cut() {
    // On PostgreSQL the processes announce changes to each other (LISTEN/NOTIFY) and watchers
    // re-read only every 30 s as a safety net, so a login that reaches the browser on B within
    // 2 s came by announcement; on a shared SQLite file B polls every 500 ms.
    let data_a = TempDir::new("pair-notify-a");
    let database = shared_database(&data_a);
    let (a, b) = ServerProcess::start_pair_on(data_a, database.clone(), &[]).await;
    let server_id = ServerId::from_base64(&b.server_id).unwrap();
    let mut app = App::new().await;
    app.enrol(&a, "noor", "2468").await;

    for round in 0..4 {
        if round == 2 {
            // Every connection to this database is cut, the LISTEN one included, as a
            // database restart would: B reconnects, re-reads, and hears of changes again.
            cut_connections(&database);
        }
        let nonce = format!("notify-{round}");
        let hsid = SessionRef::derive(&server_id, nonce.as_bytes()).to_base64();
        let mut ws = nextauth_e2e::page_socket(b.addr, &b.server_id, &hsid).await;
        let mut seen = vec![next_text(&mut ws).await];
        let code = b.login_code(&nonce).await;
        let flow = match app.sdk.start_qr(&code).await {
            Ok(flow) => flow,
            // The app's first try may meet A's pool with its connections just cut.
            Err(_) if round == 2 => app.sdk.start_qr(&code).await.expect("second try"),
            Err(err) => panic!("round {round}: {err}"),
        };
        app.flow_in(FlowState::WaitingForConfirmation).await;
        let confirm = Response::Confirm {
            account_id: None,
            user_input: None,
            number: None,
        };
        app.sdk.respond(&flow.id, confirm).await.unwrap();
        app.flow_in(FlowState::Done).await;
        let done = Instant::now();
        wait_for(&mut ws, &mut seen, "LOGIN ").await;
        let took = done.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "round {round}: the login reached B after {took:?}"
        );
    }
}

/// Ends every connection to the database of `url` (PostgreSQL; nothing on SQLite).
fn cut_connections(url: &str) {
    if !url.starts_with("postgres") {
        return;
    }
    let name = url.rsplit('/').next().expect("database name");
    let sql = format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'"
    );
    let out = std::process::Command::new("su")
        .args(["postgres", "-c", &format!("psql -qtAc \"{sql}\"")])
        .output()
        .expect("psql");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cut: u32 = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("a count");
    assert!(cut >= 2, "both processes' connections were cut ({cut})");
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
