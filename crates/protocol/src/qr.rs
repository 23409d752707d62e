//! QR payloads: the raw bytes inside enrol, login and transaction codes, and the same bytes as a
//! deep link (`https://host/<prefix>/<base64url>`) or an app-to-app URI (`<scheme>:<base64url>`).
//!
//! ```text
//! offset  size  field
//! 0       2     magic "nA" (0x6E 0x41)
//! 2       1     version (1)
//! 3       1     type: 1 ENROL, 2 LOGIN, 3 TRANSACTION
//! 4       1+n   server endpoint URL (ws:// or wss://), one-byte length
//! ..      16    server id
//! LOGIN:        session ref (16)
//! ENROL:        session ref (16) | enrol secret (16) | expires at (u64, Unix s)
//!               | server parameters hash (32) | display name (1+n, UTF-8)
//! TRANSACTION:  transaction ref (16)
//! ```

use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use zeroize::Zeroize;

use crate::codec::{Reader, Writer};
use crate::crypto::HASH_LEN;
use crate::error::{ProtocolError, Result};
use crate::ids::{ServerId, SessionRef, TransactionRef};

/// The two magic bytes that open every payload.
pub const MAGIC: [u8; 2] = *b"nA";
/// The payload version this implementation writes and reads.
pub const VERSION: u8 = 1;
/// The largest payload accepted; it fits a version-13 QR code at error-correction level M.
pub const MAX_PAYLOAD_LEN: usize = 400;
/// The largest display name, in bytes.
pub const MAX_DISPLAY_NAME_LEN: usize = 64;

const TYPE_ENROL: u8 = 1;
const TYPE_LOGIN: u8 = 2;
const TYPE_TRANSACTION: u8 = 3;

/// The one-time secret of an enrol code. Zeroised on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct EnrolSecret(pub [u8; 16]);

impl Drop for EnrolSecret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl core::fmt::Debug for EnrolSecret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("EnrolSecret(..)")
    }
}

/// What an enrol code carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolCode {
    /// The server's app endpoint (`wss://…/sigmai`).
    pub endpoint: String,
    /// Which virtual server.
    pub server_id: ServerId,
    /// The browser session that shows the code.
    pub session_ref: SessionRef,
    /// One-time secret that authorises creating one account.
    pub secret: EnrolSecret,
    /// Unix seconds after which the code is refused.
    pub expires_at: u64,
    /// [`crate::params::params_hash`] of the server parameters the app must receive.
    pub params_hash: [u8; HASH_LEN],
    /// The account name the integrator chose (shown to the person, stored with the account).
    pub display_name: String,
}

/// What a login code carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoginCode {
    /// The server's app endpoint.
    pub endpoint: String,
    /// Which virtual server.
    pub server_id: ServerId,
    /// The browser session to log in.
    pub session_ref: SessionRef,
}

/// What a transaction code carries. The transaction's text is not in the code: the app receives
/// it from the authenticated server, so a forged code cannot change what the person approves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionCode {
    /// The server's app endpoint.
    pub endpoint: String,
    /// Which virtual server.
    pub server_id: ServerId,
    /// The transaction to approve.
    pub transaction_ref: TransactionRef,
}

/// A decoded QR payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QrPayload {
    /// Create an account.
    Enrol(EnrolCode),
    /// Log in to a browser (or other) session.
    Login(LoginCode),
    /// Approve or decline a transaction.
    Transaction(TransactionCode),
}

impl QrPayload {
    /// The server this payload is for.
    pub fn server_id(&self) -> &ServerId {
        match self {
            Self::Enrol(c) => &c.server_id,
            Self::Login(c) => &c.server_id,
            Self::Transaction(c) => &c.server_id,
        }
    }

    /// The server's app endpoint.
    pub fn endpoint(&self) -> &str {
        match self {
            Self::Enrol(c) => &c.endpoint,
            Self::Login(c) => &c.endpoint,
            Self::Transaction(c) => &c.endpoint,
        }
    }

