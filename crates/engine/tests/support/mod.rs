//! The server's side of a CONNECT, played by the protocol crate, for the engine's tests.

// Each test file uses a part.
#![allow(dead_code)]

use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{
    ClientFinished, ClientHello, ServerAwaitingFinish, Session as Channel,
};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::messages::{ClientRequest, ServerContext};
use nextauth_protocol::params::{SecondFactorPolicy, ServerParams, SignedServerParams};
use ring::rand::SystemRandom;

pub const SERVER: ServerId = ServerId([3; 16]);

pub struct Server {
    pub key: SigningKey,
    pub signed: SignedServerParams,
}

impl Server {
    pub fn new() -> Self {
        let rng = SystemRandom::new();
        let (key, _) = SigningKey::generate(&rng).unwrap();
        let params = params(SERVER, &key, 1_000, SecondFactorPolicy::Pin, 0);
        let signed = params.sign(&key, &rng).unwrap();
        Self { key, signed }
    }

    pub fn hello(&self, client_hello: &[u8]) -> (ServerAwaitingFinish, Vec<u8>) {
        ClientHello::decode(client_hello)
            .unwrap()
            .respond(
                &SystemRandom::new(),
                &self.key,
                &self.signed,
                &ServerContext::Connect.encode().unwrap(),
            )
            .unwrap()
    }
}

/// The parameters of a test server `server_id` with `key`, issued at `issued_at`.
pub fn params(
    server_id: ServerId,
    key: &SigningKey,
    issued_at: u64,
    second_factor: SecondFactorPolicy,
    ping_time: u32,
) -> ServerParams {
    ServerParams {
        server_id,
        issued_at,
        public_key: key.public_key(),
        profile: nextauth_protocol::params::ServerProfile {
            name: "Acme".into(),
            logo: vec![],
            pin_timeout: 0,
            pin_trans_timeout: 0,
            ping_time,
            max_pin_attempts: 3,
            second_factor,
            unique_display_names: true,
            flags: vec![],
        },
        endpoint: "ws://127.0.0.1:1/sigmai".into(),
        site_url: String::new(),
        app_url: String::new(),
    }
}

pub fn account() -> SigningKey {
    SigningKey::generate(&SystemRandom::new()).unwrap().0
}

/// The session the server holds once the app's CONNECT is authenticated.
pub fn authenticated(srv: ServerAwaitingFinish, finish: &[u8]) -> Box<Channel> {
    match srv.read_client_finish(finish).unwrap() {
        ClientFinished::Authenticated {
            request, session, ..
        } => {
            assert_eq!(
                ClientRequest::decode(&request).unwrap(),
                ClientRequest::Connect
            );
            session
        }
        ClientFinished::Aborted(reason) => panic!("aborted: {reason:?}"),
    }
}
