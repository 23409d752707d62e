//! Crashes at the worst moments (docs/reliability.md): the `nextauth` process killed (SIGKILL)
//! while the server's answer is held back, and at seeded random moments during enrolments,
//! logins and deletions; the server killed during logins. After each, the next start settles
//! with the server, and then: no account on one side only, no login reported that did not
//! happen, every database passes `PRAGMA integrity_check`, every remaining account logs in.

use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nextauth_e2e::{ServerProcess, TempDir};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const PIN: &str = "2468";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn nextauth(data: &TempDir, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_nextauth"));
    command
        .arg("--data")
        .arg(&data.0)
        .args(args)
        .env_remove("NEXTAUTH_PIN")
        .stdin(Stdio::null());
    command
}

fn spawn(data: &TempDir, args: &[&str]) -> Child {
    nextauth(data, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run nextauth")
}

fn run(data: &TempDir, args: &[&str]) -> Output {
    nextauth(data, args).output().expect("run nextauth")
}

/// The CLI's accounts (after it settled with the servers): (id, display name), by name.
fn cli_accounts(data: &TempDir) -> Vec<(String, String)> {
    let out = run(data, &["--json", "accounts"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut accounts: Vec<(String, String)> = list
        .as_array()
        .expect("array")
        .iter()
        .filter(|a| a["pendingDelete"] != true)
        .map(|a| {
            (
                a["id"].as_str().expect("id").to_owned(),
                a["displayName"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    accounts.sort_by(|x, y| x.1.cmp(&y.1));
    accounts
}

fn names(accounts: &[(String, String)]) -> Vec<String> {
    accounts.iter().map(|(_, name)| name.clone()).collect()
}

/// The server's live accounts: display names.
async fn server_accounts(server: &ServerProcess) -> Vec<String> {
    let path = format!("/servers/{}/accounts/", server.server_id);
    let list = server.api("GET", &path, None, None).await.json();
    let mut names: Vec<String> = list["accounts"]
        .as_array()
        .expect("accounts")
        .iter()
        .map(|a| a["displayname"].as_str().expect("name").to_owned())
        .collect();
    names.sort();
    names
}

/// The invariants after a crash and a settling start.
async fn invariants_hold(server: &ServerProcess, data: &TempDir, context: &str) {
    let here = cli_accounts(data);
    assert_eq!(
        names(&here),
        server_accounts(server).await,
        "{context}: one side only"
    );
    data.database_intact().await;
    for (i, (id, name)) in here.iter().enumerate() {
        let nonce = format!("check-{context}-{i}");
        let code = server.login_code(&nonce).await;
        let out = run(
            data,
            &["--yes", "--pin", PIN, "--account", id, "login", &hex(&code)],
        );
        assert!(
            out.status.success(),
            "{context}: {name} logs in: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(server.session(&nonce).await["loggedin"], true, "{context}");
    }
}

/// History entries of the CLI (after it settled): (kind, status).
fn cli_history(data: &TempDir) -> Vec<(String, String)> {
    let out = run(data, &["--json", "history"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    list.as_array()
        .expect("array")
        .iter()
        .map(|h| {
            (
                h["kind"].as_str().unwrap_or_default().to_owned(),
                h["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// A TCP proxy in front of the server's app endpoint that, for its connection number
/// `hold_index` only, passes the server's handshake answer and then holds everything else the
/// server sends (its Accepted): the app never hears that the server went ahead.
struct HoldingProxy {
    held: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HoldingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HoldingProxy {
    async fn start(listener: TcpListener, backend: SocketAddr, hold_index: usize) -> Self {
        let held = Arc::new(AtomicBool::new(false));
        let flag = held.clone();
        let task = tokio::spawn(async move {
            let mut index = 0;
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(backend).await else {
                    continue;
                };
                let hold = index == hold_index;
                index += 1;
                let flag = flag.clone();
                tokio::spawn(relay(client, server, hold, flag));
            }
        });
        Self { held, task }
    }
}

async fn relay(client: TcpStream, server: TcpStream, hold: bool, held: Arc<AtomicBool>) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let upstream = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut client_read, &mut server_write).await;
    });
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    // What may pass: with `hold`, the HTTP upgrade answer and one WebSocket frame.
    let mut passed = 0usize;
    while let Ok(n) = server_read.read(&mut chunk).await {
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
        let allowed = if hold {
            may_pass(&buffer)
        } else {
            buffer.len()
        };
        if allowed > passed {
            if client_write
                .write_all(&buffer[passed..allowed])
                .await
                .is_err()
            {
                break;
            }
            passed = allowed;
        }
        if hold && buffer.len() > passed {
            // The server went ahead; its answer stays here.
            held.store(true, Ordering::SeqCst);
        }
    }
    if hold && buffer.len() > passed {
        held.store(true, Ordering::SeqCst);
        // Keep the app's side open, as a network that stalled would.
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    upstream.abort();
}

/// How much of what the server sent (`b`) may reach the app: the HTTP upgrade answer as it
/// comes, then the first WebSocket frame (the handshake answer) once it is whole; nothing after.
fn may_pass(b: &[u8]) -> usize {
    let Some(head) = b.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4) else {
        return b.len();
    };
    let frame = &b[head..];
    let header_and_len = || -> Option<(usize, usize)> {
        Some(match *frame.get(1)? & 0x7f {
            126 => (
                4,
                u16::from_be_bytes([*frame.get(2)?, *frame.get(3)?]) as usize,
            ),
            127 => (
                10,
                u64::from_be_bytes(frame.get(2..10)?.try_into().ok()?) as usize,
            ),
            n => (2, n as usize),
        })
    };
    match header_and_len() {
        Some((header, len)) if frame.len() >= header + len => head + header + len,
        _ => head,
    }
}

/// The server behind a holding proxy (codes name the proxy) that holds the answer on its
/// connection number `hold_index`.
async fn server_behind_holding_proxy(hold_index: usize) -> (ServerProcess, HoldingProxy) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
    let public = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let args = ["--public-url".to_owned(), public];
    let server = ServerProcess::start_with(TempDir::new("server"), None, &args).await;
    let proxy = HoldingProxy::start(listener, server.addr, hold_index).await;
    (server, proxy)
}

async fn until(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..150 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out: {what}");
}

// The CLI runs blocking (Command::output) while the proxy relays on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_the_servers_accepted_is_held_the_enrolment_is_completed_at_the_next_start() {
    let (server, proxy) = server_behind_holding_proxy(0).await;
    let data = TempDir::new("held-enrol");
    let code = server.enrol_code("held-signup", "hilda").await;
    let mut cli = spawn(&data, &["--yes", "--pin", PIN, "enrol", &hex(&code)]);
    until("the server accepted and its answer is held", async || {
        proxy.held.load(Ordering::SeqCst)
    })
    .await;
    assert_eq!(
        server_accounts(&server).await,
        ["hilda"],
        "the server has it"
    );
    cli.kill().expect("kill");
    cli.wait().expect("wait");
    // The next start settles: the account is there, and works.
    invariants_hold(&server, &data, "held-enrol").await;
    assert_eq!(names(&cli_accounts(&data)), ["hilda"]);
    let history = cli_history(&data);
    assert!(
        history.contains(&("ENROL".to_owned(), "ENROLLED".to_owned())),
        "{history:?}"
    );
}

// The CLI runs blocking (Command::output) while the proxy relays on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_while_a_logins_accepted_is_held_the_history_is_corrected() {
    // The enrolment passes (connection 0); the login's answer is held (connection 1).
    let (server, proxy) = server_behind_holding_proxy(1).await;
    let data = TempDir::new("held-login");
    let code = server.enrol_code("held-login-signup", "lars").await;
    let out = run(&data, &["--yes", "--pin", PIN, "enrol", &hex(&code)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = server.login_code("held-login").await;
    let mut cli = spawn(&data, &["--yes", "--pin", PIN, "login", &hex(&code)]);
    until("the server logged in and its answer is held", async || {
        proxy.held.load(Ordering::SeqCst)
    })
    .await;
    assert_eq!(server.session("held-login").await["loggedin"], true);
    cli.kill().expect("kill");
    cli.wait().expect("wait");
    // The next start asks the server and corrects the history: the login happened.
    let history = cli_history(&data);
    assert_eq!(
        history.first(),
        Some(&("LOGIN".to_owned(), "LOGGED_IN_ONE_SHOT".to_owned())),
        "{history:?}"
    );
    invariants_hold(&server, &data, "held-login").await;
}

/// A small deterministic generator (xorshift), so a failing run can be repeated by its seed.
struct Seeded(u64);

impl Seeded {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The newest LOGIN entry of the history (after settling), if any.
fn newest_login(data: &TempDir) -> Option<String> {
    cli_history(data)
        .into_iter()
        .find(|(kind, _)| kind == "LOGIN")
        .map(|(_, status)| status)
}

/// After settling: the history says the login happened exactly when the server saw it.
async fn login_reported_truly(server: &ServerProcess, data: &TempDir, nonce: &str, context: &str) {
    let before = cli_history(data).len();
    let status = newest_login(data);
    // Logged in now, or logged in and since logged out: the demo's logins are continuous, so
    // the server ends one whose app was killed (the account is then remembered for a push,
    // `canprovoke`, which only a login into this session gives it here).
    let session = server.session(nonce).await;
    let happened = session["loggedin"] == true || session["canprovoke"] == true;
    let reported = status
        .as_deref()
        .is_some_and(|s| s.starts_with("LOGGED_IN"));
    if before > 0 {
        assert_eq!(
            reported, happened,
            "{context}: history {status:?}, server {happened}"
        );
    }
}

// The CLI runs blocking (Command::output) while the proxy relays on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_killed_at_random_moments_of_enrolments_logins_and_deletions() {
    let server = ServerProcess::start().await;
    let data = TempDir::new("random-kills");
    let mut rng = Seeded(0x5eed_0001);
    for round in 0..12u32 {
        let delay = Duration::from_millis(rng.below(350));
        let context = format!("round {round}, seed 0x5eed_0001, kill after {delay:?}");
        let accounts = cli_accounts(&data);
        let nonce = format!("login-{round}");
        let mut cli = match (round % 3, accounts.first()) {
            (1, Some((id, _))) => {
                let code = server.login_code(&nonce).await;
                spawn(
                    &data,
                    &["--yes", "--pin", PIN, "--account", id, "login", &hex(&code)],
                )
            }
            (2, Some((id, _))) if accounts.len() > 1 => spawn(&data, &["delete", id]),
            _ => {
                let name = format!("user{round}");
                let code = server.enrol_code(&format!("signup-{round}"), &name).await;
                spawn(&data, &["--yes", "--pin", PIN, "enrol", &hex(&code)])
            }
        };
        tokio::time::sleep(delay).await;
        let _ = cli.kill();
        cli.wait().expect("wait");
        if round % 3 == 1 && !accounts.is_empty() {
            login_reported_truly(&server, &data, &nonce, &context).await;
        }
        invariants_hold(&server, &data, &context).await;
    }
}

// The CLI runs blocking (Command::output) while the proxy relays on another thread.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_killed_at_random_moments_of_logins() {
    let mut server = ServerProcess::start().await;
    let data = TempDir::new("server-kills");
    let code = server.enrol_code("server-kills-signup", "sven").await;
    let out = run(&data, &["--yes", "--pin", PIN, "enrol", &hex(&code)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut rng = Seeded(0x5eed_0002);
    for round in 0..6u32 {
        let delay = Duration::from_millis(rng.below(300));
        let context = format!("round {round}, seed 0x5eed_0002, server killed after {delay:?}");
        let nonce = format!("login-{round}");
        let code = server.login_code(&nonce).await;
        let mut cli = spawn(&data, &["--yes", "--pin", PIN, "login", &hex(&code)]);
        tokio::time::sleep(delay).await;
        let (dir, port) = server.stop();
        let _ = cli.wait();
        server = ServerProcess::start_in(dir, Some(port)).await;
        login_reported_truly(&server, &data, &nonce, &context).await;
        invariants_hold(&server, &data, &context).await;
    }
}
