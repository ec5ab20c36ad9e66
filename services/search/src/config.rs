//! The search service's configuration.

use std::time::Duration;

use serde::Deserialize;

/// The search service's configuration: the shared settings plus [`SearchSettings`].
pub type SearchConfig = estospaces_config::Config<SearchSettings>;

/// Settings only the search service reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SearchSettings {
    /// This replica's name; its indexer reads as consumer group `search.indexer.<replica>.<index
    /// generation>`. Defaults to `$HOSTNAME` (the pod name), else `local`.
    pub replica_id: Option<String>,
    /// The longest an indexed event waits before its batch is committed (and searchable).
    #[serde(with = "humantime_serde")]
    pub commit_interval: Duration,
    /// The longest a batch of nothing but calendar changes waits before it is committed. Every
    /// booking changes a calendar, so availability is batched longer than listings are: fewer
    /// commits (each writes a new segment of files) under booking load. Any other event in the
    /// batch brings its commit forward to `commit_interval`.
    #[serde(with = "humantime_serde")]
    pub availability_commit_interval: Duration,
    /// A batch is committed at once when it has this many events.
    pub commit_max_events: usize,
    /// The index writer's memory budget in bytes (tantivy flushes a segment when it is full).
    pub writer_memory_bytes: usize,
    /// At most one alert per user within this window.
    #[serde(with = "humantime_serde")]
    pub alert_throttle: Duration,
    /// Deletes the index at start, so it is rebuilt from the topics from the beginning.
    pub rebuild_on_start: bool,
}

impl SearchSettings {
    /// [`SearchSettings::replica_id`] or its default.
    pub fn replica(&self) -> String {
        self.replica_id
            .clone()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "local".to_owned())
    }
}

impl Default for SearchSettings {
    fn default() -> Self {
        Self {
            replica_id: None,
            commit_interval: Duration::from_millis(100),
            availability_commit_interval: Duration::from_secs(1),
            commit_max_events: 5_000,
            writer_memory_bytes: 64 * 1024 * 1024,
            alert_throttle: Duration::from_secs(15 * 60),
            rebuild_on_start: false,
        }
    }
}
