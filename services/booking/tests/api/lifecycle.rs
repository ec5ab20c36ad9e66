use std::time::Duration;

use estospaces_auth::Role;
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::property_v1 as property;
use pb::booking::{PaymentStatus, State};
use tonic::Code;

use crate::helpers::{
    Options, TestStack, authorized, in_days, on_both_backends, reason, spawn_stack,
    spawn_stack_with,
};

on_both_backends! {
    async fn a_booking_holds_its_nights_at_the_quoted_price_and_asks_for_payment(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let (guest, guest_name) = stack.user(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;

        let booking = stack.book(&guest, &listing, in_days(30), in_days(33)).await.expect("booked");

        // 3 nights at 100.00, cleaning 50.00, 10 % tax: 385.00.
        assert_eq!(booking.state, State::PendingPayment as i32);
        assert_eq!(booking.total_amount, 38_500);
        assert_eq!(booking.currency_code, "EUR");
        assert_eq!(booking.platform_fee, 38_500 * 1_200 / 10_000);
        assert_eq!(booking.guest, guest_name);
        assert_eq!(booking.property, listing);
        assert!(!booking.quote_lines.is_empty(), "the quote is locked into the booking");
        assert_eq!(booking.refund_schedule.len(), 3, "the moderate policy's schedule");
        assert_eq!(booking.payment_status, PaymentStatus::Pending as i32);

        let events = stack.events().await;
        let requested: pb::BookingRequested = events
            .last()
            .expect("an event")
            .payload()
            .expect("a BookingRequested");
        assert_eq!(requested.payment_method, crate::helpers::GOOD_CARD);
        assert!(requested.instant_book);
        let facts = requested.booking.expect("facts");
        assert_eq!(facts.total_amount, 38_500);
        assert!(facts.host.starts_with("users/"));
        assert_eq!(stack.steps(&booking.name, &guest).await, ["hold_placed"]);
    }

    async fn a_payment_authorization_confirms_an_instant_booking_once(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        let event_id = stack.authorize(&booking).await;
        let confirmed = stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;

        assert_eq!(confirmed.payment_status, PaymentStatus::Authorized as i32);
        assert!(confirmed.payment.starts_with("payments/"));
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.confirmed"]
        );
        let saga = stack.saga(&booking.name, &guest).await;
        assert_eq!(saga.state, pb::booking_saga::State::Succeeded as i32);
        let steps: Vec<(&str, &str)> = saga.steps.iter().map(|s| (s.step.as_str(), s.event_id.as_str())).collect();
        assert_eq!(steps.len(), 3);
        assert_eq!(steps[1], ("payment_authorized", event_id.as_str()));
        assert_eq!(steps[2].0, "confirmed");

        // The same event again (a redelivery) changes nothing.
        let payment_id = confirmed.payment.trim_start_matches("payments/").to_owned();
        stack
            .publish_payment_as(
                &event_id,
                "payment.authorized",
                &payment_id,
                &estospaces_proto::payment_v1::PaymentAuthorized {
                    payment: Some(crate::helpers::payment_facts(&booking, &payment_id)),
                },
            )
            .await;
        // A later event proves the redelivery was consumed before it.
        stack
            .publish_payment(
                "payment.captured",
                &payment_id,
                &estospaces_proto::payment_v1::PaymentCaptured {
                    payment: Some(crate::helpers::payment_facts(&booking, &payment_id)),
                    captured_amount: booking.total_amount,
                },
            )
            .await;
        stack.wait_for_payment(&booking.name, &guest, PaymentStatus::Captured).await;
        assert_eq!(
            stack.steps(&booking.name, &guest).await,
            ["hold_placed", "payment_authorized", "confirmed", "payment_captured"]
        );
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.confirmed"]
        );
        let confirmed: pb::BookingConfirmed = stack.events().await.last().expect("an event").payload().expect("a BookingConfirmed");
        assert!(confirmed.capture_now, "captured at confirmation by default");
    }

    async fn a_payment_event_for_a_reservations_deposit_changes_no_booking_and_is_not_dead_lettered(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");
        stack.authorize(&booking).await;
        let confirmed = stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;

        // The payment service's events about a deposit name a reservation and no booking.
        let deposit_id = uuid::Uuid::now_v7().to_string();
        let deposit = estospaces_proto::payment_v1::PaymentFacts {
            payment: format!("payments/{deposit_id}"),
            booking: String::new(),
            payer: booking.guest.clone(),
            amount: 5_000,
            currency_code: "EUR".to_owned(),
            reservation: format!("projects/{}/reservations/{deposit_id}", uuid::Uuid::now_v7()),
        };
        stack
            .publish_payment(
                "payment.failed",
                &deposit_id,
                &estospaces_proto::payment_v1::PaymentFailed {
                    payment: Some(deposit.clone()),
                    failure_code: "capture_failed".to_owned(),
                    failure_message: "no payment".to_owned(),
                },
            )
            .await;
        stack
            .publish_payment(
                "payment.refunded",
                &deposit_id,
                &estospaces_proto::payment_v1::PaymentRefunded {
                    payment: Some(deposit),
                    refunded_amount: 5_000,
                    total_refunded_amount: 5_000,
                },
            )
            .await;
        // A later event about the booking proves the deposit's were consumed before it.
        let payment_id = confirmed.payment.trim_start_matches("payments/").to_owned();
        stack
            .publish_payment(
                "payment.captured",
                &payment_id,
                &estospaces_proto::payment_v1::PaymentCaptured {
                    payment: Some(crate::helpers::payment_facts(&booking, &payment_id)),
                    captured_amount: booking.total_amount,
                },
            )
            .await;
        stack.wait_for_payment(&booking.name, &guest, PaymentStatus::Captured).await;

        assert_eq!(
            stack.steps(&booking.name, &guest).await,
            ["hold_placed", "payment_authorized", "confirmed", "payment_captured"]
        );
        assert_eq!(stack.get(&booking.name, &guest).await.state, State::Confirmed as i32);
        let log = stack.log.as_ref().expect("the embedded event log");
        let dead_letters = log
            .count_after("estospaces.dlq.booking.payment-events", 0)
            .await
            .expect("the dead-letter topic is readable");
        assert_eq!(dead_letters, 0);
    }

    async fn a_request_to_book_waits_for_the_host_who_accepts_it(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Request).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");
        let hold = booking.hold_expire_time.expect("a hold");
        let created = booking.create_time.expect("a create time");
        assert!(hold.seconds - created.seconds >= 23 * 3600, "the host has a day");

        stack.authorize(&booking).await;
        stack.wait_for_state(&booking.name, &guest, State::AwaitingHost).await;
        let accepted = stack
            .bookings
            .accept_booking(authorized(pb::AcceptBookingRequest { name: booking.name.clone() }, &host))
            .await
            .expect("the host accepts")
            .into_inner()
            .booking
            .expect("a booking");

        assert_eq!(accepted.state, State::Confirmed as i32);
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.confirmed"]
        );
        assert_eq!(
            stack.steps(&booking.name, &guest).await,
            ["hold_placed", "payment_authorized", "awaiting_host", "confirmed"]
        );
    }

    async fn a_declined_request_frees_its_nights_and_releases_payment(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Request).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");
        stack.authorize(&booking).await;
        stack.wait_for_state(&booking.name, &guest, State::AwaitingHost).await;

        let declined = stack
            .bookings
            .decline_booking(authorized(
                pb::DeclineBookingRequest { name: booking.name.clone(), reason: "Closed for works".to_owned() },
                &host,
            ))
            .await
            .expect("the host declines")
            .into_inner()
            .booking
            .expect("a booking");

        assert_eq!(declined.state, State::Declined as i32);
        assert!(declined.end_reason.contains("Closed for works"));
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.declined"]
        );
        let other = stack.token(&[Role::Guest]);
        stack.book(&other, &listing, in_days(30), in_days(32)).await.expect("the nights are free again");
    }

    async fn a_declined_card_fails_the_booking_and_frees_its_nights(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        stack.decline_card(&booking).await;
        let failed = stack.wait_for_state(&booking.name, &guest, State::PaymentFailed).await;

        assert_eq!(failed.payment_status, PaymentStatus::Failed as i32);
        assert!(failed.end_reason.contains("card_declined"), "{}", failed.end_reason);
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.payment_failed"]
        );
        let saga = stack.saga(&booking.name, &guest).await;
        assert_eq!(saga.state, pb::booking_saga::State::Compensated as i32);
        stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("the nights are free again");
    }

    async fn a_capture_refused_for_good_after_confirmation_fails_the_booking_and_frees_its_nights(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");
        stack.authorize(&booking).await;
        let confirmed = stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;
        let payment_id = confirmed.payment.trim_start_matches("payments/").to_owned();

        stack.refuse_capture(&booking, &payment_id).await;
        let failed = stack.wait_for_state(&booking.name, &guest, State::PaymentFailed).await;

        assert_eq!(failed.payment_status, PaymentStatus::Failed as i32);
        assert!(failed.end_reason.contains("capture_failed"), "{}", failed.end_reason);
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.confirmed", "booking.payment_failed"],
            "guest and host hear of it"
        );
        // The nights are free again (in the listing's calendar once property took the event).
        let other = stack.token(&[Role::Guest]);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        while let Err(status) = stack.book(&other, &listing, in_days(30), in_days(32)).await {
            assert_eq!(status.code(), Code::FailedPrecondition, "{status:?}");
            assert!(tokio::time::Instant::now() < deadline, "the nights never became free");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn an_unpaid_hold_expires_and_frees_its_nights(backend: Backend) {
        let mut stack = spawn_stack_with(backend, Options::default(), |config| {
            config.service.hold_duration = Duration::from_millis(300);
        })
        .await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        let expired = stack.wait_for_state(&booking.name, &guest, State::Expired).await;

        assert!(expired.end_reason.contains("hold lapsed"), "{}", expired.end_reason);
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.expired"]
        );
        // A late authorization is recorded but does not revive the booking.
        stack.authorize(&booking).await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        while !stack.steps(&booking.name, &guest).await.contains(&"payment_authorized_late".to_owned()) {
            assert!(tokio::time::Instant::now() < deadline, "the late authorization was never recorded");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(stack.get(&booking.name, &guest).await.state, State::Expired as i32);
        stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("the nights are free again");
    }

    async fn retrying_a_create_with_its_request_id_returns_the_first_booking(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let mut request = TestStack::request(&listing, in_days(30), in_days(32));
        request.request_id = uuid::Uuid::new_v4().to_string();

        let first = stack.bookings.create_booking(authorized(request.clone(), &guest)).await.expect("booked").into_inner();
        let again = stack.bookings.create_booking(authorized(request, &guest)).await.expect("the same").into_inner();

        assert_eq!(first.booking.expect("a booking").name, again.booking.expect("a booking").name);
        assert_eq!(stack.events().await.len(), 1, "one booking.requested");
    }

    async fn overlapping_nights_are_refused_and_adjacent_ones_are_not(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let other = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        stack.book(&guest, &listing, in_days(30), in_days(33)).await.expect("booked");

        let status = stack.book(&other, &listing, in_days(32), in_days(35)).await.expect_err("overlaps");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "NIGHTS_UNAVAILABLE");

        // Departure day is the next guest's arrival day.
        stack.book(&other, &listing, in_days(33), in_days(35)).await.expect("adjacent nights");
        stack.book(&other, &listing, in_days(27), in_days(30)).await.expect("adjacent nights");
    }

    async fn invalid_requests_name_their_fields(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let guest = stack.token(&[Role::Guest]);
        let mut request = TestStack::request("houses/1", in_days(-3), in_days(-5));
        request.payment_method = String::new();
        request.booking.as_mut().expect("a booking").guests = 0;

        let status = stack.bookings.create_booking(authorized(request, &guest)).await.expect_err("invalid");

        assert_eq!(status.code(), Code::InvalidArgument);
        let fields = crate::helpers::bad_fields(&status);
        for field in ["booking.property", "booking.check_out", "booking.guests", "payment_method"] {
            assert!(fields.contains(&field.to_owned()), "{field} in {fields:?}");
        }
    }
}

