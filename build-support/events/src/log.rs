//! The embedded event log: a durable, ordered log in one SQLite file that stands in for Kafka
//! when the whole platform runs in one process.
//!
//! The same guarantees on one machine: a record is durable once `publish` returns `Ok`; a
//! group's position only moves when a record is acknowledged; records of one key (in fact all
//! records) are read in the order they were appended. One process owns the file, and one
//! consumer per group reads it.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, SystemTime};

use estospaces_storage::{Database, unix_micros};
use sqlx::Row;
use sqlx::migrate::Migrator;
use tokio::sync::Notify;

use crate::consumer::{LAG_INTERVAL, record_consumer_lag, register_consumer_metrics};
use crate::transport::{Delivery, EventSink, EventSource, OutgoingRecord, TransportError};

static LOG_MIGRATIONS: Migrator = sqlx::migrate!("migrations/log");

/// How long a source waits for an append in this process before looking anyway: another process
/// (`estospaces-events replay`, say) may have appended to the same file.
const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Records fetched per read.
const FETCH_SIZE: i64 = 256;

/// Each log file open in this process, so that every handle on it shares one connection pool
/// and its readers: the single `estospaces` binary opens a handle per service, and an append
/// through one service's handle must wake the readers of another's.
static FILES: LazyLock<Mutex<HashMap<PathBuf, Weak<LogFile>>>> = LazyLock::new(Default::default);

/// One open log file.
#[derive(Debug)]
struct LogFile {
    db: Database,
    readers: Readers,
}

/// The readers of one file, by topic: an append wakes only the groups that read its topic.
#[derive(Debug, Default)]
struct Readers {
    by_topic: Mutex<HashMap<String, Vec<Weak<Wake>>>>,
}

/// One reader's wake-up: the topics appended to since it last read, and a permit to read.
#[derive(Debug, Default)]
struct Wake {
    appended: Mutex<BTreeSet<String>>,
    notify: Notify,
}

impl LogFile {
    /// The file at `path`, shared with every other handle on it in this process; opened (and
    /// migrated) when there is none.
    async fn open(path: &Path) -> Result<Arc<Self>, TransportError> {
        let key = file_key(path);
        if let Some(file) = Self::shared(&key) {
            return Ok(file);
        }
        let db = Database::open_sqlite_file(path)
            .await
            .map_err(|err| TransportError::Broker(format!("opening the event log: {err}")))?;
        LOG_MIGRATIONS
            .run(db.pool())
            .await
            .map_err(|err| TransportError::Broker(format!("migrating the event log: {err}")))?;
        let mut files = lock(&FILES);
        files.retain(|_, file| file.strong_count() > 0);
        // Another handle may have opened the file meanwhile: the first one wins.
        if let Some(file) = files.get(&key).and_then(Weak::upgrade) {
            return Ok(file);
        }
        let file = Arc::new(Self {
            db,
            readers: Readers::default(),
        });
        files.insert(key, Arc::downgrade(&file));
        Ok(file)
    }

    fn shared(key: &Path) -> Option<Arc<Self>> {
        lock(&FILES).get(key).and_then(Weak::upgrade)
    }
}

