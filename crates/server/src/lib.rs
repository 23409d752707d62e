//! # nextauth-server
//!
//! The reference server of nextauth-rs. It hosts the "Acme" demo site that users enrol their
//! authenticator with and log in to, and will expose the nextAuth-compatible REST API.
//!
//! It serves the app endpoint (`/sigmai`), the browser WebSocket (`/ws`), the REST API's QR
//! and HTML endpoints ([`web`]), a health check, and the Acme demo site at `/`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), nextauth_server::ServerError> {
//! let config = nextauth_server::ServerConfig::default();
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! nextauth_server::serve(listener, config).await
//! # }
//! ```

pub mod api;
pub mod app_endpoint;
mod args;
pub mod bootstrap;
pub mod clock;
pub mod cluster;
pub mod codes;
mod config;
pub mod config_file;
pub mod db;
pub mod demo_assets;
pub mod keys;
pub mod limits;
pub mod login_checks;
pub mod message_center;
pub mod private_files;
pub mod push_senders;
pub mod readiness;
pub mod server_cache;
pub mod state;
pub mod store;
pub mod sweep;
pub mod trace;
pub mod user_context;
pub mod web;

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;

use axum::http::StatusCode;
use axum::routing::get;
use axum::{middleware, Json, Router};
use serde::Serialize;

pub use args::{command, completions, Cli};
pub use bootstrap::DemoInfo;
pub use config::{
    ArgsError, LimitsConfig, LoginCheckConfig, PushConfig, Rate, RetentionConfig, ServerConfig,
    DEFAULT_DATA_DIR, DEFAULT_LISTEN, ENV_DATABASE_URL, ENV_DATA_DIR, ENV_LISTEN, ENV_PUBLIC_URL,
};
pub use state::{AppState, SharedState};

/// Version of this server, reported by `GET /healthz`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Errors that stop the server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory that was requested.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// Binding or serving on the socket failed.
    #[error("server I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] db::DbError),
    /// The master key could not be read or created.
    #[error(transparent)]
    Key(#[from] keys::KeyError),
    /// Setting up the demo server failed.
    #[error(transparent)]
    Store(#[from] store::StoreError),
    /// A configured push sender could not be set up.
    #[error(transparent)]
    Push(#[from] push_senders::PushError),
    /// The GeoIP database or the fraud webhook could not be set up.
    #[error("login checks: {0}")]
    LoginChecks(String),
}

/// Body of `GET /healthz`.
#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

/// Opens the database and master key, ensures the demo server, and returns the shared state.
///
/// # Errors
///
/// Fails if the data directory, the database, the master key or a configured push sender
/// cannot be set up.
pub async fn start(config: ServerConfig) -> Result<(SharedState, DemoInfo), ServerError> {
    let senders = push_senders::Senders::from_config(&config.push)?;
    let checks =
        login_checks::LoginChecks::new(&config.login_checks).map_err(ServerError::LoginChecks)?;
    if !senders.is_empty() {
        tracing::info!(?senders, "push senders configured");
    }
    private_files::create_dir(&config.data_dir).map_err(|source| ServerError::DataDir {
        path: config.data_dir.clone(),
        source,
    })?;
    let db = db::Db::open(&config.database_url()).await?;
    let rng = ring::rand::SystemRandom::new();
    let master = keys::MasterKey::load_or_create(&config.data_dir.join("master.key"), &rng)?;
    let state = AppState::with_senders(config, db, master, senders, checks);
    let demo = bootstrap::ensure_demo(&state).await?;
    Ok((state, demo))
}

/// Builds the HTTP routes of the server, with the limits of [`limits`]. Serve it with
/// `into_make_service_with_connect_info::<SocketAddr>()` so the limits see each client's
/// address (without it, all requests count as one client).
pub fn router(state: SharedState) -> Router {
    let pages = middleware::from_fn_with_state(state.clone(), limits::pages);
    let provoke = middleware::from_fn_with_state(state.clone(), limits::provoke);
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readiness::readyz))
        .route("/sigmai", get(app_endpoint::sigmai))
        .merge(api::routes().route_layer(provoke))
        .merge(web::routes())
        .merge(web::demo::routes().route_layer(pages))
        .route_layer(middleware::from_fn(trace::http))
        .fallback(not_found)
        .with_state(state)
}

/// Serves on `listener` until Ctrl-C or SIGTERM.
///
/// # Errors
///
/// Fails if the data directory, database or master key cannot be set up, or the socket fails.
pub async fn serve(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
) -> Result<(), ServerError> {
    serve_with_shutdown(listener, config, shutdown_signal()).await
}

