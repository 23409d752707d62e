//! Biometric unlock of the PIN against the real server: the platform's check is the one part
//! played by the test (no fingerprint reader here); the PIN checks, the sealing and the flows
//! are real.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use nextauth_protocol::crypto;
use nextauth_sdk::keystore::{FileKeystore, Keystore};
use nextauth_sdk::BiometricError;
use zeroize::Zeroizing;

use nextauth_e2e::{App, ServerProcess};
use nextauth_sdk::{
    BiometricStatus, Biometrics, FlowState, Interaction, PinInput, Response, SdkError,
};

const PIN: &str = "2468";

/// The platform's biometric key, as the test plays it: a key of its own (not the app's
/// keystore) that seals and opens only while `pass` is set.
#[derive(Default)]
struct TestPlatform {
    pass: AtomicBool,
    asked: AtomicUsize,
    key: Mutex<Option<[u8; 32]>>,
}

impl TestPlatform {
    fn check(&self) -> Result<[u8; 32], BiometricError> {
        self.asked.fetch_add(1, Ordering::SeqCst);
        if !self.pass.load(Ordering::SeqCst) {
            return Err(BiometricError::Declined);
        }
        let mut key = self.key.lock().unwrap();
        Ok(*key.get_or_insert_with(|| [0x42; 32]))
    }
}

