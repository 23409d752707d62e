//! One app connection: binary WebSocket messages in and out, with timeouts, and records sealed
//! and opened through the protocol session.

use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};
use nextauth_protocol::handshake::{encode_alert, Session};
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::ProtocolError;

use crate::store::StoreError;

/// Why an app connection ended early.
#[derive(Debug, thiserror::Error)]
pub enum EndpointError {
    /// The app sent something the protocol refuses.
    #[error("protocol: {0}")]
    Protocol(#[from] ProtocolError),
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The server refused the request and told the app (alert or `Refused` record).
    #[error("refused with code {0}")]
    Refused(u16),
    /// The app went away.
    #[error("the app closed the connection")]
    Closed,
    /// The app did not answer in time.
    #[error("the app did not answer in time")]
    Timeout,
}

impl From<crate::keys::KeyError> for EndpointError {
    fn from(err: crate::keys::KeyError) -> Self {
        Self::Store(StoreError::Key(err))
    }
}

/// Result of endpoint steps.
pub type EndpointResult<T> = Result<T, EndpointError>;

/// The socket plus the record session once the handshake is done.
pub struct Conn {
    socket: WebSocket,
}

impl Conn {
    /// Wraps an upgraded socket.
    pub fn new(socket: WebSocket) -> Self {
        Self { socket }
    }

    /// The next binary message, waiting at most `timeout`.
    pub async fn recv(&mut self, timeout: Duration) -> EndpointResult<Vec<u8>> {
        match tokio::time::timeout(timeout, self.recv_any()).await {
            Ok(result) => result,
            Err(_) => Err(EndpointError::Timeout),
        }
    }

    /// The next binary message, however long it takes. Cancel-safe.
    pub async fn recv_any(&mut self) -> EndpointResult<Vec<u8>> {
        loop {
            match self.socket.recv().await {
                Some(Ok(Message::Binary(bytes))) => return Ok(bytes.to_vec()),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                Some(Ok(Message::Text(_))) => return Err(ProtocolError::UnexpectedMessage.into()),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return Err(EndpointError::Closed),
            }
        }
    }

    /// Sends one binary message.
    pub async fn send(&mut self, bytes: Vec<u8>) -> EndpointResult<()> {
        self.socket
            .send(Message::Binary(bytes.into()))
            .await
            .map_err(|_| EndpointError::Closed)
    }

    /// Sends an alert and returns the matching error.
    pub async fn alert(&mut self, code: u16) -> EndpointError {
        let _ = self.send(encode_alert(code)).await;
        let _ = self.socket.send(Message::Close(None)).await;
        EndpointError::Refused(code)
    }

    /// Seals and sends a record.
    pub async fn send_record(
        &mut self,
        session: &mut Session,
        record: &ServerRecord,
    ) -> EndpointResult<()> {
        let frame = session.seal(&record.encode()?)?;
        self.send(frame).await
    }

    /// Sends `Refused{code}` and returns the matching error.
    pub async fn refuse(&mut self, session: &mut Session, code: u16) -> EndpointError {
        let _ = self
            .send_record(session, &ServerRecord::Refused { code })
            .await;
        let _ = self.socket.send(Message::Close(None)).await;
        EndpointError::Refused(code)
    }

    /// Receives and opens a record.
    pub async fn recv_record(
        &mut self,
        session: &mut Session,
        timeout: Duration,
    ) -> EndpointResult<AppRecord> {
        let frame = self.recv(timeout).await?;
        Ok(AppRecord::decode(&session.open(&frame)?)?)
    }

    /// Closes the connection with "going away": the process shuts down, the app reconnects
    /// (through the balancer, to another one).
    pub async fn go_away(&mut self) {
        let frame = crate::readiness::going_away_frame();
        let _ = self.socket.send(Message::Close(Some(frame))).await;
    }

    /// Closes the connection politely.
    pub async fn close(mut self) {
        let _ = self.socket.send(Message::Close(None)).await;
    }
}
