//! First start: the demo server ("Acme") and an API key with every permission, written to
//! `<data-dir>/demo.json` so that scripts and tests can drive the REST API.

use nextauth_protocol::ids::ServerId;
use serde::{Deserialize, Serialize};

use crate::clock;
use crate::state::SharedState;
use crate::store::api_keys::{self, ALL_ACLS, GLOBAL};
use crate::store::servers::{self, ServerSettings};
use crate::store::StoreResult;

/// The contents of `demo.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoInfo {
    /// The demo server's id (base64url, as the API uses it).
    pub serverid: String,
    /// An API key with every permission on every server.
    pub apikey: String,
    /// The server's public base URL.
    pub baseurl: String,
}

/// Ensures the demo server and key exist, and that the demo server's app endpoint matches the
/// configured public URL. Returns what `demo.json` holds.
pub async fn ensure_demo(state: &SharedState) -> StoreResult<DemoInfo> {
    let path = state.config.data_dir.join("demo.json");
    let now = clock::now();
    let existing: Option<DemoInfo> = std::fs::read_to_string(&path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok());
    let known = match &existing {
        Some(info) => match ServerId::from_base64(&info.serverid) {
            Ok(id) => servers::get(&state.db, &id).await?,
            Err(_) => None,
        },
        None => None,
    };
    let server = match known {
        Some(server) => server,
        None => {
            let mut settings = ServerSettings::new("Acme", &state.config.sigmai_url());
            settings.siteurl = format!("{}/", state.config.public_url());
            settings.profile.logo = crate::demo_assets::ACME_LOGO_PNG.to_vec();
            let server =
                servers::create(&state.db, &state.master, &state.rng, settings, now).await?;
            tracing::info!(server = %server.server_id.to_base64(), "created the demo server");
            server
        }
    };
    if server.settings.wsurl != state.config.sigmai_url() {
        let mut settings = server.settings.clone();
        settings.wsurl = state.config.sigmai_url();
        settings.siteurl = format!("{}/", state.config.public_url());
        servers::update(&state.db, &server.server_id, &settings, now).await?;
        state.notify(crate::state::Change::Server(server.server_id));
    }
    let apikey = match existing {
        Some(info) if known_key(state, &info.apikey).await? => info.apikey,
        _ => {
            let key = api_keys::create(
                &state.db,
                &state.rng,
                "demo",
                "demo key (every permission)",
                now,
            )
            .await?;
            for acl in ALL_ACLS {
                api_keys::grant(&state.db, "demo", &GLOBAL, acl).await?;
            }
            key
        }
    };
    let info = DemoInfo {
        serverid: server.server_id.to_base64(),
        apikey,
        baseurl: state.config.public_url(),
    };
    let text = serde_json::to_string_pretty(&info).unwrap_or_default();
    if let Err(err) = crate::private_files::replace(&path, text.as_bytes()) {
        tracing::warn!(%err, path = %path.display(), "cannot write demo.json");
    }
    Ok(info)
}

async fn known_key(state: &SharedState, key: &str) -> StoreResult<bool> {
    Ok(api_keys::role_of(&state.db, key).await?.is_some())
}
