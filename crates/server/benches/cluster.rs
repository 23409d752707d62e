//! Two server processes on one PostgreSQL database (issue 15, docs/benchmarks.md "Cluster"),
//! clients in this process, the servers' CPU and memory read from /proc/<pid>:
//!
//! 1. Idle: `BROWSERS` browser sockets, each following a login session, and `APPS` live app
//!    connections (CONNECT + PullMessages, as the SDK's live delivery), half on each process,
//!    then nothing for `IDLE_SECS`: database transactions per second (pg_stat_database), the
//!    servers' CPU, and their resident memory per open connection.
//! 2. Cross-process latency: logins approved by an app connected to process A, heard as `LOGIN`
//!    by a browser socket on process B, paced at `LOGINS_PER_SECOND`; p50, p99, max.
//!
//! Run: `NEXTAUTH_TEST_DATABASE_URL=$(scripts/postgres.sh) cargo bench -p nextauth-server
//! --bench cluster` (needs `ulimit -n` above twice the connections). Without the variable the
//! processes share a SQLite file (their watchers then poll it: the idle figure is about
//! that). `SINGLE=1`: one process plays A and B (login figures only). `STAGES=1`: each part of
//! a login alone, one at a time, then the app's logins `IN_FLIGHT` (16) at a time from
//! `CLIENTS` (2) client threads. `WORKER_THREADS=N`: the servers run with `--worker-threads N`;
//! `NEXTAUTH_SERVER_BIN`: another server binary (a `production` build, or one to compare).
//! `PERF_DATA=<file>`: `perf record` samples the servers during the logins
//! (`scripts/perf-stages.sh <file>`; `<file>.load` for the logins in flight); with
//! `PERF_TRACE=1` as well, `perf trace -s` counts their system calls into that file instead.
//! Under `cargo test` a short smoke pass runs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use nextauth_e2e::raw::{self, AppAccount, Exchange};
use nextauth_e2e::{shared_database, ServerProcess, TempDir};
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

struct Plan {
    browsers: usize,
    apps: usize,
    idle: Duration,
    logins: usize,
    logins_per_second: u32,
}

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let plan = if full {
        Plan {
            browsers: env_or("BROWSERS", 5_000),
            apps: env_or("APPS", 5_000),
            idle: Duration::from_secs(env_or("IDLE_SECS", 30) as u64),
            logins: env_or("LOGINS", 1_000),
            logins_per_second: env_or("LOGINS_PER_SECOND", 100) as u32,
        }
    } else {
        Plan {
            browsers: 20,
            apps: 10,
            idle: Duration::from_secs(2),
            logins: 10,
            logins_per_second: 20,
        }
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(run(plan));
}

fn cpu_of(pid: u32) -> Duration {
    nextauth_e2e::proc_stats::cpu_time(&pid.to_string())
}

fn rss_kib(pid: u32) -> u64 {
    nextauth_e2e::proc_stats::rss_kib(&pid.to_string())
}

/// Transactions the database committed or rolled back so far (PostgreSQL), via psql.
fn pg_transactions(database_url: &str) -> Option<u64> {
    if !database_url.starts_with("postgres://") {
        return None;
    }
    let out = std::process::Command::new("psql")
        .args([
            database_url,
            "-Atc",
            "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()",
        ])
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

async fn browser(server: &ServerProcess, server_id: &str, nonce: &str) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", server.addr))
        .await
        .expect("browser socket");
    let id = ServerId::from_base64(server_id).expect("server id");
    let hsid = SessionRef::derive(&id, nonce.as_bytes()).to_base64();
    ws.send(Message::Text(format!("REGISTER {hsid} {server_id}").into()))
        .await
        .expect("register");
    heard(&mut ws, "LOGOUT", Duration::from_secs(30)).await;
    ws
}

/// Waits for a text message starting with `kind`.
async fn heard(ws: &mut Ws, kind: &str, within: Duration) {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let next = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} within {within:?}"));
        if let Some(Ok(Message::Text(text))) = next {
            if text.starts_with(kind) {
                return;
            }
        }
    }
}