/// The name a file is shared under: its canonical path (that of its directory, before the
/// file exists).
fn file_key(path: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(path) {
        return path;
    }
    match (path.parent().map(std::fs::canonicalize), path.file_name()) {
        (Some(Ok(dir)), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

impl Readers {
    fn register(&self, topics: &[String]) -> Arc<Wake> {
        let wake = Arc::new(Wake::default());
        let mut by_topic = lock(&self.by_topic);
        for topic in topics {
            let readers = by_topic.entry(topic.clone()).or_default();
            readers.retain(|reader| reader.strong_count() > 0);
            readers.push(Arc::downgrade(&wake));
        }
        wake
    }

    /// Tells the readers of each of `topics` that it has new records.
    fn appended<'a>(&self, topics: impl IntoIterator<Item = &'a str>) {
        let by_topic = lock(&self.by_topic);
        for topic in topics.into_iter().collect::<BTreeSet<_>>() {
            for wake in by_topic.get(topic).into_iter().flatten() {
                if let Some(wake) = wake.upgrade() {
                    lock(&wake.appended).insert(topic.to_owned());
                    // A permit is kept when the reader is not waiting: it reads once more.
                    wake.notify.notify_one();
                }
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The log. Cheap to clone; clones (and other handles on the same file in this process) share
/// one connection pool and the wake-ups.
#[derive(Debug, Clone)]
pub struct EventLog {
    file: Arc<LogFile>,
}

impl EventLog {
    /// Opens (creating if missing) the log at `path`.
    pub async fn open(path: &Path) -> Result<Self, TransportError> {
        Ok(Self {
            file: LogFile::open(path).await?,
        })
    }

    /// A source reading `topics` as consumer group `group`, from its committed positions (from
    /// the beginning for a new group).
    ///
    /// Inside a tokio runtime the group's lag on each topic is measured every
    /// [`LAG_INTERVAL`] in the background (`estospaces_events_consumer_lag`) while the source
    /// lives.
    pub fn subscribe(&self, group: &str, topics: &[&str]) -> LogSource {
        register_consumer_metrics(group, topics);
        let topics: Vec<String> = topics.iter().map(|topic| (*topic).to_owned()).collect();
        let lag_task = tokio::runtime::Handle::try_current()
            .ok()
            .map(|runtime| runtime.spawn(self.clone().watch_lag(group.to_owned(), topics.clone())));
        LogSource {
            wake: self.file.readers.register(&topics),
            unread: topics.iter().cloned().collect(),
            log: self.clone(),
            group: group.to_owned(),
            topics,
            positions: None,
            acked: BTreeMap::new(),
            buffer: VecDeque::new(),
            lag_task,
        }
    }

    /// Records `group`'s lag on each of `topics` every [`LAG_INTERVAL`]: the records after its
    /// committed position.
    async fn watch_lag(self, group: String, topics: Vec<String>) {
        let mut every = tokio::time::interval(LAG_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            for topic in &topics {
                match self.lag(&group, topic).await {
                    Ok(lag) => record_consumer_lag(&group, topic, lag),
                    Err(err) => tracing::debug!(%group, %topic, "measuring consumer lag: {err}"),
                }
            }
        }
    }

    /// Records of `topic` that `group` has not processed (acknowledged) yet.
    pub async fn lag(&self, group: &str, topic: &str) -> Result<i64, TransportError> {
        let committed: Option<i64> = sqlx::query_scalar(
            "SELECT position FROM log_group_positions WHERE consumer_group = $1 AND topic = $2",
        )
        .bind(group)
        .bind(topic)
        .fetch_optional(self.file.db.pool())
        .await?;
        self.count_after(topic, committed.unwrap_or(0)).await
    }

    /// Up to `limit` records of `topic` after position `after`, without moving any group: for
    /// inspecting dead letters.
    pub async fn read(
        &self,
        topic: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Delivery>, TransportError> {
        let rows = sqlx::query(
            "SELECT position, message_key, payload FROM log_records \
             WHERE topic = $1 AND position > $2 ORDER BY position LIMIT $3",
        )
        .bind(topic)
        .bind(after)
        .bind(limit)
        .fetch_all(self.file.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Delivery {
                    topic: topic.to_owned(),
                    partition: 0,
                    offset: row.try_get("position")?,
                    key: Some(row.try_get("message_key")?),
                    payload: row.try_get("payload")?,
                })
            })
            .collect()
    }

    /// How many records of `topic` come after position `after`.
    pub async fn count_after(&self, topic: &str, after: i64) -> Result<i64, TransportError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM log_records WHERE topic = $1 AND position > $2")
                .bind(topic)
                .bind(after)
                .fetch_one(self.file.db.pool())
                .await?;
        Ok(row.try_get("n")?)
    }

    /// Each topic's last position, for lag.
    pub async fn end_positions(&self) -> Result<BTreeMap<String, i64>, TransportError> {
        let rows =
            sqlx::query("SELECT topic, MAX(position) AS last FROM log_records GROUP BY topic")
                .fetch_all(self.file.db.pool())
                .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("topic")?, row.try_get("last")?)))
            .collect()
    }

    /// Every group's committed positions: (group, topic) → position.
    pub async fn group_positions(&self) -> Result<BTreeMap<(String, String), i64>, TransportError> {
        let rows = sqlx::query("SELECT consumer_group, topic, position FROM log_group_positions")
            .fetch_all(self.file.db.pool())
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    (row.try_get("consumer_group")?, row.try_get("topic")?),
                    row.try_get("position")?,
                ))
            })
            .collect()
    }
}

