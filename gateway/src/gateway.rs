//! The three ways in: REST/JSON (transcoded), gRPC and grpc-web (both proxied as gRPC). Each
//! call is matched to an RPC in the [`Catalog`], authenticated, rate-limited and sent to the
//! upstream of its domain.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body as AxumBody;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use estospaces_auth::Caller;
use estospaces_status::ApiError;
use futures::StreamExt;
use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue, Request, StatusCode, header};
use prost_reflect::{DynamicMessage, ReflectMessage as _, Value};
use tonic::body::Body as TonicBody;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};

use crate::catalog::{BodyBinding, Catalog, Lookup, Route, Rpc, is_http_body};
use crate::client_address::TrustedProxies;
use crate::codec::DynamicCodec;
use crate::config::RateLimitSettings;
use crate::error::{DOMAIN, status_json, status_response};
use crate::ratelimit::{Quota, RateLimiter};
use crate::transcode::{message_json, request_message, response_json};
use crate::upstream::Upstreams;

/// Request headers passed on to the upstream as gRPC metadata on REST calls. gRPC and grpc-web
/// calls pass every header through as they are.
const FORWARDED_HEADERS: &[&str] = &[
    "authorization",
    "x-request-id",
    "traceparent",
    "tracestate",
    "accept-language",
    // Identity records it on the session it starts (and notification reports new devices).
    "user-agent",
    // Byte ranges and revalidation of served files (media).
    "range",
    "if-none-match",
    // Stripe-style idempotency: every service honours it (see estospaces-idempotency).
    "idempotency-key",
];

/// The metadata naming the client's address to upstreams: the one address the gateway resolved
/// (see [`crate::client_address`]), set by the gateway on every call. Whatever the caller sent
/// under this name, or as `Forwarded` or `X-Real-IP`, is dropped, never passed on or appended to.
const CLIENT_ADDRESS: &str = "x-forwarded-for";

/// Request headers naming a client address that only the gateway may set upstream.
const CLIENT_ADDRESS_HEADERS: &[&str] = &["x-forwarded-for", "forwarded", "x-real-ip"];

/// Response metadata that becomes HTTP headers of a `google.api.HttpBody` response: how a
/// served file is cached, validated and ranged.
const RETURNED_HEADERS: &[&str] = &[
    "etag",
    "cache-control",
    "accept-ranges",
    "content-range",
    "x-content-type-options",
];

/// Response metadata a service sets on a response it answered before for the same
/// idempotency key, and the header a REST client sees it as (Stripe's name).
const REPLAYED_METADATA: &str = "idempotent-replayed";
const REPLAYED_HEADER: &str = "idempotent-replayed";

/// Response metadata that sets the HTTP status of a `google.api.HttpBody` response
/// (206 Partial Content, 304 Not Modified), which gRPC cannot otherwise say.
const HTTP_STATUS_METADATA: &str = "x-http-status";

/// Everything a call needs, shared by every connection.
#[derive(Debug)]
pub struct Gateway {
    pub catalog: Catalog,
    pub upstreams: Upstreams,
    pub authenticator: crate::auth::Authenticator,
    pub limiter: Option<(RateLimiter, RateLimitSettings)>,
    /// The longest a call may take, unless the caller asks for less with `grpc-timeout`.
    pub request_timeout: Duration,
    pub max_body_bytes: usize,
    /// The largest raw body of a route whose body is a `google.api.HttpBody` (an upload).
    pub max_upload_bytes: usize,
    /// The proxies whose `Forwarded` and `X-Forwarded-For` headers name the client.
    pub trusted_proxies: TrustedProxies,
}

