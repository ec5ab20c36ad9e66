//! Development projects across the platform, through the single binary's gateway over REST:
//! a unit's deposit is a saga between the project and payment services (a paid one reserves the
//! unit, a declined one releases it), two buyers racing for one unit get one reservation, only
//! the developer changes a project, and search finds a project's homes for sale.

use std::time::{Duration, Instant};

use estospaces::seed::demo_email;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform};
use serde_json::{Value, json};

/// The demo project, `projects/{id}`, and its developer's (agent 1's) token.
async fn demo_project(tour: &Tour) -> (String, String) {
    let (developer, token) = tour.demo_login(&demo_email("agent", 1)).await;
    let (status, page) = tour
        .get(&format!("/v1/projects?developer={developer}"), None)
        .await;
    assert_eq!(status, 200, "{page}");
    let name = page["projects"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("agent 1 develops the demo project: {page}"))
        .to_owned();
    (name, token)
}

/// A fresh unit of `project` (no seeded buyer has touched it), created by its developer.
async fn new_unit(tour: &Tour, project: &str, developer_token: &str, label: &str) -> String {
    let (status, unit) = tour
        .post(
            &format!("/v1/{project}/units"),
            Some(developer_token),
            json!({
                "displayName": label,
                "unitType": "UNIT_TYPE_APARTMENT",
                "floor": 7,
                "areaSquareMeters": 76.5,
                "bedrooms": 2,
                "price": "41000000",
                "depositAmount": "500000",
            }),
        )
        .await;
    assert_eq!(status, 201, "{unit}");
    unit["name"].as_str().expect("a unit").to_owned()
}

/// `buyer` reserves `unit`, paying the deposit with `card`.
async fn reserve(tour: &Tour, project: &str, unit: &str, buyer: &str, card: &str) -> (u16, Value) {
    tour.post(
        &format!("/v1/{project}/reservations"),
        Some(buyer),
        json!({"unit": unit, "paymentMethod": card}),
    )
    .await
}

/// Reads `path` as `token` until `done` holds of it, for at most 20 s.
async fn eventually(
    tour: &Tour,
    path: &str,
    token: Option<&str>,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = tour.get(path, token).await;
        assert_eq!(status, 200, "{body}");
        if done(&body) {
            return body;
        }
        assert!(
            Instant::now() < deadline,
            "{path} did not get there: {body}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_declined_deposit_releases_the_unit_and_a_paid_one_reserves_it() {
    let tour = start_seeded_platform(12).await;
    let (project, developer) = demo_project(&tour).await;
    let unit = new_unit(&tour, &project, &developer, "T-701").await;
    let buyer = tour.sign_up("dora@example.com").await;

    let (status, declined) = reserve(&tour, &project, &unit, &buyer, "4000000000000002").await;
    assert_eq!(status, 201, "{declined}");
    assert_eq!(declined["state"], "STATE_PENDING_PAYMENT", "{declined}");
    let name = declined["name"].as_str().expect("a reservation");
    let released = eventually(&tour, &format!("/v1/{name}"), Some(&buyer), |r| {
        r["state"] == "STATE_RELEASED"
    })
    .await;
    assert_eq!(
        released["releaseReason"], "RELEASE_REASON_PAYMENT_FAILED",
        "{released}"
    );
    let (status, free) = tour.get(&format!("/v1/{unit}"), None).await;
    assert_eq!(status, 200, "{free}");
    assert_eq!(
        free["state"], "STATE_AVAILABLE",
        "the unit is for sale again: {free}"
    );

    // The same buyer tries again with a card that pays: the unit is theirs.
    let (status, paid) = reserve(&tour, &project, &unit, &buyer, "4242424242424242").await;
    assert_eq!(status, 201, "{paid}");
    let name = paid["name"].as_str().expect("a reservation");
    eventually(&tour, &format!("/v1/{name}"), Some(&buyer), |r| {
        r["state"] == "STATE_RESERVED"
    })
    .await;
    let (_, held) = tour.get(&format!("/v1/{unit}"), None).await;
    assert_eq!(held["state"], "STATE_RESERVED", "{held}");
    // The deposit was taken: the buyer's payment for the reservation is captured.
    let payments = eventually(
        &tour,
        &format!("/v1/payments?reservation={name}"),
        Some(&buyer),
        |p| p["payments"][0]["state"] == "STATE_CAPTURED",
    )
    .await;
    assert_eq!(payments["payments"][0]["amount"], "500000", "{payments}");
}

#[tokio::test]
async fn of_two_buyers_racing_for_one_unit_exactly_one_reserves_it() {
    let tour = start_seeded_platform(12).await;
    let (project, developer) = demo_project(&tour).await;
    let unit = new_unit(&tour, &project, &developer, "T-702").await;
    let first = tour.sign_up("eve@example.com").await;
    let second = tour.sign_up("finn@example.com").await;

    let ((a, a_body), (b, b_body)) = tokio::join!(
        reserve(&tour, &project, &unit, &first, "4242424242424242"),
        reserve(&tour, &project, &unit, &second, "4242424242424242"),
    );
    let mut statuses = [a, b];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [201, 400],
        "one reservation, one refusal: {a_body} {b_body}"
    );
    let refused = if a == 400 { &a_body } else { &b_body };
    assert!(
        refused.to_string().contains("UNIT_NOT_AVAILABLE"),
        "{refused}"
    );
}

