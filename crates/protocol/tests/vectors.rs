//! Published test vectors: fixed keys and fixed randomness must give these exact bytes.
//!
//! The vectors live in `tests/vectors/vectors.txt` (one `name = hex` per line) and
//! `tests/vectors/vash.png`. Inputs: every random value comes from ring's `FixedByteRandom`
//! with the byte named below, keys are generated from such randomness, and times are fixed.
//! A second implementation reproduces them from docs/protocol.md. To regenerate after a
//! deliberate format change: `UPDATE_VECTORS=1 cargo test -p nextauth-protocol --test vectors`.
mod common;

use std::fmt::Write as _;
use std::path::PathBuf;

use common::*;
use nextauth_protocol::crypto::Signer;
use nextauth_protocol::handshake::{ClientFinished, ClientHandshake, ClientHello, Purpose};
use nextauth_protocol::hex;
use nextauth_protocol::ids::{SessionRef, TransactionRef};
use nextauth_protocol::messages::{
    AppRecord, ClientRequest, LoginCheck, NumberChallenge, Observed, ServerContext, ServerRecord,
    SessionInfo,
};
use nextauth_protocol::params::{KeyRotation, ParamsTrust};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};
use nextauth_protocol::push::{self, PushBody};
use nextauth_protocol::qr::{EnrolCode, EnrolSecret, LoginCode, QrPayload, TransactionCode};
use nextauth_protocol::vash;

