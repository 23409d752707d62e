//! Exhaustion benchmark: the real `nextauth-server` process (this package's binary) with its
//! default limits, under the anonymous load of docs/security.md "Resource exhaustion":
//!
//! 1. 10 000 anonymous hellos (LOGIN, APP_LOGIN and CONNECT with random references, from 100
//!    loopback addresses): session rows added, and the server's CPU time per hello.
//! 2. 1 000 anonymous browser sockets (20 loopback addresses × 50, each socket following one
//!    made-up session, as an attacker's would): the server's CPU while they are open, and the
//!    latency of real logins (REST login code, handshake, `Accepted`; paced, from 50 loopback
//!    addresses) before, while and after they are open.
//!
//! Server CPU is utime + stime of the process from `/proc/<pid>/stat` over each window.
//!
//! Run: `cargo bench -p nextauth-server --bench exhaustion` (release build; results in
//! docs/benchmarks.md). Under `cargo test --all-targets` (no `--bench` argument) it runs a
//! short smoke pass instead.

#[path = "../tests/support/mod.rs"]
mod support;

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use nextauth_protocol::handshake::{ClientHandshake, Purpose};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use ring::rand::SecureRandom;
use support::app::{self, AppAccount};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;

/// Sizes of one run: the full benchmark, or the smoke pass of `cargo test`.
struct Plan {
    hellos_per_purpose: usize,
    hello_addresses: u8,
    socket_addresses: u8,
    sockets_per_address: usize,
    window: Duration,
    logins_per_second: u32,
}

const FULL: Plan = Plan {
    hellos_per_purpose: 2_500,
    hello_addresses: 100,
    socket_addresses: 20,
    sockets_per_address: 50,
    window: Duration::from_secs(20),
    logins_per_second: 10,
};

const SMOKE: Plan = Plan {
    hellos_per_purpose: 10,
    hello_addresses: 2,
    socket_addresses: 2,
    sockets_per_address: 10,
    window: Duration::from_secs(1),
    logins_per_second: 5,
};

