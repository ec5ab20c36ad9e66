//! The profile service as an operator runs it.

use std::process::Command;

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

use crate::helpers::{Backend, spawn_app};

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-profile");

#[test]
fn the_binary_without_an_identity_url_exits_with_status_64_and_says_why() {
    let output = Command::new(BINARY)
        .env_remove("ESTOSPACES_AUTH__IDENTITY_URL")
        .output()
        .expect("the binary runs");

    assert_eq!(output.status.code(), Some(64));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("auth.identity_url"), "{stderr}");
}

#[tokio::test]
async fn health_reports_serving_once_the_identity_key_set_is_loaded() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut health = HealthClient::new(app.profile_channel.clone());

    let mut status = ServingStatus::Unknown;
    for _ in 0..100 {
        status = health
            .check(HealthCheckRequest {
                service: "estospaces.profile.v1.ProfileService".to_owned(),
            })
            .await
            .expect("health answers")
            .into_inner()
            .status();
        if status == ServingStatus::Serving {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(status, ServingStatus::Serving);
}
