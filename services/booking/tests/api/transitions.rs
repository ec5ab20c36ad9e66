use estospaces_auth::Role;
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::property_v1 as property;
use pb::booking::State;
use tonic::Code;

use crate::helpers::{
    Options, authorized, in_days, on_both_backends, reason, spawn_stack, spawn_stack_with,
};

on_both_backends! {
    async fn illegal_transitions_fail_with_failed_precondition(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(0), in_days(2)).await.expect("booked");
        let name = booking.name.clone();

        // Pending payment: no check-in, no completion, no acceptance of an instant booking.
        let status = stack
            .bookings
            .check_in_booking(authorized(pb::CheckInBookingRequest { name: name.clone() }, &host))
            .await
            .expect_err("not confirmed");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "INVALID_STATE_TRANSITION");
        let status = stack
            .bookings
            .accept_booking(authorized(pb::AcceptBookingRequest { name: name.clone() }, &host))
            .await
            .expect_err("not awaiting the host");
        assert_eq!(status.code(), Code::FailedPrecondition);

        stack.authorize(&booking).await;
        stack.wait_for_state(&name, &guest, State::Confirmed).await;
        let status = stack
            .bookings
            .complete_booking(authorized(pb::CompleteBookingRequest { name: name.clone() }, &host))
            .await
            .expect_err("not checked in");
        assert_eq!(status.code(), Code::FailedPrecondition);
        let status = stack
            .bookings
            .decline_booking(authorized(pb::DeclineBookingRequest { name: name.clone(), reason: String::new() }, &host))
            .await
            .expect_err("confirmed bookings are cancelled, not declined");
        assert_eq!(status.code(), Code::FailedPrecondition);

        // Confirmed → checked in → completed, by the host, from the check-in day.
        let checked_in = stack
            .bookings
            .check_in_booking(authorized(pb::CheckInBookingRequest { name: name.clone() }, &host))
            .await
            .expect("checked in")
            .into_inner()
            .booking
            .expect("a booking");
        assert_eq!(checked_in.state, State::CheckedIn as i32);
        let status = stack
            .bookings
            .cancel_booking(authorized(pb::CancelBookingRequest { name: name.clone(), reason: String::new() }, &guest))
            .await
            .expect_err("the stay has begun");
        assert_eq!(status.code(), Code::FailedPrecondition);
        let completed = stack
            .bookings
            .complete_booking(authorized(pb::CompleteBookingRequest { name: name.clone() }, &host))
            .await
            .expect("completed")
            .into_inner()
            .booking
            .expect("a booking");
        assert_eq!(completed.state, State::Completed as i32);
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.confirmed", "booking.checked_in", "booking.completed"]
        );
    }

    async fn a_guest_cannot_check_in_before_the_check_in_day(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(5), in_days(7)).await.expect("booked");
        stack.authorize(&booking).await;
        stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;

        let status = stack
            .bookings
            .check_in_booking(authorized(pb::CheckInBookingRequest { name: booking.name.clone() }, &host))
            .await
            .expect_err("too early");

        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "TOO_EARLY");
    }

    async fn the_timer_checks_guests_in_on_their_check_in_day(backend: Backend) {
        let mut stack = spawn_stack_with(backend, Options::default(), |config| {
            config.service.auto_stay_transitions = true;
        })
        .await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let today = stack.book(&guest, &listing, in_days(0), in_days(1)).await.expect("booked");
        let later = stack.book(&guest, &listing, in_days(3), in_days(4)).await.expect("booked");
        stack.authorize(&today).await;
        stack.authorize(&later).await;

        stack.wait_for_state(&today.name, &guest, State::CheckedIn).await;
        stack.wait_for_state(&later.name, &guest, State::Confirmed).await;
        let types = stack.event_types(&today).await;
        assert_eq!(types.last().map(String::as_str), Some("booking.checked_in"));
    }
}
