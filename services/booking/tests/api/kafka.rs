//! The saga over the real broker (the local Kafka-protocol broker): booking events leave
//! through Kafka and the payment service's answers come back through it.

use std::time::Duration;

use estospaces_auth::Role;
use estospaces_events::Event;
use estospaces_proto::booking_v1 as pb;
use estospaces_proto::payment_v1 as payment;
use estospaces_proto::property_v1 as property;
use pb::booking::{PaymentStatus, State};

use crate::helpers::{
    Backend, Options, TestStack, authorized, in_days, payment_facts, spawn_stack_with,
};

async fn kafka_stack(configure: impl FnOnce(&mut estospaces_booking::BookingConfig)) -> TestStack {
    spawn_stack_with(
        Backend::Postgres,
        Options {
            kafka: true,
            payment: false,
            ..Options::default()
        },
        configure,
    )
    .await
}

/// Waits until the booking service's events about `booking` on Kafka have `types`, in order.
async fn wait_for_kafka_events(stack: &TestStack, booking: &pb::Booking, types: &[&str]) {
    let kafka = stack.kafka.clone().expect("on Kafka");
    let key = booking.name.trim_start_matches("bookings/").to_owned();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let records =
            estospaces_kafka::read_topic(&kafka, "estospaces.booking.v1", Duration::from_secs(1))
                .await
                .expect("the topic is readable");
        let found: Vec<String> = records
            .iter()
            .filter(|record| record.key.as_deref() == Some(key.as_str()))
            .map(|record| {
                Event::decode(&record.payload)
                    .expect("an envelope")
                    .event_type()
                    .to_owned()
            })
            .collect();
        if found == types {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "on Kafka: {found:?}, expected {types:?}"
        );
    }
}

