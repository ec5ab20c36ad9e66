//! What a running EstoSpaces service tells its operators.
//!
//! - [`init`]: `tracing` logs (human or JSON) and, when an OTLP endpoint is configured (or
//!   `OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT` names one), trace export with the W3C trace-context
//!   propagator installed. The standard `OTEL_*` variables are honoured (see [`init`]),
//!   `OTEL_EXPORTER_OTLP_[TRACES_]CERTIFICATE` and the client certificate and key included:
//!   an `https://` endpoint is reached over TLS.
//! - [`GrpcTelemetryLayer`]: a server span per call (continuing the caller's trace) and the
//!   Prometheus request metrics.
//! - [`traced`]: a client channel whose calls open a client span and carry the trace to the next
//!   service; every service-to-service client is a [`TracedChannel`].
//! - [`TraceContextInterceptor`]: carries the current trace on requests built by hand (the
//!   gateway's).
//! - [`metrics_handle`]: the Prometheus registry; [`render_metrics`] renders it on `/metrics`
//!   with the [`process`] metrics read at that moment. docs/operations.md lists every metric.

#![forbid(unsafe_code)]

mod grpc;
pub mod process;
mod propagation;

use std::path::PathBuf;
use std::sync::OnceLock;

use estospaces_config::{LogFormat, TelemetryConfig};
use estospaces_grpc_tls::{ClientTls, PemFile};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

pub use grpc::{GrpcTelemetry, GrpcTelemetryLayer};
pub use propagation::{
    GrpcClientTelemetry, GrpcClientTelemetryLayer, TraceContextInterceptor, TracedChannel,
    current_trace_parent, extract_trace_context, set_remote_parent, traced,
};

/// Telemetry could not start.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    #[error("invalid log filter: {0}")]
    Filter(#[from] tracing_subscriber::filter::ParseError),
    #[error("building the OTLP exporter")]
    Otlp(#[from] opentelemetry_otlp::ExporterBuildError),
    #[error("TLS to the OTLP collector: {0}")]
    Tls(#[from] estospaces_grpc_tls::Error),
}

/// Flushes pending spans when dropped; keep it alive for the life of `main`.
#[derive(Debug)]
#[must_use = "dropping the guard stops trace export"]
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(err) = provider.shutdown()
        {
            eprintln!("flushing traces failed: {err}");
        }
    }
}

/// Installs the global subscriber for `service`. `RUST_LOG` overrides the configured filter.
///
/// Traces are exported over OTLP/gRPC when `config.otlp_endpoint` is set or, failing that,
/// `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` or `OTEL_EXPORTER_OTLP_ENDPOINT` is; never when
/// `OTEL_SDK_DISABLED=true`. The resource's `service.name` is `OTEL_SERVICE_NAME`, else a
/// `service.name` in `OTEL_RESOURCE_ATTRIBUTES`, else `service`; the other
/// `OTEL_RESOURCE_ATTRIBUTES` are added to it. The OpenTelemetry SDK itself reads
/// `OTEL_TRACES_SAMPLER`/`OTEL_TRACES_SAMPLER_ARG` (default `parentbased_always_on`),
/// `OTEL_BSP_*` (the batch exporter's delay and sizes), `OTEL_SPAN_*_COUNT_LIMIT` and
/// `OTEL_EXPORTER_OTLP_[TRACES_]{HEADERS,TIMEOUT}` (no compression is built in: setting
/// `OTEL_EXPORTER_OTLP_COMPRESSION` fails here).
///
/// An `https://` endpoint is reached over TLS, trusting the CA certificates in the PEM file
/// `OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE` or `OTEL_EXPORTER_OTLP_CERTIFICATE` (else the public
/// web PKI) and presenting `OTEL_EXPORTER_OTLP_[TRACES_]CLIENT_CERTIFICATE` with
/// `..._CLIENT_KEY` when they are set (a collector requiring mutual TLS).
///
/// Calling it again (several apps in one test process) keeps the first subscriber.
pub fn init(
    service: &'static str,
    config: &TelemetryConfig,
) -> Result<TelemetryGuard, TelemetryError> {
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) => EnvFilter::try_new(directives)?,
        Err(_) => EnvFilter::try_new(&config.log_filter)?,
    };
    let fmt = match config.log_format {
        LogFormat::Human => tracing_subscriber::fmt::layer().with_ansi(false).boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed(),
    };

    let export = trace_export(service, config, |name| std::env::var(name).ok());
    let (otel, provider) = match export {
        Some(export) => {
            let exporter = span_exporter(&export)?;
            // `Resource::builder` reads `OTEL_RESOURCE_ATTRIBUTES` (and `OTEL_SERVICE_NAME`,
            // which `export.service_name` already is when set); the tracer provider's default
            // configuration reads the `OTEL_TRACES_SAMPLER*` and `OTEL_SPAN_*` variables.
            let provider = SdkTracerProvider::builder()
                .with_batch_exporter(exporter)
                .with_resource(
                    opentelemetry_sdk::Resource::builder()
                        .with_service_name(export.service_name)
                        .build(),
                )
                .build();
            let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer(service));
            opentelemetry::global::set_tracer_provider(provider.clone());
            (Some(layer), Some(provider))
        }
        None => (None, None),
    };

    // `try_init` fails only when a subscriber is already set, which is fine for tests.
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    Ok(TelemetryGuard { provider })
}

