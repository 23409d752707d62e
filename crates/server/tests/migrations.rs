//! Migrations through `sqlx::migrate!` on databases the previous, hand-written runner created:
//! its record (`schema_migrations`) is adopted, so nothing it applied runs twice and what came
//! after it runs. On PostgreSQL when `NEXTAUTH_TEST_DATABASE_URL` is set (each test its own
//! database), else on SQLite files.

mod support;

use std::path::{Path, PathBuf};

use nextauth_server::db::{Backend, Db};
use support::TestServer;

/// The migration files of one database, in order.
fn migration_files(backend: Backend) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(match backend {
        Backend::Sqlite => "migrations/sqlite",
        Backend::Postgres => "migrations/postgres",
    });
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("migrations")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

/// A database URL for one test: a fresh PostgreSQL database, or a SQLite file in `dir`.
async fn fresh_database(dir: &Path, n: usize) -> (String, Backend) {
    match std::env::var("NEXTAUTH_TEST_DATABASE_URL") {
        Ok(admin) => (
            support::fresh_postgres_database(&admin, 1000 + n).await,
            Backend::Postgres,
        ),
        Err(_) => {
            std::fs::create_dir_all(dir).expect("dir");
            (
                format!("sqlite://{}?mode=rwc", dir.join("server.db").display()),
                Backend::Sqlite,
            )
        }
    }
}

/// What the old runner left after applying the first `applied` migrations: their schema, and
/// `schema_migrations (version, applied)` listing them.
async fn legacy_database(url: &str, backend: Backend, applied: usize) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.expect("connect");
    sqlx::query(
        "CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)",
    )
    .execute(&pool)
    .await
    .expect("schema_migrations");
    for (i, file) in migration_files(backend).iter().take(applied).enumerate() {
        let sql = std::fs::read_to_string(file).expect("read migration");
        sqlx::raw_sql(&sql).execute(&pool).await.expect("apply");
        sqlx::query("INSERT INTO schema_migrations (version, applied) VALUES ($1, 1)")
            .bind(i as i64 + 1)
            .execute(&pool)
            .await
            .expect("record");
    }
    pool.close().await;
}

async fn versions(db: &Db, table: &str) -> Vec<i64> {
    let rows: Vec<(i64,)> =
        sqlx::query_as(&format!("SELECT version FROM {table} ORDER BY version"))
            .fetch_all(&db.pool)
            .await
            .expect("versions");
    rows.into_iter().map(|(v,)| v).collect()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nextauth-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn a_database_of_the_old_runner_is_adopted_and_migrated_further() {
    let dir = temp_dir("legacy-partial");
    let (url, backend) = fresh_database(&dir, 1).await;
    let all = migration_files(backend).len();
    assert!(all >= 7);
    legacy_database(&url, backend, 5).await;

    let db = Db::open(&url).await.expect("open a legacy database");
    let expected: Vec<i64> = (1..=all as i64).collect();
    assert_eq!(versions(&db, "_sqlx_migrations").await, expected);
    // The old record stays as it was (an older server started later finds its own).
    assert_eq!(
        versions(&db, "schema_migrations").await,
        vec![1, 2, 3, 4, 5]
    );
    // Migrations 6 and 7 ran: their tables and columns are there.
    sqlx::query("SELECT app_login FROM sessions")
        .fetch_all(&db.pool)
        .await
        .expect("migration 7 applied");
    sqlx::query("SELECT COUNT(*) FROM fraud_reports")
        .fetch_all(&db.pool)
        .await
        .expect("migration 6 applied");
    db.pool.close().await;

    // Opening again applies nothing and adopts nothing twice.
    let db = Db::open(&url).await.expect("open again");
    assert_eq!(versions(&db, "_sqlx_migrations").await, expected);
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_new_database_has_no_old_record() {
    let dir = temp_dir("fresh");
    let (url, _) = fresh_database(&dir, 2).await;
    let db = Db::open(&url).await.expect("open");
    assert!(versions(&db, "_sqlx_migrations").await.len() >= 7);
    assert!(
        sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&db.pool)
            .await
            .is_err(),
        "no schema_migrations table on a new database"
    );
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The data directory a server of the previous version left (tests/fixtures/old-runner): the
/// server starts on it, keeps its demo server and API key, and answers with them.
#[tokio::test]
async fn the_server_starts_on_the_data_of_the_previous_version() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/old-runner");
    let demo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture.join("demo.json")).unwrap()).unwrap();
    let server = TestServer::start_with(|config| {
        // The fixture is a SQLite file, whatever database the other tests use.
        config.database_url = None;
        std::fs::create_dir_all(&config.data_dir).unwrap();
        for file in ["server.db", "master.key", "demo.json"] {
            std::fs::copy(fixture.join(file), config.data_dir.join(file)).unwrap();
        }
    })
    .await;
    assert_eq!(server.demo.serverid, demo["serverid"].as_str().unwrap());
    assert_eq!(server.demo.apikey, demo["apikey"].as_str().unwrap());
    let response = server
        .api(
            "GET",
            &format!("/servers/{}", server.demo.serverid),
            &[],
            b"",
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    let db = &server.state.db;
    assert_eq!(
        versions(db, "_sqlx_migrations").await,
        (1..=7).collect::<Vec<i64>>()
    );
}

