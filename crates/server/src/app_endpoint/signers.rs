//! Each server's unsealed signing key and signed parameters, kept while its row says the same.
//! Every hello needs both; unsealing the key (ring checks the PKCS#8 key pair with a scalar
//! multiplication) and signing the parameters again cost a P-256 operation each per login
//! otherwise (docs/benchmarks.md, "Cluster").

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use nextauth_protocol::crypto::SigningKey;
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{ServerParams, SignedServerParams};

use super::EndpointResult;
use crate::state::AppState;
use crate::store::servers::ServerRow;

/// A server's key and its signed parameters.
pub struct Signer {
    /// What was signed: a row whose parameters differ (new settings, a rotated key: the
    /// public key is one of them) is signed again.
    params: ServerParams,
    /// The unsealed signing key.
    pub key: SigningKey,
    /// The parameters with the key's signature.
    pub signed: SignedServerParams,
}

/// The cache, by server (a few entries: one per virtual server).
#[derive(Default)]
pub struct Signers(Mutex<HashMap<ServerId, Arc<Signer>>>);

impl std::fmt::Debug for Signers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Signers")
    }
}

impl Signers {
    /// The key and signed parameters of `server` as its row is now.
    pub fn of(&self, state: &AppState, server: &ServerRow) -> EndpointResult<Arc<Signer>> {
        let params = server.params();
        let cached = self.lock().get(&server.server_id).cloned();
        if let Some(signer) = cached.filter(|s| s.params == params) {
            return Ok(signer);
        }
        let key = server.signing_key(&state.master, &state.rng)?;
        let signed = server.signed_params(&key, &state.rng)?;
        let signer = Arc::new(Signer {
            params,
            key,
            signed,
        });
        self.lock().insert(server.server_id, signer.clone());
        Ok(signer)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<ServerId, Arc<Signer>>> {
        // A panic while holding it left a map that is still whole.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
