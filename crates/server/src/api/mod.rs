//! The integrator REST API (nextAuth API 2.2: shared/reference/nextauth-api-2.2.swagger.yaml).
//!
//! One module per entity; every handler authenticates the caller ([`auth::Caller`]) and checks
//! its permission before it touches anything.

pub mod auth;
pub mod error;

use axum::Router;

use crate::state::SharedState;

/// The API's routes (mounted at the root, as the reference API's base path is `/`).
pub fn routes() -> Router<SharedState> {
    Router::new()
}
