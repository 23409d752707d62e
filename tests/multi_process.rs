//! Two server processes sharing one database (SQLite file, or PostgreSQL when
//! `NEXTAUTH_TEST_DATABASE_URL` names a server): an app logs in through one process while a
//! browser watches the session through the other, and the REST API of the other sees it.

use futures_util::StreamExt;
use std::time::{Duration, Instant};

use nextauth_e2e::raw::{self, AppAccount};
use nextauth_e2e::{browser, shared_database, App, BrowserWs, ServerProcess, TempDir};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::params::ParamsTrust;
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_sdk::{FlowState, Response};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn a_login_through_one_process_reaches_a_browser_on_the_other() {
    let (a, b) = ServerProcess::start_pair(&[]).await;
    // The browser watches the session through B.
    let mut ws = browser(&b, "multi").await;
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
    let mut app = App::new().await;
    app.enrol(&a, "noor", "2468").await;

    for round in 0..4 {
        if round == 2 {
            // Every connection to this database is cut, the LISTEN one included, as a
            // database restart would: B reconnects, re-reads, and hears of changes again.
            cut_connections(&database);
        }
        let nonce = format!("notify-{round}");
        let mut ws = browser(&b, &nonce).await;
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

async fn next_text(ws: &mut BrowserWs) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return t.to_string(),
            Some(Ok(_)) => continue,
            other => panic!("browser socket ended: {other:?}"),
        }
    }
}

/// The raw bytes of a session reference as the protocol carries it, for `nonce` on the demo
/// server `server_id` (base64).
fn reference(server_id: &str, nonce: &str) -> [u8; 16] {
    let id = ServerId::from_base64(server_id).expect("server id");
    SessionRef::derive(&id, nonce.as_bytes()).0
}

/// An app enrolled through `server` with the protocol-level test app.
async fn raw_account(server: &ServerProcess, name: &str) -> AppAccount {
    let code = server.enrol_code(&format!("enrol-{name}"), name).await;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let code = raw::enrol_code(QrPayload::decode(&code, now).expect("enrol code"));
    let device = DeviceSecret::from_bytes([7; 32]);
    let (account, ex, reply) = raw::enrol(&code, &device, Some("2468"))
        .await
        .expect("enrol");
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;
    account
}

/// The hello of a login through `server` (whatever endpoint the account was enrolled at),
/// trusting the key the account knows: the server's parameters, or how it refused.
async fn hello_through(
    server: &ServerProcess,
    account: &AppAccount,
    reference: [u8; 16],
) -> Result<raw::Exchange, raw::Stop> {
    let trust = ParamsTrust::KnownKey {
        key: &account.params.public_key,
        not_before: account.params.issued_at,
    };
    raw::open(
        &format!("ws://{}/sigmai", server.addr),
        Purpose::Login,
        account.params.server_id,
        reference,
        trust,
    )
    .await
}

/// A whole login through `server` on a fresh session `nonce` (its code asked of `server`).
async fn login_through(server: &ServerProcess, account: &AppAccount, nonce: &str) {
    server.login_code(nonce).await;
    let mut ex = hello_through(server, account, reference(&server.server_id, nonce))
        .await
        .expect("hello");
    let login = ClientRequest::Login {
        user_input: String::new(),
        number: String::new(),
    };
    ex.finish(&account.key, &login).await.expect("login");
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.close().await;
}

/// Runs `sql` on the database of `url` as the superuser: `psql` for PostgreSQL, sqlx on the
/// SQLite file.
async fn run_sql(url: &str, sql: &str) {
    if url.starts_with("postgres") {
        let name = url.rsplit('/').next().expect("database name");
        let out = std::process::Command::new("su")
            .args([
                "postgres",
                "-c",
                &format!("psql -qtA -d {name} -c \"{sql}\""),
            ])
            .output()
            .expect("psql");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    } else {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("sqlite");
        sqlx::query(sql).execute(&mut conn).await.expect("sql");
    }
}

