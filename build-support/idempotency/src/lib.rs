//! Idempotency keys with Stripe's semantics, once for every service.
//!
//! A unary call carrying a key — the `idempotency-key` metadata (REST clients send the
//! `Idempotency-Key` header, which the gateway passes on), or the `request_id` field that some
//! requests have — is run at most once per caller, method and key:
//! - the first call claims the key and runs; when it succeeds its response is kept (24 hours);
//! - a retry with the same request gets that response again, marked `idempotent-replayed: true`;
//! - the same key with a different request is refused with INVALID_ARGUMENT, reason
//!   `IDEMPOTENCY_KEY_REUSED` (the gateway answers 422);
//! - a retry while the first call still runs is refused with ABORTED, reason
//!   `IDEMPOTENCY_KEY_IN_USE` (409), and may be retried;
//! - a failed call gives the key up, so the caller can correct the request and retry with it.
//!
//! Keys belong to the verified caller (anonymous calls share one scope, where a replay needs the
//! whole request, credentials included). A process killed mid-call leaves its claim; after the
//! lease (the request timeout and a margin) a retry runs again. Requests with a `request_id`
//! field are also unique in their service's own tables, which covers that window.
//!
//! [`IdempotencyLayer`] sits inside the host's key refresh and outside the service's auth
//! interceptor; requests without a key pass straight through.

#![forbid(unsafe_code)]

mod store;

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use estospaces_auth::AuthInterceptor;
use estospaces_proto::UnaryMethod;
use estospaces_status::{ApiError, violation};
use estospaces_storage::Database;
use http_body_util::{BodyExt, Full};
use prost::encoding::{DecodeContext, decode_key, skip_field};
use sha2::{Digest, Sha256};
use tonic::body::Body;
use tonic::metadata::MetadataMap;
use tonic::server::NamedService;
use tonic::service::Interceptor;

use store::{Claim, KeyId, KeyStore};

/// The applied migrations: the `idempotent_requests` table.
pub static MIGRATIONS: estospaces_storage::Migrations = estospaces_storage::Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

/// The metadata carrying a key.
pub const KEY_METADATA: &str = "idempotency-key";

/// Response metadata set on a replayed response.
pub const REPLAYED_METADATA: &str = "idempotent-replayed";

/// The `ErrorInfo` reason of a key used for a different request.
pub const KEY_REUSED: &str = "IDEMPOTENCY_KEY_REUSED";

/// The `ErrorInfo` reason of a key whose first request still runs.
pub const KEY_IN_USE: &str = "IDEMPOTENCY_KEY_IN_USE";

/// The `ErrorInfo` domain of this crate's errors.
pub const DOMAIN: &str = "idempotency.estospaces.dev";

/// How long keys are remembered.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// The longest key, as Stripe allows.
const MAX_KEY_LEN: usize = 255;

/// How often expired keys are removed.
const SWEEP_INTERVAL: Duration = Duration::from_secs(60 * 60);

/// Applies idempotency keys to the services it wraps; see the crate documentation.
#[derive(Debug, Clone)]
pub struct IdempotencyLayer {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    store: KeyStore,
    /// The service's own token check, to learn whose key it is before the call runs.
    auth: AuthInterceptor,
}

impl IdempotencyLayer {
    /// Keys kept in `db` (migrated with [`MIGRATIONS`]), owned by the callers `auth` verifies.
    /// A claim whose call never finished blocks its key for `lease`: make it longer than the
    /// longest call (the server's request timeout).
    pub fn new(db: Database, auth: AuthInterceptor, lease: Duration) -> Self {
        Self {
            shared: Arc::new(Shared {
                store: KeyStore::new(db, lease, RETENTION),
                auth,
            }),
        }
    }

    /// Removes expired keys every hour, forever: run it beside the server.
    pub fn sweep_expired(&self) -> impl Future<Output = ()> + Send + 'static {
        let store = self.shared.store.clone();
        async move {
            let mut every = tokio::time::interval(SWEEP_INTERVAL);
            loop {
                every.tick().await;
                match store.sweep().await {
                    Ok(0) => {}
                    Ok(removed) => tracing::debug!(removed, "expired idempotency keys removed"),
                    Err(err) => tracing::warn!("removing expired idempotency keys: {err}"),
                }
            }
        }
    }
}

