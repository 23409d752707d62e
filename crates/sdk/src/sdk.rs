//! [`Sdk`]: the driver that runs the engine with real storage, keystore, transport and clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_protocol::qr::{decode_link, QrPayload};
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::Config;
use crate::engine::EngineError;
use crate::engine::{
    EngineResult, Env, FlowContext, FlowMachine, KnownAccount, KnownServer, Response, Timeouts,
};
use crate::error::{SdkError, SdkResult};
use crate::keystore::Keystore;
use crate::model::{Account, CodeSource, Event, Flow, HistoryEntry, Message};
use crate::store::{AccountRecord, HistoryQuery, Store};

/// Labels that bind sealed secrets to their purpose and owner.
pub(crate) fn key_label(account_id: &str) -> Vec<u8> {
    [b"account key ".as_slice(), account_id.as_bytes()].concat()
}
pub(crate) fn push_label(account_id: &str) -> Vec<u8> {
    [b"push key ".as_slice(), account_id.as_bytes()].concat()
}
pub(crate) const PIN_LABEL: &[u8] = b"pin device secret";

pub(crate) type Reply = oneshot::Sender<SdkResult<()>>;
/// Where a running flow or session receives the person's answers.
pub(crate) type Answers = mpsc::Sender<(Response, Reply)>;

/// A continuous session that outlived its flow: where the app's logout goes, and what a
/// LOGOUT push names.
pub(crate) struct LiveSession {
    pub answers: Answers,
    /// The session reference the app logged in with.
    pub session_ref: [u8; 16],
    /// The account logged in.
    pub account_id: String,
    /// Woken when the server's LOGOUT push names this session.
    pub logged_out: Arc<tokio::sync::Notify>,
}

/// The shared inside of an [`Sdk`].
pub(crate) struct Inner {
    pub config: Config,
    /// The deep-link rules in use: `config.link_rules` until the app changes them
    /// ([`Sdk::set_link_rules`]).
    pub link_rules: std::sync::RwLock<nextauth_protocol::qr::LinkRules>,
    pub store: Store,
    pub keystore: Arc<dyn Keystore>,
    /// How `wss://` servers are checked.
    pub tls: crate::transport::Tls,
    /// The platform's biometric check, when the app provides one.
    pub biometrics: std::sync::RwLock<Option<Arc<dyn crate::biometrics::Biometrics>>>,
    pub rng: SystemRandom,
    pub events: broadcast::Sender<Event>,
    /// The one running flow (id and where its answers go).
    pub active: Mutex<Option<(String, Answers)>>,
    /// Continuous sessions by id, to log them out.
    pub sessions: Mutex<HashMap<String, LiveSession>>,
    /// The last report of each active continuous session (for [`Sdk::sessions`]).
    pub session_views: Mutex<HashMap<String, crate::model::Session>>,
    /// The AppLogin session, if one runs: its flow id, start and last reported activity.
    pub app_login: Mutex<Option<(String, std::time::Instant, std::time::Instant)>>,
}

impl Inner {
    /// Ends in the history what the last run left under way (the app was killed or crashed):
    /// a flow as `ABORTED`, a continuous session as `LOGGED_OUT` (its server ends it when the
    /// pings stop).
    async fn record_interrupted(&self) -> SdkResult<()> {
        for interrupted in self.store.take_open_flows().await? {
            let flow = interrupted.flow.as_ref();
            let server = flow.and_then(|f| f.server.as_ref());
            let account = flow.and_then(|f| f.account.as_ref());
            let (status, detail) = if interrupted.session {
                (
                    crate::model::HistoryStatus::LoggedOut,
                    "session ended: the app was stopped",
                )
            } else {
                (
                    crate::model::HistoryStatus::Aborted,
                    "interrupted: the app was stopped",
                )
            };
            let unknown = interrupted
                .answered
                .as_ref()
                .filter(|_| !interrupted.session);
            let detail = match unknown {
                Some(_) => "interrupted after answering: asking the server what happened",
                None => detail,
            };
            let draft = crate::store::HistoryDraft {
                at: self.now(),
                kind: flow.map_or(crate::model::HistoryKind::Login, |f| f.kind.into()),
                status,
                server_id: server
                    .and_then(|s| nextauth_protocol::ids::ServerId::from_base64(&s.server_id).ok()),
                server_name: server.map(|s| s.name.clone()).unwrap_or_default(),
                account_id: account.map(|a| a.id.clone()),
                account_name: account.map(|a| a.display_name.clone()).unwrap_or_default(),
                announce: None,
                error_code: None,
                detail: detail.into(),
            };
            match unknown {
                // The enrolment's own pending row is settled separately.
                Some((account_id, reference)) if draft.kind != crate::model::HistoryKind::Enrol => {
                    self.store
                        .add_unresolved(&draft, account_id, reference)
                        .await?
                }
                _ => {
                    self.store.add_history(&draft).await?;
                }
            }
        }
        Ok(())
    }

