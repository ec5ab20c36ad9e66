//! What carries events between services: Kafka in production, the embedded log on one machine.
//!
//! Both implement the same two traits, so the relay and the consumer runtime do not know which
//! one they run on.

use std::future::Future;

/// A record for a topic, in the order it must be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingRecord {
    pub topic: String,
    /// Records with one key stay in order (Kafka: same partition).
    pub key: String,
    pub payload: Vec<u8>,
    /// Small string headers (`event_type`, `event_id`, `traceparent`) for tools that do not
    /// decode the payload.
    pub headers: Vec<(String, String)>,
}

/// A record as read from a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<String>,
    pub payload: Vec<u8>,
}

/// A transport failed; the operation may be retried.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("broker: {0}")]
    Broker(String),
    #[error("event log: {0}")]
    Log(#[from] sqlx::Error),
    #[error("the source is closed")]
    Closed,
}

/// Publishes records durably.
pub trait EventSink: Send + Sync + 'static {
    /// Publishes `records` in order and answers for each: `Ok` means the transport has it
    /// durably (Kafka: acknowledged by all in-sync replicas).
    fn publish(
        &self,
        records: &[OutgoingRecord],
    ) -> impl Future<Output = Vec<Result<(), TransportError>>> + Send;
}

/// Reads one consumer group's records, in order per partition.
pub trait EventSource: Send + 'static {
    /// The next record, waiting for one to arrive.
    fn next(&mut self) -> impl Future<Output = Result<Delivery, TransportError>> + Send;

    /// Marks `delivery` processed; its position is committed soon after, and always on
    /// [`EventSource::commit`]. Only called after processing succeeded (or dead-lettered).
    fn ack(
        &mut self,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), TransportError>> + Send;

    /// Commits every acknowledged position now.
    fn commit(&mut self) -> impl Future<Output = Result<(), TransportError>> + Send;
}
