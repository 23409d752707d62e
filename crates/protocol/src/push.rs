//! Push envelopes: messages from a server to one account in one app, carried by FCM, APNs or the
//! live connection, readable only by that app and authenticated by the server's key.
//!
//! ```text
//! version u8 (1) | server_id [16] | key_id [8] | message_id [16] | expires_at u64
//! | sealed bytes16: ChaCha20-Poly1305(message key, nonce 0, aad = everything before `sealed`)
//! | signature [64]: ECDSA-P256(server key, "nextauth-rs/1 push" || everything before it)
//!
//! message key = HKDF-Expand(HKDF-Extract("nextauth-rs/1 push", push key), "message key" || id)
//! key_id      = HMAC(push key, "nextauth-rs/1 push key id")[..8]
//! plaintext   = created_at u64 | kind u8 | body
//!   1 LOGIN:          session_ref [16] | announce SessionInfo | session SessionInfo
//!   2 LOGOUT:         session_ref [16]
//!   3 DELETE_ACCOUNT: (empty)
//!   4 MESSAGE:        title str8 | text str16
//! ```
//!
//! The push key is established by the enrolment handshake ([`crate::handshake::Session::push_key`])
//! and known only to that app and the server. A fresh key per message (derived from the random
//! message id) means the fixed nonce is never reused. `ring` has no static Diffie-Hellman, and a
//! symmetric key established under the authenticated handshake gives the same guarantee: only
//! that app instance can read, only the server can write (signature).

use std::collections::BTreeMap;

use ring::rand::SecureRandom;

use crate::codec::{Reader, Writer};
use crate::crypto::{self, PublicKey, Signature, Signer};
use crate::error::{ProtocolError, Result};
use crate::ids::{MessageId, ServerId, SessionRef};
use crate::messages::SessionInfo;

/// Envelope version.
pub const PUSH_VERSION: u8 = 1;
/// Largest envelope (FCM allows 4 KiB of data; APNs 4 KiB; the live connection more).
pub const MAX_ENVELOPE_LEN: usize = 16 * 1024;
/// Longest validity a message may claim; bounds how long ids are remembered for replays.
pub const MAX_TTL_SECS: u64 = 7 * 24 * 3600;
const SIGN_LABEL: &[u8] = b"nextauth-rs/1 push";

/// What a push message asks the app to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PushBody {
    /// Prompt the person to log in to this session (push login).
    Login {
        /// The session to log in.
        session_ref: SessionRef,
        /// What the website announces.
        announce: SessionInfo,
        /// The requesting browser.
        session: SessionInfo,
    },
    /// The session was logged out.
    Logout {
        /// The session.
        session_ref: SessionRef,
    },
    /// The server deleted the account: remove it from the app.
    DeleteAccount,
    /// A message for the person.
    Message {
        /// Short title.
        title: String,
        /// Text.
        text: String,
    },
}

/// A decrypted, verified push message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushMessage {
    /// The server that sent it.
    pub server_id: ServerId,
    /// Its id (de-duplication).
    pub message_id: MessageId,
    /// When the server created it (Unix seconds).
    pub created_at: u64,
    /// When it stops being valid (Unix seconds).
    pub expires_at: u64,
    /// What it says.
    pub body: PushBody,
}

/// The 8-byte id that tells the app which account's push key opens an envelope.
pub fn key_id(push_key: &[u8; 32]) -> [u8; 8] {
    let mac = crypto::hmac_sha256(push_key, &[b"nextauth-rs/1 push key id"]);
    let mut out = [0u8; 8];
    out.copy_from_slice(&mac[..8]);
    out
}

fn message_key(push_key: &[u8; 32], id: &MessageId) -> zeroize::Zeroizing<[u8; 32]> {
    crypto::Prk::extract(SIGN_LABEL, push_key).expand(b"message key", &id.0)
}

/// Seals and signs a message for the account whose push key is `push_key` (server side).
pub fn seal(
    rng: &dyn SecureRandom,
    server_key: &dyn Signer,
    server_id: ServerId,
    push_key: &[u8; 32],
    created_at: u64,
    expires_at: u64,
    body: &PushBody,
) -> Result<(MessageId, Vec<u8>)> {
    let message_id = MessageId(crypto::random_array(rng)?);
    let mut plain = Writer::new();
    plain.u64(created_at);
    match body {
        PushBody::Login {
            session_ref,
            announce,
            session,
        } => {
            plain.u8(1).raw(&session_ref.0);
            announce.encode(&mut plain)?;
            session.encode(&mut plain)?;
        }
        PushBody::Logout { session_ref } => {
            plain.u8(2).raw(&session_ref.0);
        }
        PushBody::DeleteAccount => {
            plain.u8(3);
        }
        PushBody::Message { title, text } => {
            plain.u8(4).bytes8(title.as_bytes(), "title")?;
            plain.bytes16(text.as_bytes(), "text", crate::messages::MAX_TEXT_LEN)?;
        }
    }
    let plain = zeroize::Zeroizing::new(plain.into_bytes());
    let mut w = Writer::new();
    w.u8(PUSH_VERSION)
        .raw(&server_id.0)
        .raw(&key_id(push_key))
        .raw(&message_id.0)
        .u64(expires_at);
    let sealed = crypto::seal(
        &message_key(push_key, &message_id),
        [0; 12],
        w.as_bytes(),
        &plain,
    )?;
    w.bytes16(&sealed, "sealed", MAX_ENVELOPE_LEN)?;
    let signature = server_key.sign(rng, &[SIGN_LABEL, w.as_bytes()].concat())?;
    w.raw(&signature.0);
    let out = w.into_bytes();
    if out.len() > MAX_ENVELOPE_LEN {
        return Err(ProtocolError::Oversized {
            field: "envelope",
            limit: MAX_ENVELOPE_LEN,
        });
    }
    Ok((message_id, out))
}

