//! The CONNECT handshake, with the server side played by the protocol crate: it accepts only
//! the server the app trusts, and a pinned key is checked as a login checks it.

use nextauth_engine::{ConnectHandshake, EngineError, ServerHelloOutcome};
use nextauth_protocol::crypto::{Signer, SigningKey};
use nextauth_protocol::handshake::{encode_alert, ClientFinished, ServerAwaitingFinish};
use nextauth_protocol::messages::ServerRecord;
use ring::rand::SystemRandom;

mod support;
use support::{account, authenticated, Server, SERVER};

/// The app's side up to the ServerHello's outcome, trusting `trusted` and pinning `pinned`.
fn connect(
    server: &Server,
    trusted: &SigningKey,
    pinned: Option<&SigningKey>,
) -> (ServerAwaitingFinish, ServerHelloOutcome) {
    let rng = SystemRandom::new();
    let (hs, hello) = ConnectHandshake::start(
        &rng,
        SERVER,
        trusted.public_key(),
        0,
        pinned.map(SigningKey::public_key),
    )
    .unwrap();
    let (srv, server_hello) = server.hello(&hello);
    let outcome = hs.on_server_hello(&server_hello, &account(), &rng).unwrap();
    (srv, outcome)
}

#[test]
fn the_trusted_server_is_connected_and_its_parameters_come_back_for_storage() {
    let server = Server::new();
    let (srv, outcome) = connect(&server, &server.key, Some(&server.key));
    let ServerHelloOutcome::Authenticated {
        finish,
        params,
        next,
        ..
    } = outcome
    else {
        panic!("{outcome:?}")
    };
    assert_eq!(params.public_key, server.key.public_key());
    let mut session = authenticated(srv, &finish);
    let accepted = session
        .seal(&ServerRecord::Accepted.encode().unwrap())
        .unwrap();
    assert!(next.on_reply(&accepted).is_ok());
}

#[test]
fn a_pinned_key_that_is_not_the_servers_turns_it_away_with_an_abort() {
    let server = Server::new();
    let other = account();
    let (srv, outcome) = connect(&server, &server.key, Some(&other));
    let ServerHelloOutcome::Rejected { abort, error } = outcome else {
        panic!("{outcome:?}")
    };
    assert!(matches!(error, EngineError::PinnedKeyMismatch));
    assert_eq!(error.code(), 130);
    assert!(matches!(
        srv.read_client_finish(&abort.expect("the server is told"))
            .unwrap(),
        ClientFinished::Aborted(_)
    ));
}

#[test]
fn parameters_not_signed_by_the_trusted_key_do_not_verify() {
    let server = Server::new();
    let rng = SystemRandom::new();
    let (hs, hello) =
        ConnectHandshake::start(&rng, SERVER, account().public_key(), 0, None).unwrap();
    let (_, server_hello) = server.hello(&hello);
    let result = hs.on_server_hello(&server_hello, &account(), &rng);
    assert!(
        matches!(result, Err(EngineError::Protocol(_))),
        "{result:?}"
    );
}

#[test]
fn an_alert_and_a_refusal_carry_the_servers_code() {
    let server = Server::new();
    let rng = SystemRandom::new();
    let (hs, _) = ConnectHandshake::start(&rng, SERVER, server.key.public_key(), 0, None).unwrap();
    let alert = hs.on_server_hello(&encode_alert(108), &account(), &rng);
    assert!(matches!(alert, Err(EngineError::Refused(108))));

    let (srv, outcome) = connect(&server, &server.key, None);
    let ServerHelloOutcome::Authenticated { finish, next, .. } = outcome else {
        panic!("{outcome:?}")
    };
    let mut session = authenticated(srv, &finish);
    let refused = session
        .seal(&ServerRecord::Refused { code: 48 }.encode().unwrap())
        .unwrap();
    assert!(matches!(
        next.on_reply(&refused),
        Err(EngineError::Refused(48))
    ));
}
