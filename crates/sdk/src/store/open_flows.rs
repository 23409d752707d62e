//! Flows and continuous sessions under way: written as they change, removed when they end,
//! and read back once at start to record what a restart interrupted.

use sqlx::Row;

use super::Store;
use crate::error::SdkResult;
use crate::model::Flow;

/// A flow or session that was under way when the SDK last stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterruptedFlow {
    /// Its last reported state (`None` when the stored JSON could not be read).
    pub flow: Option<Flow>,
    /// Whether the flow was done and its continuous session was active.
    pub session: bool,
    /// The account and the session or transaction ref of a login or approval that was sent
    /// and not answered yet (its outcome is unknown).
    pub answered: Option<(String, [u8; 16])>,
}

impl Store {
    /// Records `flow`'s latest state (and whether it is now a continuous session).
    pub async fn save_open_flow(
        &self,
        flow: &Flow,
        session: bool,
        answered: Option<&(String, [u8; 16])>,
        now: u64,
    ) -> SdkResult<()> {
        self.fault("save_open_flow")?;
        let json = serde_json::to_string(flow).unwrap_or_default();
        sqlx::query(
            "INSERT INTO open_flows (flow_id, flow, session, updated, account_id, reference) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (flow_id) DO UPDATE SET flow = excluded.flow, session = excluded.session, \
             updated = excluded.updated, account_id = excluded.account_id, reference = excluded.reference",
        )
        .bind(&flow.id)
        .bind(json)
        .bind(session)
        .bind(now as i64)
        .bind(answered.map(|(account, _)| account.clone()))
        .bind(answered.map(|(_, reference)| reference.to_vec()))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a flow that ended.
    pub async fn end_open_flow(&self, flow_id: &str) -> SdkResult<()> {
        self.fault("end_open_flow")?;
        sqlx::query("DELETE FROM open_flows WHERE flow_id = $1")
            .bind(flow_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes every recorded flow (they were interrupted: nothing runs before the SDK opens).
    pub async fn take_open_flows(&self) -> SdkResult<Vec<InterruptedFlow>> {
        self.fault("take_open_flows")?;
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(
            "SELECT flow, session, account_id, reference FROM open_flows ORDER BY updated",
        )
        .fetch_all(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM open_flows")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|row| {
                let json: String = row.try_get("flow")?;
                let account: Option<String> = row.try_get("account_id")?;
                let reference: Option<Vec<u8>> = row.try_get("reference")?;
                let answered = match (account, reference) {
                    (Some(account), Some(reference)) => {
                        Some((account, super::fixed(reference, "open flow")?))
                    }
                    _ => None,
                };
                Ok(InterruptedFlow {
                    flow: serde_json::from_str(&json).ok(),
                    session: row.try_get("session")?,
                    answered,
                })
            })
            .collect()
    }
}
