//! Starts the real server on an ephemeral port and talks raw HTTP/1.1 to it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use nextauth_server::ServerConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A data directory unique to this test process and call; removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> Self {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("nextauth-server-test-{}-{n}", std::process::id()));
        Self(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Spawns the server on 127.0.0.1:0 and returns its address.
async fn start(data_dir: &TempDir) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("local addr");
    let config = ServerConfig {
        listen: addr,
        data_dir: data_dir.0.clone(),
        ..ServerConfig::default()
    };
    tokio::spawn(async move {
        nextauth_server::serve(listener, config)
            .await
            .expect("server failed");
    });
    addr
}

/// Sends `GET path` and returns (status code, headers, body).
async fn get(addr: SocketAddr, path: &str) -> (u16, String, String) {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.expect("read");
    let text = String::from_utf8(raw).expect("utf-8 response");
    let (head, body) = text.split_once("\r\n\r\n").expect("header/body separator");
    let status_line = head.lines().next().expect("status line");
    let mut parts = status_line.split_whitespace();
    assert_eq!(parts.next(), Some("HTTP/1.1"), "{status_line}");
    let status = parts
        .next()
        .and_then(|s| s.parse().ok())
        .expect("status code");
    (status, head.to_ascii_lowercase(), body.to_owned())
}

#[tokio::test]
async fn healthz_reports_ok_and_version() {
    let dir = TempDir::new();
    let addr = start(&dir).await;
    let (status, head, body) = get(addr, "/healthz").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: application/json"), "{head}");
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
    assert_eq!(
        json,
        serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION") })
    );
    assert!(dir.0.is_dir(), "serve creates the data directory");
}

#[tokio::test]
async fn landing_page_names_the_demo_site() {
    let dir = TempDir::new();
    let addr = start(&dir).await;
    let (status, head, body) = get(addr, "/").await;
    assert_eq!(status, 200);
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(body.contains("Welcome to Acme"), "{body}");
    assert!(body.contains("href=\"/signup\""));
    assert!(body.contains(env!("CARGO_PKG_VERSION")));
}

#[tokio::test]
async fn unknown_path_is_404() {
    let dir = TempDir::new();
    let addr = start(&dir).await;
    let (status, _, body) = get(addr, "/no/such/page").await;
    assert_eq!(status, 404);
    assert_eq!(body, "not found\n");
}
