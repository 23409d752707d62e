//! Push senders: wake an app through its platform's push service (FCM, APNs) when the message
//! center queues a message for it (docs/push.md).
//!
//! The push service only carries the sealed envelope (docs/protocol.md, section 12) and a short
//! visible [`Notice`] that says nothing secret; the app opens the envelope with its push key.
//! Without a configured sender nothing changes: the app still gets its messages over its live
//! CONNECT session or by pulling them.

pub mod apns;
pub mod fcm;
pub mod jwt;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use nextauth_protocol::messages::PushPlatform;
use nextauth_protocol::push::{Envelope, PushBody};

use crate::config::PushConfig;
use crate::state::SharedState;
use crate::store::push_tokens;

/// Longest device token accepted (the protocol's limit).
pub const MAX_TOKEN_LEN: usize = nextauth_protocol::messages::MAX_PUSH_TOKEN_LEN;
/// Longest base64 envelope put in a push payload. FCM data and APNs payloads are limited to
/// 4 KiB each, including everything else in them; a longer envelope is left out and the app
/// pulls it instead (the payload then says `"nextauth_pull": "1"`).
pub const MAX_INLINE_ENVELOPE: usize = 3 * 1024;

/// How long one request to a push service may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long connecting to a push service may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where a push goes: the platform and the app's device token there.
#[derive(Clone, PartialEq, Eq)]
pub struct PushTarget {
    /// The push service.
    pub platform: PushPlatform,
    /// The device token the app registered (FCM registration token, APNs token in hex).
    pub token: String,
}

impl fmt::Debug for PushTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushTarget")
            .field("platform", &self.platform)
            .field("token", &token_tag(&self.token))
            .finish()
    }
}

impl PushTarget {
    /// A short, non-reversible tag of the token for logs (see [`token_tag`]).
    pub fn tag(&self) -> String {
        token_tag(&self.token)
    }
}

/// The first 8 hex digits of SHA-256 of a token: enough to tell tokens apart in logs without
/// putting a token (which lets anyone holding the server's credentials reach the device) there.
pub fn token_tag(token: &str) -> String {
    let hash = nextauth_protocol::crypto::sha256(&[token.as_bytes()]);
    hash[..4].iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `token` is acceptable for `platform`: not empty, at most [`MAX_TOKEN_LEN`] bytes of
/// printable ASCII without spaces; APNs tokens are hex (they go into the request path).
pub fn is_valid_token(platform: PushPlatform, token: &str) -> bool {
    let printable = !token.is_empty()
        && token.len() <= MAX_TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_graphic());
    match platform {
        PushPlatform::Fcm => printable,
        PushPlatform::Apns => printable && token.bytes().all(|b| b.is_ascii_hexdigit()),
    }
}

/// The visible part of a push notification. It never carries the message's content: that is
/// in the sealed envelope, which only the app can open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// Title line.
    pub title: String,
    /// Body line.
    pub body: String,
}

impl Notice {
    /// The notice for `body` sent by the server named `server_name` (which the app shows
    /// anyway). Login prompts name the site; other kinds get a generic text.
    pub fn for_body(server_name: &str, body: &PushBody) -> Self {
        let name: String = server_name
            .chars()
            .filter(|c| !c.is_control())
            .take(64)
            .collect();
        let name = if name.trim().is_empty() {
            "nextAuth".to_owned()
        } else {
            name
        };
        let (title, body) = match body {
            PushBody::Login { .. } => (
                format!("Login request from {name}"),
                "Open nextAuth to confirm or decline.".to_owned(),
            ),
            PushBody::Logout { .. } => (name, "You have been logged out.".to_owned()),
            PushBody::DeleteAccount => (name, "Your account was removed.".to_owned()),
            PushBody::Message { .. } => (name, "You have a new message.".to_owned()),
        };
        Self { title, body }
    }
}

