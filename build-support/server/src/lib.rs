//! Starts an EstoSpaces gRPC service the same way every time.
//!
//! ```ignore
//! let server = GrpcServer::new(&config.common)
//!     .add_service(IdentityServiceServer::with_interceptor(service, auth))
//!     .readiness_check("database", move || { let db = db.clone(); async move { db.ping().await } })
//!     .bind()
//!     .await?;
//! tracing::info!(addr = %server.local_addr(), "listening");
//! server.run_until_signal().await?;
//! ```
//!
//! Every server gets, in this order around each call:
//! 1. an `x-request-id` (the caller's, or a new UUID), echoed in the response;
//! 2. a span continuing the caller's trace, and request metrics by gRPC code;
//! 3. a process-wide limit on concurrent calls (excess calls wait);
//! 4. a deadline (`request_timeout`, or the caller's shorter `grpc-timeout`).
//!
//! It also serves `grpc.health.v1.Health` (SERVING only while every readiness check passes, and
//! [`LIVENESS_SERVICE`] SERVING for as long as the process runs) and
//! reflection v1 and v1alpha (so grpcurl works), and Prometheus `/metrics` on `metrics_listen`.
//! With `tls.cert_file` set the gRPC port (health and reflection included) speaks TLS only, and
//! with `tls.client_ca_file` it refuses callers without a certificate signed by that CA (see
//! `estospaces_grpc_tls`); `/metrics` stays plain HTTP.
//! On shutdown it reports NOT_SERVING, stops accepting, lets in-flight calls finish within
//! `shutdown_grace`, then stops regardless.

#![forbid(unsafe_code)]

mod lazy;
mod readiness;
mod shutdown;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_telemetry::GrpcTelemetryLayer;
pub use lazy::{Lazy, lazy_reflection};
use tokio::net::TcpListener;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::server::HealthReporter;
use tower::ServiceBuilder;
use tower::limit::GlobalConcurrencyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub use readiness::ReadinessCheck;
pub use shutdown::{shutdown_signal, shutdown_signal_from_now};

/// The health service name that answers SERVING for as long as the process serves, whatever the
/// readiness checks say: for liveness probes, which must not restart a replica because a
/// dependency is down.
pub const LIVENESS_SERVICE: &str = "estospaces.liveness";

/// How often readiness checks run after start.
const READINESS_INTERVAL: Duration = Duration::from_secs(5);

/// A gRPC server being assembled.
#[must_use]
pub struct GrpcServer {
    config: CommonConfig,
    routes: RoutesBuilder,
    service_names: Vec<&'static str>,
    readiness: Vec<ReadinessCheck>,
    file_descriptor_sets: Vec<&'static [u8]>,
}

impl std::fmt::Debug for GrpcServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GrpcServer")
            .field("listen", &self.config.listen)
            .field("services", &self.service_names)
            .finish_non_exhaustive()
    }
}

impl GrpcServer {
    /// A server configured by the common settings (listen address, limits, grace period).
    pub fn new(config: &CommonConfig) -> Self {
        Self {
            config: config.clone(),
            routes: RoutesBuilder::default(),
            service_names: Vec::new(),
            readiness: Vec::new(),
            file_descriptor_sets: Vec::new(),
        }
    }

    /// Serves `service`; its health status follows the readiness checks.
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<http::Request<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Response: axum::response::IntoResponse,
        S::Future: Send + 'static,
    {
        self.service_names.push(S::NAME);
        self.routes.add_service(service);
        self
    }

    /// Describes the served services to reflection clients. Only the names passed to
    /// [`GrpcServer::add_service`] are listed, so a shared descriptor set does not advertise
    /// services this process does not run.
    pub fn reflect(mut self, encoded_file_descriptor_set: &'static [u8]) -> Self {
        self.file_descriptor_sets.push(encoded_file_descriptor_set);
        self
    }

    /// Reports NOT_SERVING while `check` fails. Runs before the first SERVING and every few
    /// seconds after.
    pub fn readiness_check<F, Fut, E>(mut self, name: &'static str, check: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), E>> + Send + 'static,
        E: std::fmt::Display + 'static,
    {
        self.readiness.push(ReadinessCheck::new(name, check));
        self
    }

    /// Binds the listeners (use port 0 in tests and read [`BoundServer::local_addr`]).
    pub async fn bind(mut self) -> std::io::Result<BoundServer> {
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        // Not serving until the readiness checks have passed once.
        health_reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        for name in &self.service_names {
            health_reporter
                .set_service_status(*name, tonic_health::ServingStatus::NotServing)
                .await;
        }
        health_reporter
            .set_service_status(LIVENESS_SERVICE, tonic_health::ServingStatus::Serving)
            .await;

        let sets = self.file_descriptor_sets.clone();
        let names = self.service_names.clone();
        let (reflection_v1, reflection_v1alpha) =
            lazy_reflection(move || reflection(&sets, &names));
        self.routes
            .add_service(health_service)
            .add_service(reflection_v1)
            .add_service(reflection_v1alpha);

        // TLS settings are read now, so a bad file fails the start rather than the first call.
        let mut server = tonic::transport::Server::builder();
        if let Some(tls) = estospaces_grpc_tls::server_config(&self.config.tls)
            .map_err(|err| std::io::Error::new(std::io::ErrorKind::InvalidInput, err))?
        {
            server = server.tls_config(tls).map_err(|err| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("tls.cert_file, tls.key_file or tls.client_ca_file: {err}"),
                )
            })?;
        }

