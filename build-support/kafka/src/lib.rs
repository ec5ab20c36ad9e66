//! Kafka as the transport of EstoSpaces events.
//!
//! - [`KafkaSink`]: an idempotent producer with `acks=all`; records of one key keep their order
//!   (same partition, idempotence keeps retries in order) and `Ok` means every in-sync replica
//!   has the record. Topics are created on first use.
//! - [`KafkaSource`]: a consumer-group member that stores an offset only once its message was
//!   processed (`enable.auto.offset.store=false`), commits stored offsets periodically, when
//!   partitions are revoked, and on shutdown (waiting at most [`COMMIT_TIMEOUT`]). While it
//!   lives, a task of its own records the group's lag per topic
//!   (`estospaces_events_consumer_lag`) every few seconds, off the consumer's loop.
//! - [`consumer_lag`]: committed offset against the high watermark, per partition.
//! - [`EventBus`]: Kafka or the embedded log, as a service's configuration says.
//!
//! Every client encrypts and authenticates as the `[kafka]` settings say (see `security.rs`).

#![forbid(unsafe_code)]

mod bus;
mod security;

pub use bus::{BusSink, BusSource, EventBus};

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use estospaces_config::KafkaSecurity;
use estospaces_events::{Delivery, EventSink, EventSource, OutgoingRecord, TransportError};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

/// How a client reaches the cluster.
#[derive(Debug, Clone)]
pub struct KafkaConfig {
    /// Comma-separated bootstrap servers (`ESTOSPACES_KAFKA_BROKERS`).
    pub brokers: String,
    /// Partitions for topics this client creates.
    pub partitions: i32,
    /// Replication factor for topics this client creates.
    pub replication: i32,
    /// TLS and SASL (`ESTOSPACES_KAFKA__*`); plaintext without credentials by default.
    pub security: KafkaSecurity,
}

impl KafkaConfig {
    pub fn new(brokers: impl Into<String>) -> Self {
        Self {
            brokers: brokers.into(),
            partitions: 3,
            replication: 1,
            security: KafkaSecurity::default(),
        }
    }

    /// The same brokers, reached with `security`.
    pub fn with_security(self, security: KafkaSecurity) -> Self {
        Self { security, ..self }
    }

    /// The settings every client starts from: producers, consumers and admin clients alike.
    fn client(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", &self.brokers);
        // Reconnect to a broker that is back within a second, not librdkafka's 10 s.
        config.set("reconnect.backoff.max.ms", "1000");
        security::apply(&mut config, &self.security);
        config
    }
}

fn broker_error(err: KafkaError) -> TransportError {
    TransportError::Broker(err.to_string())
}

/// Creates `topics` unless they exist.
pub async fn ensure_topics(config: &KafkaConfig, topics: &[&str]) -> Result<(), TransportError> {
    let admin: AdminClient<DefaultClientContext> =
        config.client().create().map_err(broker_error)?;
    let new_topics: Vec<NewTopic<'_>> = topics
        .iter()
        .map(|topic| {
            NewTopic::new(
                topic,
                config.partitions,
                TopicReplication::Fixed(config.replication),
            )
        })
        .collect();
    let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
    for result in admin
        .create_topics(&new_topics, &options)
        .await
        .map_err(broker_error)?
    {
        match result {
            Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((topic, code)) => {
                return Err(TransportError::Broker(format!(
                    "creating topic {topic}: {code}"
                )));
            }
        }
    }
    Ok(())
}

/// Publishes events to Kafka.
pub struct KafkaSink {
    /// Replaced by a new producer after an error that leaves it unable to go on (see
    /// [`needs_new_producer`]); cloning one is cheap.
    producer: Mutex<FutureProducer>,
    config: KafkaConfig,
    known_topics: Mutex<HashSet<String>>,
}

impl std::fmt::Debug for KafkaSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSink")
            .field("brokers", &self.config.brokers)
            .finish_non_exhaustive()
    }
}