on_both_backends! {
    async fn a_saga_interrupted_by_a_restart_resumes_where_it_stopped(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        // The payment service answers while the booking service is down.
        stack.stop_booking().await;
        stack.authorize(&booking).await;
        stack.start_booking().await;

        stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;
        assert_eq!(
            stack.event_types(&booking).await,
            ["booking.requested", "booking.confirmed"]
        );
    }
}

on_both_backends! {
    async fn a_request_whose_payment_never_answers_times_out_and_compensates(backend: Backend) {
        let mut stack = spawn_stack_with(backend, Options::default(), |config| {
            config.service.saga_timeout = Duration::from_millis(300);
        })
        .await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Request).await;
        // The host would have a day, but payment never answers.
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        let expired = stack.wait_for_state(&booking.name, &guest, State::Expired).await;

        assert!(expired.end_reason.contains("timed out"), "{}", expired.end_reason);
        let event: pb::BookingExpired = stack.events().await.last().expect("an event").payload().expect("a BookingExpired");
        assert!(event.reason.contains("timed out"));
    }

    async fn a_confirmed_booking_whose_capture_never_comes_is_counted_as_stuck(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");
        stack.authorize(&booking).await;
        stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;
        let timer = |saga_timeout| {
            estospaces_booking::timer::Timer::new(
                estospaces_booking::store::BookingStore::new(stack.database.database.clone()),
                &estospaces_booking::BookingSettings {
                    saga_timeout,
                    auto_stay_transitions: false,
                    ..Default::default()
                },
            )
        };

        let within = timer(Duration::from_secs(3600)).tick().await.expect("a tick");
        assert_eq!(within.stuck, 0, "within the saga timeout the capture may still come");
        tokio::time::sleep(Duration::from_millis(50)).await;
        let past = timer(Duration::from_millis(10)).tick().await.expect("a tick");
        assert_eq!(past.stuck, 1, "no capture came for the confirmed booking");
    }

    async fn with_capture_at_check_in_confirmation_does_not_capture(backend: Backend) {
        let mut stack = spawn_stack_with(backend, Options::default(), |config| {
            config.service.capture_at = estospaces_booking::CaptureAt::CheckIn;
        })
        .await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let booking = stack.book(&guest, &listing, in_days(30), in_days(32)).await.expect("booked");

        stack.authorize(&booking).await;
        stack.wait_for_state(&booking.name, &guest, State::Confirmed).await;

        let confirmed: pb::BookingConfirmed = stack.events().await.last().expect("an event").payload().expect("a BookingConfirmed");
        assert!(!confirmed.capture_now);
        assert_eq!(confirmed.booking.expect("facts").total_amount, booking.total_amount);
    }
}

