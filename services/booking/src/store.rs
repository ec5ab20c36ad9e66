//! Bookings, saga steps and mirrored blocked nights, in one SQL dialect that runs on PostgreSQL
//! and SQLite.
//!
//! No two active bookings of one listing share a night. A new booking is checked and inserted
//! in one transaction that first takes the listing's lock: a transaction-scoped advisory lock on
//! PostgreSQL (`pg_advisory_xact_lock(hashtext(property))`), a write to the listing's
//! `listing_locks` row on SQLite (which takes SQLite's single write lock before anything is
//! read). Concurrent bookings of a hot listing therefore queue one after another and each sees
//! the one before; without the lock they would all pass the check and collide on the exclusion
//! constraint's index, deadlocking each other. The constraint (a trigger on SQLite) stays as
//! the backstop should any writer skip the lock.
//!
//! State changes are compare-and-swaps on `revision`; each commits with its saga steps and the
//! event it emits, through the outbox, in one transaction.

use std::time::SystemTime;

use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::property_v1 as property;
use estospaces_storage::{
    Backend, Database, Migrations, from_unix_micros, is_unique_violation, unix_micros,
};
use prost::Message;
use sqlx::{AnyConnection, Row};
use time::Date;

use crate::SERVICE_NAME;
use crate::domain::{
    ACTIVE_STATES_SQL, BookingId, PaymentStatus, State, day_number, from_day_number, mode_key,
    property_name, to_pb_date, user_name,
};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

pub const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// A stored booking.
#[derive(Debug, Clone, PartialEq)]
pub struct BookingRecord {
    pub id: BookingId,
    pub property_id: String,
    pub guest_id: String,
    pub host_id: String,
    pub check_in: Date,
    pub check_out: Date,
    pub guests: i32,
    pub state: State,
    pub instant: bool,
    pub total_amount: i64,
    pub currency_code: String,
    pub platform_fee: i64,
    pub quote_lines: Vec<property::QuoteLine>,
    pub cancellation_policy: property::CancellationPolicy,
    pub refund_schedule: Vec<property::RefundRule>,
    pub hold_expires_at: SystemTime,
    pub payment_status: PaymentStatus,
    pub payment_name: String,
    pub refund: Option<pb::Refund>,
    pub end_reason: String,
    pub revision: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl BookingRecord {
    /// The booking as the API shows it.
    pub fn to_proto(&self) -> pb::Booking {
        pb::Booking {
            name: self.id.name(),
            property: property_name(&self.property_id),
            guest: user_name(&self.guest_id),
            host: user_name(&self.host_id),
            check_in: Some(to_pb_date(self.check_in)),
            check_out: Some(to_pb_date(self.check_out)),
            guests: self.guests,
            state: self.state.to_proto() as i32,
            booking_mode: if self.instant {
                property::BookingMode::Instant
            } else {
                property::BookingMode::Request
            } as i32,
            total_amount: self.total_amount,
            currency_code: self.currency_code.clone(),
            platform_fee: self.platform_fee,
            quote_lines: self.quote_lines.clone(),
            cancellation_policy: self.cancellation_policy as i32,
            refund_schedule: self.refund_schedule.clone(),
            hold_expire_time: Some(self.hold_expires_at.into()),
            payment_status: self.payment_status.to_proto() as i32,
            payment: self.payment_name.clone(),
            refund: self.refund.clone(),
            end_reason: self.end_reason.clone(),
            create_time: Some(self.created_at.into()),
            update_time: Some(self.updated_at.into()),
        }
    }

    /// The facts every booking event repeats.
    pub fn facts(&self) -> pb::BookingFacts {
        pb::BookingFacts {
            booking: self.id.name(),
            property: property_name(&self.property_id),
            guest: user_name(&self.guest_id),
            host: user_name(&self.host_id),
            check_in: Some(to_pb_date(self.check_in)),
            check_out: Some(to_pb_date(self.check_out)),
            total_amount: self.total_amount,
            currency_code: self.currency_code.clone(),
            platform_fee: self.platform_fee,
        }
    }

    /// A `booking.*` event about this booking.
    pub fn event<P: prost::Name>(&self, event_type: &str, payload: &P) -> NewEvent {
        NewEvent::new(event_type, "booking", self.id.to_string(), payload)
    }
}

/// A recorded saga step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepRecord {
    pub step: String,
    pub at: SystemTime,
    pub event_id: String,
    pub detail: String,
}

