//! The `estospaces-project` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-project");

/// The binary with a data dir and an identity URL, and none of the project settings from the
/// environment running the tests.
fn project(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
        .env("ESTOSPACES_DATA_DIR", data_dir)
        .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS");
    for setting in [
        "PROPERTY_URL",
        "MEDIA_URL",
        "RESERVATION_HOLD",
        "SWEEP_INTERVAL",
        "PAYMENT_EVENTS_GROUP",
    ] {
        command.env_remove(format!("ESTOSPACES_PROJECT__{setting}"));
    }
    command
}

#[test]
fn without_the_property_service_url_it_exits_with_status_64_naming_the_setting() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = project(data_dir.path()).output().expect("the binary runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("project.property_url"), "{stderr}");
}

#[test]
fn a_zero_reservation_hold_exits_with_status_64_naming_the_setting() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = project(data_dir.path())
        .env("ESTOSPACES_PROJECT__PROPERTY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_PROJECT__RESERVATION_HOLD", "0s")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("project.reservation_hold"), "{stderr}");
}

#[test]
fn the_binary_serves_on_its_embedded_stores_and_exits_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = estospaces_testing::free_port();
    // Neither identity nor property need be up to start.
    let mut child = project(data_dir.path())
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_PROJECT__PROPERTY_URL", "http://127.0.0.1:9")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    assert!(
        data_dir.path().join("project.db").exists(),
        "SQLite under the data dir"
    );
    let status = estospaces_testing::stop_with_sigterm(&mut child, Duration::from_secs(20));
    assert!(status.success(), "a clean exit: {status:?}");
}
