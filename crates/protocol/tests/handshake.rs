//! The handshake end to end, and every way it must fail.
mod common;

use common::*;
use nextauth_protocol::crypto::{PublicKey, Signer};
use nextauth_protocol::handshake::{
    decode_alert, encode_alert, AbortReason, ClientFinished, ClientHandshake, ClientHello, Purpose,
    Role,
};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, ServerContext, ServerRecord, SessionInfo,
};
use nextauth_protocol::params::ParamsTrust;
use nextauth_protocol::pin::{check_pin_proof, pin_proof};
use nextauth_protocol::ProtocolError;

fn login_context() -> Vec<u8> {
    ServerContext::Login {
        announce: SessionInfo {
            info: vec![("Site".into(), "Acme".into())],
            ..Default::default()
        },
        session: SessionInfo {
            ip: "192.0.2.7".into(),
            user_agent: "Firefox".into(),
            ..Default::default()
        },
        check: Default::default(),
    }
    .encode()
    .unwrap()
}

#[test]
fn login_round_trip_establishes_matching_sessions() {
    let context = login_context();
    let (decision, server, _, _) = hello(Purpose::Login, &context);
    assert_eq!(decision.params, params());
    assert_eq!(
        ServerContext::decode(&decision.context).unwrap(),
        ServerContext::decode(&context).unwrap()
    );

    let request = ClientRequest::login("ticket 42").encode().unwrap();
    let account = account_key();
    let (mut app, m3) = decision.finish(&account, &request, &system_rng()).unwrap();
    let ClientFinished::Authenticated {
        account_key,
        request: got,
        evidence,
        mut session,
    } = server.read_client_finish(&m3).unwrap()
    else {
        panic!("expected an authenticated finish");
    };
    assert_eq!(account_key, account.public_key());
    // The evidence the server keeps verifies on its own under the account key.
    let signed = [
        b"nextauth-rs/1 account signature".as_slice(),
        &evidence.transcript_hash,
    ]
    .concat();
    account_key.verify(&signed, &evidence.signature).unwrap();
    assert_eq!(evidence.to_bytes().len(), 96);
    assert_eq!(
        ClientRequest::decode(&got).unwrap(),
        ClientRequest::login("ticket 42")
    );
    assert_eq!((app.role(), session.role()), (Role::App, Role::Server));
    assert_eq!(app.push_key(), session.push_key());
    assert_eq!(app.binder(), session.binder());

    // Records flow both ways, in order.
    for n in 0..3u64 {
        let ping = session
            .seal(&ServerRecord::Ping { counter: n }.encode().unwrap())
            .unwrap();
        assert_eq!(
            ServerRecord::decode(&app.open(&ping).unwrap()).unwrap(),
            ServerRecord::Ping { counter: n }
        );
        let pong = app
            .seal(&AppRecord::Pong { counter: n }.encode().unwrap())
            .unwrap();
        assert_eq!(
            AppRecord::decode(&session.open(&pong).unwrap()).unwrap(),
            AppRecord::Pong { counter: n }
        );
    }

    // A PIN proof made by the app checks out against the server's copy of the verifier.
    let verifier = [9u8; 32];
    check_pin_proof(
        &verifier,
        session.binder(),
        &pin_proof(&verifier, app.binder()),
    )
    .unwrap();
}

#[test]
fn records_refuse_replay_reorder_and_tampering() {
    let (decision, server, _, _) =
        hello(Purpose::Connect, &ServerContext::Connect.encode().unwrap());
    let request = ClientRequest::Connect.encode().unwrap();
    let (mut app, m3) = decision
        .finish(&account_key(), &request, &system_rng())
        .unwrap();
    let ClientFinished::Authenticated { mut session, .. } = server.read_client_finish(&m3).unwrap()
    else {
        panic!("expected an authenticated finish");
    };
    let first = app.seal(b"one").unwrap();
    let second = app.seal(b"two").unwrap();
    assert_eq!(
        session.open(&second).unwrap_err(),
        ProtocolError::Decrypt,
        "reordered"
    );
    // The failed open consumed a sequence number: the session is now unusable, as it must be.
    assert!(session.open(&first).is_err());

    let (decision, server, _, _) =
        hello(Purpose::Connect, &ServerContext::Connect.encode().unwrap());
    let (mut app, m3) = decision
        .finish(&account_key(), &request, &system_rng())
        .unwrap();
    let ClientFinished::Authenticated { mut session, .. } = server.read_client_finish(&m3).unwrap()
    else {
        panic!("expected an authenticated finish");
    };
    let record = app.seal(b"once").unwrap();
    assert_eq!(&session.open(&record).unwrap()[..], b"once");
    assert_eq!(
        session.open(&record).unwrap_err(),
        ProtocolError::Decrypt,
        "replayed"
    );
    let mut tampered = app.seal(b"x").unwrap();
    *tampered.last_mut().unwrap() ^= 1;
    assert_eq!(session.open(&tampered).unwrap_err(), ProtocolError::Decrypt);
    // A record sealed by the app cannot be opened as if it came from the server.
    let echo = app.seal(b"mine").unwrap();
    assert!(app.open(&echo).is_err());
}

