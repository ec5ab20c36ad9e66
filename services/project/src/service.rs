//! The `estospaces.project.v1.ProjectService` handlers.
//!
//! Every handler first decides who may call it. Projects and everything in them are public to
//! read; only the project's developer and admins change them: anyone else gets
//! PERMISSION_DENIED (`NOT_YOUR_PROJECT`) whether or not the project or the child exists, so
//! names cannot be probed; admins get NOT_FOUND for what does not exist. A reservation is its
//! buyer's, the project developer's and admins' (`NOT_YOUR_RESERVATION` for anyone else). The
//! developer cannot reserve a unit of their own project (PERMISSION_DENIED, `OWN_PROJECT`).
//! The payment method of a reservation is passed on in `reservation.requested` and never
//! stored nor logged.

use std::time::{Duration, SystemTime};

use estospaces_auth::policy::{self, Caller};
use estospaces_media_check::OwnMedia;
use estospaces_proto::project_v1 as pb;
use estospaces_proto::project_v1::project_service_server::ProjectService;
use estospaces_status::{ApiError, violation};
use estospaces_storage::unix_micros;
use pb::reservation::{ReleaseReason, State as ReservationState};
use pb::unit::State as UnitState;
use tonic::{Code, Request, Response, Status};
use uuid::Uuid;

use crate::DOMAIN;
use crate::domain::{self, ProjectFields};
use crate::listings::Listings;
use crate::store::{
    self, NewReservation, ProjectRecord, ProjectStore, ReservationRecord, ReservationsOf,
    ReserveRefused, SoldRefused, UnitRecord, UnitRefused, Written,
};

/// How often a write without an etag is tried again when it loses a race.
const WRITE_ATTEMPTS: usize = 5;

/// The gRPC handlers.
#[derive(Debug, Clone)]
pub struct ProjectHandlers {
    store: ProjectStore,
    listings: Listings,
    media: OwnMedia,
    reservation_hold: Duration,
}

impl ProjectHandlers {
    pub fn new(
        store: ProjectStore,
        listings: Listings,
        media: OwnMedia,
        reservation_hold: Duration,
    ) -> Self {
        Self {
            store,
            listings,
            media,
            reservation_hold,
        }
    }
}

fn db(err: sqlx::Error) -> ApiError {
    estospaces_storage::api_error(DOMAIN, err)
}

fn invalid(field: &str, description: impl Into<String>) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, description)])
}

fn not_your_project() -> ApiError {
    ApiError::new(
        Code::PermissionDenied,
        DOMAIN,
        "NOT_YOUR_PROJECT",
        "only the project's developer and admins change it",
    )
}

fn not_your_reservation() -> ApiError {
    ApiError::new(
        Code::PermissionDenied,
        DOMAIN,
        "NOT_YOUR_RESERVATION",
        "a reservation is its buyer's and the project developer's",
    )
}

fn limit_reached(reason: &'static str, what: &str, max: i64) -> ApiError {
    ApiError::failed_precondition(
        DOMAIN,
        reason,
        format!("a project holds at most {max} {what}"),
    )
}

fn project_id(field: &str, name: &str) -> Result<Uuid, ApiError> {
    domain::project_id(name)
        .ok_or_else(|| invalid(field, "must be a resource name like projects/{project}"))
}

fn child_id(field: &str, name: &str, collection: &str) -> Result<(Uuid, Uuid), ApiError> {
    domain::child_id(name, collection).ok_or_else(|| {
        invalid(
            field,
            format!("must be a resource name like projects/{{project}}/{collection}/{{id}}"),
        )
    })
}

/// An `etag` as sent back: `None` when empty.
fn revision(field: &str, etag: &str) -> Result<Option<i64>, ApiError> {
    if etag.is_empty() {
        return Ok(None);
    }
    etag.trim_matches('"')
        .parse()
        .map(Some)
        .map_err(|_| invalid(field, "must be an etag this service returned"))
}

