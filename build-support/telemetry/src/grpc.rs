//! Server-side telemetry for every gRPC call: one span and three metrics.
//!
//! Metrics (Prometheus names):
//! - `grpc_server_requests_total{service, method, code}`: finished calls by gRPC status code;
//! - `grpc_server_request_duration_seconds{service, method}`: latency histogram;
//! - `grpc_server_requests_in_flight{service}`: calls being worked on.

use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::propagation::extract_trace_context;

/// Wraps a gRPC server's routes with [`GrpcTelemetry`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcTelemetryLayer;

impl<S> tower::Layer<S> for GrpcTelemetryLayer {
    type Service = GrpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        GrpcTelemetry { inner }
    }
}

/// Opens a span per call, continuing the caller's W3C trace, and records the call's metrics.
#[derive(Debug, Clone)]
pub struct GrpcTelemetry<S> {
    inner: S,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for GrpcTelemetry<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        // The ready service handles this call; a fresh clone takes its place for the next one.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);

        let (service, method) = split_path(request.uri().path());
        let request_id = request
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let span = tracing::info_span!(
            "grpc.server",
            otel.name = %format_args!("{service}/{method}"),
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            request_id = %request_id,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        // Ignored when no OpenTelemetry layer is installed.
        let _ = span.set_parent(extract_trace_context(request.headers()));

        Box::pin(
            async move {
                let started = Instant::now();
                metrics::gauge!("grpc_server_requests_in_flight", "service" => service.clone())
                    .increment(1.0);
                let result = inner.call(request).await;
                metrics::gauge!("grpc_server_requests_in_flight", "service" => service.clone())
                    .decrement(1.0);

                let code = match &result {
                    Ok(response) => status_code(response.headers()),
                    Err(_) => tonic::Code::Internal,
                };
                tracing::Span::current().record("rpc.grpc.status_code", code as i32);
                // An unknown path is attacker-chosen text: never let it become a label value.
                let method = if code == tonic::Code::Unimplemented {
                    "unknown".to_owned()
                } else {
                    method
                };
                let code_label = format!("{code:?}");
                metrics::counter!(
                    "grpc_server_requests_total",
                    "service" => service.clone(),
                    "method" => method.clone(),
                    "code" => code_label,
                )
                .increment(1);
                metrics::histogram!(
                    "grpc_server_request_duration_seconds",
                    "service" => service,
                    "method" => method,
                )
                .record(started.elapsed().as_secs_f64());
                result
            }
            .instrument(span),
        )
    }
}

/// `/estospaces.identity.v1.IdentityService/GetUser` → (`estospaces.identity.v1.IdentityService`,
/// `GetUser`).
fn split_path(path: &str) -> (String, String) {
    let path = path.trim_start_matches('/');
    match path.split_once('/') {
        Some((service, method)) => (service.to_owned(), method.to_owned()),
        None => (path.to_owned(), String::new()),
    }
}

/// The status of a call whose response headers are in hand.
///
/// tonic sends an error as a trailers-only response, so `grpc-status` is in the headers; a
/// response without it completed with OK trailers. (A stream that fails midway reports its
/// status in trailers only and is counted as OK here; no RPC of ours streams yet.)
fn status_code(headers: &http::HeaderMap) -> tonic::Code {
    headers
        .get("grpc-status")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<i32>().ok())
        .map_or(tonic::Code::Ok, tonic::Code::from_i32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grpc_path_splits_into_service_and_method() {
        assert_eq!(
            split_path("/estospaces.identity.v1.IdentityService/GetUser"),
            (
                "estospaces.identity.v1.IdentityService".to_owned(),
                "GetUser".to_owned()
            )
        );
    }

    #[test]
    fn the_status_comes_from_the_grpc_status_header() {
        let mut headers = http::HeaderMap::new();
        assert_eq!(status_code(&headers), tonic::Code::Ok);
        headers.insert("grpc-status", http::HeaderValue::from_static("7"));
        assert_eq!(status_code(&headers), tonic::Code::PermissionDenied);
    }
}
