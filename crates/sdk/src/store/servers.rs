//! Servers the app has accounts on, with their signed parameters.

use nextauth_protocol::codec::{Reader, Writer};
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{ServerParams, SignedServerParams};
use sqlx::sqlite::SqliteConnection;
use sqlx::Row;

use super::Store;
use crate::error::{SdkError, SdkResult};

/// A server as stored: the parameters exactly as signed, and their decoding.
#[derive(Debug, Clone)]
pub struct StoredServer {
    /// The signed parameters.
    pub signed: SignedServerParams,
    /// Decoded.
    pub params: ServerParams,
}

/// Stores (or refreshes) a server's parameters on `conn` (inside a caller's transaction).
pub(super) async fn upsert(
    conn: &mut SqliteConnection,
    signed: &SignedServerParams,
    params: &ServerParams,
    now: u64,
) -> SdkResult<()> {
    let mut w = Writer::new();
    signed.encode(&mut w)?;
    // The stored key follows the parameters: they were verified against the key on record
    // (or one it endorsed through a rotation) before they got here.
    sqlx::query(
        "INSERT INTO servers (server_id, signed_params, public_key, issued_at, updated) VALUES (?1, ?2, ?3, ?4, ?5) \
         ON CONFLICT (server_id) DO UPDATE SET signed_params = ?2, public_key = ?3, issued_at = ?4, updated = ?5",
    )
    .bind(params.server_id.0.to_vec())
    .bind(w.into_bytes())
    .bind(params.public_key.0.to_vec())
    .bind(params.issued_at as i64)
    .bind(now as i64)
    .execute(conn)
    .await?;
    Ok(())
}

impl Store {
    /// Stores (or refreshes) a server's verified parameters.
    pub async fn save_server(
        &self,
        signed: &SignedServerParams,
        params: &ServerParams,
        now: u64,
    ) -> SdkResult<()> {
        self.fault("save_server")?;
        let mut conn = self.pool.acquire().await?;
        upsert(&mut conn, signed, params, now).await
    }

    /// A stored server.
    pub async fn server(&self, server_id: &ServerId) -> SdkResult<Option<StoredServer>> {
        let row = sqlx::query("SELECT signed_params FROM servers WHERE server_id = ?1")
            .bind(server_id.0.to_vec())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let bytes: Vec<u8> = row.try_get("signed_params")?;
        let mut r = Reader::new(&bytes);
        let signed =
            SignedServerParams::decode(&mut r).map_err(|_| SdkError::CorruptRow("server"))?;
        let params =
            ServerParams::decode(&signed.bytes).map_err(|_| SdkError::CorruptRow("server"))?;
        if &params.server_id != server_id {
            return Err(SdkError::CorruptRow("server"));
        }
        Ok(Some(StoredServer { signed, params }))
    }

    /// Removes a server no account refers to any more.
    pub async fn forget_server_if_unused(&self, server_id: &ServerId) -> SdkResult<()> {
        self.fault("forget_server_if_unused")?;
        sqlx::query("DELETE FROM servers WHERE server_id = ?1 AND NOT EXISTS (SELECT 1 FROM accounts WHERE server_id = ?1)")
            .bind(server_id.0.to_vec())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
