//! The embedded log's readers: woken by appends to their own topics, through any handle on the
//! file, and writing acknowledged positions once per read.

use std::time::{Duration, Instant};

use estospaces_events::{EventLog, EventSink, EventSource, OutgoingRecord};

/// Well under the readers' periodic look (1 s): an answer this fast came from a wake-up.
const WOKEN_WITHIN: Duration = Duration::from_millis(500);

fn record(topic: &str, payload: &str) -> OutgoingRecord {
    OutgoingRecord {
        topic: topic.to_owned(),
        key: "key".to_owned(),
        payload: payload.as_bytes().to_vec(),
        headers: Vec::new(),
    }
}

async fn publish(log: &EventLog, records: &[OutgoingRecord]) {
    for result in log.publish(records).await {
        result.expect("published");
    }
}

async fn open(dir: &tempfile::TempDir) -> EventLog {
    EventLog::open(&dir.path().join("events.db"))
        .await
        .expect("log")
}

#[tokio::test]
async fn a_waiting_reader_is_woken_by_an_append_to_its_topic_through_another_handle() {
    let dir = tempfile::tempdir().expect("temp dir");
    let reading = open(&dir).await;
    let writing = open(&dir).await;
    let mut source = reading.subscribe("g", &["a"]);
    let waiting = tokio::spawn(async move {
        let delivery = source.next().await.expect("a delivery");
        (delivery, Instant::now())
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let appended = Instant::now();
    publish(&writing, &[record("a", "first")]).await;
    let (delivery, received) = waiting.await.expect("reader");
    assert_eq!(delivery.payload, b"first");
    assert!(
        received - appended < WOKEN_WITHIN,
        "woken after {:?}",
        received - appended
    );
}

#[tokio::test]
async fn a_reader_gets_only_its_own_topics_in_log_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir).await;
    let mut source = log.subscribe("g", &["a", "c"]);
    publish(
        &log,
        &[
            record("a", "1"),
            record("b", "2"),
            record("c", "3"),
            record("a", "4"),
        ],
    )
    .await;
    let mut payloads = Vec::new();
    for _ in 0..3 {
        let delivery = tokio::time::timeout(WOKEN_WITHIN, source.next())
            .await
            .expect("in time")
            .expect("a delivery");
        payloads.push(String::from_utf8(delivery.payload).expect("utf-8"));
    }
    assert_eq!(payloads, ["1", "3", "4"]);
    assert!(
        tokio::time::timeout(Duration::from_millis(300), source.next())
            .await
            .is_err(),
        "topic b's record was delivered"
    );
}

#[tokio::test]
async fn acknowledged_positions_are_written_when_the_reader_reads_on_or_commits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir).await;
    publish(
        &log,
        &[record("a", "1"), record("a", "2"), record("a", "3")],
    )
    .await;
    let mut source = log.subscribe("g", &["a"]);
    let first = source.next().await.expect("first");
    let second = source.next().await.expect("second");
    source.ack(&first).await.expect("ack");
    source.ack(&second).await.expect("ack");
    assert_eq!(log.lag("g", "a").await.expect("lag"), 3, "written per ack");

    // The third was read with the others; asking for more writes what was acknowledged.
    let third = source.next().await.expect("third");
    assert_eq!(third.payload, b"3");
    assert!(
        tokio::time::timeout(Duration::from_millis(100), source.next())
            .await
            .is_err()
    );
    assert_eq!(log.lag("g", "a").await.expect("lag"), 1);

    source.ack(&third).await.expect("ack");
    source.commit().await.expect("commit");
    assert_eq!(log.lag("g", "a").await.expect("lag"), 0);
}

#[tokio::test]
async fn a_reader_dropped_before_writing_its_acknowledgements_redelivers_them() {
    let dir = tempfile::tempdir().expect("temp dir");
    let log = open(&dir).await;
    publish(&log, &[record("a", "1"), record("a", "2")]).await;
    let mut source = log.subscribe("g", &["a"]);
    let first = source.next().await.expect("first");
    source.ack(&first).await.expect("ack");
    drop(source);

    let mut again = log.subscribe("g", &["a"]);
    let delivery = again.next().await.expect("redelivered");
    assert_eq!(delivery.payload, b"1", "the consumers' inbox skips it");
}
