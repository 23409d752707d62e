//! Virtual servers: their parameters and their sealed signing key.

use nextauth_protocol::crypto::{PublicKey, Signer, SigningKey};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{
    KeyRotation, SecondFactorPolicy, ServerParams, ServerProfile, SignedServerParams, MAX_ROTATIONS,
};
use ring::rand::SecureRandom;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{fixed, StoreError, StoreResult};
use crate::db::{flag, Db};
use crate::keys::{KeyError, MasterKey};

/// The settings of a server that an integrator may set (the REST API's `Server` model, less the
/// generated fields).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// What the app receives of them (name, logo, PIN and ping rules, flags).
    pub profile: ServerProfile,
    /// Owner role (integer, as the API has it).
    pub owner: i64,
    /// Name of the authenticator app shown in HTML blocks.
    pub appname: String,
    /// Deep-link prefix that opens the app.
    pub appurl: String,
    /// Android store URL.
    pub appandroid: String,
    /// iOS store URL.
    pub appios: String,
    /// The integrator's website.
    pub siteurl: String,
    /// The app endpoint (`ws://…/sigmai`).
    pub wsurl: String,
    /// Whether apps may log themselves in with AppLogin (off unless the integrator turns it
    /// on: an AppLogin session exists only once an account authenticated).
    pub app_login: bool,
    /// Which logins ask for the browser's number.
    pub number_matching: NumberMatching,
    /// How the app asks for it.
    pub number_input: NumberInput,
    /// Digits of the number (2 to 6).
    pub number_length: u8,
    /// Minutes push logins to an account are held back after its owner said "This was not
    /// me" (0: not at all).
    pub push_block_minutes: u32,
    /// Unanswered or denied push logins in a row after which further ones are held back until
    /// the owner logs in (0: never).
    pub push_hold_after: u8,
}

/// Which logins ask for the number the browser shows (docs/security.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberMatching {
    /// None.
    Off,
    /// Push logins and transactions (someone else may have started them).
    Push,
    /// Every login and transaction, scanned codes too.
    Always,
}

impl NumberMatching {
    /// The stored and REST text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "off",
            Self::Push => "push",
            Self::Always => "always",
        }
    }

    /// Parses the stored and REST text.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "off" => Self::Off,
            "push" => Self::Push,
            "always" => Self::Always,
            _ => return None,
        })
    }
}

/// How the app asks for the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberInput {
    /// The person types it (a guess rarely hits: push fatigue stops here).
    Type,
    /// The person picks it among three.
    Choose,
}

impl NumberInput {
    /// The stored and REST text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Type => "type",
            Self::Choose => "choose",
        }
    }

    /// Parses the stored and REST text.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "type" => Self::Type,
            "choose" => Self::Choose,
            _ => return None,
        })
    }
}

impl ServerSettings {
    /// Settings with sensible defaults for a new server at `wsurl`.
    pub fn new(name: &str, wsurl: &str) -> Self {
        Self {
            profile: ServerProfile {
                name: name.into(),
                logo: Vec::new(),
                pin_timeout: 5,
                pin_trans_timeout: 0,
                ping_time: 0,
                max_pin_attempts: 5,
                second_factor: SecondFactorPolicy::Pin,
                unique_display_names: true,
                flags: Vec::new(),
            },
            owner: 0,
            appname: "nextAuth".into(),
            appurl: String::new(),
            appandroid: String::new(),
            appios: String::new(),
            siteurl: String::new(),
            wsurl: wsurl.into(),
            app_login: false,
            number_matching: NumberMatching::Push,
            number_input: NumberInput::Type,
            number_length: 2,
            push_block_minutes: 60,
            push_hold_after: 3,
        }
    }
}

/// A stored server.
#[derive(Debug, Clone)]
pub struct ServerRow {
    /// Its id.
    pub server_id: ServerId,
    /// Its public key.
    pub public_key: PublicKey,
    /// Its settings.
    pub settings: ServerSettings,
    /// When the current parameters were issued.
    pub params_issued_at: u64,
    /// When it was created.
    pub created: u64,
    /// How the key got here: each earlier key's endorsement of the next, oldest first (sent
    /// with the parameters so apps that know an older key follow).
    pub rotations: Vec<KeyRotation>,
    key_sealed: Vec<u8>,
}

fn key_context(id: &ServerId) -> Vec<u8> {
    [b"server key ".as_slice(), &id.0].concat()
}