/// The OTLP/gRPC exporter to `export.endpoint`, over TLS when it is `https://`.
fn span_exporter(export: &TraceExport) -> Result<opentelemetry_otlp::SpanExporter, TelemetryError> {
    use opentelemetry_otlp::{WithExportConfig as _, WithTonicConfig as _};
    let mut builder = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(&export.endpoint);
    if estospaces_grpc_tls::is_https(&export.endpoint) {
        builder = builder.with_tls_config(export.tls.client_tls()?.tonic());
    }
    Ok(builder.build()?)
}

/// Where traces go and under which service name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct TraceExport {
    /// The OTLP/gRPC collector.
    endpoint: String,
    /// The resource's `service.name`.
    service_name: String,
    /// PEM files for an `https://` endpoint.
    tls: OtlpTls,
}

/// The `OTEL_EXPORTER_OTLP_[TRACES_]{CERTIFICATE,CLIENT_CERTIFICATE,CLIENT_KEY}` files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct OtlpTls {
    /// CA certificates to trust.
    certificate: Option<OtlpFile>,
    /// The certificate to present, and its key.
    client_certificate: Option<OtlpFile>,
    client_key: Option<OtlpFile>,
}

impl OtlpTls {
    fn client_tls(&self) -> Result<ClientTls, estospaces_grpc_tls::Error> {
        ClientTls::from_files(
            pem_file(&self.certificate, "OTEL_EXPORTER_OTLP_CERTIFICATE"),
            pem_file(
                &self.client_certificate,
                "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
            ),
            pem_file(&self.client_key, "OTEL_EXPORTER_OTLP_CLIENT_KEY"),
        )
    }
}

/// `file` named by the variable that set it, or by the general one when unset.
fn pem_file<'a>(file: &'a Option<OtlpFile>, unset: &'a str) -> PemFile<'a> {
    match file {
        Some(file) => PemFile {
            setting: &file.variable,
            path: Some(&file.path),
        },
        None => PemFile {
            setting: unset,
            path: None,
        },
    }
}

/// A file and the variable that named it, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct OtlpFile {
    variable: String,
    path: PathBuf,
}

