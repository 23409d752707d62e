//! Enrolment, login and transaction after the handshake, and the PIN check they share.

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::handshake::Session;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::messages::ServerRecord;
use nextauth_protocol::params::SecondFactorPolicy;
use nextauth_protocol::qr::EnrolSecret;

use super::pin::{self, Verdict};
use super::{checks, codes, connect, unscan, Asked, Conn, EndpointResult};
use crate::clock;
use crate::state::{Change, SharedState};
use crate::store::accounts::{self, AccountRow, NewAccount};
use crate::store::servers::ServerRow;
use crate::store::sessions::{self, SessionEvent};
use crate::store::transactions::{self, TransactionRow, TransactionStatus};
use crate::store::users;
use crate::store::{enrol_codes, logins, ping_deadlines};

/// Everything an exchange works with after the handshake.
pub struct Exchange<'a> {
    pub state: &'a SharedState,
    pub server: &'a ServerRow,
    pub account_key: PublicKey,
    pub session: &'a mut Session,
    /// The browser session the hello moved to `scanned`, until something moves it back.
    pub scanned: &'a mut Option<(ServerId, SessionRef)>,
}

impl Exchange<'_> {
    /// The account the app authenticated as, refusing unknown, deleted and blocked ones.
    pub(super) async fn usable_account(&mut self, conn: &mut Conn) -> EndpointResult<AccountRow> {
        let key = &self.account_key;
        let account = accounts::by_key(&self.state.db, &self.server.server_id, key).await?;
        self.usable(conn, account).await
    }

    /// `account` (the one with the app's key, if any) when it is usable; else refused.
    async fn usable(
        &mut self,
        conn: &mut Conn,
        account: Option<AccountRow>,
    ) -> EndpointResult<AccountRow> {
        match account {
            Some(a) if a.deleted => Err(conn.refuse(self.session, codes::AUTH_FAILED).await),
            Some(a) if a.blocked => Err(conn.refuse(self.session, codes::ACCOUNT_BLOCKED).await),
            Some(a) => Ok(a),
            None => Err(conn.refuse(self.session, codes::AUTH_FAILED).await),
        }
    }

    /// The usable account, when the transaction is its own (else refused as unknown).
    async fn owner_of(
        &mut self,
        conn: &mut Conn,
        tx: &TransactionRow,
    ) -> EndpointResult<AccountRow> {
        let account = self.usable_account(conn).await?;
        if account.account_id != tx.account_id {
            return Err(conn.refuse(self.session, codes::TRANSACTION_UNKNOWN).await);
        }
        Ok(account)
    }
}

/// Whether a PIN entry is due given the timeout in minutes (-1 never, 0 always): the rule that
/// [`pin_due_if_entered_by`] states as a bound (their test holds them together).
#[cfg(test)]
fn pin_due(timeout_minutes: i32, last_pin_at: u64, now: u64) -> bool {
    match timeout_minutes {
        t if t < 0 => false,
        0 => true,
        t => now >= last_pin_at.saturating_add(u64::from(t.unsigned_abs()) * 60),
    }
}

/// The latest PIN entry time (Unix s) that is due again now, given the timeout in minutes (-1
/// never, 0 always): the bound the login's statement compares `last_pin_at` with.
fn pin_due_if_entered_by(timeout_minutes: i32, now: u64) -> i64 {
    let now = i64::try_from(now).unwrap_or(i64::MAX);
    match timeout_minutes {
        t if t < 0 => i64::MIN,
        0 => i64::MAX,
        t => now.saturating_sub(i64::from(t) * 60),
    }
}

/// This server's second-factor rule, with the login's or the transaction's PIN timeout in
/// minutes, at `now`.
fn second_factor_rule(
    server: &ServerRow,
    timeout_minutes: i32,
    now: u64,
) -> logins::SecondFactorRule {
    logins::SecondFactorRule {
        pin_required: server.settings.profile.second_factor == SecondFactorPolicy::Pin,
        pin_due_if_entered_by: pin_due_if_entered_by(timeout_minutes, now),
    }
}

/// The second factor of a login or an approval: an account enrolled before the server
/// required a PIN gets one first (HEADLESS_UPGRADE); otherwise the PIN is asked when due
/// (`due`: the login's or the transaction's PIN timeout in minutes, and the time now), and
/// always after the integrator reset it (the app sets it again).
async fn second_factor(
    state: &SharedState,
    server: &ServerRow,
    account: &AccountRow,
    (timeout_minutes, now): (i32, u64),
    conn: &mut Conn,
    session: &mut Session,
) -> EndpointResult<Verdict> {
    let rule = second_factor_rule(server, timeout_minutes, now);
    if rule.sets_pin(account) {
        return pin::upgrade(state, account, conn, session).await;
    }
    if rule.enters_pin(account) {
        return pin::ask(state, server, account, conn, session).await;
    }
    Ok(Verdict::Right)
}

