//! Alerts: after each commit, the listings that changed in a way a searcher cares about (new,
//! cheaper, nights opened, newly sold as a development project's unit) are matched against saved searches, and matches raise
//! `search.alert_matched` through the outbox, at most one per user per throttle window.
//!
//! Only changes made after a search was saved count, so a rebuild replaying old events
//! alerts no one; the `search_alerts` records make each (search, change) pair considered once,
//! however many replicas or replays see it.

use std::time::Duration;

use estospaces_events::NewEvent;
use estospaces_proto::search_v1 as spb;

use crate::index::SearchIndex;
use crate::query::ListingQuery;
use crate::search;
use crate::store::{AlertOutcome, SearchStore};

/// A change of a listing that may interest saved searches.
#[derive(Debug, Clone)]
pub struct Change {
    pub property_id: String,
    /// The aggregate sequence of the event that made it.
    pub sequence: i64,
    /// When the event happened, Unix microseconds.
    pub occurred_at: i64,
    pub reason: spb::AlertReason,
    pub title: String,
    pub price: i64,
    pub currency_code: String,
    /// Set when the change is the listing joining this development project (`{project}`):
    /// only searches saved for that project care.
    pub project: Option<String>,
}

/// Matches changes against saved searches.
#[derive(Debug, Clone)]
pub struct Alerts {
    store: SearchStore,
    throttle: Duration,
}

/// How many alerts of a batch went out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AlertStats {
    pub sent: usize,
    pub throttled: usize,
}

impl Alerts {
    pub fn new(store: SearchStore, throttle: Duration) -> Self {
        Self { store, throttle }
    }

    /// Matches `changes` (already committed and searchable in `index`) against every saved
    /// search.
    pub async fn process(
        &self,
        index: &SearchIndex,
        changes: &[Change],
    ) -> anyhow::Result<AlertStats> {
        let mut stats = AlertStats::default();
        if changes.is_empty() {
            return Ok(stats);
        }
        let searches = self.store.all().await?;
        for search in &searches {
            let Ok(query) = ListingQuery::parse(&search.query, "") else {
                tracing::warn!(saved_search = %search.name(), "a saved query no longer parses");
                continue;
            };
            for change in changes {
                if change
                    .project
                    .as_ref()
                    .is_some_and(|project| query.project.as_ref() != Some(project))
                {
                    continue;
                }
                if change.occurred_at <= search.created_at
                    || !search::matches(index, &query, &change.property_id)?
                {
                    continue;
                }
                let payload = spb::AlertMatched {
                    user: format!("users/{}", search.owner_id),
                    saved_search: search.name(),
                    property: format!("properties/{}", change.property_id),
                    reason: change.reason as i32,
                    title: change.title.clone(),
                    price: change.price,
                    currency_code: change.currency_code.clone(),
                };
                let event =
                    NewEvent::new("search.alert_matched", "user", &search.owner_id, &payload);
                match self
                    .store
                    .record_alert(
                        search,
                        &change.property_id,
                        change.sequence,
                        self.throttle,
                        event,
                    )
                    .await?
                {
                    AlertOutcome::Sent => stats.sent += 1,
                    AlertOutcome::Throttled => stats.throttled += 1,
                    AlertOutcome::AlreadyConsidered => {}
                }
            }
        }
        metrics::counter!("estospaces_search_alerts_sent_total").increment(stats.sent as u64);
        metrics::counter!("estospaces_search_alerts_throttled_total")
            .increment(stats.throttled as u64);
        Ok(stats)
    }
}
