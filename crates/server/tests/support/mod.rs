//! Test support: a real server on a loopback port with its own data directory, and a minimal
//! HTTP/1.1 client over a real socket.
#![allow(dead_code, missing_docs)]

pub mod app;
pub mod mmdb;
pub mod openapi;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use nextauth_protocol::crypto::Signer;
use nextauth_protocol::handshake::Purpose;
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_server::clock::now;
use nextauth_server::codes;
use nextauth_server::store::accounts::{self, AccountRow};
use nextauth_server::store::enrol_codes::EnrolGrant;
use nextauth_server::store::servers::{self, ServerRow, ServerSettings};
use nextauth_server::{DemoInfo, ServerConfig, SharedState};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A running server. The data directory is removed on drop.
pub struct TestServer {
    pub addr: SocketAddr,
    pub state: SharedState,
    pub demo: DemoInfo,
    dir: PathBuf,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl TestServer {
    /// Starts a server on 127.0.0.1:0 with SQLite in a fresh directory, or on the PostgreSQL
    /// database named by `NEXTAUTH_TEST_DATABASE_URL` when that is set.
    pub async fn start() -> Self {
        Self::start_with(|_| {}).await
    }

    /// Like [`TestServer::start`], with `configure` changing the configuration first.
    pub async fn start_with(configure: impl FnOnce(&mut ServerConfig)) -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("nextauth-test-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let database_url = match std::env::var("NEXTAUTH_TEST_DATABASE_URL") {
            Ok(admin) => Some(fresh_postgres_database(&admin, n).await),
            Err(_) => None,
        };
        let mut config = ServerConfig {
            listen: addr,
            data_dir: dir.clone(),
            database_url,
            public_url: None,
            ..ServerConfig::default()
        };
        configure(&mut config);
        let (state, demo) = nextauth_server::start(config).await.expect("server start");
        let router = nextauth_server::router(state.clone());
        tokio::spawn(async move {
            let app = router.into_make_service_with_connect_info::<SocketAddr>();
            axum::serve(nextauth_server::no_delay(listener), app)
                .await
                .expect("serve");
        });
        Self {
            addr,
            state,
            demo,
            dir,
        }
    }

    /// The demo server's id.
    pub fn server_id(&self) -> nextauth_protocol::ids::ServerId {
        nextauth_protocol::ids::ServerId::from_base64(&self.demo.serverid).expect("demo server id")
    }

    /// The demo server's row.
    pub async fn demo_server(&self) -> ServerRow {
        servers::get(&self.state.db, &self.server_id())
            .await
            .expect("read the demo server")
            .expect("the demo server")
    }

    /// The demo server's login session of `nonce`, as a website creates it when it shows a
    /// login code.
    pub async fn login_session(&self, nonce: &str) -> nextauth_protocol::ids::SessionRef {
        let row = self.demo_server().await;
        match codes::login_code(&self.state, &row, nonce, None, now())
            .await
            .expect("a login code")
        {
            nextauth_protocol::qr::QrPayload::Login(code) => code.session_ref,
            other => panic!("expected a login code, got {other:?}"),
        }
    }

    /// Changes the demo server's settings; returns its row as stored then.
    pub async fn configure(&self, change: impl FnOnce(&mut ServerSettings)) -> ServerRow {
        let row = self.demo_server().await;
        let mut settings = row.settings.clone();
        change(&mut settings);
        servers::update(&self.state.db, &row.server_id, &settings, now())
            .await
            .expect("update the demo server")
            .expect("the demo server")
    }

    /// The demo server's stored row of an account the test app holds.
    pub async fn account_row(&self, account: &app::AppAccount) -> AccountRow {
        accounts::by_key(&self.state.db, &self.server_id(), &account.key.public_key())
            .await
            .expect("read the account")
            .expect("the account is stored")
    }

    /// Enrols `name` (of `userid`) on the demo server with the protocol-level test app, through
    /// a new enrol code of the session `nonce` (which ends up logged in); `pin` as the demo
    /// server wants one.
    pub async fn enrol(
        &self,
        nonce: &str,
        device: &DeviceSecret,
        name: &str,
        userid: Option<&str>,
        pin: Option<&str>,
    ) -> app::AppAccount {
        let grant = EnrolGrant {
            display_name: name.into(),
            userid: userid.map(str::to_owned),
        };
        let payload =
            codes::enrol_code(&self.state, &self.demo_server().await, nonce, grant, now())
                .await
                .expect("enrol code");
        let (account, ex, reply) = app::enrol(&app::enrol_code(payload), device, pin)
            .await
            .expect("enrol");
        assert_eq!(reply, ServerRecord::Accepted);
        ex.close().await;
        account
    }

    /// Sends a request; returns (status, lower-cased headers, body bytes).
    pub async fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut stream = TcpStream::connect(self.addr).await.expect("connect");
        let mut head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
            self.addr
        );
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
        stream.write_all(head.as_bytes()).await.expect("write head");
        stream.write_all(body).await.expect("write body");
        let mut raw = Vec::new();
        stream.read_to_end(&mut raw).await.expect("read");
        Response::parse(&raw)
    }

    /// `request` with the demo API key.
    pub async fn api(
        &self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        let mut headers = vec![("X-apikey", self.demo.apikey.as_str())];
        headers.extend_from_slice(extra);
        if !body.is_empty() {
            headers.push(("Content-Type", "application/json"));
        }
        self.request(method, path, &headers, body).await
    }
}

/// A CONNECT session of `account` that the server accepted.
pub async fn connected(account: &app::AppAccount) -> app::Exchange {
    let mut ex = app::open_known(account, Purpose::Connect, [0; 16])
        .await
        .expect("open a CONNECT session");
    ex.finish(&account.key, &ClientRequest::Connect)
        .await
        .expect("finish the handshake");
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex
}

/// Creates an empty database for one test under the PostgreSQL server at `admin_url` and
/// returns its URL, so tests never see each other's rows.
pub async fn fresh_postgres_database(admin_url: &str, n: usize) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("nextauth_test_{}_{n}", std::process::id());
    let mut admin = sqlx::AnyConnection::connect(admin_url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
        .execute(&mut admin)
        .await
        .expect("drop database");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .expect("create database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("URL with a database");
    format!("{base}/{name}")
}

/// A parsed HTTP response.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    fn parse(raw: &[u8]) -> Self {
        let split = raw
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("header end");
        let head = std::str::from_utf8(&raw[..split]).expect("ascii head");
        let mut lines = head.lines();
        let status = lines
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|s| s.parse().ok())
            .expect("status");
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        let mut body = raw[split + 4..].to_vec();
        if headers
            .iter()
            .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
        {
            body = dechunk(&body);
        }
        Self {
            status,
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| panic!("not JSON: {}", self.text()))
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = body.windows(2).position(|w| w == b"\r\n") {
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..end]).unwrap_or("0").trim(), 16)
                .unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&body[end + 2..end + 2 + size]);
        body = &body[end + 2 + size + 2..];
    }
    out
}
