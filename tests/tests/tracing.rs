//! One booking through the single binary's gateway is one trace: the gateway's REST request,
//! booking's `CreateBooking`, its calls to property, and every step of the saga between booking
//! and payment carried by events (authorize, confirm, capture), read back from the spans the
//! binary exports to an OTLP/gRPC receiver this test runs.
//!
//! The binary is pointed at the receiver with the standard `OTEL_*` variables only (no
//! `ESTOSPACES_TELEMETRY__OTLP_ENDPOINT`), so they are what is tested too. It runs every service
//! under one tracer provider (one resource), so spans are told apart by their attributes
//! (`rpc.service`, the consumer group), not by the resource.
//!
//! The multi-process deployment (every service its own binary on PostgreSQL, a Kafka-protocol
//! broker, the gateway in front) is checked the same way, each process exporting under its own
//! service name. And a binary exports to an `https://` collector requiring mutual TLS, given
//! the CA and its client certificate by the standard `OTEL_EXPORTER_OTLP_*` variables.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use estospaces::PlatformConfig;
use estospaces::seed::{self, SeedOptions};
use estospaces_platform_tests::binary;
use estospaces_platform_tests::crash::{Client, Process, log_file, stay};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::json;

/// The service name the binary is given through `OTEL_SERVICE_NAME`.
const SERVICE_NAME: &str = "estospaces-tracing-test";

/// A span as exported, with what this test looks at.
#[derive(Debug, Clone)]
struct ExportedSpan {
    trace_id: String,
    name: String,
    kind: SpanKind,
    /// The resource's `service.name`.
    service_name: String,
    attributes: Vec<(String, String)>,
}

impl ExportedSpan {
    fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, value)| value.as_str())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn text(attribute: &KeyValue) -> String {
    match attribute
        .value
        .as_ref()
        .and_then(|value| value.value.as_ref())
    {
        Some(AnyValue::StringValue(value)) => value.clone(),
        Some(AnyValue::IntValue(value)) => value.to_string(),
        Some(AnyValue::BoolValue(value)) => value.to_string(),
        Some(AnyValue::DoubleValue(value)) => value.to_string(),
        Some(other) => format!("{other:?}"),
        None => String::new(),
    }
}

/// An OTLP/gRPC trace receiver keeping every span it is sent.
#[derive(Debug, Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<ExportedSpan>>>,
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut received = Vec::new();
        for resource_spans in request.into_inner().resource_spans {
            let service_name = resource_spans
                .resource
                .iter()
                .flat_map(|resource| &resource.attributes)
                .find(|attribute| attribute.key == "service.name")
                .map(text)
                .unwrap_or_default();
            for span in resource_spans
                .scope_spans
                .into_iter()
                .flat_map(|scope| scope.spans)
            {
                received.push(ExportedSpan {
                    trace_id: hex(&span.trace_id),
                    kind: SpanKind::try_from(span.kind).unwrap_or(SpanKind::Unspecified),
                    name: span.name,
                    service_name: service_name.clone(),
                    attributes: span
                        .attributes
                        .iter()
                        .map(|attribute| (attribute.key.clone(), text(attribute)))
                        .collect(),
                });
            }
        }
        self.spans.lock().expect("the span list").extend(received);
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

impl Receiver {
    /// Serves on a free loopback port; its address.
    async fn start(&self) -> SocketAddr {
        self.start_with(tonic::transport::Server::builder()).await
    }

    /// Serves with `server` (TLS configured, say) on a free loopback port; its address.
    async fn start_with(&self, mut server: tonic::transport::Server) -> SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the receiver");
        let addr = listener.local_addr().expect("an address");
        let service = TraceServiceServer::new(self.clone());
        tokio::spawn(async move {
            server
                .add_service(service)
                .serve_with_incoming(futures::stream::unfold(listener, |listener| async move {
                    let accepted = listener.accept().await.map(|(stream, _)| stream);
                    Some((accepted, listener))
                }))
                .await
                .expect("the receiver serves");
        });
        addr
    }

    fn spans_of(&self, trace_id: &str) -> Vec<ExportedSpan> {
        self.spans
            .lock()
            .expect("the span list")
            .iter()
            .filter(|span| span.trace_id == trace_id)
            .cloned()
            .collect()
    }
}