fn stale(what: &str) -> ApiError {
    ApiError::aborted(
        DOMAIN,
        "ETAG_MISMATCH",
        format!("the {what} changed since it was read; read it again"),
    )
}

fn changed_meanwhile(what: &str) -> ApiError {
    ApiError::aborted(
        DOMAIN,
        "CONCURRENT_CHANGE",
        format!("the {what} kept changing meanwhile; try again"),
    )
}

fn page_size(requested: i32, default: i64, max: i64) -> Result<i64, ApiError> {
    match i64::from(requested) {
        ..0 => Err(invalid("page_size", "must not be negative")),
        0 => Ok(default),
        n => Ok(n.min(max)),
    }
}

fn bad_token() -> ApiError {
    invalid("page_token", "not a token this list returned")
}

/// A page token `{micros}.{id}`.
fn time_token(token: &str) -> Result<Option<(i64, Uuid)>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    token
        .split_once('.')
        .and_then(|(micros, id)| Some((micros.parse().ok()?, Uuid::parse_str(id).ok()?)))
        .map(Some)
        .ok_or_else(bad_token)
}

/// Cuts `items` (fetched with one more than `limit`) to the page; the next page's token from
/// the last item shown, or empty on the last page.
fn next_page<T>(items: &mut Vec<T>, limit: i64, token: impl Fn(&T) -> String) -> String {
    let limit = usize::try_from(limit).unwrap_or_default();
    if items.len() <= limit {
        return String::new();
    }
    items.truncate(limit);
    items.last().map(token).unwrap_or_default()
}

fn micros_token(at: SystemTime, id: Uuid) -> String {
    format!("{}.{id}", unix_micros(at))
}

/// The paths of an update mask, which must name only `allowed` fields.
fn mask_paths(
    mask: Option<&prost_types::FieldMask>,
    allowed: &[&str],
) -> Result<Vec<String>, ApiError> {
    let paths: Vec<String> = mask.map(|m| m.paths.clone()).unwrap_or_default();
    if paths.is_empty() {
        return Err(invalid(
            "update_mask",
            format!(
                "is required: name the fields to change ({})",
                allowed.join(", ")
            ),
        ));
    }
    let unknown: Vec<&String> = paths
        .iter()
        .filter(|path| !allowed.contains(&path.as_str()))
        .collect();
    if !unknown.is_empty() {
        return Err(invalid(
            "update_mask",
            format!("cannot change {:?}: only {}", unknown, allowed.join(", ")),
        ));
    }
    Ok(paths)
}

fn unit_refused(refused: UnitRefused) -> ApiError {
    match refused {
        UnitRefused::LimitReached => {
            limit_reached("UNIT_LIMIT_REACHED", "units", domain::MAX_UNITS_PER_PROJECT)
        }
        UnitRefused::LabelTaken => ApiError::already_exists(
            DOMAIN,
            "UNIT_LABEL_TAKEN",
            "another unit of the project has this display_name",
        ),
        UnitRefused::ListingTaken(other) => ApiError::already_exists(
            DOMAIN,
            "LISTING_ALREADY_LINKED",
            "the listing is another unit's",
        )
        .with_metadata("unit", other),
        UnitRefused::Database(err) => db(err),
    }
}

impl ProjectHandlers {
    /// The project `id` if `caller` may change it: its developer or an admin. A project that
    /// does not exist is PERMISSION_DENIED for everyone but admins.
    async fn owned(&self, caller: &Caller, id: Uuid) -> Result<ProjectRecord, ApiError> {
        match self.store.project(id).await.map_err(db)? {
            Some(project) if project.developer_id == caller.user_id || caller.is_admin() => {
                Ok(project)
            }
            Some(_) => Err(not_your_project()),
            None if caller.is_admin() => {
                Err(ApiError::not_found(DOMAIN, &format!("projects/{id}")))
            }
            None => Err(not_your_project()),
        }
    }