/// Why a push was not delivered to the push service.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The push service says the token is no longer valid (FCM `UNREGISTERED`, APNs 410): the
    /// app was uninstalled or its token rotated. The stored token should be forgotten.
    #[error("the push service no longer knows this device token")]
    Unregistered,
    /// The push service refused the request.
    #[error("the push service refused the request: HTTP {status} {reason}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// The service's reason code (e.g. `BadDeviceToken`, `INVALID_ARGUMENT`), if any.
        reason: String,
    },
    /// The push service or the token endpoint could not be reached, or answered garbage.
    #[error("push service unreachable: {0}")]
    Transport(String),
    /// Getting credentials for the push service failed (token exchange, signing).
    #[error("push service authentication failed: {0}")]
    Auth(String),
    /// The sender's configuration (key file, credentials) is unusable.
    #[error("push sender configuration: {0}")]
    Config(String),
    /// The envelope handed to the sender does not parse.
    #[error("push envelope: {0}")]
    Envelope(#[from] nextauth_protocol::ProtocolError),
}

impl From<reqwest::Error> for PushError {
    fn from(err: reqwest::Error) -> Self {
        // The URL may hold a device token (APNs puts it in the path): never keep it.
        Self::Transport(err.without_url().to_string())
    }
}

/// The future a [`PushSender`] returns.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), PushError>> + Send + 'a>>;

/// One push to hand to a push service.
#[derive(Debug, Clone, Copy)]
pub struct Push<'a> {
    /// The device.
    pub target: &'a PushTarget,
    /// A sealed push envelope (docs/protocol.md section 12).
    pub envelope: &'a [u8],
    /// What the notification shows.
    pub notice: &'a Notice,
}

/// Something that hands a sealed envelope to a push service.
pub trait PushSender: Send + Sync {
    /// Hands `push` to the service, which keeps it until the envelope's expiry at most.
    fn deliver<'a>(&'a self, push: Push<'a>) -> SendFuture<'a>;

    /// Sends `envelope` to `target`, showing `notice` ([`PushSender::deliver`]).
    fn send<'a>(
        &'a self,
        target: &'a PushTarget,
        envelope: &'a [u8],
        notice: &'a Notice,
    ) -> SendFuture<'a> {
        self.deliver(Push {
            target,
            envelope,
            notice,
        })
    }
}

/// The configured senders, one per platform at most.
#[derive(Clone, Default)]
pub struct Senders {
    fcm: Option<Arc<dyn PushSender>>,
    apns: Option<Arc<dyn PushSender>>,
}

impl fmt::Debug for Senders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Senders")
            .field("fcm", &self.fcm.is_some())
            .field("apns", &self.apns.is_some())
            .finish()
    }
}

impl Senders {
    /// Builds the senders `config` asks for (none when it is empty). Reads the key files.
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] when a key or credentials file cannot be read or used.
    pub fn from_config(config: &PushConfig) -> Result<Self, PushError> {
        let mut senders = Self::default();
        if let Some(path) = &config.fcm_credentials {
            let json = read_file(path, "FCM credentials")?;
            let sender = fcm::FcmSender::new(fcm::FcmConfig {
                service_account: fcm::ServiceAccount::from_json(&json)?,
                endpoint: config
                    .fcm_endpoint
                    .clone()
                    .unwrap_or_else(|| fcm::DEFAULT_ENDPOINT.to_owned()),
            })?;
            senders.fcm = Some(Arc::new(sender));
        }
        if let Some(path) = &config.apns_key {
            let pem = read_file(path, "APNs key")?;
            let missing = |what: &str| PushError::Config(format!("the APNs sender needs {what}"));
            let sender = apns::ApnsSender::new(apns::ApnsConfig {
                key_pkcs8: jwt::pem_decode(&pem, "PRIVATE KEY")?,
                key_id: config
                    .apns_key_id
                    .clone()
                    .ok_or_else(|| missing("a key id"))?,
                team_id: config
                    .apns_team_id
                    .clone()
                    .ok_or_else(|| missing("a team id"))?,
                topic: config
                    .apns_topic
                    .clone()
                    .ok_or_else(|| missing("a topic"))?,
                endpoint: config
                    .apns_endpoint
                    .clone()
                    .unwrap_or_else(|| apns::DEFAULT_ENDPOINT.to_owned()),
            })?;
            senders.apns = Some(Arc::new(sender));
        }
        Ok(senders)
    }

    /// These senders with `sender` for FCM (e.g. a test double).
    pub fn with_fcm(mut self, sender: Arc<dyn PushSender>) -> Self {
        self.fcm = Some(sender);
        self
    }

    /// These senders with `sender` for APNs.
    pub fn with_apns(mut self, sender: Arc<dyn PushSender>) -> Self {
        self.apns = Some(sender);
        self
    }

    /// The sender for `platform`, if one is configured.
    pub fn for_platform(&self, platform: PushPlatform) -> Option<&Arc<dyn PushSender>> {
        match platform {
            PushPlatform::Fcm => self.fcm.as_ref(),
            PushPlatform::Apns => self.apns.as_ref(),
        }
    }

    /// Whether no sender is configured.
    pub fn is_empty(&self) -> bool {
        self.fcm.is_none() && self.apns.is_none()
    }
}

