//! The database: one pool over SQLite (default) or PostgreSQL, and forward-only migrations
//! (sqlx's migrator; one schema source, written for PostgreSQL, in SQLite's dialect there:
//! `dialect`).
//!
//! Queries are written once, with `$1`-style placeholders that both databases accept, and run
//! through sqlx's `Any` driver. Booleans are stored as 0/1 integers and times as Unix seconds,
//! so the same text works on both.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{Migrate, Migrator};
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

mod dialect;
mod hot;
pub use dialect::sqlite_dialect;
pub use hot::HotConnection;

/// Which database a URL points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file (one server process, or several on one machine).
    Sqlite,
    /// PostgreSQL (several server processes sharing one database).
    Postgres,
}

/// Errors opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// The URL names a database we do not support.
    #[error("unsupported database URL (use sqlite:// or postgres://)")]
    UnsupportedUrl,
    /// The database refused an operation.
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A migration failed, or the database's record of them does not fit this build's.
    #[error("database migration: {0}")]
    Migrate(sqlx::migrate::MigrateError),
    /// The previous runner's record names a migration this build does not have (a database
    /// of a newer server).
    #[error("the database was migrated to version {0} by a server this build does not know")]
    UnknownLegacyVersion(i64),
    /// The SQLite file could not be created with its private mode.
    #[error("cannot create the database file {path}: {source}")]
    File {
        /// The file named by the URL.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The connection pool and what it talks to.
#[derive(Debug, Clone)]
pub struct Db {
    /// The pool.
    pub pool: AnyPool,
    /// The database kind.
    pub backend: Backend,
    /// Set while the database may have ended connections (the process lost its `LISTEN`
    /// connection, [`crate::cluster`]): every pooled connection is then tested before use.
    suspect: Arc<AtomicBool>,
    /// The connections of an app's login's statements ([`Db::hot`]).
    hot: Arc<hot::HotConnections>,
}

/// The migrations (`crates/server/migrations/`, PostgreSQL's dialect), embedded at build time.
/// sqlx records what it applied in `_sqlx_migrations`.
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!();
/// The same migrations in SQLite's dialect.
static SQLITE_MIGRATOR: LazyLock<Migrator> =
    LazyLock::new(|| dialect::sqlite_migrator(&POSTGRES_MIGRATOR));

/// How long a pooled connection may have been idle and still be handed out without a test
/// round trip (it was tested as it was given back). Under load connections come back within
/// milliseconds. A backend the database ended within this time of the connection's return (a
/// restart, `pg_terminate_backend`) fails the first statement on it: short, so that such a
/// failure stays unlikely (tests/multi_process.rs cuts every connection and expects the next
/// request to work; with 500 ms it did not, at once after the cut). A restart is also noticed
/// by the `LISTEN` connection, and then all connections are tested until the process listens
/// again ([`Db::set_suspect`]).
const IDLE_CHECK: Duration = Duration::from_millis(50);
/// Whether a connection idle for `idle_for` is tested before it is handed out: the rule of
/// the pool and of [`Db::hot`]'s connections.
fn needs_test(idle_for: Duration, suspect: &AtomicBool) -> bool {
    idle_for >= IDLE_CHECK || suspect.load(Ordering::SeqCst)
}

/// How long a statement waits for a connection (from the pool or [`Db::hot`]).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The advisory lock the hand-written runner (before sqlx's migrator) took on PostgreSQL; taken
/// around the bridge and the migrator, so a process of either kind waits for the other.
const LEGACY_LOCK: i64 = 7406201;

impl Db {
    /// Opens the database at `url` and applies pending migrations.
    pub async fn open(url: &str) -> Result<Self, DbError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            return Err(DbError::UnsupportedUrl);
        };
        if let Some(path) = sqlite_file(url) {
            // Created 0600 before SQLite opens it: SQLite gives the `-wal` and `-shm` files the
            // database file's mode, so all three are private from the start.
            crate::private_files::precreate_file(&path).map_err(|source| DbError::File {
                path: path.display().to_string(),
                source,
            })?;
        }
        // sqlx tests a pooled connection with a round trip as it hands it out *and* as it
        // takes it back (the latter is not configurable in sqlx 0.8), so each statement cost
        // three round trips (docs/benchmarks.md, "Where a login's server CPU goes"). A
        // connection given back within IDLE_CHECK was just tested: it is handed out as it is;
        // one idle for longer (it may have died with the database meanwhile) is still tested.
        // While the database is suspect, a statement waits (within the acquire timeout) for a
        // connection that works instead of failing on one the database ended: a page's socket
        // re-reading its session during a database restart stays open.
        let suspect = Arc::new(AtomicBool::new(false));
        let test_all = suspect.clone();
        let mut options = AnyPoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .before_acquire(move |conn, meta| {
                let test = needs_test(meta.idle_for, &test_all);
                Box::pin(async move {
                    if test {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            });
        if backend == Backend::Sqlite {
            // WAL lets readers proceed during a write; the busy timeout makes concurrent writers
            // (several tasks, or several processes on one file) wait instead of failing.
            options = options.max_connections(8).after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;")
                        .await
                        .map(|_| ())
                })
            });
        } else {
            options = options.max_connections(16);
        }
        let pool = options.connect(url).await?;
        let hot_max = match backend {
            // SQLite runs one write at a time anyway.
            Backend::Sqlite => 4,
            Backend::Postgres => 8,
        };
        let db = Self {
            pool,
            backend,
            suspect,
            hot: Arc::new(hot::HotConnections::new(hot_max)),
        };
        db.migrate().await?;
        Ok(db)
    }

    /// Whether the database may have ended pooled connections (see the `suspect` field).
    pub fn set_suspect(&self, suspect: bool) {
        self.suspect.store(suspect, Ordering::SeqCst);
    }

    /// A connection for one of an app's login's statements, which the caller gives back with
    /// [`HotConnection::release`] once they succeeded: no test round trip as it comes back
    /// (db/hot.rs).
    pub async fn hot(&self) -> Result<HotConnection<'_>, sqlx::Error> {
        self.hot.take(&self.pool, &self.suspect).await
    }

    async fn migrate(&self) -> Result<(), DbError> {
        let migrator = match self.backend {
            Backend::Sqlite => &*SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        let mut conn = self.pool.acquire().await?;
        if self.backend == Backend::Postgres {
            // Several processes may start at once against one database: serialise them.
            sqlx::query("SELECT pg_advisory_lock($1)")
                .bind(LEGACY_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        let result = async {
            adopt_legacy_record(&mut conn, self.backend, migrator).await?;
            // On a connection of its own (`run` on the pool; on `&mut AnyConnection` its future
            // is not `Send`), which takes sqlx's lock as well.
            migrator.run(&self.pool).await.map_err(DbError::Migrate)
        }
        .await;
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(LEGACY_LOCK)
                .execute(&mut *conn)
                .await?;
        }
        result
    }
}

/// A database migrated by the hand-written runner this server had before sqlx's migrator
/// recorded its migrations in `schema_migrations (version, applied)`, having run each file's
/// statements in one transaction. Those versions are entered into `_sqlx_migrations` as applied,
/// with the checksums of the files this build embeds (the files did not change), so the
/// migrator applies only what came after. `schema_migrations` is left as it was (an older
/// server started on the database later still finds what it applied).
async fn adopt_legacy_record(
    conn: &mut AnyConnection,
    backend: Backend,
    migrator: &Migrator,
) -> Result<(), DbError> {
    let exists = match backend {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'schema_migrations'"
        }
    };
    let (tables,): (i64,) = sqlx::query_as(exists).fetch_one(&mut *conn).await?;
    if tables == 0 {
        return Ok(());
    }
    let legacy: Vec<(i64,)> = sqlx::query_as("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?;
    conn.ensure_migrations_table()
        .await
        .map_err(DbError::Migrate)?;
    let recorded: Vec<i64> = conn
        .list_applied_migrations()
        .await
        .map_err(DbError::Migrate)?
        .iter()
        .map(|m| m.version)
        .collect();
    for (version,) in legacy {
        if recorded.contains(&version) {
            continue;
        }
        let migration = migrator
            .iter()
            .find(|m| m.version == version)
            .ok_or(DbError::UnknownLegacyVersion(version))?;
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) VALUES ($1, $2, TRUE, $3, 0)",
        )
        .bind(version)
        .bind(migration.description.to_string())
        .bind(migration.checksum.to_vec())
        .execute(&mut *conn)
        .await?;
        tracing::info!(version, "adopted a migration the previous runner applied");
    }
    Ok(())
}

/// The file a `sqlite:` URL names (`sqlite://PATH?…` or `sqlite:PATH?…`); `None` for other
/// URLs and in-memory databases.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory =
        path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    (!in_memory).then(|| std::path::PathBuf::from(path))
}

/// Converts a stored 0/1 integer to a boolean.
pub fn flag(v: i64) -> bool {
    v != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        let file = |url| sqlite_file(url).map(|p| p.display().to_string());
        assert_eq!(
            file("sqlite:///srv/data/server.db?mode=rwc").as_deref(),
            Some("/srv/data/server.db")
        );
        assert_eq!(
            file("sqlite://./data/server.db").as_deref(),
            Some("./data/server.db")
        );
        assert_eq!(file("sqlite:x.db").as_deref(), Some("x.db"));
        assert_eq!(file("sqlite::memory:"), None);
        assert_eq!(file("sqlite://x.db?mode=memory"), None);
        assert_eq!(file("postgres://u@h/db"), None);
    }
}
