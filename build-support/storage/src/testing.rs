//! Fresh databases for tests: each test gets its own, so tests run in parallel without seeing
//! each other's rows.

use tempfile::TempDir;

use crate::{Database, Migrations, StorageError};

/// The server the PostgreSQL test databases are created on.
pub const TEST_DATABASE_URL_ENV: &str = "ESTOSPACES_TEST_DATABASE_URL";

/// The prefix of every test database's name, so leftovers can be found and dropped.
pub const TEST_DATABASE_PREFIX: &str = "estospaces_test_";

const DEFAULT_TEST_SERVER: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database created for one test, gone with it: SQLite files with their directory, a
/// PostgreSQL database dropped when the value is (named with [`TEST_DATABASE_PREFIX`], so the
/// test script can still find what a killed run left).
#[derive(Debug)]
pub struct TestDatabase {
    pub database: Database,
    /// The URL to hand to a service under test, as `ESTOSPACES_DATABASE_URL` would be.
    pub url: String,
    /// A fresh directory for the service's other embedded state (its event log, say), removed
    /// with the database; hand it over as `ESTOSPACES_DATA_DIR`.
    dir: TempDir,
    /// The PostgreSQL server and the database's name there, to drop it.
    server: Option<(String, String)>,
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some((server, name)) = self.server.take() else {
            return;
        };
        // Drop cannot await and may run inside a runtime: a thread and a runtime of its own.
        // FORCE: the service under test may still hold connections when its test ends.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async {
                let server = Database::connect(&server).await?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(server.pool())
                    .await
                    .map_err(StorageError::Connect)?;
                server.close().await;
                Ok::<(), StorageError>(())
            })?;
            Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop a test database: {dropped:?}");
        }
    }
}

impl TestDatabase {
    /// Creates an empty, randomly named PostgreSQL database on the test server and applies
    /// every set of `migrations` (a service's own, the event outbox's, ...).
    pub async fn postgres(migrations: &[Migrations]) -> Result<Self, StorageError> {
        let server_url =
            std::env::var(TEST_DATABASE_URL_ENV).unwrap_or_else(|_| DEFAULT_TEST_SERVER.to_owned());
        let name = format!("{TEST_DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
        let server = Database::connect(&server_url).await?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(server.pool())
            .await
            .map_err(StorageError::Connect)?;
        server.close().await;

        let url = replace_database_name(&server_url, &name);
        let database = Database::connect(&url).await?;
        for set in migrations {
            database.migrate(*set).await?;
        }
        Ok(Self {
            database,
            url,
            dir: temp_dir()?,
            server: Some((server_url, name)),
        })
    }

    /// Creates a SQLite database in a fresh temporary directory and applies every set of
    /// `migrations`.
    pub async fn sqlite(migrations: &[Migrations]) -> Result<Self, StorageError> {
        let dir = temp_dir()?;
        let path = dir.path().join("test.db");
        let database = Database::open_sqlite_file(&path).await?;
        for set in migrations {
            database.migrate(*set).await?;
        }
        Ok(Self {
            database,
            url: format!("sqlite://{}?mode=rwc", path.display()),
            dir,
            server: None,
        })
    }

    /// The test's data directory (see the field docs).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

fn temp_dir() -> Result<TempDir, StorageError> {
    tempfile::tempdir().map_err(|source| StorageError::DataDir {
        path: std::env::temp_dir().display().to_string(),
        source,
    })
}

/// `postgres://user@host:5432/postgres?x=y` with the path's database swapped for `name`.
fn replace_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    // The database is the path after the authority; without one, append it.
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database_name;

    #[test]
    fn the_database_name_is_replaced_and_the_query_kept() {
        assert_eq!(
            replace_database_name("postgres://u@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5432/t1?sslmode=disable"
        );
        assert_eq!(
            replace_database_name("postgres://u@h", "t2"),
            "postgres://u@h/t2"
        );
    }
}