impl EventSink for EventLog {
    async fn publish(&self, records: &[OutgoingRecord]) -> Vec<Result<(), TransportError>> {
        // One transaction: the batch is appended whole, in order, or not at all.
        let appended = async {
            let mut tx = self.file.db.begin().await?;
            let now = unix_micros(SystemTime::now());
            for record in records {
                sqlx::query(
                    "INSERT INTO log_records (topic, message_key, payload, appended_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(&record.topic)
                .bind(&record.key)
                .bind(record.payload.clone())
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        }
        .await;
        match appended {
            Ok(()) => {
                self.file
                    .readers
                    .appended(records.iter().map(|record| record.topic.as_str()));
                records.iter().map(|_| Ok(())).collect()
            }
            Err(err) => {
                let message = err.to_string();
                records
                    .iter()
                    .map(|_| Err(TransportError::Broker(message.clone())))
                    .collect()
            }
        }
    }
}

/// One consumer group's reader of the embedded log.
///
/// It reads a topic only when an append in this process named it (or at its periodic look),
/// and writes its acknowledged positions once per read rather than once per record: a crash
/// redelivers at most what was read last, which the consumers' inbox skips.
#[derive(Debug)]
pub struct LogSource {
    log: EventLog,
    group: String,
    topics: Vec<String>,
    /// Per topic, the last position handed out or committed; loaded on first use.
    positions: Option<BTreeMap<String, i64>>,
    /// Per topic, the last position acknowledged and not written yet.
    acked: BTreeMap<String, i64>,
    /// Topics that may have records this source has not read.
    unread: BTreeSet<String>,
    wake: Arc<Wake>,
    buffer: VecDeque<Delivery>,
    /// Measures the group's lag while the source lives.
    lag_task: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for LogSource {
    fn drop(&mut self) {
        if let Some(task) = self.lag_task.take() {
            task.abort();
        }
    }
}

impl LogSource {
    async fn positions(&mut self) -> Result<&mut BTreeMap<String, i64>, TransportError> {
        if self.positions.is_none() {
            let mut positions: BTreeMap<String, i64> =
                self.topics.iter().map(|topic| (topic.clone(), 0)).collect();
            let rows = sqlx::query(
                "SELECT topic, position FROM log_group_positions WHERE consumer_group = $1",
            )
            .bind(&self.group)
            .fetch_all(self.log.file.db.pool())
            .await?;
            for row in rows {
                let topic: String = row.try_get("topic")?;
                if let Some(position) = positions.get_mut(&topic) {
                    *position = row.try_get("position")?;
                }
            }
            self.positions = Some(positions);
        }
        Ok(self.positions.as_mut().expect("loaded above"))
    }

    /// Reads the next records of the unread topics into the buffer, in log order. A topic
    /// that filled a whole read may have more and stays unread. Cancelled midway, it reads
    /// the same topics again next time.
    async fn fetch(&mut self) -> Result<(), TransportError> {
        self.unread
            .extend(std::mem::take(&mut *lock(&self.wake.appended)));
        let positions = self.positions().await?.clone();
        let mut fetched = Vec::new();
        let mut more = BTreeSet::new();
        for topic in &self.unread {
            let Some(after) = positions.get(topic) else {
                continue;
            };
            let read = self.log.read(topic, *after, FETCH_SIZE).await?;
            if read.len() as i64 == FETCH_SIZE {
                more.insert(topic.clone());
            }
            fetched.extend(read);
        }
        self.unread = more;
        fetched.sort_by_key(|delivery| delivery.offset);
        let positions = self.positions().await?;
        for delivery in &fetched {
            positions.insert(delivery.topic.clone(), delivery.offset);
        }
        self.buffer.extend(fetched);
        Ok(())
    }

    /// Writes the acknowledged positions in one statement (no transaction to leave open if
    /// the caller gives up waiting).
    async fn write_acked(&mut self) -> Result<(), TransportError> {
        if self.acked.is_empty() {
            return Ok(());
        }
        let rows = (0..self.acked.len())
            .map(|row| format!("(${}, ${}, ${})", 3 * row + 1, 3 * row + 2, 3 * row + 3))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO log_group_positions (consumer_group, topic, position) VALUES {rows} \
             ON CONFLICT (consumer_group, topic) DO UPDATE SET position = excluded.position"
        );
        let mut query = sqlx::query(&sql);
        for (topic, position) in &self.acked {
            query = query.bind(&self.group).bind(topic).bind(*position);
        }
        query.execute(self.log.file.db.pool()).await?;
        self.acked.clear();
        Ok(())
    }
}

impl EventSource for LogSource {
    async fn next(&mut self) -> Result<Delivery, TransportError> {
        loop {
            if let Some(delivery) = self.buffer.pop_front() {
                return Ok(delivery);
            }
            // A caller that polls once for what has already arrived (the consumer gathering a
            // batch) stops here, before a read or write is started only to be dropped.
            tokio::task::yield_now().await;
            // Everything handed out so far has been processed or is being acknowledged:
            // record it before reading on (and before waiting, which may be long).
            self.write_acked().await?;
            self.fetch().await?;
            if self.buffer.is_empty() && self.unread.is_empty() {
                // A look now and then anyway: another process may append to the same file.
                if tokio::time::timeout(POLL_INTERVAL, self.wake.notify.notified())
                    .await
                    .is_err()
                {
                    self.unread.extend(self.topics.iter().cloned());
                }
            }
        }
    }

    async fn ack(&mut self, delivery: &Delivery) -> Result<(), TransportError> {
        let acked = self.acked.entry(delivery.topic.clone()).or_default();
        *acked = (*acked).max(delivery.offset);
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), TransportError> {
        self.write_acked().await
    }
}
