//! Kafka over TLS with the `[kafka]` settings, as the services configure it.
//!
//! tansu, the broker the tests run, has no TLS listener of its own, so a proxy in the test
//! terminates TLS in front of a private broker that advertises the proxy's address: every
//! connection librdkafka makes (bootstrap, partition leaders, group coordinator) goes through
//! TLS, with the broker's certificate verified against the test CA and, because the proxy
//! requires one, a client certificate presented. No SASL broker is available here: the SASL
//! settings are covered by the unit tests of the client properties (`src/security.rs`).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use estospaces_config::{CommonConfig, KafkaProtocol, KafkaSecurity};
use estospaces_events::{EventSink, EventSource, OutgoingRecord};
use estospaces_grpc_tls::testing::TestPki;
use estospaces_kafka::{EventBus, KafkaConfig, consumer_lag};
use estospaces_testing::PrivateBroker;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::rustls::server::WebPkiClientVerifier;
use tokio_rustls::rustls::{self, RootCertStore};

#[tokio::test]
async fn events_travel_over_mutual_tls_when_the_kafka_settings_say_ssl() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let proxy = TlsProxy::start(&pki).await;
    let config = CommonConfig {
        kafka_brokers: Some(proxy.address()),
        kafka: security(&pki, &pki.ca),
        ..CommonConfig::default()
    };
    config.validate().expect("valid settings");
    let bus = EventBus::from_config(&config).await.expect("the bus");
    assert!(matches!(bus, EventBus::Kafka(_)), "{bus:?}");

    let topic = format!("tls{}.v1", uuid::Uuid::new_v4().simple());
    let record = OutgoingRecord {
        topic: topic.clone(),
        key: "key".to_owned(),
        payload: b"sealed".to_vec(),
        headers: Vec::new(),
    };
    let sink = bus.sink().expect("a sink");
    for result in sink.publish(&[record]).await {
        result.expect("the broker takes the record over TLS");
    }
    let mut source = bus
        .subscribe(&format!("{topic}.reader"), &[&topic])
        .await
        .expect("subscribes over TLS");
    let delivery = tokio::time::timeout(Duration::from_secs(60), source.next())
        .await
        .expect("a delivery within 60 s")
        .expect("a message");
    assert_eq!(delivery.payload, b"sealed");
    assert!(proxy.sessions() > 0, "the clients went through the proxy");
}

#[tokio::test]
async fn a_broker_certificate_from_another_ca_is_refused() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let proxy = TlsProxy::start(&pki).await;
    let kafka = KafkaConfig::new(proxy.address()).with_security(security(&pki, &pki.other_ca));

    let lag = consumer_lag(&kafka, "tls.reader", &["tls.v1"]).await;
    assert!(lag.is_err(), "{lag:?}");
    assert_eq!(proxy.sessions(), 0, "no TLS session was established");
}

#[tokio::test]
async fn a_client_without_a_certificate_is_refused_where_one_is_required() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let pki = TestPki::create(dir.path());
    let proxy = TlsProxy::start(&pki).await;
    let kafka = KafkaConfig::new(proxy.address()).with_security(KafkaSecurity {
        security_protocol: KafkaProtocol::Ssl,
        ssl_ca_location: Some(pki.ca.clone()),
        ..KafkaSecurity::default()
    });

    let lag = consumer_lag(&kafka, "tls.reader", &["tls.v1"]).await;
    assert!(lag.is_err(), "{lag:?}");
    assert_eq!(proxy.sessions(), 0, "no TLS session was established");
}

/// TLS trusting `ca`, presenting the test's client certificate.
fn security(pki: &TestPki, ca: &Path) -> KafkaSecurity {
    KafkaSecurity {
        security_protocol: KafkaProtocol::Ssl,
        ssl_ca_location: Some(ca.to_owned()),
        ssl_certificate_location: Some(pki.client_cert.clone()),
        ssl_key_location: Some(pki.client_key.clone()),
        ..KafkaSecurity::default()
    }
}

/// A TLS endpoint in front of a private plaintext broker, as a TLS-terminating load balancer
/// would be: it presents the server certificate, requires a client certificate signed by the
/// test CA, and passes bytes both ways. The broker advertises the proxy's address, so clients
/// never reach it directly.
struct TlsProxy {
    address: SocketAddr,
    /// Connections whose TLS handshake succeeded.
    sessions: Arc<AtomicUsize>,
    accepting: tokio::task::JoinHandle<()>,
    _broker: PrivateBroker,
}

impl TlsProxy {
    async fn start(pki: &TestPki) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
        let address = listener.local_addr().expect("its address");
        let broker = PrivateBroker::start_behind(&address.to_string());
        let upstream = broker.brokers();
        let acceptor = TlsAcceptor::from(Arc::new(server_config(pki)));
        let sessions = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&sessions);
        let accepting = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let upstream = upstream.clone();
                let counted = Arc::clone(&counted);
                tokio::spawn(async move {
                    let Ok(mut client) = acceptor.accept(client).await else {
                        return;
                    };
                    counted.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut broker) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut broker).await;
                    }
                });
            }
        });
        Self {
            address,
            sessions,
            accepting,
            _broker: broker,
        }
    }

    fn address(&self) -> String {
        self.address.to_string()
    }

    fn sessions(&self) -> usize {
        self.sessions.load(Ordering::SeqCst)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

fn server_config(pki: &TestPki) -> rustls::ServerConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for ca in CertificateDer::pem_file_iter(&pki.ca).expect("the CA") {
        roots
            .add(ca.expect("a CA certificate"))
            .expect("a usable CA");
    }
    let clients = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .expect("a client verifier");
    let chain = CertificateDer::pem_file_iter(&pki.server_cert)
        .expect("the server certificate")
        .collect::<Result<Vec<_>, _>>()
        .expect("PEM certificates");
    let key = PrivateKeyDer::from_pem_file(&pki.server_key).expect("the server key");
    rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_client_cert_verifier(clients)
        .with_single_cert(chain, key)
        .expect("a server configuration")
}
