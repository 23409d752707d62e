//! Fixtures shared by the protocol's integration tests: fixed keys, fixed randomness, sample
//! server parameters, and helpers to run a whole handshake.
#![allow(dead_code, deprecated, missing_docs)]

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{
    ClientAwaitingDecision, ClientHandshake, ClientHello, Purpose, ServerAwaitingFinish,
};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{
    ParamsTrust, SecondFactorPolicy, ServerParams, SignedServerParams,
};
use ring::rand::SecureRandom;
// ring's deterministic generators: the only way to give ring fixed randomness, which makes
// signatures and ephemeral keys reproducible for the published test vectors.
pub use ring::test::rand::FixedByteRandom;

pub const NOW: u64 = 1_800_000_000;
pub const SERVER_ID: ServerId = ServerId([0x5e; 16]);

pub fn fixed(byte: u8) -> FixedByteRandom {
    FixedByteRandom { byte }
}

pub fn server_key() -> SigningKey {
    SigningKey::generate(&fixed(0x11)).unwrap().0
}

pub fn account_key() -> SigningKey {
    SigningKey::generate(&fixed(0x22)).unwrap().0
}

pub fn other_key() -> SigningKey {
    SigningKey::generate(&fixed(0x33)).unwrap().0
}

pub fn params() -> ServerParams {
    ServerParams {
        server_id: SERVER_ID,
        issued_at: NOW - 60,
        public_key: server_key().public_key(),
        profile: nextauth_protocol::params::ServerProfile {
            name: "Acme Bank".into(),
            logo: vec![0x89, b'P', b'N', b'G'],
            pin_timeout: 5,
            pin_trans_timeout: 0,
            ping_time: 30,
            max_pin_attempts: 5,
            second_factor: SecondFactorPolicy::Pin,
            unique_display_names: true,
            flags: vec!["continuous".into(), "push".into()],
        },
        endpoint: "wss://auth.acme.test/sigmai".into(),
        site_url: "https://acme.test".into(),
        app_url: "https://app.acme.test/q".into(),
    }
}

pub fn signed_params() -> SignedServerParams {
    params().sign(&server_key(), &fixed(0x44)).unwrap()
}

/// Runs ClientHello and ServerHello with fixed randomness; returns both states and the frames.
pub fn hello(
    purpose: Purpose,
    context: &[u8],
) -> (
    ClientAwaitingDecision,
    ServerAwaitingFinish,
    Vec<u8>,
    Vec<u8>,
) {
    let signed = signed_params();
    let (client, m1) =
        ClientHandshake::start(&fixed(0x55), purpose, SERVER_ID, [0xab; 16]).unwrap();
    let hello = ClientHello::decode(&m1).unwrap();
    let (server, m2) = hello
        .respond(&fixed(0x66), &server_key(), &signed, context)
        .unwrap();
    let hash = signed.hash();
    let decision = client
        .read_server_hello(&m2, ParamsTrust::EnrolHash(&hash))
        .unwrap();
    (decision, server, m1, m2)
}

pub fn system_rng() -> impl SecureRandom {
    ring::rand::SystemRandom::new()
}
