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
}

impl Store {
    /// Records `flow`'s latest state (and whether it is now a continuous session).
    pub async fn save_open_flow(&self, flow: &Flow, session: bool, now: u64) -> SdkResult<()> {
        let json = serde_json::to_string(flow).unwrap_or_default();
        sqlx::query(
            "INSERT INTO open_flows (flow_id, flow, session, updated) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (flow_id) DO UPDATE SET flow = excluded.flow, session = excluded.session, \
             updated = excluded.updated",
        )
        .bind(&flow.id)
        .bind(json)
        .bind(session)
        .bind(now as i64)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a flow that ended.
    pub async fn end_open_flow(&self, flow_id: &str) -> SdkResult<()> {
        sqlx::query("DELETE FROM open_flows WHERE flow_id = $1")
            .bind(flow_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Takes every recorded flow (they were interrupted: nothing runs before the SDK opens).
    pub async fn take_open_flows(&self) -> SdkResult<Vec<InterruptedFlow>> {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query("SELECT flow, session FROM open_flows ORDER BY updated")
            .fetch_all(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM open_flows")
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        rows.into_iter()
            .map(|row| {
                let json: String = row.try_get("flow")?;
                Ok(InterruptedFlow {
                    flow: serde_json::from_str(&json).ok(),
                    session: row.try_get("session")?,
                })
            })
            .collect()
    }
}
