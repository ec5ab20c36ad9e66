//! `estospaces.property.v1.PropertyService`.

use std::collections::BTreeMap;
use std::time::SystemTime;

use estospaces_auth::{Caller, Role, policy};
use estospaces_events::NewEvent;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::property_v1::property_service_server::PropertyService;
use estospaces_status::{ApiError, FieldViolation, violation};
use estospaces_storage::{from_unix_micros, unix_micros};
use pb::property::State;
use time::Date;
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::config::ListingReview;
use crate::domain::{self, PropertyId, Transition, day_key, days, parse_date, to_pb_date};
use crate::pricing;
use crate::store::{CalendarChange, ListFilter, PropertyRecord, PropertyStore, StoreError};
use crate::views::ViewCounter;
use estospaces_media_check::OwnMedia;

/// The longest range `GetAvailability`, `BlockDates` and `UnblockDates` take, in days.
const MAX_RANGE_DAYS: i64 = 366;

/// The longest reason a moderator gives, in characters.
const MAX_REASON_CHARS: usize = 1_000;

/// The gRPC handlers, holding what they share.
#[derive(Debug, Clone)]
pub struct PropertyHandlers {
    store: PropertyStore,
    views: ViewCounter,
    photos: OwnMedia,
    listing_review: ListingReview,
}

impl PropertyHandlers {
    pub fn new(
        store: PropertyStore,
        views: ViewCounter,
        photos: OwnMedia,
        listing_review: ListingReview,
    ) -> Self {
        Self {
            store,
            views,
            photos,
            listing_review,
        }
    }

    /// The listing `name` for a caller about to change it: PERMISSION_DENIED unless the caller
    /// owns it or is an admin, decided before NOT_FOUND (a stranger learns nothing about
    /// whether it exists).
    async fn for_change<T>(
        &self,
        request: &Request<T>,
        field: &str,
        name: &str,
    ) -> Result<PropertyRecord, ApiError> {
        let caller = policy::authenticated(request)?;
        let id = parse_name(field, name)?;
        let record = self.store.find(id).await.map_err(storage_error)?;
        match record {
            Some(record) if record.owner_id == caller.user_id || caller.is_admin() => Ok(record),
            None if caller.is_admin() => Err(ApiError::not_found(DOMAIN, name)),
            _ => Err(ApiError::permission_denied(DOMAIN, "owner")),
        }
    }

