//! The consumer runtime: idempotent handlers, retries, dead letters, clean shutdown.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::time::{Duration, SystemTime};

use estospaces_proto::events_v1::DeadLetter;
use estospaces_storage::{Database, unix_micros};
use prost::Message;
use sqlx::AnyConnection;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use crate::envelope::{DecodeError, Event, dead_letter_topic};
use crate::outbox::jittered;
use crate::transport::{Delivery, EventSink, EventSource, OutgoingRecord, TransportError};

/// Why a handler failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// Worth retrying: a dependency is down, a lock timed out.
    #[error("transient: {0}")]
    Transient(Box<dyn std::error::Error + Send + Sync>),
    /// Retrying cannot help: the event is malformed or violates an invariant. It goes to the
    /// dead-letter topic at once.
    #[error("permanent: {0}")]
    Permanent(Box<dyn std::error::Error + Send + Sync>),
}

impl HandlerError {
    pub fn transient(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Transient(err.into())
    }

    pub fn permanent(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Permanent(err.into())
    }
}

/// A database error inside a handler is transient: the transaction rolls back and the event is
/// tried again.
impl From<sqlx::Error> for HandlerError {
    fn from(err: sqlx::Error) -> Self {
        Self::Transient(Box::new(err))
    }
}

/// Reacts to events. Its database effects go through `tx`, the transaction that also records
/// the event as processed, so they happen exactly once per event.
pub trait EventHandler: Send + Sync + 'static {
    /// Whether `handle` does anything with `event`. The consumer acknowledges the others
    /// without claiming them in the inbox or opening a transaction: a topic carries many event
    /// types, and most groups act on a few. Every event, unless a handler says otherwise.
    fn wants(&self, event: &Event) -> bool {
        let _ = event;
        true
    }

    fn handle<'a>(
        &'a self,
        tx: &'a mut AnyConnection,
        event: &'a Event,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send + 'a;
}

/// How a consumer retries.
#[derive(Debug, Clone)]
pub struct ConsumerConfig {
    /// The consumer group: a service's name plus its purpose (`search.indexer`).
    pub group: String,
    /// Attempts before a transiently failing event is dead-lettered.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// Events already received that are processed together in one transaction.
    pub max_batch: usize,
}

impl ConsumerConfig {
    pub fn new(group: impl Into<String>) -> Self {
        Self {
            group: group.into(),
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            max_batch: 128,
        }
    }
}

/// Runs one handler over one source, with the inbox in `db`.
#[derive(Debug)]
pub struct Consumer<Src, Dlq, H> {
    db: Database,
    source: Src,
    dead_letters: Dlq,
    handler: H,
    config: ConsumerConfig,
}

/// A delivery's event, or why it does not decode.
type Decoded = Result<Event, DecodeError>;

enum Outcome {
    Processed,
    Duplicate,
    DeadLettered,
}

impl<Src: EventSource, Dlq: EventSink, H: EventHandler> Consumer<Src, Dlq, H> {
    pub fn new(
        db: Database,
        source: Src,
        dead_letters: Dlq,
        handler: H,
        config: ConsumerConfig,
    ) -> Self {
        register_consumer_metrics(&config.group, &[]);
        Self {
            db,
            source,
            dead_letters,
            handler,
            config,
        }
    }