impl Biometrics for TestPlatform {
    fn available(&self) -> bool {
        true
    }
    fn seal(&self, _reason: &str, secret: &[u8]) -> Result<Vec<u8>, BiometricError> {
        let key = self.check()?;
        let nonce = [self.asked.load(Ordering::SeqCst) as u8; 12];
        let sealed = crypto::seal(&key, nonce, b"test biometric key", secret).unwrap();
        Ok([nonce.as_slice(), &sealed].concat())
    }
    fn open(&self, _reason: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, BiometricError> {
        let key = self.check()?;
        let (nonce, body) = sealed.split_at(12);
        crypto::open(&key, nonce.try_into().unwrap(), b"test biometric key", body)
            .map_err(|_| BiometricError::Unavailable)
    }
    fn forget(&self) {
        *self.key.lock().unwrap() = None;
    }
}

/// The sealed PIN as stored in the app's database.
async fn stored_biometric_pin(app: &App) -> Option<Vec<u8>> {
    let url = format!("sqlite://{}", app.dir.0.join("nextauth.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let row: (Option<Vec<u8>>,) = sqlx::query_as("SELECT biometric_pin_sealed FROM device")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    row.0
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

/// A server that asks for the PIN at every login, and an app (in the returned folder,
/// configured by `adjust`) with one account `name` on it.
async fn pin_at_every_login(
    name: &str,
    adjust: impl FnOnce(&mut nextauth_sdk::Config),
) -> (ServerProcess, App, Arc<nextauth_e2e::TempDir>) {
    let server = ServerProcess::start().await;
    let dir = Arc::new(nextauth_e2e::TempDir::new("app"));
    let mut app = App::open_with(dir.clone(), adjust).await;
    app.enrol(&server, name, PIN).await;
    server
        .configure(serde_json::json!({ "pinTimeout": 0 }))
        .await;
    (server, app, dir)
}

#[tokio::test]
async fn biometrics_unlock_the_pin_only_after_it_was_proven_and_follow_pin_changes() {
    let (server, mut app, _) = pin_at_every_login("rita", |_| {}).await;

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
        Err(SdkError::Engine(
            nextauth_sdk::engine::EngineError::WrongPin(4)
        ))
    ));
    assert_eq!(platform.asked.load(Ordering::SeqCst), 0);
    app.sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap();
    assert_eq!(platform.asked.load(Ordering::SeqCst), 1);
    assert!(app.sdk.biometric_status().await.unwrap().enabled);
    // The PIN is sealed by the platform's biometric key, not by the app's keystore: whoever
    // can use the keystore (a copied data directory) still cannot read it.
    let sealed = stored_biometric_pin(&app).await.expect("sealed PIN");
    let keystore = FileKeystore::open_or_create(&app.dir.0.join("keystore.key")).unwrap();
    for label in [&b"biometric pin"[..], b"pin", b""] {
        assert!(keystore.open(label, &sealed).is_err());
    }
    assert!(!sealed.windows(PIN.len()).any(|w| w == PIN.as_bytes()));

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

    // After a PIN change (the person passes the check to keep biometric unlock), it gives
    // the new PIN.
    platform.pass.store(true, Ordering::SeqCst);
    app.sdk
        .change_pin(&PinInput::new(PIN), &PinInput::new("97531"))
        .await
        .unwrap();
    assert_eq!(platform.asked.load(Ordering::SeqCst), 4);
    login_until_pin(&mut app, &server, "bio-3").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(server.session("bio-3").await["loggedin"], true);

    app.sdk.disable_biometrics().await.unwrap();
    assert!(!app.sdk.biometric_status().await.unwrap().enabled);
    let flow = login_until_pin(&mut app, &server, "bio-4").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        platform.asked.load(Ordering::SeqCst),
        5,
        "not asked once switched off"
    );
    app.sdk.stop(&flow).await.unwrap();
    assert!(
        platform.key.lock().unwrap().is_none(),
        "the platform's key is deleted"
    );
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

/// Answers the open PIN question with the typed PIN and waits for the end.
async fn type_pin(app: &mut App, flow: &str) {
    app.sdk
        .respond(
            flow,
            Response::Pin {
                pin: PinInput::new(PIN),
            },
        )
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
}

/// Issue 18 item 6: `max_biometric_unlocks` (the reference's maxNumberSecondFactorWithoutPIN):
/// after that many biometric unlocks in a row the PIN must be typed; typing it starts the
/// count again. Kept across a restart.
#[tokio::test]
async fn after_n_biometric_unlocks_the_pin_must_be_typed() {
    let (server, mut app, dir) = pin_at_every_login("tilo", |c| c.max_biometric_unlocks = 2).await;
    let platform = passing_platform(&app);
    app.sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap();
    for nonce in ["streak-1", "streak-2"] {
        login_until_pin(&mut app, &server, nonce).await;
        app.flow_in(FlowState::Done).await;
        assert_eq!(server.session(nonce).await["loggedin"], true);
    }
    let asked = platform.asked.load(Ordering::SeqCst);
    // A restart does not reset the count.
    drop(app);
    let mut app = App::open_with(dir, |c| c.max_biometric_unlocks = 2).await;
    app.sdk.set_biometrics(platform.clone());
    let flow = login_until_pin(&mut app, &server, "streak-3").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(
        platform.asked.load(Ordering::SeqCst),
        asked,
        "the third is not offered"
    );
    assert_eq!(server.session("streak-3").await["loggedin"], false);
    type_pin(&mut app, &flow).await;
    assert_eq!(server.session("streak-3").await["loggedin"], true);
    // Typed: biometric unlock is offered again.
    login_until_pin(&mut app, &server, "streak-4").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked + 1);
}

/// Issue 18 item 6: `max_time_without_pin` (maxTimeSecondFactorWithoutPIN): biometric unlock
/// only within that time after the PIN was last typed.
#[tokio::test]
async fn biometric_unlock_only_within_the_time_since_the_pin_was_typed() {
    let (server, mut app, _) = pin_at_every_login("ulla", |c| {
        c.max_time_without_pin = Some(std::time::Duration::from_secs(2));
    })
    .await;
    let platform = passing_platform(&app);
    app.sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap();
    login_until_pin(&mut app, &server, "time-1").await;
    app.flow_in(FlowState::Done).await;
    let asked = platform.asked.load(Ordering::SeqCst);
    tokio::time::sleep(std::time::Duration::from_secs(4)).await;
    let flow = login_until_pin(&mut app, &server, "time-2").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked, "too long ago");
    type_pin(&mut app, &flow).await;
    login_until_pin(&mut app, &server, "time-3").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked + 1);
    assert_eq!(server.session("time-3").await["loggedin"], true);
}

/// Issue 18 item 6: `second_factor_input_timeout` (secondFactorUserInputTimeout): a PIN
/// question left unanswered ends the flow with Timeout (50); the website is not logged in.
#[tokio::test]
async fn an_unanswered_pin_question_times_out() {
    let (server, mut app, _) = pin_at_every_login("vera", |c| {
        c.second_factor_input_timeout = Some(std::time::Duration::from_secs(2));
    })
    .await;
    let started = std::time::Instant::now();
    let flow = login_until_pin(&mut app, &server, "slow").await;
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(
        (failed.id.as_str(), failed.error.unwrap().code),
        (flow.as_str(), 50)
    );
    assert!(started.elapsed() >= std::time::Duration::from_secs(2));
    assert_eq!(server.session("slow").await["loggedin"], false);
    assert!(app.sdk.active_flow().is_none());
}

