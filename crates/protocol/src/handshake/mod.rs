//! The mutual-authentication handshake (SIGMA-I style) between an app and a server, and the
//! record layer that protects every message after it.
//!
//! ```text
//!  App (initiator)                                   Server (responder)
//!  ClientHello: purpose, server id, reference,
//!               X25519 eA, random            ───────▶
//!                                             ◀─────── ServerHello: X25519 eS, random,
//!                                                        AEAD_hs{ signed params, context,
//!                                                                 Sig_S(TH_S), MAC_S }
//!  (person confirms, picks the account)
//!  ClientFinish: AEAD_hs{ account key, request,
//!                         Sig_A(TH_A), MAC_A }   ───────▶
//!  ◀──────────────── records, AEAD_app with implicit sequence numbers ────────────────▶
//! ```
//!
//! Both identities travel encrypted under the handshake keys (identity protection against
//! passive observers; the app reveals its account only after it has authenticated the server,
//! as in SIGMA-I). Each side signs the transcript with its long-term P-256 key and proves key
//! possession with a MAC under a key derived from the ephemeral Diffie-Hellman secret.
//! The exact bytes and the key schedule are in docs/protocol.md.

mod client;
mod schedule;
mod server;

pub use client::{ClientAwaitingDecision, ClientHandshake, ClientMayOnlyAbort};
pub use schedule::{Role, Session};
pub use server::{ClientFinished, ClientHello, Evidence, ServerAwaitingFinish};

use crate::codec::Reader;
use crate::error::{ProtocolError, Result};

/// Handshake protocol version.
pub const HANDSHAKE_VERSION: u8 = 1;
/// Largest sealed handshake payload (server parameters carry a logo of up to 64 KiB).
pub const MAX_SEALED_LEN: usize = 160 * 1024;
/// Largest server context (announce information, transaction details).
pub const MAX_CONTEXT_LEN: usize = 96 * 1024;
/// Largest client request.
pub const MAX_REQUEST_LEN: usize = 16 * 1024;

/// Frame type bytes: the first byte of every message on the app connection.
pub mod frame {
    /// App → server, opens the handshake.
    pub const CLIENT_HELLO: u8 = 1;
    /// Server → app.
    pub const SERVER_HELLO: u8 = 2;
    /// App → server, completes the handshake.
    pub const CLIENT_FINISH: u8 = 3;
    /// App → server, declines after the server authenticated (the person said no).
    pub const CLIENT_ABORT: u8 = 4;
    /// Either direction, after the handshake.
    pub const RECORD: u8 = 5;
    /// Server → app, before the handshake completes; unauthenticated, it only ends the exchange.
    pub const ALERT: u8 = 6;
}

/// Why the app opens a connection. Bound into every signature through the transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Create an account from an enrol code.
    Enrol,
    /// Log in to a session.
    Login,
    /// Approve or decline a transaction.
    Transaction,
    /// A connection for an existing account without a browser session: message delivery and
    /// pull, PIN change, account deletion.
    Connect,
    /// Log the app itself into its own backend (AppLogin): like [`Purpose::Login`], but the
    /// session is the app's own (its reference derived from a nonce the app made), so the
    /// server creates it if it does not exist yet.
    AppLogin,
    /// Resume a continuous login session on a new connection (its old one closed: the server
    /// process went away, or the network broke). The reference is the session ref the app
    /// logged in with; the server answers only once the account that is logged into it has
    /// signed (docs/protocol.md 10.8).
    Resume,
}

impl Purpose {
    /// Wire value.
    pub fn to_byte(self) -> u8 {
        match self {
            Self::Enrol => 1,
            Self::Login => 2,
            Self::Transaction => 3,
            Self::Connect => 4,
            Self::AppLogin => 5,
            Self::Resume => 6,
        }
    }

    /// Parses the wire value.
    pub fn from_byte(b: u8) -> Result<Self> {
        Ok(match b {
            1 => Self::Enrol,
            2 => Self::Login,
            3 => Self::Transaction,
            4 => Self::Connect,
            5 => Self::AppLogin,
            6 => Self::Resume,
            other => return Err(ProtocolError::UnknownType(other)),
        })
    }
}

/// An unauthenticated alert from the server: the numeric error code of why it refused.
pub fn encode_alert(code: u16) -> Vec<u8> {
    let mut out = vec![frame::ALERT];
    out.extend_from_slice(&code.to_be_bytes());
    out
}

/// Reads an alert frame's code.
pub fn decode_alert(bytes: &[u8]) -> Result<u16> {
    let mut r = Reader::new(bytes);
    expect_frame(&mut r, frame::ALERT)?;
    let code = r.u16("alert.code")?;
    r.finish()?;
    Ok(code)
}

/// Why the app aborted the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AbortReason {
    /// The person declined.
    Declined,
    /// The app found no account for this server.
    NoAccounts,
    /// The server parameters or context could not be accepted.
    Rejected,
}

impl AbortReason {
    fn to_byte(self) -> u8 {
        match self {
            Self::Declined => 1,
            Self::NoAccounts => 2,
            Self::Rejected => 3,
        }
    }

    fn from_byte(b: u8) -> Result<Self> {
        Ok(match b {
            1 => Self::Declined,
            2 => Self::NoAccounts,
            3 => Self::Rejected,
            other => return Err(ProtocolError::UnknownType(other)),
        })
    }
}

fn expect_frame(r: &mut Reader<'_>, expected: u8) -> Result<()> {
    let ty = r.u8("frame.type")?;
    if ty == expected {
        Ok(())
    } else {
        Err(frame_error(ty))
    }
}

/// A known frame type in the wrong place is unexpected; anything else is unknown.
fn frame_error(ty: u8) -> ProtocolError {
    if (frame::CLIENT_HELLO..=frame::ALERT).contains(&ty) {
        ProtocolError::UnexpectedMessage
    } else {
        ProtocolError::UnknownType(ty)
    }
}

const SERVER_SIG_LABEL: &[u8] = b"nextauth-rs/1 server signature";
const ACCOUNT_SIG_LABEL: &[u8] = b"nextauth-rs/1 account signature";