/// A live app connection to `server` (CONNECT, then PullMessages: the server pushes from now on).
async fn live(server: &ServerProcess, account: &AppAccount) -> Exchange {
    raw::live(&format!("ws://{}/sigmai", server.addr), account).await
}

async fn enrol(server: &ServerProcess, n: usize) -> AppAccount {
    let code = server
        .enrol_code(&format!("enrol-{n}"), &format!("user{n}"))
        .await;
    let code = raw::enrol_code(QrPayload::decode(&code, now()).expect("enrol code"));
    let device = DeviceSecret::from_bytes([7; 32]);
    let (account, ex, reply) = raw::enrol(&code, &device, Some("2468"))
        .await
        .expect("enrol");
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;
    account
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

async fn run(plan: Plan) {
    let data_a = TempDir::new("cluster-bench-a");
    let database = shared_database(&data_a);
    let off = |flag: &str| [flag.to_owned(), "off".to_owned()];
    let mut extra = Vec::new();
    for flag in [
        "--app-connections-per-ip",
        "--app-connect-rate",
        "--browser-sockets-per-ip",
        "--browser-sockets",
        "--browser-connect-rate",
    ] {
        extra.extend(off(flag));
    }
    // WORKER_THREADS=N: the servers run with `--worker-threads N`.
    if let Ok(threads) = std::env::var("WORKER_THREADS") {
        extra.extend(["--worker-threads".to_owned(), threads]);
    }
    let on = if database.starts_with("postgres://") {
        "PostgreSQL"
    } else {
        "a SQLite file"
    };
    // SINGLE=1: one process plays A and B (the login figures of one process; no idle phase).
    let single = std::env::var_os("SINGLE").is_some();
    let (pair, alone);
    let (a, b) = if single {
        extra.extend(["--database-url".to_owned(), database.clone()]);
        alone = ServerProcess::start_with(data_a, None, &extra).await;
        println!("cluster bench: one process on {on}");
        (&alone, &alone)
    } else {
        pair = ServerProcess::start_pair_on(data_a, database.clone(), &extra).await;
        println!("cluster bench: two processes on {on}");
        (&pair.0, &pair.1)
    };
    let servers = [a, b];
    let processes = &servers[..if single { 1 } else { 2 }];

    // Accounts for the live connections and the logins (enrolled through A).
    let needed = plan.apps.max(1);
    let gate = Arc::new(Semaphore::new(32));
    let mut enrolments = Vec::new();
    for n in 0..needed {
        let permit = gate.clone();
        enrolments.push(async move {
            let _p = permit.acquire().await;
            enrol(a, n).await
        });
    }
    let accounts: Vec<AppAccount> = futures_util::future::join_all(enrolments).await;

    if std::env::var_os("STAGES").is_some() {
        stages(plan.logins, a, &accounts, &database).await;
        return;
    }
    if !single {
        idle_phase(&plan, servers, &accounts, &database).await;
    }

    // 2. Cross-process latency: approve through A, hear LOGIN on B.
    // One task drives every login (the protocol client's signer is not Sync), started at
    // the pace and polled together.
    let pace = Duration::from_secs_f64(1.0 / f64::from(plan.logins_per_second.max(1)));
    let mut pending = futures_util::stream::FuturesUnordered::new();
    let mut latencies = Vec::new();
    let cpu_before: Vec<Duration> = processes.iter().map(|s| cpu_of(s.pid())).collect();
    let profile = perf_record(processes, "");
    let started = tokio::time::Instant::now();
    let mut n = 0;
    loop {
        let due = started + pace * n as u32;
        tokio::select! {
            Some(latency) = pending.next(), if !pending.is_empty() => latencies.push(latency),
            () = tokio::time::sleep_until(due), if n < plan.logins => {
                pending.push(cross_login(a, b, &accounts[n % accounts.len()], n));
                n += 1;
            }
            else => break,
        }
    }
    let offered = plan.logins as f64 / started.elapsed().as_secs_f64();
    perf_stop(profile);
    // Everything the servers did for each login: the REST code, the page's socket, the
    // handshake and its signature checks, the database writes, the announcement.
    let cpu_per_login: f64 = processes
        .iter()
        .zip(&cpu_before)
        .map(|(s, before)| (cpu_of(s.pid()) - *before).as_secs_f64())
        .sum::<f64>()
        * 1e3
        / plan.logins.max(1) as f64;
    println!(
        "| server CPU per login ({} process(es), {} logins) | {cpu_per_login:.3} ms | {:.0} logins/s per core of server CPU |",
        processes.len(),
        plan.logins,
        1e3 / cpu_per_login,
    );
    latencies.sort();
    let pick = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "| {} logins at {:.0}/s, approved on A, heard on B | p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms |",
        latencies.len(),
        offered,
        pick(0.5).as_secs_f64() * 1e3,
        pick(0.99).as_secs_f64() * 1e3,
        latencies.last().expect("one").as_secs_f64() * 1e3,
    );
}

