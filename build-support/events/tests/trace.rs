//! The consumer's span continues the trace of the span that recorded the event.

use std::time::Duration;

use estospaces_events::{
    Consumer, ConsumerConfig, Event, EventHandler, EventLog, HandlerError, NewEvent, Outbox, Relay,
    RelayConfig, topic_for,
};
use estospaces_proto::events_v1::DeadLetter;
use estospaces_storage::testing::TestDatabase;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use sqlx::AnyConnection;
use tracing::Instrument as _;
use tracing_subscriber::layer::SubscriberExt as _;

struct Nothing;

impl EventHandler for Nothing {
    async fn handle(&self, _tx: &mut AnyConnection, _event: &Event) -> Result<(), HandlerError> {
        Ok(())
    }
}

#[tokio::test]
async fn the_consumer_span_joins_the_trace_of_the_span_that_recorded_the_event() {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
    let subscriber = tracing_subscriber::registry()
        .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
    // Current-thread runtime: the subscriber set here also covers the spawned consumer.
    let _guard = tracing::subscriber::set_default(subscriber);

    let database = TestDatabase::sqlite(&[estospaces_events::MIGRATIONS])
        .await
        .expect("database");
    let db = database.database.clone();
    let dir = tempfile::tempdir().expect("temp dir");
    let log = EventLog::open(&dir.path().join("events.db"))
        .await
        .expect("log");

    async {
        let mut tx = db.begin().await.expect("begin");
        Outbox::new("test")
            .append(
                &mut tx,
                NewEvent::new("test.happened", "thing", "t-1", &DeadLetter::default()),
            )
            .await
            .expect("append");
        tx.commit().await.expect("commit");
    }
    .instrument(tracing::info_span!("producer"))
    .await;
    Relay::new(db.clone(), log.clone(), "test", RelayConfig::default())
        .publish_pending()
        .await
        .expect("relayed");
    let consumer = Consumer::new(
        db.clone(),
        log.subscribe("test.tracer", &[&topic_for("test")]),
        log.clone(),
        Nothing,
        ConsumerConfig::new("test.tracer"),
    );
    consumer
        .run(tokio::time::sleep(Duration::from_millis(500)))
        .await
        .expect("consumes");

    let spans = exporter.get_finished_spans().expect("spans");
    let producer = spans
        .iter()
        .find(|span| span.name == "producer")
        .expect("a producer span");
    let consumer = spans
        .iter()
        .find(|span| span.name == "event.consume")
        .expect("a consumer span");
    assert_eq!(
        consumer.span_context.trace_id(),
        producer.span_context.trace_id()
    );
    assert_eq!(consumer.parent_span_id, producer.span_context.span_id());
}
