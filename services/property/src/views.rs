//! View counts that never write the listing row: views are counted in memory and added to
//! `property_view_counts` every flush interval, one transaction per flush.
//!
//! Reads show the stored count plus what this replica has not flushed yet. Views counted since
//! the last flush are lost if the process dies; a view count can afford that.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::PropertyId;
use crate::store::{PropertyStore, StoreError};

/// Views counted since the last flush. Cheap to clone; clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct ViewCounter {
    pending: Arc<Mutex<HashMap<PropertyId, i64>>>,
}

impl ViewCounter {
    /// Counts one view of `id`; returns the views of `id` not yet flushed.
    pub fn record(&self, id: PropertyId) -> i64 {
        let mut pending = self.lock();
        let count = pending.entry(id).or_default();
        *count += 1;
        *count
    }

    /// Adds the counted views to the store; on failure they are kept for the next flush.
    pub async fn flush(&self, store: &PropertyStore) -> Result<(), StoreError> {
        let counts = std::mem::take(&mut *self.lock());
        if counts.is_empty() {
            return Ok(());
        }
        if let Err(err) = store.add_views(&counts).await {
            let mut pending = self.lock();
            for (id, views) in counts {
                *pending.entry(id).or_default() += views;
            }
            return Err(err);
        }
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PropertyId, i64>> {
        self.pending
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// Flushes `counter` every `every` until the task is stopped.
pub async fn flush_periodically(
    counter: ViewCounter,
    store: PropertyStore,
    every: std::time::Duration,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        if let Err(err) = counter.flush(&store).await {
            tracing::warn!("flushing view counts: {err}");
        }
    }
}
