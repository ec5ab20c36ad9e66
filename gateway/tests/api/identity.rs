//! REST calls to the real identity service through the gateway.

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, detail, spawn_app};

#[tokio::test]
async fn registering_over_rest_returns_201_and_the_user_as_the_body() {
    let app = spawn_app().await;

    let user = app.register("Ada@Example.com").await;

    assert!(user["name"].as_str().expect("a name").starts_with("users/"));
    assert_eq!(user["email"], "ada@example.com");
    assert_eq!(user["roles"], json!(["ROLE_GUEST"]));
    assert_eq!(
        user["emailVerified"], false,
        "default values are present, under their JSON names"
    );
}

#[tokio::test]
async fn registering_the_same_email_twice_returns_409_with_error_info() {
    let app = spawn_app().await;
    app.register("ada@example.com").await;

    let response = app
        .http
        .post(app.url("/v1/users:register"))
        .json(&json!({ "email": "ada@example.com", "password": PASSWORD }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["code"], 6, "ALREADY_EXISTS");
    assert_eq!(
        detail(&body, "ErrorInfo")["domain"],
        "identity.estospaces.dev"
    );
}

#[tokio::test]
async fn a_weak_password_returns_400_naming_the_field() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/v1/users:register"))
        .json(&json!({ "email": "ada@example.com", "password": "short" }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        detail(&body, "BadRequest")["fieldViolations"][0]["field"],
        "password"
    );
}

#[tokio::test]
async fn an_unknown_json_field_returns_400_naming_it() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/v1/users:register"))
        .json(&json!({ "email": "ada@example.com", "password": PASSWORD, "nickname": "ada" }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        detail(&body, "BadRequest")["fieldViolations"][0]["field"],
        "nickname"
    );
    assert!(
        body["message"]
            .as_str()
            .expect("message")
            .contains("nickname")
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_returns_400() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/v1/users:register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn getting_a_user_without_a_token_returns_401_from_the_gateway() {
    let app = spawn_app().await;
    let user = app.register("ada@example.com").await;

    let response = app
        .get(&format!("/v1/{}", user["name"].as_str().expect("name")))
        .await;

    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(detail(&body, "ErrorInfo")["reason"], "TOKEN_MISSING");
}

#[tokio::test]
async fn getting_your_own_user_with_your_token_returns_it() {
    let app = spawn_app().await;
    let (user, token) = app.signed_in("ada@example.com").await;

    let response = app
        .http
        .get(app.url(&format!("/v1/{}", user["name"].as_str().expect("name"))))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 200);
    let fetched: Value = response.json().await.expect("JSON");
    assert_eq!(
        fetched, user,
        "response_body: the user itself, not a wrapper"
    );
}

#[tokio::test]
async fn getting_someone_elses_user_returns_403() {
    let app = spawn_app().await;
    let (_, token) = app.signed_in("ada@example.com").await;
    let other = app.register("bob@example.com").await;

    let response = app
        .http
        .get(app.url(&format!("/v1/{}", other["name"].as_str().expect("name"))))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_forged_token_returns_401_even_on_a_public_method() {
    let app = spawn_app().await;
    // A well-formed EdDSA token with a key id the identity service never issued.
    let forged = "eyJhbGciOiJFZERTQSIsImtpZCI6Im5vcGUifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";

    let response = app
        .http
        .get(app.url("/.well-known/jwks.json"))
        .bearer_auth(forged)
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(detail(&body, "ErrorInfo")["reason"], "TOKEN_KEY_UNKNOWN");
}

#[tokio::test]
async fn the_key_set_is_served_at_the_well_known_jwks_path() {
    let app = spawn_app().await;

    let response = app.get("/.well-known/jwks.json").await;

    assert_eq!(response.status(), 200);
    let jwks: Value = response.json().await.expect("JSON");
    let key = &jwks["keys"][0];
    assert_eq!(key["kty"], "OKP");
    assert_eq!(key["crv"], "Ed25519");
    assert_eq!(key["alg"], "EdDSA");
}

#[tokio::test]
async fn a_token_signed_with_a_rotated_in_key_is_accepted_after_the_gateway_refetches_the_key_set()
{
    use std::time::{Duration, SystemTime};

    use estospaces_auth::{Role, SigningKey, TokenIssuer};
    use estospaces_config::{AuthConfig, CommonConfig};
    use estospaces_identity::store::IdentityStore;

    let app = crate::helpers::spawn_app().await;
    let (user, token) = app.signed_in("ada@example.com").await;
    let path = format!("/v1/{}", user["name"].as_str().expect("name"));
    let get = |token: String| app.http.get(app.url(&path)).bearer_auth(token).send();
    // The gateway now holds the key set with identity's first key.
    assert_eq!(get(token).await.expect("answer").status(), 200);

    // Rotate: a second key appears in identity's store, as another replica would add it.
    let common = CommonConfig {
        data_dir: app.identity_data_dir().to_owned(),
        ..CommonConfig::default()
    };
    let db = estospaces_storage::Database::open(&common, estospaces_identity::SERVICE_NAME)
        .await
        .expect("identity's database");
    let new_key = SigningKey::generate();
    IdentityStore::new(db)
        .insert_signing_key(new_key.kid(), new_key.to_pkcs8_der(), SystemTime::now())
        .await
        .expect("the key is stored");
    // Identity reloads its keys every 100 ms in tests.
    tokio::time::sleep(Duration::from_millis(400)).await;

    let auth = AuthConfig::default();
    let user_id = user["name"]
        .as_str()
        .and_then(|name| name.strip_prefix("users/"))
        .expect("users/{id}");
    let rotated = TokenIssuer::new(
        new_key,
        &auth.issuer,
        &auth.audience,
        Duration::from_secs(60),
    )
    .issue(user_id, &[Role::Guest])
    .token;

    let response = get(rotated).await.expect("answer");
    assert_eq!(
        response.status(),
        200,
        "the unknown kid made the gateway fetch the key set again"
    );
}