/// `STAGES=1`: each part of a login alone, `count` times one after the other on process
/// `a`, with the server CPU (and on PostgreSQL the database transactions) each one cost;
/// `PERF_DATA` then samples the app's logins only.
async fn stages(count: usize, a: &ServerProcess, accounts: &[AppAccount], database: &str) {
    let nonce = |n: usize| format!("stage-{n}");
    let measure = |name: &'static str| Stage::begin(name, a, database);
    let stage = measure("plain HTTP request (GET /healthz on a new connection)");
    for _ in 0..count {
        assert_eq!(a.api("GET", "/healthz", None, None).await.status, 200);
    }
    stage.end(count);
    // The same and one database round trip: what each statement of a login costs the server.
    let stage = measure("the same with one database statement (GET /readyz: SELECT 1)");
    for _ in 0..count {
        assert_eq!(a.api("GET", "/readyz", None, None).await.status, 200);
    }
    stage.end(count);
    let stage = measure("REST: the website's login code (GET /servers/{id}/sessions/qr/login)");
    for n in 0..count {
        let path = format!("/servers/{}/sessions/qr/login", a.server_id);
        assert_eq!(a.api("GET", &path, Some(&nonce(n)), None).await.status, 200);
    }
    stage.end(count);
    let stage = measure("the page's socket: upgrade, REGISTER, first event, close");
    for n in 0..count {
        browser(a, &a.server_id, &nonce(n))
            .await
            .close(None)
            .await
            .ok();
    }
    stage.end(count);
    let profile = perf_record(&[a], "");
    let stage = measure("the app's login: upgrade, handshake, signature checks, writes");
    let server_id = ServerId::from_base64(&a.server_id).expect("id");
    for n in 0..count {
        let reference = SessionRef::derive(&server_id, nonce(n).as_bytes()).0;
        raw::log_in(&accounts[n % accounts.len()], reference)
            .await
            .expect("login");
    }
    stage.end(count);
    perf_stop(profile);

    // The same logins with `IN_FLIGHT` of them at a time: the server's CPU per login under
    // throughput. One at a time (above), each message and statement finds the server idle and
    // pays a sleep and a wake-up; with logins in flight a worker moves from one to the next.
    let in_flight = env_or("IN_FLIGHT", 16);
    let load_nonce = |n: usize| format!("load-{n}");
    for n in 0..count {
        let path = format!("/servers/{}/sessions/qr/login", a.server_id);
        assert_eq!(
            a.api("GET", &path, Some(&load_nonce(n)), None).await.status,
            200
        );
    }
    let profile = perf_record(&[a], ".load");
    let stage = measure("the app's login, IN_FLIGHT at a time");
    // `CLIENTS` threads drive them (one alone cannot keep the server busy), each its share.
    let clients = env_or("CLIENTS", 2).max(1);
    let per_client = in_flight.div_ceil(clients);
    tokio::task::block_in_place(|| {
        std::thread::scope(|scope| {
            for client in 0..clients {
                let load_nonce = &load_nonce;
                let server_id = &server_id;
                scope.spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .expect("client runtime");
                    rt.block_on(async move {
                        let mut pending = futures_util::stream::FuturesUnordered::new();
                        let mut n = client;
                        loop {
                            while pending.len() < per_client && n < count {
                                let reference =
                                    SessionRef::derive(server_id, load_nonce(n).as_bytes()).0;
                                pending.push(raw::log_in(&accounts[n % accounts.len()], reference));
                                n += clients;
                            }
                            match pending.next().await {
                                Some(result) => result.expect("login"),
                                None => break,
                            }
                        }
                    });
                });
            }
        });
    });
    stage.end(count);
    perf_stop(profile);
}