impl<S> tower::Layer<S> for IdempotencyLayer {
    type Service = Idempotent<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Idempotent {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// See [`IdempotencyLayer`].
#[derive(Debug, Clone)]
pub struct Idempotent<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S: NamedService> NamedService for Idempotent<S> {
    const NAME: &'static str = S::NAME;
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B> tower::Service<http::Request<Body>> for Idempotent<S>
where
    S: tower::Service<http::Request<Body>, Response = http::Response<B>, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send,
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<tonic::codegen::StdError>,
{
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        // The clone is ready only if polled; take the ready one and leave the clone behind.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let method = estospaces_proto::unary_method(request.uri().path());
        let may_have_key = method.is_some_and(|method| {
            method.request_id.is_some() || request.headers().contains_key(KEY_METADATA)
        });
        let Some(method) = method.filter(|_| may_have_key) else {
            let response = inner.call(request);
            return Box::pin(async move { Ok(response.await?.map(Body::new)) });
        };
        let shared = self.shared.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let body = match body.collect().await {
                Ok(body) => body.to_bytes(),
                Err(status) => return Ok(status.into_http()),
            };
            let request = match keyed_request(method, &parts, &body) {
                Ok(Some(keyed)) => keyed,
                Ok(None) => {
                    let request = http::Request::from_parts(parts, Body::new(Full::new(body)));
                    return Ok(inner.call(request).await?.map(Body::new));
                }
                Err(err) => return Ok(tonic::Status::from(err).into_http()),
            };
            let Some(caller) = shared.caller(&parts.headers) else {
                // A refused token: the service refuses it the same way, key or not.
                let request = http::Request::from_parts(parts, Body::new(Full::new(body)));
                return Ok(inner.call(request).await?.map(Body::new));
            };
            let id = KeyId {
                caller,
                method: parts.uri.path().to_owned(),
                key: request.key,
            };
            match shared.store.claim(&id, &request.fingerprint).await {
                Ok(Claim::Run) => {}
                Ok(Claim::Replay(frame)) => return Ok(replay(frame)),
                Ok(Claim::Reused) => return Ok(reused().into_http()),
                Ok(Claim::InProgress) => return Ok(in_use().into_http()),
                Err(err) => {
                    return Ok(tonic::Status::from(ApiError::unavailable(DOMAIN, err)).into_http());
                }
            }
            let mut claim = HeldClaim {
                store: shared.store.clone(),
                id: Some(id),
            };
            let request = http::Request::from_parts(parts, Body::new(Full::new(body)));
            let (parts, body) = inner.call(request).await?.into_parts();
            let collected = body
                .collect()
                .await
                .map_err(|err| tonic::Status::from_error(err.into()));
            let collected = match collected {
                Ok(collected) => collected,
                Err(status) => {
                    claim.release().await;
                    return Ok(status.into_http());
                }
            };
            let trailers = collected.trailers().cloned();
            let frame = collected.to_bytes();
            if parts.status == http::StatusCode::OK && succeeded(&parts.headers, trailers.as_ref())
            {
                claim.complete(&frame).await;
            } else {
                claim.release().await;
            }
            Ok(http::Response::from_parts(
                parts,
                grpc_body(frame, trailers),
            ))
        })
    }
}

impl Shared {
    /// The caller the service will see: its user id, empty when anonymous; `None` when the
    /// token is refused.
    fn caller(&self, headers: &http::HeaderMap) -> Option<String> {
        let request = tonic::Request::from_parts(
            MetadataMap::from_headers(headers.clone()),
            http::Extensions::new(),
            (),
        );
        let verified = self.auth.clone().call(request).ok()?;
        Some(
            estospaces_auth::policy::caller(&verified)
                .map(|caller| caller.user_id.clone())
                .unwrap_or_default(),
        )
    }
}

/// A request's key and what identifies the request.
struct KeyedRequest {
    key: String,
    /// SHA-256 of the request message: the same request encodes to the same bytes.
    fingerprint: String,
}

