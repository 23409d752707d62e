//! Starting flows (a scanned code, a link, a push login) and answering them: the flow's
//! machine is made here and handed to its task (`runner.rs`).

use nextauth_protocol::qr::{decode_link, QrPayload};
use tokio::sync::{mpsc, oneshot};

use crate::engine::{EngineError, FlowContext, FlowMachine, KnownAccount, KnownServer, Response};
use crate::error::{SdkError, SdkResult};
use crate::inner::{Reply, StepEnv};
use crate::model::{CodeSource, Flow};
use crate::store::AccountRecord;
use crate::Sdk;

impl Sdk {
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

    pub(crate) async fn start_payload_as(
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
                name: s.params.profile.name,
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
}