    /// Consumes until `shutdown` completes. A message being processed is finished (or its
    /// retries given up) before stopping, and acknowledged positions are committed.
    pub async fn run(mut self, shutdown: impl Future<Output = ()>) -> Result<(), TransportError> {
        tokio::pin!(shutdown);
        let mut backoff = self.config.initial_backoff;
        loop {
            let delivery = tokio::select! {
                () = &mut shutdown => break,
                delivery = self.source.next() => delivery,
            };
            let delivery = match delivery {
                Ok(delivery) => delivery,
                Err(TransportError::Closed) => break,
                Err(err) => {
                    tracing::warn!(group = %self.config.group, ?backoff, "reading events: {err}");
                    tokio::time::sleep(jittered(backoff)).await;
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    continue;
                }
            };
            backoff = self.config.initial_backoff;
            // Whatever else has already arrived joins this delivery in one transaction.
            let mut batch = vec![delivery];
            while batch.len() < self.config.max_batch {
                match tokio::time::timeout(Duration::ZERO, self.source.next()).await {
                    Ok(Ok(delivery)) => batch.push(delivery),
                    _ => break,
                }
            }
            // Decoded once; an event that does not decode is kept, so that it is dead-lettered.
            let wanted: Vec<(&Delivery, Decoded)> = batch
                .iter()
                .map(|delivery| (delivery, Event::decode(&delivery.payload)))
                .filter(|(_, event)| event.as_ref().map_or(true, |e| self.handler.wants(e)))
                .collect();
            if batch.len() > wanted.len() {
                metrics::counter!(EVENTS_CONSUMED, "consumer_group" => self.config.group.clone(), "outcome" => "ignored")
                    .increment((batch.len() - wanted.len()) as u64);
            }
            let batched = wanted.len() > 1 && self.process_batch(&wanted).await;
            if !batched {
                for (delivery, event) in wanted {
                    self.process(delivery, event).await;
                }
            }
            // Acknowledged only now: the effects (or the dead letters) are durable.
            for delivery in &batch {
                if let Err(err) = self.source.ack(delivery).await {
                    tracing::warn!(group = %self.config.group, "acknowledging an event: {err}");
                }
            }
        }
        self.source.commit().await
    }

    /// Processes a batch in one transaction: every event's inbox claim and effects commit
    /// together, one commit (one disk flush) for them all. False, with nothing committed, when
    /// any event does not decode or its handler fails: the caller then processes the batch one
    /// event at a time, with retries and dead letters.
    async fn process_batch(&self, batch: &[(&Delivery, Decoded)]) -> bool {
        let Some(events) = batch
            .iter()
            .map(|(_, event)| event.as_ref().ok())
            .collect::<Option<Vec<&Event>>>()
        else {
            return false;
        };
        let outcome: Result<usize, HandlerError> = async {
            let mut tx = self.db.begin().await?;
            let mut claimed = self.claim_all(&mut tx, &events).await?;
            let mut processed = 0;
            for ((delivery, _), event) in batch.iter().zip(events) {
                // Removed once handled: an event delivered twice in one batch is handled once.
                if claimed.remove(event.event_id()) {
                    let span = consume_span(&self.config.group, delivery, event);
                    self.handler.handle(&mut tx, event).instrument(span).await?;
                    processed += 1;
                }
            }
            tx.commit().await?;
            Ok(processed)
        }
        .await;
        match outcome {
            Ok(processed) => {
                let group = self.config.group.clone();
                metrics::counter!(EVENTS_CONSUMED, "consumer_group" => group.clone(), "outcome" => "processed")
                    .increment(processed as u64);
                metrics::counter!(EVENTS_CONSUMED, "consumer_group" => group, "outcome" => "duplicate")
                    .increment((batch.len() - processed) as u64);
                true
            }
            Err(err) => {
                tracing::debug!(
                    size = batch.len(),
                    "a batch failed, processing it event by event: {err}"
                );
                false
            }
        }
    }

