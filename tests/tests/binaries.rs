//! Every binary answers `--help` and `--version` at once, with status 0, starting nothing.

use std::process::Command;
use std::time::{Duration, Instant};

use estospaces_platform_tests::binary;

/// Every binary the workspace ships.
const BINARIES: &[&str] = &[
    "estospaces",
    "estospaces-identity",
    "estospaces-profile",
    "estospaces-property",
    "estospaces-payment",
    "estospaces-booking",
    "estospaces-search",
    "estospaces-notification",
    "estospaces-media",
    "estospaces-messaging",
    "estospaces-review",
    "estospaces-moderation",
    "estospaces-leads",
    "estospaces-project",
    "estospaces-gateway",
    "estospaces-events",
];

#[test]
fn every_binary_answers_help_and_version_with_status_0_without_starting() {
    for name in BINARIES {
        for flag in ["--help", "--version"] {
            let started = Instant::now();
            let output = Command::new(binary(name))
                .arg(flag)
                // Configuration that would make a starting service fail: the flags must not
                // read it at all.
                .env("ESTOSPACES_LISTEN", "not an address")
                .output()
                .expect("the binary runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "{name} {flag}: {:?}\n{}",
                output.status,
                String::from_utf8_lossy(&output.stderr)
            );
            match flag {
                "--version" => assert!(
                    stdout.contains(env!("CARGO_PKG_VERSION")),
                    "{name} --version: {stdout}"
                ),
                _ => assert!(stdout.contains("Usage:"), "{name} --help: {stdout}"),
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{name} {flag} took {:?}: it started something",
                started.elapsed()
            );
        }
    }
}

#[test]
fn a_misspelt_setting_stops_every_service_binary_with_status_64_naming_it() {
    for name in BINARIES.iter().filter(|name| **name != "estospaces-events") {
        let output = Command::new(binary(name))
            .env("ESTOSPACES_SHUTDOWN_GRAC", "5s")
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(64), "{name}: {stderr}");
        assert!(
            stderr.contains("ESTOSPACES_SHUTDOWN_GRAC"),
            "{name}: {stderr}"
        );
    }
}