impl KafkaSink {
    pub fn new(config: KafkaConfig) -> Result<Self, TransportError> {
        Ok(Self {
            producer: Mutex::new(Self::producer(&config)?),
            config,
            known_topics: Mutex::new(HashSet::new()),
        })
    }

    fn producer(config: &KafkaConfig) -> Result<FutureProducer, TransportError> {
        config
            .client()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            // Small batches, sent soon: latency matters more than throughput here.
            .set("linger.ms", "5")
            // A record not acknowledged within this time fails; the relay retries it later.
            .set("message.timeout.ms", "15000")
            .set("compression.type", "lz4")
            .create()
            .map_err(broker_error)
    }

    /// Starts over with a new producer, which gets a new producer id from the broker.
    fn renew_producer(&self) {
        match Self::producer(&self.config) {
            Ok(producer) => {
                tracing::info!("replacing the Kafka producer after a delivery failure");
                *self
                    .producer
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner()) = producer;
            }
            Err(err) => tracing::warn!("creating a new Kafka producer: {err}"),
        }
    }

    async fn ensure(&self, records: &[OutgoingRecord]) -> Result<(), TransportError> {
        let missing: Vec<String> = {
            let known = self
                .known_topics
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let mut missing: Vec<String> = records
                .iter()
                .filter(|record| !known.contains(&record.topic))
                .map(|record| record.topic.clone())
                .collect();
            missing.sort();
            missing.dedup();
            missing
        };
        if missing.is_empty() {
            return Ok(());
        }
        let topics: Vec<&str> = missing.iter().map(String::as_str).collect();
        ensure_topics(&self.config, &topics).await?;
        self.known_topics
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .extend(missing);
        Ok(())
    }
}

impl EventSink for KafkaSink {
    async fn publish(&self, records: &[OutgoingRecord]) -> Vec<Result<(), TransportError>> {
        if let Err(err) = self.ensure(records).await {
            let message = err.to_string();
            return records
                .iter()
                .map(|_| Err(TransportError::Broker(message.clone())))
                .collect();
        }
        let producer = self
            .producer
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone();
        // Enqueue everything first so the batch is pipelined, then wait for each ack in order.
        let mut deliveries = Vec::with_capacity(records.len());
        for record in records {
            let mut headers = OwnedHeaders::new_with_capacity(record.headers.len());
            for (key, value) in &record.headers {
                headers = headers.insert(Header {
                    key,
                    value: Some(value.as_bytes()),
                });
            }
            let future_record = FutureRecord::to(&record.topic)
                .key(&record.key)
                .payload(&record.payload)
                .headers(headers);
            deliveries.push(producer.send_result(future_record));
        }
        let mut results = Vec::with_capacity(records.len());
        let mut renew = false;
        for delivery in deliveries {
            let result = match delivery {
                Ok(future) => match future.await {
                    Ok(Ok(_)) => Ok(()),
                    Ok(Err((err, _))) => Err(err),
                    Err(_) => Err(KafkaError::Canceled), // the producer was dropped
                },
                Err((err, _)) => Err(err),
            };
            if let Err(err) = &result {
                renew |= needs_new_producer(err);
            }
            results.push(result.map_err(broker_error));
        }
        if renew || producer.client().fatal_error().is_some() {
            self.renew_producer();
        }
        results
    }
}

/// Whether the idempotent producer cannot go on after `err`. When a record times out,
/// librdkafka bumps the producer's epoch by itself; a broker that does not follow (tansu
/// restarted after an outage longer than `message.timeout.ms`) then refuses every later record
/// with an unknown error, and librdkafka bumps the epoch again. A broker may also refuse the
/// producer's id, epoch or sequence outright. A new producer starts over with a new id.
fn needs_new_producer(err: &KafkaError) -> bool {
    matches!(
        err,
        KafkaError::MessageProduction(
            RDKafkaErrorCode::MessageTimedOut
                | RDKafkaErrorCode::Unknown
                | RDKafkaErrorCode::UnknownProducerId
                | RDKafkaErrorCode::OutOfOrderSequenceNumber
                | RDKafkaErrorCode::InvalidProducerEpoch
                | RDKafkaErrorCode::Fatal
        )
    )
}

