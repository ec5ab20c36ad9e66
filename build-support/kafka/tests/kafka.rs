//! The event backbone over a real Kafka-protocol broker (tansu): the shared one from
//! `services.sh`, or a private one for tests that stop and restart it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use estospaces_events::{
    Consumer, ConsumerConfig, Delivery, Event, EventHandler, EventSink, EventSource, HandlerError,
    NewEvent, Outbox, OutgoingRecord, Relay, RelayConfig, dead_letter_topic, replay_dead_letters,
    topic_for,
};
use estospaces_kafka::{COMMIT_TIMEOUT, KafkaConfig, KafkaSink, KafkaSource, consumer_lag};
use estospaces_storage::Database;
use estospaces_storage::testing::TestDatabase;
use estospaces_testing::PrivateBroker;
use sqlx::{AnyConnection, Row};

#[derive(Clone, PartialEq, prost::Message)]
struct ThingHappened {
    #[prost(string, tag = "1")]
    thing: String,
}

impl prost::Name for ThingHappened {
    const NAME: &'static str = "ThingHappened";
    const PACKAGE: &'static str = "estospaces.test.v1";
}

/// Records each event's effect in arrival order; refuses "poison" while told to.
#[derive(Clone)]
struct RecordingHandler {
    refuse_poison: Arc<AtomicBool>,
}

impl EventHandler for RecordingHandler {
    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let payload: ThingHappened = event.payload().map_err(HandlerError::permanent)?;
        if payload.thing == "poison" && self.refuse_poison.load(Ordering::SeqCst) {
            return Err(HandlerError::permanent("poison is not accepted"));
        }
        sqlx::query("INSERT INTO effects (event_id, aggregate_id, sequence) VALUES ($1, $2, $3)")
            .bind(event.event_id())
            .bind(event.aggregate_id())
            .bind(event.envelope.aggregate_sequence)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

fn shared_brokers() -> String {
    std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS").unwrap_or_else(|_| "127.0.0.1:9092".to_owned())
}

/// A test's service database, outbox source name (unique, so topics are too) and handler.
struct Fixture {
    db: Database,
    source: &'static str,
    handler: RecordingHandler,
    _database: TestDatabase,
}

async fn fixture() -> Fixture {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("info").try_init();
    }
    let database = TestDatabase::postgres(&[estospaces_events::MIGRATIONS])
        .await
        .expect("database");
    sqlx::query(
        "CREATE TABLE effects (arrival BIGSERIAL PRIMARY KEY, event_id TEXT NOT NULL, \
         aggregate_id TEXT NOT NULL, sequence BIGINT NOT NULL)",
    )
    .execute(database.database.pool())
    .await
    .expect("effects table");
    let source: &'static str =
        Box::leak(format!("test{}", uuid::Uuid::new_v4().simple()).into_boxed_str());
    Fixture {
        db: database.database.clone(),
        source,
        handler: RecordingHandler {
            refuse_poison: Arc::new(AtomicBool::new(true)),
        },
        _database: database,
    }
}

impl Fixture {
    fn group(&self) -> String {
        format!("{}.recorder", self.source)
    }

    async fn record(&self, aggregate: &str, thing: &str) {
        let mut tx = self.db.begin().await.expect("begin");
        Outbox::new(self.source)
            .append(
                &mut tx,
                NewEvent::new(
                    "test.thing_happened",
                    "thing",
                    aggregate,
                    &ThingHappened {
                        thing: thing.to_owned(),
                    },
                ),
            )
            .await
            .expect("append");
        tx.commit().await.expect("commit");
    }

