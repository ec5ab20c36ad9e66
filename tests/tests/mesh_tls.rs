//! Mutual TLS between services run as their own binaries: identity and property serve only
//! TLS and require client certificates signed by the test's CA, and the gateway in front calls
//! them over `https://` with its own certificate. Embedded storage: nothing else to start.

use std::path::Path;
use std::process::{Command, Stdio};

use estospaces_grpc_tls::testing::TestPki;
use estospaces_platform_tests::binary;
use estospaces_platform_tests::crash::{Client, Process};
use serde_json::json;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Starts `name` listening on `port` with `env` (and no other `ESTOSPACES_*` or `OTEL_*`
/// variable), its output appended to `log`.
fn start(name: &str, port: u16, env: &[(&str, String)], log: &Path) -> Process {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("a log file");
    let mut command = Command::new(binary(name));
    for (key, _) in std::env::vars_os() {
        let text = key.to_string_lossy();
        if text.starts_with("ESTOSPACES_") || text.starts_with("OTEL_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .envs(env.iter().map(|(key, value)| (*key, value)))
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_SHUTDOWN_GRACE", "1s")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log.try_clone().expect("a log file"))
        .stderr(log)
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    Process(child)
}

/// The `ESTOSPACES_TLS__*` variables of a process that serves with the server certificate,
/// requires client certificates signed by the CA, and calls others trusting the CA with the
/// client certificate.
fn mutual_tls(pki: &TestPki) -> Vec<(&'static str, String)> {
    let path = |path: &Path| path.display().to_string();
    vec![
        ("ESTOSPACES_TLS__CERT_FILE", path(&pki.server_cert)),
        ("ESTOSPACES_TLS__KEY_FILE", path(&pki.server_key)),
        ("ESTOSPACES_TLS__CLIENT_CA_FILE", path(&pki.ca)),
        ("ESTOSPACES_TLS__CA_FILE", path(&pki.ca)),
        ("ESTOSPACES_TLS__CLIENT_CERT_FILE", path(&pki.client_cert)),
        ("ESTOSPACES_TLS__CLIENT_KEY_FILE", path(&pki.client_key)),
    ]
}

#[tokio::test]
async fn services_on_mutual_tls_answer_through_the_gateway_and_refuse_plaintext_callers() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let identity_port = estospaces_testing::free_port();
    let property_port = estospaces_testing::free_port();
    let gateway_port = estospaces_testing::free_port();
    // `localhost`: the name the test certificate is for.
    let identity_url = format!("https://localhost:{identity_port}");
    let property_url = format!("https://localhost:{property_port}");
    let data = |name: &str| dir.path().join(name).display().to_string();
    let log = |name: &str| dir.path().join(format!("{name}.log"));

    let mut env = mutual_tls(&pki);
    env.push(("ESTOSPACES_DATA_DIR", data("identity")));
    let _identity = start("estospaces-identity", identity_port, &env, &log("identity"));
    let mut env = mutual_tls(&pki);
    env.push(("ESTOSPACES_DATA_DIR", data("property")));
    // Property verifies tokens with identity's key set, fetched over mutual TLS.
    env.push(("ESTOSPACES_AUTH__IDENTITY_URL", identity_url.clone()));
    let _property = start("estospaces-property", property_port, &env, &log("property"));
    let mut env = mutual_tls(&pki);
    env.retain(|(key, _)| key.contains("CA_FILE") || key.contains("CLIENT_"));
    env.extend([
        ("ESTOSPACES_DATA_DIR", data("gateway")),
        ("ESTOSPACES_AUTH__IDENTITY_URL", identity_url.clone()),
        ("ESTOSPACES_GATEWAY__UPSTREAMS__IDENTITY", identity_url),
        ("ESTOSPACES_GATEWAY__UPSTREAMS__PROPERTY", property_url),
        (
            "ESTOSPACES_GATEWAY__RATE_LIMITS__ENABLED",
            "false".to_owned(),
        ),
    ]);
    let _gateway = start("estospaces-gateway", gateway_port, &env, &log("gateway"));

    // Ready: the gateway's health checks of both upstreams pass over mutual TLS.
    let client = Client::new(format!("http://127.0.0.1:{gateway_port}"));
    client.ready().await;
    let token = &client.sign_up("tls@example.com").await;
    // Property verifies the token with the keys it fetched from identity (the hop under
    // test): a guest is then refused as not a host (403), not as unauthenticated (401).
    let (status, answer) = client
        .call(
            reqwest::Method::POST,
            "/v1/properties",
            Some(token),
            Some(json!({"title": "A loft"})),
        )
        .await;
    assert_eq!(status, 403, "the token was verified: {answer}");

    // The services' ports answer neither a plaintext client nor one without a certificate.
    for url in [
        format!("http://127.0.0.1:{property_port}"),
        format!("https://localhost:{property_port}"),
    ] {
        let channel =
            estospaces_grpc_tls::channel(&url, &pki.client(&pki.ca, false)).expect("a channel");
        let answer = HealthClient::new(channel)
            .check(HealthCheckRequest::default())
            .await;
        assert!(answer.is_err(), "{url} answered: {answer:?}");
    }
}
