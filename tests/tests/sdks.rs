//! The client SDKs under `clients/` run their README tours against the single `estospaces`
//! binary's platform: a guest and a host sign up, the host lists and publishes a flat, the guest
//! finds it through search and books it, and the saga confirms the booking. Their generated code
//! must be what `buf.gen.yaml` makes of `proto/` today.
//!
//! `build-support/dev/clients.sh` installs what the SDKs need (npm ci, a Python venv, buf; cached
//! under `$ESTOSPACES_CACHE`), so these tests need Node 20+, npm and Python 3.9+ with venv.

use std::path::Path;
use std::process::{Command, Output};

use estospaces_platform_tests::tour::start_seeded_platform;

/// Runs `build-support/dev/clients.sh args...`; its output, and a report to fail with.
async fn clients_sh(args: &[&str]) -> (Output, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../build-support/dev/clients.sh");
    let args: Vec<String> = args.iter().map(|&arg| arg.to_owned()).collect();
    let shown = format!("clients.sh {}", args.join(" "));
    let output = tokio::task::spawn_blocking(move || {
        Command::new(script)
            .args(&args)
            .output()
            .expect("clients.sh starts")
    })
    .await
    .expect("clients.sh completes");
    let report = format!(
        "{shown}: {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, report)
}

/// The lines a tour printed on success, `tour complete: booking bookings/... CONFIRMED`, one
/// per protocol it ran over; asserts the last line of its output is one.
fn completed_tours(output: &Output, report: &str) -> usize {
    assert!(output.status.success(), "{report}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let is_complete = |line: &str| {
        line.starts_with("tour complete: booking bookings/") && line.ends_with(" CONFIRMED")
    };
    assert!(
        stdout.lines().last().is_some_and(is_complete),
        "the tour did not end with a confirmed booking\n{report}"
    );
    stdout.lines().filter(|line| is_complete(line)).count()
}

#[tokio::test]
async fn the_typescript_tour_books_a_stay_over_grpc_and_grpc_web() {
    // Seeded for its demo operator, who grants the tour's new host the host role.
    let platform = start_seeded_platform(0).await;
    let (output, report) = clients_sh(&["tour-ts", &platform.base, "grpc", "grpc-web"]).await;
    assert_eq!(completed_tours(&output, &report), 2, "{report}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("signed in over grpc\n"), "{report}");
    assert!(stdout.contains("signed in over grpc-web\n"), "{report}");
}

#[tokio::test]
async fn the_python_tour_books_a_stay_over_grpc() {
    let platform = start_seeded_platform(0).await;
    let (output, report) = clients_sh(&["tour-py", &platform.base]).await;
    assert_eq!(completed_tours(&output, &report), 1, "{report}");
}

#[tokio::test]
async fn regenerating_the_sdks_from_the_protos_changes_nothing() {
    let (output, report) = clients_sh(&["check"]).await;
    assert!(output.status.success(), "{report}");
    assert!(
        String::from_utf8_lossy(&output.stdout).contains("generated code is up to date"),
        "{report}"
    );
}