/// A saga step to record with a change.
#[derive(Debug, Clone)]
pub struct Step {
    pub step: &'static str,
    pub detail: String,
    /// The event the step is about: one received, or (when `None` and the change emits one)
    /// the one emitted.
    pub event_id: Option<String>,
}

impl Step {
    pub fn new(step: &'static str, detail: impl Into<String>) -> Self {
        Self {
            step,
            detail: detail.into(),
            event_id: None,
        }
    }

    /// A step about the received event `event_id`.
    pub fn received(step: &'static str, event_id: &str, detail: impl Into<String>) -> Self {
        Self {
            step,
            detail: detail.into(),
            event_id: Some(event_id.to_owned()),
        }
    }
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Another booking holds, or the host blocked, a night of the stay.
    #[error("a night of the stay is unavailable")]
    NightsUnavailable {
        /// The first unavailable night, when known.
        night: Option<Date>,
        /// Whether the database's constraint refused it (a concurrent booking won) rather
        /// than the check before the insert.
        by_constraint: bool,
    },
    /// The booking changed since it was read.
    #[error("the booking changed since it was read")]
    Conflict,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// What to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub guest_id: Option<String>,
    pub host_id: Option<String>,
    pub property_id: Option<String>,
    pub state: Option<State>,
    /// Only bookings older (smaller id) than this one: the page token.
    pub before_id: Option<String>,
    pub limit: i64,
}

const COLUMNS: &str = "id, property_id, guest_id, host_id, check_in_day, check_out_day, guests, \
     state, booking_mode, total_amount, currency_code, platform_fee, quote, cancellation_policy, \
     refund_schedule, hold_expires_at, payment_status, payment_name, refund, end_reason, revision, \
     created_at, updated_at";

/// The booking service's tables.
#[derive(Debug, Clone)]
pub struct BookingStore {
    db: Database,
}