    /// The project `id` for a public read.
    async fn public(&self, id: Uuid) -> Result<ProjectRecord, ApiError> {
        self.store
            .project(id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &format!("projects/{id}")))
    }

    /// The reservation `id` of project `project_id` if `caller` is its buyer, the project's
    /// developer or an admin; with whether the caller is the buyer.
    async fn reservation_for(
        &self,
        caller: &Caller,
        project_id: Uuid,
        id: Uuid,
    ) -> Result<(ReservationRecord, bool), ApiError> {
        let found = self
            .store
            .reservation(id)
            .await
            .map_err(db)?
            .filter(|found| found.project_id == project_id);
        let name = format!("projects/{project_id}/reservations/{id}");
        match found {
            Some(found) if found.buyer_id == caller.user_id => Ok((found, true)),
            Some(found) if found.developer_id == caller.user_id || caller.is_admin() => {
                Ok((found, false))
            }
            Some(_) => Err(not_your_reservation()),
            None if caller.is_admin() => Err(ApiError::not_found(DOMAIN, &name)),
            None => {
                // The project's developer may know that it does not exist; nobody else.
                let project = self.store.project(project_id).await.map_err(db)?;
                if project.is_some_and(|p| p.developer_id == caller.user_id) {
                    Err(ApiError::not_found(DOMAIN, &name))
                } else {
                    Err(not_your_reservation())
                }
            }
        }
    }

    /// Checks that `listing` (if any) may be the listing of a unit of `project`.
    async fn check_listing(
        &self,
        project: &ProjectRecord,
        listing: Option<&str>,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<(), ApiError> {
        match listing {
            Some(listing) => {
                self.listings
                    .check_sale_listing(listing, &project.developer_id, metadata)
                    .await
            }
            None => Ok(()),
        }
    }
}

#[tonic::async_trait]
impl ProjectService for ProjectHandlers {
    async fn create_project(
        &self,
        request: Request<pb::CreateProjectRequest>,
    ) -> Result<Response<pb::CreateProjectResponse>, Status> {
        // Any signed-in user: they become its developer.
        let caller = policy::authenticated(&request)?.clone();
        let project = request
            .into_inner()
            .project
            .ok_or_else(|| invalid("project", "is required"))?;
        let checked = domain::check_project("project", &project, None, None);
        let mut violations = checked.as_ref().err().cloned().unwrap_or_default();
        let currency = domain::check_currency(
            "project.currency_code",
            &project.currency_code,
            &mut violations,
        );
        let fields = match checked {
            Ok(fields) if violations.is_empty() => fields,
            _ => return Err(ApiError::invalid_argument(DOMAIN, violations).into()),
        };
        let now = store::now();
        let record = ProjectRecord {
            id: Uuid::now_v7(),
            developer_id: caller.user_id.clone(),
            fields,
            currency_code: currency,
            progress_percent: 0,
            unit_count: 0,
            available_unit_count: 0,
            revision: 1,
            created_at: now,
            updated_at: now,
        };
        self.store.create_project(&record).await.map_err(db)?;
        tracing::info!(project = %record.id, "project created");
        Ok(Response::new(pb::CreateProjectResponse {
            project: Some(record.proto()),
        }))
    }

    async fn get_project(
        &self,
        request: Request<pb::GetProjectRequest>,
    ) -> Result<Response<pb::GetProjectResponse>, Status> {
        // Public.
        let id = project_id("name", &request.get_ref().name)?;
        let project = self.public(id).await?;
        Ok(Response::new(pb::GetProjectResponse {
            project: Some(project.proto()),
        }))
    }

