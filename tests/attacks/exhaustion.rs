//! Unauthenticated resource exhaustion (docs/security.md, "Resource exhaustion"). The attacker
//! needs no account: before the fix one address could hold any number of browser sockets and
//! app connections, flood the demo pages and the push-login API, pick the address it was
//! counted under with `X-Forwarded-For`, and every row it made stayed forever. Now each client
//! address has caps and rates (429 with `Retry-After`), the header counts only from trusted
//! proxies, and a sweep deletes what is finished.

use std::net::IpAddr;
use std::time::Duration;

use futures_util::future::join_all;
use nextauth_e2e::{connect_from, request_from, App, Response, ServerProcess, TempDir};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_sdk::FlowState;
use serde_json::json;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite;
use tokio_tungstenite::WebSocketStream;

const PIN: &str = "2468";

async fn start(args: &[&str]) -> ServerProcess {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    ServerProcess::start_with(TempDir::new("server"), None, &args).await
}

fn loopback(last: u8) -> Option<IpAddr> {
    Some(IpAddr::from([127, 0, 0, last]))
}

/// What became of one WebSocket attempt.
enum Attempt {
    Open(Box<WebSocketStream<TcpStream>>),
    /// Refused before the upgrade: status and `Retry-After` (seconds).
    Refused(u16, Option<u64>),
}

async fn open_ws(server: &ServerProcess, path: &str, from: Option<IpAddr>) -> Attempt {
    let stream = connect_from(from, server.addr).await.expect("connect");
    let url = format!("ws://{}{path}", server.addr);
    match tokio_tungstenite::client_async(url, stream).await {
        Ok((socket, _)) => Attempt::Open(Box::new(socket)),
        Err(tungstenite::Error::Http(response)) => Attempt::Refused(
            response.status().as_u16(),
            response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse().ok()),
        ),
        Err(err) => panic!("WebSocket to {path}: {err}"),
    }
}

/// `count` attempts at once; the open sockets and the refusals.
async fn flood(
    server: &ServerProcess,
    path: &str,
    from: Option<IpAddr>,
    count: usize,
) -> (Vec<Attempt>, Vec<(u16, Option<u64>)>) {
    let attempts = join_all((0..count).map(|_| open_ws(server, path, from))).await;
    let mut open = Vec::new();
    let mut refused = Vec::new();
    for attempt in attempts {
        match attempt {
            Attempt::Open(_) => open.push(attempt),
            Attempt::Refused(status, retry) => refused.push((status, retry)),
        }
    }
    (open, refused)
}

fn assert_all_429_with_retry_after(refused: &[(u16, Option<u64>)]) {
    for (status, retry) in refused {
        assert_eq!(*status, 429);
        assert!(retry.is_some_and(|s| s >= 1), "Retry-After: {retry:?}");
    }
}

async fn get_from(
    server: &ServerProcess,
    from: Option<IpAddr>,
    path: &str,
    xff: Option<&str>,
) -> Response {
    let headers: Vec<(&str, String)> = xff
        .map(|v| ("X-Forwarded-For", v.to_owned()))
        .into_iter()
        .collect();
    request_from(from, server.addr, "GET", path, &headers, b"")
        .await
        .expect("request")
}

#[tokio::test]
async fn a_browser_socket_flood_from_one_address_is_capped_and_logins_go_on() {
    // The defaults: 64 open browser sockets per address.
    let server = start(&[]).await;
    let (open, refused) = flood(&server, "/ws", None, 200).await;
    assert_eq!(open.len(), 64, "the per-address cap");
    assert_eq!(refused.len(), 136);
    assert_all_429_with_retry_after(&refused);

    // Another address still gets a socket, and a real person still enrols and logs in.
    assert!(matches!(
        open_ws(&server, "/ws", loopback(2)).await,
        Attempt::Open(_)
    ));
    let mut app = App::new().await;
    app.enrol(&server, "ada", PIN).await;
    app.approve_login(&server, "real-login").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("real-login").await["loggedin"], true);

    // Sockets that close are no longer counted.
    drop(open);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        if let Attempt::Open(_) = open_ws(&server, "/ws", None).await {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the address stays blocked"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn browser_sockets_of_all_addresses_together_are_capped() {
    let server = start(&["--browser-sockets", "30", "--browser-sockets-per-ip", "20"]).await;
    let (first, refused) = flood(&server, "/ws", loopback(1), 20).await;
    assert_eq!((first.len(), refused.len()), (20, 0));
    let (second, refused) = flood(&server, "/ws", loopback(2), 20).await;
    assert_eq!(
        (second.len(), refused.len()),
        (10, 10),
        "the server-wide cap"
    );
    assert_all_429_with_retry_after(&refused);
}

