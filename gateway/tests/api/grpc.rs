//! gRPC and grpc-web through the gateway, with the generated clients and raw grpc-web frames.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use estospaces_proto::identity_v1 as pb;
use estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient;
use prost::Message;
use tonic::Code;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::helpers::{PASSWORD, TestApp, frame, spawn_app, unframe};

async fn client(app: &TestApp) -> IdentityServiceClient<Channel> {
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .connect()
        .await
        .expect("the gateway accepts HTTP/2");
    IdentityServiceClient::new(channel)
}

fn register_request(email: &str) -> pb::RegisterUserRequest {
    pb::RegisterUserRequest {
        email: email.to_owned(),
        password: PASSWORD.to_owned(),
    }
}

#[tokio::test]
async fn grpc_calls_pass_through_with_their_status_details() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    let user = client
        .register_user(register_request("ada@example.com"))
        .await
        .expect("registration over gRPC")
        .into_inner()
        .user
        .expect("a user");
    assert_eq!(user.email, "ada@example.com");

    let status = client
        .register_user(register_request("ada@example.com"))
        .await
        .expect_err("a second registration fails");
    assert_eq!(status.code(), Code::AlreadyExists);
    assert_eq!(
        status.get_details_error_info().expect("ErrorInfo").domain,
        "identity.estospaces.dev",
        "details survive the proxy"
    );
}

#[tokio::test]
async fn grpc_calls_to_methods_needing_a_token_are_refused_at_the_gateway_without_one() {
    let app = spawn_app().await;
    let mut client = client(&app).await;

    let status = client
        .get_user(pb::GetUserRequest {
            name: "users/anyone".to_owned(),
        })
        .await
        .expect_err("no token");

    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(
        status.get_details_error_info().expect("ErrorInfo").reason,
        "TOKEN_MISSING"
    );
}

#[tokio::test]
async fn grpc_calls_with_a_token_reach_the_service() {
    let app = spawn_app().await;
    let (user, token) = app.signed_in("ada@example.com").await;
    let mut client = client(&app).await;

    let mut request = tonic::Request::new(pb::GetUserRequest {
        name: user["name"].as_str().expect("name").to_owned(),
    });
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    let fetched = client
        .get_user(request)
        .await
        .expect("the owner may read their account")
        .into_inner()
        .user
        .expect("a user");
    assert_eq!(fetched.email, "ada@example.com");
}

#[tokio::test]
async fn an_unknown_grpc_method_is_unimplemented() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/estospaces.nothing.v1.NoService/Nope"))
        .header("content-type", "application/grpc-web+proto")
        .body(frame(&[]))
        .send()
        .await
        .expect("answer");

    let grpc_status = response
        .headers()
        .get("grpc-status")
        .map(|v| v.to_str().expect("ascii").to_owned());
    assert_eq!(grpc_status.as_deref(), Some("12"), "UNIMPLEMENTED");
}

#[tokio::test]
async fn grpc_web_binary_calls_reach_the_service() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/estospaces.identity.v1.IdentityService/RegisterUser"))
        .header("content-type", "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .body(frame(&register_request("ada@example.com").encode_to_vec()))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 200);
    let body = response.bytes().await.expect("body");
    let (messages, trailers) = unframe(&body);
    assert_eq!(trailers.get("grpc-status").map(String::as_str), Some("0"));
    let reply = pb::RegisterUserResponse::decode(messages[0].as_slice()).expect("a response");
    assert_eq!(reply.user.expect("a user").email, "ada@example.com");
}

#[tokio::test]
async fn grpc_web_text_calls_reach_the_service_and_errors_arrive_as_a_status() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;

    let response = app
        .http
        .post(app.url("/estospaces.identity.v1.IdentityService/RegisterUser"))
        .header("content-type", "application/grpc-web-text")
        .body(STANDARD.encode(frame(&register_request("ada@example.com").encode_to_vec())))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 200);
    // A call that fails before any message is "trailers-only": the status is in the headers.
    let in_headers = response
        .headers()
        .get("grpc-status")
        .map(|value| value.to_str().expect("ascii").to_owned());
    let text = response.text().await.expect("body");
    let body = STANDARD.decode(text.trim()).expect("base64");
    let (messages, trailers) = unframe(&body);
    assert!(messages.is_empty());
    let status = in_headers.or_else(|| trailers.get("grpc-status").cloned());
    assert_eq!(status.as_deref(), Some("6"), "ALREADY_EXISTS");
}

#[tokio::test]
async fn grpc_web_server_streams_arrive_message_by_message() {
    let app = spawn_app().await;
    let pool = crate::helpers::descriptors();
    let descriptor = pool
        .get_message_by_name("estospaces.echo.v1.EchoMessage")
        .expect("echo message");
    let mut request = prost_reflect::DynamicMessage::new(descriptor.clone());
    request.set_field_by_name("name", prost_reflect::Value::String("shelves/s1".into()));
    request.set_field_by_name("count", prost_reflect::Value::I32(3));

    let response = app
        .http
        .post(app.url("/estospaces.echo.v1.EchoService/Watch"))
        .header("content-type", "application/grpc-web+proto")
        .body(frame(&request.encode_to_vec()))
        .send()
        .await
        .expect("answer");

    let body = response.bytes().await.expect("body");
    let (messages, trailers) = unframe(&body);
    assert_eq!(messages.len(), 3);
    let first =
        prost_reflect::DynamicMessage::decode(descriptor, messages[0].as_slice()).expect("an echo");
    assert_eq!(
        first.get_field_by_name("name").expect("name").as_str(),
        Some("shelves/s1")
    );
    assert_eq!(trailers.get("grpc-status").map(String::as_str), Some("0"));
}

