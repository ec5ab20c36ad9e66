//! The `estospaces-moderation` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-moderation");

#[test]
fn without_the_review_service_url_it_exits_with_status_64_naming_the_setting() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_MODERATION__PROPERTY_URL", "http://127.0.0.1:9")
        .env_remove("ESTOSPACES_MODERATION__REVIEW_URL")
        .env_remove("ESTOSPACES_DATABASE_URL")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("moderation.review_url"), "{stderr}");
}

#[test]
fn the_binary_serves_on_its_embedded_stores_and_exits_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = estospaces_testing::free_port();
    // Neither identity, property nor review need be up to start.
    let mut child = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_DATA_DIR", data_dir.path())
        .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_MODERATION__PROPERTY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_MODERATION__REVIEW_URL", "http://127.0.0.1:9")
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    assert!(
        data_dir.path().join("moderation.db").exists(),
        "SQLite under the data dir"
    );
    let status = estospaces_testing::stop_with_sigterm(&mut child, Duration::from_secs(20));
    assert!(status.success(), "a clean exit: {status:?}");
}
