//! The `estospaces-events` command against the embedded log and a SQLite outbox.

use std::path::Path;
use std::process::Command;

use estospaces_events::{
    EventLog, EventSink, NewEvent, Outbox, OutgoingRecord, dead_letter_topic, topic_for,
};
use estospaces_proto::events_v1::{DeadLetter, EventEnvelope};
use estospaces_storage::testing::TestDatabase;
use prost::Message as _;

const BINARY: &str = env!("CARGO_BIN_EXE_estospaces-events");

fn run(args: &[&str], log: &Path) -> String {
    let output = Command::new(BINARY)
        .args(args)
        .arg("--log")
        .arg(log)
        .env_remove("ESTOSPACES_KAFKA_BROKERS")
        .output()
        .expect("the command runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("utf-8")
}

#[tokio::test]
async fn dead_letters_are_listed_with_their_error_and_replayed_once_to_their_topic() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("events.db");
    let log = EventLog::open(&path).await.expect("log");
    let envelope = EventEnvelope {
        event_id: "0190f5c6-0000-7000-8000-000000000001".to_owned(),
        event_type: "property.listed".to_owned(),
        aggregate_id: "p-1".to_owned(),
        ..EventEnvelope::default()
    };
    let letter = DeadLetter {
        envelope: envelope.encode_to_vec(),
        consumer_group: "search.indexer".to_owned(),
        topic: topic_for("property"),
        error: "index is read-only".to_owned(),
        attempts: 5,
        ..DeadLetter::default()
    };
    let record = OutgoingRecord {
        topic: dead_letter_topic("search.indexer"),
        key: "p-1".to_owned(),
        payload: letter.encode_to_vec(),
        headers: Vec::new(),
    };
    assert!(log.publish(&[record]).await.iter().all(Result::is_ok));

    let listed = run(&["dlq", "list", "--group", "search.indexer"], &path);
    assert!(
        listed.contains("property.listed 0190f5c6-0000-7000-8000-000000000001 (p-1)"),
        "{listed}"
    );
    assert!(
        listed.contains("5 attempt(s): index is read-only"),
        "{listed}"
    );
    assert!(listed.contains("1 dead letter(s)"), "{listed}");

    assert!(run(&["dlq", "replay", "--group", "search.indexer"], &path).contains("replayed 1"));
    assert!(run(&["dlq", "replay", "--group", "search.indexer"], &path).contains("replayed 0"));
    let replayed = log.read(&topic_for("property"), 0, 10).await.expect("read");
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0].payload, envelope.encode_to_vec());

    let lag = run(
        &[
            "lag",
            "--group",
            "search.indexer",
            "--topic",
            &topic_for("property"),
        ],
        &path,
    );
    assert!(
        lag.lines()
            .any(|line| line.starts_with("estospaces.property.v1") && line.ends_with(" 1")),
        "{lag}"
    );
}

#[tokio::test]
async fn the_outbox_command_reports_the_backlog() {
    let database = TestDatabase::sqlite(&[estospaces_events::MIGRATIONS])
        .await
        .expect("database");
    let mut tx = database.database.pool().begin().await.expect("begin");
    let payload = EventEnvelope::default();
    Outbox::new("test")
        .append(
            &mut tx,
            NewEvent::new("test.happened", "thing", "t-1", &payload),
        )
        .await
        .expect("append");
    tx.commit().await.expect("commit");

    let output = Command::new(BINARY)
        .args(["outbox", "--database-url", &database.url])
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.starts_with("pending 1  oldest "), "{stdout}");
}