impl BookingStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    /// The booking with `id`, if any.
    pub async fn find(&self, id: BookingId) -> Result<Option<BookingRecord>, StoreError> {
        let mut conn = self.db.pool().acquire().await?;
        find_in(&mut conn, id).await
    }

    /// The first night from `check_in` to the night before `check_out` that an active booking
    /// of `property_id` holds or its host blocked, as committed now (no lock: a hint that saves
    /// work, not the check that counts).
    pub async fn unavailable_night(
        &self,
        property_id: &str,
        check_in: Date,
        check_out: Date,
    ) -> Result<Option<Date>, StoreError> {
        let mut conn = self.db.pool().acquire().await?;
        unavailable_night_in(&mut conn, property_id, check_in, check_out).await
    }

    /// The booking `guest_id` created with request `request_id`, if any.
    pub async fn find_by_request(
        &self,
        guest_id: &str,
        request_id: &str,
    ) -> Result<Option<BookingRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM bookings WHERE guest_id = $1 AND request_id = $2"
        ))
        .bind(guest_id)
        .bind(request_id)
        .fetch_optional(self.db.pool())
        .await?;
        row.map(|row| decode(&row)).transpose()
    }

    /// Stores a new booking holding its nights, with its first saga step and the event
    /// `requested` builds from it, atomically; [`StoreError::NightsUnavailable`] when another
    /// active booking or a blocked night overlaps. When request `request_id` of the same guest
    /// already created a booking, returns that one instead (and stores nothing).
    pub async fn create(
        &self,
        record: &BookingRecord,
        request_id: Option<&str>,
        requested: NewEvent,
    ) -> Result<BookingRecord, StoreError> {
        let mut tx = self.db.begin().await?;
        // The listing's lock first: everything after runs as the only booking of this listing.
        match self.db.backend() {
            Backend::Postgres => {
                // `pg_advisory_xact_lock` returns void, which the Any driver cannot decode.
                sqlx::query(
                    "SELECT 1 AS locked FROM (SELECT pg_advisory_xact_lock(hashtext($1))) AS listing_lock",
                )
                .bind(&record.property_id)
                .fetch_one(&mut *tx)
                .await?;
            }
            Backend::Sqlite => {
                sqlx::query(
                    "INSERT INTO listing_locks (property_id, bookings) VALUES ($1, 1) \
                     ON CONFLICT (property_id) DO UPDATE SET bookings = listing_locks.bookings + 1",
                )
                .bind(&record.property_id)
                .execute(&mut *tx)
                .await?;
            }
        }
        if let Some(request_id) = request_id {
            let earlier = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM bookings WHERE guest_id = $1 AND request_id = $2"
            ))
            .bind(&record.guest_id)
            .bind(request_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = earlier {
                return decode(&row);
            }
        }
        if let Some(night) = first_unavailable_night(&mut tx, record).await? {
            return Err(StoreError::NightsUnavailable {
                night: Some(night),
                by_constraint: false,
            });
        }
        let (first, last) = (day_number(record.check_in), day_number(record.check_out));
        let inserted = sqlx::query(
            "INSERT INTO bookings (id, property_id, guest_id, host_id, check_in_day, \
             check_out_day, guests, state, booking_mode, total_amount, currency_code, \
             platform_fee, quote, cancellation_policy, refund_schedule, hold_expires_at, \
             payment_status, payment_name, refund, end_reason, revision, created_at, updated_at, \
             request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, \
             $15, $16, $17, $18, NULL, '', $19, $20, $21, $22)",
        )
        .bind(record.id.to_string())
        .bind(&record.property_id)
        .bind(&record.guest_id)
        .bind(&record.host_id)
        .bind(first)
        .bind(last)
        .bind(i64::from(record.guests))
        .bind(record.state.key())
        .bind(mode_key(record.instant))
        .bind(record.total_amount)
        .bind(&record.currency_code)
        .bind(record.platform_fee)
        .bind(encode_quote(&record.quote_lines))
        .bind(record.cancellation_policy as i64)
        .bind(encode_schedule(&record.refund_schedule))
        .bind(unix_micros(record.hold_expires_at))
        .bind(record.payment_status.key())
        .bind(&record.payment_name)
        .bind(record.revision)
        .bind(unix_micros(record.created_at))
        .bind(unix_micros(record.updated_at))
        .bind(request_id)
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            return Err(if is_overlap_violation(&err) {
                StoreError::NightsUnavailable {
                    night: None,
                    by_constraint: true,
                }
            } else if is_unique_violation(&err) {
                // The same request, committed by a concurrent retry of it.
                StoreError::Conflict
            } else {
                err.into()
            });
        }
        let event_id = OUTBOX.append(&mut tx, requested).await?;
        insert_step(
            &mut tx,
            record.id,
            "hold_placed",
            &event_id,
            &format!(
                "nights held for {} s; booking.requested emitted",
                record
                    .hold_expires_at
                    .duration_since(record.created_at)
                    .unwrap_or_default()
                    .as_secs()
            ),
        )
        .await?;
        tx.commit().await?;
        Ok(record.clone())
    }

    /// Saves `next` over `current` (a compare-and-swap on the revision), with `steps` and the
    /// optional `event`, in a transaction of its own.
    pub async fn change(
        &self,
        current: &BookingRecord,
        next: &BookingRecord,
        steps: Vec<Step>,
        event: Option<NewEvent>,
    ) -> Result<(), StoreError> {
        let mut tx = self.db.begin().await?;
        change_in(&mut tx, current, next, steps, event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A booking's saga steps, oldest first.
    pub async fn steps(&self, id: BookingId) -> Result<Vec<StepRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT step, at, event_id, detail FROM booking_saga_steps WHERE booking_id = $1 \
             ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(self.db.pool())
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StepRecord {
                    step: row.try_get("step")?,
                    at: from_unix_micros(row.try_get("at")?),
                    event_id: row.try_get("event_id")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }

    /// A page of bookings, newest first.
    pub async fn list(&self, filter: &ListFilter) -> Result<Vec<BookingRecord>, StoreError> {
        let mut sql = format!("SELECT {COLUMNS} FROM bookings WHERE 1 = 1");
        let mut binds: Vec<String> = Vec::new();
        let mut bind = |sql: &mut String, clause: &str, value: String| {
            binds.push(value);
            sql.push_str(&clause.replace('?', &format!("${}", binds.len())));
        };
        if let Some(guest) = &filter.guest_id {
            bind(&mut sql, " AND guest_id = ?", guest.clone());
        }
        if let Some(host) = &filter.host_id {
            bind(&mut sql, " AND host_id = ?", host.clone());
        }
        if let Some(property) = &filter.property_id {
            bind(&mut sql, " AND property_id = ?", property.clone());
        }
        if let Some(state) = filter.state {
            bind(&mut sql, " AND state = ?", state.key().to_owned());
        }
        if let Some(before) = &filter.before_id {
            bind(&mut sql, " AND id < ?", before.clone());
        }
        sql.push_str(&format!(" ORDER BY id DESC LIMIT {}", filter.limit));
        let mut query = sqlx::query(&sql);
        for value in &binds {
            query = query.bind(value);
        }
        let rows = query.fetch_all(self.db.pool()).await?;
        rows.iter().map(decode).collect()
    }

    /// The host of `property_id` as its bookings record it, if it has any.
    pub async fn host_of(&self, property_id: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT host_id FROM bookings WHERE property_id = $1 LIMIT 1")
            .bind(property_id)
            .fetch_optional(self.db.pool())
            .await?;
        Ok(row.map(|row| row.try_get("host_id")).transpose()?)
    }

    /// The active bookings of `property_id`, by check-in.
    pub async fn active_for_property(
        &self,
        property_id: &str,
    ) -> Result<Vec<BookingRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM bookings WHERE property_id = $1 AND state IN {ACTIVE_STATES_SQL} \
             ORDER BY check_in_day"
        ))
        .bind(property_id)
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(decode).collect()
    }

    /// Pending bookings whose hold lapsed by `now`, or which have waited for payment since
    /// before `payment_deadline`.
    pub async fn due_to_expire(
        &self,
        now: SystemTime,
        payment_deadline: SystemTime,
        limit: i64,
    ) -> Result<Vec<BookingRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM bookings WHERE \
             (state IN ('pending_payment', 'awaiting_host') AND hold_expires_at <= $1) \
             OR (state = 'pending_payment' AND created_at <= $2) ORDER BY id LIMIT {limit}"
        ))
        .bind(unix_micros(now))
        .bind(unix_micros(payment_deadline))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(decode).collect()
    }

    /// How many confirmed bookings still wait for their payment's capture since before
    /// `deadline`: sagas stuck between confirmation and capture, for operators to look at.
    pub async fn uncaptured_since(&self, deadline: SystemTime) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS stuck FROM bookings WHERE state = 'confirmed' \
             AND payment_status <> 'captured' AND updated_at <= $1",
        )
        .bind(unix_micros(deadline))
        .fetch_one(self.db.pool())
        .await?;
        Ok(row.try_get("stuck")?)
    }

    /// Bookings in `state` whose `column` day (`check_in_day`, `check_out_day`) is `today` or
    /// earlier.
    pub async fn due_on(
        &self,
        state: State,
        column: &'static str,
        today: Date,
        limit: i64,
    ) -> Result<Vec<BookingRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM bookings WHERE state = $1 AND {column} <= $2 ORDER BY id \
             LIMIT {limit}"
        ))
        .bind(state.key())
        .bind(day_number(today))
        .fetch_all(self.db.pool())
        .await?;
        rows.iter().map(decode).collect()
    }
}

