//! [`Sdk`]: the facade apps hold. Opening, reading what is stored, and the running flow and
//! sessions; starting and answering flows is in `flows.rs`, AppLogin in `app_login.rs`, and
//! what runs them in `runner.rs` and `channel.rs`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ring::rand::SystemRandom;
use tokio::sync::broadcast;

use crate::config::Config;
use crate::engine::{EngineError, Response};
use crate::error::{SdkError, SdkResult};
use crate::inner::Inner;
use crate::keystore::Keystore;
use crate::model::{Account, Event, HistoryEntry, Message};
use crate::store::{HistoryQuery, Store};

/// The authenticator SDK. Cheap to clone; all clones share one database and event stream.
#[derive(Clone)]
pub struct Sdk {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Sdk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sdk")
            .field("data_dir", &self.inner.config.data_dir)
            .finish_non_exhaustive()
    }
}

impl Sdk {
    /// Opens the SDK: validates the configuration, opens (or creates) the database in the data
    /// directory, and prunes expired history and message ids.
    pub async fn open(config: Config, keystore: Arc<dyn Keystore>) -> SdkResult<Self> {
        Self::open_inner(config, keystore, None).await
    }

    /// [`Sdk::open`] with storage faults injected on purpose (reliability tests only).
    #[doc(hidden)]
    pub async fn open_with_faults(
        config: Config,
        keystore: Arc<dyn Keystore>,
        faults: Arc<crate::store::StorageFaults>,
    ) -> SdkResult<Self> {
        Self::open_inner(config, keystore, Some(faults)).await
    }

    async fn open_inner(
        config: Config,
        keystore: Arc<dyn Keystore>,
        faults: Option<Arc<crate::store::StorageFaults>>,
    ) -> SdkResult<Self> {
        config.validate()?;
        let path = config.data_dir.join("nextauth.db");
        let store = Store::open(&path, faults).await?;
        // The database and the key belong together, or nothing is touched.
        store.check_belongs(&path, keystore.as_ref()).await?;
        let (events, _) = broadcast::channel(256);
        let inner = Inner {
            tls: crate::transport::Tls::new(&config.extra_root_certificates),
            biometrics: std::sync::RwLock::new(None),
            link_rules: std::sync::RwLock::new(config.link_rules.clone()),
            config,
            store,
            keystore,
            rng: SystemRandom::new(),
            events,
            active: Mutex::new(None),
            sessions: Mutex::new(HashMap::new()),
            session_views: Mutex::new(HashMap::new()),
            app_login: Mutex::new(None),
        };
        let now = inner.now();
        inner.record_interrupted().await?;
        // A PIN belongs to the accounts that need it: without one (the last was deleted, or a
        // kill fell between storing a new PIN and its account), the PIN is reset, as it is when
        // the last PIN account is removed.
        if !inner.store.any_pin_account().await? {
            inner.store.set_pin_secret(None).await?;
        }
        inner.store.prune_seen(now).await?;
        let retention = u64::from(inner.config.history_retention_days) * 86_400;
        inner
            .store
            .prune_history(now.saturating_sub(retention))
            .await?;
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Subscribes to the event stream (every callback of the SDK).
    pub fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.inner.events.subscribe()
    }

    /// The configuration in use (its `link_rules` as given at start; [`Sdk::link_rules`] has
    /// the ones in use).
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The deep-link rules [`Sdk::start_link`] applies now.
    pub fn link_rules(&self) -> crate::config::LinkRules {
        self.inner
            .link_rules
            .read()
            .map_or_else(|_| self.inner.config.link_rules.clone(), |r| r.clone())
    }

    /// Replaces the deep-link rules while the SDK runs (an app whose person adds a website's
    /// link prefix in its settings). Flows already started are not affected.
    pub fn set_link_rules(&self, rules: crate::config::LinkRules) {
        if let Ok(mut current) = self.inner.link_rules.write() {
            *current = rules;
        }
    }

    /// The `https://` deep-link prefixes the servers this app has accounts with announce in
    /// their signed parameters (`appurl`), each with the server's name, ordered by name; an
    /// app can accept their links without being told.
    pub async fn server_link_prefixes(&self) -> SdkResult<Vec<(String, String)>> {
        let mut seen = std::collections::BTreeSet::new();
        let mut out = Vec::new();
        for record in self.inner.store.accounts().await? {
            if record.pending_delete || !seen.insert(record.server_id.to_base64()) {
                continue;
            }
            if let Some(server) = self.inner.store.server(&record.server_id).await? {
                let url = server.params.app_url.trim_end_matches('/');
                if url.starts_with("https://") && url.len() > "https://".len() {
                    out.push((server.params.profile.name.clone(), url.to_owned()));
                }
            }
        }
        out.sort();
        Ok(out)
    }

    /// Every account.
    pub async fn accounts(&self) -> SdkResult<Vec<Account>> {
        Ok(self
            .inner
            .known_accounts()
            .await?
            .into_iter()
            .map(|(_, view)| view)
            .collect())
    }

    /// The history, newest first.
    pub async fn history(&self, query: &HistoryQuery) -> SdkResult<Vec<HistoryEntry>> {
        self.inner.store.history(query).await
    }

    /// Messages servers sent, newest first.
    pub async fn messages(&self) -> SdkResult<Vec<Message>> {
        self.inner.store.messages().await
    }
}

impl Sdk {
    /// A server's stored parameters as the app shows them (name, logo, PIN policy, visual
    /// hash), by its id (base64url); `None` when no account here belongs to it.
    pub async fn server(&self, server_id: &str) -> SdkResult<Option<crate::model::ServerInfo>> {
        let id = nextauth_protocol::ids::ServerId::from_base64(server_id)
            .map_err(|_| SdkError::Engine(EngineError::InvalidInput("not a server id")))?;
        Ok(self
            .inner
            .store
            .server(&id)
            .await?
            .map(|s| crate::engine::server_info(&s.params, &s.signed.bytes)))
    }

    /// Marks every message read (the app showed them); returns how many were unread.
    pub async fn mark_messages_read(&self) -> SdkResult<u64> {
        self.inner.store.mark_messages_read().await
    }

    /// Deletes the message `id` (base64url); returns whether it existed.
    pub async fn delete_message(&self, id: &str) -> SdkResult<bool> {
        let id = nextauth_protocol::ids::MessageId::from_base64(id)
            .map_err(|_| SdkError::Engine(EngineError::InvalidInput("not a message id")))?;
        self.inner.store.delete_message(&id).await
    }

    /// Stops the running flow (same as answering [`Response::Cancel`]).
    pub async fn stop(&self, flow_id: &str) -> SdkResult<()> {
        self.respond(flow_id, Response::Cancel).await
    }

    /// The continuous sessions that are active now (log one out with [`Sdk::stop`] and its
    /// id), ordered by server name and account.
    pub fn sessions(&self) -> Vec<crate::model::Session> {
        let mut sessions: Vec<_> = self
            .inner
            .session_views
            .lock()
            .map(|views| views.values().cloned().collect())
            .unwrap_or_default();
        sessions.sort_by(|a, b| {
            (&a.server.name, &a.account.display_name, &a.id).cmp(&(
                &b.server.name,
                &b.account.display_name,
                &b.id,
            ))
        });
        sessions
    }

    /// The id of the running flow, if any.
    pub fn active_flow(&self) -> Option<String> {
        self.inner
            .active
            .lock()
            .ok()
            .and_then(|a| a.as_ref().map(|(id, _)| id.clone()))
    }
}
