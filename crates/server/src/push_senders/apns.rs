//! Apple Push Notification service, HTTP/2 provider API with token authentication.
//!
//! `POST {endpoint}/3/device/{token}` over HTTP/2 with `authorization: bearer <JWT>`,
//! `apns-topic: <bundle id>`, `apns-push-type: alert`, `apns-priority: 10`,
//! `apns-expiration: <envelope expiry>`, `apns-id: <message id as a UUID>` and the body
//! `{"aps":{"alert":{"title":…,"body":…},"mutable-content":1},"nextauth":"<base64 envelope>"}`.
//! `mutable-content` lets the app's notification service extension open the envelope before
//! the notice is shown.
//!
//! The JWT is ES256 over the team's `.p8` key (PKCS#8 P-256), header `{alg, kid}`, claims
//! `{iss: team id, iat}`. Apple accepts one for an hour and refuses renewals more often than
//! every 20 minutes, so it is reused for 50 minutes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use serde_json::json;
use zeroize::Zeroizing;

use super::{jwt, Attempt, Notice, Payload, Push, PushError, PushSender, PushTarget, SendFuture};

/// Apple's production endpoint (development builds of the app use
/// `https://api.sandbox.push.apple.com`).
pub const DEFAULT_ENDPOINT: &str = "https://api.push.apple.com";
/// How long one provider token is reused.
const TOKEN_REUSE: Duration = Duration::from_secs(50 * 60);

/// What the APNs sender is built from.
pub struct ApnsConfig {
    /// The `.p8` key's PKCS#8 bytes (P-256).
    pub key_pkcs8: Zeroizing<Vec<u8>>,
    /// The key's id.
    pub key_id: String,
    /// The developer team id.
    pub team_id: String,
    /// The app's bundle id.
    pub topic: String,
    /// Base URL (no trailing slash needed).
    pub endpoint: String,
}

impl std::fmt::Debug for ApnsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsConfig")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("topic", &self.topic)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

struct ProviderToken {
    value: Zeroizing<String>,
    issued: Instant,
}

/// Sends through APNs.
pub struct ApnsSender {
    client: reqwest::Client,
    endpoint: String,
    key_id: String,
    team_id: String,
    topic: String,
    key: EcdsaKeyPair,
    rng: SystemRandom,
    token: Mutex<Option<ProviderToken>>,
}

impl std::fmt::Debug for ApnsSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApnsSender")
            .field("endpoint", &self.endpoint)
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

fn plain_field(value: &str, what: &str) -> Result<(), PushError> {
    let ok = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
    if ok {
        Ok(())
    } else {
        Err(PushError::Config(format!(
            "the APNs {what} is empty or has odd characters"
        )))
    }
}

