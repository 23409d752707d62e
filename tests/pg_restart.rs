//! A PostgreSQL restart under two server processes (issue 15): neither is ready (`/readyz`)
//! while the database is down and both are again once they listen; a browser socket on B and
//! the app's live connection on A stay open through it, and afterwards a login approved through A
//! reaches the browser on B within 2 s (B listens again) and a message sent through B reaches
//! the app on A (A listens again). Runs in scripts/test.sh's PostgreSQL pass (it restarts the
//! local cluster, so it has a test binary of its own: nothing else runs meanwhile).

use std::time::{Duration, Instant};

use nextauth_e2e::{browser, browser_event, App, ServerProcess};
use nextauth_sdk::FlowState;

/// Runs `pg_ctlcluster <version> <name> <action>` on the local PostgreSQL cluster (Debian's),
/// as an operator or a crash and its supervisor would.
fn pg_ctlcluster(action: &str) {
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
    let status = std::process::Command::new("pg_ctlcluster")
        .args([version, name, action])
        .status()
        .expect("pg_ctlcluster");
    assert!(status.success(), "pg_ctlcluster {action}");
}

/// Waits until `/readyz` of every server answers `status` (at most `within`).
async fn readiness_becomes(servers: [&ServerProcess; 2], status: u16, within: Duration) {
    let deadline = Instant::now() + within;
    for server in servers {
        loop {
            let r = nextauth_e2e::request(server.addr, "GET", "/readyz", &[], b"").await;
            let seen = r.as_ref().map(|r| (r.status, r.text()));
            if matches!(&seen, Ok((s, _)) if *s == status) {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "readiness of {} is not {status}: {seen:?}",
                server.addr
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
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
    let nonce = "after-restart";
    let mut ws = browser(&b, nonce).await;
    assert_eq!(
        browser_event(&mut ws, "LOGOUT").await.len(),
        1,
        "REGISTER is answered with the state first"
    );

    // While the database is down neither process is ready (a balancer sends nothing new);
    // once it is back and each listens again, both are.
    readiness_becomes([&a, &b], 200, Duration::from_secs(5)).await;
    let started = Instant::now();
    pg_ctlcluster("stop");
    readiness_becomes([&a, &b], 503, Duration::from_secs(10)).await;
    pg_ctlcluster("start");
    eprintln!("PostgreSQL was away for {:?}", started.elapsed());
    readiness_becomes([&a, &b], 200, Duration::from_secs(15)).await;

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
    app.approve_code(&code).await;
    app.flow_in(FlowState::Done).await;
    let done = Instant::now();
    browser_event(&mut ws, "LOGIN").await;
    let took = done.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "the login reached B after {took:?}"
    );

    // A message sent through B reaches the app's live connection on A.
    b.send_message(account, "After the restart", "Still here.")
        .await;
    assert_eq!(app.message_received().await.title, "After the restart");
}
