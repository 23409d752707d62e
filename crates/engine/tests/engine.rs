//! The flow engine driven input by input, with the server side played by the protocol crate:
//! no sockets, no database, no clock, so every path (including the odd ones) is checked. Time is
//! a fake clock in milliseconds of test time (`TestEnv::clock`), moved by hand.

use std::cell::Cell;
use std::collections::HashMap;

use nextauth_engine::model::{
    Account, CodeSource, ErrorInfo, FlowState, HistoryStatus, Interaction, NumberAsk, SessionState,
};
use nextauth_engine::{
    Effect, EngineError, EngineResult, Env, FlowContext, FlowMachine, Input, KnownAccount,
    KnownServer, PinInput, Response, Timeouts,
};
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{encode_alert, ClientFinished, ClientHello, Session as Channel};
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, LoginCheck, NumberChallenge, Observed, ServerContext, ServerRecord,
    SessionInfo,
};
use nextauth_protocol::params::{SecondFactorPolicy, ServerParams, SignedServerParams};
use nextauth_protocol::pin::{check_pin_proof, pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::qr::{EnrolCode, EnrolSecret, LoginCode, QrPayload};
use ring::rand::{SecureRandom, SystemRandom};
use zeroize::Zeroizing;

mod support;

const NOW: u64 = 1_800_000_000;
const SERVER: ServerId = ServerId([7; 16]);

struct TestEnv {
    rng: SystemRandom,
    pkcs8: HashMap<String, Zeroizing<Vec<u8>>>,
    device: Option<[u8; 32]>,
    /// The driver's monotonic milliseconds: test time, moved by [`TestEnv::advance`].
    clock: Cell<u64>,
}

impl TestEnv {
    /// Lets `ms` milliseconds of test time pass.
    fn advance(&self, ms: u64) {
        self.clock.set(self.clock.get() + ms);
    }
}

impl Env for TestEnv {
    fn now(&self) -> u64 {
        NOW
    }
    fn now_ms(&self) -> u64 {
        self.clock.get()
    }
    fn rng(&self) -> &dyn SecureRandom {
        &self.rng
    }
    fn account_signer(&self, id: &str) -> EngineResult<Box<dyn Signer + Send + Sync>> {
        let pkcs8 = self.pkcs8.get(id).ok_or(EngineError::UnknownAccount)?;
        Ok(Box::new(SigningKey::from_pkcs8(pkcs8, &self.rng)?))
    }
    fn device_secret(&self) -> EngineResult<Option<DeviceSecret>> {
        Ok(self.device.map(DeviceSecret::from_bytes))
    }
}

/// The server side, played with the protocol crate.
struct Server {
    key: SigningKey,
    params: ServerParams,
    signed: SignedServerParams,
}

impl Server {
    fn new(second_factor: SecondFactorPolicy, ping_time: u32) -> Self {
        let rng = SystemRandom::new();
        let (key, _) = SigningKey::generate(&rng).unwrap();
        let params = support::params(SERVER, &key, NOW - 10, second_factor, ping_time);
        let signed = params.sign(&key, &rng).unwrap();
        Self {
            key,
            params,
            signed,
        }
    }

    /// Answers the ClientHello found in `effects` with `context`.
    fn hello(
        &self,
        effects: &[Effect],
        context: &ServerContext,
    ) -> (nextauth_protocol::handshake::ServerAwaitingFinish, Vec<u8>) {
        let m1 = sent(effects).expect("a ClientHello was sent");
        let hello = ClientHello::decode(&m1).unwrap();
        hello
            .respond(
                &SystemRandom::new(),
                &self.key,
                &self.signed,
                &context.encode().unwrap(),
            )
            .unwrap()
    }
}

fn sent(effects: &[Effect]) -> Option<Vec<u8>> {
    effects.iter().rev().find_map(|e| match e {
        Effect::Send(bytes) => Some(bytes.clone()),
        _ => None,
    })
}

fn last_flow(effects: &[Effect]) -> nextauth_engine::model::Flow {
    effects
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::Update(flow) => Some(flow.clone()),
            _ => None,
        })
        .expect("a flow update")
}

fn history(effects: &[Effect]) -> Option<(HistoryStatus, Option<u16>)> {
    effects.iter().find_map(|e| match e {
        Effect::History(h)
        | Effect::ActivateEnrol { history: h, .. }
        | Effect::Unresolved { history: h, .. } => Some((h.status, h.error_code)),
        _ => None,
    })
}

/// The server's Accepted: the machine first asks for what it must keep to be stored (ending
/// with Commit, no "done" yet), and reports the flow done only once the driver says it is.
fn accept(m: &mut FlowMachine, channel: &mut Channel, env: &TestEnv) -> Vec<Effect> {
    let mut effects = m
        .handle(record(channel, &ServerRecord::Accepted), env)
        .unwrap();
    assert!(
        matches!(effects.last(), Some(Effect::Commit)),
        "{effects:?}"
    );
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::Update(f) if f.state == FlowState::Done)),
        "not done before it is stored"
    );
    effects.extend(m.handle(Input::Committed, env).unwrap());
    effects
}

fn finish(
    server_state: nextauth_protocol::handshake::ServerAwaitingFinish,
    effects: &[Effect],
) -> (
    ClientRequest,
    Box<Channel>,
    nextauth_protocol::crypto::PublicKey,
) {
    match server_state
        .read_client_finish(&sent(effects).expect("finish sent"))
        .unwrap()
    {
        ClientFinished::Authenticated {
            request,
            session,
            account_key,
            ..
        } => (
            ClientRequest::decode(&request).unwrap(),
            session,
            account_key,
        ),
        ClientFinished::Aborted(reason) => panic!("aborted: {reason:?}"),
    }
}

/// "Yes" with the only account (the machine picks it).
fn confirm_first_account() -> Input {
    Input::Respond(Response::Confirm {
        account_id: None,
        user_input: None,
        number: None,
    })
}

/// A login from `ctx`, confirmed by the person: the server's end of the channel, with the
/// app's finish read.
fn confirmed_login(
    server: &Server,
    ctx: FlowContext,
    env: &TestEnv,
) -> (FlowMachine, Box<Channel>) {
    let (mut m, srv) = login_at_prompt(server, ctx, env, 0);
    let effects = m.handle(confirm_first_account(), env).unwrap();
    let (_, channel, _) = finish(srv, &effects);
    (m, channel)
}

fn record(channel: &mut Channel, r: &ServerRecord) -> Input {
    Input::Frame(channel.seal(&r.encode().unwrap()).unwrap())
}

fn enrol_payload(server: &Server, name: &str) -> QrPayload {
    QrPayload::Enrol(EnrolCode {
        endpoint: server.params.endpoint.clone(),
        server_id: SERVER,
        session_ref: SessionRef([1; 16]),
        secret: EnrolSecret([2; 16]),
        expires_at: NOW + 60,
        params_hash: server.signed.hash(),
        display_name: name.into(),
    })
}

