//! The task that runs one flow: carries out the engine's effects and feeds it inputs from the
//! connection, the person and a timer set to the machine's own deadline. How long anything
//! may take is the machine's decision ([`FlowMachine::deadline`]); this driver only waits.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;

use crate::engine::EngineError;
use crate::engine::{Effect, FlowMachine, Input, Response};
use crate::error::SdkResult;
use crate::inner::{key_label, push_label, Inner, LiveSession, Reply, StepEnv, PIN_LABEL};
use crate::model::{Event, FlowState};
use crate::store::{AccountRecord, PendingEnrol};
use crate::transport::Connection;

/// Runs the flow to its end (and, for a continuous login, until the session ends).
pub(crate) async fn run(
    inner: Arc<Inner>,
    mut machine: FlowMachine,
    effects: Vec<Effect>,
    mut records: Vec<AccountRecord>,
    mut answers: mpsc::Receiver<(Response, Reply)>,
) {
    let id = machine.flow().id.clone();
    let mut conn: Option<Connection> = None;
    let mut pending: VecDeque<Effect> = effects.into();
    let mut in_session = false;
    // Woken by a LOGOUT push that names this session (push.rs).
    let logged_out = Arc::new(tokio::sync::Notify::new());
    // What a LOGOUT push names: the session reference of a login (and the account, known once
    // chosen).
    let session_ref = machine.session_ref().unwrap_or_default();
    let mut device = inner
        .device_secret()
        .await
        .ok()
        .flatten()
        .map(|d| *d.expose());
    // What the journal of open flows holds for this one (written when it changes, so that a
    // restart can end it in the history).
    let mut journaled: Option<Journaled> = None;
    journal(&inner, &machine, &mut journaled).await;
    // Biometric unlock is offered once per flow, at the first PIN question.
    let mut biometrics_offered = false;
    loop {
        while let Some(effect) = pending.pop_front() {
            if matches!(effect, Effect::Send(_)) {
                // What the flow is about to answer is in the journal before it leaves, so a
                // stop right after sending knows to ask the server what became of it.
                journal(&inner, &machine, &mut journaled).await;
            }
            let ends = (session_ref, &logged_out);
            let next = execute(&inner, &mut conn, effect, &mut records, &mut device, ends).await;
            if let Some(input) = next {
                if matches!(input, Input::Failed(_)) && !machine.is_finished() {
                    // What was to follow the failed effect (a send after a store, a "done"
                    // after a commit) must not happen; the machine says what does instead.
                    // (A flow already ended still closes and reports its end.)
                    pending.clear();
                }
                let env = StepEnv {
                    inner: &inner,
                    records: &records,
                    device,
                };
                pending.extend(machine.handle(input, &env).unwrap_or_default());
            }
        }
        if machine.is_finished() {
            let flow = machine.flow();
            let code = flow.error.as_ref().map(|e| e.code);
            tracing::info!(state = ?flow.state, code, "flow ended");
            break;
        }
        if machine.is_session() && !in_session {
            // The flow is done; the session lives on without holding the flow slot.
            in_session = true;
            if let Some((_, tx)) = inner.active.lock().ok().and_then(|mut a| a.take()) {
                let live = LiveSession {
                    answers: tx,
                    session_ref: machine.session_ref().unwrap_or_default(),
                    account_id: machine
                        .flow()
                        .account
                        .as_ref()
                        .map(|a| a.id.clone())
                        .unwrap_or_default(),
                    logged_out: logged_out.clone(),
                };
                if let Ok(mut sessions) = inner.sessions.lock() {
                    sessions.insert(id.clone(), live);
                }
            }
        }
        journal(&inner, &machine, &mut journaled).await;
        if !biometrics_offered && asks_for_existing_pin(machine.flow()) {
            biometrics_offered = true;
            offer_biometrics(&inner, machine.flow());
        }
        let wake_at = machine.deadline().map(|ms| inner.instant_at(ms));
        let input = tokio::select! {
            frame = recv(&mut conn) => match frame {
                Ok(frame) => Input::Frame(frame),
                Err(_) => Input::Closed,
            },
            answer = answers.recv() => match answer {
                Some((response, reply)) => {
                    let env = StepEnv { inner: &inner, records: &records, device };
                    let result = machine.handle(Input::Respond(response), &env);
                    answered(reply, result, &mut pending);
                    continue;
                }
                // Every handle to the SDK is gone: stop.
                None => Input::Respond(Response::Cancel),
            },
            () = timer(wake_at) => Input::Timer,
            () = logged_out.notified(), if in_session => Input::LoggedOutByPush,
            () = app_login_deadline(&inner, &id, in_session) => {
                tracing::info!("AppLogin session ended by its time limit");
                // Fire once: the logout is under way, the limit no longer applies.
                if let Ok(mut slot) = inner.app_login.lock() {
                    *slot = None;
                }
                Input::Respond(Response::Cancel)
            }
        };
        let env = StepEnv {
            inner: &inner,
            records: &records,
            device,
        };
        pending.extend(machine.handle(input, &env).unwrap_or_default());
    }
    // The slot first, with no await before it: whoever saw the end may start the next flow.
    inner.release(&id);
    if let Ok(mut sessions) = inner.sessions.lock() {
        sessions.remove(&id);
    }
    if let Ok(mut views) = inner.session_views.lock() {
        views.remove(&id);
    }
    if let Some(conn) = conn.take() {
        conn.close().await;
    }
    // A flow left the journal at its DONE/ERROR update; a continuous session, which ends
    // without one, leaves it here.
    if let Err(err) = inner.store.end_open_flow(&id).await {
        tracing::warn!(
            code = err.code(),
            "cannot remove an ended flow from the journal"
        );
    }
}

