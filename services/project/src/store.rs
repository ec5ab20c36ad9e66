//! The project service's tables, in the SQL dialect PostgreSQL and SQLite share.
//!
//! Projects and units change by optimistic concurrency: read, change in memory, write back
//! only if `revision` is still the one read. A unit's state changes only through conditional
//! updates (`… WHERE state = 'available'`), so of two buyers racing for one unit exactly one
//! gets it, on both backends; a partial unique index (one live reservation per unit) is the
//! backstop. Reservations move the same way (`… WHERE state = 'pending_payment'`), so the
//! payment events, the sweeper on every replica and the buyer's cancellation never both
//! apply. Every change records its event in the outbox in the same transaction.

use std::time::{Duration, SystemTime};

use estospaces_events::{Event, NewEvent, Outbox};
use estospaces_proto::project_v1 as pb;
use estospaces_storage::{Backend, Database, Migrations, from_unix_micros, unix_micros};
use pb::reservation::{ReleaseReason, State as ReservationState};
use pb::unit::State as UnitState;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::{
    self, DocumentFields, MilestoneFields, ProgressFields, ProjectFields, UnitFields,
};

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

pub(crate) const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// `at` as stored: to the microsecond. What a write returns must equal what a read returns.
pub fn micros(at: SystemTime) -> SystemTime {
    from_unix_micros(unix_micros(at))
}

/// The time now, as stored.
pub fn now() -> SystemTime {
    micros(SystemTime::now())
}

fn timestamp(time: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(time)
}

fn uuid(row: &AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|err| sqlx::Error::Decode(Box::new(err)))
}

fn optional_uuid(row: &AnyRow, column: &str) -> Result<Option<Uuid>, sqlx::Error> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| Uuid::parse_str(&text).map_err(|err| sqlx::Error::Decode(Box::new(err))))
        .transpose()
}

fn time(row: &AnyRow, column: &str) -> Result<SystemTime, sqlx::Error> {
    Ok(from_unix_micros(row.try_get(column)?))
}

fn optional_time(row: &AnyRow, column: &str) -> Result<Option<SystemTime>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_unix_micros))
}

fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn project_event<P: prost::Name>(event_type: &str, project_id: Uuid, payload: &P) -> NewEvent {
    NewEvent::new(event_type, "project", project_id.to_string(), payload)
}

/// Records `event_type` about project `project_id` in `tx`, through the outbox.
async fn announce_in<P: prost::Name>(
    tx: &mut AnyConnection,
    event_type: &str,
    project_id: Uuid,
    payload: &P,
) -> Result<(), sqlx::Error> {
    OUTBOX
        .append(tx, project_event(event_type, project_id, payload))
        .await?;
    Ok(())
}

/// What a write found.
#[derive(Debug)]
pub enum Written<T> {
    Done(T),
    /// Nothing by that name.
    Missing,
    /// It changed since it was read.
    Conflict,
}

// === Projects ===

/// A project as stored, with the figures reads show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRecord {
    pub id: Uuid,
    pub developer_id: String,
    pub fields: ProjectFields,
    pub currency_code: String,
    pub progress_percent: i64,
    pub unit_count: i64,
    pub available_unit_count: i64,
    pub revision: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl ProjectRecord {
    pub fn name(&self) -> String {
        format!("projects/{}", self.id)
    }

    pub fn etag(&self) -> String {
        format!("\"{}\"", self.revision)
    }

    pub fn proto(&self) -> pb::Project {
        let fields = &self.fields;
        pb::Project {
            name: self.name(),
            developer: format!("users/{}", self.developer_id),
            display_name: fields.display_name.clone(),
            description: fields.description.clone(),
            address: fields.address.clone(),
            city: fields.city.clone(),
            country_code: fields.country_code.clone(),
            currency_code: self.currency_code.clone(),
            stage: fields.stage as i32,
            expected_completion_date: domain::parse_date(&fields.expected_completion_date),
            progress_percent: count(self.progress_percent),
            unit_count: count(self.unit_count),
            available_unit_count: count(self.available_unit_count),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            etag: self.etag(),
        }
    }
}

const PROJECT_COLUMNS: &str = "p.id, p.developer_id, p.display_name, p.description, p.address, \
     p.city, p.country_code, p.currency_code, p.stage, p.expected_completion_date, p.revision, \
     p.created_at, p.updated_at, \
     (SELECT COUNT(*) FROM units u WHERE u.project_id = p.id) AS unit_count, \
     (SELECT COUNT(*) FROM units u WHERE u.project_id = p.id AND u.state = 'available') \
       AS available_unit_count, \
     COALESCE((SELECT g.progress_percent FROM progress_updates g WHERE g.project_id = p.id \
       ORDER BY g.created_at DESC, g.id DESC LIMIT 1), 0) AS progress_percent";