fn login_payload(server: &Server) -> QrPayload {
    QrPayload::Login(LoginCode {
        endpoint: server.params.endpoint.clone(),
        server_id: SERVER,
        session_ref: SessionRef([3; 16]),
    })
}

fn account(id: &str, name: &str) -> Account {
    Account {
        id: id.into(),
        server_id: SERVER.to_base64(),
        server_name: "Acme".into(),
        display_name: name.into(),
        created: NOW - 100,
        last_login: None,
        has_pin: true,
        pending_delete: false,
    }
}

/// An app with accounts `ids` on the test server.
fn app_with(server: &Server, ids: &[&str]) -> (FlowContext, TestEnv) {
    let rng = SystemRandom::new();
    let mut pkcs8 = HashMap::new();
    let mut accounts = Vec::new();
    for id in ids {
        let (key, doc) = SigningKey::generate(&rng).unwrap();
        accounts.push(KnownAccount {
            account: account(id, &format!("user {id}")),
            public_key: key.public_key(),
        });
        pkcs8.insert((*id).to_owned(), doc);
    }
    let ctx = FlowContext {
        accounts,
        known_server: Some(KnownServer {
            public_key: server.params.public_key,
            issued_at: server.params.issued_at,
            name: server.params.profile.name.clone(),
            endpoint: server.params.endpoint.clone(),
        }),
        allowed_servers: vec![],
        pinned_key: None,
        single_account: false,
        device_name: "test".into(),
        app_login: false,
        source: Default::default(),
        only_account: None,
        second_factor_blocked: false,
        timeouts: Timeouts::default(),
    };
    (
        ctx,
        TestEnv {
            rng,
            pkcs8,
            device: Some([9; 32]),
            clock: Cell::new(0),
        },
    )
}

fn login_context() -> ServerContext {
    ServerContext::Login {
        announce: SessionInfo {
            info: vec![("Site".into(), "Acme".into())],
            ..Default::default()
        },
        session: SessionInfo {
            ip: "192.0.2.1".into(),
            user_agent: "Firefox".into(),
            ..Default::default()
        },
        check: Default::default(),
    }
}

#[test]
fn enrol_sets_the_pin_and_creates_the_account_only_when_accepted() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let env = TestEnv {
        rng: SystemRandom::new(),
        pkcs8: HashMap::new(),
        device: None,
        clock: Cell::new(0),
    };
    let (mut m, effects) = FlowMachine::start(
        "f1".into(),
        enrol_payload(&server, "alice"),
        FlowContext::default(),
        &env,
    )
    .unwrap();
    assert!(matches!(effects[0], Effect::Connect { .. }));
    assert_eq!(last_flow(&effects).state, FlowState::Starting);
    let (srv, m2) = server.hello(
        &effects,
        &ServerContext::Enrol {
            session: SessionInfo::default(),
        },
    );
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::SaveServer { .. })),
        "a new server's parameters are stored only once it accepted the enrolment"
    );
    let flow = last_flow(&effects);
    assert!(matches!(
        flow.interaction,
        Some(Interaction::ConfirmEnrol { .. })
    ));
    assert!(!flow.server.unwrap().visual_hash.is_empty());
    let effects = m.handle(confirm_first_account(), &env).unwrap();
    assert_eq!(
        last_flow(&effects).interaction,
        Some(Interaction::SetSecondFactor)
    );
    let bad = m.handle(
        Input::Respond(Response::Pin {
            pin: PinInput::new("1"),
        }),
        &env,
    );
    assert!(
        matches!(bad, Err(EngineError::InvalidInput(_))),
        "a refused answer leaves the question open"
    );
    let effects = m
        .handle(
            Input::Respond(Response::Pin {
                pin: PinInput::new("2468"),
            }),
            &env,
        )
        .unwrap();
    let (request, mut channel, key) = finish(srv, &effects);
    let ClientRequest::Enrol {
        pin_verifier: Some(verifier),
        device_name,
        ..
    } = request
    else {
        panic!("enrol request")
    };
    assert_eq!(device_name, "");
    // The PIN secret and the pending enrolment (keys sealed) are stored before it is sent.
    let position = |pick: fn(&Effect) -> bool| effects.iter().position(pick).unwrap();
    let (secret_at, pending_at, send_at) = (
        position(|e| matches!(e, Effect::SetPinSecret(_))),
        position(
            |e| matches!(e, Effect::StorePendingEnrol { account, .. } if account.account.display_name == "alice"),
        ),
        position(|e| matches!(e, Effect::Send(_))),
    );
    assert!(secret_at < send_at && pending_at < send_at, "{effects:?}");
    let secret = effects.iter().find_map(|e| match e {
        Effect::SetPinSecret(s) => Some(*s.expose()),
        _ => None,
    });
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::ActivateEnrol { .. } | Effect::SaveServer { .. })),
        "the account and the server are stored only once the server accepts"
    );
    let secret = DeviceSecret::from_bytes(secret.expect("the PIN secret is stored"));
    assert_eq!(
        verifier,
        *pin_verifier(&secret, &Pin::new("2468").unwrap(), &SERVER, &key),
        "verifier of the PIN entered"
    );
    let effects = accept(&mut m, &mut channel, &env);
    assert!(matches!(&effects[0], Effect::ActivateEnrol { account_id, .. } if account_id == "f1"));
    assert_eq!(history(&effects), Some((HistoryStatus::Enrolled, None)));
    assert_eq!(last_flow(&effects).state, FlowState::Done);
    assert!(m.is_finished());
}

