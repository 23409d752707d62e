//! Firebase Cloud Messaging, HTTP v1 API.
//!
//! `POST {endpoint}/v1/projects/{project_id}/messages:send` with `Authorization: Bearer
//! <access token>` and
//! `{"message":{"token":…,"data":{"nextauth":"<base64 envelope>","title":…,"body":…},
//! "android":{"priority":"HIGH","ttl":"<secs>s"}}}`: a data-only, high-priority message, so the
//! app's messaging service runs, opens the envelope and shows its own notification.
//!
//! The access token comes from the Google service account: a JWT signed with its RSA key
//! (RS256) is exchanged at the account's `token_uri` (OAuth 2.0 JWT bearer grant), and cached
//! until shortly before it expires.

use std::time::{Duration, Instant};

use ring::rand::SystemRandom;
use ring::signature::RsaKeyPair;
use serde::Deserialize;
use serde_json::json;
use zeroize::Zeroizing;

use super::{jwt, Attempt, Notice, Payload, Push, PushError, PushSender, PushTarget, SendFuture};

/// Google's FCM endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://fcm.googleapis.com";
/// Google's OAuth token endpoint, used when the service account names none.
pub const DEFAULT_TOKEN_URI: &str = "https://oauth2.googleapis.com/token";
/// The OAuth scope FCM needs.
pub const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
/// The OAuth grant type of a signed-JWT exchange.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// An access token is renewed this long before it expires.
const RENEW_BEFORE: Duration = Duration::from_secs(300);
/// Lifetime asked for the signed assertion (Google's maximum).
const ASSERTION_LIFETIME: u64 = 3600;

/// The fields of a Google service-account JSON file that the sender uses.
#[derive(Deserialize)]
pub struct ServiceAccount {
    /// The Firebase project.
    pub project_id: String,
    /// The account's e-mail address (the JWT issuer).
    pub client_email: String,
    /// Its RSA private key, PKCS#8 PEM.
    #[serde(deserialize_with = "zeroizing")]
    pub private_key: Zeroizing<String>,
    /// Its key id (the JWT's `kid`), if given.
    #[serde(default)]
    pub private_key_id: Option<String>,
    /// Where to exchange the signed JWT for an access token.
    #[serde(default)]
    pub token_uri: Option<String>,
}

/// Reads a secret string straight into a [`Zeroizing`] wrapper.
fn zeroizing<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Zeroizing<String>, D::Error> {
    String::deserialize(d).map(Zeroizing::new)
}

impl std::fmt::Debug for ServiceAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceAccount")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl ServiceAccount {
    /// Parses a service-account JSON file's text.
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] when it is not JSON or lacks a field (the message names no value).
    pub fn from_json(json: &str) -> Result<Self, PushError> {
        serde_json::from_str(json).map_err(|err| {
            // serde_json's message names the field and position, not the contents.
            PushError::Config(format!("FCM service-account JSON: {err}"))
        })
    }
}

/// What the FCM sender is built from.
#[derive(Debug)]
pub struct FcmConfig {
    /// The service account.
    pub service_account: ServiceAccount,
    /// Base URL of the FCM API (no trailing slash needed).
    pub endpoint: String,
}

struct AccessToken {
    value: Zeroizing<String>,
    renew_at: Instant,
}

/// Sends through FCM HTTP v1.
pub struct FcmSender {
    client: reqwest::Client,
    send_url: String,
    token_uri: String,
    client_email: String,
    key_id: Option<String>,
    key: RsaKeyPair,
    rng: SystemRandom,
    token: tokio::sync::Mutex<Option<AccessToken>>,
}

impl std::fmt::Debug for FcmSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcmSender")
            .field("send_url", &self.send_url)
            .field("token_uri", &self.token_uri)
            .finish_non_exhaustive()
    }
}