/// The server process, killed on drop.
struct Server {
    child: Child,
    addr: SocketAddr,
    dir: PathBuf,
    server_id: ServerId,
    apikey: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Server {
    async fn start() -> Self {
        let dir =
            std::env::temp_dir().join(format!("nextauth-bench-exhaustion-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let child = Command::new(env!("CARGO_BIN_EXE_nextauth-server"))
            .args(["--listen", &addr.to_string(), "--data-dir"])
            .arg(&dir)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn nextauth-server");
        for _ in 0..200 {
            if http(addr, None, "GET", "/healthz", &[])
                .await
                .is_ok_and(|(s, _)| s == 200)
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let demo: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("demo.json")).expect("demo.json"),
        )
        .expect("json");
        let server_id = ServerId::from_base64(demo["serverid"].as_str().expect("id")).expect("id");
        Self {
            child,
            addr,
            dir,
            server_id,
            apikey: demo["apikey"].as_str().expect("key").to_owned(),
        }
    }

    /// CPU time the process has used (user + system).
    fn cpu(&self) -> Duration {
        nextauth_e2e::proc_stats::cpu_time(&self.child.id().to_string())
    }

    async fn rows(&self, table: &str) -> i64 {
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(self.dir.join("server.db"))
            .read_only(true);
        let db = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("server.db");
        let n = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(&db)
            .await
            .expect("count");
        db.close().await;
        n
    }

    /// Turns the demo server's AppLogin setting on (in its database: every hello reads it).
    async fn enable_app_login(&self) {
        let options =
            sqlx::sqlite::SqliteConnectOptions::new().filename(self.dir.join("server.db"));
        let db = sqlx::SqlitePool::connect_with(options)
            .await
            .expect("server.db");
        sqlx::query("UPDATE servers SET applogin = 1")
            .execute(&db)
            .await
            .expect("appLogin on");
        db.close().await;
    }

    fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// The raw bytes of a REST QR code (`login` or `enrol?…`) for session `nonce`.
    async fn code(&self, which: &str, nonce: &str) -> QrPayload {
        let path = format!(
            "/servers/{}/sessions/qr/{which}",
            self.server_id.to_base64()
        );
        let headers = [("X-apikey", self.apikey.as_str()), ("X-nonce", nonce)];
        let (status, body) = http(self.addr, None, "GET", &path, &headers)
            .await
            .expect("code");
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        QrPayload::decode(&body, nextauth_server::clock::now()).expect("code")
    }
}

fn loopback(a: u8, b: u8) -> IpAddr {
    IpAddr::from([127, 0, a, b])
}

async fn connect_from(local: IpAddr, addr: SocketAddr) -> TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(SocketAddr::new(local, 0)).expect("bind");
    socket.connect(addr).await.expect("connect")
}

/// One HTTP/1.1 request (Connection: close): status and body.
async fn http(
    addr: SocketAddr,
    from: Option<IpAddr>,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = match from {
        Some(local) => connect_from(local, addr).await,
        None => TcpStream::connect(addr).await?,
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let status = String::from_utf8_lossy(&raw[..split])
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    Ok((status, raw[split + 4..].to_vec()))
}

fn random16() -> [u8; 16] {
    let mut bytes = [0u8; 16];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .expect("random");
    bytes
}

/// One anonymous hello: a fresh connection from `from`, a ClientHello with `reference`, the
/// server's first answer (ServerHello or Alert), and the connection dropped.
async fn hello(server: &Server, from: IpAddr, purpose: Purpose, reference: [u8; 16]) {
    let stream = connect_from(from, server.addr).await;
    let (mut ws, _) = tokio_tungstenite::client_async(server.ws_url("/sigmai"), stream)
        .await
        .expect("the hello's connection was refused");
    let (_, bytes) =
        ClientHandshake::start(&app::rng(), purpose, server.server_id, reference).expect("hello");
    ws.send(Message::Binary(bytes.into()))
        .await
        .expect("send hello");
    while let Some(Ok(message)) = ws.next().await {
        if matches!(message, Message::Binary(_)) {
            break;
        }
    }
}

/// `count` hellos of `purpose`, spread over the plan's addresses, 32 at a time.
async fn hellos(server: &Server, plan: &Plan, purpose: Purpose, count: usize) {
    let addresses = usize::from(plan.hello_addresses);
    let mut next = 0usize;
    while next < count {
        let batch: Vec<_> = (next..count.min(next + 32))
            .map(|i| {
                let from = loopback(2, (i % addresses) as u8 + 1);
                let reference = if purpose == Purpose::Connect {
                    [0; 16]
                } else {
                    random16()
                };
                hello(server, from, purpose, reference)
            })
            .collect();
        next += batch.len();
        futures_util::future::join_all(batch).await;
    }
}

/// Opens the plan's anonymous browser sockets, each following one made-up session.
async fn browser_sockets(
    server: &Server,
    plan: &Plan,
) -> Vec<tokio_tungstenite::WebSocketStream<TcpStream>> {
    let mut sockets = Vec::new();
    for a in 0..plan.socket_addresses {
        let opened =
            futures_util::future::join_all((0..plan.sockets_per_address).map(|_| async move {
                let stream = connect_from(loopback(3, a + 1), server.addr).await;
                let (mut ws, _) = tokio_tungstenite::client_async(server.ws_url("/ws"), stream)
                    .await
                    .expect("a browser socket within the defaults was refused");
                let hsid = nextauth_protocol::ids::SessionRef(random16()).to_base64();
                let register = format!("REGISTER {hsid} {}", server.server_id.to_base64());
                ws.send(Message::Text(register.into()))
                    .await
                    .expect("register");
                // The answer to REGISTER (LOGOUT: the session does not exist).
                let _ = ws.next().await;
                ws
            }))
            .await;
        sockets.extend(opened);
    }
    sockets
}

/// Enrols `n` accounts (REST enrol codes, no PIN needed at login: pin timeout -1).
async fn accounts(server: &Server, n: usize) -> Vec<AppAccount> {
    let path = format!("/servers/{}/", server.server_id.to_base64());
    let headers = [("X-apikey", server.apikey.as_str())];
    let (_, body) = http(server.addr, None, "GET", &path, &headers)
        .await
        .expect("server");
    let mut settings: serde_json::Value = serde_json::from_slice(&body).expect("server json");
    settings["pinTimeout"] = serde_json::json!(-1);
    let body = settings.to_string();
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!(
        "PUT {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-apikey: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        server.apikey,
        body.len()
    );
    stream.write_all(request.as_bytes()).await.expect("PUT");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("PUT answer");
    assert!(
        answer.starts_with(b"HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    let device = DeviceSecret::from_bytes([5; 32]);
    let mut out = Vec::new();
    for i in 0..n {
        let code = server
            .code(
                &format!("enrol?name=bench{i}&userid=bench{i}"),
                &format!("enrol-{i}"),
            )
            .await;
        let (account, ex, reply) = app::enrol(&app::enrol_code(code), &device, Some("2468"))
            .await
            .expect("enrol");
        assert_eq!(reply, ServerRecord::Accepted);
        ex.close().await;
        out.push(account);
    }
    out
}

/// Real logins, paced at the plan's rate for one window: REST login code, handshake, account
/// signature, `Accepted`. Returns each login's latency.
async fn logins(server: &Server, plan: &Plan, accounts: &[AppAccount], tag: &str) -> Vec<Duration> {
    let pace = Duration::from_secs(1) / plan.logins_per_second;
    let until = Instant::now() + plan.window;
    let mut tick = tokio::time::interval(pace);
    let mut latencies = Vec::new();
    let mut n = 0;
    while Instant::now() < until {
        tick.tick().await;
        n += 1;
        let account = &accounts[n % accounts.len()];
        let start = Instant::now();
        let QrPayload::Login(code) = server.code("login", &format!("{tag}-{n}")).await else {
            panic!("not a login code");
        };
        // Real people log in from their own addresses: spread over 50 (within the defaults).
        let from = loopback(4, (n % 50) as u8 + 1);
        let mut ex = app::open_known_from(Some(from), account, Purpose::Login, code.session_ref.0)
            .await
            .expect("handshake");
        let request = ClientRequest::login(String::new());
        ex.finish(&account.key, &request).await.expect("finish");
        assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
        latencies.push(start.elapsed());
        ex.close().await;
    }
    latencies
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1));
    sorted.get(i).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

fn cpu_percent(used: Duration, window: Duration) -> f64 {
    used.as_secs_f64() / window.as_secs_f64() * 100.0
}

async fn run(plan: &Plan) {
    let server = Server::start().await;
    let accounts = accounts(&server, 4).await;

    println!("| anonymous hellos | count | session rows added | server CPU per hello (ms) |");
    println!("|---|---:|---:|---:|");
    let mut total_rows = 0;
    for (name, purpose) in [
        ("LOGIN", Purpose::Login),
        ("APP_LOGIN (appLogin off, the default)", Purpose::AppLogin),
        ("APP_LOGIN (appLogin on)", Purpose::AppLogin),
        ("CONNECT", Purpose::Connect),
    ] {
        if name.contains("appLogin on") {
            server.enable_app_login().await;
        }
        let rows = server.rows("sessions").await;
        let cpu = server.cpu();
        hellos(&server, plan, purpose, plan.hellos_per_purpose).await;
        let used = server.cpu() - cpu;
        let added = server.rows("sessions").await - rows;
        total_rows += added;
        println!(
            "| {name} | {} | {added} | {:.2} |",
            plan.hellos_per_purpose,
            used.as_secs_f64() * 1000.0 / plan.hellos_per_purpose as f64
        );
    }
    println!("| all | {} | {total_rows} | |", 4 * plan.hellos_per_purpose);
    println!();

    println!("| browser sockets open | window (s) | server CPU (% of a core) | logins | login p50 (ms) | login p99 (ms) | login max (ms) |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    let window_row = |sockets: usize, used: Duration, mut latencies: Vec<Duration>| {
        latencies.sort();
        let (p50, p99, max) = if latencies.is_empty() {
            ("-".to_owned(), "-".to_owned(), "-".to_owned())
        } else {
            (
                format!("{:.1}", percentile(&latencies, 0.5)),
                format!("{:.1}", percentile(&latencies, 0.99)),
                format!("{:.1}", percentile(&latencies, 1.0)),
            )
        };
        println!(
            "| {sockets} | {} | {:.1} | {} | {p50} | {p99} | {max} |",
            plan.window.as_secs(),
            cpu_percent(used, plan.window),
            latencies.len()
        );
    };
    // Idle server, then logins alone.
    let cpu = server.cpu();
    tokio::time::sleep(plan.window).await;
    window_row(0, server.cpu() - cpu, Vec::new());
    let cpu = server.cpu();
    let alone = logins(&server, plan, &accounts, "alone").await;
    window_row(0, server.cpu() - cpu, alone);

    let sockets = browser_sockets(&server, plan).await;
    let open = sockets.len();
    // Let the sockets settle (their first polls), then measure them idle, then with logins.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu = server.cpu();
    tokio::time::sleep(plan.window).await;
    window_row(open, server.cpu() - cpu, Vec::new());
    let cpu = server.cpu();
    let loaded = logins(&server, plan, &accounts, "loaded").await;
    window_row(open, server.cpu() - cpu, loaded);
    // Logins alone again: what the machine's other load adds to the figures.
    drop(sockets);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let cpu = server.cpu();
    let after = logins(&server, plan, &accounts, "after").await;
    window_row(0, server.cpu() - cpu, after);
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run(if full { &FULL } else { &SMOKE }));
}