    /// Encodes the payload as the raw bytes of a QR code.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut w = Writer::new();
        w.raw(&MAGIC).u8(VERSION);
        let ty = match self {
            Self::Enrol(_) => TYPE_ENROL,
            Self::Login(_) => TYPE_LOGIN,
            Self::Transaction(_) => TYPE_TRANSACTION,
        };
        w.u8(ty);
        check_endpoint(self.endpoint())?;
        w.bytes8(self.endpoint().as_bytes(), "endpoint")?
            .raw(&self.server_id().0);
        match self {
            Self::Login(c) => {
                w.raw(&c.session_ref.0);
            }
            Self::Transaction(c) => {
                w.raw(&c.transaction_ref.0);
            }
            Self::Enrol(c) => {
                check_display_name(&c.display_name)?;
                w.raw(&c.session_ref.0)
                    .raw(&c.secret.0)
                    .u64(c.expires_at)
                    .raw(&c.params_hash);
                w.bytes8(c.display_name.as_bytes(), "display_name")?;
            }
        }
        let out = w.into_bytes();
        if out.len() > MAX_PAYLOAD_LEN {
            return Err(ProtocolError::Oversized {
                field: "payload",
                limit: MAX_PAYLOAD_LEN,
            });
        }
        Ok(out)
    }

    /// Decodes raw QR bytes and refuses enrol codes that expired before `now` (Unix seconds).
    pub fn decode(bytes: &[u8], now: u64) -> Result<Self> {
        let payload = Self::decode_unchecked(bytes)?;
        if let Self::Enrol(code) = &payload {
            if now > code.expires_at {
                return Err(ProtocolError::EnrolExpired);
            }
        }
        Ok(payload)
    }

    /// Decodes raw QR bytes without looking at the clock.
    pub fn decode_unchecked(bytes: &[u8]) -> Result<Self> {
        if bytes.len() > MAX_PAYLOAD_LEN {
            return Err(ProtocolError::Oversized {
                field: "payload",
                limit: MAX_PAYLOAD_LEN,
            });
        }
        let mut r = Reader::new(bytes);
        if r.take(2, "magic").map_err(|_| ProtocolError::NotOurs)? != MAGIC {
            return Err(ProtocolError::NotOurs);
        }
        let version = r.u8("version")?;
        if version != VERSION {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let ty = r.u8("type")?;
        if !matches!(ty, TYPE_ENROL | TYPE_LOGIN | TYPE_TRANSACTION) {
            return Err(ProtocolError::UnknownType(ty));
        }
        let endpoint = r.str8("endpoint")?;
        check_endpoint(&endpoint)?;
        let server_id = ServerId(r.array("server_id")?);
        let payload = match ty {
            TYPE_LOGIN => Self::Login(LoginCode {
                endpoint,
                server_id,
                session_ref: SessionRef(r.array("session_ref")?),
            }),
            TYPE_TRANSACTION => Self::Transaction(TransactionCode {
                endpoint,
                server_id,
                transaction_ref: TransactionRef(r.array("transaction_ref")?),
            }),
            _ => {
                let session_ref = SessionRef(r.array("session_ref")?);
                let secret = EnrolSecret(r.array("enrol_secret")?);
                let expires_at = r.u64("expires_at")?;
                let params_hash = r.array("params_hash")?;
                let display_name = r.str8("display_name")?;
                check_display_name(&display_name)?;
                Self::Enrol(EnrolCode {
                    endpoint,
                    server_id,
                    session_ref,
                    secret,
                    expires_at,
                    params_hash,
                    display_name,
                })
            }
        };
        r.finish()?;
        Ok(payload)
    }

    /// The payload as a deep link: `<base>/<base64url>`, where `base` is an `https://` URL that
    /// ends with the app's path prefix (for example `https://auth.example.com/q`).
    pub fn to_deep_link(&self, base: &str) -> Result<String> {
        if !base.starts_with("https://") {
            return Err(ProtocolError::Malformed {
                field: "deep_link_base",
                reason: "must be https",
            });
        }
        Ok(format!(
            "{}/{}",
            base.trim_end_matches('/'),
            URL_SAFE_NO_PAD.encode(self.encode()?)
        ))
    }

    /// The payload as an app-to-app URI: `<scheme>:<base64url>`.
    pub fn to_app_uri(&self, scheme: &str) -> Result<String> {
        check_scheme(scheme)?;
        Ok(format!(
            "{scheme}:{}",
            URL_SAFE_NO_PAD.encode(self.encode()?)
        ))
    }
}

