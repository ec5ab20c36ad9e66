//! Stays that ended before the platform kept them, written straight into the review
//! service's database: the demo seed's past, so the tour has reviews to show. Whoever runs the
//! platform's binary can write its database anyway (as `estospaces-identity grant-admin` does).

use estospaces_storage::Database;

use crate::SERVICE_NAME;
use crate::config::ReviewConfig;
use crate::store::{MIGRATIONS, ReviewStore, StayRecord};

/// Records `stays` as the booking service's events would have.
pub async fn record_past_stays(config: &ReviewConfig, stays: &[StayRecord]) -> anyhow::Result<()> {
    let db = Database::open(&config.common, SERVICE_NAME).await?;
    db.migrate(MIGRATIONS).await?;
    db.migrate(estospaces_events::MIGRATIONS).await?;
    ReviewStore::new(db).record_stays(stays).await?;
    Ok(())
}
