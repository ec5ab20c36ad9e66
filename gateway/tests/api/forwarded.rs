//! Client addresses behind proxies: `X-Forwarded-For` and `Forwarded` are believed only from
//! trusted proxies, and services see the one address the gateway resolved.

use estospaces_gateway::config::RateLimitSettings;
use estospaces_identity::ThrottleSettings;
use prost::Message as _;
use prost_reflect::{DynamicMessage, Value};
use serde_json::{Value as Json, json};

use crate::helpers::{
    Options, PASSWORD, SEEN_FORWARDED_FOR, TestApp, frame, spawn_app_with, unframe,
};

/// The test's calls come from 127.0.0.1: with this, the gateway believes their headers.
const TEST_PROXY: &str = "127.0.0.1/32";

fn tight_public_limit() -> Option<RateLimitSettings> {
    Some(RateLimitSettings {
        enabled: true,
        public_per_minute: 6,
        authenticated_per_minute: 600,
        burst: 2,
        redis_key_prefix: format!("estospaces-test:{}:", uuid::Uuid::new_v4()),
    })
}

/// A public call from whoever `header: value` names.
async fn jwks_from(app: &TestApp, header: &str, value: &str) -> u16 {
    app.http
        .get(app.url("/.well-known/jwks.json"))
        .header(header, value)
        .send()
        .await
        .expect("the gateway answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_anonymous_rate_limit() {
    let app = spawn_app_with(Options {
        rate_limits: tight_public_limit(),
        trusted_proxies: vec![TEST_PROXY],
        ..Options::default()
    })
    .await;

    for _ in 0..2 {
        assert_eq!(jwks_from(&app, "x-forwarded-for", "203.0.113.1").await, 200);
    }
    assert_eq!(
        jwks_from(&app, "x-forwarded-for", "203.0.113.1").await,
        429,
        "the first client's budget is spent"
    );

    assert_eq!(
        jwks_from(&app, "x-forwarded-for", "203.0.113.2").await,
        200,
        "another client has a budget of its own"
    );
    assert_eq!(
        jwks_from(&app, "forwarded", "for=\"[2001:db8::2]:4711\"").await,
        200,
        "Forwarded names clients too"
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_spoofed_x_forwarded_for_does_not_escape_the_rate_limit() {
    let app = spawn_app_with(Options {
        rate_limits: tight_public_limit(),
        ..Options::default()
    })
    .await;

    for _ in 0..2 {
        assert_eq!(jwks_from(&app, "x-forwarded-for", "203.0.113.1").await, 200);
    }

    assert_eq!(
        jwks_from(&app, "x-forwarded-for", "203.0.113.2").await,
        429,
        "the header is ignored: every call is from the peer"
    );
    assert_eq!(jwks_from(&app, "forwarded", "for=203.0.113.3").await, 429);
}

/// The `x-forwarded-for` values the echo service received for a grpc-web call carrying
/// `headers`.
async fn forwarded_for_seen_upstream(app: &TestApp, headers: &[(&str, &str)]) -> String {
    let pool = crate::helpers::descriptors();
    let descriptor = pool
        .get_message_by_name("estospaces.echo.v1.EchoMessage")
        .expect("echo message");
    let mut request = DynamicMessage::new(descriptor);
    request.set_field_by_name("name", Value::String("shelves/s1/things/t1".into()));
    let mut call = app
        .http
        .post(app.url("/estospaces.echo.v1.EchoService/Get"))
        .header("content-type", "application/grpc-web+proto");
    for (name, value) in headers {
        call = call.header(*name, *value);
    }
    let response = call
        .body(frame(&request.encode_to_vec()))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let seen = response
        .headers()
        .get(SEEN_FORWARDED_FOR)
        .map(|value| value.to_str().expect("ascii").to_owned())
        .unwrap_or_default();
    let (_, trailers) = unframe(&response.bytes().await.expect("body"));
    assert_eq!(trailers.get("grpc-status").map(String::as_str), Some("0"));
    seen
}

#[tokio::test]
async fn services_see_only_the_client_address_the_gateway_resolved() {
    let direct = spawn_app_with(Options::default()).await;
    assert_eq!(
        forwarded_for_seen_upstream(
            &direct,
            &[
                ("x-forwarded-for", "198.51.100.7"),
                ("forwarded", "for=192.0.2.99"),
                ("x-real-ip", "192.0.2.98"),
            ]
        )
        .await,
        "127.0.0.1",
        "an untrusted peer's claim is replaced by the peer"
    );

    let proxied = spawn_app_with(Options {
        trusted_proxies: vec![TEST_PROXY],
        ..Options::default()
    })
    .await;
    assert_eq!(
        forwarded_for_seen_upstream(&proxied, &[("x-forwarded-for", "1.2.3.4, 198.51.100.7")])
            .await,
        "198.51.100.7",
        "one address, the client the trusted proxy named, never the caller's chain"
    );
}

async fn login_from(app: &TestApp, email: &str, password: &str, client: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/sessions:login"))
        .header("x-forwarded-for", client)
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .expect("the gateway answers")
}

#[tokio::test]
async fn identity_locks_out_one_forwarded_client_while_another_still_signs_in() {
    for trusted in [true, false] {
        let app = spawn_app_with(Options {
            trusted_proxies: if trusted {
                vec![TEST_PROXY]
            } else {
                Vec::new()
            },
            identity_trusts_forwarded_for: true,
            login_throttle: Some(ThrottleSettings {
                address_max_failures: 2,
                account_max_failures: 100,
                ..ThrottleSettings::default()
            }),
            ..Options::default()
        })
        .await;
        app.register("zed@example.com").await;
        for n in 0..2 {
            let wrong = login_from(
                &app,
                &format!("guess{n}@example.com"),
                "a wrong password",
                "203.0.113.1",
            )
            .await;
            assert_eq!(wrong.status(), 401);
        }
        let locked = login_from(&app, "zed@example.com", PASSWORD, "203.0.113.1").await;
        assert_eq!(locked.status(), 429, "the guessing client is locked out");

        let other = login_from(&app, "zed@example.com", PASSWORD, "203.0.113.2").await;

        if trusted {
            assert_eq!(other.status(), 200, "another client signs in");
            let login: Json = other.json().await.expect("JSON");
            let user = login["user"].as_str().expect("the user's name");
            let token = login["accessToken"].as_str().expect("a token");
            let sessions: Json = app
                .http
                .get(app.url(&format!("/v1/{user}/sessions")))
                .bearer_auth(token)
                .send()
                .await
                .expect("answer")
                .json()
                .await
                .expect("JSON");
            assert_eq!(
                sessions["sessions"][0]["clientAddress"], "203.0.113.2",
                "the session records the forwarded client: {sessions}"
            );
        } else {
            assert_eq!(
                other.status(),
                429,
                "a spoofed header does not reach identity: every call is from the peer"
            );
        }
    }
}
