//! Reviews, ratings and wishlists through the single binary's gateway, as the README's tour
//! shows them: the demo's guests reviewed past stays, and search orders by the score.

use std::time::Duration;

use estospaces_platform_tests::tour::start_seeded_platform;
use serde_json::{Value, json};

/// The Bayesian score of docs/review.md.
fn score(count: f64, average: f64) -> f64 {
    (5.0 * 3.5 + count * average) / (5.0 + count)
}

#[tokio::test]
async fn the_best_rated_stays_come_first_with_their_reviews_and_a_guest_saves_and_shares_one() {
    let tour = start_seeded_platform(30).await;

    // Ratings reach search through property's events: wait until every reviewed listing has.
    let query = json!({
        "query": {"kind": "LISTING_KIND_SHORT_STAY"},
        "orderBy": "SORT_ORDER_RATING",
        "pageSize": 50,
    });
    let mut results = Vec::new();
    for _ in 0..200 {
        let (status, page) = tour
            .post("/v1/properties:search", None, query.clone())
            .await;
        assert_eq!(status, 200, "searching: {page}");
        results = page["results"].as_array().cloned().unwrap_or_default();
        let rated = results
            .iter()
            .filter(|result| result["property"]["rating"].is_object())
            .count();
        if rated == 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let rated: Vec<&Value> = results
        .iter()
        .filter(|result| result["property"]["rating"].is_object())
        .collect();
    assert_eq!(rated.len(), 8, "the seed reviewed eight stays: {results:?}");
    let scores: Vec<f64> = results
        .iter()
        .map(|result| {
            result["property"]["rating"]["score"]
                .as_f64()
                .unwrap_or(0.0)
        })
        .collect();
    assert!(
        scores.windows(2).all(|pair| pair[0] >= pair[1]),
        "best score first, unrated last: {scores:?}"
    );
    let best = &rated[0]["property"];
    let rating = &best["rating"];
    let (count, average) = (
        rating["reviewCount"].as_f64().expect("a count"),
        rating["average"].as_f64().expect("an average"),
    );
    let best_score = rating["score"].as_f64().expect("a score");
    assert!(
        (best_score - score(count, average)).abs() < 1e-9,
        "{rating}"
    );
    // Four reviews averaging 4.75 beat a single 5.
    assert!(count > 1.0, "{rating}");

    // A minimum average leaves out the rest.
    let (status, page) = tour
        .post(
            "/v1/properties:search",
            None,
            json!({"query": {"kind": "LISTING_KIND_SHORT_STAY", "minRating": 4.5}, "orderBy": "SORT_ORDER_RATING", "pageSize": 50}),
        )
        .await;
    assert_eq!(status, 200, "{page}");
    let high = page["results"].as_array().expect("results");
    assert!(!high.is_empty(), "{page}");
    assert!(
        high.iter()
            .all(|result| result["property"]["rating"]["average"].as_f64() >= Some(4.5)),
        "{page}"
    );

    // The listing's reviews and summary are public.
    let name = best["name"].as_str().expect("a name");
    let (status, reviews) = tour.get(&format!("/v1/{name}/reviews"), None).await;
    assert_eq!(status, 200, "{reviews}");
    let listed = reviews["reviews"].as_array().expect("reviews");
    assert_eq!(listed.len() as f64, count, "{reviews}");
    assert!(
        listed
            .iter()
            .all(|review| review["state"] == "STATE_PUBLISHED")
    );
    let (status, summary) = tour.get(&format!("/v1/{name}/ratingSummary"), None).await;
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["reviewCount"].as_f64(), Some(count));
    assert!(summary["categoryAverages"]["cleanliness"].as_f64() > Some(0.0));

    // Ana saves it and shares the wishlist; anyone with the link reads it, until unshared.
    let token = tour.sign_up("ana@example.com").await;
    let (_, session) = tour
        .post(
            "/v1/sessions:login",
            None,
            json!({"email": "ana@example.com", "password": "a long enough password"}),
        )
        .await;
    let me = session["user"].as_str().expect("a user");
    let (status, wishlist) = tour
        .post(
            &format!("/v1/{me}/wishlists"),
            Some(&token),
            json!({"title": "Lisbon in March"}),
        )
        .await;
    assert_eq!(status, 201, "{wishlist}");
    let wishlist = wishlist["name"].as_str().expect("a name").to_owned();
    let (status, saved) = tour
        .post(
            &format!("/v1/{wishlist}:addListing"),
            Some(&token),
            json!({"listing": name}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (status, shared) = tour
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/{wishlist}?updateMask=shared"),
            Some(&token),
            Some(json!({"shared": true})),
        )
        .await;
    assert_eq!(status, 200, "{shared}");
    let share_token = shared["shareToken"].as_str().expect("a link").to_owned();
    let (status, seen) = tour
        .get(&format!("/v1/sharedWishlists/{share_token}"), None)
        .await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(seen["listings"][0]["listing"], name);
    let (status, _) = tour
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/{wishlist}?updateMask=shared"),
            Some(&token),
            Some(json!({"shared": false})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, gone) = tour
        .get(&format!("/v1/sharedWishlists/{share_token}"), None)
        .await;
    assert_eq!(status, 404, "{gone}");

    // Someone else cannot read Ana's wishlist.
    let other = tour.sign_up("ben@example.com").await;
    let (status, refused) = tour.get(&format!("/v1/{wishlist}"), Some(&other)).await;
    assert_eq!(status, 403, "{refused}");
}
