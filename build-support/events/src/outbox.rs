//! The transactional outbox: events are rows written with the state change they describe, and a
//! relay publishes them afterwards.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use estospaces_storage::{Backend, Database, from_unix_micros, unix_micros};
use prost::Message;
use sqlx::{AnyConnection, Row};
use tokio::sync::Notify;

use crate::envelope::{NewEvent, topic_for};
use crate::transport::{EventSink, OutgoingRecord};

/// The wake-up of each source's relay in this process: an append rings it, so an event leaves
/// when its transaction commits rather than at the relay's next look.
static APPENDED: LazyLock<Mutex<HashMap<&'static str, Arc<Notify>>>> =
    LazyLock::new(Default::default);

fn appended(source: &'static str) -> Arc<Notify> {
    APPENDED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .entry(source)
        .or_default()
        .clone()
}

/// Records a service's events. Cheap to copy; one per service.
#[derive(Debug, Clone, Copy)]
pub struct Outbox {
    source: &'static str,
}

impl Outbox {
    /// The outbox of service `source`; its events go to `estospaces.<source>.v1`.
    pub const fn new(source: &'static str) -> Self {
        Self { source }
    }

    /// Records `event` in the caller's transaction; it leaves only if that transaction commits.
    /// Returns the new event's id.
    ///
    /// The caller changes the aggregate in the same transaction, which serializes writers of
    /// one aggregate, so the aggregate sequence computed here has no gaps or duplicates (the
    /// unique constraint on it is the backstop).
    pub async fn append(
        &self,
        tx: &mut AnyConnection,
        event: NewEvent,
    ) -> Result<String, sqlx::Error> {
        let sequence: i64 = sqlx::query(
            "SELECT COALESCE(MAX(aggregate_sequence), 0) + 1 AS next FROM event_outbox \
             WHERE aggregate_type = $1 AND message_key = $2",
        )
        .bind(&event.aggregate_type)
        .bind(&event.aggregate_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("next")?;
        let now = SystemTime::now();
        let envelope = event.into_envelope(self.source, sequence, now);
        sqlx::query(
            "INSERT INTO event_outbox \
             (event_id, topic, message_key, aggregate_type, aggregate_sequence, envelope, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&envelope.event_id)
        .bind(topic_for(self.source))
        .bind(&envelope.aggregate_id)
        .bind(&envelope.aggregate_type)
        .bind(sequence)
        .bind(envelope.encode_to_vec())
        .bind(unix_micros(now))
        .execute(&mut *tx)
        .await?;
        // Before the commit (the caller's): the relay allows for that, see `Relay::run`.
        appended(self.source).notify_one();
        Ok(envelope.event_id)
    }

    /// How many events wait, and for how long the oldest has.
    pub async fn stats(db: &Database) -> Result<OutboxStats, sqlx::Error> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS pending, MIN(created_at) AS oldest FROM event_outbox \
             WHERE published_at IS NULL",
        )
        .fetch_one(db.pool())
        .await?;
        let oldest: Option<i64> = row.try_get("oldest")?;
        Ok(OutboxStats {
            pending: row.try_get("pending")?,
            oldest_pending_age: oldest.map(|created| {
                SystemTime::now()
                    .duration_since(from_unix_micros(created))
                    .unwrap_or_default()
            }),
        })
    }
}

/// The relay's backlog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutboxStats {
    pub pending: i64,
    pub oldest_pending_age: Option<Duration>,
}

/// How the relay paces itself.
#[derive(Debug, Clone)]
pub struct RelayConfig {
    /// Rows published per round.
    pub batch_size: i64,
    /// Pause when the outbox is empty, unless an append in this process wakes the relay
    /// first: how soon events written by other processes (other replicas) are seen.
    pub idle_interval: Duration,
    /// First pause after a failure; doubles up to `max_backoff`.
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for RelayConfig {
    fn default() -> Self {
        Self {
            batch_size: 256,
            idle_interval: Duration::from_millis(250),
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(10),
        }
    }
}

/// Why a relay round failed. The round's unpublished rows stay pending.
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("reading or marking the outbox")]
    Database(#[from] sqlx::Error),
    #[error("publishing event {event_id}: {source}")]
    Publish {
        event_id: String,
        #[source]
        source: crate::transport::TransportError,
    },
}