/// Issue 18 item 6: `block_second_factor_on_pin_blocked` (blockSecondFactorOnPINBlocked): once
/// one server blocked the PIN, no second-factor question is answered anywhere (no biometric
/// prompt, no PIN pad; 109 at once), until a PIN is set again after the integrator's reset.
#[tokio::test]
async fn a_blocked_pin_blocks_every_second_factor_until_it_is_set_again() {
    let a = ServerProcess::start().await;
    let b = ServerProcess::start().await;
    let dir = std::sync::Arc::new(nextauth_e2e::TempDir::new("app"));
    let mut app = App::open_with(dir, |c| c.block_second_factor_on_pin_blocked = true).await;
    app.enrol(&a, "wim", PIN).await;
    app.enrol(&b, "wim", PIN).await;
    for server in [&a, &b] {
        server
            .configure(serde_json::json!({ "pinTimeout": 0 }))
            .await;
    }
    let platform = passing_platform(&app);
    app.sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap();

    // Wrong PINs at A until A blocks it (the biometric prompt is declined).
    platform.pass.store(false, Ordering::SeqCst);
    let flow = login_until_pin(&mut app, &a, "a-wrong").await;
    for _ in 0..4 {
        app.sdk
            .respond(
                &flow,
                Response::Pin {
                    pin: PinInput::new("0000"),
                },
            )
            .await
            .unwrap();
        app.flow_in(FlowState::WaitingForInput).await;
    }
    app.sdk
        .respond(
            &flow,
            Response::Pin {
                pin: PinInput::new("0000"),
            },
        )
        .await
        .unwrap();
    assert_eq!(app.flow_in(FlowState::Error).await.error.unwrap().code, 109);

    // B never blocked it, yet nothing is asked there: 109 at once, no prompt of any kind.
    platform.pass.store(true, Ordering::SeqCst);
    let asked = platform.asked.load(Ordering::SeqCst);
    let flow = app.approve_login(&b, "b-blocked").await;
    let failed = app.flow_in(FlowState::Error).await;
    assert_eq!(
        (failed.id.as_str(), failed.error.unwrap().code),
        (flow.as_str(), 109)
    );
    assert_eq!(
        platform.asked.load(Ordering::SeqCst),
        asked,
        "no biometric prompt"
    );
    assert_eq!(b.session("b-blocked").await["loggedin"], false);

    // A's integrator resets the PIN; the person sets one at A: the block is over.
    let account = a.account_ids().await[0];
    let reset = format!("/servers/{}/accounts/{account}/resetpin", a.server_id);
    assert_eq!(a.api("POST", &reset, None, None).await.status, 200);
    let flow = app.approve_login(&a, "a-reset").await;
    let ask = app.flow_in(FlowState::WaitingForInput).await;
    assert!(
        matches!(ask.interaction, Some(Interaction::SetSecondFactor)),
        "{ask:?}"
    );
    app.sdk
        .respond(
            &flow,
            Response::Pin {
                pin: PinInput::new("8642"),
            },
        )
        .await
        .unwrap();
    app.flow_in(FlowState::Done).await;
    // B asks again, and biometric unlock answers it.
    login_until_pin(&mut app, &b, "b-again").await;
    app.flow_in(FlowState::Done).await;
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked + 1);
    assert_eq!(b.session("b-again").await["loggedin"], true);
}

// The second factor's own flows (the reference's CHANGE_PIN, ADD_BIOMETRICS and
// REMOVE_BIOMETRICS), answered like any flow.

/// The newest history entry's kind and status.
async fn last_entry(app: &App) -> (nextauth_sdk::HistoryKind, nextauth_sdk::HistoryStatus) {
    let history = app
        .sdk
        .history(&nextauth_sdk::HistoryQuery::default())
        .await
        .unwrap();
    (history[0].record.kind, history[0].record.status)
}

