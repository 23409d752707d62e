//! The app's conversations with its accounts' servers about the PIN and push logins:
//! checking and changing the PIN, pausing push logins, the push token. Each is a request over
//! an account's CONNECT session ([`AccountChannel`], the engine's conversation), whose answer
//! arrives checked.

use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::pin::pin_verifier;

use crate::channel::AccountChannel;
use crate::engine::{EngineError, PinCheck, PinInput};
use crate::error::{SdkError, SdkResult};
use crate::inner::Inner;
use crate::model::{HistoryKind, HistoryStatus};
use crate::store::AccountRecord;

/// Checks the person's existing PIN with the first PIN-protected account whose server
/// answers (the device itself cannot check a PIN: docs/protocol.md section 11).
pub(crate) async fn check_pin(inner: &Inner, pin: &PinInput) -> PinCheck {
    let Ok(pin) = pin.to_pin() else {
        return PinCheck::Wrong(0);
    };
    let Ok(Some(device)) = inner.device_secret().await else {
        return PinCheck::Unavailable;
    };
    let Ok(records) = inner.store.accounts().await else {
        return PinCheck::Unavailable;
    };
    for record in records.iter().filter(|r| r.has_pin && !r.pending_delete) {
        let Ok(mut ch) = AccountChannel::open(inner, record).await else {
            continue;
        };
        let answer = match ch.proof(&device, &pin, record) {
            Ok(proof) => ch.ask(inner, &AppRecord::PinProof { proof }).await,
            Err(err) => Err(err),
        };
        ch.close().await;
        match PinCheck::from_answer(&answer.map_err(EngineError::from)) {
            Some(PinCheck::Blocked) => {
                if let Err(err) = inner.store.set_pin_blocked(true).await {
                    tracing::warn!(code = err.code(), "cannot record the blocked PIN");
                }
                return PinCheck::Blocked;
            }
            Some(check) => return check,
            None => continue,
        }
    }
    PinCheck::Unavailable
}

impl crate::Sdk {
    /// Checks the person's PIN with a server, without any flow: an app that asks for the PIN
    /// before an approval (a desktop anyone may sit at) proves it this way. Wrong PINs count
    /// at the server as usual. Without a PIN the answer is `InvalidInput`.
    pub async fn verify_pin(&self, pin: &PinInput) -> SdkResult<()> {
        pin.to_pin()?;
        if self.inner.device_secret().await?.is_none() {
            return Err(SdkError::Engine(EngineError::InvalidInput("no PIN is set")));
        }
        match check_pin(&self.inner, pin).await {
            PinCheck::Right => Ok(()),
            PinCheck::Wrong(remaining) => Err(SdkError::Engine(EngineError::WrongPin(remaining))),
            PinCheck::Blocked => Err(SdkError::Engine(EngineError::PinBlocked)),
            PinCheck::Unavailable => Err(SdkError::Engine(EngineError::Unreachable)),
        }
    }

    /// Changes the app's PIN on every account that has one.
    ///
    /// The current PIN is first proven to each server (so a wrong PIN changes nothing), then
    /// each server receives the new verifier. Servers count wrong proofs as usual. If a server
    /// cannot be reached in the second step, the error says so and the person should retry:
    /// accounts already changed keep the new PIN.
    pub async fn change_pin(&self, current: &PinInput, new: &PinInput) -> SdkResult<()> {
        let inner = &self.inner;
        let new_input = new;
        let (current, new) = (current.to_pin()?, new.to_pin()?);
        let device = inner
            .device_secret()
            .await?
            .ok_or(SdkError::Engine(EngineError::InvalidInput("no PIN is set")))?;
        let records: Vec<AccountRecord> = inner
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|r| r.has_pin && !r.pending_delete)
            .collect();
        // A wrong or blocked PIN and a refusal come as errors.
        for record in &records {
            let mut ch = AccountChannel::open(inner, record).await?;
            let proof = ch.proof(&device, &current, record)?;
            let answer = ch.ask(inner, &AppRecord::PinProof { proof }).await;
            ch.close().await;
            answer?;
        }
        for record in &records {
            let mut ch = AccountChannel::open(inner, record).await?;
            let proof = ch.proof(&device, &current, record)?;
            let new_verifier = *pin_verifier(&device, &new, &record.server_id, &record.public_key);
            let request = AppRecord::PinChange {
                proof,
                new_verifier,
            };
            let answer = ch.ask(inner, &request).await;
            ch.close().await;
            answer?;
        }
        let draft = crate::store::HistoryRecord {
            at: inner.now(),
            kind: HistoryKind::ChangePin,
            status: HistoryStatus::PinChanged,
            server_id: None,
            server_name: String::new(),
            account_id: None,
            account_name: String::new(),
            announce: None,
            error_code: None,
            detail: format!("{} account(s)", records.len()),
        };
        inner.store.add_history(&draft).await?;
        // Biometric unlock follows the PIN.
        crate::biometrics::follow_pin_change(inner, new_input).await
    }
}

impl crate::Sdk {
    /// Pauses push logins to an account on its server for `minutes` (at most a week), the
    /// person's lock after a login request they did not start; `0` resumes them. The server
    /// keeps the pause (the integrator can lift it too). Returns until when (Unix seconds;
    /// `None`: not paused). Recorded in the history.
    pub async fn pause_push(&self, account_id: &str, minutes: u16) -> SdkResult<Option<u64>> {
        use nextauth_protocol::messages::MAX_PUSH_PAUSE_MINUTES;
        if minutes > MAX_PUSH_PAUSE_MINUTES {
            return Err(SdkError::Engine(EngineError::InvalidInput(
                "a pause lasts at most 7 days",
            )));
        }
        let inner = &self.inner;
        let record = inner
            .store
            .account(account_id)
            .await?
            .filter(|r| !r.pending_delete)
            .ok_or(SdkError::Engine(EngineError::UnknownAccount))?;
        let request = AppRecord::PausePush { minutes };
        let until = match AccountChannel::ask_once(inner, &record, &request).await? {
            ServerRecord::PushPaused { until } => until,
            _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
        };
        let server_name = match inner.store.server(&record.server_id).await? {
            Some(server) => server.params.profile.name.clone(),
            None => String::new(),
        };
        let detail = if until == 0 {
            "login requests resumed".to_owned()
        } else {
            format!("login requests paused for {minutes} min")
        };
        let paused = (HistoryKind::PausePush, HistoryStatus::PushPaused);
        let draft = inner.account_entry(&record, server_name, paused, detail);
        inner.store.add_history(&draft).await?;
        Ok((until != 0).then_some(until))
    }

    /// Tells every account's server where its push service reaches this app (call it after
    /// enrolment and whenever the platform hands out a new token). Returns how many servers
    /// confirmed; unreachable ones are retried at the next call.
    pub async fn register_push_token(
        &self,
        platform: nextauth_protocol::messages::PushPlatform,
        token: &str,
    ) -> SdkResult<usize> {
        let inner = &self.inner;
        let mut confirmed = 0;
        for record in inner
            .store
            .accounts()
            .await?
            .iter()
            .filter(|r| !r.pending_delete)
        {
            let mut ch = match AccountChannel::open(inner, record).await {
                Ok(ch) => ch,
                Err(err) => {
                    tracing::info!(
                        code = err.code(),
                        "cannot register the push token with a server"
                    );
                    continue;
                }
            };
            let request = AppRecord::RegisterPushToken {
                platform,
                token: token.to_owned(),
            };
            let answer = ch.ask(inner, &request).await;
            ch.close().await;
            answer?;
            confirmed += 1;
        }
        Ok(confirmed)
    }
}
