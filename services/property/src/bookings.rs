//! Booked nights. The booking service does not exist yet: these handlers take the minimal facts
//! a `booking.confirmed` / `booking.cancelled` event will carry, so a consumer can call them
//! once that topic exists. Each marks the calendar and records `property.calendar_changed` in
//! one transaction.

use time::Date;

use crate::domain::PropertyId;
use crate::service::calendar_event;
use crate::store::{CalendarChange, PropertyStore, StoreError};

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
    let Some(last) = booking.check_out.previous_day() else {
        return Ok(());
    };
    if last < booking.check_in {
        return Ok(());
    }
    let Some(record) = store.find(booking.property).await? else {
        return Ok(());
    };
    store
        .change_calendar(
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

/// Opens the nights of a cancelled booking.
pub async fn on_booking_cancelled(
    store: &PropertyStore,
    booking: &BookingCancelled,
) -> Result<(), StoreError> {
    let Some(record) = store.find(booking.property).await? else {
        return Ok(());
    };
    // The booking's own nights are opened, found by its id; the range goes unused.
    store
        .change_calendar(
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