/// Answers the flow's question and waits for its next report.
async fn answer(app: &mut App, flow: &str, pin: &str) -> nextauth_sdk::Flow {
    app.sdk
        .respond(
            flow,
            Response::Pin {
                pin: PinInput::new(pin),
            },
        )
        .await
        .unwrap();
    // The answer was taken (ACTIVE), then the flow's next step.
    app.next_event(|e| match e {
        nextauth_sdk::Event::FlowUpdate { flow: f }
            if f.id == flow && f.state == FlowState::Active =>
        {
            Some(())
        }
        _ => None,
    })
    .await;
    app.next_event(|e| match e {
        nextauth_sdk::Event::FlowUpdate { flow: f }
            if f.id == flow && f.state != FlowState::Active =>
        {
            Some(f.clone())
        }
        _ => None,
    })
    .await
}

#[tokio::test]
async fn the_pin_is_changed_by_a_flow_that_asks_the_current_pin_then_the_new_one() {
    use nextauth_sdk::{FlowKind, HistoryStatus};
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "pia", PIN).await;

    let flow = app.sdk.start_change_pin().await.unwrap();
    assert_eq!(flow.kind, FlowKind::ChangePin);
    assert_eq!(flow.state, FlowState::WaitingForInput);
    assert!(matches!(
        flow.interaction,
        Some(Interaction::VerifySecondFactor { retry: false, .. })
    ));
    // One flow at a time; a malformed PIN is refused and changes nothing.
    assert_eq!(app.sdk.start_change_pin().await.unwrap_err().code(), 122);
    let malformed = app
        .sdk
        .respond(
            &flow.id,
            Response::Pin {
                pin: PinInput::new("12"),
            },
        )
        .await;
    assert_eq!(malformed.unwrap_err().code(), 126);

    // A wrong current PIN is counted by the server and asked again.
    let again = answer(&mut app, &flow.id, "1357").await;
    assert_eq!(
        again.interaction,
        Some(Interaction::VerifySecondFactor {
            remaining_attempts: 4,
            retry: true
        })
    );
    // The right one: now the new PIN.
    let ask_new = answer(&mut app, &flow.id, PIN).await;
    assert_eq!(ask_new.interaction, Some(Interaction::SetSecondFactor));
    let done = answer(&mut app, &flow.id, "9753").await;
    assert_eq!(done.state, FlowState::Done, "{done:?}");
    assert_eq!(
        last_entry(&app).await,
        (
            nextauth_sdk::HistoryKind::ChangePin,
            HistoryStatus::PinChanged
        )
    );
    // The server checks the new PIN, not the old one.
    app.sdk.verify_pin(&PinInput::new("9753")).await.unwrap();
    assert!(matches!(
        app.sdk.verify_pin(&PinInput::new(PIN)).await,
        Err(SdkError::Engine(
            nextauth_sdk::engine::EngineError::WrongPin(_)
        ))
    ));

    // Cancelled at the new PIN: nothing changes, the history says aborted, the slot is free.
    let flow = app.sdk.start_change_pin().await.unwrap();
    answer(&mut app, &flow.id, "9753").await;
    app.sdk.respond(&flow.id, Response::Cancel).await.unwrap();
    let end = app.flow_in(FlowState::Done).await;
    assert_eq!(end.id, flow.id);
    assert_eq!(
        last_entry(&app).await,
        (nextauth_sdk::HistoryKind::ChangePin, HistoryStatus::Aborted)
    );
    app.sdk.verify_pin(&PinInput::new("9753")).await.unwrap();
    assert!(app.sdk.active_flow().is_none());
}

#[tokio::test]
async fn the_pin_question_of_a_change_ends_with_a_timeout_when_nobody_answers() {
    let server = ServerProcess::start().await;
    let dir = Arc::new(nextauth_e2e::TempDir::new("change-timeout"));
    let mut app = App::open_with(dir, |c| {
        c.second_factor_input_timeout = Some(std::time::Duration::from_millis(300));
    })
    .await;
    app.enrol(&server, "tim", PIN).await;
    let flow = app.sdk.start_change_pin().await.unwrap();
    let end = app.flow_in(FlowState::Error).await;
    assert_eq!(end.id, flow.id);
    assert_eq!(end.error.map(|e| e.code), Some(50));
    assert!(app.sdk.active_flow().is_none());
}

