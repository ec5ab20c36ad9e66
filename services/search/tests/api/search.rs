use std::time::Duration;

use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;
use tonic::Code;

use crate::helpers::{
    Backend, FARO, LISBON, PORTO, bad_fields, date, names, query_by, short_stay, spawn_app,
    spawn_app_with, titles,
};

fn text(text: &str) -> spb::SearchPropertiesRequest {
    query_by(spb::PropertyQuery {
        text: text.to_owned(),
        ..Default::default()
    })
}

#[tokio::test]
async fn text_finds_listings_by_title_description_and_city_forgiving_typos() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let loft = short_stay(
        "Sunny loft near the beach",
        "Lisboa",
        LISBON.0,
        LISBON.1,
        9_000,
    );
    let mut cottage = short_stay("Stone cottage", "Porto", PORTO.0, PORTO.1, 7_000);
    cottage.description = "A fireplace and a vineyard view.".to_owned();
    app.list(&loft).await;
    app.list(&cottage).await;
    app.until_total(2).await;

    assert_eq!(
        titles(&app.search(text("beach")).await),
        ["Sunny loft near the beach"]
    );
    // One letter off ("beech", "cotage") still finds them; so do accents and case.
    assert_eq!(
        titles(&app.search(text("beech")).await),
        ["Sunny loft near the beach"]
    );
    assert_eq!(
        titles(&app.search(text("COTAGE porto")).await),
        ["Stone cottage"]
    );
    assert_eq!(
        titles(&app.search(text("lisbóa")).await),
        ["Sunny loft near the beach"]
    );
    assert_eq!(
        titles(&app.search(text("vineyard")).await),
        ["Stone cottage"]
    );
    // Every word must match somewhere.
    assert!(app.search(text("beach vineyard")).await.results.is_empty());
    // Short words must match exactly.
    assert!(app.search(text("sun")).await.results.is_empty());
}

#[tokio::test]
async fn an_exact_title_match_ranks_above_a_description_match() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let mut described = short_stay("Quiet flat", "Porto", PORTO.0, PORTO.1, 7_000);
    described.description = "Ten minutes from a garden.".to_owned();
    let titled = short_stay("Garden flat", "Porto", PORTO.0, PORTO.1, 7_000);
    app.list(&described).await;
    app.list(&titled).await;
    app.until_total(2).await;

    let response = app.search(text("garden")).await;
    assert_eq!(titles(&response), ["Garden flat", "Quiet flat"]);
    assert!(response.results[0].relevance > response.results[1].relevance);
}

