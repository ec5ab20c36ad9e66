//! Building and running the gateway.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt as _;
use estospaces_config::ExposeSecret;
use http::{HeaderName, HeaderValue, Method, Request, StatusCode, header};
use prost_reflect::DescriptorPool;
use tokio::net::TcpListener;
use tower::{Layer, ServiceBuilder, ServiceExt};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{PropagateRequestIdLayer, SetRequestIdLayer};
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::auth::Authenticator;
use crate::catalog::{Catalog, without_source_info};
use crate::config::GatewayConfig;
use crate::gateway::{Gateway, GrpcProxy};
use crate::ratelimit::RateLimiter;
use crate::request_id::MakeRandomRequestId;
use crate::upstream::Upstreams;

/// The gateway, bound and ready to serve.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    local_addr: SocketAddr,
    router: Router,
    metrics_listener: Option<TcpListener>,
    shutdown_grace: Duration,
    /// Identity's key set, how often to fetch it again, and how often its token revocations:
    /// the gateway refuses a suspended account's tokens like every service does.
    key_refresh: Option<(estospaces_auth::IdentityKeys, Duration, Duration)>,
}

impl Application {
    /// Builds the gateway for every service in `estospaces_proto::FILE_DESCRIPTOR_SET`.
    pub async fn build(config: GatewayConfig) -> anyhow::Result<Self> {
        let descriptors = bytes::Bytes::from_static(estospaces_proto::FILE_DESCRIPTOR_SET);
        Self::build_with_descriptors(config, descriptors).await
    }

    /// Builds the gateway for the services in `descriptors`, an encoded `FileDescriptorSet`
    /// with source info (tests add services of their own).
    ///
    /// The contracts' comments describe the OpenAPI document, written here once, and reflection;
    /// the catalog that transcodes every call keeps the descriptors without them, which decoded
    /// would be most of its memory.
    pub async fn build_with_descriptors(
        config: GatewayConfig,
        descriptors: bytes::Bytes,
    ) -> anyhow::Result<Self> {
        let openapi = {
            let described = Catalog::new(DescriptorPool::decode(descriptors.clone())?)?;
            bytes::Bytes::from(serde_json::to_vec(&crate::openapi::document(&described))?)
        };
        let catalog = Catalog::new(DescriptorPool::decode(
            without_source_info(&descriptors)?.as_slice(),
        )?)?;
        let settings = &config.service;
        let upstreams = Upstreams::new(
            &settings.upstreams,
            settings.upstream_connections,
            &config.common.tls,
        )?;
        let unrouted: std::collections::BTreeSet<&str> = catalog
            .rpcs()
            .map(|rpc| rpc.domain.as_str())
            .filter(|domain| upstreams.get(domain).is_none())
            .collect();
        if !unrouted.is_empty() {
            tracing::warn!(
                ?unrouted,
                "no upstream configured for these services; their calls fail with UNAVAILABLE"
            );
        }
        tracing::info!(
            routes = catalog.routes().len(),
            "REST routes read from the descriptors"
        );
        let auth = &config.common.auth;
        // Key set fetches are rare: a tonic channel of their own, to identity's upstream URL.
        let identity_url = upstreams
            .get("identity")
            .map(|upstream| upstream.url().to_owned())
            .or_else(|| auth.identity_url.clone());
        let identity = match identity_url {
            Some(url) => Some(estospaces_grpc_tls::channel(&url, &config.common.tls)?),
            None => None,
        };
        let authenticator = Authenticator::new(identity, &auth.issuer, &auth.audience);
        let key_refresh = authenticator.identity_keys().map(|keys| {
            (
                keys,
                auth.jwks_refresh_interval,
                auth.revocation_refresh_interval,
            )
        });
        let limits = &settings.rate_limits;
        let limiter = match (&config.common.redis_url, limits.enabled) {
            (_, false) => None,
            (Some(url), true) => Some((
                RateLimiter::redis(url.expose_secret(), &limits.redis_key_prefix)?,
                limits.clone(),
            )),
            (None, true) => Some((RateLimiter::in_memory(), limits.clone())),
        };
        let gateway = Arc::new(Gateway {
            catalog,
            upstreams,
            authenticator,
            limiter,
            request_timeout: config.common.request_timeout,
            max_body_bytes: settings.max_body_bytes,
            max_upload_bytes: settings.max_upload_bytes,
            trusted_proxies: crate::client_address::TrustedProxies::new(
                settings.trusted_proxies.clone(),
            ),
        });

        let router = router(
            gateway,
            openapi,
            descriptors,
            &settings.cors_allowed_origins,
        )?;
        let listener = TcpListener::bind(config.common.listen).await?;
        let local_addr = listener.local_addr()?;
        let metrics_listener = match config.common.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await?),
            None => None,
        };
        Ok(Self {
            listener,
            local_addr,
            router,
            metrics_listener,
            shutdown_grace: config.common.shutdown_grace,
            key_refresh,
        })
    }

    /// Where REST, gRPC and grpc-web are served.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        self.run(estospaces_server::shutdown_signal()).await
    }

    /// Serves until `shutdown` completes, then lets in-flight calls finish within the grace
    /// period.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let metrics = self.metrics_listener.map(|listener| {
            // Installed now, before the first request records anything.
            let _ = estospaces_telemetry::metrics_handle();
            let app = Router::new().route(
                "/metrics",
                get(|| async { estospaces_telemetry::render_metrics() }),
            );
            tokio::spawn(async move { axum::serve(listener, app).await })
        });
        let key_refresh = self
            .key_refresh
            .map(|(keys, keys_every, revocations_every)| {
                tokio::spawn(keys.refresh_every(keys_every, revocations_every))
            });
        let (draining, drain_started) = tokio::sync::oneshot::channel::<()>();
        // Small responses (gRPC trailers, grpc-web frames) go out at once, not after the
        // client's delayed ACK.
        let listener = self.listener.tap_io(|stream| {
            if let Err(err) = stream.set_nodelay(true) {
                tracing::debug!("setting TCP_NODELAY: {err}");
            }
        });
        let serving = axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = draining.send(());
        });
        let grace = self.shutdown_grace;
        let result = tokio::select! {
            result = serving => result.map_err(anyhow::Error::from),
            () = async move {
                if drain_started.await.is_ok() {
                    tracing::info!(?grace, "shutting down: draining in-flight calls");
                    tokio::time::sleep(grace).await;
                } else {
                    std::future::pending::<()>().await;
                }
            } => {
                tracing::warn!(?grace, "grace period over; abandoning unfinished calls");
                Ok(())
            }
        };
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        if let Some(key_refresh) = key_refresh {
            key_refresh.abort();
        }
        result
    }
}

