//! A test app that speaks the protocol to the real server over a real WebSocket, built only on
//! the protocol crate: the server's own tests use it, and the attack tests play the attacker
//! with it (a stolen device, a forged server, a stranger who knows a session ref).

use futures_util::{SinkExt, StreamExt};
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{
    decode_alert, AbortReason, ClientAwaitingDecision, ClientHandshake, Purpose, Session,
};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::messages::{AppRecord, ClientRequest, ServerRecord};
use nextauth_protocol::params::{ParamsTrust, ServerParams};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::qr::{EnrolCode, QrPayload};
use ring::rand::SystemRandom;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// An account as the test app holds it.
pub struct AppAccount {
    /// The account key.
    pub key: SigningKey,
    /// The push key the enrolment derived.
    pub push_key: [u8; 32],
    /// The server's parameters as the enrolment verified them.
    pub params: ServerParams,
}

/// How an exchange ended before or during the handshake.
#[derive(Debug, PartialEq, Eq)]
pub enum Stop {
    /// The server sent an alert with this code.
    Alert(u16),
    /// The protocol refused something.
    Protocol(nextauth_protocol::ProtocolError),
    /// The socket closed.
    Closed,
}

/// One open connection after a successful server authentication.
pub struct Exchange {
    ws: Ws,
    /// The handshake waiting for the decision (until `finish` or `abort`).
    pub decision: Option<ClientAwaitingDecision>,
    /// The record channel once the handshake finished.
    pub session: Option<Session>,
}

/// The system random source.
pub fn rng() -> SystemRandom {
    SystemRandom::new()
}

async fn recv_binary(ws: &mut Ws) -> Result<Vec<u8>, Stop> {
    loop {
        match ws.next().await {
            Some(Ok(Message::Binary(b))) => return Ok(b.to_vec()),
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            _ => return Err(Stop::Closed),
        }
    }
}

/// Opens a connection and runs the handshake up to the person's decision.
pub async fn open(
    endpoint: &str,
    purpose: Purpose,
    server: ServerId,
    reference: [u8; 16],
    trust: ParamsTrust<'_>,
) -> Result<Exchange, Stop> {
    open_from(None, endpoint, purpose, server, reference, trust).await
}

/// Like [`open`], from the local address `from` (another loopback address is another client
/// as far as the server's per-address limits go).
pub async fn open_from(
    from: Option<std::net::IpAddr>,
    endpoint: &str,
    purpose: Purpose,
    server: ServerId,
    reference: [u8; 16],
    trust: ParamsTrust<'_>,
) -> Result<Exchange, Stop> {
    let (mut ws, _) = match from {
        None => tokio_tungstenite::connect_async(endpoint).await,
        Some(local) => {
            let host = endpoint
                .trim_start_matches("ws://")
                .split('/')
                .next()
                .unwrap_or_default();
            let target: std::net::SocketAddr = host.parse().map_err(|_| Stop::Closed)?;
            let socket = tokio::net::TcpSocket::new_v4().map_err(|_| Stop::Closed)?;
            socket
                .bind(std::net::SocketAddr::new(local, 0))
                .map_err(|_| Stop::Closed)?;
            let stream = socket.connect(target).await.map_err(|_| Stop::Closed)?;
            let stream = tokio_tungstenite::MaybeTlsStream::Plain(stream);
            tokio_tungstenite::client_async(endpoint, stream).await
        }
    }
    .map_err(|_| Stop::Closed)?;
    let (client, hello) =
        ClientHandshake::start(&rng(), purpose, server, reference).map_err(Stop::Protocol)?;
    ws.send(Message::Binary(hello.into()))
        .await
        .map_err(|_| Stop::Closed)?;
    let reply = recv_binary(&mut ws).await?;
    if reply.first() == Some(&nextauth_protocol::handshake::frame::ALERT) {
        return Err(Stop::Alert(decode_alert(&reply).map_err(Stop::Protocol)?));
    }
    let decision = client
        .read_server_hello(&reply, trust)
        .map_err(Stop::Protocol)?;
    Ok(Exchange {
        ws,
        decision: Some(decision),
        session: None,
    })
}