impl ServerRow {
    /// The parameters the app receives.
    pub fn params(&self) -> ServerParams {
        let s = &self.settings;
        ServerParams {
            server_id: self.server_id,
            issued_at: self.params_issued_at,
            public_key: self.public_key,
            profile: s.profile.clone(),
            endpoint: s.wsurl.clone(),
            site_url: s.siteurl.clone(),
            app_url: s.appurl.clone(),
        }
    }

    /// The server's signing key, unsealed.
    pub fn signing_key(
        &self,
        master: &MasterKey,
        rng: &dyn SecureRandom,
    ) -> Result<SigningKey, KeyError> {
        master.open_signing_key(&key_context(&self.server_id), &self.key_sealed, rng)
    }

    /// The hash of the server's parameters as an enrol code and the visual hash carry them
    /// (public data: no key is unsealed for it).
    pub fn params_hash(&self) -> StoreResult<[u8; 32]> {
        Ok(self.params().hash()?)
    }

    /// Signs the current parameters.
    pub fn signed_params(
        &self,
        key: &SigningKey,
        rng: &dyn SecureRandom,
    ) -> StoreResult<SignedServerParams> {
        Ok(self.params().sign(key, rng)?)
    }

    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        let flags: String = row.try_get("flags")?;
        let second_factor = match row.try_get::<i64, _>("second_factor")? {
            0 => SecondFactorPolicy::None,
            _ => SecondFactorPolicy::Pin,
        };
        let public_key: Vec<u8> = row.try_get("public_key")?;
        Ok(Self {
            server_id: ServerId(fixed(row.try_get("server_id")?, "servers")?),
            public_key: PublicKey::from_slice(&public_key)
                .map_err(|_| StoreError::Corrupt("servers"))?,
            settings: ServerSettings {
                profile: ServerProfile {
                    name: row.try_get("name")?,
                    logo: row.try_get("logo")?,
                    pin_timeout: to_i32(row.try_get("pin_timeout")?)?,
                    pin_trans_timeout: to_i32(row.try_get("pin_trans_timeout")?)?,
                    ping_time: u32::try_from(row.try_get::<i64, _>("ping_time")?)
                        .map_err(|_| StoreError::Corrupt("servers"))?,
                    max_pin_attempts: u8::try_from(row.try_get::<i64, _>("max_pin_attempts")?)
                        .map_err(|_| StoreError::Corrupt("servers"))?,
                    second_factor,
                    unique_display_names: flag(row.try_get("unique_display_names")?),
                    flags: serde_json::from_str(&flags)
                        .map_err(|_| StoreError::Corrupt("servers"))?,
                },
                owner: row.try_get("owner")?,
                appname: row.try_get("appname")?,
                appurl: row.try_get("appurl")?,
                appandroid: row.try_get("appandroid")?,
                appios: row.try_get("appios")?,
                siteurl: row.try_get("siteurl")?,
                wsurl: row.try_get("wsurl")?,
                app_login: flag(row.try_get("applogin")?),
                number_matching: NumberMatching::parse(
                    &row.try_get::<String, _>("number_matching")?,
                )
                .ok_or(StoreError::Corrupt("servers"))?,
                number_input: NumberInput::parse(&row.try_get::<String, _>("number_input")?)
                    .ok_or(StoreError::Corrupt("servers"))?,
                number_length: u8::try_from(row.try_get::<i64, _>("number_length")?)
                    .map_err(|_| StoreError::Corrupt("servers"))?,
                push_block_minutes: u32::try_from(row.try_get::<i64, _>("push_block_minutes")?)
                    .map_err(|_| StoreError::Corrupt("servers"))?,
                push_hold_after: u8::try_from(row.try_get::<i64, _>("push_hold_after")?)
                    .map_err(|_| StoreError::Corrupt("servers"))?,
            },
            params_issued_at: row.try_get::<i64, _>("params_issued_at")? as u64,
            created: row.try_get::<i64, _>("created")? as u64,
            rotations: KeyRotation::list_from_bytes(&row.try_get::<Vec<u8>, _>("key_rotations")?)
                .map_err(|_| StoreError::Corrupt("servers"))?,
            key_sealed: row.try_get("key_sealed")?,
        })
    }
}

