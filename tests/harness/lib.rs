//! Test harness: the real `nextauth-server` binary as a child process on a free loopback port,
//! an HTTP client (reqwest) for its REST API, and SDK instances in temporary directories.

pub mod balancer;
pub mod fake_server;
pub mod man;
pub mod proc_stats;
pub mod raw;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use nextauth_sdk::keystore::FileKeystore;
use nextauth_sdk::{Config, Event, Sdk};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
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
        // Private, as the server and the SDK make their own data directories.
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(builder.recursive(true), 0o700);
        builder.create(&path).expect("temp dir");
        Self(path)
    }
}

impl TempDir {
    /// Asserts that the app's database in this directory passes SQLite's integrity check.
    pub async fn database_intact(&self) {
        let url = format!("sqlite://{}", self.0.join("nextauth.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.expect("database");
        let (result,): (String,) = sqlx::query_as("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .expect("integrity check");
        pool.close().await;
        assert_eq!(result, "ok");
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
    /// What it logged, when started with [`ServerProcess::start_logged`].
    log: Option<Arc<std::sync::Mutex<String>>>,
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
        Self::spawn(data, port, extra, None, None).await
    }

    /// Starts the server on a fresh data directory logging at `filter` (a `RUST_LOG` value),
    /// and keeps what it logs for [`ServerProcess::log_text`].
    pub async fn start_logged(filter: &str) -> Self {
        Self::start_logged_with(filter, &[]).await
    }

    /// Like [`ServerProcess::start_logged`], with extra command-line arguments.
    pub async fn start_logged_with(filter: &str, extra: &[String]) -> Self {
        Self::spawn(TempDir::new("server"), None, extra, None, Some(filter)).await
    }

    /// What the server logged so far (without colours), when started with
    /// [`ServerProcess::start_logged`]; else empty.
    pub fn log_text(&self) -> String {
        self.log
            .as_ref()
            .map(|log| log.lock().unwrap().clone())
            .unwrap_or_default()
    }

    /// Starts the server on a free port under the file-creation mask `umask` (through
    /// `sh -c 'umask …; exec …'`), so a test sees the modes the server itself asks for.
    pub async fn start_with_umask(data: TempDir, umask: u32, extra: &[String]) -> Self {
        Self::spawn(data, None, extra, Some(umask), None).await
    }

    /// Starts the process on `port`, or on port 0 so the system picks a free one with no window
    /// for another test to take it, and returns it with the address it printed once listening.
    fn launch(
        data: &TempDir,
        port: Option<u16>,
        extra: &[String],
        umask: Option<u32>,
        log: Option<(&str, Arc<std::sync::Mutex<String>>)>,
    ) -> Result<(Child, SocketAddr), String> {
        use std::io::BufRead;
        let listen = format!("127.0.0.1:{}", port.unwrap_or(0));
        let mut command = match umask {
            Some(mask) => {
                let mut sh = Command::new("sh");
                sh.arg("-c")
                    .arg(format!("umask {mask:03o} && exec \"$0\" \"$@\""))
                    .arg(server_binary());
                sh
            }
            None => Command::new(server_binary()),
        };
        let mut child = command
            .args(["--listen", &listen, "--data-dir"])
            .arg(&data.0)
            .args(extra)
            .env(
                "RUST_LOG",
                log.as_ref().map_or("warn", |(filter, _)| *filter),
            )
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(if log.is_some() {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("spawn nextauth-server");
        if let (Some((_, text)), Some(stderr)) = (log, child.stderr.take()) {
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let mut text = text.lock().unwrap();
                    text.push_str(&line);
                    text.push('\n');
                }
            });
        }
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Reads every line so the pipe never fills; the first one names the address.
        std::thread::spawn(move || {
            let mut told = false;
            for line in std::io::BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !told {
                    if let Some((_, addr)) = line.split_once("listening on http://") {
                        told = tx.send(addr.trim().to_owned()).is_ok();
                    }
                }
            }
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(addr) => Ok((child, addr.parse().map_err(|e| format!("{addr}: {e}"))?)),
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                Err(format!("no address printed on {listen} ({status})"))
            }
        }
    }

    async fn spawn(
        data: TempDir,
        port: Option<u16>,
        extra: &[String],
        umask: Option<u32>,
        log_filter: Option<&str>,
    ) -> Self {
        let log = log_filter.map(|_| Arc::new(std::sync::Mutex::new(String::new())));
        // A restart on a known port can find it briefly taken (a client's ephemeral port): retry.
        let mut attempt = 0;
        let (child, addr) = loop {
            attempt += 1;
            let logging = log_filter.zip(log.clone());
            match Self::launch(&data, port, extra, umask, logging) {
                Ok(started) => break started,
                Err(why) if attempt < 40 && port.is_some() => {
                    eprintln!("nextauth-server did not start ({why}); retrying");
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
                Err(why) => panic!("nextauth-server did not start: {why}"),
            }
        };
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
            log,
        }
    }

    /// Two processes sharing one database (a SQLite file, or a fresh PostgreSQL database when
    /// `NEXTAUTH_TEST_DATABASE_URL` names a server), the master key and the demo identity; the
    /// public URL (and so the endpoint in every code) is the first one's.
    pub async fn start_pair(extra: &[String]) -> (Self, Self) {
        let data_a = TempDir::new("pair-a");
        let database = shared_database(&data_a);
        Self::start_pair_on(data_a, database, extra).await
    }

    /// Like [`Self::start_pair`], on `database` (from [`shared_database`]), with A's data in
    /// `data_a`.
    pub async fn start_pair_on(
        data_a: TempDir,
        database: String,
        extra: &[String],
    ) -> (Self, Self) {
        let mut args = vec!["--database-url".to_owned(), database];
        args.extend_from_slice(extra);
        // A on a port of the system's choosing names itself; B names A as the public address
        // too unless `extra` names another (a balancer).
        let a = Self::start_with(data_a, None, &args).await;
        if !extra.iter().any(|arg| arg == "--public-url") {
            args.extend(["--public-url".to_owned(), format!("http://{}", a.addr)]);
        }
        let data_b = TempDir::new("pair-b");
        for file in ["master.key", "demo.json"] {
            std::fs::copy(a.data_dir().join(file), data_b.0.join(file)).expect("copy shared file");
        }
        let b = Self::start_with(data_b, None, &args).await;
        assert_eq!(a.server_id, b.server_id, "one demo server for both");
        (a, b)
    }

    /// Stops the process and returns its data directory (to restart on it).
    pub fn stop(mut self) -> (TempDir, u16) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let port = self.addr.port();
        let data = std::mem::replace(&mut self.data, TempDir(PathBuf::new()));
        (data, port)
    }

