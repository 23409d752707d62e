//! Connection caps and rate limits per client address, so that one address cannot hold
//! hundreds of sockets or flood the pages, the app endpoint and push logins.
//!
//! * App connections (`/sigmai`) and browser sockets (`/ws`): a rate of new connections and a
//!   cap on open ones per client ([`AppConnection`], [`BrowserSocket`]: extractors whose permit
//!   the handler keeps for the socket's life), and a cap on open browser sockets of all
//!   clients together. Checked before the upgrade: a refused request gets HTTP 429 with
//!   `Retry-After` and never becomes a WebSocket.
//! * Demo pages and the REST `provokelogin` operations: a rate per client ([`pages`],
//!   [`provoke`] middleware), 429 with `Retry-After`.
//!
//! Rates are GCRA buckets from the `governor` crate, keyed by the client address of
//! [`client_ip`]; counts of open connections are plain counters. All of it is per process: with
//! several server processes behind a load balancer, each enforces its own share.

pub mod client_ip;
pub mod options;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};

use self::options::{LimitsConfig, Rate};
use crate::state::SharedState;

/// `Retry-After` for a refused connection: open connections end at their own pace, so this is
/// a hint, not a promise.
pub const CONNECTION_RETRY_AFTER: Duration = Duration::from_secs(10);

/// Why a request was refused (all answered with 429 and `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The client's rate for this kind of request is spent.
    #[error("too many requests from this address; retry in {}s", retry_secs(*.retry_after))]
    Rate {
        /// When the next one would pass.
        retry_after: Duration,
    },
    /// The client holds as many connections of this kind as it may.
    #[error("too many open connections from this address")]
    ClientConnections,
    /// The server holds as many browser sockets as it may.
    #[error("too many open browser connections on this server")]
    ServerConnections,
}

impl Refusal {
    /// What `Retry-After` says.
    pub fn retry_after(&self) -> Duration {
        match self {
            Self::Rate { retry_after } => *retry_after,
            Self::ClientConnections | Self::ServerConnections => CONNECTION_RETRY_AFTER,
        }
    }

    /// The answer in the REST API's error format (`{"code": 429, "message": …}`).
    fn into_api_response(self) -> Response {
        let body = serde_json::json!({ "code": 429, "message": self.to_string() });
        let mut response = (StatusCode::TOO_MANY_REQUESTS, axum::Json(body)).into_response();
        self.add_retry_after(response.headers_mut());
        response
    }

    fn add_retry_after(&self, headers: &mut HeaderMap) {
        headers.insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_secs(self.retry_after())),
        );
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::TOO_MANY_REQUESTS, format!("{self}\n")).into_response();
        self.add_retry_after(response.headers_mut());
        response
    }
}

/// Whole seconds, rounded up, at least 1 (`Retry-After: 0` would invite a busy loop).
fn retry_secs(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

/// A rate per client address (`None`: unlimited).
type ClientRate = KeyedRate<IpAddr>;

/// A rate per key: a client address, an account (`None`: unlimited).
pub(crate) struct KeyedRate<K: std::hash::Hash + Eq + Clone>(Option<DefaultKeyedRateLimiter<K>>);

impl<K: std::hash::Hash + Eq + Clone> KeyedRate<K> {
    pub(crate) fn new(rate: Option<Rate>) -> Self {
        Self(rate.map(|rate| {
            let count = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
            let interval = rate.per / count.get();
            let quota = Quota::with_period(interval.max(Duration::from_nanos(1)))
                .expect("a positive interval")
                .allow_burst(count);
            DefaultKeyedRateLimiter::dashmap(quota)
        }))
    }

    pub(crate) fn check(&self, key: K) -> Result<(), Refusal> {
        let Some(limiter) = &self.0 else {
            return Ok(());
        };
        limiter.check_key(&key).map_err(|not_until| Refusal::Rate {
            retry_after: not_until.wait_time_from(limiter.clock().now()),
        })
    }

    /// Drops the buckets of clients that are back to a full bucket (memory stays bounded by
    /// the clients seen within one period).
    pub(crate) fn forget_idle(&self) {
        if let Some(limiter) = &self.0 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

/// Open connections of one kind, per client and in total.
#[derive(Default)]
struct OpenConnections {
    by_client: HashMap<IpAddr, u32>,
    total: u32,
}

/// Caps on open connections of one kind.
struct ConnectionCaps {
    per_client: Option<u32>,
    total: Option<u32>,
    open: Arc<Mutex<OpenConnections>>,
}

impl ConnectionCaps {
    fn new(per_client: Option<u32>, total: Option<u32>) -> Self {
        Self {
            per_client,
            total,
            open: Arc::default(),
        }
    }

    fn admit(&self, client: IpAddr) -> Result<ConnectionPermit, Refusal> {
        let mut open = lock(&self.open);
        if self.total.is_some_and(|cap| open.total >= cap) {
            return Err(Refusal::ServerConnections);
        }
        let mine = open.by_client.entry(client).or_insert(0);
        if self.per_client.is_some_and(|cap| *mine >= cap) {
            return Err(Refusal::ClientConnections);
        }
        *mine += 1;
        open.total += 1;
        Ok(ConnectionPermit {
            open: self.open.clone(),
            client,
        })
    }

    fn total(&self) -> u32 {
        lock(&self.open).total
    }
}

/// The counters stay consistent even if a thread panicked while holding the lock (every
/// update is a single step).
fn lock(open: &Mutex<OpenConnections>) -> MutexGuard<'_, OpenConnections> {
    open.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One admitted connection; counted as open until dropped.
#[derive(Debug)]
pub struct ConnectionPermit {
    open: Arc<Mutex<OpenConnections>>,
    client: IpAddr,
}

impl ConnectionPermit {
    /// The client address it was admitted for.
    pub fn client(&self) -> IpAddr {
        self.client
    }
}

impl Drop for ConnectionPermit {
    fn drop(&mut self) {
        let mut open = lock(&self.open);
        open.total = open.total.saturating_sub(1);
        if let Some(mine) = open.by_client.get_mut(&self.client) {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.by_client.remove(&self.client);
            }
        }
    }
}

impl std::fmt::Debug for OpenConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenConnections")
            .field("clients", &self.by_client.len())
            .field("total", &self.total)
            .finish()
    }
}

