//! The leads service's tables, in the SQL dialect PostgreSQL and SQLite share.
//!
//! A lead changes by optimistic concurrency: it is read, changed in memory, and written back
//! only if its `revision` is still the one read ([`Conflict`] otherwise), in the transaction
//! that records the change's event. Viewing slots are booked by a conditional update (`WHERE
//! lead_id IS NULL`), so of two leads racing for one slot exactly one wins, on both backends.

use std::time::SystemTime;

use estospaces_events::{NewEvent, Outbox};
use estospaces_proto::leads_v1 as pb;
use estospaces_storage::{Database, Migrations, from_unix_micros, unix_micros};
use pb::lead::{LostReason, Source, Stage};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::SERVICE_NAME;
use crate::domain::{self, ListingKind, Person, Rating, ScoreInputs};
use crate::listings::Listing;

/// This service's schema, per backend.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("migrations/postgres"),
    sqlite: &sqlx::migrate!("migrations/sqlite"),
};

pub(crate) const OUTBOX: Outbox = Outbox::new(SERVICE_NAME);

/// The most notes and tasks one lead holds.
pub const MAX_NOTES_PER_LEAD: i64 = 500;
pub const MAX_TASKS_PER_LEAD: i64 = 500;

/// `at` as stored: to the microsecond. What a write returns must equal what a read returns.
fn micros(at: SystemTime) -> SystemTime {
    from_unix_micros(unix_micros(at))
}

/// The time now, as stored.
fn now() -> SystemTime {
    micros(SystemTime::now())
}

fn timestamp(time: SystemTime) -> prost_types::Timestamp {
    prost_types::Timestamp::from(time)
}

/// A lead as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LeadRecord {
    pub id: Uuid,
    pub listing: String,
    pub listing_title: String,
    pub listing_kind: ListingKind,
    pub price: i64,
    pub currency_code: String,
    pub agent_id: String,
    /// `agencies/{agency}` or empty.
    pub agency: String,
    pub person_key: String,
    pub contact: Person,
    pub source: Source,
    pub conversation: String,
    pub stage: Stage,
    pub lost_reason: LostReason,
    pub lost_note: String,
    pub budget: i64,
    pub financing: String,
    pub inquiry_count: i64,
    pub last_message: String,
    pub score: i64,
    pub score_factors: Vec<pb::ScoreFactor>,
    pub first_response_at: Option<SystemTime>,
    /// The booked slot's name, `users/{agent}/viewingSlots/{slot}`.
    pub viewing: Option<String>,
    pub revision: i64,
    pub created_at: SystemTime,
    pub updated_at: SystemTime,
}

impl LeadRecord {
    pub fn name(&self) -> String {
        format!("leads/{}", self.id)
    }

    pub fn etag(&self) -> String {
        format!("\"{}\"", self.revision)
    }

    pub fn proto(&self) -> pb::Lead {
        pb::Lead {
            name: self.name(),
            listing: self.listing.clone(),
            listing_title: self.listing_title.clone(),
            agent: format!("users/{}", self.agent_id),
            agency: self.agency.clone(),
            contact: Some(self.contact_proto()),
            source: self.source as i32,
            conversation: self.conversation.clone(),
            stage: self.stage as i32,
            lost_reason: self.lost_reason as i32,
            lost_note: self.lost_note.clone(),
            budget: self.budget,
            currency_code: self.currency_code.clone(),
            financing: domain::parse_financing(&self.financing) as i32,
            inquiry_count: i32::try_from(self.inquiry_count).unwrap_or(i32::MAX),
            last_message: self.last_message.clone(),
            score: i32::try_from(self.score).unwrap_or_default(),
            score_factors: self.score_factors.clone(),
            first_response_time: self.first_response_at.map(timestamp),
            viewing: self.viewing.clone().unwrap_or_default(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            etag: self.etag(),
        }
    }

    pub fn contact_proto(&self) -> pb::Contact {
        pb::Contact {
            user: if self.contact.user_id.is_empty() {
                String::new()
            } else {
                format!("users/{}", self.contact.user_id)
            },
            display_name: self.contact.display_name.clone(),
            email: self.contact.email.clone(),
            phone: self.contact.phone.clone(),
        }
    }

    /// Recomputes the score from the lead and the signals about its person; whether it changed.
    fn rescore(&mut self, signals: Signals) -> bool {
        let scored = domain::score(&ScoreInputs {
            kind: Some(self.listing_kind),
            price: self.price,
            budget: self.budget,
            financing: self.financing.clone(),
            inquiry_count: self.inquiry_count,
            saved_search: signals.saved_search,
            favorite: signals.favorite,
        });
        let changed = i64::from(scored.total) != self.score || scored.factors != self.score_factors;
        self.score = i64::from(scored.total);
        self.score_factors = scored.factors;
        changed
    }
}

/// An inquiry about a listing, from the contact form or from messaging.
#[derive(Debug, Clone)]
pub struct NewInquiry {
    pub listing: Listing,
    /// The listing owner's agency, `agencies/{agency}`, if any.
    pub agency: Option<String>,
    pub person: Person,
    pub source: Source,
    pub conversation: String,
    pub message: String,
    pub budget: i64,
    pub financing: String,
}

/// Someone else changed the lead since it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conflict;

/// What a write found.
#[derive(Debug)]
pub enum Written<T> {
    Done(T),
    /// No such lead (or note, task, slot).
    Missing,
    /// The lead changed since `expected` revision.
    Conflict,
}

/// Which leads a list shows.
#[derive(Debug, Clone)]
pub enum LeadsOf {
    Agent(String),
    Agency(String),
}

/// Where a page of leads starts: after this lead, newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: i64,
    pub id: Uuid,
}

/// A note as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteRecord {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub author_id: String,
    pub text: String,
    pub created_at: SystemTime,
}