impl FcmSender {
    /// Builds the sender: loads the RSA key and the HTTP client.
    ///
    /// # Errors
    ///
    /// [`PushError::Config`] when the key is not a PKCS#8 RSA key ring accepts (2048 bits or
    /// more) or the URLs are not http(s).
    pub fn new(config: FcmConfig) -> Result<Self, PushError> {
        let account = config.service_account;
        let der = jwt::pem_decode(&account.private_key, "PRIVATE KEY")?;
        let key = RsaKeyPair::from_pkcs8(&der).map_err(|err| {
            PushError::Config(format!("FCM private key is not a usable RSA key: {err}"))
        })?;
        let token_uri = account
            .token_uri
            .unwrap_or_else(|| DEFAULT_TOKEN_URI.to_owned());
        for url in [&config.endpoint, &token_uri] {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(PushError::Config(format!("FCM URL `{url}` is not http(s)")));
            }
        }
        if account.project_id.is_empty()
            || !account
                .project_id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(PushError::Config(
                "FCM project_id is not a project id".into(),
            ));
        }
        let send_url = format!(
            "{}/v1/projects/{}/messages:send",
            config.endpoint.trim_end_matches('/'),
            account.project_id
        );
        Ok(Self {
            client: super::http_client(false)?,
            send_url,
            token_uri,
            client_email: account.client_email,
            key_id: account.private_key_id,
            key,
            rng: SystemRandom::new(),
            token: tokio::sync::Mutex::new(None),
        })
    }

    /// The cached access token, or a fresh one from the token endpoint.
    async fn access_token(&self) -> Result<Zeroizing<String>, PushError> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref().filter(|t| Instant::now() < t.renew_at) {
            return Ok(token.value.clone());
        }
        let now = crate::clock::now();
        let mut header = json!({"alg": "RS256", "typ": "JWT"});
        if let Some(kid) = &self.key_id {
            header["kid"] = json!(kid);
        }
        let claims = json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now,
            "exp": now + ASSERTION_LIFETIME,
        });
        let assertion = Zeroizing::new(jwt::sign_rs256(&self.key, &self.rng, &header, &claims)?);
        // Both values are URL-safe already, apart from the grant type's colons.
        let form = Zeroizing::new(format!(
            "grant_type={}&assertion={}",
            JWT_BEARER_GRANT.replace(':', "%3A"),
            assertion.as_str()
        ));
        let response = self
            .client
            .post(&self.token_uri)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form.as_bytes().to_vec())
            .send()
            .await?;
        let status = response.status();
        let body = response.bytes().await?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(super::sanitize_reason))
                .unwrap_or_default();
            return Err(PushError::Auth(format!(
                "token endpoint answered HTTP {} {reason}",
                status.as_u16()
            )));
        }
        #[derive(Deserialize)]
        struct TokenResponse {
            #[serde(deserialize_with = "zeroizing")]
            access_token: Zeroizing<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let answer: TokenResponse = serde_json::from_slice(&body)
            .map_err(|_| PushError::Auth("token endpoint answered no access token".into()))?;
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(3600));
        let renew_in = if lifetime > RENEW_BEFORE * 2 {
            lifetime - RENEW_BEFORE
        } else {
            lifetime / 2
        };
        *cached = Some(AccessToken {
            value: answer.access_token.clone(),
            renew_at: Instant::now() + renew_in,
        });
        Ok(answer.access_token)
    }

    async fn forget_access_token(&self) {
        *self.token.lock().await = None;
    }

    async fn send_once(&self, message: &serde_json::Value) -> Result<(), Attempt> {
        let token = self.access_token().await.map_err(Attempt::Failed)?;
        let response = self
            .client
            .post(&self.send_url)
            .bearer_auth(token.as_str())
            .header("content-type", "application/json")
            .body(message.to_string())
            .send()
            .await
            .map_err(|err| Attempt::Failed(err.into()))?;
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(());
        }
        let body = response.bytes().await.unwrap_or_default();
        let error = serde_json::from_slice::<serde_json::Value>(&body).unwrap_or_default();
        let error_code = error["error"]["details"]
            .as_array()
            .and_then(|details| details.iter().find_map(|d| d["errorCode"].as_str()))
            .map(super::sanitize_reason);
        if status == 404 && error_code.as_deref() == Some("UNREGISTERED") {
            return Err(Attempt::Failed(PushError::Unregistered));
        }
        let reason = error_code
            .or_else(|| {
                error["error"]["status"]
                    .as_str()
                    .map(super::sanitize_reason)
            })
            .unwrap_or_default();
        let rejected = PushError::Rejected { status, reason };
        if status == 401 {
            Err(Attempt::Unauthorized(rejected))
        } else {
            Err(Attempt::Failed(rejected))
        }
    }
}

/// The FCM HTTP v1 request body for `target`.
pub fn message_body(
    target: &PushTarget,
    payload_inline: Option<&str>,
    ttl: u64,
    notice: &Notice,
) -> serde_json::Value {
    let mut data = json!({"title": notice.title, "body": notice.body});
    match payload_inline {
        Some(envelope) => data["nextauth"] = json!(envelope),
        None => data["nextauth_pull"] = json!("1"),
    }
    json!({
        "message": {
            "token": target.token,
            "data": data,
            "android": {"priority": "HIGH", "ttl": format!("{ttl}s")},
        }
    })
}

impl PushSender for FcmSender {
    fn deliver<'a>(&'a self, push: Push<'a>) -> SendFuture<'a> {
        Box::pin(async move {
            let payload = Payload::new(push.envelope, crate::clock::now())?;
            let message = message_body(
                push.target,
                payload.inline.as_deref(),
                payload.ttl,
                push.notice,
            );
            // A refused access token: get a new one and try once more.
            super::send_renewing_credential(
                || self.send_once(&message),
                || self.forget_access_token(),
            )
            .await
        })
    }
}