    /// Processes one delivery to a durable outcome: handled, already handled, or dead-lettered.
    async fn process(&mut self, delivery: &Delivery, event: Decoded) {
        let group = self.config.group.clone();
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                self.dead_letter(delivery, None, &err.to_string(), 1).await;
                return;
            }
        };
        let span = consume_span(&group, delivery, &event);
        let outcome = self.process_event(delivery, &event).instrument(span).await;
        let label = match outcome {
            Outcome::Processed => "processed",
            Outcome::Duplicate => "duplicate",
            Outcome::DeadLettered => "dead_lettered",
        };
        metrics::counter!(EVENTS_CONSUMED, "consumer_group" => group, "outcome" => label)
            .increment(1);
    }

    async fn process_event(&mut self, delivery: &Delivery, event: &Event) -> Outcome {
        let mut backoff = self.config.initial_backoff;
        let mut attempt = 1;
        loop {
            let error = match self.attempt(event).await {
                Ok(true) => return Outcome::Processed,
                Ok(false) => return Outcome::Duplicate,
                Err(HandlerError::Permanent(err)) => {
                    self.dead_letter(delivery, Some(event), &err.to_string(), attempt)
                        .await;
                    return Outcome::DeadLettered;
                }
                Err(HandlerError::Transient(err)) => err,
            };
            if attempt >= self.config.max_attempts {
                self.dead_letter(delivery, Some(event), &error.to_string(), attempt)
                    .await;
                return Outcome::DeadLettered;
            }
            tracing::warn!(attempt, ?backoff, "handler failed, retrying: {error}");
            tokio::time::sleep(jittered(backoff)).await;
            backoff = (backoff * 2).min(self.config.max_backoff);
            attempt += 1;
        }
    }

    /// One transaction: claim the event in the inbox, run the handler, commit. `Ok(false)` when
    /// this group had already processed the event.
    async fn attempt(&self, event: &Event) -> Result<bool, HandlerError> {
        let mut tx = self.db.begin().await?;
        let handled = self.claim_and_handle(&mut tx, event).await?;
        if handled {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(handled)
    }

    /// In `tx`: claims the event in the inbox and runs the handler; false (and no handler) when
    /// this group had already processed the event.
    async fn claim_and_handle(
        &self,
        tx: &mut AnyConnection,
        event: &Event,
    ) -> Result<bool, HandlerError> {
        let claimed = sqlx::query(
            "INSERT INTO event_inbox (consumer_group, event_id, processed_at) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&self.config.group)
        .bind(event.event_id())
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if claimed {
            self.handler.handle(tx, event).await?;
        }
        Ok(claimed)
    }

    /// In `tx`: claims all of `events` in the inbox with one statement; returns the ids this
    /// group had not processed before. One statement instead of one per event: most of a
    /// group's events are claimed in batches, and each statement is a round trip.
    async fn claim_all(
        &self,
        tx: &mut AnyConnection,
        events: &[&Event],
    ) -> Result<HashSet<String>, HandlerError> {
        let rows = (0..events.len())
            .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO event_inbox (consumer_group, event_id, processed_at) VALUES {rows} \
             ON CONFLICT DO NOTHING RETURNING event_id"
        );
        let now = unix_micros(SystemTime::now());
        let mut query = sqlx::query_scalar::<_, String>(&sql);
        for event in events {
            query = query
                .bind(&self.config.group)
                .bind(event.event_id())
                .bind(now);
        }
        Ok(query.fetch_all(&mut *tx).await?.into_iter().collect())
    }

    /// Publishes a dead letter, retrying until the dead-letter topic takes it: acknowledging
    /// the event without it would lose the event.
    async fn dead_letter(
        &self,
        delivery: &Delivery,
        event: Option<&Event>,
        error: &str,
        attempts: u32,
    ) {
        tracing::error!(
            group = %self.config.group,
            topic = %delivery.topic,
            offset = delivery.offset,
            attempts,
            "dead-lettering an event: {error}"
        );
        let letter = DeadLetter {
            envelope: delivery.payload.clone(),
            consumer_group: self.config.group.clone(),
            topic: delivery.topic.clone(),
            partition: delivery.partition,
            offset: delivery.offset,
            error: error.to_owned(),
            attempts: i32::try_from(attempts).unwrap_or(i32::MAX),
            failed_at: Some(prost_types::Timestamp::from(SystemTime::now())),
        };
        let key = event
            .map(|event| event.aggregate_id().to_owned())
            .or_else(|| delivery.key.clone())
            .unwrap_or_default();
        let record = OutgoingRecord {
            topic: dead_letter_topic(&self.config.group),
            key,
            payload: letter.encode_to_vec(),
            headers: vec![("error".to_owned(), error.chars().take(512).collect())],
        };
        let mut backoff = self.config.initial_backoff;
        loop {
            match self
                .dead_letters
                .publish(std::slice::from_ref(&record))
                .await
                .pop()
            {
                Some(Ok(())) => {
                    metrics::counter!(
                        EVENTS_DEAD_LETTERED,
                        "consumer_group" => self.config.group.clone(),
                        "topic" => delivery.topic.clone(),
                    )
                    .increment(1);
                    return;
                }
                Some(Err(err)) => tracing::warn!(?backoff, "publishing a dead letter: {err}"),
                None => tracing::warn!("the dead-letter sink answered nothing"),
            }
            tokio::time::sleep(jittered(backoff)).await;
            backoff = (backoff * 2).min(self.config.max_backoff);
        }
    }
}

