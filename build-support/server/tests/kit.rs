//! The server kit end to end: a real server on a random port with a deliberately slow service.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use estospaces_config::CommonConfig;
use estospaces_server::GrpcServer;
use futures::future::BoxFuture;
use http::uri::PathAndQuery;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::transport::Channel;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_prost::ProstCodec;

/// `estospaces.test.SlowService/Call`: answers an empty message after `delay`.
#[derive(Clone)]
struct SlowService {
    delay: Duration,
}

impl NamedService for SlowService {
    const NAME: &'static str = "estospaces.test.SlowService";
}

impl tower::Service<http::Request<Body>> for SlowService {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let delay = self.delay;
        Box::pin(async move {
            let mut grpc = tonic::server::Grpc::new(ProstCodec::<(), ()>::default());
            Ok(grpc.unary(SlowCall { delay }, request).await)
        })
    }
}

struct SlowCall {
    delay: Duration,
}

impl tonic::server::UnaryService<()> for SlowCall {
    type Response = ();
    type Future = BoxFuture<'static, Result<tonic::Response<()>, tonic::Status>>;

    fn call(&mut self, _: tonic::Request<()>) -> Self::Future {
        let delay = self.delay;
        Box::pin(async move {
            tokio::time::sleep(delay).await;
            Ok(tonic::Response::new(()))
        })
    }
}

async fn call_slow(channel: Channel) -> Result<(), tonic::Status> {
    let mut client = tonic::client::Grpc::new(channel);
    client
        .ready()
        .await
        .map_err(|err| tonic::Status::unavailable(err.to_string()))?;
    client
        .unary(
            tonic::Request::new(()),
            PathAndQuery::from_static("/estospaces.test.SlowService/Call"),
            ProstCodec::<(), ()>::default(),
        )
        .await
        .map(|_| ())
}

fn config(grace: Duration) -> CommonConfig {
    CommonConfig {
        listen: "127.0.0.1:0".parse().expect("address"),
        metrics_listen: Some("127.0.0.1:0".parse().expect("address")),
        shutdown_grace: grace,
        ..CommonConfig::default()
    }
}

async fn connect(addr: std::net::SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{addr}"))
        .expect("uri")
        .connect()
        .await
        .expect("connects")
}

#[tokio::test]
async fn in_flight_calls_finish_when_shutdown_begins() {
    let server = GrpcServer::new(&config(Duration::from_secs(5)))
        .add_service(SlowService {
            delay: Duration::from_millis(500),
        })
        .bind()
        .await
        .expect("binds");
    let channel = connect(server.local_addr()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));

    let call = tokio::spawn(call_slow(channel));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = stop.send(());

    assert!(
        call.await.expect("joins").is_ok(),
        "the in-flight call completes"
    );
    let result = tokio::time::timeout(Duration::from_secs(3), running)
        .await
        .expect("the server stops soon after the last call");
    assert!(result.expect("joins").is_ok());
}

