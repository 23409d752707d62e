//! What every handler shares.

use std::sync::Arc;

use nextauth_protocol::ids::{ServerId, SessionRef};
use ring::rand::SystemRandom;
use tokio::sync::broadcast;

use crate::config::ServerConfig;
use crate::db::Db;
use crate::keys::MasterKey;
use crate::limits::Limiter;
use crate::login_checks::LoginChecks;
use crate::push_senders::Senders;
use crate::web::watch_hub::WatchHub;

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
    /// The pushes being handed to them.
    pub deliveries: crate::push_senders::Deliveries,
    /// Connection caps and rate limits per client (this process's share).
    pub limits: Limiter,
    /// The sessions browser sockets follow, watched once for all of them.
    pub watchers: WatchHub,
    /// GeoIP, the fraud webhook, the push rate per account.
    pub checks: LoginChecks,
    /// Announcements to and from the other server processes (PostgreSQL).
    pub bus: crate::cluster::Bus,
    /// Draining at shutdown, and the open connections that must hear of it.
    pub lifecycle: crate::readiness::Lifecycle,
    /// Each server's unsealed key and signed parameters, for the app endpoint.
    pub signers: crate::app_endpoint::Signers,
    /// Server rows for the app endpoint's hello (PostgreSQL, while listening).
    pub server_rows: crate::server_cache::ServerCache,
}

/// Something that watchers may want to re-read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// A session's row changed.
    Session(ServerId, SessionRef),
    /// An account's message queue changed.
    Messages(i64),
    /// A server's row changed (its settings, its key) or is gone.
    Server(ServerId),
    /// Anything may have changed (announcements from other processes were lost): re-read.
    All,
}

/// The handle handlers receive.
pub type SharedState = Arc<AppState>;

impl AppState {
    /// Builds the state, without push senders.
    ///
    /// # Panics
    ///
    /// If the configured GeoIP database cannot be opened ([`crate::start`] reports that as an
    /// error instead).
    pub fn new(config: ServerConfig, db: Db, master: MasterKey) -> SharedState {
        let checks = LoginChecks::new(&config.login_checks).expect("the login checks' files");
        Self::with_senders(config, db, master, Senders::default(), checks)
    }

    /// Builds the state with these push senders and login checks.
    pub fn with_senders(
        config: ServerConfig,
        db: Db,
        master: MasterKey,
        senders: Senders,
        checks: LoginChecks,
    ) -> SharedState {
        let (changes, _) = broadcast::channel(1024);
        let limits = Limiter::new(&config.limits);
        Arc::new(Self {
            limits,
            watchers: WatchHub::default(),
            config,
            db,
            master,
            rng: SystemRandom::new(),
            changes,
            senders,
            deliveries: Default::default(),
            checks,
            bus: crate::cluster::Bus::new(),
            lifecycle: Default::default(),
            signers: Default::default(),
            server_rows: Default::default(),
        })
    }

    /// Tells watchers about a change: this process's at once, the other processes' through
    /// the database's notifications where there are any ([`crate::cluster`]). Nobody listening
    /// is fine.
    pub fn notify(&self, change: Change) {
        self.bus.publish(&change);
        self.heard(change);
    }

    /// The payload with which the statement that makes `change` announces it itself
    /// (PostgreSQL's `pg_notify`, sent at the statement's commit: no round trip of its own);
    /// `None` where there is no such channel. Once the statement applied, call
    /// [`Self::announced`] with the same payload.
    pub fn inline_announcement(&self, change: &Change) -> Option<String> {
        self.bus.payload(change)
    }

    /// A change that a statement applied, announced by it to the other processes when it
    /// carried `inline` (else through [`Self::notify`]); this process hears it at once.
    pub fn announced(&self, change: Change, inline: Option<&str>) {
        if inline.is_some() {
            self.heard(change);
        } else {
            self.notify(change);
        }
    }

    /// The cached row of `server` for an app's hello: only on PostgreSQL while this process
    /// listens to the others' announcements ([`crate::server_cache`]).
    pub fn cached_server(&self, server: &ServerId) -> Option<crate::server_cache::Cached> {
        if !self.bus.listening() {
            return None;
        }
        self.server_rows.get(server)
    }

    /// A change this process made or another announced: its watchers and caches hear it.
    pub fn heard(&self, change: Change) {
        match &change {
            Change::Server(server) => self.server_rows.forget(server),
            Change::All => self.server_rows.clear(),
            Change::Session(..) | Change::Messages(_) => {}
        }
        let _ = self.changes.send(change);
    }

    /// How often a watcher re-reads what it follows without being told of a change: `fast`
    /// where other processes' changes are seen only that way (a shared SQLite file), the slow
    /// safety check where they are announced ([`crate::cluster::SAFETY_INTERVAL`]).
    pub fn poll_interval(&self, fast: std::time::Duration) -> std::time::Duration {
        self.poll_interval_or(fast, crate::cluster::SAFETY_INTERVAL)
    }

    /// Like [`Self::poll_interval`], with the safety check every `safety`.
    pub fn poll_interval_or(
        &self,
        fast: std::time::Duration,
        safety: std::time::Duration,
    ) -> std::time::Duration {
        if self.bus.listening() {
            safety
        } else {
            fast
        }
    }
}
