//! The lead score: what it is made of, and how saved searches and favorites move it.

use estospaces_proto::leads_v1 as pb;
use estospaces_proto::review_v1 as review;
use estospaces_proto::search_v1 as search;

use crate::helpers::*;

/// `buyer` asks about `listing` offering 95% of the asking price with a mortgage agreed.
async fn serious_inquiry(app: &TestApp, buyer: &User, listing: &str) -> String {
    app.inquire(
        Some(buyer),
        pb::CreateInquiryRequest {
            budget: ASKING_PRICE / 100 * 95,
            financing: pb::Financing::MortgageApproved as i32,
            ..inquiry(listing, "We have a mortgage in principle.")
        },
    )
    .await
    .expect("asked")
}

/// Polls `lead` as `agent` until `done` holds of it; the lead then.
async fn lead_when(
    app: &TestApp,
    agent: &User,
    lead: &str,
    done: impl Fn(&pb::Lead) -> bool,
) -> pb::Lead {
    app.wait_until(|| async { done(&app.lead(agent, lead).await.expect("read")) })
        .await;
    app.lead(agent, lead).await.expect("read")
}

on_both_backends! {
    async fn the_score_explains_each_of_its_factors(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let lead = serious_inquiry(&app, &app.user(), &listing).await;

        let read = app.lead(&agent, &lead).await.expect("read");

        let factors: Vec<_> = read.score_factors.iter().map(|f| (f.factor.as_str(), f.points, f.max_points)).collect();
        assert_eq!(factors, [
            ("budget", 20, 30),
            ("financing", 20, 20),
            ("repeat_inquiries", 0, 15),
            ("saved_search", 0, 20),
            ("favorite", 0, 15),
        ]);
        assert_eq!(factor(&read, "budget").explanation, "budget covers 95% of the asking price");
        assert_eq!(factor(&read, "financing").explanation, "mortgage agreed in principle");
        assert_eq!(factor(&read, "repeat_inquiries").explanation, "asked once");
        assert_eq!(read.score, 40);
    }

    async fn a_matching_saved_search_of_the_person_raises_the_score(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = serious_inquiry(&app, &buyer, &listing).await;
        let before = app.lead(&agent, &lead).await.expect("read");

        app.publish_event(
            "search",
            "search.alert_matched",
            &buyer.id,
            &search::AlertMatched {
                user: buyer.name.clone(),
                saved_search: format!("{}/savedSearches/{}", buyer.name, uuid::Uuid::now_v7()),
                property: listing.clone(),
                title: "Flat for sale in Alfama".to_owned(),
                price: ASKING_PRICE,
                currency_code: "EUR".to_owned(),
                ..Default::default()
            },
        )
        .await;

        let after = lead_when(&app, &agent, &lead, |lead| factor(lead, "saved_search").points == 20).await;
        assert_eq!(factor(&after, "saved_search").explanation, "a saved search of theirs matches this listing");
        assert_eq!(after.score, before.score + 20);
        assert!(after.score > before.score);
    }

    async fn a_favorite_adds_fifteen_points_and_removing_it_takes_them_back(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        let lead = serious_inquiry(&app, &buyer, &listing).await;
        let before = app.lead(&agent, &lead).await.expect("read").score;
        let wishlist = format!("{}/wishlists/{}", buyer.name, uuid::Uuid::now_v7());

        app.publish_event(
            "review",
            "favorite.added",
            &listing,
            &review::FavoriteAdded { wishlist: wishlist.clone(), listing: listing.clone(), save_count: 1 },
        )
        .await;
        let saved = lead_when(&app, &agent, &lead, |lead| factor(lead, "favorite").points == 15).await;
        app.publish_event(
            "review",
            "favorite.removed",
            &listing,
            &review::FavoriteRemoved { wishlist, listing: listing.clone(), save_count: 0 },
        )
        .await;
        let unsaved = lead_when(&app, &agent, &lead, |lead| factor(lead, "favorite").points == 0).await;

        assert_eq!(saved.score, before + 15);
        assert_eq!(factor(&saved, "favorite").explanation, "saved this listing to a wishlist");
        assert_eq!(unsaved.score, before);
    }

    async fn a_signal_that_came_before_the_inquiry_counts_for_the_lead(backend: Backend) {
        let app = spawn_app(backend).await;
        let (agent, listing) = app.sale_listing().await;
        let buyer = app.user();
        app.publish_event(
            "review",
            "favorite.added",
            &listing,
            &review::FavoriteAdded {
                wishlist: format!("{}/wishlists/{}", buyer.name, uuid::Uuid::now_v7()),
                listing: listing.clone(),
                save_count: 1,
            },
        )
        .await;
        app.wait_until(|| async { app.events_handled("leads.review-events").await == 1 }).await;

        let lead = app.ask(&buyer, &listing).await;

        let read = app.lead(&agent, &lead).await.expect("read");
        assert_eq!(factor(&read, "favorite").points, 15);
        assert_eq!(read.score, 15);
    }
}
