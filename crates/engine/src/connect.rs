//! The CONNECT handshake: an account opens an authenticated session with its server for the
//! conversations outside a flow (PIN check and change, pulling messages, deleting the account,
//! the push token, live delivery). Sans-IO like the flows, and it checks the server the same
//! way a login does ([`crate::FlowMachine`]'s ServerHello): the stored key must have signed
//! the parameters, and a key the configuration pins must be the one in them.
//!
//! ```text
//!  ConnectHandshake::start ──hello──▶ on_server_hello ──finish──▶ ConnectAwaitingAccept
//!                                         │ pinned key differs: abort ▶ PinnedKeyMismatch
//!                                         ▼ alert: Refused(code)
//!  ConnectAwaitingAccept::on_reply ──Accepted──▶ Channel   (Refused: Refused(code))
//! ```

use nextauth_protocol::crypto::{PublicKey, Signer};
use nextauth_protocol::handshake::{
    decode_alert, frame, AbortReason, ClientAwaitingDecision, ClientHandshake, Purpose,
    Session as Channel,
};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::messages::{ClientRequest, ServerRecord};
use nextauth_protocol::params::{ParamsTrust, ServerParams, SignedServerParams};
use nextauth_protocol::ProtocolError;
use ring::rand::SecureRandom;

use crate::error::{EngineError, EngineResult};

/// Whether parameters the server just proved may be used under the configuration's pinned key:
/// the one rule for flows and CONNECT sessions.
pub(crate) fn pinned_key_holds(pinned: Option<&PublicKey>, params: &ServerParams) -> bool {
    pinned.is_none_or(|pinned| *pinned == params.public_key)
}

/// The app's side of a CONNECT handshake, waiting for the ServerHello.
pub struct ConnectHandshake {
    hs: ClientHandshake,
    trusted_key: PublicKey,
    not_before: u64,
    pinned_key: Option<PublicKey>,
}

impl std::fmt::Debug for ConnectHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectHandshake").finish_non_exhaustive()
    }
}

/// What the ServerHello led to: the frame to send, and what to do with its outcome.
pub enum ServerHelloOutcome {
    /// The server is the one the app trusts: send `finish`, store the refreshed parameters
    /// (when the caller keeps them), and read the server's answer with `next`.
    Authenticated {
        /// The ClientFinish with the CONNECT request, signed by the account.
        finish: Vec<u8>,
        /// The parameters as signed, for storage.
        signed: Box<SignedServerParams>,
        /// Decoded.
        params: Box<ServerParams>,
        /// Reads the server's Accepted or Refused.
        next: ConnectAwaitingAccept,
    },
    /// The server must be turned away: send `abort` (when there is one), then end with
    /// `error`.
    Rejected {
        /// The ClientAbort telling the server, if one could be made.
        abort: Option<Vec<u8>>,
        /// Why.
        error: EngineError,
    },
}

impl std::fmt::Debug for ServerHelloOutcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Authenticated { .. } => f.write_str("Authenticated"),
            Self::Rejected { error, .. } => write!(f, "Rejected({error:?})"),
        }
    }
}

impl ConnectHandshake {
    /// Starts a CONNECT to `server_id`, whose parameters the app stored signed by
    /// `trusted_key` at `not_before` (a refresh never goes back); `pinned_key` is the key the
    /// configuration pins for it, if any. Returns the ClientHello to send.
    ///
    /// # Errors
    ///
    /// The random source failed.
    pub fn start(
        rng: &dyn SecureRandom,
        server_id: ServerId,
        trusted_key: PublicKey,
        not_before: u64,
        pinned_key: Option<PublicKey>,
    ) -> EngineResult<(Self, Vec<u8>)> {
        Self::begin(
            rng,
            (Purpose::Connect, [0; 16]),
            server_id,
            trusted_key,
            not_before,
            pinned_key,
        )
    }

    /// Starts a RESUME of the continuous session the app logged into under `session_ref`
    /// (docs/protocol.md 10.8): the same handshake and checks as a CONNECT, naming the session.
    ///
    /// # Errors
    ///
    /// The random source failed.
    pub fn resume(
        rng: &dyn SecureRandom,
        server_id: ServerId,
        session_ref: [u8; 16],
        trusted_key: PublicKey,
        not_before: u64,
        pinned_key: Option<PublicKey>,
    ) -> EngineResult<(Self, Vec<u8>)> {
        Self::begin(
            rng,
            (Purpose::Resume, session_ref),
            server_id,
            trusted_key,
            not_before,
            pinned_key,
        )
    }

    fn begin(
        rng: &dyn SecureRandom,
        (purpose, reference): (Purpose, [u8; 16]),
        server_id: ServerId,
        trusted_key: PublicKey,
        not_before: u64,
        pinned_key: Option<PublicKey>,
    ) -> EngineResult<(Self, Vec<u8>)> {
        let (hs, hello) = ClientHandshake::start(rng, purpose, server_id, reference)?;
        let this = Self {
            hs,
            trusted_key,
            not_before,
            pinned_key,
        };
        Ok((this, hello))
    }

    /// Reads the server's first answer: an alert, or a ServerHello that must prove the trusted
    /// key and agree with the pinned one; the account's `signer` then signs the CONNECT.
    ///
    /// # Errors
    ///
    /// `Refused` for an alert, the protocol's error for a hello that does not verify, or
    /// what signing failed with.
    pub fn on_server_hello(
        self,
        frame_bytes: &[u8],
        signer: &dyn Signer,
        rng: &dyn SecureRandom,
    ) -> EngineResult<ServerHelloOutcome> {
        if frame_bytes.first() == Some(&frame::ALERT) {
            return Err(EngineError::Refused(decode_alert(frame_bytes)?));
        }
        let trust = ParamsTrust::KnownKey {
            key: &self.trusted_key,
            not_before: self.not_before,
        };
        let decision: ClientAwaitingDecision = self.hs.read_server_hello(frame_bytes, trust)?;
        if !pinned_key_holds(self.pinned_key.as_ref(), &decision.params) {
            return Ok(ServerHelloOutcome::Rejected {
                abort: decision.abort(AbortReason::Rejected).ok(),
                error: EngineError::PinnedKeyMismatch,
            });
        }
        let signed = Box::new(decision.signed_params.clone());
        let params = Box::new(decision.params.clone());
        let (channel, finish) = decision.finish(signer, &ClientRequest::Connect.encode()?, rng)?;
        Ok(ServerHelloOutcome::Authenticated {
            finish,
            signed,
            params,
            next: ConnectAwaitingAccept { channel },
        })
    }
}

/// The CONNECT is sent; the server's Accepted (or Refused) is awaited.
pub struct ConnectAwaitingAccept {
    channel: Channel,
}

impl std::fmt::Debug for ConnectAwaitingAccept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectAwaitingAccept")
            .finish_non_exhaustive()
    }
}

impl ConnectAwaitingAccept {
    /// Reads the server's answer: the session's channel once accepted.
    ///
    /// # Errors
    ///
    /// `Refused` with the server's code, or the protocol's error for anything else.
    pub fn on_reply(mut self, frame_bytes: &[u8]) -> EngineResult<Channel> {
        match ServerRecord::decode(&self.channel.open(frame_bytes)?)? {
            ServerRecord::Accepted => Ok(self.channel),
            ServerRecord::Refused { code } => Err(EngineError::Refused(code)),
            _ => Err(ProtocolError::UnexpectedMessage.into()),
        }
    }
}