#[test]
fn every_tampered_server_hello_byte_is_refused() {
    let signed = signed_params();
    let (_, m1) =
        ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, [0xab; 16]).unwrap();
    let (_, m2) = ClientHello::decode(&m1)
        .unwrap()
        .respond(&fixed(0x66), &server_key(), &signed, b"")
        .unwrap();
    let hash = signed.hash();
    // Step through the message; flipping any byte must break the handshake.
    for i in (0..m2.len())
        .step_by(7)
        .chain([0, 1, 33, 49, 53, m2.len() - 1])
    {
        let mut bad = m2.clone();
        bad[i] ^= 0x01;
        let (client, _) =
            ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, [0xab; 16]).unwrap();
        assert!(
            client
                .read_server_hello(&bad, ParamsTrust::EnrolHash(&hash))
                .is_err(),
            "byte {i}"
        );
    }
}

#[test]
fn server_hello_is_refused_for_wrong_trust_truncation_and_wrong_server() {
    let signed = signed_params();
    let start =
        || ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, [0xab; 16]).unwrap();
    let (_, m1) = start();
    let (_, m2) = ClientHello::decode(&m1)
        .unwrap()
        .respond(&fixed(0x66), &server_key(), &signed, b"")
        .unwrap();

    let wrong_hash = [0u8; 32];
    let err = start()
        .0
        .read_server_hello(&m2, ParamsTrust::EnrolHash(&wrong_hash))
        .unwrap_err();
    assert_eq!(err, ProtocolError::ParamsHashMismatch);

    let pinned = other_key().public_key();
    let err = start()
        .0
        .read_server_hello(
            &m2,
            ParamsTrust::KnownKey {
                key: &pinned,
                not_before: 0,
            },
        )
        .unwrap_err();
    assert_eq!(err, ProtocolError::ServerMismatch);

    let real = server_key().public_key();
    let err = start()
        .0
        .read_server_hello(
            &m2,
            ParamsTrust::KnownKey {
                key: &real,
                not_before: NOW,
            },
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            ProtocolError::Malformed {
                field: "params.issued_at",
                ..
            }
        ),
        "rollback: {err:?}"
    );
    start()
        .0
        .read_server_hello(
            &m2,
            ParamsTrust::KnownKey {
                key: &real,
                not_before: NOW - 60,
            },
        )
        .unwrap();

    for cut in [0, 1, 48, 49, 60, m2.len() - 1] {
        assert!(start()
            .0
            .read_server_hello(&m2[..cut], ParamsTrust::EnrolHash(&signed.hash()))
            .is_err());
    }

    // A server that signs with a different key than its parameters name is refused.
    let (_, m1) = start();
    let (_, forged) = ClientHello::decode(&m1)
        .unwrap()
        .respond(&fixed(0x66), &other_key(), &signed, b"")
        .unwrap();
    let err = start()
        .0
        .read_server_hello(&forged, ParamsTrust::EnrolHash(&signed.hash()))
        .unwrap_err();
    assert_eq!(err, ProtocolError::BadSignature);

    // Parameters of another server do not pass for this one.
    let other_server = nextauth_protocol::ids::ServerId([1; 16]);
    let (other, m1) =
        ClientHandshake::start(&fixed(0x55), Purpose::Login, other_server, [0; 16]).unwrap();
    let (_, m2) = ClientHello::decode(&m1)
        .unwrap()
        .respond(&fixed(0x66), &server_key(), &signed, b"")
        .unwrap();
    let err = other
        .read_server_hello(&m2, ParamsTrust::EnrolHash(&signed.hash()))
        .unwrap_err();
    assert_eq!(err, ProtocolError::ServerMismatch);
}

