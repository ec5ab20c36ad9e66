//! The `estospaces-identity` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-identity");

#[test]
fn an_invalid_configuration_exits_with_status_64_and_says_why() {
    let output = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", "not-an-address")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listen"), "{stderr}");
}

#[test]
fn the_binary_serves_on_its_embedded_default_and_exits_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = estospaces_testing::free_port();
    let mut child = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env_remove("ESTOSPACES_DATABASE_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");

    estospaces_testing::wait_until_listening(&mut child, port);
    assert!(
        data_dir.path().join("identity.db").exists(),
        "SQLite under the data dir"
    );

    let status = estospaces_testing::stop_with_sigterm(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}

#[test]
fn an_unknown_command_exits_with_status_64_and_prints_the_usage() {
    let output = Command::new(BINARY)
        .arg("make-me-admin")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("make-me-admin") && stderr.contains("Usage:"),
        "{stderr}"
    );
}

#[test]
fn grant_admin_makes_a_registered_account_an_admin_and_refuses_an_unknown_email() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let email = "ops@example.com";
    let user = runtime.block_on(async {
        let config = estospaces_identity::IdentityConfig {
            common: estospaces_config::CommonConfig {
                data_dir: data_dir.path().to_owned(),
                ..Default::default()
            },
            service: Default::default(),
        };
        let db = estospaces_storage::Database::open(&config.common, "identity")
            .await
            .expect("opens");
        for migrations in [
            estospaces_identity::store::MIGRATIONS,
            estospaces_events::MIGRATIONS,
        ] {
            db.migrate(migrations).await.expect("migrates");
        }
        let store = estospaces_identity::store::IdentityStore::new(db);
        let token = estospaces_identity::secrets::OpaqueToken::generate();
        let (user, _) = store
            .create_user(
                &estospaces_identity::domain::Email::parse(email).expect("valid"),
                "hash",
                estospaces_identity::store::NewToken {
                    raw: token.expose(),
                    digest: token.digest(),
                    expires_at: std::time::SystemTime::now(),
                },
                std::time::SystemTime::now(),
            )
            .await
            .expect("registered");
        user
    });
    let run = |email: &str| {
        Command::new(BINARY)
            .args(["grant-admin", email])
            .env("ESTOSPACES_DATA_DIR", data_dir.path())
            .env_remove("ESTOSPACES_DATABASE_URL")
            .output()
            .expect("the binary runs")
    };

    let granted = run("OPS@example.com");
    let unknown = run("nobody@example.com");

    assert!(granted.status.success(), "{granted:?}");
    assert!(String::from_utf8_lossy(&granted.stdout).contains(&user.id.name()));
    let roles = runtime.block_on(async {
        let db =
            estospaces_storage::Database::open_sqlite_file(&data_dir.path().join("identity.db"))
                .await
                .expect("opens");
        estospaces_identity::store::IdentityStore::new(db)
            .find_user(user.id)
            .await
            .expect("readable")
            .expect("the account")
            .roles
    });
    assert!(roles.contains(&estospaces_auth::Role::Admin), "{roles:?}");
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no account"),
        "{unknown:?}"
    );
}