/// Commits stored offsets before partitions are taken away, so the next owner starts right
/// after the last processed message instead of reprocessing up to the last periodic commit.
#[derive(Debug)]
pub struct CommitOnRevoke;

impl ClientContext for CommitOnRevoke {}

impl ConsumerContext for CommitOnRevoke {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(_) = rebalance {
            match consumer.commit_consumer_state(CommitMode::Sync) {
                Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)) => {}
                Err(err) => tracing::warn!("committing before a rebalance: {err}"),
            }
        }
    }
}

/// How long [`KafkaSource::commit`] waits for the group coordinator.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(5);

/// One member of a consumer group.
///
/// librdkafka waits for the group coordinator with no deadline when a synchronous commit or a
/// consumer's close cannot reach it, so both run on threads of their own: a commit is abandoned
/// after [`COMMIT_TIMEOUT`], and a dropped source closes its consumer in the background, so
/// neither an async worker nor the process's exit waits for a broker that is gone.
pub struct KafkaSource {
    /// Always `Some` until dropped.
    consumer: Option<Arc<StreamConsumer<CommitOnRevoke>>>,
    config: KafkaConfig,
    group: String,
    topics: Vec<String>,
    stall: StallWatch,
    /// Measures the group's lag (`estospaces_events_consumer_lag`) while the source lives.
    lag_task: tokio::task::JoinHandle<()>,
}

/// How long `next` waits for a message before it looks at the group's health.
const STALL_CHECK: Duration = Duration::from_secs(1);
/// How long a member may hold no partitions while the group's committed offsets stand still
/// behind waiting messages before it rejoins.
const STALL_AFTER: Duration = Duration::from_secs(3);

/// What the stall check remembers between looks: since when this member holds no partitions,
/// and the committed offsets of the partitions that had messages waiting.
#[derive(Debug, Default)]
struct StallWatch {
    unassigned_since: Option<std::time::Instant>,
    waiting: Option<Vec<(String, i32, Option<i64>)>>,
}

impl std::fmt::Debug for KafkaSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KafkaSource").finish_non_exhaustive()
    }
}

impl KafkaSource {
    /// Joins `group` and subscribes to `topics` (created if missing), reading from the
    /// beginning when the group has no committed offset.
    pub async fn subscribe(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
    ) -> Result<Self, TransportError> {
        ensure_topics(config, topics).await?;
        let consumer = Self::join(config, group, topics)?;
        estospaces_events::consumer::register_consumer_metrics(group, topics);
        let topics: Vec<String> = topics.iter().map(|topic| (*topic).to_owned()).collect();
        let lag_task = tokio::spawn(watch_lag(config.clone(), group.to_owned(), topics.clone()));
        Ok(Self {
            consumer: Some(Arc::new(consumer)),
            config: config.clone(),
            group: group.to_owned(),
            topics,
            stall: StallWatch::default(),
            lag_task,
        })
    }

    fn join(
        config: &KafkaConfig,
        group: &str,
        topics: &[&str],
    ) -> Result<StreamConsumer<CommitOnRevoke>, TransportError> {
        let consumer: StreamConsumer<CommitOnRevoke> = config
            .client()
            .set("group.id", group)
            .set("enable.auto.commit", "true")
            .set("auto.commit.interval.ms", "1000")
            // Stored only after processing: a crash replays unprocessed messages, never skips.
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            // The least brokers accept: a crashed member's partitions move to the others (or
            // to its restarted self) after 6 s (librdkafka defaults to 45).
            .set("session.timeout.ms", "6000")
            // A broker may hold a fetch for this long when it has little data. librdkafka's 500 ms
            // default adds up to half a second to every event on a quiet topic; 10 ms keeps
            // end-to-end latency in the tens of milliseconds (docs/benchmarks.md).
            .set("fetch.wait.max.ms", "10")
            // Notice new partitions and topics within seconds rather than librdkafka's 5 minutes.
            .set("topic.metadata.refresh.interval.ms", "10000")
            .create_with_context(CommitOnRevoke)
            .map_err(broker_error)?;
        consumer.subscribe(topics).map_err(broker_error)?;
        Ok(consumer)
    }