    /// The listing `name` for a reader: public listings to anyone, the rest to their owner,
    /// admins and moderators, and NOT_FOUND for everyone else.
    async fn for_read<T>(
        &self,
        request: &Request<T>,
        field: &str,
        name: &str,
    ) -> Result<PropertyRecord, ApiError> {
        let id = parse_name(field, name)?;
        let caller = policy::caller(request);
        self.store
            .find(id)
            .await
            .map_err(storage_error)?
            .filter(|record| domain::is_public(record.state) || may_read(caller, record))
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))
    }

    /// Whether the listing's photos are `owner`'s public images at the media service, and
    /// ready when `need_ready` (publishing, or changing a published listing's photos).
    async fn check_photos(
        &self,
        owner: &str,
        listing: &pb::Property,
        need_ready: bool,
        field_prefix: &str,
    ) -> Result<(), ApiError> {
        let images: Vec<(String, &str)> = listing
            .photos
            .iter()
            .enumerate()
            .map(|(i, photo)| {
                (
                    format!("{field_prefix}photos[{i}].media_id"),
                    photo.media_id.as_str(),
                )
            })
            .collect();
        self.photos.check_images(owner, &images, need_ready).await
    }

    /// Saves `next` over `current` with `events` built from the saved listing.
    async fn save(
        &self,
        current: &PropertyRecord,
        mut next: PropertyRecord,
        events: impl FnOnce(&pb::Property) -> Vec<NewEvent>,
    ) -> Result<pb::Property, ApiError> {
        next.revision = current.revision + 1;
        next.updated_at = now();
        if next.state == State::Published && next.first_published_at.is_none() {
            next.first_published_at = Some(next.updated_at);
        }
        self.store
            .replace(current.revision, &next, events)
            .await
            .map_err(storage_error)
    }

    async fn transition<T>(
        &self,
        request: Request<T>,
        name: &str,
        etag: &str,
        transition: Transition,
    ) -> Result<pb::Property, Status> {
        let current = self.for_change(&request, "name", name).await?;
        check_etag(&current, etag)?;
        if transition == Transition::Publish && current.state == State::TakenDown {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "LISTING_TAKEN_DOWN",
                "a moderator took the listing down; only a moderator's approval brings it back",
            )
            .into());
        }
        let mut to = transition
            .apply(current.state, current.kind())
            .map_err(|why| {
                ApiError::failed_precondition(DOMAIN, "INVALID_STATE_TRANSITION", why)
            })?;
        if transition == Transition::Publish {
            let missing = domain::missing_for_publish(&current.document);
            if !missing.is_empty() {
                return Err(incomplete(&missing).into());
            }
            self.check_photos(&current.owner_id, &current.document, true, "")
                .await?;
            if to == State::Published && self.needs_review(&current).await? {
                to = State::PendingReview;
            }
        }
        let from = current.state;
        let mut next = current.clone();
        next.state = to;
        // A moderator's reason belongs to the rejection or takedown the listing leaves.
        next.moderation_reason.clear();
        let id = current.id.to_string();
        let property = self
            .save(&current, next, |property| {
                let snapshot = Some(property.clone());
                if to == State::PendingReview {
                    vec![NewEvent::new(
                        "property.review_requested",
                        "property",
                        &id,
                        &pb::PropertyReviewRequested { property: snapshot },
                    )]
                } else if to == State::Published {
                    vec![NewEvent::new(
                        "property.listed",
                        "property",
                        &id,
                        &pb::PropertyListed { property: snapshot },
                    )]
                } else if from == State::Published {
                    vec![NewEvent::new(
                        "property.unlisted",
                        "property",
                        &id,
                        &pb::PropertyUnlisted { property: snapshot },
                    )]
                } else {
                    Vec::new()
                }
            })
            .await?;
        tracing::info!(property = %current.id, ?from, ?to, "state changed");
        Ok(property)
    }

    /// Whether publishing `record` (a draft or paused listing) waits for a moderator first,
    /// as `listing_review` says. A listing published before never does.
    async fn needs_review(&self, record: &PropertyRecord) -> Result<bool, ApiError> {
        if record.first_published_at.is_some() {
            return Ok(false);
        }
        Ok(match self.listing_review {
            ListingReview::Off => false,
            ListingReview::All => true,
            ListingReview::NewHosts => !self
                .store
                .owner_has_published(&record.owner_id)
                .await
                .map_err(storage_error)?,
        })
    }

    /// A moderator's decision about listing `name`: admins and moderators only
    /// (PERMISSION_DENIED for everyone else, before anything is looked up), a reason of at
    /// most 1,000 characters (required unless approving), then the state change with
    /// `property.moderated` (and `property.listed` or `property.unlisted` when the listing
    /// goes public or stops being public), all in one transaction.
    async fn moderate<T>(
        &self,
        request: Request<T>,
        name: &str,
        reason: &str,
        transition: Transition,
    ) -> Result<pb::Property, Status> {
        let actor = policy::staff(&request)?.user_id.clone();
        let reason = reason.trim();
        let mut violations = Vec::new();
        let id = parse_name("name", name)
            .map_err(|_| violations.push(violation("name", "must be `properties/{uuid}`")))
            .ok();
        if reason.chars().count() > MAX_REASON_CHARS {
            violations.push(violation("reason", "at most 1000 characters"));
        } else if reason.is_empty() && transition != Transition::Approve {
            violations.push(violation(
                "reason",
                "required: why, as the owner will read it",
            ));
        }
        let (Some(id), true) = (id, violations.is_empty()) else {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        };
        let current = self
            .store
            .find(id)
            .await
            .map_err(storage_error)?
            .ok_or_else(|| ApiError::not_found(DOMAIN, name))?;
        let to = transition
            .apply(current.state, current.kind())
            .map_err(|why| {
                ApiError::failed_precondition(DOMAIN, "INVALID_STATE_TRANSITION", why)
            })?;
        if to == State::Published {
            // The owner may have changed a taken-down listing since: it must still be complete.
            let missing = domain::missing_for_publish(&current.document);
            if !missing.is_empty() {
                return Err(incomplete(&missing).into());
            }
            self.check_photos(&current.owner_id, &current.document, true, "")
                .await?;
        }
        let from = current.state;
        let mut next = current.clone();
        next.state = to;
        next.moderation_reason = match transition {
            Transition::Approve => String::new(),
            _ => reason.to_owned(),
        };
        let key = current.id.to_string();
        let property = self
            .save(&current, next, |property| {
                let snapshot = Some(property.clone());
                let mut events = Vec::new();
                if to == State::Published {
                    events.push(NewEvent::new(
                        "property.listed",
                        "property",
                        &key,
                        &pb::PropertyListed {
                            property: snapshot.clone(),
                        },
                    ));
                } else if domain::is_public(from) {
                    events.push(NewEvent::new(
                        "property.unlisted",
                        "property",
                        &key,
                        &pb::PropertyUnlisted {
                            property: snapshot.clone(),
                        },
                    ));
                }
                events.push(NewEvent::new(
                    "property.moderated",
                    "property",
                    &key,
                    &pb::PropertyModerated {
                        property: snapshot,
                        previous_state: from as i32,
                        actor: domain::user_name(&actor),
                        reason: reason.to_owned(),
                    },
                ));
                events
            })
            .await?;
        tracing::info!(property = %current.id, ?from, ?to, %actor, "moderated");
        Ok(property)
    }

    /// The dated range of a calendar request, at most [`MAX_RANGE_DAYS`] long.
    fn range(start: Option<&pb::Date>, end: Option<&pb::Date>) -> Result<(Date, Date), ApiError> {
        let (start, end) = match (parse_date("start_date", start), parse_date("end_date", end)) {
            (Ok(start), Ok(end)) => (start, end),
            (start, end) => {
                return Err(ApiError::invalid_argument(
                    DOMAIN,
                    start.err().into_iter().chain(end.err()).collect(),
                ));
            }
        };
        if end < start {
            return Err(invalid("end_date", "before start_date"));
        }
        if (end - start).whole_days() >= MAX_RANGE_DAYS {
            return Err(invalid("end_date", "the range is longer than 366 days"));
        }
        Ok((start, end))
    }

    async fn change_calendar<T>(
        &self,
        request: Request<T>,
        property: &str,
        start: Option<&pb::Date>,
        end: Option<&pb::Date>,
        change: CalendarChange<'_>,
    ) -> Result<Vec<pb::CalendarDay>, Status> {
        let record = self.for_change(&request, "property", property).await?;
        let (first, last) = Self::range(start, end)?;
        has_calendar(&record)?;
        self.store
            .change_calendar(record.id, first, last, change, |calendar| {
                calendar_event(&record, calendar)
            })
            .await
            .map_err(storage_error)?;
        let calendar = self
            .store
            .calendar(record.id, first, last)
            .await
            .map_err(storage_error)?;
        Ok(calendar_days(&record, &calendar, first, last))
    }
}