#[test]
fn login_with_account_choice_and_server_pin_check() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let (ctx, env) = app_with(&server, &["a", "b"]);
    let (mut m, effects) =
        FlowMachine::start("f2".into(), login_payload(&server), ctx.clone(), &env).unwrap();
    let (srv, m2) = server.hello(&effects, &login_context());
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    let Some(Interaction::Confirm {
        accounts, announce, ..
    }) = last_flow(&effects).interaction
    else {
        panic!("confirm")
    };
    assert_eq!(
        (
            accounts.len(),
            announce.ip.as_str(),
            announce.user_agent.as_str()
        ),
        (2, "192.0.2.1", "Firefox")
    );
    let unchosen = m.handle(confirm_first_account(), &env);
    assert!(matches!(unchosen, Err(EngineError::UnknownAccount)));
    let wrong = m.handle(
        Input::Respond(Response::Pin {
            pin: PinInput::new("1234"),
        }),
        &env,
    );
    assert!(matches!(wrong, Err(EngineError::WrongResponse)));
    let effects = m
        .handle(
            Input::Respond(Response::Confirm {
                account_id: Some("b".into()),
                user_input: Some("hi".into()),
                number: None,
            }),
            &env,
        )
        .unwrap();
    let (request, mut channel, key) = finish(srv, &effects);
    assert_eq!(request, ClientRequest::login("hi"));
    assert_eq!(key, ctx.accounts[1].public_key, "account b signed");

    let effects = m
        .handle(
            record(
                &mut channel,
                &ServerRecord::PinRequired {
                    remaining_attempts: 3,
                },
            ),
            &env,
        )
        .unwrap();
    assert!(matches!(
        last_flow(&effects).interaction,
        Some(Interaction::VerifySecondFactor {
            remaining_attempts: 3,
            retry: false
        })
    ));
    let effects = m
        .handle(
            Input::Respond(Response::Pin {
                pin: PinInput::new("1357"),
            }),
            &env,
        )
        .unwrap();
    let proof_frame = sent(&effects).unwrap();
    let AppRecord::PinProof { proof } =
        AppRecord::decode(&channel.open(&proof_frame).unwrap()).unwrap()
    else {
        panic!("proof")
    };
    let verifier = pin_verifier(
        &DeviceSecret::from_bytes([9; 32]),
        &Pin::new("1357").unwrap(),
        &SERVER,
        &key,
    );
    check_pin_proof(&verifier, channel.binder(), &proof).unwrap();
    let effects = accept(&mut m, &mut channel, &env);
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::RecordLogin { account_id } if account_id == "b")));
    assert_eq!(
        history(&effects),
        Some((HistoryStatus::LoggedInOneShot, None))
    );
    assert!(effects.iter().any(|e| matches!(e, Effect::Close)));
    assert!(m.is_finished());
}

#[test]
fn continuous_sessions_answer_pings_and_end_on_logout_or_loss() {
    let server = Server::new(SecondFactorPolicy::None, 5);
    let (ctx, env) = app_with(&server, &["a"]);
    for ending in ["server logout", "connection lost for good"] {
        let (mut m, mut channel) = confirmed_login(&server, ctx.clone(), &env);
        let effects = accept(&mut m, &mut channel, &env);
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::Session(s) if s.state == SessionState::Active)));
        assert_eq!(history(&effects), Some((HistoryStatus::LoggedIn, None)));
        assert!(m.is_session());
        let effects = m
            .handle(
                record(&mut channel, &ServerRecord::Ping { counter: 7 }),
                &env,
            )
            .unwrap();
        let pong = AppRecord::decode(&channel.open(&sent(&effects).unwrap()).unwrap()).unwrap();
        assert_eq!(pong, AppRecord::Pong { counter: 7 });
        let (effects, code) = if ending == "server logout" {
            (
                m.handle(record(&mut channel, &ServerRecord::LoggedOut), &env)
                    .unwrap(),
                None,
            )
        } else {
            // The session is resumed first; an endpoint that stays unreachable until the
            // resume's deadline loses it.
            m.handle(Input::Closed, &env).unwrap();
            assert!(m.is_session(), "resuming, not ended");
            let mut effects = Vec::new();
            while !m.is_finished() {
                env.advance(m.deadline().unwrap() - env.now_ms());
                effects = m.handle(Input::Timer, &env).unwrap();
                if !m.is_finished() {
                    effects = m.handle(Input::Unreachable, &env).unwrap();
                }
            }
            (effects, Some(121))
        };
        assert!(effects
            .iter()
            .any(|e| matches!(e, Effect::Session(s) if s.state == SessionState::LoggedOut)));
        assert_eq!(
            history(&effects),
            Some((HistoryStatus::LoggedOut, code)),
            "{ending}"
        );
        assert!(m.is_finished());
    }
}

#[test]
fn declining_aborts_without_revealing_an_account() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, srv) = login_at_prompt(&server, ctx, &env, 0);
    let effects = m.handle(Input::Respond(Response::Deny), &env).unwrap();
    let outcome = srv.read_client_finish(&sent(&effects).unwrap()).unwrap();
    assert!(matches!(outcome, ClientFinished::Aborted(_)));
    assert_eq!(history(&effects), Some((HistoryStatus::Aborted, None)));
    assert_eq!(last_flow(&effects).state, FlowState::Done);
}

#[test]
fn offline_checks_fail_before_connecting() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let env = TestEnv {
        rng: SystemRandom::new(),
        pkcs8: HashMap::new(),
        device: None,
        clock: Cell::new(0),
    };
    // A transaction code with no account here (no browser waits on it; a login code with no
    // account connects to say so, so the browser hears NOACCOUNTS: tests/sdk_negative.rs).
    let transaction = QrPayload::Transaction(nextauth_protocol::qr::TransactionCode {
        endpoint: server.params.endpoint.clone(),
        server_id: SERVER,
        transaction_ref: nextauth_protocol::ids::TransactionRef([4; 16]),
    });
    let (err, effects) =
        FlowMachine::start("f5".into(), transaction, FlowContext::default(), &env).unwrap_err();
    assert_eq!(err.code(), 34, "no account for this server");
    assert_eq!(last_flow(&effects).error.unwrap().code, 34);
    assert_eq!(
        history(&effects),
        Some((HistoryStatus::Error, Some(34))),
        "recorded"
    );
    assert!(!effects.iter().any(|e| matches!(e, Effect::Connect { .. })));

    let (ctx, env) = app_with(&server, &["a"]);
    let mut single = ctx.clone();
    single.single_account = true;
    let (err, _) =
        FlowMachine::start("f6".into(), enrol_payload(&server, "x"), single, &env).unwrap_err();
    assert_eq!(err.code(), 40);
    let mut restricted = ctx;
    restricted.allowed_servers = vec![ServerId([1; 16]).to_base64()];
    let (err, _) =
        FlowMachine::start("f7".into(), enrol_payload(&server, "x"), restricted, &env).unwrap_err();
    assert_eq!(err.code(), 52);
}