fn read_file(path: &std::path::Path, what: &str) -> Result<zeroize::Zeroizing<String>, PushError> {
    std::fs::read_to_string(path)
        .map(zeroize::Zeroizing::new)
        .map_err(|err| {
            PushError::Config(format!(
                "cannot read the {what} file {}: {err}",
                path.display()
            ))
        })
}

/// The background deliveries ([`dispatch`]) under way: tests wait for them to end
/// ([`Deliveries::settled`]) instead of sleeping for a while and hoping.
#[derive(Debug)]
pub struct Deliveries {
    under_way: tokio::sync::watch::Sender<usize>,
}

impl Default for Deliveries {
    fn default() -> Self {
        Self {
            under_way: tokio::sync::watch::channel(0).0,
        }
    }
}

/// One delivery under way, until dropped.
struct Delivery(tokio::sync::watch::Sender<usize>);

impl Drop for Delivery {
    fn drop(&mut self) {
        self.0.send_modify(|n| *n -= 1);
    }
}

impl Deliveries {
    fn begin(&self) -> Delivery {
        self.under_way.send_modify(|n| *n += 1);
        Delivery(self.under_way.clone())
    }

    /// Returns once no delivery is under way: every push handed to [`dispatch`] before the call
    /// was sent, refused or found to have no token or no sender.
    pub async fn settled(&self) {
        let mut under_way = self.under_way.subscribe();
        let _ = under_way.wait_for(|n| *n == 0).await;
    }
}

/// Hands `envelope` to the push service of `account_id`'s app, if it registered a token and a
/// sender for its platform is configured. Runs in the background: the caller does not wait.
/// Failures are logged (with a tag of the token, never the token); a token the service no
/// longer knows is forgotten.
pub fn dispatch(state: &SharedState, account_id: i64, envelope: Vec<u8>, notice: Notice) {
    if state.senders.is_empty() {
        return;
    }
    let state = state.clone();
    let delivery = state.deliveries.begin();
    tokio::spawn(async move {
        let _delivery = delivery;
        let target = match push_tokens::push_target(&state.db, account_id).await {
            Ok(Some((platform, token))) => PushTarget { platform, token },
            Ok(None) => return,
            Err(err) => {
                tracing::warn!(account_id, %err, "cannot read the push token");
                return;
            }
        };
        let Some(sender) = state.senders.for_platform(target.platform) else {
            tracing::debug!(account_id, platform = ?target.platform, "no push sender for the platform");
            return;
        };
        let token = target.tag();
        match sender.send(&target, &envelope, &notice).await {
            Ok(()) => {
                tracing::debug!(account_id, platform = ?target.platform, token, "push sent");
            }
            Err(PushError::Unregistered) => {
                match push_tokens::clear_push_token(&state.db, account_id, &target.token).await {
                    Ok(_) => tracing::info!(
                        account_id,
                        platform = ?target.platform,
                        token,
                        "push token no longer valid: forgotten"
                    ),
                    Err(err) => tracing::warn!(account_id, %err, "cannot forget the push token"),
                }
            }
            Err(err) => {
                tracing::warn!(account_id, platform = ?target.platform, token, %err, "push not sent");
            }
        }
    });
}

/// What both senders need from an envelope: its base64 form (if small enough to carry),
/// its expiry and its message id.
pub(crate) struct Payload {
    /// The envelope in standard base64, or `None` when too long to carry (the app pulls it).
    pub inline: Option<String>,
    /// When the envelope expires (Unix seconds).
    pub expires_at: u64,
    /// Seconds until then (0 when already expired).
    pub ttl: u64,
    /// The message id.
    pub message_id: [u8; 16],
}

impl Payload {
    pub(crate) fn new(envelope: &[u8], now: u64) -> Result<Self, PushError> {
        let parsed = Envelope::parse(envelope)?;
        let encoded = STANDARD.encode(envelope);
        Ok(Self {
            inline: (encoded.len() <= MAX_INLINE_ENVELOPE).then_some(encoded),
            expires_at: parsed.expires_at,
            ttl: parsed.expires_at.saturating_sub(now),
            message_id: parsed.message_id.0,
        })
    }
}