/// FAILED_PRECONDITION unless `record` is a short stay: only those have a calendar.
fn has_calendar(record: &PropertyRecord) -> Result<(), ApiError> {
    if record.kind() == pb::ListingKind::ShortStay {
        Ok(())
    } else {
        Err(ApiError::failed_precondition(
            DOMAIN,
            "NOT_A_SHORT_STAY",
            "only short-stay listings have a calendar",
        ))
    }
}

/// The `property.calendar_changed` event for `record` with `calendar` (its unavailable nights).
pub fn calendar_event(
    record: &PropertyRecord,
    calendar: &BTreeMap<Date, pb::calendar_day::Status>,
) -> NewEvent {
    let pricing = record
        .document
        .short_stay_pricing
        .clone()
        .unwrap_or_default();
    let unavailable_days = calendar
        .iter()
        .map(|(day, status)| pb::CalendarDay {
            date: Some(to_pb_date(*day)),
            status: *status as i32,
            nightly_price: pricing::nightly_price(&pricing, *day).0,
        })
        .collect();
    NewEvent::new(
        "property.calendar_changed",
        "property",
        record.id.to_string(),
        &pb::PropertyCalendarChanged {
            property: record.id.name(),
            unavailable_days,
        },
    )
}

fn calendar_days(
    record: &PropertyRecord,
    calendar: &BTreeMap<Date, pb::calendar_day::Status>,
    first: Date,
    last: Date,
) -> Vec<pb::CalendarDay> {
    let pricing = record
        .document
        .short_stay_pricing
        .clone()
        .unwrap_or_default();
    days(first, last)
        .map(|day| pb::CalendarDay {
            date: Some(to_pb_date(day)),
            status: *calendar
                .get(&day)
                .unwrap_or(&pb::calendar_day::Status::Available) as i32,
            nightly_price: pricing::nightly_price(&pricing, day).0,
        })
        .collect()
}