/// The booking with `id` as `conn` sees it.
pub async fn find_in(
    conn: &mut AnyConnection,
    id: BookingId,
) -> Result<Option<BookingRecord>, StoreError> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM bookings WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| decode(&row)).transpose()
}

/// The first night of `record`'s stay another active booking of the listing holds or the host
/// blocked, as `conn` sees them.
async fn first_unavailable_night(
    conn: &mut AnyConnection,
    record: &BookingRecord,
) -> Result<Option<Date>, StoreError> {
    unavailable_night_in(conn, &record.property_id, record.check_in, record.check_out).await
}

async fn unavailable_night_in(
    conn: &mut AnyConnection,
    property_id: &str,
    check_in: Date,
    check_out: Date,
) -> Result<Option<Date>, StoreError> {
    let (first, last) = (day_number(check_in), day_number(check_out));
    let overlapping = sqlx::query(&format!(
        "SELECT check_in_day FROM bookings WHERE property_id = $1 AND state IN {ACTIVE_STATES_SQL} \
         AND check_in_day < $2 AND $3 < check_out_day ORDER BY check_in_day LIMIT 1"
    ))
    .bind(property_id)
    .bind(last)
    .bind(first)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = overlapping {
        let their_first: i64 = row.try_get("check_in_day")?;
        return Ok(from_day_number(their_first.max(first)));
    }
    let blocked = sqlx::query(
        "SELECT day FROM listing_blocked_nights WHERE property_id = $1 AND day >= $2 \
         AND day < $3 ORDER BY day LIMIT 1",
    )
    .bind(property_id)
    .bind(first)
    .bind(last)
    .fetch_optional(&mut *conn)
    .await?;
    match blocked {
        Some(row) => Ok(from_day_number(row.try_get("day")?)),
        None => Ok(None),
    }
}

