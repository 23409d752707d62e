//! What is not settled yet: enrolments waiting for the server's answer, and logins or
//! approvals whose outcome the app did not learn. Both are resolved with the server
//! ([`crate::reconcile`]), so nothing ends on one side only.

use nextauth_protocol::codec::{Reader, Writer};
use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::ids::ServerId;
use nextauth_protocol::params::{ServerParams, SignedServerParams};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::{fixed, AccountRecord, FromRow, HistoryRecord, Store};
use crate::error::{SdkError, SdkResult};

/// An enrolment stored before its final message was sent.
#[derive(Debug, Clone)]
pub struct PendingEnrol {
    /// The account as it will be stored.
    pub account: AccountRecord,
    /// The server's parameters as the enrolment verified them.
    pub signed: SignedServerParams,
    /// Decoded.
    pub params: ServerParams,
}

impl FromRow for PendingEnrol {
    fn from_row(row: &SqliteRow) -> SdkResult<Self> {
        let corrupt = || SdkError::CorruptRow("pending enrolment");
        let bytes: Vec<u8> = row.try_get("signed_params")?;
        let signed = SignedServerParams::decode(&mut Reader::new(&bytes)).map_err(|_| corrupt())?;
        let params = ServerParams::decode(&signed.bytes).map_err(|_| corrupt())?;
        let pk: Vec<u8> = row.try_get("public_key")?;
        let account = AccountRecord {
            id: row.try_get("account_id")?,
            server_id: ServerId(fixed(row.try_get("server_id")?, "pending enrolment")?),
            display_name: row.try_get("display_name")?,
            public_key: PublicKey::from_slice(&pk).map_err(|_| corrupt())?,
            key_sealed: row.try_get("key_sealed")?,
            push_key_sealed: row.try_get("push_key_sealed")?,
            push_key_id: fixed(row.try_get("push_key_id")?, "pending enrolment")?,
            has_pin: row.try_get::<i64, _>("has_pin")? != 0,
            created: row.try_get::<i64, _>("created")? as u64,
            last_login: Some(row.try_get::<i64, _>("created")? as u64),
            pending_delete: false,
        };
        if params.server_id != account.server_id {
            return Err(corrupt());
        }
        Ok(Self {
            account,
            signed,
            params,
        })
    }
}

/// A login or approval whose outcome is not known yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnresolvedOutcome {
    /// The history entry to correct.
    pub entry_id: i64,
    /// The account that answered.
    pub account_id: String,
    /// The session ref (login) or transaction ref (approval).
    pub reference: [u8; 16],
    /// `LOGIN` or `SIGN_TRANSACTION`.
    pub kind: crate::model::HistoryKind,
}

impl Store {
    /// Stores an enrolment before its final message goes out.
    pub async fn insert_pending_enrol(&self, p: &PendingEnrol) -> SdkResult<()> {
        self.fault("insert_pending_enrol")?;
        let mut w = Writer::new();
        p.signed.encode(&mut w)?;
        let a = &p.account;
        let sql = format!(
            "INSERT INTO pending_enrols ({}, signed_params) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            super::accounts::ACCOUNT_COLUMNS
        );
        super::accounts::bind_account(sqlx::query(&sql), a)
            .bind(w.into_bytes())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every enrolment not settled yet.
    pub async fn pending_enrols(&self) -> SdkResult<Vec<PendingEnrol>> {
        self.all("SELECT * FROM pending_enrols ORDER BY created, account_id")
            .await
    }

    /// The server accepted the enrolment: its parameters, the account and (with `history`)
    /// the history entry are stored, and the pending row goes, all in one transaction.
    /// Returns the stored account, or `None` when no such enrolment is pending.
    pub async fn activate_enrol(
        &self,
        account_id: &str,
        history: Option<&HistoryRecord>,
        now: u64,
    ) -> SdkResult<Option<AccountRecord>> {
        self.fault("activate_enrol")?;
        let mut tx = self.pool.begin().await?;
        let row = sqlx::query("SELECT * FROM pending_enrols WHERE account_id = ?1")
            .bind(account_id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(pending) = row.as_ref().map(PendingEnrol::from_row).transpose()? else {
            return Ok(None);
        };
        super::servers::upsert(&mut tx, &pending.signed, &pending.params, now).await?;
        super::accounts::insert(&mut tx, &pending.account).await?;
        sqlx::query("DELETE FROM pending_enrols WHERE account_id = ?1")
            .bind(account_id)
            .execute(&mut *tx)
            .await?;
        if let Some(draft) = history {
            super::history::insert(&mut tx, draft).await?;
        }
        tx.commit().await?;
        Ok(Some(pending.account))
    }

    /// Drops an enrolment the server refused (or does not know).
    pub async fn discard_pending_enrol(&self, account_id: &str) -> SdkResult<()> {
        self.fault("discard_pending_enrol")?;
        sqlx::query("DELETE FROM pending_enrols WHERE account_id = ?1")
            .bind(account_id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Writes a history entry whose outcome is not known yet, and remembers to ask.
    pub async fn add_unresolved(
        &self,
        draft: &HistoryRecord,
        account_id: &str,
        reference: &[u8; 16],
    ) -> SdkResult<()> {
        self.fault("add_unresolved")?;
        let mut tx = self.pool.begin().await?;
        let entry_id = super::history::insert(&mut tx, draft).await?;
        sqlx::query(
            "INSERT INTO unresolved_outcomes (entry_id, account_id, reference, kind) VALUES (?1, ?2, ?3, ?4)",
        )
        .bind(entry_id)
        .bind(account_id)
        .bind(reference.to_vec())
        .bind(draft.kind.as_str())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Whether an enrolment or an outcome waits to be settled with a server (one cheap query;
    /// pending deletions are retried by live delivery's own connections).
    pub async fn has_unsettled(&self) -> SdkResult<bool> {
        let row = sqlx::query(
            "SELECT EXISTS (SELECT 1 FROM pending_enrols) OR EXISTS (SELECT 1 FROM unresolved_outcomes) AS any",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<bool, _>("any")?)
    }

    /// Every outcome still to ask about.
    pub async fn unresolved_outcomes(&self) -> SdkResult<Vec<UnresolvedOutcome>> {
        let rows = sqlx::query("SELECT * FROM unresolved_outcomes ORDER BY entry_id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(UnresolvedOutcome {
                    entry_id: row.try_get("entry_id")?,
                    account_id: row.try_get("account_id")?,
                    reference: fixed(row.try_get("reference")?, "unresolved outcome")?,
                    kind: crate::model::HistoryKind::from_name(&row.try_get::<String, _>("kind")?)
                        .ok_or(SdkError::CorruptRow("unresolved outcome"))?,
                })
            })
            .collect()
    }

    /// The server answered: the history entry gets its real status, and is settled.
    pub async fn resolve_outcome(
        &self,
        entry_id: i64,
        status: crate::model::HistoryStatus,
        detail: &str,
    ) -> SdkResult<()> {
        self.fault("resolve_outcome")?;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "UPDATE history SET status = ?1, detail = ?2, error_code = NULL WHERE entry_id = ?3",
        )
        .bind(super::history::status_text(status))
        .bind(detail)
        .bind(entry_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM unresolved_outcomes WHERE entry_id = ?1")
            .bind(entry_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
