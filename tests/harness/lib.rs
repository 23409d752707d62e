//! Test harness: the real `nextauth-server` binary as a child process on a free loopback port,
//! a small HTTP client for its REST API, and SDK instances in temporary directories.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nextauth_sdk::keystore::FileKeystore;
use nextauth_sdk::{Config, Event, Sdk};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A fresh, empty directory.
    pub fn new(tag: &str) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("nextauth-e2e-{tag}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("temp dir");
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The path of the server binary built by `cargo test --workspace` (or `NEXTAUTH_SERVER_BIN`).
pub fn server_binary() -> PathBuf {
    if let Ok(path) = std::env::var("NEXTAUTH_SERVER_BIN") {
        return PathBuf::from(path);
    }
    // Test binaries live in target/<profile>/deps; the server binary one level up.
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = dir.join("nextauth-server");
    assert!(
        bin.exists(),
        "{} is missing: build it with `cargo build -p nextauth-server`",
        bin.display()
    );
    bin
}

/// A running server process, killed on drop.
pub struct ServerProcess {
    /// Its address.
    pub addr: SocketAddr,
    /// The demo server id (base64url).
    pub server_id: String,
    /// An API key with every permission.
    pub apikey: String,
    child: Child,
    data: TempDir,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// Starts the server on a free port with a fresh data directory.
    pub async fn start() -> Self {
        let data = TempDir::new("server");
        Self::start_in(data, None).await
    }

    /// Starts the server on `data` (keeping its database), on `port` or a free one.
    pub async fn start_in(data: TempDir, port: Option<u16>) -> Self {
        Self::start_with(data, port, &[]).await
    }

    /// Like [`ServerProcess::start_in`], with extra command-line arguments.
    pub async fn start_with(data: TempDir, port: Option<u16>, extra: &[String]) -> Self {
        let port = port.unwrap_or_else(|| {
            let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("probe port");
            probe.local_addr().expect("addr").port()
        });
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
        let child = Command::new(server_binary())
            .args(["--listen", &addr.to_string(), "--data-dir"])
            .arg(&data.0)
            .args(extra)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn nextauth-server");
        for _ in 0..200 {
            if let Ok(r) = get(addr, "/healthz", &[]).await {
                if r.status == 200 {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let demo: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(data.0.join("demo.json")).expect("demo.json"),
        )
        .expect("json");
        Self {
            addr,
            server_id: demo["serverid"].as_str().expect("serverid").to_owned(),
            apikey: demo["apikey"].as_str().expect("apikey").to_owned(),
            child,
            data,
        }
    }

    /// Stops the process and returns its data directory (to restart on it).
    pub fn stop(mut self) -> (TempDir, u16) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.addr.port();
        let data = std::mem::replace(&mut self.data, TempDir(PathBuf::new()));
        (data, port)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data.0
    }

    /// A REST call with the demo key.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        nonce: Option<&str>,
        body: Option<&serde_json::Value>,
    ) -> Response {
        let mut headers = vec![("X-apikey", self.apikey.clone())];
        if let Some(nonce) = nonce {
            headers.push(("X-nonce", nonce.to_owned()));
        }
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json".to_owned()));
        }
        request(self.addr, method, path, &headers, body.as_bytes())
            .await
            .expect("request")
    }

    /// The raw bytes of a new enrol code for `name` (user `name`) on session `nonce`.
    pub async fn enrol_code(&self, nonce: &str, name: &str) -> Vec<u8> {
        let path = format!(
            "/servers/{}/sessions/qr/enrol?name={name}&userid={name}",
            self.server_id
        );
        let r = self.api("GET", &path, Some(nonce), None).await;
        assert_eq!(r.status, 200, "enrol code: {}", r.text());
        r.body
    }

    /// The raw bytes of the login code of session `nonce`.
    pub async fn login_code(&self, nonce: &str) -> Vec<u8> {
        let r = self
            .api(
                "GET",
                &format!("/servers/{}/sessions/qr/login", self.server_id),
                Some(nonce),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "login code: {}", r.text());
        r.body
    }

    /// `getSession` for `nonce`.
    pub async fn session(&self, nonce: &str) -> serde_json::Value {
        let r = self
            .api(
                "GET",
                &format!("/servers/{}/sessions/", self.server_id),
                Some(nonce),
                None,
            )
            .await;
        assert_eq!(r.status, 200, "getSession: {}", r.text());
        r.json()
    }

    /// The server's ids of its accounts, in the order the API lists them.
    pub async fn account_ids(&self) -> Vec<i64> {
        let path = format!("/servers/{}/accounts/", self.server_id);
        let r = self.api("GET", &path, None, None).await;
        assert_eq!(r.status, 200, "accounts: {}", r.text());
        r.json()["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| a["id"].as_i64().expect("account id"))
            .collect()
    }

    /// Asks the server to send account `account` a push login for session `nonce`.
    pub async fn provoke_login(&self, account: i64, nonce: &str) {
        let path = format!(
            "/servers/{}/accounts/{account}/provokelogin",
            self.server_id
        );
        let r = self.api("POST", &path, Some(nonce), None).await;
        assert!(
            r.status == 200 || r.status == 204,
            "provoke: {} {}",
            r.status,
            r.text()
        );
    }

    /// Sends account `account` a message through the message center (REST extension).
    pub async fn send_message(&self, account: i64, title: &str, text: &str) {
        let path = format!("/servers/{}/accounts/{account}/messages", self.server_id);
        let body = serde_json::json!({ "title": title, "text": text });
        let r = self.api("POST", &path, None, Some(&body)).await;
        assert_eq!(r.status, 200, "message: {}", r.text());
    }

    /// Deletes account `account` on the server (the app learns it by a message).
    pub async fn delete_account(&self, account: i64) {
        let path = format!("/servers/{}/accounts/{account}/", self.server_id);
        let r = self.api("DELETE", &path, None, None).await;
        assert!(
            r.status == 200 || r.status == 204,
            "delete: {} {}",
            r.status,
            r.text()
        );
    }

    /// Changes server settings (a partial `Server` JSON merged over the current one).
    pub async fn configure(&self, changes: serde_json::Value) {
        let path = format!("/servers/{}/", self.server_id);
        let mut server = self.api("GET", &path, None, None).await.json();
        for (k, v) in changes.as_object().expect("object") {
            server[k] = v.clone();
        }
        let r = self.api("PUT", &path, None, Some(&server)).await;
        assert!(
            r.status == 200 || r.status == 204,
            "updateServer: {} {}",
            r.status,
            r.text()
        );
    }
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// Body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// Body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
}

async fn get(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, String)],
) -> std::io::Result<Response> {
    request(addr, "GET", path, headers, b"").await
}

