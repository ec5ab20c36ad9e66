//! `estospaces.booking.v1.BookingService`.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use estospaces_auth::{Caller, policy};
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::booking_v1::booking_service_server::BookingService;
use estospaces_proto::google::api::HttpBody;
use estospaces_proto::property_v1 as property;
use estospaces_status::{ApiError, violation};
use estospaces_storage::{from_unix_micros, unix_micros};
use time::Date;
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::config::BookingSettings;
use crate::domain::{
    self, BookingId, PaymentStatus, State, Transition, day_number, parse_date, property_id, share,
    today, user_id,
};
use crate::ical;
use crate::listings::{Listings, nights_unavailable};
use crate::saga::plan;
use crate::store::{BookingRecord, BookingStore, ListFilter, StoreError};

/// The longest payment method reference accepted.
const MAX_PAYMENT_METHOD_LEN: usize = 255;

/// The longest reason a decline or cancellation may give.
const MAX_REASON_CHARS: usize = 500;

/// The gRPC handlers, holding what they share.
#[derive(Debug, Clone)]
pub struct BookingHandlers {
    store: BookingStore,
    listings: Listings,
    settings: Arc<BookingSettings>,
}

/// Who a caller is to a booking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Party {
    Guest,
    Host,
    Admin,
}

impl BookingHandlers {
    pub fn new(store: BookingStore, listings: Listings, settings: BookingSettings) -> Self {
        Self {
            store,
            listings,
            settings: Arc::new(settings),
        }
    }

    /// The booking `name` and who the caller is to it: PERMISSION_DENIED unless the caller is
    /// its guest, its host or an admin, decided before NOT_FOUND (a stranger learns nothing
    /// about whether it exists).
    async fn for_party<T>(
        &self,
        request: &Request<T>,
        id: Result<BookingId, &'static str>,
        field: &str,
        name: &str,
    ) -> Result<(BookingRecord, Party), ApiError> {
        let caller = policy::authenticated(request)?;
        let id = id.map_err(|why| invalid(field, why))?;
        let record = self.store.find(id).await.map_err(storage_error)?;
        match record {
            Some(record) if record.guest_id == caller.user_id => Ok((record, Party::Guest)),
            Some(record) if record.host_id == caller.user_id => Ok((record, Party::Host)),
            Some(record) if caller.is_admin() => Ok((record, Party::Admin)),
            None if caller.is_admin() => Err(ApiError::not_found(DOMAIN, name)),
            _ => Err(ApiError::permission_denied(DOMAIN, "guest_or_host")),
        }
    }

    /// The booking `name` for a change only its host (or an admin) may make.
    async fn for_host<T>(
        &self,
        request: &Request<T>,
        name: &str,
    ) -> Result<BookingRecord, ApiError> {
        let (record, party) = self
            .for_party(request, BookingId::from_name(name), "name", name)
            .await?;
        if party == Party::Guest {
            return Err(ApiError::permission_denied(DOMAIN, "host"));
        }
        Ok(record)
    }

    /// Moves `current` by `transition` and saves it with its saga step and event.
    async fn transition(
        &self,
        current: &BookingRecord,
        transition: Transition,
        why: &str,
    ) -> Result<pb::Booking, ApiError> {
        let planned = plan(
            current,
            transition,
            self.settings.capture_at,
            why,
            now(),
            today(),
        )
        .map_err(|why| ApiError::failed_precondition(DOMAIN, "INVALID_STATE_TRANSITION", why))?;
        self.store
            .change(current, &planned.next, planned.steps, planned.event)
            .await
            .map_err(storage_error)?;
        tracing::info!(booking = %current.id, ?transition, to = ?planned.next.state, "booking moved");
        let mut next = planned.next;
        next.revision += 1;
        Ok(next.to_proto())
    }
}

/// A checked `CreateBooking`.
struct NewBooking {
    property_name: String,
    property_id: String,
    check_in: Date,
    check_out: Date,
    guests: i32,
    payment_method: String,
    request_id: Option<String>,
}

