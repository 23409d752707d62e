//! The app's side of the handshake.

use ring::rand::SecureRandom;
use zeroize::Zeroizing;

use super::schedule::{HandshakeKeys, Role, Session};
use super::{
    expect_frame, frame, AbortReason, Purpose, ACCOUNT_SIG_LABEL, HANDSHAKE_VERSION,
    MAX_CONTEXT_LEN, MAX_REQUEST_LEN, MAX_SEALED_LEN, SERVER_SIG_LABEL,
};
use crate::codec::{Reader, Writer};
use crate::crypto::{self, sha256, Ephemeral, Signature, Signer};
use crate::error::{ProtocolError, Result};
use crate::ids::ServerId;
use crate::params::{KeyRotation, ParamsTrust, ServerParams, SignedServerParams};

/// The app after sending its ClientHello, waiting for the ServerHello.
pub struct ClientHandshake {
    ephemeral: Ephemeral,
    client_hello: Vec<u8>,
    server_id: ServerId,
    purpose: Purpose,
}

impl core::fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("purpose", &self.purpose)
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// Starts a handshake; returns the state and the ClientHello frame to send.
    ///
    /// `reference` is the session ref (enrol, login), the transaction ref (transaction), or
    /// all zeros (connect).
    pub fn start(
        rng: &dyn SecureRandom,
        purpose: Purpose,
        server_id: ServerId,
        reference: [u8; 16],
    ) -> Result<(Self, Vec<u8>)> {
        let ephemeral = Ephemeral::generate(rng)?;
        let random: [u8; 16] = crypto::random_array(rng)?;
        let mut w = Writer::new();
        w.u8(frame::CLIENT_HELLO)
            .u8(HANDSHAKE_VERSION)
            .u8(purpose.to_byte());
        w.raw(&server_id.0)
            .raw(&reference)
            .raw(&ephemeral.public())
            .raw(&random);
        let client_hello = w.into_bytes();
        let state = Self {
            ephemeral,
            client_hello: client_hello.clone(),
            server_id,
            purpose,
        };
        Ok((state, client_hello))
    }

    /// Reads the ServerHello: authenticates the server, checks its parameters against `trust`,
    /// and returns what the person must see before deciding.
    pub fn read_server_hello(
        self,
        msg: &[u8],
        trust: ParamsTrust<'_>,
    ) -> Result<ClientAwaitingDecision> {
        let server_id = self.server_id;
        // The parameters carry the key that must have signed; `trust` decides whether that key
        // is the right one (enrol-code hash, or the stored/pinned key).
        self.read(msg, |signed, rotations| {
            signed.verify_rotated(&server_id, trust, rotations)
        })
    }

    /// Reads the ServerHello of a server the app has no key for (a login code for a server
    /// without an account here), only to tell it so: the hello must be well formed and live
    /// (its signature over this handshake's transcript verifies under the key in its
    /// parameters, which name the expected server, and its MAC under the handshake key), but
    /// nothing says that key is the real server's. So the result can do one thing: abort
    /// ([`ClientMayOnlyAbort::abort`]); it cannot finish the handshake nor hand out the
    /// parameters to be stored or shown.
    pub fn read_server_hello_to_abort(self, msg: &[u8]) -> Result<ClientMayOnlyAbort> {
        let server_id = self.server_id;
        let decision = self.read(msg, |signed, _| signed.verify_self_signed(&server_id))?;
        Ok(ClientMayOnlyAbort { decision })
    }

    fn read(
        self,
        msg: &[u8],
        check_params: impl FnOnce(&SignedServerParams, &[KeyRotation]) -> Result<ServerParams>,
    ) -> Result<ClientAwaitingDecision> {
        let mut r = Reader::new(msg);
        expect_frame(&mut r, frame::SERVER_HELLO)?;
        let server_ephemeral: [u8; 32] = r.array("server_hello.ephemeral")?;
        let _server_random: [u8; 16] = r.array("server_hello.random")?;
        let header = r.consumed();
        let sealed = r.bytes32("server_hello.sealed", MAX_SEALED_LEN)?;
        r.finish()?;

        let th_h = sha256(&[&self.client_hello, header]);
        let shared = self.ephemeral.agree(&server_ephemeral)?;
        let mut keys = HandshakeKeys::derive(&shared, &th_h);
        let plain = keys.server.open(header, sealed)?;

        let mut p = Reader::new(&plain);
        let signed_params = SignedServerParams::decode(&mut p)?;
        let rotations = KeyRotation::decode_list(&mut p)?;
        let context = p.bytes16("server_auth.context", MAX_CONTEXT_LEN)?.to_vec();
        let authenticated_prefix = p.consumed();
        let signature = Signature(p.array("server_auth.signature")?);
        let finished: [u8; 32] = p.array("server_auth.finished")?;
        p.finish()?;

        let th_s = sha256(&[&self.client_hello, header, authenticated_prefix]);
        let params = check_params(&signed_params, &rotations)?;
        params
            .public_key
            .verify(&[SERVER_SIG_LABEL, &th_s].concat(), &signature)?;
        crypto::hmac_sha256_verify(
            keys.server_finished.as_ref(),
            &[&th_s, &signature.0],
            &finished,
        )?;

        let mut transcript = self.client_hello;
        transcript.extend_from_slice(msg);
        Ok(ClientAwaitingDecision {
            purpose: self.purpose,
            params,
            signed_params,
            context,
            keys,
            transcript,
        })
    }
}

