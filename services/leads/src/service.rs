//! The `estospaces.leads.v1.LeadService` handlers.
//!
//! Every handler first decides who may call it. A lead is its agent's, its agency's owners'
//! and managers', and admins'; anyone else is refused with PERMISSION_DENIED whether or not the
//! lead exists, so lead names cannot be probed. The person who asked may book and cancel their
//! own viewing, nothing more: notes, tasks and the score are the agents'.

use std::time::{Duration, SystemTime};

use estospaces_auth::policy::{self, Caller};
use estospaces_proto::google::api::HttpBody;
use estospaces_proto::leads_v1 as pb;
use estospaces_proto::leads_v1::lead_service_server::LeadService;
use estospaces_status::{ApiError, violation};
use estospaces_storage::unix_micros;
use pb::lead::{LostReason, Stage};
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::DOMAIN;
use crate::agencies::{self, Agencies, Role};
use crate::calendar;
use crate::captcha::Captcha;
use crate::domain::{self, Person, chars};
use crate::listings::Listings;
use crate::store::{
    self, BookingRefused, Cursor, LeadRecord, LeadStore, LeadsOf, NewInquiry, SlotRefused, Written,
};

/// The longest viewing slot.
const MAX_SLOT: Duration = Duration::from_secs(4 * 3600);
/// How far ahead slots may be published.
const SLOT_HORIZON: Duration = Duration::from_secs(365 * 24 * 3600);
/// How far back the calendar feed reaches.
const FEED_HISTORY: Duration = Duration::from_secs(30 * 24 * 3600);

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct LeadHandlers {
    store: LeadStore,
    listings: Listings,
    agencies: Agencies,
    captcha: Captcha,
}

impl LeadHandlers {
    pub fn new(store: LeadStore, listings: Listings, agencies: Agencies, captcha: Captcha) -> Self {
        Self {
            store,
            listings,
            agencies,
            captcha,
        }
    }
}

fn db(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

fn invalid(field: &str, description: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, description)])
}

fn denied(reason: &'static str, message: &str) -> ApiError {
    ApiError::new(Code::PermissionDenied, DOMAIN, reason, message)
}

fn uuid_in(text: &str) -> Option<Uuid> {
    Uuid::parse_str(text).ok()
}

/// `leads/{lead}`.
fn lead_id(field: &str, name: &str) -> Result<Uuid, ApiError> {
    name.strip_prefix("leads/")
        .and_then(uuid_in)
        .ok_or_else(|| invalid(field, "must be a resource name like leads/{lead}"))
}

/// The id of `users/{user}`.
fn user_id(field: &str, name: &str) -> Result<String, ApiError> {
    name.strip_prefix("users/")
        .and_then(uuid_in)
        .map(|id| id.to_string())
        .ok_or_else(|| invalid(field, "must be a resource name like users/{user}"))
}

/// `properties/{property}`, normalized.
fn listing_name(field: &str, name: &str) -> Result<String, ApiError> {
    name.strip_prefix("properties/")
        .and_then(uuid_in)
        .map(|id| format!("properties/{id}"))
        .ok_or_else(|| invalid(field, "must be a resource name like properties/{property}"))
}

/// `agencies/{agency}`, normalized.
fn agency_name(field: &str, name: &str) -> Result<String, ApiError> {
    name.strip_prefix("agencies/")
        .and_then(uuid_in)
        .map(|id| format!("agencies/{id}"))
        .ok_or_else(|| invalid(field, "must be a resource name like agencies/{agency}"))
}

/// `users/{user}/viewingSlots/{slot}`: the agent's id and the slot's.
fn slot_name(field: &str, name: &str) -> Result<(String, Uuid), ApiError> {
    let bad = || {
        invalid(
            field,
            "must be a resource name like users/{user}/viewingSlots/{viewing_slot}",
        )
    };
    let rest = name.strip_prefix("users/").ok_or_else(bad)?;
    let (user, slot) = rest.split_once("/viewingSlots/").ok_or_else(bad)?;
    let user = uuid_in(user).ok_or_else(bad)?;
    let slot = uuid_in(slot).ok_or_else(bad)?;
    Ok((user.to_string(), slot))
}

