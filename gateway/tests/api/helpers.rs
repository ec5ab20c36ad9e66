use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::Path;
use std::task::{Context, Poll};
use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_gateway::codec::DynamicCodec;
use estospaces_gateway::config::RateLimitSettings;
use estospaces_gateway::{Application, GatewayConfig, GatewaySettings};
use estospaces_identity::{IdentityConfig, IdentitySettings, ThrottleSettings};
use futures::future::BoxFuture;
use prost_reflect::{DescriptorPool, DynamicMessage, MessageDescriptor, Value};
use serde_json::Value as Json;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::server::NamedService;

pub const PASSWORD: &str = "correct horse battery staple";

/// The platform's contracts plus the test-only echo service, compiled with protox.
pub fn descriptors() -> DescriptorPool {
    DescriptorPool::decode(descriptor_set().as_slice()).expect("the descriptor set decodes")
}

/// [`descriptors`], encoded as a `FileDescriptorSet` (which buf reads as an image).
pub fn descriptor_set() -> Vec<u8> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut compiler =
        protox::Compiler::new([manifest.join("tests/protos"), manifest.join("../proto")])
            .expect("include paths exist");
    compiler
        .include_imports(true)
        .include_source_info(true)
        .open_files([
            "estospaces/echo/v1/echo.proto",
            "estospaces/identity/v1/identity_service.proto",
        ])
        .expect("the test protos compile");
    compiler.encode_file_descriptor_set()
}

/// What a test changes about the gateway.
#[derive(Default)]
pub struct Options {
    pub rate_limits: Option<RateLimitSettings>,
    pub cors_allowed_origins: Vec<String>,
    pub max_body_bytes: Option<usize>,
    /// Keeps rate limits in Redis.
    pub redis_url: Option<String>,
    /// The gateway's `trusted_proxies` (`127.0.0.1/32`: the test's own calls come through a
    /// trusted proxy).
    pub trusted_proxies: Vec<&'static str>,
    /// Identity's `trust_forwarded_for`: its client address is the one the gateway sets.
    pub identity_trusts_forwarded_for: bool,
    /// Identity's throttling of failed sign-ins.
    pub login_throttle: Option<ThrottleSettings>,
}

/// The gateway in front of a real identity service (SQLite in a temporary directory) and the
/// echo service. Everything stops when it is dropped.
pub struct TestApp {
    pub addr: SocketAddr,
    pub identity_addr: SocketAddr,
    pub http: reqwest::Client,
    stops: Vec<tokio::sync::oneshot::Sender<()>>,
    _data: tempfile::TempDir,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        for stop in self.stops.drain(..) {
            let _ = stop.send(());
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = estospaces_telemetry::init("gateway-test", &Default::default());
    }
    let mut stops = Vec::new();
    let data = tempfile::tempdir().expect("a temporary directory");

    let identity = estospaces_identity::build(IdentityConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            data_dir: data.path().to_owned(),
            shutdown_grace: Duration::from_secs(1),
            ..CommonConfig::default()
        },
        service: IdentitySettings {
            // Keys added to the store (a rotation) are trusted within a test's patience.
            key_refresh_interval: Duration::from_millis(100),
            trust_forwarded_for: options.identity_trusts_forwarded_for,
            login_throttle: options.login_throttle.unwrap_or_default(),
            ..IdentitySettings::default()
        },
    })
    .await
    .expect("identity builds");
    let identity_addr = identity.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    stops.push(stop);
    tokio::spawn(identity.run(async {
        let _ = stopped.await;
    }));

    let pool = descriptors();
    let echo_addr = spawn_echo(&pool, &mut stops).await;

    let config = GatewayConfig {
        common: CommonConfig {
            listen: "127.0.0.1:0".parse().expect("address"),
            shutdown_grace: Duration::from_secs(1),
            redis_url: options.redis_url.map(Into::into),
            ..CommonConfig::default()
        },
        service: GatewaySettings {
            upstreams: BTreeMap::from([
                ("identity".to_owned(), format!("http://{identity_addr}")),
                ("echo".to_owned(), format!("http://{echo_addr}")),
            ]),
            cors_allowed_origins: options.cors_allowed_origins,
            max_body_bytes: options.max_body_bytes.unwrap_or(1024 * 1024),
            rate_limits: options.rate_limits.unwrap_or(RateLimitSettings {
                enabled: false,
                ..RateLimitSettings::default()
            }),
            trusted_proxies: options
                .trusted_proxies
                .iter()
                .map(|network| network.parse().expect("a network"))
                .collect(),
            ..GatewaySettings::default()
        },
    };
    let gateway = Application::build_with_descriptors(config, pool.encode_to_vec().into())
        .await
        .expect("the gateway builds");
    let addr = gateway.local_addr();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    stops.push(stop);
    tokio::spawn(gateway.run(async {
        let _ = stopped.await;
    }));

    TestApp {
        addr,
        identity_addr,
        http: reqwest::Client::new(),
        stops,
        _data: data,
    }
}