    async fn list_projects(
        &self,
        request: Request<pb::ListProjectsRequest>,
    ) -> Result<Response<pb::ListProjectsResponse>, Status> {
        // Public.
        let message = request.get_ref();
        let developer = if message.developer.is_empty() {
            String::new()
        } else {
            domain::user_id(&message.developer)
                .ok_or_else(|| invalid("developer", "must be a resource name like users/{user}"))?
        };
        let city = message.city.trim().to_lowercase();
        let limit = page_size(message.page_size, 20, 100)?;
        let after = time_token(&message.page_token)?;
        let mut projects = self
            .store
            .projects(&developer, &city, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut projects, limit, |last| {
            micros_token(last.created_at, last.id)
        });
        Ok(Response::new(pb::ListProjectsResponse {
            projects: projects.iter().map(ProjectRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn update_project(
        &self,
        request: Request<pb::UpdateProjectRequest>,
    ) -> Result<Response<pb::UpdateProjectResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let message = request.into_inner();
        let project = message
            .project
            .ok_or_else(|| invalid("project", "is required"))?;
        let id = project_id("project.name", &project.name)?;
        let mut current = self.owned(&caller, id).await?;
        let paths = mask_paths(message.update_mask.as_ref(), domain::PROJECT_MASK)?;
        let expected = revision("project.etag", &project.etag)?;
        for _ in 0..WRITE_ATTEMPTS {
            if expected.is_some_and(|expected| expected != current.revision) {
                return Err(stale("project").into());
            }
            let fields: ProjectFields =
                domain::check_project("project", &project, Some(&paths), Some(&current.fields))
                    .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
            if let Some(saved) = self
                .store
                .save_project(id, current.revision, &fields)
                .await
                .map_err(db)?
            {
                return Ok(Response::new(pb::UpdateProjectResponse {
                    project: Some(saved.proto()),
                }));
            }
            if expected.is_some() {
                return Err(stale("project").into());
            }
            current = self.owned(&caller, id).await?;
        }
        Err(changed_meanwhile("project").into())
    }

    async fn create_unit(
        &self,
        request: Request<pb::CreateUnitRequest>,
    ) -> Result<Response<pb::CreateUnitResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let metadata = request.metadata().clone();
        let message = request.into_inner();
        let id = project_id("parent", &message.parent)?;
        let project = self.owned(&caller, id).await?;
        let unit = message.unit.ok_or_else(|| invalid("unit", "is required"))?;
        let fields = domain::check_unit("unit", &unit, None, None)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        self.check_listing(&project, fields.listing.as_deref(), &metadata)
            .await?;
        let unit = self
            .store
            .create_unit(&project, &fields)
            .await
            .map_err(unit_refused)?;
        Ok(Response::new(pb::CreateUnitResponse {
            unit: Some(unit.proto()),
        }))
    }

    async fn get_unit(
        &self,
        request: Request<pb::GetUnitRequest>,
    ) -> Result<Response<pb::GetUnitResponse>, Status> {
        // Public.
        let name = request.get_ref().name.clone();
        let (project, id) = child_id("name", &name, "units")?;
        let unit = self
            .store
            .unit(project, id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::GetUnitResponse {
            unit: Some(unit.proto()),
        }))
    }

    async fn list_units(
        &self,
        request: Request<pb::ListUnitsRequest>,
    ) -> Result<Response<pb::ListUnitsResponse>, Status> {
        // Public.
        let message = request.get_ref();
        let id = project_id("parent", &message.parent)?;
        let state = match UnitState::try_from(message.state) {
            Ok(UnitState::Unspecified) => None,
            Ok(state) => Some(state),
            Err(_) => return Err(invalid("state", "is not a known state").into()),
        };
        let limit = page_size(message.page_size, 50, 500)?;
        let after = if message.page_token.is_empty() {
            None
        } else {
            Some(Uuid::parse_str(&message.page_token).map_err(|_| bad_token())?)
        };
        self.public(id).await?;
        let mut units = self
            .store
            .units(id, state, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut units, limit, |last| last.id.to_string());
        Ok(Response::new(pb::ListUnitsResponse {
            units: units.iter().map(UnitRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn update_unit(
        &self,
        request: Request<pb::UpdateUnitRequest>,
    ) -> Result<Response<pb::UpdateUnitResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let metadata = request.metadata().clone();
        let message = request.into_inner();
        let unit = message.unit.ok_or_else(|| invalid("unit", "is required"))?;
        let (project_id, id) = child_id("unit.name", &unit.name, "units")?;
        let project = self.owned(&caller, project_id).await?;
        let paths = mask_paths(message.update_mask.as_ref(), domain::UNIT_MASK)?;
        let expected = revision("unit.etag", &unit.etag)?;
        for _ in 0..WRITE_ATTEMPTS {
            let current = self
                .store
                .unit(project_id, id)
                .await
                .map_err(db)?
                .ok_or_else(|| ApiError::not_found(DOMAIN, &unit.name))?;
            if expected.is_some_and(|expected| expected != current.revision) {
                return Err(stale("unit").into());
            }
            let fields = domain::check_unit("unit", &unit, Some(&paths), Some(&current.fields))
                .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
            if fields.listing != current.fields.listing {
                self.check_listing(&project, fields.listing.as_deref(), &metadata)
                    .await?;
            }
            match self
                .store
                .save_unit(project_id, id, current.revision, &fields)
                .await
            {
                Ok(Some(saved)) => {
                    return Ok(Response::new(pb::UpdateUnitResponse {
                        unit: Some(saved.proto()),
                    }));
                }
                Ok(None) if expected.is_some() => return Err(stale("unit").into()),
                Ok(None) => {}
                Err(refused) => return Err(unit_refused(refused).into()),
            }
        }
        Err(changed_meanwhile("unit").into())
    }

    async fn mark_unit_sold(
        &self,
        request: Request<pb::MarkUnitSoldRequest>,
    ) -> Result<Response<pb::MarkUnitSoldResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let name = request.get_ref().name.clone();
        let (project_id, id) = child_id("name", &name, "units")?;
        self.owned(&caller, project_id).await?;
        match self.store.mark_sold(project_id, id).await {
            Ok((unit, completed)) => {
                tracing::info!(unit = %id, reservation = ?completed.map(|r| r.id), "unit sold");
                Ok(Response::new(pb::MarkUnitSoldResponse {
                    unit: Some(unit.proto()),
                }))
            }
            Err(SoldRefused::NoUnit) => Err(ApiError::not_found(DOMAIN, &name).into()),
            Err(SoldRefused::Unsellable(reason)) => Err(ApiError::failed_precondition(
                DOMAIN,
                reason,
                if reason == "UNIT_ALREADY_SOLD" {
                    "the unit is sold already"
                } else {
                    "the unit's reservation is still paying its deposit"
                },
            )
            .into()),
            Err(SoldRefused::Conflict) => Err(changed_meanwhile("unit").into()),
            Err(SoldRefused::Database(err)) => Err(db(err).into()),
        }
    }

    async fn create_milestone(
        &self,
        request: Request<pb::CreateMilestoneRequest>,
    ) -> Result<Response<pb::CreateMilestoneResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let message = request.into_inner();
        let id = project_id("parent", &message.parent)?;
        self.owned(&caller, id).await?;
        let milestone = message
            .milestone
            .ok_or_else(|| invalid("milestone", "is required"))?;
        let fields = domain::check_milestone(&milestone)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        let milestone = self
            .store
            .add_milestone(id, &fields)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                limit_reached(
                    "MILESTONE_LIMIT_REACHED",
                    "milestones",
                    domain::MAX_MILESTONES_PER_PROJECT,
                )
            })?;
        Ok(Response::new(pb::CreateMilestoneResponse {
            milestone: Some(milestone.proto()),
        }))
    }

    async fn list_milestones(
        &self,
        request: Request<pb::ListMilestonesRequest>,
    ) -> Result<Response<pb::ListMilestonesResponse>, Status> {
        // Public.
        let message = request.get_ref();
        let id = project_id("parent", &message.parent)?;
        let limit = page_size(message.page_size, 50, 200)?;
        let after = if message.page_token.is_empty() {
            None
        } else {
            Some(
                message
                    .page_token
                    .split_once('.')
                    .and_then(|(date, id)| {
                        domain::parse_date(date)?;
                        Some((date.to_owned(), Uuid::parse_str(id).ok()?))
                    })
                    .ok_or_else(bad_token)?,
            )
        };
        self.public(id).await?;
        let mut milestones = self
            .store
            .milestones(id, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut milestones, limit, |last| {
            format!("{}.{}", last.fields.planned_date, last.id)
        });
        Ok(Response::new(pb::ListMilestonesResponse {
            milestones: milestones
                .iter()
                .map(store::MilestoneRecord::proto)
                .collect(),
            next_page_token,
        }))
    }

    async fn complete_milestone(
        &self,
        request: Request<pb::CompleteMilestoneRequest>,
    ) -> Result<Response<pb::CompleteMilestoneResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let name = request.get_ref().name.clone();
        let (project_id, id) = child_id("name", &name, "milestones")?;
        self.owned(&caller, project_id).await?;
        let milestone = self
            .store
            .complete_milestone(project_id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::CompleteMilestoneResponse {
            milestone: Some(milestone.proto()),
        }))
    }

