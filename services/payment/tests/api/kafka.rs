//! The saga participant over the real broker (skipped when `ESTOSPACES_TEST_KAFKA_BROKERS` is
//! not set). The booking topic is shared with other tests, so this one reads it as its own
//! consumer group and looks only at its own booking.

use std::time::Duration;

use estospaces_events::{Event, EventSource as _};
use estospaces_kafka::{EventBus, KafkaConfig};
use estospaces_proto::payment_v1 as pb;

use crate::helpers::{Backend, Booking, TestApp, new_id, publish, spawn_app_with};

/// The booking a payment event is about.
fn booking_of(event: &Event) -> Option<String> {
    let facts = if event.is::<pb::PaymentAuthorized>() {
        event.payload::<pb::PaymentAuthorized>().ok()?.payment
    } else if event.is::<pb::PaymentCaptured>() {
        event.payload::<pb::PaymentCaptured>().ok()?.payment
    } else {
        None
    };
    facts.map(|facts| facts.booking)
}

/// The types of the outbox's events about `booking`, waiting (up to 60 s) for `count`.
async fn events_of(app: &TestApp, booking: &Booking, count: usize) -> Vec<String> {
    let name = format!("bookings/{}", booking.id);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let types: Vec<String> = app
            .events()
            .await
            .iter()
            .filter(|event| booking_of(event).as_deref() == Some(name.as_str()))
            .map(|event| event.event_type().to_owned())
            .collect();
        if types.len() >= count || tokio::time::Instant::now() > deadline {
            return types;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn booking_events_on_kafka_are_answered_with_payment_events_on_kafka() {
    let Ok(brokers) = std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS") else {
        eprintln!("skipped: ESTOSPACES_TEST_KAFKA_BROKERS is not set");
        return;
    };
    let mut app = spawn_app_with(Backend::Postgres, |config| {
        config.common.kafka_brokers = Some(brokers.clone());
        config.service.booking_events_group = format!("payment.booking-events.test-{}", new_id());
        config.service.project_events_group = format!("payment.project-events.test-{}", new_id());
    })
    .await;
    let bus = EventBus::Kafka(KafkaConfig::new(brokers.clone()));
    let booking = Booking::new();

    publish(
        &bus.sink().expect("a producer"),
        &booking,
        &[
            booking.requested("4242424242424242"),
            booking.confirmed(true),
        ],
    )
    .await;
    assert_eq!(
        events_of(&app, &booking, 2).await,
        ["payment.authorized", "payment.captured"]
    );
    // Other tests' bookings on the shared topic are paid here too: only this host's account is
    // this test's alone.
    assert_eq!(app.unbalanced_transactions().await, 0);
    assert_eq!(
        app.balance(&format!("host_payable:{}", booking.host)).await,
        -8_500
    );

    // The relay publishes them to `estospaces.payment.v1`.
    let group = format!("payment-test-{}", new_id());
    let mut source = bus
        .subscribe(&group, &["estospaces.payment.v1"])
        .await
        .expect("subscribed");
    let name = format!("bookings/{}", booking.id);
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while seen.len() < 2 && tokio::time::Instant::now() < deadline {
        let Ok(Ok(delivery)) = tokio::time::timeout(Duration::from_secs(5), source.next()).await
        else {
            continue;
        };
        let event = Event::decode(&delivery.payload).expect("an envelope");
        if booking_of(&event).as_deref() == Some(name.as_str()) {
            seen.push(event.event_type().to_owned());
        }
    }
    assert_eq!(seen, ["payment.authorized", "payment.captured"]);
}