impl TestApp {
    /// Where identity keeps its SQLite database.
    pub fn identity_data_dir(&self) -> &Path {
        self._data.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Registers `email` over REST and returns the user as JSON.
    pub async fn register(&self, email: &str) -> Json {
        let response = self
            .http
            .post(self.url("/v1/users:register"))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), 201, "registration succeeds");
        response.json().await.expect("a JSON user")
    }

    /// Signs in over REST and returns the access token.
    pub async fn login(&self, email: &str) -> String {
        let response = self
            .http
            .post(self.url("/v1/sessions:login"))
            .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
            .send()
            .await
            .expect("the gateway answers");
        assert_eq!(response.status(), 200, "login succeeds");
        let body: Json = response.json().await.expect("JSON");
        body["accessToken"]
            .as_str()
            .expect("an access token")
            .to_owned()
    }

    /// A registered, signed-in user: (user JSON, token).
    pub async fn signed_in(&self, email: &str) -> (Json, String) {
        let user = self.register(email).await;
        let token = self.login(email).await;
        (user, token)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .expect("the gateway answers")
    }
}

/// The `@type`-tagged detail of a JSON error body.
pub fn detail<'a>(body: &'a Json, kind: &str) -> &'a Json {
    body["details"]
        .as_array()
        .expect("details")
        .iter()
        .find(|detail| detail["@type"] == format!("type.googleapis.com/google.rpc.{kind}"))
        .unwrap_or_else(|| panic!("a {kind} detail in {body}"))
}

// === The echo service ===

/// Serves `estospaces.echo.v1.EchoService`: every RPC returns its request (with the
/// `authorization` and `grpc-timeout` it received, and every `x-forwarded-for` value it received
/// as the [`SEEN_FORWARDED_FOR`] response metadata); `Watch` streams it `count` times and then
/// fails when `flag` is set.
#[derive(Clone)]
struct Echo {
    message: MessageDescriptor,
}

impl NamedService for Echo {
    const NAME: &'static str = "estospaces.echo.v1.EchoService";
}

impl tower::Service<http::Request<Body>> for Echo {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let codec = DynamicCodec::new(self.message.clone());
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(codec);
            if request.uri().path().ends_with("/Watch") {
                let watch =
                    tower::service_fn(|request: tonic::Request<DynamicMessage>| async move {
                        let message = echoed(request);
                        let count = message
                            .get_field_by_name("count")
                            .and_then(|v| v.as_i32())
                            .unwrap_or(0);
                        let fail = message
                            .get_field_by_name("flag")
                            .and_then(|v| v.as_bool())
                            .unwrap_or(false);
                        let mut items: Vec<Result<DynamicMessage, tonic::Status>> =
                            (0..count).map(|_| Ok(message.clone())).collect();
                        if fail {
                            items.push(Err(tonic::Status::failed_precondition("the stream broke")));
                        }
                        Ok::<_, tonic::Status>(tonic::Response::new(futures::stream::iter(items)))
                    });
                Ok(grpc.server_streaming(watch, request).await)
            } else {
                let echo =
                    tower::service_fn(|request: tonic::Request<DynamicMessage>| async move {
                        let forwarded_for = request
                            .metadata()
                            .get_all("x-forwarded-for")
                            .iter()
                            .filter_map(|value| value.to_str().ok())
                            .collect::<Vec<_>>()
                            .join(" | ");
                        let mut response = tonic::Response::new(echoed(request));
                        if let Ok(value) = forwarded_for.parse() {
                            response.metadata_mut().insert(SEEN_FORWARDED_FOR, value);
                        }
                        Ok::<_, tonic::Status>(response)
                    });
                Ok(grpc.unary(echo, request).await)
            }
        })
    }
}

/// The response metadata in which the echo service returns the `x-forwarded-for` values it
/// received, joined by ` | `.
pub const SEEN_FORWARDED_FOR: &str = "x-seen-forwarded-for";

fn echoed(request: tonic::Request<DynamicMessage>) -> DynamicMessage {
    let seen = |key: &str| {
        request
            .metadata()
            .get(key)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let authorization = seen("authorization");
    let timeout = seen("grpc-timeout");
    let mut message = request.into_inner();
    message.set_field_by_name("seen_authorization", Value::String(authorization));
    message.set_field_by_name("seen_grpc_timeout", Value::String(timeout));
    message
}

async fn spawn_echo(
    pool: &DescriptorPool,
    stops: &mut Vec<tokio::sync::oneshot::Sender<()>>,
) -> SocketAddr {
    let message = pool
        .get_message_by_name("estospaces.echo.v1.EchoMessage")
        .expect("the echo message");
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let addr = listener.local_addr().expect("an address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    stops.push(stop);
    let (_, health) = tonic_health::server::health_reporter();
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(health)
            .add_service(Echo { message })
            .serve_with_incoming_shutdown(TcpListenerStream::new(listener), async {
                let _ = stopped.await;
            }),
    );
    addr
}

// === grpc-web framing ===

/// A grpc-web (or gRPC) data frame around `message`.
pub fn frame(message: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8];
    out.extend_from_slice(&u32::try_from(message.len()).expect("small").to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// Splits a grpc-web response body into its messages and its trailers.
pub fn unframe(mut body: &[u8]) -> (Vec<Vec<u8>>, BTreeMap<String, String>) {
    let mut messages = Vec::new();
    let mut trailers = BTreeMap::new();
    while body.len() >= 5 {
        let flags = body[0];
        let length = u32::from_be_bytes([body[1], body[2], body[3], body[4]]) as usize;
        let payload = &body[5..5 + length];
        if flags & 0x80 != 0 {
            for line in String::from_utf8_lossy(payload).split("\r\n") {
                if let Some((key, value)) = line.split_once(':') {
                    trailers.insert(key.trim().to_lowercase(), value.trim().to_owned());
                }
            }
        } else {
            messages.push(payload.to_vec());
        }
        body = &body[5 + length..];
    }
    (messages, trailers)
}
