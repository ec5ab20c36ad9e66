use estospaces_auth::Role;
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::property_v1 as property;
use pb::booking::State;

use crate::helpers::{TestStack, authorized, in_days, on_both_backends, spawn_stack};

/// A confirmed booking of `listing` checking in `days` from today, and the guest's token.
async fn confirmed(stack: &mut TestStack, listing: &str, days: i64) -> (pb::Booking, String) {
    let guest = stack.token(&[Role::Guest]);
    let booking = stack
        .book(&guest, listing, in_days(days), in_days(days + 2))
        .await
        .expect("booked");
    stack.authorize(&booking).await;
    stack
        .wait_for_state(&booking.name, &guest, State::Confirmed)
        .await;
    (booking, guest)
}

async fn cancel(stack: &mut TestStack, name: &str, token: &str) -> pb::Booking {
    stack
        .bookings
        .cancel_booking(authorized(
            pb::CancelBookingRequest {
                name: name.to_owned(),
                reason: "Plans changed".to_owned(),
            },
            token,
        ))
        .await
        .expect("cancelled")
        .into_inner()
        .booking
        .expect("a booking")
}

on_both_backends! {
    async fn a_guest_cancelling_three_days_ahead_gets_half_back_under_a_moderate_policy(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let (booking, guest) = confirmed(&mut stack, &listing, 3).await;

        let cancelled = cancel(&mut stack, &booking.name, &guest).await;

        assert_eq!(cancelled.state, State::CancelledByGuest as i32);
        let refund = cancelled.refund.expect("a refund");
        assert_eq!(refund.refund_basis_points, 5_000);
        assert_eq!(refund.amount, booking.total_amount / 2);
        assert_eq!(refund.days_before_check_in, 3);
        assert!(refund.explanation.contains("3 days before check-in"), "{}", refund.explanation);
        assert!(refund.explanation.contains("moderate policy refunds 50%"), "{}", refund.explanation);
        let event: pb::BookingCancelled = stack.events().await.last().expect("an event").payload().expect("a BookingCancelled");
        assert_eq!(event.refund_amount, refund.amount);
        assert_eq!(event.cancelled_by, pb::booking_cancelled::CancelledBy::Guest as i32);
        assert_eq!(event.refund_explanation, refund.explanation);
        assert_eq!(
            stack.steps(&booking.name, &guest).await.last().map(String::as_str),
            Some("cancelled")
        );
        // The nights are free again (in the listing's calendar once property took the event).
        let other = stack.token(&[Role::Guest]);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
        while let Err(status) = stack.book(&other, &listing, in_days(3), in_days(5)).await {
            assert_eq!(status.code(), tonic::Code::FailedPrecondition, "{status:?}");
            assert!(tokio::time::Instant::now() < deadline, "the nights never became free");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }

    async fn a_guest_cancelling_well_ahead_gets_everything_back_and_on_the_day_nothing(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let (early, guest) = confirmed(&mut stack, &listing, 10).await;
        let (late, late_guest) = confirmed(&mut stack, &listing, 0).await;

        let early = cancel(&mut stack, &early.name, &guest).await.refund.expect("a refund");
        let late = cancel(&mut stack, &late.name, &late_guest).await.refund.expect("a refund");

        assert_eq!(early.refund_basis_points, 10_000);
        assert!(early.explanation.contains("100%"), "{}", early.explanation);
        assert_eq!(late.amount, 0);
        assert!(late.explanation.contains("on the day of check-in"), "{}", late.explanation);
    }

    async fn a_host_cancellation_refunds_the_guest_in_full(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let (booking, _) = confirmed(&mut stack, &listing, 1).await;

        let cancelled = cancel(&mut stack, &booking.name, &host).await;

        assert_eq!(cancelled.state, State::CancelledByHost as i32);
        let refund = cancelled.refund.expect("a refund");
        assert_eq!(refund.amount, booking.total_amount);
        assert!(refund.explanation.contains("host cancelled"), "{}", refund.explanation);
        let event: pb::BookingCancelled = stack.events().await.last().expect("an event").payload().expect("a BookingCancelled");
        assert_eq!(event.cancelled_by, pb::booking_cancelled::CancelledBy::Host as i32);
    }

    async fn cancelling_before_confirmation_charges_nothing(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Request).await;
        let booking = stack.book(&guest, &listing, in_days(2), in_days(4)).await.expect("booked");

        let cancelled = cancel(&mut stack, &booking.name, &guest).await;

        let refund = cancelled.refund.expect("a refund");
        assert_eq!(refund.amount, booking.total_amount);
        assert!(refund.explanation.contains("nothing is charged"), "{}", refund.explanation);
    }
}
