//! Fixtures shared by the fuzz targets: fixed keys and randomness (so every run is reproducible
//! from its input alone), the error-code check, and valid frames to start from.
#![allow(deprecated)]

use std::sync::OnceLock;

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{ClientHandshake, ClientHello, Purpose, ServerAwaitingFinish};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{SecondFactorPolicy, ServerParams, SignedServerParams};
use nextauth_protocol::qr::LinkRules;
use nextauth_protocol::Result;
/// ring's deterministic generator (deprecated only to discourage use outside tests).
pub use ring::test::rand::FixedByteRandom;

/// The clock of every target, in Unix seconds.
pub const NOW: u64 = 1_800_000_000;
/// The server every fixture belongs to.
pub const SERVER_ID: ServerId = ServerId([0x5e; 16]);
/// The push key the push target opens envelopes with.
pub const PUSH_KEY: [u8; 32] = [7; 32];
/// The session reference of the fixed handshake.
pub const REFERENCE: [u8; 16] = [0xab; 16];

/// A generator that returns `byte` forever.
pub fn fixed(byte: u8) -> FixedByteRandom {
    FixedByteRandom { byte }
}

/// The codes `ProtocolError::code` is documented to return.
pub fn documented(code: u16) -> bool {
    matches!(code, 32 | 33 | 41 | 48 | 67 | 68 | 101..=107)
}

/// Returns the value, or checks that the error has a documented code (and prints).
pub fn check<T>(result: Result<T>) -> Option<T> {
    match result {
        Ok(v) => Some(v),
        Err(e) => {
            assert!(
                documented(e.code()),
                "undocumented code {} for {e:?}",
                e.code()
            );
            let _ = e.to_string();
            None
        }
    }
}

/// The server's fixed P-256 key.
pub fn server_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(&fixed(0x11)).expect("server key").0)
}

/// The account's fixed P-256 key.
pub fn account_key() -> &'static SigningKey {
    static KEY: OnceLock<SigningKey> = OnceLock::new();
    KEY.get_or_init(|| SigningKey::generate(&fixed(0x22)).expect("account key").0)
}

/// Sample server parameters, signed by [`server_key`].
pub fn signed_params() -> &'static SignedServerParams {
    static SIGNED: OnceLock<SignedServerParams> = OnceLock::new();
    SIGNED.get_or_init(|| {
        let params = ServerParams {
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
        };
        params
            .sign(server_key(), &fixed(0x44))
            .expect("sign params")
    })
}

/// The app's state after sending the fixed ClientHello, and that ClientHello.
pub fn client_started() -> (ClientHandshake, Vec<u8>) {
    ClientHandshake::start(&fixed(0x55), Purpose::Login, SERVER_ID, REFERENCE).expect("start")
}

/// The server's state after answering the fixed ClientHello, and its ServerHello.
pub fn server_responded() -> (ServerAwaitingFinish, Vec<u8>) {
    let (_, m1) = client_started();
    let hello = ClientHello::decode(&m1).expect("client hello");
    hello
        .respond(&fixed(0x66), server_key(), signed_params(), b"")
        .expect("respond")
}

/// The link forms the QR target accepts.
pub fn rules() -> LinkRules {
    LinkRules {
        https_prefixes: vec!["https://auth.test/q".into()],
        schemes: vec!["nextauth".into()],
    }
}
