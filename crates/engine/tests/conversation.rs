//! An account's CONNECT conversations, on a fake clock (the driver's milliseconds), with the
//! server side played by the protocol crate: every answer checked against its request, every
//! wait ended by its deadline, live delivery probed when idle.

use nextauth_engine::{
    ConnectTarget, Conversation, ConversationEffect, EngineError, PinCheck, PinInput,
    CONVERSATION_TIMEOUT_MS,
};
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{encode_alert, Session as Channel};
use nextauth_protocol::messages::{AppRecord, Outcome, ServerRecord};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret};
use nextauth_protocol::ProtocolError;
use ring::rand::SystemRandom;

mod support;
use support::{account, authenticated, Server, SERVER};

const PROBE_EVERY_MS: u64 = 60_000;

fn target(server: &Server, pinned: Option<&SigningKey>) -> ConnectTarget {
    ConnectTarget {
        server_id: SERVER,
        trusted_key: server.key.public_key(),
        not_before: 0,
        pinned_key: pinned.map(SigningKey::public_key),
    }
}

/// The app and the server with the session open at `at` ms; live delivery when `live`.
struct Opened {
    app: Conversation,
    server: Box<Channel>,
    key: SigningKey,
}

impl Opened {
    fn new(server: &Server, at: u64, live: bool) -> Self {
        let rng = SystemRandom::new();
        let key = account();
        let (app, hello) =
            Conversation::start(&rng, &target(server, None), CONVERSATION_TIMEOUT_MS, at).unwrap();
        let mut app = if live {
            app.with_probes(PROBE_EVERY_MS)
        } else {
            app
        };
        let (srv, server_hello) = server.hello(&hello);
        let effects = app.on_frame(&server_hello, &key, &rng, at);
        let [ConversationEffect::SaveServer { params, .. }, ConversationEffect::Send(finish)] =
            &effects[..]
        else {
            panic!("{effects:?}")
        };
        assert_eq!(params.public_key, server.key.public_key());
        let mut channel = authenticated(srv, finish);
        let accepted = seal(&mut channel, &ServerRecord::Accepted);
        let effects = app.on_frame(&accepted, &key, &rng, at);
        assert!(
            matches!(effects[..], [ConversationEffect::Opened]),
            "{effects:?}"
        );
        assert!(app.is_open());
        Self {
            app,
            server: channel,
            key,
        }
    }

    /// The app sends `request` at `at`; the server reads it.
    fn ask(&mut self, request: &AppRecord, at: u64) -> AppRecord {
        let frame = self.app.request(request, at).unwrap();
        AppRecord::decode(&self.server.open(&frame).unwrap()).unwrap()
    }

    /// The server sends `record` at `at`; what the app makes of it.
    fn answer(&mut self, record: &ServerRecord, at: u64) -> Vec<ConversationEffect> {
        let frame = seal(&mut self.server, record);
        self.app
            .on_frame(&frame, &self.key, &SystemRandom::new(), at)
    }
}

fn seal(channel: &mut Channel, record: &ServerRecord) -> Vec<u8> {
    channel.seal(&record.encode().unwrap()).unwrap()
}

fn answered(effects: Vec<ConversationEffect>) -> Result<ServerRecord, EngineError> {
    match <[ConversationEffect; 1]>::try_from(effects) {
        Ok([ConversationEffect::Answer(answer)]) => answer,
        other => panic!("not one answer: {other:?}"),
    }
}

fn failed(effects: &[ConversationEffect]) -> &EngineError {
    match effects.last() {
        Some(ConversationEffect::Failed(error)) => error,
        _ => panic!("the conversation goes on: {effects:?}"),
    }
}

#[test]
fn a_pin_proof_is_bound_to_the_session_and_its_answer_says_what_the_pin_is() {
    let server = Server::new();
    let device = DeviceSecret::from_bytes([7; 32]);
    let pin = PinInput::new("1234").to_pin().unwrap();
    for (answer, check) in [
        (ServerRecord::Accepted, Some(PinCheck::Right)),
        (
            ServerRecord::PinWrong {
                remaining_attempts: 2,
            },
            Some(PinCheck::Wrong(2)),
        ),
        (ServerRecord::PinBlocked, Some(PinCheck::Blocked)),
        // A refusal leaves the question to the next account.
        (ServerRecord::Refused { code: 48 }, None),
    ] {
        let mut opened = Opened::new(&server, 0, false);
        let public = opened.key.public_key();
        let proof = opened.app.pin_proof(&device, &pin, &public).unwrap();
        let verifier = pin_verifier(&device, &pin, &SERVER, &public);
        assert_eq!(proof, pin_proof(&verifier, opened.server.binder()));
        let sent = opened.ask(&AppRecord::PinProof { proof }, 10);
        assert_eq!(sent, AppRecord::PinProof { proof });
        let result = answered(opened.answer(&answer, 20));
        assert_eq!(PinCheck::from_answer(&result), check, "{answer:?}");
    }
}

