//! The idempotency layer around a stand-in service that counts its calls, on PostgreSQL and
//! SQLite: what runs, what replays, what is refused.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use estospaces_auth::{AuthInterceptor, KeySet, SigningKey, TokenIssuer, TokenVerifier};
use estospaces_idempotency::{IdempotencyLayer, KEY_IN_USE, KEY_REUSED, MIGRATIONS};
use estospaces_proto::booking_v1 as pb;
use estospaces_testing::{Backend, TestDatabase, on_both_backends, reason};
use http_body_util::{BodyExt, Full};
use prost::Message;
use tonic::body::Body;
use tower::util::BoxCloneSyncService;
use tower::{Layer, ServiceExt};

const CREATE_BOOKING: &str = "/estospaces.booking.v1.BookingService/CreateBooking";

/// What the stand-in service does, by the request's `payment_method`.
const FAIL: &str = "fail";
const WAIT: &str = "wait";

struct Harness {
    service: BoxCloneSyncService<http::Request<Body>, http::Response<Body>, Infallible>,
    calls: Arc<AtomicUsize>,
    /// Lets waiting calls finish, once true.
    release: tokio::sync::watch::Sender<bool>,
    issuer: TokenIssuer,
    _db: TestDatabase,
}

/// A call's outcome: the response message, or the status; and whether it was replayed.
#[derive(Debug)]
struct Outcome {
    result: Result<Bytes, tonic::Status>,
    replayed: bool,
}

impl Harness {
    async fn new(backend: Backend, lease: Duration) -> Self {
        let db = match backend {
            Backend::Postgres => TestDatabase::postgres(&[MIGRATIONS]).await,
            Backend::Sqlite => TestDatabase::sqlite(&[MIGRATIONS]).await,
        }
        .expect("a test database");
        let key = SigningKey::generate();
        let keys = KeySet::new(&[key.public_jwk().clone()]).expect("a key set");
        let issuer = TokenIssuer::new(key, "iss", "aud", Duration::from_secs(600));
        let auth = AuthInterceptor::new(TokenVerifier::new(keys, "iss", "aud"));
        let calls = Arc::new(AtomicUsize::new(0));
        let release = tokio::sync::watch::Sender::new(false);
        let inner = {
            let calls = calls.clone();
            let released = release.subscribe();
            tower::service_fn(move |request: http::Request<Body>| {
                let calls = calls.clone();
                let mut released = released.clone();
                async move {
                    let body = request
                        .into_body()
                        .collect()
                        .await
                        .expect("a body")
                        .to_bytes();
                    let message = pb::CreateBookingRequest::decode(&body[5..]).expect("a request");
                    let n = calls.fetch_add(1, Ordering::SeqCst) + 1;
                    if message.payment_method == WAIT {
                        let _ = released.wait_for(|released| *released).await;
                    }
                    if message.payment_method == FAIL {
                        return Ok::<_, Infallible>(
                            tonic::Status::failed_precondition("no").into_http(),
                        );
                    }
                    Ok(ok_response(format!("call {n}")))
                }
            })
        };
        let service = IdempotencyLayer::new(db.database.clone(), auth, lease).layer(inner);
        Self {
            service: BoxCloneSyncService::new(service),
            calls,
            release,
            issuer,
            _db: db,
        }
    }

    fn token(&self, user: &str) -> String {
        self.issuer.issue(user, &[]).token
    }

