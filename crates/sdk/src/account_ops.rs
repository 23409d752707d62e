//! Operations on one account over a CONNECT session: checking the PIN, pulling messages,
//! deleting the account on the server, changing the PIN, pausing push logins. The handshake is
//! the engine's ([`ConnectHandshake`], which checks the server as a login does); this file
//! carries its frames and runs the conversations over the channel it opens.

use std::time::Duration;

use nextauth_protocol::handshake::Session as Channel;
use nextauth_protocol::messages::{AppRecord, ServerRecord};
use nextauth_protocol::pin::{pin_proof, pin_verifier, DeviceSecret, Pin};

use crate::engine::{ConnectHandshake, PinCheck, PinInput, ServerHelloOutcome};
use crate::error::{SdkError, SdkResult};
use crate::sdk::Inner;
use crate::store::AccountRecord;
use crate::transport::Connection;

const TIMEOUT: Duration = Duration::from_secs(15);

/// An authenticated CONNECT session for one account.
pub(crate) struct AccountChannel {
    conn: Connection,
    channel: Channel,
}

impl AccountChannel {
    /// Connects as `record` to its server, refreshing the stored parameters on the way.
    pub async fn open(inner: &Inner, record: &AccountRecord) -> SdkResult<Self> {
        let server = inner
            .store
            .server(&record.server_id)
            .await?
            .ok_or(SdkError::CorruptRow("account"))?;
        Self::open_with(inner, record, &server.params, true).await
    }

    /// Connects as `record` to the server of `params` (an enrolment not settled yet has its
    /// server's parameters with it); refreshes the stored parameters when `refresh`.
    pub async fn open_with(
        inner: &Inner,
        record: &AccountRecord,
        params: &nextauth_protocol::params::ServerParams,
        refresh: bool,
    ) -> SdkResult<Self> {
        let mut conn = Connection::open(&params.endpoint, &inner.tls).await?;
        let (hs, hello) = ConnectHandshake::start(
            &inner.rng,
            record.server_id,
            params.public_key,
            params.issued_at,
            inner.config.pinned_key(&record.server_id),
        )?;
        conn.send(hello).await?;
        let reply = conn.recv_within(TIMEOUT).await?;
        let key = inner.signer(record)?;
        let (finish, next) = match hs.on_server_hello(&reply, &key, &inner.rng)? {
            ServerHelloOutcome::Authenticated {
                finish,
                signed,
                params,
                next,
            } => {
                if refresh {
                    inner
                        .store
                        .save_server(&signed, &params, inner.now())
                        .await?;
                }
                (finish, next)
            }
            ServerHelloOutcome::Rejected { abort, error } => {
                // The server hears why, as a flow's would; the answer does not matter.
                if let Some(abort) = abort {
                    let _ = conn.send(abort).await;
                }
                conn.close().await;
                return Err(error.into());
            }
        };
        conn.send(finish).await?;
        let reply = conn.recv_within(TIMEOUT).await?;
        let channel = next.on_reply(&reply)?;
        Ok(Self { conn, channel })
    }

    /// Asks the server to carry `record`'s messages on this connection too (another account
    /// of this app on the same server): its key signs this session's binder. The answer
    /// (`Accepted`, or `Refused` 48) comes as the next record that is not `Messages`.
    pub async fn add_account(&mut self, inner: &Inner, record: &AccountRecord) -> SdkResult<()> {
        use nextauth_protocol::crypto::Signer;
        let key = inner.signer(record)?;
        let message = nextauth_protocol::messages::add_account_message(self.channel.binder());
        let signature = key.sign(&inner.rng, &message)?;
        self.send(&AppRecord::AddAccount {
            account_key: record.public_key,
            signature,
        })
        .await
    }

    pub async fn send(&mut self, record: &AppRecord) -> SdkResult<()> {
        let frame = self.channel.seal(&record.encode()?)?;
        self.conn.send(frame).await
    }

    pub async fn recv(&mut self) -> SdkResult<ServerRecord> {
        let frame = self.conn.recv_within(TIMEOUT).await?;
        Ok(ServerRecord::decode(&self.channel.open(&frame)?)?)
    }

    /// The next record, however long the server takes (live delivery). Cancel-safe: a frame
    /// is taken off the connection and opened in one step.
    pub async fn recv_unhurried(&mut self) -> SdkResult<ServerRecord> {
        let frame = self.conn.recv().await?;
        Ok(ServerRecord::decode(&self.channel.open(&frame)?)?)
    }

    /// The proof of `pin` for this session.
    pub fn proof(&self, device: &DeviceSecret, pin: &Pin, record: &AccountRecord) -> [u8; 32] {
        let verifier = pin_verifier(device, pin, &record.server_id, &record.public_key);
        pin_proof(&verifier, self.channel.binder())
    }

