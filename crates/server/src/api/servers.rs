//! `/servers/`: list, create, read and update virtual servers.
//!
//! Listing needs `servers` or `createserver` (only the servers it is held on, or all when
//! held globally); creating needs global `createserver`; reading needs `servers` or
//! `createserver`; updating needs `createserver`.

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use nextauth_protocol::params::{SecondFactorPolicy, MAX_LOGO_LEN};
use serde::{Deserialize, Serialize};

use super::auth::Caller;
use super::error::{ApiError, ApiResult};
use super::extract::{self, ApiPath, ApiQuery, ObjectBody};
use super::ListParams;
use crate::clock;
use crate::state::{Change, SharedState};
use crate::store::api_keys::{self, GLOBAL};
use crate::store::servers::{self, NumberInput, NumberMatching, ServerRow, ServerSettings};
use crate::store::{accounts, StoreError};

/// What the role that creates a server gets on it.
pub const CREATOR_ACLS: &[&str] = &["accounts", "root", "servers", "sessions", "users"];

/// The `Server` model (plus `maxPinAttempts`, `secondFactor` and `uniqueDisplayNames`,
/// settings of this implementation that the swagger does not have).
#[derive(Debug, Serialize)]
pub struct ServerJson {
    /// Live accounts.
    #[serde(rename = "accountCount")]
    pub account_count: i64,
    /// Android store URL.
    pub appandroid: String,
    /// iOS store URL.
    pub appios: String,
    /// App name shown in HTML blocks.
    pub appname: String,
    /// Deep-link prefix.
    pub appurl: String,
    /// Latest login of any account (Unix s, 0 never).
    #[serde(rename = "lastLogin")]
    pub last_login: u64,
    /// Base64 logo (PNG).
    pub logo: String,
    /// Owner id.
    pub owner: i64,
    /// PIN timeout for logins (minutes; -1 never ask, 0 always ask).
    #[serde(rename = "pinTimeout")]
    pub pin_timeout: i32,
    /// PIN timeout for transactions (minutes).
    #[serde(rename = "pinTransTimeout")]
    pub pin_trans_timeout: i32,
    /// Seconds the app has to answer a ping (0: no continuous sessions).
    #[serde(rename = "pingTime")]
    pub ping_time: u32,
    /// Server flags.
    #[serde(rename = "serverFlags")]
    pub server_flags: Vec<String>,
    /// Name shown in the app.
    #[serde(rename = "serverName")]
    pub server_name: String,
    /// Base64url server id.
    pub serverid: String,
    /// Base64 public key.
    pub serverpk: String,
    /// The integrator's website.
    pub siteurl: String,
    /// The app endpoint.
    pub wsurl: String,
    /// Wrong PINs before the PIN is blocked (extension).
    #[serde(rename = "maxPinAttempts")]
    pub max_pin_attempts: u8,
    /// `pin` or `none` (extension).
    #[serde(rename = "secondFactor")]
    pub second_factor: &'static str,
    /// Whether display names must be unique within one app (extension).
    #[serde(rename = "uniqueDisplayNames")]
    pub unique_display_names: bool,
    /// Whether apps may log themselves in with AppLogin (extension; off by default).
    #[serde(rename = "appLogin")]
    pub app_login: bool,
    /// `off`, `push` or `always` (extension).
    #[serde(rename = "numberMatching")]
    pub number_matching: &'static str,
    /// `type` or `choose` (extension).
    #[serde(rename = "numberInput")]
    pub number_input: &'static str,
    /// Digits of the number (extension).
    #[serde(rename = "numberLength")]
    pub number_length: u8,
    /// Minutes pushes are held back after "This was not me" (extension).
    #[serde(rename = "pushBlockMinutes")]
    pub push_block_minutes: u32,
    /// Unanswered or denied pushes after which further ones are held back (extension).
    #[serde(rename = "pushHoldAfter")]
    pub push_hold_after: u8,
}

