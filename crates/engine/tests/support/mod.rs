//! The server's side of a CONNECT, played by the protocol crate, for the engine's tests.

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
        let params = ServerParams {
            server_id: SERVER,
            issued_at: 1_000,
            public_key: key.public_key(),
            name: "Acme".into(),
            logo: vec![],
            pin_timeout: 0,
            pin_trans_timeout: 0,
            ping_time: 0,
            max_pin_attempts: 3,
            second_factor: SecondFactorPolicy::Pin,
            unique_display_names: true,
            flags: vec![],
            endpoint: "ws://127.0.0.1:1/sigmai".into(),
            site_url: String::new(),
            app_url: String::new(),
        };
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