impl Exchange {
    /// Finishes the handshake with `account` and `request`.
    pub async fn finish(
        &mut self,
        account: &dyn Signer,
        request: &ClientRequest,
    ) -> Result<(), Stop> {
        let decision = self.decision.take().expect("handshake already finished");
        let (session, frame) = decision
            .finish(account, &request.encode().unwrap(), &rng())
            .map_err(Stop::Protocol)?;
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|_| Stop::Closed)?;
        self.session = Some(session);
        Ok(())
    }

    /// Finishes like [`Exchange::finish`], but `tamper` changes the final frame on its way, as
    /// a man in the middle would.
    pub async fn finish_tampered(
        &mut self,
        account: &dyn Signer,
        request: &ClientRequest,
        tamper: impl FnOnce(&mut Vec<u8>),
    ) -> Result<(), Stop> {
        let decision = self.decision.take().expect("handshake already finished");
        let (session, mut frame) = decision
            .finish(account, &request.encode().unwrap(), &rng())
            .map_err(Stop::Protocol)?;
        tamper(&mut frame);
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|_| Stop::Closed)?;
        self.session = Some(session);
        Ok(())
    }

    /// The next binary message as it came (a record, an alert), or `None` once closed.
    pub async fn recv_raw(&mut self) -> Option<Vec<u8>> {
        recv_binary(&mut self.ws).await.ok()
    }

    /// Declines.
    pub async fn abort(&mut self, reason: AbortReason) {
        let decision = self.decision.take().expect("handshake already finished");
        let frame = decision.abort(reason).unwrap();
        let _ = self.ws.send(Message::Binary(frame.into())).await;
    }

    /// Sends a record (panics if the connection is gone).
    pub async fn send(&mut self, record: &AppRecord) {
        let frame = self
            .session
            .as_mut()
            .expect("session")
            .seal(&record.encode().unwrap())
            .unwrap();
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .expect("send record");
    }

    /// The next record, or `None` when the server closed the connection.
    pub async fn recv(&mut self) -> Option<ServerRecord> {
        let frame = recv_binary(&mut self.ws).await.ok()?;
        let plain = self
            .session
            .as_mut()
            .expect("session")
            .open(&frame)
            .expect("record opens");
        Some(ServerRecord::decode(&plain).expect("record decodes"))
    }

    /// The next record within `secs` seconds.
    pub async fn recv_within(&mut self, secs: u64) -> Option<ServerRecord> {
        tokio::time::timeout(std::time::Duration::from_secs(secs), self.recv())
            .await
            .ok()
            .flatten()
    }

    /// The next record within `secs` seconds after answering a ping that may come first (a
    /// continuous session pings while a test waits for something else).
    pub async fn recv_past_a_ping(&mut self, secs: u64) -> Option<ServerRecord> {
        let next = self.recv_within(secs).await;
        let Some(ServerRecord::Ping { counter }) = next else {
            return next;
        };
        self.send(&AppRecord::Pong { counter }).await;
        self.recv_within(secs).await
    }

    /// The close code the server ended the connection with, skipping records and pings
    /// (`None`: closed without a close frame, or without a code).
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code.into()),
                Some(Ok(_)) => {}
                _ => return None,
            }
        }
    }

    /// The session's binder (PIN proofs are bound to it).
    pub fn binder(&self) -> [u8; 32] {
        *self.session.as_ref().expect("session").binder()
    }

    /// Closes the connection.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// The PIN verifier the app registers for `pin` on `account`.
pub fn verifier(
    device: &DeviceSecret,
    pin: &str,
    server: &ServerId,
    account: &SigningKey,
) -> [u8; 32] {
    *pin_verifier(
        device,
        &Pin::new(pin).unwrap(),
        server,
        &account.public_key(),
    )
}

