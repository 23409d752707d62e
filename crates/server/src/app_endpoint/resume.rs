//! RESUME (docs/protocol.md 10.8): an app whose continuous session lost its connection (the
//! process holding it went away, or the network broke) takes the session up again on a new
//! connection, to any process, and the pings go on as after the login.

use nextauth_protocol::ids::SessionRef;
use nextauth_protocol::messages::ServerRecord;

use super::connect::{after_login, still_logged_in};
use super::flows::Exchange;
use super::{codes, Conn, EndpointResult};
use crate::store::ping_deadlines;

/// Accepts the resume when the session (followed to the reference the website moved it to)
/// is logged in now with the account that signed, on a server with continuous sessions;
/// anything else is refused with 111 and changes nothing. The session's deadline moves on
/// before Accepted, so the process that lost it cannot log it out for a missed ping.
pub async fn resume(
    mut ex: Exchange<'_>,
    conn: &mut Conn,
    session_ref: SessionRef,
) -> EndpointResult<()> {
    if ex.state.lifecycle.draining() {
        // A resume that reached a draining process before the balancer took it out: the app
        // tries again, elsewhere, as after the drain's own 1001.
        conn.go_away().await;
        return Ok(());
    }
    let account = ex.usable_account(conn).await?;
    let (state, server) = (ex.state, ex.server);
    let ping_time = server.settings.profile.ping_time;
    let mut current = session_ref;
    let continuous =
        ping_time > 0 && still_logged_in(state, server, &mut current, account.account_id).await?;
    let at = ping_deadlines::after(crate::clock::now(), ping_time);
    let (db, id) = (&state.db, &server.server_id);
    if !continuous
        || ping_deadlines::extend(db, id, &current, account.account_id, at)
            .await?
            .is_none()
    {
        tracing::info!("resume refused: no continuous login of this account there");
        return Err(conn.refuse(ex.session, codes::SESSION_UNKNOWN).await);
    }
    conn.send_record(ex.session, &ServerRecord::Accepted)
        .await?;
    tracing::info!(
        account_id = account.account_id,
        "continuous session resumed"
    );
    after_login(state, server, conn, ex.session, current, account.account_id).await
}