/// Whether and where `binary` exports traces, from its configuration and the `OTEL_*`
/// variables that `var` reads (the process environment outside tests).
fn trace_export(
    binary: &str,
    config: &TelemetryConfig,
    var: impl Fn(&str) -> Option<String>,
) -> Option<TraceExport> {
    let var = |name: &str| {
        var(name)
            .map(|value| value.trim().to_owned())
            .filter(|value| !value.is_empty())
    };
    if var("OTEL_SDK_DISABLED").is_some_and(|value| value.eq_ignore_ascii_case("true")) {
        return None;
    }
    let endpoint = config
        .otlp_endpoint
        .clone()
        .filter(|endpoint| !endpoint.trim().is_empty())
        .or_else(|| var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))
        .or_else(|| var("OTEL_EXPORTER_OTLP_ENDPOINT"))?;
    // The traces-only variable wins over the general one, as for the endpoint.
    let file = |name: &str| {
        [
            format!("OTEL_EXPORTER_OTLP_TRACES_{name}"),
            format!("OTEL_EXPORTER_OTLP_{name}"),
        ]
        .into_iter()
        .find_map(|variable| {
            var(&variable).map(|path| OtlpFile {
                variable,
                path: PathBuf::from(path),
            })
        })
    };
    let tls = OtlpTls {
        certificate: file("CERTIFICATE"),
        client_certificate: file("CLIENT_CERTIFICATE"),
        client_key: file("CLIENT_KEY"),
    };
    let service_name = var("OTEL_SERVICE_NAME")
        .or_else(|| {
            var("OTEL_RESOURCE_ATTRIBUTES")
                .and_then(|attributes| resource_attribute(&attributes, "service.name"))
        })
        .unwrap_or_else(|| binary.to_owned());
    Some(TraceExport {
        endpoint,
        service_name,
        tls,
    })
}

/// The value of `key` in `OTEL_RESOURCE_ATTRIBUTES` (`key1=value1,key2=value2`, values
/// percent-encoded), if present and not empty.
fn resource_attribute(attributes: &str, key: &str) -> Option<String> {
    attributes
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .find(|(name, _)| name.trim() == key)
        .map(|(_, value)| percent_decoded(value.trim()))
        .filter(|value| !value.is_empty())
}

/// `%XX` escapes decoded; anything malformed is kept as it is.
fn percent_decoded(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value
                .get(i + 1..i + 3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".to_owned()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
                        10.0,
                    ],
                )
                .expect("the bucket list is not empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Another recorder may already be global (a test harness); ours still renders.
            let _ = metrics::set_global_recorder(recorder);
            // Metrics that exist from the start, so dashboards and alerts find them at zero.
            grpc::describe();
            process::describe();
            handle
        })
        .clone()
}

