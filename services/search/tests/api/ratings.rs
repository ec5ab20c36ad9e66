//! Ratings come with the property snapshots (`Property.rating`, which the property service
//! keeps from the review service's events): "best rated" orders by their Bayesian score and
//! `min_rating` filters on their average.

use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use tonic::Code;

use crate::helpers::{
    Backend, LISBON, PORTO, TestApp, bad_fields, query_by, short_stay, spawn_app, titles,
};

fn rated(title: &str, review_count: i32, average: f64, score: f64) -> pb::Property {
    let mut listing = short_stay(title, "Porto", PORTO.0, PORTO.1, 9_000);
    listing.rating = Some(pb::Rating {
        average,
        review_count,
        score,
    });
    listing
}

/// Two 5-star reviews, two hundred of 4.8 and none, listed in that order.
async fn three_listings(app: &mut TestApp) {
    let few = rated("Two perfect reviews", 2, 5.0, 3.93);
    let many = rated("Two hundred good reviews", 200, 4.8, 4.77);
    let none = short_stay("No reviews yet", "Porto", PORTO.0, PORTO.1, 9_000);
    for listing in [&few, &many, &none] {
        app.list(listing).await;
    }
    app.until_total(3).await;
}

fn by_rating(query: spb::PropertyQuery) -> spb::SearchPropertiesRequest {
    spb::SearchPropertiesRequest {
        query: Some(query),
        order_by: spb::SortOrder::Rating as i32,
        ..Default::default()
    }
}

#[tokio::test]
async fn best_rated_puts_many_good_reviews_above_a_few_perfect_ones_and_unrated_listings_last() {
    let mut app = spawn_app(Backend::Sqlite).await;
    three_listings(&mut app).await;
    let mut newer_unrated = short_stay("Newer, no reviews", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&newer_unrated).await;
    app.until_total(4).await;

    assert_eq!(
        titles(&app.search(by_rating(Default::default())).await),
        [
            "Two hundred good reviews",
            "Two perfect reviews",
            "Newer, no reviews",
            "No reviews yet",
        ],
        "by score, then newest first among equals"
    );

    // A rating that arrives later (`property.updated`) moves the listing.
    newer_unrated.rating = Some(pb::Rating {
        average: 4.9,
        review_count: 300,
        score: 4.88,
    });
    app.publish_snapshot("property.updated", &newer_unrated)
        .await;
    let reordered = app
        .search_until(by_rating(Default::default()), |response| {
            titles(response)[0] == "Newer, no reviews"
        })
        .await;
    assert_eq!(titles(&reordered)[1], "Two hundred good reviews");
}

#[tokio::test]
async fn a_minimum_rating_keeps_listings_rated_that_high_on_average_and_leaves_out_unrated_ones() {
    let mut app = spawn_app(Backend::Sqlite).await;
    three_listings(&mut app).await;
    let mut lisbon = rated("Perfect in Lisbon", 1, 5.0, 3.75);
    let address = lisbon.address.as_mut().expect("an address");
    address.locality = "Lisboa".to_owned();
    address.location = Some(pb::GeoPoint {
        latitude: LISBON.0,
        longitude: LISBON.1,
    });
    app.list(&lisbon).await;
    app.until_total(4).await;
    let near_porto = |min_rating| spb::PropertyQuery {
        min_rating,
        area: Some(spb::property_query::Area::Circle(spb::GeoCircle {
            center: Some(pb::GeoPoint {
                latitude: PORTO.0,
                longitude: PORTO.1,
            }),
            radius_meters: 10_000.0,
        })),
        ..Default::default()
    };

    let cases: Vec<(spb::PropertyQuery, Vec<&str>)> = vec![
        (
            spb::PropertyQuery {
                min_rating: 4.9,
                ..Default::default()
            },
            vec!["Two perfect reviews", "Perfect in Lisbon"],
        ),
        (
            spb::PropertyQuery {
                min_rating: 4.8,
                ..Default::default()
            },
            vec![
                "Two hundred good reviews",
                "Two perfect reviews",
                "Perfect in Lisbon",
            ],
        ),
        (
            spb::PropertyQuery {
                min_rating: 1.0,
                text: "reviews".to_owned(),
                ..Default::default()
            },
            vec!["Two hundred good reviews", "Two perfect reviews"],
        ),
        // A map area leads the search: the rating is checked on its candidates.
        (near_porto(4.9), vec!["Two perfect reviews"]),
        (
            near_porto(0.0),
            vec![
                "Two hundred good reviews",
                "Two perfect reviews",
                "No reviews yet",
            ],
        ),
    ];
    for (query, expected) in cases {
        let response = app.search(by_rating(query.clone())).await;
        assert_eq!(titles(&response), expected, "{query:?}");
        assert_eq!(response.total_size, expected.len() as i64, "{query:?}");
    }
}

#[tokio::test]
async fn a_minimum_rating_must_be_from_0_to_5() {
    let app = spawn_app(Backend::Sqlite).await;
    for min_rating in [6.0, -1.0, f64::NAN] {
        let status = app
            .client
            .clone()
            .search_properties(query_by(spb::PropertyQuery {
                min_rating,
                ..Default::default()
            }))
            .await
            .expect_err("out of range");
        assert_eq!(status.code(), Code::InvalidArgument, "{min_rating}");
        assert_eq!(bad_fields(&status), ["query.min_rating"], "{min_rating}");
    }
}
