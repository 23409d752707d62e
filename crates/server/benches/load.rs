//! Load benchmark: getSession requests and complete app logins per second against a real
//! server on loopback, with N concurrent clients. Prints a table.
//!
//! Run: `cargo bench -p nextauth-server --bench load` (release build; SQLite in a temp dir).
//! `LOAD_SECONDS` sets the measuring time per row (default 5). Under `cargo test` (no
//! `--bench` argument) each row runs for half a second: a smoke test that the bench still
//! works, not a measurement.

#[path = "../tests/support/mod.rs"]
mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use nextauth_protocol::crypto::Signer;
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::QrPayload;
use nextauth_server::clock::now;
use nextauth_server::codes;
use nextauth_server::store::enrol_codes::EnrolGrant;
use nextauth_server::store::servers;
use support::app::{self, AppAccount};
use support::TestServer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

fn seconds() -> Duration {
    let measuring = std::env::args().any(|arg| arg == "--bench");
    std::env::var("LOAD_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(if measuring {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(500)
        })
}

struct Row {
    what: &'static str,
    clients: usize,
    ops: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Row {
    fn print(&mut self) {
        self.latencies.sort();
        let pct = |p: f64| {
            self.latencies
                .get(
                    ((self.latencies.len() as f64 * p) as usize)
                        .min(self.latencies.len().saturating_sub(1)),
                )
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
        };
        println!(
            "| {:<11} | {:>7} | {:>9.0} | {:>8.2} | {:>8.2} |",
            self.what,
            self.clients,
            self.ops as f64 / self.elapsed.as_secs_f64(),
            pct(0.5),
            pct(0.99)
        );
    }
}

/// getSession over one keep-alive connection per client.
async fn get_session_client(server: &TestServer, nonce: String, until: Instant) -> Vec<Duration> {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!(
        "GET /servers/{}/sessions/ HTTP/1.1\r\nHost: x\r\nX-apikey: {}\r\nX-nonce: {nonce}\r\n\r\n",
        server.demo.serverid, server.demo.apikey
    );
    let mut latencies = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    while Instant::now() < until {
        let start = Instant::now();
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut got = Vec::new();
        loop {
            let n = stream.read(&mut buf).await.expect("read");
            assert!(n > 0, "server closed");
            got.extend_from_slice(&buf[..n]);
            if let Some(head_end) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&got[..head_end]).to_ascii_lowercase();
                let len: usize = head
                    .lines()
                    .find_map(|l| {
                        l.strip_prefix("content-length:")
                            .map(|v| v.trim().parse().unwrap_or(0))
                    })
                    .unwrap_or(0);
                assert!(head.starts_with("http/1.1 200"), "{head}");
                if got.len() >= head_end + 4 + len {
                    break;
                }
            }
        }
        latencies.push(start.elapsed());
    }
    latencies
}

/// Makes every login's nonce unique in the run.
static NONCES: AtomicUsize = AtomicUsize::new(0);

/// Complete logins (handshake, signature, accepted) by one simulated app.
async fn login_client(
    server: &TestServer,
    account: &AppAccount,
    id: usize,
    until: Instant,
) -> Vec<Duration> {
    let row = servers::get(&server.state.db, &server.server_id())
        .await
        .unwrap()
        .unwrap();
    let mut latencies = Vec::new();
    let mut n = 0;
    while Instant::now() < until {
        n += 1;
        let start = Instant::now();
        // A new session for every login, across levels too: a logged-in session refuses
        // another hello (111).
        let nonce = format!("load-{}-{id}-{n}", NONCES.fetch_add(1, Ordering::Relaxed));
        let QrPayload::Login(code) = codes::login_code(&server.state, &row, &nonce, None, now())
            .await
            .unwrap()
        else {
            unreachable!()
        };
        let mut ex = app::open_known(account, Purpose::Login, code.session_ref.0)
            .await
            .expect("handshake");
        ex.finish(&account.key, &ClientRequest::login(String::new()))
            .await
            .expect("finish");
        assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
        ex.close().await;
        latencies.push(start.elapsed());
    }
    latencies
}

async fn run() {
    // Raw throughput: every client is on 127.0.0.1, which the default limits would throttle.
    let server =
        TestServer::start_with(|c| c.limits = nextauth_server::LimitsConfig::unlimited()).await;
    let row = servers::get(&server.state.db, &server.server_id())
        .await
        .unwrap()
        .unwrap();
    let mut settings = row.settings.clone();
    settings.profile.pin_timeout = -1;
    servers::update(&server.state.db, &row.server_id, &settings, now())
        .await
        .unwrap();

    let levels = [1usize, 4, 16, 64];
    let max = *levels.iter().max().unwrap_or(&1);
    let device = DeviceSecret::from_bytes([5; 32]);
    let mut accounts = Vec::new();
    for i in 0..max {
        let row = servers::get(&server.state.db, &server.server_id())
            .await
            .unwrap()
            .unwrap();
        let grant = EnrolGrant {
            display_name: format!("user{i}"),
            userid: Some(format!("user{i}")),
        };
        let QrPayload::Enrol(code) =
            codes::enrol_code(&server.state, &row, &format!("e{i}"), grant, now())
                .await
                .unwrap()
        else {
            unreachable!()
        };
        let (account, ex, reply) = app::enrol(&code, &device, Some("2468")).await.unwrap();
        assert_eq!(reply, ServerRecord::Accepted);
        ex.close().await;
        let _ = account.key.public_key();
        accounts.push(account);
    }

    println!("| operation   | clients | ops/s     | p50 ms   | p99 ms   |");
    println!("|-------------|---------|-----------|----------|----------|");
    for &clients in &levels {
        let until = Instant::now() + seconds();
        let start = Instant::now();
        let tasks: Vec<_> = (0..clients)
            .map(|i| get_session_client(&server, format!("n{i}"), until))
            .collect();
        let latencies: Vec<Duration> = futures_util::future::join_all(tasks)
            .await
            .into_iter()
            .flatten()
            .collect();
        Row {
            what: "getSession",
            clients,
            ops: latencies.len(),
            elapsed: start.elapsed(),
            latencies,
        }
        .print();
    }
    for &clients in &levels {
        let until = Instant::now() + seconds();
        let start = Instant::now();
        let tasks: Vec<_> = accounts
            .iter()
            .take(clients)
            .enumerate()
            .map(|(i, a)| login_client(&server, a, i, until))
            .collect();
        let latencies: Vec<Duration> = futures_util::future::join_all(tasks)
            .await
            .into_iter()
            .flatten()
            .collect();
        Row {
            what: "login",
            clients,
            ops: latencies.len(),
            elapsed: start.elapsed(),
            latencies,
        }
        .print();
    }
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(run());
}