fn parse_create(request: pb::CreateBookingRequest) -> Result<NewBooking, ApiError> {
    let booking = request
        .booking
        .ok_or_else(|| invalid("booking", "required"))?;
    let mut violations = Vec::new();
    let property_id = property_id(&booking.property)
        .map_err(|why| violations.push(violation("booking.property", why)))
        .ok();
    let check_in = parse_date("booking.check_in", booking.check_in.as_ref())
        .map_err(|v| violations.push(v))
        .ok();
    let check_out = parse_date("booking.check_out", booking.check_out.as_ref())
        .map_err(|v| violations.push(v))
        .ok();
    if let (Some(check_in), Some(check_out)) = (check_in, check_out) {
        if check_out <= check_in {
            violations.push(violation("booking.check_out", "must be after check_in"));
        }
        if check_in < today() {
            violations.push(violation("booking.check_in", "must not be in the past"));
        }
    }
    if booking.guests < 1 {
        violations.push(violation("booking.guests", "at least one guest"));
    }
    let payment_method = request.payment_method.trim().to_owned();
    if payment_method.is_empty() {
        violations.push(violation("payment_method", "required"));
    } else if payment_method.len() > MAX_PAYMENT_METHOD_LEN {
        violations.push(violation("payment_method", "at most 255 characters"));
    }
    let request_id = match request.request_id.as_str() {
        "" => None,
        id => uuid::Uuid::parse_str(id)
            .map(|id| Some(id.to_string()))
            .map_err(|_| violations.push(violation("request_id", "must be a UUID")))
            .ok()
            .flatten(),
    };
    match (property_id, check_in, check_out, violations.is_empty()) {
        (Some(property_id), Some(check_in), Some(check_out), true) => Ok(NewBooking {
            property_name: domain::property_name(&property_id),
            property_id,
            check_in,
            check_out,
            guests: booking.guests,
            payment_method,
            request_id,
        }),
        _ => Err(ApiError::invalid_argument(DOMAIN, violations)),
    }
}

/// The current time at the store's precision (microseconds), so a response shows the times a
/// later read returns.
fn now() -> SystemTime {
    from_unix_micros(unix_micros(SystemTime::now()))
}

fn invalid(field: &str, why: &str) -> ApiError {
    ApiError::invalid_argument(DOMAIN, vec![violation(field, why)])
}

fn check_reason(reason: &str) -> Result<&str, ApiError> {
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON_CHARS {
        return Err(invalid("reason", "at most 500 characters"));
    }
    Ok(reason)
}

fn storage_error(err: StoreError) -> ApiError {
    match err {
        StoreError::NightsUnavailable {
            night,
            by_constraint,
        } => {
            let message = match night {
                Some(night) => format!("the night of {night} is already held or blocked"),
                None => "a night of the stay is already held".to_owned(),
            };
            let err = if by_constraint {
                // A concurrent booking committed first; the caller may pick other nights.
                ApiError::aborted(DOMAIN, "NIGHTS_UNAVAILABLE", message)
            } else {
                nights_unavailable(message)
            };
            match night {
                Some(night) => err.with_metadata("date", night.to_string()),
                None => err,
            }
        }
        StoreError::Conflict => ApiError::aborted(
            DOMAIN,
            "BOOKING_CHANGED",
            "the booking changed meanwhile; read it again and retry",
        ),
        StoreError::Database(err) => estospaces_storage::api_error(DOMAIN, err),
    }
}

fn page_size(requested: i32) -> Result<i64, ApiError> {
    match requested {
        0 => Ok(50),
        1..=100 => Ok(i64::from(requested)),
        101.. => Ok(100),
        _ => Err(invalid("page_size", "must not be negative")),
    }
}

fn is_admin(caller: &Caller) -> bool {
    caller.is_admin()
}

