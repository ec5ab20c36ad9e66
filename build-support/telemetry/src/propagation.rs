//! W3C trace context (`traceparent`, `tracestate`) across gRPC hops.
//!
//! - Incoming: [`extract_trace_context`] reads the caller's context from request headers (the
//!   server span of `GrpcTelemetryLayer` continues it).
//! - Outgoing: [`traced`] wraps a client [`Channel`] so every call opens a `grpc.client` span
//!   (a child of the caller's current span) and sends that span's context along; the callee's
//!   server span is then its child. [`TraceContextInterceptor`] only sends the context, for
//!   code that builds its own requests (the gateway).

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use opentelemetry::propagation::{Extractor, Injector};
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::service::Interceptor;
use tonic::transport::Channel;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The trace context an incoming request's headers carry (an empty context when none).
pub fn extract_trace_context(headers: &http::HeaderMap) -> opentelemetry::Context {
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.extract(&HeaderExtractor(headers))
    })
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

/// The current span's W3C `traceparent` and `tracestate`, for work recorded now and done later
/// (a queued step, an event): empty strings outside a trace.
pub fn current_trace_parent() -> (String, String) {
    let context = tracing::Span::current().context();
    let mut carrier = std::collections::HashMap::new();
    opentelemetry::global::get_text_map_propagator(|propagator| {
        propagator.inject_context(&context, &mut carrier);
    });
    (
        carrier.remove("traceparent").unwrap_or_default(),
        carrier.remove("tracestate").unwrap_or_default(),
    )
}

/// Makes `span` (not yet entered) a child of the span `traceparent` names, as recorded by
/// [`current_trace_parent`]; nothing when it is empty or malformed.
pub fn set_remote_parent(span: &tracing::Span, traceparent: &str, tracestate: &str) {
    if traceparent.is_empty() {
        return;
    }
    let carrier = std::collections::HashMap::from([
        ("traceparent".to_owned(), traceparent.to_owned()),
        ("tracestate".to_owned(), tracestate.to_owned()),
    ]);
    let context =
        opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
    // Ignored when no OpenTelemetry layer is installed.
    let _ = span.set_parent(context);
}

/// A client interceptor that sends the current span's trace context with each call, so the
/// callee's span joins the caller's trace.
#[derive(Debug, Clone, Copy, Default)]
pub struct TraceContextInterceptor;

impl Interceptor for TraceContextInterceptor {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        let context = tracing::Span::current().context();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut MetadataInjector(request.metadata_mut()));
        });
        Ok(request)
    }
}

struct MetadataInjector<'a>(&'a mut MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            MetadataKey::from_bytes(key.as_bytes()),
            MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// A client channel whose calls carry the caller's trace: what every service-to-service client
/// is built on (`PropertyServiceClient<TracedChannel>`).
pub type TracedChannel = GrpcClientTelemetry<Channel>;

/// `channel`, its calls traced (see [`GrpcClientTelemetry`]).
pub fn traced(channel: Channel) -> TracedChannel {
    GrpcClientTelemetryLayer.layer_on(channel)
}

/// Wraps a gRPC client service with [`GrpcClientTelemetry`].
#[derive(Debug, Clone, Copy, Default)]
pub struct GrpcClientTelemetryLayer;

impl GrpcClientTelemetryLayer {
    fn layer_on<S>(self, inner: S) -> GrpcClientTelemetry<S> {
        GrpcClientTelemetry { inner }
    }
}

impl<S> tower::Layer<S> for GrpcClientTelemetryLayer {
    type Service = GrpcClientTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        self.layer_on(inner)
    }
}

/// Opens a `grpc.client` span (`otel.kind = client`, `rpc.*` attributes) around each call made
/// inside a span, and sends that span's W3C trace context in the call's headers.
///
/// A call made outside any span (a background poll: the key set, token revocations) opens no
/// span and sends no context: it would only start a trace of its own every few seconds.
#[derive(Debug, Clone)]
pub struct GrpcClientTelemetry<S> {
    inner: S,
}

impl<S, B, ResBody> tower::Service<http::Request<B>> for GrpcClientTelemetry<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let current = tracing::Span::current();
        if current.is_none() || current.is_disabled() {
            return Box::pin(self.inner.call(request));
        }
        let path = request.uri().path().trim_start_matches('/');
        let (service, method) = path.split_once('/').unwrap_or((path, ""));
        let span = tracing::info_span!(
            "grpc.client",
            otel.name = %format_args!("{service}/{method}"),
            otel.kind = "client",
            rpc.system = "grpc",
            rpc.service = %service,
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        let context = span.context();
        opentelemetry::global::get_text_map_propagator(|propagator| {
            propagator.inject_context(&context, &mut HeaderInjector(request.headers_mut()));
        });
        let call = self.inner.call(request);
        Box::pin(
            async move {
                let result = call.await;
                if let Ok(response) = &result {
                    // An error answer is trailers-only, its status in the headers; an answer
                    // still streaming reports its status in trailers, not seen here.
                    if let Some(code) = response
                        .headers()
                        .get("grpc-status")
                        .and_then(|value| value.to_str().ok())
                        .and_then(|value| value.parse::<i32>().ok())
                    {
                        tracing::Span::current().record("rpc.grpc.status_code", code);
                    }
                }
                result
            }
            .instrument(span),
        )
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use opentelemetry::trace::{TraceContextExt as _, TracerProvider as _};
    use opentelemetry_sdk::propagation::TraceContextPropagator;
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;

    type Echoed = http::Response<Option<String>>;

    /// A service that answers with the `traceparent` it was sent.
    fn echo() -> impl tower::Service<
        http::Request<()>,
        Response = Echoed,
        Error = Infallible,
        Future = std::future::Ready<Result<Echoed, Infallible>>,
    > + Clone {
        tower::service_fn(|request: http::Request<()>| {
            let traceparent = request
                .headers()
                .get("traceparent")
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            std::future::ready(Ok(http::Response::new(traceparent)))
        })
    }

    #[tokio::test]
    async fn a_call_inside_a_span_sends_a_child_spans_context_in_the_callers_trace() {
        use tower::{Layer as _, ServiceExt as _};
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder().build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        let _default = tracing::subscriber::set_default(subscriber);

        let caller = tracing::info_span!("caller");
        let caller_context = caller.context();
        let caller_span = caller_context.span();
        let caller_ids = caller_span.span_context();
        let request = http::Request::builder()
            .uri("http://property/estospaces.property.v1.PropertyService/GetProperty")
            .body(())
            .expect("a request");
        let response = GrpcClientTelemetryLayer
            .layer(echo())
            .oneshot(request)
            .instrument(caller.clone())
            .await
            .expect("answered");
        let sent = response.into_body().expect("a traceparent was sent");
        let parts: Vec<&str> = sent.split('-').collect();
        assert_eq!(parts[1], caller_ids.trace_id().to_string(), "{sent}");
        assert_ne!(
            parts[2],
            caller_ids.span_id().to_string(),
            "the client span, not the caller's, is the parent: {sent}"
        );
    }

    #[tokio::test]
    async fn a_call_outside_any_span_sends_no_trace_context() {
        use tower::{Layer as _, ServiceExt as _};
        let request = http::Request::builder()
            .uri("http://identity/estospaces.identity.v1.IdentityService/GetJwks")
            .body(())
            .expect("a request");
        let response = GrpcClientTelemetryLayer
            .layer(echo())
            .oneshot(request)
            .await
            .expect("answered");
        assert_eq!(response.into_body(), None);
    }
}