/// Saves `next` over `current` in `conn`'s transaction: a compare-and-swap on the revision
/// ([`StoreError::Conflict`] when another change came first), the saga `steps` and the
/// optional `event`.
pub async fn change_in(
    conn: &mut AnyConnection,
    current: &BookingRecord,
    next: &BookingRecord,
    steps: Vec<Step>,
    event: Option<NewEvent>,
) -> Result<(), StoreError> {
    let updated = sqlx::query(
        "UPDATE bookings SET state = $1, payment_status = $2, payment_name = $3, refund = $4, \
         end_reason = $5, hold_expires_at = $6, revision = $7, updated_at = $8 \
         WHERE id = $9 AND revision = $10",
    )
    .bind(next.state.key())
    .bind(next.payment_status.key())
    .bind(&next.payment_name)
    .bind(next.refund.as_ref().map(Message::encode_to_vec))
    .bind(&next.end_reason)
    .bind(unix_micros(next.hold_expires_at))
    .bind(current.revision + 1)
    .bind(unix_micros(next.updated_at))
    .bind(current.id.to_string())
    .bind(current.revision)
    .execute(&mut *conn)
    .await;
    let updated = match updated {
        Ok(updated) => updated,
        Err(err) if is_overlap_violation(&err) => {
            return Err(StoreError::NightsUnavailable {
                night: None,
                by_constraint: true,
            });
        }
        Err(err) => return Err(err.into()),
    };
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict);
    }
    let emitted = match event {
        Some(event) => Some(OUTBOX.append(conn, event).await?),
        None => None,
    };
    for step in steps {
        let event_id = step
            .event_id
            .or_else(|| emitted.clone())
            .unwrap_or_default();
        insert_step(conn, current.id, step.step, &event_id, &step.detail).await?;
    }
    Ok(())
}

/// Records a saga step that changes nothing else (a payment captured, say).
pub async fn record_step_in(
    conn: &mut AnyConnection,
    id: BookingId,
    step: &Step,
) -> Result<(), StoreError> {
    let event_id = step.event_id.clone().unwrap_or_default();
    insert_step(conn, id, step.step, &event_id, &step.detail).await?;
    Ok(())
}

async fn insert_step(
    conn: &mut AnyConnection,
    id: BookingId,
    step: &str,
    event_id: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO booking_saga_steps (booking_id, step, at, event_id, detail) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id.to_string())
    .bind(step)
    .bind(unix_micros(SystemTime::now()))
    .bind(event_id)
    .bind(detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Replaces the blocked nights mirrored for `property_id` with `days`, in `conn`'s transaction.
pub async fn replace_blocked_nights_in(
    conn: &mut AnyConnection,
    property_id: &str,
    days: &[Date],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM listing_blocked_nights WHERE property_id = $1")
        .bind(property_id)
        .execute(&mut *conn)
        .await?;
    for chunk in days.chunks(200) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("($1, ${})", i + 2))
            .collect();
        let sql = format!(
            "INSERT INTO listing_blocked_nights (property_id, day) VALUES {} \
             ON CONFLICT DO NOTHING",
            values.join(", ")
        );
        let mut insert = sqlx::query(&sql).bind(property_id);
        for day in chunk {
            insert = insert.bind(day_number(*day));
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Whether `err` is the double-booking backstop refusing a write: PostgreSQL's exclusion
/// violation (SQLSTATE 23P01) or SQLite's trigger.
fn is_overlap_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23P01") || db.message().contains("NIGHTS_UNAVAILABLE")
        }
        _ => false,
    }
}