/// The server CPU and database transactions from `begin` to `end`.
struct Stage<'a> {
    name: &'static str,
    server: &'a ServerProcess,
    database: &'a str,
    cpu: Duration,
    started: Instant,
    transactions: Option<u64>,
}

impl<'a> Stage<'a> {
    fn begin(name: &'static str, server: &'a ServerProcess, database: &'a str) -> Self {
        // The wait for the counts before the CPU time, so that it does not count the wait.
        let transactions = settled_transactions(database);
        Self {
            name,
            server,
            database,
            cpu: cpu_of(server.pid()),
            started: Instant::now(),
            transactions,
        }
    }

    fn end(self, count: usize) {
        let wall = self.started.elapsed().as_secs_f64();
        let cpu = (cpu_of(self.server.pid()) - self.cpu).as_secs_f64() * 1e3 / count as f64;
        let transactions = self
            .transactions
            .zip(settled_transactions(self.database))
            // The two psql reads themselves count one each.
            .map_or("-".to_owned(), |(t0, t1)| {
                format!("{:.1}", (t1 - t0).saturating_sub(1) as f64 / count as f64)
            });
        // The rate and the server's busy share say whether it idled between operations.
        let rate = count as f64 / wall;
        let busy = 100.0 * cpu * rate / 1e3;
        println!(
            "| {} | {cpu:.3} ms | {transactions} | {rate:.0}/s | server busy {busy:.0} % of a core |",
            self.name
        );
    }
}

/// [`pg_transactions`] once every backend has reported: an idle one reports its counts only
/// after 10 s (PostgreSQL 15's PGSTAT_IDLE_INTERVAL).
fn settled_transactions(database: &str) -> Option<u64> {
    if database.starts_with("postgres://") {
        std::thread::sleep(Duration::from_millis(10_500));
    }
    pg_transactions(database)
}

/// With `PERF_DATA=<file>`, `perf record` samples the server processes during the logins
/// (`scripts/perf-stages.sh <file>` sums the samples by stage).
fn perf_record(processes: &[&ServerProcess], suffix: &str) -> Option<std::process::Child> {
    let out = std::env::var("PERF_DATA").ok()? + suffix;
    let pids: Vec<String> = processes.iter().map(|s| s.pid().to_string()).collect();
    // PERF_TRACE=1: instead of samples, each system call counted (`perf trace -s`), to a
    // text file of that name.
    let record = match std::env::var_os("PERF_TRACE") {
        Some(_) => vec!["trace", "-s", "-o"],
        None => vec!["record", "-F", "1999", "-o"],
    };
    let child = std::process::Command::new("perf")
        .args(record)
        .args([&out, "-p", &pids.join(",")])
        // PERF_CALL_GRAPH=1: with call chains (the kernel's are whole; ours lack frame
        // pointers); PERF_CALL_GRAPH=dwarf: whole ones, unwound from copies of the stack.
        .args(match std::env::var("PERF_CALL_GRAPH").as_deref() {
            Ok("dwarf") => vec!["--call-graph", "dwarf"],
            Ok(_) => vec!["-g"],
            Err(_) => vec![],
        })
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("perf record (PERF_DATA is set)");
    // perf attaches before the first login.
    std::thread::sleep(Duration::from_millis(500));
    Some(child)
}

/// Stops `perf record` (SIGINT: it writes its file and exits).
fn perf_stop(profile: Option<std::process::Child>) {
    if let Some(mut child) = profile {
        let _ = std::process::Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let _ = child.wait();
    }
}

