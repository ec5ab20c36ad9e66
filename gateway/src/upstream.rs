//! Connections to the services behind the gateway: per domain, a few HTTP/2 connections used in
//! turn.
//!
//! Calls go straight onto a connection's `hyper` sender. A tonic `Channel` would put a
//! `tower::buffer` task between every call and its connection (one more task wake-up and
//! hand-off per call, on the gateway's busiest path) and multiplex everything onto one
//! connection, whose single connection task on either side then serializes the framing of every
//! call. Here each of [`UpstreamSettings::connections`] connections has its own task, calls are
//! spread round-robin, a connection is opened on first use and opened again when it closes
//! (a request the closed connection never took is sent once more on the new one), and sockets
//! have `TCP_NODELAY` so small gRPC frames are not held back.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::future::BoxFuture;
use http::uri::{Authority, PathAndQuery, Scheme};
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tonic::body::Body as TonicBody;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// How long opening a connection to an upstream may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// HTTP/2 pings on idle connections, so a dead peer is noticed.
const KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(30);

/// The upstreams by domain.
#[derive(Debug, Clone, Default)]
pub struct Upstreams {
    upstreams: HashMap<String, Upstream>,
}

/// A configured upstream URL cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("upstream `{domain}`: `{url}` is not an `http://host:port` URL")]
pub struct InvalidUpstream {
    domain: String,
    url: String,
}

impl Upstreams {
    /// An upstream for each `domain → URL`, with `connections` connections each; none connects
    /// until first used.
    pub fn new(
        urls: &BTreeMap<String, String>,
        connections: usize,
    ) -> Result<Self, InvalidUpstream> {
        let mut upstreams = HashMap::new();
        for (domain, url) in urls {
            let upstream = Upstream::new(url, connections).ok_or_else(|| InvalidUpstream {
                domain: domain.clone(),
                url: url.clone(),
            })?;
            upstreams.insert(domain.to_lowercase(), upstream);
        }
        Ok(Self { upstreams })
    }

    /// The upstream serving `domain`.
    pub fn get(&self, domain: &str) -> Option<&Upstream> {
        self.upstreams.get(domain)
    }

    /// Each upstream that is not SERVING, with why.
    pub async fn unready(&self) -> Vec<(String, String)> {
        let checks = self.upstreams.iter().map(|(domain, upstream)| async move {
            let mut request = tonic::Request::new(HealthCheckRequest {
                service: String::new(),
            });
            request.set_timeout(Duration::from_secs(2));
            let result = tokio::time::timeout(
                Duration::from_secs(2),
                HealthClient::new(upstream.clone()).check(request),
            )
            .await;
            let problem = match result {
                Ok(Ok(response)) if response.get_ref().status == ServingStatus::Serving as i32 => {
                    return None;
                }
                Ok(Ok(response)) => format!("status {}", response.get_ref().status().as_str_name()),
                Ok(Err(status)) => format!("{}: {}", status.code(), status.message()),
                Err(_) => "health check timed out".to_owned(),
            };
            Some((domain.clone(), problem))
        });
        let mut problems: Vec<_> = futures::future::join_all(checks)
            .await
            .into_iter()
            .flatten()
            .collect();
        problems.sort();
        problems
    }
}

/// One service behind the gateway: its address and its connections. Cloning shares them.
///
/// It is a `tower::Service` for `tonic::client::Grpc` and generated clients (the REST path,
/// health checks); the gRPC proxy calls [`Upstream::send`] directly.
#[derive(Clone)]
pub struct Upstream {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    scheme: Scheme,
    authority: Authority,
    /// `host:port` to connect to.
    address: String,
    slots: Vec<Slot>,
    next: AtomicUsize,
}

/// One connection, opened when first needed and again after it closes.
struct Slot {
    sender: std::sync::Mutex<Option<SendRequest<TonicBody>>>,
    /// Held while connecting, so calls arriving meanwhile wait for that connection instead of
    /// each opening their own.
    connecting: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Upstream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upstream")
            .field("url", &self.inner.url)
            .field("connections", &self.inner.slots.len())
            .finish_non_exhaustive()
    }
}