fn encode_quote(lines: &[property::QuoteLine]) -> Vec<u8> {
    property::QuotePriceResponse {
        lines: lines.to_vec(),
        ..Default::default()
    }
    .encode_to_vec()
}

/// A refund schedule as stored: `days:basis_points` pairs, `5:10000,1:5000,0:0`.
fn encode_schedule(rules: &[property::RefundRule]) -> String {
    rules
        .iter()
        .map(|rule| format!("{}:{}", rule.days_before_check_in, rule.refund_basis_points))
        .collect::<Vec<_>>()
        .join(",")
}

fn decode_schedule(text: &str) -> Option<Vec<property::RefundRule>> {
    text.split(',')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (days, points) = pair.split_once(':')?;
            Some(property::RefundRule {
                days_before_check_in: days.parse().ok()?,
                refund_basis_points: points.parse().ok()?,
            })
        })
        .collect()
}

fn corrupt(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("corrupt {what}").into())
}

fn decode(row: &sqlx::any::AnyRow) -> Result<BookingRecord, StoreError> {
    let id: String = row.try_get("id")?;
    let state: String = row.try_get("state")?;
    let mode: String = row.try_get("booking_mode")?;
    let quote: Vec<u8> = row.try_get("quote")?;
    let schedule: String = row.try_get("refund_schedule")?;
    let refund: Option<Vec<u8>> = row.try_get("refund")?;
    let payment_status: String = row.try_get("payment_status")?;
    let policy: i64 = row.try_get("cancellation_policy")?;
    let guests: i64 = row.try_get("guests")?;
    let day = |column: &str| -> Result<Date, StoreError> {
        let number: i64 = row.try_get(column)?;
        Ok(from_day_number(number).ok_or_else(|| corrupt(column))?)
    };
    Ok(BookingRecord {
        id: BookingId::parse(&id).map_err(|_| corrupt("booking id"))?,
        property_id: row.try_get("property_id")?,
        guest_id: row.try_get("guest_id")?,
        host_id: row.try_get("host_id")?,
        check_in: day("check_in_day")?,
        check_out: day("check_out_day")?,
        guests: i32::try_from(guests).map_err(|_| corrupt("guests"))?,
        state: State::from_key(&state).ok_or_else(|| corrupt("state"))?,
        instant: mode == "instant",
        total_amount: row.try_get("total_amount")?,
        currency_code: row.try_get("currency_code")?,
        platform_fee: row.try_get("platform_fee")?,
        quote_lines: property::QuotePriceResponse::decode(quote.as_slice())
            .map_err(|_| corrupt("quote"))?
            .lines,
        cancellation_policy: i32::try_from(policy)
            .ok()
            .and_then(|policy| property::CancellationPolicy::try_from(policy).ok())
            .unwrap_or_default(),
        refund_schedule: decode_schedule(&schedule).ok_or_else(|| corrupt("refund schedule"))?,
        hold_expires_at: from_unix_micros(row.try_get("hold_expires_at")?),
        payment_status: PaymentStatus::from_key(&payment_status),
        payment_name: row.try_get("payment_name")?,
        refund: refund
            .map(|bytes| pb::Refund::decode(bytes.as_slice()))
            .transpose()
            .map_err(|_| corrupt("refund"))?,
        end_reason: row.try_get("end_reason")?,
        revision: row.try_get("revision")?,
        created_at: from_unix_micros(row.try_get("created_at")?),
        updated_at: from_unix_micros(row.try_get("updated_at")?),
    })
}
