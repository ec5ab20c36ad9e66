//! What the booking service needs from the property service: listings, quotes and
//! availability over gRPC, and the host's blocked nights mirrored from its events.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_grpc_tls::GrpcTlsConfig;
use estospaces_proto::property_v1 as property;
use estospaces_proto::property_v1::property_service_client::PropertyServiceClient;
use estospaces_status::{ApiError, violation};
use estospaces_telemetry::{TracedChannel, traced};
use sqlx::AnyConnection;
use time::Date;
use tonic::{Code, Status};
use tonic_types::StatusExt;

use crate::DOMAIN;
use crate::domain::{parse_date, property_id};
use crate::store::replace_blocked_nights_in;

/// The consumer group the booking service reads the property service's events as.
pub const PROPERTY_EVENTS_GROUP: &str = "booking.property-events";

/// A client of the property service. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Listings {
    client: PropertyServiceClient<TracedChannel>,
}

impl Listings {
    /// A client of the property service at `url` (over TLS when `https://`); connects on
    /// first use.
    pub fn connect_lazy(url: &str, tls: &GrpcTlsConfig) -> anyhow::Result<Self> {
        let channel = estospaces_grpc_tls::channel(url, tls)?;
        Ok(Self {
            client: PropertyServiceClient::new(traced(channel)),
        })
    }

    /// The listing `name` (public listings only: bookings are made at published ones).
    pub async fn listing(&self, name: &str) -> Result<property::Property, ApiError> {
        let response = self
            .client
            .clone()
            .get_property(property::GetPropertyRequest {
                name: name.to_owned(),
            })
            .await
            .map_err(|status| from_property(&status, name))?;
        response
            .into_inner()
            .property
            .ok_or_else(|| ApiError::internal(DOMAIN, anyhow::anyhow!("GetProperty: no listing")))
    }

    /// The property service's quote for the stay.
    pub async fn quote(
        &self,
        name: &str,
        check_in: Date,
        check_out: Date,
        guests: i32,
    ) -> Result<property::QuotePriceResponse, ApiError> {
        let response = self
            .client
            .clone()
            .quote_price(property::QuotePriceRequest {
                property: name.to_owned(),
                check_in: Some(crate::domain::to_pb_date(check_in)),
                check_out: Some(crate::domain::to_pb_date(check_out)),
                guests,
            })
            .await
            .map_err(|status| from_property(&status, name))?;
        Ok(response.into_inner())
    }

    /// The first night from `check_in` to the night before `check_out` the listing's calendar
    /// says cannot be booked, if any.
    pub async fn first_unavailable_night(
        &self,
        name: &str,
        check_in: Date,
        check_out: Date,
    ) -> Result<Option<Date>, ApiError> {
        let last = check_out.previous_day().unwrap_or(check_in);
        let response = self
            .client
            .clone()
            .get_availability(property::GetAvailabilityRequest {
                property: name.to_owned(),
                start_date: Some(crate::domain::to_pb_date(check_in)),
                end_date: Some(crate::domain::to_pb_date(last)),
            })
            .await
            .map_err(|status| from_property(&status, name))?;
        Ok(response
            .into_inner()
            .days
            .iter()
            .find(|day| day.status != property::calendar_day::Status::Available as i32)
            .and_then(|day| parse_date("date", day.date.as_ref()).ok()))
    }
}

/// The property service's refusal, as this service answers it: its field violations under
/// `booking.`, unavailable nights as `NIGHTS_UNAVAILABLE`, an unreachable service as
/// UNAVAILABLE.
fn from_property(status: &Status, name: &str) -> ApiError {
    let reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    match status.code() {
        Code::NotFound => ApiError::not_found(DOMAIN, name),
        Code::InvalidArgument => {
            let violations = status
                .get_error_details()
                .bad_request()
                .map(|bad| {
                    bad.field_violations
                        .iter()
                        .map(|v| {
                            let field = if v.field == "property" {
                                v.field.clone()
                            } else {
                                format!("booking.{}", v.field)
                            };
                            violation(field, v.description.clone())
                        })
                        .collect()
                })
                .unwrap_or_else(|| vec![violation("booking", status.message().to_owned())]);
            ApiError::invalid_argument(DOMAIN, violations)
        }
        Code::FailedPrecondition if reason == "DATES_UNAVAILABLE" => {
            nights_unavailable(status.message().to_owned())
        }
        Code::FailedPrecondition => ApiError::failed_precondition(
            DOMAIN,
            "LISTING_NOT_BOOKABLE",
            format!("the listing cannot be booked: {}", status.message()),
        ),
        _ => ApiError::unavailable(
            DOMAIN,
            anyhow::anyhow!("the property service answered {status}"),
        ),
    }
}

/// FAILED_PRECONDITION with reason `NIGHTS_UNAVAILABLE`.
pub fn nights_unavailable(message: impl Into<String>) -> ApiError {
    ApiError::failed_precondition(DOMAIN, "NIGHTS_UNAVAILABLE", message)
}

/// Mirrors the host's blocked nights from `property.calendar_changed`, in the consumer's
/// transaction; other property events are skipped. Each event carries the whole calendar, so
/// the mirror is replaced, and a redelivered or replayed event changes nothing.
#[derive(Debug, Clone, Copy)]
pub struct PropertyEventsHandler;

impl EventHandler for PropertyEventsHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<property::PropertyCalendarChanged>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        if !event.is::<property::PropertyCalendarChanged>() {
            return Ok(());
        }
        let changed = event
            .payload::<property::PropertyCalendarChanged>()
            .map_err(HandlerError::permanent)?;
        let id = property_id(&changed.property).map_err(HandlerError::permanent)?;
        let blocked: Vec<Date> = changed
            .unavailable_days
            .iter()
            .filter(|day| day.status == property::calendar_day::Status::Blocked as i32)
            .filter_map(|day| parse_date("date", day.date.as_ref()).ok())
            .collect();
        replace_blocked_nights_in(tx, &id, &blocked).await?;
        tracing::debug!(property = %id, blocked = blocked.len(), "mirrored blocked nights");
        Ok(())
    }
}
