//! Two server processes on one database behind a real load balancer (HAProxy from Debian,
//! round robin, no sticky sessions, `scripts/install-deps.sh` installs it): the journey of an
//! app and a browser runs through the balancer with each request landing on either process,
//! and one process is killed (SIGKILL) in the middle of logins. The database is PostgreSQL when
//! `NEXTAUTH_TEST_DATABASE_URL` names a server (as `scripts/test.sh`'s second run does), else a
//! SQLite file both processes share.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::balancer::{balancer, free_front, pair_behind, Balance};
use nextauth_e2e::proc_stats::thread_waits;
use nextauth_e2e::{raw, request, App, ServerProcess, TempDir};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_sdk::{FlowState, HistoryStatus, Response};
use tokio_tungstenite::tungstenite::Message;

const PIN: &str = "2468";

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A browser following session `hsid` through the balancer; reconnects as the page's footer
/// does when its socket drops, and returns once it hears `wanted`.
async fn browser_hears(front: SocketAddr, server_id: &str, hsid: &str, wanted: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    'connect: loop {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{wanted} never reached the browser"
        );
        let Ok((mut ws, _)) = tokio_tungstenite::connect_async(format!("ws://{front}/ws")).await
        else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        };
        let register = format!("REGISTER {hsid} {server_id}");
        if ws.send(Message::Text(register.into())).await.is_err() {
            continue;
        }
        loop {
            match tokio::time::timeout_at(deadline, next(&mut ws)).await {
                Ok(Some(text)) if text.starts_with(wanted) => return,
                Ok(Some(_)) => {}
                Ok(None) => {
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue 'connect;
                }
                Err(_) => panic!("{wanted} never reached the browser"),
            }
        }
    }
}

async fn next(ws: &mut Ws) -> Option<String> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(_)) => {}
            _ => return None,
        }
    }
}

/// Logs the app into the session `nonce` through the balancer; a try that met the killed
/// process (its connection cut) is made again, as a person scans again. Returns the tries.
async fn log_in(app: &mut App, front: &ServerProcess, nonce: &str) -> u32 {
    for attempt in 1..=3 {
        let code = front.login_code(nonce).await;
        let Ok(flow) = app.sdk.start_qr(&code).await else {
            continue;
        };
        let asked = app
            .next_event(|e| match e {
                nextauth_sdk::Event::FlowUpdate { flow: f } if f.id == flow.id => match f.state {
                    FlowState::WaitingForConfirmation | FlowState::Error => Some(f.state),
                    _ => None,
                },
                _ => None,
            })
            .await;
        if asked == FlowState::Error {
            continue;
        }
        let confirm = Response::Confirm {
            account_id: None,
            user_input: None,
            number: None,
        };
        if app.sdk.respond(&flow.id, confirm).await.is_err() {
            continue;
        }
        let end = app
            .next_event(|e| match e {
                nextauth_sdk::Event::FlowUpdate { flow: f } if f.id == flow.id => match f.state {
                    FlowState::Done | FlowState::Error => Some(f.state),
                    _ => None,
                },
                _ => None,
            })
            .await;
        if end == FlowState::Done {
            return attempt;
        }
    }
    panic!("{nonce}: no login after 3 tries");
}