    /// Looks for a group that has messages waiting but nobody reading them while this member
    /// holds no partitions, and rejoins when it finds one.
    ///
    /// tansu 0.6 forms such a group when a member restarts just before its dead predecessor's
    /// session expires: the newcomer joins as the follower of the dead leader, and when the
    /// leader expires it is let through SyncGroup with an empty assignment, which the group
    /// keeps, heartbeats included, until some member leaves (see docs/booking.md, "Crash
    /// recovery"). Leaving and joining again makes this member the leader, with every partition.
    async fn check_stall(&mut self) -> Result<(), TransportError> {
        let assigned = self
            .consumer()
            .assignment()
            .map_or(0, |partitions| partitions.count());
        if assigned > 0 {
            self.stall = StallWatch::default();
            return Ok(());
        }
        let since = *self
            .stall
            .unassigned_since
            .get_or_insert_with(std::time::Instant::now);
        if since.elapsed() < STALL_AFTER {
            return Ok(());
        }
        let topics: Vec<&str> = self.topics.iter().map(String::as_str).collect();
        let lags = consumer_lag(&self.config, &self.group, &topics).await?;
        let waiting: Vec<_> = lags
            .into_iter()
            .filter(|lag| lag.lag > 0)
            .map(|lag| (lag.topic, lag.partition, lag.committed))
            .collect();
        let stalled = !waiting.is_empty() && self.stall.waiting.as_ref() == Some(&waiting);
        self.stall.waiting = Some(waiting);
        if !stalled {
            return Ok(());
        }
        tracing::warn!(
            group = %self.group,
            "messages are waiting but no member reads them: leaving and rejoining the group"
        );
        if let Some(old) = self.consumer.take() {
            // Closing sends LeaveGroup; the new member must not join before the old one left.
            let closed = tokio::task::spawn_blocking(move || drop(old));
            if tokio::time::timeout(COMMIT_TIMEOUT, closed).await.is_err() {
                tracing::warn!(group = %self.group, "closing the stalled consumer took too long");
            }
        }
        // Creating a client and subscribing fail only on bad settings, which worked a moment ago.
        let consumer = loop {
            match Self::join(&self.config, &self.group, &topics) {
                Ok(consumer) => break consumer,
                Err(err) => {
                    tracing::warn!(group = %self.group, "rejoining: {err}");
                    tokio::time::sleep(STALL_CHECK).await;
                }
            }
        };
        self.consumer = Some(Arc::new(consumer));
        self.stall = StallWatch::default();
        Ok(())
    }

    fn consumer(&self) -> &Arc<StreamConsumer<CommitOnRevoke>> {
        self.consumer
            .as_ref()
            .expect("a source has its consumer until dropped")
    }
}

impl Drop for KafkaSource {
    fn drop(&mut self) {
        self.lag_task.abort();
        if let Some(consumer) = self.consumer.take() {
            // Closing commits and leaves the group, waiting for the coordinator with no deadline.
            let closing = std::thread::Builder::new()
                .name("kafka-close".to_owned())
                .spawn(move || drop(consumer));
            if let Err(err) = closing {
                tracing::warn!("closing a consumer in the background: {err}");
            }
        }
    }
}

/// Errors librdkafka reports while it reconnects by itself. They are queued ahead of messages
/// and read one at a time, so a caller that backed off on each would, after an outage, wait out
/// one backoff per error queued during it before the first message.
fn is_reconnecting(err: &KafkaError) -> bool {
    matches!(
        err,
        KafkaError::MessageConsumption(
            RDKafkaErrorCode::BrokerTransportFailure
                | RDKafkaErrorCode::AllBrokersDown
                | RDKafkaErrorCode::Resolve
        )
    )
}