#[test]
fn client_finish_is_refused_when_tampered_or_signed_by_another_key() {
    let request = ClientRequest::login(String::new()).encode().unwrap();
    let (decision, _, _, _) = hello(Purpose::Login, b"");
    let (_, m3) = decision
        .finish(&account_key(), &request, &system_rng())
        .unwrap();
    for i in [0usize, 1, 4, 5, 40, m3.len() / 2, m3.len() - 1] {
        let (_, server, _, _) = hello(Purpose::Login, b"");
        let mut bad = m3.clone();
        bad[i] ^= 0x80;
        assert!(server.read_client_finish(&bad).is_err(), "byte {i}");
    }
    // A finish from another handshake (replay into a new one) fails: different keys.
    let (_, server, _, _) = hello(Purpose::Login, b"");
    let (decision, _, _, _) = hello(Purpose::Login, b"");
    let (_, m3_other) = decision
        .finish(&account_key(), &request, &system_rng())
        .unwrap();
    // With fixed randomness both handshakes share keys, so build a genuinely different one.
    let (client, m1) =
        ClientHandshake::start(&fixed(0x77), Purpose::Login, SERVER_ID, [0xab; 16]).unwrap();
    let (_, m2) = ClientHello::decode(&m1)
        .unwrap()
        .respond(&fixed(0x66), &server_key(), &signed_params(), b"")
        .unwrap();
    let fresh = client
        .read_server_hello(&m2, ParamsTrust::EnrolHash(&signed_params().hash()))
        .unwrap();
    let (_, m3_fresh) = fresh
        .finish(&account_key(), &request, &system_rng())
        .unwrap();
    assert_eq!(
        server.read_client_finish(&m3_fresh).unwrap_err(),
        ProtocolError::Decrypt
    );
    let (_, server, _, _) = hello(Purpose::Login, b"");
    assert!(matches!(
        server.read_client_finish(&m3_other).unwrap(),
        ClientFinished::Authenticated { .. }
    ));
}

/// A signer that claims one key and signs with another: the server must notice.
struct Impostor;

impl Signer for Impostor {
    fn public_key(&self) -> PublicKey {
        account_key().public_key()
    }
    fn sign(
        &self,
        rng: &dyn ring::rand::SecureRandom,
        message: &[u8],
    ) -> nextauth_protocol::Result<nextauth_protocol::crypto::Signature> {
        other_key().sign(rng, message)
    }
}

#[test]
fn an_account_signature_by_the_wrong_key_is_refused() {
    let (decision, server, _, _) = hello(Purpose::Login, b"");
    let (_, m3) = decision
        .finish(&Impostor, b"\x02\x00\x00", &system_rng())
        .unwrap();
    assert_eq!(
        server.read_client_finish(&m3).unwrap_err(),
        ProtocolError::BadSignature
    );
}

#[test]
fn abort_reveals_no_account_and_reaches_the_server() {
    let (decision, server, _, _) = hello(Purpose::Login, b"");
    let m3 = decision.abort(AbortReason::Declined).unwrap();
    assert!(matches!(
        server.read_client_finish(&m3).unwrap(),
        ClientFinished::Aborted(AbortReason::Declined)
    ));
}

#[test]
fn client_hello_parsing_refuses_bad_input() {
    let (_, m1) = ClientHandshake::start(&fixed(1), Purpose::Enrol, SERVER_ID, [0; 16]).unwrap();
    let hello = ClientHello::decode(&m1).unwrap();
    assert_eq!(
        (hello.purpose, hello.server_id, hello.reference),
        (Purpose::Enrol, SERVER_ID, [0; 16])
    );
    let mut wrong_version = m1.clone();
    wrong_version[1] = 9;
    assert_eq!(
        ClientHello::decode(&wrong_version).unwrap_err(),
        ProtocolError::UnsupportedVersion(9)
    );
    let mut wrong_purpose = m1.clone();
    wrong_purpose[2] = 9;
    assert_eq!(
        ClientHello::decode(&wrong_purpose).unwrap_err(),
        ProtocolError::UnknownType(9)
    );
    let mut wrong_frame = m1.clone();
    wrong_frame[0] = 0x42;
    assert_eq!(
        ClientHello::decode(&wrong_frame).unwrap_err(),
        ProtocolError::UnknownType(0x42)
    );
    wrong_frame[0] = 5;
    assert_eq!(
        ClientHello::decode(&wrong_frame).unwrap_err(),
        ProtocolError::UnexpectedMessage
    );
    assert!(matches!(
        ClientHello::decode(&m1[..m1.len() - 1]).unwrap_err(),
        ProtocolError::Truncated { .. }
    ));
    let mut long = m1.clone();
    long.push(0);
    assert_eq!(
        ClientHello::decode(&long).unwrap_err(),
        ProtocolError::TrailingBytes
    );
}

