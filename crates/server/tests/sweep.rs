//! The sweep's rules, row by row, on SQLite and (with `NEXTAUTH_TEST_DATABASE_URL`) on
//! PostgreSQL: rows are written through the store with times in the past, then one sweep runs.

mod support;

use std::time::Duration;

use nextauth_protocol::ids::{MessageId, ServerId, SessionRef, TransactionRef};
use nextauth_protocol::messages::TransactionDetails;
use nextauth_protocol::qr::EnrolSecret;
use nextauth_server::clock;
use nextauth_server::db::Backend;
use nextauth_server::store::enrol_codes::{self, EnrolGrant};
use nextauth_server::store::messages;
use nextauth_server::store::servers::{self, ServerSettings};
use nextauth_server::store::sessions::{self, SessionEvent, SessionState, Transition};
use nextauth_server::store::transactions::{self, TransactionRow, TransactionStatus};
use nextauth_server::sweep::{self, Swept};
use nextauth_server::SharedState;
use support::TestServer;

const HOUR: u64 = 3600;
const ACCOUNT: i64 = 7;

async fn session(
    state: &SharedState,
    server: &ServerId,
    n: u8,
    at: u64,
    to: Option<SessionState>,
) -> SessionRef {
    let session = SessionRef([n; 16]);
    sessions::ensure(&state.db, server, &session, at)
        .await
        .unwrap();
    if let Some(to) = to {
        let t = Transition {
            state: to,
            event: SessionEvent::Login,
            account_id: (to == SessionState::LoggedIn).then_some(ACCOUNT),
            user_input: None,
        };
        if to == SessionState::LoggedOut {
            // Logged in first, so the session has had an account.
            let login = Transition {
                state: SessionState::LoggedIn,
                account_id: Some(ACCOUNT),
                ..t.clone()
            };
            sessions::transition(&state.db, server, &session, SessionState::ALL, login, at)
                .await
                .unwrap();
        }
        sessions::transition(&state.db, server, &session, SessionState::ALL, t, at)
            .await
            .unwrap();
    }
    session
}

async fn exists(state: &SharedState, server: &ServerId, session: &SessionRef) -> bool {
    sessions::get(&state.db, server, session)
        .await
        .unwrap()
        .is_some()
}

