//! The end of the double-blind: when a stay's review window closes, a review whose other side
//! never wrote is published alone.

use std::time::{Duration, SystemTime};

use crate::store::ReviewStore;

/// Looks for pending reviews whose window closed every `every`.
#[derive(Debug, Clone)]
pub struct Release {
    pub store: ReviewStore,
    pub every: Duration,
}

impl Release {
    pub async fn run(self) {
        let mut ticker = tokio::time::interval(self.every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(err) = self.release_due().await {
                tracing::warn!(error = %err, "releasing reviews failed; trying again later");
            }
        }
    }

    /// Publishes every review whose window closed; how many.
    pub async fn release_due(&self) -> Result<usize, sqlx::Error> {
        let mut released = 0;
        loop {
            let batch = self.store.release_due(SystemTime::now(), 100).await?;
            released += batch;
            if batch < 100 {
                return Ok(released);
            }
        }
    }
}
