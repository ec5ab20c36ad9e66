//! Outbox → relay → embedded log → consumer, on PostgreSQL and on SQLite.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use estospaces_events::{
    Consumer, ConsumerConfig, Event, EventHandler, EventLog, EventSink, HandlerError, NewEvent,
    Outbox, OutgoingRecord, Relay, RelayConfig, dead_letter_topic, replay_dead_letters, topic_for,
};
use estospaces_proto::events_v1::DeadLetter;
use estospaces_storage::Database;
use estospaces_testing::{Backend, TestDatabase, on_both_backends};
use prost::Message as _;
use sqlx::{AnyConnection, Row};

/// The payload the tests record.
#[derive(Clone, PartialEq, prost::Message)]
struct ThingHappened {
    #[prost(string, tag = "1")]
    thing: String,
    #[prost(int64, tag = "2")]
    amount: i64,
}

impl prost::Name for ThingHappened {
    const NAME: &'static str = "ThingHappened";
    const PACKAGE: &'static str = "estospaces.test.v1";
}

const OUTBOX: Outbox = Outbox::new("test");

/// Stores each event's effect; refuses events whose thing is "poison" while `refuse_poison`.
#[derive(Clone)]
struct RecordingHandler {
    refuse_poison: Arc<AtomicBool>,
    /// Wants only this aggregate's events, when set.
    only: Option<&'static str>,
}