/// The request's key, if it carries one.
fn keyed_request(
    method: &UnaryMethod,
    parts: &http::request::Parts,
    body: &Bytes,
) -> Result<Option<KeyedRequest>, ApiError> {
    // Anything but one uncompressed message is left to the service to refuse.
    let Some(message) = single_message(body) else {
        return Ok(None);
    };
    let header = match parts.headers.get(KEY_METADATA) {
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .filter(|key| {
                    !key.is_empty()
                        && key.len() <= MAX_KEY_LEN
                        && key.bytes().all(|byte| byte.is_ascii_graphic())
                })
                .ok_or_else(|| {
                    ApiError::invalid_argument(
                        DOMAIN,
                        vec![violation(
                            "idempotency_key",
                            "1 to 255 visible ASCII characters, no spaces",
                        )],
                    )
                })?
                .to_owned(),
        ),
        None => None,
    };
    let in_body = match method.request_id {
        Some(number) => match string_field(&message, number) {
            Ok(id) => id.filter(|id| !id.is_empty()),
            Err(_) => return Ok(None),
        },
        None => None,
    };
    let key = match (header, in_body) {
        (Some(header), Some(in_body)) if header != in_body => {
            return Err(ApiError::invalid_argument(
                DOMAIN,
                vec![violation(
                    "request_id",
                    "differs from the idempotency key: send one, or the same in both",
                )],
            ));
        }
        (Some(key), _) | (None, Some(key)) => key,
        (None, None) => return Ok(None),
    };
    Ok(Some(KeyedRequest {
        key,
        fingerprint: hex::encode(Sha256::digest(&message)),
    }))
}

/// The value of the message's top-level string field `number` (the last one, as protobuf
/// decoders keep it), read straight from the wire; an error if the message does not parse or
/// the field is not a string. The service decodes the message itself and refuses what is wrong.
fn string_field(message: &[u8], number: u32) -> Result<Option<String>, prost::DecodeError> {
    let mut buf = message;
    let mut value = None;
    while !buf.is_empty() {
        let (tag, wire_type) = decode_key(&mut buf)?;
        if tag == number {
            let mut text = String::new();
            prost::encoding::string::merge(
                wire_type,
                &mut text,
                &mut buf,
                DecodeContext::default(),
            )?;
            value = Some(text);
        } else {
            skip_field(wire_type, tag, &mut buf, DecodeContext::default())?;
        }
    }
    Ok(value)
}

/// The message of a body holding exactly one uncompressed gRPC message.
fn single_message(body: &Bytes) -> Option<Bytes> {
    let (&compressed, rest) = body.split_first()?;
    let length = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    (compressed == 0 && rest.len() == 4 + length).then(|| body.slice(5..))
}

/// Whether a gRPC response reports OK (in its trailers, or in its headers when it has none).
fn succeeded(headers: &http::HeaderMap, trailers: Option<&http::HeaderMap>) -> bool {
    trailers
        .and_then(|trailers| trailers.get("grpc-status"))
        .or_else(|| headers.get("grpc-status"))
        .is_some_and(|status| status == "0")
}

/// The stored response again, marked as a replay.
fn replay(frame: Vec<u8>) -> http::Response<Body> {
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let mut response = http::Response::new(grpc_body(Bytes::from(frame), Some(trailers)));
    let headers = response.headers_mut();
    headers.insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/grpc"),
    );
    headers.insert(REPLAYED_METADATA, http::HeaderValue::from_static("true"));
    response
}

/// A response body of `data` then `trailers`. Its length is left unknown on purpose: with an
/// exact size, hyper sends a `content-length` that counts the data only, and a grpc-web
/// translation keeping that header (tonic-web does) cuts off the trailer frame it appends.
fn grpc_body(data: Bytes, trailers: Option<http::HeaderMap>) -> Body {
    let frames = std::iter::once(http_body::Frame::data(data))
        .chain(trailers.map(http_body::Frame::trailers))
        .map(Ok::<_, Infallible>);
    Body::new(http_body_util::StreamBody::new(futures::stream::iter(
        frames,
    )))
}

fn reused() -> tonic::Status {
    ApiError::new(
        tonic::Code::InvalidArgument,
        DOMAIN,
        KEY_REUSED,
        "this idempotency key was used for a different request; use a new key for a new request",
    )
    .with_field_violations(vec![violation(
        "idempotency_key",
        "already used for a different request",
    )])
    .into()
}