/// The idle phase: `plan.browsers` page sockets and `plan.apps` live app connections, half on
/// each process, then nothing for `plan.idle`.
async fn idle_phase(
    plan: &Plan,
    servers: [&ServerProcess; 2],
    accounts: &[AppAccount],
    database: &str,
) {
    let rss_before: Vec<u64> = servers.iter().map(|s| rss_kib(s.pid())).collect();
    let mut sockets = Vec::new();
    for n in 0..plan.browsers {
        let server = servers[n % 2];
        let nonce = format!("idle-{n}");
        let r = server
            .api(
                "GET",
                &format!("/servers/{}/sessions/qr/login", server.server_id),
                Some(&nonce),
                None,
            )
            .await;
        assert_eq!(r.status, 200);
        sockets.push(browser(server, &server.server_id, &nonce).await);
    }
    let mut connections = Vec::new();
    for (n, account) in accounts.iter().take(plan.apps).enumerate() {
        connections.push(live(servers[n % 2], account).await);
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after: Vec<u64> = servers.iter().map(|s| rss_kib(s.pid())).collect();
    let per_process = (plan.browsers + plan.apps) as f64 / 2.0;
    let tx0 = pg_transactions(database);
    let cpu0: Vec<Duration> = servers.iter().map(|s| cpu_of(s.pid())).collect();
    let t0 = Instant::now();
    tokio::time::sleep(plan.idle).await;
    let wall = t0.elapsed();
    let cpu: Vec<f64> = servers
        .iter()
        .zip(&cpu0)
        .map(|(s, c0)| 100.0 * (cpu_of(s.pid()) - *c0).as_secs_f64() / wall.as_secs_f64())
        .collect();
    let tx = tx0
        .zip(pg_transactions(database))
        .map(|(t0, t1)| (t1 - t0) as f64 / wall.as_secs_f64());
    let polled = (plan.browsers as f64 / 0.5) + plan.apps as f64; // every 0.5 s and 1 s before
    println!(
        "| idle {} s: {} browser sockets + {} live apps | DB {} | server CPU A {:.2} % B {:.2} % of a core | RSS per connection A {:.1} KiB B {:.1} KiB |",
        wall.as_secs(),
        plan.browsers,
        plan.apps,
        tx.map_or("(SQLite: not counted)".to_owned(), |t| format!(
            "{t:.1} transactions/s ({:.2} % of the {polled:.0}/s that polling every connection would cost)",
            100.0 * t / polled
        )),
        cpu[0],
        cpu[1],
        (rss_after[0] as f64 - rss_before[0] as f64) / per_process,
        (rss_after[1] as f64 - rss_before[1] as f64) / per_process,
    );
    drop(sockets);
    for ex in connections {
        ex.close().await;
    }
}

/// One login: the website's session on A (its code), its page's socket on B, the app's
/// approval through A; the time from the approval leaving the app to `LOGIN` on B.
async fn cross_login(
    a: &ServerProcess,
    b: &ServerProcess,
    account: &AppAccount,
    n: usize,
) -> Duration {
    let nonce = format!("cross-{n}");
    let r = a
        .api(
            "GET",
            &format!("/servers/{}/sessions/qr/login", a.server_id),
            Some(&nonce),
            None,
        )
        .await;
    assert_eq!(r.status, 200);
    let mut ws = browser(b, &b.server_id, &nonce).await;
    let server_id = ServerId::from_base64(&a.server_id).expect("id");
    let reference = SessionRef::derive(&server_id, nonce.as_bytes()).0;
    let mut ex = raw::open_known(account, Purpose::Login, reference)
        .await
        .expect("open");
    heard(&mut ws, "CONFIRMSCAN", Duration::from_secs(30)).await;
    let login = ClientRequest::Login {
        user_input: String::new(),
        number: String::new(),
    };
    let t0 = Instant::now();
    ex.finish(&account.key, &login).await.expect("approve");
    heard(&mut ws, "LOGIN", Duration::from_secs(30)).await;
    let latency = t0.elapsed();
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.close().await;
    latency
}