#[tokio::test]
async fn filters_narrow_by_kind_type_price_rooms_guests_amenities_and_instant_book() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let base = short_stay("Flat", "Porto", PORTO.0, PORTO.1, 8_000);
    let mut house = short_stay("House", "Porto", PORTO.0, PORTO.1, 20_000);
    house.property_type = pb::PropertyType::House as i32;
    house.bedrooms = 4;
    house.bathrooms = 3;
    house.max_guests = 8;
    house.amenities.push(pb::Amenity::Pool as i32);
    let mut on_request = short_stay("Room", "Porto", PORTO.0, PORTO.1, 3_000);
    on_request.property_type = pb::PropertyType::Room as i32;
    on_request.booking_mode = pb::BookingMode::Request as i32;
    on_request.max_guests = 1;
    let mut sale = short_stay("Villa for sale", "Porto", PORTO.0, PORTO.1, 0);
    sale.kind = pb::ListingKind::Sale as i32;
    sale.property_type = pb::PropertyType::Villa as i32;
    sale.short_stay_pricing = None;
    sale.sale_pricing = Some(pb::SalePricing {
        asking_price: 50_000_000,
    });
    for listing in [&base, &house, &on_request, &sale] {
        app.list(listing).await;
    }
    app.until_total(4).await;

    let cases: Vec<(spb::PropertyQuery, Vec<&str>)> = vec![
        (
            spb::PropertyQuery {
                kind: pb::ListingKind::Sale as i32,
                ..Default::default()
            },
            vec!["Villa for sale"],
        ),
        (
            spb::PropertyQuery {
                property_types: vec![
                    pb::PropertyType::House as i32,
                    pb::PropertyType::Room as i32,
                ],
                ..Default::default()
            },
            vec!["House", "Room"],
        ),
        (
            spb::PropertyQuery {
                kind: 1,
                min_price: 5_000,
                max_price: 10_000,
                ..Default::default()
            },
            vec!["Flat"],
        ),
        (
            spb::PropertyQuery {
                min_bedrooms: 3,
                ..Default::default()
            },
            vec!["House"],
        ),
        (
            spb::PropertyQuery {
                min_bathrooms: 2,
                ..Default::default()
            },
            vec!["House"],
        ),
        (
            spb::PropertyQuery {
                guests: 5,
                ..Default::default()
            },
            vec!["House"],
        ),
        (
            spb::PropertyQuery {
                amenities: vec![pb::Amenity::Wifi as i32, pb::Amenity::Pool as i32],
                ..Default::default()
            },
            vec!["House"],
        ),
        (
            spb::PropertyQuery {
                kind: 1,
                instant_book: true,
                ..Default::default()
            },
            vec!["Flat", "House"],
        ),
    ];
    for (query, expected) in cases {
        let mut got = titles(&app.search(query_by(query.clone())).await);
        got.sort();
        assert_eq!(got, expected, "for {query:?}");
    }
}

#[tokio::test]
async fn facets_count_types_amenities_and_price_buckets_over_every_match_not_only_the_page() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let mut house = short_stay("House", "Porto", PORTO.0, PORTO.1, 25_000);
    house.property_type = pb::PropertyType::House as i32;
    house.amenities = vec![pb::Amenity::Pool as i32];
    for listing in [
        short_stay("Flat one", "Porto", PORTO.0, PORTO.1, 8_000),
        short_stay("Flat two", "Porto", PORTO.0, PORTO.1, 9_500),
        house,
    ] {
        app.list(&listing).await;
    }
    app.until_total(3).await;

    let response = app
        .search(spb::SearchPropertiesRequest {
            query: Some(spb::PropertyQuery::default()),
            page_size: 1,
            price_histogram_interval: 10_000,
            ..Default::default()
        })
        .await;
    assert_eq!(response.results.len(), 1);
    let facets = response.facets.expect("facets");
    let pairs = |counts: &[spb::FacetCount]| -> Vec<(String, i64)> {
        counts.iter().map(|c| (c.value.clone(), c.count)).collect()
    };
    assert_eq!(
        pairs(&facets.property_types),
        [
            ("PROPERTY_TYPE_APARTMENT".to_owned(), 2),
            ("PROPERTY_TYPE_HOUSE".to_owned(), 1)
        ]
    );
    assert_eq!(
        pairs(&facets.amenities),
        [
            ("AMENITY_WIFI".to_owned(), 2),
            ("AMENITY_KITCHEN".to_owned(), 2),
            ("AMENITY_POOL".to_owned(), 1)
        ]
    );
    assert_eq!(
        pairs(&facets.price_histogram),
        [("0".to_owned(), 2), ("20000".to_owned(), 1)]
    );
}