impl EventHandler for RecordingHandler {
    fn wants(&self, event: &Event) -> bool {
        self.only.is_none_or(|only| event.aggregate_id() == only)
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let payload: ThingHappened = event.payload().map_err(HandlerError::permanent)?;
        if payload.thing == "poison" && self.refuse_poison.load(Ordering::SeqCst) {
            return Err(HandlerError::permanent("poison is not accepted"));
        }
        sqlx::query("INSERT INTO effects (event_id, aggregate_id, sequence, amount) VALUES ($1, $2, $3, $4)")
            .bind(event.event_id())
            .bind(event.aggregate_id())
            .bind(event.envelope.aggregate_sequence)
            .bind(payload.amount)
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}

struct Fixture {
    db: Database,
    log: EventLog,
    _service_db: TestDatabase,
    _dir: tempfile::TempDir,
}

async fn fixture(backend: Backend) -> Fixture {
    let service_db = match backend {
        Backend::Postgres => TestDatabase::postgres(&[estospaces_events::MIGRATIONS]).await,
        Backend::Sqlite => TestDatabase::sqlite(&[estospaces_events::MIGRATIONS]).await,
    }
    .expect("a test database");
    let db = service_db.database.clone();
    sqlx::query(
        "CREATE TABLE effects (event_id TEXT NOT NULL, aggregate_id TEXT NOT NULL, \
         sequence BIGINT NOT NULL, amount BIGINT NOT NULL)",
    )
    .execute(db.pool())
    .await
    .expect("effects table");
    let dir = tempfile::tempdir().expect("temp dir");
    let log = EventLog::open(&dir.path().join("events.db"))
        .await
        .expect("log");
    Fixture {
        db,
        log,
        _service_db: service_db,
        _dir: dir,
    }
}

/// Records `event` in its own transaction, as a service would next to its state change.
async fn record(db: &Database, event: NewEvent) -> String {
    let mut tx = db.begin().await.expect("begin");
    let id = OUTBOX.append(&mut tx, event).await.expect("append");
    tx.commit().await.expect("commit");
    id
}

fn thing(aggregate: &str, thing: &str, amount: i64) -> NewEvent {
    NewEvent::new(
        "test.thing_happened",
        "thing",
        aggregate,
        &ThingHappened {
            thing: thing.to_owned(),
            amount,
        },
    )
}

async fn relay_all(fixture: &Fixture) {
    let relay = Relay::new(
        fixture.db.clone(),
        fixture.log.clone(),
        "test",
        RelayConfig::default(),
    );
    while relay.publish_pending().await.expect("relay round") > 0 {}
}

/// Appends `delivery`'s record to its topic once more.
async fn publish_again(fixture: &Fixture, delivery: &estospaces_events::Delivery) {
    let again = OutgoingRecord {
        topic: delivery.topic.clone(),
        key: delivery.key.clone().unwrap_or_default(),
        payload: delivery.payload.clone(),
        headers: Vec::new(),
    };
    assert!(
        fixture
            .log
            .publish(&[again])
            .await
            .iter()
            .all(Result::is_ok)
    );
}

/// Runs the consumer until `count` effects exist (or panics after a few seconds).
async fn consume_until(fixture: &Fixture, handler: RecordingHandler, count: i64) {
    let source = fixture
        .log
        .subscribe("test.recorder", &[&topic_for("test")]);
    let consumer = Consumer::new(
        fixture.db.clone(),
        source,
        fixture.log.clone(),
        handler,
        ConsumerConfig::new("test.recorder"),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = tokio::spawn(consumer.run(async {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while effects(&fixture.db).await.len() < count as usize {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} effects",
            effects(&fixture.db).await.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Let a possible duplicate land before stopping.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = stop.send(());
    running
        .await
        .expect("joins")
        .expect("the consumer stops cleanly");
}

async fn effects(db: &Database) -> Vec<(String, i64, i64)> {
    sqlx::query(
        "SELECT aggregate_id, sequence, amount FROM effects ORDER BY aggregate_id, sequence",
    )
    .fetch_all(db.pool())
    .await
    .expect("effects")
    .iter()
    .map(|row| {
        (
            row.try_get("aggregate_id").expect("aggregate"),
            row.try_get("sequence").expect("sequence"),
            row.try_get("amount").expect("amount"),
        )
    })
    .collect()
}

fn handler() -> RecordingHandler {
    RecordingHandler {
        refuse_poison: Arc::new(AtomicBool::new(true)),
        only: None,
    }
}

on_both_backends! {
    async fn recorded_events_reach_the_consumer_with_typed_payloads_and_per_aggregate_sequences(backend: Backend) {
        let fixture = fixture(backend).await;
        for amount in 1..=3 {
            record(&fixture.db, thing("a", "apple", amount)).await;
        }
        record(&fixture.db, thing("b", "pear", 10)).await;

        relay_all(&fixture).await;
        consume_until(&fixture, handler(), 4).await;

        assert_eq!(
            effects(&fixture.db).await,
            [("a".into(), 1, 1), ("a".into(), 2, 2), ("a".into(), 3, 3), ("b".into(), 1, 10)]
        );
        let stats = Outbox::stats(&fixture.db).await.expect("stats");
        assert_eq!(stats.pending, 0);
    }

    async fn a_waiting_relay_publishes_an_event_when_it_is_appended_not_at_its_next_look(backend: Backend) {
        let fixture = fixture(backend).await;
        let config = RelayConfig {
            idle_interval: Duration::from_secs(600),
            ..RelayConfig::default()
        };
        let relay = Relay::new(fixture.db.clone(), fixture.log.clone(), "test", config);
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = tokio::spawn(relay.run(async {
            let _ = stopped.await;
        }));
        // Let the relay find the outbox empty and settle into its ten-minute wait.
        tokio::time::sleep(Duration::from_millis(200)).await;

        record(&fixture.db, thing("a", "apple", 1)).await;

        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while Outbox::stats(&fixture.db).await.expect("stats").pending > 0 {
            assert!(
                std::time::Instant::now() < deadline,
                "the event still waits: the append did not wake the relay"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stop.send(()).expect("the relay runs");
        running.await.expect("the relay stops");
    }

    async fn an_event_recorded_in_a_rolled_back_transaction_never_leaves(backend: Backend) {
        let fixture = fixture(backend).await;
        let mut tx = fixture.db.begin().await.expect("begin");
        OUTBOX.append(&mut tx, thing("a", "apple", 1)).await.expect("append");
        tx.rollback().await.expect("rollback");

        assert_eq!(Outbox::stats(&fixture.db).await.expect("stats").pending, 0);
    }

    async fn a_duplicate_delivery_has_no_second_effect(backend: Backend) {
        let fixture = fixture(backend).await;
        record(&fixture.db, thing("a", "apple", 7)).await;
        relay_all(&fixture).await;
        // Deliver the same envelope again, as a broker would after a lost acknowledgement.
        let mut copier = fixture.log.subscribe("test.copier", &[&topic_for("test")]);
        let original = estospaces_events::EventSource::next(&mut copier).await.expect("the event");
        publish_again(&fixture, &original).await;

        consume_until(&fixture, handler(), 1).await;

        assert_eq!(effects(&fixture.db).await, [("a".into(), 1, 7)]);
    }

    async fn a_batch_mixing_processed_and_new_events_handles_only_the_new_ones(backend: Backend) {
        let fixture = fixture(backend).await;
        record(&fixture.db, thing("a", "apple", 1)).await;
        relay_all(&fixture).await;
        consume_until(&fixture, handler(), 1).await;
        // The processed event again, between two new ones: one batch for the restarted consumer.
        let mut reader = fixture.log.subscribe("test.copier", &[&topic_for("test")]);
        let processed = estospaces_events::EventSource::next(&mut reader).await.expect("the event");
        record(&fixture.db, thing("b", "pear", 2)).await;
        relay_all(&fixture).await;
        publish_again(&fixture, &processed).await;
        record(&fixture.db, thing("c", "plum", 3)).await;
        relay_all(&fixture).await;

        consume_until(&fixture, handler(), 3).await;

        assert_eq!(
            effects(&fixture.db).await,
            [("a".into(), 1, 1), ("b".into(), 1, 2), ("c".into(), 1, 3)]
        );
        let claims: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM event_inbox")
            .fetch_one(fixture.db.pool())
            .await
            .expect("inbox");
        assert_eq!(claims, 3);
    }

    async fn events_the_handler_does_not_want_are_passed_over_without_an_inbox_claim(backend: Backend) {
        let fixture = fixture(backend).await;
        record(&fixture.db, thing("b", "pear", 1)).await;
        record(&fixture.db, thing("a", "apple", 2)).await;
        record(&fixture.db, thing("b", "pear", 3)).await;
        relay_all(&fixture).await;

        consume_until(&fixture, RecordingHandler { only: Some("a"), ..handler() }, 1).await;

        assert_eq!(effects(&fixture.db).await, [("a".into(), 1, 2)]);
        let claimed: Vec<String> = sqlx::query_scalar("SELECT event_id FROM event_inbox")
            .fetch_all(fixture.db.pool())
            .await
            .expect("inbox");
        assert_eq!(claimed.len(), 1);
        // All three are acknowledged: a restarted consumer that wants everything sees none.
        let mut rest = fixture.log.subscribe("test.recorder", &[&topic_for("test")]);
        let next = tokio::time::timeout(
            Duration::from_millis(300),
            estospaces_events::EventSource::next(&mut rest),
        )
        .await;
        assert!(next.is_err(), "an event was redelivered: {next:?}");
    }

    async fn a_poison_event_goes_to_the_dead_letter_topic_and_replays_after_a_fix(backend: Backend) {
        let fixture = fixture(backend).await;
        let poison_id = record(&fixture.db, thing("a", "poison", 1)).await;
        record(&fixture.db, thing("b", "pear", 2)).await;
        relay_all(&fixture).await;
        let handler = handler();

        // The poison event does not block the one behind it.
        consume_until(&fixture, handler.clone(), 1).await;
        assert_eq!(effects(&fixture.db).await, [("b".into(), 1, 2)]);
        let mut letters = fixture.log.subscribe("test.inspector", &[&dead_letter_topic("test.recorder")]);
        let letter = estospaces_events::EventSource::next(&mut letters).await.expect("a dead letter");
        let letter = DeadLetter::decode(letter.payload.as_slice()).expect("a DeadLetter");
        assert_eq!(letter.consumer_group, "test.recorder");
        assert_eq!(letter.topic, topic_for("test"));
        assert_eq!(letter.attempts, 1);
        assert!(letter.error.contains("poison is not accepted"), "{}", letter.error);
        assert_eq!(Event::decode(&letter.envelope).expect("envelope").event_id(), poison_id);

        // Fix the handler, replay, and the event takes effect once.
        handler.refuse_poison.store(false, Ordering::SeqCst);
        let mut dead_letters = fixture.log.subscribe("test.replayer", &[&dead_letter_topic("test.recorder")]);
        let replayed = replay_dead_letters(&mut dead_letters, &fixture.log, Duration::from_millis(300))
            .await
            .expect("replays");
        assert_eq!(replayed, 1);
        consume_until(&fixture, handler, 2).await;
        assert_eq!(effects(&fixture.db).await, [("a".into(), 1, 1), ("b".into(), 1, 2)]);
    }
}

#[tokio::test]
async fn a_consumer_restarted_later_resumes_after_the_last_processed_event() {
    let fixture = fixture(Backend::Sqlite).await;
    record(&fixture.db, thing("a", "apple", 1)).await;
    relay_all(&fixture).await;
    consume_until(&fixture, handler(), 1).await;

    record(&fixture.db, thing("a", "apple", 2)).await;
    relay_all(&fixture).await;
    consume_until(&fixture, handler(), 2).await;

    assert_eq!(
        effects(&fixture.db).await,
        [("a".into(), 1, 1), ("a".into(), 2, 2)]
    );
    let positions = fixture.log.group_positions().await.expect("positions");
    assert_eq!(
        positions.get(&("test.recorder".to_owned(), topic_for("test"))),
        Some(&2)
    );
}
