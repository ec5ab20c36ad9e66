//! How REST requests become request messages, seen through the echo service, which returns
//! exactly the message the gateway built.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{detail, spawn_app};

#[tokio::test]
async fn path_variables_and_query_parameters_fill_nested_repeated_and_typed_fields() {
    let app = spawn_app().await;

    let response = app
        .get(
            "/v1/shelves/s1/things/t%201?tags=a&tags=b&filter.owner=ada&filter.sizes=1&filter.sizes=2\
             &count=3&flag=true&color=COLOR_RED&big=9007199254740993&since=2024-01-02T03:04:05Z",
        )
        .await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["name"], "shelves/s1/things/t 1");
    assert_eq!(body["tags"], json!(["a", "b"]));
    assert_eq!(body["filter"], json!({ "owner": "ada", "sizes": [1, 2] }));
    assert_eq!(body["count"], 3);
    assert_eq!(body["flag"], true);
    assert_eq!(body["color"], "COLOR_RED");
    assert_eq!(body["big"], "9007199254740993", "int64 travels as a string");
    assert_eq!(body["since"], "2024-01-02T03:04:05Z");
}

#[tokio::test]
async fn an_additional_binding_with_a_double_wildcard_captures_the_rest_of_the_path() {
    let app = spawn_app().await;

    let response = app.get("/v1/files/a/b/c.txt").await;

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["path"], "a/b/c.txt");
}

#[tokio::test]
async fn an_unknown_query_parameter_returns_400_naming_it() {
    let app = spawn_app().await;

    let response = app.get("/v1/shelves/s1/things/t1?colour=red").await;

    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        detail(&body, "BadRequest")["fieldViolations"][0]["field"],
        "colour"
    );
}