#[tokio::test]
async fn biometrics_are_switched_on_and_off_by_flows() {
    use nextauth_sdk::{FlowKind, HistoryStatus};
    let server = ServerProcess::start().await;
    let mut app = App::new().await;
    app.enrol(&server, "bea", PIN).await;
    // Without the platform's check there is nothing to add.
    assert_eq!(
        app.sdk.start_add_biometrics().await.unwrap_err().code(),
        131
    );
    let platform = passing_platform(&app);
    assert_eq!(
        app.sdk.start_remove_biometrics().await.unwrap_err().code(),
        126
    );

    // The person does not pass the platform's check: the flow fails, nothing is sealed.
    platform.pass.store(false, Ordering::SeqCst);
    let flow = app.sdk.start_add_biometrics().await.unwrap();
    assert_eq!(flow.kind, FlowKind::AddBiometrics);
    let failed = answer(&mut app, &flow.id, PIN).await;
    assert_eq!(failed.state, FlowState::Error);
    assert_eq!(failed.error.map(|e| e.code), Some(132));
    assert_eq!(stored_biometric_pin(&app).await, None);

    // A wrong PIN is asked again before the platform is asked; the right one seals it.
    platform.pass.store(true, Ordering::SeqCst);
    let asked = platform.asked.load(Ordering::SeqCst);
    let flow = app.sdk.start_add_biometrics().await.unwrap();
    let again = answer(&mut app, &flow.id, "1357").await;
    assert!(matches!(
        again.interaction,
        Some(Interaction::VerifySecondFactor { retry: true, .. })
    ));
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked);
    let done = answer(&mut app, &flow.id, PIN).await;
    assert_eq!(done.state, FlowState::Done, "{done:?}");
    assert!(app.sdk.biometric_status().await.unwrap().enabled);
    assert!(stored_biometric_pin(&app).await.is_some());
    assert_eq!(
        last_entry(&app).await,
        (
            nextauth_sdk::HistoryKind::AddBiometrics,
            HistoryStatus::BiometricsAdded
        )
    );
    assert_eq!(
        app.sdk.start_add_biometrics().await.unwrap_err().code(),
        126
    );

    // A PIN change takes the current PIN from biometric unlock (the platform opens it) and
    // seals the new one: twice asked, never typed.
    let asked = platform.asked.load(Ordering::SeqCst);
    let flow = app.sdk.start_change_pin().await.unwrap();
    let ask_new = app
        .next_event(|e| match e {
            nextauth_sdk::Event::FlowUpdate { flow: f }
                if f.interaction == Some(Interaction::SetSecondFactor) =>
            {
                Some(f.clone())
            }
            _ => None,
        })
        .await;
    assert_eq!(ask_new.id, flow.id);
    let done = answer(&mut app, &flow.id, "8642").await;
    assert_eq!(done.state, FlowState::Done, "{done:?}");
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked + 2);
    app.sdk.verify_pin(&PinInput::new("8642")).await.unwrap();

    // Switched off: no question, the sealed PIN and the platform's key are gone.
    let flow = app.sdk.start_remove_biometrics().await.unwrap();
    assert_eq!(flow.kind, FlowKind::RemoveBiometrics);
    let end = app.flow_in(FlowState::Done).await;
    assert_eq!(end.id, flow.id);
    assert!(!app.sdk.biometric_status().await.unwrap().enabled);
    assert_eq!(stored_biometric_pin(&app).await, None);
    assert!(platform.key.lock().unwrap().is_none());
    assert_eq!(
        last_entry(&app).await,
        (
            nextauth_sdk::HistoryKind::RemoveBiometrics,
            HistoryStatus::BiometricsRemoved
        )
    );
}

#[tokio::test]
async fn a_pin_change_can_be_made_to_need_the_typed_pin() {
    let server = ServerProcess::start().await;
    let dir = Arc::new(nextauth_e2e::TempDir::new("change-typed"));
    let mut app = App::open_with(dir, |c| c.disallow_pin_change_with_biometric = true).await;
    app.enrol(&server, "dora", PIN).await;
    let platform = passing_platform(&app);
    app.sdk
        .enable_biometrics(&PinInput::new(PIN))
        .await
        .unwrap();
    let asked = platform.asked.load(Ordering::SeqCst);

    let flow = app.sdk.start_change_pin().await.unwrap();
    let ask_new = answer(&mut app, &flow.id, PIN).await;
    assert_eq!(ask_new.interaction, Some(Interaction::SetSecondFactor));
    let done = answer(&mut app, &flow.id, "8642").await;
    assert_eq!(done.state, FlowState::Done, "{done:?}");
    // Only the new PIN's sealing asked the platform: biometric unlock did not stand in.
    assert_eq!(platform.asked.load(Ordering::SeqCst), asked + 1);
}