/// Creates the account the enrol code allows and logs it into the code's session.
pub async fn enrol(
    ex: Exchange<'_>,
    conn: &mut Conn,
    session_ref: SessionRef,
    secret: EnrolSecret,
    device_name: String,
    pin_verifier: Option<[u8; 32]>,
) -> EndpointResult<()> {
    let (state, server, account_key, session) = (ex.state, ex.server, ex.account_key, ex.session);
    let scanned = ex.scanned;
    let now = clock::now();
    if server.settings.profile.second_factor == SecondFactorPolicy::Pin && pin_verifier.is_none() {
        return Err(conn.refuse(session, codes::PIN_REQUIRED).await);
    }
    if accounts::by_key(&state.db, &server.server_id, &account_key)
        .await?
        .is_some()
    {
        return Err(conn.refuse(session, codes::AUTH_FAILED).await);
    }
    let Some(grant) =
        enrol_codes::consume(&state.db, &server.server_id, &session_ref, &secret, now).await?
    else {
        return Err(conn.refuse(session, codes::ENROL_EXPIRED).await);
    };
    if let Some(userid) = &grant.userid {
        users::ensure(&state.db, &server.server_id, userid, now).await?;
    }
    let new = NewAccount {
        server_id: server.server_id,
        public_key: account_key,
        userid: grant.userid.clone(),
        display_name: grant.display_name,
        description: device_name,
        push_key: session.push_key(),
        pin_verifier: pin_verifier.as_ref(),
    };
    let account_id = accounts::create(&state.db, &state.master, &state.rng, new, now).await?;
    let userid = grant.userid.as_deref();
    if !log_in(state, server, &session_ref, scanned, account_id, userid, "").await? {
        // The session moved on meanwhile (logged in or out elsewhere): no account without
        // its login.
        accounts::delete(&state.db, &server.server_id, account_id).await?;
        return Err(conn.refuse(session, codes::SESSION_UNKNOWN).await);
    }
    tracing::info!(account_id, "account enrolled");
    conn.send_record(session, &ServerRecord::Accepted).await?;
    connect::after_login(state, server, conn, session, session_ref, account_id).await
}

/// What the app answered to a login.
#[derive(Debug)]
pub struct LoginAnswer {
    /// What the person typed, when the website asked.
    pub user_input: String,
    /// The browser's number, as the person gave it (`""`: none).
    pub number: String,
    /// The app logs itself in (AppLogin).
    pub app_login: bool,
}

/// Logs the account into the session, with the number when asked and the PIN when it is due.
pub async fn login(
    mut ex: Exchange<'_>,
    conn: &mut Conn,
    session_ref: SessionRef,
    answer: LoginAnswer,
    asked: Asked,
) -> EndpointResult<()> {
    // The common login (the right number or none asked, no PIN to enter or set) is written by
    // the statement that reads the account; any other is checked first (`log_in_checked`).
    let number_right = checks::number_matches(asked.number.as_deref(), &answer.number);
    let (account, logged_in) = if number_right && !answer.app_login {
        let timeout = ex.server.settings.profile.pin_timeout;
        let rule = second_factor_rule(ex.server, timeout, clock::now());
        let (account, logged_in) =
            log_in_by_key(&mut ex, &session_ref, rule, &answer.user_input).await?;
        (ex.usable(conn, account).await?, logged_in)
    } else {
        (ex.usable_account(conn).await?, false)
    };
    if !logged_in && !log_in_checked(&mut ex, conn, &account, session_ref, &answer, &asked).await? {
        return Ok(());
    }
    let (state, server, session) = (ex.state, ex.server, ex.session);
    // The login's statement used up the number (the next login gets a new one) and welcomed
    // pushes again (store/logins.rs).
    conn.send_record(session, &ServerRecord::Accepted).await?;
    connect::after_login(
        state,
        server,
        conn,
        session,
        session_ref,
        account.account_id,
    )
    .await
}