/// One HTTP/1.1 request over a fresh connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr).await?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(std::io::ErrorKind::InvalidData)?;
    let mut body = raw[split + 4..].to_vec();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok(Response { status, body })
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&body[..end]).trim(), 16).unwrap_or(0);
        if size == 0 || body.len() < end + 2 + size {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[(end + 4 + size).min(body.len())..];
    }
    out
}

/// An SDK instance in its own directory, with its event stream.
pub struct App {
    /// The SDK.
    pub sdk: Sdk,
    /// Its events.
    pub events: tokio::sync::broadcast::Receiver<Event>,
    /// Its data directory.
    pub dir: Arc<TempDir>,
}

impl App {
    /// A new app with an empty data directory.
    pub async fn new() -> Self {
        Self::open(Arc::new(TempDir::new("app"))).await
    }

    /// Opens (or reopens) the app on `dir`.
    pub async fn open(dir: Arc<TempDir>) -> Self {
        Self::open_with(dir, |_| {}).await
    }

    /// Opens the app on `dir` with the test configuration changed by `adjust`.
    pub async fn open_with(dir: Arc<TempDir>, adjust: impl FnOnce(&mut Config)) -> Self {
        let keystore =
            Arc::new(FileKeystore::open_or_create(&dir.0.join("keystore.key")).expect("keystore"));
        let mut config = Config::new(&dir.0);
        config.device_name = "e2e test".into();
        adjust(&mut config);
        let sdk = Sdk::open(config, keystore).await.expect("sdk open");
        let events = sdk.subscribe();
        Self { sdk, events, dir }
    }