    /// Sends SIGTERM, as a service manager stopping the process does (it drains and exits).
    pub fn terminate(&self) {
        let status = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success(), "SIGTERM sent");
    }

    /// How the process exited, waiting at most `within` (`None`: still running).
    pub async fn exit_status(
        &mut self,
        within: std::time::Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The process id (for its CPU time and memory in /proc).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data.0
    }

    /// The sealed envelopes the server queued, read straight from its database (what FCM or APNs
    /// would hand the app besides the live connection).
    pub async fn queued_envelopes(&self) -> Vec<Vec<u8>> {
        use sqlx::{Connection, Row};
        let url = format!(
            "sqlite://{}?mode=ro",
            self.data_dir().join("server.db").display()
        );
        let mut conn = sqlx::SqliteConnection::connect(&url)
            .await
            .expect("open the server database");
        let rows = sqlx::query("SELECT envelope FROM messages ORDER BY created")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        rows.iter()
            .map(|r| r.get::<Vec<u8>, _>("envelope"))
            .collect()
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

    /// A REST call with the demo key that must answer 200 (`what` names it when it does not).
    pub async fn api_ok(
        &self,
        method: &str,
        path: &str,
        nonce: Option<&str>,
        body: Option<&serde_json::Value>,
        what: &str,
    ) -> Response {
        let r = self.api(method, path, nonce, body).await;
        assert_eq!(r.status, 200, "{what}: {}", r.text());
        r
    }

    /// The raw bytes of a new enrol code for `name` (user `name`) on session `nonce`.
    pub async fn enrol_code(&self, nonce: &str, name: &str) -> Vec<u8> {
        let path = format!(
            "/servers/{}/sessions/qr/enrol?name={name}&userid={name}",
            self.server_id
        );
        let r = self
            .api_ok("GET", &path, Some(nonce), None, "enrol code")
            .await;
        r.body
    }

    /// The raw bytes of the login code of session `nonce`.
    pub async fn login_code(&self, nonce: &str) -> Vec<u8> {
        let r = self
            .api_ok(
                "GET",
                &format!("/servers/{}/sessions/qr/login", self.server_id),
                Some(nonce),
                None,
                "login code",
            )
            .await;
        r.body
    }

    /// The raw bytes of the login code of session `nonce`, with the integrator's
    /// `UserContext` (announce info and the browser's details) for the app to show.
    pub async fn login_code_with(&self, nonce: &str, context: &serde_json::Value) -> Vec<u8> {
        let path = format!("/servers/{}/sessions/qr/login", self.server_id);
        let r = self
            .api_ok("GET", &path, Some(nonce), Some(context), "login code")
            .await;
        r.body
    }

    /// Like [`ServerProcess::provoke_login`], with the integrator's `UserContext`.
    pub async fn provoke_login_with(
        &self,
        account: i64,
        nonce: &str,
        context: &serde_json::Value,
    ) -> Option<String> {
        let path = format!(
            "/servers/{}/accounts/{account}/provokelogin",
            self.server_id
        );
        let r = self
            .api_ok("POST", &path, Some(nonce), Some(context), "provoke")
            .await;
        r.json()["matchnumber"].as_str().map(str::to_owned)
    }

    /// The website's HTML block (`kind`: `enrol` or `login`) for session `nonce`; an enrol
    /// block is for user `name`.
    pub async fn html_block(&self, kind: &str, nonce: &str, name: &str) -> String {
        let path = format!(
            "/servers/{}/sessions/html/{kind}?name={name}&userid={name}",
            self.server_id
        );
        let r = self
            .api_ok("GET", &path, Some(nonce), None, "html block")
            .await;
        r.text()
    }

    /// `getSession` for `nonce`.
    pub async fn session(&self, nonce: &str) -> serde_json::Value {
        let r = self
            .api_ok(
                "GET",
                &format!("/servers/{}/sessions/", self.server_id),
                Some(nonce),
                None,
                "getSession",
            )
            .await;
        r.json()
    }

    /// The server's ids of its accounts, in the order the API lists them.
    pub async fn account_ids(&self) -> Vec<i64> {
        let path = format!("/servers/{}/accounts/", self.server_id);
        let r = self.api_ok("GET", &path, None, None, "accounts").await;
        r.json()["accounts"]
            .as_array()
            .expect("accounts")
            .iter()
            .map(|a| a["id"].as_i64().expect("account id"))
            .collect()
    }

    /// Asks the server to send account `account` a push login for session `nonce`.
    ///
    /// Returns the number the browser shows with it (number matching), if one is asked.
    pub async fn provoke_login(&self, account: i64, nonce: &str) -> Option<String> {
        let path = format!(
            "/servers/{}/accounts/{account}/provokelogin",
            self.server_id
        );
        let r = self
            .api_ok("POST", &path, Some(nonce), None, "provoke")
            .await;
        r.json()["matchnumber"].as_str().map(str::to_owned)
    }

    /// Sends account `account` a message through the message center (REST extension).
    pub async fn send_message(&self, account: i64, title: &str, text: &str) {
        let path = format!("/servers/{}/accounts/{account}/messages", self.server_id);
        let body = serde_json::json!({ "title": title, "text": text });
        self.api_ok("POST", &path, None, Some(&body), "message")
            .await;
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

/// Unix seconds now (for decoding codes, which checks expiry).
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Decodes the bytes of a QR code the server made.
pub fn decode_code(bytes: &[u8]) -> nextauth_protocol::qr::QrPayload {
    nextauth_protocol::qr::QrPayload::decode(bytes, unix_now()).expect("a code of ours")
}

/// A database URL for processes to share: a fresh PostgreSQL database when
/// `NEXTAUTH_TEST_DATABASE_URL` names a server (scripts/postgres.sh prints one), else a SQLite
/// file in `data`.
pub fn shared_database(data: &TempDir) -> String {
    let Ok(admin) = std::env::var("NEXTAUTH_TEST_DATABASE_URL") else {
        return format!("sqlite://{}?mode=rwc", data.0.join("shared.db").display());
    };
    assert!(
        admin.starts_with("postgres://") && !admin.contains('\n'),
        "NEXTAUTH_TEST_DATABASE_URL must be one postgres:// URL (scripts/postgres.sh prints it)"
    );
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let name = format!(
        "nextauth_shared_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let status = Command::new("su")
        .args([
            "postgres",
            "-c",
            &format!("psql -qc 'DROP DATABASE IF EXISTS {name}' -c 'CREATE DATABASE {name} OWNER nextauth'"),
        ])
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "create the shared database"
    );
    let base = admin
        .rsplit_once('/')
        .map(|(b, _)| b.to_owned())
        .expect("admin URL");
    format!("{base}/{name}")
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header names (lower case) and values, in order.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

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
    request_from(None, addr, method, path, headers, body).await
}

/// A TCP connection to `addr` from the loopback address `local` (127.0.0.2, …: another
/// client as far as the server can tell), or from the default address.
pub async fn connect_from(
    local: Option<std::net::IpAddr>,
    addr: SocketAddr,
) -> std::io::Result<TcpStream> {
    let Some(local) = local else {
        return TcpStream::connect(addr).await;
    };
    let socket = if local.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.bind(SocketAddr::new(local, 0))?;
    socket.connect(addr).await
}

/// Like [`request`], from the loopback address `local` (see [`connect_from`]).
///
/// The request goes through reqwest (HTTP/1.1, no proxy, redirects not followed, a new
/// connection per request as before): a response the server sends chunked or with a length
/// arrives the same.
pub async fn request_from(
    local: Option<std::net::IpAddr>,
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, String)],
    body: &[u8],
) -> std::io::Result<Response> {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
    let mut request = http_client(local)?
        .request(method, format!("http://{addr}{path}"))
        .body(body.to_vec());
    for (name, value) in headers {
        request = request.header(*name, value);
    }
    let response = request.send().await.map_err(std::io::Error::other)?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).trim().to_owned(),
            )
        })
        .collect();
    let body = response
        .bytes()
        .await
        .map_err(std::io::Error::other)?
        .to_vec();
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// A plain-HTTP client bound to `local`, keeping no idle connection. reqwest is built without
/// a default TLS provider (as in the server), so it gets a ring one it never uses here.
fn http_client(local: Option<std::net::IpAddr>) -> std::io::Result<reqwest::Client> {
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(std::io::Error::other)?
    .with_root_certificates(rustls::RootCertStore::empty())
    .with_no_client_auth();
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .http1_only()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .local_address(local)
        .build()
        .map_err(std::io::Error::other)
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

    /// Opens the app on `dir` with its storage writes failing as `faults` says (from the
    /// write it names on, like a full disk).
    pub async fn open_faulty(
        dir: Arc<TempDir>,
        faults: Arc<nextauth_sdk::StorageFaults>,
    ) -> nextauth_sdk::SdkResult<Self> {
        let keystore = Arc::new(FileKeystore::open_in(&dir.0)?);
        let mut config = Config::new(&dir.0);
        config.device_name = "e2e test".into();
        let sdk = Sdk::open_with_faults(config, keystore, faults).await?;
        let events = sdk.subscribe();
        Ok(Self { sdk, events, dir })
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
        let code = server.enrol_code(&format!("signup-{name}"), name).await;
        let flow = self.sdk.start_qr(&code).await.expect("start enrol");
        self.complete_enrol(&flow.id, name, pin).await
    }

    /// Answers a started enrolment of `name` (confirm after the visual hash, then the PIN);
    /// returns the new account's id.
    pub async fn complete_enrol(&mut self, flow_id: &str, name: &str, pin: &str) -> String {
        use nextauth_sdk::{Interaction, PinInput, Response};
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
            number: None,
        };
        self.sdk.respond(flow_id, confirm).await.expect("confirm");
        let ask = self.flow_in(nextauth_sdk::FlowState::WaitingForInput).await;
        match ask.interaction {
            Some(Interaction::SetSecondFactor) | Some(Interaction::VerifySecondFactor { .. }) => {}
            other => panic!("expected a PIN question, got {other:?}"),
        }
        self.sdk
            .respond(
                flow_id,
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
        self.approve_code(&code).await
    }

    /// Starts a login with `code`, waits for the confirmation question and approves it (the
    /// only account); returns the flow id.
    pub async fn approve_code(&mut self, code: &[u8]) -> String {
        let flow = self.sdk.start_qr(code).await.expect("start login");
        self.flow_in(nextauth_sdk::FlowState::WaitingForConfirmation)
            .await;
        let confirm = nextauth_sdk::Response::Confirm {
            account_id: None,
            user_input: None,
            number: None,
        };
        self.sdk.respond(&flow.id, confirm).await.expect("confirm");
        flow.id
    }

    /// Waits for the next message a server sent (`MessageReceived`).
    pub async fn message_received(&mut self) -> nextauth_sdk::Message {
        self.next_event(|e| match e {
            Event::MessageReceived { message } => Some(message.clone()),
            _ => None,
        })
        .await
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

// The browser's side: the server's WebSocket at /ws, as a login page uses it.

/// A browser WebSocket to the server's `/ws`.
pub type BrowserWs =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// The session reference (base64url hsid) of the integrator's `nonce` on `server`.
pub fn hsid(server: &ServerProcess, nonce: &str) -> String {
    use base64::Engine;
    let id = nextauth_protocol::ids::ServerId::from_base64(&server.server_id).expect("server id");
    let session = nextauth_protocol::ids::SessionRef::derive(&id, nonce.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session.0)
}

/// A browser socket that follows the session of `nonce` (`REGISTER`).
pub async fn browser(server: &ServerProcess, nonce: &str) -> BrowserWs {
    page_socket(server.addr, &server.server_id, &hsid(server, nonce)).await
}

/// Waits (up to 15 s) for the browser event `kind` (`LOGIN`, `NOACCOUNTS`, …), skipping
/// others; returns every event seen up to and with it.
pub async fn browser_event(ws: &mut BrowserWs, kind: &str) -> Vec<String> {
    use futures_util::StreamExt;
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .unwrap_or_else(|_| panic!("no {kind} within 15 s; seen {seen:?}"))
            .expect("socket open")
            .expect("message");
        if let tokio_tungstenite::tungstenite::Message::Text(text) = message {
            let first = text.split(' ').next().unwrap_or_default().to_owned();
            seen.push(text.to_string());
            if first == kind {
                return seen;
            }
        }
    }
}

/// A TCP relay in front of a server whose connections can be frozen one by one: a frozen
/// connection stays open and forwards nothing either way (a dead network path that neither
/// end has noticed).
pub struct FreezableProxy {
    /// Where the app connects.
    pub addr: SocketAddr,
    connections: Arc<std::sync::Mutex<Vec<Arc<std::sync::atomic::AtomicBool>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FreezableProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FreezableProxy {
    /// Binds a free loopback port (start the server with `--public-url` on [`Self::addr`],
    /// then [`Self::forward_to`] it).
    pub async fn bind() -> (Self, TcpListener) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("proxy port");
        let addr = listener.local_addr().expect("addr");
        let proxy = Self {
            addr,
            connections: Arc::default(),
            task: tokio::spawn(async {}),
        };
        (proxy, listener)
    }

    /// Relays connections accepted on `listener` to `backend`.
    pub fn forward_to(&mut self, listener: TcpListener, backend: SocketAddr) {
        let connections = self.connections.clone();
        self.task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let frozen = Arc::new(std::sync::atomic::AtomicBool::new(false));
                connections.lock().expect("lock").push(frozen.clone());
                tokio::spawn(async move {
                    let Ok(upstream) = TcpStream::connect(backend).await else {
                        return;
                    };
                    let _ = client.set_nodelay(true);
                    let _ = upstream.set_nodelay(true);
                    let (client_r, client_w) = client.into_split();
                    let (up_r, up_w) = upstream.into_split();
                    let a = tokio::spawn(relay(client_r, up_w, frozen.clone()));
                    let b = tokio::spawn(relay(up_r, client_w, frozen));
                    let _ = tokio::join!(a, b);
                });
            }
        });
    }

    /// How many connections were accepted so far.
    pub fn count(&self) -> usize {
        self.connections.lock().expect("lock").len()
    }

    /// Freezes connection `index` (0: the first accepted).
    pub fn freeze(&self, index: usize) {
        self.connections.lock().expect("lock")[index].store(true, Ordering::SeqCst);
    }
}

async fn relay(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    frozen: Arc<std::sync::atomic::AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if frozen.load(Ordering::SeqCst) {
            // Swallow everything from now on, and never close: the other end hears nothing.
            loop {
                if from.read(&mut buf).await.map_or(true, |n| n == 0) {
                    std::future::pending::<()>().await;
                }
            }
        }
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
    if !frozen.load(Ordering::SeqCst) {
        let _ = to.shutdown().await;
    } else {
        std::future::pending::<()>().await;
    }
}

/// A page's WebSocket (`/ws` of `addr`) that follows the session `hsid` of `server_id`
/// (`REGISTER` sent; its first event not yet read).
pub async fn page_socket(addr: SocketAddr, server_id: &str, hsid: &str) -> BrowserWs {
    use futures_util::SinkExt;
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws"))
        .await
        .expect("page socket");
    let register = format!("REGISTER {hsid} {server_id}");
    ws.send(tokio_tungstenite::tungstenite::Message::Text(
        register.into(),
    ))
    .await
    .expect("REGISTER");
    ws
}
