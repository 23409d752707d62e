//! "This was not me" reports (and wrong numbers chosen): what the integrator reviews.

use nextauth_protocol::ids::ServerId;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::StoreResult;
use crate::db::Db;

/// One report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FraudReport {
    /// Its id.
    #[serde(rename = "id")]
    pub report_id: i64,
    /// The account whose owner reported (or chose a wrong number).
    #[serde(rename = "accountid")]
    pub account_id: i64,
    /// Its user, if registered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userid: Option<String>,
    /// `login`, `transaction` or `number` (a number the browser did not show was chosen).
    pub kind: String,
    /// The session or transaction ref (base64url).
    pub reference: String,
    /// The browser's address as the server saw it (`""`: not seen).
    pub ip: String,
    /// Its user agent in words (`""`: not seen).
    pub browser: String,
    /// When (Unix seconds).
    pub created: u64,
}

impl FraudReport {
    fn from_row(row: &AnyRow) -> StoreResult<Self> {
        let reference: Vec<u8> = row.try_get("reference")?;
        Ok(Self {
            report_id: row.try_get("report_id")?,
            account_id: row.try_get("account_id")?,
            userid: row.try_get("userid")?,
            kind: row.try_get("kind")?,
            reference: base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                &reference,
            ),
            ip: row.try_get("ip")?,
            browser: row.try_get("browser")?,
            created: row.try_get::<i64, _>("created")? as u64,
        })
    }
}

/// What a new report holds.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    /// Server.
    pub server_id: ServerId,
    /// Account.
    pub account_id: i64,
    /// Its user.
    pub userid: Option<&'a str>,
    /// `login`, `transaction` or `number`.
    pub kind: &'static str,
    /// Session or transaction ref.
    pub reference: [u8; 16],
    /// Observed browser address.
    pub ip: &'a str,
    /// Observed browser in words.
    pub browser: &'a str,
}

/// Stores a report; returns it as listed.
pub async fn insert(db: &Db, r: &NewReport<'_>, now: u64) -> StoreResult<FraudReport> {
    let row = sqlx::query(
        "INSERT INTO fraud_reports (server_id, account_id, userid, kind, reference, ip, browser, created) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
    )
    .bind(r.server_id.0.to_vec())
    .bind(r.account_id)
    .bind(r.userid.map(str::to_owned))
    .bind(r.kind)
    .bind(r.reference.to_vec())
    .bind(r.ip.to_owned())
    .bind(r.browser.to_owned())
    .bind(now as i64)
    .fetch_one(&db.pool)
    .await?;
    FraudReport::from_row(&row)
}

/// A server's reports, newest first, at most `limit` older than `before` (an id) if given.
pub async fn list(
    db: &Db,
    server: &ServerId,
    before: Option<i64>,
    limit: i64,
) -> StoreResult<Vec<FraudReport>> {
    let rows = sqlx::query(
        "SELECT * FROM fraud_reports WHERE server_id = $1 AND report_id < $2 \
         ORDER BY report_id DESC LIMIT $3",
    )
    .bind(server.0.to_vec())
    .bind(before.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(FraudReport::from_row).collect()
}