impl Gateway {
    /// The address of the client of a request: its TCP peer, or the client a trusted proxy
    /// names. `None` only when the connection's peer is unknown (not served by [`Application`]).
    ///
    /// [`Application`]: crate::Application
    fn client_address(&self, extensions: &http::Extensions, headers: &HeaderMap) -> Option<IpAddr> {
        let peer = extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip())?;
        Some(self.trusted_proxies.client_address(peer, headers))
    }

    /// Authenticates and rate-limits a call to `rpc` from `client`.
    async fn admit(
        &self,
        rpc: &Rpc,
        headers: &HeaderMap,
        client: Option<IpAddr>,
    ) -> Result<Option<Caller>, ApiError> {
        let caller = self.authenticator.authenticate(headers, rpc.public).await?;
        if let Some((limiter, settings)) = &self.limiter {
            let (class, per_minute) = if rpc.public {
                ("public", settings.public_per_minute)
            } else {
                ("authenticated", settings.authenticated_per_minute)
            };
            let key = match (&caller, client) {
                (Some(caller), _) => format!("{class}:user:{}", caller.user_id),
                (None, Some(addr)) => format!("{class}:ip:{addr}"),
                (None, None) => format!("{class}:ip:unknown"),
            };
            let quota = Quota {
                per_minute,
                burst: settings.burst,
            };
            limiter.check(&key, quota).await.map_err(|retry_after| {
                ApiError::resource_exhausted(DOMAIN, "RATE_LIMITED", retry_after)
                    .with_metadata("class", class)
            })?;
        }
        Ok(caller)
    }

    /// The deadline for a call: the caller's `grpc-timeout` when shorter than the configured one.
    fn deadline(&self, headers: &HeaderMap) -> Duration {
        headers
            .get("grpc-timeout")
            .and_then(|value| value.to_str().ok())
            .and_then(parse_grpc_timeout)
            .map_or(self.request_timeout, |asked| {
                asked.min(self.request_timeout)
            })
    }

    // === REST ===

    /// Serves one REST call.
    pub async fn rest(self: Arc<Self>, request: Request<AxumBody>) -> Response {
        let client = self.client_address(request.extensions(), request.headers());
        let (parts, body) = request.into_parts();
        let found = match self.catalog.lookup(&parts.method, parts.uri.path()) {
            Lookup::Found(found) => found,
            Lookup::MethodNotAllowed => {
                return plain_error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    tonic::Code::Unimplemented,
                    format!("{} is not allowed on {}", parts.method, parts.uri.path()),
                );
            }
            Lookup::NotFound => {
                return plain_error(
                    StatusCode::NOT_FOUND,
                    tonic::Code::NotFound,
                    format!("no route for {}", parts.uri.path()),
                );
            }
        };
        let route = found.route;
        if let Some(matched) = parts.extensions.get::<crate::startup::MatchedRoute>() {
            matched.set(route.template.as_str());
        }
        let rpc = &route.rpc;
        if rpc.descriptor.is_client_streaming() {
            return plain_error(
                StatusCode::NOT_IMPLEMENTED,
                tonic::Code::Unimplemented,
                format!(
                    "{} streams requests; call it over gRPC or grpc-web",
                    rpc.descriptor.full_name()
                ),
            );
        }

        if let Err(err) = self.admit(rpc, &parts.headers, client).await {
            return status_response(&tonic::Status::from(err));
        }
        let limit = match &route.body {
            BodyBinding::Field(field) if is_http_body(field) => self.max_upload_bytes,
            _ => self.max_body_bytes,
        };
        let body = match axum::body::to_bytes(body, limit).await {
            Ok(body) => body,
            Err(_) => {
                return plain_error(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    tonic::Code::InvalidArgument,
                    format!("the body is larger than {limit} bytes"),
                );
            }
        };
        let content_type = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok());
        let message = match request_message(
            route,
            &parts.method,
            &found.bindings,
            parts.uri.query(),
            content_type,
            &body,
        ) {
            Ok(message) => message,
            Err(err) => return status_response(&tonic::Status::from(err)),
        };

        let Some(upstream) = self.upstreams.get(&rpc.domain) else {
            return no_upstream(&rpc.domain);
        };
        let mut call = tonic::Request::new(message);
        *call.metadata_mut() = forwarded_metadata(&parts.headers, client);
        call.set_timeout(self.deadline(&parts.headers));
        let path = rpc.path.clone();
        let codec = DynamicCodec::new(rpc.descriptor.output());
        // An upload, or a served file, plus the message around it.
        let message_limit = self.max_upload_bytes.max(MIN_MESSAGE_BYTES) + 64 * 1024;
        let mut grpc = tonic::client::Grpc::new(upstream.clone())
            .max_decoding_message_size(message_limit)
            .max_encoding_message_size(message_limit);
        if let Err(err) = grpc.ready().await {
            return status_response(&tonic::Status::unavailable(format!(
                "the {} service is unreachable: {err}",
                rpc.domain
            )));
        }

        if rpc.descriptor.is_server_streaming() {
            let events = wants_event_stream(&parts.headers);
            return match grpc.server_streaming(call, path, codec).await {
                Ok(response) => stream_response(response.into_inner(), events),
                Err(status) => status_response(&status),
            };
        }
        match grpc.unary(call, path, codec).await {
            Ok(response) if route.response_body.is_none() => match http_body(response.get_ref()) {
                Some((content_type, data)) => {
                    raw_response(rpc.success_status, content_type, data, response.metadata())
                }
                None => json_response(
                    route,
                    rpc.success_status,
                    response.get_ref(),
                    response.metadata(),
                ),
            },
            Ok(response) => json_response(
                route,
                rpc.success_status,
                response.get_ref(),
                response.metadata(),
            ),
            Err(status) => status_response(&status),
        }
    }
}

