//! What goes into a [`crate::FlowMachine`] and what comes out of it.

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::params::{ServerParams, SignedServerParams};
use nextauth_protocol::pin::DeviceSecret;
use zeroize::Zeroizing;

use crate::answer::{PinCheck, PinInput, Response};
use crate::error::EngineError;
use crate::model::HistoryRecord;
use crate::model::{Account, Flow, Session};

/// Something that happened to the flow.
#[derive(Debug)]
pub enum Input {
    /// A frame from the server.
    Frame(Vec<u8>),
    /// The person answered.
    Respond(Response),
    /// The online PIN check the engine asked for finished.
    PinChecked(PinCheck),
    /// The connection [`Effect::Connect`] asked for is open: the wait for the server starts
    /// now, not while the driver was still connecting.
    Connected,
    /// The connection could not be opened.
    Unreachable,
    /// The connection closed or failed.
    Closed,
    /// The driver's timer went off: the machine looks at [`crate::Env::now_ms`] and gives up
    /// on what it waits for if its [`crate::FlowMachine::deadline`] has passed (a timer that
    /// went off early changes nothing).
    Timer,
    /// The driver could not carry out an effect (storage, keystore): the flow ends with it.
    Failed(EngineError),
    /// The driver stored everything up to [`Effect::Commit`].
    Committed,
    /// The server's LOGOUT push named this continuous session: it is over, whatever its own
    /// connection says (or fails to say).
    LoggedOutByPush,
}

/// A new account to store (its secrets still to be sealed by the driver).
pub struct NewAccount {
    /// The public view.
    pub account: Account,
    /// Its public key.
    pub public_key: PublicKey,
    /// PKCS#8 of the private key.
    pub pkcs8: Zeroizing<Vec<u8>>,
    /// The push key from the handshake.
    pub push_key: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewAccount")
            .field("account", &self.account)
            .finish_non_exhaustive()
    }
}

/// What the driver must do.
#[derive(Debug)]
pub enum Effect {
    /// Open a connection to the server's app endpoint.
    Connect {
        /// `ws://` or `wss://` URL.
        endpoint: String,
    },
    /// Send a frame.
    Send(Vec<u8>),
    /// Report the flow's new state.
    Update(Flow),
    /// Store the server's verified, refreshed parameters.
    SaveServer {
        /// As signed.
        signed: SignedServerParams,
        /// Decoded.
        params: ServerParams,
    },
    /// Store an enrolment before its final message goes out (keys sealed): if the app stops
    /// after this, the next start settles it with the server.
    StorePendingEnrol {
        /// The account it creates.
        account: Box<NewAccount>,
        /// The server's parameters, as verified.
        signed: SignedServerParams,
        /// Decoded.
        params: ServerParams,
    },
    /// The server accepted the enrolment: store the server, the account and `history` in one
    /// transaction.
    ActivateEnrol {
        /// The pending account.
        account_id: String,
        /// The history entry of the enrolment.
        history: HistoryRecord,
    },
    /// The server refused the enrolment: drop what was stored for it, and the PIN secret it
    /// set if no account needs it.
    DiscardEnrol {
        /// The pending account.
        account_id: String,
    },
    /// Store the device secret of a newly set PIN (before the verifier leaves the app).
    SetPinSecret(DeviceSecret),
    /// The person set a PIN again after the integrator's reset: a block the app remembered
    /// is over.
    PinSetAgain,
    /// The server accepted a PIN for an account that had none (HEADLESS_UPGRADE).
    AccountHasPin {
        /// The account.
        account_id: String,
    },
    /// Everything before this is stored: continue with [`Input::Committed`].
    Commit,
    /// A history entry whose outcome the app did not learn (the answer never came): the server
    /// is asked later (the SDK's `reconcile`).
    Unresolved {
        /// The entry as far as known.
        history: HistoryRecord,
        /// The account that answered.
        account_id: String,
        /// The session or transaction ref.
        reference: [u8; 16],
    },
    /// Check the person's existing PIN online with another account, then feed
    /// [`Input::PinChecked`].
    CheckPin {
        /// The PIN to check.
        pin: PinInput,
    },
    /// Record a successful login of an account.
    RecordLogin {
        /// The account.
        account_id: String,
    },
    /// Append to the history.
    History(HistoryRecord),
    /// A login session became active (continuous) or ended.
    Session(Session),
    /// Close the connection.
    Close,
}