#[test]
fn duplicate_display_names_alerts_timeouts_and_tampering_end_in_errors() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    // "user a" already exists and the server wants unique names.
    let (mut m, effects) = FlowMachine::start(
        "f8".into(),
        enrol_payload(&server, "user a"),
        ctx.clone(),
        &env,
    )
    .unwrap();
    let (srv, m2) = server.hello(
        &effects,
        &ServerContext::Enrol {
            session: SessionInfo::default(),
        },
    );
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    assert_eq!(last_flow(&effects).error.unwrap().code, 35);
    assert!(matches!(
        srv.read_client_finish(&sent(&effects).unwrap()).unwrap(),
        ClientFinished::Aborted(_)
    ));

    let (mut m, _) =
        FlowMachine::start("f9".into(), login_payload(&server), ctx.clone(), &env).unwrap();
    let effects = m.handle(Input::Frame(encode_alert(111)), &env).unwrap();
    assert_eq!(last_flow(&effects).error.unwrap().code, 111);
    assert_eq!(history(&effects), Some((HistoryStatus::Error, Some(111))));

    let (mut m, _) =
        FlowMachine::start("f10".into(), login_payload(&server), ctx.clone(), &env).unwrap();
    // The server never answers: nothing happens before the deadline, the flow ends at it.
    assert_eq!(m.deadline(), Some(env.now_ms() + Timeouts::SERVER_MS));
    env.advance(Timeouts::SERVER_MS - 1);
    assert!(m.handle(Input::Timer, &env).unwrap().is_empty());
    env.advance(1);
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert_eq!(last_flow(&effects).error.unwrap().code, 50);
    assert!(matches!(
        m.handle(Input::Respond(Response::Deny), &env),
        Err(EngineError::UnknownFlow)
    ));

    let (mut m, effects) =
        FlowMachine::start("f11".into(), login_payload(&server), ctx.clone(), &env).unwrap();
    let (_, mut m2) = server.hello(&effects, &login_context());
    let last = m2.len() - 1;
    m2[last] ^= 1;
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    assert_eq!(
        last_flow(&effects).error.unwrap().code,
        101,
        "tampered ServerHello"
    );

    // A server with another key than the one stored for it.
    let impostor = Server::new(SecondFactorPolicy::Pin, 0);
    let (mut m, effects) =
        FlowMachine::start("f12".into(), login_payload(&server), ctx, &env).unwrap();
    let (_, m2) = impostor.hello(&effects, &login_context());
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    let error = last_flow(&effects).error.unwrap();
    assert_eq!(error.code, 133, "impersonation, with the known name");
    assert!(
        error.message.contains(&server.params.profile.name),
        "{}",
        error.message
    );
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::SaveServer { .. })));
}

#[test]
fn server_refusals_and_blocked_pins_end_the_flow() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    for (answer, code) in [
        (ServerRecord::Refused { code: 108 }, 108),
        (ServerRecord::PinBlocked, 109),
    ] {
        let (mut m, mut channel) = confirmed_login(&server, ctx.clone(), &env);
        let effects = m.handle(record(&mut channel, &answer), &env).unwrap();
        assert_eq!(last_flow(&effects).error.unwrap().code, code);
        assert!(m.is_finished());
    }
}

#[test]
fn a_pinned_server_key_must_sign_the_parameters() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let env = TestEnv {
        rng: SystemRandom::new(),
        pkcs8: HashMap::new(),
        device: None,
        clock: Cell::new(0),
    };
    let enrol = |pinned: Option<nextauth_protocol::crypto::PublicKey>, id: &str| {
        let ctx = FlowContext {
            pinned_key: pinned,
            ..FlowContext::default()
        };
        let (mut m, effects) =
            FlowMachine::start(id.into(), enrol_payload(&server, "alice"), ctx, &env).unwrap();
        let (srv, m2) = server.hello(
            &effects,
            &ServerContext::Enrol {
                session: SessionInfo::default(),
            },
        );
        (m.handle(Input::Frame(m2), &env).unwrap(), srv)
    };

    // The pinned key is the server's: enrolment goes on to the confirmation.
    let (effects, _) = enrol(Some(server.params.public_key), "p1");
    assert!(matches!(
        last_flow(&effects).interaction,
        Some(Interaction::ConfirmEnrol { .. })
    ));

    // Another key is pinned: the server is refused (even though the enrol code's hash
    // matches), told so, and the failure is recorded.
    let other = Server::new(SecondFactorPolicy::None, 0).params.public_key;
    let (effects, srv) = enrol(Some(other), "p2");
    let flow = last_flow(&effects);
    assert_eq!(flow.state, FlowState::Error);
    assert_eq!(flow.error.unwrap().code, 130);
    assert_eq!(history(&effects), Some((HistoryStatus::Error, Some(130))));
    assert!(matches!(
        srv.read_client_finish(&sent(&effects).unwrap()).unwrap(),
        ClientFinished::Aborted(_)
    ));
    assert!(!effects
        .iter()
        .any(|e| matches!(e, Effect::SaveServer { .. })));
}

/// An enrolment (no PIN) up to the sent ClientFinish: the machine, the server's channel.
fn enrol_sent(name: &str) -> (FlowMachine, Box<Channel>, TestEnv) {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let env = TestEnv {
        rng: SystemRandom::new(),
        pkcs8: HashMap::new(),
        device: None,
        clock: Cell::new(0),
    };
    let (mut m, effects) = FlowMachine::start(
        name.into(),
        enrol_payload(&server, name),
        FlowContext::default(),
        &env,
    )
    .unwrap();
    let context = ServerContext::Enrol {
        session: SessionInfo::default(),
    };
    let (srv, m2) = server.hello(&effects, &context);
    m.handle(Input::Frame(m2), &env).unwrap();
    let confirm = Response::Confirm {
        account_id: None,
        user_input: None,
        number: None,
    };
    let effects = m.handle(Input::Respond(confirm), &env).unwrap();
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::StorePendingEnrol { .. })));
    let (_, channel, _) = finish(srv, &effects);
    (m, channel, env)
}

fn discards(effects: &[Effect]) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::DiscardEnrol { .. }))
}

#[test]
fn an_enrolment_is_done_only_once_stored_and_kept_pending_when_the_outcome_is_unknown() {
    // Storing fails after the server accepted: an error, never "done"; the pending enrolment
    // stays for the next start to settle (the server has the account).
    let (mut m, mut channel, env) = enrol_sent("e1");
    let effects = m
        .handle(record(&mut channel, &ServerRecord::Accepted), &env)
        .unwrap();
    assert!(matches!(effects.last(), Some(Effect::Commit)));
    // What the SDK hands in for a full disk: its code and message, no storage error type.
    let full = EngineError::Driver(ErrorInfo {
        code: 200,
        message: "local storage failed: disk full".into(),
    });
    let effects = m.handle(Input::Failed(full), &env).unwrap();
    let flow = last_flow(&effects);
    assert_eq!(
        (flow.state, flow.error.map(|e| e.code)),
        (FlowState::Error, Some(200))
    );
    assert!(!discards(&effects), "kept pending: {effects:?}");
    assert!(m.is_finished());

    // The server refused: what was kept for it goes.
    let (mut m, mut channel, env) = enrol_sent("e2");
    let effects = m
        .handle(
            record(&mut channel, &ServerRecord::Refused { code: 41 }),
            &env,
        )
        .unwrap();
    assert!(discards(&effects));
    assert_eq!(last_flow(&effects).error.unwrap().code, 41);

    // The connection broke after the enrolment was sent: the outcome is unknown, so the
    // pending enrolment stays (the next start asks the server).
    let (mut m, _, env) = enrol_sent("e3");
    let effects = m.handle(Input::Closed, &env).unwrap();
    assert!(!discards(&effects));
    assert_eq!(last_flow(&effects).error.unwrap().code, 121);
}