/// A `google.api.HttpBody` response is the HTTP body itself, as grpc-gateway serves it (an
/// iCal feed as `text/calendar`, not as JSON describing it).
fn http_body(message: &DynamicMessage) -> Option<(HeaderValue, Bytes)> {
    if message.descriptor().full_name() != crate::catalog::HTTP_BODY {
        return None;
    }
    let content_type = match message.get_field_by_name("content_type").as_deref() {
        Some(Value::String(content_type)) if !content_type.is_empty() => content_type.clone(),
        _ => "application/octet-stream".to_owned(),
    };
    let data = match message.get_field_by_name("data").as_deref() {
        Some(Value::Bytes(data)) => data.clone(),
        _ => Bytes::new(),
    };
    Some((HeaderValue::from_str(&content_type).ok()?, data))
}

/// A raw body with the headers and status its upstream set in metadata.
fn raw_response(
    success: StatusCode,
    content_type: HeaderValue,
    data: Bytes,
    metadata: &MetadataMap,
) -> Response {
    let status = metadata
        .get(HTTP_STATUS_METADATA)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u16>().ok())
        .and_then(|code| StatusCode::from_u16(code).ok())
        .filter(|code| code.is_success() || *code == StatusCode::NOT_MODIFIED)
        .unwrap_or(success);
    let mut response = if status == StatusCode::NOT_MODIFIED {
        status.into_response()
    } else {
        (status, [(header::CONTENT_TYPE, content_type)], data).into_response()
    };
    let headers = metadata.clone().into_headers();
    for name in RETURNED_HEADERS {
        if let Some(value) = headers.get(*name) {
            response.headers_mut().insert(*name, value.clone());
        }
    }
    response
}

/// The least message size allowed to and from upstreams: tonic's default.
const MIN_MESSAGE_BYTES: usize = 4 * 1024 * 1024;

fn json_response(
    route: &Route,
    success: StatusCode,
    message: &DynamicMessage,
    metadata: &MetadataMap,
) -> Response {
    let mut response = match response_json(route, message) {
        Ok(json) => (success, [(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(err) => return status_response(&tonic::Status::from(err)),
    };
    if let Some(replayed) = metadata.get(REPLAYED_METADATA)
        && let Ok(value) = HeaderValue::from_bytes(replayed.as_bytes())
    {
        response.headers_mut().insert(REPLAYED_HEADER, value);
    }
    response
}

/// A server stream as NDJSON (`{"result": ...}` per line) or, when the client accepts it, as
/// server-sent events. A failure mid-stream is sent as a last `{"error": ...}` line or an
/// `error` event: the HTTP status is already 200, so the body must say the stream failed.
fn stream_response(stream: tonic::Streaming<DynamicMessage>, events: bool) -> Response {
    let frames = stream
        .map(move |item| {
            let (kind, body) = match item
                .and_then(|message| message_json(&message).map_err(tonic::Status::from))
            {
                Ok(json) => ("result", json),
                Err(status) => ("error", status_json(&status)),
            };
            let frame = if events {
                let event = if kind == "error" {
                    "event: error\n"
                } else {
                    ""
                };
                format!("{event}data: {body}\n\n")
            } else {
                format!("{}\n", serde_json::json!({ kind: body }))
            };
            Ok::<_, Infallible>(Bytes::from(frame))
        })
        .boxed();
    let content_type = if events {
        "text/event-stream"
    } else {
        "application/x-ndjson"
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, content_type)],
        AxumBody::from_stream(frames),
    )
        .into_response()
}

fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/event-stream"))
}