/// A login that the account's lookup did not write (a wrong number, a PIN to enter or set, the
/// app's own login, or a session that moved on): checked, then written. Returns whether it
/// was; `false` when the PIN is blocked (the app was told).
async fn log_in_checked(
    ex: &mut Exchange<'_>,
    conn: &mut Conn,
    account: &AccountRow,
    session_ref: SessionRef,
    answer: &LoginAnswer,
    asked: &Asked,
) -> EndpointResult<bool> {
    let (state, server) = (ex.state, ex.server);
    if !checks::number_matches(asked.number.as_deref(), &answer.number) {
        // Denied, reported, and counted like a denied push; the browser gets a new number so
        // that guessing starts over.
        checks::report(
            state,
            &server.server_id,
            account,
            "number",
            session_ref.0,
            &asked.observed,
        )
        .await?;
        accounts::push_denied(&state.db, account.account_id).await?;
        let fresh = crate::login_checks::number::new_number_other_than(
            &state.rng,
            server.settings.number_length,
            asked.number.as_deref(),
        )?;
        sessions::set_match_number(&state.db, &server.server_id, &session_ref, Some(&fresh))
            .await?;
        unscan(state, ex.scanned, SessionEvent::Cancel).await?;
        return Err(conn.refuse(ex.session, codes::WRONG_NUMBER).await);
    }
    let now = clock::now();
    let due = (server.settings.profile.pin_timeout, now);
    if second_factor(state, server, account, due, conn, ex.session).await? == Verdict::Blocked {
        return Ok(false);
    }
    if answer.app_login {
        // The app's own session exists from the moment an account authenticated to it.
        sessions::ensure(&state.db, &server.server_id, &session_ref, now).await?;
        sessions::mark_app_login(&state.db, &server.server_id, &session_ref).await?;
    }
    let userid = account.userid.as_deref();
    let (id, input) = (account.account_id, answer.user_input.as_str());
    if !log_in(state, server, &session_ref, ex.scanned, id, userid, input).await? {
        return Err(conn.refuse(ex.session, codes::SESSION_UNKNOWN).await);
    }
    Ok(true)
}

/// "This was not me" on a login: the session goes back to waiting, a fraud report is
/// recorded and sent, and push logins to the account pause.
pub async fn not_me_login(
    mut ex: Exchange<'_>,
    conn: &mut Conn,
    session_ref: SessionRef,
    asked: Asked,
) -> EndpointResult<()> {
    let account = ex.usable_account(conn).await?;
    let (state, server, session, scanned) = (ex.state, ex.server, ex.session, ex.scanned);
    unscan(state, scanned, SessionEvent::Cancel).await?;
    checks::not_me(
        state,
        server,
        &account,
        &session_ref,
        &asked.observed,
        "login",
    )
    .await?;
    conn.send_record(session, &ServerRecord::Accepted).await?;
    Ok(())
}

/// "This was not me" on a transaction: declined, reported, and push logins pause.
pub async fn not_me_transaction(
    mut ex: Exchange<'_>,
    conn: &mut Conn,
    tx: TransactionRow,
    asked: Asked,
    evidence: Vec<u8>,
) -> EndpointResult<()> {
    let account = ex.owner_of(conn, &tx).await?;
    let (state, server, session) = (ex.state, ex.server, ex.session);
    let declined = TransactionStatus::Declined;
    if !transactions::settle(&state.db, &tx.tid, declined, &evidence, clock::now()).await? {
        return Err(conn.refuse(session, codes::TRANSACTION_UNKNOWN).await);
    }
    let reference = SessionRef(tx.tid.0);
    checks::not_me(
        state,
        server,
        &account,
        &reference,
        &asked.observed,
        "transaction",
    )
    .await?;
    conn.send_record(session, &ServerRecord::Accepted).await?;
    Ok(())
}

/// Settles a transaction: approval needs the number when asked and the PIN when due (always
/// when the timeout is 0).
pub async fn transaction(
    mut ex: Exchange<'_>,
    conn: &mut Conn,
    tx: TransactionRow,
    approve: bool,
    number: &str,
    asked: Asked,
    evidence: Vec<u8>,
) -> EndpointResult<()> {
    let account = ex.owner_of(conn, &tx).await?;
    let (state, server, session) = (ex.state, ex.server, ex.session);
    if approve && !checks::number_matches(asked.number.as_deref(), number) {
        checks::report(
            state,
            &server.server_id,
            &account,
            "number",
            tx.tid.0,
            &asked.observed,
        )
        .await?;
        accounts::push_denied(&state.db, account.account_id).await?;
        let declined = TransactionStatus::Declined;
        transactions::settle(&state.db, &tx.tid, declined, &evidence, clock::now()).await?;
        return Err(conn.refuse(session, codes::WRONG_NUMBER).await);
    }
    let now = clock::now();
    let status = if approve {
        TransactionStatus::Approved
    } else {
        TransactionStatus::Declined
    };
    let due = (server.settings.profile.pin_trans_timeout, now);
    if approve
        && second_factor(state, server, &account, due, conn, session).await? == Verdict::Blocked
    {
        return Ok(());
    }
    if !transactions::settle(&state.db, &tx.tid, status, &evidence, clock::now()).await? {
        return Err(conn.refuse(session, codes::TRANSACTION_UNKNOWN).await);
    }
    tracing::info!(
        account_id = account.account_id,
        approved = approve,
        "transaction settled"
    );
    conn.send_record(session, &ServerRecord::Accepted).await?;
    Ok(())
}

