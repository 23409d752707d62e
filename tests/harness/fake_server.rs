//! A server that poses as another: it answers handshakes on a loopback WebSocket with
//! parameters of its own choosing (another server's id, the attacker's key, its own
//! endpoint), signed by the attacker's key, and counts every connection it gets. The attack
//! tests point the real SDK at it to show what a forged code can and cannot do.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::{SinkExt, StreamExt};
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{ClientHello, Purpose};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{ServerContext, SessionInfo};
use nextauth_protocol::params::{KeyRotation, ServerParams, SignedServerParams};
use nextauth_protocol::qr::{EnrolCode, EnrolSecret, LoginCode, QrPayload};
use tokio::net::TcpListener;
use tokio_tungstenite::tungstenite::Message;

use crate::raw;

/// The impostor: its key, the parameters it sends, and what it saw.
pub struct FakeServer {
    /// The attacker's key.
    pub key: Arc<SigningKey>,
    /// The parameters it sends (signed by [`FakeServer::key`]).
    pub signed: SignedServerParams,
    /// Its endpoint (`ws://127.0.0.1:port/sigmai`).
    pub endpoint: String,
    connections: Arc<AtomicUsize>,
    purposes: Arc<Mutex<Vec<Purpose>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeServer {
    /// Starts an impostor of `victim` (its id and name) with a key of its own.
    pub async fn impersonate(victim: &ServerParams) -> Self {
        let key = SigningKey::generate(&raw::rng()).expect("key").0;
        Self::start(victim, key, Vec::new()).await
    }

    /// Starts an impostor of `victim` signing with `key`, sending `rotations` along.
    pub async fn start(
        victim: &ServerParams,
        key: SigningKey,
        rotations: Vec<KeyRotation>,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let endpoint = format!("ws://{}/sigmai", listener.local_addr().expect("addr"));
        let rng = raw::rng();
        let key = Arc::new(key);
        let mut params = victim.clone();
        params.public_key = key.public_key();
        params.endpoint = endpoint.clone();
        params.issued_at = victim.issued_at + 60;
        let signed = params.sign(key.as_ref(), &rng).expect("sign");
        let connections = Arc::new(AtomicUsize::new(0));
        let purposes = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(serve(
            listener,
            key.clone(),
            signed.clone(),
            rotations,
            connections.clone(),
            purposes.clone(),
        ));
        Self {
            key,
            signed,
            endpoint,
            connections,
            purposes,
            task,
        }
    }

    /// How many connections reached it.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// The purposes of the handshakes it answered.
    pub fn purposes(&self) -> Vec<Purpose> {
        self.purposes.lock().map(|p| p.clone()).unwrap_or_default()
    }

    /// An enrol code for the impostor: the victim's id, the impostor's endpoint, and the
    /// hash of the impostor's parameters (the one check an enrol code alone can make).
    pub fn enrol_code(&self, server_id: ServerId, display_name: &str) -> Vec<u8> {
        QrPayload::Enrol(EnrolCode {
            endpoint: self.endpoint.clone(),
            server_id,
            session_ref: SessionRef([0x5a; 16]),
            secret: EnrolSecret([0xe5; 16]),
            expires_at: crate::unix_now() + 600,
            params_hash: self.signed.hash(),
            display_name: display_name.to_owned(),
        })
        .encode()
        .expect("encode")
    }

    /// A login code for a real session of the victim that sends the app here instead.
    pub fn login_code(&self, server_id: ServerId, session_ref: SessionRef) -> Vec<u8> {
        QrPayload::Login(LoginCode {
            endpoint: self.endpoint.clone(),
            server_id,
            session_ref,
        })
        .encode()
        .expect("encode")
    }
}

async fn serve(
    listener: TcpListener,
    key: Arc<SigningKey>,
    signed: SignedServerParams,
    rotations: Vec<KeyRotation>,
    connections: Arc<AtomicUsize>,
    purposes: Arc<Mutex<Vec<Purpose>>>,
) {
    while let Ok((tcp, _)) = listener.accept().await {
        connections.fetch_add(1, Ordering::SeqCst);
        let (key, signed, rotations, purposes) = (
            key.clone(),
            signed.clone(),
            rotations.clone(),
            purposes.clone(),
        );
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(tcp).await else {
                return;
            };
            let Some(Ok(Message::Binary(m1))) = ws.next().await else {
                return;
            };
            let Ok(hello) = ClientHello::decode(&m1) else {
                return;
            };
            if let Ok(mut p) = purposes.lock() {
                p.push(hello.purpose);
            }
            let context = match hello.purpose {
                Purpose::Enrol => ServerContext::Enrol {
                    session: SessionInfo::default(),
                },
                Purpose::Connect => ServerContext::Connect,
                _ => ServerContext::Login {
                    announce: SessionInfo::default(),
                    session: SessionInfo::default(),
                    check: Default::default(),
                },
            };
            let Ok(context) = context.encode() else {
                return;
            };
            let Ok((_, m2)) =
                hello.respond_rotated(&raw::rng(), key.as_ref(), &signed, &rotations, &context)
            else {
                return;
            };
            let _ = ws.send(Message::Binary(m2.into())).await;
            // Hold the connection until the app gives up on it.
            while let Some(Ok(_)) = ws.next().await {}
        });
    }
}