/// The metadata of a REST call's upstream request: the [`FORWARDED_HEADERS`] the caller sent,
/// the client's address and the trace context.
fn forwarded_metadata(headers: &HeaderMap, client: Option<IpAddr>) -> MetadataMap {
    let mut metadata = MetadataMap::new();
    for name in FORWARDED_HEADERS {
        if let Some(value) = headers.get(*name)
            && let Ok(value) = MetadataValue::try_from(value.as_bytes())
        {
            metadata.insert(MetadataKey::from_static(name), value);
        }
    }
    if let Some(client) = client {
        metadata.insert(
            MetadataKey::from_static(CLIENT_ADDRESS),
            client_address_value(client),
        );
    }
    with_trace_context(metadata)
}

/// An address as a header value.
fn client_address_value(client: IpAddr) -> MetadataValue<tonic::metadata::Ascii> {
    MetadataValue::try_from(client.to_string()).expect("an address is a header value")
}

/// Replaces whatever client address the caller claimed in `headers` with the one the gateway
/// resolved.
fn set_client_address(headers: &mut HeaderMap, client: Option<IpAddr>) {
    for name in CLIENT_ADDRESS_HEADERS {
        headers.remove(*name);
    }
    if let Some(client) = client {
        let value =
            HeaderValue::from_str(&client.to_string()).expect("an address is a header value");
        headers.insert(CLIENT_ADDRESS, value);
    }
}

/// `metadata` with the current span's trace context (when tracing exports), so the upstream's
/// span is a child of the gateway's.
fn with_trace_context(metadata: MetadataMap) -> MetadataMap {
    use tonic::service::Interceptor as _;
    // A disabled span carries no trace context: skip the propagator (a global lock) per call.
    if tracing::Span::current().is_disabled() {
        return metadata;
    }
    let request = tonic::Request::from_parts(metadata, tonic::Extensions::new(), ());
    let mut interceptor = estospaces_telemetry::TraceContextInterceptor;
    interceptor
        .call(request)
        .expect("TraceContextInterceptor never refuses a call")
        .into_parts()
        .0
}

/// An error the gateway raises without a gRPC status behind it (no route, body too large).
fn plain_error(http: StatusCode, code: tonic::Code, message: String) -> Response {
    let body = serde_json::json!({
        "code": i32::from(code),
        "message": message,
        "details": [],
    });
    (http, axum::Json(body)).into_response()
}

fn no_upstream(domain: &str) -> Response {
    status_response(&tonic::Status::unavailable(format!(
        "no upstream is configured for the {domain} service"
    )))
}

const GRPC_TIMEOUT: http::HeaderName = http::HeaderName::from_static("grpc-timeout");

/// A deadline as a `grpc-timeout` value in milliseconds (at most eight digits, so at most
/// about 27 hours).
fn grpc_timeout_value(deadline: Duration) -> HeaderValue {
    let millis = deadline.as_millis().min(99_999_999);
    HeaderValue::from_str(&format!("{millis}m")).expect("digits and a unit are a header value")
}