    pub async fn close(self) {
        self.conn.close().await;
    }
}

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
        let proof = ch.proof(&device, &pin, record);
        let answer = match ch.send(&AppRecord::PinProof { proof }).await {
            Ok(()) => ch.recv().await,
            Err(err) => Err(err),
        };
        ch.close().await;
        match answer {
            Ok(ServerRecord::Accepted) => return PinCheck::Right,
            Ok(ServerRecord::PinWrong { remaining_attempts }) => {
                return PinCheck::Wrong(remaining_attempts)
            }
            Ok(ServerRecord::PinBlocked) => {
                if let Err(err) = inner.store.set_pin_blocked(true).await {
                    tracing::warn!(code = err.code(), "cannot record the blocked PIN");
                }
                return PinCheck::Blocked;
            }
            _ => continue,
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
            return Err(SdkError::InvalidInput("no PIN is set"));
        }
        match check_pin(&self.inner, pin).await {
            PinCheck::Right => Ok(()),
            PinCheck::Wrong(remaining) => Err(SdkError::WrongPin(remaining)),
            PinCheck::Blocked => Err(SdkError::PinBlocked),
            PinCheck::Unavailable => Err(SdkError::Unreachable),
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
            .ok_or(SdkError::InvalidInput("no PIN is set"))?;
        let records: Vec<AccountRecord> = inner
            .store
            .accounts()
            .await?
            .into_iter()
            .filter(|r| r.has_pin && !r.pending_delete)
            .collect();
        for record in &records {
            let mut ch = AccountChannel::open(inner, record).await?;
            let proof = ch.proof(&device, &current, record);
            ch.send(&AppRecord::PinProof { proof }).await?;
            let answer = ch.recv().await;
            ch.close().await;
            match answer? {
                ServerRecord::Accepted => {}
                ServerRecord::PinWrong { remaining_attempts } => {
                    return Err(SdkError::WrongPin(remaining_attempts))
                }
                ServerRecord::PinBlocked => return Err(SdkError::PinBlocked),
                ServerRecord::Refused { code } => return Err(SdkError::Refused(code)),
                _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
            }
        }
        for record in &records {
            let mut ch = AccountChannel::open(inner, record).await?;
            let proof = ch.proof(&device, &current, record);
            let new_verifier = *pin_verifier(&device, &new, &record.server_id, &record.public_key);
            ch.send(&AppRecord::PinChange {
                proof,
                new_verifier,
            })
            .await?;
            let answer = ch.recv().await;
            ch.close().await;
            match answer? {
                ServerRecord::Accepted => {}
                ServerRecord::PinWrong { remaining_attempts } => {
                    return Err(SdkError::WrongPin(remaining_attempts))
                }
                ServerRecord::PinBlocked => return Err(SdkError::PinBlocked),
                _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
            }
        }
        let draft = crate::store::HistoryDraft {
            at: inner.now(),
            kind: "CHANGE_PIN",
            status: crate::model::HistoryStatus::PinChanged,
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
            return Err(SdkError::InvalidInput("a pause lasts at most 7 days"));
        }
        let inner = &self.inner;
        let record = inner
            .store
            .account(account_id)
            .await?
            .filter(|r| !r.pending_delete)
            .ok_or(SdkError::UnknownAccount)?;
        let mut ch = AccountChannel::open(inner, &record).await?;
        ch.send(&AppRecord::PausePush { minutes }).await?;
        let answer = ch.recv().await;
        ch.close().await;
        let until = match answer? {
            ServerRecord::PushPaused { until } => until,
            ServerRecord::Refused { code } => return Err(SdkError::Refused(code)),
            _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
        };
        let server_name = match inner.store.server(&record.server_id).await? {
            Some(server) => server.params.name.clone(),
            None => String::new(),
        };
        let draft = crate::store::HistoryDraft {
            at: inner.now(),
            kind: "PAUSE_PUSH",
            status: crate::model::HistoryStatus::PushPaused,
            server_id: Some(record.server_id),
            server_name,
            account_id: Some(record.id.clone()),
            account_name: record.display_name.clone(),
            announce: None,
            error_code: None,
            detail: if until == 0 {
                "login requests resumed".to_owned()
            } else {
                format!("login requests paused for {minutes} min")
            },
        };
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
            ch.send(&AppRecord::RegisterPushToken {
                platform,
                token: token.to_owned(),
            })
            .await?;
            let answer = ch.recv().await;
            ch.close().await;
            match answer? {
                ServerRecord::Accepted => confirmed += 1,
                ServerRecord::Refused { code } => return Err(SdkError::Refused(code)),
                _ => return Err(nextauth_protocol::ProtocolError::UnexpectedMessage.into()),
            }
        }
        Ok(confirmed)
    }
}
