//! What every service gets from the server kit, seen through the identity service.

use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

use crate::helpers::{on_both_backends, spawn_app};

on_both_backends! {
    async fn health_reports_serving_for_the_server_and_the_identity_service(backend: Backend) {
        let app = spawn_app(backend).await;
        let mut health = HealthClient::new(app.channel.clone());

        for service in ["", "estospaces.identity.v1.IdentityService"] {
            // Readiness checks run right after start; allow them a moment.
            let mut status = ServingStatus::Unknown;
            for _ in 0..50 {
                status = health
                    .check(HealthCheckRequest { service: service.to_owned() })
                    .await
                    .expect("health answers")
                    .into_inner()
                    .status();
                if status == ServingStatus::Serving {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            }
            assert_eq!(status, ServingStatus::Serving, "service {service:?}");
        }
    }
}

#[tokio::test]
async fn reflection_lists_the_identity_service_and_health_but_not_other_contracts() {
    let app = spawn_app(crate::helpers::Backend::Sqlite).await;
    let mut reflection = ServerReflectionClient::new(app.channel.clone());

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = reflection
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection answers")
        .into_inner();
    let response = responses
        .message()
        .await
        .expect("a response")
        .expect("not the end of the stream");

    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("expected a service list, got {response:?}");
    };
    let mut names: Vec<String> = list
        .service
        .into_iter()
        .map(|service| service.name)
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "estospaces.identity.v1.IdentityService",
            "grpc.health.v1.Health"
        ]
    );
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_callers_id_is_kept() {
    let mut app = spawn_app(crate::helpers::Backend::Sqlite).await;

    let response = app
        .client
        .get_jwks(estospaces_proto::identity_v1::GetJwksRequest {})
        .await
        .expect("public");
    let generated = response.metadata().get("x-request-id").expect("an id");
    assert_eq!(generated.len(), 36, "a UUID: {generated:?}");

    let mut request = tonic::Request::new(estospaces_proto::identity_v1::GetJwksRequest {});
    request
        .metadata_mut()
        .insert("x-request-id", "trace-me-42".parse().expect("ascii"));
    let response = app.client.get_jwks(request).await.expect("public");
    assert_eq!(
        response
            .metadata()
            .get("x-request-id")
            .map(|v| v.to_str().expect("ascii")),
        Some("trace-me-42")
    );
}