#[test]
fn a_login_whose_answer_never_came_is_recorded_as_unresolved() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let payload = login_payload(&server);
    let QrPayload::Login(code) = &payload else {
        panic!("login payload")
    };
    let session_ref = code.session_ref.0;
    let (mut m, effects) = FlowMachine::start("u1".into(), payload, ctx, &env).unwrap();
    let (_, m2) = server.hello(&effects, &login_context());
    m.handle(Input::Frame(m2), &env).unwrap();
    let confirm = Response::Confirm {
        account_id: None,
        user_input: None,
        number: None,
    };
    m.handle(Input::Respond(confirm), &env).unwrap();
    let effects = m.handle(Input::Closed, &env).unwrap();
    let unresolved = effects.iter().find_map(|e| match e {
        Effect::Unresolved {
            account_id,
            reference,
            history,
        } => Some((account_id.clone(), *reference, history.error_code)),
        _ => None,
    });
    assert_eq!(unresolved, Some(("a".into(), session_ref, Some(121))));
    assert!(!effects.iter().any(|e| matches!(e, Effect::History(_))));
}

/// A login context asking for `number` and saying what the server saw of the browser.
fn checked_login_context(number: NumberChallenge, network_differs: bool) -> ServerContext {
    let ServerContext::Login {
        announce, session, ..
    } = login_context()
    else {
        unreachable!()
    };
    ServerContext::Login {
        announce,
        session,
        check: LoginCheck {
            number,
            observed: Observed {
                ip: "203.0.113.7".into(),
                browser: "Firefox 140 on Linux".into(),
                location: String::new(),
                seen_at: NOW - 3,
                network_differs,
            },
        },
    }
}

#[test]
fn the_number_asked_must_be_given_and_is_what_the_account_signs() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, effects) =
        FlowMachine::start("n1".into(), login_payload(&server), ctx, &env).unwrap();
    let (srv, m2) = server.hello(
        &effects,
        &checked_login_context(NumberChallenge::Type(2), false),
    );
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    let Some(Interaction::Confirm { check, .. }) = last_flow(&effects).interaction else {
        panic!("confirm")
    };
    assert_eq!(check.number, NumberAsk::Type { digits: 2 });
    assert_eq!(check.observed.browser, "Firefox 140 on Linux");
    assert!(!check.relay_warning, "same network");
    for wrong in [None, Some("7"), Some("4a"), Some("123")] {
        let answer = Response::Confirm {
            account_id: None,
            user_input: None,
            number: wrong.map(str::to_owned),
        };
        assert!(
            matches!(
                m.handle(Input::Respond(answer), &env),
                Err(EngineError::InvalidInput(_))
            ),
            "{wrong:?} is not a 2-digit number: asked again, nothing sent"
        );
    }
    let answer = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some("42".into()),
    };
    let effects = m.handle(Input::Respond(answer), &env).unwrap();
    let (request, ..) = finish(srv, &effects);
    assert_eq!(
        request,
        ClientRequest::Login {
            user_input: String::new(),
            number: "42".into()
        },
        "the number travels inside the signed request"
    );
}

#[test]
fn a_choice_must_be_one_of_those_offered() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, effects) =
        FlowMachine::start("n2".into(), login_payload(&server), ctx, &env).unwrap();
    let choices = vec!["17".to_owned(), "42".to_owned(), "88".to_owned()];
    let (srv, m2) = server.hello(
        &effects,
        &checked_login_context(NumberChallenge::Choose(choices.clone()), false),
    );
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    let Some(Interaction::Confirm { check, .. }) = last_flow(&effects).interaction else {
        panic!("confirm")
    };
    assert_eq!(check.number, NumberAsk::Choose { choices });
    let off_list = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some("43".into()),
    };
    assert!(matches!(
        m.handle(Input::Respond(off_list), &env),
        Err(EngineError::InvalidInput(_))
    ));
    let pick = Response::Confirm {
        account_id: None,
        user_input: None,
        number: Some("88".into()),
    };
    let (request, ..) = finish(srv, &m.handle(Input::Respond(pick), &env).unwrap());
    assert!(matches!(request, ClientRequest::Login { ref number, .. } if number == "88"));
}

#[test]
fn the_relay_warning_needs_another_network_and_a_code_from_this_device() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    for (source, differs, warned) in [
        (CodeSource::Camera, true, false),
        (CodeSource::Screen, true, true),
        (CodeSource::Push, true, true),
        (CodeSource::Link, true, true),
        (CodeSource::Screen, false, false),
    ] {
        let (mut ctx, env) = app_with(&server, &["a"]);
        ctx.source = source;
        let (mut m, effects) =
            FlowMachine::start("n3".into(), login_payload(&server), ctx, &env).unwrap();
        let (_srv, m2) = server.hello(
            &effects,
            &checked_login_context(NumberChallenge::Type(2), differs),
        );
        let effects = m.handle(Input::Frame(m2), &env).unwrap();
        let Some(Interaction::Confirm { check, .. }) = last_flow(&effects).interaction else {
            panic!("confirm")
        };
        assert_eq!(
            (check.relay_warning, check.source),
            (warned, source),
            "{source:?}, network differs: {differs}"
        );
    }
}

#[test]
fn not_me_is_signed_reported_and_recorded_apart() {
    let server = Server::new(SecondFactorPolicy::None, 30);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, effects) =
        FlowMachine::start("n4".into(), login_payload(&server), ctx.clone(), &env).unwrap();
    let (srv, m2) = server.hello(
        &effects,
        &checked_login_context(NumberChallenge::Type(2), true),
    );
    m.handle(Input::Frame(m2), &env).unwrap();
    let effects = m
        .handle(Input::Respond(Response::NotMe { account_id: None }), &env)
        .unwrap();
    let (request, mut channel, key) = finish(srv, &effects);
    assert_eq!(request, ClientRequest::NotMe, "no number needed to say no");
    assert_eq!(key, ctx.accounts[0].public_key, "signed by the account");
    let effects = accept(&mut m, &mut channel, &env);
    assert_eq!(history(&effects), Some((HistoryStatus::NotMe, None)));
    assert!(
        !effects
            .iter()
            .any(|e| matches!(e, Effect::RecordLogin { .. } | Effect::Session(_))),
        "no login, no session, even on a continuous server"
    );
    assert!(m.is_finished());
}