#[tokio::test]
async fn app_connections_are_capped_and_rated_per_address() {
    let server = start(&[
        "--app-connections-per-ip",
        "10",
        "--app-connect-rate",
        "1000/s",
    ])
    .await;
    let (open, refused) = flood(&server, "/sigmai", None, 50).await;
    assert_eq!((open.len(), refused.len()), (10, 40));
    assert_all_429_with_retry_after(&refused);
    assert!(matches!(
        open_ws(&server, "/sigmai", loopback(2)).await,
        Attempt::Open(_)
    ));

    let server = start(&["--app-connect-rate", "5/min"]).await;
    for _ in 0..5 {
        let Attempt::Open(socket) = open_ws(&server, "/sigmai", None).await else {
            panic!("within the rate");
        };
        drop(socket);
    }
    match open_ws(&server, "/sigmai", None).await {
        // One connection comes back every 12 s.
        Attempt::Refused(429, Some(retry)) => assert!((1..=12).contains(&retry), "{retry}"),
        Attempt::Refused(status, retry) => panic!("{status} {retry:?}"),
        Attempt::Open(_) => panic!("the sixth connection within a minute was let through"),
    }
}

#[tokio::test]
async fn a_push_login_flood_is_refused_with_429() {
    let server = start(&["--provoke-rate", "5/min"]).await;
    let sid = server.server_id.clone();
    let sessions = format!("/servers/{sid}/sessions/provokelogin");
    for _ in 0..5 {
        // No account logged into the session yet: 409, but it counts.
        let r = server.api("POST", &sessions, Some("flood"), None).await;
        assert_eq!(r.status, 409, "{}", r.text());
    }
    // The three provokelogin operations share the client's rate.
    for path in [
        sessions.clone(),
        format!("/servers/{sid}/accounts/1/provokelogin"),
        format!("/servers/{sid}/users/nobody/provokelogin/"),
    ] {
        let r = server.api("POST", &path, Some("flood"), None).await;
        assert_eq!(r.status, 429, "{path}: {}", r.text());
        let retry: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=12).contains(&retry), "{retry}");
        assert_eq!(r.json()["code"], 429);
    }
    // Other API calls and other clients are not affected.
    let r = server
        .api("GET", &format!("/servers/{sid}/"), None, None)
        .await;
    assert_eq!(r.status, 200);
    let headers = [
        ("X-apikey", server.apikey.clone()),
        ("X-nonce", "flood".to_owned()),
    ];
    let r = request_from(loopback(2), server.addr, "POST", &sessions, &headers, b"")
        .await
        .expect("request");
    assert_eq!(r.status, 409);
}

#[tokio::test]
async fn a_demo_page_flood_is_refused_with_429() {
    let server = start(&["--page-rate", "10/min"]).await;
    for path in [
        "/", "/login", "/signup", "/", "/account", "/", "/", "/", "/", "/",
    ] {
        let r = get_from(&server, None, path, None).await;
        assert!(r.status == 200 || r.status == 303, "{path}: {}", r.status);
    }
    let r = get_from(&server, None, "/login", None).await;
    assert_eq!(r.status, 429);
    assert!(r.header("retry-after").is_some());
    assert_eq!(get_from(&server, None, "/healthz", None).await.status, 200);
    assert_eq!(get_from(&server, loopback(2), "/", None).await.status, 200);
}