#[test]
fn each_request_takes_only_its_own_answer() {
    let server = Server::new();
    let cases = [
        (
            AppRecord::PausePush { minutes: 5 },
            ServerRecord::PushPaused { until: 99 },
            true,
        ),
        (
            AppRecord::PausePush { minutes: 5 },
            ServerRecord::Accepted,
            false,
        ),
        (AppRecord::DeleteAccount, ServerRecord::Accepted, true),
        (AppRecord::DeleteAccount, ServerRecord::PinBlocked, false),
        (
            AppRecord::QueryOutcome { reference: [1; 16] },
            ServerRecord::Outcome {
                outcome: Outcome::Approved,
            },
            true,
        ),
        (
            AppRecord::QueryOutcome { reference: [1; 16] },
            ServerRecord::Accepted,
            false,
        ),
        (
            AppRecord::PullMessages,
            ServerRecord::Messages { envelopes: vec![] },
            true,
        ),
        (AppRecord::PullMessages, ServerRecord::Accepted, false),
    ];
    for (request, answer, fits) in cases {
        let mut opened = Opened::new(&server, 0, false);
        opened.ask(&request, 0);
        let result = answered(opened.answer(&answer, 1));
        if fits {
            assert_eq!(result.unwrap(), answer);
        } else {
            assert!(
                matches!(
                    result,
                    Err(EngineError::Protocol(ProtocolError::UnexpectedMessage))
                ),
                "{request:?} answered by {answer:?}: {result:?}"
            );
        }
    }
    let mut opened = Opened::new(&server, 0, false);
    opened.ask(&AppRecord::DeleteAccount, 0);
    let refused = answered(opened.answer(&ServerRecord::Refused { code: 48 }, 1));
    assert!(matches!(refused, Err(EngineError::Refused(48))));
}

#[test]
fn a_late_answer_ends_the_conversation_at_its_deadline_and_not_before() {
    let server = Server::new();
    let rng = SystemRandom::new();
    // The ServerHello.
    let (mut app, _) =
        Conversation::start(&rng, &target(&server, None), CONVERSATION_TIMEOUT_MS, 1_000).unwrap();
    assert_eq!(app.deadline(), Some(1_000 + CONVERSATION_TIMEOUT_MS));
    assert!(app.on_timer(1_000 + CONVERSATION_TIMEOUT_MS - 1).is_empty());
    let effects = app.on_timer(1_000 + CONVERSATION_TIMEOUT_MS);
    assert!(matches!(failed(&effects), EngineError::Timeout));
    assert!(app.on_timer(u64::MAX).is_empty(), "ended once");
    assert_eq!(app.deadline(), None);

    // An answer to a request, from the moment it went out.
    let mut opened = Opened::new(&server, 0, false);
    assert_eq!(opened.app.deadline(), None, "nothing is awaited");
    opened.ask(&AppRecord::PausePush { minutes: 0 }, 5_000);
    assert_eq!(opened.app.deadline(), Some(5_000 + CONVERSATION_TIMEOUT_MS));
    assert!(opened.app.on_timer(19_999).is_empty());
    let effects = opened.app.on_timer(20_000);
    assert!(matches!(failed(&effects), EngineError::Timeout));
    assert!(opened
        .app
        .request(&AppRecord::PullMessages, 20_001)
        .is_err());
}

