//! The `estospaces-leads` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-leads");

/// The binary with a data dir and an identity URL, and none of the leads settings from the
/// environment running the tests.
fn leads(data_dir: &std::path::Path) -> Command {
    let mut command = Command::new(BINARY);
    command
        .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
        .env("ESTOSPACES_DATA_DIR", data_dir)
        .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS");
    for setting in [
        "PROPERTY_URL",
        "PROFILE_URL",
        "CAPTCHA_VERIFY_URL",
        "CAPTCHA_SECRET",
    ] {
        command.env_remove(format!("ESTOSPACES_LEADS__{setting}"));
    }
    command
}

#[test]
fn without_the_property_service_url_it_exits_with_status_64_naming_the_setting() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = leads(data_dir.path())
        .env("ESTOSPACES_LEADS__PROFILE_URL", "http://127.0.0.1:9")
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("leads.property_url"), "{stderr}");
}

#[test]
fn a_captcha_url_without_its_secret_exits_with_status_64_naming_the_secret() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let output = leads(data_dir.path())
        .env("ESTOSPACES_LEADS__PROPERTY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_LEADS__PROFILE_URL", "http://127.0.0.1:9")
        .env(
            "ESTOSPACES_LEADS__CAPTCHA_VERIFY_URL",
            "https://hcaptcha.com/siteverify",
        )
        .output()
        .expect("the binary runs");
    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("leads.captcha_secret"), "{stderr}");
}

#[test]
fn the_binary_serves_on_its_embedded_stores_and_exits_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = estospaces_testing::free_port();
    // Neither identity, property nor profile need be up to start.
    let mut child = leads(data_dir.path())
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_LEADS__PROPERTY_URL", "http://127.0.0.1:9")
        .env("ESTOSPACES_LEADS__PROFILE_URL", "http://127.0.0.1:9")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    assert!(
        data_dir.path().join("leads.db").exists(),
        "SQLite under the data dir"
    );
    let status = estospaces_testing::stop_with_sigterm(&mut child, Duration::from_secs(20));
    assert!(status.success(), "a clean exit: {status:?}");
}