/// The Prometheus text for `/metrics`: the process metrics read now, then the registry.
/// Every metrics endpoint renders with this.
pub fn render_metrics() -> String {
    let handle = metrics_handle();
    process::collect();
    handle.render()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use estospaces_grpc_tls::testing::TestPki;

    use super::*;

    fn export(config: &TelemetryConfig, vars: &[(&str, &str)]) -> Option<TraceExport> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        trace_export("estospaces", config, |name| vars.get(name).cloned())
    }

    fn configured(endpoint: &str) -> TelemetryConfig {
        TelemetryConfig {
            otlp_endpoint: Some(endpoint.to_owned()),
            ..TelemetryConfig::default()
        }
    }

    #[test]
    fn nothing_is_exported_without_an_endpoint_in_the_configuration_or_the_environment() {
        assert_eq!(export(&TelemetryConfig::default(), &[]), None);
        assert_eq!(
            export(&TelemetryConfig::default(), &[("OTEL_SERVICE_NAME", "x")]),
            None
        );
    }

    #[test]
    fn the_configured_endpoint_wins_over_the_otel_variables() {
        let export = export(
            &configured("http://configured:4317"),
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"),
            ],
        );
        assert_eq!(
            export.map(|export| export.endpoint).as_deref(),
            Some("http://configured:4317")
        );
    }

    #[test]
    fn without_a_configured_endpoint_the_traces_endpoint_wins_over_the_general_one() {
        let config = TelemetryConfig::default();
        let both = export(
            &config,
            &[
                ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317"),
                ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"),
            ],
        );
        assert_eq!(
            both.map(|export| export.endpoint).as_deref(),
            Some("http://traces:4317")
        );
        let general = export(
            &config,
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317")],
        );
        assert_eq!(
            general.map(|export| export.endpoint).as_deref(),
            Some("http://env:4317")
        );
    }

    #[test]
    fn an_empty_configured_endpoint_counts_as_none() {
        let export = export(
            &configured(" "),
            &[("OTEL_EXPORTER_OTLP_ENDPOINT", "http://env:4317")],
        );
        assert_eq!(
            export.map(|export| export.endpoint).as_deref(),
            Some("http://env:4317")
        );
    }

    #[test]
    fn otel_sdk_disabled_turns_export_off_even_with_a_configured_endpoint() {
        let config = configured("http://configured:4317");
        assert_eq!(export(&config, &[("OTEL_SDK_DISABLED", "true")]), None);
        assert_eq!(export(&config, &[("OTEL_SDK_DISABLED", "TRUE")]), None);
        assert!(export(&config, &[("OTEL_SDK_DISABLED", "false")]).is_some());
    }

    #[test]
    fn the_binary_name_is_the_service_name_by_default() {
        let export = export(&configured("http://c:4317"), &[]).expect("exports");
        assert_eq!(export.service_name, "estospaces");
    }

    #[test]
    fn an_otel_service_name_overrides_the_binary_name() {
        let export = export(
            &configured("http://c:4317"),
            &[
                ("OTEL_SERVICE_NAME", "bookings-eu"),
                ("OTEL_RESOURCE_ATTRIBUTES", "service.name=other"),
            ],
        )
        .expect("exports");
        assert_eq!(export.service_name, "bookings-eu");
    }

    #[test]
    fn a_service_name_in_the_resource_attributes_overrides_the_binary_name() {
        let export = export(
            &configured("http://c:4317"),
            &[(
                "OTEL_RESOURCE_ATTRIBUTES",
                "deployment.environment=staging, service.name=booking%20eu,team=x",
            )],
        )
        .expect("exports");
        assert_eq!(export.service_name, "booking eu");
    }

    #[test]
    fn the_traces_certificate_variables_win_over_the_general_ones() {
        let export = export(
            &configured("https://c:4317"),
            &[
                ("OTEL_EXPORTER_OTLP_CERTIFICATE", "/general/ca.pem"),
                ("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE", "/traces/ca.pem"),
                (
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    "/general/client.pem",
                ),
                ("OTEL_EXPORTER_OTLP_CLIENT_KEY", "/general/client.key"),
            ],
        )
        .expect("exports");
        let path = |file: &Option<OtlpFile>| file.as_ref().map(|file| file.path.clone());
        assert_eq!(path(&export.tls.certificate), Some("/traces/ca.pem".into()));
        assert_eq!(
            path(&export.tls.client_certificate),
            Some("/general/client.pem".into())
        );
        assert_eq!(
            path(&export.tls.client_key),
            Some("/general/client.key".into())
        );
    }

    #[test]
    fn a_missing_certificate_file_fails_the_start_naming_its_variable() {
        let export = export(
            &configured("https://c:4317"),
            &[(
                "OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE",
                "/nonexistent/ca.pem",
            )],
        )
        .expect("exports");
        let err = span_exporter(&export).expect_err("no such file");
        let message = format!("{err}");
        assert!(
            message.contains("OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE"),
            "{message}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_reach_a_collector_requiring_mutual_tls_at_an_https_endpoint() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let pki = TestPki::create(dir.path());
        let (endpoint, mut received) = tls_collector(&pki).await;
        let vars = |client_certificate: bool| {
            let mut vars = vec![(
                "OTEL_EXPORTER_OTLP_CERTIFICATE",
                pki.ca.display().to_string(),
            )];
            if client_certificate {
                vars.push((
                    "OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE",
                    pki.client_cert.display().to_string(),
                ));
                vars.push((
                    "OTEL_EXPORTER_OTLP_CLIENT_KEY",
                    pki.client_key.display().to_string(),
                ));
            }
            vars
        };

        // Without a client certificate the collector refuses the connection: nothing arrives.
        let without: Vec<(&str, String)> = vars(false);
        export_one_span(&endpoint, &without, "refused").await;
        let nothing =
            tokio::time::timeout(std::time::Duration::from_millis(1500), received.recv()).await;
        assert!(
            nothing.is_err(),
            "a span arrived without a client certificate"
        );

        export_one_span(&endpoint, &vars(true), "exported").await;
        let name = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
            .await
            .expect("the span arrives over TLS")
            .expect("the collector runs");
        assert_eq!(name, "exported");
    }

    /// Exports one span named `name` to `endpoint` with `vars` as the environment.
    async fn export_one_span(endpoint: &str, vars: &[(&str, String)], name: &'static str) {
        use opentelemetry::trace::{Tracer as _, TracerProvider as _};
        let vars: Vec<(&str, &str)> = vars
            .iter()
            .map(|(variable, value)| (*variable, value.as_str()))
            .collect();
        let export = export(&configured(endpoint), &vars).expect("exports");
        let exporter = span_exporter(&export).expect("the exporter builds");
        // The simple processor exports as the span ends, blocking: off the runtime's threads.
        tokio::task::spawn_blocking(move || {
            let provider = SdkTracerProvider::builder()
                .with_simple_exporter(exporter)
                .build();
            provider.tracer("test").in_span(name, |_| {});
            let _ = provider.shutdown();
        })
        .await
        .expect("the export ran");
    }

    /// An OTLP/gRPC collector requiring mutual TLS with `pki`; its `https://localhost` URL and
    /// the names of the spans it receives.
    async fn tls_collector(
        pki: &TestPki,
    ) -> (String, tokio::sync::mpsc::UnboundedReceiver<String>) {
        use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
            TraceService, TraceServiceServer,
        };
        use opentelemetry_proto::tonic::collector::trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
        };

        struct Collector(tokio::sync::mpsc::UnboundedSender<String>);

        #[tonic::async_trait]
        impl TraceService for Collector {
            async fn export(
                &self,
                request: tonic::Request<ExportTraceServiceRequest>,
            ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
                let spans = request
                    .into_inner()
                    .resource_spans
                    .into_iter()
                    .flat_map(|resource| resource.scope_spans)
                    .flat_map(|scope| scope.spans);
                for span in spans {
                    let _ = self.0.send(span.name);
                }
                Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
            }
        }

        let (sender, received) = tokio::sync::mpsc::unbounded_channel();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let tls = estospaces_grpc_tls::server_config(&pki.config(true))
            .expect("readable files")
            .expect("TLS is configured");
        let server = tonic::transport::Server::builder()
            .tls_config(tls)
            .expect("a valid certificate")
            .add_service(TraceServiceServer::new(Collector(sender)))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        tokio::spawn(server);
        (format!("https://localhost:{port}"), received)
    }

    #[test]
    fn resource_attributes_are_read_as_comma_separated_percent_encoded_pairs() {
        let attributes = "a=1,broken,b=x%2Cy,c=%zz";
        assert_eq!(resource_attribute(attributes, "a").as_deref(), Some("1"));
        assert_eq!(resource_attribute(attributes, "b").as_deref(), Some("x,y"));
        assert_eq!(resource_attribute(attributes, "c").as_deref(), Some("%zz"));
        assert_eq!(resource_attribute(attributes, "broken"), None);
        assert_eq!(resource_attribute("", "a"), None);
    }
}