#[tokio::test]
async fn many_grpc_calls_on_one_connection_all_succeed() {
    // Each proxied request must end with its last DATA frame: an extra empty frame per call
    // makes the upstream close the connection (`too_many_data_frames`) after a few hundred.
    let app = spawn_app().await;
    let mut client = client(&app).await;

    let mut failures = Vec::new();
    for _ in 0..1000 {
        if let Err(status) = client.get_jwks(pb::GetJwksRequest {}).await {
            failures.push(status.message().to_owned());
        }
    }

    assert!(
        failures.is_empty(),
        "{} failed: {:?}",
        failures.len(),
        failures.first()
    );
}

#[tokio::test]
async fn native_grpc_tools_find_health_and_every_service_through_reflection_at_the_gateway() {
    use tokio_stream::StreamExt as _;
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let app = spawn_app().await;
    let channel = Channel::from_shared(format!("http://{}", app.addr))
        .expect("uri")
        .connect()
        .await
        .expect("the gateway accepts HTTP/2");

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel.clone());
    let mut status = 0;
    for _ in 0..50 {
        status = health
            .check(tonic_health::pb::HealthCheckRequest::default())
            .await
            .expect("the gateway answers health checks itself")
            .into_inner()
            .status;
        if status == tonic_health::pb::health_check_response::ServingStatus::Serving as i32 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    assert_eq!(
        status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32,
        "SERVING once identity is"
    );

    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses = ServerReflectionClient::new(channel)
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .expect("reflection is served")
        .into_inner();
    let response = responses
        .next()
        .await
        .expect("one answer")
        .expect("a listing of services");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("not a list of services: {response:?}");
    };
    let names: Vec<&str> = list.service.iter().map(|s| s.name.as_str()).collect();
    assert!(
        names.contains(&"estospaces.identity.v1.IdentityService"),
        "{names:?}"
    );
    assert!(names.contains(&"grpc.health.v1.Health"), "{names:?}");
}

/// A grpc-web call the gateway answers itself: (content type, messages, trailers).
async fn local_grpc_web_call(
    app: &TestApp,
    path: &str,
    content_type: &str,
    message: &[u8],
) -> (
    String,
    Vec<Vec<u8>>,
    std::collections::BTreeMap<String, String>,
) {
    let text = content_type == "application/grpc-web-text";
    let body = if text {
        STANDARD.encode(frame(message)).into_bytes()
    } else {
        frame(message)
    };
    let response = app
        .http
        .post(app.url(path))
        .header("content-type", content_type)
        // What grpc-web-text clients send: tonic-web answers in the encoding accepted.
        .header("accept", content_type)
        .header("x-grpc-web", "1")
        .body(body)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let answered = response
        .headers()
        .get("content-type")
        .map(|value| value.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let body = response.bytes().await.expect("body");
    let body = if answered.starts_with("application/grpc-web-text") {
        // Each frame may be encoded on its own, padding included: decode block by block.
        body.trim_ascii()
            .chunks(4)
            .flat_map(|block| STANDARD.decode(block).expect("a base64 body"))
            .collect()
    } else {
        body.to_vec()
    };
    let (messages, trailers) = unframe(&body);
    (answered, messages, trailers)
}

#[tokio::test]
async fn the_gateways_own_health_check_answers_grpc_web_in_binary_and_text() {
    use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

    let app = spawn_app().await;
    let request = HealthCheckRequest::default().encode_to_vec();

    for content_type in [
        "application/grpc-web",
        "application/grpc-web+proto",
        "application/grpc-web-text",
    ] {
        let (answered, messages, trailers) =
            local_grpc_web_call(&app, "/grpc.health.v1.Health/Check", content_type, &request).await;

        let expected = if content_type == "application/grpc-web-text" {
            "application/grpc-web-text+proto"
        } else {
            "application/grpc-web+proto"
        };
        assert_eq!(answered, expected, "asked in {content_type}");
        assert_eq!(messages.len(), 1, "one data frame");
        HealthCheckResponse::decode(messages[0].as_slice()).expect("a health response");
        assert_eq!(
            trailers.get("grpc-status").map(String::as_str),
            Some("0"),
            "a trailer frame carries the status"
        );
    }
}

#[tokio::test]
async fn the_gateways_reflection_answers_grpc_web_when_the_requests_fit_in_one_body() {
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    use tonic_reflection::pb::v1::{ServerReflectionRequest, ServerReflectionResponse};

    let app = spawn_app().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    }
    .encode_to_vec();

    let (answered, messages, trailers) = local_grpc_web_call(
        &app,
        "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        "application/grpc-web+proto",
        &request,
    )
    .await;

    assert_eq!(answered, "application/grpc-web+proto");
    assert_eq!(trailers.get("grpc-status").map(String::as_str), Some("0"));
    let response =
        ServerReflectionResponse::decode(messages[0].as_slice()).expect("a reflection response");
    let Some(MessageResponse::ListServicesResponse(list)) = response.message_response else {
        panic!("not a list of services: {response:?}");
    };
    assert!(
        list.service
            .iter()
            .any(|service| service.name == "grpc.health.v1.Health")
    );
}