    async fn call(
        &self,
        token: Option<&str>,
        key: Option<&str>,
        request: pb::CreateBookingRequest,
    ) -> Outcome {
        self.service
            .clone()
            .oneshot(grpc_request(token, key, &request))
            .await
            .map(read)
            .expect("infallible")
            .await
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

fn booking(check_in_day: i32) -> pb::CreateBookingRequest {
    pb::CreateBookingRequest {
        booking: Some(pb::Booking {
            guests: check_in_day,
            ..Default::default()
        }),
        payment_method: "pm_card_visa".to_owned(),
        ..Default::default()
    }
}

fn grpc_request(
    token: Option<&str>,
    key: Option<&str>,
    message: &impl Message,
) -> http::Request<Body> {
    let mut request = http::Request::builder()
        .method("POST")
        .uri(format!("http://service{CREATE_BOOKING}"))
        .header("content-type", "application/grpc");
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(key) = key {
        request = request.header("idempotency-key", key);
    }
    request
        .body(Body::new(Full::new(frame(&message.encode_to_vec()))))
        .expect("a request")
}

fn frame(message: &[u8]) -> Bytes {
    let mut framed = vec![0];
    framed.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    framed.extend_from_slice(message);
    Bytes::from(framed)
}

fn ok_response(text: String) -> http::Response<Body> {
    let mut trailers = http::HeaderMap::new();
    trailers.insert("grpc-status", http::HeaderValue::from_static("0"));
    let body = Full::new(frame(text.as_bytes())).with_trailers(async move { Some(Ok(trailers)) });
    let mut response = http::Response::new(Body::new(body));
    response.headers_mut().insert(
        "content-type",
        http::HeaderValue::from_static("application/grpc"),
    );
    response
}

async fn read(response: http::Response<Body>) -> Outcome {
    let (parts, body) = response.into_parts();
    let replayed = parts
        .headers
        .get("idempotent-replayed")
        .is_some_and(|value| value == "true");
    let collected = body.collect().await.expect("a body");
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let status = tonic::Status::from_header_map(&trailers)
        .or_else(|| tonic::Status::from_header_map(&parts.headers))
        .expect("a grpc-status");
    let result = if status.code() == tonic::Code::Ok {
        Ok(collected.to_bytes().slice(5..))
    } else {
        Err(status)
    };
    Outcome { result, replayed }
}

on_both_backends! {
    async fn a_retry_with_the_same_key_and_request_answers_the_first_response_again(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_secs(30)).await;
        let token = harness.token("guest");
        let first = harness.call(Some(&token), Some("key-1"), booking(1)).await;
        let retry = harness.call(Some(&token), Some("key-1"), booking(1)).await;
        assert_eq!(first.result.expect("the first call succeeds"), Bytes::from_static(b"call 1"));
        assert!(!first.replayed);
        assert_eq!(retry.result.expect("the retry succeeds"), Bytes::from_static(b"call 1"));
        assert!(retry.replayed, "the retry is marked as a replay");
        assert_eq!(harness.calls(), 1, "the service ran once");
    }

    async fn the_same_key_with_a_different_request_is_refused_and_does_not_run(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_secs(30)).await;
        let token = harness.token("guest");
        harness.call(Some(&token), Some("key-1"), booking(1)).await.result.expect("the first call");
        let other = harness.call(Some(&token), Some("key-1"), booking(2)).await;
        let status = other.result.expect_err("a different request is refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(reason(&status), KEY_REUSED);
        assert_eq!(harness.calls(), 1);
    }

    async fn keys_belong_to_their_caller(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_secs(30)).await;
        let alice = harness.call(Some(&harness.token("alice")), Some("shared"), booking(1)).await;
        let bob = harness.call(Some(&harness.token("bob")), Some("shared"), booking(1)).await;
        let anonymous = harness.call(None, Some("shared"), booking(1)).await;
        assert_eq!(alice.result.expect("alice's call"), Bytes::from_static(b"call 1"));
        assert_eq!(bob.result.expect("bob's call"), Bytes::from_static(b"call 2"));
        assert_eq!(anonymous.result.expect("an anonymous call"), Bytes::from_static(b"call 3"));
        assert!(!bob.replayed && !anonymous.replayed);
    }