impl EventSource for KafkaSource {
    async fn next(&mut self) -> Result<Delivery, TransportError> {
        loop {
            let received = match tokio::time::timeout(STALL_CHECK, self.consumer().recv()).await {
                Ok(Ok(message)) => Ok(delivery(&message)),
                // Already logged by the client; librdkafka paces its reconnection attempts.
                Ok(Err(err)) if is_reconnecting(&err) => {
                    tracing::debug!("reading events: {err}");
                    continue;
                }
                Ok(Err(err)) => Err(broker_error(err)),
                // `recv` is cancellation safe: nothing is lost by looking at the group.
                Err(_) => {
                    if let Err(err) = self.check_stall().await {
                        tracing::debug!(group = %self.group, "checking the group: {err}");
                    }
                    continue;
                }
            };
            self.stall = StallWatch::default();
            return received;
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), TransportError> {
        // librdkafka commits `offset + 1`: the next message to read.
        self.consumer()
            .store_offset(&delivery.topic, delivery.partition, delivery.offset)
            .map_err(broker_error)
    }

    async fn commit(&mut self) -> Result<(), TransportError> {
        let consumer = Arc::clone(self.consumer());
        let (done, result) = tokio::sync::oneshot::channel();
        std::thread::Builder::new()
            .name("kafka-commit".to_owned())
            .spawn(move || {
                let _ = done.send(consumer.commit_consumer_state(CommitMode::Sync));
            })
            .map_err(|err| TransportError::Broker(format!("starting a commit: {err}")))?;
        match tokio::time::timeout(COMMIT_TIMEOUT, result).await {
            Ok(Ok(Ok(()) | Err(KafkaError::ConsumerCommit(RDKafkaErrorCode::NoOffset)))) => Ok(()),
            Ok(Ok(Err(err))) => Err(broker_error(err)),
            Ok(Err(_)) => Err(TransportError::Broker("the commit thread died".to_owned())),
            Err(_) => Err(TransportError::Broker(format!(
                "the group coordinator did not answer a commit within {COMMIT_TIMEOUT:?}"
            ))),
        }
    }
}

/// A received message as the event runtime sees it.
fn delivery(message: &impl Message) -> Delivery {
    Delivery {
        topic: message.topic().to_owned(),
        partition: message.partition(),
        offset: message.offset(),
        key: message
            .key()
            .map(|key| String::from_utf8_lossy(key).into_owned()),
        payload: message.payload().unwrap_or_default().to_vec(),
    }
}

/// Every record on `topic`, from the beginning of each partition, read without joining a group
/// (so nothing is committed): for inspecting dead letters. Stops after `idle` without records.
pub async fn read_topic(
    config: &KafkaConfig,
    topic: &str,
    idle: Duration,
) -> Result<Vec<Delivery>, TransportError> {
    let consumer: StreamConsumer = config
        .client()
        .set("group.id", "estospaces-inspector")
        .set("enable.auto.commit", "false")
        .create()
        .map_err(broker_error)?;
    let metadata = consumer
        .fetch_metadata(None, Duration::from_secs(10))
        .map_err(broker_error)?;
    let mut assignment = TopicPartitionList::new();
    for found in metadata
        .topics()
        .iter()
        .filter(|found| found.name() == topic)
    {
        for partition in found.partitions() {
            assignment
                .add_partition_offset(topic, partition.id(), Offset::Beginning)
                .map_err(broker_error)?;
        }
    }
    if assignment.count() == 0 {
        return Ok(Vec::new());
    }
    consumer.assign(&assignment).map_err(broker_error)?;
    let mut records = Vec::new();
    while let Ok(message) = tokio::time::timeout(idle, consumer.recv()).await {
        let message = message.map_err(broker_error)?;
        records.push(delivery(&message));
    }
    Ok(records)
}

/// One partition's consumer lag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// The group's committed offset (the next message it will read), if any.
    pub committed: Option<i64>,
    /// The offset the next produced message will get.
    pub high_watermark: i64,
    /// Messages not yet processed by the group.
    pub lag: i64,
}