#[test]
fn alerts_round_trip() {
    let alert = encode_alert(41);
    assert_eq!(decode_alert(&alert).unwrap(), 41);
    assert!(decode_alert(&alert[..2]).is_err());
    let (client, _) =
        ClientHandshake::start(&fixed(1), Purpose::Login, SERVER_ID, [0; 16]).unwrap();
    let hash = [0; 32];
    assert_eq!(
        client
            .read_server_hello(&alert, ParamsTrust::EnrolHash(&hash))
            .unwrap_err(),
        ProtocolError::UnexpectedMessage
    );
}

/// A login code for a server the app has no key for: the hello is checked as far as it can be
/// (well formed, parameters for the expected server and signed by the key inside them, a live
/// signature and MAC over this handshake), and all the app can then do is abort.
#[test]
fn a_hello_without_a_trusted_key_is_checked_and_may_only_abort() {
    let start =
        || ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, [0xab; 16]).unwrap();
    let respond = |m1: &[u8],
                   key: &nextauth_protocol::crypto::SigningKey,
                   signed: &nextauth_protocol::params::SignedServerParams| {
        ClientHello::decode(m1)
            .unwrap()
            .respond(&fixed(0x66), key, signed, &login_context())
            .unwrap()
    };

    // A genuine hello: the abort reaches the server as "no accounts".
    let (client, m1) = start();
    let (server, m2) = respond(&m1, &server_key(), &signed_params());
    let abort = client
        .read_server_hello_to_abort(&m2)
        .unwrap()
        .abort(AbortReason::NoAccounts)
        .unwrap();
    assert!(matches!(
        server.read_client_finish(&abort).unwrap(),
        ClientFinished::Aborted(AbortReason::NoAccounts)
    ));

    // Parameters not signed by the key inside them.
    let mut forged = params();
    forged.public_key = other_key().public_key();
    let forged = nextauth_protocol::params::SignedServerParams {
        bytes: forged.encode().unwrap(),
        signature: signed_params().signature,
    };
    let (client, m1) = start();
    let (_, m2) = respond(&m1, &other_key(), &forged);
    assert!(client.read_server_hello_to_abort(&m2).is_err());

    // A hello signed by another key than the parameters name (a replayed or borrowed set of
    // parameters): the live signature fails.
    let (client, m1) = start();
    let (_, m2) = respond(&m1, &other_key(), &signed_params());
    assert!(client.read_server_hello_to_abort(&m2).is_err());

    // Parameters of another server.
    let mut elsewhere = params();
    elsewhere.server_id = nextauth_protocol::ids::ServerId([0x77; 16]);
    let elsewhere = elsewhere.sign(&server_key(), &fixed(0x44)).unwrap();
    let (client, m1) = start();
    let (_, m2) = respond(&m1, &server_key(), &elsewhere);
    assert_eq!(
        client.read_server_hello_to_abort(&m2).unwrap_err(),
        ProtocolError::ServerMismatch
    );

    // Any altered byte breaks it.
    let (_, m1) = start();
    let (_, m2) = respond(&m1, &server_key(), &signed_params());
    for i in (0..m2.len()).step_by(11).chain([0, 49, m2.len() - 1]) {
        let mut bad = m2.clone();
        bad[i] ^= 0x01;
        assert!(
            start().0.read_server_hello_to_abort(&bad).is_err(),
            "byte {i}"
        );
    }
}

#[test]
fn the_enrol_hash_of_parameters_needs_no_signature() {
    // The server puts this hash in enrol codes without unsealing its key; the app checks the
    // signed parameters of the ServerHello against it.
    assert_eq!(params().hash().unwrap(), signed_params().hash());
    let other = params().sign(&server_key(), &fixed(0x45)).unwrap();
    assert_eq!(
        other.hash(),
        signed_params().hash(),
        "another signature, the same hash"
    );
}