/// The single binary on embedded defaults, exporting traces to `collector` as the `OTEL_*`
/// variables say.
fn start(data_dir: &Path, port: u16, collector: SocketAddr) -> Process {
    let mut child = Command::new(binary("estospaces"))
        .env_remove("ESTOSPACES_DATABASE_URL")
        .env_remove("ESTOSPACES_KAFKA_BROKERS")
        .env_remove("ESTOSPACES_REDIS_URL")
        .env_remove("ESTOSPACES_TELEMETRY__OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_SDK_DISABLED")
        .env_remove("OTEL_TRACES_SAMPLER")
        .env_remove("OTEL_RESOURCE_ATTRIBUTES")
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", format!("http://{collector}"))
        .env("OTEL_SERVICE_NAME", SERVICE_NAME)
        // Exported within a fraction of a second, and none dropped while the seed runs.
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "131072")
        // Spans are `info`: a stricter RUST_LOG of the test's own would filter them out.
        .env("RUST_LOG", "info")
        .env("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}"))
        .env("ESTOSPACES_DATA_DIR", data_dir)
        .env("ESTOSPACES_GATEWAY__RATE_LIMITS__ENABLED", "false")
        .env("ESTOSPACES_SHUTDOWN_GRACE", "2s")
        .stdout(log_file())
        .stderr(log_file())
        .spawn()
        .expect("the binary starts");
    estospaces_testing::wait_until_listening(&mut child, port);
    Process(child)
}

/// A fresh trace id and the `traceparent` of a caller span in it, as a client of the gateway
/// sends it.
fn caller_trace() -> (String, String) {
    let trace_id = uuid::Uuid::new_v4().simple().to_string();
    let span_id = &uuid::Uuid::new_v4().simple().to_string()[..16];
    let traceparent = format!("00-{trace_id}-{span_id}-01");
    (trace_id, traceparent)
}

/// What the booking's trace must hold: a description and a test on a span.
type Expectation = (&'static str, fn(&ExportedSpan) -> bool);

fn consumed(span: &ExportedSpan, group: &str, event_type: &str) -> bool {
    span.kind == SpanKind::Consumer
        && span.attribute("messaging.consumer.group.name") == Some(group)
        && span.attribute("event.type") == Some(event_type)
}

const EXPECTED: &[Expectation] = &[
    ("the gateway's REST request POST /v1/bookings", |span| {
        span.attribute("url.path") == Some("/v1/bookings") && span.kind == SpanKind::Server
    }),
    ("booking's CreateBooking (server)", |span| {
        span.attribute("rpc.service") == Some("estospaces.booking.v1.BookingService")
            && span.attribute("rpc.method") == Some("CreateBooking")
            && span.kind == SpanKind::Server
    }),
    ("booking's call to property (client)", |span| {
        span.attribute("rpc.service") == Some("estospaces.property.v1.PropertyService")
            && span.kind == SpanKind::Client
    }),
    ("property serving booking (server)", |span| {
        span.attribute("rpc.service") == Some("estospaces.property.v1.PropertyService")
            && span.kind == SpanKind::Server
    }),
    ("payment consuming booking.requested", |span| {
        consumed(span, "payment.booking-events", "booking.requested")
    }),
    ("payment's authorize step", |span| {
        span.name == "payment.step" && span.attribute("payment.step") == Some("authorize")
    }),
    ("booking consuming payment.authorized", |span| {
        consumed(span, "booking.payment-events", "payment.authorized")
    }),
    ("payment consuming booking.confirmed", |span| {
        consumed(span, "payment.booking-events", "booking.confirmed")
    }),
    ("payment's capture step", |span| {
        span.name == "payment.step" && span.attribute("payment.step") == Some("capture")
    }),
    ("booking consuming payment.captured", |span| {
        consumed(span, "booking.payment-events", "payment.captured")
    }),
];

/// The expectations no span of `spans` meets.
fn missing(spans: &[ExportedSpan]) -> Vec<&'static str> {
    EXPECTED
        .iter()
        .filter(|(_, test)| !spans.iter().any(test))
        .map(|(what, _)| *what)
        .collect()
}

/// A booking's trace as exported: its trace id, the booking's name and the spans.
struct BookingTrace {
    trace_id: String,
    booking: String,
    spans: Vec<ExportedSpan>,
}

impl BookingTrace {
    /// One line per kind of span, for failure messages.
    fn summary(&self) -> BTreeSet<String> {
        self.spans
            .iter()
            .map(|span| {
                let detail = span
                    .attribute("event.type")
                    .or(span.attribute("payment.step"))
                    .or(span.attribute("url.path"))
                    .unwrap_or_default();
                let group = span
                    .attribute("messaging.consumer.group.name")
                    .map(|group| format!(" ({group})"))
                    .unwrap_or_default();
                format!(
                    "[{}] {:?} {} {detail}{group}",
                    span.service_name, span.kind, span.name
                )
            })
            .collect()
    }