/// How long after a wake-up the relay reads the outbox (and, if it found nothing, reads it
/// again): the appending transaction commits meanwhile.
const COMMIT_GRACE: Duration = Duration::from_millis(5);

/// An arbitrary constant naming the outbox relay's PostgreSQL advisory lock.
const RELAY_LOCK: i64 = 0x6573_746f_6f75_7462; // "estooutb"

/// Events the relay published (acknowledged by the transport), by `source` service.
pub const OUTBOX_PUBLISHED: &str = "estospaces_outbox_published_total";
/// Outbox rows not yet published, by `source` service.
pub const OUTBOX_BACKLOG: &str = "estospaces_outbox_backlog";
/// How long the oldest unpublished outbox row has waited, by `source` service (0 when none).
pub const OUTBOX_OLDEST_PENDING_AGE: &str = "estospaces_outbox_oldest_pending_age_seconds";

/// Describes the relay's metrics and registers them at zero for `source`.
fn register_relay_metrics(source: &'static str) {
    metrics::describe_counter!(
        OUTBOX_PUBLISHED,
        "Events the outbox relay published, by source service."
    );
    metrics::describe_gauge!(
        OUTBOX_BACKLOG,
        "Outbox rows not yet published, by source service."
    );
    metrics::describe_gauge!(
        OUTBOX_OLDEST_PENDING_AGE,
        metrics::Unit::Seconds,
        "Age of the oldest unpublished outbox row, by source service (0 when none)."
    );
    metrics::counter!(OUTBOX_PUBLISHED, "source" => source).increment(0);
    metrics::gauge!(OUTBOX_BACKLOG, "source" => source).set(0.0);
    metrics::gauge!(OUTBOX_OLDEST_PENDING_AGE, "source" => source).set(0.0);
}

/// Publishes a database's outbox rows to a sink, in order, marking each row only after the sink
/// acknowledged it.
///
/// Only one relay publishes from a database at a time: on PostgreSQL each round holds a
/// transaction-scoped advisory lock, so replicas take turns rather than splitting rows. (Rows
/// split between replicas with `FOR UPDATE SKIP LOCKED` could overtake each other and reorder
/// an aggregate's events.) On SQLite there is one process per file.
#[derive(Debug)]
pub struct Relay<S> {
    db: Database,
    sink: S,
    config: RelayConfig,
    source: &'static str,
}

struct PendingRow {
    id: i64,
    event_id: String,
    record: OutgoingRecord,
}

impl<S: EventSink> Relay<S> {
    /// A relay for `db`'s outbox (`source` labels its metrics).
    pub fn new(db: Database, sink: S, source: &'static str, config: RelayConfig) -> Self {
        register_relay_metrics(source);
        Self {
            db,
            sink,
            config,
            source,
        }
    }