#[cfg(test)]
impl ServerRow {
    /// A row with default settings and no key, for unit tests of what holds rows.
    pub(crate) fn for_tests(server_id: ServerId) -> Self {
        Self {
            server_id,
            public_key: PublicKey([4; nextauth_protocol::crypto::PUBLIC_KEY_LEN]),
            settings: ServerSettings::new("test", "ws://127.0.0.1/sigmai"),
            params_issued_at: 0,
            created: 0,
            rotations: Vec::new(),
            key_sealed: Vec::new(),
        }
    }
}

fn to_i32(v: i64) -> StoreResult<i32> {
    i32::try_from(v).map_err(|_| StoreError::Corrupt("servers"))
}

fn sorted_flags(flags: &[String]) -> Vec<String> {
    let mut out = flags.to_vec();
    out.sort();
    out.dedup();
    out
}

/// The columns of [`ServerSettings`], in the order [`bind_settings`] binds them.
const SETTINGS_COLUMNS: [&str; 22] = [
    "name",
    "logo",
    "pin_timeout",
    "pin_trans_timeout",
    "ping_time",
    "max_pin_attempts",
    "second_factor",
    "unique_display_names",
    "flags",
    "owner",
    "appname",
    "appurl",
    "appandroid",
    "appios",
    "siteurl",
    "wsurl",
    "applogin",
    "number_matching",
    "number_input",
    "number_length",
    "push_block_minutes",
    "push_hold_after",
];

type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

/// Binds the settings as the next parameters, one per [`SETTINGS_COLUMNS`] entry.
fn bind_settings<'q>(query: AnyQuery<'q>, s: &ServerSettings) -> AnyQuery<'q> {
    query
        .bind(s.profile.name.clone())
        .bind(s.profile.logo.clone())
        .bind(i64::from(s.profile.pin_timeout))
        .bind(i64::from(s.profile.pin_trans_timeout))
        .bind(i64::from(s.profile.ping_time))
        .bind(i64::from(s.profile.max_pin_attempts))
        .bind(i64::from(
            s.profile.second_factor == SecondFactorPolicy::Pin,
        ))
        .bind(i64::from(s.profile.unique_display_names))
        .bind(serde_json::to_string(&s.profile.flags).unwrap_or_else(|_| "[]".into()))
        .bind(s.owner)
        .bind(s.appname.clone())
        .bind(s.appurl.clone())
        .bind(s.appandroid.clone())
        .bind(s.appios.clone())
        .bind(s.siteurl.clone())
        .bind(s.wsurl.clone())
        .bind(i64::from(s.app_login))
        .bind(s.number_matching.as_str())
        .bind(s.number_input.as_str())
        .bind(i64::from(s.number_length))
        .bind(i64::from(s.push_block_minutes))
        .bind(i64::from(s.push_hold_after))
}

/// Creates a server with a new id and signing key.
pub async fn create(
    db: &Db,
    master: &MasterKey,
    rng: &(dyn SecureRandom + Sync),
    mut settings: ServerSettings,
    now: u64,
) -> StoreResult<ServerRow> {
    let server_id = ServerId(nextauth_protocol::crypto::random_array(rng)?);
    let (key, pkcs8) = SigningKey::generate(rng)?;
    let key_sealed = master.seal(rng, &key_context(&server_id), &pkcs8)?;
    settings.profile.flags = sorted_flags(&settings.profile.flags);
    let row = ServerRow {
        server_id,
        public_key: key.public_key(),
        settings,
        params_issued_at: now,
        created: now,
        rotations: Vec::new(),
        key_sealed,
    };
    // Refuse settings the protocol cannot carry before they are stored.
    row.params().encode()?;
    let n = SETTINGS_COLUMNS.len();
    let sql =
        format!(
        "INSERT INTO servers ({}, server_id, key_sealed, public_key, params_issued_at, created) \
         VALUES ({})",
        SETTINGS_COLUMNS.join(", "),
        (1..=n + 5).map(|i| format!("${i}")).collect::<Vec<_>>().join(", "),
    );
    bind_settings(sqlx::query(&sql), &row.settings)
        .bind(row.server_id.0.to_vec())
        .bind(row.key_sealed.clone())
        .bind(row.public_key.0.to_vec())
        .bind(now as i64)
        .bind(now as i64)
        .execute(&db.pool)
        .await?;
    Ok(row)
}

