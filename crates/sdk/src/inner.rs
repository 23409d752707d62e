//! The SDK's environment: what every driver shares ([`Inner`]: configuration, storage, keystore,
//! transport settings, clock, randomness, the event stream, the running flow and sessions), and
//! the engine's view of it for one step ([`StepEnv`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::pin::DeviceSecret;
use ring::rand::{SecureRandom, SystemRandom};
use tokio::sync::{broadcast, mpsc, oneshot};

use crate::config::Config;
use crate::engine::EngineError;
use crate::engine::{EngineResult, Env, Response, Timeouts};
use crate::error::{SdkError, SdkResult};
use crate::keystore::Keystore;
use crate::model::{Account, Event};
use crate::store::{AccountRecord, Store};

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
    pub(crate) async fn record_interrupted(&self) -> SdkResult<()> {
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
            let draft = crate::store::HistoryRecord {
                at: self.now(),
                kind: flow.map_or(crate::model::HistoryKind::Login, |f| f.kind.into()),
                status,
                server_id: server.map(|s| s.server_id.clone()),
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
                        .map(|s| s.params.profile.name)
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

    /// A history entry about `record`'s account (its server named `server_name`), now.
    pub fn account_entry(
        &self,
        record: &AccountRecord,
        server_name: String,
        (kind, status): (crate::model::HistoryKind, crate::model::HistoryStatus),
        detail: String,
    ) -> crate::store::HistoryRecord {
        crate::store::HistoryRecord {
            at: self.now(),
            kind,
            status,
            server_id: Some(record.server_id.to_base64()),
            server_name,
            account_id: Some(record.id.clone()),
            account_name: record.display_name.clone(),
            announce: None,
            error_code: None,
            detail,
        }
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
        let draft = crate::store::HistoryRecord {
            at: self.now(),
            kind,
            status: crate::model::HistoryStatus::Error,
            server_id: server.map(|s| s.to_base64()),
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
