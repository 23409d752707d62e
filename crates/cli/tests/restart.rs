//! A restart in the middle: the `nextauth` process is killed (SIGKILL, no chance to clean up)
//! during a flow and during a continuous session; the SDK opened again on the same data keeps
//! every account, ends what was under way in the history, and works on.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use nextauth_e2e::{App, ServerProcess, TempDir};
use nextauth_sdk::{FlowState, HistoryQuery, HistoryStatus};

const PIN: &str = "2468";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn spawn_nextauth(data: &TempDir, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .arg("--data")
        .arg(&data.0)
        .args(args)
        .env_remove("NEXTAUTH_PIN")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nextauth")
}

fn enrol_with_cli(server_code: &[u8], data: &TempDir) {
    let out = Command::new(env!("CARGO_BIN_EXE_nextauth"))
        .arg("--data")
        .arg(&data.0)
        .args(["--yes", "--pin", PIN, "enrol", &hex(server_code)])
        .output()
        .expect("run nextauth");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `check` holds (10 s at most).
async fn eventually(mut check: impl AsyncFnMut() -> bool, what: &str) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out: {what}");
}

#[tokio::test]
async fn a_flow_killed_while_connecting_is_recorded_as_interrupted() {
    // The app endpoint in the server's codes is a port that accepts and never answers, so the
    // flow sits in STARTING until the process is killed.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let public = format!("http://127.0.0.1:{}", stall.local_addr().unwrap().port());
    let (connecting, connected) = tokio::sync::oneshot::channel();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        let mut connecting = Some(connecting);
        while let Ok((socket, _)) = stall.accept().await {
            open.push(socket);
            if let Some(tell) = connecting.take() {
                let _ = tell.send(());
            }
        }
    });
    let args = ["--public-url".to_owned(), public];
    let server = ServerProcess::start_with(TempDir::new("server"), None, &args).await;
    let data = Arc::new(TempDir::new("cli-killed"));
    let code = server.enrol_code("killed-signup", "peggy").await;
    let mut cli = spawn_nextauth(&data, &["--yes", "--pin", PIN, "enrol", &hex(&code)]);
    // The flow is journaled before it connects: once the connection is here, it is under way.
    tokio::time::timeout(Duration::from_secs(10), connected)
        .await
        .expect("the flow connects")
        .unwrap();
    assert!(cli.try_wait().unwrap().is_none(), "still connecting");
    cli.kill().unwrap();
    cli.wait().unwrap();
    held.abort();

    let app = App::open(data.clone()).await;
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history.len(), 1, "{history:?}");
    assert_eq!(history[0].record.kind, nextauth_sdk::HistoryKind::Enrol);
    assert_eq!(history[0].record.status, HistoryStatus::Aborted);
    assert!(
        history[0].record.detail.contains("interrupted"),
        "{history:?}"
    );
    assert!(app.sdk.accounts().await.unwrap().is_empty());
    assert!(
        app.sdk.active_flow().is_none(),
        "nothing is left holding the flow slot"
    );
    drop(app);
    let app = App::open(data).await;
    assert_eq!(
        app.sdk
            .history(&HistoryQuery::default())
            .await
            .unwrap()
            .len(),
        1,
        "recorded once, not at every start"
    );
}

#[tokio::test]
async fn a_continuous_session_killed_with_its_app_ends_cleanly_and_the_app_works_on() {
    let server = ServerProcess::start().await;
    let data = Arc::new(TempDir::new("cli-session"));
    enrol_with_cli(&server.enrol_code("session-signup", "quentin").await, &data);
    server.configure(serde_json::json!({ "pingTime": 1 })).await;

    let code = server.login_code("kept").await;
    let mut cli = spawn_nextauth(&data, &["--yes", "--stay", "login", &hex(&code)]);
    eventually(
        async || server.session("kept").await["loggedin"] == true,
        "the CLI logged in",
    )
    .await;
    cli.kill().unwrap();
    cli.wait().unwrap();
    // The server ends the session when the pings stop.
    eventually(
        async || server.session("kept").await["loggedin"] != true,
        "the server ended the session",
    )
    .await;

    let mut app = App::open(data.clone()).await;
    assert_eq!(app.sdk.accounts().await.unwrap().len(), 1, "nothing lost");
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    let statuses: Vec<_> = history
        .iter()
        .map(|h| (h.record.kind.as_str(), h.record.status))
        .collect();
    assert_eq!(
        statuses[..2],
        [
            ("LOGIN", HistoryStatus::LoggedOut),
            ("LOGIN", HistoryStatus::LoggedIn)
        ],
        "{history:?}"
    );
    assert_eq!(history[0].record.account_name, "quentin");

    // And the next login works.
    app.approve_login(&server, "after").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("after").await["loggedin"], true);
}
