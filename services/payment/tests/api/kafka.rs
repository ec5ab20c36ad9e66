//! The saga participant over the real broker (skipped when `ESTOSPACES_TEST_KAFKA_BROKERS` is
//! not set).

use estospaces_kafka::{EventBus, KafkaConfig};
use estospaces_proto::payment_v1 as pb;

use crate::helpers::{Backend, Booking, publish, spawn_app_with};

#[tokio::test]
async fn booking_events_on_kafka_are_answered_with_payment_events_on_kafka() {
    let Ok(brokers) = std::env::var("ESTOSPACES_TEST_KAFKA_BROKERS") else {
        eprintln!("skipped: ESTOSPACES_TEST_KAFKA_BROKERS is not set");
        return;
    };
    let mut app = spawn_app_with(Backend::Postgres, |config| {
        config.common.kafka_brokers = Some(brokers.clone());
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
        app.wait_for_events(2).await,
        ["payment.authorized", "payment.captured"]
    );
    app.assert_ledger(&booking.host, 10_000, -1_500, -8_500)
        .await;

    // The relay publishes them to `estospaces.payment.v1`.
    let group = format!("payment-test-{}", crate::helpers::new_id());
    let mut source = bus
        .subscribe(&group, &["estospaces.payment.v1"])
        .await
        .expect("subscribed");
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    while seen.len() < 2 && tokio::time::Instant::now() < deadline {
        use estospaces_events::EventSource as _;
        let next = tokio::time::timeout(std::time::Duration::from_secs(5), source.next()).await;
        let Ok(Ok(delivery)) = next else { continue };
        let event = estospaces_events::Event::decode(&delivery.payload).expect("an envelope");
        if event.is::<pb::PaymentAuthorized>() || event.is::<pb::PaymentCaptured>() {
            let facts = if event.is::<pb::PaymentAuthorized>() {
                event
                    .payload::<pb::PaymentAuthorized>()
                    .expect("typed")
                    .payment
            } else {
                event
                    .payload::<pb::PaymentCaptured>()
                    .expect("typed")
                    .payment
            };
            if facts.is_some_and(|facts| facts.booking == format!("bookings/{}", booking.id)) {
                seen.push(event.event_type().to_owned());
            }
        }
    }
    assert_eq!(seen, ["payment.authorized", "payment.captured"]);
}