/// Events a consumer group finished, by `outcome`: `processed`, `duplicate` (already processed,
/// skipped through the inbox), `ignored` (not an event its handler wants) or `dead_lettered`.
pub const EVENTS_CONSUMED: &str = "estospaces_events_consumed_total";
/// Events a consumer group gave up on and published to its dead-letter topic, by the topic the
/// event came from.
pub const EVENTS_DEAD_LETTERED: &str = "estospaces_events_dead_lettered_total";
/// Records of a topic the group has not processed yet, updated every few seconds by the
/// transport (the embedded log, Kafka).
pub const CONSUMER_LAG: &str = "estospaces_events_consumer_lag";
/// How often the transports measure a group's lag.
pub const LAG_INTERVAL: Duration = Duration::from_secs(5);

/// Registers consumer group `group`'s metrics on `topics` at zero, so they exist (and alerts on
/// them evaluate) before the first event, and describes them. Called by [`Consumer::new`] (no
/// topics) and by the transports when a group subscribes.
pub fn register_consumer_metrics(group: &str, topics: &[&str]) {
    metrics::describe_counter!(
        EVENTS_CONSUMED,
        "Events a consumer group finished, by outcome (processed, duplicate, ignored, dead_lettered)."
    );
    metrics::describe_counter!(
        EVENTS_DEAD_LETTERED,
        "Events a consumer group published to its dead-letter topic, by the topic they came from."
    );
    metrics::describe_gauge!(
        CONSUMER_LAG,
        "Records of a topic the consumer group has not processed yet."
    );
    for outcome in ["processed", "duplicate", "ignored", "dead_lettered"] {
        metrics::counter!(EVENTS_CONSUMED, "consumer_group" => group.to_owned(), "outcome" => outcome)
            .increment(0);
    }
    for topic in topics {
        metrics::counter!(
            EVENTS_DEAD_LETTERED,
            "consumer_group" => group.to_owned(),
            "topic" => (*topic).to_owned(),
        )
        .increment(0);
    }
}

/// Records `group`'s lag on `topic`.
pub fn record_consumer_lag(group: &str, topic: &str, lag: i64) {
    metrics::gauge!(
        CONSUMER_LAG,
        "consumer_group" => group.to_owned(),
        "topic" => topic.to_owned(),
    )
    .set(lag.max(0) as f64);
}

/// The span of one event's processing, continuing the producer's trace.
fn consume_span(group: &str, delivery: &Delivery, event: &Event) -> tracing::Span {
    let span = tracing::info_span!(
        "event.consume",
        otel.kind = "consumer",
        messaging.consumer.group.name = %group,
        messaging.destination.name = %delivery.topic,
        event.id = %event.event_id(),
        event.r#type = %event.event_type(),
    );
    let _ = span.set_parent(trace_context(event));
    span
}

/// The producer's trace context from the envelope, so the consumer span joins its trace.
fn trace_context(event: &Event) -> opentelemetry::Context {
    let mut carrier = HashMap::new();
    if !event.envelope.traceparent.is_empty() {
        carrier.insert("traceparent".to_owned(), event.envelope.traceparent.clone());
        carrier.insert("tracestate".to_owned(), event.envelope.tracestate.clone());
    }
    opentelemetry::global::get_text_map_propagator(|propagator| propagator.extract(&carrier))
}

/// Republishes the dead letters read from `dead_letters` to the topics they came from, until
/// none arrives for `idle`. Every group sees a replayed event again; those that processed it
/// skip it through their inbox. Returns how many were replayed.
pub async fn replay_dead_letters<Src: EventSource, S: EventSink>(
    dead_letters: &mut Src,
    sink: &S,
    idle: Duration,
) -> Result<usize, TransportError> {
    let mut replayed = 0;
    loop {
        let delivery = match tokio::time::timeout(idle, dead_letters.next()).await {
            Err(_) | Ok(Err(TransportError::Closed)) => break,
            Ok(delivery) => delivery?,
        };
        let letter = DeadLetter::decode(delivery.payload.as_slice())
            .map_err(|err| TransportError::Broker(format!("undecodable dead letter: {err}")))?;
        let record = OutgoingRecord {
            topic: letter.topic,
            key: delivery.key.clone().unwrap_or_default(),
            payload: letter.envelope,
            headers: vec![("replayed_from".to_owned(), delivery.topic.clone())],
        };
        if let Some(Err(err)) = sink.publish(std::slice::from_ref(&record)).await.pop() {
            return Err(err);
        }
        dead_letters.ack(&delivery).await?;
        replayed += 1;
    }
    dead_letters.commit().await?;
    Ok(replayed)
}
