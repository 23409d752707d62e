//! Settling with the servers what a stop, a crash, a lost connection or a full disk left
//! unsettled, so that nothing ends on one side only (docs/reliability.md):
//!
//! * an enrolment stored before its final message but never confirmed: the app connects with
//!   the new account's own key; if the server knows the key the account is kept, if it says
//!   the account is unknown (48) it is dropped (it never existed there);
//! * a login or approval the app answered without hearing back: the server says what became
//!   of it, and the history entry gets the real outcome;
//! * an account deleted in the app whose server was not told yet: it is told now.
//!
//! A server that cannot be reached leaves its items for the next time.

use nextauth_protocol::messages::{AppRecord, Outcome, ServerRecord};

use crate::channel::AccountChannel;
use crate::engine::EngineError;
use crate::error::{SdkError, SdkResult};
use crate::model::{Event, HistoryKind, HistoryStatus};
use crate::Sdk;

/// What one [`Sdk::reconcile`] settled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    /// Enrolments the server confirmed: the accounts are now stored.
    pub enrolments_kept: usize,
    /// Enrolments the server never had: dropped.
    pub enrolments_dropped: usize,
    /// Logins and approvals whose history entry now says what happened.
    pub outcomes_resolved: usize,
    /// Deletions made in the app that the server has now confirmed.
    pub deletions_finished: usize,
    /// Items left for later (their server could not be reached).
    pub left: usize,
}

impl Sdk {
    /// Settles enrolments and answers left unsettled (see the module docs). Cheap when there
    /// is nothing to settle; each server is reached with the usual time limits otherwise. The
    /// CLI calls it before each command and live delivery while it runs.
    pub async fn reconcile(&self) -> SdkResult<ReconcileReport> {
        let mut report = ReconcileReport::default();
        for pending in self.inner.store.pending_enrols().await? {
            let record = &pending.account;
            match AccountChannel::open_with(&self.inner, record, &pending.params).await {
                Ok(channel) => {
                    channel.close().await;
                    let detail = format!(
                        "account {}; completed when the app started again",
                        record.display_name
                    );
                    let enrolled = (HistoryKind::Enrol, HistoryStatus::Enrolled);
                    let name = pending.params.profile.name.clone();
                    let history = self.inner.account_entry(record, name, enrolled, detail);
                    let now = self.inner.now();
                    let store = &self.inner.store;
                    if let Some(stored) = store
                        .activate_enrol(&record.id, Some(&history), now)
                        .await?
                    {
                        let view = self
                            .inner
                            .account_view(&stored, &pending.params.profile.name);
                        self.inner.emit(Event::AccountUpdate { account: view });
                    }
                    report.enrolments_kept += 1;
                }
                Err(SdkError::Engine(EngineError::Refused(48))) => {
                    self.inner.store.discard_pending_enrol(&record.id).await?;
                    if !self.inner.store.any_pin_account().await? {
                        self.inner.store.set_pin_secret(None).await?;
                    }
                    report.enrolments_dropped += 1;
                }
                Err(err) => {
                    tracing::info!(code = err.code(), "an enrolment stays to be settled");
                    report.left += 1;
                }
            }
        }
        for record in self.inner.store.accounts().await? {
            if !record.pending_delete {
                continue;
            }
            match self.retry_delete(&record, false).await {
                Ok(true) => report.deletions_finished += 1,
                Ok(false) => report.left += 1,
                Err(err) => {
                    tracing::info!(code = err.code(), "a deletion stays to be confirmed");
                    report.left += 1;
                }
            }
        }
        for unresolved in self.inner.store.unresolved_outcomes().await? {
            let Some(record) = self.inner.store.account(&unresolved.account_id).await? else {
                let detail = "the account is gone; the outcome cannot be asked";
                let store = &self.inner.store;
                store
                    .resolve_outcome(unresolved.entry_id, HistoryStatus::Error, detail)
                    .await?;
                report.outcomes_resolved += 1;
                continue;
            };
            let request = AppRecord::QueryOutcome {
                reference: unresolved.reference,
            };
            let asked = match AccountChannel::ask_once(&self.inner, &record, &request).await {
                Ok(ServerRecord::Outcome { outcome }) => Ok(outcome),
                Ok(_) => Err(SdkError::Engine(EngineError::Protocol(
                    nextauth_protocol::ProtocolError::UnexpectedMessage,
                ))),
                Err(err) => Err(err),
            };
            let (status, detail) = match asked {
                Ok(Outcome::LoggedIn) => (
                    HistoryStatus::LoggedInOneShot,
                    "logged in; the server confirmed it later",
                ),
                Ok(Outcome::Approved) => (
                    HistoryStatus::Approved,
                    "approved; the server confirmed it later",
                ),
                Ok(Outcome::Declined) => (
                    HistoryStatus::Declined,
                    "declined; the server confirmed it later",
                ),
                Ok(Outcome::Nothing) => (
                    HistoryStatus::Aborted,
                    "did not go through; the server confirmed it later",
                ),
                Err(err) => {
                    tracing::info!(code = err.code(), "an outcome stays to be asked");
                    report.left += 1;
                    continue;
                }
            };
            let store = &self.inner.store;
            store
                .resolve_outcome(unresolved.entry_id, status, detail)
                .await?;
            report.outcomes_resolved += 1;
        }
        if report != ReconcileReport::default() {
            tracing::info!(?report, "reconciled with the servers");
        }
        Ok(report)
    }
}
