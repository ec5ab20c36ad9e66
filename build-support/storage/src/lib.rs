//! Database access shared by every EstoSpaces service.
//!
//! A service talks to one [`Database`]: PostgreSQL when `ESTOSPACES_DATABASE_URL` is set, otherwise
//! a SQLite file under `ESTOSPACES_DATA_DIR`, so the embedded platform needs nothing installed.
//! Both sit behind sqlx's `Any` driver, so one store implementation serves both backends as long
//! as its SQL keeps to the common dialect: `$1` placeholders, `BIGINT`/`TEXT`/`BYTEA`-like types
//! (timestamps as Unix microseconds, UUIDs as text). Where the dialects must differ (DDL,
//! `FOR UPDATE SKIP LOCKED`), branch on [`Database::backend`].
//!
//! Each service embeds one migration directory per backend and applies it at start.
//!
//! TLS to PostgreSQL is the URL's business, with libpq's parameters (`sslmode=verify-full`,
//! `sslrootcert`, `sslcert`, `sslkey`): the `Any` driver hands the whole URL to sqlx's PostgreSQL
//! driver, which reads them (docs/tls.md).

#![forbid(unsafe_code)]

use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use estospaces_config::{CommonConfig, ExposeSecret};
use estospaces_status::ApiError;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

#[cfg(feature = "testing")]
pub mod testing;

/// Which SQL engine a [`Database`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The production database.
    Postgres,
    /// The embedded default: one file per service, no server.
    Sqlite,
}

/// A service's migrations, one directory per backend (`sqlx::migrate!("migrations/postgres")`).
#[derive(Debug, Clone, Copy)]
pub struct Migrations {
    pub postgres: &'static Migrator,
    pub sqlite: &'static Migrator,
}

/// A failure to open or migrate a database.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("unsupported database URL scheme (expected postgres:// or sqlite://)")]
    UnsupportedUrl,
    #[error("creating the data directory {path}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("connecting to the database")]
    Connect(#[source] sqlx::Error),
    #[error("applying migrations")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

/// How long a SQLite connection other than the pool's last one lives: once older, it closes when
/// returned while another connection sits idle. Any connection idle this long closes too. The
/// pool opens another only when one is needed.
pub const SQLITE_CONNECTION_LIFETIME: Duration = Duration::from_secs(10);

/// A connection pool plus the knowledge of which engine is behind it.
#[derive(Debug, Clone)]
pub struct Database {
    pool: Arc<AnyPool>,
    backend: Backend,
}

impl Database {
    /// Opens the database the config names: `database_url` if set, otherwise
    /// `<data_dir>/<service>.db` in SQLite.
    pub async fn open(config: &CommonConfig, service: &str) -> Result<Self, StorageError> {
        match &config.database_url {
            Some(url) => {
                Self::connect_with(url.expose_secret(), config.database_max_connections).await
            }
            None => Self::open_sqlite_file(&config.data_dir.join(format!("{service}.db"))).await,
        }
    }

    /// Opens (creating if missing) a SQLite database file.
    pub async fn open_sqlite_file(path: &Path) -> Result<Self, StorageError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| StorageError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        Self::connect(&format!("sqlite://{}?mode=rwc", path.display())).await
    }

    /// Connects to a `postgres://` or `sqlite://` URL.
    pub async fn connect(url: &str) -> Result<Self, StorageError> {
        Self::connect_with(url, 16).await
    }

    /// Connects to a `postgres://` URL with a pool of at most `max_connections`, or to a
    /// `sqlite://` one (whose pool stays small: one writer at a time).
    pub async fn connect_with(url: &str, max_connections: u32) -> Result<Self, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StorageError::UnsupportedUrl);
        };
        let options = AnyConnectOptions::from_str(url).map_err(StorageError::Connect)?;
        // Set once the pool exists, for the SQLite pool's release hook; weak, so the pool does
        // not keep itself alive.
        let this_pool: Arc<OnceLock<Weak<AnyPool>>> = Arc::default();
        let pool_options = AnyPoolOptions::new().acquire_timeout(Duration::from_secs(10));
        let pool_options = match backend {
            Backend::Postgres => pool_options.max_connections(max_connections.max(1)),
            Backend::Sqlite => pool_options
                // SQLite allows one writer at a time: a small pool plus a busy timeout keeps
                // writers queueing in SQLite instead of failing with SQLITE_BUSY.
                .max_connections(4)
                // A SQLite connection is a file opened in this process: nothing can hang up on
                // it, so the ping sqlx sends before handing one out (a round trip to the
                // connection's worker thread, on every acquire) buys nothing. sqlx still pings
                // when a connection comes back, which rolls back what a dropped caller left.
                .test_before_acquire(false)
                // A SQLite connection costs a file open, a thread and four pragmas to make, and
                // holds its page cache, lookaside and worker thread while it lives. sqlx hands
                // out idle connections first in, first out, so pollers alone (a relay looks four
                // times a second) keep every connection a burst opened warm and the idle timeout
                // never comes: old connections close when returned while another is idle, which
                // shrinks the pool back to what is in use. The last one stays, so a poller does
                // not reopen it every lifetime (sqlx's own `max_lifetime` would).
                .idle_timeout(SQLITE_CONNECTION_LIFETIME)
                .after_release({
                    let this_pool = Arc::clone(&this_pool);
                    move |_, meta| {
                        let keep = meta.age < SQLITE_CONNECTION_LIFETIME
                            || this_pool
                                .get()
                                .and_then(Weak::upgrade)
                                .is_some_and(|pool| pool.num_idle() == 0);
                        Box::pin(async move { Ok(keep) })
                    }
                })
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; \
                             PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                        Ok(())
                    })
                }),
        };
        let pool = Arc::new(
            pool_options
                .connect_with(options)
                .await
                .map_err(StorageError::Connect)?,
        );
        let _ = this_pool.set(Arc::downgrade(&pool));
        Ok(Self { pool, backend })
    }

    /// Applies the migrations for this database's backend.
    ///
    /// Several migration sets share one database: a service's own (versions are timestamps)
    /// and those of shared crates such as the event outbox (versions below 1000). Each set
    /// ignores the versions the others applied.
    pub async fn migrate(&self, migrations: Migrations) -> Result<(), StorageError> {
        let embedded = match self.backend {
            Backend::Postgres => migrations.postgres,
            Backend::Sqlite => migrations.sqlite,
        };
        // sqlx has no way to clone an embedded migrator; its fields are public for `migrate!`.
        let migrator = Migrator {
            migrations: embedded.migrations.clone(),
            ignore_missing: true,
            locking: embedded.locking,
            no_tx: embedded.no_tx,
        };
        migrator.run(&*self.pool).await?;
        tracing::info!(backend = ?self.backend, "database migrated");
        Ok(())
    }

    /// Answers whether the database takes queries; for health checks.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&*self.pool)
            .await
            .map(|_| ())
    }

    /// Starts a transaction that may write. On SQLite it takes the write lock at once (`BEGIN
    /// IMMEDIATE`): a deferred transaction that read first and then writes fails with
    /// SQLITE_BUSY, without waiting, whenever another connection wrote in between (a relay
    /// marking its outbox, say); an immediate one queues behind the busy timeout instead.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Postgres => self.pool.begin().await,
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
        }
    }

    /// The pool, for queries.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Which engine is behind the pool.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Closes every connection; queries after this fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Microseconds since the Unix epoch: how timestamps are stored, identically on both backends.