    /// Enrols `name` (user `name`) through the enrol code of the fresh session `signup-<name>`,
    /// confirming after the visual hash is shown and answering the PIN question with `pin`;
    /// returns the new account's id.
    pub async fn enrol(&mut self, server: &ServerProcess, name: &str, pin: &str) -> String {
        use nextauth_sdk::{Interaction, PinInput, Response};
        let code = server.enrol_code(&format!("signup-{name}"), name).await;
        let flow = self.sdk.start_qr(&code).await.expect("start enrol");
        let asked = self
            .flow_in(nextauth_sdk::FlowState::WaitingForConfirmation)
            .await;
        assert!(
            matches!(asked.interaction, Some(Interaction::ConfirmEnrol { ref display_name, .. }) if display_name == name)
        );
        assert!(
            !asked
                .server
                .as_ref()
                .expect("server")
                .visual_hash
                .is_empty(),
            "the visual hash is shown"
        );
        let confirm = Response::Confirm {
            account_id: None,
            user_input: None,
        };
        self.sdk.respond(&flow.id, confirm).await.expect("confirm");
        let ask = self.flow_in(nextauth_sdk::FlowState::WaitingForInput).await;
        match ask.interaction {
            Some(Interaction::SetSecondFactor) | Some(Interaction::VerifySecondFactor { .. }) => {}
            other => panic!("expected a PIN question, got {other:?}"),
        }
        self.sdk
            .respond(
                &flow.id,
                Response::Pin {
                    pin: PinInput::new(pin),
                },
            )
            .await
            .expect("PIN");
        let done = self.flow_in(nextauth_sdk::FlowState::Done).await;
        done.account.expect("the new account").id
    }

    /// Starts a login with the code of session `nonce`, waits for the confirmation question
    /// and approves it (the only account); returns the flow id (a PIN question or the end
    /// comes next).
    pub async fn approve_login(&mut self, server: &ServerProcess, nonce: &str) -> String {
        let code = server.login_code(nonce).await;
        let flow = self.sdk.start_qr(&code).await.expect("start login");
        self.flow_in(nextauth_sdk::FlowState::WaitingForConfirmation)
            .await;
        let confirm = nextauth_sdk::Response::Confirm {
            account_id: None,
            user_input: None,
        };
        self.sdk.respond(&flow.id, confirm).await.expect("confirm");
        flow.id
    }

    /// Waits for the next `AccountDeleted` event: the account and whether the server did it.
    pub async fn account_deleted(&mut self) -> (String, bool) {
        self.next_event(|e| match e {
            Event::AccountDeleted {
                account_id,
                by_server,
            } => Some((account_id.clone(), *by_server)),
            _ => None,
        })
        .await
    }

    /// The next flow update whose state is `state` (skipping others), within 15 s.
    pub async fn flow_in(&mut self, state: nextauth_sdk::FlowState) -> nextauth_sdk::Flow {
        self.next_event(|e| match e {
            Event::FlowUpdate { flow } if flow.state == state => Some(flow.clone()),
            _ => None,
        })
        .await
    }

    /// Waits for an event `pick` accepts, within 15 s.
    pub async fn next_event<T>(&mut self, mut pick: impl FnMut(&Event) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .expect("timed out waiting for an event")
                .expect("event stream");
            if let Some(found) = pick(&event) {
                return found;
            }
        }
    }
}

// TLS in front of the server, as deployments have it (tests/sdk_tls.rs, the CLI's --ca).

/// The path of a test TLS file (tests/fixtures/tls: `ca.der`, `server.der`, `server.key.der`).
pub fn tls_fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name)
}

/// The bytes of a test TLS file (see [`tls_fixture_path`]).
pub fn fixture(name: &str) -> Vec<u8> {
    let path = tls_fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Accepts TLS on `listener` (the test certificate for 127.0.0.1) and forwards the plain
/// bytes to `backend`.
fn tls_proxy(listener: TcpListener, backend: SocketAddr) -> tokio::task::JoinHandle<()> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(fixture("server.key.der")));
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(vec![CertificateDer::from(fixture("server.der"))], key)
    .expect("server certificate");
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let Ok(mut upstream) = TcpStream::connect(backend).await else {
                    return;
                };
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut upstream).await;
            });
        }
    })
}

/// The server, reachable only through the TLS proxy as far as the app is concerned (its
/// public URL, and so its app endpoint, is the proxy's `https://` / `wss://` address).
pub async fn server_behind_tls() -> (ServerProcess, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
    let public = format!(
        "https://127.0.0.1:{}",
        listener.local_addr().unwrap().port()
    );
    let args = ["--public-url".to_owned(), public];
    let server = ServerProcess::start_with(TempDir::new("server"), None, &args).await;
    let proxy = tls_proxy(listener, server.addr);
    (server, proxy)
}
