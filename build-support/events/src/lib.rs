//! How state changes leave an EstoSpaces service and reach the services that react to them.
//!
//! ```text
//!  handler ──tx──▶ state tables + event_outbox ──Relay──▶ EventSink (Kafka | embedded log)
//!                                                              │
//!  handler ◀──tx── Consumer (event_inbox dedup) ◀── EventSource ┘
//! ```
//!
//! - [`envelope`]: [`NewEvent`] to record and [`Event`] as received, in the
//!   `estospaces.events.v1.EventEnvelope`.
//! - [`outbox`]: [`Outbox::append`] writes an event in the caller's transaction;
//!   [`Relay`] publishes pending rows in order and marks them only once acknowledged.
//! - [`consumer`]: [`Consumer`] runs an [`EventHandler`] with its effects and the inbox record in
//!   one transaction, retries transient errors and sends poison events to a dead-letter topic.
//! - [`log`]: [`EventLog`], a durable log in one SQLite file that stands in for Kafka when the
//!   platform runs as a single binary.
//!
//! Delivery is at least once end to end; the inbox makes processing effectively exactly once.

#![forbid(unsafe_code)]

pub mod consumer;
pub mod envelope;
pub mod log;
pub mod outbox;
pub mod transport;

pub use consumer::{Consumer, ConsumerConfig, EventHandler, HandlerError, replay_dead_letters};
pub use envelope::{Event, NewEvent, dead_letter_topic, topic_for};
pub use log::EventLog;
pub use outbox::{Outbox, OutboxStats, Relay, RelayConfig};
pub use transport::{Delivery, EventSink, EventSource, OutgoingRecord, TransportError};

/// The outbox and inbox tables; apply with `Database::migrate` next to the service's own.
pub static MIGRATIONS: estospaces_storage::Migrations = estospaces_storage::Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};