/// Replaces a server's settings; the parameters get a new `issued_at` (never going back).
pub async fn update(
    db: &Db,
    server_id: &ServerId,
    settings: &ServerSettings,
    now: u64,
) -> StoreResult<Option<ServerRow>> {
    let Some(mut row) = get(db, server_id).await? else {
        return Ok(None);
    };
    row.settings = settings.clone();
    row.settings.profile.flags = sorted_flags(&settings.profile.flags);
    row.params_issued_at = now.max(row.params_issued_at + 1);
    row.params().encode()?;
    let n = SETTINGS_COLUMNS.len();
    let sql = format!(
        "UPDATE servers SET {}, params_issued_at = ${} WHERE server_id = ${}",
        SETTINGS_COLUMNS
            .iter()
            .zip(1..)
            .map(|(column, i)| format!("{column} = ${i}"))
            .collect::<Vec<_>>()
            .join(", "),
        n + 1,
        n + 2,
    );
    bind_settings(sqlx::query(&sql), &row.settings)
        .bind(row.params_issued_at as i64)
        .bind(server_id.0.to_vec())
        .execute(&db.pool)
        .await?;
    Ok(Some(row))
}

/// Gives the server a new signing key, endorsed by the current one (docs/protocol.md, 5.4).
/// Apps that know any earlier key follow at their next handshake; parameters get a new
/// `issued_at`. The oldest endorsements are dropped beyond [`MAX_ROTATIONS`].
pub async fn rotate_key(
    db: &Db,
    master: &MasterKey,
    rng: &(dyn SecureRandom + Sync),
    server_id: &ServerId,
    now: u64,
) -> StoreResult<Option<ServerRow>> {
    let Some(mut row) = get(db, server_id).await? else {
        return Ok(None);
    };
    let old = row.signing_key(master, rng)?;
    let (new, pkcs8) = SigningKey::generate(rng)?;
    let at = now.max(row.params_issued_at + 1);
    row.rotations.push(KeyRotation::sign(
        server_id,
        &old,
        new.public_key(),
        at,
        rng,
    )?);
    if row.rotations.len() > MAX_ROTATIONS {
        row.rotations.remove(0);
    }
    row.key_sealed = master.seal(rng, &key_context(server_id), &pkcs8)?;
    row.public_key = new.public_key();
    row.params_issued_at = at;
    // Only if nobody rotated meanwhile (the old key is still the current one).
    let done = sqlx::query(
        "UPDATE servers SET key_sealed = $1, public_key = $2, key_rotations = $3, params_issued_at = $4          WHERE server_id = $5 AND public_key = $6",
    )
    .bind(row.key_sealed.clone())
    .bind(row.public_key.0.to_vec())
    .bind(KeyRotation::list_to_bytes(&row.rotations)?)
    .bind(at as i64)
    .bind(server_id.0.to_vec())
    .bind(old.public_key().0.to_vec())
    .execute(&db.pool)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(None);
    }
    Ok(Some(row))
}

/// One server.
pub async fn get(db: &Db, server_id: &ServerId) -> StoreResult<Option<ServerRow>> {
    let row = sqlx::query("SELECT * FROM servers WHERE server_id = $1")
        .bind(server_id.0.to_vec())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(ServerRow::from_row).transpose()
}

/// One server with its row version (PostgreSQL's `xmin`, which every write to the row
/// changes), read in one statement: the version the server row cache checks
/// ([`crate::server_cache`]). PostgreSQL only.
pub async fn get_versioned(
    db: &Db,
    server_id: &ServerId,
) -> StoreResult<Option<(ServerRow, String)>> {
    let row = sqlx::query(&format!(
        "SELECT *, {VERSION} AS row_version FROM servers WHERE server_id = $1"
    ))
    .bind(server_id.0.to_vec())
    .fetch_optional(&db.pool)
    .await?;
    row.as_ref()
        .map(|r| Ok((ServerRow::from_row(r)?, r.try_get("row_version")?)))
        .transpose()
}

/// A server row's version as SQL (PostgreSQL): `xmin`, the transaction that wrote this version
/// of the row, as text. Any update (or a delete and insert) gives the row a new one.
pub const VERSION: &str = "xmin::text";

/// Every server, oldest first.
pub async fn list(db: &Db) -> StoreResult<Vec<ServerRow>> {
    let rows = sqlx::query("SELECT * FROM servers ORDER BY created, server_id")
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(ServerRow::from_row).collect()
}
