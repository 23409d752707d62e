//! App tokens: what an app logged in with AppLogin shows its own backend. The server states,
//! signed with its key, that one of its accounts is logged into an AppLogin session, for one
//! audience (the backend) and a short time. The backend checks it offline with the server's
//! public key ([`verify`]), or online with the server's REST API, which also says whether the
//! session is still logged in (docs/protocol.md 10.7).
//!
//! ```text
//! token  = "nat1." ‖ base64url(claims) ‖ "." ‖ base64url(signature)
//! claims = u8 version = 1 ‖ [16] server id ‖ [16] token id ‖ u64 account id ‖ str8 userid
//!          ‖ str8 audience ‖ [16] session ref ‖ u64 issued at ‖ u64 expires at
//! signature = ECDSA-P256(server key, "nextauth-rs/1 app token" ‖ claims)
//! ```

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::codec::{Reader, Writer};
use crate::crypto::{PublicKey, Signature, Signer, SIGNATURE_LEN};
use crate::error::{ProtocolError, Result};
use crate::ids::{ServerId, SessionRef};

/// What every token starts with.
pub const PREFIX: &str = "nat1.";
/// The signature's label.
const LABEL: &[u8] = b"nextauth-rs/1 app token";
/// Longest audience (bytes).
pub const MAX_AUDIENCE_LEN: usize = 255;
/// Longest lifetime a token may claim (seconds).
pub const MAX_TTL_SECS: u64 = 3600;
/// Longest token text accepted.
const MAX_TOKEN_LEN: usize = 2048;

/// What a token states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppTokenClaims {
    /// The server that issued it.
    pub server_id: ServerId,
    /// Random, unique per token.
    pub token_id: [u8; 16],
    /// The account (the server's REST id).
    pub account_id: u64,
    /// The user the account belongs to (`""`: none yet).
    pub userid: String,
    /// Who the token is for (the app's backend, as the app named it).
    pub audience: String,
    /// The AppLogin session.
    pub session_ref: SessionRef,
    /// Issued (Unix s).
    pub issued_at: u64,
    /// Not valid after (Unix s).
    pub expires_at: u64,
}

/// Why a token is not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppTokenError {
    /// Not a token of this form (or of an unknown version).
    Malformed(ProtocolError),
    /// The signature does not verify under the server's key.
    BadSignature,
    /// The token is for another audience.
    WrongAudience,
    /// Issued by another server.
    WrongServer,
    /// Past its expiry, issued in the future, or claiming more than [`MAX_TTL_SECS`].
    Expired,
}

impl core::fmt::Display for AppTokenError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Malformed(err) => write!(f, "not an app token: {err}"),
            Self::BadSignature => f.write_str("the app token's signature does not verify"),
            Self::WrongAudience => f.write_str("the app token is for another audience"),
            Self::WrongServer => f.write_str("the app token is from another server"),
            Self::Expired => f.write_str("the app token has expired or is not valid yet"),
        }
    }
}

impl std::error::Error for AppTokenError {}

impl From<ProtocolError> for AppTokenError {
    fn from(err: ProtocolError) -> Self {
        Self::Malformed(err)
    }
}

impl AppTokenClaims {
    /// The canonical encoding.
    pub fn encode(&self) -> Result<Vec<u8>> {
        if self.audience.len() > MAX_AUDIENCE_LEN {
            return Err(ProtocolError::Oversized {
                field: "audience",
                limit: MAX_AUDIENCE_LEN,
            });
        }
        let mut w = Writer::new();
        w.u8(1)
            .raw(&self.server_id.0)
            .raw(&self.token_id)
            .u64(self.account_id)
            .bytes8(self.userid.as_bytes(), "userid")?
            .bytes8(self.audience.as_bytes(), "audience")?
            .raw(&self.session_ref.0)
            .u64(self.issued_at)
            .u64(self.expires_at);
        Ok(w.into_bytes())
    }

    /// Decodes claims (nothing is checked but the form).
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let version = r.u8("app_token.version")?;
        if version != 1 {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let claims = Self {
            server_id: ServerId(r.array("app_token.server_id")?),
            token_id: r.array("app_token.token_id")?,
            account_id: r.u64("app_token.account_id")?,
            userid: r.str8("app_token.userid")?,
            audience: r.str8("app_token.audience")?,
            session_ref: SessionRef(r.array("app_token.session_ref")?),
            issued_at: r.u64("app_token.issued_at")?,
            expires_at: r.u64("app_token.expires_at")?,
        };
        r.finish()?;
        Ok(claims)
    }

    /// The token text, signed by `key` (the server's).
    pub fn sign(&self, key: &dyn Signer, rng: &dyn ring::rand::SecureRandom) -> Result<String> {
        let claims = self.encode()?;
        let signature = key.sign(rng, &[LABEL, &claims].concat())?;
        Ok(format!(
            "{PREFIX}{}.{}",
            URL_SAFE_NO_PAD.encode(&claims),
            URL_SAFE_NO_PAD.encode(signature.0)
        ))
    }
}