/// The HTTP client both senders use: rustls with ring and the Mozilla roots (webpki-roots), so
/// the server needs neither a system CA store nor aws-lc. `h2_only` speaks HTTP/2 only (APNs);
/// otherwise ALPN offers h2 and HTTP/1.1.
pub(crate) fn http_client(h2_only: bool) -> Result<reqwest::Client, PushError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| PushError::Config(format!("TLS setup: {err}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    tls.alpn_protocols = if h2_only {
        vec![b"h2".to_vec()]
    } else {
        vec![b"h2".to_vec(), b"http/1.1".to_vec()]
    };
    let mut builder = reqwest::Client::builder()
        .tls_backend_preconfigured(tls)
        .connect_timeout(CONNECT_TIMEOUT)
        .timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("nextauth-server/", env!("CARGO_PKG_VERSION")));
    if h2_only {
        builder = builder.http2_prior_knowledge();
    }
    builder
        .build()
        .map_err(|err| PushError::Config(format!("HTTP client: {}", err.without_url())))
}

/// How one request to a push service ended, when it did not succeed.
pub(crate) enum Attempt {
    /// The sender's credential (APNs provider token, FCM access token) was refused: get a new
    /// one and try once more.
    Unauthorized(PushError),
    /// Final.
    Failed(PushError),
}

/// Sends with `send`; if the credential was refused, calls `renew` (which drops the cached
/// one) and sends once more. A second refusal is final.
pub(crate) async fn send_renewing_credential<S, SF, R, RF>(
    mut send: S,
    renew: R,
) -> Result<(), PushError>
where
    S: FnMut() -> SF,
    SF: Future<Output = Result<(), Attempt>>,
    R: FnOnce() -> RF,
    RF: Future<Output = ()>,
{
    match send().await {
        Ok(()) => Ok(()),
        Err(Attempt::Failed(err)) => Err(err),
        Err(Attempt::Unauthorized(_)) => {
            renew().await;
            match send().await {
                Ok(()) => Ok(()),
                Err(Attempt::Failed(err) | Attempt::Unauthorized(err)) => Err(err),
            }
        }
    }
}

/// A reason code from a push service's answer, trimmed to something safe to log.
pub(crate) fn sanitize_reason(reason: &str) -> String {
    reason
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ' '))
        .take(64)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_checked_per_platform() {
        assert!(is_valid_token(PushPlatform::Fcm, "dGVzdA:APA91b-x_y"));
        assert!(is_valid_token(PushPlatform::Apns, "0a1B2c"));
        assert!(!is_valid_token(PushPlatform::Apns, "dGVzdA:APA91b"));
        assert!(!is_valid_token(PushPlatform::Fcm, ""));
        assert!(!is_valid_token(PushPlatform::Fcm, "has space"));
        assert!(!is_valid_token(PushPlatform::Fcm, "tab\t"));
        assert!(!is_valid_token(PushPlatform::Fcm, "é"));
        assert!(is_valid_token(
            PushPlatform::Fcm,
            &"a".repeat(MAX_TOKEN_LEN)
        ));
        assert!(!is_valid_token(
            PushPlatform::Fcm,
            &"a".repeat(MAX_TOKEN_LEN + 1)
        ));
    }

    #[test]
    fn notices_name_the_site_but_not_the_content() {
        let body = PushBody::Message {
            title: "Secret title".into(),
            text: "secret text".into(),
        };
        let notice = Notice::for_body("Acme", &body);
        assert_eq!(notice.title, "Acme");
        assert!(!notice.body.contains("secret"));
        let notice = Notice::for_body("", &PushBody::DeleteAccount);
        assert_eq!(notice.title, "nextAuth");
    }

    #[test]
    fn tags_are_short_and_reasons_clean() {
        assert_eq!(token_tag("abc").len(), 8);
        assert_ne!(token_tag("abc"), token_tag("abd"));
        assert_eq!(sanitize_reason("Bad\"Device\nToken"), "BadDeviceToken");
        let target = PushTarget {
            platform: PushPlatform::Fcm,
            token: "very-secret-token".into(),
        };
        assert!(!format!("{target:?}").contains("very-secret-token"));
    }
}
