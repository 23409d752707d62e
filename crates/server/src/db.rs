//! The database: one pool over SQLite (default) or PostgreSQL, and forward-only migrations.
//!
//! Queries are written once, with `$1`-style placeholders that both databases accept, and run
//! through sqlx's `Any` driver. Booleans are stored as 0/1 integers and times as Unix seconds,
//! so the same text works on both.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::AnyPool;
use sqlx::Executor;

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
}

const SQLITE_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/sqlite/0001_init.sql")),
    (
        2,
        include_str!("../migrations/sqlite/0002_api_key_creator.sql"),
    ),
    (3, include_str!("../migrations/sqlite/0003_push_tokens.sql")),
    (4, include_str!("../migrations/sqlite/0004_security.sql")),
    (5, include_str!("../migrations/sqlite/0005_retention.sql")),
    (
        6,
        include_str!("../migrations/sqlite/0006_login_checks.sql"),
    ),
    (7, include_str!("../migrations/sqlite/0007_app_tokens.sql")),
];
const POSTGRES_MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/postgres/0001_init.sql")),
    (
        2,
        include_str!("../migrations/postgres/0002_api_key_creator.sql"),
    ),
    (
        3,
        include_str!("../migrations/postgres/0003_push_tokens.sql"),
    ),
    (4, include_str!("../migrations/postgres/0004_security.sql")),
    (5, include_str!("../migrations/postgres/0005_retention.sql")),
    (
        6,
        include_str!("../migrations/postgres/0006_login_checks.sql"),
    ),
    (
        7,
        include_str!("../migrations/postgres/0007_app_tokens.sql"),
    ),
];

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
        let mut options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
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
        let db = Self { pool, backend };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<(), DbError> {
        sqlx::query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied BIGINT NOT NULL)")
            .execute(&self.pool)
            .await?;
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        for (version, sql) in migrations {
            let mut tx = self.pool.begin().await?;
            if self.backend == Backend::Postgres {
                // Several processes may start at once against one database: serialise them.
                sqlx::query("SELECT pg_advisory_xact_lock(7406201)")
                    .execute(&mut *tx)
                    .await?;
            }
            let done: Option<(i64,)> =
                sqlx::query_as("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(*version)
                    .fetch_optional(&mut *tx)
                    .await?;
            if done.is_none() {
                for statement in statements(sql) {
                    sqlx::query(&statement).execute(&mut *tx).await?;
                }
                sqlx::query("INSERT INTO schema_migrations (version, applied) VALUES ($1, $2)")
                    .bind(*version)
                    .bind(crate::clock::now() as i64)
                    .execute(&mut *tx)
                    .await?;
                tracing::info!(version, "applied database migration");
            }
            tx.commit().await?;
        }
        Ok(())
    }
}

/// The statements of a migration file: split at `;` ending a line, comments dropped. Our
/// migrations keep semicolons out of strings and comments, which this relies on.
fn statements(sql: &str) -> Vec<String> {
    let without_comments: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    without_comments
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
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
