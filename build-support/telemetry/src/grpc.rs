//! Server-side telemetry for every gRPC call: one span and two metrics.
//!
//! Metrics, OpenTelemetry's RPC semantic conventions in Prometheus form:
//! - `rpc_server_duration_seconds{rpc_system="grpc", rpc_service, rpc_method,
//!   rpc_grpc_status_code}`: latency histogram of finished calls, the status as its number
//!   (`0` OK … `16` UNAUTHENTICATED); its `_count` is the call rate;
//! - `rpc_server_active_requests{rpc_system="grpc", rpc_service}`: calls being worked on.

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
                let active = metrics::gauge!(
                    ACTIVE_REQUESTS,
                    "rpc_system" => "grpc",
                    "rpc_service" => service.clone(),
                );
                active.increment(1.0);
                let result = inner.call(request).await;
                active.decrement(1.0);

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
                metrics::histogram!(
                    DURATION,
                    "rpc_system" => "grpc",
                    "rpc_service" => service,
                    "rpc_method" => method,
                    "rpc_grpc_status_code" => code_label(code),
                )
                .record(started.elapsed().as_secs_f64());
                result
            }
            .instrument(span),
        )
    }
}

/// The latency histogram of finished calls.
pub const DURATION: &str = "rpc_server_duration_seconds";
/// The gauge of calls being worked on.
pub const ACTIVE_REQUESTS: &str = "rpc_server_active_requests";

/// Describes the RPC server metrics, so `/metrics` explains them.
pub(crate) fn describe() {
    metrics::describe_histogram!(
        DURATION,
        metrics::Unit::Seconds,
        "Duration of finished gRPC calls this server handled, by service, method and status code."
    );
    metrics::describe_gauge!(
        ACTIVE_REQUESTS,
        "gRPC calls this server is working on, by service."
    );
}

/// A status code as its number, without formatting one per call.
fn code_label(code: tonic::Code) -> &'static str {
    const LABELS: [&str; 17] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15", "16",
    ];
    usize::try_from(code as i32)
        .ok()
        .and_then(|index| LABELS.get(index))
        .copied()
        .unwrap_or("2")
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

    #[test]
    fn a_status_code_label_is_its_number() {
        assert_eq!(code_label(tonic::Code::Ok), "0");
        assert_eq!(code_label(tonic::Code::DeadlineExceeded), "4");
        assert_eq!(code_label(tonic::Code::Unauthenticated), "16");
    }
}
