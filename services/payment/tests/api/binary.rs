//! The `estospaces-payment` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-payment");

#[test]
fn without_the_identity_url_the_binary_exits_with_status_64_and_says_why() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_AUTH__IDENTITY_URL")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("identity_url"), "{stderr}");
}

#[test]
fn the_stripe_provider_without_a_secret_key_exits_with_status_64_and_says_why() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_PAYMENT__PROVIDER", "stripe")
        .env_remove("ESTOSPACES_PAYMENT__STRIPE_SECRET_KEY")
        .env_remove("ESTOSPACES_DATABASE_URL")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("stripe_secret_key"), "{stderr}");
}

#[test]
fn the_binary_serves_relays_to_its_embedded_log_and_exits_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = estospaces_testing::free_port();
    // Identity need not be up: the key set is fetched in the background.
    let mut child = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");

    estospaces_testing::wait_until_listening(&mut child, port);
    assert!(
        data_dir.path().join("payment.db").exists(),
        "SQLite under the data dir"
    );
    assert!(
        data_dir.path().join("events.db").exists(),
        "the embedded event log"
    );

    let status = estospaces_testing::stop_with_sigterm(&mut child, Duration::from_secs(10));
    assert!(status.success(), "{status:?}");
}
