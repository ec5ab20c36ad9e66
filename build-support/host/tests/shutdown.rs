//! A host told to stop finishes the calls in flight, lets its consumer finish the event in hand
//! and commit, and flushes its relay; started again on the same data, it picks up where it
//! stopped: every event is processed exactly once.

use std::convert::Infallible;
use std::task::{Context, Poll};
use std::time::Duration;

use estospaces_config::CommonConfig;
use estospaces_events::{
    ConsumerConfig, Event, EventHandler, HandlerError, NewEvent, Outbox, topic_for,
};
use estospaces_host::{Application, ServiceHost};
use estospaces_storage::Database;
use futures::future::BoxFuture;
use sqlx::{AnyConnection, Row};
use tonic::server::NamedService;
use tonic_health::pb::{HealthCheckRequest, HealthCheckResponse};

const SERVICE: &str = "shop";
const EVENTS: i64 = 40;

/// The payload of the test's events.
#[derive(Clone, PartialEq, prost::Message)]
struct Sold {
    #[prost(int64, tag = "1")]
    item: i64,
}

impl prost::Name for Sold {
    const NAME: &'static str = "Sold";
    const PACKAGE: &'static str = "estospaces.test.v1";
}

/// Records each event's effect, slowly, so a stop finds it mid-stream.
struct SlowRecorder;

impl EventHandler for SlowRecorder {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        tokio::time::sleep(Duration::from_millis(100)).await;
        sqlx::query("INSERT INTO effects (event_id) VALUES ($1)")
            .bind(event.event_id())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

/// gRPC health, answered after a second, under a name of its own: a call that is in flight
/// when the stop comes.
#[derive(Clone)]
struct SlowHealth<S>(S);

impl<S> NamedService for SlowHealth<S> {
    const NAME: &'static str = "estospaces.test.v1.SlowHealth";
}

impl<S> tower::Service<http::Request<tonic::body::Body>> for SlowHealth<S>
where
    S: tower::Service<
            http::Request<tonic::body::Body>,
            Response = http::Response<tonic::body::Body>,
            Error = Infallible,
        > + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        let path = request
            .uri()
            .path()
            .replace(Self::NAME, "grpc.health.v1.Health");
        *request.uri_mut() = path.parse().expect("a path");
        let mut inner = self.0.clone();
        Box::pin(async move {
            tokio::time::sleep(Duration::from_secs(1)).await;
            tower::Service::call(&mut inner, request).await
        })
    }
}

fn common(data_dir: &std::path::Path) -> CommonConfig {
    CommonConfig {
        listen: "127.0.0.1:0".parse().expect("an address"),
        data_dir: data_dir.to_owned(),
        shutdown_grace: Duration::from_secs(5),
        ..CommonConfig::default()
    }
}

/// The service, and a pool of the test's own on its database (the host closes its pool when
/// it stops).
async fn build(data_dir: &std::path::Path) -> (Application, Database) {
    let common = common(data_dir);
    let mut host = ServiceHost::new(SERVICE, &common).trust_keys(Default::default());
    let db = host
        .database(estospaces_events::MIGRATIONS)
        .await
        .expect("the database");
    sqlx::query("CREATE TABLE IF NOT EXISTS effects (event_id TEXT NOT NULL)")
        .execute(db.pool())
        .await
        .expect("the effects table");
    host.relay_outbox().await.expect("the relay");
    host.consume(
        // One event per transaction, so a stop finds some committed and some not.
        ConsumerConfig {
            max_batch: 1,
            ..ConsumerConfig::new("shop.sales")
        },
        &[&topic_for(SERVICE)],
        SlowRecorder,
    )
    .await
    .expect("the consumer");
    let (_, health) = tonic_health::server::health_reporter();
    host.add_service(SlowHealth(health));
    drop(db);
    let app = host.bind().await.expect("bound");
    let db = Database::open(&common, SERVICE)
        .await
        .expect("the test's pool");
    (app, db)
}

async fn effects(db: &Database) -> (i64, i64) {
    let row = sqlx::query("SELECT COUNT(*) AS n, COUNT(DISTINCT event_id) AS d FROM effects")
        .fetch_one(db.pool())
        .await
        .expect("counted");
    (row.get("n"), row.get("d"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_host_finishes_its_calls_and_events_and_a_restarted_one_processes_nothing_twice()
{
    let data_dir = tempfile::tempdir().expect("a data dir");
    let (app, db) = build(data_dir.path()).await;
    let addr = app.local_addr();
    let mut tx = db.pool().acquire().await.expect("a connection");
    for item in 0..EVENTS {
        Outbox::new(SERVICE)
            .append(
                &mut tx,
                NewEvent::new("shop.sold", "item", item.to_string(), &Sold { item }),
            )
            .await
            .expect("appended");
    }
    drop(tx);

    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    while effects(&db).await.0 < 5 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let channel = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .expect("a URI")
        .connect()
        .await
        .expect("connected");
    let call = tokio::spawn(async move {
        let mut grpc = tonic::client::Grpc::new(channel);
        grpc.ready().await.expect("ready");
        grpc.unary::<HealthCheckRequest, HealthCheckResponse, _>(
            tonic::Request::new(HealthCheckRequest::default()),
            "/estospaces.test.v1.SlowHealth/Check"
                .parse()
                .expect("a path"),
            tonic_prost::ProstCodec::default(),
        )
        .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(());

    let answer = call.await.expect("the call ran");
    assert!(answer.is_ok(), "the call in flight finished: {answer:?}");
    running
        .await
        .expect("the host ran")
        .expect("the host stopped cleanly");
    let (done, distinct) = effects(&db).await;
    assert!(
        done < EVENTS,
        "the stop came mid-stream ({done} of {EVENTS})"
    );
    assert_eq!(done, distinct);

    // Started again on the same data: the rest, and nothing again.
    let (app, db) = build(data_dir.path()).await;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(app.run(async {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while effects(&db).await.0 < EVENTS && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A little longer, to see a duplicate if one were coming.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(effects(&db).await, (EVENTS, EVENTS));
    let _ = stop.send(());
    running.await.expect("ran").expect("stopped cleanly");
}