/// Like [`serve`], but stops gracefully when `shutdown` completes: not ready at once (`/readyz`
/// answers 503) and every browser socket, live app connection and continuous login session
/// closed with "going away";
/// new connections still accepted for [`readiness::DRAIN_DELAY`] (so a balancer's health
/// check takes the process out first), then none; requests and app exchanges in flight given
/// [`readiness::SHUTDOWN_GRACE`] to end; then it returns `Ok`.
///
/// # Errors
///
/// Fails if the data directory, database or master key cannot be set up, or the socket fails.
pub async fn serve_with_shutdown<F>(
    listener: tokio::net::TcpListener,
    config: ServerConfig,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    let (state, _demo) = start(config).await?;
    let cluster = cluster::start(&state, &state.config.database_url())
        .await
        .map_err(|err| ServerError::Db(db::DbError::from(err)))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, data_dir = %state.config.data_dir.display(), version = VERSION, "serving");
    let sweeper = sweep::spawn(state.clone());
    let app = router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // When the process stops listening: the deadline of what is still in flight.
    let (stopped, deadline) = tokio::sync::oneshot::channel();
    let draining = state.clone();
    let drain = async move {
        shutdown.await;
        draining.lifecycle.drain();
        tracing::info!(
            open = draining.lifecycle.open(),
            "draining: not ready, open sockets told to go away"
        );
        tokio::time::sleep(readiness::DRAIN_DELAY).await;
        tracing::info!("no longer accepting connections");
        let _ = stopped.send(tokio::time::Instant::now() + readiness::SHUTDOWN_GRACE);
    };
    let served = axum::serve(no_delay(listener), app)
        .with_graceful_shutdown(drain)
        .into_future();
    let deadline = async {
        match deadline.await {
            Ok(deadline) => deadline,
            Err(_) => std::future::pending().await,
        }
    };
    let served = in_flight_until(served, deadline, &state).await;
    sweeper.abort();
    for task in cluster.into_iter().flatten() {
        task.abort();
    }
    served?;
    tracing::info!("server stopped");
    Ok(())
}

/// Runs `served` (the HTTP server, which ends once requests in flight are done), then waits
/// for the upgraded connections (sockets, app exchanges) to end, until the deadline that
/// `deadline` gives once the process stops listening.
async fn in_flight_until(
    served: impl Future<Output = std::io::Result<()>>,
    deadline: impl Future<Output = tokio::time::Instant>,
    state: &SharedState,
) -> std::io::Result<()> {
    tokio::pin!(served, deadline);
    let mut until = None;
    let result = loop {
        tokio::select! {
            result = &mut served => break result,
            at = &mut deadline, if until.is_none() => until = Some(at),
            () = tokio::time::sleep_until(until.unwrap_or_else(tokio::time::Instant::now)), if until.is_some() => {
                tracing::warn!("requests still in flight at the shutdown deadline");
                return Ok(());
            }
        }
    };
    // The deadline is set before the server stops; none means the listener failed.
    let until = match until {
        Some(at) => at,
        None => match tokio::time::timeout(std::time::Duration::from_millis(10), deadline).await {
            Ok(at) => at,
            Err(_) => return result,
        },
    };
    if tokio::time::timeout_at(until, state.lifecycle.all_closed())
        .await
        .is_err()
    {
        tracing::warn!(
            open = state.lifecycle.open(),
            "connections still open at the shutdown deadline"
        );
    }
    result
}

/// The listener with Nagle's algorithm off on every connection: protocol messages and browser
/// events are small and must go out at once (with it, a reply waited up to 40 ms for the
/// peer's delayed ACK: benches/prompt_latency.rs).
pub fn no_delay(
    listener: tokio::net::TcpListener,
) -> axum::serve::TapIo<tokio::net::TcpListener, impl FnMut(&mut tokio::net::TcpStream)> {
    use axum::serve::ListenerExt;
    listener.tap_io(|stream| {
        if let Err(err) = stream.set_nodelay(true) {
            tracing::debug!(%err, "cannot set TCP_NODELAY");
        }
    })
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(err) = tokio::signal::ctrl_c().await {
            tracing::warn!(%err, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(err) => {
                tracing::warn!(%err, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok",
        version: VERSION,
    })
}

async fn not_found() -> (StatusCode, &'static str) {
    (StatusCode::NOT_FOUND, "not found\n")
}