/// The SQLite form of PostgreSQL schema text: the only ways the two dialects of a migration
/// may differ (docs/architecture.md, "One schema source for the two databases").
fn sqlite_dialect(postgres: &str) -> String {
    let text = postgres
        .replace("BIGSERIAL PRIMARY KEY", "INTEGER PRIMARY KEY AUTOINCREMENT")
        .replace("''::bytea", "x''");
    replace_word(&replace_word(&text, "BYTEA", "BLOB"), "BIGINT", "INTEGER")
}

/// `text` with each whole-word `word` (not part of a longer name) replaced by `with`.
fn replace_word(text: &str, word: &str, with: &str) -> String {
    let is_name = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(word) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + word.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(is_name) || after.is_some_and(is_name) {
            out.push_str(word);
        } else {
            out.push_str(with);
        }
        rest = &rest[at + word.len()..];
    }
    out.push_str(rest);
    out
}

/// Schema text without comments and with runs of whitespace as one space: what the database
/// runs.
fn statements(sql: &str) -> String {
    sql.lines()
        .map(|line| line.split("--").next().unwrap_or_default())
        .flat_map(str::split_whitespace)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The PostgreSQL migrations are the schema's one source: each SQLite migration must be their
/// SQLite dialect, statement for statement. The files themselves never change (sqlx checks the
/// checksums of applied migrations); a new migration's SQLite file can be written from the
/// PostgreSQL one with `NEXTAUTH_WRITE_SQLITE_MIGRATIONS=1` (only files that do not exist yet).
#[test]
fn the_sqlite_migrations_are_the_sqlite_dialect_of_the_postgres_ones() {
    let name = |path: &PathBuf| path.file_name().expect("name").to_owned();
    let postgres = migration_files(Backend::Postgres);
    let sqlite_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    if std::env::var_os("NEXTAUTH_WRITE_SQLITE_MIGRATIONS").is_some() {
        for file in &postgres {
            let target = sqlite_dir.join(name(file));
            if !target.exists() {
                let text = std::fs::read_to_string(file).expect("read");
                std::fs::write(&target, sqlite_dialect(&text)).expect("write");
            }
        }
    }
    let sqlite = migration_files(Backend::Sqlite);
    assert_eq!(
        postgres.iter().map(name).collect::<Vec<_>>(),
        sqlite.iter().map(name).collect::<Vec<_>>(),
        "the same migrations for both databases"
    );
    assert!(!postgres.is_empty());
    for (pg, lite) in postgres.iter().zip(&sqlite) {
        let pg_text = std::fs::read_to_string(pg).expect("read");
        let lite_text = std::fs::read_to_string(lite).expect("read");
        let expected = statements(&sqlite_dialect(&pg_text));
        // SQLite reads BIGINT as INTEGER (the same affinity; only `INTEGER PRIMARY KEY` is
        // special, and that comes from BIGSERIAL), and the first migrations spell it either way.
        let actual = statements(&replace_word(&lite_text, "BIGINT", "INTEGER"));
        if expected != actual {
            let at = expected
                .bytes()
                .zip(actual.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let from = at.saturating_sub(60);
            panic!(
                "{} is not the SQLite dialect of {}: from byte {at} of the statements, expected \
                 `{}`, found `{}`",
                lite.display(),
                pg.display(),
                expected
                    .get(from..(at + 80).min(expected.len()))
                    .unwrap_or_default(),
                actual
                    .get(from..(at + 80).min(actual.len()))
                    .unwrap_or_default(),
            );
        }
    }
}

#[test]
fn the_dialect_rules_change_only_whole_words() {
    assert_eq!(
        sqlite_dialect(
            "id BIGSERIAL PRIMARY KEY, n BIGINT, b BYTEA DEFAULT ''::bytea, big_bigint BIGINTS"
        ),
        "id INTEGER PRIMARY KEY AUTOINCREMENT, n INTEGER, b BLOB DEFAULT x'', big_bigint BIGINTS"
    );
    assert_eq!(statements("a  b -- note\n\tc;--x\n"), "a b c;");
}