/// The current time at the store's precision (microseconds), so a response shows the times a
/// later read returns.
fn now() -> SystemTime {
    from_unix_micros(unix_micros(SystemTime::now()))
}

/// Whether `caller` may read `record` whatever its state: its owner, admins and moderators.
fn may_read(caller: Option<&Caller>, record: &PropertyRecord) -> bool {
    caller.is_some_and(|caller| caller.user_id == record.owner_id || caller.is_staff())
}

fn parse_name(field: &str, name: &str) -> Result<PropertyId, ApiError> {
    PropertyId::from_name(name).map_err(|why| invalid(field, why))
}

fn invalid(field: &str, why: &str) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn incomplete(missing: &[&str]) -> ApiError {
    ApiError::failed_precondition(
        DOMAIN,
        "LISTING_INCOMPLETE",
        format!("the listing needs {} to be published", missing.join(", ")),
    )
    .with_metadata("missing_fields", missing.join(","))
    .with_field_violations(
        missing
            .iter()
            .map(|field| violation(format!("property.{field}"), "required to publish"))
            .collect(),
    )
}

fn check_etag(record: &PropertyRecord, etag: &str) -> Result<(), ApiError> {
    if etag.is_empty() || etag == format!("\"{}\"", record.revision) {
        Ok(())
    } else {
        Err(conflict())
    }
}

fn conflict() -> ApiError {
    ApiError::aborted(
        DOMAIN,
        "ETAG_MISMATCH",
        "the listing changed since it was read; read it again and retry",
    )
}

fn storage_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Conflict => conflict(),
        StoreError::Database(err) => estospaces_storage::api_error(DOMAIN, err),
    }
}

/// The top-level fields `UpdateProperty` may change, and whether they are prices.
const UPDATABLE: &[(&str, bool)] = &[
    ("property_type", false),
    ("title", false),
    ("description", false),
    ("address", false),
    ("bedrooms", false),
    ("bathrooms", false),
    ("beds", false),
    ("max_guests", false),
    ("floor_area_square_meters", false),
    ("amenities", false),
    ("house_rules", false),
    ("photos", false),
    ("check_in_time", false),
    ("check_out_time", false),
    ("cancellation_policy", false),
    ("booking_mode", false),
    ("min_nights", false),
    ("max_nights", false),
    ("currency_code", true),
    ("short_stay_pricing", true),
    ("long_term_pricing", true),
    ("sale_pricing", true),
];

/// Copies field `path` from `from` to `to`.
fn copy_field(path: &str, from: &pb::Property, to: &mut pb::Property) {
    match path {
        "property_type" => to.property_type = from.property_type,
        "title" => to.title = from.title.clone(),
        "description" => to.description = from.description.clone(),
        "address" => to.address = from.address.clone(),
        "bedrooms" => to.bedrooms = from.bedrooms,
        "bathrooms" => to.bathrooms = from.bathrooms,
        "beds" => to.beds = from.beds,
        "max_guests" => to.max_guests = from.max_guests,
        "floor_area_square_meters" => to.floor_area_square_meters = from.floor_area_square_meters,
        "amenities" => to.amenities = from.amenities.clone(),
        "house_rules" => to.house_rules = from.house_rules.clone(),
        "photos" => to.photos = from.photos.clone(),
        "check_in_time" => to.check_in_time = from.check_in_time,
        "check_out_time" => to.check_out_time = from.check_out_time,
        "cancellation_policy" => to.cancellation_policy = from.cancellation_policy,
        "booking_mode" => to.booking_mode = from.booking_mode,
        "min_nights" => to.min_nights = from.min_nights,
        "max_nights" => to.max_nights = from.max_nights,
        "currency_code" => to.currency_code = from.currency_code.clone(),
        "short_stay_pricing" => to.short_stay_pricing = from.short_stay_pricing.clone(),
        "long_term_pricing" => to.long_term_pricing = from.long_term_pricing,
        "sale_pricing" => to.sale_pricing = from.sale_pricing,
        _ => {}
    }
}