/// The `Server` model as a request body: every field optional; `serverid` and `serverpk`
/// may only repeat the current values, `accountCount` and `lastLogin` are ignored.
#[derive(Debug, Default, Deserialize)]
#[allow(missing_docs)]
pub struct ServerInput {
    pub appandroid: Option<String>,
    pub appios: Option<String>,
    pub appname: Option<String>,
    pub appurl: Option<String>,
    pub logo: Option<String>,
    pub owner: Option<i64>,
    #[serde(rename = "pinTimeout")]
    pub pin_timeout: Option<i64>,
    #[serde(rename = "pinTransTimeout")]
    pub pin_trans_timeout: Option<i64>,
    #[serde(rename = "pingTime")]
    pub ping_time: Option<i64>,
    #[serde(rename = "serverFlags")]
    pub server_flags: Option<Vec<String>>,
    #[serde(rename = "serverName")]
    pub server_name: Option<String>,
    pub serverid: Option<String>,
    pub serverpk: Option<String>,
    pub siteurl: Option<String>,
    pub wsurl: Option<String>,
    #[serde(rename = "maxPinAttempts")]
    pub max_pin_attempts: Option<i64>,
    #[serde(rename = "secondFactor")]
    pub second_factor: Option<String>,
    #[serde(rename = "uniqueDisplayNames")]
    pub unique_display_names: Option<bool>,
    #[serde(rename = "appLogin")]
    pub app_login: Option<bool>,
    #[serde(rename = "numberMatching")]
    pub number_matching: Option<String>,
    #[serde(rename = "numberInput")]
    pub number_input: Option<String>,
    #[serde(rename = "numberLength")]
    pub number_length: Option<i64>,
    #[serde(rename = "pushBlockMinutes")]
    pub push_block_minutes: Option<i64>,
    #[serde(rename = "pushHoldAfter")]
    pub push_hold_after: Option<i64>,
}

/// The `Servers` model.
#[derive(Debug, Serialize)]
pub struct ServersJson {
    /// One page of servers.
    pub servers: Vec<ServerJson>,
    /// How many servers the caller may see in all.
    pub totalnumber: usize,
}

/// Path naming a server.
#[derive(Debug, Deserialize)]
pub struct ServerPath {
    /// Base64 server id.
    pub serverid: String,
}

/// Adds the routes.
pub fn routes(router: Router<SharedState>) -> Router<SharedState> {
    let router = super::both(router, "/servers/", get(list).post(create));
    let router = super::both(router, "/servers/{serverid}/", get(read).put(update));
    super::both(router, "/servers/{serverid}/rotatekey", post(rotate_key))
}

/// The JSON of a server with its account statistics.
pub(crate) async fn server_json(state: &SharedState, row: &ServerRow) -> ApiResult<ServerJson> {
    let (account_count, last_login) = accounts::stats(&state.db, &row.server_id).await?;
    let s = &row.settings;
    Ok(ServerJson {
        account_count,
        appandroid: s.appandroid.clone(),
        appios: s.appios.clone(),
        appname: s.appname.clone(),
        appurl: s.appurl.clone(),
        last_login,
        logo: extract::encode_base64(&s.profile.logo),
        owner: s.owner,
        pin_timeout: s.profile.pin_timeout,
        pin_trans_timeout: s.profile.pin_trans_timeout,
        ping_time: s.profile.ping_time,
        server_flags: s.profile.flags.clone(),
        server_name: s.profile.name.clone(),
        serverid: row.server_id.to_base64(),
        serverpk: extract::encode_base64(&row.public_key.0),
        siteurl: s.siteurl.clone(),
        wsurl: s.wsurl.clone(),
        max_pin_attempts: s.profile.max_pin_attempts,
        second_factor: match s.profile.second_factor {
            SecondFactorPolicy::Pin => "pin",
            SecondFactorPolicy::None => "none",
        },
        unique_display_names: s.profile.unique_display_names,
        app_login: s.app_login,
        number_matching: s.number_matching.as_str(),
        number_input: s.number_input.as_str(),
        number_length: s.number_length,
        push_block_minutes: s.push_block_minutes,
        push_hold_after: s.push_hold_after,
    })
}

fn text(value: String, what: &'static str) -> ApiResult<String> {
    if value.len() > 255 || value.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(what));
    }
    Ok(value)
}

fn timeout(value: i64, what: &'static str) -> ApiResult<i32> {
    i32::try_from(value)
        .ok()
        .filter(|v| *v >= -1)
        .ok_or(ApiError::BadRequest(what))
}

