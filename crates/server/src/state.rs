//! What every handler shares.

use std::sync::Arc;

use nextauth_protocol::ids::{ServerId, SessionRef};
use ring::rand::SystemRandom;
use tokio::sync::broadcast;

use crate::config::ServerConfig;
use crate::db::Db;
use crate::keys::MasterKey;
use crate::push_senders::Senders;

/// Shared state behind an `Arc`.
#[derive(Debug)]
pub struct AppState {
    /// Configuration.
    pub config: ServerConfig,
    /// The database.
    pub db: Db,
    /// The key that seals secrets at rest.
    pub master: MasterKey,
    /// The randomness source.
    pub rng: SystemRandom,
    /// In-process nudges when a session or an account's queue changes. Other processes that
    /// share the database see the same changes by polling; the nudge only makes this process
    /// react at once.
    pub changes: broadcast::Sender<Change>,
    /// Push senders (FCM, APNs); empty when none is configured.
    pub senders: Senders,
}

/// Something that watchers may want to re-read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A session's row changed.
    Session(ServerId, SessionRef),
    /// An account's message queue changed.
    Messages(i64),
}

/// The handle handlers receive.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Builds the state, without push senders.
    pub fn new(config: ServerConfig, db: Db, master: MasterKey) -> SharedState {
        Self::with_senders(config, db, master, Senders::default())
    }

    /// Builds the state with these push senders.
    pub fn with_senders(
        config: ServerConfig,
        db: Db,
        master: MasterKey,
        senders: Senders,
    ) -> SharedState {
        let (changes, _) = broadcast::channel(1024);
        Arc::new(Self {
            config,
            db,
            master,
            rng: SystemRandom::new(),
            changes,
            senders,
        })
    }

    /// Tells in-process watchers about a change (nobody listening is fine).
    pub fn notify(&self, change: Change) {
        let _ = self.changes.send(change);
    }
}