/// Sends the PIN proof for `pin`.
pub async fn prove_pin(ex: &mut Exchange, device: &DeviceSecret, pin: &str, account: &AppAccount) {
    let v = verifier(device, pin, &account.params.server_id, &account.key);
    let proof = pin_proof(&v, &ex.binder());
    ex.send(&AppRecord::PinProof { proof }).await;
}

/// Enrols with `code`; returns the account and the still-open exchange after `Accepted`.
pub async fn enrol(
    code: &EnrolCode,
    device: &DeviceSecret,
    pin: Option<&str>,
) -> Result<(AppAccount, Exchange, ServerRecord), Stop> {
    let mut ex = open(
        &code.endpoint,
        Purpose::Enrol,
        code.server_id,
        code.session_ref.0,
        ParamsTrust::EnrolHash(&code.params_hash),
    )
    .await?;
    let params = ex.decision.as_ref().unwrap().params.clone();
    let (key, _) = SigningKey::generate(&rng()).unwrap();
    let pin_verifier = pin.map(|p| verifier(device, p, &code.server_id, &key));
    let request = ClientRequest::Enrol {
        secret: code.secret.clone(),
        device_name: "test device".into(),
        pin_verifier,
    };
    ex.finish(&key, &request).await?;
    let push_key = *ex.session.as_ref().unwrap().push_key();
    let reply = ex.recv().await.ok_or(Stop::Closed)?;
    Ok((
        AppAccount {
            key,
            push_key,
            params,
        },
        ex,
        reply,
    ))
}

/// Opens a handshake for an account the app already has (trusting the stored key).
pub async fn open_known(
    account: &AppAccount,
    purpose: Purpose,
    reference: [u8; 16],
) -> Result<Exchange, Stop> {
    open_known_from(None, account, purpose, reference).await
}

/// Like [`open_known`], from the local address `from` (see [`open_from`]).
pub async fn open_known_from(
    from: Option<std::net::IpAddr>,
    account: &AppAccount,
    purpose: Purpose,
    reference: [u8; 16],
) -> Result<Exchange, Stop> {
    let trust = ParamsTrust::KnownKey {
        key: &account.params.public_key,
        not_before: account.params.issued_at,
    };
    open_from(
        from,
        &account.params.endpoint,
        purpose,
        account.params.server_id,
        reference,
        trust,
    )
    .await
}

/// Decodes QR bytes as an enrol code.
pub fn enrol_code(payload: QrPayload) -> EnrolCode {
    match payload {
        QrPayload::Enrol(code) => code,
        other => panic!("expected an enrol code, got {other:?}"),
    }
}

/// A live app connection to `endpoint` (CONNECT, then PullMessages, as the SDK's live
/// delivery opens it: the server pushes messages from then on).
pub async fn live(endpoint: &str, account: &AppAccount) -> Exchange {
    let trust = ParamsTrust::KnownKey {
        key: &account.params.public_key,
        not_before: account.params.issued_at,
    };
    let mut ex = open(
        endpoint,
        Purpose::Connect,
        account.params.server_id,
        [0; 16],
        trust,
    )
    .await
    .expect("connect");
    ex.finish(&account.key, &ClientRequest::Connect)
        .await
        .expect("finish");
    assert_eq!(ex.recv().await, Some(ServerRecord::Accepted));
    ex.send(&AppRecord::PullMessages).await;
    match ex.recv().await {
        Some(ServerRecord::Messages { .. }) => ex,
        other => panic!("live connection: {other:?}"),
    }
}

/// Logs `account` into the session `reference` (a plain login: no number, no PIN due).
pub async fn log_in(account: &AppAccount, reference: [u8; 16]) -> Result<(), Stop> {
    let mut ex = open_known(account, Purpose::Login, reference).await?;
    let login = ClientRequest::Login {
        user_input: String::new(),
        number: String::new(),
    };
    ex.finish(&account.key, &login).await?;
    let reply = ex.recv().await.ok_or(Stop::Closed)?;
    assert_eq!(reply, ServerRecord::Accepted);
    ex.close().await;
    Ok(())
}