/// Whether the flow asks for the PIN the first time (not after a wrong one).
fn asks_for_existing_pin(flow: &crate::model::Flow) -> bool {
    flow.state == FlowState::WaitingForInput
        && matches!(
            flow.interaction,
            Some(crate::model::Interaction::VerifySecondFactor { retry: false, .. })
        )
}

/// Answers the PIN question with the biometrically unlocked PIN, if biometrics are on and the
/// person passes the platform's check; otherwise the question stays for the PIN pad. The answer
/// goes in like the person's own (a PIN typed first wins; the later one is refused).
fn offer_biometrics(inner: &Arc<Inner>, flow: &crate::model::Flow) {
    let server = flow
        .server
        .as_ref()
        .map_or("the website", |s| s.name.as_str());
    let sdk = crate::Sdk {
        inner: inner.clone(),
    };
    let reason = format!("Confirm with {server}");
    crate::biometrics::answer_with_biometrics(sdk, flow.id.clone(), reason);
}

/// Writes the flow's state to the journal of open flows when it changed since `journaled`.
/// A flow as last written to the journal: its view, whether it is a live session, and what it
/// answered without hearing back yet.
type Journaled = (crate::model::Flow, bool, Option<(String, [u8; 16])>);

async fn journal(inner: &Inner, machine: &FlowMachine, journaled: &mut Option<Journaled>) {
    let now = (
        machine.flow().clone(),
        machine.is_session(),
        machine.awaiting_answer(),
    );
    if journaled.as_ref() != Some(&now) {
        let saved = inner
            .store
            .save_open_flow(&now.0, now.1, now.2.as_ref(), inner.now())
            .await;
        if let Err(err) = saved {
            tracing::warn!(code = err.code(), "cannot journal an open flow");
        }
        *journaled = Some(now);
    }
}

/// Completes when the AppLogin session `id` passes its inactivity or lifetime limit; never for
/// other flows.
async fn app_login_deadline(inner: &Inner, id: &str, in_session: bool) {
    loop {
        // Re-read every second, so reported activity moves the deadline.
        let slot = inner.app_login.lock().ok().and_then(|s| s.clone());
        let deadline = match slot {
            Some((flow, started, last)) if in_session && flow == id => {
                let by_inactivity = inner.config.app_login_inactivity.map(|d| last + d);
                let by_lifetime = inner.config.app_login_lifetime.map(|d| started + d);
                by_inactivity.into_iter().chain(by_lifetime).min()
            }
            _ => None,
        };
        let Some(at) = deadline else {
            return std::future::pending().await;
        };
        let now = std::time::Instant::now();
        if at <= now {
            return;
        }
        tokio::time::sleep((at - now).min(Duration::from_secs(1))).await;
    }
}

