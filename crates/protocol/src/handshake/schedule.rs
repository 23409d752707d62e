//! The key schedule and the record layer.
//!
//! ```text
//! prk        = HKDF-Extract(salt = "nextauth-rs/1 handshake", ikm = X25519(eA, eS))
//! TH_H       = SHA-256(ClientHello || ServerHello header)
//! s hs key/iv, a hs key/iv, s finished, a finished = HKDF-Expand(prk, label || TH_H)
//! TH_F       = SHA-256(ClientHello || ServerHello || ClientFinish)
//! s ap key/iv, a ap key/iv, push key, binder = HKDF-Expand(prk, label || TH_F)
//! record nonce = iv XOR (0^4 || seq u64 BE); seq starts at 0 in each direction, per key
//! ```

use zeroize::Zeroizing;

use crate::codec::{Reader, Writer};
use crate::crypto::{self, Prk};
use crate::error::{ProtocolError, Result};
use crate::handshake::{frame, MAX_SEALED_LEN};

const SALT: &[u8] = b"nextauth-rs/1 handshake";

pub(crate) type Key = Zeroizing<[u8; 32]>;
pub(crate) type Iv = Zeroizing<[u8; 12]>;

/// One direction's AEAD key, IV and next sequence number.
pub(crate) struct Direction {
    key: Key,
    iv: Iv,
    seq: u64,
}

impl Direction {
    fn new(prk: &Prk, key_label: &[u8], iv_label: &[u8], th: &[u8]) -> Self {
        Self {
            key: prk.expand(key_label, th),
            iv: prk.expand(iv_label, th),
            seq: 0,
        }
    }

    fn next_nonce(&mut self) -> Result<[u8; 12]> {
        if self.seq == u64::MAX {
            return Err(ProtocolError::SequenceExhausted);
        }
        let mut nonce = *self.iv;
        for (n, s) in nonce[4..].iter_mut().zip(self.seq.to_be_bytes()) {
            *n ^= s;
        }
        self.seq += 1;
        Ok(nonce)
    }

    pub(crate) fn seal(&mut self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let nonce = self.next_nonce()?;
        crypto::seal(&self.key, nonce, aad, plaintext)
    }

    pub(crate) fn open(&mut self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let nonce = self.next_nonce()?;
        crypto::open(&self.key, nonce, aad, sealed)
    }
}

/// Handshake-phase secrets, derived once the ephemeral keys are known.
pub(crate) struct HandshakeKeys {
    pub prk: Prk,
    pub server: Direction,
    pub app: Direction,
    pub server_finished: Key,
    pub app_finished: Key,
}

impl HandshakeKeys {
    pub(crate) fn derive(shared: &[u8; 32], th_h: &[u8; 32]) -> Self {
        let prk = Prk::extract(SALT, shared);
        Self {
            server: Direction::new(&prk, b"s hs key", b"s hs iv", th_h),
            app: Direction::new(&prk, b"a hs key", b"a hs iv", th_h),
            server_finished: prk.expand(b"s finished", th_h),
            app_finished: prk.expand(b"a finished", th_h),
            prk,
        }
    }
}

/// Which end of the connection a [`Session`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The app (initiator).
    App,
    /// The server (responder).
    Server,
}

/// An established session: seals outgoing records, opens incoming ones, in order.
///
/// A record that was altered, replayed, reordered or dropped fails to open, because the
/// sequence number is part of the nonce.
pub struct Session {
    role: Role,
    send: Direction,
    recv: Direction,
    push_key: Key,
    binder: Key,
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

impl Session {
    pub(crate) fn derive(prk: &Prk, th_f: &[u8; 32], role: Role) -> Self {
        let server = Direction::new(prk, b"s ap key", b"s ap iv", th_f);
        let app = Direction::new(prk, b"a ap key", b"a ap iv", th_f);
        let (send, recv) = match role {
            Role::App => (app, server),
            Role::Server => (server, app),
        };
        Self {
            role,
            send,
            recv,
            push_key: prk.expand(b"push key", th_f),
            binder: prk.expand(b"binder", th_f),
        }
    }

    /// This end's role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Seals `plaintext` into a record frame.
    pub fn seal(&mut self, plaintext: &[u8]) -> Result<Vec<u8>> {
        let sealed = self.send.seal(&[frame::RECORD], plaintext)?;
        let mut w = Writer::new();
        w.u8(frame::RECORD)
            .bytes32(&sealed, "record", MAX_SEALED_LEN)?;
        Ok(w.into_bytes())
    }

    /// Opens a record frame.
    pub fn open(&mut self, frame_bytes: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let mut r = Reader::new(frame_bytes);
        super::expect_frame(&mut r, frame::RECORD)?;
        let sealed = r.bytes32("record", MAX_SEALED_LEN)?;
        r.finish()?;
        self.recv.open(&[frame::RECORD], sealed)
    }

    /// The per-account push key that an enrolment establishes (both ends derive the same).
    pub fn push_key(&self) -> &[u8; 32] {
        &self.push_key
    }

    /// A value unique to this session that second-factor proofs are bound to.
    pub fn binder(&self) -> &[u8; 32] {
        &self.binder
    }
}