impl ServerInput {
    /// Applies the given fields to `s`, refusing values the server cannot carry.
    pub fn apply(self, s: &mut ServerSettings) -> ApiResult<()> {
        const URL: &str = "URLs and names are at most 255 bytes without control characters";
        if let Some(name) = self.server_name {
            if name.trim().is_empty() {
                return Err(ApiError::BadRequest("serverName must not be empty"));
            }
            s.profile.name = text(name, URL)?;
        }
        if let Some(logo) = self.logo {
            let bytes =
                extract::decode_base64(&logo).ok_or(ApiError::BadRequest("logo is not base64"))?;
            if bytes.len() > MAX_LOGO_LEN {
                return Err(ApiError::BadRequest("logo is larger than 64 KiB"));
            }
            s.profile.logo = bytes;
        }
        if let Some(v) = self.pin_timeout {
            s.profile.pin_timeout = timeout(v, "pinTimeout is -1 or more minutes")?;
        }
        if let Some(v) = self.pin_trans_timeout {
            s.profile.pin_trans_timeout = timeout(v, "pinTransTimeout is -1 or more minutes")?;
        }
        if let Some(v) = self.ping_time {
            s.profile.ping_time = u32::try_from(v)
                .map_err(|_| ApiError::BadRequest("pingTime is 0 or more seconds"))?;
        }
        if let Some(v) = self.max_pin_attempts {
            s.profile.max_pin_attempts = u8::try_from(v)
                .ok()
                .filter(|v| *v >= 1)
                .ok_or(ApiError::BadRequest("maxPinAttempts is 1 to 255"))?;
        }
        if let Some(v) = self.second_factor {
            s.profile.second_factor = match v.as_str() {
                "pin" => SecondFactorPolicy::Pin,
                "none" => SecondFactorPolicy::None,
                _ => return Err(ApiError::BadRequest("secondFactor is pin or none")),
            };
        }
        if let Some(v) = self.unique_display_names {
            s.profile.unique_display_names = v;
        }
        if let Some(v) = self.app_login {
            s.app_login = v;
        }
        if let Some(v) = self.number_matching {
            s.number_matching = NumberMatching::parse(&v).ok_or(ApiError::BadRequest(
                "numberMatching is off, push or always",
            ))?;
        }
        if let Some(v) = self.number_input {
            s.number_input = NumberInput::parse(&v)
                .ok_or(ApiError::BadRequest("numberInput is type or choose"))?;
        }
        if let Some(v) = self.number_length {
            s.number_length = u8::try_from(v)
                .ok()
                .filter(|n| (2..=6).contains(n))
                .ok_or(ApiError::BadRequest("numberLength is 2 to 6 digits"))?;
        }
        if let Some(v) = self.push_block_minutes {
            s.push_block_minutes = u32::try_from(v)
                .ok()
                .filter(|m| *m <= 7 * 24 * 60)
                .ok_or(ApiError::BadRequest("pushBlockMinutes is 0 to 10080"))?;
        }
        if let Some(v) = self.push_hold_after {
            s.push_hold_after = u8::try_from(v)
                .ok()
                .filter(|n| *n <= 100)
                .ok_or(ApiError::BadRequest("pushHoldAfter is 0 to 100"))?;
        }
        if let Some(flags) = self.server_flags {
            if flags.len() > 255 || flags.iter().any(|f| f.is_empty() || f.len() > 255) {
                return Err(ApiError::BadRequest(
                    "serverFlags: at most 255 flags of 1 to 255 bytes",
                ));
            }
            s.profile.flags = flags;
        }
        if let Some(v) = self.owner {
            s.owner = v;
        }
        if let Some(v) = self.appname {
            s.appname = text(v, URL)?;
        }
        if let Some(v) = self.appurl {
            s.appurl = text(v, URL)?;
        }
        if let Some(v) = self.appandroid {
            s.appandroid = text(v, URL)?;
        }
        if let Some(v) = self.appios {
            s.appios = text(v, URL)?;
        }
        if let Some(v) = self.siteurl {
            s.siteurl = text(v, URL)?;
        }
        if let Some(v) = self.wsurl {
            if !(v.starts_with("ws://") || v.starts_with("wss://")) {
                return Err(ApiError::BadRequest("wsurl must be a ws:// or wss:// URL"));
            }
            s.wsurl = text(v, URL)?;
        }
        Ok(())
    }
}