    async fn create_progress_update(
        &self,
        request: Request<pb::CreateProgressUpdateRequest>,
    ) -> Result<Response<pb::CreateProgressUpdateResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let message = request.into_inner();
        let id = project_id("parent", &message.parent)?;
        let project = self.owned(&caller, id).await?;
        let update = message
            .progress_update
            .ok_or_else(|| invalid("progress_update", "is required"))?;
        let fields = domain::check_progress_update(&update)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        let media = fields.media_ids();
        let media: Vec<(String, &str)> = media
            .iter()
            .map(|(field, id)| (field.clone(), id.as_str()))
            .collect();
        // Photos and videos: any kind of the developer's own public uploads.
        self.media
            .check_files(&project.developer_id, &media)
            .await?;
        let update = self
            .store
            .add_progress_update(id, &fields)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                limit_reached(
                    "PROGRESS_UPDATE_LIMIT_REACHED",
                    "progress updates",
                    domain::MAX_PROGRESS_UPDATES_PER_PROJECT,
                )
            })?;
        Ok(Response::new(pb::CreateProgressUpdateResponse {
            progress_update: Some(update.proto()),
        }))
    }

    async fn list_progress_updates(
        &self,
        request: Request<pb::ListProgressUpdatesRequest>,
    ) -> Result<Response<pb::ListProgressUpdatesResponse>, Status> {
        // Public.
        let message = request.get_ref();
        let id = project_id("parent", &message.parent)?;
        let limit = page_size(message.page_size, 20, 100)?;
        let after = time_token(&message.page_token)?;
        self.public(id).await?;
        let mut updates = self
            .store
            .progress_updates(id, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut updates, limit, |last| {
            micros_token(last.created_at, last.id)
        });
        Ok(Response::new(pb::ListProgressUpdatesResponse {
            progress_updates: updates.iter().map(store::ProgressRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn create_project_document(
        &self,
        request: Request<pb::CreateProjectDocumentRequest>,
    ) -> Result<Response<pb::CreateProjectDocumentResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let message = request.into_inner();
        let id = project_id("parent", &message.parent)?;
        let project = self.owned(&caller, id).await?;
        let document = message
            .project_document
            .ok_or_else(|| invalid("project_document", "is required"))?;
        let fields = domain::check_document(id, &document)
            .map_err(|violations| ApiError::invalid_argument(DOMAIN, violations))?;
        if let Some(unit) = fields.unit
            && self.store.unit(id, unit).await.map_err(db)?.is_none()
        {
            return Err(invalid("project_document.unit", "names no unit of the project").into());
        }
        let media_id = domain::media_id(&fields.media).unwrap_or_default();
        self.media
            .check_files(
                &project.developer_id,
                &[("project_document.media".to_owned(), media_id.as_str())],
            )
            .await?;
        let document = self
            .store
            .add_document(id, &fields)
            .await
            .map_err(db)?
            .ok_or_else(|| {
                limit_reached(
                    "DOCUMENT_LIMIT_REACHED",
                    "documents",
                    domain::MAX_DOCUMENTS_PER_PROJECT,
                )
            })?;
        Ok(Response::new(pb::CreateProjectDocumentResponse {
            project_document: Some(document.proto()),
        }))
    }

    async fn list_project_documents(
        &self,
        request: Request<pb::ListProjectDocumentsRequest>,
    ) -> Result<Response<pb::ListProjectDocumentsResponse>, Status> {
        // Public.
        let message = request.get_ref();
        let id = project_id("parent", &message.parent)?;
        let limit = page_size(message.page_size, 50, 200)?;
        let after = time_token(&message.page_token)?;
        self.public(id).await?;
        let mut documents = self
            .store
            .documents(id, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut documents, limit, |last| {
            micros_token(last.created_at, last.id)
        });
        Ok(Response::new(pb::ListProjectDocumentsResponse {
            project_documents: documents.iter().map(store::DocumentRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn delete_project_document(
        &self,
        request: Request<pb::DeleteProjectDocumentRequest>,
    ) -> Result<Response<pb::DeleteProjectDocumentResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let name = request.get_ref().name.clone();
        let (project_id, id) = child_id("name", &name, "documents")?;
        self.owned(&caller, project_id).await?;
        self.store
            .delete_document(project_id, id)
            .await
            .map_err(db)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, &name))?;
        Ok(Response::new(pb::DeleteProjectDocumentResponse {}))
    }

    async fn create_reservation(
        &self,
        request: Request<pb::CreateReservationRequest>,
    ) -> Result<Response<pb::CreateReservationResponse>, Status> {
        // Any signed-in user but the project's developer.
        let caller = policy::authenticated(&request)?.clone();
        let message = request.into_inner();
        let mut violations = Vec::new();
        let project_id = domain::project_id(&message.parent);
        if project_id.is_none() {
            violations.push(violation(
                "parent",
                "must be a resource name like projects/{project}",
            ));
        }
        let unit_id = match domain::child_id(&message.unit, "units") {
            Some((of, unit)) if Some(of) == project_id => Some(unit),
            Some(_) => {
                violations.push(violation("unit", "must be a unit of parent"));
                None
            }
            None => {
                violations.push(violation(
                    "unit",
                    "must be a resource name like projects/{project}/units/{unit}",
                ));
                None
            }
        };
        // Never logged, never stored: it goes to the payment service in the event only.
        let payment_method = message.payment_method.trim().to_owned();
        if payment_method.is_empty() {
            violations.push(violation("payment_method", "is required"));
        } else if payment_method.len() > domain::MAX_PAYMENT_METHOD_LEN {
            violations.push(violation(
                "payment_method",
                format!(
                    "must be at most {} characters",
                    domain::MAX_PAYMENT_METHOD_LEN
                ),
            ));
        }
        let request_id = match message.request_id.trim() {
            "" => None,
            id => match Uuid::parse_str(id) {
                Ok(id) => Some(id.to_string()),
                Err(_) => {
                    violations.push(violation("request_id", "must be a UUID"));
                    None
                }
            },
        };
        let (Some(project_id), Some(unit_id), true) = (project_id, unit_id, violations.is_empty())
        else {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        };
        let project = self.public(project_id).await?;
        if project.developer_id == caller.user_id {
            return Err(ApiError::new(
                Code::PermissionDenied,
                DOMAIN,
                "OWN_PROJECT",
                "developers do not reserve units of their own projects",
            )
            .into());
        }
        // A retry of an attempt that went through answers what it made (AIP-155).
        if let Some(request_id) = &request_id
            && let Some(made) = self
                .store
                .reservation_by_request(&caller.user_id, request_id)
                .await
                .map_err(db)?
        {
            if made.unit_id != unit_id {
                return Err(invalid("request_id", "was used for another reservation").into());
            }
            return Ok(Response::new(pb::CreateReservationResponse {
                reservation: Some(made.proto()),
            }));
        }
        let new = NewReservation {
            project,
            unit_id,
            buyer_id: caller.user_id.clone(),
            request_id: request_id.clone(),
            payment_method,
            hold: self.reservation_hold,
        };
        let reservation = match self.store.reserve(&new).await {
            Ok((reservation, _)) => reservation,
            Err(ReserveRefused::NoUnit) => {
                return Err(ApiError::not_found(DOMAIN, &message.unit).into());
            }
            Err(ReserveRefused::NotAvailable(state)) => {
                return Err(ApiError::failed_precondition(
                    DOMAIN,
                    "UNIT_NOT_AVAILABLE",
                    "the unit is reserved or sold",
                )
                .with_metadata("state", domain::unit_state_str(state))
                .into());
            }
            Err(ReserveRefused::Duplicate) => {
                // A concurrent retry of the same attempt made it.
                let request_id = request_id.unwrap_or_default();
                self.store
                    .reservation_by_request(&caller.user_id, &request_id)
                    .await
                    .map_err(db)?
                    .ok_or_else(|| changed_meanwhile("reservation"))?
            }
            Err(ReserveRefused::Database(err)) => return Err(db(err).into()),
        };
        tracing::info!(
            reservation = %reservation.id,
            unit = %reservation.unit_id,
            "unit held; deposit requested"
        );
        Ok(Response::new(pb::CreateReservationResponse {
            reservation: Some(reservation.proto()),
        }))
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::GetReservationResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let (project_id, id) = child_id("name", &request.get_ref().name, "reservations")?;
        let (reservation, _) = self.reservation_for(&caller, project_id, id).await?;
        Ok(Response::new(pb::GetReservationResponse {
            reservation: Some(reservation.proto()),
        }))
    }

    async fn list_reservations(
        &self,
        request: Request<pb::ListReservationsRequest>,
    ) -> Result<Response<pb::ListReservationsResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let message = request.get_ref();
        let of = if message.parent == "projects/-" {
            ReservationsOf::Buyer(caller.user_id.clone())
        } else {
            let id = domain::project_id(&message.parent).ok_or_else(|| {
                invalid(
                    "parent",
                    "must be a resource name like projects/{project}, or projects/-",
                )
            })?;
            self.owned(&caller, id).await?;
            ReservationsOf::Project(id)
        };
        let state = match ReservationState::try_from(message.state) {
            Ok(ReservationState::Unspecified) => None,
            Ok(state) => Some(state),
            Err(_) => return Err(invalid("state", "is not a known state").into()),
        };
        let limit = page_size(message.page_size, 20, 100)?;
        let after = time_token(&message.page_token)?;
        let mut reservations = self
            .store
            .reservations(&of, state, after, limit + 1)
            .await
            .map_err(db)?;
        let next_page_token = next_page(&mut reservations, limit, |last| {
            micros_token(last.created_at, last.id)
        });
        Ok(Response::new(pb::ListReservationsResponse {
            reservations: reservations.iter().map(ReservationRecord::proto).collect(),
            next_page_token,
        }))
    }

    async fn cancel_reservation(
        &self,
        request: Request<pb::CancelReservationRequest>,
    ) -> Result<Response<pb::CancelReservationResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let name = request.get_ref().name.clone();
        let (project_id, id) = child_id("name", &name, "reservations")?;
        let (_, by_buyer) = self.reservation_for(&caller, project_id, id).await?;
        let reason = if by_buyer {
            ReleaseReason::CancelledByBuyer
        } else {
            ReleaseReason::CancelledByDeveloper
        };
        match self.store.cancel(id, reason).await.map_err(db)? {
            Written::Done(Ok(released)) => {
                tracing::info!(reservation = %id, ?reason, "reservation cancelled; unit released");
                Ok(Response::new(pb::CancelReservationResponse {
                    reservation: Some(released.proto()),
                }))
            }
            Written::Done(Err(state)) => Err(ApiError::failed_precondition(
                DOMAIN,
                "RESERVATION_ENDED",
                "the reservation is completed or released already",
            )
            .with_metadata("state", domain::reservation_state_str(state))
            .into()),
            Written::Missing | Written::Conflict => Err(ApiError::not_found(DOMAIN, &name).into()),
        }
    }
}