#[tokio::test]
async fn forwarded_for_counts_only_from_a_trusted_proxy() {
    // No trusted proxy: the header is the client's own claim, and changing it changes nothing.
    let server = start(&["--page-rate", "3/min"]).await;
    for i in 1..=3 {
        let xff = format!("203.0.113.{i}");
        assert_eq!(get_from(&server, None, "/", Some(&xff)).await.status, 200);
    }
    assert_eq!(
        get_from(&server, None, "/", Some("203.0.113.99"))
            .await
            .status,
        429,
        "a fresh X-Forwarded-For from an untrusted peer is ignored"
    );

    // 127.0.0.1 is a trusted proxy: each forwarded client has its own rate.
    let server = start(&["--page-rate", "3/min", "--trusted-proxies", "127.0.0.1"]).await;
    for i in 1..=6 {
        let xff = format!("203.0.113.{i}");
        assert_eq!(
            get_from(&server, loopback(1), "/", Some(&xff)).await.status,
            200
        );
    }
    for expected in [200, 200, 429] {
        let status = get_from(&server, loopback(1), "/", Some("203.0.113.1"))
            .await
            .status;
        assert_eq!(status, expected, "client 203.0.113.1's own rate");
    }
    // 127.0.0.2 is not a proxy: its header is ignored and it is counted as itself.
    for expected in [200, 200, 200, 429] {
        let status = get_from(&server, loopback(2), "/", Some("198.51.100.7"))
            .await
            .status;
        assert_eq!(status, expected);
    }
}

/// The server's SQLite database, opened beside it.
async fn database(server: &ServerProcess) -> sqlx::SqlitePool {
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(server.data_dir().join("server.db"))
        .busy_timeout(Duration::from_secs(5));
    sqlx::SqlitePool::connect_with(options)
        .await
        .expect("open server.db")
}

fn session_ref(server: &ServerProcess, nonce: &str) -> Vec<u8> {
    let id = ServerId::from_base64(&server.server_id).expect("server id");
    SessionRef::derive(&id, nonce.as_bytes()).0.to_vec()
}

/// Makes rows look two days older than they are (the sweep compares times with retention).
async fn age(db: &sqlx::SqlitePool, sql: &str, key: Vec<u8>) {
    let done = sqlx::query(sql)
        .bind(key)
        .execute(db)
        .await
        .expect("age rows");
    assert_eq!(done.rows_affected(), 1, "{sql}");
}

async fn count(db: &sqlx::SqlitePool, sql: &str, key: Vec<u8>) -> i64 {
    sqlx::query_scalar(sql)
        .bind(key)
        .fetch_one(db)
        .await
        .expect("count")
}

const TWO_DAYS: i64 = 2 * 86_400;

