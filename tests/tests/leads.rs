//! Leads across the platform, through the single binary's gateway over REST: an inquiry on a
//! home for sale becomes its agent's lead, which nobody else's agent reads, and of two buyers
//! racing for one viewing slot exactly one gets it.

use std::time::{Duration, SystemTime};

use estospaces::seed::demo_email;
use estospaces_platform_tests::tour::{Tour, start_seeded_platform};
use serde_json::{Value, json};

/// One of `agent`'s homes for sale.
async fn home_for_sale_of(tour: &Tour, agent: &str) -> String {
    let (status, page) = tour
        .get(
            &format!("/v1/properties?owner={agent}&kind=LISTING_KIND_SALE"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    page["properties"][0]["name"]
        .as_str()
        .unwrap_or_else(|| panic!("{agent} sells a home: {page}"))
        .to_owned()
}

/// `token`'s leads.
async fn leads_of(tour: &Tour, token: &str) -> Vec<Value> {
    let (status, page) = tour.get("/v1/leads?pageSize=100", Some(token)).await;
    assert_eq!(status, 200, "{page}");
    page["leads"].as_array().cloned().unwrap_or_default()
}

/// `at` as RFC 3339.
fn rfc3339(at: SystemTime) -> String {
    time::OffsetDateTime::from(at)
        .format(&time::format_description::well_known::Rfc3339)
        .expect("a time")
}

/// `lead` (with its buyer's token) books `slot`.
async fn book(tour: &Tour, (token, lead): &(String, String), slot: &str) -> (u16, Value) {
    tour.post(
        &format!("/v1/{lead}:bookViewing"),
        Some(token),
        json!({"viewingSlot": slot}),
    )
    .await
}

#[tokio::test]
async fn an_anonymous_inquiry_becomes_a_lead_its_agent_sees_and_another_agent_is_refused() {
    let tour = start_seeded_platform(12).await;
    let (agent, agent_token) = tour.demo_login(&demo_email("agent", 0)).await;
    // Agent 1 is an agent of agent 0's agency, not a manager: agent 0's leads are not theirs.
    let (_, other_token) = tour.demo_login(&demo_email("agent", 1)).await;
    let listing = home_for_sale_of(&tour, &agent).await;

    let (status, answer) = tour
        .post(
            "/v1/leads:inquire",
            None,
            json!({
                "listing": listing,
                "contact": {"displayName": "Ada Byron", "email": "ada@example.com"},
                "message": "Is the flat still available? We could view on Saturday.",
                "budget": "45000000",
                "financing": "FINANCING_MORTGAGE_APPROVED",
            }),
        )
        .await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer
            .get("lead")
            .and_then(Value::as_str)
            .unwrap_or_default(),
        "",
        "a stranger learns nothing about leads: {answer}"
    );

    let leads = leads_of(&tour, &agent_token).await;
    let lead = leads
        .iter()
        .find(|lead| lead["contact"]["email"] == "ada@example.com")
        .unwrap_or_else(|| panic!("Ada's lead among the agent's: {leads:?}"));
    assert_eq!(lead["listing"], listing.as_str());
    assert_eq!(lead["agent"], agent.as_str());
    assert_eq!(lead["stage"], "STAGE_NEW");
    assert_eq!(lead["source"], "SOURCE_FORM");
    let name = lead["name"].as_str().expect("a name");

    let (status, read) = tour.get(&format!("/v1/{name}"), Some(&agent_token)).await;
    assert_eq!(status, 200, "{read}");
    let (status, refused) = tour.get(&format!("/v1/{name}"), Some(&other_token)).await;
    assert_eq!(status, 403, "{refused}");
}

#[tokio::test]
async fn of_two_buyers_racing_for_one_viewing_slot_exactly_one_gets_it() {
    let tour = start_seeded_platform(12).await;
    let (agent, agent_token) = tour.demo_login(&demo_email("agent", 0)).await;
    let listing = home_for_sale_of(&tour, &agent).await;

    // Two buyers ask, signed in: each gets their lead's name back.
    let mut leads = Vec::new();
    for email in ["bea@example.com", "carl@example.com"] {
        let token = tour.sign_up(email).await;
        let (status, asked) = tour
            .post(
                "/v1/leads:inquire",
                Some(&token),
                json!({"listing": listing, "message": "Could I see it this week?"}),
            )
            .await;
        assert_eq!(status, 201, "{asked}");
        let lead = asked["lead"].as_str().expect("a lead").to_owned();
        leads.push((token, lead));
    }

    // One slot, the day after tomorrow (the seed's is tomorrow morning).
    let start = SystemTime::now() + Duration::from_secs(2 * 86_400);
    let (status, slot) = tour
        .post(
            &format!("/v1/{agent}/viewingSlots"),
            Some(&agent_token),
            json!({
                "listing": listing,
                "startTime": rfc3339(start),
                "endTime": rfc3339(start + Duration::from_secs(1_800)),
            }),
        )
        .await;
    assert_eq!(status, 201, "{slot}");
    let slot = slot["name"].as_str().expect("a slot").to_owned();

    let ((first, first_body), (second, second_body)) =
        tokio::join!(book(&tour, &leads[0], &slot), book(&tour, &leads[1], &slot));
    let mut statuses = [first, second];
    statuses.sort_unstable();
    assert_eq!(
        statuses,
        [200, 409],
        "one booking, one refusal: {first_body} {second_body}"
    );
    let refused = if first == 409 {
        &first_body
    } else {
        &second_body
    };
    assert!(
        refused.to_string().contains("VIEWING_SLOT_TAKEN"),
        "{refused}"
    );

    // The slot shows booked to everyone.
    let (status, slots) = tour.get(&format!("/v1/{agent}/viewingSlots"), None).await;
    assert_eq!(status, 200, "{slots}");
    let shown = slots["viewingSlots"]
        .as_array()
        .and_then(|all| all.iter().find(|s| s["name"] == slot.as_str()))
        .unwrap_or_else(|| panic!("the slot is listed: {slots}"));
    assert_eq!(shown["booked"], true, "{shown}");
}

#[tokio::test]
async fn the_api_description_lists_the_inquiry_form() {
    let tour = start_seeded_platform(1).await;
    let (status, openapi) = tour.get("/openapi.json", None).await;
    assert_eq!(status, 200);
    assert!(
        openapi["paths"]["/v1/leads:inquire"]["post"].is_object(),
        "{:?}",
        openapi["paths"]
            .as_object()
            .map(|paths| paths.keys().collect::<Vec<_>>())
    );
}
