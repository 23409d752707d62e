//! Migrations through `sqlx::migrate!` on databases the previous, hand-written runner created:
//! its record (`schema_migrations`) is adopted, so nothing it applied runs twice and what came
//! after it runs. On PostgreSQL when `NEXTAUTH_TEST_DATABASE_URL` is set (each test its own
//! database), else on SQLite files.

mod support;

use std::path::{Path, PathBuf};

use nextauth_server::db::{sqlite_dialect, Backend, Db};
use support::TestServer;

/// The migration files (PostgreSQL's dialect), in order.
fn migration_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
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
    for (i, file) in migration_files().iter().take(applied).enumerate() {
        let sql = std::fs::read_to_string(file).expect("read migration");
        let sql = match backend {
            Backend::Sqlite => sqlite_dialect(&sql),
            Backend::Postgres => sql,
        };
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
    let all = migration_files().len();
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

/// A server started on a copy of the data directory `tests/fixtures/<name>` (a SQLite file,
/// whatever database the other tests use), and the demo identity that directory holds.
async fn start_on_fixture(name: &str) -> (TestServer, serde_json::Value) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let demo: serde_json::Value =
        serde_json::from_slice(&std::fs::read(fixture.join("demo.json")).unwrap()).unwrap();
    let server = TestServer::start_with(|config| {
        config.database_url = None;
        std::fs::create_dir_all(&config.data_dir).unwrap();
        for file in ["server.db", "master.key", "demo.json"] {
            std::fs::copy(fixture.join(file), config.data_dir.join(file)).unwrap();
        }
    })
    .await;
    assert_eq!(server.demo.serverid, demo["serverid"].as_str().unwrap());
    let response = server
        .api(
            "GET",
            &format!("/servers/{}", server.demo.serverid),
            &[],
            b"",
        )
        .await;
    assert_eq!(response.status, 200, "{response:?}");
    (server, demo)
}

/// The data directory a server of the previous version left (tests/fixtures/old-runner): the
/// server starts on it, keeps its demo server and API key, and answers with them.
#[tokio::test]
async fn the_server_starts_on_the_data_of_the_previous_version() {
    let (server, demo) = start_on_fixture("old-runner").await;
    assert_eq!(server.demo.apikey, demo["apikey"].as_str().unwrap());
    assert_eq!(
        versions(&server.state.db, "_sqlx_migrations").await,
        (1..=migration_files().len() as i64).collect::<Vec<i64>>()
    );
}

/// The data directory a server left whose SQLite migrations still ran from hand-kept SQLite
/// files (tests/fixtures/sqlx-migrator, recorded by sqlx with those files' checksums): today's
/// server, which makes SQLite's migrations from the PostgreSQL ones, accepts its record and
/// serves its demo server.
#[tokio::test]
async fn the_server_starts_on_a_database_migrated_from_the_old_sqlite_files() {
    let (server, demo) = start_on_fixture("sqlx-migrator").await;
    assert_eq!(server.demo.apikey, demo["apikey"].as_str().unwrap());
    assert_eq!(
        versions(&server.state.db, "_sqlx_migrations").await,
        (1..=migration_files().len() as i64).collect::<Vec<i64>>()
    );
}

/// SQLite runs every migration file in its dialect, and a fresh SQLite database gets the
/// tables and columns of every migration (the dialect rules cover what the files use).
#[tokio::test]
async fn a_fresh_sqlite_database_has_every_migration_in_its_dialect() {
    let dir = temp_dir("dialect");
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("server.db").display());
    let db = Db::open(&url).await.expect("open");
    assert_eq!(
        versions(&db, "_sqlx_migrations").await,
        (1..=migration_files().len() as i64).collect::<Vec<i64>>()
    );
    let (server_id,): (String,) =
        sqlx::query_as("SELECT type FROM pragma_table_info('servers') WHERE name = 'server_id'")
            .fetch_one(&db.pool)
            .await
            .expect("columns");
    assert_eq!(server_id, "BLOB");
    for file in migration_files() {
        let text = std::fs::read_to_string(&file).unwrap();
        let sqlite = sqlite_dialect(&text);
        for word in ["BYTEA", "BIGSERIAL", "::bytea"] {
            assert!(
                !sqlite.contains(word),
                "{} keeps PostgreSQL's {word} in SQLite's dialect",
                file.display()
            );
        }
    }
    db.pool.close().await;
    let _ = std::fs::remove_dir_all(dir);
}