on_both_backends! {
    async fn the_listings_own_rules_refuse_a_stay_with_the_fields_named(backend: Backend) {
        let mut stack = spawn_stack(backend).await;
        let host = stack.token(&[Role::Host]);
        let guest = stack.token(&[Role::Guest]);
        let listing = stack.listing(&host, property::BookingMode::Instant).await;
        let mut request = TestStack::request(&listing, in_days(30), in_days(32));
        request.booking.as_mut().expect("a booking").guests = 9;

        let status = stack.bookings.create_booking(authorized(request, &guest)).await.expect_err("too many guests");
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(crate::helpers::bad_fields(&status), ["booking.guests"]);

        let status = stack.book(&host, &listing, in_days(30), in_days(32)).await.expect_err("their own listing");
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(&status), "OWN_LISTING");

        let status = stack
            .bookings
            .create_booking(TestStack::request(&listing, in_days(30), in_days(32)))
            .await
            .expect_err("anonymous");
        assert_eq!(status.code(), Code::Unauthenticated);

        let missing = format!("properties/{}", uuid::Uuid::now_v7());
        let status = stack.book(&guest, &missing, in_days(30), in_days(32)).await.expect_err("no such listing");
        assert_eq!(status.code(), Code::NotFound);
        assert!(stack.events().await.is_empty(), "nothing was held");
    }
}