#[tokio::test]
async fn a_circle_or_a_box_keeps_the_listings_inside_and_distance_sorts_the_nearest_first() {
    let mut app = spawn_app(Backend::Sqlite).await;
    // Sintra is ~25 km from Lisbon; Porto ~275 km; Faro ~215 km.
    for listing in [
        short_stay("Lisbon flat", "Lisboa", LISBON.0, LISBON.1, 9_000),
        short_stay("Sintra house", "Sintra", 38.8029, -9.3817, 9_000),
        short_stay("Porto flat", "Porto", PORTO.0, PORTO.1, 9_000),
        short_stay("Faro flat", "Faro", FARO.0, FARO.1, 9_000),
    ] {
        app.list(&listing).await;
    }
    app.until_total(4).await;

    let circle = |radius_meters: f64| spb::PropertyQuery {
        area: Some(spb::property_query::Area::Circle(spb::GeoCircle {
            center: Some(pb::GeoPoint {
                latitude: LISBON.0,
                longitude: LISBON.1,
            }),
            radius_meters,
        })),
        ..Default::default()
    };
    let near = app
        .search(spb::SearchPropertiesRequest {
            query: Some(circle(30_000.0)),
            order_by: spb::SortOrder::Distance as i32,
            ..Default::default()
        })
        .await;
    assert_eq!(titles(&near), ["Lisbon flat", "Sintra house"]);
    assert!(near.results[0].distance_meters < 1.0);
    assert!((20_000.0..30_000.0).contains(&near.results[1].distance_meters));

    let wide = app
        .search(spb::SearchPropertiesRequest {
            query: Some(circle(250_000.0)),
            order_by: spb::SortOrder::Distance as i32,
            ..Default::default()
        })
        .await;
    assert_eq!(titles(&wide), ["Lisbon flat", "Sintra house", "Faro flat"]);
    let wide_flats = app
        .search(spb::SearchPropertiesRequest {
            query: Some(spb::PropertyQuery {
                text: "flat".to_owned(),
                ..circle(250_000.0)
            }),
            order_by: spb::SortOrder::Distance as i32,
            ..Default::default()
        })
        .await;
    assert_eq!(titles(&wide_flats), ["Lisbon flat", "Faro flat"]);

    // A viewport over the north.
    let north = app
        .search(query_by(spb::PropertyQuery {
            area: Some(spb::property_query::Area::Box(spb::GeoBox {
                low: Some(pb::GeoPoint {
                    latitude: 40.0,
                    longitude: -10.0,
                }),
                high: Some(pb::GeoPoint {
                    latitude: 42.0,
                    longitude: -6.0,
                }),
            })),
            ..Default::default()
        }))
        .await;
    assert_eq!(titles(&north), ["Porto flat"]);
}

#[tokio::test]
async fn stays_over_a_blocked_night_are_left_out_and_results_show_the_stay_price() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let free = short_stay("Free flat", "Porto", PORTO.0, PORTO.1, 10_000);
    let busy = short_stay("Busy flat", "Porto", PORTO.0, PORTO.1, 10_000);
    let mut long_only = short_stay("Monthly flat", "Porto", PORTO.0, PORTO.1, 10_000);
    long_only.min_nights = 28;
    app.list(&free).await;
    app.list(&busy).await;
    app.list(&long_only).await;
    app.publish_calendar(&busy, &[date(2027, 6, 12)]).await;
    app.until_total(3).await;

    let stay = |check_in: pb::Date, check_out: pb::Date| {
        query_by(spb::PropertyQuery {
            check_in: Some(check_in),
            check_out: Some(check_out),
            guests: 2,
            ..Default::default()
        })
    };
    // 10th to 13th: nights of the 10th, 11th and 12th; the 12th is blocked at "Busy flat".
    let response = app
        .search_until(stay(date(2027, 6, 10), date(2027, 6, 13)), |response| {
            response.total_size == 1
        })
        .await;
    assert_eq!(titles(&response), ["Free flat"]);
    // 3 × 100.00 + 50.00 cleaning, plus 10 % taxes.
    assert_eq!(response.results[0].stay_nights_subtotal, 30_000);
    assert_eq!(response.results[0].stay_total, 38_500);

    // Leaving on the 12th does not need the night of the 12th.
    let mut both = titles(&app.search(stay(date(2027, 6, 10), date(2027, 6, 12))).await);
    both.sort();
    assert_eq!(both, ["Busy flat", "Free flat"]);

    // The host opens the night again.
    app.publish_calendar(&busy, &[]).await;
    let response = app
        .search_until(stay(date(2027, 6, 10), date(2027, 6, 13)), |response| {
            response.total_size == 2
        })
        .await;
    assert_eq!(response.results.len(), 2);
}

