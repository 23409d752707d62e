//! Who is calling the REST API, and what they may do.
//!
//! `X-apikey` names a role; `X-su` (optional) impersonates another role when the key's role
//! holds global `root`, or global `setrid` and the other role holds `root` nowhere. A
//! permission is held on one server or globally; global `root` holds everything.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use nextauth_protocol::ids::ServerId;

use super::error::ApiError;
use crate::state::SharedState;
use crate::store::api_keys::{self, GLOBAL};

/// An authenticated caller: the role its requests act as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The effective role.
    pub role: String,
}

impl FromRequestParts<SharedState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let key = header(parts, "x-apikey").ok_or(ApiError::Unauthorized)?;
        let role = api_keys::role_of(&state.db, &key)
            .await?
            .ok_or(ApiError::Unauthorized)?;
        let Some(target) = header(parts, "x-su") else {
            return Ok(Self { role });
        };
        if api_keys::allowed(&state.db, &role, &GLOBAL, "root").await? {
            return Ok(Self { role: target });
        }
        if !api_keys::allowed(&state.db, &role, &GLOBAL, "setrid").await? {
            return Err(ApiError::Forbidden("global root or setrid (to use X-su)"));
        }
        // `setrid` switches between roles; it must not be a way up to `root`, which only a
        // root caller may act as (a root role could grant the caller anything).
        if api_keys::holds_root_anywhere(&state.db, &target).await? {
            return Err(ApiError::Forbidden(
                "global root (to use X-su as a role that holds root)",
            ));
        }
        Ok(Self { role: target })
    }
}

impl Caller {
    /// Fails with 403 unless the role holds `acl` on `server` (or globally, or is root).
    pub async fn require(
        &self,
        state: &SharedState,
        server: &ServerId,
        acl: &'static str,
    ) -> Result<(), ApiError> {
        if api_keys::allowed(&state.db, &self.role, server, acl).await? {
            Ok(())
        } else {
            Err(ApiError::Forbidden(acl))
        }
    }

    /// Fails with 403 unless the role holds one of `acls` on `server` (or globally, or is root).
    pub async fn require_any(
        &self,
        state: &SharedState,
        server: &ServerId,
        acls: &'static [&'static str],
    ) -> Result<(), ApiError> {
        for acl in acls {
            if api_keys::allowed(&state.db, &self.role, server, acl).await? {
                return Ok(());
            }
        }
        Err(ApiError::ForbiddenAny(acls))
    }

    /// Whether the role holds `acl` on `server` (or globally, or is root).
    pub async fn holds(
        &self,
        state: &SharedState,
        server: &ServerId,
        acl: &str,
    ) -> Result<bool, ApiError> {
        Ok(api_keys::allowed(&state.db, &self.role, server, acl).await?)
    }

    /// Fails with 403 unless the role holds `acl` globally.
    pub async fn require_global(
        &self,
        state: &SharedState,
        acl: &'static str,
    ) -> Result<(), ApiError> {
        self.require(state, &GLOBAL, acl).await
    }
}

/// A header's value as text, trimmed; `None` when absent, empty or not text.
pub fn header(parts: &Parts, name: &str) -> Option<String> {
    let value = parts.headers.get(name)?.to_str().ok()?.trim();
    (!value.is_empty()).then(|| value.to_owned())
}

/// The `X-nonce` header, required by the session endpoints.
#[derive(Debug, Clone)]
pub struct Nonce(pub String);

impl FromRequestParts<SharedState> for Nonce {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        _: &SharedState,
    ) -> Result<Self, Self::Rejection> {
        let nonce =
            header(parts, "x-nonce").ok_or(ApiError::BadRequest("missing X-nonce header"))?;
        if nonce.len() > 1024 {
            return Err(ApiError::BadRequest("X-nonce is longer than 1024 bytes"));
        }
        Ok(Self(nonce))
    }
}