#[tokio::test]
async fn the_journey_runs_through_a_load_balancer_and_survives_a_killed_process() {
    let front_addr = free_front();
    let front_port = front_addr.port();
    let (mut a, b) = pair_behind(front_addr, "cluster-a").await;
    let lb_dir = TempDir::new("cluster-lb");
    let _lb = balancer(
        &lb_dir.0,
        front_port,
        &[a.addr, b.addr],
        Balance::RoundRobin,
    )
    .await;
    // Every request of the test's website and app goes through the balancer: A's handle is
    // pointed at it (A's process stays A's).
    a.addr = front_addr;
    let front = &a;
    let server_id = ServerId::from_base64(&front.server_id).unwrap();
    let hsid = |nonce: &str| SessionRef::derive(&server_id, nonce.as_bytes()).to_base64();

    // Enrol, log in with a browser watching, a push login, each request on either process.
    let mut app = App::new().await;
    let account = app.enrol(front, "ines", PIN).await;
    let first = hsid("lb-1");
    let watch = browser_hears(front_addr, &front.server_id, &first, "LOGIN ");
    let login = async {
        // The browser registers first (the page opens its socket as it loads).
        tokio::time::sleep(Duration::from_millis(300)).await;
        log_in(&mut app, front, "lb-1").await
    };
    let ((), tries) = tokio::join!(watch, login);
    assert_eq!(tries, 1, "no process was down yet");
    assert_eq!(front.session("lb-1").await["loggedin"], true);

    let id = front.account_ids().await[0];
    assert_eq!(front.session("lb-push").await["loggedin"], false);
    let number = front.provoke_login(id, "lb-push").await;
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    let confirm = Response::Confirm {
        account_id: None,
        user_input: None,
        number,
    };
    app.sdk.respond(&asked.id, confirm).await.unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(front.session("lb-push").await["loggedin"], true);

    // B is killed in the middle of logins: what met it is tried again through the balancer,
    // which has taken B out; every session ends logged in exactly once, and its browser (whose
    // socket may have been on B) reconnects and hears it.
    let mut b = Some(b);
    for round in 0..6 {
        let nonce = format!("lb-kill-{round}");
        let followed = hsid(&nonce);
        let watch = browser_hears(front_addr, &front.server_id, &followed, "LOGIN ");
        let login = async {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if round == 2 {
                let killed = b.take().expect("B runs");
                drop(killed.stop());
            }
            log_in(&mut app, front, &nonce).await
        };
        let ((), _tries) = tokio::join!(watch, login);
        let session = front.session(&nonce).await;
        assert_eq!(session["loggedin"], true, "{nonce}");
        assert_eq!(session["accountid"], id, "{nonce}");
    }
    let history = app.sdk.history(&Default::default()).await.unwrap();
    let logins = history
        .iter()
        .filter(|h| {
            matches!(
                h.record.status,
                HistoryStatus::LoggedIn | HistoryStatus::LoggedInOneShot
            )
        })
        .count();
    assert_eq!(logins, 8, "one recorded login per session: {history:#?}");

    // Deleting the account reaches the surviving process through the balancer.
    assert!(app.sdk.delete_account(&account).await.unwrap());
    assert!(front.account_ids().await.is_empty());
}

/// The readiness of the process at `addr`: the status and the body.
async fn readiness(addr: SocketAddr) -> (u16, serde_json::Value) {
    let r = request(addr, "GET", "/readyz", &[], b"")
        .await
        .expect("/readyz answers");
    (r.status, r.json())
}

