//! Saved searches, and the records that keep alerts single and spaced out, on PostgreSQL or
//! SQLite. An alert's outbox event commits with its records.

use std::time::{Duration, SystemTime};

use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::search_v1 as spb;
use estospaces_storage::{Database, unix_micros};
use prost::Message as _;
use sqlx::Row;

use crate::SERVICE_NAME;
use crate::projects::UnitLink;

/// The service's migrations; apply with `Database::migrate`.
pub static MIGRATIONS: estospaces_storage::Migrations = estospaces_storage::Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

/// The most saved searches a user keeps.
pub const MAX_PER_USER: i64 = 50;

/// A saved search as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedSearchRecord {
    pub id: String,
    pub owner_id: String,
    pub display_name: String,
    pub query: spb::PropertyQuery,
    pub created_at: i64,
}

impl SavedSearchRecord {
    pub fn name(&self) -> String {
        format!("users/{}/savedSearches/{}", self.owner_id, self.id)
    }

    pub fn to_proto(&self) -> spb::SavedSearch {
        spb::SavedSearch {
            name: self.name(),
            display_name: self.display_name.clone(),
            query: Some(self.query.clone()),
            create_time: Some(prost_types::Timestamp {
                seconds: self.created_at.div_euclid(1_000_000),
                nanos: i32::try_from(self.created_at.rem_euclid(1_000_000) * 1_000).unwrap_or(0),
            }),
        }
    }
}

/// What became of an alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertOutcome {
    /// Recorded with its event in the outbox.
    Sent,
    /// The user was alerted within the throttle window; dropped.
    Throttled,
    /// This change was already considered (a replay, or another replica).
    AlreadyConsidered,
}

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the user keeps the most saved searches allowed")]
    TooMany,
    #[error("a stored query is corrupt: {0}")]
    Corrupt(#[from] prost::DecodeError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// Saved searches on the service's database.
#[derive(Debug, Clone)]
pub struct SearchStore {
    db: Database,
}

impl SearchStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// Saves `record`, unless its owner already keeps [`MAX_PER_USER`].
    pub async fn insert(&self, record: &SavedSearchRecord) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        let count: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM saved_searches WHERE owner_id = $1")
                .bind(&record.owner_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if count >= MAX_PER_USER {
            return Err(StoreError::TooMany);
        }
        sqlx::query(
            "INSERT INTO saved_searches (id, owner_id, display_name, query, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&record.id)
        .bind(&record.owner_id)
        .bind(&record.display_name)
        .bind(record.query.encode_to_vec())
        .bind(record.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `owner_id`'s saved searches, newest first.
    pub async fn list(&self, owner_id: &str) -> Result<Vec<SavedSearchRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, owner_id, display_name, query, created_at FROM saved_searches \
             WHERE owner_id = $1 ORDER BY created_at DESC, id DESC",
        )
        .bind(owner_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Every saved search, for matching changed listings.
    pub async fn all(&self) -> Result<Vec<SavedSearchRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, owner_id, display_name, query, created_at FROM saved_searches ORDER BY id",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Deletes `owner_id`'s saved search `id`; false when there is none.
    pub async fn delete(&self, owner_id: &str, id: &str) -> Result<bool, StoreError> {
        let deleted = sqlx::query("DELETE FROM saved_searches WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(owner_id)
            .execute(self.db.pool())
            .await?;
        Ok(deleted.rows_affected() > 0)
    }

    /// Records that change `sequence` of listing `property_id` matched `search`, and unless
    /// it was already considered or the owner was alerted within `throttle`, appends `event`
    /// to the outbox, all in one transaction.
    pub async fn record_alert(
        &self,
        search: &SavedSearchRecord,
        property_id: &str,
        sequence: i64,
        throttle: Duration,
        event: NewEvent,
    ) -> Result<AlertOutcome, StoreError> {
        let now = unix_micros(SystemTime::now());
        let mut tx = self.db.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO search_alerts (saved_search_id, property_id, aggregate_sequence, sent, created_at) \
             VALUES ($1, $2, $3, 0, $4) ON CONFLICT DO NOTHING",
        )
        .bind(&search.id)
        .bind(property_id)
        .bind(sequence)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(AlertOutcome::AlreadyConsidered);
        }
        let cutoff = now - i64::try_from(throttle.as_micros()).unwrap_or(i64::MAX);
        // One statement decides the throttle, so concurrent replicas cannot both pass it.
        let allowed = sqlx::query(
            "INSERT INTO alert_throttle (owner_id, last_alert_at) VALUES ($1, $2) \
             ON CONFLICT (owner_id) DO UPDATE SET last_alert_at = excluded.last_alert_at \
             WHERE alert_throttle.last_alert_at <= $3",
        )
        .bind(&search.owner_id)
        .bind(now)
        .bind(cutoff)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !allowed {
            tx.commit().await?;
            return Ok(AlertOutcome::Throttled);
        }
        sqlx::query(
            "UPDATE search_alerts SET sent = 1 \
             WHERE saved_search_id = $1 AND property_id = $2 AND aggregate_sequence = $3",
        )
        .bind(&search.id)
        .bind(property_id)
        .bind(sequence)
        .execute(&mut *tx)
        .await?;
        Outbox::new(SERVICE_NAME).append(&mut tx, event).await?;
        tx.commit().await?;
        Ok(AlertOutcome::Sent)
    }
}

impl SearchStore {
    /// Every unit's link to its sale listing, as the project events left them.
    pub async fn unit_links(&self) -> Result<Vec<UnitLink>, StoreError> {
        let rows = sqlx::query(
            "SELECT unit_id, project_id, listing_id, updated_at, event_sequence FROM project_units",
        )
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UnitLink {
                    unit: row.try_get("unit_id")?,
                    project: row.try_get("project_id")?,
                    listing: row.try_get("listing_id")?,
                    updated_at: row.try_get("updated_at")?,
                    sequence: row.try_get("event_sequence")?,
                })
            })
            .collect()
    }

    /// Stores `links`, each only over an older state of its unit, in one transaction.
    pub async fn save_unit_links(&self, links: &[UnitLink]) -> Result<(), StoreError> {
        if links.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await?;
        for link in links {
            sqlx::query(
                "INSERT INTO project_units (unit_id, project_id, listing_id, updated_at, event_sequence) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (unit_id) DO UPDATE SET project_id = excluded.project_id, \
                 listing_id = excluded.listing_id, updated_at = excluded.updated_at, \
                 event_sequence = excluded.event_sequence \
                 WHERE project_units.updated_at < excluded.updated_at \
                 OR (project_units.updated_at = excluded.updated_at \
                 AND project_units.event_sequence < excluded.event_sequence)",
            )
            .bind(&link.unit)
            .bind(&link.project)
            .bind(&link.listing)
            .bind(link.updated_at)
            .bind(link.sequence)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

fn decode(row: &sqlx::any::AnyRow) -> Result<SavedSearchRecord, StoreError> {
    let query: Vec<u8> = row.try_get("query")?;
    Ok(SavedSearchRecord {
        id: row.try_get("id")?,
        owner_id: row.try_get("owner_id")?,
        display_name: row.try_get("display_name")?,
        query: spb::PropertyQuery::decode(query.as_slice())?,
        created_at: row.try_get("created_at")?,
    })
}