/// The failure of a call before the upstream answered.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Upstream {
    /// An upstream at `url` (`http://host:port`) with `connections` connections; `None` when
    /// the URL is not one.
    pub fn new(url: &str, connections: usize) -> Option<Self> {
        let uri: Uri = url.parse().ok()?;
        if uri.scheme() != Some(&Scheme::HTTP) {
            return None;
        }
        let authority = uri.authority()?.clone();
        let address = format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(80)
        );
        let slots = (0..connections.max(1))
            .map(|_| Slot {
                sender: std::sync::Mutex::new(None),
                connecting: tokio::sync::Mutex::new(()),
            })
            .collect();
        Some(Self {
            inner: Arc::new(Inner {
                url: url.to_owned(),
                scheme: Scheme::HTTP,
                authority,
                address,
                slots,
                next: AtomicUsize::new(0),
            }),
        })
    }

    /// The upstream's URL as configured.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// The absolute URI of `path` on this upstream.
    fn uri(&self, path: PathAndQuery) -> Uri {
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.inner.scheme.clone());
        parts.authority = Some(self.inner.authority.clone());
        parts.path_and_query = Some(path);
        Uri::from_parts(parts).expect("scheme, authority and path make a URI")
    }

    /// Sends a gRPC request whose URI is just the path (`/pkg.Service/Method`) on the next
    /// connection. Fails with UNAVAILABLE when no connection can be opened.
    pub async fn send(
        &self,
        mut request: Request<TonicBody>,
    ) -> Result<Response<Incoming>, BoxError> {
        let path = request
            .uri()
            .path_and_query()
            .cloned()
            .unwrap_or_else(|| PathAndQuery::from_static("/"));
        *request.uri_mut() = self.uri(path);
        let slots = self.inner.slots.len();
        let index = self.inner.next.fetch_add(1, Ordering::Relaxed) % slots;
        let slot = &self.inner.slots[index];
        let mut sender = self.sender(slot).await?;
        match sender.try_send_request(request).await {
            Ok(response) => Ok(response),
            Err(mut err) => match err.take_message() {
                // The connection closed before taking the request: once more on a new one.
                Some(request) => {
                    forget_if_closed(slot);
                    let mut sender = self.sender(slot).await?;
                    Ok(sender.send_request(request).await?)
                }
                None => Err(err.into_error().into()),
            },
        }
    }

    /// The slot's open connection, opening one if there is none.
    async fn sender(&self, slot: &Slot) -> Result<SendRequest<TonicBody>, BoxError> {
        if let Some(sender) = open_sender(slot) {
            return Ok(sender);
        }
        let _connecting = slot.connecting.lock().await;
        // Someone else may have connected while we waited.
        if let Some(sender) = open_sender(slot) {
            return Ok(sender);
        }
        let sender = self.connect().await.map_err(|err| {
            Box::new(tonic::Status::unavailable(format!(
                "cannot connect to {}: {err}",
                self.inner.url
            ))) as BoxError
        })?;
        *slot.sender.lock().unwrap_or_else(|p| p.into_inner()) = Some(sender.clone());
        Ok(sender)
    }

    async fn connect(&self) -> Result<SendRequest<TonicBody>, BoxError> {
        let stream = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect(&self.inner.address),
        )
        .await
        .map_err(|_| "timed out")??;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(KEEP_ALIVE_INTERVAL)
            .handshake(TokioIo::new(stream))
            .await?;
        let url = self.inner.url.clone();
        tokio::spawn(async move {
            if let Err(err) = connection.await {
                tracing::debug!(%url, "upstream connection closed: {err}");
            }
        });
        Ok(sender)
    }
}

/// The slot's sender if its connection is still open.
fn open_sender(slot: &Slot) -> Option<SendRequest<TonicBody>> {
    slot.sender
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .as_ref()
        .filter(|sender| !sender.is_closed())
        .cloned()
}

/// Drops the slot's sender once its connection has closed, so the next call opens another.
fn forget_if_closed(slot: &Slot) {
    let mut sender = slot.sender.lock().unwrap_or_else(|p| p.into_inner());
    if sender.as_ref().is_some_and(SendRequest::is_closed) {
        *sender = None;
    }
}

impl tower::Service<Request<TonicBody>> for Upstream {
    type Response = Response<Incoming>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<Incoming>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Connections open in `call`; HTTP/2 senders take requests without waiting.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<TonicBody>) -> Self::Future {
        let upstream = self.clone();
        Box::pin(async move { upstream.send(request).await })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_http_urls_are_upstreams() {
        assert!(Upstream::new("http://127.0.0.1:50051", 2).is_some());
        assert!(Upstream::new("http://identity", 1).is_some());
        assert!(Upstream::new("https://identity:443", 1).is_none());
        assert!(Upstream::new("not a url", 1).is_none());
    }

    /// A gRPC server with only the health service on `listener`; stops when the sender is
    /// dropped or sent to.
    fn health_server(listener: tokio::net::TcpListener) -> tokio::sync::oneshot::Sender<()> {
        let (_reporter, service) = tonic_health::server::health_reporter();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(
                    tokio_stream::wrappers::TcpListenerStream::new(listener),
                    async {
                        let _ = stopped.await;
                    },
                ),
        );
        stop
    }

    async fn check(upstream: &Upstream) -> Result<(), tonic::Status> {
        HealthClient::new(upstream.clone())
            .check(HealthCheckRequest {
                service: String::new(),
            })
            .await
            .map(|_| ())
    }

    #[tokio::test]
    async fn calls_go_on_over_new_connections_after_the_upstream_restarts() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let address = listener.local_addr().expect("an address");
        let stop = health_server(listener);
        let upstream = Upstream::new(&format!("http://{address}"), 2).expect("a URL");
        for _ in 0..4 {
            check(&upstream).await.expect("the upstream answers");
        }

        let _ = stop.send(());
        // The same port again, once the old server has let go of it.
        let mut listener = None;
        for _ in 0..100 {
            if let Ok(bound) = tokio::net::TcpListener::bind(address).await {
                listener = Some(bound);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let _stop = health_server(listener.expect("the port is free again"));
        for _ in 0..4 {
            check(&upstream)
                .await
                .expect("the restarted upstream answers on a new connection");
        }
    }

    #[tokio::test]
    async fn a_call_to_an_upstream_that_is_not_listening_is_unavailable() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let address = listener.local_addr().expect("an address");
        drop(listener);
        let upstream = Upstream::new(&format!("http://{address}"), 1).expect("a URL");
        let request = Request::builder()
            .uri("/estospaces.identity.v1.IdentityService/GetJwks")
            .body(TonicBody::empty())
            .expect("a request");
        let err = upstream.send(request).await.expect_err("nothing listens");
        let status = err.downcast_ref::<tonic::Status>().expect("a gRPC status");
        assert_eq!(status.code(), tonic::Code::Unavailable);
    }
}
