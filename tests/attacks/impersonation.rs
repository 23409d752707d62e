//! Server impersonation (docs/security.md, "Server impersonation"): a code that names a server
//! the app knows, with the attacker's endpoint and parameters signed by the attacker's key.
//!
//! Before the fix (d8ada6b) an enrol code was checked only against the hash it carries, and the
//! parameters were stored as soon as the ServerHello verified: even a declined enrolment
//! replaced the key the app trusts, the next real login failed (48), and live delivery opened
//! CONNECT sessions to the attacker.

use nextauth_e2e::fake_server::FakeServer;
use nextauth_e2e::{decode_code, raw, App, ServerProcess};
use nextauth_protocol::codec::Reader;
use nextauth_protocol::crypto::{Signature, Signer, SigningKey};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{KeyRotation, ServerParams, SignedServerParams};
use nextauth_protocol::qr::QrPayload;
use nextauth_sdk::{Event, FlowState};
use sqlx::Row;

/// The app's stored parameters of `server`, byte for byte.
async fn stored_params(app: &App, server: &ServerId) -> Vec<u8> {
    let url = format!("sqlite://{}", app.dir.0.join("nextauth.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("app database");
    let row = sqlx::query("SELECT signed_params FROM servers WHERE server_id = ?1")
        .bind(server.0.to_vec())
        .fetch_one(&pool)
        .await
        .expect("the server is stored");
    pool.close().await;
    row.get("signed_params")
}

fn params_of(stored: &[u8]) -> ServerParams {
    let signed = SignedServerParams::decode(&mut Reader::new(stored)).expect("signed params");
    ServerParams::decode(&signed.bytes).expect("params")
}

/// An app with one account on the real server, and that server's id.
async fn victim() -> (ServerProcess, App, ServerId) {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "alice", "2468").await;
    let id = ServerId::from_base64(&server.server_id).expect("id");
    (server, app, id)
}

/// Starts a flow with `code` and returns its end (error expected), with no question asked.
async fn refused(app: &mut App, code: &[u8]) -> nextauth_sdk::ErrorInfo {
    if let Err(err) = app.sdk.start_qr(code).await {
        return err.info();
    }
    let end = app
        .next_event(|e| match e {
            Event::FlowUpdate { flow }
                if matches!(
                    flow.state,
                    FlowState::WaitingForConfirmation | FlowState::Error | FlowState::Done
                ) =>
            {
                Some(flow.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(
        end.state,
        FlowState::Error,
        "no question may be asked: {end:?}"
    );
    end.error.expect("an error")
}

/// Logs in for real and checks the website sees it.
async fn real_login_works(app: &mut App, server: &ServerProcess, nonce: &str) {
    let flow = app.approve_login(server, nonce).await;
    let next = app
        .next_event(|e| match e {
            Event::FlowUpdate { flow: f }
                if f.id == flow
                    && matches!(
                        f.state,
                        FlowState::WaitingForInput | FlowState::Done | FlowState::Error
                    ) =>
            {
                Some(f.clone())
            }
            _ => None,
        })
        .await;
    if next.state == FlowState::WaitingForInput {
        app.sdk
            .respond(
                &flow,
                nextauth_sdk::Response::Pin {
                    pin: nextauth_sdk::PinInput::new("2468"),
                },
            )
            .await
            .expect("PIN");
        app.flow_in(FlowState::Done).await;
    } else {
        assert_eq!(next.state, FlowState::Done, "{next:?}");
    }
    assert_eq!(server.session(nonce).await["loggedin"], true);
}

#[tokio::test]
async fn an_enrol_code_cannot_replace_the_key_of_a_known_server() {
    let (server, mut app, id) = victim().await;
    let before = stored_params(&app, &id).await;
    let fake = FakeServer::impersonate(&params_of(&before)).await;

    let error = refused(&mut app, &fake.enrol_code(id, "mallory")).await;
    assert_eq!(error.code, 133, "{error:?}");
    assert!(
        error.message.contains("claims to be Acme") && error.message.contains("Acme's key"),
        "{}",
        error.message
    );
    assert_eq!(
        stored_params(&app, &id).await,
        before,
        "the stored parameters are byte-identical"
    );

    // Live delivery and the next login go to the real server, never to the impostor.
    let _live = app.sdk.start_live_delivery();
    real_login_works(&mut app, &server, "after-impostor").await;
    let account = server.account_ids().await[0];
    server.provoke_login(account, "pushed").await;
    let push = app
        .next_event(|e| match e {
            Event::FlowUpdate { flow } if flow.state == FlowState::WaitingForConfirmation => {
                Some(flow.clone())
            }
            _ => None,
        })
        .await;
    app.sdk
        .respond(&push.id, nextauth_sdk::Response::Deny)
        .await
        .expect("deny");
    assert_eq!(
        fake.purposes(),
        vec![nextauth_protocol::handshake::Purpose::Enrol]
    );
    assert_eq!(
        fake.connections(),
        1,
        "only the forged enrolment reached it"
    );
}

#[tokio::test]
async fn a_login_code_cannot_send_the_app_to_another_host() {
    let (server, mut app, id) = victim().await;
    let fake = FakeServer::impersonate(&params_of(&stored_params(&app, &id).await)).await;
    let session_ref = match decode_code(&server.login_code("victim-session").await) {
        QrPayload::Login(code) => code.session_ref,
        other => panic!("{other:?}"),
    };
    let error = refused(&mut app, &fake.login_code(id, session_ref)).await;
    assert_eq!(error.code, 134, "{error:?}");
    assert_eq!(
        fake.connections(),
        0,
        "the app never connected to the other host"
    );
    assert_eq!(server.session("victim-session").await["loggedin"], false);
    real_login_works(&mut app, &server, "victim-session").await;
}

#[tokio::test]
async fn a_rotated_key_is_followed_and_a_forged_rotation_is_not() {
    let (server, mut app, id) = victim().await;
    let before = params_of(&stored_params(&app, &id).await);

    // A rotation whose endorsement does not verify (the attacker cannot sign with the
    // server's key) is refused like no rotation at all.
    let attacker = SigningKey::generate(&raw::rng()).expect("key").0;
    let bogus = KeyRotation {
        old_key: before.public_key,
        new_key: attacker.public_key(),
        at: before.issued_at + 1,
        signature: Signature([7; 64]),
    };
    let forged = FakeServer::start(&before, attacker, vec![bogus]).await;
    let error = refused(&mut app, &forged.enrol_code(id, "mallory")).await;
    assert_eq!(error.code, 133);

    // The real server rotates its key: the next login follows it and stores the new key.
    let path = format!("/servers/{}/rotatekey", server.server_id);
    let rotated = server.api("POST", &path, None, None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.text());
    let new_pk = rotated.json()["serverpk"]
        .as_str()
        .expect("serverpk")
        .to_owned();
    real_login_works(&mut app, &server, "after-rotation").await;
    let after = params_of(&stored_params(&app, &id).await);
    use base64::Engine;
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(after.public_key.0),
        new_pk
    );
    assert_ne!(after.public_key, before.public_key);

    // A second rotation is followed too (the chain goes on).
    assert_eq!(server.api("POST", &path, None, None).await.status, 200);
    real_login_works(&mut app, &server, "after-second-rotation").await;
}