/// `leads/{lead}/tasks/{task}`.
fn task_name(field: &str, name: &str) -> Result<(Uuid, Uuid), ApiError> {
    let bad = || {
        invalid(
            field,
            "must be a resource name like leads/{lead}/tasks/{task}",
        )
    };
    let rest = name.strip_prefix("leads/").ok_or_else(bad)?;
    let (lead, task) = rest.split_once("/tasks/").ok_or_else(bad)?;
    Ok((
        uuid_in(lead).ok_or_else(bad)?,
        uuid_in(task).ok_or_else(bad)?,
    ))
}

/// An `etag` as sent back: `None` when empty.
fn revision(etag: &str) -> Result<Option<i64>, ApiError> {
    if etag.is_empty() {
        return Ok(None);
    }
    etag.trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| invalid("etag", "must be an etag this service returned"))
}

fn stale() -> ApiError {
    ApiError::aborted(
        DOMAIN,
        "ETAG_MISMATCH",
        "the lead changed since it was read; read it again",
    )
}

fn page_size(requested: i32, default: i64, max: i64) -> Result<i64, ApiError> {
    match i64::from(requested) {
        ..0 => Err(invalid("page_size", "must not be negative")),
        0 => Ok(default),
        n => Ok(n.min(max)),
    }
}

/// A page token: `{micros}.{id}` of the last item of the previous page.
fn page_token(token: &str) -> Result<Option<(i64, Uuid)>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .split_once('.')
        .and_then(|(micros, id)| Some((micros.parse().ok()?, uuid_in(id)?)))
        .map(Some)
        .ok_or_else(|| invalid("page_token", "not a token this list returned"))
}

/// Cuts `items` (fetched with one more than `limit`) to the page and returns the next page's
/// token: the last item's sort key, or empty on the last page.
fn next_page<T>(items: &mut Vec<T>, limit: i64, key: impl Fn(&T) -> (SystemTime, Uuid)) -> String {
    let limit = usize::try_from(limit).unwrap_or_default();
    if items.len() <= limit {
        return String::new();
    }
    items.truncate(limit);
    items
        .last()
        .map(|last| {
            let (at, id) = key(last);
            format!("{}.{id}", unix_micros(at))
        })
        .unwrap_or_default()
}