    /// Relays until `shutdown` completes; a round in progress finishes first.
    ///
    /// When the outbox is empty the relay waits for an append in this process, or at most
    /// `idle_interval`. An append rings before its transaction commits, so the relay reads
    /// [`COMMIT_GRACE`] after a wake-up, and if that round still finds nothing, looks once
    /// more as long after.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let appended = appended(self.source);
        let mut look_again = false;
        let mut backoff = self.config.initial_backoff;
        let mut last_stats = std::time::Instant::now() - Duration::from_secs(60);
        loop {
            // How long to pause, and whether an append ends the pause.
            let (pause, listen) = match self.publish_pending().await {
                Ok(0) if std::mem::take(&mut look_again) => (COMMIT_GRACE, false),
                Ok(0) => (self.config.idle_interval, true),
                Ok(_) => {
                    backoff = self.config.initial_backoff;
                    (Duration::ZERO, false)
                }
                Err(err) => {
                    tracing::warn!(source = self.source, ?backoff, "outbox relay: {err}");
                    let pause = jittered(backoff);
                    backoff = (backoff * 2).min(self.config.max_backoff);
                    (pause, false)
                }
            };
            if last_stats.elapsed() >= Duration::from_secs(1) {
                self.record_stats().await;
                last_stats = std::time::Instant::now();
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(pause) => {}
                () = appended.notified(), if listen => {
                    // Let the appending transaction commit, and the appends of a burst
                    // gather into one round.
                    tokio::time::sleep(COMMIT_GRACE).await;
                    look_again = true;
                }
            }
        }
    }

    /// Publishes one batch of pending rows; returns how many were published.
    pub async fn publish_pending(&self) -> Result<usize, RelayError> {
        let mut tx = self.db.begin().await?;
        if self.db.backend() == Backend::Postgres {
            let locked: bool = sqlx::query("SELECT pg_try_advisory_xact_lock($1) AS locked")
                .bind(RELAY_LOCK)
                .fetch_one(&mut *tx)
                .await?
                .try_get("locked")?;
            if !locked {
                return Ok(0); // another replica is relaying
            }
        }
        let rows = sqlx::query(
            "SELECT id, event_id, topic, message_key, envelope FROM event_outbox \
             WHERE published_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(self.config.batch_size)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let pending = rows
            .iter()
            .map(|row| {
                let event_id: String = row.try_get("event_id")?;
                Ok(PendingRow {
                    id: row.try_get("id")?,
                    record: OutgoingRecord {
                        topic: row.try_get("topic")?,
                        key: row.try_get("message_key")?,
                        payload: row.try_get("envelope")?,
                        headers: vec![("event_id".to_owned(), event_id.clone())],
                    },
                    event_id,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        // SQLite: end the read before the (possibly slow) publish, so writers are not blocked.
        if self.db.backend() == Backend::Sqlite {
            tx.commit().await?;
            tx = self.db.begin().await?;
        }

        let records: Vec<OutgoingRecord> = pending.iter().map(|row| row.record.clone()).collect();
        let results = self.sink.publish(&records).await;
        // Mark the acknowledged prefix; stop at the first failure so later rows (possibly of the
        // same aggregate) are retried after it, not before it. Rows are named by id, never by
        // range: a row with an id inside the range may have committed after the read.
        let acknowledged = results.iter().take_while(|result| result.is_ok()).count();
        let now = unix_micros(SystemTime::now());
        for chunk in pending[..acknowledged].chunks(500) {
            let placeholders: Vec<String> = (2..chunk.len() + 2).map(|n| format!("${n}")).collect();
            let sql = format!(
                "UPDATE event_outbox SET published_at = $1, attempts = attempts + 1 WHERE id IN ({})",
                placeholders.join(", ")
            );
            let mut update = sqlx::query(&sql).bind(now);
            for row in chunk {
                update = update.bind(row.id);
            }
            update.execute(&mut *tx).await?;
        }
        let published = acknowledged;
        let mut failure = None;
        if let (Some(row), Some(Err(err))) = (
            pending.get(acknowledged),
            results.into_iter().nth(acknowledged),
        ) {
            sqlx::query(
                "UPDATE event_outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
            )
            .bind(err.to_string())
            .bind(row.id)
            .execute(&mut *tx)
            .await?;
            failure = Some(RelayError::Publish {
                event_id: row.event_id.clone(),
                source: err,
            });
        }
        tx.commit().await?;
        metrics::counter!(OUTBOX_PUBLISHED, "source" => self.source).increment(published as u64);
        match failure {
            Some(err) => Err(err),
            None => Ok(published),
        }
    }

    async fn record_stats(&self) {
        match Outbox::stats(&self.db).await {
            Ok(stats) => {
                metrics::gauge!(OUTBOX_BACKLOG, "source" => self.source).set(stats.pending as f64);
                metrics::gauge!(OUTBOX_OLDEST_PENDING_AGE, "source" => self.source)
                    .set(stats.oldest_pending_age.unwrap_or_default().as_secs_f64());
            }
            Err(err) => tracing::warn!(source = self.source, "reading outbox stats: {err}"),
        }
    }
}

/// `base` ± 25 %, so replicas that failed together do not retry in lockstep.
pub(crate) fn jittered(base: Duration) -> Duration {
    use rand::Rng as _;
    base.mul_f64(rand::thread_rng().gen_range(0.75..1.25))
}