/// A ServerHello read without a trusted key ([`ClientHandshake::read_server_hello_to_abort`]):
/// all the app may do is decline, which reveals no account.
pub struct ClientMayOnlyAbort {
    decision: ClientAwaitingDecision,
}

impl core::fmt::Debug for ClientMayOnlyAbort {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientMayOnlyAbort")
            .field("purpose", &self.decision.purpose)
            .finish_non_exhaustive()
    }
}

impl ClientMayOnlyAbort {
    /// The ClientAbort frame for `reason`.
    pub fn abort(self, reason: AbortReason) -> Result<Vec<u8>> {
        self.decision.abort(reason)
    }
}

/// The app after authenticating the server: it now asks the person (confirm, pick an account,
/// enter input) and then finishes or aborts.
pub struct ClientAwaitingDecision {
    purpose: Purpose,
    /// The server's verified parameters (store them: this is the refresh).
    pub params: ServerParams,
    /// The same parameters as signed by the server, for storage.
    pub signed_params: SignedServerParams,
    /// Purpose-specific context from the server (see [`crate::messages`]).
    pub context: Vec<u8>,
    keys: HandshakeKeys,
    transcript: Vec<u8>,
}

impl core::fmt::Debug for ClientAwaitingDecision {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ClientAwaitingDecision")
            .field("purpose", &self.purpose)
            .field("server", &self.params.server_id)
            .finish_non_exhaustive()
    }
}

impl ClientAwaitingDecision {
    /// The purpose this handshake was started with.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// Proves the account (signature over the transcript, which binds the request: chosen
    /// account, user input, enrol secret, transaction decision), and derives the session.
    pub fn finish(
        mut self,
        account: &dyn Signer,
        request: &[u8],
        rng: &dyn SecureRandom,
    ) -> Result<(Session, Vec<u8>)> {
        let mut auth = Writer::new();
        auth.raw(&account.public_key().0)
            .bytes16(request, "request", MAX_REQUEST_LEN)?;
        let th_a = sha256(&[&self.transcript, auth.as_bytes()]);
        let signature = account.sign(rng, &[ACCOUNT_SIG_LABEL, &th_a].concat())?;
        let finished = crypto::hmac_sha256(self.keys.app_finished.as_ref(), &[&th_a, &signature.0]);
        auth.raw(&signature.0).raw(&finished);
        let auth = Zeroizing::new(auth.into_bytes());

        let sealed = self.keys.app.seal(&[frame::CLIENT_FINISH], &auth)?;
        let mut w = Writer::new();
        w.u8(frame::CLIENT_FINISH)
            .bytes32(&sealed, "client_finish.sealed", MAX_SEALED_LEN)?;
        let client_finish = w.into_bytes();
        let th_f = sha256(&[&self.transcript, &client_finish]);
        Ok((
            Session::derive(&self.keys.prk, &th_f, Role::App),
            client_finish,
        ))
    }

    /// Declines without revealing any account; returns the ClientAbort frame.
    pub fn abort(mut self, reason: AbortReason) -> Result<Vec<u8>> {
        let sealed = self
            .keys
            .app
            .seal(&[frame::CLIENT_ABORT], &[reason.to_byte()])?;
        let mut w = Writer::new();
        w.u8(frame::CLIENT_ABORT)
            .bytes32(&sealed, "client_abort.sealed", MAX_SEALED_LEN)?;
        Ok(w.into_bytes())
    }
}

pub(super) fn decode_abort_reason(b: u8) -> Result<AbortReason> {
    AbortReason::from_byte(b)
}

pub(super) fn check_version(v: u8) -> Result<()> {
    if v == HANDSHAKE_VERSION {
        Ok(())
    } else {
        Err(ProtocolError::UnsupportedVersion(v))
    }
}
