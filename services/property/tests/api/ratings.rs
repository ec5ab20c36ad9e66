//! The review service's rating summaries reach the listing through the consumer property runs
//! at startup (`property.review-events` on `estospaces.review.v1`).

use std::time::Duration;

use estospaces_auth::Role;
use estospaces_events::EventLog;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::review_v1 as review;

use crate::helpers::{TestApp, authorized, on_both_backends, publish, short_stay, spawn_app};

async fn event_log(app: &TestApp) -> EventLog {
    EventLog::open(&app.data_dir.path().join("events.db"))
        .await
        .expect("the app's event log")
}

/// Publishes `review.rating_changed` for the summary `name`, as the review service's relay
/// would.
async fn rating_changed(log: &EventLog, name: &str, review_count: i32, average: f64, score: f64) {
    let key = name.trim_end_matches("/ratingSummary");
    let changed = review::RatingChanged {
        rating_summary: Some(review::RatingSummary {
            name: name.to_owned(),
            review_count,
            average_rating: average,
            score,
            ..review::RatingSummary::default()
        }),
    };
    let event_id = uuid::Uuid::now_v7().to_string();
    publish(
        log,
        "review",
        &event_id,
        "review.rating_changed",
        key,
        &changed,
    )
    .await;
}

/// Reads `name` as the holder of `token` until `done` holds for it, or panics after 15 s.
async fn read_until(
    app: &TestApp,
    name: &str,
    token: &str,
    done: impl Fn(&pb::Property) -> bool,
) -> pb::Property {
    let mut client = app.client.clone();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let property = client
            .get_property(authorized(
                pb::GetPropertyRequest {
                    name: name.to_owned(),
                },
                token,
            ))
            .await
            .expect("the owner reads the listing")
            .into_inner()
            .property
            .expect("a listing");
        if done(&property) {
            return property;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the rating never arrived; last: {:?}",
            property.rating
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The `property.updated` payloads recorded so far.
async fn updates(app: &TestApp) -> Vec<pb::PropertyUpdated> {
    app.events()
        .await
        .iter()
        .filter(|event| event.event_type() == "property.updated")
        .map(|event| event.payload().expect("a PropertyUpdated"))
        .collect()
}

fn rating(review_count: i32, average: f64, score: f64) -> Option<pb::Rating> {
    Some(pb::Rating {
        average,
        review_count,
        score,
    })
}

on_both_backends! {
    async fn a_published_listing_shows_its_rating_and_tells_search_without_changing_its_etag(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let listing = app.published_short_stay(&host).await;
        assert_eq!(listing.rating, None, "no reviews yet");
        let log = event_log(&app).await;

        // Another user's summary changes no listing.
        rating_changed(&log, "users/someone/ratingSummary", 3, 4.0, 3.69).await;
        let summary = format!("{}/ratingSummary", listing.name);
        rating_changed(&log, &summary, 2, 5.0, 3.93).await;
        let rated = read_until(&app, &listing.name, &host, |p| p.rating.is_some()).await;

        assert_eq!(rated.rating, rating(2, 5.0, 3.93));
        assert_eq!(rated.etag, listing.etag, "a rating is not the owner's write");
        assert_eq!(rated.update_time, listing.update_time);
        let updates = updates(&app).await;
        assert_eq!(updates.len(), 1, "one event, for the listing's summary");
        assert_eq!(updates[0].changed_fields, ["rating"]);
        let snapshot = updates[0].property.as_ref().expect("a snapshot");
        assert_eq!(snapshot.rating, rating(2, 5.0, 3.93));

        // The owner's etag from before the review still holds, and lists show the rating.
        let updated = app
            .client
            .update_property(authorized(
                pb::UpdatePropertyRequest {
                    property: Some(pb::Property {
                        name: listing.name.clone(),
                        title: "Brighter flat by the river".to_owned(),
                        etag: listing.etag.clone(),
                        ..Default::default()
                    }),
                    update_mask: Some(prost_types::FieldMask {
                        paths: vec!["title".to_owned()],
                    }),
                },
                &host,
            ))
            .await
            .expect("the etag read before the rating still matches")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(updated.rating, rating(2, 5.0, 3.93));
        let listed = app
            .client
            .list_properties(pb::ListPropertiesRequest::default())
            .await
            .expect("public")
            .into_inner()
            .properties;
        assert_eq!(listed[0].rating, rating(2, 5.0, 3.93));
    }
}

on_both_backends! {
    async fn a_draft_keeps_its_rating_quietly_until_it_is_published(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let host = app.token(&[Role::Host]);
        let draft = app.create(short_stay(), &host).await;
        let log = event_log(&app).await;
        let summary = format!("{}/ratingSummary", draft.name);

        rating_changed(&log, &summary, 200, 4.8, 4.77).await;
        read_until(&app, &draft.name, &host, |p| p.rating.is_some()).await;
        assert!(updates(&app).await.is_empty(), "nobody else sees a draft");

        let published = app
            .client
            .publish_property(authorized(
                pb::PublishPropertyRequest {
                    name: draft.name.clone(),
                    etag: draft.etag.clone(),
                },
                &host,
            ))
            .await
            .expect("the draft's etag still matches")
            .into_inner()
            .property
            .expect("a listing");
        assert_eq!(published.rating, rating(200, 4.8, 4.77));
        let listed: Vec<pb::PropertyListed> = app
            .events()
            .await
            .iter()
            .filter(|event| event.event_type() == "property.listed")
            .map(|event| event.payload().expect("a PropertyListed"))
            .collect();
        let snapshot = listed[0].property.as_ref().expect("a snapshot");
        assert_eq!(snapshot.rating, rating(200, 4.8, 4.77), "search learns it on listing");

        // Every review hidden: no rating again.
        rating_changed(&log, &summary, 0, 0.0, 0.0).await;
        read_until(&app, &draft.name, &host, |p| p.rating.is_none()).await;
    }
}