/// The client-set fields of `property`, output-only ones cleared.
fn client_fields(mut property: pb::Property) -> pb::Property {
    property.name.clear();
    property.owner.clear();
    property.state = 0;
    property.refund_schedule.clear();
    property.view_count = 0;
    property.create_time = None;
    property.update_time = None;
    property.etag.clear();
    property.rating = None;
    property.moderation_reason.clear();
    property.title = property.title.trim().to_owned();
    property
}

fn page_size(requested: i32) -> Result<i64, ApiError> {
    match requested {
        0 => Ok(50),
        1..=100 => Ok(i64::from(requested)),
        101.. => Ok(100),
        _ => Err(invalid("page_size", "must not be negative")),
    }
}

#[tonic::async_trait]
impl PropertyService for PropertyHandlers {
    async fn get_property(
        &self,
        request: Request<pb::GetPropertyRequest>,
    ) -> Result<Response<pb::GetPropertyResponse>, Status> {
        // Public for public listings; `for_read` hides the rest.
        let mut record = self
            .for_read(&request, "name", &request.get_ref().name)
            .await?;
        if record.state == State::Published && !may_read(policy::caller(&request), &record) {
            record.views += self.views.record(record.id);
        }
        Ok(Response::new(pb::GetPropertyResponse {
            property: Some(record.to_proto()),
        }))
    }

