//! The service on Kafka: the booking service's events reach the thread over the broker.

use estospaces_proto::booking_v1 as booking;

use crate::helpers::*;

#[tokio::test]
async fn on_kafka_a_confirmed_booking_is_written_into_the_thread() {
    let mut app = spawn_app_with(Backend::Postgres, true, |_| {}).await;
    let (guest, host, conversation) = app.conversation().await;
    let (id, facts) = TestApp::booking_facts(&guest, &host, &conversation.listing);
    app.publish_booking(
        "booking.confirmed",
        &id,
        &booking::BookingConfirmed {
            booking: Some(facts),
            capture_now: true,
        },
    )
    .await;
    let system = app
        .wait_for_message(&guest, &conversation.name, |m| {
            m.system_event == "booking.confirmed"
        })
        .await;
    assert!(
        system.text.starts_with("Booking confirmed."),
        "{}",
        system.text
    );
}
