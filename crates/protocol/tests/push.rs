//! Push envelopes: sealing, opening, de-duplication and every way a message must be refused.
mod common;

use common::*;
use nextauth_protocol::crypto::Signer;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::SessionInfo;
use nextauth_protocol::push::{key_id, seal, Envelope, PushBody, ReplayGuard, MAX_TTL_SECS};
use nextauth_protocol::ProtocolError;

const PUSH_KEY: [u8; 32] = [0x70; 32];

fn login_body() -> PushBody {
    PushBody::Login {
        session_ref: SessionRef([9; 16]),
        announce: SessionInfo {
            info: vec![("Action".into(), "Sign in".into())],
            ..Default::default()
        },
        session: SessionInfo {
            ip: "198.51.100.4".into(),
            user_agent: "Safari".into(),
            ..Default::default()
        },
    }
}

fn sealed(body: &PushBody, expires_at: u64) -> Vec<u8> {
    seal(
        &system_rng(),
        &server_key(),
        SERVER_ID,
        &PUSH_KEY,
        NOW,
        expires_at,
        body,
    )
    .unwrap()
    .1
}

#[test]
fn each_kind_opens_once() {
    let bodies = [
        login_body(),
        PushBody::Logout {
            session_ref: SessionRef([1; 16]),
        },
        PushBody::DeleteAccount,
        PushBody::Message {
            title: "Hello".into(),
            text: "Your statement is ready".into(),
        },
    ];
    let mut guard = ReplayGuard::new();
    for body in bodies {
        let bytes = sealed(&body, NOW + 60);
        let envelope = Envelope::parse(&bytes).unwrap();
        assert_eq!(
            (envelope.server_id, envelope.key_id),
            (SERVER_ID, key_id(&PUSH_KEY))
        );
        let message = envelope
            .open(&server_key().public_key(), &PUSH_KEY, NOW, &mut guard)
            .unwrap();
        assert_eq!(message.body, body);
        assert_eq!((message.created_at, message.expires_at), (NOW, NOW + 60));
        let again = envelope
            .open(&server_key().public_key(), &PUSH_KEY, NOW, &mut guard)
            .unwrap_err();
        assert_eq!(again, ProtocolError::Replayed);
    }
}

#[test]
fn a_login_message_fits_in_the_fcm_payload_limit() {
    assert!(sealed(&login_body(), NOW + 60).len() < 4096);
}

#[test]
fn the_replay_guard_survives_persistence_and_prunes_expired_ids() {
    let bytes = sealed(&PushBody::DeleteAccount, NOW + 60);
    let envelope = Envelope::parse(&bytes).unwrap();
    let mut guard = ReplayGuard::new();
    envelope
        .open(&server_key().public_key(), &PUSH_KEY, NOW, &mut guard)
        .unwrap();
    let stored: Vec<_> = guard.entries().map(|(id, exp)| (*id, *exp)).collect();
    let mut restored = ReplayGuard::from_entries(stored);
    let err = envelope
        .open(
            &server_key().public_key(),
            &PUSH_KEY,
            NOW + 1,
            &mut restored,
        )
        .unwrap_err();
    assert_eq!(err, ProtocolError::Replayed);
    restored.prune(NOW + 61);
    assert!(!restored.contains(&envelope.message_id));
    // After pruning, the message itself has expired, so it still cannot come back.
    let err = envelope
        .open(
            &server_key().public_key(),
            &PUSH_KEY,
            NOW + 61,
            &mut restored,
        )
        .unwrap_err();
    assert_eq!(err, ProtocolError::MessageExpired);
}

#[test]
fn expired_and_implausibly_long_messages_are_refused() {
    let mut guard = ReplayGuard::new();
    let bytes = sealed(&PushBody::DeleteAccount, NOW - 1);
    let err = Envelope::parse(&bytes).unwrap().open(
        &server_key().public_key(),
        &PUSH_KEY,
        NOW,
        &mut guard,
    );
    assert_eq!(err.unwrap_err(), ProtocolError::MessageExpired);
    let bytes = sealed(&PushBody::DeleteAccount, NOW + MAX_TTL_SECS + 1);
    let err = Envelope::parse(&bytes).unwrap().open(
        &server_key().public_key(),
        &PUSH_KEY,
        NOW,
        &mut guard,
    );
    assert_eq!(err.unwrap_err(), ProtocolError::MessageExpired);
    assert!(
        !guard.contains(&Envelope::parse(&bytes).unwrap().message_id),
        "refused ids are not recorded"
    );
}

#[test]
fn tampering_wrong_keys_and_forgery_are_refused() {
    let bytes = sealed(&login_body(), NOW + 60);
    let key = server_key().public_key();
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 0x01;
        let mut guard = ReplayGuard::new();
        let refused = Envelope::parse(&bad).and_then(|e| e.open(&key, &PUSH_KEY, NOW, &mut guard));
        assert!(refused.is_err(), "byte {i}");
    }
    let envelope = Envelope::parse(&bytes).unwrap();
    let mut guard = ReplayGuard::new();
    let err = envelope
        .open(&other_key().public_key(), &PUSH_KEY, NOW, &mut guard)
        .unwrap_err();
    assert_eq!(err, ProtocolError::BadSignature, "another server's key");
    let err = envelope
        .open(&key, &[0x71; 32], NOW, &mut guard)
        .unwrap_err();
    assert_eq!(err, ProtocolError::Decrypt, "another account's push key");

    // Someone with the push key but not the server key cannot forge a message.
    let (_, forged) = seal(
        &system_rng(),
        &other_key(),
        SERVER_ID,
        &PUSH_KEY,
        NOW,
        NOW + 60,
        &PushBody::DeleteAccount,
    )
    .unwrap();
    let err = Envelope::parse(&forged)
        .unwrap()
        .open(&key, &PUSH_KEY, NOW, &mut guard)
        .unwrap_err();
    assert_eq!(err, ProtocolError::BadSignature);

    // A message for another server id, signed by the right key, is still just that server's.
    let (_, other) = seal(
        &system_rng(),
        &server_key(),
        ServerId([1; 16]),
        &PUSH_KEY,
        NOW,
        NOW + 60,
        &PushBody::DeleteAccount,
    )
    .unwrap();
    assert_eq!(
        Envelope::parse(&other).unwrap().server_id,
        ServerId([1; 16])
    );
}

#[test]
fn malformed_envelopes_are_refused() {
    let bytes = sealed(&PushBody::DeleteAccount, NOW + 60);
    for cut in 0..bytes.len() {
        assert!(Envelope::parse(&bytes[..cut]).is_err(), "cut {cut}");
    }
    let mut wrong_version = bytes.clone();
    wrong_version[0] = 9;
    assert_eq!(
        Envelope::parse(&wrong_version).unwrap_err(),
        ProtocolError::UnsupportedVersion(9)
    );
    let mut long = bytes;
    long.push(0);
    assert_eq!(
        Envelope::parse(&long).unwrap_err(),
        ProtocolError::TrailingBytes
    );
}