    async fn list_properties(
        &self,
        request: Request<pb::ListPropertiesRequest>,
    ) -> Result<Response<pb::ListPropertiesResponse>, Status> {
        // Public; non-public states only for the owner's own listings, admins and moderators.
        let caller = policy::caller(&request).cloned();
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let owner_id = match request.owner.as_str() {
            "" => None,
            owner => Some(
                owner
                    .strip_prefix("users/")
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| invalid("owner", "must be `users/{user}`"))?
                    .to_owned(),
            ),
        };
        let privileged = caller.as_ref().is_some_and(|caller| {
            caller.is_staff() || owner_id.as_deref() == Some(caller.user_id.as_str())
        });
        let state = State::try_from(request.state).unwrap_or_default();
        let states = match state {
            State::Unspecified if privileged => domain::ALL_STATES.to_vec(),
            State::Unspecified => vec![State::Published],
            state if privileged || domain::is_public(state) => vec![state],
            _ => return Err(ApiError::permission_denied(DOMAIN, "owner").into()),
        };
        let before_id = match request.page_token.as_str() {
            "" => None,
            token => Some(
                PropertyId::parse(token)
                    .map_err(|_| invalid("page_token", "not a token from this list"))?
                    .to_string(),
            ),
        };
        let filter = ListFilter {
            kind: match pb::ListingKind::try_from(request.kind).unwrap_or_default() {
                pb::ListingKind::Unspecified => None,
                kind => Some(kind),
            },
            states,
            owner_id,
            country_code: Some(request.country_code).filter(|code| !code.is_empty()),
            before_id,
            limit: limit + 1,
        };
        let mut records = self.store.list(&filter).await.map_err(storage_error)?;
        let next_page_token = if records.len() as i64 > limit {
            records.truncate(limit as usize);
            records.last().map(|r| r.id.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListPropertiesResponse {
            properties: records.iter().map(PropertyRecord::to_proto).collect(),
            next_page_token,
        }))
    }

    async fn create_property(
        &self,
        request: Request<pb::CreatePropertyRequest>,
    ) -> Result<Response<pb::CreatePropertyResponse>, Status> {
        let caller = policy::authenticated(&request)?.clone();
        let request = request.into_inner();
        let request_id = match request.request_id.as_str() {
            "" => None,
            id => Some(
                uuid::Uuid::parse_str(id)
                    .map_err(|_| invalid("request_id", "must be a UUID"))?
                    .to_string(),
            ),
        };
        let property = request
            .property
            .ok_or_else(|| invalid("property", "required"))?;
        let kind = pb::ListingKind::try_from(property.kind).unwrap_or_default();
        // Hosts list places to stay or rent; selling takes an agent.
        let allowed = match kind {
            pb::ListingKind::Sale => caller.has_role(Role::Agent) || caller.is_admin(),
            _ => [Role::Host, Role::Agent, Role::Admin]
                .into_iter()
                .any(|role| caller.has_role(role)),
        };
        if !allowed {
            let role = if kind == pb::ListingKind::Sale {
                "role:agent"
            } else {
                "role:host"
            };
            return Err(ApiError::permission_denied(DOMAIN, role).into());
        }
        let document = client_fields(property);
        let violations = domain::validate(&document, "property.");
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        self.check_photos(&caller.user_id, &document, false, "property.")
            .await?;
        let now = now();
        let record = PropertyRecord {
            id: PropertyId::new(),
            owner_id: caller.user_id.clone(),
            state: State::Draft,
            revision: 1,
            created_at: now,
            updated_at: now,
            views: 0,
            rating: None,
            moderation_reason: String::new(),
            first_published_at: None,
            document,
        };
        let earlier = self
            .store
            .insert(&record, request_id.as_deref())
            .await
            .map_err(storage_error)?;
        let created = earlier.unwrap_or(record);
        tracing::info!(property = %created.id, "created");
        Ok(Response::new(pb::CreatePropertyResponse {
            property: Some(created.to_proto()),
        }))
    }

    async fn update_property(
        &self,
        request: Request<pb::UpdatePropertyRequest>,
    ) -> Result<Response<pb::UpdatePropertyResponse>, Status> {
        let name = request
            .get_ref()
            .property
            .as_ref()
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let current = self.for_change(&request, "property.name", &name).await?;
        let request = request.into_inner();
        let incoming = request.property.unwrap_or_default();
        let paths = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        if paths.is_empty() {
            return Err(invalid("update_mask", "name the fields to change").into());
        }
        let mut violations: Vec<FieldViolation> = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            if !UPDATABLE.iter().any(|(field, _)| field == path) {
                violations.push(violation(
                    format!("update_mask.paths[{i}]"),
                    format!("`{path}` cannot be updated"),
                ));
            }
        }
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        check_etag(&current, &incoming.etag)?;

        let mut next = current.clone();
        for path in &paths {
            copy_field(path, &incoming, &mut next.document);
        }
        next.document = client_fields(next.document);
        let violations = domain::validate(&next.document, "property.");
        if !violations.is_empty() {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        }
        if domain::must_stay_complete(current.state) {
            let missing = domain::missing_for_publish(&next.document);
            if !missing.is_empty() {
                return Err(incomplete(&missing).into());
            }
        }
        if paths.iter().any(|path| path == "photos") {
            self.check_photos(
                &next.owner_id,
                &next.document,
                domain::must_stay_complete(current.state),
                "property.",
            )
            .await?;
        }
        let changed: Vec<String> = paths
            .iter()
            .filter(|path| {
                let mut before = pb::Property::default();
                let mut after = pb::Property::default();
                copy_field(path, &current.document, &mut before);
                copy_field(path, &next.document, &mut after);
                before != after
            })
            .cloned()
            .collect();
        let price_changed = changed.iter().any(|path| {
            UPDATABLE
                .iter()
                .any(|(field, price)| field == path && *price)
        });
        let id = current.id.to_string();
        let property = self
            .save(&current, next, |property| {
                let mut events = vec![NewEvent::new(
                    "property.updated",
                    "property",
                    &id,
                    &pb::PropertyUpdated {
                        property: Some(property.clone()),
                        changed_fields: changed.clone(),
                    },
                )];
                if price_changed {
                    events.push(NewEvent::new(
                        "property.price_changed",
                        "property",
                        &id,
                        &pb::PropertyPriceChanged {
                            property: Some(property.clone()),
                        },
                    ));
                }
                events
            })
            .await?;
        Ok(Response::new(pb::UpdatePropertyResponse {
            property: Some(property),
        }))
    }

    async fn publish_property(
        &self,
        request: Request<pb::PublishPropertyRequest>,
    ) -> Result<Response<pb::PublishPropertyResponse>, Status> {
        let (name, etag) = (
            request.get_ref().name.clone(),
            request.get_ref().etag.clone(),
        );
        let property = self
            .transition(request, &name, &etag, Transition::Publish)
            .await?;
        Ok(Response::new(pb::PublishPropertyResponse {
            property: Some(property),
        }))
    }

    async fn pause_property(
        &self,
        request: Request<pb::PausePropertyRequest>,
    ) -> Result<Response<pb::PausePropertyResponse>, Status> {
        let (name, etag) = (
            request.get_ref().name.clone(),
            request.get_ref().etag.clone(),
        );
        let property = self
            .transition(request, &name, &etag, Transition::Pause)
            .await?;
        Ok(Response::new(pb::PausePropertyResponse {
            property: Some(property),
        }))
    }

    async fn archive_property(
        &self,
        request: Request<pb::ArchivePropertyRequest>,
    ) -> Result<Response<pb::ArchivePropertyResponse>, Status> {
        let (name, etag) = (
            request.get_ref().name.clone(),
            request.get_ref().etag.clone(),
        );
        let property = self
            .transition(request, &name, &etag, Transition::Archive)
            .await?;
        Ok(Response::new(pb::ArchivePropertyResponse {
            property: Some(property),
        }))
    }

    async fn mark_property_sold(
        &self,
        request: Request<pb::MarkPropertySoldRequest>,
    ) -> Result<Response<pb::MarkPropertySoldResponse>, Status> {
        let (name, etag) = (
            request.get_ref().name.clone(),
            request.get_ref().etag.clone(),
        );
        let property = self
            .transition(request, &name, &etag, Transition::MarkSold)
            .await?;
        Ok(Response::new(pb::MarkPropertySoldResponse {
            property: Some(property),
        }))
    }

    async fn mark_property_rented(
        &self,
        request: Request<pb::MarkPropertyRentedRequest>,
    ) -> Result<Response<pb::MarkPropertyRentedResponse>, Status> {
        let (name, etag) = (
            request.get_ref().name.clone(),
            request.get_ref().etag.clone(),
        );
        let property = self
            .transition(request, &name, &etag, Transition::MarkRented)
            .await?;
        Ok(Response::new(pb::MarkPropertyRentedResponse {
            property: Some(property),
        }))
    }

    async fn approve_property(
        &self,
        request: Request<pb::ApprovePropertyRequest>,
    ) -> Result<Response<pb::ApprovePropertyResponse>, Status> {
        // Admins and moderators (checked first in `moderate`).
        let pb::ApprovePropertyRequest { name, reason } = request.get_ref().clone();
        let property = self
            .moderate(request, &name, &reason, Transition::Approve)
            .await?;
        Ok(Response::new(pb::ApprovePropertyResponse {
            property: Some(property),
        }))
    }

    async fn reject_property(
        &self,
        request: Request<pb::RejectPropertyRequest>,
    ) -> Result<Response<pb::RejectPropertyResponse>, Status> {
        // Admins and moderators (checked first in `moderate`).
        let pb::RejectPropertyRequest { name, reason } = request.get_ref().clone();
        let property = self
            .moderate(request, &name, &reason, Transition::Reject)
            .await?;
        Ok(Response::new(pb::RejectPropertyResponse {
            property: Some(property),
        }))
    }

    async fn take_down_property(
        &self,
        request: Request<pb::TakeDownPropertyRequest>,
    ) -> Result<Response<pb::TakeDownPropertyResponse>, Status> {
        // Admins and moderators (checked first in `moderate`).
        let pb::TakeDownPropertyRequest { name, reason } = request.get_ref().clone();
        let property = self
            .moderate(request, &name, &reason, Transition::TakeDown)
            .await?;
        Ok(Response::new(pb::TakeDownPropertyResponse {
            property: Some(property),
        }))
    }

    async fn quote_price(
        &self,
        request: Request<pb::QuotePriceRequest>,
    ) -> Result<Response<pb::QuotePriceResponse>, Status> {
        // Public for public listings.
        let record = self
            .for_read(&request, "property", &request.get_ref().property)
            .await?;
        let request = request.into_inner();
        let mut violations = Vec::new();
        let check_in = parse_date("check_in", request.check_in.as_ref())
            .map_err(|v| violations.push(v))
            .ok();
        let check_out = parse_date("check_out", request.check_out.as_ref())
            .map_err(|v| violations.push(v))
            .ok();
        if request.guests < 1 {
            violations.push(violation("guests", "at least one guest"));
        } else if record.document.max_guests > 0 && request.guests > record.document.max_guests {
            violations.push(violation(
                "guests",
                format!("at most {} guests", record.document.max_guests),
            ));
        }
        let (Some(check_in), Some(check_out), true) = (check_in, check_out, violations.is_empty())
        else {
            return Err(ApiError::invalid_argument(DOMAIN, violations).into());
        };
        if check_out <= check_in {
            return Err(invalid("check_out", "must be after check_in").into());
        }
        let nights = (check_out - check_in).whole_days();
        let min = i64::from(record.document.min_nights.max(1));
        let max = i64::from(record.document.max_nights);
        if nights < min || (max > 0 && nights > max) || nights > MAX_RANGE_DAYS {
            return Err(invalid("check_out", "the stay is shorter or longer than allowed").into());
        }
        if record.kind() != pb::ListingKind::ShortStay || record.state != State::Published {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "NOT_BOOKABLE",
                "only published short-stay listings are quoted",
            )
            .into());
        }
        let last_night = check_out.previous_day().unwrap_or(check_in);
        let calendar = self
            .store
            .calendar(record.id, check_in, last_night)
            .await
            .map_err(storage_error)?;
        if let Some(day) = calendar.keys().next() {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "DATES_UNAVAILABLE",
                format!("the night of {} cannot be booked", day_key(*day)),
            )
            .with_metadata("date", day_key(*day))
            .into());
        }
        Ok(Response::new(pricing::quote(
            &record.to_proto(),
            check_in,
            check_out,
            request.guests,
        )))
    }

    async fn get_availability(
        &self,
        request: Request<pb::GetAvailabilityRequest>,
    ) -> Result<Response<pb::GetAvailabilityResponse>, Status> {
        // Public for public listings.
        let record = self
            .for_read(&request, "property", &request.get_ref().property)
            .await?;
        let request = request.into_inner();
        let (first, last) = Self::range(request.start_date.as_ref(), request.end_date.as_ref())?;
        has_calendar(&record)?;
        let calendar = self
            .store
            .calendar(record.id, first, last)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(pb::GetAvailabilityResponse {
            days: calendar_days(&record, &calendar, first, last),
            currency_code: record.document.currency_code.clone(),
        }))
    }

    async fn block_dates(
        &self,
        request: Request<pb::BlockDatesRequest>,
    ) -> Result<Response<pb::BlockDatesResponse>, Status> {
        let message = request.get_ref().clone();
        let days = self
            .change_calendar(
                request,
                &message.property,
                message.start_date.as_ref(),
                message.end_date.as_ref(),
                CalendarChange::Block,
            )
            .await?;
        Ok(Response::new(pb::BlockDatesResponse { days }))
    }

    async fn unblock_dates(
        &self,
        request: Request<pb::UnblockDatesRequest>,
    ) -> Result<Response<pb::UnblockDatesResponse>, Status> {
        let message = request.get_ref().clone();
        let days = self
            .change_calendar(
                request,
                &message.property,
                message.start_date.as_ref(),
                message.end_date.as_ref(),
                CalendarChange::Unblock,
            )
            .await?;
        Ok(Response::new(pb::UnblockDatesResponse { days }))
    }
}