#[tokio::test]
async fn a_server_row_change_on_one_process_is_seen_by_the_next_hello_on_the_other() {
    // On PostgreSQL B keeps the server's row in memory for hellos (crates/server/src/
    // server_cache.rs); each change below is made through A (or behind both processes' backs)
    // and B's very next hello, at once, must see it. On SQLite B reads the row every time:
    // the same must hold.
    let data_a = TempDir::new("pair-rows-a");
    let database = shared_database(&data_a);
    let (a, b) = ServerProcess::start_pair_on(data_a, database.clone(), &[]).await;
    let account = raw_account(&a, "rows").await;
    let id = a.server_id.clone();
    // B has the row now (a login through it).
    login_through(&b, &account, "rows-0").await;

    // New settings through A: B's next hello signs the new name.
    let body = serde_json::json!({ "serverName": "Acme renamed" });
    a.api_ok(
        "PUT",
        &format!("/servers/{id}"),
        None,
        Some(&body),
        "rename",
    )
    .await;
    a.login_code("rows-1").await;
    let ex = hello_through(&b, &account, reference(&id, "rows-1"))
        .await
        .expect("hello after the rename");
    let params = &ex.decision.as_ref().expect("decision").params;
    assert_eq!(params.profile.name, "Acme renamed");
    ex.close().await;
    login_through(&b, &account, "rows-2").await;

    // A rotated key through A: B's next hello is signed with the new one.
    let r = a
        .api_ok(
            "POST",
            &format!("/servers/{id}/rotatekey"),
            None,
            None,
            "rotate",
        )
        .await;
    let rotated: serde_json::Value = serde_json::from_slice(&r.body).expect("json");
    let new_key = rotated["serverpk"].as_str().expect("serverpk").to_owned();
    a.login_code("rows-3").await;
    let ex = hello_through(&b, &account, reference(&id, "rows-3"))
        .await
        .expect("hello after the rotation (the old key endorsed the new one)");
    let params = &ex.decision.as_ref().expect("decision").params;
    assert_eq!(
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            params.public_key.0
        ),
        new_key,
        "B's hello is signed with the rotated key"
    );
    ex.close().await;
    login_through(&b, &account, "rows-4").await;

    // The server deleted behind both processes' backs (no announcement at all): B refuses
    // the next hello for it as an unknown server, even though a session for it waits.
    a.login_code("rows-5").await;
    let server_bytes = ServerId::from_base64(&id).expect("id").0;
    let hex: String = server_bytes.iter().map(|b| format!("{b:02x}")).collect();
    let delete = if database.starts_with("postgres") {
        format!("DELETE FROM servers WHERE server_id = '\\\\x{hex}'::bytea")
    } else {
        format!("DELETE FROM servers WHERE server_id = x'{hex}'")
    };
    run_sql(&database, &delete).await;
    match hello_through(&b, &account, reference(&id, "rows-5")).await {
        Err(raw::Stop::Alert(code)) => assert_eq!(code, 48, "refused as an unknown server"),
        Err(other) => panic!("refused otherwise: {other:?}"),
        Ok(_) => panic!("a hello for a deleted server was answered"),
    }
}

#[tokio::test]
async fn a_login_announces_itself_from_its_own_statements() {
    // PostgreSQL only: an app's scan and login each announce themselves with `pg_notify` in
    // the statement that makes them, not through the process's announcing connection. A
    // listener of the test's own tells them apart by the backend that sent them.
    let data_a = TempDir::new("pair-inline-a");
    let database = shared_database(&data_a);
    if !database.starts_with("postgres") {
        return;
    }
    let (a, b) = ServerProcess::start_pair_on(data_a, database.clone(), &[]).await;
    let account = raw_account(&a, "inline").await;
    let id = a.server_id.clone();
    let name = database
        .rsplit('/')
        .next()
        .expect("database name")
        .to_owned();
    let mut listener = std::process::Command::new("su")
        .args(["postgres", "-c", &format!("psql -qtA -d {name}")])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("psql");
    let mut stdin = listener.stdin.take().expect("stdin");
    use std::io::Write;
    writeln!(stdin, "LISTEN nextauth_changes;").expect("listen");
    stdin.flush().expect("flush");
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A change that A announces on its announcing connection: a new server name.
    let body = serde_json::json!({ "serverName": "Acme inline" });
    a.api_ok(
        "PUT",
        &format!("/servers/{id}"),
        None,
        Some(&body),
        "rename",
    )
    .await;
    // A login through A with the page on B.
    let nonce = "inline-1";
    let mut ws = browser(&b, nonce).await;
    let mut seen = vec![next_text(&mut ws).await];
    let session = reference(&id, nonce);
    login_through(&a, &account, nonce).await;
    wait_for(&mut ws, &mut seen, "LOGIN ").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    writeln!(stdin, "SELECT 1;").expect("flush notifications");
    drop(stdin);
    let out = listener.wait_with_output().expect("psql output");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();

    // Each notification: its payload and the backend that sent it.
    let mut notes = Vec::new();
    let marker = "Asynchronous notification \"nextauth_changes\" with payload \"";
    for part in text.split(marker).skip(1) {
        let (payload, rest) = part
            .split_once("\" received from server process with PID ")
            .expect("a notification line");
        let pid: u32 = rest
            .trim_start()
            .split('.')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("pid");
        notes.push((payload.to_owned(), pid));
    }
    let session_line = format!(
        "S {id_b64} {session_b64}",
        id_b64 = ServerId::from_base64(&id).expect("id").to_base64(),
        session_b64 = SessionRef(session).to_base64()
    );
    let renamed: Vec<u32> = notes
        .iter()
        .filter(|(p, _)| p.lines().any(|l| l.starts_with("V ")))
        .map(|(_, pid)| *pid)
        .collect();
    let login: Vec<&(String, u32)> = notes
        .iter()
        .filter(|(p, _)| p.lines().any(|l| l == session_line))
        .collect();
    assert_eq!(renamed.len(), 1, "the rename was announced once: {notes:?}");
    assert_eq!(
        login.len(),
        2,
        "scanned and logged in, once each: {notes:?}"
    );
    for (payload, pid) in login {
        assert_ne!(
            *pid, renamed[0],
            "the login's announcement came from a statement's backend, not the announcing connection"
        );
        assert_eq!(
            payload.lines().count(),
            2,
            "the origin and the session: {payload:?}"
        );
    }
}