#[tonic::async_trait]
impl BookingService for BookingHandlers {
    async fn create_booking(
        &self,
        request: Request<pb::CreateBookingRequest>,
    ) -> Result<Response<pb::CreateBookingResponse>, Status> {
        // Any signed-in user books.
        let caller = policy::authenticated(&request)?.clone();
        let new = parse_create(request.into_inner())?;
        if let Some(request_id) = &new.request_id {
            let earlier = self
                .store
                .find_by_request(&caller.user_id, request_id)
                .await
                .map_err(storage_error)?;
            if let Some(earlier) = earlier {
                return Ok(Response::new(pb::CreateBookingResponse {
                    booking: Some(earlier.to_proto()),
                }));
            }
        }
        // Nights already held here are refused before asking the property service anything:
        // on a hot listing most attempts are such.
        if let Some(night) = self
            .store
            .unavailable_night(&new.property_id, new.check_in, new.check_out)
            .await
            .map_err(storage_error)?
        {
            return Err(storage_error(StoreError::NightsUnavailable {
                night: Some(night),
                by_constraint: false,
            })
            .into());
        }
        // The listing, its price and its calendar, at once.
        let (listing, quote, unavailable) = tokio::join!(
            self.listings.listing(&new.property_name),
            self.listings
                .quote(&new.property_name, new.check_in, new.check_out, new.guests),
            self.listings
                .first_unavailable_night(&new.property_name, new.check_in, new.check_out),
        );
        let listing = listing?;
        let host_id = user_id(&listing.owner)
            .ok_or_else(|| {
                ApiError::internal(DOMAIN, anyhow::anyhow!("a listing without an owner"))
            })?
            .to_owned();
        if host_id == caller.user_id {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "OWN_LISTING",
                "hosts cannot book their own listings",
            )
            .into());
        }
        let quote = quote?;
        if let Some(night) = unavailable? {
            return Err(
                nights_unavailable(format!("the night of {night} cannot be booked"))
                    .with_metadata("date", night.to_string())
                    .into(),
            );
        }
        let instant = listing.booking_mode != property::BookingMode::Request as i32;
        let hold = if instant {
            self.settings.hold_duration
        } else {
            self.settings.host_response_duration
        };
        let now = now();
        let record = BookingRecord {
            id: BookingId::new(),
            property_id: new.property_id.clone(),
            guest_id: caller.user_id.clone(),
            host_id,
            check_in: new.check_in,
            check_out: new.check_out,
            guests: new.guests,
            state: State::PendingPayment,
            instant,
            total_amount: quote.total,
            currency_code: quote.currency_code.clone(),
            platform_fee: share(
                quote.total,
                i64::from(self.settings.platform_fee_basis_points),
            ),
            quote_lines: quote.lines,
            cancellation_policy: property::CancellationPolicy::try_from(
                listing.cancellation_policy,
            )
            .unwrap_or_default(),
            refund_schedule: listing.refund_schedule,
            hold_expires_at: now + hold.max(Duration::from_secs(1)),
            payment_status: PaymentStatus::Pending,
            payment_name: String::new(),
            refund: None,
            end_reason: String::new(),
            revision: 1,
            created_at: now,
            updated_at: now,
        };
        let requested = record.event(
            "booking.requested",
            &pb::BookingRequested {
                booking: Some(record.facts()),
                payment_method: new.payment_method,
                instant_book: instant,
                hold_expire_time: Some(record.hold_expires_at.into()),
            },
        );
        let created = match self
            .store
            .create(&record, new.request_id.as_deref(), requested)
            .await
        {
            Ok(created) => created,
            Err(StoreError::Conflict) => {
                // A concurrent retry of the same request created it.
                let request_id = new.request_id.as_deref().unwrap_or_default();
                self.store
                    .find_by_request(&caller.user_id, request_id)
                    .await
                    .map_err(storage_error)?
                    .ok_or_else(|| storage_error(StoreError::Conflict))?
            }
            Err(err) => return Err(storage_error(err).into()),
        };
        if created.id == record.id {
            tracing::info!(
                booking = %created.id,
                property = %created.property_id,
                nights = day_number(created.check_out) - day_number(created.check_in),
                instant,
                "nights held"
            );
        }
        Ok(Response::new(pb::CreateBookingResponse {
            booking: Some(created.to_proto()),
        }))
    }

    async fn get_booking(
        &self,
        request: Request<pb::GetBookingRequest>,
    ) -> Result<Response<pb::GetBookingResponse>, Status> {
        // The guest, the host, admins.
        let name = request.get_ref().name.clone();
        let (record, _) = self
            .for_party(&request, BookingId::from_name(&name), "name", &name)
            .await?;
        Ok(Response::new(pb::GetBookingResponse {
            booking: Some(record.to_proto()),
        }))
    }

    async fn list_bookings(
        &self,
        request: Request<pb::ListBookingsRequest>,
    ) -> Result<Response<pb::ListBookingsResponse>, Status> {
        // Guests their own; hosts their listings'; admins any.
        let caller = policy::authenticated(&request)?.clone();
        let request = request.into_inner();
        let limit = page_size(request.page_size)?;
        let admin = is_admin(&caller);
        let mut filter = ListFilter {
            limit: limit + 1,
            ..ListFilter::default()
        };
        if !request.host.is_empty() {
            let host =
                user_id(&request.host).ok_or_else(|| invalid("host", "must be `users/{user}`"))?;
            if host != caller.user_id && !admin {
                return Err(ApiError::permission_denied(DOMAIN, "host").into());
            }
            filter.host_id = Some(host.to_owned());
        }
        if !request.property.is_empty() {
            let property =
                property_id(&request.property).map_err(|why| invalid("property", why))?;
            if !admin {
                let host = match self.store.host_of(&property).await.map_err(storage_error)? {
                    Some(host) => Some(host),
                    // No bookings yet: the listing itself says who hosts it (a listing the
                    // property service does not show has no bookings to list either).
                    None => match self
                        .listings
                        .listing(&domain::property_name(&property))
                        .await
                    {
                        Ok(listing) => user_id(&listing.owner).map(str::to_owned),
                        Err(err) if err.code() == tonic::Code::NotFound => None,
                        Err(err) => return Err(err.into()),
                    },
                };
                if host.is_some_and(|host| host != caller.user_id) {
                    return Err(ApiError::permission_denied(DOMAIN, "host").into());
                }
                filter.host_id = Some(caller.user_id.clone());
            }
            filter.property_id = Some(property);
        }
        if filter.host_id.is_none() && filter.property_id.is_none() && !admin {
            filter.guest_id = Some(caller.user_id.clone());
        }
        filter.state = match pb::booking::State::try_from(request.state) {
            Ok(state) => State::from_proto(state),
            Err(_) => return Err(invalid("state", "unknown state").into()),
        };
        filter.before_id = match request.page_token.as_str() {
            "" => None,
            token => Some(
                BookingId::parse(token)
                    .map_err(|_| invalid("page_token", "not a token from this list"))?
                    .to_string(),
            ),
        };
        let mut records = self.store.list(&filter).await.map_err(storage_error)?;
        let next_page_token = if records.len() as i64 > limit {
            records.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
            records.last().map(|r| r.id.to_string()).unwrap_or_default()
        } else {
            String::new()
        };
        Ok(Response::new(pb::ListBookingsResponse {
            bookings: records.iter().map(BookingRecord::to_proto).collect(),
            next_page_token,
        }))
    }

    async fn accept_booking(
        &self,
        request: Request<pb::AcceptBookingRequest>,
    ) -> Result<Response<pb::AcceptBookingResponse>, Status> {
        // The host, admins.
        let name = request.get_ref().name.clone();
        let current = self.for_host(&request, &name).await?;
        let booking = self.transition(&current, Transition::Accept, "").await?;
        Ok(Response::new(pb::AcceptBookingResponse {
            booking: Some(booking),
        }))
    }

    async fn decline_booking(
        &self,
        request: Request<pb::DeclineBookingRequest>,
    ) -> Result<Response<pb::DeclineBookingResponse>, Status> {
        // The host, admins.
        let name = request.get_ref().name.clone();
        let current = self.for_host(&request, &name).await?;
        let reason = check_reason(&request.get_ref().reason)?.to_owned();
        let booking = self
            .transition(&current, Transition::Decline, &reason)
            .await?;
        Ok(Response::new(pb::DeclineBookingResponse {
            booking: Some(booking),
        }))
    }

    async fn cancel_booking(
        &self,
        request: Request<pb::CancelBookingRequest>,
    ) -> Result<Response<pb::CancelBookingResponse>, Status> {
        // The guest, the host, admins (who cancel as the host would: in full).
        let name = request.get_ref().name.clone();
        let (current, party) = self
            .for_party(&request, BookingId::from_name(&name), "name", &name)
            .await?;
        let reason = check_reason(&request.get_ref().reason)?.to_owned();
        let transition = match party {
            Party::Guest => Transition::CancelByGuest,
            Party::Host | Party::Admin => Transition::CancelByHost,
        };
        let booking = self.transition(&current, transition, &reason).await?;
        Ok(Response::new(pb::CancelBookingResponse {
            booking: Some(booking),
        }))
    }

    async fn check_in_booking(
        &self,
        request: Request<pb::CheckInBookingRequest>,
    ) -> Result<Response<pb::CheckInBookingResponse>, Status> {
        // The host, admins; from the check-in day on.
        let name = request.get_ref().name.clone();
        let current = self.for_host(&request, &name).await?;
        if current.state == State::Confirmed && today() < current.check_in {
            return Err(ApiError::failed_precondition(
                DOMAIN,
                "TOO_EARLY",
                format!("guests check in from {} on", current.check_in),
            )
            .into());
        }
        let booking = self.transition(&current, Transition::CheckIn, "").await?;
        Ok(Response::new(pb::CheckInBookingResponse {
            booking: Some(booking),
        }))
    }

    async fn complete_booking(
        &self,
        request: Request<pb::CompleteBookingRequest>,
    ) -> Result<Response<pb::CompleteBookingResponse>, Status> {
        // The host, admins.
        let name = request.get_ref().name.clone();
        let current = self.for_host(&request, &name).await?;
        let booking = self.transition(&current, Transition::Complete, "").await?;
        Ok(Response::new(pb::CompleteBookingResponse {
            booking: Some(booking),
        }))
    }

    async fn get_booking_saga(
        &self,
        request: Request<pb::GetBookingSagaRequest>,
    ) -> Result<Response<pb::GetBookingSagaResponse>, Status> {
        // The guest, the host, admins.
        let name = request.get_ref().name.clone();
        let (record, _) = self
            .for_party(&request, BookingId::from_saga_name(&name), "name", &name)
            .await?;
        let steps = self.store.steps(record.id).await.map_err(storage_error)?;
        Ok(Response::new(pb::GetBookingSagaResponse {
            saga: Some(pb::BookingSaga {
                name: format!("{}/saga", record.id.name()),
                state: record.state.saga_state() as i32,
                booking_state: record.state.to_proto() as i32,
                payment_status: record.payment_status.to_proto() as i32,
                steps: steps
                    .into_iter()
                    .map(|step| pb::SagaStep {
                        step: step.step,
                        time: Some(step.at.into()),
                        event_id: step.event_id,
                        detail: step.detail,
                    })
                    .collect(),
            }),
        }))
    }

    async fn get_listing_calendar_feed(
        &self,
        request: Request<pb::GetListingCalendarFeedRequest>,
    ) -> Result<Response<HttpBody>, Status> {
        // Public: the feed names no guests. The listing must exist (and be public).
        let name = request.get_ref().property.clone();
        let id = property_id(&name).map_err(|why| invalid("property", why))?;
        let name = domain::property_name(&id);
        self.listings.listing(&name).await?;
        let bookings = self
            .store
            .active_for_property(&id)
            .await
            .map_err(storage_error)?;
        Ok(Response::new(HttpBody {
            content_type: ical::CONTENT_TYPE.to_owned(),
            data: ical::feed(&name, &bookings, SystemTime::now()).into_bytes(),
            extensions: Vec::new(),
        }))
    }
}
