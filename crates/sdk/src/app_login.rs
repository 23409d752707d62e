//! AppLogin: the app logs itself into its own backend with its single account, and gets
//! tokens for it while that session lasts.

use nextauth_protocol::qr::QrPayload;

use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};
use crate::model::CodeSource;
use crate::store::AccountRecord;
use crate::Sdk;

impl Sdk {
    /// AppLogin: a token for the app's own backend (`audience`, e.g. its API's URL), valid for
    /// a few minutes while the AppLogin session is logged in. The server signs it; the backend
    /// checks it with the server's public key or its REST API (docs/sdk.md). Fails with
    /// `NoAppLogin` (135) when no AppLogin session runs, `Refused` when the server will not
    /// vouch for it (111: the session is no longer logged in).
    pub async fn app_login_token(&self, audience: &str) -> SdkResult<crate::model::AppToken> {
        if audience.is_empty()
            || audience.len() > nextauth_protocol::app_token::MAX_AUDIENCE_LEN
            || audience.chars().any(char::is_control)
        {
            return Err(SdkError::Engine(EngineError::InvalidInput("audience")));
        }
        let flow_id = self
            .inner
            .app_login
            .lock()
            .ok()
            .and_then(|slot| slot.as_ref().map(|(id, _, _)| id.clone()))
            .ok_or(SdkError::NoAppLogin)?;
        // Right after the login the session may still be on its way from flow to session.
        let mut found = None;
        for _ in 0..20 {
            found = self.inner.sessions.lock().ok().and_then(|s| {
                s.get(&flow_id)
                    .map(|s| (s.session_ref, s.account_id.clone()))
            });
            if found.is_some() || self.active_flow().as_deref() != Some(flow_id.as_str()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (session_ref, account_id) = found.ok_or(SdkError::NoAppLogin)?;
        let record = self
            .inner
            .store
            .account(&account_id)
            .await?
            .ok_or(SdkError::NoAppLogin)?;
        let request = nextauth_protocol::messages::AppRecord::TokenRequest {
            session_ref: nextauth_protocol::ids::SessionRef(session_ref),
            audience: audience.to_owned(),
        };
        let answer = crate::channel::AccountChannel::ask_once(&self.inner, &record, &request);
        match answer.await? {
            nextauth_protocol::messages::ServerRecord::AppToken { token } => {
                let parsed = nextauth_protocol::app_token::UnverifiedToken::parse(&token)
                    .map_err(|_| nextauth_protocol::ProtocolError::UnexpectedMessage)?;
                Ok(crate::model::AppToken {
                    token,
                    audience: audience.to_owned(),
                    expires_at: parsed.claims.expires_at,
                })
            }
            _ => Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
        }
    }

    /// AppLogin: logs the app itself into its backend with its single account. Returns the
    /// flow id (watch it like any login; the PIN is asked when due) and the web nonce, which
    /// the app hands to its backend: the backend asks the server about that session with the
    /// REST API (`getSession` with `X-nonce`) and so learns which user is logged in. The nonce
    /// is the bearer token of this login; treat it as a secret. On a continuous server the
    /// session lasts until [`Sdk::stop`], the server's logout, or the configured inactivity
    /// ([`Sdk::app_login_activity`]) or lifetime limits.
    pub async fn app_login(&self) -> SdkResult<crate::model::AppLogin> {
        let records: Vec<AccountRecord> = self
            .inner
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|r| !r.pending_delete)
            .collect();
        let record = match records.as_slice() {
            [one] => one,
            [] => return Err(SdkError::Engine(EngineError::NoAccountsForServer)),
            _ => return Err(SdkError::Engine(EngineError::SingleAccount)),
        };
        let server = self
            .inner
            .store
            .server(&record.server_id)
            .await?
            .ok_or(SdkError::CorruptRow("account"))?;
        let bytes: [u8; 32] = nextauth_protocol::crypto::random_array(&self.inner.rng)?;
        let nonce =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
        let session_ref =
            nextauth_protocol::ids::SessionRef::derive(&record.server_id, nonce.as_bytes());
        let code = nextauth_protocol::qr::LoginCode {
            endpoint: server.params.endpoint.clone(),
            server_id: record.server_id,
            session_ref,
        };
        let flow = self
            .start_payload_as(Ok(QrPayload::Login(code)), true, CodeSource::Camera, None)
            .await?;
        let now = std::time::Instant::now();
        if let Ok(mut slot) = self.inner.app_login.lock() {
            *slot = Some((flow.id.clone(), now, now));
        }
        Ok(crate::model::AppLogin {
            flow_id: flow.id,
            nonce,
        })
    }

    /// AppLogin: the person is using the app (resets the inactivity limit).
    pub fn app_login_activity(&self) {
        if let Ok(mut slot) = self.inner.app_login.lock() {
            if let Some((_, _, last)) = slot.as_mut() {
                *last = std::time::Instant::now();
            }
        }
    }
}
