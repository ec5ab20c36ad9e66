//! The indexer: reads the property and project topics, applies each event to the index, and
//! commits in batches (every `commit_interval` or `commit_max_events`, whichever comes first).
//! A batch of nothing but calendar changes waits up to `availability_commit_interval` instead:
//! every booking changes a calendar, and each commit writes a new segment.
//!
//! It reads the project topic too, in the same consumer group: a unit event moves the unit's
//! link ([`crate::projects`]) and rewrites the documents of the listings it names or named.
//!
//! Order of durability, per batch: (0) the batch's unit links are stored in the database
//! (each only over an older state of its unit); (1) the tantivy commit writes the batch's
//! documents and the positions of its events together; (2) the reader reloads, so the batch is
//! searchable; (3) only then are the events acknowledged to the transport; (4) saved searches
//! are matched against what changed. A crash before (1) replays the batch; between (1) and (3)
//! replays events already in the index, which the per-listing sequence check (and the per-unit
//! version of the links) turns into no-ops.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use estospaces_events::{Delivery, Event, EventSource, TransportError};
use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use estospaces_storage::unix_micros;
use tantivy::IndexWriter;
use tokio::time::Instant;

use crate::alerts::{Alerts, Change};
use crate::index::{self, IndexError, Positions, SearchIndex};
use crate::listing::{StoredListing, day_numbers, headline_price};
use crate::projects::{ProjectLinks, UnitLink};
use crate::store::{SearchStore, StoreError};

/// How the indexer batches.
#[derive(Debug, Clone, Copy)]
pub struct IndexerConfig {
    pub commit_interval: Duration,
    pub availability_commit_interval: Duration,
    pub commit_max_events: usize,
    pub writer_memory_bytes: usize,
}

impl From<&crate::SearchSettings> for IndexerConfig {
    fn from(settings: &crate::SearchSettings) -> Self {
        Self {
            commit_interval: settings.commit_interval,
            availability_commit_interval: settings.availability_commit_interval,
            commit_max_events: settings.commit_max_events.max(1),
            writer_memory_bytes: settings.writer_memory_bytes,
        }
    }
}

/// Collects, per `property.listed` event, the time from the event to searchable.
pub type FreshnessProbe = Arc<Mutex<Vec<Duration>>>;

/// Why the indexer stopped.
#[derive(Debug, thiserror::Error)]
pub enum IndexerError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error(transparent)]
    Transport(#[from] TransportError),
    #[error("the commit task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
    #[error("loading or storing the project links: {0}")]
    Links(#[from] StoreError),
}

/// The consumer group of `replica`'s indexer over the index of `generation`.
pub fn consumer_group(replica: &str, generation: &str) -> String {
    format!("search.indexer.{replica}.{generation}")
}

/// One run of the indexer over a subscription.
pub struct Indexer<S> {
    index: Arc<SearchIndex>,
    writer: Option<IndexWriter>,
    source: S,
    config: IndexerConfig,
    positions: Positions,
    /// Listings changed in the uncommitted batch (the searcher does not see them yet).
    pending: HashMap<String, StoredListing>,
    /// The last delivery per partition in the batch, payload dropped: what to acknowledge.
    acks: BTreeMap<(String, i32), Delivery>,
    changes: Vec<Change>,
    /// When each `property.listed` of the batch happened, Unix microseconds.
    listed: Vec<i64>,
    batch_len: usize,
    /// When the uncommitted batch took its first event.
    batch_started: Option<Instant>,
    /// The batch changes more than calendars: it commits after `commit_interval`.
    batch_urgent: bool,
    alerts: Option<Alerts>,
    freshness: Option<FreshnessProbe>,
    /// Every unit's sale listing, as far as the events (and the database) say.
    links: ProjectLinks,
    /// Where the links are kept across rebuilds; none in benchmarks.
    link_store: Option<SearchStore>,
    /// Links changed in the uncommitted batch, stored before the batch commits.
    pending_links: Vec<UnitLink>,
}

impl<S> std::fmt::Debug for Indexer<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("positions", &self.positions)
            .finish_non_exhaustive()
    }
}

enum Update {
    Snapshot(Box<pb::Property>),
    Calendar(Vec<i64>),
}

impl<S: EventSource> Indexer<S> {
    pub fn new(
        index: Arc<SearchIndex>,
        source: S,
        config: IndexerConfig,
        alerts: Option<Alerts>,
        freshness: Option<FreshnessProbe>,
    ) -> Result<Self, IndexError> {
        let writer = index.writer(config.writer_memory_bytes)?;
        let positions = index.positions()?;
        Ok(Self {
            index,
            writer: Some(writer),
            source,
            config,
            positions,
            pending: HashMap::new(),
            acks: BTreeMap::new(),
            changes: Vec::new(),
            listed: Vec::new(),
            batch_len: 0,
            batch_started: None,
            batch_urgent: false,
            alerts,
            freshness,
            links: ProjectLinks::default(),
            link_store: None,
            pending_links: Vec::new(),
        })
    }