#[tokio::test]
async fn one_sweep_deletes_exactly_what_is_past_its_retention() {
    let server = TestServer::start_with(|c| {
        c.retention.idle_sessions = Some(Duration::from_secs(HOUR));
        c.retention.sessions = Some(Duration::from_secs(24 * HOUR));
        c.retention.enrol_codes = Some(Duration::from_secs(HOUR));
        c.retention.transactions = Some(Duration::from_secs(HOUR));
        c.retention.messages = Some(Duration::from_secs(HOUR));
    })
    .await;
    let state = &server.state;
    let now = clock::now();
    let one_shot = server.server_id();
    // A second virtual server with continuous sessions.
    let mut settings = ServerSettings::new("Live", "ws://127.0.0.1:1/sigmai");
    settings.profile.ping_time = 30;
    let continuous = servers::create(&state.db, &state.master, &state.rng, settings, now)
        .await
        .unwrap()
        .server_id;

    let two_hours_ago = now - 2 * HOUR;
    let two_days_ago = now - 48 * HOUR;
    let idle_old = session(state, &one_shot, 1, two_hours_ago, None).await;
    let idle_fresh = session(state, &one_shot, 2, now - 10, None).await;
    let scanned_old = session(
        state,
        &one_shot,
        3,
        two_hours_ago,
        Some(SessionState::Scanned),
    )
    .await;
    // Had an account: the longer retention applies.
    let used_recent = session(
        state,
        &one_shot,
        4,
        two_hours_ago,
        Some(SessionState::LoggedOut),
    )
    .await;
    let used_old = session(
        state,
        &one_shot,
        5,
        two_days_ago,
        Some(SessionState::LoggedOut),
    )
    .await;
    let one_shot_login_old = session(
        state,
        &one_shot,
        6,
        two_days_ago,
        Some(SessionState::LoggedIn),
    )
    .await;
    let live_login_old = session(
        state,
        &continuous,
        7,
        two_days_ago,
        Some(SessionState::LoggedIn),
    )
    .await;
    let live_ended_old = session(
        state,
        &continuous,
        8,
        two_days_ago,
        Some(SessionState::LoggedOut),
    )
    .await;

    let grant = EnrolGrant {
        display_name: "x".into(),
        userid: None,
    };
    for (n, expires) in [(1u8, two_hours_ago), (2, now - 10), (3, now + 600)] {
        enrol_codes::insert(
            &state.db,
            &one_shot,
            &idle_fresh,
            &EnrolSecret([n; 16]),
            &grant,
            expires,
        )
        .await
        .unwrap();
    }
    for (n, expires) in [(1u8, two_hours_ago), (2, now - 10), (3, now + 600)] {
        let row = TransactionRow {
            tid: TransactionRef([n; 16]),
            server_id: one_shot,
            session_ref: one_shot_login_old,
            account_id: ACCOUNT,
            details: TransactionDetails {
                amount: "1".into(),
                beneficiary: "b".into(),
                description: "d".into(),
            },
            status: TransactionStatus::New,
            created: expires - 600,
            expires,
            match_number: None,
        };
        transactions::insert(&state.db, &row).await.unwrap();
    }
    for (n, expires) in [
        (1u8, two_hours_ago),
        (2, now - 10),
        (3, now + 600),
        (4, now + 600),
    ] {
        messages::enqueue(
            &state.db,
            ACCOUNT,
            &MessageId([n; 16]),
            b"envelope",
            "message",
            expires - 600,
            expires,
        )
        .await
        .unwrap();
    }
    // Acknowledged: the app has it.
    messages::ack(&state.db, ACCOUNT, &[[4; 16]]).await.unwrap();

    let swept = sweep::run_once(state, now)
        .await
        .unwrap()
        .expect("not locked");
    assert_eq!(
        swept,
        Swept {
            idle_sessions: 2,
            sessions: 3,
            enrol_codes: 1,
            transactions: 1,
            messages: 2,
        }
    );
    for (session, server_id, kept) in [
        (idle_old, one_shot, false),
        (idle_fresh, one_shot, true),
        (scanned_old, one_shot, false),
        (used_recent, one_shot, true),
        (used_old, one_shot, false),
        (one_shot_login_old, one_shot, false),
        (live_login_old, continuous, true),
        (live_ended_old, continuous, false),
    ] {
        assert_eq!(
            exists(state, &server_id, &session).await,
            kept,
            "{session:?}"
        );
    }
    // Expired within the retention: still there; unexpired and unacknowledged: still pending.
    let pending = messages::pending(&state.db, ACCOUNT, now, 10)
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].0, MessageId([3; 16]));
    for (n, kept) in [(1u8, false), (2, true), (3, true)] {
        let row = transactions::get(&state.db, &one_shot, &TransactionRef([n; 16]))
            .await
            .unwrap();
        assert_eq!(row.is_some(), kept, "transaction {n}");
    }

    // A second sweep finds nothing more.
    let again = sweep::run_once(state, now)
        .await
        .unwrap()
        .expect("not locked");
    assert_eq!(again, Swept::default());
}

#[tokio::test]
async fn on_postgres_one_process_sweeps_at_a_time() {
    let server = TestServer::start().await;
    let state = &server.state;
    if state.db.backend != Backend::Postgres {
        // The lock is PostgreSQL's; on SQLite every process sweeps (the deletes are idempotent).
        assert!(sweep::run_once(state, clock::now())
            .await
            .unwrap()
            .is_some());
        return;
    }
    // Another process holds the sweep's lock: this one skips its turn.
    let mut other = state.db.pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock(7406202)")
        .execute(&mut *other)
        .await
        .unwrap();
    assert_eq!(sweep::run_once(state, clock::now()).await.unwrap(), None);
    other.rollback().await.unwrap();
    assert!(sweep::run_once(state, clock::now())
        .await
        .unwrap()
        .is_some());
}
