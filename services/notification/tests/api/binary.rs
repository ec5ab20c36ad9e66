//! The `estospaces-notification` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::Duration;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-notification");

#[test]
fn a_bad_mail_sender_or_twilio_without_its_settings_exits_with_status_64_naming_the_setting() {
    for (key, value, named) in [
        (
            "ESTOSPACES_NOTIFICATION__MAIL_FROM",
            "not a mailbox",
            "notification.mail_from",
        ),
        (
            "ESTOSPACES_NOTIFICATION__SMS_PROVIDER",
            "twilio",
            "notification.twilio_account_sid",
        ),
    ] {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let output = Command::new(BINARY)
            .env("ESTOSPACES_LISTEN", "127.0.0.1:0")
            .env("ESTOSPACES_DATA_DIR", data_dir.path())
            .env("ESTOSPACES_AUTH__IDENTITY_URL", "http://127.0.0.1:9")
            .env(key, value)
            .env_remove("ESTOSPACES_DATABASE_URL")
            .output()
            .expect("the binary runs");
        assert_eq!(output.status.code(), Some(64), "{key}={value}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(named), "{key}={value}: {stderr}");
    }
}

#[test]
fn the_binary_serves_on_its_embedded_stores_and_exits_cleanly_on_sigterm() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let port = estospaces_testing::free_port();
    // Identity need not be up to start.
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
        data_dir.path().join("notification.db").exists(),
        "SQLite under the data dir"
    );
    assert!(
        data_dir.path().join("mail").is_dir(),
        "where emails go without an SMTP server"
    );

    let status = estospaces_testing::stop_with_sigterm(&mut child, Duration::from_secs(20));
    assert!(status.success(), "a clean exit: {status:?}");
}