    /// Starts from `links` (as loaded from `store`) and keeps the links in `store`.
    #[must_use]
    pub fn with_project_links(mut self, store: SearchStore, links: ProjectLinks) -> Self {
        self.links = links;
        self.link_store = Some(store);
        self
    }

    /// Indexes until `stop` turns true (committing what it has), or until an error.
    pub async fn run(
        mut self,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) -> Result<(), IndexerError> {
        loop {
            if *stop.borrow() {
                break;
            }
            let deadline = self.commit_deadline();
            let timer = async {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = stop.changed() => break,
                () = timer => self.commit().await?,
                delivery = self.source.next() => {
                    self.batch_started.get_or_insert_with(Instant::now);
                    self.apply(&delivery?)?;
                    if self.batch_len >= self.config.commit_max_events {
                        self.commit().await?;
                    }
                }
            }
        }
        self.commit().await?;
        self.source.commit().await?;
        Ok(())
    }

    /// When the uncommitted batch is due, if there is one.
    fn commit_deadline(&self) -> Option<Instant> {
        let wait = if self.batch_urgent {
            self.config.commit_interval
        } else {
            self.config.availability_commit_interval
        };
        self.batch_started.map(|started| started + wait)
    }

    /// Applies one delivery to the writer (not yet committed).
    fn apply(&mut self, delivery: &Delivery) -> Result<(), IndexError> {
        self.batch_len += 1;
        let key = format!("{}/{}", delivery.topic, delivery.partition);
        let already = self
            .positions
            .offsets
            .get(&key)
            .is_some_and(|last| delivery.offset <= *last);
        self.note(key, delivery);
        if already {
            return Ok(());
        }
        let event = match Event::decode(&delivery.payload) {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(topic = %delivery.topic, offset = delivery.offset, "skipping an undecodable event: {err}");
                return Ok(());
            }
        };
        let occurred_at = occurred_at(&event);
        if let Some(link) = UnitLink::from_event(&event) {
            return self.apply_unit(link, occurred_at);
        }
        let Some(update) = update_of(&event) else {
            return Ok(());
        };
        let id = event.aggregate_id().to_owned();
        let sequence = event.envelope.aggregate_sequence;
        let current = match self.pending.get(&id) {
            Some(listing) => listing.clone(),
            None => self
                .index
                .find(&id)?
                .unwrap_or_else(|| StoredListing::empty(&id)),
        };
        if sequence <= current.sequence {
            return Ok(()); // applied before: a replay
        }
        let mut next = current.clone();
        next.sequence = sequence;
        match update {
            Update::Snapshot(property) => {
                next.property = Some(*property);
                self.batch_urgent = true;
            }
            Update::Calendar(days) => next.unavailable_days = days,
        }
        self.link(&mut next);
        if let Some(reason) = alert_reason(&current, &next) {
            let property = next.property.clone().unwrap_or_default();
            self.changes.push(Change {
                property_id: id.clone(),
                sequence,
                occurred_at,
                reason,
                title: property.title.clone(),
                price: headline_price(&property),
                currency_code: property.currency_code,
                project: None,
            });
        }
        if event.event_type() == "property.listed" {
            self.listed.push(occurred_at);
        }
        let writer = self.writer.as_ref().ok_or_else(writer_gone)?;
        self.index.put(writer, &next)?;
        self.pending.insert(id, next);
        Ok(())
    }

    /// Applies a unit's new link: the listings it names now or named before get the project
    /// the links give them now. A listing not indexed yet takes its link with its first event.
    fn apply_unit(&mut self, link: UnitLink, occurred_at: i64) -> Result<(), IndexError> {
        self.batch_urgent = true;
        let mut affected = BTreeSet::new();
        if let Some(before) = self.links.unit(&link.unit) {
            affected.insert(before.listing.clone());
        }
        affected.insert(link.listing.clone());
        if self.links.apply(link.clone()) {
            self.pending_links.push(link.clone());
        }
        // Also whatever the index still gives this unit: the links may be ahead of the index
        // (loaded from the database another replica wrote), so the listings this event
        // unlinks are not always the ones the links name.
        for listing in self.index.listings_of_unit(&link.unit)? {
            affected.insert(listing.id);
        }
        for listing in self.pending.values() {
            if listing.unit == link.unit {
                affected.insert(listing.id.clone());
            }
        }
        affected.remove("");
        for id in affected {
            let current = match self.pending.get(&id) {
                Some(listing) => listing.clone(),
                None => match self.index.find(&id)? {
                    Some(listing) => listing,
                    None => continue,
                },
            };
            let mut next = current.clone();
            self.link(&mut next);
            if next == current {
                continue;
            }
            // Newly in a project: new to the searches saved for that project.
            if next.is_published() && !next.project.is_empty() && next.project != current.project {
                let property = next.property.clone().unwrap_or_default();
                self.changes.push(Change {
                    property_id: id.clone(),
                    sequence: next.sequence,
                    occurred_at,
                    reason: spb::AlertReason::NewListing,
                    title: property.title.clone(),
                    price: headline_price(&property),
                    currency_code: property.currency_code,
                    project: Some(next.project.clone()),
                });
            }
            let writer = self.writer.as_ref().ok_or_else(writer_gone)?;
            self.index.put(writer, &next)?;
            self.pending.insert(id, next);
        }
        Ok(())
    }

    /// Gives `listing` the project and unit the links say it sells, or none.
    fn link(&self, listing: &mut StoredListing) {
        match self.links.unit_of(&listing.id) {
            Some(unit) => {
                listing.project.clone_from(&unit.project);
                listing.unit.clone_from(&unit.unit);
            }
            None => {
                listing.project.clear();
                listing.unit.clear();
            }
        }
    }

    fn note(&mut self, key: String, delivery: &Delivery) {
        self.positions.offsets.insert(key, delivery.offset);
        self.acks.insert(
            (delivery.topic.clone(), delivery.partition),
            Delivery {
                payload: Vec::new(),
                ..delivery.clone()
            },
        );
    }

    /// Commits the batch with its positions, makes it searchable, acknowledges its events and
    /// raises its alerts.
    async fn commit(&mut self) -> Result<(), IndexerError> {
        if self.batch_len == 0 {
            return Ok(());
        }
        // The links first: a crash after this replays the batch over links already stored,
        // which their versions make no-ops; the index never holds a link the table lacks.
        if let Some(store) = &self.link_store {
            store.save_unit_links(&self.pending_links).await?;
        }
        self.pending_links.clear();
        let mut writer = self.writer.take().ok_or_else(writer_gone)?;
        let positions = self.positions.clone();
        // A commit waits for the indexing threads and fsyncs: off the async workers.
        let (writer, committed) = tokio::task::spawn_blocking(move || {
            let committed = index::commit(&mut writer, &positions);
            (writer, committed)
        })
        .await?;
        self.writer = Some(writer);
        committed?;
        self.index.reload()?;

        let now = unix_micros(SystemTime::now());
        let ages: Vec<Duration> = self
            .listed
            .drain(..)
            .map(|at| Duration::from_micros(u64::try_from(now - at).unwrap_or(0)))
            .collect();
        for age in &ages {
            metrics::histogram!("estospaces_search_listed_to_searchable_seconds")
                .record(age.as_secs_f64());
        }
        if let Some(probe) = &self.freshness {
            probe
                .lock()
                .unwrap_or_else(|poison| poison.into_inner())
                .extend(ages);
        }
        metrics::counter!("estospaces_search_indexed_events_total")
            .increment(self.batch_len as u64);
        self.pending.clear();
        self.batch_len = 0;
        self.batch_started = None;
        self.batch_urgent = false;
        for delivery in std::mem::take(&mut self.acks).values() {
            self.source.ack(delivery).await?;
        }

        let changes = std::mem::take(&mut self.changes);
        if let Some(alerts) = &self.alerts {
            // The index already holds these changes and a replay would skip them: retry a
            // few times rather than lose the alerts to a brief database outage.
            for attempt in 1..=3 {
                match alerts.process(&self.index, &changes).await {
                    Ok(_) => break,
                    Err(err) => {
                        tracing::warn!(attempt, "matching saved searches: {err:#}");
                        tokio::time::sleep(Duration::from_millis(500 * attempt)).await;
                    }
                }
            }
        }
        Ok(())
    }
}

