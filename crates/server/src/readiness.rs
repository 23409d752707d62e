//! What a load balancer needs from a server process (docs/cluster.md, "Behind a load
//! balancer"): whether to send it new work (`GET /readyz`, apart from `/healthz`, which only
//! says the process runs), and a stop that loses nothing on SIGTERM: not ready at once, the
//! long-lived sockets (browser pages, live app connections, continuous login sessions, which
//! stay logged in: their apps resume them, docs/protocol.md 10.8) closed with "going away" so
//! their clients reconnect through the balancer to another process, the exchanges in flight given
//! [`SHUTDOWN_GRACE`] to finish ([`crate::serve_with_shutdown`]).

use std::time::Duration;

use axum::extract::ws::{close_code, CloseFrame};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use tokio::sync::watch;

use crate::state::SharedState;

/// How long a draining process still accepts connections, answering `/readyz` with 503, so a
/// balancer's health check takes it out before it stops listening (HAProxy as
/// scripts/cluster.sh sets it up checks every 200 ms).
pub const DRAIN_DELAY: Duration = Duration::from_secs(1);

/// How long requests and app exchanges in flight may take after the process stops listening;
/// then it exits anyway.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How long `/readyz` waits for the database.
const DATABASE_CHECK: Duration = Duration::from_secs(2);

/// Whether the process is draining, and the open connections that must hear of it.
#[derive(Debug)]
pub struct Lifecycle {
    /// `true` once draining; every open connection holds a receiver ([`OpenConnection`]).
    draining: watch::Sender<bool>,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Self {
            draining: watch::channel(false).0,
        }
    }
}

impl Lifecycle {
    /// Whether the process is draining.
    pub fn draining(&self) -> bool {
        *self.draining.borrow()
    }

    /// Marks the process not ready and tells every open connection to go away.
    pub fn drain(&self) {
        self.draining.send_replace(true);
    }

    /// Registers an open connection: the process waits for it to end when it stops (within
    /// [`SHUTDOWN_GRACE`]), and it may wait to be told to go away.
    pub fn open_connection(&self) -> OpenConnection {
        OpenConnection(self.draining.subscribe())
    }

    /// Connections registered and not ended.
    pub fn open(&self) -> usize {
        self.draining.receiver_count()
    }

    /// Completes when every registered connection has ended.
    pub async fn all_closed(&self) {
        self.draining.closed().await;
    }
}

/// An open connection, as [`Lifecycle`] counts it (dropped when the connection ends).
#[derive(Debug)]
pub struct OpenConnection(watch::Receiver<bool>);

impl OpenConnection {
    /// Completes once the process drains (at once if it already does). Cancel-safe.
    pub async fn going_away(&mut self) {
        if self.0.wait_for(|draining| *draining).await.is_err() {
            // The state is gone: nobody will ever say so.
            std::future::pending::<()>().await;
        }
    }
}

/// The close frame a draining process sends its sockets: 1001, "going away" (RFC 6455): the
/// client reconnects, through the balancer to another process.
pub fn going_away_frame() -> CloseFrame {
    CloseFrame {
        code: close_code::AWAY,
        reason: "server shutting down".into(),
    }
}

/// Body of `GET /readyz`.
#[derive(Debug, Serialize)]
pub struct Readiness {
    /// `ready` or `not ready`.
    pub status: &'static str,
    /// The database answered.
    pub database: bool,
    /// On PostgreSQL: the process hears the other processes' changes (`LISTEN`); absent on
    /// SQLite.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listening: Option<bool>,
    /// The process is shutting down.
    pub draining: bool,
}

/// `GET /readyz`: 200 when the process should get new work (the database answers, on
/// PostgreSQL the process listens for the others' changes, it is not draining), else 503.
pub async fn readyz(State(state): State<SharedState>) -> (StatusCode, Json<Readiness>) {
    let draining = state.lifecycle.draining();
    let ping = sqlx::query("SELECT 1").execute(&state.db.pool);
    let database = matches!(tokio::time::timeout(DATABASE_CHECK, ping).await, Ok(Ok(_)));
    let listening = state.bus.started().then(|| state.bus.listening());
    let ready = database && !draining && listening != Some(false);
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: if ready { "ready" } else { "not ready" },
        database,
        listening,
        draining,
    };
    (status, Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn draining_tells_open_and_later_connections_and_counts_them_out() {
        let lifecycle = Lifecycle::default();
        let mut early = lifecycle.open_connection();
        assert_eq!(lifecycle.open(), 1);
        assert!(!lifecycle.draining());
        lifecycle.drain();
        assert!(lifecycle.draining());
        tokio::time::timeout(Duration::from_secs(1), early.going_away())
            .await
            .expect("an open connection hears it");
        let mut late = lifecycle.open_connection();
        tokio::time::timeout(Duration::from_secs(1), late.going_away())
            .await
            .expect("one opened while draining hears it at once");
        drop((early, late));
        tokio::time::timeout(Duration::from_secs(1), lifecycle.all_closed())
            .await
            .expect("none open");
    }
}