/// Logs the account into the session, if the session still waits for a login (never over a
/// logged-in or ended one); returns whether it did. Once it did, the exchange no longer holds
/// the session `scanned`: nothing moves it back to `new` at the exchange's end. That would
/// cost every login a statement that finds nothing to do, and once the session has been
/// logged out and scanned by another app, it would undo that app's scan.
async fn log_in(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
    scanned: &mut Option<(ServerId, SessionRef)>,
    account_id: i64,
    userid: Option<&str>,
    user_input: &str,
) -> EndpointResult<bool> {
    let announce = state.inline_announcement(&Change::Session(server.server_id, *session_ref));
    let login = login_write(server, session_ref, user_input, announce.as_deref());
    if !logins::log_in(&state.db, account_id, userid, login).await? {
        return Ok(false);
    }
    logged_in(state, server, session_ref, scanned, announce, account_id);
    Ok(true)
}

/// The account with the app's key (`None`: none), and whether [`log_in`]'s writes were made
/// in the same statement: only for a usable account that `rule` lets log in at once.
async fn log_in_by_key(
    ex: &mut Exchange<'_>,
    session_ref: &SessionRef,
    rule: logins::SecondFactorRule,
    user_input: &str,
) -> EndpointResult<(Option<AccountRow>, bool)> {
    let (state, server) = (ex.state, ex.server);
    let announce = state.inline_announcement(&Change::Session(server.server_id, *session_ref));
    let login = login_write(server, session_ref, user_input, announce.as_deref());
    let found = logins::log_in_by_key(&state.db, &ex.account_key, rule, login).await?;
    let Some((account, true)) = found else {
        return Ok((found.map(|(account, _)| account), false));
    };
    logged_in(
        state,
        server,
        session_ref,
        ex.scanned,
        announce,
        account.account_id,
    );
    Ok((Some(account), true))
}

/// A login's writes, with its announcement to the other processes (PostgreSQL).
fn login_write<'a>(
    server: &'a ServerRow,
    session_ref: &'a SessionRef,
    user_input: &'a str,
    announce: Option<&'a str>,
) -> logins::Login<'a> {
    let now = clock::now();
    let ping_time = server.settings.profile.ping_time;
    logins::Login {
        server: &server.server_id,
        session: session_ref,
        user_input,
        now,
        ping_deadline: (ping_time > 0).then(|| ping_deadlines::after(now, ping_time)),
        announce,
    }
}

/// After a login was written: announced in this process, no longer `scanned` ([`log_in`]).
fn logged_in(
    state: &SharedState,
    server: &ServerRow,
    session_ref: &SessionRef,
    scanned: &mut Option<(ServerId, SessionRef)>,
    announce: Option<String>,
    account_id: i64,
) {
    let change = Change::Session(server.server_id, *session_ref);
    state.announced(change, announce.as_deref());
    *scanned = None;
    tracing::info!(account_id, "logged in");
}

#[cfg(test)]
mod tests {
    use super::{pin_due, pin_due_if_entered_by};

    /// The bound that the login's statement compares `last_pin_at` with says what `pin_due`
    /// says, around each edge and at the extremes.
    #[test]
    fn the_pin_bound_says_what_pin_due_says() {
        let times = [
            0, 1, 59, 60, 61, 299, 300, 301, 999_699, 999_700, 999_701, 1_000_000,
        ];
        for timeout in [i32::MIN, -5, -1, 0, 1, 5, 60, i32::MAX] {
            for now in times.into_iter().chain([u64::MAX]) {
                for last in times {
                    let bound = pin_due_if_entered_by(timeout, now);
                    let by_bound = i64::try_from(last).is_ok_and(|at| at <= bound);
                    let due = pin_due(timeout, last, now);
                    assert_eq!(by_bound, due, "timeout {timeout}, now {now}, last {last}");
                }
            }
        }
    }

    #[test]
    fn pin_timeouts() {
        assert!(!pin_due(-1, 0, 1_000_000), "-1 never asks");
        assert!(pin_due(0, 1_000_000, 1_000_000), "0 always asks");
        assert!(!pin_due(5, 1_000, 1_000 + 299));
        assert!(pin_due(5, 1_000, 1_000 + 300));
    }
}