fn in_use() -> tonic::Status {
    ApiError::aborted(
        DOMAIN,
        KEY_IN_USE,
        "a request with this idempotency key is still running; retry shortly",
    )
    .into()
}

/// A claimed key: completed with the response, or released. Released if the call is dropped
/// (the client went away, the deadline passed) before either.
struct HeldClaim {
    store: KeyStore,
    id: Option<KeyId>,
}

impl HeldClaim {
    async fn complete(&mut self, frame: &[u8]) {
        if let Some(id) = self.id.take()
            && let Err(err) = self.store.complete(&id, frame).await
        {
            // The call succeeded; only a retry within the lease is refused, then it runs.
            tracing::warn!(method = %id.method, "recording an idempotent response: {err}");
        }
    }

    async fn release(&mut self) {
        if let Some(id) = self.id.take()
            && let Err(err) = self.store.release(&id).await
        {
            tracing::warn!(method = %id.method, "releasing an idempotency key: {err}");
        }
    }
}

impl Drop for HeldClaim {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let store = self.store.clone();
            if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                runtime.spawn(async move {
                    if let Err(err) = store.release(&id).await {
                        tracing::warn!(method = %id.method, "releasing an idempotency key: {err}");
                    }
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_uncompressed_message_is_found_and_anything_else_is_not() {
        let frame = |flag: u8, declared: u32, payload: &[u8]| {
            let mut body = vec![flag];
            body.extend_from_slice(&declared.to_be_bytes());
            body.extend_from_slice(payload);
            Bytes::from(body)
        };
        assert_eq!(
            single_message(&frame(0, 3, b"abc")),
            Some(Bytes::from_static(b"abc"))
        );
        assert_eq!(single_message(&frame(1, 3, b"abc")), None);
        assert_eq!(single_message(&frame(0, 4, b"abc")), None);
        assert_eq!(single_message(&frame(0, 2, b"abc")), None);
        assert_eq!(single_message(&Bytes::from_static(b"\0\0")), None);
    }

    #[test]
    fn the_status_is_read_from_the_trailers_or_else_the_headers() {
        let mut ok = http::HeaderMap::new();
        ok.insert("grpc-status", http::HeaderValue::from_static("0"));
        let mut failed = http::HeaderMap::new();
        failed.insert("grpc-status", http::HeaderValue::from_static("3"));
        assert!(succeeded(&http::HeaderMap::new(), Some(&ok)));
        assert!(!succeeded(&ok, Some(&failed)));
        assert!(succeeded(&ok, None));
        assert!(!succeeded(&failed, None));
        assert!(!succeeded(&http::HeaderMap::new(), None));
    }

    #[test]
    fn every_request_with_a_request_id_field_takes_it_as_its_key() {
        let booking =
            estospaces_proto::unary_method("/estospaces.booking.v1.BookingService/CreateBooking")
                .expect("CreateBooking is unary");
        let request_id = booking
            .request_id
            .expect("CreateBookingRequest has a request_id");
        let request = estospaces_proto::booking_v1::CreateBookingRequest {
            request_id: "retry-7".to_owned(),
            ..Default::default()
        };
        let message = prost::Message::encode_to_vec(&request);
        assert_eq!(
            string_field(&message, request_id).expect("it parses"),
            Some("retry-7".to_owned())
        );
        assert!(
            estospaces_proto::unary_method(
                "/estospaces.messaging.v1.MessagingService/StreamConversationEvents"
            )
            .is_none()
        );
    }

    #[test]
    fn the_last_request_id_on_the_wire_counts_and_a_broken_message_is_left_to_the_service() {
        // Field 1 twice ("a", then "b"), with field 2 (a varint) between them.
        let message = [0x0a, 1, b'a', 0x10, 5, 0x0a, 1, b'b'];
        assert_eq!(
            string_field(&message, 1).expect("it parses"),
            Some("b".to_owned())
        );
        assert_eq!(string_field(&message, 3).expect("it parses"), None);
        // A length running past the end, and a string that is not UTF-8.
        assert!(string_field(&[0x0a, 9, b'a'], 1).is_err());
        assert!(string_field(&[0x0a, 1, 0xff], 1).is_err());
        // The field as a varint: not a string.
        assert!(string_field(&[0x08, 1], 1).is_err());
    }
}
