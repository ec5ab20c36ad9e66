use std::time::Duration;

use estospaces_auth::Role;
use estospaces_proto::property_v1 as pb;
use estospaces_proto::search_v1 as spb;

use crate::helpers::{
    PORTO, TestApp, authorized, on_both_backends, short_stay, spawn_app, spawn_app_with,
};

async fn save(
    app: &mut TestApp,
    token: &str,
    user: &str,
    query: spb::PropertyQuery,
) -> spb::SavedSearch {
    app.client
        .create_saved_search(authorized(
            spb::CreateSavedSearchRequest {
                parent: format!("users/{user}"),
                saved_search: Some(spb::SavedSearch {
                    query: Some(query),
                    ..Default::default()
                }),
            },
            token,
        ))
        .await
        .expect("saved")
        .into_inner()
        .saved_search
        .expect("a saved search")
}

/// Waits until `count` alerts are in the outbox.
async fn alerts_until(app: &TestApp, count: usize) -> Vec<spb::AlertMatched> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let alerts = app.alerts().await;
        if alerts.len() >= count {
            return alerts;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {} alerts: {alerts:?}",
            alerts.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn porto_under(price: i64) -> spb::PropertyQuery {
    spb::PropertyQuery {
        text: "porto".to_owned(),
        max_price: price,
        ..Default::default()
    }
}

on_both_backends! {
    async fn a_new_listing_matching_a_saved_search_raises_an_alert_for_its_owner(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (token, user) = app.user(&[Role::Guest]);
        let search = save(&mut app, &token, &user, porto_under(10_000)).await;

        let too_dear = short_stay("Dear flat", "Porto", PORTO.0, PORTO.1, 20_000);
        let matching = short_stay("Cheap flat", "Porto", PORTO.0, PORTO.1, 8_000);
        app.list(&too_dear).await;
        app.list(&matching).await;
        app.until_indexed(&matching).await;

        let alerts = alerts_until(&app, 1).await;
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        let alert = &alerts[0];
        assert_eq!(alert.user, format!("users/{user}"));
        assert_eq!(alert.saved_search, search.name);
        assert_eq!(alert.property, matching.name);
        assert_eq!(alert.reason, spb::AlertReason::NewListing as i32);
        assert_eq!((alert.title.as_str(), alert.price), ("Cheap flat", 8_000));
        let events = app.events().await;
        assert_eq!(events[0].aggregate_id(), user, "keyed by the user");
    }

    async fn a_price_drop_into_a_saved_search_raises_a_price_drop_alert(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (token, user) = app.user(&[Role::Guest]);
        let mut listing = short_stay("Flat", "Porto", PORTO.0, PORTO.1, 12_000);
        app.list(&listing).await;
        app.until_indexed(&listing).await;
        save(&mut app, &token, &user, porto_under(10_000)).await;

        listing.short_stay_pricing.as_mut().expect("prices").base_nightly_price = 9_000;
        app.publish_snapshot("property.price_changed", &listing).await;

        let alerts = alerts_until(&app, 1).await;
        assert_eq!(alerts[0].reason, spb::AlertReason::PriceDrop as i32);
        assert_eq!(alerts[0].price, 9_000);
    }

    async fn nights_opening_up_for_saved_dates_raise_a_dates_opened_alert(backend: Backend) {
        let mut app = spawn_app(backend).await;
        let (token, user) = app.user(&[Role::Guest]);
        let listing = short_stay("Flat", "Porto", PORTO.0, PORTO.1, 9_000);
        app.list(&listing).await;
        let night = pb::Date { year: 2030, month: 8, day: 2 };
        app.publish_calendar(&listing, &[night]).await;
        app.until_indexed(&listing).await;
        save(&mut app, &token, &user, spb::PropertyQuery {
            check_in: Some(pb::Date { year: 2030, month: 8, day: 1 }),
            check_out: Some(pb::Date { year: 2030, month: 8, day: 4 }),
            ..Default::default()
        }).await;

        app.publish_calendar(&listing, &[]).await;
        let alerts = alerts_until(&app, 1).await;
        assert_eq!(alerts[0].reason, spb::AlertReason::DatesOpened as i32);
        assert_eq!(alerts[0].property, listing.name);
    }
}

#[tokio::test]
async fn a_user_gets_at_most_one_alert_per_throttle_window_and_changes_before_saving_raise_none() {
    let mut app = spawn_app_with(estospaces_testing::Backend::Postgres, |config| {
        config.service.alert_throttle = Duration::from_secs(3600);
    })
    .await;
    let (token, user) = app.user(&[Role::Guest]);
    let (other_token, other) = app.user(&[Role::Guest]);
    let before = short_stay("Flat listed before", "Porto", PORTO.0, PORTO.1, 8_000);
    app.list(&before).await;
    app.until_indexed(&before).await;
    save(&mut app, &token, &user, porto_under(10_000)).await;
    save(&mut app, &other_token, &other, porto_under(10_000)).await;

    let first = short_stay("First flat", "Porto", PORTO.0, PORTO.1, 8_000);
    app.list(&first).await;
    app.until_indexed(&first).await;
    let second = short_stay("Second flat", "Porto", PORTO.0, PORTO.1, 8_000);
    app.list(&second).await;
    app.until_indexed(&second).await;
    // A marker listing, so the second's alerts have surely been considered.
    let marker = short_stay("Marker", "Faro", 37.0, -7.9, 50_000);
    app.list(&marker).await;
    app.until_indexed(&marker).await;
    tokio::time::sleep(Duration::from_millis(200)).await;

    let alerts = app.alerts().await;
    let mut per_user: Vec<(String, String)> = alerts
        .iter()
        .map(|a| (a.user.clone(), a.property.clone()))
        .collect();
    per_user.sort();
    let mut expected = vec![
        (format!("users/{user}"), first.name.clone()),
        (format!("users/{other}"), first.name.clone()),
    ];
    expected.sort();
    assert_eq!(per_user, expected, "one each, for the first listing only");
}
