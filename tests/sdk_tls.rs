//! `wss://` against the real server process behind a TLS-terminating proxy (the way servers
//! are deployed): the SDK enrols, logs in and pulls over TLS when it trusts the certificate's
//! authority, and refuses an untrusted certificate with its own error code.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use nextauth_e2e::{App, ServerProcess, TempDir};
use nextauth_sdk::{Event, FlowState, HistoryQuery, HistoryStatus};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};

const PIN: &str = "2468";

fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/tls")
        .join(name);
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
async fn server_behind_tls() -> (ServerProcess, tokio::task::JoinHandle<()>) {
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

#[tokio::test]
async fn enrol_log_in_and_pull_over_wss_when_the_authority_is_trusted() {
    let (server, _proxy) = server_behind_tls().await;
    let dir = Arc::new(TempDir::new("app"));
    let mut app = App::open_with(dir, |config| {
        config.extra_root_certificates = vec![fixture("ca.der")];
    })
    .await;
    app.enrol(&server, "trent", PIN).await;
    assert_eq!(app.sdk.accounts().await.unwrap().len(), 1);

    app.approve_login(&server, "tls-login").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("tls-login").await["loggedin"], true);

    // The CONNECT channel (pull, push logins) goes over TLS too.
    let account = server.account_ids().await[0];
    server.provoke_login(account, "tls-push").await;
    assert_eq!(app.sdk.pull_messages().await.unwrap(), 1);
    let asked = app.flow_in(FlowState::WaitingForConfirmation).await;
    app.sdk.stop(&asked.id).await.unwrap();
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_with_its_own_code() {
    let (server, _proxy) = server_behind_tls().await;
    let mut app = App::new().await; // the test CA is not trusted
    let code = server.enrol_code("signup-eve", "eve").await;
    app.sdk.start_qr(&code).await.unwrap();
    let error = app
        .next_event(|e| match e {
            Event::FlowUpdate { flow } if flow.state == FlowState::Error => flow.error.clone(),
            _ => None,
        })
        .await;
    assert_eq!(error.code, 129, "untrusted certificate: {}", error.message);
    assert!(app.sdk.accounts().await.unwrap().is_empty());
    let history = app.sdk.history(&HistoryQuery::default()).await.unwrap();
    assert_eq!(history[0].status, HistoryStatus::Error);
    assert_eq!(history[0].error_code, Some(129));
}