#[tokio::test]
async fn a_query_value_of_the_wrong_type_returns_400_naming_the_parameter() {
    let app = spawn_app().await;

    for query in [
        "count=many",
        "flag=yes",
        "color=COLOR_PURPLE",
        "filter.sizes=x",
    ] {
        let response = app.get(&format!("/v1/shelves/s1/things/t1?{query}")).await;
        assert_eq!(response.status(), 400, "{query}");
        let body: Value = response.json().await.expect("JSON");
        let field = query.split('=').next().expect("key");
        assert_eq!(
            detail(&body, "BadRequest")["fieldViolations"][0]["field"],
            field,
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_query_parameter_may_not_override_a_path_variable() {
    let app = spawn_app().await;

    let response = app.get("/v1/shelves/s1/things/t1?name=other").await;

    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn a_body_field_and_response_body_post_returns_201_with_just_that_field() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/v1/shelves/s1/things?tags=x"))
        .json(&json!({ "title": "lamp", "size": { "width": 3 } }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 201, "http_success_status = 201");
    let thing: Value = response.json().await.expect("JSON");
    assert_eq!(thing["title"], "lamp");
    assert_eq!(thing["size"]["width"], 3);
    assert!(
        thing.get("name").is_none(),
        "only the `thing` field is returned"
    );
}

#[tokio::test]
async fn patch_fills_the_update_mask_from_the_fields_in_the_body() {
    let app = spawn_app().await;

    let response = app
        .http
        .patch(app.url("/v1/shelves/s1/things/t1"))
        .json(&json!({ "title": "lamp", "size": { "height": 2 }, "labels": { "k": "v" } }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    let mut paths: Vec<&str> = body["updateMask"]
        .as_str()
        .expect("a field mask")
        .split(',')
        .collect();
    paths.sort_unstable();
    assert_eq!(paths, ["labels", "size.height", "title"]);
}

#[tokio::test]
async fn a_path_variable_inside_the_body_field_is_set_from_the_path_and_not_masked() {
    let app = spawn_app().await;

    let response = app
        .http
        .patch(app.url("/v2/titles/lamp"))
        .json(&json!({ "size": { "width": 1 } }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["thing"]["title"], "titles/lamp");
    assert_eq!(body["thing"]["size"]["width"], 1);
    assert_eq!(body["updateMask"], "size.width");
}

#[tokio::test]
async fn patch_keeps_an_update_mask_the_caller_sent() {
    let app = spawn_app().await;

    let response = app
        .http
        .patch(app.url("/v1/shelves/s1/things/t1?updateMask=title"))
        .json(&json!({ "title": "lamp", "size": { "height": 2 } }))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["updateMask"], "title");
}

#[tokio::test]
async fn a_custom_verb_takes_the_whole_body_and_rejects_query_parameters() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/v1/jobs/j1:run"))
        .json(&json!({ "count": 2, "tags": ["x"] }))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["name"], "jobs/j1");
    assert_eq!(body["count"], 2);

    let response = app
        .http
        .post(app.url("/v1/jobs/j1:run?count=1"))
        .json(&json!({}))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn an_unknown_path_returns_404_and_a_known_path_with_another_method_405() {
    let app = spawn_app().await;

    assert_eq!(app.get("/v1/nowhere").await.status(), 404);
    let response = app
        .http
        .delete(app.url("/v1/shelves/s1/things/t1"))
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn a_method_without_the_public_option_needs_a_token_and_the_token_is_forwarded() {
    let app = spawn_app().await;

    assert_eq!(app.get("/v1/private/x").await.status(), 401);

    let (_, token) = app.signed_in("ada@example.com").await;
    let response = app
        .http
        .get(app.url("/v1/private/x"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("answer");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["seenAuthorization"], format!("Bearer {token}"));
}

#[tokio::test]
async fn a_server_stream_arrives_as_ndjson_and_a_failure_ends_it_with_an_error_line() {
    let app = spawn_app().await;

    let response = app.get("/v1/shelves/s1:watch?count=2&flag=true").await;

    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.expect("body");
    let lines: Vec<Value> = text
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert_eq!(lines[0]["result"]["name"], "shelves/s1");
    assert_eq!(lines[1]["result"]["count"], 2);
    assert_eq!(lines[2]["error"]["code"], 9, "FAILED_PRECONDITION");
    assert_eq!(lines[2]["error"]["message"], "the stream broke");
}

#[tokio::test]
async fn a_server_stream_arrives_as_server_sent_events_when_asked() {
    let app = spawn_app().await;

    let response = app
        .http
        .get(app.url("/v1/shelves/s1:watch?count=1&flag=true"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .expect("answer");

    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let text = response.text().await.expect("body");
    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert_eq!(events.len(), 2, "{text}");
    assert!(events[0].starts_with("data: {"));
    assert!(events[1].starts_with("event: error\ndata: {"), "{text}");
}

#[tokio::test]
async fn the_upstream_call_carries_the_callers_deadline_capped_by_the_gateways() {
    let app = spawn_app().await;

    let response = app
        .http
        .get(app.url("/v1/shelves/s1/things/t1"))
        .header("grpc-timeout", "2S")
        .send()
        .await
        .expect("answer");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(grpc_timeout(&body), Duration::from_secs(2));

    let response = app
        .http
        .get(app.url("/v1/shelves/s1/things/t1"))
        .header("grpc-timeout", "5H")
        .send()
        .await
        .expect("answer");
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(
        grpc_timeout(&body),
        Duration::from_secs(30),
        "capped by the default 30 s request timeout"
    );
}

/// The `grpc-timeout` the echo service saw (`2000000u`, `30000m`, ...).
fn grpc_timeout(body: &Value) -> Duration {
    let text = body["seenGrpcTimeout"].as_str().expect("a timeout");
    let (digits, unit) = text.split_at(text.len() - 1);
    let amount: u64 = digits.parse().expect("digits");
    match unit {
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        other => panic!("unexpected unit {other}"),
    }
}

#[tokio::test]
async fn a_client_streaming_rpc_over_rest_returns_501() {
    let app = spawn_app().await;

    let response = app
        .http
        .post(app.url("/v1/uploads"))
        .json(&json!({}))
        .send()
        .await
        .expect("answer");

    assert_eq!(response.status(), 501);
}

#[tokio::test]
async fn every_documented_operation_is_served_at_its_documented_path() {
    let app = spawn_app().await;
    let doc: Value = app.get("/openapi.json").await.json().await.expect("JSON");

    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in item.as_object().expect("a path item") {
            // Each path parameter filled the way a generated client does: one encoded segment.
            let mut url = path.clone();
            for parameter in operation["parameters"].as_array().expect("parameters") {
                if parameter["in"] == "path" {
                    let name = parameter["name"].as_str().expect("a name");
                    let value = if parameter["schema"]["type"] == "string" {
                        format!("p-{checked}%2F{name}")
                    } else {
                        "7".to_owned()
                    };
                    url = url.replace(&format!("{{{name}}}"), &value);
                }
            }
            let method =
                reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).expect("a method");
            let mut request = app.http.request(method.clone(), app.url(&url));
            if operation.get("requestBody").is_some() {
                request = request.json(&json!({}));
            }
            let response = request.send().await.expect("answer");
            let status = response.status();
            let body = response.text().await.expect("a body");
            assert!(
                !(status == 405 || (status == 404 && body.contains("no route for"))),
                "{method} {url} (documented as {path}): {status} {body}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} operations");

    let thing = &doc["paths"]["/v1/shelves/{shelf}/things/{thing}"]["get"];
    assert_eq!(thing["parameters"][0]["name"], "shelf");
    let response = app.get("/v1/shelves/s1/things/t%2F1").await;
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["name"], "shelves/s1/things/t/1");
}

#[tokio::test]
async fn the_docs_page_loads_its_renderer_from_the_gateway_and_nothing_from_elsewhere() {
    let app = spawn_app().await;

    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    let policy = docs.headers()["content-security-policy"]
        .to_str()
        .expect("ASCII")
        .to_owned();
    assert!(policy.starts_with("default-src 'self';"), "{policy}");
    assert!(!policy.contains("http"), "{policy}");
    let html = docs.text().await.expect("HTML");
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("//cdn"),
        "{html}"
    );
    let mut sources = Vec::new();
    for attribute in [" src=\"", " href=\""] {
        sources.extend(
            html.split(attribute)
                .skip(1)
                .filter_map(|rest| rest.split_once('"').map(|(value, _)| value)),
        );
    }
    assert!(!sources.is_empty(), "{html}");

    for source in sources {
        assert!(
            source.starts_with('/') && !source.starts_with("//"),
            "{source} is not the gateway's"
        );
        let asset = app.get(source).await;
        assert_eq!(asset.status(), 200, "{source}");
        assert!(
            asset.headers()["content-type"]
                .to_str()
                .expect("ASCII")
                .starts_with("text/javascript"),
            "{source}"
        );
        assert!(
            asset.headers()["cache-control"]
                .to_str()
                .expect("ASCII")
                .contains("max-age=31536000"),
            "{source}"
        );
        assert!(
            asset.bytes().await.expect("a body").len() > 100_000,
            "{source}"
        );
    }
}