        let listener = TcpListener::bind(self.config.listen).await?;
        let local_addr = listener.local_addr()?;
        let metrics_listener = match self.config.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        Ok(BoundServer {
            server,
            config: self.config,
            routes: self.routes,
            service_names: self.service_names,
            readiness: self.readiness,
            health_reporter,
            listener,
            local_addr,
            metrics_listener,
        })
    }
}

/// Reflection over `sets` listing the health service and `names`.
fn reflection(
    sets: &[&'static [u8]],
    names: &[&'static str],
) -> tonic_reflection::server::Builder<'static> {
    let mut builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .with_service_name("grpc.health.v1.Health");
    for set in sets {
        builder = builder.register_encoded_file_descriptor_set(set);
    }
    for name in names {
        builder = builder.with_service_name(*name);
    }
    builder
}

/// A server with its ports bound, ready to run.
#[must_use]
pub struct BoundServer {
    /// The tonic server, with TLS when configured.
    server: tonic::transport::Server,
    config: CommonConfig,
    routes: RoutesBuilder,
    service_names: Vec<&'static str>,
    readiness: Vec<ReadinessCheck>,
    health_reporter: HealthReporter,
    listener: TcpListener,
    local_addr: SocketAddr,
    metrics_listener: Option<TcpListener>,
}

impl std::fmt::Debug for BoundServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BoundServer")
            .field("local_addr", &self.local_addr)
            .field("services", &self.service_names)
            .finish_non_exhaustive()
    }
}

impl BoundServer {
    /// Where gRPC is served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Where `/metrics` is served, if anywhere.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|listener| listener.local_addr().ok())
    }

    /// The health reporter, for services that want to report more than readiness.
    pub fn health_reporter(&self) -> HealthReporter {
        self.health_reporter.clone()
    }

    /// Serves until SIGTERM or SIGINT, then drains.
    pub async fn run_until_signal(self) -> Result<(), tonic::transport::Error> {
        self.run(shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then drains: NOT_SERVING, no new connections, in-flight
    /// calls get up to `shutdown_grace` to finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), tonic::transport::Error> {
        let grace = self.config.shutdown_grace;
        let readiness = readiness::spawn_loop(
            self.readiness,
            self.health_reporter.clone(),
            self.service_names.clone(),
            READINESS_INTERVAL,
        );
        let (stop_metrics, metrics_stopped) = tokio::sync::watch::channel(false);
        if let Some(listener) = self.metrics_listener {
            // Installed now, before the first call records anything.
            let _ = estospaces_telemetry::metrics_handle();
            tokio::spawn(serve_metrics(listener, metrics_stopped));
        }

        let (begin_drain, drain_started) = tokio::sync::oneshot::channel::<()>();
        let layers = ServiceBuilder::new()
            // First, so the span and the response both see the id.
            .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
            .layer(PropagateRequestIdLayer::x_request_id())
            // Outside the limit, so time spent waiting for a slot shows in the latency.
            .layer(GrpcTelemetryLayer)
            .layer(GlobalConcurrencyLimitLayer::new(
                self.config.max_concurrent_requests,
            ))
            .into_inner();
        let serving = self
            .server
            .timeout(self.config.request_timeout)
            .layer(layers)
            .add_routes(self.routes.routes())
            // TCP_NODELAY: without it a response's last small write (the trailers) waits for
            // the client's delayed ACK, up to 40 ms per call.
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(self.listener).with_nodelay(Some(true)),
                async {
                    let _ = drain_started.await;
                },
            );
        tokio::pin!(serving);

        tokio::select! {
            result = &mut serving => {
                readiness.abort();
                return result;
            }
            () = shutdown => {}
        }

        tracing::info!(?grace, "shutting down: draining in-flight calls");
        readiness.abort();
        self.health_reporter
            .set_service_status("", tonic_health::ServingStatus::NotServing)
            .await;
        for name in &self.service_names {
            self.health_reporter
                .set_service_status(*name, tonic_health::ServingStatus::NotServing)
                .await;
        }
        let _ = stop_metrics.send(true);
        let _ = begin_drain.send(());
        match tokio::time::timeout(grace, serving).await {
            Ok(result) => {
                tracing::info!("drained; stopped");
                result
            }
            Err(_) => {
                tracing::warn!(?grace, "grace period over; abandoning unfinished calls");
                Ok(())
            }
        }
    }
}

/// Serves Prometheus' text format on `/metrics` until told to stop.
async fn serve_metrics(listener: TcpListener, mut stop: tokio::sync::watch::Receiver<bool>) {
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(|| async { estospaces_telemetry::render_metrics() }),
    );
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|stopped| *stopped).await;
        })
        .await;
    if let Err(err) = result {
        tracing::error!("metrics endpoint failed: {err}");
    }
}
