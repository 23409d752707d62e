//! A login written by the statement that reads its account (store/logins.rs,
//! `log_in_by_key`): on PostgreSQL the statement itself decides whether the account may log in
//! at once, so its condition must say what the app endpoint's second-factor rule says
//! (`SecondFactorRule::logs_in_at_once`, checked in Rust on SQLite). Every combination of the
//! account's state and the server's settings is tried against the real database.
mod support;

use nextauth_protocol::crypto::PublicKey;
use nextauth_protocol::ids::{ServerId, SessionRef};
use nextauth_protocol::pin::DeviceSecret;
use nextauth_server::clock::now;
use nextauth_server::store::logins::{self, Login, SecondFactorRule};
use nextauth_server::store::sessions::{self, SessionState};
use support::TestServer;

/// The account's state that the login's condition reads.
#[derive(Debug, Clone, Copy)]
struct AccountState {
    blocked: bool,
    deleted: bool,
    has_pin: bool,
    pin_reset: bool,
    last_pin_at: i64,
}

/// A one-shot login into `session`, nothing typed, not announced.
fn plain_login<'a>(server: &'a ServerId, session: &'a SessionRef) -> Login<'a> {
    Login {
        server,
        session,
        user_input: "",
        now: now(),
        ping_deadline: None,
        announce: None,
    }
}

#[tokio::test]
async fn a_login_is_written_with_its_account_lookup_only_when_nothing_is_left_to_ask() {
    let server = TestServer::start().await;
    let device = DeviceSecret::from_bytes([11; 32]);
    let account = server
        .enrol("enrol", &device, "alice", Some("alice"), Some("2468"))
        .await;
    let stored = server.account_row(&account).await;
    let (db, server_id) = (&server.state.db, server.server_id());
    let verifier: Vec<u8> =
        sqlx::query_scalar("SELECT pin_verifier_sealed FROM accounts WHERE account_id = $1")
            .bind(stored.account_id)
            .fetch_one(&db.pool)
            .await
            .unwrap();

    let mut states = Vec::new();
    for (blocked, deleted) in [(false, false), (true, false), (false, true)] {
        for has_pin in [false, true] {
            for pin_reset in [false, true] {
                for last_pin_at in [999, 1_000, 1_001] {
                    states.push(AccountState {
                        blocked,
                        deleted,
                        has_pin,
                        pin_reset,
                        last_pin_at,
                    });
                }
            }
        }
    }
    let mut rules = Vec::new();
    for pin_required in [false, true] {
        for pin_due_if_entered_by in [i64::MIN, 1_000, i64::MAX] {
            rules.push(SecondFactorRule {
                pin_required,
                pin_due_if_entered_by,
            });
        }
    }

    let (mut written, mut refused) = (0, 0);
    for (i, state) in states.iter().enumerate() {
        sqlx::query(
            "UPDATE accounts SET blocked = $1, deleted = $2, pin_verifier_sealed = $3, \
             pin_reset = $4, last_pin_at = $5 WHERE account_id = $6",
        )
        .bind(i64::from(state.blocked))
        .bind(i64::from(state.deleted))
        .bind(state.has_pin.then(|| verifier.clone()))
        .bind(i64::from(state.pin_reset))
        .bind(state.last_pin_at)
        .bind(stored.account_id)
        .execute(&db.pool)
        .await
        .unwrap();
        for (j, rule) in rules.iter().enumerate() {
            let session = server.login_session(&format!("login-{i}-{j}")).await;
            let login = plain_login(&server_id, &session);
            let found = logins::log_in_by_key(db, &stored.public_key, *rule, login)
                .await
                .unwrap();
            let (row, logged_in) = found.expect("the account is found whatever its state");
            assert_eq!(row.account_id, stored.account_id);
            let expected = !state.blocked && !state.deleted && rule.asks_nothing(&row);
            assert_eq!(logged_in, expected, "{state:?} {rule:?}");
            let after = sessions::get(db, &server_id, &session)
                .await
                .unwrap()
                .unwrap();
            let want = match expected {
                true => SessionState::LoggedIn,
                false => SessionState::New,
            };
            assert_eq!(after.state, want, "{state:?} {rule:?}");
            if expected {
                assert_eq!(after.account_id, Some(stored.account_id));
                written += 1;
            } else {
                refused += 1;
            }
        }
    }
    // Both outcomes were reached (the rule is not trivially true or false).
    assert!(
        written >= 10 && refused >= 10,
        "{written} written, {refused} not"
    );

    // A key no account has: nothing found, nothing written.
    let session = server.login_session("unknown-key").await;
    let login = plain_login(&server_id, &session);
    let unknown = PublicKey([4; 65]);
    assert_ne!(unknown, stored.public_key);
    let free = SecondFactorRule {
        pin_required: false,
        pin_due_if_entered_by: i64::MIN,
    };
    let found = logins::log_in_by_key(db, &unknown, free, login)
        .await
        .unwrap();
    assert!(found.is_none());
    let after = sessions::get(db, &server_id, &session)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.state, SessionState::New);
}