impl estospaces_host::Serve for Application {
    fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    fn serve(
        self: Box<Self>,
        shutdown: futures::future::BoxFuture<'static, ()>,
    ) -> futures::future::BoxFuture<'static, anyhow::Result<()>> {
        Box::pin(self.run(shutdown))
    }
}

fn router(
    gateway: Arc<Gateway>,
    openapi: bytes::Bytes,
    descriptors: bytes::Bytes,
    cors_origins: &[String],
) -> anyhow::Result<Router> {
    let grpc = tonic_web::GrpcWebLayer::new().layer(GrpcProxy::new(gateway.clone()));
    // The gateway's own health and reflection speak grpc-web as well as the proxied services.
    let local = tonic_web::GrpcWebLayer::new().layer(crate::local::services(descriptors, &gateway));
    let dispatch = move |State(gateway): State<Arc<Gateway>>, request: Request<AxumBody>| {
        let grpc = grpc.clone();
        let local = local.clone();
        async move {
            if is_grpc(&request) && crate::local::is_local(request.uri().path()) {
                let response = local
                    .oneshot(request.map(tonic::body::Body::new))
                    .await
                    .unwrap_or_else(|never| match never {});
                response.map(AxumBody::new)
            } else if is_grpc(&request) {
                let response = grpc
                    .oneshot(request.map(tonic::body::Body::new))
                    .await
                    .unwrap_or_else(|never| match never {});
                response.map(AxumBody::new)
            } else {
                gateway.rest(request).await
            }
        }
    };

    let router = Router::new()
        .route(
            "/openapi.json",
            get(move || {
                let openapi = openapi.clone();
                async move { ([(header::CONTENT_TYPE, "application/json")], openapi) }
            }),
        )
        // The renderer is served from the binary: `/docs` loads nothing from elsewhere.
        .merge(crate::openapi::docs_routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .fallback(dispatch)
        .with_state(gateway);

    let layers = ServiceBuilder::new()
        // First, so the access log and the upstream both see the id.
        .layer(SetRequestIdLayer::x_request_id(MakeRandomRequestId))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(axum::middleware::from_fn(access_log))
        .option_layer(cors(cors_origins)?);
    Ok(router.layer(layers))
}

fn is_grpc(request: &Request<AxumBody>) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/grpc"))
}

/// 200 when every upstream reports SERVING, else 503 naming the ones that do not.
async fn readyz(State(gateway): State<Arc<Gateway>>) -> Response {
    let unready = gateway.upstreams.unready().await;
    if unready.is_empty() {
        return (StatusCode::OK, "ready").into_response();
    }
    let body: serde_json::Map<String, serde_json::Value> = unready
        .into_iter()
        .map(|(domain, why)| (domain, why.into()))
        .collect();
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(serde_json::json!({ "unready": body })),
    )
        .into_response()
}

/// Where the gateway notes the route template a request matched (a REST path template or a gRPC
/// method's path), for the `http_route` label: a bounded set, never the raw path.
#[derive(Debug, Clone, Default)]
pub(crate) struct MatchedRoute(Arc<std::sync::OnceLock<metrics::SharedString>>);

impl MatchedRoute {
    pub(crate) fn set(&self, route: &str) {
        let _ = self.0.set(metrics::SharedString::from(route.to_owned()));
    }
}

