//! Biometric unlock of the PIN against the real server: the platform's check is the one part
//! played by the test (no fingerprint reader here); the PIN checks, the sealing and the flows
//! are real.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

use nextauth_e2e::{App, ServerProcess};
use nextauth_sdk::{
    BiometricStatus, Biometrics, FlowState, Interaction, PinInput, Response, SdkError,
};

const PIN: &str = "2468";

/// The platform's biometric check, as the test sets it.
#[derive(Default)]
struct TestPlatform {
    pass: AtomicBool,
    asked: AtomicUsize,
}

impl Biometrics for TestPlatform {
    fn available(&self) -> bool {
        true
    }
    fn verify(&self, _reason: &str) -> bool {
        self.asked.fetch_add(1, Ordering::SeqCst);
        self.pass.load(Ordering::SeqCst)
    }
}

/// Logs in to session `nonce` up to the PIN question; returns the flow id.
async fn login_until_pin(app: &mut App, server: &ServerProcess, nonce: &str) -> String {
    let flow = app.approve_login(server, nonce).await;
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(matches!(
        ask.interaction,
        Some(Interaction::VerifySecondFactor { retry: false, .. })
    ));
    flow
}

/// Hands `app` a platform check that passes; returns it.
fn passing_platform(app: &App) -> Arc<TestPlatform> {
    let platform = Arc::new(TestPlatform::default());
    platform.pass.store(true, Ordering::SeqCst);
    app.sdk.set_biometrics(platform.clone());
    platform
}

#[tokio::test]
async fn biometrics_unlock_the_pin_only_after_it_was_proven_and_follow_pin_changes() {
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "rita", PIN).await;
    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;

    // No platform check (the desktop): unavailable, with its own code.
    let off = BiometricStatus {
        available: false,
        enabled: false,
    };
    assert_eq!(app.sdk.biometric_status().await.unwrap(), off);
    let err = app
        .sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 131);

    // With one: a wrong PIN is refused by the server (and counted) before anyone is asked.
    let platform = passing_platform(&app);
    assert!(matches!(
        app.sdk.enable_biometrics(&PinInput::new("1357")).await,
        Err(SdkError::WrongPin(4))
    ));
    assert_eq!(platform.asked.load(Ordering::SeqCst), 0);
    app.sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap();
    assert_eq!(platform.asked.load(Ordering::SeqCst), 1);
    assert!(app.sdk.biometric_status().await.unwrap().enabled);

    // A login's PIN question is answered after the platform's check, without the PIN pad.
    login_until_pin(&mut app, &server, "bio-1").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(platform.asked.load(Ordering::SeqCst), 2);
    assert_eq!(server.session("bio-1").await["loggedin"], true);

    // The person fails the check: the question stays for the PIN pad.
    platform.pass.store(false, Ordering::SeqCst);
    let flow = login_until_pin(&mut app, &server, "bio-2").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(platform.asked.load(Ordering::SeqCst), 3);
    assert_eq!(server.session("bio-2").await["loggedin"], false);
    app.sdk
        .respond(
            &flow,
            Response::Pin {
                pin: PinInput::new(PIN),
            },
        )
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("bio-2").await["loggedin"], true);

    // After a PIN change, biometric unlock gives the new PIN.
    app.sdk
        .change_pin(&PinInput::new(PIN), &PinInput::new("97531"))
        .await
        .unwrap();
    platform.pass.store(true, Ordering::SeqCst);
    login_until_pin(&mut app, &server, "bio-3").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("bio-3").await["loggedin"], true);

    app.sdk.disable_biometrics().await.unwrap();
    assert!(!app.sdk.biometric_status().await.unwrap().enabled);
    let flow = login_until_pin(&mut app, &server, "bio-4").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        platform.asked.load(Ordering::SeqCst),
        4,
        "not asked once switched off"
    );
    app.sdk.stop(&flow).await.unwrap();
}

#[tokio::test]
async fn the_configuration_can_turn_biometrics_off() {
    let server = ServerProcess::start().await;
    let dir = std::sync::Arc::new(nextauth_e2e::TempDir::new("app"));
    let mut app = App::open_with(dir, |config| config.biometrics_disabled = true).await;
    app.enrol(&server, "sybil", PIN).await;
    let platform = passing_platform(&app);
    assert!(!app.sdk.biometric_status().await.unwrap().available);
    let err = app
        .sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap_err();
    assert_eq!(err.code(), 131);
    assert_eq!(platform.asked.load(Ordering::SeqCst), 0);
}
