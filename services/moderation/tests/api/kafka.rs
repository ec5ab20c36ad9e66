//! The service on Kafka: property's events reach it, and its own reach property, over the
//! broker.

use estospaces_proto::moderation_v1 as pb;

use crate::helpers::*;

#[tokio::test]
async fn on_kafka_a_listing_sent_for_review_is_queued_and_a_dismissal_publishes_it() {
    let mut app = spawn_app_with(Backend::Postgres, true, "all").await;
    let (host, listing) = app.publish(short_stay("Two rooms and a balcony.")).await;
    let case = app.case_about(&listing.name).await;
    assert_eq!(case.origin, pb::case::Origin::ListingReview as i32);
    app.decide(
        &app.moderator(),
        &case.name,
        pb::Decision::Dismiss,
        "Looks right.",
    )
    .await
    .expect("approved");
    let published = app.listing(&host, &listing.name).await;
    assert_eq!(
        published.state,
        estospaces_proto::property_v1::property::State::Published as i32
    );
}