/// An envelope whose outer fields are parsed but not yet trusted.
#[derive(Debug, Clone)]
pub struct Envelope<'a> {
    /// The claimed sender.
    pub server_id: ServerId,
    /// Which push key opens it.
    pub key_id: [u8; 8],
    /// The message id.
    pub message_id: MessageId,
    /// Claimed expiry.
    pub expires_at: u64,
    signed: &'a [u8],
    aad: &'a [u8],
    sealed: &'a [u8],
    signature: Signature,
}

impl<'a> Envelope<'a> {
    /// Parses the outer layer, so the app can find the server key and push key to use.
    pub fn parse(bytes: &'a [u8]) -> Result<Self> {
        if bytes.len() > MAX_ENVELOPE_LEN {
            return Err(ProtocolError::Oversized {
                field: "envelope",
                limit: MAX_ENVELOPE_LEN,
            });
        }
        let mut r = Reader::new(bytes);
        let version = r.u8("push.version")?;
        if version != PUSH_VERSION {
            return Err(ProtocolError::UnsupportedVersion(version));
        }
        let server_id = ServerId(r.array("push.server_id")?);
        let key_id = r.array("push.key_id")?;
        let message_id = MessageId(r.array("push.message_id")?);
        let expires_at = r.u64("push.expires_at")?;
        let aad = r.consumed();
        let sealed = r.bytes16("push.sealed", MAX_ENVELOPE_LEN)?;
        let signed = r.consumed();
        let signature = Signature(r.array("push.signature")?);
        r.finish()?;
        Ok(Self {
            server_id,
            key_id,
            message_id,
            expires_at,
            signed,
            aad,
            sealed,
            signature,
        })
    }

    /// Verifies the server's signature, the validity window and the replay guard, then decrypts.
    /// On success the message id is recorded in `guard`.
    pub fn open(
        &self,
        server_key: &PublicKey,
        push_key: &[u8; 32],
        now: u64,
        guard: &mut ReplayGuard,
    ) -> Result<PushMessage> {
        server_key.verify(&[SIGN_LABEL, self.signed].concat(), &self.signature)?;
        if key_id(push_key) != self.key_id {
            return Err(ProtocolError::Decrypt);
        }
        if now > self.expires_at || self.expires_at - now > MAX_TTL_SECS {
            return Err(ProtocolError::MessageExpired);
        }
        if guard.contains(&self.message_id) {
            return Err(ProtocolError::Replayed);
        }
        let plain = crypto::open(
            &message_key(push_key, &self.message_id),
            [0; 12],
            self.aad,
            self.sealed,
        )?;
        let mut r = Reader::new(&plain);
        let created_at = r.u64("push.created_at")?;
        let body = match r.u8("push.kind")? {
            1 => PushBody::Login {
                session_ref: SessionRef(r.array("push.session_ref")?),
                announce: SessionInfo::decode(&mut r)?,
                session: SessionInfo::decode(&mut r)?,
            },
            2 => PushBody::Logout {
                session_ref: SessionRef(r.array("push.session_ref")?),
            },
            3 => PushBody::DeleteAccount,
            4 => PushBody::Message {
                title: r.str8("push.title")?,
                text: r.str16("push.text", crate::messages::MAX_TEXT_LEN)?,
            },
            other => return Err(ProtocolError::UnknownType(other)),
        };
        r.finish()?;
        guard.insert(self.message_id, self.expires_at);
        Ok(PushMessage {
            server_id: self.server_id,
            message_id: self.message_id,
            created_at,
            expires_at: self.expires_at,
            body,
        })
    }
}

/// The ids of accepted messages, kept until they expire. Messages are refused once their
/// expiry passed, so an id never needs to be remembered longer; the SDK persists the entries.
#[derive(Debug, Clone, Default)]
pub struct ReplayGuard {
    seen: BTreeMap<MessageId, u64>,
}

impl ReplayGuard {
    /// An empty guard.
    pub fn new() -> Self {
        Self::default()
    }

    /// Restores persisted entries `(id, expires_at)`.
    pub fn from_entries(entries: impl IntoIterator<Item = (MessageId, u64)>) -> Self {
        Self {
            seen: entries.into_iter().collect(),
        }
    }

    /// Whether `id` was accepted before.
    pub fn contains(&self, id: &MessageId) -> bool {
        self.seen.contains_key(id)
    }

    /// Records an accepted id.
    pub fn insert(&mut self, id: MessageId, expires_at: u64) {
        self.seen.insert(id, expires_at);
    }

    /// Forgets ids whose messages have expired at `now`.
    pub fn prune(&mut self, now: u64) {
        self.seen.retain(|_, expires_at| *expires_at >= now);
    }

    /// The entries, for persistence.
    pub fn entries(&self) -> impl Iterator<Item = (&MessageId, &u64)> {
        self.seen.iter()
    }
}
