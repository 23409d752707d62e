//! Bad input from the network and from the disk: replayed and tampered push messages taken
//! from the real server's queue, a server that answers garbage, a server that never answers,
//! a corrupt database row.

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::{App, ServerProcess};
use nextauth_sdk::{FlowState, HistoryQuery, HistoryStatus, PushOutcome};
use sqlx::{Connection, Row};

#[tokio::test]
async fn replayed_and_tampered_push_messages_are_refused_and_recorded() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "neg", "2468").await;
    let id = server.account_ids().await[0];
    server.provoke_login(id, "p").await;
    let envelope = server
        .queued_envelopes()
        .await
        .pop()
        .expect("a queued push login");

    let mut tampered = envelope.clone();
    let at = tampered.len() / 2;
    tampered[at] ^= 1;
    let err = app.sdk.handle_push(&tampered).await.unwrap_err();
    assert_eq!(err.code(), 48, "the server's signature no longer verifies");

    let outcome = app.sdk.handle_push(&envelope).await.unwrap();
    let PushOutcome::LoginStarted { flow_id } = outcome else {
        panic!("expected a login, got {outcome:?}")
    };
    app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.stop(&flow_id).await.unwrap();
    app.flow_in(FlowState::Done).await;

    // The same message twice is a duplicate: expected (two delivery routes), dropped without
    // an error (tests/sdk_live.rs has it with live delivery).
    assert_eq!(
        app.sdk.handle_push(&envelope).await.unwrap(),
        PushOutcome::Duplicate
    );
    assert_eq!(
        app.sdk.handle_push(b"garbage").await.unwrap_err().code(),
        32
    );

    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history[0].record.error_code, Some(32), "{history:?}");
    assert!(history.iter().all(|h| h.record.error_code != Some(103)));
    assert!(history.iter().any(|h| h.record.error_code == Some(48)));
    assert!(history
        .iter()
        .any(|h| h.record.status == HistoryStatus::Aborted));
}

#[tokio::test]
async fn a_server_answering_garbage_is_a_typed_error() {
    // A WebSocket endpoint that answers every message with junk.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                    return;
                };
                while let Some(Ok(_)) = ws.next().await {
                    let junk =
                        tokio_tungstenite::tungstenite::Message::Binary(vec![2, 0xde, 0xad].into());
                    if ws.send(junk).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let server = ServerProcess::start().await;
    let mut code = server.enrol_code("g", "garbage").await;
    // Point the enrol code at the junk endpoint (same length keeps the layout simple).
    let real = format!("ws://{}/sigmai", server.addr);
    let fake = format!("ws://{addr}/sigmai");
    let fake = format!("{fake:<width$}", width = real.len()).replace(' ', "x");
    let text = String::from_utf8_lossy(&code).into_owned();
    assert!(text.contains(&real));
    let at = code
        .windows(real.len())
        .position(|w| w == real.as_bytes())
        .unwrap();
    code[at..at + real.len()].copy_from_slice(&fake.as_bytes()[..real.len()]);
    let mut app = App::new().await;
    app.sdk.start_qr(&code).await.unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    let code = failed.error.unwrap().code;
    assert!(
        code == 32 || code == 120,
        "garbage is a parse error (or the endpoint is unusable): {code}"
    );
}

#[tokio::test]
async fn a_server_that_never_answers_times_out_with_a_typed_error() {
    // The app endpoint in the server's codes is a port that accepts connections and then says
    // nothing (a hung server, a black-holing middlebox).
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://127.0.0.1:{}", stall.local_addr().unwrap().port());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = stall.accept().await {
            held.push(socket);
        }
    });
    let args = ["--public-url".to_owned(), public];
    let server = ServerProcess::start_with(nextauth_e2e::TempDir::new("server"), None, &args).await;
    let mut app = App::new().await;
    let started = std::time::Instant::now();
    app.sdk
        .start_qr(&server.enrol_code("slow", "sloth").await)
        .await
        .unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(failed.error.unwrap().code, 120);
    assert!(
        started.elapsed() >= nextauth_sdk::transport::CONNECT_TIMEOUT,
        "it waited for the connect time-out"
    );
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(
        (history[0].record.status, history[0].record.error_code),
        (HistoryStatus::Error, Some(120))
    );
    assert!(
        app.sdk.active_flow().is_none(),
        "the flow slot is free again"
    );
}

#[tokio::test]
async fn a_corrupt_row_is_reported_not_dropped() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "neg", "2468").await;
    let dir = app.dir.clone();
    let db = dir.0.join("nextauth.db");
    drop(app);
    {
        let url = format!("sqlite://{}", db.display());
        let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("UPDATE accounts SET public_key = x'0102'")
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let app = App::open(dir).await;
    let err = app.sdk.accounts().await.unwrap_err();
    assert_eq!(err.code(), 201, "{err}");
    // The row is still there, untouched, for a person (or a fix) to look at.
    let url = format!("sqlite://{}", db.display());
    let mut conn = sqlx::SqliteConnection::connect(&url).await.unwrap();
    let count: i64 = sqlx::query("SELECT count(*) AS n FROM accounts")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get("n");
    assert_eq!(count, 1);
}

/// Issue 18 item 5: a login code scanned by an app with no account for its server. The app
/// connects only to say so, so the browser hears NOACCOUNTS instead of waiting; nothing of
/// that server is stored or shown.
#[tokio::test]
async fn a_login_code_without_an_account_here_tells_the_browser_noaccounts() {
    let server = ServerProcess::start().await;
    let other = ServerProcess::start().await;
    assert_ne!(server.server_id, other.server_id);
    let mut app = App::new().await;
    app.enrol(&other, "quinn", "2468").await;

    let code = server.login_code("nobody-here").await;
    let mut browser = nextauth_e2e::browser(&server, "nobody-here").await;
    let flow = app.sdk.start_qr(&code).await.unwrap();
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(failed.id, flow.id);
    assert_eq!(failed.error.unwrap().code, 34);
    assert!(failed.server.is_none(), "nothing of that server is shown");
    let seen = nextauth_e2e::browser_event(&mut browser, "NOACCOUNTS").await;
    assert!(!seen.iter().any(|e| e.starts_with("LOGIN ")), "{seen:?}");
    assert_eq!(server.session("nobody-here").await["loggedin"], false);
    assert!(app.sdk.server(&server.server_id).await.unwrap().is_none());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(
        (history[0].record.status, history[0].record.error_code),
        (HistoryStatus::Error, Some(34))
    );
    assert!(app.sdk.active_flow().is_none());

    // An app whose configuration lists its servers stays away from others: 34 before any
    // connection, and the browser hears nothing.
    let listed_dir = std::sync::Arc::new(nextauth_e2e::TempDir::new("listed"));
    let listed = App::open_with(listed_dir, |c| {
        c.allowed_server_ids = vec![other.server_id.clone()];
    })
    .await;
    let code = server.login_code("listed").await;
    let mut browser = nextauth_e2e::browser(&server, "listed").await;
    assert_eq!(listed.sdk.start_qr(&code).await.unwrap_err().code(), 34);
    let quiet = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        nextauth_e2e::browser_event(&mut browser, "NOACCOUNTS"),
    )
    .await;
    assert!(quiet.is_err(), "no connection, so no NOACCOUNTS");
}