#[test]
fn a_refusing_or_impostor_server_and_a_lost_connection_end_the_conversation() {
    let server = Server::new();
    let rng = SystemRandom::new();
    let key = account();

    let (mut app, _) = Conversation::start(&rng, &target(&server, None), 1, 0).unwrap();
    let effects = app.on_frame(&encode_alert(108), &key, &rng, 0);
    assert!(matches!(failed(&effects), EngineError::Refused(108)));

    // A key the configuration pins that is not the server's: it hears why, then the end.
    let other = account();
    let (mut app, hello) = Conversation::start(&rng, &target(&server, Some(&other)), 1, 0).unwrap();
    let (_, server_hello) = server.hello(&hello);
    let effects = app.on_frame(&server_hello, &key, &rng, 0);
    assert!(
        matches!(effects[0], ConversationEffect::Send(_)),
        "{effects:?}"
    );
    assert!(matches!(failed(&effects), EngineError::PinnedKeyMismatch));

    // The server does not know the account.
    let (mut app, hello) = Conversation::start(&rng, &target(&server, None), 1, 0).unwrap();
    let (srv, server_hello) = server.hello(&hello);
    let effects = app.on_frame(&server_hello, &key, &rng, 0);
    let ConversationEffect::Send(finish) = &effects[1] else {
        panic!("{effects:?}")
    };
    let mut channel = authenticated(srv, finish);
    let refused = seal(&mut channel, &ServerRecord::Refused { code: 48 });
    let effects = app.on_frame(&refused, &key, &rng, 0);
    assert!(matches!(failed(&effects), EngineError::Refused(48)));

    let mut opened = Opened::new(&server, 0, false);
    opened.ask(&AppRecord::DeleteAccount, 0);
    let effects = opened.app.on_closed();
    assert!(matches!(failed(&effects), EngineError::ConnectionLost));
    assert!(opened.app.on_closed().is_empty());

    // A record nobody asked for, outside live delivery.
    let mut opened = Opened::new(&server, 0, false);
    let effects = opened.answer(&ServerRecord::Messages { envelopes: vec![] }, 0);
    assert!(matches!(
        failed(&effects),
        EngineError::Protocol(ProtocolError::UnexpectedMessage)
    ));
}

#[test]
fn live_delivery_takes_messages_unasked_and_probes_an_idle_session() {
    let server = Server::new();
    let mut opened = Opened::new(&server, 0, true);
    assert_eq!(opened.app.deadline(), Some(PROBE_EVERY_MS));

    // Messages unasked, also while another account's addition is awaited.
    let other = account();
    let add = opened
        .app
        .add_account(&other, other.public_key(), &SystemRandom::new())
        .unwrap();
    let AppRecord::AddAccount { signature, .. } = opened.ask(&add, 1_000) else {
        panic!("not an AddAccount")
    };
    let message = nextauth_protocol::messages::add_account_message(opened.server.binder());
    assert!(other.public_key().verify(&message, &signature).is_ok());
    let delivered = opened.answer(
        &ServerRecord::Messages {
            envelopes: vec![vec![1]],
        },
        2_000,
    );
    assert!(
        matches!(&delivered[..], [ConversationEffect::Delivered(e)] if e == &[vec![1]]),
        "{delivered:?}"
    );
    assert!(answered(opened.answer(&ServerRecord::Accepted, 3_000)).is_ok());

    // Silent for a minute after the last record: a pull goes out, and must be answered.
    let quiet_from = 3_000;
    assert_eq!(opened.app.deadline(), Some(quiet_from + PROBE_EVERY_MS));
    assert!(opened
        .app
        .on_timer(quiet_from + PROBE_EVERY_MS - 1)
        .is_empty());
    let probe = opened.app.on_timer(quiet_from + PROBE_EVERY_MS);
    let [ConversationEffect::Send(frame)] = &probe[..] else {
        panic!("{probe:?}")
    };
    let sent = AppRecord::decode(&opened.server.open(frame).unwrap()).unwrap();
    assert_eq!(sent, AppRecord::PullMessages);
    let probed_at = quiet_from + PROBE_EVERY_MS;
    assert_eq!(
        opened.app.deadline(),
        Some(probed_at + CONVERSATION_TIMEOUT_MS)
    );
    let answer = answered(opened.answer(
        &ServerRecord::Messages { envelopes: vec![] },
        probed_at + 10,
    ));
    assert!(matches!(answer, Ok(ServerRecord::Messages { .. })));

    // The next probe goes unanswered: the session ends.
    let next = probed_at + 10 + PROBE_EVERY_MS;
    assert!(matches!(
        opened.app.on_timer(next)[..],
        [ConversationEffect::Send(_)]
    ));
    let effects = opened.app.on_timer(next + CONVERSATION_TIMEOUT_MS);
    assert!(matches!(failed(&effects), EngineError::Timeout));

    // No probe while an answer is awaited: the answer's deadline is the one that counts.
    let mut opened = Opened::new(&server, 0, true);
    opened.ask(&AppRecord::PullMessages, PROBE_EVERY_MS - 1);
    assert_eq!(
        opened.app.deadline(),
        Some(PROBE_EVERY_MS - 1 + CONVERSATION_TIMEOUT_MS)
    );
    assert!(opened.app.on_timer(PROBE_EVERY_MS).is_empty());

    // A refusal unasked ends it too.
    let mut opened = Opened::new(&server, 0, true);
    let effects = opened.answer(&ServerRecord::Refused { code: 48 }, 1);
    assert!(matches!(failed(&effects), EngineError::Refused(48)));
}
