//! The service on Kafka: the booking and messaging services' events reach it over the broker.

use estospaces_auth::Role;
use estospaces_proto::review_v1 as pb;

use crate::helpers::*;

#[tokio::test]
async fn on_kafka_a_completed_stay_and_an_inquiry_can_be_reviewed() {
    let mut app = spawn_app_with(Backend::Postgres, true, |_| {}).await;
    let (host, listing) = app.listing().await;
    let guest = app.user();
    let booking = app.stay(&guest, &host, &listing, 1, true).await;
    let written = app
        .write(
            &guest,
            pb::Review {
                booking,
                ..review(5, "Lovely.")
            },
        )
        .await
        .expect("the stay arrived over Kafka");
    assert_eq!(written.reviewee, host.name);

    let (agent, for_sale) = app.publish(for_sale(), Role::Agent).await;
    app.inquiry(&guest, &agent, &for_sale).await;
    let written = app
        .write(
            &guest,
            pb::Review {
                listing: for_sale,
                ..review(4, "Helpful agent.")
            },
        )
        .await
        .expect("the inquiry arrived over Kafka");
    assert_eq!(written.reviewee, agent.name);
}
