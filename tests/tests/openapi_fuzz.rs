//! A REST fuzzer against the single `estospaces` binary's platform, seeded: schemathesis builds
//! requests for every operation of `/openapi.json` (signed in as a demo guest) and finds no
//! server error and no response that differs from the document.
//!
//! `build-support/dev/schemathesis.sh` installs schemathesis (pinned, from PyPI) into a venv
//! under `$ESTOSPACES_CACHE` once, so this test needs Python 3.9+ with venv.

use std::path::Path;
use std::process::Command;

use estospaces::seed;
use estospaces_platform_tests::tour::start_seeded_platform_with;
use serde_json::json;

#[tokio::test]
async fn a_rest_fuzzer_finds_no_server_error_and_no_schema_error() {
    let tour = start_seeded_platform_with(2, |config| {
        // Every generated request should reach its service, not wait for the rate limiter.
        config.service.gateway.rate_limits.enabled = false;
    })
    .await;
    let (status, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": seed::demo_email("guest", 0), "password": seed::DEMO_PASSWORD}),
        )
        .await;
    assert_eq!(status, 200, "the demo guest signs in: {session}");
    let token = session["accessToken"]
        .as_str()
        .expect("an access token")
        .to_owned();

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../build-support/dev/schemathesis.sh");
    let reports = tempfile::tempdir().expect("a report directory");
    let report_dir = reports.path().to_owned();
    let base = tour.base.clone();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(script)
            .arg("run")
            .arg(&base)
            .env("ESTOSPACES_FUZZ_TOKEN", token)
            .env("ESTOSPACES_FUZZ_REPORT_DIR", &report_dir)
            .output()
            .expect("schemathesis.sh starts")
    })
    .await
    .expect("schemathesis.sh completes");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // Shown with `--no-capture`: what was run, and how often each operation answered what.
    println!("{stdout}");
    assert!(
        output.status.success(),
        "schemathesis found problems ({:?})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
}