#[tokio::test]
async fn the_server_stops_when_the_grace_period_ends_even_if_calls_are_still_running() {
    let server = GrpcServer::new(&config(Duration::from_millis(200)))
        .add_service(SlowService {
            delay: Duration::from_secs(30),
        })
        .bind()
        .await
        .expect("binds");
    let channel = connect(server.local_addr()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let _call = tokio::spawn(call_slow(channel));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    let _ = stop.send(());
    let result = tokio::time::timeout(Duration::from_secs(5), running)
        .await
        .expect("the server does not wait for the 30 s call");
    assert!(result.expect("joins").is_ok());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn health_is_not_serving_while_a_readiness_check_fails_but_liveness_is_and_serving_once_it_passes()
 {
    let ready = Arc::new(AtomicBool::new(false));
    let check = ready.clone();
    let server = GrpcServer::new(&config(Duration::from_secs(1)))
        .add_service(SlowService {
            delay: Duration::ZERO,
        })
        .readiness_check("dependency", move || {
            let ready = check.load(Ordering::SeqCst);
            async move { if ready { Ok(()) } else { Err("down") } }
        })
        .bind()
        .await
        .expect("binds");
    let mut health = HealthClient::new(connect(server.local_addr()).await);
    let _running = tokio::spawn(server.run(std::future::pending()));

    let status = |health: &mut HealthClient<Channel>| {
        let mut health = health.clone();
        async move {
            health
                .check(HealthCheckRequest {
                    service: "estospaces.test.SlowService".to_owned(),
                })
                .await
                .expect("health answers")
                .into_inner()
                .status()
        }
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status(&mut health).await, ServingStatus::NotServing);
    let liveness = health
        .check(HealthCheckRequest {
            service: estospaces_server::LIVENESS_SERVICE.to_owned(),
        })
        .await
        .expect("health answers")
        .into_inner()
        .status();
    assert_eq!(liveness, ServingStatus::Serving, "alive while not ready");

    ready.store(true, Ordering::SeqCst);
    // The next round of checks runs within five seconds.
    let deadline = Instant::now() + Duration::from_secs(8);
    while status(&mut health).await != ServingStatus::Serving {
        assert!(Instant::now() < deadline, "never became SERVING");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn metrics_count_calls_by_method_and_grpc_code() {
    let server = GrpcServer::new(&config(Duration::from_secs(1)))
        .add_service(SlowService {
            delay: Duration::ZERO,
        })
        .bind()
        .await
        .expect("binds");
    let metrics_addr = server.metrics_addr().expect("a metrics listener");
    let channel = connect(server.local_addr()).await;
    let _running = tokio::spawn(server.run(std::future::pending()));

    call_slow(channel.clone()).await.expect("the call succeeds");
    let mut health = HealthClient::new(channel);
    let unknown = health
        .check(HealthCheckRequest {
            service: "no.such.Service".to_owned(),
        })
        .await
        .expect_err("unknown service");
    assert_eq!(unknown.code(), tonic::Code::NotFound);

    let mut stream = tokio::net::TcpStream::connect(metrics_addr)
        .await
        .expect("connects");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: metrics\r\n\r\n")
        .await
        .expect("writes");
    let mut page = String::new();
    stream.read_to_string(&mut page).await.expect("reads");

    assert!(page.starts_with("HTTP/1.0 200"), "{page}");
    let counted = |needles: &[&str]| {
        page.lines().any(|line| {
            line.starts_with("rpc_server_duration_seconds_count{")
                && needles.iter().all(|n| line.contains(n))
        })
    };
    assert!(
        counted(&[
            r#"rpc_system="grpc""#,
            r#"rpc_method="Call""#,
            r#"rpc_grpc_status_code="0""#
        ]),
        "{page}"
    );
    assert!(
        counted(&[r#"rpc_method="Check""#, r#"rpc_grpc_status_code="5""#]),
        "{page}"
    );
    assert!(
        page.contains("rpc_server_duration_seconds_bucket"),
        "{page}"
    );
    assert!(page.contains("rpc_server_active_requests{"), "{page}");
    assert!(page.contains("process_resident_memory_bytes "), "{page}");
}

#[tokio::test]
async fn reflection_lists_health_and_the_services_the_server_runs_and_describes_them() {
    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

    let server = GrpcServer::new(&config(Duration::from_secs(1)))
        .add_service(SlowService {
            delay: Duration::ZERO,
        })
        .reflect(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
        .bind()
        .await
        .expect("binds");
    let addr = server.local_addr();
    let (_stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let mut client = ServerReflectionClient::new(connect(addr).await);
    let ask = |request: MessageRequest| {
        tokio_stream::iter([ServerReflectionRequest {
            host: String::new(),
            message_request: Some(request),
        }])
    };

    for _ in 0..2 {
        let mut answers = client
            .server_reflection_info(ask(MessageRequest::ListServices(String::new())))
            .await
            .expect("reflection answers")
            .into_inner();
        let answer = answers.message().await.expect("a message").expect("one");
        let Some(MessageResponse::ListServicesResponse(list)) = answer.message_response else {
            panic!("not a service list: {answer:?}");
        };
        let mut names: Vec<_> = list
            .service
            .into_iter()
            .map(|service| service.name)
            .collect();
        names.sort();
        assert_eq!(
            names,
            ["estospaces.test.SlowService", "grpc.health.v1.Health"]
        );
    }

    let mut answers = client
        .server_reflection_info(ask(MessageRequest::FileContainingSymbol(
            "grpc.reflection.v1.ServerReflection".to_owned(),
        )))
        .await
        .expect("reflection answers")
        .into_inner();
    let answer = answers.message().await.expect("a message").expect("one");
    let Some(MessageResponse::FileDescriptorResponse(files)) = answer.message_response else {
        panic!("not a file descriptor: {answer:?}");
    };
    assert!(!files.file_descriptor_proto.is_empty());
}