/// A token taken apart, its signature not checked yet (the server reads the server id first
/// to know whose key must have signed).
#[derive(Debug, Clone)]
pub struct UnverifiedToken {
    /// What it claims.
    pub claims: AppTokenClaims,
    bytes: Vec<u8>,
    signature: Signature,
}

impl UnverifiedToken {
    /// Parses `token`.
    pub fn parse(token: &str) -> core::result::Result<Self, AppTokenError> {
        let malformed = |reason| {
            AppTokenError::Malformed(ProtocolError::Malformed {
                field: "app_token",
                reason,
            })
        };
        let token = token.trim();
        if token.len() > MAX_TOKEN_LEN {
            return Err(malformed("too long"));
        }
        let rest = token
            .strip_prefix(PREFIX)
            .ok_or(AppTokenError::Malformed(ProtocolError::NotOurs))?;
        let (claims, signature) = rest.split_once('.').ok_or(malformed("no signature"))?;
        let bytes = URL_SAFE_NO_PAD
            .decode(claims)
            .map_err(|_| malformed("claims are not base64url"))?;
        let signature: [u8; SIGNATURE_LEN] = URL_SAFE_NO_PAD
            .decode(signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(malformed("signature is not 64 bytes of base64url"))?;
        Ok(Self {
            claims: AppTokenClaims::decode(&bytes)?,
            bytes,
            signature: Signature(signature),
        })
    }

    /// Checks the signature under `server_key` (the key of the server the claims name), the
    /// audience and the time.
    pub fn verify(
        self,
        server_key: &PublicKey,
        audience: &str,
        now: u64,
    ) -> core::result::Result<AppTokenClaims, AppTokenError> {
        server_key
            .verify(&[LABEL, &self.bytes].concat(), &self.signature)
            .map_err(|_| AppTokenError::BadSignature)?;
        let c = self.claims;
        if c.audience != audience {
            return Err(AppTokenError::WrongAudience);
        }
        let lifetime = c.expires_at.saturating_sub(c.issued_at);
        if now > c.expires_at || now + 60 < c.issued_at || lifetime > MAX_TTL_SECS {
            return Err(AppTokenError::Expired);
        }
        Ok(c)
    }
}

/// Checks `token` for `audience` at `now`, issued by `server` with `server_key`: what a
/// backend does offline with the server's public key.
pub fn verify(
    token: &str,
    server: &ServerId,
    server_key: &PublicKey,
    audience: &str,
    now: u64,
) -> core::result::Result<AppTokenClaims, AppTokenError> {
    let parsed = UnverifiedToken::parse(token)?;
    if &parsed.claims.server_id != server {
        return Err(AppTokenError::WrongServer);
    }
    parsed.verify(server_key, audience, now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SigningKey;

    fn claims() -> AppTokenClaims {
        AppTokenClaims {
            server_id: ServerId([7; 16]),
            token_id: [9; 16],
            account_id: 42,
            userid: "alice".into(),
            audience: "https://api.acme.test".into(),
            session_ref: SessionRef([3; 16]),
            issued_at: 1_000,
            expires_at: 1_300,
        }
    }

    #[test]
    fn a_token_verifies_for_its_audience_server_and_time_only() {
        let rng = ring::rand::SystemRandom::new();
        let key = SigningKey::generate(&rng).unwrap().0;
        let other = SigningKey::generate(&rng).unwrap().0;
        let token = claims().sign(&key, &rng).unwrap();
        assert!(token.starts_with(PREFIX));
        let server = ServerId([7; 16]);
        let aud = "https://api.acme.test";
        assert_eq!(
            verify(&token, &server, &key.public_key(), aud, 1_100).unwrap(),
            claims()
        );
        assert_eq!(
            verify(&token, &server, &other.public_key(), aud, 1_100),
            Err(AppTokenError::BadSignature)
        );
        assert_eq!(
            verify(
                &token,
                &server,
                &key.public_key(),
                "https://evil.test",
                1_100
            ),
            Err(AppTokenError::WrongAudience)
        );
        assert_eq!(
            verify(&token, &ServerId([8; 16]), &key.public_key(), aud, 1_100),
            Err(AppTokenError::WrongServer)
        );
        assert_eq!(
            verify(&token, &server, &key.public_key(), aud, 1_301),
            Err(AppTokenError::Expired)
        );
        // Any changed character of the claims breaks the signature (or the form).
        let body = PREFIX.len() + 4;
        let mut chars: Vec<char> = token.chars().collect();
        chars[body] = if chars[body] == 'A' { 'B' } else { 'A' };
        let tampered: String = chars.into_iter().collect();
        assert!(verify(&tampered, &server, &key.public_key(), aud, 1_100).is_err());
        assert!(matches!(
            verify("nat1.zz", &server, &key.public_key(), aud, 1_100),
            Err(AppTokenError::Malformed(_))
        ));
        // A token claiming too long a life is refused even when signed.
        let mut long = claims();
        long.expires_at = long.issued_at + MAX_TTL_SECS + 1;
        let token = long.sign(&key, &rng).unwrap();
        assert_eq!(
            verify(&token, &server, &key.public_key(), aud, 1_100),
            Err(AppTokenError::Expired)
        );
    }
}