#[tokio::test]
async fn sigterm_drains_a_process_and_its_sockets_reconnect_through_the_balancer() {
    let front_addr = free_front();
    let front_port = front_addr.port();
    let (a, mut b) = pair_behind(front_addr, "drain-a").await;
    for server in [&a, &b] {
        let (status, body) = readiness(server.addr).await;
        assert_eq!((status, &body["status"]), (200, &"ready".into()), "{body}");
        assert_eq!(body["database"], true);
        assert_eq!(body["draining"], false);
    }
    let lb_dir = TempDir::new("drain-lb");
    let _lb = balancer(
        &lb_dir.0,
        front_port,
        &[a.addr, b.addr],
        Balance::RoundRobin,
    )
    .await;

    // An app (enrolled through A) with its live connection on B; a session logged in through
    // A whose page follows it on B.
    let code = a.enrol_code("drain-enrol", "jonas").await;
    let code = raw::enrol_code(
        nextauth_protocol::qr::QrPayload::decode_unchecked(&code).expect("enrol code"),
    );
    let device = nextauth_protocol::pin::DeviceSecret::from_bytes([7; 32]);
    let (account, ex, _) = raw::enrol(&code, &device, Some(PIN)).await.expect("enrol");
    ex.close().await;
    let mut live = raw::live(&format!("ws://{}/sigmai", b.addr), &account).await;
    let server_id = ServerId::from_base64(&a.server_id).unwrap();
    let nonce = "drain-1";
    a.login_code(nonce).await;
    let hsid = SessionRef::derive(&server_id, nonce.as_bytes()).to_base64();
    let mut page = nextauth_e2e::page_socket(b.addr, &a.server_id, &hsid).await;
    assert!(next(&mut page).await.unwrap().starts_with("LOGOUT "));
    raw::log_in(&account, SessionRef::derive(&server_id, nonce.as_bytes()).0)
        .await
        .expect("login through A");
    // (On a shared SQLite file B reads the session every 0.5 s: the scan may pass unseen.)
    loop {
        let line = next(&mut page)
            .await
            .expect("the page on B hears the login");
        if line.starts_with("LOGIN ") {
            break;
        }
    }

    // SIGTERM: B is not ready at once (it still answers during its drain delay), and its page
    // socket and live app connection are closed with "going away".
    b.terminate();
    let mut seen = readiness(b.addr).await;
    for _ in 0..20 {
        // (The signal is handled a moment after `kill` returns.)
        if seen.0 == 503 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
        seen = readiness(b.addr).await;
    }
    let (status, body) = seen;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["draining"], true);
    let closed = tokio::time::timeout(Duration::from_secs(3), page.next())
        .await
        .expect("the page socket closes");
    match closed {
        Some(Ok(Message::Close(Some(frame)))) => {
            assert_eq!(
                frame.code,
                tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode::Away
            )
        }
        other => panic!("expected a going-away close, got {other:?}"),
    }
    let gone = tokio::time::timeout(Duration::from_secs(3), live.recv_raw())
        .await
        .expect("the live connection closes");
    assert_eq!(gone, None, "the live connection ends");
    let status = b
        .exit_status(Duration::from_secs(15))
        .await
        .expect("B exits within its grace");
    assert!(status.success(), "B exits 0: {status:?}");

    // The page reconnects through the balancer (to A) and still sees its login; the app's live
    // connection reconnects there too, and a new login through the balancer reaches the page.
    browser_hears(front_addr, &a.server_id, &hsid, "LOGIN ").await;
    let _live = raw::live(&format!("ws://{front_addr}/sigmai"), &account).await;
    let next_nonce = "drain-2";
    a.login_code(next_nonce).await;
    let next_hsid = SessionRef::derive(&server_id, next_nonce.as_bytes()).to_base64();
    let watch = browser_hears(front_addr, &a.server_id, &next_hsid, "LOGIN ");
    let login = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        raw::log_in(
            &account,
            SessionRef::derive(&server_id, next_nonce.as_bytes()).0,
        )
        .await
        .expect("login through the balancer");
    };
    tokio::join!(watch, login);
    assert_eq!(a.session(next_nonce).await["loggedin"], true);
}

/// `--worker-threads N` sets the runtime's workers (one costs the least CPU per login,
/// docs/benchmarks.md), the default is one per CPU, and the process says which it runs with.
#[tokio::test]
async fn the_worker_thread_count_is_the_one_asked_for() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    for (extra, expected) in [
        (vec![], cpus),
        (vec!["--worker-threads", "1"], 1),
        (vec!["--worker-threads", "3"], 3),
    ] {
        let extra: Vec<String> = extra.into_iter().map(str::to_owned).collect();
        let server = ServerProcess::start_logged_with("nextauth_server=info", &extra).await;
        let wanted = format!("runtime started worker_threads={expected}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while !server.log_text().lines().any(|l| l.ends_with(&wanted)) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{extra:?}: no `{wanted}` in the log:\n{}",
                server.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The process's own thread only waits for the server to end: connections are accepted on the
/// worker that serves them. (Accepted on the main thread, each new connection meant a wake-up
/// there and a hand-over to the worker: with one worker thread, a futex call and a context
/// switch for every third app login, docs/benchmarks.md.)
#[tokio::test]
async fn connections_are_accepted_on_the_worker_threads() {
    let extra = ["--worker-threads".to_owned(), "1".to_owned()];
    let server = ServerProcess::start_with(TempDir::new("accept"), None, &extra).await;
    let main_thread = server.pid();
    let before = thread_waits(server.pid(), main_thread);
    for _ in 0..50 {
        let r = request(server.addr, "GET", "/healthz", &[], b"")
            .await
            .expect("healthz");
        assert_eq!(r.status, 200);
    }
    let waits = thread_waits(server.pid(), main_thread) - before;
    assert!(
        waits < 5,
        "the main thread woke {waits} times for 50 connections"
    );
}