fn project_from_row(row: &AnyRow) -> Result<ProjectRecord, sqlx::Error> {
    Ok(ProjectRecord {
        id: uuid(row, "id")?,
        developer_id: row.try_get("developer_id")?,
        fields: ProjectFields {
            display_name: row.try_get("display_name")?,
            description: row.try_get("description")?,
            address: row.try_get("address")?,
            city: row.try_get("city")?,
            country_code: row.try_get("country_code")?,
            stage: domain::parse_stage(&row.try_get::<String, _>("stage")?),
            expected_completion_date: row.try_get("expected_completion_date")?,
        },
        currency_code: row.try_get("currency_code")?,
        progress_percent: row.try_get("progress_percent")?,
        unit_count: row.try_get("unit_count")?,
        available_unit_count: row.try_get("available_unit_count")?,
        revision: row.try_get("revision")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

// === Units ===

/// A unit as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    pub fields: UnitFields,
    pub currency_code: String,
    pub state: UnitState,
    pub reservation_id: Option<Uuid>,
    pub revision: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl UnitRecord {
    pub fn name(&self) -> String {
        format!("projects/{}/units/{}", self.project_id, self.id)
    }

    pub fn proto(&self) -> pb::Unit {
        let fields = &self.fields;
        pb::Unit {
            name: self.name(),
            display_name: fields.display_name.clone(),
            unit_type: fields.unit_type as i32,
            floor: i32::try_from(fields.floor).unwrap_or_default(),
            area_square_meters: fields.area_square_meters,
            bedrooms: i32::try_from(fields.bedrooms).unwrap_or_default(),
            bathrooms: i32::try_from(fields.bathrooms).unwrap_or_default(),
            price: fields.price,
            deposit_amount: fields.deposit_amount,
            currency_code: self.currency_code.clone(),
            state: self.state as i32,
            reservation: self
                .reservation_id
                .map(|id| format!("projects/{}/reservations/{id}", self.project_id))
                .unwrap_or_default(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            etag: format!("\"{}\"", self.revision),
            listing: fields.listing.clone().unwrap_or_default(),
        }
    }
}

const UNIT_COLUMNS: &str = "id, project_id, display_name, unit_type, floor, area_square_meters, \
     bedrooms, bathrooms, price, deposit_amount, currency_code, listing, state, reservation_id, \
     revision, created_at, updated_at";

fn unit_from_row(row: &AnyRow) -> Result<UnitRecord, sqlx::Error> {
    Ok(UnitRecord {
        id: uuid(row, "id")?,
        project_id: uuid(row, "project_id")?,
        fields: UnitFields {
            display_name: row.try_get("display_name")?,
            unit_type: domain::parse_unit_type(&row.try_get::<String, _>("unit_type")?),
            floor: row.try_get("floor")?,
            area_square_meters: row.try_get("area_square_meters")?,
            bedrooms: row.try_get("bedrooms")?,
            bathrooms: row.try_get("bathrooms")?,
            price: row.try_get("price")?,
            deposit_amount: row.try_get("deposit_amount")?,
            listing: row.try_get("listing")?,
        },
        currency_code: row.try_get("currency_code")?,
        state: domain::parse_unit_state(&row.try_get::<String, _>("state")?),
        reservation_id: optional_uuid(row, "reservation_id")?,
        revision: row.try_get("revision")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// Why a unit could not be written.
#[derive(Debug)]
pub enum UnitRefused {
    /// The project holds [`domain::MAX_UNITS_PER_PROJECT`] units.
    LimitReached,
    /// Another unit of the project has the label.
    LabelTaken,
    /// Another unit (named) has the listing.
    ListingTaken(String),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for UnitRefused {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

// === Milestones, progress updates, documents ===

/// A milestone as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MilestoneRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    pub fields: MilestoneFields,
    pub completed_at: Option<SystemTime>,
    pub created_at: SystemTime,
}

impl MilestoneRecord {
    pub fn proto(&self) -> pb::Milestone {
        pb::Milestone {
            name: format!("projects/{}/milestones/{}", self.project_id, self.id),
            display_name: self.fields.display_name.clone(),
            description: self.fields.description.clone(),
            planned_date: domain::parse_date(&self.fields.planned_date),
            complete_time: self.completed_at.map(timestamp),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

fn milestone_from_row(row: &AnyRow) -> Result<MilestoneRecord, sqlx::Error> {
    Ok(MilestoneRecord {
        id: uuid(row, "id")?,
        project_id: uuid(row, "project_id")?,
        fields: MilestoneFields {
            display_name: row.try_get("display_name")?,
            description: row.try_get("description")?,
            planned_date: row.try_get("planned_date")?,
        },
        completed_at: optional_time(row, "completed_at")?,
        created_at: time(row, "created_at")?,
    })
}

const MILESTONE_COLUMNS: &str =
    "id, project_id, display_name, description, planned_date, completed_at, created_at";

/// A progress update as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgressRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    pub fields: ProgressFields,
    pub created_at: SystemTime,
}

impl ProgressRecord {
    pub fn proto(&self) -> pb::ProgressUpdate {
        pb::ProgressUpdate {
            name: format!("projects/{}/progressUpdates/{}", self.project_id, self.id),
            text: self.fields.text.clone(),
            progress_percent: count(self.fields.progress_percent),
            media: self.fields.media.clone(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

fn progress_from_row(row: &AnyRow) -> Result<ProgressRecord, sqlx::Error> {
    let media: String = row.try_get("media")?;
    Ok(ProgressRecord {
        id: uuid(row, "id")?,
        project_id: uuid(row, "project_id")?,
        fields: ProgressFields {
            text: row.try_get("text")?,
            progress_percent: row.try_get("progress_percent")?,
            media: serde_json::from_str(&media).unwrap_or_default(),
        },
        created_at: time(row, "created_at")?,
    })
}

/// A document as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    pub fields: DocumentFields,
    pub created_at: SystemTime,
}

impl DocumentRecord {
    pub fn proto(&self) -> pb::ProjectDocument {
        pb::ProjectDocument {
            name: format!("projects/{}/documents/{}", self.project_id, self.id),
            kind: self.fields.kind as i32,
            title: self.fields.title.clone(),
            media: self.fields.media.clone(),
            unit: self
                .fields
                .unit
                .map(|unit| format!("projects/{}/units/{unit}", self.project_id))
                .unwrap_or_default(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

fn document_from_row(row: &AnyRow) -> Result<DocumentRecord, sqlx::Error> {
    let unit: String = row.try_get("unit_id")?;
    Ok(DocumentRecord {
        id: uuid(row, "id")?,
        project_id: uuid(row, "project_id")?,
        fields: DocumentFields {
            kind: domain::parse_kind(&row.try_get::<String, _>("kind")?),
            title: row.try_get("title")?,
            media: row.try_get("media")?,
            unit: Uuid::parse_str(&unit).ok(),
        },
        created_at: time(row, "created_at")?,
    })
}

const DOCUMENT_COLUMNS: &str = "id, project_id, kind, title, media, unit_id, created_at";

// === Reservations ===

/// A reservation as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservationRecord {
    pub id: Uuid,
    pub project_id: Uuid,
    pub unit_id: Uuid,
    pub buyer_id: String,
    pub developer_id: String,
    pub deposit_amount: i64,
    pub currency_code: String,
    pub state: ReservationState,
    pub release_reason: ReleaseReason,
    pub failure_code: String,
    pub expire_at: SystemTime,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl ReservationRecord {
    pub fn name(&self) -> String {
        format!("projects/{}/reservations/{}", self.project_id, self.id)
    }

    pub fn unit_name(&self) -> String {
        format!("projects/{}/units/{}", self.project_id, self.unit_id)
    }

    pub fn proto(&self) -> pb::Reservation {
        pb::Reservation {
            name: self.name(),
            unit: self.unit_name(),
            buyer: format!("users/{}", self.buyer_id),
            deposit_amount: self.deposit_amount,
            currency_code: self.currency_code.clone(),
            state: self.state as i32,
            release_reason: self.release_reason as i32,
            failure_code: self.failure_code.clone(),
            expire_time: Some(timestamp(self.expire_at)),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
        }
    }

    /// What every reservation event repeats.
    pub fn facts(&self) -> pb::ReservationFacts {
        pb::ReservationFacts {
            reservation: self.name(),
            unit: self.unit_name(),
            buyer: format!("users/{}", self.buyer_id),
            developer: format!("users/{}", self.developer_id),
            deposit_amount: self.deposit_amount,
            currency_code: self.currency_code.clone(),
        }
    }

    /// An event about this reservation, keyed by its id.
    fn event<P: prost::Name>(&self, event_type: &str, payload: &P) -> NewEvent {
        NewEvent::new(event_type, "reservation", self.id.to_string(), payload)
    }
}

const RESERVATION_COLUMNS: &str = "id, project_id, unit_id, buyer_id, developer_id, \
     deposit_amount, currency_code, state, release_reason, failure_code, expire_at, created_at, \
     updated_at";

fn reservation_from_row(row: &AnyRow) -> Result<ReservationRecord, sqlx::Error> {
    Ok(ReservationRecord {
        id: uuid(row, "id")?,
        project_id: uuid(row, "project_id")?,
        unit_id: uuid(row, "unit_id")?,
        buyer_id: row.try_get("buyer_id")?,
        developer_id: row.try_get("developer_id")?,
        deposit_amount: row.try_get("deposit_amount")?,
        currency_code: row.try_get("currency_code")?,
        state: domain::parse_reservation_state(&row.try_get::<String, _>("state")?),
        release_reason: domain::parse_release_reason(&row.try_get::<String, _>("release_reason")?),
        failure_code: row.try_get("failure_code")?,
        expire_at: time(row, "expire_at")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

/// A reservation to make.
#[derive(Debug, Clone)]
pub struct NewReservation {
    pub project: ProjectRecord,
    pub unit_id: Uuid,
    pub buyer_id: String,
    pub request_id: Option<String>,
    /// Only ever written into the `reservation.requested` event.
    pub payment_method: String,
    pub hold: Duration,
}

/// Why a unit could not be reserved.
#[derive(Debug)]
pub enum ReserveRefused {
    /// No such unit in the project.
    NoUnit,
    /// The unit is reserved or sold.
    NotAvailable(UnitState),
    /// The buyer's request id was taken meanwhile (a concurrent retry).
    Duplicate,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for ReserveRefused {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

/// Why a unit could not be marked sold.
#[derive(Debug)]
pub enum SoldRefused {
    NoUnit,
    /// Its state does not allow it: the reason to answer with.
    Unsellable(&'static str),
    /// It changed meanwhile.
    Conflict,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for SoldRefused {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

/// Whose reservations a list shows.
#[derive(Debug, Clone)]
pub enum ReservationsOf {
    Project(Uuid),
    Buyer(String),
}

/// The reservation states a release may start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReleaseFrom {
    /// Pending payment only (expiry).
    Pending,
    /// Pending payment or reserved (a failed deposit, a cancellation).
    Live,
}

// === The store ===

/// The project service's store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ProjectStore {
    db: Database,
}

impl ProjectStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    // Projects ---------------------------------------------------------------------------------

    /// Stores a new project (its figures are zero) with `project.created`.
    pub async fn create_project(&self, project: &ProjectRecord) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let fields = &project.fields;
        sqlx::query(
            "INSERT INTO projects (id, developer_id, display_name, description, address, city, \
             city_key, country_code, currency_code, stage, expected_completion_date, revision, \
             created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, \
             $13, $14)",
        )
        .bind(project.id.to_string())
        .bind(&project.developer_id)
        .bind(&fields.display_name)
        .bind(&fields.description)
        .bind(&fields.address)
        .bind(&fields.city)
        .bind(fields.city.to_lowercase())
        .bind(&fields.country_code)
        .bind(&project.currency_code)
        .bind(domain::stage_str(fields.stage))
        .bind(&fields.expected_completion_date)
        .bind(project.revision)
        .bind(unix_micros(project.created_at))
        .bind(unix_micros(project.updated_at))
        .execute(&mut *tx)
        .await?;
        let payload = pb::ProjectChanged {
            project: Some(project.proto()),
        };
        announce_in(&mut tx, "project.created", project.id, &payload).await?;
        tx.commit().await
    }

    /// The project `id`, if there is one.
    pub async fn project(&self, id: Uuid) -> Result<Option<ProjectRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        Self::project_in(&mut conn, id).await
    }

    async fn project_in(
        tx: &mut AnyConnection,
        id: Uuid,
    ) -> Result<Option<ProjectRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(project_from_row)
        .transpose()
    }

    /// A page of projects, newest first, after `(created_at, id)`; of one developer and in one
    /// city (lower-cased) when given.
    pub async fn projects(
        &self,
        developer_id: &str,
        city_key: &str,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> Result<Vec<ProjectRecord>, sqlx::Error> {
        let (at, id) = after.unwrap_or((i64::MAX, Uuid::max()));
        sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p \
             WHERE ($1 = '' OR p.developer_id = $1) AND ($2 = '' OR p.city_key = $2) \
             AND (p.created_at < $3 OR (p.created_at = $3 AND p.id < $4)) \
             ORDER BY p.created_at DESC, p.id DESC LIMIT $5"
        ))
        .bind(developer_id)
        .bind(city_key)
        .bind(at)
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(project_from_row)
        .collect()
    }

    /// Writes `fields` to project `id` if it is still at revision `read`, with
    /// `project.updated`; `None` when it moved on.
    pub async fn save_project(
        &self,
        id: Uuid,
        read: i64,
        fields: &ProjectFields,
    ) -> Result<Option<ProjectRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let written = sqlx::query(
            "UPDATE projects SET display_name = $1, description = $2, address = $3, city = $4, \
             city_key = $5, country_code = $6, stage = $7, expected_completion_date = $8, \
             revision = revision + 1, updated_at = $9 WHERE id = $10 AND revision = $11",
        )
        .bind(&fields.display_name)
        .bind(&fields.description)
        .bind(&fields.address)
        .bind(&fields.city)
        .bind(fields.city.to_lowercase())
        .bind(&fields.country_code)
        .bind(domain::stage_str(fields.stage))
        .bind(&fields.expected_completion_date)
        .bind(unix_micros(now()))
        .bind(id.to_string())
        .bind(read)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written != 1 {
            return Ok(None);
        }
        let Some(project) = Self::project_in(&mut tx, id).await? else {
            return Ok(None);
        };
        let payload = pb::ProjectChanged {
            project: Some(project.proto()),
        };
        announce_in(&mut tx, "project.updated", id, &payload).await?;
        tx.commit().await?;
        Ok(Some(project))
    }

    /// Serializes writers counting a project's children: PostgreSQL's row lock (SQLite's
    /// write lock already does).
    async fn lock_project_in(tx: &mut AnyConnection, id: Uuid) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE projects SET revision = revision WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        Ok(())
    }

    async fn count_in(
        tx: &mut AnyConnection,
        table: &str,
        project_id: Uuid,
    ) -> Result<i64, sqlx::Error> {
        sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM {table} WHERE project_id = $1"
        ))
        .bind(project_id.to_string())
        .fetch_one(&mut *tx)
        .await
    }

    // Units ------------------------------------------------------------------------------------

    /// The unit `id` of project `project_id`, if there is one.
    pub async fn unit(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<Option<UnitRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        Self::unit_in(&mut conn, project_id, id).await
    }

    async fn unit_in(
        tx: &mut AnyConnection,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<Option<UnitRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE id = $1 AND project_id = $2"
        ))
        .bind(id.to_string())
        .bind(project_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(unit_from_row)
        .transpose()
    }

    /// The unit whose listing is `listing`, if any.
    async fn unit_of_listing(&self, listing: &str) -> Result<Option<UnitRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {UNIT_COLUMNS} FROM units WHERE listing = $1"
        ))
        .bind(listing)
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(unit_from_row)
        .transpose()
    }

    /// What a unique violation on `units` was about: the label or the listing.
    async fn unit_conflict(
        &self,
        id: Uuid,
        fields: &UnitFields,
    ) -> Result<UnitRefused, sqlx::Error> {
        if let Some(listing) = &fields.listing
            && let Some(other) = self.unit_of_listing(listing).await?
            && other.id != id
        {
            return Ok(UnitRefused::ListingTaken(other.name()));
        }
        Ok(UnitRefused::LabelTaken)
    }

    /// Adds a unit, available, to `project`, with `unit.created`.
    pub async fn create_unit(
        &self,
        project: &ProjectRecord,
        fields: &UnitFields,
    ) -> Result<UnitRecord, UnitRefused> {
        let created_at = now();
        let unit = UnitRecord {
            id: Uuid::now_v7(),
            project_id: project.id,
            fields: fields.clone(),
            currency_code: project.currency_code.clone(),
            state: UnitState::Available,
            reservation_id: None,
            revision: 1,
            created_at,
            updated_at: created_at,
        };
        let mut tx = self.db.begin().await?;
        Self::lock_project_in(&mut tx, project.id).await?;
        if Self::count_in(&mut tx, "units", project.id).await? >= domain::MAX_UNITS_PER_PROJECT {
            return Err(UnitRefused::LimitReached);
        }
        let inserted = sqlx::query(&format!(
            "INSERT INTO units ({UNIT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, NULL, $14, $15, $16)"
        ))
        .bind(unit.id.to_string())
        .bind(project.id.to_string())
        .bind(&fields.display_name)
        .bind(domain::unit_type_str(fields.unit_type))
        .bind(fields.floor)
        .bind(fields.area_square_meters)
        .bind(fields.bedrooms)
        .bind(fields.bathrooms)
        .bind(fields.price)
        .bind(fields.deposit_amount)
        .bind(&unit.currency_code)
        .bind(fields.listing.clone())
        .bind(domain::unit_state_str(unit.state))
        .bind(unit.revision)
        .bind(unix_micros(unit.created_at))
        .bind(unix_micros(unit.updated_at))
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            drop(tx);
            if estospaces_storage::is_unique_violation(&err) {
                return Err(self.unit_conflict(unit.id, fields).await?);
            }
            return Err(err.into());
        }
        Self::announce_unit_in(&mut tx, "unit.created", &unit).await?;
        tx.commit().await?;
        Ok(unit)
    }

    async fn announce_unit_in(
        tx: &mut AnyConnection,
        event_type: &str,
        unit: &UnitRecord,
    ) -> Result<(), sqlx::Error> {
        let payload = pb::UnitChanged {
            unit: Some(unit.proto()),
        };
        announce_in(tx, event_type, unit.project_id, &payload).await
    }

    /// Re-reads unit `id` in `tx` and records `event_type` about it.
    async fn announce_unit_by_id_in(
        tx: &mut AnyConnection,
        event_type: &str,
        project_id: Uuid,
        id: Uuid,
        cause: Option<&Event>,
    ) -> Result<Option<UnitRecord>, sqlx::Error> {
        let Some(unit) = Self::unit_in(tx, project_id, id).await? else {
            return Ok(None);
        };
        let mut event = project_event(
            event_type,
            project_id,
            &pb::UnitChanged {
                unit: Some(unit.proto()),
            },
        );
        if let Some(cause) = cause {
            event = event.following(cause);
        }
        OUTBOX.append(tx, event).await?;
        Ok(Some(unit))
    }

    /// A page of a project's units by floor and label, after unit `after`; only those in
    /// `state` when given.
    pub async fn units(
        &self,
        project_id: Uuid,
        state: Option<UnitState>,
        after: Option<Uuid>,
        limit: i64,
    ) -> Result<Vec<UnitRecord>, sqlx::Error> {
        let state = state.map(domain::unit_state_str).unwrap_or_default();
        let query = match after {
            None => format!(
                "SELECT {UNIT_COLUMNS} FROM units WHERE project_id = $1 AND ($2 = '' OR state = $2) \
                 AND $3 = '' ORDER BY floor, display_name, id LIMIT $4"
            ),
            // The page starts after the last unit shown, by the same order.
            Some(_) => format!(
                "SELECT {UNIT_COLUMNS} FROM units WHERE project_id = $1 AND ($2 = '' OR state = $2) \
                 AND EXISTS (SELECT 1 FROM units c WHERE c.id = $3 AND c.project_id = $1 AND \
                 (units.floor > c.floor OR (units.floor = c.floor AND \
                 (units.display_name > c.display_name OR (units.display_name = c.display_name \
                 AND units.id > c.id))))) \
                 ORDER BY floor, display_name, id LIMIT $4"
            ),
        };
        sqlx::query(&query)
            .bind(project_id.to_string())
            .bind(state)
            .bind(after.map(|id| id.to_string()).unwrap_or_default())
            .bind(limit)
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(unit_from_row)
            .collect()
    }

    /// Writes `fields` to unit `id` if it is still at revision `read`, with `unit.updated`;
    /// `Ok(None)` when it moved on.
    pub async fn save_unit(
        &self,
        project_id: Uuid,
        id: Uuid,
        read: i64,
        fields: &UnitFields,
    ) -> Result<Option<UnitRecord>, UnitRefused> {
        let mut tx = self.db.begin().await?;
        let written = sqlx::query(
            "UPDATE units SET display_name = $1, unit_type = $2, floor = $3, \
             area_square_meters = $4, bedrooms = $5, bathrooms = $6, price = $7, \
             deposit_amount = $8, listing = $9, revision = revision + 1, updated_at = $10 \
             WHERE id = $11 AND project_id = $12 AND revision = $13",
        )
        .bind(&fields.display_name)
        .bind(domain::unit_type_str(fields.unit_type))
        .bind(fields.floor)
        .bind(fields.area_square_meters)
        .bind(fields.bedrooms)
        .bind(fields.bathrooms)
        .bind(fields.price)
        .bind(fields.deposit_amount)
        .bind(fields.listing.clone())
        .bind(unix_micros(now()))
        .bind(id.to_string())
        .bind(project_id.to_string())
        .bind(read)
        .execute(&mut *tx)
        .await;
        let written = match written {
            Ok(done) => done.rows_affected(),
            Err(err) => {
                drop(tx);
                if estospaces_storage::is_unique_violation(&err) {
                    return Err(self.unit_conflict(id, fields).await?);
                }
                return Err(err.into());
            }
        };
        if written != 1 {
            return Ok(None);
        }
        let unit =
            Self::announce_unit_by_id_in(&mut tx, "unit.updated", project_id, id, None).await?;
        tx.commit().await?;
        Ok(unit)
    }

    /// Records unit `id` as sold: an available one outright; a reserved one whose reservation
    /// is `RESERVED`, completing the reservation (`reservation.completed`). `unit.sold` either
    /// way.
    pub async fn mark_sold(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<(UnitRecord, Option<ReservationRecord>), SoldRefused> {
        let mut tx = self.db.begin().await?;
        let unit = Self::unit_in(&mut tx, project_id, id)
            .await?
            .ok_or(SoldRefused::NoUnit)?;
        let at = unix_micros(now());
        let completed = match unit.state {
            UnitState::Sold => return Err(SoldRefused::Unsellable("UNIT_ALREADY_SOLD")),
            UnitState::Available | UnitState::Unspecified => {
                let sold = sqlx::query(
                    "UPDATE units SET state = 'sold', revision = revision + 1, updated_at = $1 \
                     WHERE id = $2 AND state = 'available'",
                )
                .bind(at)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if sold != 1 {
                    return Err(SoldRefused::Conflict);
                }
                None
            }
            UnitState::Reserved => {
                let reservation_id = unit.reservation_id.ok_or(SoldRefused::Conflict)?;
                let completed = sqlx::query(&format!(
                    "UPDATE reservations SET state = 'completed', updated_at = $1 \
                     WHERE id = $2 AND state = 'reserved' RETURNING {RESERVATION_COLUMNS}"
                ))
                .bind(at)
                .bind(reservation_id.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .as_ref()
                .map(reservation_from_row)
                .transpose()?;
                let Some(completed) = completed else {
                    // Still paying its deposit; or released meanwhile (the unit moved on).
                    let held = Self::reservation_in(&mut tx, reservation_id).await?;
                    return Err(match held.map(|held| held.state) {
                        Some(ReservationState::PendingPayment) => {
                            SoldRefused::Unsellable("RESERVATION_PENDING_PAYMENT")
                        }
                        _ => SoldRefused::Conflict,
                    });
                };
                let sold = sqlx::query(
                    "UPDATE units SET state = 'sold', revision = revision + 1, updated_at = $1 \
                     WHERE id = $2 AND state = 'reserved' AND reservation_id = $3",
                )
                .bind(at)
                .bind(id.to_string())
                .bind(reservation_id.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if sold != 1 {
                    return Err(SoldRefused::Conflict);
                }
                OUTBOX
                    .append(
                        &mut tx,
                        completed.event(
                            "reservation.completed",
                            &pb::ReservationCompleted {
                                reservation: Some(completed.facts()),
                            },
                        ),
                    )
                    .await?;
                Some(completed)
            }
        };
        let unit = Self::announce_unit_by_id_in(&mut tx, "unit.sold", project_id, id, None)
            .await?
            .ok_or(SoldRefused::NoUnit)?;
        tx.commit().await?;
        Ok((unit, completed))
    }

    // Reservations -----------------------------------------------------------------------------

    /// Holds an available unit for a buyer: the unit reserved, the reservation pending payment,
    /// `reservation.requested` (with the payment method, which is stored nowhere else) and
    /// `unit.updated`, in one transaction.
    pub async fn reserve(
        &self,
        new: &NewReservation,
    ) -> Result<(ReservationRecord, UnitRecord), ReserveRefused> {
        let id = Uuid::now_v7();
        let created_at = now();
        let mut tx = self.db.begin().await?;
        let taken = sqlx::query(
            "UPDATE units SET state = 'reserved', reservation_id = $1, revision = revision + 1, \
             updated_at = $2 WHERE id = $3 AND project_id = $4 AND state = 'available'",
        )
        .bind(id.to_string())
        .bind(unix_micros(created_at))
        .bind(new.unit_id.to_string())
        .bind(new.project.id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let unit = Self::unit_in(&mut tx, new.project.id, new.unit_id).await?;
        let unit = match (taken, unit) {
            (_, None) => return Err(ReserveRefused::NoUnit),
            (1, Some(unit)) => unit,
            (_, Some(unit)) => return Err(ReserveRefused::NotAvailable(unit.state)),
        };
        let reservation = ReservationRecord {
            id,
            project_id: new.project.id,
            unit_id: new.unit_id,
            buyer_id: new.buyer_id.clone(),
            developer_id: new.project.developer_id.clone(),
            deposit_amount: unit.fields.deposit_amount,
            currency_code: unit.currency_code.clone(),
            state: ReservationState::PendingPayment,
            release_reason: ReleaseReason::Unspecified,
            failure_code: String::new(),
            expire_at: micros(created_at + new.hold),
            created_at,
            updated_at: created_at,
        };
        let inserted = sqlx::query(&format!(
            "INSERT INTO reservations ({RESERVATION_COLUMNS}, request_id) VALUES ($1, $2, $3, $4, \
             $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
        ))
        .bind(reservation.id.to_string())
        .bind(reservation.project_id.to_string())
        .bind(reservation.unit_id.to_string())
        .bind(&reservation.buyer_id)
        .bind(&reservation.developer_id)
        .bind(reservation.deposit_amount)
        .bind(&reservation.currency_code)
        .bind(domain::reservation_state_str(reservation.state))
        .bind(domain::release_reason_str(reservation.release_reason))
        .bind(&reservation.failure_code)
        .bind(unix_micros(reservation.expire_at))
        .bind(unix_micros(reservation.created_at))
        .bind(unix_micros(reservation.updated_at))
        .bind(new.request_id.clone())
        .execute(&mut *tx)
        .await;
        if let Err(err) = inserted {
            if estospaces_storage::is_unique_violation(&err) {
                // The unit's conditional update won, so the unit index cannot be it: the
                // buyer's request id is.
                return Err(ReserveRefused::Duplicate);
            }
            return Err(err.into());
        }
        OUTBOX
            .append(
                &mut tx,
                reservation.event(
                    "reservation.requested",
                    &pb::ReservationRequested {
                        reservation: Some(reservation.facts()),
                        payment_method: new.payment_method.clone(),
                    },
                ),
            )
            .await?;
        Self::announce_unit_in(&mut tx, "unit.updated", &unit).await?;
        tx.commit().await?;
        Ok((reservation, unit))
    }

    /// The reservation `id`, if there is one.
    pub async fn reservation(&self, id: Uuid) -> Result<Option<ReservationRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        Self::reservation_in(&mut conn, id).await
    }

    pub(crate) async fn reservation_in(
        tx: &mut AnyConnection,
        id: Uuid,
    ) -> Result<Option<ReservationRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(reservation_from_row)
        .transpose()
    }

    /// The reservation `buyer_id` made with request `request_id`, if any.
    pub async fn reservation_by_request(
        &self,
        buyer_id: &str,
        request_id: &str,
    ) -> Result<Option<ReservationRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE buyer_id = $1 AND request_id = $2"
        ))
        .bind(buyer_id)
        .bind(request_id)
        .fetch_optional(self.db.pool())
        .await?
        .as_ref()
        .map(reservation_from_row)
        .transpose()
    }

    /// A page of reservations, newest first, after `(created_at, id)`.
    pub async fn reservations(
        &self,
        of: &ReservationsOf,
        state: Option<ReservationState>,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> Result<Vec<ReservationRecord>, sqlx::Error> {
        let (column, value) = match of {
            ReservationsOf::Project(id) => ("project_id", id.to_string()),
            ReservationsOf::Buyer(id) => ("buyer_id", id.clone()),
        };
        let (at, id) = after.unwrap_or((i64::MAX, Uuid::max()));
        sqlx::query(&format!(
            "SELECT {RESERVATION_COLUMNS} FROM reservations WHERE {column} = $1 \
             AND ($2 = '' OR state = $2) AND (created_at < $3 OR (created_at = $3 AND id < $4)) \
             ORDER BY created_at DESC, id DESC LIMIT $5"
        ))
        .bind(value)
        .bind(state.map(domain::reservation_state_str).unwrap_or_default())
        .bind(at)
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(reservation_from_row)
        .collect()
    }

    /// Releases reservation `id` if it is in a state `from` allows (and, for an expiry, past
    /// `expired_at`): the unit available again if it still points at it, `reservation.released`
    /// with the whole deposit to give back, and `unit.updated`. `None` when it did not apply.
    pub(crate) async fn release_in(
        tx: &mut AnyConnection,
        id: Uuid,
        from: ReleaseFrom,
        reason: ReleaseReason,
        failure_code: &str,
        expired_at: Option<SystemTime>,
        cause: Option<&Event>,
    ) -> Result<Option<ReservationRecord>, sqlx::Error> {
        let states = match from {
            ReleaseFrom::Pending => "('pending_payment')",
            ReleaseFrom::Live => "('pending_payment', 'reserved')",
        };
        let at = now();
        let released = sqlx::query(&format!(
            "UPDATE reservations SET state = 'released', release_reason = $1, failure_code = $2, \
             updated_at = $3 WHERE id = $4 AND state IN {states} AND expire_at <= $5 \
             RETURNING {RESERVATION_COLUMNS}"
        ))
        .bind(domain::release_reason_str(reason))
        .bind(failure_code)
        .bind(unix_micros(at))
        .bind(id.to_string())
        .bind(expired_at.map_or(i64::MAX, unix_micros))
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(reservation_from_row)
        .transpose()?;
        let Some(released) = released else {
            return Ok(None);
        };
        let freed = sqlx::query(
            "UPDATE units SET state = 'available', reservation_id = NULL, \
             revision = revision + 1, updated_at = $1 \
             WHERE id = $2 AND reservation_id = $3 AND state = 'reserved'",
        )
        .bind(unix_micros(at))
        .bind(released.unit_id.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let mut event = released.event(
            "reservation.released",
            &pb::ReservationReleased {
                reservation: Some(released.facts()),
                reason: reason as i32,
                // Every release gives the whole deposit back today.
                refund_amount: released.deposit_amount,
            },
        );
        if let Some(cause) = cause {
            event = event.following(cause);
        }
        OUTBOX.append(tx, event).await?;
        if freed == 1 {
            Self::announce_unit_by_id_in(
                tx,
                "unit.updated",
                released.project_id,
                released.unit_id,
                cause,
            )
            .await?;
        }
        Ok(Some(released))
    }

    /// Confirms a pending reservation whose deposit was authorized, with
    /// `reservation.confirmed`; `None` when it is not pending.
    pub(crate) async fn confirm_in(
        tx: &mut AnyConnection,
        id: Uuid,
        cause: &Event,
    ) -> Result<Option<ReservationRecord>, sqlx::Error> {
        let confirmed = sqlx::query(&format!(
            "UPDATE reservations SET state = 'reserved', updated_at = $1 \
             WHERE id = $2 AND state = 'pending_payment' RETURNING {RESERVATION_COLUMNS}"
        ))
        .bind(unix_micros(now()))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(reservation_from_row)
        .transpose()?;
        if let Some(confirmed) = &confirmed {
            OUTBOX
                .append(
                    tx,
                    confirmed
                        .event(
                            "reservation.confirmed",
                            &pb::ReservationConfirmed {
                                reservation: Some(confirmed.facts()),
                            },
                        )
                        .following(cause),
                )
                .await?;
        }
        Ok(confirmed)
    }

    /// Withdraws a pending or reserved reservation for `reason`.
    pub async fn cancel(
        &self,
        id: Uuid,
        reason: ReleaseReason,
    ) -> Result<Written<Result<ReservationRecord, ReservationState>>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        if let Some(released) =
            Self::release_in(&mut tx, id, ReleaseFrom::Live, reason, "", None, None).await?
        {
            tx.commit().await?;
            return Ok(Written::Done(Ok(released)));
        }
        Ok(match Self::reservation_in(&mut tx, id).await? {
            Some(found) => Written::Done(Err(found.state)),
            None => Written::Missing,
        })
    }

    /// Pending reservations past their expiry at `now`, oldest first.
    pub async fn lapsed(&self, now: SystemTime, limit: i64) -> Result<Vec<Uuid>, sqlx::Error> {
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM reservations WHERE state = 'pending_payment' AND expire_at <= $1 \
             ORDER BY expire_at, id LIMIT $2",
        )
        .bind(unix_micros(now))
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?;
        Ok(ids
            .iter()
            .filter_map(|id| Uuid::parse_str(id).ok())
            .collect())
    }

    /// Releases reservation `id` as expired if it is still pending and lapsed at `now`.
    pub async fn expire(
        &self,
        id: Uuid,
        now: SystemTime,
    ) -> Result<Option<ReservationRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let released = Self::release_in(
            &mut tx,
            id,
            ReleaseFrom::Pending,
            ReleaseReason::Expired,
            "",
            Some(now),
            None,
        )
        .await?;
        tx.commit().await?;
        Ok(released)
    }

    // Milestones -------------------------------------------------------------------------------

    /// Adds a milestone with `milestone.created`; `None` at the limit.
    pub async fn add_milestone(
        &self,
        project_id: Uuid,
        fields: &MilestoneFields,
    ) -> Result<Option<MilestoneRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        Self::lock_project_in(&mut tx, project_id).await?;
        if Self::count_in(&mut tx, "milestones", project_id).await?
            >= domain::MAX_MILESTONES_PER_PROJECT
        {
            return Ok(None);
        }
        let milestone = MilestoneRecord {
            id: Uuid::now_v7(),
            project_id,
            fields: fields.clone(),
            completed_at: None,
            created_at: now(),
        };
        sqlx::query(&format!(
            "INSERT INTO milestones ({MILESTONE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, NULL, $6)"
        ))
        .bind(milestone.id.to_string())
        .bind(project_id.to_string())
        .bind(&fields.display_name)
        .bind(&fields.description)
        .bind(&fields.planned_date)
        .bind(unix_micros(milestone.created_at))
        .execute(&mut *tx)
        .await?;
        Self::announce_milestone_in(&mut tx, "milestone.created", &milestone).await?;
        tx.commit().await?;
        Ok(Some(milestone))
    }

    async fn announce_milestone_in(
        tx: &mut AnyConnection,
        event_type: &str,
        milestone: &MilestoneRecord,
    ) -> Result<(), sqlx::Error> {
        let payload = pb::MilestoneChanged {
            milestone: Some(milestone.proto()),
        };
        announce_in(tx, event_type, milestone.project_id, &payload).await
    }

    /// A page of milestones by planned date, after `(planned_date, id)`.
    pub async fn milestones(
        &self,
        project_id: Uuid,
        after: Option<(String, Uuid)>,
        limit: i64,
    ) -> Result<Vec<MilestoneRecord>, sqlx::Error> {
        let (date, id) = after.unwrap_or((String::new(), Uuid::nil()));
        sqlx::query(&format!(
            "SELECT {MILESTONE_COLUMNS} FROM milestones WHERE project_id = $1 \
             AND (planned_date > $2 OR (planned_date = $2 AND id > $3)) \
             ORDER BY planned_date, id LIMIT $4"
        ))
        .bind(project_id.to_string())
        .bind(date)
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(milestone_from_row)
        .collect()
    }

    /// Marks milestone `id` reached (once: `milestone.completed` the first time); `None` when
    /// there is no such milestone.
    pub async fn complete_milestone(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<Option<MilestoneRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let completed = sqlx::query(
            "UPDATE milestones SET completed_at = $1 WHERE id = $2 AND project_id = $3 \
             AND completed_at IS NULL",
        )
        .bind(unix_micros(now()))
        .bind(id.to_string())
        .bind(project_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let milestone = sqlx::query(&format!(
            "SELECT {MILESTONE_COLUMNS} FROM milestones WHERE id = $1 AND project_id = $2"
        ))
        .bind(id.to_string())
        .bind(project_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(milestone_from_row)
        .transpose()?;
        if completed && let Some(milestone) = &milestone {
            Self::announce_milestone_in(&mut tx, "milestone.completed", milestone).await?;
        }
        tx.commit().await?;
        Ok(milestone)
    }

    // Progress updates -------------------------------------------------------------------------

    /// Posts a progress update with `progress_update.posted`; `None` at the limit.
    pub async fn add_progress_update(
        &self,
        project_id: Uuid,
        fields: &ProgressFields,
    ) -> Result<Option<ProgressRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        Self::lock_project_in(&mut tx, project_id).await?;
        if Self::count_in(&mut tx, "progress_updates", project_id).await?
            >= domain::MAX_PROGRESS_UPDATES_PER_PROJECT
        {
            return Ok(None);
        }
        // Newest first must mean the last posted: never before the previous one's time.
        let latest: Option<i64> = sqlx::query_scalar(
            "SELECT MAX(created_at) FROM progress_updates WHERE project_id = $1",
        )
        .bind(project_id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let created_at = from_unix_micros(unix_micros(now()).max(latest.unwrap_or(0)));
        let update = ProgressRecord {
            id: Uuid::now_v7(),
            project_id,
            fields: fields.clone(),
            created_at,
        };
        sqlx::query(
            "INSERT INTO progress_updates (id, project_id, text, progress_percent, media, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(update.id.to_string())
        .bind(project_id.to_string())
        .bind(&fields.text)
        .bind(fields.progress_percent)
        .bind(serde_json::to_string(&fields.media).unwrap_or_else(|_| "[]".to_owned()))
        .bind(unix_micros(update.created_at))
        .execute(&mut *tx)
        .await?;
        OUTBOX
            .append(
                &mut tx,
                project_event(
                    "progress_update.posted",
                    project_id,
                    &pb::ProgressUpdatePosted {
                        progress_update: Some(update.proto()),
                    },
                ),
            )
            .await?;
        tx.commit().await?;
        Ok(Some(update))
    }

    /// A page of progress updates, newest first, after `(created_at, id)`.
    pub async fn progress_updates(
        &self,
        project_id: Uuid,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> Result<Vec<ProgressRecord>, sqlx::Error> {
        let (at, id) = after.unwrap_or((i64::MAX, Uuid::max()));
        sqlx::query(
            "SELECT id, project_id, text, progress_percent, media, created_at \
             FROM progress_updates WHERE project_id = $1 \
             AND (created_at < $2 OR (created_at = $2 AND id < $3)) \
             ORDER BY created_at DESC, id DESC LIMIT $4",
        )
        .bind(project_id.to_string())
        .bind(at)
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(progress_from_row)
        .collect()
    }

    // Documents --------------------------------------------------------------------------------

    /// Attaches a document with `document.added`; `None` at the limit.
    pub async fn add_document(
        &self,
        project_id: Uuid,
        fields: &DocumentFields,
    ) -> Result<Option<DocumentRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        Self::lock_project_in(&mut tx, project_id).await?;
        if Self::count_in(&mut tx, "project_documents", project_id).await?
            >= domain::MAX_DOCUMENTS_PER_PROJECT
        {
            return Ok(None);
        }
        let document = DocumentRecord {
            id: Uuid::now_v7(),
            project_id,
            fields: fields.clone(),
            created_at: now(),
        };
        sqlx::query(&format!(
            "INSERT INTO project_documents ({DOCUMENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(document.id.to_string())
        .bind(project_id.to_string())
        .bind(domain::kind_str(fields.kind))
        .bind(&fields.title)
        .bind(&fields.media)
        .bind(fields.unit.map(|unit| unit.to_string()).unwrap_or_default())
        .bind(unix_micros(document.created_at))
        .execute(&mut *tx)
        .await?;
        Self::announce_document_in(&mut tx, "document.added", &document).await?;
        tx.commit().await?;
        Ok(Some(document))
    }

    async fn announce_document_in(
        tx: &mut AnyConnection,
        event_type: &str,
        document: &DocumentRecord,
    ) -> Result<(), sqlx::Error> {
        let payload = pb::ProjectDocumentChanged {
            project_document: Some(document.proto()),
        };
        announce_in(tx, event_type, document.project_id, &payload).await
    }

    /// A page of documents, oldest first, after `(created_at, id)`.
    pub async fn documents(
        &self,
        project_id: Uuid,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> Result<Vec<DocumentRecord>, sqlx::Error> {
        let (at, id) = after.unwrap_or((i64::MIN, Uuid::nil()));
        sqlx::query(&format!(
            "SELECT {DOCUMENT_COLUMNS} FROM project_documents WHERE project_id = $1 \
             AND (created_at > $2 OR (created_at = $2 AND id > $3)) \
             ORDER BY created_at, id LIMIT $4"
        ))
        .bind(project_id.to_string())
        .bind(at)
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(document_from_row)
        .collect()
    }

    /// Removes document `id` with `document.removed`; `None` when there is none.
    pub async fn delete_document(
        &self,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<Option<DocumentRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let document = sqlx::query(&format!(
            "DELETE FROM project_documents WHERE id = $1 AND project_id = $2 \
             RETURNING {DOCUMENT_COLUMNS}"
        ))
        .bind(id.to_string())
        .bind(project_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(document_from_row)
        .transpose()?;
        if let Some(document) = &document {
            Self::announce_document_in(&mut tx, "document.removed", document).await?;
        }
        tx.commit().await?;
        Ok(document)
    }

    /// Which engine holds the tables.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }
}
