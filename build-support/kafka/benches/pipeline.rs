//! Outbox → relay → Kafka → consumer, end to end, on the local broker and PostgreSQL.
//!
//! ```text
//! build-support/dev/services.sh up
//! cargo bench -p estospaces-kafka --bench pipeline
//! ```
//!
//! Phase 1 records 1,000 events/s (one transaction per event, as a service would) for 15 s and
//! reports the end-to-end latency from commit to the consumer's handler. Phase 2 records 10,000
//! events as fast as one writer can and reports how fast they come out the other side.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use estospaces_events::{
    Consumer, ConsumerConfig, Event, EventHandler, HandlerError, NewEvent, Outbox, Relay,
    RelayConfig, topic_for,
};
use estospaces_kafka::{KafkaConfig, KafkaSink, KafkaSource};
use estospaces_storage::Database;
use estospaces_storage::testing::TestDatabase;
use sqlx::AnyConnection;

#[derive(Clone, PartialEq, prost::Message)]
struct Stamped {
    /// When the event's transaction committed, in Unix microseconds.
    #[prost(int64, tag = "1")]
    committed_at_micros: i64,
}

impl prost::Name for Stamped {
    const NAME: &'static str = "Stamped";
    const PACKAGE: &'static str = "estospaces.bench.v1";
}

fn now_micros() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_micros() as i64)
}

#[derive(Clone, Default)]
struct LatencyRecorder {
    latencies_micros: Arc<Mutex<Vec<i64>>>,
}

impl EventHandler for LatencyRecorder {
    async fn handle(&self, _tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let stamped: Stamped = event.payload().map_err(HandlerError::permanent)?;
        let latency = now_micros() - stamped.committed_at_micros;
        self.latencies_micros
            .lock()
            .expect("not poisoned")
            .push(latency);
        Ok(())
    }
}

impl LatencyRecorder {
    fn count(&self) -> usize {
        self.latencies_micros.lock().expect("not poisoned").len()
    }

    fn take(&self) -> Vec<i64> {
        std::mem::take(&mut *self.latencies_micros.lock().expect("not poisoned"))
    }

    async fn wait_for(&self, count: usize) {
        let deadline = Instant::now() + Duration::from_secs(300);
        while self.count() < count {
            assert!(
                Instant::now() < deadline,
                "only {} of {count} events arrived",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

async fn record(db: &Database, outbox: Outbox, aggregate: u64) {
    let mut tx = db.pool().begin().await.expect("begin");
    let stamped = Stamped {
        committed_at_micros: now_micros(),
    };
    outbox
        .append(
            &mut tx,
            NewEvent::new(
                "bench.stamped",
                "thing",
                format!("agg-{}", aggregate % 64),
                &stamped,
            ),
        )
        .await
        .expect("append");
    tx.commit().await.expect("commit");
}

fn percentile(sorted: &[i64], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index] as f64 / 1000.0
}

#[tokio::main]
async fn main() {
    let brokers = std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS")
        .unwrap_or_else(|_| "127.0.0.1:9092".to_owned());
    let kafka = KafkaConfig::new(brokers);
    let database = TestDatabase::postgres(&[estospaces_events::MIGRATIONS])
        .await
        .expect("database");
    let db = database.database.clone();
    let source: &'static str =
        Box::leak(format!("bench{}", uuid::Uuid::new_v4().simple()).into_boxed_str());
    let outbox = Outbox::new(source);

    let relay = Relay::new(
        db.clone(),
        KafkaSink::new(kafka.clone()).expect("sink"),
        source,
        RelayConfig::default(),
    );
    tokio::spawn(relay.run(std::future::pending()));
    let recorder = LatencyRecorder::default();
    let group = format!("{source}.bench");
    let consumer_source = KafkaSource::subscribe(&kafka, &group, &[&topic_for(source)])
        .await
        .expect("subscribe");
    let consumer = Consumer::new(
        db.clone(),
        consumer_source,
        KafkaSink::new(kafka.clone()).expect("dead letters"),
        recorder.clone(),
        ConsumerConfig::new(group),
    );
    tokio::spawn(consumer.run(std::future::pending()));

    // Warm up: topic creation, group join, connections.
    record(&db, outbox, 0).await;
    recorder.wait_for(1).await;
    recorder.take();

    // Phase 1: a steady rate (`BENCH_RATE`, default 1,000 events/s).
    let rate: u64 = std::env::var("BENCH_RATE")
        .ok()
        .and_then(|rate| rate.parse().ok())
        .unwrap_or(1_000);
    let seconds = 15;
    let started = Instant::now();
    let mut ticker = tokio::time::interval(Duration::from_millis(10));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    // 100 ticks a second, rate / 100 events each.
    for tick in 0..(100 * seconds) {
        ticker.tick().await;
        for n in 0..rate / 100 {
            record(&db, outbox, tick * rate / 100 + n).await;
        }
    }
    let recorded_in = started.elapsed();
    recorder.wait_for((rate * seconds) as usize).await;
    let mut latencies = recorder.take();
    latencies.sort_unstable();
    println!(
        "steady: {} events recorded in {:.1}s ({:.0}/s); end-to-end latency p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        recorded_in.as_secs_f64(),
        latencies.len() as f64 / recorded_in.as_secs_f64(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.90),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0),
    );

    // Phase 2: as fast as one writer goes.
    let burst: u64 = 10_000;
    let started = Instant::now();
    for n in 0..burst {
        record(&db, outbox, n).await;
    }
    let recorded_in = started.elapsed();
    recorder.wait_for(burst as usize).await;
    let delivered_in = started.elapsed();
    println!(
        "burst: {burst} events recorded in {:.1}s ({:.0}/s), all consumed after {:.1}s ({:.0}/s end to end)",
        recorded_in.as_secs_f64(),
        burst as f64 / recorded_in.as_secs_f64(),
        delivered_in.as_secs_f64(),
        burst as f64 / delivered_in.as_secs_f64(),
    );
}