    /// Starts a relay and a consumer against `brokers`; stops both when the returned sender fires.
    async fn start(&self, kafka: &KafkaConfig) -> tokio::sync::watch::Sender<bool> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let relay_config = RelayConfig {
            max_backoff: Duration::from_millis(500),
            ..RelayConfig::default()
        };
        let relay = Relay::new(
            self.db.clone(),
            KafkaSink::new(kafka.clone()).expect("sink"),
            "test",
            relay_config,
        );
        let mut relay_stopped = stopped.clone();
        tokio::spawn(relay.run(async move {
            let _ = relay_stopped.wait_for(|stop| *stop).await;
        }));
        let topic = topic_for(self.source);
        let group = self.group();
        let source = KafkaSource::subscribe(kafka, &group, &[&topic])
            .await
            .expect("subscribes");
        let consumer = Consumer::new(
            self.db.clone(),
            source,
            KafkaSink::new(kafka.clone()).expect("dead-letter sink"),
            self.handler.clone(),
            ConsumerConfig::new(group),
        );
        let mut consumer_stopped = stopped;
        tokio::spawn(consumer.run(async move {
            let _ = consumer_stopped.wait_for(|stop| *stop).await;
        }));
        stop
    }

    async fn effect_count(&self) -> i64 {
        sqlx::query("SELECT COUNT(*) AS n FROM effects")
            .fetch_one(self.db.pool())
            .await
            .expect("count")
            .try_get("n")
            .expect("n")
    }

    async fn wait_for_effects(&self, count: i64, within: Duration) {
        let deadline = Instant::now() + within;
        loop {
            let seen = self.effect_count().await;
            if seen >= count {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{seen} of {count} effects after {within:?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// (aggregate, sequence) in arrival order.
    async fn arrivals(&self) -> Vec<(String, i64)> {
        sqlx::query("SELECT aggregate_id, sequence FROM effects ORDER BY arrival")
            .fetch_all(self.db.pool())
            .await
            .expect("effects")
            .iter()
            .map(|row| {
                (
                    row.try_get("aggregate_id").expect("a"),
                    row.try_get("sequence").expect("s"),
                )
            })
            .collect()
    }

    async fn distinct_events(&self) -> i64 {
        sqlx::query("SELECT COUNT(DISTINCT event_id) AS n FROM effects")
            .fetch_one(self.db.pool())
            .await
            .expect("count")
            .try_get("n")
            .expect("n")
    }
}

/// Asserts every aggregate's events arrived in sequence order, with no gap or repeat.
fn assert_in_order_per_aggregate(arrivals: &[(String, i64)]) {
    let mut last: std::collections::HashMap<&str, i64> = std::collections::HashMap::new();
    for (aggregate, sequence) in arrivals {
        let previous = last.insert(aggregate, *sequence).unwrap_or(0);
        assert_eq!(
            *sequence,
            previous + 1,
            "aggregate {aggregate} jumped from {previous} to {sequence}"
        );
    }
}

#[tokio::test]
async fn events_travel_through_kafka_once_each_and_in_order_per_aggregate_across_partitions() {
    let fixture = fixture().await;
    let kafka = KafkaConfig::new(shared_brokers());
    let stop = fixture.start(&kafka).await;

    // 12 aggregates interleaved over 3 partitions.
    for round in 0..10 {
        for aggregate in 0..12 {
            fixture
                .record(&format!("agg-{aggregate}"), &format!("round {round}"))
                .await;
        }
    }
    fixture.wait_for_effects(120, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let _ = stop.send(true);

    assert_eq!(fixture.effect_count().await, 120);
    assert_eq!(fixture.distinct_events().await, 120);
    assert_in_order_per_aggregate(&fixture.arrivals().await);
    tokio::time::sleep(Duration::from_secs(2)).await; // the final commit
    let lag = consumer_lag(&kafka, &fixture.group(), &[&topic_for(fixture.source)])
        .await
        .expect("lag");
    assert_eq!(lag.len(), 3, "{lag:?}");
    assert!(lag.iter().all(|partition| partition.lag == 0), "{lag:?}");
}

#[tokio::test]
async fn a_poison_event_is_dead_lettered_on_kafka_and_replays_after_a_fix() {
    let fixture = fixture().await;
    let kafka = KafkaConfig::new(shared_brokers());
    let stop = fixture.start(&kafka).await;

    fixture.record("a", "poison").await;
    fixture.record("b", "fine").await;
    fixture.wait_for_effects(1, Duration::from_secs(60)).await;
    assert_eq!(fixture.arrivals().await, [("b".to_owned(), 1)]);

    // The poison event may be dead-lettered after the good one took effect (another partition).
    let dlq = dead_letter_topic(&fixture.group());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let lag = consumer_lag(&kafka, "inspector", &[&dlq])
            .await
            .unwrap_or_default();
        if lag
            .iter()
            .map(|partition| partition.high_watermark)
            .sum::<i64>()
            == 1
        {
            break;
        }
        if Instant::now() > deadline {
            let main = consumer_lag(&kafka, &fixture.group(), &[&topic_for(fixture.source)]).await;
            panic!("no dead letter: {lag:?}; main topic: {main:?}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fixture.arrivals().await, [("b".to_owned(), 1)]);

    fixture.handler.refuse_poison.store(false, Ordering::SeqCst);
    let mut dead_letters =
        KafkaSource::subscribe(&kafka, &format!("{}.replay", fixture.group()), &[&dlq])
            .await
            .expect("subscribes");
    let sink = KafkaSink::new(kafka.clone()).expect("sink");
    let replayed = replay_dead_letters(&mut dead_letters, &sink, Duration::from_secs(15))
        .await
        .expect("replays");
    assert_eq!(replayed, 1);
    fixture.wait_for_effects(2, Duration::from_secs(60)).await;
    let _ = stop.send(true);

    let mut arrivals = fixture.arrivals().await;
    arrivals.sort();
    assert_eq!(arrivals, [("a".to_owned(), 1), ("b".to_owned(), 1)]);
}

#[tokio::test]
async fn a_broker_killed_and_restarted_mid_stream_loses_nothing_and_duplicates_no_effect() {
    let fixture = fixture().await;
    let mut broker = PrivateBroker::start();
    let kafka = KafkaConfig {
        partitions: 2,
        ..KafkaConfig::new(broker.brokers())
    };
    let stop = fixture.start(&kafka).await;

    for n in 0..60 {
        fixture.record(&format!("agg-{}", n % 6), "before").await;
    }
    fixture.wait_for_effects(30, Duration::from_secs(60)).await;
    broker.kill();
    // Events recorded while the broker is down wait in the outbox.
    for n in 0..60 {
        fixture.record(&format!("agg-{}", n % 6), "during").await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    broker.restart();

    fixture.wait_for_effects(120, Duration::from_secs(90)).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(true);

    assert_eq!(
        fixture.effect_count().await,
        120,
        "every event took effect exactly once"
    );
    assert_eq!(fixture.distinct_events().await, 120);
    assert_in_order_per_aggregate(&fixture.arrivals().await);
}

/// A source of its own on a fresh topic of `kafka`, and a sink to that topic.
async fn source_and_sink(kafka: &KafkaConfig) -> (KafkaSource, KafkaSink, String) {
    let topic = format!("test{}.v1", uuid::Uuid::new_v4().simple());
    let source = KafkaSource::subscribe(kafka, &format!("{topic}.reader"), &[&topic])
        .await
        .expect("subscribes");
    (source, KafkaSink::new(kafka.clone()).expect("sink"), topic)
}

fn record(topic: &str, payload: &str) -> OutgoingRecord {
    OutgoingRecord {
        topic: topic.to_owned(),
        key: "key".to_owned(),
        payload: payload.as_bytes().to_vec(),
        headers: Vec::new(),
    }
}

async fn send(sink: &KafkaSink, topic: &str, payload: &str) {
    for result in sink.publish(&[record(topic, payload)]).await {
        result.expect("the broker takes the record");
    }
}

async fn receive(source: &mut KafkaSource) -> Delivery {
    tokio::time::timeout(Duration::from_secs(60), source.next())
        .await
        .expect("a delivery within 60 s")
        .expect("a message, not an error")
}

#[tokio::test]
async fn after_a_broker_restart_a_source_reads_the_next_message_not_the_errors_of_the_outage() {
    let mut broker = PrivateBroker::start();
    let kafka = KafkaConfig::new(broker.brokers());
    let (mut source, sink, topic) = source_and_sink(&kafka).await;
    send(&sink, &topic, "before").await;
    let first = receive(&mut source).await;
    source.ack(&first).await.expect("acknowledged");

    broker.kill();
    // Unread, the consumer's reports of the lost connections queue up ahead of any message; a
    // caller backing off on each would wait out one backoff per report once the broker is back.
    tokio::time::sleep(Duration::from_secs(3)).await;
    broker.restart();
    send(&sink, &topic, "after").await;

    assert_eq!(receive(&mut source).await.payload, b"after");
}

#[tokio::test]
async fn with_the_broker_gone_a_source_commits_within_its_deadline_and_lets_go_at_once() {
    let mut broker = PrivateBroker::start();
    let kafka = KafkaConfig::new(broker.brokers());
    let (mut source, sink, topic) = source_and_sink(&kafka).await;
    send(&sink, &topic, "one").await;
    let delivery = receive(&mut source).await;
    source.ack(&delivery).await.expect("acknowledged");

    broker.kill();
    let started = Instant::now();
    // Whether the commit fails or librdkafka gives up first, it returns in time.
    let _ = source.commit().await;
    assert!(
        started.elapsed() < COMMIT_TIMEOUT + Duration::from_secs(2),
        "the commit took {:?}",
        started.elapsed()
    );
    // Closing the consumer (a final commit, leaving the group) cannot finish without the
    // broker; dropping the source must not wait for it.
    let started = Instant::now();
    drop(source);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the drop took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn after_an_outage_longer_than_the_message_timeout_a_sink_delivers_again() {
    let mut broker = PrivateBroker::start();
    let kafka = KafkaConfig::new(broker.brokers());
    let (mut source, sink, topic) = source_and_sink(&kafka).await;
    send(&sink, &topic, "before").await;

    broker.kill();
    // Not acknowledged within the producer's message timeout (15 s), after which librdkafka
    // bumps the producer's epoch by itself.
    let during = [record(&topic, "during")];
    let failed = sink.publish(&during).await;
    assert!(failed[0].is_err(), "{failed:?}");
    broker.restart();

    // Retried as the relay retries, the record gets through once the broker is back.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        match sink.publish(&during).await.pop() {
            Some(Ok(())) => break,
            other => assert!(Instant::now() < deadline, "still failing: {other:?}"),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(receive(&mut source).await.payload, b"before");
    assert_eq!(receive(&mut source).await.payload, b"during");
}