/// The gateway's HTTP metrics (OpenTelemetry's HTTP semantic conventions in Prometheus form).
const HTTP_DURATION: &str = "http_server_request_duration_seconds";
const HTTP_ACTIVE: &str = "http_server_active_requests";

/// Describes the gateway's HTTP metrics.
fn describe_http_metrics() {
    static DESCRIBED: std::sync::Once = std::sync::Once::new();
    DESCRIBED.call_once(|| {
        metrics::describe_histogram!(
            HTTP_DURATION,
            metrics::Unit::Seconds,
            "Duration of HTTP requests the gateway served (REST, gRPC and grpc-web), by method, \
             route template and status code."
        );
        metrics::describe_gauge!(HTTP_ACTIVE, "HTTP requests the gateway is serving.");
    });
}

/// One log line and one latency sample per request.
async fn access_log(request: Request<AxumBody>, next: axum::middleware::Next) -> Response {
    let started = Instant::now();
    describe_http_metrics();
    let method = request.method().clone();
    let method_label = method_label(&method);
    let matched = MatchedRoute::default();
    let mut request = request;
    request.extensions_mut().insert(matched.clone());
    let active = metrics::gauge!(HTTP_ACTIVE, "http_request_method" => method_label);
    active.increment(1.0);
    // Cheap clones (shared buffers), kept for the log line after the request has moved on.
    let uri = request.uri().clone();
    let request_id = request.headers().get("x-request-id").cloned();
    let protocol = match request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
    {
        Some(value) if value.starts_with("application/grpc-web") => "grpc-web",
        Some(value) if value.starts_with("application/grpc") => "grpc",
        _ => "rest",
    };
    let request_id = request_id
        .as_ref()
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    // The gateway's span continues the caller's trace; upstream calls continue the gateway's.
    let span = tracing::info_span!(
        "gateway.request",
        otel.name = %format_args!("{method} {protocol}"),
        otel.kind = "server",
        http.request.method = %method,
        url.path = %uri.path(),
        request_id = %request_id,
    );
    if !span.is_disabled() {
        let _ = span.set_parent(estospaces_telemetry::extract_trace_context(
            request.headers(),
        ));
    }
    let response = next.run(request).instrument(span).await;
    active.decrement(1.0);
    let elapsed = started.elapsed();
    let status = response.status();
    tracing::info!(
        %method, path = %uri.path(), protocol, status = status.as_u16(), request_id,
        latency_ms = elapsed.as_secs_f64() * 1000.0,
        "request"
    );
    let route = match matched.0.get() {
        Some(route) => route.clone(),
        None => metrics::SharedString::const_str(unmatched_route(uri.path())),
    };
    metrics::histogram!(
        HTTP_DURATION,
        "http_request_method" => method_label,
        "http_route" => route,
        "http_response_status_code" => status_label(status),
    )
    .record(elapsed.as_secs_f64());
    response
}

/// The route label of a request no REST route or gRPC method matched: the gateway's own fixed
/// paths by name, anything else `unmatched`.
fn unmatched_route(path: &str) -> &'static str {
    match path {
        "/openapi.json" => "/openapi.json",
        "/docs" => "/docs",
        "/healthz" => "/healthz",
        "/readyz" => "/readyz",
        _ if path.starts_with("/docs/") => "/docs",
        _ if path.starts_with("/grpc.health.v1.") => "/grpc.health.v1.Health",
        _ if path.starts_with("/grpc.reflection.") => "/grpc.reflection",
        _ => "unmatched",
    }
}

/// A method as a label: the standard ones by name, anything else `_OTHER` (clients choose it).
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "_OTHER",
    }
}

/// A status as a metric label, without formatting the common ones per request.
fn status_label(status: StatusCode) -> metrics::SharedString {
    let label = match status.as_u16() {
        200 => "200",
        201 => "201",
        204 => "204",
        400 => "400",
        401 => "401",
        403 => "403",
        404 => "404",
        409 => "409",
        429 => "429",
        500 => "500",
        503 => "503",
        504 => "504",
        _ => return metrics::SharedString::from(status.as_u16().to_string()),
    };
    metrics::SharedString::const_str(label)
}

/// CORS for the configured origins; `None` (no CORS headers at all) when there are none.
fn cors(origins: &[String]) -> anyhow::Result<Option<CorsLayer>> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow_origin = if origins.iter().any(|origin| origin == "*") {
        AllowOrigin::any()
    } else {
        let origins = origins
            .iter()
            .map(|origin| HeaderValue::from_str(origin))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(origins)
    };
    let header = HeaderName::from_static;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                header("x-grpc-web"),
                header("x-user-agent"),
                header("grpc-timeout"),
                header("x-request-id"),
                header("connect-protocol-version"),
            ])
            .expose_headers([
                header("grpc-status"),
                header("grpc-message"),
                header("grpc-status-details-bin"),
                header("x-request-id"),
                header::RETRY_AFTER,
            ])
            .max_age(Duration::from_secs(600)),
    ))
}