fn writer_gone() -> IndexError {
    IndexError::Corrupt("the index writer is gone".to_owned())
}

/// When `event` happened, Unix microseconds (0 if it does not say).
fn occurred_at(event: &Event) -> i64 {
    event.envelope.occurred_at.map_or(0, |time| {
        time.seconds * 1_000_000 + i64::from(time.nanos / 1_000)
    })
}

fn update_of(event: &Event) -> Option<Update> {
    let snapshot = if event.is::<pb::PropertyListed>() {
        event.payload::<pb::PropertyListed>().ok()?.property
    } else if event.is::<pb::PropertyUpdated>() {
        event.payload::<pb::PropertyUpdated>().ok()?.property
    } else if event.is::<pb::PropertyUnlisted>() {
        event.payload::<pb::PropertyUnlisted>().ok()?.property
    } else if event.is::<pb::PropertyPriceChanged>() {
        event.payload::<pb::PropertyPriceChanged>().ok()?.property
    } else if event.is::<pb::PropertyCalendarChanged>() {
        let changed = event.payload::<pb::PropertyCalendarChanged>().ok()?;
        return Some(Update::Calendar(day_numbers(&changed.unavailable_days)));
    } else {
        None
    };
    snapshot.map(|property| Update::Snapshot(Box::new(property)))
}

/// Why a change from `before` to `after` may interest saved searches.
fn alert_reason(before: &StoredListing, after: &StoredListing) -> Option<spb::AlertReason> {
    if !after.is_published() {
        return None;
    }
    if !before.is_published() {
        return Some(spb::AlertReason::NewListing);
    }
    if after.price() < before.price() {
        return Some(spb::AlertReason::PriceDrop);
    }
    let opened = before
        .unavailable_days
        .iter()
        .any(|day| after.unavailable_days.binary_search(day).is_err());
    opened.then_some(spb::AlertReason::DatesOpened)
}