impl NoteRecord {
    pub fn proto(&self) -> pb::LeadNote {
        pb::LeadNote {
            name: format!("leads/{}/notes/{}", self.lead_id, self.id),
            author: format!("users/{}", self.author_id),
            text: self.text.clone(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskRecord {
    pub id: Uuid,
    pub lead_id: Uuid,
    pub title: String,
    pub due_at: SystemTime,
    pub completed_at: Option<SystemTime>,
    pub creator_id: String,
    pub created_at: SystemTime,
}

impl TaskRecord {
    pub fn proto(&self) -> pb::LeadTask {
        pb::LeadTask {
            name: format!("leads/{}/tasks/{}", self.lead_id, self.id),
            title: self.title.clone(),
            due_time: Some(timestamp(self.due_at)),
            done: self.completed_at.is_some(),
            complete_time: self.completed_at.map(timestamp),
            creator: format!("users/{}", self.creator_id),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// A viewing slot as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotRecord {
    pub id: Uuid,
    pub agent_id: String,
    pub listing: String,
    pub start_at: SystemTime,
    pub end_at: SystemTime,
    pub lead_id: Option<Uuid>,
    pub created_at: SystemTime,
}

impl SlotRecord {
    pub fn name(&self) -> String {
        format!("users/{}/viewingSlots/{}", self.agent_id, self.id)
    }

    /// The slot as shown; `with_lead` says whether the reader may see who booked it.
    pub fn proto(&self, with_lead: bool) -> pb::ViewingSlot {
        pb::ViewingSlot {
            name: self.name(),
            listing: self.listing.clone(),
            start_time: Some(timestamp(self.start_at)),
            end_time: Some(timestamp(self.end_at)),
            lead: match (with_lead, self.lead_id) {
                (true, Some(lead)) => format!("leads/{lead}"),
                _ => String::new(),
            },
            booked: self.lead_id.is_some(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// Why a slot could not be created.
#[derive(Debug)]
pub enum SlotRefused {
    /// It overlaps this slot of the agent's.
    Overlaps(Option<SlotRecord>),
    Database(sqlx::Error),
}

impl From<sqlx::Error> for SlotRefused {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

/// Why a viewing could not be booked.
#[derive(Debug)]
pub enum BookingRefused {
    NoLead,
    NoSlot,
    /// The slot belongs to another agent, is for another listing, or has started.
    Unsuitable(&'static str),
    /// Another lead booked it first.
    Taken,
    Conflict,
    Database(sqlx::Error),
}

impl From<sqlx::Error> for BookingRefused {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

/// What the signals say about a person and a listing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Signals {
    pub saved_search: bool,
    pub favorite: bool,
}

/// What a signal says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignalKind {
    SavedSearch,
    Favorite,
}

impl SignalKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::SavedSearch => "saved_search",
            Self::Favorite => "favorite",
        }
    }
}

/// The figures of an agent's or an agency's leads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Performance {
    pub leads: i64,
    pub open_leads: i64,
    pub responded_leads: i64,
    pub median_response_seconds: i64,
    pub viewings: i64,
    pub won_leads: i64,
    pub lost_leads: i64,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct StoredFactor {
    factor: String,
    points: i32,
    max_points: i32,
    explanation: String,
}

fn encode_factors(factors: &[pb::ScoreFactor]) -> String {
    let stored: Vec<StoredFactor> = factors
        .iter()
        .map(|f| StoredFactor {
            factor: f.factor.clone(),
            points: f.points,
            max_points: f.max_points,
            explanation: f.explanation.clone(),
        })
        .collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_owned())
}

fn decode_factors(text: &str) -> Vec<pb::ScoreFactor> {
    serde_json::from_str::<Vec<StoredFactor>>(text)
        .unwrap_or_default()
        .into_iter()
        .map(|f| pb::ScoreFactor {
            factor: f.factor,
            points: f.points,
            max_points: f.max_points,
            explanation: f.explanation,
        })
        .collect()
}

fn uuid(row: &AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|err| sqlx::Error::Decode(Box::new(err)))
}

fn time(row: &AnyRow, column: &str) -> Result<SystemTime, sqlx::Error> {
    Ok(from_unix_micros(row.try_get(column)?))
}

fn optional_time(row: &AnyRow, column: &str) -> Result<Option<SystemTime>, sqlx::Error> {
    Ok(row.try_get::<Option<i64>, _>(column)?.map(from_unix_micros))
}

const LEAD_COLUMNS: &str = "l.id, l.listing, l.listing_title, l.listing_kind, l.price, \
     l.currency_code, l.agent_id, l.agency, l.person_key, l.contact_user_id, l.contact_name, \
     l.contact_email, l.contact_phone, l.source, l.conversation, l.stage, l.lost_reason, \
     l.lost_note, l.budget, l.financing, l.inquiry_count, l.last_message, l.score, \
     l.score_factors, l.first_response_at, l.revision, l.created_at, l.updated_at, \
     s.id AS slot_id, s.agent_id AS slot_agent_id";

const LEAD_FROM: &str = "FROM leads l LEFT JOIN viewing_slots s ON s.lead_id = l.id";

fn lead_from_row(row: &AnyRow) -> Result<LeadRecord, sqlx::Error> {
    let slot_id: Option<String> = row.try_get("slot_id")?;
    let slot_agent: Option<String> = row.try_get("slot_agent_id")?;
    Ok(LeadRecord {
        id: uuid(row, "id")?,
        listing: row.try_get("listing")?,
        listing_title: row.try_get("listing_title")?,
        listing_kind: ListingKind::parse(&row.try_get::<String, _>("listing_kind")?),
        price: row.try_get("price")?,
        currency_code: row.try_get("currency_code")?,
        agent_id: row.try_get("agent_id")?,
        agency: row.try_get("agency")?,
        person_key: row.try_get("person_key")?,
        contact: Person {
            user_id: row.try_get("contact_user_id")?,
            display_name: row.try_get("contact_name")?,
            email: row.try_get("contact_email")?,
            phone: row.try_get("contact_phone")?,
        },
        source: domain::parse_source(&row.try_get::<String, _>("source")?),
        conversation: row.try_get("conversation")?,
        stage: domain::parse_stage(&row.try_get::<String, _>("stage")?),
        lost_reason: domain::parse_lost_reason(&row.try_get::<String, _>("lost_reason")?),
        lost_note: row.try_get("lost_note")?,
        budget: row.try_get("budget")?,
        financing: row.try_get("financing")?,
        inquiry_count: row.try_get("inquiry_count")?,
        last_message: row.try_get("last_message")?,
        score: row.try_get("score")?,
        score_factors: decode_factors(&row.try_get::<String, _>("score_factors")?),
        first_response_at: optional_time(row, "first_response_at")?,
        viewing: slot_id
            .zip(slot_agent)
            .map(|(slot, agent)| format!("users/{agent}/viewingSlots/{slot}")),
        revision: row.try_get("revision")?,
        created_at: time(row, "created_at")?,
        updated_at: time(row, "updated_at")?,
    })
}

fn slot_from_row(row: &AnyRow) -> Result<SlotRecord, sqlx::Error> {
    let lead: Option<String> = row.try_get("lead_id")?;
    Ok(SlotRecord {
        id: uuid(row, "id")?,
        agent_id: row.try_get("agent_id")?,
        listing: row.try_get("listing")?,
        start_at: time(row, "start_at")?,
        end_at: time(row, "end_at")?,
        lead_id: lead.and_then(|id| Uuid::parse_str(&id).ok()),
        created_at: time(row, "created_at")?,
    })
}

fn task_from_row(row: &AnyRow) -> Result<TaskRecord, sqlx::Error> {
    Ok(TaskRecord {
        id: uuid(row, "id")?,
        lead_id: uuid(row, "lead_id")?,
        title: row.try_get("title")?,
        due_at: time(row, "due_at")?,
        completed_at: optional_time(row, "completed_at")?,
        creator_id: row.try_get("creator_id")?,
        created_at: time(row, "created_at")?,
    })
}

const SLOT_COLUMNS: &str = "id, agent_id, listing, start_at, end_at, lead_id, created_at";

/// Whether `err` is the no-overlap backstop refusing a slot: PostgreSQL's exclusion violation
/// (SQLSTATE 23P01) or SQLite's trigger.
fn is_overlap_violation(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Database(db) => {
            db.code().as_deref() == Some("23P01") || db.message().contains("VIEWING_SLOTS_OVERLAP")
        }
        _ => false,
    }
}

/// The leads service's store. Cheap to clone.
#[derive(Debug, Clone)]
pub struct LeadStore {
    db: Database,
}

impl LeadStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn database(&self) -> &Database {
        &self.db
    }

    // Leads ------------------------------------------------------------------------------------

    /// The lead `id`, if there is one.
    pub async fn lead(&self, id: Uuid) -> Result<Option<LeadRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        Self::lead_in(&mut conn, id).await
    }

    async fn lead_in(tx: &mut AnyConnection, id: Uuid) -> Result<Option<LeadRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {LEAD_COLUMNS} {LEAD_FROM} WHERE l.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(lead_from_row)
        .transpose()
    }

    /// The lead of `person_key` (`user:{id}` or `email:{address}`) for `listing`, if any.
    async fn lead_of_person_in(
        tx: &mut AnyConnection,
        listing: &str,
        person_key: &str,
    ) -> Result<Option<LeadRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {LEAD_COLUMNS} {LEAD_FROM} WHERE l.listing = $1 AND l.person_key = $2"
        ))
        .bind(listing)
        .bind(person_key)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(lead_from_row)
        .transpose()
    }

    /// Records an inquiry: a new lead, or one more inquiry on the person's lead for the
    /// listing. Returns the lead and whether it is new.
    pub async fn record_inquiry(
        &self,
        inquiry: &NewInquiry,
    ) -> Result<(LeadRecord, bool), sqlx::Error> {
        // Two first inquiries of one person racing: the loser's insert hits the unique key and
        // it tries again, finding the winner's lead.
        let mut attempts = 0;
        loop {
            let mut tx = self.db.begin().await?;
            match Self::record_inquiry_in(&mut tx, inquiry).await {
                Ok(Ok(recorded)) => {
                    tx.commit().await?;
                    return Ok(recorded);
                }
                Ok(Err(Conflict)) if attempts < 5 => attempts += 1,
                Ok(Err(Conflict)) => {
                    return Err(sqlx::Error::Protocol(
                        "a lead kept changing while an inquiry was recorded".to_owned(),
                    ));
                }
                Err(err) if estospaces_storage::is_unique_violation(&err) && attempts < 5 => {
                    attempts += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// [`record_inquiry`](Self::record_inquiry) in the caller's transaction.
    pub async fn record_inquiry_in(
        tx: &mut AnyConnection,
        inquiry: &NewInquiry,
    ) -> Result<Result<(LeadRecord, bool), Conflict>, sqlx::Error> {
        let listing = &inquiry.listing;
        let person_key = inquiry.person.key();
        let existing = Self::lead_of_person_in(tx, &listing.name, &person_key).await?;
        let signals = Self::signals_in(tx, &listing.name, &inquiry.person.user_id).await?;
        let now = now();
        let Some(mut lead) = existing else {
            let mut lead = LeadRecord {
                id: Uuid::now_v7(),
                listing: listing.name.clone(),
                listing_title: listing.title.clone(),
                listing_kind: listing.kind.unwrap_or(ListingKind::Sale),
                price: listing.price,
                currency_code: listing.currency_code.clone(),
                agent_id: listing.owner_id.clone(),
                agency: inquiry.agency.clone().unwrap_or_default(),
                person_key,
                contact: inquiry.person.clone(),
                source: inquiry.source,
                conversation: inquiry.conversation.clone(),
                stage: Stage::New,
                lost_reason: LostReason::Unspecified,
                lost_note: String::new(),
                budget: inquiry.budget,
                financing: inquiry.financing.clone(),
                inquiry_count: 1,
                last_message: inquiry.message.clone(),
                score: 0,
                score_factors: Vec::new(),
                first_response_at: None,
                viewing: None,
                revision: 1,
                created_at: now,
                updated_at: now,
            };
            lead.rescore(signals);
            Self::insert_lead_in(tx, &lead).await?;
            OUTBOX
                .append(
                    tx,
                    NewEvent::new(
                        "lead.created",
                        "lead",
                        lead.id.to_string(),
                        &pb::LeadCreated {
                            lead: Some(lead.proto()),
                        },
                    ),
                )
                .await?;
            return Ok(Ok((lead, true)));
        };
        let read = lead.revision;
        lead.inquiry_count += 1;
        lead.listing_title.clone_from(&listing.title);
        lead.price = listing.price;
        lead.currency_code.clone_from(&listing.currency_code);
        if !inquiry.message.is_empty() {
            lead.last_message.clone_from(&inquiry.message);
        }
        // What the person says now replaces what they said before; silence keeps it.
        if inquiry.budget > 0 {
            lead.budget = inquiry.budget;
        }
        if !inquiry.financing.is_empty() {
            lead.financing.clone_from(&inquiry.financing);
        }
        let contact = &inquiry.person;
        if !contact.display_name.is_empty() {
            lead.contact.display_name.clone_from(&contact.display_name);
        }
        if !contact.email.is_empty() {
            lead.contact.email.clone_from(&contact.email);
        }
        if !contact.phone.is_empty() {
            lead.contact.phone.clone_from(&contact.phone);
        }
        if lead.conversation.is_empty() {
            lead.conversation.clone_from(&inquiry.conversation);
        }
        let previous_score = lead.score;
        lead.rescore(signals);
        lead.updated_at = now;
        if Self::save_in(tx, &mut lead, read).await?.is_err() {
            return Ok(Err(Conflict));
        }
        OUTBOX
            .append(
                tx,
                NewEvent::new(
                    "lead.inquired",
                    "lead",
                    lead.id.to_string(),
                    &pb::LeadInquired {
                        lead: Some(lead.proto()),
                    },
                ),
            )
            .await?;
        Self::announce_rescore_in(tx, &lead, previous_score).await?;
        Ok(Ok((lead, false)))
    }

    async fn insert_lead_in(tx: &mut AnyConnection, lead: &LeadRecord) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO leads (id, listing, listing_title, listing_kind, price, currency_code, \
             agent_id, agency, person_key, contact_user_id, contact_name, contact_email, \
             contact_phone, source, conversation, stage, lost_reason, lost_note, budget, \
             financing, inquiry_count, last_message, score, score_factors, first_response_at, \
             revision, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, \
             $27, $28)",
        )
        .bind(lead.id.to_string())
        .bind(&lead.listing)
        .bind(&lead.listing_title)
        .bind(lead.listing_kind.as_str())
        .bind(lead.price)
        .bind(&lead.currency_code)
        .bind(&lead.agent_id)
        .bind(&lead.agency)
        .bind(&lead.person_key)
        .bind(&lead.contact.user_id)
        .bind(&lead.contact.display_name)
        .bind(&lead.contact.email)
        .bind(&lead.contact.phone)
        .bind(domain::source_str(lead.source))
        .bind(&lead.conversation)
        .bind(domain::stage_str(lead.stage))
        .bind(domain::lost_reason_str(lead.lost_reason))
        .bind(&lead.lost_note)
        .bind(lead.budget)
        .bind(&lead.financing)
        .bind(lead.inquiry_count)
        .bind(&lead.last_message)
        .bind(lead.score)
        .bind(encode_factors(&lead.score_factors))
        .bind(lead.first_response_at.map(unix_micros))
        .bind(lead.revision)
        .bind(unix_micros(lead.created_at))
        .bind(unix_micros(lead.updated_at))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// Writes `lead` back if it is still at revision `read`; bumps `lead.revision`.
    async fn save_in(
        tx: &mut AnyConnection,
        lead: &mut LeadRecord,
        read: i64,
    ) -> Result<Result<(), Conflict>, sqlx::Error> {
        // Callers set times from the clock; the lead they get back must read as stored.
        lead.updated_at = micros(lead.updated_at);
        lead.first_response_at = lead.first_response_at.map(micros);
        let written = sqlx::query(
            "UPDATE leads SET listing_title = $1, price = $2, currency_code = $3, agent_id = $4, \
             agency = $5, contact_name = $6, contact_email = $7, contact_phone = $8, \
             conversation = $9, stage = $10, lost_reason = $11, lost_note = $12, budget = $13, \
             financing = $14, inquiry_count = $15, last_message = $16, score = $17, \
             score_factors = $18, first_response_at = $19, updated_at = $20, \
             revision = revision + 1 WHERE id = $21 AND revision = $22",
        )
        .bind(&lead.listing_title)
        .bind(lead.price)
        .bind(&lead.currency_code)
        .bind(&lead.agent_id)
        .bind(&lead.agency)
        .bind(&lead.contact.display_name)
        .bind(&lead.contact.email)
        .bind(&lead.contact.phone)
        .bind(&lead.conversation)
        .bind(domain::stage_str(lead.stage))
        .bind(domain::lost_reason_str(lead.lost_reason))
        .bind(&lead.lost_note)
        .bind(lead.budget)
        .bind(&lead.financing)
        .bind(lead.inquiry_count)
        .bind(&lead.last_message)
        .bind(lead.score)
        .bind(encode_factors(&lead.score_factors))
        .bind(lead.first_response_at.map(unix_micros))
        .bind(unix_micros(lead.updated_at))
        .bind(lead.id.to_string())
        .bind(read)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if written == 1 {
            lead.revision = read + 1;
            Ok(Ok(()))
        } else {
            Ok(Err(Conflict))
        }
    }

    async fn announce_rescore_in(
        tx: &mut AnyConnection,
        lead: &LeadRecord,
        previous_score: i64,
    ) -> Result<(), sqlx::Error> {
        if lead.score == previous_score {
            return Ok(());
        }
        OUTBOX
            .append(
                tx,
                NewEvent::new(
                    "lead.rescored",
                    "lead",
                    lead.id.to_string(),
                    &pb::LeadRescored {
                        lead: Some(lead.proto()),
                        previous_score: i32::try_from(previous_score).unwrap_or_default(),
                    },
                ),
            )
            .await?;
        Ok(())
    }

    /// Changes lead `id` with `change` if it is at revision `expected` (any revision when
    /// `None`), recording `event(lead, before)`'s event. `change` may refuse with `Err`.
    pub async fn change<E, F, V>(
        &self,
        id: Uuid,
        expected: Option<i64>,
        change: F,
        event: V,
    ) -> Result<Written<Result<LeadRecord, E>>, sqlx::Error>
    where
        F: Fn(&mut LeadRecord) -> Result<(), E>,
        V: Fn(&LeadRecord, &LeadRecord) -> Option<NewEvent>,
    {
        for _ in 0..5 {
            let mut tx = self.db.begin().await?;
            let Some(before) = Self::lead_in(&mut tx, id).await? else {
                return Ok(Written::Missing);
            };
            if expected.is_some_and(|expected| expected != before.revision) {
                return Ok(Written::Conflict);
            }
            let mut lead = before.clone();
            if let Err(refused) = change(&mut lead) {
                return Ok(Written::Done(Err(refused)));
            }
            lead.updated_at = now();
            if Self::save_in(&mut tx, &mut lead, before.revision)
                .await?
                .is_err()
            {
                if expected.is_some() {
                    return Ok(Written::Conflict);
                }
                continue;
            }
            if let Some(event) = event(&lead, &before) {
                OUTBOX.append(&mut tx, event).await?;
            }
            // A lead won or lost no longer holds a viewing to come: the slot goes back to the
            // agent's free times. One already started stays, as the record of the viewing.
            if domain::is_closed(lead.stage)
                && !domain::is_closed(before.stage)
                && let Some(freed) = Self::free_upcoming_slot_of_in(&mut tx, id).await?
            {
                lead.viewing = None;
                Self::announce_viewing_in(&mut tx, "lead.viewing_cancelled", &lead, &freed).await?;
            }
            tx.commit().await?;
            return Ok(Written::Done(Ok(lead)));
        }
        Ok(Written::Conflict)
    }

    /// A page of leads, newest first.
    pub async fn leads(
        &self,
        of: &LeadsOf,
        stage: Option<Stage>,
        after: Option<Cursor>,
        limit: i64,
    ) -> Result<Vec<LeadRecord>, sqlx::Error> {
        let (column, value) = match of {
            LeadsOf::Agent(agent) => ("l.agent_id", agent),
            LeadsOf::Agency(agency) => ("l.agency", agency),
        };
        let after = after.unwrap_or(Cursor {
            created_at: i64::MAX,
            id: Uuid::max(),
        });
        sqlx::query(&format!(
            "SELECT {LEAD_COLUMNS} {LEAD_FROM} WHERE {column} = $1 \
             AND ($2 = '' OR l.stage = $2) \
             AND (l.created_at < $3 OR (l.created_at = $3 AND l.id < $4)) \
             ORDER BY l.created_at DESC, l.id DESC LIMIT $5"
        ))
        .bind(value)
        .bind(stage.map(domain::stage_str).unwrap_or_default())
        .bind(after.created_at)
        .bind(after.id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(lead_from_row)
        .collect()
    }

    /// The agent of `candidates` given a lead of `agency` longest ago (never first, then by
    /// id), recorded as given one now.
    pub async fn next_in_turn(
        &self,
        agency: &str,
        candidates: &[String],
    ) -> Result<Option<String>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        // The agency's own row (no agent) is written first: on PostgreSQL its row lock makes
        // concurrent turns of one agency take turns; SQLite's write lock already does.
        Self::record_assignment_in(&mut tx, agency, "").await?;
        let mut best: Option<(i64, &String)> = None;
        for candidate in candidates {
            let last: Option<i64> = sqlx::query_scalar(
                "SELECT last_assigned_at FROM agency_assignments WHERE agency = $1 AND agent_id = $2",
            )
            .bind(agency)
            .bind(candidate)
            .fetch_optional(&mut *tx)
            .await?;
            let last = last.unwrap_or(0);
            if best.is_none_or(|(at, id)| (last, candidate) < (at, id)) {
                best = Some((last, candidate));
            }
        }
        let Some((_, chosen)) = best else {
            return Ok(None);
        };
        Self::record_assignment_in(&mut tx, agency, chosen).await?;
        tx.commit().await?;
        Ok(Some(chosen.clone()))
    }

    async fn record_assignment_in(
        tx: &mut AnyConnection,
        agency: &str,
        agent_id: &str,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO agency_assignments (agency, agent_id, last_assigned_at) VALUES ($1, $2, $3) \
             ON CONFLICT (agency, agent_id) DO UPDATE SET last_assigned_at = EXCLUDED.last_assigned_at",
        )
        .bind(agency)
        .bind(agent_id)
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    // Notes and tasks ---------------------------------------------------------------------------

    /// Adds a note; `None` when the lead holds [`MAX_NOTES_PER_LEAD`] already.
    pub async fn add_note(
        &self,
        lead_id: Uuid,
        author_id: &str,
        text: &str,
    ) -> Result<Option<NoteRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lead_notes WHERE lead_id = $1")
            .bind(lead_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_NOTES_PER_LEAD {
            return Ok(None);
        }
        let note = NoteRecord {
            id: Uuid::now_v7(),
            lead_id,
            author_id: author_id.to_owned(),
            text: text.to_owned(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO lead_notes (id, lead_id, author_id, text, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(note.id.to_string())
        .bind(lead_id.to_string())
        .bind(author_id)
        .bind(text)
        .bind(unix_micros(note.created_at))
        .execute(&mut *tx)
        .await?;
        let proto = note.proto();
        OUTBOX
            .append(
                &mut tx,
                NewEvent::new(
                    "lead.note_added",
                    "lead",
                    lead_id.to_string(),
                    &pb::LeadNoteAdded {
                        note: proto.name,
                        author: proto.author,
                    },
                ),
            )
            .await?;
        tx.commit().await?;
        Ok(Some(note))
    }

    pub async fn notes(&self, lead_id: Uuid) -> Result<Vec<NoteRecord>, sqlx::Error> {
        sqlx::query(
            "SELECT id, lead_id, author_id, text, created_at FROM lead_notes WHERE lead_id = $1 \
             ORDER BY created_at, id",
        )
        .bind(lead_id.to_string())
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            Ok(NoteRecord {
                id: uuid(row, "id")?,
                lead_id: uuid(row, "lead_id")?,
                author_id: row.try_get("author_id")?,
                text: row.try_get("text")?,
                created_at: time(row, "created_at")?,
            })
        })
        .collect()
    }

    /// Adds a task; `None` when the lead holds [`MAX_TASKS_PER_LEAD`] already.
    pub async fn add_task(
        &self,
        lead_id: Uuid,
        creator_id: &str,
        title: &str,
        due_at: SystemTime,
    ) -> Result<Option<TaskRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM lead_tasks WHERE lead_id = $1")
            .bind(lead_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        if count >= MAX_TASKS_PER_LEAD {
            return Ok(None);
        }
        let task = TaskRecord {
            id: Uuid::now_v7(),
            lead_id,
            title: title.to_owned(),
            due_at: micros(due_at),
            completed_at: None,
            creator_id: creator_id.to_owned(),
            created_at: now(),
        };
        sqlx::query(
            "INSERT INTO lead_tasks (id, lead_id, title, due_at, completed_at, creator_id, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5, $6)",
        )
        .bind(task.id.to_string())
        .bind(lead_id.to_string())
        .bind(title)
        .bind(unix_micros(due_at))
        .bind(creator_id)
        .bind(unix_micros(task.created_at))
        .execute(&mut *tx)
        .await?;
        Self::announce_task_in(&mut tx, "lead.task_created", &task).await?;
        tx.commit().await?;
        Ok(Some(task))
    }

    async fn announce_task_in(
        tx: &mut AnyConnection,
        event_type: &str,
        task: &TaskRecord,
    ) -> Result<(), sqlx::Error> {
        OUTBOX
            .append(
                tx,
                NewEvent::new(
                    event_type,
                    "lead",
                    task.lead_id.to_string(),
                    &pb::LeadTaskChanged {
                        lead_task: Some(task.proto()),
                    },
                ),
            )
            .await?;
        Ok(())
    }

    pub async fn tasks(&self, lead_id: Uuid) -> Result<Vec<TaskRecord>, sqlx::Error> {
        sqlx::query(
            "SELECT id, lead_id, title, due_at, completed_at, creator_id, created_at FROM lead_tasks \
             WHERE lead_id = $1 ORDER BY due_at, id",
        )
        .bind(lead_id.to_string())
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(task_from_row)
        .collect()
    }

    /// Marks task `id` of lead `lead_id` done (once); `None` when there is no such task.
    pub async fn complete_task(
        &self,
        lead_id: Uuid,
        id: Uuid,
    ) -> Result<Option<TaskRecord>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let now = SystemTime::now();
        let completed = sqlx::query(
            "UPDATE lead_tasks SET completed_at = $1 WHERE id = $2 AND lead_id = $3 \
             AND completed_at IS NULL",
        )
        .bind(unix_micros(now))
        .bind(id.to_string())
        .bind(lead_id.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let task = sqlx::query(
            "SELECT id, lead_id, title, due_at, completed_at, creator_id, created_at FROM lead_tasks \
             WHERE id = $1 AND lead_id = $2",
        )
        .bind(id.to_string())
        .bind(lead_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(task_from_row)
        .transpose()?;
        if completed && let Some(task) = &task {
            Self::announce_task_in(&mut tx, "lead.task_completed", task).await?;
        }
        tx.commit().await?;
        Ok(task)
    }

    // Viewing slots ----------------------------------------------------------------------------

    /// Publishes a slot, unless it overlaps another of the agent's.
    pub async fn create_slot(
        &self,
        agent_id: &str,
        listing: &str,
        start_at: SystemTime,
        end_at: SystemTime,
    ) -> Result<SlotRecord, SlotRefused> {
        let slot = SlotRecord {
            id: Uuid::now_v7(),
            agent_id: agent_id.to_owned(),
            listing: listing.to_owned(),
            start_at: micros(start_at),
            end_at: micros(end_at),
            lead_id: None,
            created_at: now(),
        };
        let inserted = sqlx::query(
            "INSERT INTO viewing_slots (id, agent_id, listing, start_at, end_at, lead_id, booked_at, \
             created_at) VALUES ($1, $2, $3, $4, $5, NULL, NULL, $6)",
        )
        .bind(slot.id.to_string())
        .bind(agent_id)
        .bind(listing)
        .bind(unix_micros(start_at))
        .bind(unix_micros(end_at))
        .bind(unix_micros(slot.created_at))
        .execute(self.db.pool())
        .await;
        match inserted {
            Ok(_) => Ok(slot),
            Err(err) if is_overlap_violation(&err) => {
                let in_the_way = sqlx::query(&format!(
                    "SELECT {SLOT_COLUMNS} FROM viewing_slots WHERE agent_id = $1 \
                     AND start_at < $2 AND $3 < end_at ORDER BY start_at LIMIT 1"
                ))
                .bind(agent_id)
                .bind(unix_micros(end_at))
                .bind(unix_micros(start_at))
                .fetch_optional(self.db.pool())
                .await?
                .as_ref()
                .map(slot_from_row)
                .transpose()?;
                Err(SlotRefused::Overlaps(in_the_way))
            }
            Err(err) => Err(SlotRefused::Database(err)),
        }
    }

    pub async fn slot(&self, agent_id: &str, id: Uuid) -> Result<Option<SlotRecord>, sqlx::Error> {
        let mut conn = self.db.pool().acquire().await?;
        Self::slot_in(&mut conn, agent_id, id).await
    }

    async fn slot_in(
        tx: &mut AnyConnection,
        agent_id: &str,
        id: Uuid,
    ) -> Result<Option<SlotRecord>, sqlx::Error> {
        sqlx::query(&format!(
            "SELECT {SLOT_COLUMNS} FROM viewing_slots WHERE id = $1 AND agent_id = $2"
        ))
        .bind(id.to_string())
        .bind(agent_id)
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(slot_from_row)
        .transpose()
    }

    /// The agent's slots that end after `now`, soonest first, after `(start_at, id)`; only
    /// those for `listing` or for any listing when `listing` is given.
    pub async fn slots(
        &self,
        agent_id: &str,
        listing: &str,
        now: SystemTime,
        after: Option<(i64, Uuid)>,
        limit: i64,
    ) -> Result<Vec<SlotRecord>, sqlx::Error> {
        let (after_start, after_id) = after.unwrap_or((i64::MIN, Uuid::nil()));
        sqlx::query(&format!(
            "SELECT {SLOT_COLUMNS} FROM viewing_slots WHERE agent_id = $1 AND end_at > $2 \
             AND ($3 = '' OR listing = $3 OR listing = '') \
             AND (start_at > $4 OR (start_at = $4 AND id > $5)) \
             ORDER BY start_at, id LIMIT $6"
        ))
        .bind(agent_id)
        .bind(unix_micros(now))
        .bind(listing)
        .bind(after_start)
        .bind(after_id.to_string())
        .bind(limit)
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(slot_from_row)
        .collect()
    }

    /// Withdraws a free slot: `Ok(None)` when there is none, `Ok(Some(false))` when it is
    /// booked.
    pub async fn delete_slot(&self, agent_id: &str, id: Uuid) -> Result<Option<bool>, sqlx::Error> {
        let deleted = sqlx::query(
            "DELETE FROM viewing_slots WHERE id = $1 AND agent_id = $2 AND lead_id IS NULL",
        )
        .bind(id.to_string())
        .bind(agent_id)
        .execute(self.db.pool())
        .await?
        .rows_affected();
        if deleted == 1 {
            return Ok(Some(true));
        }
        Ok(self.slot(agent_id, id).await?.map(|_| false))
    }

    /// Books slot `slot_id` of `agent_id` for lead `lead_id`, freeing the lead's earlier slot;
    /// moves a new or contacted lead to `STAGE_VIEWING_SCHEDULED`. `by_agent` says the lead's
    /// side did it (so it answers the lead).
    pub async fn book(
        &self,
        lead_id: Uuid,
        agent_id: &str,
        slot_id: Uuid,
        by_agent: bool,
    ) -> Result<(LeadRecord, SlotRecord), BookingRefused> {
        let mut tx = self.db.begin().await?;
        let lead = Self::lead_in(&mut tx, lead_id)
            .await?
            .ok_or(BookingRefused::NoLead)?;
        let slot = Self::slot_in(&mut tx, agent_id, slot_id)
            .await?
            .ok_or(BookingRefused::NoSlot)?;
        let now = now();
        if slot.lead_id == Some(lead_id) {
            return Ok((lead, slot));
        }
        if slot.agent_id != lead.agent_id {
            return Err(BookingRefused::Unsuitable("NOT_THE_LEADS_AGENT"));
        }
        if !slot.listing.is_empty() && slot.listing != lead.listing {
            return Err(BookingRefused::Unsuitable(
                "VIEWING_SLOT_FOR_ANOTHER_LISTING",
            ));
        }
        if slot.start_at <= now {
            return Err(BookingRefused::Unsuitable("VIEWING_SLOT_STARTED"));
        }
        let previous = Self::free_slot_of_in(&mut tx, lead_id).await?;
        let taken = sqlx::query(
            "UPDATE viewing_slots SET lead_id = $1, booked_at = $2 WHERE id = $3 AND lead_id IS NULL",
        )
        .bind(lead_id.to_string())
        .bind(unix_micros(now))
        .bind(slot_id.to_string())
        .execute(&mut *tx)
        .await
        // The same lead booking another slot at the same moment: its unique key decides.
        .map_err(|err| {
            if estospaces_storage::is_unique_violation(&err) {
                BookingRefused::Conflict
            } else {
                BookingRefused::Database(err)
            }
        })?
        .rows_affected();
        if taken != 1 {
            return Err(BookingRefused::Taken);
        }
        let mut changed = lead.clone();
        if matches!(lead.stage, Stage::New | Stage::Contacted) {
            changed.stage = Stage::ViewingScheduled;
        }
        if by_agent && changed.first_response_at.is_none() {
            changed.first_response_at = Some(now);
        }
        changed.updated_at = now;
        if Self::save_in(&mut tx, &mut changed, lead.revision)
            .await?
            .is_err()
        {
            return Err(BookingRefused::Conflict);
        }
        let booked = SlotRecord {
            lead_id: Some(lead_id),
            ..slot
        };
        changed.viewing = Some(booked.name());
        if let Some(previous) = previous {
            Self::announce_viewing_in(&mut tx, "lead.viewing_cancelled", &changed, &previous)
                .await?;
        }
        Self::announce_viewing_in(&mut tx, "lead.viewing_booked", &changed, &booked).await?;
        Self::announce_stage_in(&mut tx, &changed, lead.stage).await?;
        tx.commit().await?;
        Ok((changed, booked))
    }

    /// Cancels lead `lead_id`'s viewing; `None` when it has none. A lead waiting for the
    /// viewing goes back to `STAGE_CONTACTED`.
    pub async fn cancel_viewing(
        &self,
        lead_id: Uuid,
    ) -> Result<Written<Option<SlotRecord>>, sqlx::Error> {
        let mut tx = self.db.begin().await?;
        let Some(lead) = Self::lead_in(&mut tx, lead_id).await? else {
            return Ok(Written::Missing);
        };
        let Some(freed) = Self::free_slot_of_in(&mut tx, lead_id).await? else {
            return Ok(Written::Done(None));
        };
        let mut changed = lead.clone();
        if lead.stage == Stage::ViewingScheduled {
            changed.stage = Stage::Contacted;
        }
        changed.viewing = None;
        changed.updated_at = now();
        if Self::save_in(&mut tx, &mut changed, lead.revision)
            .await?
            .is_err()
        {
            return Ok(Written::Conflict);
        }
        Self::announce_viewing_in(&mut tx, "lead.viewing_cancelled", &changed, &freed).await?;
        Self::announce_stage_in(&mut tx, &changed, lead.stage).await?;
        tx.commit().await?;
        Ok(Written::Done(Some(freed)))
    }

    /// Frees the slot lead `lead_id` holds if it has not started; the slot as it was, if any.
    async fn free_upcoming_slot_of_in(
        tx: &mut AnyConnection,
        lead_id: Uuid,
    ) -> Result<Option<SlotRecord>, sqlx::Error> {
        let freed = sqlx::query(&format!(
            "UPDATE viewing_slots SET lead_id = NULL, booked_at = NULL \
             WHERE lead_id = $1 AND start_at > $2 RETURNING {SLOT_COLUMNS}"
        ))
        .bind(lead_id.to_string())
        .bind(unix_micros(now()))
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(slot_from_row)
        .transpose()?;
        // The event names the lead that held it.
        Ok(freed.map(|slot| SlotRecord {
            lead_id: Some(lead_id),
            ..slot
        }))
    }

    /// Frees the slot lead `lead_id` holds; the slot as it was (with its lead), if any.
    async fn free_slot_of_in(
        tx: &mut AnyConnection,
        lead_id: Uuid,
    ) -> Result<Option<SlotRecord>, sqlx::Error> {
        let held = sqlx::query(&format!(
            "SELECT {SLOT_COLUMNS} FROM viewing_slots WHERE lead_id = $1"
        ))
        .bind(lead_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .as_ref()
        .map(slot_from_row)
        .transpose()?;
        if held.is_some() {
            sqlx::query(
                "UPDATE viewing_slots SET lead_id = NULL, booked_at = NULL WHERE lead_id = $1",
            )
            .bind(lead_id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        Ok(held)
    }

    async fn announce_viewing_in(
        tx: &mut AnyConnection,
        event_type: &str,
        lead: &LeadRecord,
        slot: &SlotRecord,
    ) -> Result<(), sqlx::Error> {
        OUTBOX
            .append(
                tx,
                NewEvent::new(
                    event_type,
                    "lead",
                    lead.id.to_string(),
                    &pb::ViewingChanged {
                        lead: lead.name(),
                        viewing_slot: Some(slot.proto(true)),
                        contact: Some(lead.contact_proto()),
                        listing_title: lead.listing_title.clone(),
                    },
                ),
            )
            .await?;
        Ok(())
    }

    /// Records `lead.stage_changed` when the lead left `previous`.
    pub(crate) async fn announce_stage_in(
        tx: &mut AnyConnection,
        lead: &LeadRecord,
        previous: Stage,
    ) -> Result<(), sqlx::Error> {
        if let Some(event) = stage_event(lead, previous) {
            OUTBOX.append(tx, event).await?;
        }
        Ok(())
    }

    /// The agent's booked viewings that end after `since`, with the listing's title.
    pub async fn booked_viewings(
        &self,
        agent_id: &str,
        since: SystemTime,
    ) -> Result<Vec<(SlotRecord, String)>, sqlx::Error> {
        sqlx::query(
            "SELECT s.id, s.agent_id, s.listing, s.start_at, s.end_at, s.lead_id, s.created_at, \
             l.listing_title, l.listing AS lead_listing FROM viewing_slots s \
             JOIN leads l ON l.id = s.lead_id WHERE s.agent_id = $1 AND s.end_at > $2 \
             ORDER BY s.start_at, s.id LIMIT 1000",
        )
        .bind(agent_id)
        .bind(unix_micros(since))
        .fetch_all(self.db.pool())
        .await?
        .iter()
        .map(|row| {
            let mut slot = slot_from_row(row)?;
            if slot.listing.is_empty() {
                slot.listing = row.try_get("lead_listing")?;
            }
            Ok((slot, row.try_get("listing_title")?))
        })
        .collect()
    }

    // Signals ----------------------------------------------------------------------------------

    async fn signals_in(
        tx: &mut AnyConnection,
        listing: &str,
        user_id: &str,
    ) -> Result<Signals, sqlx::Error> {
        if user_id.is_empty() {
            return Ok(Signals::default());
        }
        let kinds: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT kind FROM lead_signals WHERE listing = $1 AND user_id = $2",
        )
        .bind(listing)
        .bind(user_id)
        .fetch_all(&mut *tx)
        .await?;
        Ok(Signals {
            saved_search: kinds.iter().any(|k| k == SignalKind::SavedSearch.as_str()),
            favorite: kinds.iter().any(|k| k == SignalKind::Favorite.as_str()),
        })
    }

    /// Records (or with `present` false, forgets) what `source` says about `user_id` and
    /// `listing`, and rescores the user's lead for the listing.
    pub async fn record_signal_in(
        tx: &mut AnyConnection,
        listing: &str,
        user_id: &str,
        kind: SignalKind,
        source: &str,
        present: bool,
    ) -> Result<(), sqlx::Error> {
        if present {
            sqlx::query(
                "INSERT INTO lead_signals (listing, user_id, kind, source, created_at) \
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            )
            .bind(listing)
            .bind(user_id)
            .bind(kind.as_str())
            .bind(source)
            .bind(unix_micros(SystemTime::now()))
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query(
                "DELETE FROM lead_signals WHERE listing = $1 AND user_id = $2 AND kind = $3 \
                 AND source = $4",
            )
            .bind(listing)
            .bind(user_id)
            .bind(kind.as_str())
            .bind(source)
            .execute(&mut *tx)
            .await?;
        }
        let lead = Self::lead_of_person_in(tx, listing, &format!("user:{user_id}")).await?;
        let Some(mut lead) = lead else {
            return Ok(());
        };
        let signals = Self::signals_in(tx, listing, user_id).await?;
        let read = lead.revision;
        let previous = lead.score;
        if !lead.rescore(signals) {
            return Ok(());
        }
        lead.updated_at = now();
        if Self::save_in(tx, &mut lead, read).await?.is_err() {
            // A transient error: the consumer retries the event in a new transaction.
            return Err(sqlx::Error::Protocol(
                "the lead changed while it was rescored".to_owned(),
            ));
        }
        Self::announce_rescore_in(tx, &lead, previous).await
    }

    // Performance ------------------------------------------------------------------------------

    /// The figures of the leads `of` holds now: an agent's, or an agency's (those whose
    /// `agency` it is). An agent's viewings are the booked slots in their calendar; an
    /// agency's, the slots its leads booked.
    pub async fn performance(&self, of: &LeadsOf) -> Result<Performance, sqlx::Error> {
        let (column, value, viewings) = match of {
            LeadsOf::Agent(agent) => (
                "agent_id",
                agent,
                "SELECT COUNT(*) FROM viewing_slots WHERE agent_id = $1 AND lead_id IS NOT NULL",
            ),
            LeadsOf::Agency(agency) => (
                "agency",
                agency,
                "SELECT COUNT(*) FROM viewing_slots s JOIN leads l ON l.id = s.lead_id \
                 WHERE l.agency = $1",
            ),
        };
        let rows = sqlx::query(&format!(
            "SELECT stage, created_at, first_response_at FROM leads WHERE {column} = $1"
        ))
        .bind(value)
        .fetch_all(self.db.pool())
        .await?;
        let mut figures = Performance::default();
        let mut response_seconds = Vec::new();
        for row in &rows {
            figures.leads += 1;
            match domain::parse_stage(&row.try_get::<String, _>("stage")?) {
                Stage::Won => figures.won_leads += 1,
                Stage::Lost => figures.lost_leads += 1,
                _ => figures.open_leads += 1,
            }
            if let Some(answered) = row.try_get::<Option<i64>, _>("first_response_at")? {
                figures.responded_leads += 1;
                let created: i64 = row.try_get("created_at")?;
                response_seconds.push((answered - created).max(0) / 1_000_000);
            }
        }
        response_seconds.sort_unstable();
        figures.median_response_seconds = response_seconds
            .get(response_seconds.len() / 2)
            .copied()
            .unwrap_or_default();
        figures.viewings = sqlx::query_scalar(viewings)
            .bind(value)
            .fetch_one(self.db.pool())
            .await?;
        Ok(figures)
    }

    // Ratings ----------------------------------------------------------------------------------

    /// Stores `rating` as `user_id`'s: the review service's latest summary replaces the one
    /// before, so applying one twice changes nothing.
    pub async fn record_rating_in(
        tx: &mut AnyConnection,
        user_id: &str,
        rating: Rating,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO agent_ratings (user_id, review_count, average_rating, updated_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET \
             review_count = excluded.review_count, average_rating = excluded.average_rating, \
             updated_at = excluded.updated_at",
        )
        .bind(user_id)
        .bind(rating.review_count)
        .bind(rating.average_rating)
        .bind(unix_micros(SystemTime::now()))
        .execute(&mut *tx)
        .await?;
        Ok(())
    }

    /// The stored ratings of `user_ids`, as one: each review counts once.
    pub async fn rating(&self, user_ids: &[String]) -> Result<Rating, sqlx::Error> {
        if user_ids.is_empty() {
            return Ok(Rating::default());
        }
        let placeholders: Vec<String> = (1..=user_ids.len()).map(|i| format!("${i}")).collect();
        let sql = format!(
            "SELECT review_count, average_rating FROM agent_ratings WHERE user_id IN ({})",
            placeholders.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for user_id in user_ids {
            query = query.bind(user_id);
        }
        let ratings = query
            .fetch_all(self.db.pool())
            .await?
            .iter()
            .map(|row| {
                Ok(Rating {
                    review_count: row.try_get("review_count")?,
                    average_rating: row.try_get("average_rating")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
        Ok(Rating::combined(ratings))
    }
}

/// `lead.stage_changed` for a lead that left `previous`, if it did.
pub(crate) fn stage_event(lead: &LeadRecord, previous: Stage) -> Option<NewEvent> {
    (lead.stage != previous).then(|| {
        NewEvent::new(
            "lead.stage_changed",
            "lead",
            lead.id.to_string(),
            &pb::LeadStageChanged {
                lead: Some(lead.proto()),
                previous_stage: previous as i32,
            },
        )
    })
}

/// `lead.assigned` for a lead that changed agent, if it did.
pub(crate) fn assigned_event(lead: &LeadRecord, before: &LeadRecord) -> Option<NewEvent> {
    (lead.agent_id != before.agent_id).then(|| {
        NewEvent::new(
            "lead.assigned",
            "lead",
            lead.id.to_string(),
            &pb::LeadAssigned {
                lead: Some(lead.proto()),
                previous_agent: format!("users/{}", before.agent_id),
            },
        )
    })
}