/// Issue 18 item 5: the LOGOUT push ends a continuous session whatever its connection says;
/// before the session it changes nothing (a flow goes on).
#[test]
fn a_logout_push_ends_a_continuous_session_only() {
    let server = Server::new(SecondFactorPolicy::None, 5);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, effects) =
        FlowMachine::start("f9".into(), login_payload(&server), ctx, &env).unwrap();
    assert_eq!(
        m.session_ref(),
        match login_payload(&server) {
            QrPayload::Login(code) => Some(code.session_ref.0),
            _ => None,
        }
    );
    assert!(m.handle(Input::LoggedOutByPush, &env).unwrap().is_empty());
    let (srv, m2) = server.hello(&effects, &login_context());
    m.handle(Input::Frame(m2), &env).unwrap();
    let effects = m.handle(confirm_first_account(), &env).unwrap();
    let (_, mut channel, _) = finish(srv, &effects);
    accept(&mut m, &mut channel, &env);
    assert!(m.is_session());
    let effects = m.handle(Input::LoggedOutByPush, &env).unwrap();
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Session(s) if s.state == SessionState::LoggedOut && s.error.is_none())));
    assert_eq!(history(&effects), Some((HistoryStatus::LoggedOut, None)));
    assert!(effects.iter().any(|e| matches!(e, Effect::Close)));
    assert!(m.is_finished());
}

/// Issue 18 item 1: a push login offers only the account it was sent to, although the app has
/// two on that server.
#[test]
fn a_push_login_offers_only_its_account() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (mut ctx, env) = app_with(&server, &["a", "b"]);
    ctx.only_account = Some("b".into());
    let (mut m, effects) =
        FlowMachine::start("f10".into(), login_payload(&server), ctx, &env).unwrap();
    let (_, m2) = server.hello(&effects, &login_context());
    let effects = m.handle(Input::Frame(m2), &env).unwrap();
    let Some(Interaction::Confirm { accounts, .. }) = last_flow(&effects).interaction else {
        panic!("confirm")
    };
    let ids: Vec<&str> = accounts.iter().map(|a| a.id.as_str()).collect();
    assert_eq!(ids, ["b"]);
    let other = m.handle(
        Input::Respond(Response::Confirm {
            account_id: Some("a".into()),
            user_input: None,
            number: None,
        }),
        &env,
    );
    assert!(matches!(other, Err(EngineError::UnknownAccount)));
}

/// Issue 18 item 6: with the second factor blocked, a PIN question ends the flow with 109
/// instead of being asked.
#[test]
fn a_blocked_second_factor_ends_the_flow_at_the_pin_question() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let (mut ctx, env) = app_with(&server, &["a"]);
    ctx.second_factor_blocked = true;
    let (mut m, mut channel) = confirmed_login(&server, ctx, &env);
    let effects = m
        .handle(
            record(
                &mut channel,
                &ServerRecord::PinRequired {
                    remaining_attempts: 5,
                },
            ),
            &env,
        )
        .unwrap();
    let flow = last_flow(&effects);
    assert_eq!(flow.state, nextauth_engine::model::FlowState::Error);
    assert_eq!(flow.error.unwrap().code, 109);
    assert!(m.is_finished());
}

// Deadlines: the machine decides how long it waits; the driver only feeds `Input::Timer`. All
// times below are milliseconds of test time on the fake clock.

/// A login of the single account "a" up to the prompt, `hello_after` ms after the start.
fn login_at_prompt(
    server: &Server,
    ctx: FlowContext,
    env: &TestEnv,
    hello_after: u64,
) -> (
    FlowMachine,
    nextauth_protocol::handshake::ServerAwaitingFinish,
) {
    let (mut m, effects) = FlowMachine::start("t".into(), login_payload(server), ctx, env).unwrap();
    assert_eq!(m.deadline(), Some(env.now_ms() + Timeouts::SERVER_MS));
    env.advance(hello_after);
    let (srv, m2) = server.hello(&effects, &login_context());
    let effects = m.handle(Input::Frame(m2), env).unwrap();
    assert_eq!(last_flow(&effects).state, FlowState::WaitingForConfirmation);
    (m, srv)
}

#[test]
fn the_person_has_the_person_timeout_to_confirm_and_a_refused_answer_restarts_it() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    env.advance(1_000);
    let (mut m, _) = login_at_prompt(&server, ctx, &env, 29_999);
    assert_eq!(m.deadline(), Some(30_999 + Timeouts::PERSON_MS));
    env.advance(Timeouts::PERSON_MS / 2);
    let refused = m.handle(
        Input::Respond(Response::Pin {
            pin: PinInput::new("1234"),
        }),
        &env,
    );
    assert!(matches!(refused, Err(EngineError::WrongResponse)));
    let asked_again = env.now_ms();
    assert_eq!(m.deadline(), Some(asked_again + Timeouts::PERSON_MS));
    env.advance(Timeouts::PERSON_MS - 1);
    assert!(m.handle(Input::Timer, &env).unwrap().is_empty());
    assert_eq!(m.flow().state, FlowState::WaitingForConfirmation);
    env.advance(1);
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert_eq!(last_flow(&effects).error.map(|e| e.code), Some(50));
    // Nothing was answered: a plain error entry, nothing left to ask the server about.
    assert_eq!(history(&effects), Some((HistoryStatus::Error, Some(50))));
    assert!(m.is_finished());
    assert_eq!(m.deadline(), None);
}

#[test]
fn the_wait_for_the_hello_starts_once_connected() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, _) = FlowMachine::start("t".into(), login_payload(&server), ctx, &env).unwrap();
    // Connecting took 9 s of the driver's time.
    env.advance(9_000);
    assert!(m.handle(Input::Connected, &env).unwrap().is_empty());
    assert_eq!(m.deadline(), Some(9_000 + Timeouts::SERVER_MS));
    env.advance(Timeouts::SERVER_MS - 1);
    assert!(m.handle(Input::Timer, &env).unwrap().is_empty());
    assert_eq!(m.flow().state, FlowState::Starting);
}

#[test]
fn a_server_that_never_says_hello_is_given_up_on_after_the_server_timeout() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let ctx = FlowContext {
        timeouts: Timeouts {
            server_ms: 750,
            ..Timeouts::default()
        },
        ..ctx
    };
    let (mut m, _) = FlowMachine::start("t".into(), login_payload(&server), ctx, &env).unwrap();
    assert_eq!(m.deadline(), Some(750));
    env.advance(749);
    assert!(m.handle(Input::Timer, &env).unwrap().is_empty());
    env.advance(1);
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert_eq!(last_flow(&effects).error.map(|e| e.code), Some(50));
}

#[test]
fn an_answer_the_server_never_acknowledges_times_out_as_unresolved() {
    let server = Server::new(SecondFactorPolicy::None, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, _) = login_at_prompt(&server, ctx, &env, 10);
    env.advance(60_000);
    m.handle(confirm_first_account(), &env).unwrap();
    assert_eq!(m.deadline(), Some(env.now_ms() + Timeouts::SERVER_MS));
    env.advance(Timeouts::SERVER_MS);
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert!(
        effects
            .iter()
            .any(|e| matches!(e, Effect::Unresolved { account_id, .. } if account_id == "a")),
        "{effects:?}"
    );
    assert_eq!(last_flow(&effects).error.map(|e| e.code), Some(50));
}