/// A transaction for the session of `nonce`; its id's bytes.
async fn new_transaction(server: &ServerProcess, nonce: &str) -> Vec<u8> {
    use base64::Engine;
    let path = format!("/servers/{}/sessions/transactions", server.server_id);
    let body = json!({ "amount": "1", "benificiary": "x", "description": "sweep" });
    let r = server.api("POST", &path, Some(nonce), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let tid = r.json()["tid"].as_str().expect("tid").to_owned();
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(tid)
        .expect("tid bytes")
}

#[tokio::test]
async fn the_sweep_deletes_what_is_old_and_keeps_what_is_live() {
    let server = start(&[
        "--sweep-interval",
        "1s",
        "--idle-session-retention",
        "1h",
        "--session-retention",
        "1h",
        "--enrol-code-retention",
        "1h",
        "--transaction-retention",
        "1h",
        "--message-retention",
        "1h",
    ])
    .await;
    let sid = server.server_id.clone();
    server
        .configure(json!({ "pinTimeout": -1, "pinTransTimeout": -1 }))
        .await;
    let mut app = App::new().await;
    app.enrol(&server, "ada", PIN).await;
    let account = server.account_ids().await[0];

    // A one-shot login (ping time 0) with two transactions and two messages for its account,
    // then logged out.
    app.approve_login(&server, "one-shot").await;
    app.flow_in(FlowState::Done).await;
    let (old_tx, new_tx) = (
        new_transaction(&server, "one-shot").await,
        new_transaction(&server, "one-shot").await,
    );
    let logout = format!("/servers/{sid}/sessions/logout");
    assert_eq!(
        server
            .api("POST", &logout, Some("one-shot"), None)
            .await
            .status,
        200
    );
    server
        .send_message(account, "old", "expired long ago")
        .await;
    server.send_message(account, "new", "still valid").await;
    // Enrol codes and sessions nobody logged into.
    let _ = server.enrol_code("code-old", "bob").await;
    let _ = server.enrol_code("code-new", "carl").await;
    let _ = server.login_code("idle-old").await;
    let _ = server.login_code("idle-new").await;
    // A continuous session (ping time > 0): live while the app answers pings.
    server.configure(json!({ "pingTime": 30 })).await;
    app.approve_login(&server, "continuous").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("continuous").await["loggedin"], true);

    let db = database(&server).await;
    let by_ref = "UPDATE sessions SET updated = updated - 172800 WHERE session_ref = $1";
    for nonce in ["one-shot", "idle-old", "continuous", "code-old"] {
        age(&db, by_ref, session_ref(&server, nonce)).await;
    }
    age(
        &db,
        "UPDATE enrol_codes SET expires = expires - 172800 WHERE session_ref = $1",
        session_ref(&server, "code-old"),
    )
    .await;
    age(
        &db,
        "UPDATE transactions SET expires = expires - 172800 WHERE tid = $1",
        old_tx.clone(),
    )
    .await;
    let old_message: Vec<u8> = sqlx::query_scalar(
        "SELECT message_id FROM messages WHERE kind = 'message' ORDER BY created, rowid LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .expect("the first message");
    age(
        &db,
        "UPDATE messages SET expires = expires - 172800 WHERE message_id = $1",
        old_message.clone(),
    )
    .await;

    let session_rows = "SELECT COUNT(*) FROM sessions WHERE session_ref = $1";
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while count(&db, session_rows, session_ref(&server, "idle-old")).await > 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no sweep within 15 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // One more interval, so that a whole sweep ran after the ageing.
    tokio::time::sleep(Duration::from_millis(1500)).await;

    for (nonce, expected) in [
        ("idle-old", 0),
        ("one-shot", 0),
        ("code-old", 0),
        ("idle-new", 1),
        ("code-new", 1),
        ("continuous", 1),
    ] {
        assert_eq!(
            count(&db, session_rows, session_ref(&server, nonce)).await,
            expected,
            "session {nonce}"
        );
    }
    let codes = "SELECT COUNT(*) FROM enrol_codes WHERE session_ref = $1";
    assert_eq!(count(&db, codes, session_ref(&server, "code-old")).await, 0);
    assert_eq!(count(&db, codes, session_ref(&server, "code-new")).await, 1);
    let txs = "SELECT COUNT(*) FROM transactions WHERE tid = $1";
    assert_eq!(count(&db, txs, old_tx).await, 0);
    assert_eq!(count(&db, txs, new_tx).await, 1);
    let messages = "SELECT COUNT(*) FROM messages WHERE message_id = $1";
    assert_eq!(count(&db, messages, old_message).await, 0);
    let left: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE kind = 'message'")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(left, 1, "the message that has not expired stays");
    // The continuous session was kept for being live, not because something touched it.
    let updated: i64 = sqlx::query_scalar("SELECT updated FROM sessions WHERE session_ref = $1")
        .bind(session_ref(&server, "continuous"))
        .fetch_one(&db)
        .await
        .expect("continuous session");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    assert!(updated < now - TWO_DAYS + 60, "still aged: {updated}");
    assert_eq!(server.session("continuous").await["loggedin"], true);
}
