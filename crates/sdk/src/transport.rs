//! The connection to a server's app endpoint: binary WebSocket messages, over TLS for
//! `wss://` endpoints (rustls with ring; certificates checked by the platform's verifier).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rustls::pki_types::CertificateDer;
use rustls::ClientConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::Connector;

use crate::engine::EngineError;
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

/// How `wss://` servers are checked: the platform's verifier (the OS trust store and its
/// revocation and policy checks where the OS has them) plus configured extra authorities.
/// The rustls configuration is made on first use: loading a trust store takes a moment that
/// apps on `ws://` or with no accounts need not spend.
pub struct Tls {
    extra_roots: Vec<CertificateDer<'static>>,
    config: OnceLock<Option<Arc<ClientConfig>>>,
}

impl std::fmt::Debug for Tls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tls")
            .field("extra_roots", &self.extra_roots.len())
            .finish_non_exhaustive()
    }
}

impl Tls {
    /// Trusts the platform's authorities and `extra_roots` (DER certificates).
    pub fn new(extra_roots: &[Vec<u8>]) -> Self {
        Self {
            extra_roots: extra_roots
                .iter()
                .map(|der| CertificateDer::from(der.clone()))
                .collect(),
            config: OnceLock::new(),
        }
    }

    fn client_config(&self) -> Option<Arc<ClientConfig>> {
        self.config
            .get_or_init(|| match self.build() {
                Ok(config) => Some(Arc::new(config)),
                Err(err) => {
                    tracing::warn!(%err, "no TLS configuration: wss:// servers are unreachable");
                    None
                }
            })
            .clone()
    }

    fn build(&self) -> Result<ClientConfig, rustls::Error> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        #[cfg(not(target_os = "android"))]
        let verifier = rustls_platform_verifier::Verifier::new_with_extra_roots(
            self.extra_roots.iter().cloned(),
            provider.clone(),
        )?;
        #[cfg(target_os = "android")]
        let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
        Ok(ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth())
    }
}

impl Connection {
    /// Connects to `endpoint`: `ws://…`, or `wss://…` checked with `tls`.
    pub async fn open(endpoint: &str, tls: &Tls) -> SdkResult<Self> {
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let connector = if endpoint.starts_with("wss:") {
            Connector::Rustls(
                tls.client_config()
                    .ok_or(SdkError::Engine(EngineError::Unreachable))?,
            )
        } else {
            Connector::Plain
        };
        // Nagle off: the handshake's small messages go out at once.
        let connect = tokio_tungstenite::connect_async_tls_with_config(
            endpoint,
            Some(config),
            true,
            Some(connector),
        );
        match tokio::time::timeout(CONNECT_TIMEOUT, connect).await {
            Ok(Ok((ws, _))) => Ok(Self { ws }),
            Ok(Err(err)) if is_untrusted_certificate(&err) => {
                tracing::warn!(%err, "the server's certificate is not trusted");
                Err(SdkError::Engine(EngineError::UntrustedServer))
            }
            Ok(Err(err)) => {
                tracing::info!(%err, "cannot reach the server");
                Err(SdkError::Engine(EngineError::Unreachable))
            }
            Err(_) => Err(SdkError::Engine(EngineError::Unreachable)),
        }
    }

    /// Sends one frame.
    pub async fn send(&mut self, frame: Vec<u8>) -> SdkResult<()> {
        self.ws
            .send(Message::Binary(frame.into()))
            .await
            .map_err(|_| SdkError::Engine(EngineError::ConnectionLost))
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
                    return Err(SdkError::Engine(EngineError::ConnectionLost))
                }
            }
        }
    }

    /// Closes politely.
    pub async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// Whether a failed connection was refused because of the server's certificate.
fn is_untrusted_certificate(err: &tungstenite::Error) -> bool {
    let rustls_error = match err {
        tungstenite::Error::Io(io) => io.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()),
        tungstenite::Error::Tls(tungstenite::error::TlsError::Rustls(e)) => Some(&**e),
        _ => None,
    };
    matches!(
        rustls_error,
        Some(rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented)
    )
}
