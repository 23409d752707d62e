//! Domain operations behind the account and user endpoints that touch several tables and
//! tell the app and the browsers.

use nextauth_protocol::ids::ServerId;
use nextauth_protocol::push::PushBody;

use crate::state::{Change, SharedState};
use crate::store::accounts::{self, AccountRow};
use crate::store::servers::ServerRow;
use crate::store::sessions;
use crate::store::{messages, StoreResult};

/// Logs out every session `account_id` is logged into (the account was blocked or deleted);
/// browsers and continuous app sessions see it.
pub(crate) async fn end_sessions_of(
    state: &SharedState,
    server: &ServerId,
    account_id: i64,
    now: u64,
) -> StoreResult<()> {
    for session in sessions::logged_in_with(&state.db, server, account_id).await? {
        if sessions::log_out(&state.db, server, &session, Some(account_id), now).await? {
            state.notify(Change::Session(*server, session));
        }
    }
    Ok(())
}

/// Deletes an account from the server's point of view: pending messages are dropped, the
/// account is marked deleted (it can no longer log in), the app is sent `DeleteAccount` to
/// learn it, and its sessions end. Returns false if it was already deleted.
pub(crate) async fn delete_account(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    now: u64,
) -> StoreResult<bool> {
    messages::delete_for_account(&state.db, account.account_id).await?;
    if !accounts::mark_deleted(&state.db, &server.server_id, account.account_id).await? {
        return Ok(false);
    }
    crate::message_center::send(state, server, account, &PushBody::DeleteAccount, now).await?;
    end_sessions_of(state, &server.server_id, account.account_id, now).await?;
    tracing::info!(
        account_id = account.account_id,
        "account deleted through the API"
    );
    Ok(true)
}

/// Deletes every live account of a user; returns how many.
pub(crate) async fn delete_accounts_of(
    state: &SharedState,
    server: &ServerRow,
    userid: &str,
    now: u64,
) -> StoreResult<usize> {
    let mut count = 0;
    for account in accounts::of_user(&state.db, &server.server_id, userid).await? {
        if delete_account(state, server, &account, now).await? {
            count += 1;
        }
    }
    Ok(count)
}
