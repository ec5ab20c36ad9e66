//! Listings, calendars and view counts, in one SQL dialect that runs on PostgreSQL and SQLite.
//!
//! A listing is stored as its encoded protobuf `document` beside the columns queries need; the
//! output-only fields (name, owner, state, etag, times, views, rating, moderation reason) live
//! in columns and are filled in on the way out. Every write is a compare-and-swap on
//! `revision`, and commits the events that describe it through the outbox in the same
//! transaction. A rating is not the owner's write: it changes neither the revision nor
//! `updated_at`.

use std::collections::{BTreeMap, HashMap};
use std::time::SystemTime;

use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::property_v1 as pb;
use estospaces_storage::{
    Database, Migrations, from_unix_micros, is_unique_violation, unix_micros,
};
use prost::Message;
use sqlx::{AnyConnection, Row};
use time::Date;

use crate::SERVICE_NAME;
use crate::domain::{
    PropertyId, day_key, kind_key, parse_day_key, state_from_key, state_key, user_name,
};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

pub(crate) const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// A stored listing.
#[derive(Debug, Clone)]
pub struct PropertyRecord {
    pub id: PropertyId,
    pub owner_id: String,
    pub state: pb::property::State,
    pub revision: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
    pub views: i64,
    /// What guests' reviews say; `None` until the first.
    pub rating: Option<pb::Rating>,
    /// Why a moderator rejected or took down the listing; empty otherwise.
    pub moderation_reason: String,
    /// When the listing was first published (directly or by approval); `None` if never.
    pub first_published_at: Option<SystemTime>,
    /// The client-set fields; output-only fields are empty here.
    pub document: pb::Property,
}

impl PropertyRecord {
    pub fn kind(&self) -> pb::ListingKind {
        pb::ListingKind::try_from(self.document.kind).unwrap_or_default()
    }

