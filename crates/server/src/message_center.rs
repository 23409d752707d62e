//! The message center: seals a push message for one account, queues it for the live connection
//! and the app's pull, and hands it to the push sender (FCM, APNs) where one is configured.

use nextauth_protocol::ids::MessageId;
use nextauth_protocol::push::{self, PushBody};

use crate::push_senders::{self, Notice};
use crate::state::{Change, SharedState};
use crate::store::accounts::AccountRow;
use crate::store::servers::ServerRow;
use crate::store::{messages, StoreResult};

/// How long a push message stays valid.
pub const DEFAULT_TTL_SECS: u64 = 24 * 3600;
/// Push logins expire sooner: a login prompt hours later is confusing and risky.
pub const LOGIN_TTL_SECS: u64 = 300;

/// The queue's name for a message kind (what `Ack` handling looks at).
pub fn kind(body: &PushBody) -> &'static str {
    match body {
        PushBody::Login { .. } => "login",
        PushBody::Logout { .. } => "logout",
        PushBody::DeleteAccount => "delete_account",
        PushBody::Message { .. } => "message",
    }
}

/// Seals `body` for `account`, queues it and wakes the account's live connection.
pub async fn send(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    body: &PushBody,
    now: u64,
) -> StoreResult<MessageId> {
    let ttl = if matches!(body, PushBody::Login { .. }) {
        LOGIN_TTL_SECS
    } else {
        DEFAULT_TTL_SECS
    };
    let key = server.signing_key(&state.master, &state.rng)?;
    let push_key = account.push_key(&state.master)?;
    let (id, envelope) = push::seal(
        &state.rng,
        &key,
        server.server_id,
        &push_key,
        now,
        now + ttl,
        body,
    )?;
    messages::enqueue(
        &state.db,
        account.account_id,
        &id,
        &envelope,
        kind(body),
        now,
        now + ttl,
    )
    .await?;
    state.notify(Change::Messages(account.account_id));
    // Wake the app through its push service too, where it registered a token (background).
    let notice = Notice::for_body(&server.settings.profile.name, body);
    push_senders::dispatch(state, account.account_id, envelope, notice);
    Ok(id)
}