/// Every limit of this process.
pub struct Limiter {
    trusted_proxies: Vec<client_ip::ProxyNet>,
    /// Whether the "X-Forwarded-For from an untrusted peer" warning was logged.
    warned_forwarded: AtomicBool,
    app_rate: ClientRate,
    app_open: ConnectionCaps,
    browser_rate: ClientRate,
    browser_open: ConnectionCaps,
    page_rate: ClientRate,
    provoke_rate: ClientRate,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("app_connections", &self.app_open.total())
            .field("browser_sockets", &self.browser_open.total())
            .finish_non_exhaustive()
    }
}

impl Limiter {
    /// The limits of `config`.
    pub fn new(config: &LimitsConfig) -> Self {
        Self {
            trusted_proxies: config.trusted_proxies.clone(),
            warned_forwarded: AtomicBool::new(false),
            app_rate: ClientRate::new(config.app_connect_rate),
            app_open: ConnectionCaps::new(config.app_connections_per_ip, None),
            browser_rate: ClientRate::new(config.browser_connect_rate),
            browser_open: ConnectionCaps::new(
                config.browser_sockets_per_ip,
                config.browser_sockets,
            ),
            page_rate: ClientRate::new(config.page_rate),
            provoke_rate: ClientRate::new(config.provoke_rate),
        }
    }

    /// The client address of a request: see [`client_ip`].
    pub fn client(&self, extensions: &axum::http::Extensions, headers: &HeaderMap) -> IpAddr {
        // Served without connection info (a router embedded without
        // `into_make_service_with_connect_info`), every request shares one address: the limits
        // then apply to all clients together rather than not at all.
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V6(Ipv6Addr::UNSPECIFIED), |info| info.0.ip());
        let client = client_ip::client_ip(peer, headers, &self.trusted_proxies);
        if headers.contains_key("x-forwarded-for")
            && !self.trusted_proxies.iter().any(|net| net.contains(peer))
            && !self.warned_forwarded.swap(true, Ordering::Relaxed)
        {
            // Once per process: a reverse proxy that is not named makes every visitor share
            // its budget (or a client is trying its luck, which changes nothing).
            tracing::warn!(
                %peer,
                "a request carries X-Forwarded-For from a peer that is not a trusted proxy; it \
                 is counted under the peer's address (name the proxy with --trusted-proxies)"
            );
        }
        client
    }

    /// Admits a new app connection from `client`.
    pub fn admit_app(&self, client: IpAddr) -> Result<ConnectionPermit, Refusal> {
        self.app_rate.check(client)?;
        self.app_open.admit(client)
    }

    /// Admits a new browser socket from `client`.
    pub fn admit_browser(&self, client: IpAddr) -> Result<ConnectionPermit, Refusal> {
        self.browser_rate.check(client)?;
        self.browser_open.admit(client)
    }

    /// Admits a push login asked for by `client` (REST `provokelogin`, browser `PROVOKE`).
    pub fn admit_provoke(&self, client: IpAddr) -> Result<(), Refusal> {
        self.provoke_rate.check(client)
    }

    /// Open app connections and browser sockets of this process.
    pub fn open_connections(&self) -> (u32, u32) {
        (self.app_open.total(), self.browser_open.total())
    }

    /// Forgets clients whose buckets are full again (run now and then).
    pub fn forget_idle(&self) {
        for rate in [
            &self.app_rate,
            &self.browser_rate,
            &self.page_rate,
            &self.provoke_rate,
        ] {
            rate.forget_idle();
        }
    }
}

/// An admitted app connection (`/sigmai`); the handler keeps it until the socket closes.
#[derive(Debug)]
pub struct AppConnection(pub ConnectionPermit);