    pub fn now(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0)
    }

    /// The engine's deadline clock: monotonic milliseconds since this process first asked
    /// (tokio's clock, so a test that pauses time pauses deadlines too).
    pub fn now_ms(&self) -> u64 {
        u64::try_from(clock_origin().elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// When a deadline of the engine's (its milliseconds) falls, for a timer.
    pub fn instant_at(&self, ms: u64) -> tokio::time::Instant {
        *clock_origin() + std::time::Duration::from_millis(ms)
    }

    /// How long flows wait for the server and the person.
    pub fn timeouts(&self) -> Timeouts {
        let second_factor_input_ms = self
            .config
            .second_factor_input_timeout
            .map_or(Timeouts::PERSON_MS, |d| {
                u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
            });
        Timeouts {
            second_factor_input_ms,
            ..Timeouts::default()
        }
    }

    pub fn emit(&self, event: Event) {
        let _ = self.events.send(event);
    }

    pub fn account_view(&self, record: &AccountRecord, server_name: &str) -> Account {
        Account {
            id: record.id.clone(),
            server_id: record.server_id.to_base64(),
            server_name: server_name.to_owned(),
            display_name: record.display_name.clone(),
            created: record.created,
            last_login: record.last_login,
            has_pin: record.has_pin,
            pending_delete: record.pending_delete,
        }
    }

    /// Every account with its public view.
    pub async fn known_accounts(&self) -> SdkResult<Vec<(AccountRecord, Account)>> {
        let mut out = Vec::new();
        let mut names: HashMap<[u8; 16], String> = HashMap::new();
        for record in self.store.accounts().await? {
            let name = match names.get(&record.server_id.0) {
                Some(name) => name.clone(),
                None => {
                    let name = self
                        .store
                        .server(&record.server_id)
                        .await?
                        .map(|s| s.params.name)
                        .unwrap_or_default();
                    names.insert(record.server_id.0, name.clone());
                    name
                }
            };
            let view = self.account_view(&record, &name);
            out.push((record, view));
        }
        Ok(out)
    }

    /// The signing key of an account, opened from the keystore.
    pub fn signer(&self, record: &AccountRecord) -> SdkResult<SigningKey> {
        let pkcs8 = self
            .keystore
            .open(&key_label(&record.id), &record.key_sealed)?;
        SigningKey::from_pkcs8(&pkcs8, &self.rng).map_err(|_| SdkError::CorruptRow("account"))
    }

    /// The PIN device secret, if set.
    pub async fn device_secret(&self) -> SdkResult<Option<DeviceSecret>> {
        let Some(sealed) = self.store.pin_secret().await? else {
            return Ok(None);
        };
        let bytes = self.keystore.open(PIN_LABEL, &sealed)?;
        let arr: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| SdkError::CorruptRow("device"))?;
        Ok(Some(DeviceSecret::from_bytes(arr)))
    }
}

/// Where the engine's deadline clock starts.
fn clock_origin() -> &'static tokio::time::Instant {
    static ORIGIN: std::sync::OnceLock<tokio::time::Instant> = std::sync::OnceLock::new();
    ORIGIN.get_or_init(tokio::time::Instant::now)
}

/// The engine's view of the surroundings for one step: preloaded records, so it stays sync.
pub(crate) struct StepEnv<'a> {
    pub inner: &'a Inner,
    pub records: &'a [AccountRecord],
    pub device: Option<[u8; 32]>,
}

