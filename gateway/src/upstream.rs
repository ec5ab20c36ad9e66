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
//! have `TCP_NODELAY` so small gRPC frames are not held back. An `https://` upstream is reached
//! over TLS with the `[tls]` client settings (`estospaces_grpc_tls::ClientTls`), HTTP/2 agreed
//! through ALPN; an `http://` one over h2c.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use estospaces_grpc_tls::{ClientTls, GrpcTlsConfig, TlsConnector};
use futures::FutureExt as _;
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

/// A configured upstream URL cannot be used, or the TLS settings for `https://` ones.
#[derive(Debug, thiserror::Error)]
pub enum InvalidUpstream {
    #[error("upstream `{domain}`: `{url}` is not an `http://host:port` or `https://host:port` URL")]
    Url { domain: String, url: String },
    #[error("TLS to the upstreams: {0}")]
    Tls(#[from] estospaces_grpc_tls::Error),
}

impl Upstreams {
    /// An upstream for each `domain → URL`, with `connections` connections each; none connects
    /// until first used. `https://` upstreams use the client side of `tls`.
    pub fn new(
        urls: &BTreeMap<String, String>,
        connections: usize,
        tls: &GrpcTlsConfig,
    ) -> Result<Self, InvalidUpstream> {
        // Read once, and only when some upstream asks for TLS.
        let connector = if urls.values().any(|url| estospaces_grpc_tls::is_https(url)) {
            Some(ClientTls::from_config(tls)?.connector()?)
        } else {
            None
        };
        let mut upstreams = HashMap::new();
        for (domain, url) in urls {
            let upstream =
                Upstream::new(url, connections, connector.as_ref()).ok_or_else(|| {
                    InvalidUpstream::Url {
                        domain: domain.clone(),
                        url: url.clone(),
                    }
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
    /// TLS for `https://` upstreams.
    tls: Option<TlsConnector>,
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
    /// An upstream at `url` (`http://host:port`, or `https://host:port` given a `tls`
    /// connector) with `connections` connections; `None` when the URL is not one.
    pub fn new(url: &str, connections: usize, tls: Option<&TlsConnector>) -> Option<Self> {
        let uri: Uri = url.parse().ok()?;
        let scheme = uri.scheme()?.clone();
        let (tls, default_port) = if scheme == Scheme::HTTP {
            (None, 80)
        } else if scheme == Scheme::HTTPS {
            (Some(tls?.clone()), 443)
        } else {
            return None;
        };
        let authority = uri.authority()?.clone();
        let address = format!(
            "{}:{}",
            authority.host(),
            authority.port_u16().unwrap_or(default_port)
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
                scheme,
                authority,
                address,
                tls,
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
        let mut http2 = hyper::client::conn::http2::Builder::new(TokioExecutor::new());
        http2
            .timer(TokioTimer::new())
            .keep_alive_interval(KEEP_ALIVE_INTERVAL);
        let (sender, connection) = match &self.inner.tls {
            Some(tls) => {
                let host = self.inner.authority.host();
                let stream = tokio::time::timeout(CONNECT_TIMEOUT, tls.connect(host, stream))
                    .await
                    .map_err(|_| "TLS handshake timed out")??;
                let (sender, connection) = http2.handshake(TokioIo::new(stream)).await?;
                (sender, connection.boxed())
            }
            None => {
                let (sender, connection) = http2.handshake(TokioIo::new(stream)).await?;
                (sender, connection.boxed())
            }
        };
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
    fn http_urls_are_upstreams_and_https_urls_too_given_tls() {
        assert!(Upstream::new("http://127.0.0.1:50051", 2, None).is_some());
        assert!(Upstream::new("http://identity", 1, None).is_some());
        assert!(Upstream::new("https://identity:443", 1, None).is_none());
        let tls = ClientTls::from_config(&GrpcTlsConfig::default())
            .and_then(|tls| tls.connector())
            .expect("the public roots");
        assert!(Upstream::new("https://identity:443", 1, Some(&tls)).is_some());
        assert!(Upstream::new("not a url", 1, Some(&tls)).is_none());
    }

    #[tokio::test]
    async fn an_https_upstream_is_called_over_mutual_tls() {
        use estospaces_grpc_tls::testing::TestPki;

        let dir = tempfile::tempdir().expect("a temporary directory");
        let pki = TestPki::create(dir.path());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let port = listener.local_addr().expect("an address").port();
        let (_reporter, service) = tonic_health::server::health_reporter();
        let tls = estospaces_grpc_tls::server_config(&pki.config(true))
            .expect("readable files")
            .expect("TLS is configured");
        let server = tonic::transport::Server::builder()
            .tls_config(tls)
            .expect("a valid certificate")
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        let server = tokio::spawn(server);

        let url = format!("https://localhost:{port}");
        let with_certificate = Upstreams::new(
            &[("identity".to_owned(), url.clone())].into(),
            1,
            &pki.config(true),
        )
        .expect("valid upstreams");
        let upstream = with_certificate.get("identity").expect("configured");
        check(upstream)
            .await
            .expect("the client certificate is accepted");
        let without = Upstreams::new(
            &[("identity".to_owned(), url)].into(),
            1,
            &pki.client(&pki.ca, false),
        )
        .expect("valid upstreams");
        check(without.get("identity").expect("configured"))
            .await
            .expect_err("mutual TLS refuses a client without a certificate");
        server.abort();
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
        let upstream = Upstream::new(&format!("http://{address}"), 2, None).expect("a URL");
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
        let upstream = Upstream::new(&format!("http://{address}"), 1, None).expect("a URL");
        let request = Request::builder()
            .uri("/estospaces.identity.v1.IdentityService/GetJwks")
            .body(TonicBody::empty())
            .expect("a request");
        let err = upstream.send(request).await.expect_err("nothing listens");
        let status = err.downcast_ref::<tonic::Status>().expect("a gRPC status");
        assert_eq!(status.code(), tonic::Code::Unavailable);
    }
}
