//! Booked nights, from the booking service's events.
//!
//! [`BookingEventsHandler`] consumes `estospaces.booking.v1` as the group
//! `property.booking-events`: `booking.confirmed` marks the booking's nights booked and
//! `booking.cancelled` opens them again, as does `booking.payment_failed` (a confirmed booking
//! whose capture was refused), each with `property.calendar_changed` recorded in the consumer's
//! transaction (so the inbox record, the calendar and the event commit together). Nights of
//! bookings that expired or were declined were never marked here: only confirmed bookings book
//! nights in the listing's calendar.

use estospaces_events::{Event, EventHandler, HandlerError};
use estospaces_proto::booking_v1 as booking;
use sqlx::AnyConnection;
use time::Date;

use crate::domain::{PropertyId, parse_date};
use crate::service::calendar_event;
use crate::store::{CalendarChange, PropertyStore, StoreError, change_calendar_in, find_in};

/// The consumer group property reads the booking service's events as.
pub const CONSUMER_GROUP: &str = "property.booking-events";

/// A confirmed booking of the nights `check_in` to `check_out` (exclusive).
#[derive(Debug, Clone)]
pub struct BookingConfirmed {
    pub booking_id: String,
    pub property: PropertyId,
    pub check_in: Date,
    pub check_out: Date,
}

/// A cancelled booking; its nights open again.
#[derive(Debug, Clone)]
pub struct BookingCancelled {
    pub booking_id: String,
    pub property: PropertyId,
}

/// Marks the booking's nights booked (blocked nights included: the booking wins). A booking of
/// a listing that no longer exists changes nothing.
pub async fn on_booking_confirmed(
    store: &PropertyStore,
    booking: &BookingConfirmed,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_booking_confirmed_in(&mut tx, booking).await?;
    tx.commit().await?;
    Ok(())
}

/// Opens the nights of a cancelled booking.
pub async fn on_booking_cancelled(
    store: &PropertyStore,
    booking: &BookingCancelled,
) -> Result<(), StoreError> {
    let mut tx = store.begin().await?;
    on_booking_cancelled_in(&mut tx, booking).await?;
    tx.commit().await?;
    Ok(())
}

/// [`on_booking_confirmed`] in the caller's transaction.
pub async fn on_booking_confirmed_in(
    conn: &mut AnyConnection,
    booking: &BookingConfirmed,
) -> Result<(), StoreError> {
    let Some(last) = booking.check_out.previous_day() else {
        return Ok(());
    };
    if last < booking.check_in {
        return Ok(());
    }
    let Some(record) = find_in(conn, booking.property).await? else {
        return Ok(());
    };
    change_calendar_in(
        conn,
        booking.property,
        booking.check_in,
        last,
        CalendarChange::Book {
            booking_id: &booking.booking_id,
        },
        |calendar| calendar_event(&record, calendar),
    )
    .await
}

/// [`on_booking_cancelled`] in the caller's transaction.
pub async fn on_booking_cancelled_in(
    conn: &mut AnyConnection,
    booking: &BookingCancelled,
) -> Result<(), StoreError> {
    let Some(record) = find_in(conn, booking.property).await? else {
        return Ok(());
    };
    // The booking's own nights are opened, found by its id; the range goes unused.
    change_calendar_in(
        conn,
        booking.property,
        Date::MIN,
        Date::MIN,
        CalendarChange::CancelBooking {
            booking_id: &booking.booking_id,
        },
        |calendar| calendar_event(&record, calendar),
    )
    .await
}

/// Dispatches the booking service's events to the handlers above; other event types are
/// skipped. Redelivery changes nothing: the consumer's inbox skips processed events, and
/// marking booked nights booked (or opening a cancelled booking's nights) twice is the same as
/// once.
#[derive(Debug, Clone, Copy)]
pub struct BookingEventsHandler;

impl EventHandler for BookingEventsHandler {
    fn wants(&self, event: &Event) -> bool {
        event.is::<booking::BookingConfirmed>()
            || event.is::<booking::BookingCancelled>()
            || event.is::<booking::BookingPaymentFailed>()
    }

    async fn handle(&self, tx: &mut AnyConnection, event: &Event) -> Result<(), HandlerError> {
        let result = if event.is::<booking::BookingConfirmed>() {
            let confirmed = event
                .payload::<booking::BookingConfirmed>()
                .map_err(HandlerError::permanent)?;
            let facts = confirmed.booking.unwrap_or_default();
            let (booking_id, property) = ids(&facts)?;
            let check_in = parse_date("check_in", facts.check_in.as_ref())
                .map_err(|_| HandlerError::permanent("booking.confirmed without a check-in"))?;
            let check_out = parse_date("check_out", facts.check_out.as_ref())
                .map_err(|_| HandlerError::permanent("booking.confirmed without a check-out"))?;
            on_booking_confirmed_in(
                tx,
                &BookingConfirmed {
                    booking_id,
                    property,
                    check_in,
                    check_out,
                },
            )
            .await
        } else if event.is::<booking::BookingCancelled>()
            || event.is::<booking::BookingPaymentFailed>()
        {
            // A confirmed booking ends by cancellation, or when its payment cannot be captured;
            // a booking that fails before confirmation booked no nights here (a no-op).
            let facts = if event.is::<booking::BookingCancelled>() {
                event
                    .payload::<booking::BookingCancelled>()
                    .map_err(HandlerError::permanent)?
                    .booking
            } else {
                event
                    .payload::<booking::BookingPaymentFailed>()
                    .map_err(HandlerError::permanent)?
                    .booking
            };
            let (booking_id, property) = ids(&facts.unwrap_or_default())?;
            on_booking_cancelled_in(
                tx,
                &BookingCancelled {
                    booking_id,
                    property,
                },
            )
            .await
        } else {
            return Ok(());
        };
        result.map_err(|err| match err {
            StoreError::Conflict => HandlerError::transient(err),
            StoreError::Database(_) => HandlerError::transient(err),
        })
    }
}

/// The booking's id (the `{booking}` of `bookings/{booking}`) and listing of an event.
fn ids(facts: &booking::BookingFacts) -> Result<(String, PropertyId), HandlerError> {
    let booking_id = facts
        .booking
        .strip_prefix("bookings/")
        .filter(|id| !id.is_empty())
        .ok_or_else(|| HandlerError::permanent(format!("not a booking: {:?}", facts.booking)))?;
    let property = PropertyId::from_name(&facts.property).map_err(HandlerError::permanent)?;
    Ok((booking_id.to_owned(), property))
}