/// Settings the protocol refuses are the caller's mistake.
fn settings_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Protocol(_) => ApiError::BadRequest("the server settings are not encodable"),
        other => other.into(),
    }
}

async fn list(
    State(state): State<SharedState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> ApiResult<Json<ServersJson>> {
    let (limit, offset) = params.page()?;
    let global = caller.holds(&state, &GLOBAL, "servers").await?
        || caller.holds(&state, &GLOBAL, "createserver").await?;
    let mut visible = servers::list(&state.db).await?;
    if !global {
        let ids =
            api_keys::servers_with(&state.db, &caller.role, &["servers", "createserver"]).await?;
        if ids.is_empty() {
            return Err(ApiError::ForbiddenAny(&["servers", "createserver"]));
        }
        visible.retain(|s| ids.contains(&s.server_id));
    }
    let totalnumber = visible.len();
    let page = visible
        .iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(limit.map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX)));
    let mut servers = Vec::new();
    for row in page {
        servers.push(server_json(&state, row).await?);
    }
    Ok(Json(ServersJson {
        servers,
        totalnumber,
    }))
}

async fn create(
    State(state): State<SharedState>,
    caller: Caller,
    ObjectBody(input): ObjectBody<ServerInput>,
) -> ApiResult<Json<ServerJson>> {
    caller.require_global(&state, "createserver").await?;
    let name = input
        .server_name
        .clone()
        .ok_or(ApiError::BadRequest("serverName is required"))?;
    let mut settings = ServerSettings::new(&name, &state.config.sigmai_url());
    input.apply(&mut settings)?;
    let now = clock::now();
    let row = servers::create(&state.db, &state.master, &state.rng, settings, now)
        .await
        .map_err(settings_error)?;
    api_keys::set_permissions(&state.db, &caller.role, &row.server_id, CREATOR_ACLS).await?;
    tracing::info!(server = %row.server_id.to_base64(), role = %caller.role, "server created through the API");
    Ok(Json(server_json(&state, &row).await?))
}

async fn read(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<Json<ServerJson>> {
    let row = super::server_for(
        &state,
        &caller,
        &path.serverid,
        &["servers", "createserver"],
    )
    .await?;
    Ok(Json(server_json(&state, &row).await?))
}

async fn update(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
    ObjectBody(input): ObjectBody<ServerInput>,
) -> ApiResult<Json<ServerJson>> {
    let row = super::server_for(&state, &caller, &path.serverid, &["createserver"]).await?;
    if let Some(id) = &input.serverid {
        if extract::server_id(id).ok() != Some(row.server_id) {
            return Err(ApiError::BadRequest("serverid cannot be changed"));
        }
    }
    if let Some(pk) = &input.serverpk {
        if extract::decode_base64(pk).as_deref() != Some(&row.public_key.0[..]) {
            return Err(ApiError::BadRequest("serverpk cannot be changed"));
        }
    }
    let mut settings = row.settings.clone();
    input.apply(&mut settings)?;
    let updated = servers::update(&state.db, &row.server_id, &settings, clock::now())
        .await
        .map_err(settings_error)?
        .ok_or(ApiError::NotFound("server"))?;
    // Every process forgets the row it kept for app hellos (crate::server_cache).
    state.notify(Change::Server(updated.server_id));
    Ok(Json(server_json(&state, &updated).await?))
}

/// Gives the server a new signing key endorsed by the current one (extension): apps follow at
/// their next handshake; nothing else can replace the key they trust.
async fn rotate_key(
    State(state): State<SharedState>,
    caller: Caller,
    ApiPath(path): ApiPath<ServerPath>,
) -> ApiResult<Json<ServerJson>> {
    let row = super::server_for(&state, &caller, &path.serverid, &["createserver"]).await?;
    let rotated = servers::rotate_key(
        &state.db,
        &state.master,
        &state.rng,
        &row.server_id,
        clock::now(),
    )
    .await?
    .ok_or(ApiError::Conflict("the key changed meanwhile; try again"))?;
    state.notify(Change::Server(rotated.server_id));
    tracing::info!(server = %rotated.server_id.to_base64(), "server key rotated");
    Ok(Json(server_json(&state, &rotated).await?))
}
