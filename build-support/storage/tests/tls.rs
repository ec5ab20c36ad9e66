//! TLS to PostgreSQL through the URL's `sslmode`, `sslrootcert`, `sslcert` and `sslkey`, against
//! a server of each test's own that takes nothing but TLS (`hostssl` lines only in its
//! pg_hba.conf), with certificates made for the test.
//!
//! The server needs Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`, as
//! `build-support/dev/services.sh` installs them). PostgreSQL refuses to run as root, so under
//! root it runs as the `postgres` system user, which then owns its directory and key.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use estospaces_grpc_tls::testing::TestPki;
use estospaces_storage::{Database, Migrations, StorageError};
use sqlx::migrate::Migrator;

static MIGRATOR: Migrator = sqlx::migrate!("tests/migrations");
const MIGRATIONS: Migrations = Migrations {
    postgres: &MIGRATOR,
    sqlite: &MIGRATOR,
};

#[tokio::test]
async fn a_database_url_with_verify_full_connects_over_tls_and_migrates() {
    let server = TlsPostgres::start();
    let ca = server.pki.ca.display();
    let database = Database::connect(&server.url(
        "127.0.0.1",
        "postgres",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .expect("a verified TLS connection");

    let encrypted: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            .fetch_one(database.pool())
            .await
            .expect("the connection's TLS state");
    assert!(encrypted, "the session is encrypted");
    database.migrate(MIGRATIONS).await.expect("migrations run");
    sqlx::query("INSERT INTO tls_notes (id, note) VALUES (1, 'sealed')")
        .execute(database.pool())
        .await
        .expect("the migrated table takes rows");
    database.close().await;

    let plaintext = Database::connect(&server.url("127.0.0.1", "postgres", "sslmode=disable"))
        .await
        .expect_err("this server's pg_hba.conf has hostssl lines only");
    assert!(
        matches!(plaintext, StorageError::Connect(_)),
        "{plaintext:?}"
    );
}

#[tokio::test]
async fn verify_full_refuses_a_certificate_from_another_ca_or_for_another_host() {
    let server = TlsPostgres::start();
    let ca = server.pki.ca.display();
    let other_ca = server.pki.other_ca.display();

    let err = Database::connect(&server.url(
        "127.0.0.1",
        "postgres",
        &format!("sslmode=verify-full&sslrootcert={other_ca}"),
    ))
    .await
    .expect_err("a CA that signed nothing of this server's");
    assert!(is_certificate_error(&err), "{err:?}");

    // The certificate names localhost and 127.0.0.1, not 127.0.0.2.
    let err = Database::connect(&server.url(
        "127.0.0.2",
        "postgres",
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .await
    .expect_err("verify-full checks the host name");
    assert!(is_certificate_error(&err), "{err:?}");

    // Unlike libpq, sqlx's `require` never verifies, even with a root certificate given.
    Database::connect(&server.url(
        "127.0.0.1",
        "postgres",
        &format!("sslmode=require&sslrootcert={other_ca}"),
    ))
    .await
    .expect("require encrypts without verifying")
    .close()
    .await;
}

#[tokio::test]
async fn a_client_certificate_logs_in_where_pg_hba_requires_one() {
    let server = TlsPostgres::start();
    let pki = &server.pki;
    let verified = format!("sslmode=verify-full&sslrootcert={}", pki.ca.display());
    // pg_hba.conf says `cert` for the role named like the client certificate's common name.
    let admin = Database::connect(&server.url("127.0.0.1", "postgres", &verified))
        .await
        .expect("an admin connection");
    sqlx::query(&format!("CREATE ROLE {CLIENT_ROLE} LOGIN"))
        .execute(admin.pool())
        .await
        .expect("the certificate's role");
    admin.close().await;

    let err = Database::connect(&server.url("127.0.0.1", CLIENT_ROLE, &verified))
        .await
        .expect_err("no client certificate");
    assert!(matches!(err, StorageError::Connect(_)), "{err:?}");

    let with_certificate = format!(
        "{verified}&sslcert={}&sslkey={}",
        pki.client_cert.display(),
        pki.client_key.display()
    );
    let database = Database::connect(&server.url("127.0.0.1", CLIENT_ROLE, &with_certificate))
        .await
        .expect("the client certificate logs in");
    let user: String = sqlx::query_scalar("SELECT current_user::text")
        .fetch_one(database.pool())
        .await
        .expect("a query");
    assert_eq!(user, CLIENT_ROLE);
    database.close().await;
}

/// The common name of [`TestPki`]'s client certificate.
const CLIENT_ROLE: &str = "client";

/// Whether the TLS handshake failed on the server's certificate. sqlx reports rustls' verdict
/// as an I/O error, the certificate error inside.
fn is_certificate_error(err: &StorageError) -> bool {
    matches!(err, StorageError::Connect(sqlx::Error::Io(_)))
        && format!("{err:?}").contains("InvalidCertificate")
}

/// A PostgreSQL server in a temporary directory that takes TLS connections only, on
/// 127.0.0.1 and 127.0.0.2. Stopped (fast shutdown) and removed when dropped.
struct TlsPostgres {
    dir: tempfile::TempDir,
    pki: TestPki,
    port: u16,
    server: Child,
}

impl TlsPostgres {
    fn start() -> Self {
        let bin = postgres_bin_dir();
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pki_dir = dir.path().join("pki");
        std::fs::create_dir(&pki_dir).expect("the certificates' directory");
        let pki = TestPki::create(&pki_dir);
        // The server must own its key and keep it from others, or it refuses to start.
        let key = dir.path().join("server.key");
        std::fs::copy(&pki.server_key, &key).expect("the server key");
        set_mode(&key, 0o600);
        std::fs::write(
            dir.path().join("pg_hba.conf"),
            format!(
                "hostssl all {CLIENT_ROLE} 127.0.0.0/8 cert\nhostssl all all 127.0.0.0/8 trust\n"
            ),
        )
        .expect("pg_hba.conf");
        if running_as_root() {
            run(Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(dir.path()));
        }

        let data = dir.path().join("data");
        run(as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C"])
            .args(["--no-sync", "--no-instructions"]));

        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).expect("a log file");
        let setting = |name: &str, value: &Path| format!("{name}={}", value.display());
        let server = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .args(["-c", &format!("port={port}")])
            .args(["-c", "listen_addresses=127.0.0.1,127.0.0.2"])
            .args(["-c", &setting("unix_socket_directories", dir.path())])
            .args(["-c", &setting("hba_file", &dir.path().join("pg_hba.conf"))])
            .args(["-c", "ssl=on"])
            .args(["-c", &setting("ssl_cert_file", &pki.server_cert)])
            .args(["-c", &setting("ssl_key_file", &key)])
            // The CA that client certificates must be signed by.
            .args(["-c", &setting("ssl_ca_file", &pki.ca)])
            .args(["-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("starting postgres");
        let mut server = Self {
            dir,
            pki,
            port,
            server,
        };
        server.wait_until_ready();
        server
    }

    /// A URL to this server's `postgres` database.
    fn url(&self, host: &str, user: &str, query: &str) -> String {
        format!("postgres://{user}@{host}:{}/postgres?{query}", self.port)
    }

    fn wait_until_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let pg_isready = postgres_bin_dir().join("pg_isready");
        let port = self.port.to_string();
        while !Command::new(&pg_isready)
            .args(["-h", "127.0.0.1", "-p", &port, "-q"])
            .status()
            .is_ok_and(|status| status.success())
        {
            let exited = self.server.try_wait().expect("the server's state");
            assert!(
                exited.is_none() && Instant::now() < deadline,
                "PostgreSQL did not start ({exited:?}):\n{}",
                std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for TlsPostgres {
    fn drop(&mut self) {
        // SIGINT is a fast shutdown: the server ends its sessions and removes its shared memory
        // and socket, which SIGKILL would leave behind.
        let _ = Command::new("kill")
            .args(["-INT", &self.server.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while matches!(self.server.try_wait(), Ok(None)) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.server.kill();
        let _ = self.server.wait();
    }
}

/// The newest PostgreSQL's binaries that Debian's packages installed.
fn postgres_bin_dir() -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL's binaries in /usr/lib/postgresql (build-support/dev/services.sh up)");
    versions
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .max()
        .map(|(_, bin)| bin)
        .expect("a PostgreSQL version under /usr/lib/postgresql")
}

/// `program`, run as the `postgres` user when the test runs as root. setpriv execs the program
/// in place, so the child is the program itself, to signal and to wait for.
fn as_postgres(program: &Path) -> Command {
    if running_as_root() {
        let mut command = Command::new("setpriv");
        command
            .args([
                "--reuid=postgres",
                "--regid=postgres",
                "--init-groups",
                "--",
            ])
            .arg(program);
        command
    } else {
        Command::new(program)
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn run(command: &mut Command) {
    let output = command.output().expect("the command starts");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