/// The span of one flow, for its whole run: the flow's id (as in its events), its kind, and
/// for an enrolment or a login the id the server logs it under (`flow`), so one login can be
/// followed through the app's and the server's logs. Nothing secret: the session reference
/// itself never appears, only its hash.
pub(crate) fn flow_span(flow: &crate::model::Flow, log_id: Option<&str>) -> tracing::Span {
    let log_id = log_id.map(tracing::field::display);
    tracing::info_span!("flow", id = %flow.id, kind = ?flow.kind, flow = log_id)
}

/// Tells the one who answered whether the machine took the answer (`result`); what it took it
/// for joins `pending`.
pub(crate) fn answered<E>(
    reply: Reply,
    result: crate::engine::EngineResult<Vec<E>>,
    pending: &mut VecDeque<E>,
) {
    match result {
        Ok(effects) => {
            let _ = reply.send(Ok(()));
            pending.extend(effects);
        }
        Err(err) => {
            let _ = reply.send(Err(err.into()));
        }
    }
}

/// Completes at `at`; never without one.
pub(crate) async fn timer(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn recv(conn: &mut Option<Connection>) -> SdkResult<Vec<u8>> {
    match conn {
        Some(conn) => conn.recv().await,
        None => std::future::pending().await,
    }
}

/// Carries out one effect; returns an input for the engine when the effect produced one.
async fn execute(
    inner: &Arc<Inner>,
    conn: &mut Option<Connection>,
    effect: Effect,
    records: &mut Vec<AccountRecord>,
    device: &mut Option<[u8; 32]>,
    (session_ref, logged_out): ([u8; 16], &Arc<tokio::sync::Notify>),
) -> Option<Input> {
    let result: SdkResult<Option<Input>> = async {
        match effect {
            Effect::Connect { endpoint } => match Connection::open(&endpoint, &inner.tls).await {
                Ok(c) => {
                    *conn = Some(c);
                    Ok(Some(Input::Connected))
                }
                Err(err @ crate::SdkError::Engine(EngineError::UntrustedServer)) => {
                    Ok(Some(Input::Failed(err.into())))
                }
                Err(_) => Ok(Some(Input::Unreachable)),
            },
            Effect::Send(frame) => match conn.as_mut() {
                Some(c) => Ok(c.send(frame).await.err().map(|_| Input::Closed)),
                None => Ok(Some(Input::Closed)),
            },
            Effect::Update(flow) => {
                let blocked = crate::SdkError::Engine(EngineError::PinBlocked).code();
                if flow.error.as_ref().is_some_and(|e| e.code == blocked) {
                    inner.store.set_pin_blocked(true).await?;
                }
                if matches!(flow.state, FlowState::Done | FlowState::Error) {
                    // Out of the journal before anyone hears of the end: an app may exit at
                    // once. (A continuous session is journaled again as such.)
                    if let Err(err) = inner.store.end_open_flow(&flow.id).await {
                        tracing::warn!(
                            code = err.code(),
                            "cannot remove an ended flow from the journal"
                        );
                    }
                    // The slot is free before anyone hears of the end, so whoever saw it may
                    // start the next flow at once (an answer channel a continuous session
                    // still needs lives on with the sessions; the runner drops it at its end).
                    let slot =
                        inner
                            .active
                            .lock()
                            .ok()
                            .and_then(|mut active| match active.as_ref() {
                                Some((id, _)) if *id == flow.id => active.take(),
                                _ => None,
                            });
                    if let (Some((id, tx)), Ok(mut sessions)) = (slot, inner.sessions.lock()) {
                        let live = LiveSession {
                            answers: tx,
                            session_ref,
                            account_id: flow
                                .account
                                .as_ref()
                                .map(|a| a.id.clone())
                                .unwrap_or_default(),
                            logged_out: logged_out.clone(),
                        };
                        sessions.insert(id, live);
                    }
                }
                inner.emit(Event::FlowUpdate { flow });
                Ok(None)
            }
            Effect::SaveServer { signed, params } => {
                inner
                    .store
                    .save_server(&signed, &params, inner.now())
                    .await?;
                Ok(None)
            }
            Effect::StorePendingEnrol {
                account: new,
                signed,
                params,
            } => {
                let id = new.account.id.clone();
                let account = AccountRecord {
                    id: id.clone(),
                    server_id: params.server_id,
                    display_name: new.account.display_name.clone(),
                    public_key: new.public_key,
                    key_sealed: inner.keystore.seal(&key_label(&id), &new.pkcs8)?,
                    push_key_sealed: inner
                        .keystore
                        .seal(&push_label(&id), new.push_key.as_ref())?,
                    push_key_id: nextauth_protocol::push::key_id(&new.push_key),
                    has_pin: new.account.has_pin,
                    created: new.account.created,
                    last_login: new.account.last_login,
                    pending_delete: false,
                };
                let pending = PendingEnrol {
                    account,
                    signed,
                    params,
                };
                inner.store.insert_pending_enrol(&pending).await?;
                Ok(None)
            }
            Effect::ActivateEnrol {
                account_id,
                mut history,
            } => {
                history.at = inner.now();
                let stored = inner
                    .store
                    .activate_enrol(&account_id, Some(&history), inner.now())
                    .await?
                    .ok_or(crate::SdkError::CorruptRow("pending enrolment"))?;
                let server_name = history.server_name.clone();
                inner.emit(Event::AccountUpdate {
                    account: inner.account_view(&stored, &server_name),
                });
                records.push(stored);
                Ok(None)
            }
            Effect::DiscardEnrol { account_id } => {
                inner.store.discard_pending_enrol(&account_id).await?;
                // A PIN set for this enrolment alone goes with it.
                if !inner.store.any_pin_account().await? {
                    inner.store.set_pin_secret(None).await?;
                    *device = None;
                }
                Ok(None)
            }
            Effect::Commit => Ok(Some(Input::Committed)),
            Effect::Unresolved {
                mut history,
                account_id,
                reference,
            } => {
                history.at = inner.now();
                inner
                    .store
                    .add_unresolved(&history, &account_id, &reference)
                    .await?;
                Ok(None)
            }
            Effect::AccountHasPin { account_id } => {
                inner.store.set_account_has_pin(&account_id).await?;
                if let Some(record) = records.iter_mut().find(|r| r.id == account_id) {
                    record.has_pin = true;
                }
                Ok(None)
            }
            Effect::PinSetAgain => {
                inner.store.set_pin_blocked(false).await?;
                Ok(None)
            }
            Effect::SetPinSecret(secret) => {
                let sealed = inner.keystore.seal(PIN_LABEL, secret.expose())?;
                inner.store.set_pin_secret(Some(&sealed)).await?;
                inner.store.set_pin_blocked(false).await?;
                *device = Some(*secret.expose());
                Ok(None)
            }
            Effect::CheckPin { pin } => Ok(Some(Input::PinChecked(
                crate::account_ops::check_pin(inner, &pin).await,
            ))),
            Effect::RecordLogin { account_id } => {
                inner.store.record_login(&account_id, inner.now()).await?;
                Ok(None)
            }
            Effect::History(mut draft) => {
                draft.at = inner.now();
                inner.store.add_history(&draft).await?;
                Ok(None)
            }
            Effect::Session(session) => {
                if let Ok(mut views) = inner.session_views.lock() {
                    if session.state == crate::model::SessionState::Active {
                        views.insert(session.id.clone(), session.clone());
                    } else {
                        views.remove(&session.id);
                    }
                }
                inner.emit(Event::SessionUpdate { session });
                Ok(None)
            }
            Effect::Close => {
                if let Some(c) = conn.take() {
                    c.close().await;
                }
                Ok(None)
            }
        }
    }
    .await;
    match result {
        Ok(next) => next,
        Err(err) => {
            // Storage or keystore failures end the flow with a typed error; nothing is
            // half-written because each effect is one statement or one transaction.
            tracing::warn!(code = err.code(), %err, "a flow effect failed");
            Some(Input::Failed(err.into()))
        }
    }
}