#[tokio::test]
async fn calendar_changes_alone_wait_for_the_availability_interval_until_a_listing_joins() {
    let mut app = spawn_app_with(Backend::Sqlite, |config| {
        config.service.availability_commit_interval = Duration::from_secs(600);
    })
    .await;
    let busy = short_stay("Busy flat", "Porto", PORTO.0, PORTO.1, 10_000);
    app.list(&busy).await;
    app.until_total(1).await;
    let stay = query_by(spb::PropertyQuery {
        check_in: Some(date(2027, 6, 10)),
        check_out: Some(date(2027, 6, 13)),
        ..Default::default()
    });

    app.publish_calendar(&busy, &[date(2027, 6, 12)]).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        titles(&app.search(stay.clone()).await),
        ["Busy flat"],
        "a batch of calendar changes alone is not committed at the listing interval"
    );

    app.list(&short_stay("New flat", "Porto", PORTO.0, PORTO.1, 10_000))
        .await;
    let response = app
        .search_until(stay, |response| {
            titles(response).contains(&"New flat".to_owned())
        })
        .await;
    assert_eq!(
        titles(&response),
        ["New flat"],
        "the new listing commits the batch, the blocked night with it"
    );
}

#[tokio::test]
async fn pages_follow_each_other_without_overlap_until_the_last() {
    let mut app = spawn_app(Backend::Sqlite).await;
    for n in 0..7 {
        app.list(&short_stay(
            &format!("Flat {n}"),
            "Porto",
            PORTO.0,
            PORTO.1,
            5_000 + n * 100,
        ))
        .await;
    }
    app.until_total(7).await;

    let mut request = spb::SearchPropertiesRequest {
        query: Some(spb::PropertyQuery::default()),
        order_by: spb::SortOrder::PriceAscending as i32,
        page_size: 3,
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let response = app.search(request.clone()).await;
        assert_eq!(response.total_size, 7);
        seen.extend(titles(&response));
        pages += 1;
        if response.next_page_token.is_empty() {
            break;
        }
        request.page_token = response.next_page_token;
    }
    assert_eq!(pages, 3);
    let expected: Vec<String> = (0..7).map(|n| format!("Flat {n}")).collect();
    assert_eq!(seen, expected, "cheapest first, each once");

    // A token belongs to its query.
    let status = app
        .client
        .search_properties(spb::SearchPropertiesRequest {
            query: Some(spb::PropertyQuery {
                text: "other".to_owned(),
                ..Default::default()
            }),
            page_token: request.page_token,
            ..Default::default()
        })
        .await
        .expect_err("a token of another query");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(bad_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn updates_replace_the_snapshot_and_unlisted_listings_disappear() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let mut listing = short_stay("Old title", "Porto", PORTO.0, PORTO.1, 9_000);
    let other = short_stay("Other flat", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&listing).await;
    app.list(&other).await;
    app.until_total(2).await;

    listing.title = "Renovated loft".to_owned();
    app.publish_snapshot("property.updated", &listing).await;
    app.until_indexed(&listing).await;
    assert!(
        app.search(text("old")).await.results.is_empty(),
        "the old title is gone"
    );
    assert_eq!(app.search(query_by(Default::default())).await.total_size, 2);

    listing.state = pb::property::State::Paused as i32;
    app.publish_snapshot("property.unlisted", &listing).await;
    let response = app
        .search_until(query_by(Default::default()), |response| {
            response.total_size == 1
        })
        .await;
    assert_eq!(names(&response), [other.name.as_str()]);
}

#[tokio::test]
async fn an_old_event_replayed_after_a_newer_one_changes_nothing() {
    let mut app = spawn_app(Backend::Sqlite).await;
    let mut listing = short_stay("First title", "Porto", PORTO.0, PORTO.1, 9_000);
    let first = app.envelope(
        "property.listed",
        &listing,
        &pb::PropertyListed {
            property: Some(listing.clone()),
        },
    );
    listing.title = "Second title".to_owned();
    let second = app.envelope(
        "property.updated",
        &listing,
        &pb::PropertyUpdated {
            property: Some(listing.clone()),
            changed_fields: vec![],
        },
    );
    // At-least-once delivery: the first event again, after the second.
    app.publish(vec![first.clone(), second, first]).await;
    app.until_indexed(&listing).await;
    let marker = short_stay("Marker", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&marker).await;
    app.until_indexed(&marker).await;

    assert_eq!(titles(&app.search(text("title")).await), ["Second title"]);
}

/// Moderation's states: a listing waiting for review, rejected or taken down is never found,
/// whatever event carries it (an owner's update included), and the moderation events between
/// them do not disturb the per-listing order.
#[tokio::test]
async fn listings_waiting_for_review_rejected_or_taken_down_are_never_found() {
    use pb::property::State;

    let mut app = spawn_app(Backend::Sqlite).await;
    let mut listing = short_stay("Quiet studio", "Porto", PORTO.0, PORTO.1, 9_000);
    listing.state = State::PendingReview as i32;
    let requested = app.envelope(
        "property.review_requested",
        &listing,
        &pb::PropertyReviewRequested {
            property: Some(listing.clone()),
        },
    );
    app.publish(vec![requested]).await;
    // The owner edits it while it waits, then a moderator rejects it and the owner edits again.
    listing.title = "Quiet studio with a view".to_owned();
    app.publish_snapshot("property.updated", &listing).await;
    listing.state = State::Rejected as i32;
    let rejected = moderated(&mut app, &listing, State::PendingReview);
    app.publish(vec![rejected]).await;
    app.publish_snapshot("property.updated", &listing).await;
    let marker = short_stay("First marker", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&marker).await;
    app.until_indexed(&marker).await;
    assert!(app.search(text("studio")).await.results.is_empty());

    // Approved: listed.
    listing.state = State::Published as i32;
    app.list(&listing).await;
    let approved = moderated(&mut app, &listing, State::PendingReview);
    app.publish(vec![approved]).await;
    app.until_indexed(&listing).await;

    // Taken down: unlisted, and an update while it is down does not bring it back.
    listing.state = State::TakenDown as i32;
    app.publish_snapshot("property.unlisted", &listing).await;
    let taken_down = moderated(&mut app, &listing, State::Published);
    app.publish(vec![taken_down]).await;
    listing.title = "Quiet studio, new photos".to_owned();
    app.publish_snapshot("property.updated", &listing).await;
    let second = short_stay("Second marker", "Porto", PORTO.0, PORTO.1, 9_000);
    app.list(&second).await;
    app.until_indexed(&second).await;
    assert!(app.search(text("studio")).await.results.is_empty());
    assert_eq!(app.search(query_by(Default::default())).await.total_size, 2);
}

/// The `property.moderated` envelope of `listing`'s next event.
fn moderated(
    app: &mut crate::helpers::TestApp,
    listing: &pb::Property,
    previous: pb::property::State,
) -> estospaces_proto::events_v1::EventEnvelope {
    app.envelope(
        "property.moderated",
        listing,
        &pb::PropertyModerated {
            property: Some(listing.clone()),
            previous_state: previous as i32,
            actor: "users/moderator".to_owned(),
            reason: "checked".to_owned(),
        },
    )
}

#[tokio::test]
async fn sorting_by_price_puts_the_cheapest_or_the_dearest_first() {
    let mut app = spawn_app(Backend::Sqlite).await;
    for (title, price) in [("Mid", 10_000), ("Cheap", 5_000), ("Dear", 20_000)] {
        app.list(&short_stay(title, "Porto", PORTO.0, PORTO.1, price))
            .await;
    }
    app.until_total(3).await;
    let ordered = |order: spb::SortOrder| spb::SearchPropertiesRequest {
        query: Some(spb::PropertyQuery::default()),
        order_by: order as i32,
        ..Default::default()
    };
    assert_eq!(
        titles(&app.search(ordered(spb::SortOrder::PriceAscending)).await),
        ["Cheap", "Mid", "Dear"]
    );
    assert_eq!(
        titles(&app.search(ordered(spb::SortOrder::PriceDescending)).await),
        ["Dear", "Mid", "Cheap"]
    );
    assert_eq!(
        titles(&app.search(ordered(spb::SortOrder::Newest)).await),
        ["Dear", "Cheap", "Mid"]
    );
}

#[tokio::test]
async fn autocomplete_suggests_cities_by_listing_count_and_titles_by_word_prefix() {
    let mut app = spawn_app(Backend::Sqlite).await;
    for listing in [
        short_stay("Harbour view flat", "Porto", PORTO.0, PORTO.1, 9_000),
        short_stay("Old town room", "Porto", PORTO.0, PORTO.1, 9_000),
        short_stay(
            "Portuguese tiles house",
            "Portimão",
            37.1366,
            -8.5377,
            9_000,
        ),
        short_stay("Beach flat", "Faro", FARO.0, FARO.1, 9_000),
    ] {
        app.list(&listing).await;
    }
    app.until_total(4).await;

    let response = app
        .client
        .autocomplete(spb::AutocompleteRequest {
            prefix: "Port".to_owned(),
            limit: 5,
        })
        .await
        .expect("public")
        .into_inner();
    let places: Vec<(String, i64)> = response
        .places
        .iter()
        .map(|p| (p.place.clone(), p.listing_count))
        .collect();
    assert_eq!(
        places,
        [("Porto".to_owned(), 2), ("Portimão".to_owned(), 1)]
    );
    let listings: Vec<String> = response.listings.iter().map(|l| l.title.clone()).collect();
    assert_eq!(listings, ["Portuguese tiles house"]);

    let harbour = app
        .client
        .autocomplete(spb::AutocompleteRequest {
            prefix: "harb".to_owned(),
            limit: 0,
        })
        .await
        .expect("public")
        .into_inner();
    assert!(harbour.places.is_empty());
    assert_eq!(harbour.listings[0].title, "Harbour view flat");
}

#[tokio::test]
async fn bad_queries_are_rejected_with_every_bad_field_named() {
    let app = spawn_app(Backend::Sqlite).await;
    let mut client = app.client.clone();
    let status = client
        .search_properties(spb::SearchPropertiesRequest {
            query: Some(spb::PropertyQuery {
                kind: 42,
                max_price: 10,
                min_price: 20,
                area: Some(spb::property_query::Area::Circle(spb::GeoCircle {
                    center: Some(pb::GeoPoint {
                        latitude: 91.0,
                        longitude: 0.0,
                    }),
                    radius_meters: 0.0,
                })),
                check_in: Some(date(2027, 6, 10)),
                ..Default::default()
            }),
            page_size: 1_000,
            ..Default::default()
        })
        .await
        .expect_err("invalid");
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut fields = bad_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "page_size",
            "query.check_out",
            "query.circle.center.latitude",
            "query.circle.radius_meters",
            "query.kind",
            "query.max_price",
        ]
    );

    let status = client
        .search_properties(spb::SearchPropertiesRequest {
            order_by: spb::SortOrder::Distance as i32,
            ..Default::default()
        })
        .await
        .expect_err("distance without a circle");
    assert_eq!(bad_fields(&status), ["order_by"]);

    let status = client
        .autocomplete(spb::AutocompleteRequest {
            prefix: " ".to_owned(),
            limit: 0,
        })
        .await
        .expect_err("no prefix");
    assert_eq!(bad_fields(&status), ["prefix"]);
}