impl Env for StepEnv<'_> {
    fn now(&self) -> u64 {
        self.inner.now()
    }
    fn now_ms(&self) -> u64 {
        self.inner.now_ms()
    }
    fn rng(&self) -> &dyn SecureRandom {
        &self.inner.rng
    }
    fn account_signer(&self, account_id: &str) -> EngineResult<Box<dyn Signer + Send + Sync>> {
        let record = self
            .records
            .iter()
            .find(|r| r.id == account_id)
            .ok_or(SdkError::Engine(EngineError::UnknownAccount))?;
        Ok(Box::new(self.inner.signer(record)?))
    }
    fn device_secret(&self) -> EngineResult<Option<DeviceSecret>> {
        Ok(self.device.map(DeviceSecret::from_bytes))
    }
}

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
                    out.push((server.params.name.clone(), url.to_owned()));
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

    /// Starts a flow from the raw bytes of a QR code scanned with a camera.
    pub async fn start_qr(&self, bytes: &[u8]) -> SdkResult<Flow> {
        self.start_qr_from(bytes, CodeSource::Camera).await
    }

    /// Starts a flow from the raw bytes of a QR code read from `source` (the prompt warns
    /// when a code from this device's own screen logs in a browser on another network).
    ///
    /// A code that holds the link form as text (a deep link or `nextauth:` URI: what a server
    /// with the `LINK_CODES` flag shows, so that phone camera apps and text-only scanners can
    /// read it) is decoded like a link under the app's link rules.
    pub async fn start_qr_from(&self, bytes: &[u8], source: CodeSource) -> SdkResult<Flow> {
        let now = self.inner.now();
        let payload = match QrPayload::decode(bytes, now) {
            Err(err) => match std::str::from_utf8(bytes) {
                Ok(text) => match decode_link(text, &self.link_rules(), now) {
                    // Not a link of ours either: the code's own error says more.
                    Err(nextauth_protocol::ProtocolError::NotOurs) => Err(err),
                    decoded => decoded,
                },
                Err(_) => Err(err),
            },
            decoded => decoded,
        };
        self.start_payload(payload, source).await
    }

    /// Starts a flow from a deep link or app-to-app URI opened on this device.
    pub async fn start_link(&self, link: &str) -> SdkResult<Flow> {
        self.start_link_from(link, CodeSource::Link).await
    }

    /// Starts a flow from a link or URI that came from `source` (pasted text, a link).
    pub async fn start_link_from(&self, link: &str, source: CodeSource) -> SdkResult<Flow> {
        let payload = decode_link(link, &self.link_rules(), self.inner.now());
        self.start_payload(payload, source).await
    }

    /// Starts a flow from a decoded payload (or records why it could not be decoded).
    pub(crate) async fn start_payload(
        &self,
        payload: nextauth_protocol::Result<QrPayload>,
        source: CodeSource,
    ) -> SdkResult<Flow> {
        self.start_payload_as(payload, false, source, None).await
    }

    /// Starts the login a push message asked `account_id` for: only that account is offered.
    pub(crate) async fn start_push_login(
        &self,
        code: nextauth_protocol::qr::LoginCode,
        account_id: &str,
    ) -> SdkResult<Flow> {
        let payload = Ok(QrPayload::Login(code));
        self.start_payload_as(
            payload,
            false,
            CodeSource::Push,
            Some(account_id.to_owned()),
        )
        .await
    }

    async fn start_payload_as(
        &self,
        payload: nextauth_protocol::Result<QrPayload>,
        app_login: bool,
        source: CodeSource,
        only_account: Option<String>,
    ) -> SdkResult<Flow> {
        let payload = match payload {
            Ok(payload) => payload,
            Err(err) => {
                let err = SdkError::from(err);
                self.inner
                    .record_error(crate::model::HistoryKind::Scan, &err, None)
                    .await;
                return Err(err);
            }
        };
        let (tx, rx) = mpsc::channel(8);
        let id = uuid::Uuid::new_v4().to_string();
        {
            let mut active = self.inner.active.lock().map_err(|_| SdkError::FlowActive)?;
            if active.is_some() {
                return Err(SdkError::FlowActive);
            }
            *active = Some((id.clone(), tx));
        }
        match self
            .prepare_and_spawn(id.clone(), payload, rx, (app_login, source, only_account))
            .await
        {
            Ok(flow) => Ok(flow),
            Err(err) => {
                self.inner.release(&id);
                Err(err)
            }
        }
    }

    async fn prepare_and_spawn(
        &self,
        id: String,
        payload: QrPayload,
        rx: mpsc::Receiver<(Response, Reply)>,
        (app_login, source, only_account): (bool, CodeSource, Option<String>),
    ) -> SdkResult<Flow> {
        let accounts = self.inner.known_accounts().await?;
        let known_server = self
            .inner
            .store
            .server(payload.server_id())
            .await?
            .map(|s| KnownServer {
                public_key: s.params.public_key,
                issued_at: s.params.issued_at,
                name: s.params.name,
                endpoint: s.params.endpoint,
            });
        let ctx = FlowContext {
            accounts: accounts
                .iter()
                .map(|(record, view)| KnownAccount {
                    account: view.clone(),
                    public_key: record.public_key,
                })
                .collect(),
            known_server,
            allowed_servers: self.inner.config.allowed_server_ids.clone(),
            pinned_key: self.inner.config.pinned_key(payload.server_id()),
            single_account: self.inner.config.single_account,
            device_name: self.inner.config.device_name.clone(),
            app_login,
            source,
            only_account,
            second_factor_blocked: self.inner.config.block_second_factor_on_pin_blocked
                && self.inner.store.pin_blocked().await?,
            timeouts: self.inner.timeouts(),
        };
        let records: Vec<AccountRecord> = accounts.into_iter().map(|(r, _)| r).collect();
        let device = self.inner.device_secret().await?.map(|d| *d.expose());
        let env = StepEnv {
            inner: &self.inner,
            records: &records,
            device,
        };
        let (machine, effects) = match FlowMachine::start(id, payload, ctx, &env) {
            Ok(started) => started,
            Err((err, effects)) => {
                for effect in effects {
                    if let crate::engine::Effect::History(mut draft) = effect {
                        draft.at = self.inner.now();
                        self.inner.store.add_history(&draft).await?;
                    }
                }
                return Err(err.into());
            }
        };
        let flow = machine.flow().clone();
        let span = crate::runner::flow_span(&flow, machine.log_id().as_deref());
        let run = crate::runner::run(self.inner.clone(), machine, effects, records, rx);
        tokio::spawn(tracing::Instrument::instrument(run, span));
        Ok(flow)
    }

    /// Answers the running flow (or logs out a continuous session with [`Response::Cancel`]).
    /// A PIN given here is one the person typed (it restarts the biometric limits).
    pub async fn respond(&self, flow_id: &str, response: Response) -> SdkResult<()> {
        let typed_pin = matches!(response, Response::Pin { .. });
        self.respond_as(flow_id, response).await?;
        if typed_pin {
            self.inner.store.pin_typed(self.inner.now()).await?;
        }
        Ok(())
    }

    /// Answers the running flow: the person's answer, or the PIN that biometric unlock opened.
    pub(crate) async fn respond_as(&self, flow_id: &str, response: Response) -> SdkResult<()> {
        let sender = {
            let active = self
                .inner
                .active
                .lock()
                .map_err(|_| SdkError::Engine(EngineError::UnknownFlow))?;
            match active.as_ref() {
                Some((id, tx)) if id == flow_id => Some(tx.clone()),
                _ => None,
            }
        };
        let sender = match sender {
            Some(tx) => tx,
            None => {
                let sessions = self
                    .inner
                    .sessions
                    .lock()
                    .map_err(|_| SdkError::Engine(EngineError::UnknownFlow))?;
                sessions
                    .get(flow_id)
                    .map(|s| s.answers.clone())
                    .ok_or(SdkError::Engine(EngineError::UnknownFlow))?
            }
        };
        let (reply, answer) = oneshot::channel();
        sender
            .send((response, reply))
            .await
            .map_err(|_| SdkError::Engine(EngineError::UnknownFlow))?;
        answer
            .await
            .map_err(|_| SdkError::Engine(EngineError::UnknownFlow))?
    }

    /// AppLogin: a token for the app's own backend (`audience`, e.g. its API's URL), valid for
    /// a few minutes while the AppLogin session is logged in. The server signs it; the backend
    /// checks it with the server's public key or its REST API (docs/sdk.md). Fails with
    /// `NoAppLogin` (135) when no AppLogin session runs, `Refused` when the server will not
    /// vouch for it (111: the session is no longer logged in).
    pub async fn app_login_token(&self, audience: &str) -> SdkResult<crate::model::AppToken> {
        if audience.is_empty()
            || audience.len() > nextauth_protocol::app_token::MAX_AUDIENCE_LEN
            || audience.chars().any(char::is_control)
        {
            return Err(SdkError::Engine(EngineError::InvalidInput("audience")));
        }
        let flow_id = self
            .inner
            .app_login
            .lock()
            .ok()
            .and_then(|slot| slot.as_ref().map(|(id, _, _)| id.clone()))
            .ok_or(SdkError::NoAppLogin)?;
        // Right after the login the session may still be on its way from flow to session.
        let mut found = None;
        for _ in 0..20 {
            found = self.inner.sessions.lock().ok().and_then(|s| {
                s.get(&flow_id)
                    .map(|s| (s.session_ref, s.account_id.clone()))
            });
            if found.is_some() || self.active_flow().as_deref() != Some(flow_id.as_str()) {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let (session_ref, account_id) = found.ok_or(SdkError::NoAppLogin)?;
        let record = self
            .inner
            .store
            .account(&account_id)
            .await?
            .ok_or(SdkError::NoAppLogin)?;
        let request = nextauth_protocol::messages::AppRecord::TokenRequest {
            session_ref: nextauth_protocol::ids::SessionRef(session_ref),
            audience: audience.to_owned(),
        };
        let answer = crate::channel::AccountChannel::ask_once(&self.inner, &record, &request);
        match answer.await? {
            nextauth_protocol::messages::ServerRecord::AppToken { token } => {
                let parsed = nextauth_protocol::app_token::UnverifiedToken::parse(&token)
                    .map_err(|_| nextauth_protocol::ProtocolError::UnexpectedMessage)?;
                Ok(crate::model::AppToken {
                    token,
                    audience: audience.to_owned(),
                    expires_at: parsed.claims.expires_at,
                })
            }
            _ => Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
        }
    }

    /// AppLogin: logs the app itself into its backend with its single account. Returns the
    /// flow id (watch it like any login; the PIN is asked when due) and the web nonce, which
    /// the app hands to its backend: the backend asks the server about that session with the
    /// REST API (`getSession` with `X-nonce`) and so learns which user is logged in. The nonce
    /// is the bearer token of this login; treat it as a secret. On a continuous server the
    /// session lasts until [`Sdk::stop`], the server's logout, or the configured inactivity
    /// ([`Sdk::app_login_activity`]) or lifetime limits.
    pub async fn app_login(&self) -> SdkResult<crate::model::AppLogin> {
        let records: Vec<AccountRecord> = self
            .inner
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|r| !r.pending_delete)
            .collect();
        let record = match records.as_slice() {
            [one] => one,
            [] => return Err(SdkError::Engine(EngineError::NoAccountsForServer)),
            _ => return Err(SdkError::Engine(EngineError::SingleAccount)),
        };
        let server = self
            .inner
            .store
            .server(&record.server_id)
            .await?
            .ok_or(SdkError::CorruptRow("account"))?;
        let bytes: [u8; 32] = nextauth_protocol::crypto::random_array(&self.inner.rng)?;
        let nonce =
            base64::Engine::encode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, bytes);
        let session_ref =
            nextauth_protocol::ids::SessionRef::derive(&record.server_id, nonce.as_bytes());
        let code = nextauth_protocol::qr::LoginCode {
            endpoint: server.params.endpoint.clone(),
            server_id: record.server_id,
            session_ref,
        };
        let flow = self
            .start_payload_as(Ok(QrPayload::Login(code)), true, CodeSource::Camera, None)
            .await?;
        let now = std::time::Instant::now();
        if let Ok(mut slot) = self.inner.app_login.lock() {
            *slot = Some((flow.id.clone(), now, now));
        }
        Ok(crate::model::AppLogin {
            flow_id: flow.id,
            nonce,
        })
    }

    /// AppLogin: the person is using the app (resets the inactivity limit).
    pub fn app_login_activity(&self) {
        if let Ok(mut slot) = self.inner.app_login.lock() {
            if let Some((_, _, last)) = slot.as_mut() {
                *last = std::time::Instant::now();
            }
        }
    }

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

impl Inner {
    /// Frees the flow slot held by `id`.
    pub fn release(&self, id: &str) {
        if let Ok(mut active) = self.active.lock() {
            if active.as_ref().is_some_and(|(a, _)| a == id) {
                *active = None;
            }
        }
    }

    /// Records an error outside a flow in the history and reports it.
    pub async fn record_error(
        &self,
        kind: crate::model::HistoryKind,
        err: &SdkError,
        server: Option<nextauth_protocol::ids::ServerId>,
    ) {
        let draft = crate::store::HistoryDraft {
            at: self.now(),
            kind,
            status: crate::model::HistoryStatus::Error,
            server_id: server,
            server_name: String::new(),
            account_id: None,
            account_name: String::new(),
            announce: None,
            error_code: Some(err.code()),
            detail: err.to_string(),
        };
        if let Err(e) = self.store.add_history(&draft).await {
            tracing::warn!(%e, "cannot record an error in the history");
        }
        self.emit(Event::Error { error: err.info() });
    }
}