/// Parses a `grpc-timeout` value: up to eight digits and a unit (`H M S m u n`).
fn parse_grpc_timeout(value: &str) -> Option<Duration> {
    if value.len() < 2 || value.len() > 9 {
        return None;
    }
    let (digits, unit) = value.split_at(value.len() - 1);
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

// === gRPC and grpc-web ===

/// Proxies gRPC calls to their upstream unchanged, after authentication and rate limits. Wrapped
/// in `tonic_web::GrpcWebLayer`, it serves grpc-web too.
#[derive(Debug, Clone)]
pub struct GrpcProxy {
    gateway: Arc<Gateway>,
}

impl GrpcProxy {
    pub fn new(gateway: Arc<Gateway>) -> Self {
        Self { gateway }
    }
}

impl tower::Service<Request<TonicBody>> for GrpcProxy {
    type Response = http::Response<TonicBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: Request<TonicBody>) -> Self::Future {
        let gateway = self.gateway.clone();
        Box::pin(async move {
            let Some(rpc) = gateway.catalog.rpc(request.uri().path()) else {
                return Ok(tonic::Status::unimplemented(format!(
                    "unknown method {}",
                    request.uri().path()
                ))
                .into_http());
            };
            if let Some(matched) = request.extensions().get::<crate::startup::MatchedRoute>() {
                matched.set(&rpc.grpc_path);
            }
            let client = gateway.client_address(request.extensions(), request.headers());
            if let Err(err) = gateway.admit(rpc, request.headers(), client).await {
                return Ok(tonic::Status::from(err).into_http());
            }
            let Some(upstream) = gateway.upstreams.get(&rpc.domain) else {
                return Ok(tonic::Status::unavailable(format!(
                    "no upstream is configured for the {} service",
                    rpc.domain
                ))
                .into_http());
            };
            // The deadline travels on: the caller's, capped by ours.
            let deadline = gateway.deadline(request.headers());
            request
                .headers_mut()
                .insert(GRPC_TIMEOUT, grpc_timeout_value(deadline));
            // Upstream spans continue the gateway's trace rather than skipping it.
            let context = with_trace_context(MetadataMap::new()).into_headers();
            for name in ["traceparent", "tracestate"] {
                if let Some(value) = context.get(name) {
                    request.headers_mut().insert(name, value.clone());
                }
            }
            set_client_address(request.headers_mut(), client);
            // The upstream sets scheme and authority; keep only the path.
            *request.uri_mut() = http::Uri::from(rpc.path.clone());
            request.headers_mut().remove(header::HOST);
            let request = request.map(|body| TonicBody::new(UnsizedBody { inner: body }));
            match upstream.send(request).await {
                Ok(response) => Ok(response.map(TonicBody::new)),
                Err(err) => Ok(tonic::Status::unavailable(format!(
                    "the {} service is unreachable: {err}",
                    rpc.domain
                ))
                .into_http()),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_address_the_caller_claims_is_replaced_by_the_resolved_one() {
        let mut headers = HeaderMap::new();
        headers.append("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        headers.append("x-forwarded-for", HeaderValue::from_static("5.6.7.8"));
        headers.insert("forwarded", HeaderValue::from_static("for=1.2.3.4"));
        headers.insert("x-real-ip", HeaderValue::from_static("1.2.3.4"));
        let client: IpAddr = "203.0.113.9".parse().expect("an address");

        set_client_address(&mut headers, Some(client));

        let values: Vec<_> = headers.get_all("x-forwarded-for").iter().collect();
        assert_eq!(values, ["203.0.113.9"]);
        assert!(!headers.contains_key("forwarded"));
        assert!(!headers.contains_key("x-real-ip"));

        let metadata = forwarded_metadata(&headers, Some(client));
        assert_eq!(
            metadata
                .get_all("x-forwarded-for")
                .iter()
                .collect::<Vec<_>>(),
            ["203.0.113.9"]
        );
    }

    #[test]
    fn grpc_timeouts_parse_in_every_unit() {
        assert_eq!(parse_grpc_timeout("2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse_grpc_timeout("3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse_grpc_timeout("5S"), Some(Duration::from_secs(5)));
        assert_eq!(parse_grpc_timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse_grpc_timeout("7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse_grpc_timeout("9n"), Some(Duration::from_nanos(9)));
        assert_eq!(
            parse_grpc_timeout("123456789S"),
            None,
            "at most eight digits"
        );
        assert_eq!(parse_grpc_timeout("5x"), None);
        assert_eq!(parse_grpc_timeout("S"), None);
    }
}

pin_project_lite::pin_project! {
    /// A body that does not say how long it is.
    ///
    /// tonic-web's decoded grpc-web-text body reports the base64 length as its exact size, which
    /// HTTP/2 would send upstream as a wrong `content-length`. Everything else, the end of the
    /// stream included, is passed through: a body that could not tell its end would cost an
    /// empty DATA frame per call, and servers close connections that send too many of those.
    struct UnsizedBody<B> {
        #[pin]
        inner: B,
    }
}

impl<B: http_body::Body> http_body::Body for UnsizedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        self.project().inner.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}