pub fn unix_micros(time: std::time::SystemTime) -> i64 {
    match time.duration_since(std::time::UNIX_EPOCH) {
        Ok(since) => i64::try_from(since.as_micros()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
    }
}

/// The inverse of [`unix_micros`].
pub fn from_unix_micros(micros: i64) -> std::time::SystemTime {
    let offset = Duration::from_micros(micros.unsigned_abs());
    if micros >= 0 {
        std::time::UNIX_EPOCH + offset
    } else {
        std::time::UNIX_EPOCH - offset
    }
}

/// Whether a database error means "not now" — the database is unreachable, overloaded, busy
/// or timed out, or a transaction lost a race it may win on retry — rather than a bug (a
/// constraint, a decode error, bad SQL).
pub fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::Protocol(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| is_transient_code(&code)),
        _ => false,
    }
}

/// PostgreSQL SQLSTATEs and SQLite result codes that [`is_transient`] accepts.
fn is_transient_code(code: &str) -> bool {
    // SQLite's codes are numbers below 10000: SQLITE_BUSY (5) and SQLITE_LOCKED (6), with
    // their extended codes. PostgreSQL's SQLSTATEs have five characters.
    if code.len() < 5 {
        return code
            .parse::<i32>()
            .is_ok_and(|sqlite| matches!(sqlite & 0xff, 5 | 6));
    }
    // PostgreSQL: connection exceptions (08), insufficient resources (53), operator
    // intervention (57: shutdown, statement timeout), serialization failures and deadlocks,
    // and a lock not available.
    code.starts_with("08")
        || code.starts_with("53")
        || code.starts_with("57")
        || matches!(code, "40001" | "40P01" | "55P03")
}

/// The one conversion of a database error into an API error, for every store: transient
/// failures are UNAVAILABLE (the caller may retry), anything else is INTERNAL and logged.
pub fn api_error(domain: &'static str, err: sqlx::Error) -> ApiError {
    if is_transient(&err) {
        ApiError::unavailable(domain, err)
    } else {
        ApiError::internal(domain, err)
    }
}

/// Whether an error is a unique-constraint violation, on either backend.
pub fn is_unique_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => db.is_unique_violation(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lost_connections_busy_databases_and_lost_races_are_transient() {
        assert!(is_transient(&sqlx::Error::PoolTimedOut));
        assert!(is_transient(&sqlx::Error::Io(std::io::Error::other(
            "reset"
        ))));
        for code in [
            "5", "517", "6", "08006", "57P01", "57014", "53300", "40001", "40P01",
        ] {
            assert!(is_transient_code(code), "{code}");
        }
    }

    #[test]
    fn constraint_decode_and_syntax_errors_are_bugs_not_outages() {
        assert!(!is_transient(&sqlx::Error::RowNotFound));
        assert!(!is_transient(&sqlx::Error::ColumnNotFound("x".to_owned())));
        // SQLITE_ERROR (bad SQL), SQLITE_CONSTRAINT_UNIQUE; PostgreSQL unique violation, syntax.
        for code in ["1", "2067", "23505", "42601"] {
            assert!(!is_transient_code(code), "{code}");
        }
        assert_eq!(
            api_error("test.estospaces.dev", sqlx::Error::RowNotFound).code(),
            tonic::Code::Internal
        );
        assert_eq!(
            api_error("test.estospaces.dev", sqlx::Error::PoolTimedOut).code(),
            tonic::Code::Unavailable
        );
    }
}
