//! The booking service's events reach the listing's calendar through the consumer property runs
//! at startup (`property.booking-events` on `estospaces.booking.v1`).

use std::time::Duration;

use estospaces_auth::Role;
use estospaces_events::EventLog;
use estospaces_proto::booking_v1 as booking;
use estospaces_proto::property_v1 as pb;
use pb::calendar_day::Status;

use crate::helpers::{TestApp, date, on_both_backends, spawn_app};

/// Publishes a `booking.*` event into the app's embedded event log, as the booking service's
/// relay would.
async fn publish<P: prost::Name>(
    log: &EventLog,
    event_id: &str,
    event_type: &str,
    booking_id: &str,
    payload: &P,
) {
    crate::helpers::publish(log, "booking", event_id, event_type, booking_id, payload).await;
}

/// Waits until the nights of 10 and 11 June 2027 have `status`.
async fn wait_for(app: &TestApp, listing: &str, status: Status) {
    let mut client = app.client.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let days = client
            .get_availability(pb::GetAvailabilityRequest {
                property: listing.to_owned(),
                start_date: Some(date(2027, 6, 10)),
                end_date: Some(date(2027, 6, 11)),
            })
            .await
            .expect("public")
            .into_inner()
            .days;
        if days.iter().all(|day| day.status == status as i32) {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the nights never became {status:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_backends! {
    async fn a_confirmed_booking_books_its_nights_and_its_cancellation_frees_them(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;
        let log = EventLog::open(&app.data_dir.path().join("events.db"))
            .await
            .expect("the app's event log");
        let booking_id = uuid::Uuid::now_v7().to_string();
        let facts = booking::BookingFacts {
            booking: format!("bookings/{booking_id}"),
            property: listing.name.clone(),
            check_in: Some(date(2027, 6, 10)),
            check_out: Some(date(2027, 6, 12)),
            ..booking::BookingFacts::default()
        };
        let confirmed = booking::BookingConfirmed { booking: Some(facts.clone()), capture_now: true };
        let confirmed_id = uuid::Uuid::now_v7().to_string();

        publish(&log, &confirmed_id, "booking.confirmed", &booking_id, &confirmed).await;
        wait_for(&app, &listing.name, Status::Booked).await;

        // A redelivered confirmation changes nothing; the cancellation frees the nights.
        publish(&log, &confirmed_id, "booking.confirmed", &booking_id, &confirmed).await;
        let cancelled = booking::BookingCancelled {
            booking: Some(facts),
            cancelled_by: booking::booking_cancelled::CancelledBy::Guest as i32,
            ..booking::BookingCancelled::default()
        };
        publish(&log, &uuid::Uuid::now_v7().to_string(), "booking.cancelled", &booking_id, &cancelled).await;
        wait_for(&app, &listing.name, Status::Available).await;

        let changes = app
            .event_types()
            .await
            .iter()
            .filter(|kind| *kind == "property.calendar_changed")
            .count();
        assert_eq!(changes, 2, "one calendar change per booking event, none for the redelivery");
    }
}
