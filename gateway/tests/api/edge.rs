//! What the gateway does around each call: health, readiness, request ids, CORS, body limits,
//! rate limits.

use std::time::Duration;

use estospaces_gateway::config::RateLimitSettings;
use serde_json::{Value, json};

use crate::helpers::{Options, PASSWORD, detail, spawn_app, spawn_app_with};

#[tokio::test]
async fn healthz_answers_200_while_the_process_runs() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status(), 200);
}

#[tokio::test]
async fn readyz_answers_200_once_every_upstream_is_serving() {
    let app = spawn_app().await;
    // Identity reports SERVING after its first readiness check.
    let mut status = 0;
    for _ in 0..50 {
        status = app.get("/readyz").await.status().as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200);
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_the_callers_is_kept() {
    let app = spawn_app().await;

    let generated = app.get("/healthz").await;
    assert!(generated.headers().contains_key("x-request-id"));

    let kept = app
        .http
        .get(app.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("answer");
    assert_eq!(kept.headers()["x-request-id"], "abc-123");
}

#[tokio::test]
async fn cors_preflights_from_allowed_origins_succeed_and_others_get_no_cors_headers() {
    let app = spawn_app_with(Options {
        cors_allowed_origins: vec!["https://app.example.com".to_owned()],
        ..Options::default()
    })
    .await;

    let preflight = |origin: &'static str| {
        app.http
            .request(reqwest::Method::OPTIONS, app.url("/v1/users:register"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type,x-grpc-web")
            .send()
    };
    let allowed = preflight("https://app.example.com").await.expect("answer");
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://app.example.com"
    );
    let refused = preflight("https://evil.example.com").await.expect("answer");
    assert!(
        !refused
            .headers()
            .contains_key("access-control-allow-origin")
    );
}

#[tokio::test]
async fn a_body_over_the_limit_returns_413() {
    let app = spawn_app_with(Options {
        max_body_bytes: Some(64),
        ..Options::default()
    })
    .await;

    let response = app
        .http
        .post(app.url("/v1/users:register"))
        .json(&json!({ "email": "a".repeat(100), "password": PASSWORD }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 413);
}

async fn assert_the_third_public_call_is_limited(redis_url: Option<String>) {
    let app = spawn_app_with(Options {
        rate_limits: Some(RateLimitSettings {
            enabled: true,
            public_per_minute: 6,
            authenticated_per_minute: 600,
            burst: 2,
            redis_key_prefix: format!("estospaces-test:{}:", uuid::Uuid::new_v4()),
        }),
        redis_url,
        ..Options::default()
    })
    .await;

    for _ in 0..2 {
        assert_eq!(app.get("/.well-known/jwks.json").await.status(), 200);
    }
    let limited = app.get("/.well-known/jwks.json").await;

    assert_eq!(limited.status(), 429);
    let retry_after: u64 = limited.headers()["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=10).contains(&retry_after), "{retry_after}");
    let body: Value = limited.json().await.expect("JSON");
    assert_eq!(detail(&body, "ErrorInfo")["reason"], "RATE_LIMITED");
}

#[tokio::test]
async fn calls_over_the_rate_limit_return_429_with_retry_after() {
    assert_the_third_public_call_is_limited(None).await;
}

#[tokio::test]
async fn calls_over_the_rate_limit_kept_in_redis_return_429_with_retry_after() {
    let url = std::env::var("ESTOSPACES_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    assert_the_third_public_call_is_limited(Some(url)).await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_the_docs_page_loads_it() {
    let app = spawn_app().await;

    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let doc: Value = response.json().await.expect("JSON");
    assert_eq!(doc["openapi"], "3.1.0");
    assert!(doc["paths"]["/v1/users:register"]["post"].is_object());
    let watch = &doc["paths"]["/v1/shelves/{shelf}:watch"]["get"];
    assert!(
        watch["responses"]["200"]["content"]["application/x-ndjson"].is_object(),
        "server streams are described as NDJSON"
    );
    let run = &doc["paths"]["/v1/jobs/{job}:run"]["post"];
    let body = &run["requestBody"]["content"]["application/json"]["schema"];
    assert!(
        body["properties"].get("name").is_none(),
        "the path parameter is not repeated in the body"
    );

    let patch = &doc["paths"]["/v2/titles/{title}"]["patch"];
    let body = &patch["requestBody"]["content"]["application/json"]["schema"];
    assert!(body["properties"]["size"].is_object());
    assert!(
        body["properties"].get("title").is_none(),
        "a path parameter inside the body field is not repeated in the body"
    );

    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    assert!(docs.text().await.expect("html").contains("/openapi.json"));
}
