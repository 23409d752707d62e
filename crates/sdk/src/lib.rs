//! # nextauth-sdk
//!
//! The authenticator side of nextauth-rs: everything an authenticator app needs, as a Rust
//! library with no dependency on Tauri or any UI toolkit. The desktop app, the `nextauth`
//! command-line tool and mobile shells all build on it.
//!
//! * **Accounts** on one or more servers, with each server's verified parameters, refreshed
//!   whenever a session starts.
//! * **Flows**: enrol, login, transaction approval, started from QR bytes, a
//!   deep link, an app-to-app URI or a push message, driven through their states and reported
//!   as [`Event`]s; the app answers with [`Response`]s. The second factor's own flows (PIN
//!   change, biometrics on and off) are started by the app and reported the same way.
//! * **Second factor**: the app's PIN, checked by the server (nothing on the device can test a
//!   PIN offline; see docs/protocol.md section 11), optionally unlocked by the platform's
//!   biometrics ([`Biometrics`]).
//! * **Push**: encrypted messages are verified, de-duplicated and acted on, whether a platform
//!   push service delivered them or the SDK's own live connection ([`Sdk::start_live_delivery`]).
//! * **History** of every interaction.
//! * **QR processor**: [`qr::QrProcessor::process_frame`] reads the raw bytes of binary QR codes
//!   from camera frames (luma planes, straight from YUYV or NV12 buffers), and
//!   [`qr::decode_image`] from stills and screenshots (the `nextauth-qr` crate).
//!
//! The session engine ([`engine`], the `nextauth-engine` crate) is a set of sans-IO state
//! machines: bytes, answers and the time in, new state, effects and deadlines out. [`Sdk`]
//! drives them with a real transport, storage, keystore and clock. The public data types
//! ([`model`]) are the engine's, re-exported here under the same names.
//! docs/sdk.md shows the event sequence of each flow.

pub(crate) mod account_ops;
mod app_login;
mod channel;
pub use nextauth_engine as engine;
pub mod biometrics;
pub mod config;
pub mod error;
mod flows;
mod inner;
pub mod keystore;
pub mod live;
pub use nextauth_private_files as private_files;
pub mod push;
pub mod reconcile;
mod runner;
mod sdk;
mod second_factor_flows;
pub mod store;
pub mod transport;

pub use biometrics::{BiometricError, BiometricStatus, Biometrics};
pub use config::{
    Config, ConfigError, PinnedServerKey, DEFAULT_HISTORY_RETENTION_DAYS,
    MAX_HISTORY_RETENTION_DAYS,
};
pub use engine::{PinInput, Response};
pub use error::{SdkError, SdkResult};
pub use live::LiveDelivery;
pub use model::*;
pub use nextauth_engine::model;
pub use nextauth_qr as qr;
pub use push::PushOutcome;
pub use reconcile::ReconcileReport;
pub use sdk::Sdk;
pub use store::{HistoryQuery, StorageFaults};
