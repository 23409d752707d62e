//! The connection to a server's app endpoint: binary WebSocket messages.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;

use crate::error::{SdkError, SdkResult};

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// How long opening a connection may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest message accepted from a server.
const MAX_MESSAGE: usize = 256 * 1024;

/// An open connection.
pub struct Connection {
    ws: Ws,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connection")
    }
}

impl Connection {
    /// Connects to `endpoint` (`ws://…`; `wss://` needs TLS support, see docs/sdk.md).
    pub async fn open(endpoint: &str) -> SdkResult<Self> {
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let connect = tokio_tungstenite::connect_async_with_config(endpoint, Some(config), false);
        match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok((ws, _))) => Ok(Self { ws }),
            Ok(Err(err)) => {
                tracing::info!(%err, "cannot reach the server");
                Err(SdkError::Unreachable)
            }
            Err(_) => Err(SdkError::Unreachable),
        }
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: Vec<u8>) -> SdkResult<()> {
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|_| SdkError::ConnectionLost)
    }

    /// The next frame; `ConnectionLost` when the server closes. Cancel-safe.
    pub async fn recv(&mut self) -> SdkResult<Vec<u8>> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Binary(bytes))) => return Ok(bytes.to_vec()),
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => continue,
                Some(Ok(Message::Text(_))) => {
                    return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into())
                }
                Some(Ok(Message::Close(_)) | Err(_)) | None => {
                    return Err(SdkError::ConnectionLost)
                }
            }
        }
    }

    /// The next frame within `timeout`.
    pub async fn recv_within(&mut self, timeout: Duration) -> SdkResult<Vec<u8>> {
        tokio::time::timeout(timeout, self.recv())
            .await
            .map_err(|_| SdkError::Timeout)?
    }

    /// Closes politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}