    /// Fails naming every part of the saga the trace lacks.
    fn assert_complete(&self) {
        let missing = missing(&self.spans);
        assert!(
            missing.is_empty(),
            "trace {} of {} lacks: {missing:#?}\nit has {} spans: {:#?}",
            self.trace_id,
            self.booking,
            self.spans.len(),
            self.summary(),
        );
        eprintln!(
            "trace {} of {}: {:#?}",
            self.trace_id,
            self.booking,
            self.summary()
        );
    }
}

/// Seeds the platform behind `client` (hosts with published listings and guests: the seed
/// signs them up, grants the hosts their role, and creates and publishes the listings through
/// the gateway), books an instantly bookable stay as a guest whose client started a trace of its
/// own, waits until the booking is confirmed and its payment captured, then until `receiver`
/// has every part of the saga in that trace (up to 30 s: spans arrive in batches).
async fn book_and_trace(
    client: &Client,
    config: &PlatformConfig,
    receiver: &Receiver,
) -> BookingTrace {
    seed::seed(
        config,
        &client.base,
        &SeedOptions {
            listings: 6,
            progress: false,
        },
    )
    .await
    .expect("seeded");
    let guest = client.login(seed::demo_email("guest", 0)).await;
    let property = client.instant_listing().await;

    let (trace_id, traceparent) = caller_trace();
    let mut booking = stay(7);
    booking["property"] = json!(property);
    booking["guests"] = json!(1);
    let response = client
        .http
        .post(format!("{}/v1/bookings", client.base))
        .bearer_auth(&guest)
        .header("traceparent", &traceparent)
        .json(&json!({"booking": booking, "paymentMethod": "4242424242424242"}))
        .send()
        .await
        .expect("the gateway answers");
    let status = response.status();
    let created: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(status, 201, "booking: {created}");
    let name = created["name"].as_str().expect("a booking name").to_owned();
    client
        .confirmed_and_captured_once(
            &[(name.clone(), guest.clone())],
            Instant::now() + Duration::from_secs(30),
            "traced booking",
        )
        .await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let spans = loop {
        let spans = receiver.spans_of(&trace_id);
        if missing(&spans).is_empty() || Instant::now() > deadline {
            break spans;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    BookingTrace {
        trace_id,
        booking: name,
        spans,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_through_the_gateway_is_one_trace_from_create_booking_to_the_capture() {
    let receiver = Receiver::default();
    let collector = receiver.start().await;
    let data_dir = tempfile::tempdir().expect("a data dir");
    let port = estospaces_testing::free_port();
    let mut process = start(data_dir.path(), port, collector);
    let client = Client::new(format!("http://127.0.0.1:{port}"));
    client.ready().await;
    let mut config = PlatformConfig::default();
    config.common.data_dir = data_dir.path().to_owned();

    let trace = book_and_trace(&client, &config, &receiver).await;
    trace.assert_complete();
    for span in &trace.spans {
        assert_eq!(
            span.service_name, SERVICE_NAME,
            "OTEL_SERVICE_NAME names the resource: {span:?}"
        );
    }

    let status = estospaces_testing::stop_with_sigterm(&mut process.0, Duration::from_secs(20));
    assert!(status.success(), "{status:?}");
}

/// The services of the mesh, each its own binary `estospaces-<name>`, in the order they start:
/// identity first, whose key set the others verify tokens with.
const SERVICES: [&str; 13] = [
    "identity",
    "profile",
    "media",
    "property",
    "payment",
    "booking",
    "search",
    "notification",
    "messaging",
    "review",
    "moderation",
    "leads",
    "project",
];

/// The other services each service calls, as `(setting, service)`.
fn upstreams_of(service: &str) -> &'static [(&'static str, &'static str)] {
    match service {
        "booking" => &[("ESTOSPACES_BOOKING__PROPERTY_URL", "property")],
        "property" => &[("ESTOSPACES_PROPERTY__MEDIA_URL", "media")],
        "profile" => &[("ESTOSPACES_PROFILE__MEDIA_URL", "media")],
        "messaging" => &[
            ("ESTOSPACES_MESSAGING__PROPERTY_URL", "property"),
            ("ESTOSPACES_MESSAGING__MEDIA_URL", "media"),
        ],
        "review" => &[("ESTOSPACES_REVIEW__PROPERTY_URL", "property")],
        "moderation" => &[
            ("ESTOSPACES_MODERATION__PROPERTY_URL", "property"),
            ("ESTOSPACES_MODERATION__REVIEW_URL", "review"),
        ],
        "leads" => &[
            ("ESTOSPACES_LEADS__PROPERTY_URL", "property"),
            ("ESTOSPACES_LEADS__PROFILE_URL", "profile"),
        ],
        "project" => &[
            ("ESTOSPACES_PROJECT__PROPERTY_URL", "property"),
            ("ESTOSPACES_PROJECT__MEDIA_URL", "media"),
        ],
        "notification" => &[("ESTOSPACES_NOTIFICATION__PUBLIC_BASE_URL", "gateway")],
        _ => &[],
    }
}

/// Starts `binary` with exactly `env` among the `ESTOSPACES_*` and `OTEL_*` variables, and
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` naming `collector` (without `OTEL_SERVICE_NAME`: each
/// process is its binary's service); its output appended to `log`.
fn start_node(
    binary: &Path,
    port: u16,
    env: &[(String, String)],
    collector: &str,
    log: &Path,
) -> Process {
    let log = std::fs::File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("a log file");
    let mut command = Command::new(binary);
    for (key, _) in std::env::vars_os() {
        let key_text = key.to_string_lossy();
        if key_text.starts_with("ESTOSPACES_") || key_text.starts_with("OTEL_") {
            command.env_remove(key);
        }
    }
    let mut child = command
        .envs(env.iter().map(|(key, value)| (key, value)))
        .env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", collector)
        .env("OTEL_BSP_SCHEDULE_DELAY", "200")
        .env("OTEL_BSP_MAX_QUEUE_SIZE", "131072")
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

/// The same booking on the multi-process deployment (every service its own binary on its own
/// PostgreSQL database, a Kafka-protocol broker, the gateway in front): one trace across the
/// processes, each exporting under its own service name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn across_the_mesh_a_booking_is_one_trace_over_the_gateway_booking_property_and_payment() {
    let receiver = Receiver::default();
    let collector = receiver.start().await;
    let broker = estospaces_testing::PrivateBroker::start();
    let dir = tempfile::tempdir().expect("a directory");
    let ports: std::collections::BTreeMap<&str, u16> = SERVICES
        .iter()
        .chain(&["gateway"])
        .map(|name| (*name, estospaces_testing::free_port()))
        .collect();
    let url = |name: &str| format!("http://127.0.0.1:{}", ports[name]);

    let mut databases = std::collections::BTreeMap::new();
    let mut processes = Vec::new();
    for name in SERVICES {
        let database = estospaces_testing::TestDatabase::postgres(&[])
            .await
            .expect("a test database");
        let mut env = vec![
            (
                "ESTOSPACES_LISTEN".to_owned(),
                format!("127.0.0.1:{}", ports[name]),
            ),
            (
                "ESTOSPACES_DATA_DIR".to_owned(),
                database.data_dir().display().to_string(),
            ),
            ("ESTOSPACES_SHUTDOWN_GRACE".to_owned(), "2s".to_owned()),
            ("ESTOSPACES_DATABASE_URL".to_owned(), database.url.clone()),
            ("ESTOSPACES_KAFKA_BROKERS".to_owned(), broker.brokers()),
            (
                "ESTOSPACES_DATABASE_MAX_CONNECTIONS".to_owned(),
                "8".to_owned(),
            ),
        ];
        if name != "identity" {
            env.push(("ESTOSPACES_AUTH__IDENTITY_URL".to_owned(), url("identity")));
        }
        for (setting, upstream) in upstreams_of(name) {
            env.push(((*setting).to_owned(), url(upstream)));
        }
        processes.push(start_node(
            &binary(&format!("estospaces-{name}")),
            ports[name],
            &env,
            &format!("http://{collector}"),
            &dir.path().join(format!("{name}.log")),
        ));
        databases.insert(name, database);
    }
    let gateway_data = dir.path().join("gateway");
    std::fs::create_dir(&gateway_data).expect("a data directory");
    let mut env = vec![
        (
            "ESTOSPACES_LISTEN".to_owned(),
            format!("127.0.0.1:{}", ports["gateway"]),
        ),
        (
            "ESTOSPACES_DATA_DIR".to_owned(),
            gateway_data.display().to_string(),
        ),
        ("ESTOSPACES_SHUTDOWN_GRACE".to_owned(), "2s".to_owned()),
        (
            "ESTOSPACES_GATEWAY__RATE_LIMITS__ENABLED".to_owned(),
            "false".to_owned(),
        ),
        ("ESTOSPACES_AUTH__IDENTITY_URL".to_owned(), url("identity")),
    ];
    for name in SERVICES {
        env.push((
            format!("ESTOSPACES_GATEWAY__UPSTREAMS__{}", name.to_uppercase()),
            url(name),
        ));
    }
    processes.push(start_node(
        &binary("estospaces-gateway"),
        ports["gateway"],
        &env,
        &format!("http://{collector}"),
        &dir.path().join("gateway.log"),
    ));
    let client = Client::new(url("gateway"));
    client.ready().await;

    // The seed signs users in through identity's store and writes past stays into review's.
    let mut config = PlatformConfig::default();
    config.common.data_dir = dir.path().join("seed");
    for service in ["identity", "review"] {
        config
            .service
            .databases
            .insert(service.to_owned(), databases[service].url.clone().into());
    }
    let trace = book_and_trace(&client, &config, &receiver).await;
    trace.assert_complete();
    // Each process is its own service in the trace.
    let services: BTreeSet<&str> = trace
        .spans
        .iter()
        .map(|span| span.service_name.as_str())
        .collect();
    let absent: Vec<&str> = ["gateway", "booking", "property", "payment"]
        .into_iter()
        .filter(|service| !services.contains(service))
        .collect();
    assert!(
        absent.is_empty(),
        "no spans of {absent:?} in the trace: {:#?}",
        trace.summary()
    );
    let by_service = |what: &str, service: &str, test: fn(&ExportedSpan) -> bool| {
        assert!(
            trace
                .spans
                .iter()
                .any(|span| test(span) && span.service_name == service),
            "{what} is not {service}'s: {:#?}",
            trace.summary()
        );
    };
    by_service("CreateBooking", "booking", |span| {
        span.attribute("rpc.method") == Some("CreateBooking") && span.kind == SpanKind::Server
    });
    by_service("the capture", "payment", |span| {
        span.attribute("payment.step") == Some("capture")
    });
    by_service("the property calls served", "property", |span| {
        span.attribute("rpc.service") == Some("estospaces.property.v1.PropertyService")
            && span.kind == SpanKind::Server
    });

    // Processes first (killed on drop), then the databases and the broker.
    drop(processes);
    drop(databases);
}

/// Over TLS: identity exports to an `https://` collector that requires a client certificate,
/// trusting it through `OTEL_EXPORTER_OTLP_CERTIFICATE` and presenting
/// `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE` with `OTEL_EXPORTER_OTLP_CLIENT_KEY`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_exports_its_spans_to_an_https_collector_requiring_mutual_tls() {
    let dir = tempfile::tempdir().expect("a directory");
    let pki = estospaces_grpc_tls::testing::TestPki::create(dir.path());
    let tls = estospaces_grpc_tls::server_config(&pki.config(true))
        .expect("readable files")
        .expect("TLS is configured");
    let server = tonic::transport::Server::builder()
        .tls_config(tls)
        .expect("a valid certificate");
    let receiver = Receiver::default();
    let collector = receiver.start_with(server).await;
    let port = estospaces_testing::free_port();
    let path = |path: &Path| path.display().to_string();
    let env: Vec<(String, String)> = [
        ("ESTOSPACES_LISTEN", format!("127.0.0.1:{port}")),
        ("ESTOSPACES_DATA_DIR", path(&dir.path().join("identity"))),
        ("OTEL_EXPORTER_OTLP_CERTIFICATE", path(&pki.ca)),
        (
            "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            path(&pki.client_cert),
        ),
        ("OTEL_EXPORTER_OTLP_CLIENT_KEY", path(&pki.client_key)),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    let _identity = start_node(
        &binary("estospaces-identity"),
        port,
        &env,
        // `localhost`: the name the test certificate is for.
        &format!("https://localhost:{}", collector.port()),
        &dir.path().join("identity.log"),
    );

    let (trace_id, traceparent) = caller_trace();
    let channel = tonic::transport::Channel::from_shared(format!("http://127.0.0.1:{port}"))
        .expect("a URL")
        .connect_lazy();
    let mut request = tonic::Request::new(estospaces_proto::identity_v1::GetJwksRequest::default());
    request
        .metadata_mut()
        .insert("traceparent", traceparent.parse().expect("an ASCII header"));
    estospaces_proto::identity_v1::identity_service_client::IdentityServiceClient::new(channel)
        .get_jwks(request)
        .await
        .expect("identity answers");

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let spans = receiver.spans_of(&trace_id);
        if spans.iter().any(|span| {
            span.kind == SpanKind::Server && span.attribute("rpc.method") == Some("GetJwks")
        }) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no GetJwks server span reached the collector over TLS: {spans:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
