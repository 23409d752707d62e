//! Tracing spans, and the id that lets one login be followed through the logs.
//!
//! * `http{req method route flow}`: one span per HTTP request (`route` is the route's pattern,
//!   `/servers/{serverid}/sessions/{sessionid}`, never the path itself, which may carry a
//!   nonce or an enrol secret).
//! * `app{conn flow}`: one span per app connection (`/sigmai`), for its whole exchange.
//! * `browser{sock}`: one span per browser WebSocket (`/ws`); its lines about a session name
//!   the session's flow.
//!
//! `flow` is a session's log id: the first 8 bytes, in hex, of SHA-256 over a label, the
//! server's id and the session reference. The request that made the login code, the app
//! connection that answered it and the browser socket that heard the result all carry the same
//! one (in every process of a cluster, since it is derived, not drawn). It is not the session
//! reference (the QR code's), nor the integrator's nonce, and reveals neither: no secret goes into
//! a log line (keys, PINs, nonces, enrol secrets, push tokens).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use nextauth_protocol::ids::{ServerId, SessionRef};
use tracing::field::Empty;
use tracing::{Instrument, Span};

/// A session's log id (see the module's documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowId([u8; 8]);

impl std::fmt::Display for FlowId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// The log id of the session `session` of `server`.
pub fn flow_id(server: &ServerId, session: &SessionRef) -> FlowId {
    FlowId(nextauth_protocol::ids::session_log_id(server, session))
}

tokio::task_local! {
    /// The flow last named on the span of this request or connection (a field recorded twice
    /// would be printed twice).
    static RECORDED: Cell<Option<FlowId>>;
}

/// Names the session's flow on the current span (the request's or the app connection's).
pub fn record_flow(server: &ServerId, session: &SessionRef) {
    let id = flow_id(server, session);
    let new = RECORDED
        .try_with(|recorded| recorded.replace(Some(id)) != Some(id))
        .unwrap_or(true);
    if new {
        Span::current().record("flow", tracing::field::display(id));
    }
}

/// Runs `work` (a request, a connection) in `span`, with its own record of the flow named.
pub async fn in_span<F: std::future::Future>(span: Span, work: F) -> F::Output {
    RECORDED.scope(Cell::new(None), work.instrument(span)).await
}

/// A number for a request or connection span, unique in this process.
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// Middleware (as a route layer, so the route is known): the request's span, and one debug
/// line when it is answered.
pub async fn http(request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("-", |path| path.as_str())
        .to_owned();
    let span = tracing::info_span!(
        "http",
        req = next_id(),
        method = %request.method(),
        route = %route,
        flow = Empty
    );
    let started = std::time::Instant::now();
    in_span(span, async move {
        let response = next.run(request).await;
        tracing::debug!(
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "answered"
        );
        response
    })
    .await
}

/// The span of one app connection (not inside the upgrade request's: it outlives it).
pub fn app_connection() -> Span {
    tracing::info_span!(parent: None, "app", conn = next_id(), flow = Empty)
}

/// The span of one browser WebSocket.
pub fn browser_socket() -> Span {
    tracing::info_span!(parent: None, "browser", sock = next_id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flow_ids_are_per_session_and_hide_the_reference() {
        let server = ServerId([1; 16]);
        let a = flow_id(&server, &SessionRef([2; 16]));
        assert_eq!(a, flow_id(&server, &SessionRef([2; 16])));
        assert_ne!(a, flow_id(&server, &SessionRef([3; 16])));
        assert_ne!(a, flow_id(&ServerId([9; 16]), &SessionRef([2; 16])));
        let text = a.to_string();
        assert_eq!(text.len(), 16);
        assert!(!text.contains("0202"));
    }
}
