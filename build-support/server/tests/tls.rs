//! TLS and mutual TLS on the gRPC port: real servers on random ports, called through the
//! generated health client on channels built the way every service builds them.

use std::net::SocketAddr;

use estospaces_config::{CommonConfig, GrpcTlsConfig};
use estospaces_grpc_tls::testing::TestPki;
use estospaces_server::{GrpcServer, LIVENESS_SERVICE};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A server with `tls` on a random port; it stops when the returned sender is dropped.
async fn serve(tls: GrpcTlsConfig) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let config = CommonConfig {
        listen: "127.0.0.1:0".parse().expect("an address"),
        tls,
        ..CommonConfig::default()
    };
    let server = GrpcServer::new(&config).bind().await.expect("binds");
    let addr = server.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    (addr, stop)
}

/// The liveness status at `url`, asked by a client configured by `tls`.
async fn check(url: &str, tls: &GrpcTlsConfig) -> Result<ServingStatus, tonic::Status> {
    let channel = estospaces_grpc_tls::channel(url, tls).expect("a channel");
    let response = HealthClient::new(channel)
        .check(HealthCheckRequest {
            service: LIVENESS_SERVICE.to_owned(),
        })
        .await?;
    Ok(response.into_inner().status())
}

#[tokio::test]
async fn a_tls_server_answers_a_client_that_trusts_its_ca() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let (addr, _stop) = serve(pki.config(false)).await;
    let client = pki.client(&pki.ca, false);
    for url in [
        format!("https://localhost:{}", addr.port()),
        format!("https://{addr}"),
    ] {
        let status = check(&url, &client).await.expect("served over TLS");
        assert_eq!(status, ServingStatus::Serving, "{url}");
    }
}

#[tokio::test]
async fn a_client_that_trusts_another_ca_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let (addr, _stop) = serve(pki.config(false)).await;
    let url = format!("https://localhost:{}", addr.port());
    check(&url, &pki.client(&pki.other_ca, false))
        .await
        .expect_err("the server's certificate is not signed by the CA the client trusts");
}

#[tokio::test]
async fn a_plaintext_client_gets_no_answer_from_a_tls_port() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let (addr, _stop) = serve(pki.config(false)).await;
    check(&format!("http://{addr}"), &GrpcTlsConfig::default())
        .await
        .expect_err("the port speaks TLS only");
    // The refused connection did not take the server down.
    let url = format!("https://localhost:{}", addr.port());
    check(&url, &pki.client(&pki.ca, false))
        .await
        .expect("still served over TLS");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_when_mutual_tls_is_on() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let (addr, _stop) = serve(pki.config(true)).await;
    let url = format!("https://localhost:{}", addr.port());
    check(&url, &pki.client(&pki.ca, false))
        .await
        .expect_err("mutual TLS requires a client certificate");
}

#[tokio::test]
async fn a_client_with_a_certificate_signed_by_the_ca_is_served_when_mutual_tls_is_on() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let (addr, _stop) = serve(pki.config(true)).await;
    let url = format!("https://localhost:{}", addr.port());
    let status = check(&url, &pki.client(&pki.ca, true))
        .await
        .expect("a certificate signed by the client CA is accepted");
    assert_eq!(status, ServingStatus::Serving);
}

#[tokio::test]
async fn a_certificate_without_its_key_fails_the_start() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let config = CommonConfig {
        listen: "127.0.0.1:0".parse().expect("an address"),
        tls: GrpcTlsConfig {
            key_file: None,
            ..pki.config(false)
        },
        ..CommonConfig::default()
    };
    let err = GrpcServer::new(&config)
        .bind()
        .await
        .expect_err("a key is needed");
    assert!(
        err.to_string().contains("ESTOSPACES_TLS__KEY_FILE"),
        "{err}"
    );
}