    async fn a_failed_call_gives_its_key_up_for_a_corrected_retry(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_secs(30)).await;
        let token = harness.token("guest");
        let mut failing = booking(1);
        failing.payment_method = FAIL.to_owned();
        let failed = harness.call(Some(&token), Some("key-1"), failing).await;
        assert_eq!(failed.result.expect_err("it fails").code(), tonic::Code::FailedPrecondition);
        let corrected = harness.call(Some(&token), Some("key-1"), booking(1)).await;
        assert_eq!(corrected.result.expect("the corrected call runs"), Bytes::from_static(b"call 2"));
    }

    async fn a_retry_while_the_first_call_runs_is_refused_as_in_use(backend: Backend) {
        let harness = Arc::new(Harness::new(backend, Duration::from_secs(30)).await);
        let token = harness.token("guest");
        let mut waiting = booking(1);
        waiting.payment_method = WAIT.to_owned();
        let first = tokio::spawn({
            let harness = harness.clone();
            let token = token.clone();
            let waiting = waiting.clone();
            async move { harness.call(Some(&token), Some("key-1"), waiting).await }
        });
        while harness.calls() == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let concurrent = harness.call(Some(&token), Some("key-1"), waiting.clone()).await;
        let status = concurrent.result.expect_err("refused while the first runs");
        assert_eq!(status.code(), tonic::Code::Aborted);
        assert_eq!(reason(&status), KEY_IN_USE);
        harness.release.send_replace(true);
        first.await.expect("the first call").result.expect("it succeeds");
        let retry = harness.call(Some(&token), Some("key-1"), waiting).await;
        assert!(retry.replayed, "after it finished, the retry replays: {retry:?}");
        assert_eq!(harness.calls(), 1);
    }

    async fn a_claim_left_by_a_call_that_never_finished_is_taken_over_after_the_lease(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_millis(300)).await;
        let token = harness.token("guest");
        let mut waiting = booking(1);
        waiting.payment_method = WAIT.to_owned();
        // A call whose process died: it never completes, and never releases its claim.
        let mut dead = Box::pin(harness.call(Some(&token), Some("key-1"), waiting.clone()));
        while harness.calls() == 0 {
            assert!(futures_poll_once(dead.as_mut()).await.is_none());
            // The claim's database round trips progress only while the runtime runs.
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        std::mem::forget(dead);
        let early = harness.call(Some(&token), Some("key-1"), waiting.clone()).await;
        assert_eq!(reason(&early.result.expect_err("still leased")), KEY_IN_USE);
        tokio::time::sleep(Duration::from_millis(400)).await;
        let mut retry = booking(1);
        retry.payment_method = WAIT.to_owned();
        let late = tokio::spawn({
            let service = harness.service.clone();
            let token = token.clone();
            async move { read(service.oneshot(grpc_request(Some(&token), Some("key-1"), &retry)).await.expect("infallible")).await }
        });
        while harness.calls() < 2 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        harness.release.send_replace(true);
        assert_eq!(late.await.expect("the retry").result.expect("it runs"), Bytes::from_static(b"call 2"));
    }

    async fn a_request_id_in_the_body_is_a_key_and_must_agree_with_the_header(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_secs(30)).await;
        let token = harness.token("guest");
        let mut with_id = booking(1);
        with_id.request_id = "3f1c9a6e-0000-4000-8000-000000000001".to_owned();
        harness.call(Some(&token), None, with_id.clone()).await.result.expect("the first call");
        let retry = harness.call(Some(&token), None, with_id.clone()).await;
        assert!(retry.replayed);
        let mut other_dates = with_id.clone();
        other_dates.booking = booking(2).booking;
        let reused = harness.call(Some(&token), None, other_dates).await;
        assert_eq!(reason(&reused.result.expect_err("refused")), KEY_REUSED);
        let disagreeing = harness.call(Some(&token), Some("another-key"), with_id).await;
        let status = disagreeing.result.expect_err("refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(estospaces_testing::bad_fields(&status), ["request_id"]);
        assert_eq!(harness.calls(), 1);
    }

    async fn a_call_without_a_key_runs_every_time_and_a_malformed_key_is_refused(backend: Backend) {
        let harness = Harness::new(backend, Duration::from_secs(30)).await;
        let token = harness.token("guest");
        harness.call(Some(&token), None, booking(1)).await.result.expect("a call");
        harness.call(Some(&token), None, booking(1)).await.result.expect("a call");
        assert_eq!(harness.calls(), 2);
        let malformed = harness.call(Some(&token), Some("two words"), booking(1)).await;
        let status = malformed.result.expect_err("refused");
        assert_eq!(estospaces_testing::bad_fields(&status), ["idempotency_key"]);
        let long = "k".repeat(256);
        let status = harness.call(Some(&token), Some(&long), booking(1)).await.result.expect_err("refused");
        assert_eq!(status.code(), tonic::Code::InvalidArgument);
        assert_eq!(harness.calls(), 2);
    }
}

/// Polls `future` once; its output if it finished.
async fn futures_poll_once<F: std::future::Future>(
    future: std::pin::Pin<&mut F>,
) -> Option<F::Output> {
    let mut future = Some(future);
    std::future::poll_fn(|cx| {
        let polled = future.take().expect("polled once").poll(cx);
        std::task::Poll::Ready(match polled {
            std::task::Poll::Ready(output) => Some(output),
            std::task::Poll::Pending => None,
        })
    })
    .await
}