#[test]
fn the_servers_pin_question_waits_the_second_factor_input_timeout() {
    let server = Server::new(SecondFactorPolicy::Pin, 0);
    let (ctx, env) = app_with(&server, &["a"]);
    let ctx = FlowContext {
        timeouts: Timeouts {
            second_factor_input_ms: 1_500,
            ..Timeouts::default()
        },
        ..ctx
    };
    let (mut m, srv) = login_at_prompt(&server, ctx, &env, 10);
    let effects = m.handle(confirm_first_account(), &env).unwrap();
    let (_, mut channel, _) = finish(srv, &effects);
    env.advance(200);
    let effects = m
        .handle(
            record(
                &mut channel,
                &ServerRecord::PinRequired {
                    remaining_attempts: 3,
                },
            ),
            &env,
        )
        .unwrap();
    assert_eq!(last_flow(&effects).state, FlowState::WaitingForInput);
    assert_eq!(m.deadline(), Some(env.now_ms() + 1_500));
    env.advance(1_499);
    assert!(m.handle(Input::Timer, &env).unwrap().is_empty());
    env.advance(1);
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert_eq!(last_flow(&effects).error.map(|e| e.code), Some(50));
    // The login was sent and its outcome never came: the server is asked later.
    assert!(effects
        .iter()
        .any(|e| matches!(e, Effect::Unresolved { .. })));
}

#[test]
fn a_continuous_session_lives_while_pings_come_and_ends_when_they_stop() {
    let ping_time = 5;
    let ping_ms = Timeouts::ping_ms(ping_time);
    assert_eq!(ping_ms, 15_000);
    let server = Server::new(SecondFactorPolicy::None, ping_time);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, srv) = login_at_prompt(&server, ctx, &env, 10);
    let effects = m.handle(confirm_first_account(), &env).unwrap();
    let (_, mut channel, _) = finish(srv, &effects);
    accept(&mut m, &mut channel, &env);
    assert!(m.is_session());
    assert_eq!(m.deadline(), Some(env.now_ms() + ping_ms));
    // Each ping just in time keeps the session.
    for counter in 1..=3 {
        env.advance(ping_ms - 1);
        assert!(m.handle(Input::Timer, &env).unwrap().is_empty());
        m.handle(record(&mut channel, &ServerRecord::Ping { counter }), &env)
            .unwrap();
        assert_eq!(m.deadline(), Some(env.now_ms() + ping_ms));
    }
    env.advance(ping_ms);
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert!(effects.iter().any(|e| matches!(e,
        Effect::Session(s) if s.state == SessionState::LoggedOut
            && s.error.as_ref().map(|e| e.code) == Some(50))));
    assert_eq!(
        history(&effects),
        Some((HistoryStatus::LoggedOut, Some(50)))
    );
    assert!(m.is_finished());
}

#[test]
fn a_logout_the_server_never_confirms_ends_after_one_ping_wait_without_error() {
    let server = Server::new(SecondFactorPolicy::None, 2);
    let (ctx, env) = app_with(&server, &["a"]);
    let (mut m, srv) = login_at_prompt(&server, ctx, &env, 10);
    let effects = m.handle(confirm_first_account(), &env).unwrap();
    let (_, mut channel, _) = finish(srv, &effects);
    accept(&mut m, &mut channel, &env);
    env.advance(1_000);
    m.handle(Input::Respond(Response::Cancel), &env).unwrap();
    assert_eq!(m.deadline(), Some(env.now_ms() + Timeouts::ping_ms(2)));
    env.advance(Timeouts::ping_ms(2));
    let effects = m.handle(Input::Timer, &env).unwrap();
    assert_eq!(history(&effects), Some((HistoryStatus::LoggedOut, None)));
    assert!(m.is_finished());
}

/// A continuous login of account "a" (ping time 5 s), accepted: the machine and the server's
/// end of the login's channel.
fn continuous_login(server: &Server, env: &TestEnv, ctx: FlowContext) -> FlowMachine {
    let (mut m, srv) = login_at_prompt(server, ctx, env, 10);
    let effects = m.handle(confirm_first_account(), env).unwrap();
    let (_, mut channel, _) = finish(srv, &effects);
    accept(&mut m, &mut channel, env);
    assert!(m.is_session());
    m
}

/// The connection closes; after the first pause the machine reconnects and says RESUME with
/// the login's session ref. Returns the effects of that attempt.
fn lose_connection_and_retry(m: &mut FlowMachine, env: &TestEnv) -> Vec<Effect> {
    let effects = m.handle(Input::Closed, env).unwrap();
    assert!(
        matches!(effects.as_slice(), [Effect::Close]),
        "the old connection is closed, the session not ended: {effects:?}"
    );
    assert!(m.is_session());
    assert_eq!(m.deadline(), Some(env.now_ms() + 250));
    env.advance(249);
    assert!(m.handle(Input::Timer, env).unwrap().is_empty(), "not yet");
    env.advance(1);
    m.handle(Input::Timer, env).unwrap()
}

/// The server's side of a RESUME hello: checks what it names, answers like a CONNECT, reads
/// the signed finish. Returns the new channel and the key that signed.
fn server_resumes(
    server: &Server,
    m: &mut FlowMachine,
    env: &TestEnv,
    effects: &[Effect],
) -> (Box<Channel>, nextauth_protocol::crypto::PublicKey) {
    assert!(
        matches!(&effects[0], Effect::Connect { endpoint } if *endpoint == server.params.endpoint)
    );
    let hello = ClientHello::decode(&sent(effects).unwrap()).unwrap();
    assert_eq!(
        (hello.purpose, hello.server_id, hello.reference),
        (
            nextauth_protocol::handshake::Purpose::Resume,
            SERVER,
            [3; 16]
        )
    );
    let (srv, m2) = server.hello(effects, &ServerContext::Connect);
    let effects = m.handle(Input::Frame(m2), env).unwrap();
    let (request, channel, key) = finish(srv, &effects);
    assert_eq!(request, ClientRequest::Connect);
    (channel, key)
}