/// Which link forms an app accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkRules {
    /// Accepted deep-link prefixes, each `https://host/path-prefix` (no trailing slash).
    pub https_prefixes: Vec<String>,
    /// Accepted app-to-app URI schemes.
    pub schemes: Vec<String>,
}

/// Decodes a deep link or app-to-app URI into payload bytes, without parsing the payload.
pub fn link_bytes(input: &str, rules: &LinkRules) -> Result<Vec<u8>> {
    let input = input.trim();
    if input.len() > 4 * MAX_PAYLOAD_LEN {
        return Err(ProtocolError::Oversized {
            field: "link",
            limit: 4 * MAX_PAYLOAD_LEN,
        });
    }
    let encoded = if input
        .get(..8)
        .is_some_and(|s| s.eq_ignore_ascii_case("https://"))
    {
        // Scheme and host compare without case (people and mail clients write
        // "Links.Acme.test"); the path, which carries the payload, exactly.
        let (origin, path) = split_origin(input);
        let rest = rules
            .https_prefixes
            .iter()
            .find_map(|prefix| {
                let (prefix_origin, prefix_path) = split_origin(prefix.trim_end_matches('/'));
                if !origin.eq_ignore_ascii_case(prefix_origin) {
                    return None;
                }
                path.strip_prefix(prefix_path)?.strip_prefix('/')
            })
            .ok_or(ProtocolError::NotOurs)?;
        // Links pass through mail clients and chat apps that add query strings or fragments.
        rest.split(['?', '#']).next().unwrap_or_default()
    } else {
        let (scheme, rest) = input.split_once(':').ok_or(ProtocolError::NotOurs)?;
        if !rules.schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)) {
            return Err(ProtocolError::NotOurs);
        }
        rest.trim_start_matches("//")
    };
    URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .map_err(|_| ProtocolError::Malformed {
            field: "link",
            reason: "payload is not base64url",
        })
}

/// `https://host[:port]` and the path after it (`url` starts with `https://`, in any case).
fn split_origin(url: &str) -> (&str, &str) {
    let end = url
        .get(8..)
        .and_then(|after| after.find('/'))
        .map_or(url.len(), |i| 8 + i);
    url.split_at(end)
}

/// Decodes a deep link or app-to-app URI and the payload inside it.
pub fn decode_link(input: &str, rules: &LinkRules, now: u64) -> Result<QrPayload> {
    QrPayload::decode(&link_bytes(input, rules)?, now)
}

fn check_endpoint(url: &str) -> Result<()> {
    let ok_scheme = url.starts_with("wss://") || url.starts_with("ws://");
    let ok_chars = url.bytes().all(|b| b.is_ascii_graphic());
    if !ok_scheme || !ok_chars || url.len() < 8 {
        return Err(ProtocolError::Malformed {
            field: "endpoint",
            reason: "must be a ws:// or wss:// URL",
        });
    }
    Ok(())
}

fn check_display_name(name: &str) -> Result<()> {
    if name.len() > MAX_DISPLAY_NAME_LEN {
        return Err(ProtocolError::Oversized {
            field: "display_name",
            limit: MAX_DISPLAY_NAME_LEN,
        });
    }
    if name.chars().any(char::is_control) {
        return Err(ProtocolError::Malformed {
            field: "display_name",
            reason: "control character",
        });
    }
    Ok(())
}

fn check_scheme(scheme: &str) -> Result<()> {
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) {
        return Err(ProtocolError::Malformed {
            field: "scheme",
            reason: "not a URI scheme",
        });
    }
    Ok(())
}