fn compute() -> (String, Vec<u8>) {
    let mut out = String::new();
    let mut line = |name: &str, bytes: &[u8]| writeln!(out, "{name} = {}", hex(bytes)).unwrap();

    let server = server_key();
    let account = account_key();
    line("server_public_key (rng 0x11)", &server.public_key().0);
    line("account_public_key (rng 0x22)", &account.public_key().0);

    let signed = signed_params();
    line("server_params", &signed.bytes);
    line("server_params_signature (rng 0x44)", &signed.signature.0);
    line("server_params_hash", &signed.hash());
    let vash_png = vash::png(&signed.hash(), 8);

    let session_ref = SessionRef::derive(&SERVER_ID, b"0123456789abcdef0123456789abcdef");
    line(
        "session_ref (nonce \"0123456789abcdef0123456789abcdef\")",
        &session_ref.0,
    );
    let endpoint = "wss://auth.acme.test/sigmai".to_string();
    let login = QrPayload::Login(LoginCode {
        endpoint: endpoint.clone(),
        server_id: SERVER_ID,
        session_ref,
    });
    line("qr_login", &login.encode().unwrap());
    let enrol = QrPayload::Enrol(EnrolCode {
        endpoint: endpoint.clone(),
        server_id: SERVER_ID,
        session_ref,
        secret: EnrolSecret([0xe5; 16]),
        expires_at: NOW + 600,
        params_hash: signed.hash(),
        display_name: "alice".into(),
    });
    line("qr_enrol", &enrol.encode().unwrap());
    let tx = QrPayload::Transaction(TransactionCode {
        endpoint,
        server_id: SERVER_ID,
        transaction_ref: TransactionRef([0x7a; 16]),
    });
    line("qr_transaction", &tx.encode().unwrap());
    let link = login.to_deep_link("https://app.acme.test/q").unwrap();

    let context = ServerContext::Login {
        announce: SessionInfo {
            info: vec![("Site".into(), "Acme".into())],
            ..Default::default()
        },
        session: SessionInfo {
            ip: "192.0.2.7".into(),
            user_agent: "Firefox/140".into(),
            ..Default::default()
        },
        check: LoginCheck {
            number: NumberChallenge::Choose(vec!["42".into(), "17".into(), "93".into()]),
            observed: Observed {
                ip: "192.0.2.7".into(),
                browser: "Firefox 140 on Linux".into(),
                location: String::new(),
                seen_at: NOW - 5,
                network_differs: false,
            },
        },
    }
    .encode()
    .unwrap();
    line("login_context (number choices 42 17 93)", &context);
    let (client, m1) =
        ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, session_ref.0).unwrap();
    line("client_hello (rng 0x55)", &m1);
    let (server_state, m2) = ClientHello::decode(&m1)
        .unwrap()
        .respond(&fixed(0x66), &server, &signed, &context)
        .unwrap();
    line("server_hello (rng 0x66, login context above)", &m2);
    let decision = client
        .read_server_hello(&m2, ParamsTrust::EnrolHash(&signed.hash()))
        .unwrap();
    let request = ClientRequest::Login {
        user_input: "hi".into(),
        number: "42".into(),
    }
    .encode()
    .unwrap();
    line("login_request (user input \"hi\", number 42)", &request);
    let (mut app, m3) = decision.finish(&account, &request, &fixed(0x77)).unwrap();
    line("client_finish (rng 0x77, the request above)", &m3);
    let ClientFinished::Authenticated { mut session, .. } =
        server_state.read_client_finish(&m3).unwrap()
    else {
        panic!("the vector handshake must authenticate");
    };
    line(
        "record_server_0 (PinRequired 5)",
        &session
            .seal(
                &ServerRecord::PinRequired {
                    remaining_attempts: 5,
                }
                .encode()
                .unwrap(),
            )
            .unwrap(),
    );
    line("push_key", app.push_key());
    line("binder", app.binder());

    let verifier = pin_verifier(
        &DeviceSecret::from_bytes([0xd5; 32]),
        &Pin::new("2468").unwrap(),
        &SERVER_ID,
        &account.public_key(),
    );
    line(
        "pin_verifier (device secret 0xd5.., PIN 2468)",
        verifier.as_ref(),
    );
    let proof = pin_proof(&verifier, app.binder());
    line("pin_proof", &proof);
    line(
        "record_app_0 (PinProof)",
        &app.seal(&AppRecord::PinProof { proof }.encode().unwrap())
            .unwrap(),
    );

    let body = PushBody::Message {
        title: "Hello".into(),
        text: "From Acme".into(),
    };
    let (_, envelope) = push::seal(
        &fixed(0x88),
        &server,
        SERVER_ID,
        app.push_key(),
        NOW,
        NOW + 3600,
        &body,
    )
    .unwrap();
    line("push_message (rng 0x88)", &envelope);

    // The server key 0x11 hands over to the key 0x33; parameters signed by 0x33 with this
    // rotation are trusted by an app that knows 0x11.
    let rotated = other_key();
    let rotation =
        KeyRotation::sign(&SERVER_ID, &server, rotated.public_key(), NOW, &fixed(0x99)).unwrap();
    line(
        "key_rotation_0x11_to_0x33 (rng 0x99)",
        &KeyRotation::list_to_bytes(std::slice::from_ref(&rotation)).unwrap(),
    );
    let mut next = params();
    next.public_key = rotated.public_key();
    next.issued_at = NOW;
    let next = next.sign(&rotated, &fixed(0x44)).unwrap();
    let (_, m1) =
        ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, session_ref.0).unwrap();
    let (_, m2) = ClientHello::decode(&m1)
        .unwrap()
        .respond_rotated(&fixed(0x66), &rotated, &next, &[rotation], &context)
        .unwrap();
    line("server_hello_rotated (rng 0x66, login context)", &m2);
    writeln!(
        out,
        "deep_link_login (text, base https://app.acme.test/q) = {link}"
    )
    .unwrap();
    (out, vash_png)
}

#[test]
fn vectors_match_the_published_ones() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let (text, png) = compute();
    let (text_path, png_path) = (dir.join("vectors.txt"), dir.join("vash.png"));
    if std::env::var_os("UPDATE_VECTORS").is_some() {
        std::fs::write(&text_path, &text).unwrap();
        std::fs::write(&png_path, &png).unwrap();
    }
    let published =
        std::fs::read_to_string(&text_path).expect("tests/vectors/vectors.txt is checked in");
    for (got, want) in text.lines().zip(published.lines()) {
        assert_eq!(
            got, want,
            "a vector changed: the wire format is not what was published"
        );
    }
    assert_eq!(text.lines().count(), published.lines().count());
    assert_eq!(
        png,
        std::fs::read(&png_path).unwrap(),
        "visual hash image changed"
    );
}

#[test]
fn vectors_are_deterministic() {
    assert_eq!(compute(), compute());
}