#[test]
fn a_continuous_session_whose_connection_closed_is_resumed_and_pings_go_on() {
    let server = Server::new(SecondFactorPolicy::None, 5);
    let (ctx, env) = app_with(&server, &["a"]);
    let a_key = ctx.accounts[0].public_key;
    let mut m = continuous_login(&server, &env, ctx);
    let effects = lose_connection_and_retry(&mut m, &env);
    let (mut channel, key) = server_resumes(&server, &mut m, &env, &effects);
    assert_eq!(key, a_key, "signed by the account that logged in");
    let effects = m
        .handle(record(&mut channel, &ServerRecord::Accepted), &env)
        .unwrap();
    assert!(effects.is_empty(), "nothing to report: {effects:?}");
    assert!(m.is_session());
    assert_eq!(
        m.deadline(),
        Some(env.now_ms() + Timeouts::ping_ms(5)),
        "the ping wait again"
    );
    let effects = m
        .handle(
            record(&mut channel, &ServerRecord::Ping { counter: 1 }),
            &env,
        )
        .unwrap();
    let pong = AppRecord::decode(&channel.open(&sent(&effects).unwrap()).unwrap()).unwrap();
    assert_eq!(pong, AppRecord::Pong { counter: 1 });
    // A resumed session is lost and resumed again the same way.
    let effects = lose_connection_and_retry(&mut m, &env);
    let (mut channel, _) = server_resumes(&server, &mut m, &env, &effects);
    m.handle(record(&mut channel, &ServerRecord::Accepted), &env)
        .unwrap();
    let effects = m
        .handle(record(&mut channel, &ServerRecord::LoggedOut), &env)
        .unwrap();
    assert_eq!(history(&effects), Some((HistoryStatus::LoggedOut, None)));
    assert!(m.is_finished());
}

#[test]
fn a_refused_resume_ends_the_session_as_a_logout_or_with_the_servers_code() {
    let server = Server::new(SecondFactorPolicy::None, 5);
    let (ctx, env) = app_with(&server, &["a"]);
    for (code, error) in [(111, None), (108, Some(108))] {
        let mut m = continuous_login(&server, &env, ctx.clone());
        let effects = lose_connection_and_retry(&mut m, &env);
        let (mut channel, _) = server_resumes(&server, &mut m, &env, &effects);
        let effects = m
            .handle(record(&mut channel, &ServerRecord::Refused { code }), &env)
            .unwrap();
        assert!(effects.iter().any(|e| matches!(e,
            Effect::Session(s) if s.state == SessionState::LoggedOut
                && s.error.as_ref().map(|e| e.code) == error)));
        assert_eq!(history(&effects), Some((HistoryStatus::LoggedOut, error)));
        assert!(matches!(effects.last(), Some(Effect::Close)));
        assert!(m.is_finished(), "{code}");
    }
    // An alert to the hello (the server no longer knows this server id) ends it too.
    let mut m = continuous_login(&server, &env, ctx);
    lose_connection_and_retry(&mut m, &env);
    let effects = m.handle(Input::Frame(encode_alert(48)), &env).unwrap();
    assert_eq!(
        history(&effects),
        Some((HistoryStatus::LoggedOut, Some(48)))
    );
    assert!(m.is_finished());
}

#[test]
fn resume_attempts_back_off_and_give_up_at_the_deadline_as_a_lost_connection() {
    let server = Server::new(SecondFactorPolicy::None, 5);
    let (ctx, env) = app_with(&server, &["a"]);
    let mut m = continuous_login(&server, &env, ctx);
    let lost_at = env.now_ms();
    let effects = lose_connection_and_retry(&mut m, &env);
    assert!(matches!(effects[0], Effect::Connect { .. }));
    let mut pauses = Vec::new();
    loop {
        // The endpoint cannot be reached; the hello's send then finds no connection.
        let effects = m.handle(Input::Unreachable, &env).unwrap();
        if m.is_finished() {
            assert!(effects.iter().any(|e| matches!(e,
                Effect::Session(s) if s.state == SessionState::LoggedOut
                    && s.error.as_ref().map(|e| e.code) == Some(121))));
            assert_eq!(
                history(&effects),
                Some((HistoryStatus::LoggedOut, Some(121)))
            );
            break;
        }
        assert!(m.handle(Input::Closed, &env).unwrap().is_empty());
        let wake = m.deadline().unwrap();
        pauses.push(wake - env.now_ms());
        env.advance(wake - env.now_ms());
        let effects = m.handle(Input::Timer, &env).unwrap();
        if m.is_finished() {
            assert_eq!(
                history(&effects),
                Some((HistoryStatus::LoggedOut, Some(121)))
            );
            break;
        }
        assert!(matches!(effects[0], Effect::Connect { .. }), "{effects:?}");
    }
    assert_eq!(pauses[..3], [500, 1_000, 2_000], "the pause doubles");
    assert!(
        env.now_ms() - lost_at <= 5_000,
        "given up within the ping time (5 s): {pauses:?}"
    );
}

#[test]
fn a_silent_resume_attempt_is_given_up_and_the_next_one_made() {
    let server = Server::new(SecondFactorPolicy::None, 30);
    let (ctx, env) = app_with(&server, &["a"]);
    let mut m = continuous_login(&server, &env, ctx);
    lose_connection_and_retry(&mut m, &env);
    m.handle(Input::Connected, &env).unwrap();
    assert_eq!(
        m.deadline(),
        Some(env.now_ms() + 5_000),
        "one attempt's wait"
    );
    env.advance(5_000);
    assert!(matches!(
        m.handle(Input::Timer, &env).unwrap().as_slice(),
        [Effect::Close]
    ));
    env.advance(500);
    let effects = m.handle(Input::Timer, &env).unwrap();
    let (mut channel, _) = server_resumes(&server, &mut m, &env, &effects);
    m.handle(record(&mut channel, &ServerRecord::Accepted), &env)
        .unwrap();
    assert!(m.is_session() && !m.is_finished());
}

#[test]
fn a_logout_while_resuming_goes_to_the_server_once_resumed_and_a_push_ends_it_at_once() {
    let server = Server::new(SecondFactorPolicy::None, 5);
    let (ctx, env) = app_with(&server, &["a"]);
    let mut m = continuous_login(&server, &env, ctx.clone());
    let effects = lose_connection_and_retry(&mut m, &env);
    assert!(m
        .handle(Input::Respond(Response::Cancel), &env)
        .unwrap()
        .is_empty());
    let (mut channel, _) = server_resumes(&server, &mut m, &env, &effects);
    let effects = m
        .handle(record(&mut channel, &ServerRecord::Accepted), &env)
        .unwrap();
    let logout = AppRecord::decode(&channel.open(&sent(&effects).unwrap()).unwrap()).unwrap();
    assert_eq!(logout, AppRecord::Logout);
    let effects = m
        .handle(record(&mut channel, &ServerRecord::LoggedOut), &env)
        .unwrap();
    assert_eq!(history(&effects), Some((HistoryStatus::LoggedOut, None)));
    assert!(m.is_finished());

    // A LOGOUT push while the session is being resumed ends it without an attempt more.
    let mut m = continuous_login(&server, &env, ctx);
    m.handle(Input::Closed, &env).unwrap();
    let effects = m.handle(Input::LoggedOutByPush, &env).unwrap();
    assert_eq!(history(&effects), Some((HistoryStatus::LoggedOut, None)));
    assert!(m.is_finished());
}