/// The lag of `group` on each partition of `topics` (topics that do not exist have none).
pub async fn consumer_lag(
    config: &KafkaConfig,
    group: &str,
    topics: &[&str],
) -> Result<Vec<PartitionLag>, TransportError> {
    let config = config.clone();
    let group = group.to_owned();
    let topics: Vec<String> = topics.iter().map(|topic| (*topic).to_owned()).collect();
    // librdkafka's metadata and offset calls block: keep them off the async workers.
    tokio::task::spawn_blocking(move || partition_lags(&lag_client(&config, &group)?, &topics))
        .await
        .map_err(|err| TransportError::Broker(format!("lag task failed: {err}")))?
}

/// A client that reads `group`'s committed offsets without joining it.
fn lag_client(config: &KafkaConfig, group: &str) -> Result<BaseConsumer, TransportError> {
    config
        .client()
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .map_err(broker_error)
}

/// The lag of `consumer`'s group on each partition of `topics`. Blocks.
fn partition_lags(
    consumer: &BaseConsumer,
    topics: &[String],
) -> Result<Vec<PartitionLag>, TransportError> {
    let timeout = Duration::from_secs(10);
    let mut partitions = TopicPartitionList::new();
    for topic in topics {
        let metadata = consumer
            .fetch_metadata(Some(topic), timeout)
            .map_err(broker_error)?;
        for topic_metadata in metadata.topics() {
            for partition in topic_metadata.partitions() {
                partitions.add_partition(topic, partition.id());
            }
        }
    }
    let committed = consumer
        .committed_offsets(partitions, timeout)
        .map_err(broker_error)?;
    let mut lags = Vec::new();
    for element in committed.elements() {
        let (_, high) = consumer
            .fetch_watermarks(element.topic(), element.partition(), timeout)
            .map_err(broker_error)?;
        let committed = match element.offset() {
            Offset::Offset(offset) => Some(offset),
            _ => None,
        };
        lags.push(PartitionLag {
            topic: element.topic().to_owned(),
            partition: element.partition(),
            committed,
            high_watermark: high,
            lag: high - committed.unwrap_or(0),
        });
    }
    Ok(lags)
}

/// Records `group`'s lag on each of `topics`, summed over partitions, every
/// [`estospaces_events::consumer::LAG_INTERVAL`], with one client of its own, off the consumer's
/// loop and the async workers.
async fn watch_lag(config: KafkaConfig, group: String, topics: Vec<String>) {
    let mut every = tokio::time::interval(estospaces_events::consumer::LAG_INTERVAL);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut client: Option<Arc<BaseConsumer>> = None;
    loop {
        every.tick().await;
        let current = match &client {
            Some(client) => Arc::clone(client),
            None => match lag_client(&config, &group) {
                Ok(created) => Arc::clone(client.insert(Arc::new(created))),
                Err(err) => {
                    tracing::debug!(%group, "creating the lag client: {err}");
                    continue;
                }
            },
        };
        let measured = {
            let topics = topics.clone();
            tokio::task::spawn_blocking(move || partition_lags(&current, &topics)).await
        };
        match measured {
            Ok(Ok(lags)) => {
                for topic in &topics {
                    let lag: i64 = lags
                        .iter()
                        .filter(|lag| &lag.topic == topic)
                        .map(|lag| lag.lag.max(0))
                        .sum();
                    estospaces_events::consumer::record_consumer_lag(&group, topic, lag);
                }
            }
            Ok(Err(err)) => tracing::debug!(%group, "measuring consumer lag: {err}"),
            Err(err) => tracing::debug!(%group, "the lag task failed: {err}"),
        }
    }
}