/// A plain login costs its own statements and no more: the scan at the hello, the account by
/// its key, and the login's writes. That is two on PostgreSQL (the server's row comes from the
/// cache; the account is read by the statement that writes the login, store/logins.rs) and six
/// on SQLite (the server's row, the scan, the account, then the session, the account and the
/// user written on one connection). Each costs the server a round trip (docs/benchmarks.md),
/// so one more is a regression; one once ran after every login to move a session no longer
/// `scanned` back to `new`, for nothing.
#[tokio::test]
async fn a_login_runs_only_its_own_statements() {
    let data = TempDir::new("statements");
    let database = shared_database(&data);
    let postgres = database.starts_with("postgres");
    // One app connection at a time: a new one is admitted only once the last one's exchange
    // has ended, everything after it included.
    let extra = [
        "--database-url".to_owned(),
        database,
        "--app-connections-per-ip".to_owned(),
        "1".to_owned(),
    ];
    // Statements are logged with the span of the app connection that made them, so the
    // periodic ones (the ping deadline check every 2 s) are told apart; requests log their
    // answer (see `exchanges_ended`).
    let filter = "warn,nextauth_server=debug,sqlx::query=debug";
    let server = ServerProcess::start_logged_with(filter, &extra).await;
    let account = raw_account(&server, "counted").await;
    let nonce = "counted-1";
    server.login_code(nonce).await;
    exchanges_ended(&server).await;
    let before = server.log_text().len();

    raw::log_in(&account, reference(&server.server_id, nonce))
        .await
        .expect("login");
    exchanges_ended(&server).await;
    let log = server.log_text();
    assert_eq!(server.session(nonce).await["loggedin"], true);
    // Each statement's line names its rows (sqlx's `rows_affected`), whatever its SQL.
    let statements: Vec<&str> = log[before..]
        .lines()
        .filter(|l| {
            l.contains(" app{") && l.contains("sqlx::query") && l.contains("rows_affected=")
        })
        .collect();
    let summary = statements.join("\n");
    let expected = if postgres { 2 } else { 6 };
    assert_eq!(
        statements.len(),
        expected,
        "statements of a login:\n{summary}"
    );
}

/// Waits until the server admits an app connection again (started with
/// `--app-connections-per-ip 1`): every exchange before has ended. Then waits until the
/// admitted request's own log line has been read, so that everything the exchanges logged
/// before it is in [`ServerProcess::log_text`] too.
async fn exchanges_ended(server: &ServerProcess) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let from = server.log_text().len();
        // Not an upgrade: admitted (and refused as a bad request), or refused with 429.
        let r = nextauth_e2e::request(server.addr, "GET", "/sigmai", &[], b"")
            .await
            .expect("request");
        if r.status != 429 {
            let answered = format!(
                "route=/sigmai}}: nextauth_server::trace: answered status={}",
                r.status
            );
            while !server.log_text()[from..].contains(&answered) {
                assert!(Instant::now() < deadline, "no `{answered}` in the log");
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            return;
        }
        assert!(Instant::now() < deadline, "an app exchange never ended");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