    /// The listing as the API shows it.
    pub fn to_proto(&self) -> pb::Property {
        let mut property = self.document.clone();
        property.name = self.id.name();
        property.owner = user_name(&self.owner_id);
        property.state = self.state as i32;
        property.etag = format!("\"{}\"", self.revision);
        property.view_count = self.views;
        property.create_time = Some(self.created_at.into());
        property.update_time = Some(self.updated_at.into());
        property.rating = self.rating;
        property.moderation_reason = self.moderation_reason.clone();
        property.refund_schedule = crate::domain::refund_schedule(
            pb::CancellationPolicy::try_from(property.cancellation_policy).unwrap_or_default(),
        );
        property
    }
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub kind: Option<pb::ListingKind>,
    /// The states to include.
    pub states: Vec<pb::property::State>,
    pub owner_id: Option<String>,
    pub country_code: Option<String>,
    /// Only listings older (smaller id) than this one: the page token.
    pub before_id: Option<String>,
    pub limit: i64,
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the listing changed since it was read")]
    Conflict,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The property service's tables.
#[derive(Debug, Clone)]
pub struct PropertyStore {
    db: Database,
}

const SELECT: &str = "SELECT p.id, p.owner_id, p.state, p.revision, p.document, p.created_at, \
     p.updated_at, p.rating_average, p.rating_count, p.rating_score, p.moderation_reason, \
     p.first_published_at, \
     COALESCE(v.views, 0) AS views FROM properties p \
     LEFT JOIN property_view_counts v ON v.property_id = p.id";

impl PropertyStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    /// Stores a new listing created by request `request_id`; when that request already
    /// created one, returns it instead.
    pub async fn insert(
        &self,
        record: &PropertyRecord,
        request_id: Option<&str>,
    ) -> Result<Option<PropertyRecord>, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO properties (id, owner_id, kind, state, country_code, revision, document, \
             created_at, updated_at, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(record.id.to_string())
        .bind(&record.owner_id)
        .bind(kind_key(record.kind()))
        .bind(state_key(record.state))
        .bind(country_code(&record.document))
        .bind(record.revision)
        .bind(record.document.encode_to_vec())
        .bind(unix_micros(record.created_at))
        .bind(unix_micros(record.updated_at))
        .bind(request_id)
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => Ok(None),
            Err(err) if is_unique_violation(&err) => {
                let row = sqlx::query(&format!(
                    "{SELECT} WHERE p.owner_id = $1 AND p.request_id = $2"
                ))
                .bind(&record.owner_id)
                .bind(request_id)
                .fetch_optional(self.db.pool())
                .await?;
                Ok(row.map(|row| decode(&row)).transpose()?)
            }
            Err(err) => Err(err.into()),
        }
    }

    /// A transaction, for the `_in` functions.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(self.db.begin().await?)
    }

    /// The listing with `id`, if any.
    pub async fn find(&self, id: PropertyId) -> Result<Option<PropertyRecord>, StoreError> {
        let row = sqlx::query(&format!("{SELECT} WHERE p.id = $1"))
            .bind(id.to_string())
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|row| decode(&row)).transpose()
    }

    /// Replaces the listing stored at revision `expected_revision` with `record` and records
    /// the `events` of the listing as stored, atomically; returns that listing.
    /// [`StoreError::Conflict`] when another write came first.
    ///
    /// The listing is read back after the write, under its row lock: its rating may have
    /// changed since `record` was read, and the events must carry the current one.
    pub async fn replace(
        &self,
        expected_revision: i64,
        record: &PropertyRecord,
        events: impl FnOnce(&pb::Property) -> Vec<NewEvent>,
    ) -> Result<pb::Property, StoreError> {
        let mut tx = self.db.begin().await?;
        let updated = sqlx::query(
            "UPDATE properties SET state = $1, country_code = $2, revision = $3, document = $4, \
             updated_at = $5, moderation_reason = $6, first_published_at = $7 \
             WHERE id = $8 AND revision = $9",
        )
        .bind(state_key(record.state))
        .bind(country_code(&record.document))
        .bind(record.revision)
        .bind(record.document.encode_to_vec())
        .bind(unix_micros(record.updated_at))
        .bind(&record.moderation_reason)
        .bind(record.first_published_at.map(unix_micros))
        .bind(record.id.to_string())
        .bind(expected_revision)
        .execute(&mut *tx)
        .await?;
        if updated.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
        let property = find_in(&mut tx, record.id)
            .await?
            .ok_or(StoreError::Conflict)?
            .to_proto();
        for event in events(&property) {
            OUTBOX.append(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(property)
    }

    /// Whether any listing of `owner_id` was ever published (directly or by approval).
    pub async fn owner_has_published(&self, owner_id: &str) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT 1 AS found FROM properties \
             WHERE owner_id = $1 AND first_published_at IS NOT NULL LIMIT 1",
        )
        .bind(owner_id)
        .fetch_optional(self.db.pool())
        .await?;
        Ok(row.is_some())
    }

    /// A page of listings, newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<PropertyRecord>, StoreError> {
        let mut sql = format!("{SELECT} WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |sql: &mut String, clause: &str, value: String| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(kind) = filter.kind {
            bind(&mut sql, " AND p.kind = ?", kind_key(kind).to_owned());
        }
        if let Some(owner) = &filter.owner_id {
            bind(&mut sql, " AND p.owner_id = ?", owner.clone());
        }
        if let Some(country) = &filter.country_code {
            bind(&mut sql, " AND p.country_code = ?", country.clone());
        }
        if let Some(before) = &filter.before_id {
            bind(&mut sql, " AND p.id < ?", before.clone());
        }
        let states: Vec<String> = filter
            .states
            .iter()
            .map(|state| {
                binds.push(state_key(*state).to_owned());
                format!("${}", binds.len())
            })
            .collect();
        sql.push_str(&format!(
            " AND p.state IN ({}) ORDER BY p.id DESC LIMIT {}",
            states.join(", "),
            filter.limit
        ));
        let mut query = sqlx::query(&sql);
        for value in &binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        rows.iter().map(decode).collect()
    }

    // === Calendar ===

    /// The unavailable nights of `id` from `first` to `last`, with their status.
    pub async fn calendar(
        &self,
        id: PropertyId,
        first: Date,
        last: Date,
    ) -> Result<BTreeMap<Date, pb::calendar_day::Status>, StoreError> {
        let rows = sqlx::query(
            "SELECT day, status FROM property_calendar \
             WHERE property_id = $1 AND day >= $2 AND day <= $3",
        )
        .bind(id.to_string())
        .bind(day_key(first))
        .bind(day_key(last))
        .fetch_all(self.db.pool())
        .await?;
        Ok(rows.iter().map(calendar_row).collect::<Result<_, _>>()?)
    }

    /// Marks the nights from `first` to `last` with `status` (`None` opens blocked nights) and
    /// records the calendar event built from the whole calendar afterwards, atomically. Booked
    /// nights change only through `booking_id`.
    pub async fn change_calendar(
        &self,
        id: PropertyId,
        first: Date,
        last: Date,
        change: CalendarChange<'_>,
        event: impl FnOnce(&BTreeMap<Date, pb::calendar_day::Status>) -> NewEvent,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        change_calendar_in(&mut tx, id, first, last, change, event).await?;
        tx.commit().await?;
        Ok(())
    }

    // === Views ===

    /// Adds counted views, all in one transaction.
    pub async fn add_views(&self, counts: &HashMap<PropertyId, i64>) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        for (id, views) in counts {
            sqlx::query(
                "INSERT INTO property_view_counts (property_id, views) VALUES ($1, $2) \
                 ON CONFLICT (property_id) DO UPDATE \
                 SET views = property_view_counts.views + excluded.views",
            )
            .bind(id.to_string())
            .bind(*views)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// [`PropertyStore::change_calendar`] in the caller's transaction (an event consumer's, whose
/// inbox record commits with it).
pub async fn change_calendar_in(
    conn: &mut AnyConnection,
    id: PropertyId,
    first: Date,
    last: Date,
    change: CalendarChange<'_>,
    event: impl FnOnce(&BTreeMap<Date, pb::calendar_day::Status>) -> NewEvent,
) -> Result<(), StoreError> {
    let property_id = id.to_string();
    match change {
        CalendarChange::Block => {
            for day in crate::domain::days(first, last) {
                sqlx::query(
                    "INSERT INTO property_calendar (property_id, day, status) \
                         VALUES ($1, $2, 'blocked') ON CONFLICT (property_id, day) DO NOTHING",
                )
                .bind(&property_id)
                .bind(day_key(day))
                .execute(&mut *conn)
                .await?;
            }
        }
        CalendarChange::Unblock => {
            sqlx::query(
                "DELETE FROM property_calendar WHERE property_id = $1 AND status = 'blocked' \
                     AND day >= $2 AND day <= $3",
            )
            .bind(&property_id)
            .bind(day_key(first))
            .bind(day_key(last))
            .execute(&mut *conn)
            .await?;
        }
        CalendarChange::Book { booking_id } => {
            for day in crate::domain::days(first, last) {
                sqlx::query(
                    "INSERT INTO property_calendar (property_id, day, status, booking_id) \
                         VALUES ($1, $2, 'booked', $3) ON CONFLICT (property_id, day) \
                         DO UPDATE SET status = 'booked', booking_id = $3",
                )
                .bind(&property_id)
                .bind(day_key(day))
                .bind(booking_id)
                .execute(&mut *conn)
                .await?;
            }
        }
        CalendarChange::CancelBooking { booking_id } => {
            sqlx::query("DELETE FROM property_calendar WHERE property_id = $1 AND booking_id = $2")
                .bind(&property_id)
                .bind(booking_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    let rows = sqlx::query(
        "SELECT day, status FROM property_calendar WHERE property_id = $1 ORDER BY day",
    )
    .bind(&property_id)
    .fetch_all(&mut *conn)
    .await?;
    let calendar = rows
        .iter()
        .map(calendar_row)
        .collect::<Result<BTreeMap<_, _>, _>>()?;
    OUTBOX.append(conn, event(&calendar)).await?;
    Ok(())
}

/// The listing with `id` as the caller's transaction sees it.
pub async fn find_in(
    conn: &mut AnyConnection,
    id: PropertyId,
) -> Result<Option<PropertyRecord>, StoreError> {
    let row = sqlx::query(&format!("{SELECT} WHERE p.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| decode(&row)).transpose()
}

/// Sets listing `id`'s rating (`None`: no reviews) without touching its revision or
/// `updated_at`, and returns the listing as stored afterwards; `None` when there is no such
/// listing or the rating is the one it has.
pub async fn set_rating_in(
    conn: &mut AnyConnection,
    id: PropertyId,
    rating: Option<&pb::Rating>,
) -> Result<Option<PropertyRecord>, StoreError> {
    let rating = rating.copied().unwrap_or_default();
    // The row lock taken here orders this write, and its event, with the owner's writes.
    let updated = sqlx::query(
        "UPDATE properties SET rating_average = $1, rating_count = $2, rating_score = $3 \
         WHERE id = $4 AND NOT (rating_average = $1 AND rating_count = $2 AND rating_score = $3)",
    )
    .bind(rating.average)
    .bind(i64::from(rating.review_count))
    .bind(rating.score)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    find_in(conn, id).await
}

/// Holds published listing `id` for review (the automatic checks flagged it): it goes to
/// `pending_review` as a new revision, and is returned as stored afterwards; `None` when there
/// is no such listing or it is not published (a hold replayed, or the owner paused it first).
pub async fn hold_in(
    conn: &mut AnyConnection,
    id: PropertyId,
    now: SystemTime,
) -> Result<Option<PropertyRecord>, StoreError> {
    // The row lock taken here orders the hold, and its events, with the owner's writes.
    let updated = sqlx::query(
        "UPDATE properties SET state = $1, revision = revision + 1, updated_at = $2 \
         WHERE id = $3 AND state = $4",
    )
    .bind(state_key(pb::property::State::PendingReview))
    .bind(unix_micros(now))
    .bind(id.to_string())
    .bind(state_key(pb::property::State::Published))
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    find_in(conn, id).await
}

/// A change to a calendar.
#[derive(Debug, Clone, Copy)]
pub enum CalendarChange<'a> {
    Block,
    Unblock,
    Book { booking_id: &'a str },
    CancelBooking { booking_id: &'a str },
}

fn country_code(property: &pb::Property) -> String {
    property
        .address
        .as_ref()
        .map(|address| address.country_code.clone())
        .unwrap_or_default()
}

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt {what}").into())
}

fn calendar_row(row: &sqlx::any::AnyRow) -> Result<(Date, pb::calendar_day::Status), sqlx::Error> {
    let day: String = row.try_get("day")?;
    let status: String = row.try_get("status")?;
    let day = parse_day_key(&day).ok_or_else(|| corrupt("calendar day"))?;
    let status = match status.as_str() {
        "booked" => pb::calendar_day::Status::Booked,
        _ => pb::calendar_day::Status::Blocked,
    };
    Ok((day, status))
}

/// The stored rating: `None` without reviews.
fn rating_of(row: &sqlx::any::AnyRow) -> Result<Option<pb::Rating>, sqlx::Error> {
    let review_count: i64 = row.try_get("rating_count")?;
    if review_count <= 0 {
        return Ok(None);
    }
    Ok(Some(pb::Rating {
        average: row.try_get("rating_average")?,
        review_count: i32::try_from(review_count).unwrap_or(i32::MAX),
        score: row.try_get("rating_score")?,
    }))
}

fn decode(row: &sqlx::any::AnyRow) -> Result<PropertyRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let document: Vec<u8> = row.try_get("document")?;
    let state: String = row.try_get("state")?;
    Ok(PropertyRecord {
        id: PropertyId::parse(&id).map_err(|_| corrupt("property id"))?,
        owner_id: row.try_get("owner_id")?,
        state: state_from_key(&state),
        revision: row.try_get("revision")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
        views: row.try_get("views")?,
        rating: rating_of(row)?,
        moderation_reason: row.try_get("moderation_reason")?,
        first_published_at: row
            .try_get::<Option<i64>, _>("first_published_at")?
            .map(from_unix_micros),
        document: pb::Property::decode(document.as_slice())
            .map_err(|_| corrupt("property document"))?,
    })
}
