//! The `estospaces-gateway` binary as an operator runs it.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-gateway");

#[test]
fn an_invalid_configuration_exits_with_status_64_and_says_why() {
    let output = Command::new(BINARY)
        .env("ESTOSPACES_GATEWAY__MAX_BODY_BYTES", "lots")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("max_body_bytes"), "{stderr}");
}

#[tokio::test]
async fn the_binary_serves_rest_for_its_configured_upstream_and_exits_cleanly_on_sigterm() {
    // The in-process identity service behind the test app is the binary's upstream too.
    let app = spawn_app().await;
    let port = free_port();
    let mut child = Command::new(BINARY)
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env(
            "ESTOSPACES_GATEWAY__UPSTREAMS__IDENTITY",
            format!("http://{}", app.identity_addr),
        )
        .env_remove("ESTOSPACES_REDIS_URL")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");

    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the binary never listened");
        assert!(
            child.try_wait().expect("status").is_none(),
            "the binary exited early"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let response = app
        .http
        .post(format!("http://127.0.0.1:{port}/v1/users:register"))
        .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("the binary answers");
    assert_eq!(response.status(), 201);

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().expect("status") {
            break status;
        }
        assert!(Instant::now() < deadline, "no exit within 10 s of SIGTERM");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(status.success(), "{status:?}");
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}
