//! The server's side of the handshake.

use ring::rand::SecureRandom;

use super::client::{check_version, decode_abort_reason};
use super::schedule::{HandshakeKeys, Role, Session};
use super::{
    expect_frame, frame, AbortReason, Purpose, ACCOUNT_SIG_LABEL, MAX_CONTEXT_LEN, MAX_REQUEST_LEN,
    MAX_SEALED_LEN, SERVER_SIG_LABEL,
};
use crate::codec::{Reader, Writer};
use crate::crypto::{self, sha256, Ephemeral, PublicKey, Signature, Signer};
use crate::error::{ProtocolError, Result};
use crate::ids::ServerId;
use crate::params::{KeyRotation, SignedServerParams};

/// A parsed ClientHello: the server looks up the session or transaction by `reference` before
/// it answers.
#[derive(Debug, Clone)]
pub struct ClientHello {
    /// Why the app connects.
    pub purpose: Purpose,
    /// Which virtual server the app expects.
    pub server_id: ServerId,
    /// Session ref, transaction ref, or zeros.
    pub reference: [u8; 16],
    client_ephemeral: [u8; 32],
    raw: Vec<u8>,
}

impl ClientHello {
    /// Parses a ClientHello frame.
    pub fn decode(msg: &[u8]) -> Result<Self> {
        let mut r = Reader::new(msg);
        expect_frame(&mut r, frame::CLIENT_HELLO)?;
        check_version(r.u8("client_hello.version")?)?;
        let purpose = Purpose::from_byte(r.u8("client_hello.purpose")?)?;
        let server_id = ServerId(r.array("client_hello.server_id")?);
        let reference = r.array("client_hello.reference")?;
        let client_ephemeral = r.array("client_hello.ephemeral")?;
        let _random: [u8; 16] = r.array("client_hello.random")?;
        r.finish()?;
        Ok(Self {
            purpose,
            server_id,
            reference,
            client_ephemeral,
            raw: msg.to_vec(),
        })
    }

    /// Answers with the server's authentication: its signed parameters, the purpose-specific
    /// `context` the app shows the person, a signature and a MAC.
    pub fn respond(
        self,
        rng: &dyn SecureRandom,
        server_key: &dyn Signer,
        params: &SignedServerParams,
        context: &[u8],
    ) -> Result<(ServerAwaitingFinish, Vec<u8>)> {
        self.respond_rotated(rng, server_key, params, &[], context)
    }

    /// [`ClientHello::respond`] for a server whose key was rotated: `rotations` (oldest first)
    /// lead an app that knows an older key to the current one.
    pub fn respond_rotated(
        self,
        rng: &dyn SecureRandom,
        server_key: &dyn Signer,
        params: &SignedServerParams,
        rotations: &[KeyRotation],
        context: &[u8],
    ) -> Result<(ServerAwaitingFinish, Vec<u8>)> {
        let ephemeral = Ephemeral::generate(rng)?;
        let random: [u8; 16] = crypto::random_array(rng)?;
        let mut header = Writer::new();
        header
            .u8(frame::SERVER_HELLO)
            .raw(&ephemeral.public())
            .raw(&random);
        let header = header.into_bytes();

        let th_h = sha256(&[&self.raw, &header]);
        let shared = ephemeral.agree(&self.client_ephemeral)?;
        let mut keys = HandshakeKeys::derive(&shared, &th_h);

        let mut auth = Writer::new();
        params.encode(&mut auth)?;
        KeyRotation::encode_list(rotations, &mut auth)?;
        auth.bytes16(context, "server_auth.context", MAX_CONTEXT_LEN)?;
        let th_s = sha256(&[&self.raw, &header, auth.as_bytes()]);
        let signature = server_key.sign(rng, &[SERVER_SIG_LABEL, &th_s].concat())?;
        let finished = crypto::hmac_sha256(keys.server_finished.as_ref(), &[&th_s, &signature.0]);
        auth.raw(&signature.0).raw(&finished);
        let sealed = keys.server.seal(&header, auth.as_bytes())?;

        let mut msg = Writer::new();
        msg.raw(&header)
            .bytes32(&sealed, "server_hello.sealed", MAX_SEALED_LEN)?;
        let msg = msg.into_bytes();
        let mut transcript = self.raw;
        transcript.extend_from_slice(&msg);
        Ok((
            ServerAwaitingFinish {
                purpose: self.purpose,
                keys,
                transcript,
            },
            msg,
        ))
    }
}