/// On the shared broker, the payment services of other tests running at once (each reading
/// every booking event in a group of its own) may answer this test's bookings too; the
/// assertions hold whoever answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_kafka_an_authorized_booking_confirms() {
    let mut stack = kafka_stack(|_| {}).await;
    let host = stack.token(&[Role::Host]);
    let guest = stack.token(&[Role::Guest]);
    let listing = stack.listing(&host, property::BookingMode::Instant).await;

    let good = stack
        .book(&guest, &listing, in_days(20), in_days(22))
        .await
        .expect("booked");
    stack.authorize(&good).await;

    stack
        .wait_for_state(&good.name, &guest, State::Confirmed)
        .await;
    wait_for_kafka_events(&stack, &good, &["booking.requested", "booking.confirmed"]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_kafka_an_unpaid_hold_expires() {
    // A request to book: whoever authorizes it, the host never answers.
    let mut stack = kafka_stack(|config| {
        config.service.host_response_duration = Duration::from_secs(2);
    })
    .await;
    let host = stack.token(&[Role::Host]);
    let guest = stack.token(&[Role::Guest]);
    let listing = stack.listing(&host, property::BookingMode::Request).await;
    let booking = stack
        .book(&guest, &listing, in_days(20), in_days(22))
        .await
        .expect("booked");

    stack
        .wait_for_state(&booking.name, &guest, State::Expired)
        .await;
    wait_for_kafka_events(&stack, &booking, &["booking.requested", "booking.expired"]).await;
    // The payment service voids; the saga records it.
    let payment_id = uuid::Uuid::now_v7().to_string();
    stack
        .publish_payment(
            "payment.voided",
            &payment_id,
            &payment::PaymentVoided {
                payment: Some(payment_facts(&booking, &payment_id)),
            },
        )
        .await;
    stack
        .wait_for_payment(&booking.name, &guest, PaymentStatus::Voided)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_kafka_guest_and_host_cancellations_refund_per_policy() {
    let mut stack = kafka_stack(|_| {}).await;
    let host = stack.token(&[Role::Host]);
    let guest = stack.token(&[Role::Guest]);
    let listing = stack.listing(&host, property::BookingMode::Instant).await;
    let by_guest = stack
        .book(&guest, &listing, in_days(3), in_days(5))
        .await
        .expect("booked");
    let by_host = stack
        .book(&guest, &listing, in_days(10), in_days(12))
        .await
        .expect("booked");
    stack.authorize(&by_guest).await;
    stack.authorize(&by_host).await;
    stack
        .wait_for_state(&by_guest.name, &guest, State::Confirmed)
        .await;
    stack
        .wait_for_state(&by_host.name, &guest, State::Confirmed)
        .await;

    let cancel = |name: &str| pb::CancelBookingRequest {
        name: name.to_owned(),
        reason: String::new(),
    };
    let guest_refund = stack
        .bookings
        .cancel_booking(authorized(cancel(&by_guest.name), &guest))
        .await
        .expect("cancelled")
        .into_inner()
        .booking
        .and_then(|booking| booking.refund)
        .expect("a refund");
    let host_refund = stack
        .bookings
        .cancel_booking(authorized(cancel(&by_host.name), &host))
        .await
        .expect("cancelled")
        .into_inner()
        .booking
        .and_then(|booking| booking.refund)
        .expect("a refund");

    assert_eq!(
        guest_refund.amount,
        by_guest.total_amount / 2,
        "{}",
        guest_refund.explanation
    );
    assert_eq!(host_refund.amount, by_host.total_amount);
    wait_for_kafka_events(
        &stack,
        &by_guest,
        &[
            "booking.requested",
            "booking.confirmed",
            "booking.cancelled",
        ],
    )
    .await;
    wait_for_kafka_events(
        &stack,
        &by_host,
        &[
            "booking.requested",
            "booking.confirmed",
            "booking.cancelled",
        ],
    )
    .await;

    // The payment service refunds; the saga records it once.
    let payment_id = uuid::Uuid::now_v7().to_string();
    let refunded = payment::PaymentRefunded {
        payment: Some(payment_facts(&by_guest, &payment_id)),
        refunded_amount: guest_refund.amount,
        total_refunded_amount: guest_refund.amount,
    };
    let event_id = stack
        .publish_payment("payment.refunded", &payment_id, &refunded)
        .await;
    stack
        .publish_payment_as(&event_id, "payment.refunded", &payment_id, &refunded)
        .await;
    stack
        .wait_for_payment(&by_guest.name, &guest, PaymentStatus::Refunded)
        .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let refunds = stack
        .saga(&by_guest.name, &guest)
        .await
        .steps
        .iter()
        .filter(|step| step.step == "payment_refunded" && step.event_id == event_id)
        .count();
    assert_eq!(refunds, 1, "a redelivered refund is recorded once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_kafka_a_saga_resumes_after_the_booking_service_restarts() {
    let mut stack = kafka_stack(|_| {}).await;
    let host = stack.token(&[Role::Host]);
    let guest = stack.token(&[Role::Guest]);
    let listing = stack.listing(&host, property::BookingMode::Instant).await;
    let first = stack
        .book(&guest, &listing, in_days(20), in_days(22))
        .await
        .expect("booked");
    let first_authorization = stack.authorize(&first).await;
    stack
        .wait_for_state(&first.name, &guest, State::Confirmed)
        .await;
    let second = stack
        .book(&guest, &listing, in_days(25), in_days(27))
        .await
        .expect("booked");

    // The payment service answers while the booking service is down; the group's committed
    // position brings the new instance to that answer, and past the one it processed.
    stack.stop_booking().await;
    stack.authorize(&second).await;
    stack.start_booking().await;

    stack
        .wait_for_state(&second.name, &guest, State::Confirmed)
        .await;
    wait_for_kafka_events(&stack, &second, &["booking.requested", "booking.confirmed"]).await;
    let steps = stack.saga(&first.name, &guest).await.steps;
    let applied = steps
        .iter()
        .filter(|step| step.event_id == first_authorization)
        .count();
    assert!(
        applied <= 1,
        "the first authorization was not applied again: {steps:?}"
    );
    let confirmed = steps.iter().filter(|step| step.step == "confirmed").count();
    assert_eq!(confirmed, 1, "{steps:?}");
}