/// A count as the contract carries it.
fn count(n: i64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn time_of(field: &str, at: Option<&prost_types::Timestamp>) -> Result<SystemTime, ApiError> {
    let at = at.ok_or_else(|| invalid(field, "is required"))?;
    SystemTime::try_from(*at).map_err(|_| invalid(field, "is not a valid time"))
}

impl LeadHandlers {
    /// The lead `id` if `caller` works it: its agent, a manager of its agency, or an admin.
    /// A lead that does not exist is PERMISSION_DENIED for everyone but admins.
    async fn worked_by(&self, caller: &Caller, id: Uuid) -> Result<LeadRecord, ApiError> {
        let lead = self.existing(caller, id).await?;
        if self.works(caller, &lead).await? {
            Ok(lead)
        } else {
            Err(not_yours())
        }
    }

    /// The lead `id`; a missing one is NOT_FOUND for admins and PERMISSION_DENIED for
    /// everyone else.
    async fn existing(&self, caller: &Caller, id: Uuid) -> Result<LeadRecord, ApiError> {
        self.store.lead(id).await.map_err(db)?.ok_or_else(|| {
            if caller.is_admin() {
                ApiError::not_found(DOMAIN, &format!("leads/{id}"))
            } else {
                not_yours()
            }
        })
    }

    async fn works(&self, caller: &Caller, lead: &LeadRecord) -> Result<bool, ApiError> {
        Ok(caller.user_id == lead.agent_id
            || caller.is_admin()
            || self.agencies.manages(&lead.agency, &caller.user_id).await?)
    }

    /// The lead `id` if `caller` may book its viewing: as `worked_by`, or the person who asked.
    /// The second value says whether the caller is on the agents' side.
    async fn booked_by(&self, caller: &Caller, id: Uuid) -> Result<(LeadRecord, bool), ApiError> {
        let lead = self.existing(caller, id).await?;
        if self.works(caller, &lead).await? {
            Ok((lead, true))
        } else if !lead.contact.user_id.is_empty() && lead.contact.user_id == caller.user_id {
            Ok((lead, false))
        } else {
            Err(not_yours())
        }
    }
}

fn not_yours() -> ApiError {
    denied(
        "NOT_YOUR_LEAD",
        "a lead is its agent's and its agency's managers' alone",
    )
}

fn booking_refused(refused: BookingRefused, lead: Uuid, slot: &str) -> ApiError {
    match refused {
        BookingRefused::NoLead => ApiError::not_found(DOMAIN, &format!("leads/{lead}")),
        BookingRefused::NoSlot => ApiError::not_found(DOMAIN, slot),
        BookingRefused::Unsuitable(reason) => ApiError::failed_precondition(
            DOMAIN,
            reason,
            match reason {
                "NOT_THE_LEADS_AGENT" => {
                    "the slot is another agent's: book one of the lead's agent"
                }
                "VIEWING_SLOT_FOR_ANOTHER_LISTING" => "the slot is for another listing",
                _ => "the slot has started",
            },
        ),
        BookingRefused::Taken => ApiError::aborted(
            DOMAIN,
            "VIEWING_SLOT_TAKEN",
            "someone else booked the slot first; choose another",
        ),
        BookingRefused::Conflict => ApiError::aborted(
            DOMAIN,
            "LEAD_CHANGED",
            "the lead changed meanwhile; try again",
        ),
        BookingRefused::Database(err) => db(err),
    }
}

#[tonic::async_trait]
impl LeadService for LeadHandlers {
    async fn create_inquiry(
        &self,
        request: Request<pb::CreateInquiryRequest>,
    ) -> Result<Response<pb::CreateInquiryResponse>, Status> {
        // Public; anonymous callers pass the captcha when one is configured.
        let caller = policy::caller(&request).cloned();
        let message = request.into_inner();
        let listing = listing_name("listing", &message.listing)?;
        let person: Person = domain::check_inquiry(
            caller.as_ref().map(|c| c.user_id.as_str()),
            message.contact.as_ref(),
            &message.message,
            message.budget,
        )
        .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        let financing = pb::Financing::try_from(message.financing)
            .map_err(|_| invalid("financing", "is not a known value"))?;
        if caller.is_none() {
            self.captcha.check(&message.captcha_token).await?;
        }
        let listing = self.listings.askable(&listing).await?;
        if listing.owner_id == person.user_id {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "OWN_LISTING",
                "this is your own listing",
            )
            .into());
        }
        let agency = self.agencies.agency_of(&listing.owner_id).await?;
        let (lead, _) = self
            .store
            .record_inquiry(&NewInquiry {
                listing,
                agency,
                person,
                source: pb::lead::Source::Form,
                conversation: String::new(),
                message: message.message.trim().to_owned(),
                budget: message.budget,
                financing: domain::financing_str(financing).to_owned(),
            })
            .await
            .map_err(db)?;
        Ok(Response::new(pb::CreateInquiryResponse {
            lead: if caller.is_some() {
                lead.name()
            } else {
                String::new()
            },
        }))
    }

    async fn get_lead(
        &self,
        request: Request<pb::GetLeadRequest>,
    ) -> Result<Response<pb::GetLeadResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let id = lead_id("name", &request.get_ref().name)?;
        let lead = self.worked_by(caller, id).await?;
        Ok(Response::new(pb::GetLeadResponse {
            lead: Some(lead.proto()),
        }))
    }

    async fn list_leads(
        &self,
        request: Request<pb::ListLeadsRequest>,
    ) -> Result<Response<pb::ListLeadsResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let of = if message.agency.is_empty() {
            LeadsOf::Agent(caller.user_id.clone())
        } else {
            let agency = agency_name("agency", &message.agency)?;
            if !caller.is_admin() && !self.agencies.manages(&agency, &caller.user_id).await? {
                return Err(denied(
                    "NOT_AN_AGENCY_MANAGER",
                    "an agency's leads are listed for its owners and managers",
                )
                .into());
            }
            LeadsOf::Agency(agency)
        };
        let stage = match Stage::try_from(message.stage) {
            Ok(Stage::Unspecified) => None,
            Ok(stage) => Some(stage),
            Err(_) => return Err(invalid("stage", "is not a known stage").into()),
        };
        let limit = page_size(message.page_size, 20, 100)?;
        let after =
            page_token(&message.page_token)?.map(|(created_at, id)| Cursor { created_at, id });
        let mut leads = self
            .store
            .leads(&of, stage, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut leads, limit, |last| (last.created_at, last.id));
        Ok(Response::new(pb::ListLeadsResponse {
            leads: leads.iter().map(LeadRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn change_lead_stage(
        &self,
        request: Request<pb::ChangeLeadStageRequest>,
    ) -> Result<Response<pb::ChangeLeadStageResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = lead_id("name", &message.name)?;
        let mut violations = Vec::new();
        let stage = match Stage::try_from(message.stage) {
            Ok(Stage::Unspecified) | Err(_) => {
                violations.push(violation("stage", "must be a stage of the pipeline"));
                Stage::Unspecified
            }
            Ok(stage) => stage,
        };
        let reason = LostReason::try_from(message.lost_reason).unwrap_or(LostReason::Unspecified);
        if stage == Stage::Lost && reason == LostReason::Unspecified {
            violations.push(violation("lost_reason", "is required for STAGE_LOST"));
        }
        if stage != Stage::Lost && (message.lost_reason != 0 || !message.lost_note.is_empty()) {
            violations.push(violation(
                "lost_reason",
                "only STAGE_LOST has a reason and a note",
            ));
        }
        let note = message.lost_note.trim().to_owned();
        if chars(&note) > domain::MAX_LOST_NOTE_CHARS {
            violations.push(violation(
                "lost_note",
                format!("must be at most {} characters", domain::MAX_LOST_NOTE_CHARS),
            ));
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        let expected = revision(&message.etag)?;
        self.worked_by(caller, id).await?;
        let written = self
            .store
            .change(
                id,
                expected,
                |lead| {
                    lead.stage = stage;
                    lead.lost_reason = reason;
                    lead.lost_note.clone_from(&note);
                    if stage != Stage::New && lead.first_response_at.is_none() {
                        lead.first_response_at = Some(SystemTime::now());
                    }
                    Ok::<(), ApiError>(())
                },
                |lead, before| store::stage_event(lead, before.stage),
            )
            .await
            .map_err(db)?;
        let lead = match written {
            Written::Done(done) => done?,
            Written::Missing => return Err(ApiError::not_found(DOMAIN, &message.name).into()),
            Written::Conflict => return Err(stale().into()),
        };
        Ok(Response::new(pb::ChangeLeadStageResponse {
            lead: Some(lead.proto()),
        }))
    }

    async fn assign_lead(
        &self,
        request: Request<pb::AssignLeadRequest>,
    ) -> Result<Response<pb::AssignLeadResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = lead_id("name", &message.name)?;
        let target = if message.agent.is_empty() {
            None
        } else {
            Some(user_id("agent", &message.agent)?)
        };
        let expected = revision(&message.etag)?;
        let lead = self.store.lead(id).await.map_err(db)?;
        // Read once: who manages the agency, and who may be given the lead.
        let members = match &lead {
            Some(lead) if !lead.agency.is_empty() => self.agencies.members(&lead.agency).await?,
            _ => Vec::new(),
        };
        let manages = caller.is_admin() || agencies::managed_by(&members, &caller.user_id);
        let lead = match lead {
            Some(lead) if manages => lead,
            None if caller.is_admin() => {
                return Err(ApiError::not_found(DOMAIN, &message.name).into());
            }
            _ => {
                return Err(denied(
                    "NOT_AN_AGENCY_MANAGER",
                    "a lead is assigned by its agency's owners and managers",
                )
                .into());
            }
        };
        if lead.agency.is_empty() {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "NO_AGENCY",
                "the lead's agent works alone: there is no one to give it to",
            )
            .into());
        }
        let agent = match target {
            Some(agent) => {
                if !members.iter().any(|m| m.user_id == agent) {
                    return Err(ApiError::failed_precondition(
                        DOMAIN,
                        "NOT_AN_AGENCY_MEMBER",
                        "a lead goes to a member of its agency",
                    )
                    .into());
                }
                agent
            }
            None => {
                let mut candidates: Vec<String> = members
                    .iter()
                    .filter(|m| m.role == Role::Agent)
                    .map(|m| m.user_id.clone())
                    .collect();
                if candidates.is_empty() {
                    candidates = members.iter().map(|m| m.user_id.clone()).collect();
                }
                if candidates.len() > 1 {
                    candidates.retain(|c| *c != lead.agent_id);
                }
                self.store
                    .next_in_turn(&lead.agency, &candidates)
                    .await
                    .map_err(db)?
                    .ok_or_else(|| {
                        ApiError::failed_precondition(
                            DOMAIN,
                            "NO_AGENTS",
                            "the agency has no agents to give the lead to",
                        )
                    })?
            }
        };
        let written = self
            .store
            .change(
                id,
                expected,
                |lead| {
                    lead.agent_id.clone_from(&agent);
                    Ok::<(), ApiError>(())
                },
                store::assigned_event,
            )
            .await
            .map_err(db)?;
        let lead = match written {
            Written::Done(done) => done?,
            Written::Missing => return Err(ApiError::not_found(DOMAIN, &message.name).into()),
            Written::Conflict => return Err(stale().into()),
        };
        Ok(Response::new(pb::AssignLeadResponse {
            lead: Some(lead.proto()),
        }))
    }

    async fn create_lead_note(
        &self,
        request: Request<pb::CreateLeadNoteRequest>,
    ) -> Result<Response<pb::CreateLeadNoteResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = lead_id("parent", &message.parent)?;
        let text = message
            .lead_note
            .as_ref()
            .map(|note| note.text.trim().to_owned())
            .unwrap_or_default();
        if text.is_empty() || chars(&text) > domain::MAX_NOTE_CHARS {
            return Err(invalid(
                "lead_note.text",
                format!("must be 1 to {} characters", domain::MAX_NOTE_CHARS),
            )
            .into());
        }
        self.worked_by(caller, id).await?;
        let note = self
            .store
            .add_note(id, &caller.user_id, &text)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                ApiError::failed_precondition(
                    DOMAIN,
                    "NOTE_LIMIT_REACHED",
                    format!("a lead holds at most {} notes", store::MAX_NOTES_PER_LEAD),
                )
            })?;
        Ok(Response::new(pb::CreateLeadNoteResponse {
            lead_note: Some(note.proto()),
        }))
    }

    async fn list_lead_notes(
        &self,
        request: Request<pb::ListLeadNotesRequest>,
    ) -> Result<Response<pb::ListLeadNotesResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let id = lead_id("parent", &request.get_ref().parent)?;
        self.worked_by(caller, id).await?;
        let notes = self.store.notes(id).await.map_err(db)?;
        Ok(Response::new(pb::ListLeadNotesResponse {
            lead_notes: notes.iter().map(store::NoteRecord::proto).collect(),
        }))
    }

    async fn create_lead_task(
        &self,
        request: Request<pb::CreateLeadTaskRequest>,
    ) -> Result<Response<pb::CreateLeadTaskResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = lead_id("parent", &message.parent)?;
        let task = message
            .lead_task
            .as_ref()
            .ok_or_else(|| invalid("lead_task", "is required"))?;
        let title = task.title.trim().to_owned();
        let mut violations = Vec::new();
        if title.is_empty() || chars(&title) > domain::MAX_TASK_TITLE_CHARS {
            violations.push(violation(
                "lead_task.title",
                format!("must be 1 to {} characters", domain::MAX_TASK_TITLE_CHARS),
            ));
        }
        let due = task.due_time.and_then(|at| SystemTime::try_from(at).ok());
        if due.is_none() {
            violations.push(violation("lead_task.due_time", "is required: a valid time"));
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        let due = due.ok_or_else(|| invalid("lead_task.due_time", "is required"))?;
        self.worked_by(caller, id).await?;
        let task = self
            .store
            .add_task(id, &caller.user_id, &title, due)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                ApiError::failed_precondition(
                    DOMAIN,
                    "TASK_LIMIT_REACHED",
                    format!("a lead holds at most {} tasks", store::MAX_TASKS_PER_LEAD),
                )
            })?;
        Ok(Response::new(pb::CreateLeadTaskResponse {
            lead_task: Some(task.proto()),
        }))
    }

    async fn list_lead_tasks(
        &self,
        request: Request<pb::ListLeadTasksRequest>,
    ) -> Result<Response<pb::ListLeadTasksResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let id = lead_id("parent", &request.get_ref().parent)?;
        self.worked_by(caller, id).await?;
        let tasks = self.store.tasks(id).await.map_err(db)?;
        Ok(Response::new(pb::ListLeadTasksResponse {
            lead_tasks: tasks.iter().map(store::TaskRecord::proto).collect(),
        }))
    }

    async fn complete_lead_task(
        &self,
        request: Request<pb::CompleteLeadTaskRequest>,
    ) -> Result<Response<pb::CompleteLeadTaskResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let name = request.get_ref().name.clone();
        let (lead, task) = task_name("name", &name)?;
        self.worked_by(caller, lead).await?;
        let task = self
            .store
            .complete_task(lead, task)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::CompleteLeadTaskResponse {
            lead_task: Some(task.proto()),
        }))
    }

    async fn create_viewing_slot(
        &self,
        request: Request<pb::CreateViewingSlotRequest>,
    ) -> Result<Response<pb::CreateViewingSlotResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let agent = user_id("parent", &message.parent)?;
        if agent != caller.user_id {
            return Err(denied(
                "NOT_YOUR_CALENDAR",
                "agents publish viewing slots in their own calendar",
            )
            .into());
        }
        let slot = message
            .viewing_slot
            .as_ref()
            .ok_or_else(|| invalid("viewing_slot", "is required"))?;
        let start = time_of("viewing_slot.start_time", slot.start_time.as_ref())?;
        let end = time_of("viewing_slot.end_time", slot.end_time.as_ref())?;
        let now = SystemTime::now();
        if start <= now || start > now + SLOT_HORIZON {
            return Err(invalid(
                "viewing_slot.start_time",
                "must be in the future, within a year",
            )
            .into());
        }
        match end.duration_since(start) {
            Ok(length) if !length.is_zero() && length <= MAX_SLOT => {}
            _ => {
                return Err(invalid(
                    "viewing_slot.end_time",
                    "must be after start_time, by at most 4 hours",
                )
                .into());
            }
        }
        let listing = if slot.listing.is_empty() {
            String::new()
        } else {
            let listing = listing_name("viewing_slot.listing", &slot.listing)?;
            let found = self
                .listings
                .public(&listing)
                .await
                .map_err(|status| crate::listings::unavailable(&status))?;
            if found.is_none_or(|found| found.owner_id != agent) {
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "NOT_YOUR_LISTING",
                    "a slot is for one of your published listings, or for any",
                )
                .into());
            }
            listing
        };
        let created = self.store.create_slot(&agent, &listing, start, end).await;
        let slot = match created {
            Ok(slot) => slot,
            Err(SlotRefused::Overlaps(in_the_way)) => {
                let mut err = ApiError::already_exists(
                    DOMAIN,
                    "VIEWING_SLOTS_OVERLAP",
                    "the slot overlaps another of yours",
                );
                if let Some(other) = in_the_way {
                    err = err.with_metadata("viewing_slot", other.name());
                }
                return Err(err.into());
            }
            Err(SlotRefused::Database(err)) => return Err(db(err).into()),
        };
        Ok(Response::new(pb::CreateViewingSlotResponse {
            viewing_slot: Some(slot.proto(true)),
        }))
    }

    async fn list_viewing_slots(
        &self,
        request: Request<pb::ListViewingSlotsRequest>,
    ) -> Result<Response<pb::ListViewingSlotsResponse>, Status> {
        // Public: when an agent is free is what lets people book; who booked is the agent's.
        let caller = policy::caller(&request);
        let message = request.get_ref();
        let agent = user_id("parent", &message.parent)?;
        let listing = if message.listing.is_empty() {
            String::new()
        } else {
            listing_name("listing", &message.listing)?
        };
        let limit = page_size(message.page_size, 50, 200)?;
        let after = page_token(&message.page_token)?;
        let mut slots = self
            .store
            .slots(&agent, &listing, SystemTime::now(), after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut slots, limit, |last| (last.start_at, last.id));
        let with_lead = caller.is_some_and(|c| c.user_id == agent || c.is_admin());
        Ok(Response::new(pb::ListViewingSlotsResponse {
            viewing_slots: slots.iter().map(|slot| slot.proto(with_lead)).collect(),
            next_page_token,
        }))
    }

    async fn delete_viewing_slot(
        &self,
        request: Request<pb::DeleteViewingSlotRequest>,
    ) -> Result<Response<pb::DeleteViewingSlotResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let name = request.get_ref().name.clone();
        let (agent, slot) = slot_name("name", &name)?;
        if agent != caller.user_id {
            return Err(denied(
                "NOT_YOUR_CALENDAR",
                "agents withdraw slots from their own calendar",
            )
            .into());
        }
        match self.store.delete_slot(&agent, slot).await.map_err(db)? {
            Some(true) => Ok(Response::new(pb::DeleteViewingSlotResponse {})),
            Some(false) => Err(ApiError::failed_precondition(
                DOMAIN,
                "VIEWING_SLOT_BOOKED",
                "a lead booked the slot: cancel its viewing first",
            )
            .into()),
            None => Err(ApiError::not_found(DOMAIN, &name).into()),
        }
    }

    async fn book_viewing(
        &self,
        request: Request<pb::BookViewingRequest>,
    ) -> Result<Response<pb::BookViewingResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let message = request.get_ref();
        let id = lead_id("lead", &message.lead)?;
        let (agent, slot) = slot_name("viewing_slot", &message.viewing_slot)?;
        let (lead, by_agent) = self.booked_by(caller, id).await?;
        if domain::is_closed(lead.stage) {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "LEAD_CLOSED",
                "the lead is won or lost: there is nothing to view",
            )
            .into());
        }
        let (_, slot) = self
            .store
            .book(id, &agent, slot, by_agent)
            .await
            .map_err(|refused| booking_refused(refused, id, &message.viewing_slot))?;
        Ok(Response::new(pb::BookViewingResponse {
            viewing_slot: Some(slot.proto(true)),
        }))
    }

    async fn cancel_viewing(
        &self,
        request: Request<pb::CancelViewingRequest>,
    ) -> Result<Response<pb::CancelViewingResponse>, Status> {
        let caller = policy::authenticated(&request)?;
        let id = lead_id("lead", &request.get_ref().lead)?;
        self.booked_by(caller, id).await?;
        match self.store.cancel_viewing(id).await.map_err(db)? {
            Written::Done(Some(_)) => Ok(Response::new(pb::CancelViewingResponse {})),
            Written::Done(None) => Err(ApiError::failed_precondition(
                DOMAIN,
                "NO_VIEWING",
                "the lead has no viewing booked",
            )
            .into()),
            Written::Missing => Err(ApiError::not_found(DOMAIN, &format!("leads/{id}")).into()),
            Written::Conflict => Err(ApiError::aborted(
                DOMAIN,
                "LEAD_CHANGED",
                "the lead changed meanwhile; try again",
            )
            .into()),
        }
    }

    async fn get_viewing_calendar_feed(
        &self,
        request: Request<pb::GetViewingCalendarFeedRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        // Public: the feed shows times and listings, never who is coming.
        let name = request.get_ref().agent.clone();
        let agent = user_id("agent", &name)?;
        let now = SystemTime::now();
        let viewings = self
            .store
            .booked_viewings(&agent, now - FEED_HISTORY)
            .await
            .map_err(db)?;
        Ok(Response::new(HttpBody {
            content_type: calendar::CONTENT_TYPE.to_owned(),
            data: calendar::feed(&format!("users/{agent}"), &viewings, now).into_bytes(),
            extensions: Vec::new(),
        }))
    }

    async fn get_agent_performance(
        &self,
        request: Request<pb::GetAgentPerformanceRequest>,
    ) -> Result<Response<pb::GetAgentPerformanceResponse>, Status> {
        // Public: it is part of an agent's profile.
        let name = request.get_ref().name.clone();
        let agent = name
            .strip_suffix("/leadPerformance")
            .ok_or_else(|| {
                invalid(
                    "name",
                    "must be a resource name like users/{user}/leadPerformance",
                )
            })
            .and_then(|user| user_id("name", user))?;
        let figures = self
            .store
            .performance(&LeadsOf::Agent(agent.clone()))
            .await
            .map_err(db)?;
        let rating = self
            .store
            .rating(std::slice::from_ref(&agent))
            .await
            .map_err(db)?;
        Ok(Response::new(pb::GetAgentPerformanceResponse {
            agent_performance: Some(pb::AgentPerformance {
                name: format!("users/{agent}/leadPerformance"),
                leads: count(figures.leads),
                open_leads: count(figures.open_leads),
                responded_leads: count(figures.responded_leads),
                median_response_seconds: figures.median_response_seconds,
                viewings: count(figures.viewings),
                won_leads: count(figures.won_leads),
                lost_leads: count(figures.lost_leads),
                average_rating: rating.average_rating,
                rating_count: count(rating.review_count),
            }),
        }))
    }

    async fn get_agency_performance(
        &self,
        request: Request<pb::GetAgencyPerformanceRequest>,
    ) -> Result<Response<pb::GetAgencyPerformanceResponse>, Status> {
        // Public: it is part of an agency's page.
        let name = request.get_ref().name.clone();
        let agency = name
            .strip_suffix("/leadPerformance")
            .and_then(|agency| agency_name("name", agency).ok())
            .ok_or_else(|| {
                invalid(
                    "name",
                    "must be a resource name like agencies/{agency}/leadPerformance",
                )
            })?;
        // Every agency has an owner, so no members means no agency.
        let members = self.agencies.members(&agency).await?;
        if members.is_empty() {
            return Err(ApiError::not_found(DOMAIN, &agency).into());
        }
        let member_ids: Vec<String> = members.into_iter().map(|m| m.user_id).collect();
        let figures = self
            .store
            .performance(&LeadsOf::Agency(agency.clone()))
            .await
            .map_err(db)?;
        let rating = self.store.rating(&member_ids).await.map_err(db)?;
        Ok(Response::new(pb::GetAgencyPerformanceResponse {
            agency_performance: Some(pb::AgencyPerformance {
                name: format!("{agency}/leadPerformance"),
                leads: count(figures.leads),
                open_leads: count(figures.open_leads),
                responded_leads: count(figures.responded_leads),
                median_response_seconds: figures.median_response_seconds,
                viewings: count(figures.viewings),
                won_leads: count(figures.won_leads),
                lost_leads: count(figures.lost_leads),
                average_rating: rating.average_rating,
                rating_count: count(rating.review_count),
                agents: count(i64::try_from(member_ids.len()).unwrap_or(i64::MAX)),
            }),
        }))
    }
}