/// The server after its ServerHello, waiting for the app's decision.
pub struct ServerAwaitingFinish {
    purpose: Purpose,
    keys: HandshakeKeys,
    transcript: Vec<u8>,
}

impl core::fmt::Debug for ServerAwaitingFinish {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ServerAwaitingFinish")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

/// What the account signed: the transcript hash and the signature over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evidence {
    /// `TH_A`.
    pub transcript_hash: [u8; 32],
    /// The account's signature.
    pub signature: Signature,
}

impl Evidence {
    /// `TH_A || signature` (96 bytes), for storage.
    pub fn to_bytes(&self) -> Vec<u8> {
        [self.transcript_hash.as_slice(), &self.signature.0].concat()
    }
}

/// How the app ended the handshake.
#[derive(Debug)]
pub enum ClientFinished {
    /// The app proved possession of `account_key` over the whole transcript.
    ///
    /// The server must still check that the key belongs to an account of this server (or, for
    /// an enrolment, that the request carries a valid enrol secret).
    Authenticated {
        /// The account's public key (new, for an enrolment).
        account_key: PublicKey,
        /// The purpose-specific request (see [`crate::messages`]).
        request: Vec<u8>,
        /// Evidence of the account's consent: `TH_A` and the account's signature over
        /// `"nextauth-rs/1 account signature" || TH_A` (docs/protocol.md, 7.1). Kept by the server
        /// for transactions.
        evidence: Evidence,
        /// The established session (boxed: it holds all the key material and is much larger
        /// than the other variant).
        session: Box<Session>,
    },
    /// The app declined without revealing an account.
    Aborted(AbortReason),
}

impl ServerAwaitingFinish {
    /// The purpose from the ClientHello.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Reads the app's ClientFinish or ClientAbort.
    pub fn read_client_finish(mut self, msg: &[u8]) -> Result<ClientFinished> {
        let mut r = Reader::new(msg);
        let ty = r.u8("frame.type")?;
        if ty != frame::CLIENT_FINISH && ty != frame::CLIENT_ABORT {
            return Err(super::frame_error(ty));
        }
        let sealed = r.bytes32("client_finish.sealed", MAX_SEALED_LEN)?;
        r.finish()?;
        match ty {
            frame::CLIENT_ABORT => {
                let plain = self.keys.app.open(&[frame::CLIENT_ABORT], sealed)?;
                match plain.as_slice() {
                    [reason] => Ok(ClientFinished::Aborted(decode_abort_reason(*reason)?)),
                    _ => Err(ProtocolError::Malformed {
                        field: "client_abort",
                        reason: "one byte expected",
                    }),
                }
            }
            frame::CLIENT_FINISH => {
                let plain = self.keys.app.open(&[frame::CLIENT_FINISH], sealed)?;
                let mut p = Reader::new(&plain);
                let account_key = PublicKey::from_slice(p.take(65, "client_auth.account_key")?)?;
                let request = p.bytes16("client_auth.request", MAX_REQUEST_LEN)?.to_vec();
                let th_a = sha256(&[&self.transcript, p.consumed()]);
                let signature = Signature(p.array("client_auth.signature")?);
                let finished: [u8; 32] = p.array("client_auth.finished")?;
                p.finish()?;
                account_key.verify(&[ACCOUNT_SIG_LABEL, &th_a].concat(), &signature)?;
                crypto::hmac_sha256_verify(
                    self.keys.app_finished.as_ref(),
                    &[&th_a, &signature.0],
                    &finished,
                )?;
                let th_f = sha256(&[&self.transcript, msg]);
                let session = Box::new(Session::derive(&self.keys.prk, &th_f, Role::Server));
                let evidence = Evidence {
                    transcript_hash: th_a,
                    signature,
                };
                Ok(ClientFinished::Authenticated {
                    account_key,
                    request,
                    evidence,
                    session,
                })
            }
            other => Err(super::frame_error(other)),
        }
    }
}