#[tokio::test]
async fn only_the_developer_changes_a_project_and_buyers_see_only_their_reservations() {
    let tour = start_seeded_platform(12).await;
    let (project, developer) = demo_project(&tour).await;
    let stranger = tour.sign_up("gus@example.com").await;

    let (status, refused) = tour
        .call(
            reqwest::Method::PATCH,
            &format!("/v1/{project}?updateMask=displayName"),
            Some(&stranger),
            Some(json!({"displayName": "Mine now"})),
        )
        .await;
    assert_eq!(status, 403, "{refused}");
    let (status, unit_refused) = tour
        .post(
            &format!("/v1/{project}/units"),
            Some(&stranger),
            json!({"displayName": "X-1", "unitType": "UNIT_TYPE_STUDIO",
                   "areaSquareMeters": 30.0, "price": "100", "depositAmount": "10"}),
        )
        .await;
    assert_eq!(status, 403, "{unit_refused}");

    // The developer sees the seeded buyers' reservations; a stranger sees neither the list nor
    // one of them.
    let (status, all) = tour
        .get(&format!("/v1/{project}/reservations"), Some(&developer))
        .await;
    assert_eq!(status, 200, "{all}");
    let seeded = all["reservations"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("the seed reserved units: {all}"))
        .to_owned();
    let (status, body) = tour.get(&format!("/v1/{seeded}"), Some(&stranger)).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = tour
        .get(&format!("/v1/{project}/reservations"), Some(&stranger))
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, own) = tour
        .get("/v1/projects/-/reservations", Some(&stranger))
        .await;
    assert_eq!(status, 200, "{own}");
    assert!(
        own["reservations"].as_array().is_none_or(Vec::is_empty),
        "{own}"
    );
}

#[tokio::test]
async fn search_finds_a_projects_homes_for_sale_by_project() {
    let tour = start_seeded_platform(12).await;
    let (project, _) = demo_project(&tour).await;
    let (status, units) = tour.get(&format!("/v1/{project}/units"), None).await;
    assert_eq!(status, 200, "{units}");
    let listing = units["units"]
        .as_array()
        .and_then(|all| {
            all.iter()
                .find_map(|u| u["listing"].as_str().filter(|l| !l.is_empty()))
        })
        .unwrap_or_else(|| panic!("a demo unit has a sale listing: {units}"))
        .to_owned();

    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, found) = tour
            .post(
                "/v1/properties:search",
                None,
                json!({"query": {"project": project}}),
            )
            .await;
        assert_eq!(status, 200, "{found}");
        let names: Vec<&str> = found["results"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|r| r["property"]["name"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        if names == [listing.as_str()] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {listing} is the project's: {found}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_api_description_lists_projects_reservations_and_the_agent_directory() {
    let tour = start_seeded_platform(1).await;
    let (status, openapi) = tour.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    let paths: Vec<&String> = openapi["paths"]
        .as_object()
        .map(|paths| paths.keys().collect())
        .unwrap_or_default();
    assert!(
        openapi["paths"]["/v1/projects"]["post"].is_object(),
        "{paths:?}"
    );
    assert!(
        openapi["paths"]["/v1/agents:search"]["get"].is_object(),
        "{paths:?}"
    );
    assert!(
        paths.iter().any(|path| path.ends_with("/reservations")),
        "{paths:?}"
    );
}