impl FromRequestParts<SharedState> for AppConnection {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        admit_connection(parts, state, Limiter::admit_app, "app connection").map(Self)
    }
}

/// An admitted browser socket (`/ws`); the handler keeps it until the socket closes.
#[derive(Debug)]
pub struct BrowserSocket(pub ConnectionPermit);

impl FromRequestParts<SharedState> for BrowserSocket {
    type Rejection = Refusal;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        admit_connection(parts, state, Limiter::admit_browser, "browser socket").map(Self)
    }
}

/// Admits the request's client through `admit`; a refusal is logged as `{what} refused`.
fn admit_connection(
    parts: &Parts,
    state: &SharedState,
    admit: fn(&Limiter, IpAddr) -> Result<ConnectionPermit, Refusal>,
    what: &str,
) -> Result<ConnectionPermit, Refusal> {
    let client = state.limits.client(&parts.extensions, &parts.headers);
    admit(&state.limits, client).inspect_err(|refusal| {
        tracing::debug!(%client, %refusal, "{what} refused");
    })
}

/// Middleware for the demo site's pages: the page rate per client.
pub async fn pages(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let client = state.limits.client(request.extensions(), request.headers());
    match state.limits.page_rate.check(client) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::debug!(%client, %refusal, "page refused");
            refusal.into_response()
        }
    }
}

/// Middleware for the REST API: the push-login rate per client on the `provokelogin`
/// operations (sessions, accounts, users), before the API key is even looked up.
pub async fn provoke(State(state): State<SharedState>, request: Request, next: Next) -> Response {
    let is_provoke = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| {
            path.as_str()
                .trim_end_matches('/')
                .ends_with("/provokelogin")
        });
    if !is_provoke {
        return next.run(request).await;
    }
    let client = state.limits.client(request.extensions(), request.headers());
    match state.limits.provoke_rate.check(client) {
        Ok(()) => next.run(request).await,
        Err(refusal) => {
            tracing::debug!(%client, %refusal, "push login refused");
            refusal.into_api_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn limits(adjust: impl FnOnce(&mut LimitsConfig)) -> Limiter {
        let mut config = LimitsConfig::unlimited();
        adjust(&mut config);
        Limiter::new(&config)
    }

    #[test]
    fn rates_refuse_the_excess_per_client_with_a_retry_time() {
        let limiter = limits(|c| {
            c.app_connect_rate = Some(Rate {
                count: 3,
                per: Duration::from_secs(60),
            })
        });
        let mut permits = Vec::new();
        for _ in 0..3 {
            permits.push(
                limiter
                    .admit_app(ip("192.0.2.1"))
                    .expect("within the burst"),
            );
        }
        let refused = limiter.admit_app(ip("192.0.2.1")).unwrap_err();
        let Refusal::Rate { retry_after } = refused else {
            panic!("expected a rate refusal, got {refused:?}");
        };
        // One connection comes back every 20 s.
        assert!(retry_after > Duration::from_secs(15) && retry_after <= Duration::from_secs(20));
        assert_eq!(retry_secs(retry_after), retry_after.as_secs() + 1);
        // Another client is not affected.
        assert!(limiter.admit_app(ip("192.0.2.2")).is_ok());
    }

    #[test]
    fn caps_count_open_connections_and_release_them_on_drop() {
        let limiter = limits(|c| {
            c.browser_sockets_per_ip = Some(2);
            c.browser_sockets = Some(3);
        });
        let a1 = limiter.admit_browser(ip("192.0.2.1")).unwrap();
        let _a2 = limiter.admit_browser(ip("192.0.2.1")).unwrap();
        assert_eq!(
            limiter.admit_browser(ip("192.0.2.1")).unwrap_err(),
            Refusal::ClientConnections
        );
        let _b1 = limiter.admit_browser(ip("192.0.2.2")).unwrap();
        assert_eq!(
            limiter.admit_browser(ip("192.0.2.3")).unwrap_err(),
            Refusal::ServerConnections
        );
        assert_eq!(limiter.open_connections(), (0, 3));
        drop(a1);
        assert_eq!(limiter.open_connections(), (0, 2));
        assert!(limiter.admit_browser(ip("192.0.2.1")).is_ok());
    }

    #[test]
    fn refusals_answer_429_with_retry_after() {
        let response = Refusal::Rate {
            retry_after: Duration::from_millis(1500),
        }
        .into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "2");
        let response = Refusal::ServerConnections.into_api_response();
        assert_eq!(response.headers()[header::RETRY_AFTER], "10");
        assert_eq!(retry_secs(Duration::ZERO), 1);
        assert_eq!(retry_secs(Duration::from_secs(3)), 3);
    }

    #[test]
    fn forgetting_keeps_clients_that_are_still_limited() {
        let limiter = limits(|c| {
            c.provoke_rate = Some(Rate {
                count: 1,
                per: Duration::from_secs(3600),
            })
        });
        limiter.provoke_rate.check(ip("192.0.2.1")).unwrap();
        limiter.forget_idle();
        assert!(limiter.provoke_rate.check(ip("192.0.2.1")).is_err());
    }
}