impl ApnsSender {
    /// Builds the sender: loads the key and the HTTP/2 client.
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] when the key is not a PKCS#8 P-256 key, an id is malformed or the
    /// endpoint is not http(s).
    pub fn new(config: ApnsConfig) -> Result<Self, PushError> {
        let rng = SystemRandom::new();
        let key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &config.key_pkcs8, &rng)
                .map_err(|err| {
                    PushError::Config(format!("the APNs key is not a P-256 PKCS#8 key: {err}"))
                })?;
        plain_field(&config.key_id, "key id")?;
        plain_field(&config.team_id, "team id")?;
        plain_field(&config.topic, "topic")?;
        if !(config.endpoint.starts_with("https://") || config.endpoint.starts_with("http://")) {
            return Err(PushError::Config(format!(
                "APNs endpoint `{}` is not http(s)",
                config.endpoint
            )));
        }
        Ok(Self {
            client: super::http_client(true)?,
            endpoint: config.endpoint.trim_end_matches('/').to_owned(),
            key_id: config.key_id,
            team_id: config.team_id,
            topic: config.topic,
            key,
            rng,
            token: Mutex::new(None),
        })
    }

    /// The provider token, reused for [`TOKEN_REUSE`].
    fn provider_token(&self) -> Result<Zeroizing<String>, PushError> {
        let mut cached = self
            .token
            .lock()
            .map_err(|_| PushError::Auth("provider token cache poisoned".into()))?;
        if let Some(token) = cached.as_ref().filter(|t| t.issued.elapsed() < TOKEN_REUSE) {
            return Ok(token.value.clone());
        }
        let header = json!({"alg": "ES256", "kid": self.key_id});
        let claims = json!({"iss": self.team_id, "iat": crate::clock::now()});
        let value = Zeroizing::new(jwt::sign_es256(&self.key, &self.rng, &header, &claims)?);
        *cached = Some(ProviderToken {
            value: value.clone(),
            issued: Instant::now(),
        });
        Ok(value)
    }

    fn forget_provider_token(&self) {
        if let Ok(mut cached) = self.token.lock() {
            *cached = None;
        }
    }

    async fn send_once(
        &self,
        target: &PushTarget,
        payload: &Payload,
        body: &str,
    ) -> Result<(), Attempt> {
        let token = self.provider_token().map_err(Attempt::Failed)?;
        let response = self
            .client
            .post(format!("{}/3/device/{}", self.endpoint, target.token))
            .header("authorization", format!("bearer {}", token.as_str()))
            .header("apns-topic", &self.topic)
            .header("apns-push-type", "alert")
            .header("apns-priority", "10")
            .header("apns-expiration", payload.expires_at.to_string())
            .header("apns-id", uuid(&payload.message_id))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
            .await
            .map_err(|err| Attempt::Failed(err.into()))?;
        let status = response.status().as_u16();
        if status == 200 {
            return Ok(());
        }
        let answer = response.bytes().await.unwrap_or_default();
        let reason = serde_json::from_slice::<serde_json::Value>(&answer)
            .ok()
            .and_then(|v| v["reason"].as_str().map(super::sanitize_reason))
            .unwrap_or_default();
        if status == 410 {
            return Err(Attempt::Failed(PushError::Unregistered));
        }
        let expired = status == 403 && reason == "ExpiredProviderToken";
        let rejected = PushError::Rejected { status, reason };
        if expired {
            Err(Attempt::Unauthorized(rejected))
        } else {
            Err(Attempt::Failed(rejected))
        }
    }
}

/// A message id in the canonical UUID form `apns-id` wants.
fn uuid(id: &[u8; 16]) -> String {
    let hex: String = id.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// The APNs request body.
pub fn message_body(payload_inline: Option<&str>, notice: &Notice) -> serde_json::Value {
    let mut body = json!({
        "aps": {
            "alert": {"title": notice.title, "body": notice.body},
            "mutable-content": 1,
        }
    });
    match payload_inline {
        Some(envelope) => body["nextauth"] = json!(envelope),
        None => body["nextauth_pull"] = json!("1"),
    }
    body
}

impl PushSender for ApnsSender {
    fn deliver<'a>(&'a self, push: Push<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            if !super::is_valid_token(push.target.platform, &push.target.token) {
                return Err(PushError::Rejected {
                    status: 0,
                    reason: "malformed device token".into(),
                });
            }
            let payload = Payload::new(push.envelope, crate::clock::now())?;
            let body = message_body(payload.inline.as_deref(), push.notice).to_string();
            // An expired provider token: sign a new one and try once more.
            super::send_renewing_credential(
                || self.send_once(push.target, &payload, &body),
                || async { self.forget_provider_token() },
            )
            .await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_become_uuids() {
        let id: [u8; 16] = core::array::from_fn(|i| i as u8);
        assert_eq!(uuid(&id), "00010203-0405-0607-0809-0a0b0c0d0e0f");
    }

    #[test]
    fn oversized_envelopes_ask_the_app_to_pull() {
        let notice = Notice {
            title: "t".into(),
            body: "b".into(),
        };
        let body = message_body(None, &notice);
        assert_eq!(body["nextauth_pull"], "1");
        assert!(body.get("nextauth").is_none());
        assert_eq!(body["aps"]["mutable-content"], 1);
    }
}
